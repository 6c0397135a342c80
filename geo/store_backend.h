/* The backend operations table behind struct store.  Callers never see
 * it: they use store.h.  A backend (geo/spatialite/, later geo/postgis/)
 * embeds struct store as the first member of its own handle and fills one
 * static const struct store_ops; store.c dispatches through it. */
#ifndef SONAE_STORE_BACKEND_H
#define SONAE_STORE_BACKEND_H

#include "store.h"
#include "geo.h"
#include "store_city.h"
#include "store_devices.h"
#include "store_places.h"
#include "store_roads.h"
#include "store_sources.h"

struct store_ops {
        const char *name;
        void (*close)(struct store *st);
        int (*schema_version)(struct store *st, int *version);
        int (*migrate)(struct store *st, int *applied);
        int (*check)(struct store *st, char *why, size_t why_len);
        int (*begin)(struct store *st);
        int (*commit)(struct store *st);
        int (*rollback)(struct store *st);
        int (*checkpoint)(struct store *st);
        int (*backup)(struct store *st, const char *path);

        int (*station_upsert)(struct store *st, const struct store_station *in, int64_t *id);
        int (*station_find)(struct store *st, const char *source, const char *external_id,
                            int64_t *id);
        int (*observations_add)(struct store *st, const struct store_obs *v, size_t n,
                                struct store_obs_result *res);
        int (*observations_range)(struct store *st, int64_t station_id, const char *quantity,
                                  int64_t from, int64_t to, size_t limit,
                                  struct store_obs_list *out);
        int (*latest)(struct store *st, int64_t station_id, int64_t now,
                      struct store_latest_list *out);
        int (*stations_refresh_state)(struct store *st, int64_t now, size_t *changed);
        int (*station_set_state)(struct store *st, int64_t station_id, enum station_state state,
                                 int64_t seen_at);
        int (*events_after)(struct store *st, int64_t after_id, size_t limit, bool public_only,
                            struct store_event_list *out);
        int (*events_last_id)(struct store *st, int64_t *id);
        int (*event_emit)(struct store *st, const char *type, const char *subject, int level,
                          bool is_public, bool exercise, const char *data);
        /* NULL: the backend cannot wait (store_events_wait: -ENOTSUP). */
        int (*events_wait)(struct store *st, int timeout_ms, int64_t *last_id);

        /* store_sources.h, store_devices.h, store_places.h, store_city.h:
         * one entry per function, named without the store_ prefix; NULL
         * answers -ENOTSUP. */
        int (*source_health_set)(struct store *st, const char *name, const char *state,
                                 const char *error, bool exercise);
        int (*source_status_list)(struct store *st, struct store_source_status_list *out);
        int (*raw_document_put)(struct store *st, const char *source, const char *url,
                                const char *content_type, const void *body, size_t len,
                                int64_t fetched_at, int64_t *id, bool *is_new);
        int (*raw_document_find)(struct store *st, const char *url, int64_t *id);
        int (*raw_document_body)(struct store *st, int64_t id, void **body, size_t *len);
        int (*alert_add)(struct store *st, const struct store_alert *a, int64_t *id);
        int (*alerts_list)(struct store *st, const char *area_code, int64_t from, int64_t to,
                           size_t limit, struct store_alert_list *out);
        int (*area_set_in_force)(struct store *st, const char *area_code, const char *area_name,
                                 bool exercise, const struct store_area_kind *kinds, size_t n);
        int (*area_status_list)(struct store *st, int view, struct store_area_status_list *out);
        int (*area_upsert)(struct store *st, const struct store_area *a);
        int (*area_name)(struct store *st, const char *code, char **name);
        int (*area_geojson)(struct store *st, const char *code, double tol, char **geojson,
                            double bbox[4]);
        int (*district_rings)(struct store *st, int64_t district_id, size_t max_points,
                              struct store_area_rings *out, char **name, char **area_code);
        int (*area_rings)(struct store *st, const char *code, size_t max_points,
                          struct store_area_rings *out);
        int (*area_shapes)(struct store *st, double tolerance, struct store_area_shape_list *out);
        int (*camera_image_add)(struct store *st, const struct store_camera_image *img,
                                int64_t *id);
        int (*camera_images_list)(struct store *st, int64_t station_id, int64_t from, int64_t to,
                                  size_t limit, struct store_camera_image_list *out);
        int (*camera_image_get)(struct store *st, int64_t station_id, int64_t image_id,
                                struct store_camera_image_list *out);
        int (*camera_images_prune)(struct store *st, int64_t station_id, int64_t before,
                                   struct store_camera_image_list *out);
        int (*camera_set_state)(struct store *st, int64_t station_id, const char *state);
        int (*camera_get_state)(struct store *st, int64_t station_id, const char **state);
        int (*camera_link_gauge)(struct store *st, int64_t camera_id, const char *gauge_source,
                                 const char *gauge_external_id);
        int (*camera_gauge)(struct store *st, int64_t camera_id, int64_t *gauge_id);
        int (*device_add)(struct store *st, const struct store_device *d, int64_t *id);
        int (*device_update)(struct store *st, const struct store_device *d);
        int (*device_get)(struct store *st, const char *device, struct store_device *out);
        int (*devices_list)(struct store *st, struct store_device_list *out);
        int (*device_health_set)(struct store *st, int64_t device_id, const char *health,
                                 int64_t last_seen_at, const char *fw, double batt_v,
                                 double rssi_dbm);
        int (*calibration_add)(struct store *st, int64_t device_id,
                               const struct store_calibration *c);
        int (*calibration_at)(struct store *st, int64_t device_id, int64_t t,
                              struct store_calibration *out);
        int (*readings_add)(struct store *st, const struct store_reading *v, size_t n,
                            struct store_obs_result *res);
        int (*readings_last)(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq);
        int (*readings_count)(struct store *st, int64_t device_id, int64_t *count);
        int (*gap_open)(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                        int64_t to_seq, int64_t *id);
        int (*gap_close)(struct store *st, int64_t gap_id, int64_t closed_at);
        int (*gaps_open_list)(struct store *st, int64_t device_id, struct store_gap_list *out);
        int (*district_upsert)(struct store *st, const struct store_district *d, int64_t *id);
        int (*district_find)(struct store *st, const char *code, int64_t *id);
        int (*shelter_upsert)(struct store *st, const struct store_shelter *s, int64_t *id);
        int (*shelter_set_status)(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                                  const char *needs);
        int (*shelter_get)(struct store *st, int64_t id, struct store_shelter_list *out);
        int (*shelters_list)(struct store *st, bool open_only, struct store_shelter_list *out);
        int (*hazard_layer_create)(struct store *st, const struct store_hazard_layer *l,
                                   int64_t *id);
        int (*hazard_features_add)(struct store *st, int64_t layer_id,
                                   const struct store_hazard_feature *f, size_t n);
        int (*hazard_layer_activate)(struct store *st, int64_t layer_id);
        int (*hazard_layer_delete)(struct store *st, int64_t layer_id);
        int (*hazard_layers_list)(struct store *st, struct store_hazard_layer_list *out);
        int (*hazard_areas)(struct store *st, const double *bbox, size_t offset, size_t limit,
                            struct store_hazard_area_list *out);
        int (*hazard_area_get)(struct store *st, int64_t id, struct store_hazard_area_list *out);
        int (*watch_point_put)(struct store *st, const struct store_watch_point *w, int64_t *id);
        int (*watch_point_delete)(struct store *st, int64_t id);
        int (*watch_points_list)(struct store *st, struct store_watch_point_list *out);
        int (*user_add)(struct store *st, const struct store_user *u, int64_t *id);
        int (*user_set_password)(struct store *st, int64_t id, const char *password_hash);
        int (*user_set_disabled)(struct store *st, int64_t id, bool disabled);
        int (*user_get)(struct store *st, const char *name, struct store_user_list *out);
        int (*users_list)(struct store *st, struct store_user_list *out);
        int (*session_add)(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                           const char *csrf, int64_t created_at, int64_t expires_at);
        int (*session_get)(struct store *st, const unsigned char token_hash[32], int64_t now,
                           struct store_session_list *out);
        int (*session_touch)(struct store *st, const unsigned char token_hash[32], int64_t now);
        int (*session_delete)(struct store *st, const unsigned char token_hash[32]);
        int (*sessions_purge)(struct store *st, int64_t now, size_t *removed);
        int (*audit_add)(struct store *st, int64_t user_id, const char *actor, const char *action,
                         const char *object, const char *before_json, const char *after_json);
        int (*audit_list)(struct store *st, int64_t after_id, size_t limit,
                          struct store_audit_list *out);
        int (*audit_query)(struct store *st, const struct store_audit_filter *f,
                           struct store_audit_list *out);
        int (*report_create)(struct store *st, const struct store_report *r, int64_t *id);
        int (*report_add_photo)(struct store *st, int64_t report_id, const char *path,
                                const char *content_type, int64_t bytes);
        int (*report_update)(struct store *st, int64_t id, const char *status, bool is_public);
        int (*reports_list)(struct store *st, bool public_only, size_t limit,
                            struct store_report_list *out);
        int (*order_issue)(struct store *st, const struct store_order *o, int64_t *id);
        int (*order_lift)(struct store *st, int64_t id, int64_t lifted_at);
        int (*exercise_clear)(struct store *st, struct store_exercise_removed *out);
        int (*drill_begin)(struct store *st, const char *scenario, bool is_public,
                           const char *areas, int64_t *id);
        int (*drill_public)(struct store *st, bool *on);
        int (*drill_area_public)(struct store *st, const char *area_code, int64_t district_id,
                                 bool *on);
        int (*orders_list)(struct store *st, bool all_history, struct store_order_list *out);
        int (*notice_publish)(struct store *st, const struct store_notice *n, int64_t *id);
        int (*notice_withdraw)(struct store *st, int64_t id, int64_t at);
        int (*notices_in_force)(struct store *st, int64_t now, bool public_only,
                                struct store_notice_list *out);
        int (*timeline_put)(struct store *st, const unsigned char token_hash[32],
                            int64_t district_id, unsigned levels_mask, const void *nonce,
                            size_t nonce_len, const void *ciphertext, size_t ciphertext_len);
        int (*timeline_get)(struct store *st, const unsigned char token_hash[32],
                            struct store_timeline *out);
        int (*timeline_delete)(struct store *st, const unsigned char token_hash[32]);
        int (*timelines_expire)(struct store *st, int64_t before, size_t *removed);
        int (*timeline_stats)(struct store *st, struct store_timeline_stat_list *out);
        int (*notify_rule_add)(struct store *st, const struct store_notify_rule *r, int64_t *id);
        int (*notify_rule_delete)(struct store *st, int64_t id);
        int (*notify_rules_list)(struct store *st, struct store_notify_rule_list *out);
        int (*notify_enqueue)(struct store *st, int64_t rule_id, int64_t event_id, int64_t now);
        int (*notify_due)(struct store *st, int64_t now, size_t limit,
                          struct store_notify_item_list *out);
        int (*notify_mark)(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                           const char *error);
        int (*notify_release)(struct store *st, int64_t id, int64_t now);
        int (*jma_telegram_put)(struct store *st, const struct store_jma_telegram *t);
        int (*jma_telegram_get)(struct store *st, const char *url,
                                struct store_jma_telegram_list *out);
        int (*jma_telegrams_done)(struct store *st, int64_t since,
                                  struct store_jma_telegram_list *out);
        int (*jma_telegrams_count)(struct store *st, const char *state, int64_t *n);

        /* geo/geo.h: the lookups and their import support. */
        int (*geo_hazard_at)(struct store *st, double lon, double lat, int view,
                             struct geo_hazard_answer *out);
        int (*geo_shelters_near)(struct store *st, double lon, double lat, enum store_hazard h,
                                 size_t n, struct geo_shelter_list *out);
        int (*geo_address_search)(struct store *st, const char *text, size_t limit,
                                  struct geo_address_list *out);
        int (*geo_picker_districts)(struct store *st, struct geo_pick_list *out);
        int (*geo_picker_towns)(struct store *st, const char *district_code,
                                struct geo_address_list *out);
        int (*geo_area_code_upsert)(struct store *st, const struct geo_area_code *c);
        int (*geo_addresses_upsert)(struct store *st, const struct geo_address_in *a, size_t n);
        int (*geo_addresses_assign_districts)(struct store *st, size_t *n);
        int (*geo_count)(struct store *st, const char *what, int64_t *n);

        /* store_roads.h and the routes of geo/geo.h. */
        int (*road_graph_create)(struct store *st, const struct store_road_graph *g, int64_t *id);
        int (*road_node_add)(struct store *st, int64_t graph_id, double lon, double lat,
                             const char *name, int64_t *id);
        int (*road_edges_add)(struct store *st, int64_t graph_id, const struct store_road_edge *e,
                              size_t n);
        int (*road_graph_activate)(struct store *st, int64_t graph_id);
        int (*road_graphs_list)(struct store *st, struct store_road_graph_list *out);
        int (*layer_polygons)(struct store *st, const char *layer, store_polygon_cb cb, void *ctx);
        int (*tile_set_create)(struct store *st, const char *layer, const char *version,
                               int min_zoom, int max_zoom, int64_t *id);
        int (*tile_put)(struct store *st, int64_t set_id, int z, int x, int y, const void *data,
                        size_t len);
        int (*tile_set_activate)(struct store *st, int64_t set_id);
        int (*tile_version)(struct store *st, const char *layer, char version[65]);
        int (*tile_get)(struct store *st, const char *layer, int z, int x, int y, void **data,
                        size_t *len, char version[65]);
        int (*geo_route)(struct store *st, double lon, double lat, double to_lon, double to_lat,
                         const struct geo_route_opts *o, struct geo_route *out);
        /* NULL when the importer cuts the tiles (store_tiles_cut_by_backend). */
        int (*tile_features_add)(struct store *st, int64_t set_id, const char *const *fields,
                                 size_t n_fields, const struct store_tile_feature *f, size_t n);
        int (*tile_set_cut)(struct store *st, int64_t set_id, size_t *n);
};

struct store {
        const struct store_ops *ops;
        int grace;
        bool all_exercise;
};

/* ---- Rules every backend applies (store.c) ----------------------------- */

/* Quantities by index, in a fixed order: index 0 is water_level_m, the
 * only quantity a level is computed from. */
#define STORE_Q_WATER_LEVEL 0
int store_quantity_index(const char *quantity); /* -1 when unknown */
const char *store_quantity_name(int i);
/* A station's quantity when it names none: NULL for cameras. */
const char *store_kind_default_quantity(const char *kind);
/* A running sum (3 h, 24 h) is never a station's main quantity. */
bool store_main_quantity_valid(const char *quantity);

/* A station's status before a write and what the write brings. */
struct store_status_in {
        const char *kind;
        int quantity; /* the station's quantity, an index */
        const struct level_thresholds *thr;
        int64_t expected_interval_s;
        bool old_exists;
        enum station_state old_state;
        int old_level;
        int64_t old_last_observed_at;
        double value;             /* the quantity's newest value, NAN if none */
        int64_t last_observed_at; /* newest observation of any quantity */
};
/* What to store and which changes to announce. */
struct store_status_next {
        int level;                /* to store */
        enum station_state state; /* to store */
        int old_level, eff_level; /* as shown before and after (none when stale) */
        enum station_state old_eff, new_eff;
};
void store_status_next(const struct store_status_in *in, int grace, int64_t now,
                       struct store_status_next *out);
/* What a state refresh writes for a station whose status row, read in the
 * refresh's write transaction, holds `stored` and `last_observed_at`: the
 * stale or offline state the age gives it, or STATE_UNKNOWN when there is
 * nothing to change (fresh, or already written, by another refresh too). */
enum station_state store_refresh_state(enum station_state stored, const char *kind,
                                       int64_t last_observed_at, int64_t expected_interval_s,
                                       int grace, int64_t now);

/* Writes an event in the backend's open transaction. */
typedef int (*store_emit_fn)(void *ctx, const char *type, const char *subject, int level,
                             const char *data);
/* The `station.level` and `station.state` events of a change (public, not
 * exercise), through emit. */
/* The lowercase hex SHA-256 of a raw document's body. */
void store_sha256_hex(const void *data, size_t len, char hex[65]);
/* A JMA telegram's state: pending | done | lost | gone | refused */
bool store_jma_state_valid(const char *state);
/* ok | degraded | failing | unknown */
bool store_source_state_valid(const char *state);
/* The drill's own sources among source_status rows (SQL on either
 * backend): the sources of its stations (stations.exercise), and its JMA
 * section's drill-jma ([jma] drill), which has none. */
#define STORE_DRILL_SOURCE_SQL                                                                     \
        "(name IN (SELECT source FROM stations WHERE exercise = 1) OR name = 'drill-jma')"
/* Writes a non-public event with no level in the backend's transaction. */
typedef int (*store_emit_private_fn)(void *ctx, const char *type, const char *subject,
                                     bool exercise, const char *data);
/* The `source.health` event of a change from `from` ("" or NULL: unknown)
 * to `to`, with the error unless the source is ok again; exercise for a
 * drill's source. */
int store_source_health_event(const char *name, const char *from, const char *to, const char *error,
                              bool exercise, store_emit_private_fn emit, void *ctx);
/* The name a station is stored under: a drill's (in->exercise) led by
 * 【訓練】 once, so it shows wherever the name does.  *name is in->name or
 * buf; -EINVAL when the prefixed name does not fit in len. */
int store_station_drill_name(const struct store_station *in, char *buf, size_t len,
                             const char **name);
int store_station_change_events(int64_t id, int old_level, int new_level,
                                enum station_state old_state, enum station_state new_state,
                                store_emit_fn emit, void *ctx);

/* Road graphs and tiles: the rules of their writes (geo_route.c). */
/* A point of a road graph: finite and inside Japan's extent (lon 120-155,
 * lat 20-46). */
bool store_road_lonlat_ok(double lon, double lat);
/* osm | lines */
bool store_road_source_ok(const char *source);
/* A tile layer's name: [A-Za-z0-9_-], 1-64 bytes. */
bool store_tile_layer_ok(const char *layer);
/* z 0-22, x and y inside the zoom's grid. */
bool store_tile_xyz_ok(int z, int x, int y);

/* The subject and data of a `shelter.updated` event. */
void store_shelter_event(int64_t id, bool is_open, int64_t occupancy, char subject[40],
                         char data[160]);
/* geo/store_place_rules.c: what is in force per area, cameras, rings. */
struct buf;
/* The drill view a read applies (enum store_exercise_view): PUBLIC is ALL
 * in a store opened with all_exercise; anything unknown is REAL. */
int store_exercise_view(const struct store *st, int view);
/* Checks kinds[0..n) (code, name, status set, level 0 or 1-5: else
 * -EINVAL), copies them sorted by code into *sorted (caller frees; the
 * strings stay borrowed) and sets *level to the highest. */
int store_area_kinds_sorted(const struct store_area_kind *kinds, size_t n,
                            struct store_area_kind **sorted, int *level);
/* Whether two sorted sets of kinds are the same (code, name, status,
 * level). */
bool store_area_kinds_same(const struct store_area_kind *a, size_t na,
                           const struct store_area_kind *b, size_t nb);
/* Frees kinds whose strings the array owns; accepts NULL. */
void store_area_kinds_free(struct store_area_kind *k, size_t n);
/* The data of `alert.changed` into out. */
int store_alert_changed_data(struct buf *out, const char *area_code, const char *area_name,
                             bool exercise, const struct store_area_kind *k, size_t n);
/* The data of `area.level` (levels 0 for none). */
void store_area_level_data(char data[160], const char *area_code, int from_level, int to_level,
                           bool exercise);
/* A camera state as the static string (ok | stale | frozen | unknown), or
 * NULL for any other text. */
const char *store_camera_state_static(const char *state);
/* The subject and data of `camera.image` and `camera.state`. */
void store_camera_image_event(int64_t station_id, int64_t image_id, int64_t captured_at,
                              char subject[40], char data[200]);
void store_camera_state_event(int64_t station_id, const char *from, const char *to,
                              char subject[40], char data[160]);
/* Orders an area's outer rings largest first (planar area in degrees). */
void store_area_rings_sort(struct store_area_rings *r);

/* The SQL of geo_count(what), the same on every backend; NULL for an
 * unknown what. */
const char *geo_count_sql(const char *what);

/* geo/store_city_rules.c: the city's events as every backend writes them.
 * Each *_data writes the event's JSON into buf (0, or -ENOMEM when it does
 * not fit).  Report: `report, status, category, severity` (never the
 * position or text). */
int store_report_event_data(char *buf, size_t len, int64_t id, const char *status,
                            const char *category, int severity);
/* Order (o->id set; lifted_at 0 while in force): `order, level, name_ja,
 * hazard, area_code, district_id, issued_at, lifted_at`. */
int store_order_event_data(char *buf, size_t len, const struct store_order *o);
/* Notice: `notice, category` and `withdrawn: true` for a withdrawal. */
int store_notice_event_data(char *buf, size_t len, int64_t id, const char *category,
                            bool withdrawn);
/* A text written into an event's JSON as it is (a category): not NULL, no
 * quote or backslash. */
bool store_event_text_valid(const char *s);
/* Calls fn once per area code of a drill's comma-separated list (borrowed;
 * empty pieces skipped), with the subject and data of its alert.changed;
 * -EINVAL for a code over 32 bytes, else fn's first error. */
int store_drill_areas_each(const char *areas, bool is_public,
                           int (*fn)(void *ctx, const char *code, const char *subject,
                                     const char *data),
                           void *ctx);
/* The subject (prefix + key) and data of an event of a drill's removal. */
int store_drill_removed_data(char *subject, size_t subject_len, char *data, size_t data_len,
                             const char *prefix, const char *key);
/* What store_drill_stations_clear needs of a backend, inside its open
 * transaction; each returns 0 or the store's error. */
struct store_drill_clear_ops {
        /* One integer, the first column of the first row of sql. */
        int (*count)(void *ctx, const char *sql, int64_t *n);
        /* fn(fn_ctx, text) for the first column of each row of sql (text
         * borrowed for the call); stops at fn's first error. */
        int (*texts)(void *ctx, const char *sql, int (*fn)(void *fn_ctx, const char *text),
                     void *fn_ctx);
        /* Runs sql; *changed (when not NULL) gets the rows it touched. */
        int (*run)(void *ctx, const char *sql, int64_t *changed);
        /* Writes a public exercise event without a level. */
        int (*event)(void *ctx, const char *type, const char *subject, const char *data);
};
/* Removes a drill's own stations (store_exercise_clear): counts their
 * observations and images into out, lists the images' files (and
 * thumbnails) into out->files, deletes their events that no delivery
 * record holds, writes one station.state removal event per station,
 * deletes their sources' health rows and then the stations (the rest goes
 * by ON DELETE CASCADE), counted in out->stations. */
int store_drill_stations_clear(const struct store_drill_clear_ops *ops, void *ctx,
                               struct store_exercise_removed *out);
/* How an audit filter's object reads: *exact for one object ("order:12"),
 * else lo/hi bound the kind's objects ("order:" to "order;"); both empty
 * without a filter; -EINVAL for an object over 256 bytes. */
int store_audit_object_range(const char *object, const char **exact, char lo[300], char hi[300]);

/* Backends' open functions. */
int spatialite_store_open(const struct store_options *opt, struct store **out);
int spatialite_store_restore(const struct store_options *opt, const char *from, bool force);
/* The PostGIS backend (geo/postgis/): opt->dsn is a libpq connection
 * string; -EIO when the server cannot be reached. */
int postgis_store_open(const struct store_options *opt, struct store **out);
/* store_restore() on PostGIS: pg_restore of a pg_dump -Fc archive into
 * opt->dsn, after reading the whole archive and its schema version;
 * -ENOPKG when the target database has no PostGIS extension. */
int postgis_store_restore(const struct store_options *opt, const char *from, bool force);
/* For the tests: how many times the handle reset a lost connection (0 for
 * any other backend). */
unsigned postgis_store_reconnects(const struct store *st);

#endif
