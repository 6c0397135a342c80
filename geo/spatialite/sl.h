/* The SpatiaLite backend: internal to geo/spatialite/. */
#ifndef SONAE_SL_H
#define SONAE_SL_H

#include "../store_backend.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>

/* Statements, each prepared once on first use and kept for the life of the
 * handle. */
enum sl_stmt_id {
        SL_BEGIN,
        SL_COMMIT,
        SL_ROLLBACK,
        SL_EVENT_INSERT,
        SL_STATION_FIND,
        SL_STATION_INSERT,
        SL_STATION_UPDATE,
        SL_STATION_GET,
        SL_OBS_INSERT,
        SL_OBS_RANGE,
        SL_OBS_RATE_BASE,
        SL_LATEST_UPSERT,
        SL_STATUS_GET,
        SL_STATUS_UPSERT,
        SL_STATUS_SET_STATE,
        SL_LATEST_ALL,
        SL_LATEST_ONE,
        SL_EVENTS_AFTER,
        SL_EVENTS_AFTER_PUBLIC,
        SL_EVENTS_LAST,
        SL_N_STMTS
};

/* An int64 -> slot map (open addressing), for coalescing per commit. */
struct sl_map {
        int64_t *keys; /* 0 = empty; keys are > 0 */
        uint32_t *slots;
        size_t cap; /* power of two */
        size_t n;
};

/* What one commit has written of a station's observations. */
struct sl_pending_obs {
        int64_t station_id;
        size_t count;
        int64_t first_at, last_at;
        bool exercise;
};

struct sl {
        struct store base; /* first member: struct store * casts to struct sl * */
        sqlite3 *db;
        void *splite; /* spatialite connection cache */
        sqlite3_stmt *stmts[SL_N_STMTS];
        int tx_depth;
        int tx_err; /* first error inside the open transaction */
        struct sl_map pending_map;
        struct sl_pending_obs *pending;
        size_t n_pending, cap_pending;
        /* Statements of the entity functions, cached by SQL text address. */
        struct sl_map prep_map;
        sqlite3_stmt **prep;
        size_t n_prep, cap_prep;
        /* Large polygons prepared for point tests (sl_geo.c). */
        void *geo_cache;
        /* The road graph in memory for routes (sl_roads.c). */
        void *route_cache;
};

#define SL(st) ((struct sl *)(st))

/* Maps an SQLite result code to the store's errno-style code. */
int sl_err(int rc);
/* The prepared, reset statement for id; NULL on error (*rc set). */
sqlite3_stmt *sl_stmt(struct sl *b, enum sl_stmt_id id, int *rc);
/* Steps a statement that returns no row (SQLITE_DONE expected). */
int sl_exec_stmt(sqlite3_stmt *s);
int sl_exec(struct sl *b, const char *sql);

/* Nesting transactions: the outermost begin opens BEGIN IMMEDIATE, the
 * outermost end commits (writing the coalesced events first) or rolls back
 * when any step failed.  end() returns the first error. */
int sl_tx_begin(struct sl *b);
int sl_tx_end(struct sl *b, int rc);

int sl_event(struct sl *b, const char *type, const char *subject, int level, bool is_public,
             bool exercise, const char *data);
/* Records observations of a station for the coalesced event. */
int sl_pending_add(struct sl *b, int64_t station_id, size_t count, int64_t first_at,
                   int64_t last_at);

int sl_map_get(const struct sl_map *m, int64_t key, uint32_t *slot);
int sl_map_put(struct sl_map *m, int64_t key, uint32_t slot);
void sl_map_clear(struct sl_map *m);
void sl_map_free(struct sl_map *m);

/* Steps s to the end, appending one element of elem_size bytes per row to
 * the growing array *v (count *n) through fill(), which returns 0 or a
 * negative code; the element is zeroed first and counted even when fill
 * fails, so the caller's list free releases what it set.  Resets s. */
int sl_collect(struct sl *b, sqlite3_stmt *s, void **v, size_t *n, size_t elem_size,
               int (*fill)(sqlite3_stmt *s, void *elem, void *ctx), void *ctx);

/* The statement for sql, prepared on first use and cached by the address
 * of the text (always a string literal), reset.  NULL on error (*rc). */
sqlite3_stmt *sl_prep(struct sl *b, const char *sql, int *rc);
/* Binds parameters 1.. by a format, one letter per parameter:
 *   t const char * (NULL binds NULL)   i int64_t   I int64_t, 0 binds NULL
 *   d double, NAN binds NULL           b int (bool) 0/1
 *   L int level, outside 1-5 binds NULL   B const void *, size_t: a blob */
void sl_bindv(sqlite3_stmt *s, const char *fmt, va_list ap);
/* Prepares, binds and steps to the end. */
int sl_run(struct sl *b, const char *sql, const char *fmt, ...);
/* sl_run in its own (nested) transaction, for a statement that must
 * change one row at least: -ENOENT when it changed none. */
int sl_change(struct sl *b, const char *sql, const char *fmt, ...);
/* sl_run in its own (nested) transaction for an INSERT; *id (may be NULL)
 * gets the new rowid. */
int sl_insert(struct sl *b, int64_t *id, const char *sql, const char *fmt, ...);
/* Prepares, binds and collects all rows into the list (v, n) through
 * fill, as sl_collect; the caller frees the list on error. */
int sl_list(struct sl *b, void **v, size_t *n, size_t elem_size,
            int (*fill)(sqlite3_stmt *s, void *elem, void *ctx), void *ctx, const char *sql,
            const char *fmt, ...);
/* Prepares, binds and steps once: the statement on its first row, or
 * NULL with *rc -ENOENT (no row) or the error.  The caller resets it. */
sqlite3_stmt *sl_row(struct sl *b, int *rc, const char *sql, const char *fmt, ...);
/* Prepares and binds, not stepped; the caller steps and resets. */
sqlite3_stmt *sl_query(struct sl *b, const char *sql, int *rc, const char *fmt, ...);
/* One integer from the first row: 0, -ENOENT without a row, or an error. */
int sl_query_int(struct sl *b, const char *sql, int64_t *out, const char *fmt, ...);
/* A geometry blob in SRID 6668 from WKB or WKT (ST_Multi when multi);
 * -EINVAL when neither parses.  *blob is freed by the caller (free()). */
int sl_geom_blob(struct sl *b, const unsigned char *wkb, size_t wkb_len, const char *wkt,
                 bool multi, void **blob, size_t *len);
/* Current time in UTC seconds (the test seam of timeutil). */
int64_t sl_now(void);

/* Binds text or NULL. */
int sl_bind_text(sqlite3_stmt *s, int i, const char *v);
int sl_bind_double_or_null(sqlite3_stmt *s, int i, double v);
char *sl_col_strdup(sqlite3_stmt *s, int i);
double sl_col_double_or_nan(sqlite3_stmt *s, int i);

/* For the store's own tests: the query plan of the latest-for-every-station
 * statement (one line per step, into plan) and the VM steps its last
 * execution took (reset by the call). */
int sl_latest_stats(struct store *st, char *plan, size_t plan_len, int64_t *vm_steps);

/* Operations of sl_stations.c. */
int sl_station_upsert(struct store *st, const struct store_station *in, int64_t *id);
int sl_station_find(struct store *st, const char *source, const char *external_id, int64_t *id);
int sl_observations_add(struct store *st, const struct store_obs *v, size_t n,
                        struct store_obs_result *res);
int sl_observations_range(struct store *st, int64_t station_id, const char *quantity, int64_t from,
                          int64_t to, size_t limit, struct store_obs_list *out);
int sl_latest(struct store *st, int64_t station_id, int64_t now, struct store_latest_list *out);
int sl_stations_refresh_state(struct store *st, int64_t now, size_t *changed);
int sl_station_set_state(struct store *st, int64_t station_id, enum station_state state,
                         int64_t seen_at);

/* Entity operations: sl_sources.c, sl_devices.c, sl_places.c, sl_city.c. */
int sl_source_health_set(struct store *st, const char *name, const char *state, const char *error,
                         bool exercise);
int sl_source_status_list(struct store *st, struct store_source_status_list *out);
int sl_raw_document_put(struct store *st, const char *source, const char *url,
                        const char *content_type, const void *body, size_t len, int64_t fetched_at,
                        int64_t *id, bool *is_new);
int sl_raw_document_find(struct store *st, const char *url, int64_t *id);
int sl_raw_document_body(struct store *st, int64_t id, void **body, size_t *len);
int sl_alert_add(struct store *st, const struct store_alert *a, int64_t *id);
int sl_alerts_list(struct store *st, const char *area_code, int64_t from, int64_t to, size_t limit,
                   struct store_alert_list *out);
int sl_area_set_in_force(struct store *st, const char *area_code, const char *area_name,
                         bool exercise, const struct store_area_kind *kinds, size_t n);
int sl_area_status_list(struct store *st, int view, struct store_area_status_list *out);
int sl_area_upsert(struct store *st, const struct store_area *a);
int sl_area_name(struct store *st, const char *code, char **name);
int sl_area_geojson(struct store *st, const char *code, double tol, char **geojson, double bbox[4]);
int sl_district_rings(struct store *st, int64_t district_id, size_t max_points,
                      struct store_area_rings *out, char **name, char **area_code);
int sl_area_rings(struct store *st, const char *code, size_t max_points,
                  struct store_area_rings *out);
int sl_area_shapes(struct store *st, double tolerance, struct store_area_shape_list *out);
int sl_camera_image_add(struct store *st, const struct store_camera_image *img, int64_t *id);
int sl_camera_images_list(struct store *st, int64_t station_id, int64_t from, int64_t to,
                          size_t limit, struct store_camera_image_list *out);
int sl_camera_image_get(struct store *st, int64_t station_id, int64_t image_id,
                        struct store_camera_image_list *out);
int sl_camera_images_prune(struct store *st, int64_t station_id, int64_t before,
                           struct store_camera_image_list *out);
int sl_camera_set_state(struct store *st, int64_t station_id, const char *state);
int sl_camera_get_state(struct store *st, int64_t station_id, const char **state);
int sl_camera_link_gauge(struct store *st, int64_t camera_id, const char *gauge_source,
                         const char *gauge_external_id);
int sl_camera_gauge(struct store *st, int64_t camera_id, int64_t *gauge_id);
int sl_device_add(struct store *st, const struct store_device *d, int64_t *id);
int sl_device_update(struct store *st, const struct store_device *d);
int sl_device_get(struct store *st, const char *device, struct store_device *out);
int sl_devices_list(struct store *st, struct store_device_list *out);
int sl_device_health_set(struct store *st, int64_t device_id, const char *health,
                         int64_t last_seen_at, const char *fw, double batt_v, double rssi_dbm);
int sl_calibration_add(struct store *st, int64_t device_id, const struct store_calibration *c);
int sl_calibration_at(struct store *st, int64_t device_id, int64_t t,
                      struct store_calibration *out);
int sl_readings_add(struct store *st, const struct store_reading *v, size_t n,
                    struct store_obs_result *res);
int sl_readings_last(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq);
int sl_readings_count(struct store *st, int64_t device_id, int64_t *count);
int sl_gap_open(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                int64_t to_seq, int64_t *id);
int sl_gap_close(struct store *st, int64_t gap_id, int64_t closed_at);
int sl_gaps_open_list(struct store *st, int64_t device_id, struct store_gap_list *out);
int sl_district_upsert(struct store *st, const struct store_district *d, int64_t *id);
int sl_district_find(struct store *st, const char *code, int64_t *id);
int sl_shelter_upsert(struct store *st, const struct store_shelter *s, int64_t *id);
int sl_shelter_set_status(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                          const char *needs);
int sl_shelter_get(struct store *st, int64_t id, struct store_shelter_list *out);
int sl_shelters_list(struct store *st, bool open_only, struct store_shelter_list *out);
int sl_hazard_areas(struct store *st, const double *bbox, size_t offset, size_t limit,
                    struct store_hazard_area_list *out);
int sl_hazard_area_get(struct store *st, int64_t id, struct store_hazard_area_list *out);
int sl_hazard_layer_create(struct store *st, const struct store_hazard_layer *l, int64_t *id);
int sl_hazard_features_add(struct store *st, int64_t layer_id, const struct store_hazard_feature *f,
                           size_t n);
int sl_hazard_layer_activate(struct store *st, int64_t layer_id);
int sl_hazard_layer_delete(struct store *st, int64_t layer_id);
int sl_hazard_layers_list(struct store *st, struct store_hazard_layer_list *out);
int sl_watch_point_put(struct store *st, const struct store_watch_point *w, int64_t *id);
int sl_watch_point_delete(struct store *st, int64_t id);
int sl_watch_points_list(struct store *st, struct store_watch_point_list *out);
int sl_user_add(struct store *st, const struct store_user *u, int64_t *id);
int sl_user_set_password(struct store *st, int64_t id, const char *password_hash);
int sl_user_set_disabled(struct store *st, int64_t id, bool disabled);
int sl_user_get(struct store *st, const char *name, struct store_user_list *out);
int sl_users_list(struct store *st, struct store_user_list *out);
int sl_session_add(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                   const char *csrf, int64_t created_at, int64_t expires_at);
int sl_session_get(struct store *st, const unsigned char token_hash[32], int64_t now,
                   struct store_session_list *out);
int sl_session_touch(struct store *st, const unsigned char token_hash[32], int64_t now);
int sl_session_delete(struct store *st, const unsigned char token_hash[32]);
int sl_sessions_purge(struct store *st, int64_t now, size_t *removed);
int sl_audit_add(struct store *st, int64_t user_id, const char *actor, const char *action,
                 const char *object, const char *before_json, const char *after_json);
int sl_audit_list(struct store *st, int64_t after_id, size_t limit, struct store_audit_list *out);
int sl_audit_query(struct store *st, const struct store_audit_filter *f,
                   struct store_audit_list *out);
int sl_report_create(struct store *st, const struct store_report *r, int64_t *id);
int sl_report_add_photo(struct store *st, int64_t report_id, const char *path,
                        const char *content_type, int64_t bytes);
int sl_report_update(struct store *st, int64_t id, const char *status, bool is_public);
int sl_reports_list(struct store *st, bool public_only, size_t limit,
                    struct store_report_list *out);
int sl_order_issue(struct store *st, const struct store_order *o, int64_t *id);
int sl_order_lift(struct store *st, int64_t id, int64_t lifted_at);
int sl_orders_list(struct store *st, bool all_history, struct store_order_list *out);
int sl_notice_publish(struct store *st, const struct store_notice *n, int64_t *id);
int sl_notice_withdraw(struct store *st, int64_t id, int64_t at);
int sl_notices_in_force(struct store *st, int64_t now, bool public_only,
                        struct store_notice_list *out);
int sl_timeline_put(struct store *st, const unsigned char token_hash[32], int64_t district_id,
                    unsigned levels_mask, const void *nonce, size_t nonce_len,
                    const void *ciphertext, size_t ciphertext_len);
int sl_timeline_get(struct store *st, const unsigned char token_hash[32],
                    struct store_timeline *out);
int sl_timeline_delete(struct store *st, const unsigned char token_hash[32]);
int sl_timelines_expire(struct store *st, int64_t before, size_t *removed);
int sl_timeline_stats(struct store *st, struct store_timeline_stat_list *out);
int sl_notify_rule_add(struct store *st, const struct store_notify_rule *r, int64_t *id);
int sl_notify_rule_delete(struct store *st, int64_t id);
int sl_notify_rules_list(struct store *st, struct store_notify_rule_list *out);
int sl_notify_enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now);
int sl_notify_due(struct store *st, int64_t now, size_t limit, struct store_notify_item_list *out);
int sl_notify_mark(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                   const char *error);
int sl_notify_release(struct store *st, int64_t id, int64_t now);
/* Operations of sl_jma.c. */
int sl_jma_telegram_put(struct store *st, const struct store_jma_telegram *t);
int sl_jma_telegram_get(struct store *st, const char *url, struct store_jma_telegram_list *out);
int sl_jma_telegrams_done(struct store *st, int64_t since, struct store_jma_telegram_list *out);
int sl_exercise_clear(struct store *st, struct store_exercise_removed *out);
int sl_drill_begin(struct store *st, const char *scenario, bool is_public, const char *areas,
                   int64_t *id);
/* The view a query binds: STORE_VIEW_PUBLIC is STORE_VIEW_ALL in a store
 * opened with all_exercise (the demo's, where every row is a drill's). */
int sl_view(struct sl *b, int view);
int sl_drill_public(struct store *st, bool *on);
int sl_drill_area_public(struct store *st, const char *area_code, int64_t district_id, bool *on);
int sl_jma_telegrams_count(struct store *st, const char *state, int64_t *n);

/* Geo lookups: sl_geo.c.  sl_geo_cache_free() accepts an empty cache. */
void sl_geo_cache_free(struct sl *b);
int sl_geo_hazard_at(struct store *st, double lon, double lat, int view,
                     struct geo_hazard_answer *out);
int sl_geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard h, size_t n,
                         struct geo_shelter_list *out);
int sl_geo_address_search(struct store *st, const char *text, size_t limit,
                          struct geo_address_list *out);
int sl_geo_picker_districts(struct store *st, struct geo_pick_list *out);
int sl_geo_picker_towns(struct store *st, const char *district_code, struct geo_address_list *out);
int sl_geo_area_code_upsert(struct store *st, const struct geo_area_code *c);
int sl_geo_addresses_upsert(struct store *st, const struct geo_address_in *a, size_t n);
int sl_geo_addresses_assign_districts(struct store *st, size_t *n);
int sl_geo_count(struct store *st, const char *what, int64_t *n);

/* Roads, tiles and routes: sl_roads.c.  sl_route_cache_free() accepts an
 * empty cache. */
void sl_route_cache_free(struct sl *b);
int sl_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id);
int sl_road_node_add(struct store *st, int64_t graph_id, double lon, double lat, const char *name,
                     int64_t *id);
int sl_road_edges_add(struct store *st, int64_t graph_id, const struct store_road_edge *e,
                      size_t n);
int sl_road_graph_activate(struct store *st, int64_t graph_id);
int sl_road_graphs_list(struct store *st, struct store_road_graph_list *out);
int sl_layer_polygons(struct store *st, const char *layer, store_polygon_cb cb, void *ctx);
int sl_tile_set_create(struct store *st, const char *layer, const char *version, int min_zoom,
                       int max_zoom, int64_t *id);
int sl_tile_put(struct store *st, int64_t set_id, int z, int x, int y, const void *data,
                size_t len);
int sl_tile_set_activate(struct store *st, int64_t set_id);
int sl_tile_version(struct store *st, const char *layer, char version[65]);
int sl_tile_get(struct store *st, const char *layer, int z, int x, int y, void **data, size_t *len,
                char version[65]);
int sl_geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
                 const struct geo_route_opts *o, struct geo_route *out);

#endif
