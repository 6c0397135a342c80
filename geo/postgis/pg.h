/* The PostGIS backend: internal to geo/postgis/.  One libpq connection
 * per handle (the primary: every write goes there). */
#ifndef SONAE_PG_H
#define SONAE_PG_H

#include "../store_backend.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdint.h>

/* What one commit has written of a station's observations. */
struct pg_pending_obs {
        int64_t station_id;
        size_t count;
        int64_t first_at, last_at;
};

/* The statements one connection keeps prepared (pg_qp). */
#define PG_PREP_MAX 32

struct pg {
        struct store base; /* first member: struct store * casts to struct pg * */
        PGconn *conn;
        char *dsn;
        int tx_depth;
        int tx_err;      /* first error inside the open transaction */
        bool event_lock; /* this transaction holds the events lock */
        struct pg_pending_obs *pending;
        size_t n_pending, cap_pending;
        unsigned reconnects;             /* for the tests and the logs */
        struct route_cache *route_cache; /* the road graph for routes (pg_roads.c) */
        char *prep[PG_PREP_MAX];         /* the statements prepared by pg_qp(), by number */
        size_t n_prep;
        unsigned prep_reconnects; /* reconnects when they were prepared */
};

#define PG(st) ((struct pg *)(st))

/* The cap of one column's array text in a batched write. */
#define PG_BATCH_MAX (256u * 1024 * 1024)

/* The store's code for a failed result (SQLSTATE mapped; connection loss
 * is -EIO). */
int pg_err(struct pg *b, const PGresult *r);

/* Runs sql with parameters $1.. described by fmt, one letter each:
 *   t  const char *      text, NULL as NULL
 *   i  int64_t
 *   I  int64_t           0 as NULL
 *   d  double            non-finite as NULL
 *   b  int               0/1
 *   L  int               a level 1-5, else NULL
 *   B  const void *, size_t   bytea (binary), NULL as NULL
 * On success *res (when res is not NULL) is the result, which the caller
 * PQclear()s; without res the result is dropped.  Outside a transaction
 * a lost connection is reset once before the statement. */
int pg_q(struct pg *b, PGresult **res, const char *sql, const char *fmt, ...);
int pg_qv(struct pg *b, PGresult **res, const char *sql, const char *fmt, va_list ap);
/* pg_q for the statements of the hot lookups: prepared once per
 * connection (parsed and planned once, not on every call), then executed
 * with the parameters.  Past PG_PREP_MAX statements it runs as pg_q. */
int pg_qp(struct pg *b, PGresult **res, const char *sql, const char *fmt, ...);
void pg_prep_free(struct pg *b);
/* One integer from the first row: 0, -ENOENT without a row, or an error. */
int pg_query_int(struct pg *b, int64_t *out, const char *sql, const char *fmt, ...);
/* An UPDATE/DELETE in its own transaction (or the caller's); -ENOENT when
 * it touched no row. */
int pg_change(struct pg *b, const char *sql, const char *fmt, ...);

/* Nesting transactions: the outermost begin sends BEGIN (resetting a lost
 * connection first), the outermost end writes the coalesced events and
 * commits, or rolls back when any step failed.  end() returns the first
 * error. */
int pg_tx_begin(struct pg *b);
int pg_tx_end(struct pg *b, int rc);

/* Writes an event.  The first event of a transaction takes the events
 * lock, held until commit: event ids then commit in id order, so a reader
 * paging by id never skips one committed late. */
int pg_event(struct pg *b, const char *type, const char *subject, int level, bool is_public,
             bool exercise, const char *data);
int pg_pending_add(struct pg *b, int64_t station_id, size_t count, int64_t first_at,
                   int64_t last_at);

/* Column readers: NULL reads as 0, NAN or NULL (strdup'd). */
int64_t pg_col_i64(const PGresult *r, int row, int col);
double pg_col_double(const PGresult *r, int row, int col);
char *pg_col_strdup(const PGresult *r, int row, int col);
bool pg_col_null(const PGresult *r, int row, int col);

/* pg_q and then pg_rows: the rows of sql into *v (count *n); on an error
 * the caller frees what the list holds with the list's _free. */
int pg_list(struct pg *b, void **v, size_t *n, size_t elem_size,
            int (*fill)(const PGresult *r, int row, void *elem, void *ctx), void *ctx,
            const char *sql, const char *fmt, ...);
/* A bytea column as a new buffer (caller frees; NUL-terminated, *len
 * without the NUL); NULL when out of memory. */
void *pg_col_bytea(const PGresult *r, int row, int col, size_t *len);
/* rc of a statement that parsed WKB or WKT: PostGIS's parse errors are
 * -EINVAL, not -EIO. */
int pg_geom_rc(struct pg *b, int rc);
/* A geometry from WKB or else WKT in SRID 6668 (ST_Multi when multi), as
 * the hex EWKB text that a $n::geometry parameter reads; *hex caller frees.
 * -EINVAL when neither is given or it does not parse. */
int pg_geom(struct pg *b, const unsigned char *wkb, size_t wkb_len, const char *wkt, bool multi,
            char **hex);

/* One element of elem_size per row of r into a new array *v (count *n)
 * through fill(), which returns 0 or a negative code; elements are zeroed
 * first and counted even when fill fails, so the list's free releases
 * what was set.  Takes r (PQclear). */
int pg_rows(PGresult *r, void **v, size_t *n, size_t elem_size,
            int (*fill)(const PGresult *r, int row, void *elem, void *ctx), void *ctx);

int64_t pg_now(void);

/* Array literals for batched writes ("{1,2,3}" for unnest()): element i
 * appended to a (capped buffer), then pg_arr_end() with the count; each
 * returns 0 or, past the cap, -ENOBUFS.  Doubles print exactly (%.17g), non-finite as NULL; text is
 * quoted, NULL as NULL. */
struct buf;
int pg_arr_i64(struct buf *a, size_t i, int64_t v);
int pg_arr_double(struct buf *a, size_t i, double v);
int pg_arr_text(struct buf *a, size_t i, const char *s);
int pg_arr_end(struct buf *a, size_t n);
/* Bytes as lowercase hex (for decode(…, 'hex') on the server). */
int pg_put_hex(struct buf *a, const void *p, size_t n);

/* pg_stations.c */
int pg_station_upsert(struct store *st, const struct store_station *in, int64_t *id);
int pg_station_find(struct store *st, const char *source, const char *external_id, int64_t *id);
int pg_observations_add(struct store *st, const struct store_obs *v, size_t n,
                        struct store_obs_result *res);
int pg_observations_range(struct store *st, int64_t station_id, const char *quantity, int64_t from,
                          int64_t to, size_t limit, struct store_obs_list *out);
int pg_latest(struct store *st, int64_t station_id, int64_t now, struct store_latest_list *out);
/* For the store's own tests: the plan of the latest-for-every-station
 * statement run once (EXPLAIN ANALYZE, one line per row into plan) and the
 * buffers (8 KiB blocks, hit or read) it touched. */
int pg_latest_stats(struct store *st, char *plan, size_t plan_len, int64_t *buffers);
int pg_stations_refresh_state(struct store *st, int64_t now, size_t *changed);
int pg_station_set_state(struct store *st, int64_t station_id, enum station_state state,
                         int64_t seen_at);

/* pg_sources.c: raw documents, the JMA telegram ledger. */
int pg_jma_telegram_put(struct store *st, const struct store_jma_telegram *t);
int pg_jma_telegram_get(struct store *st, const char *url, struct store_jma_telegram_list *out);
int pg_jma_telegrams_done(struct store *st, int64_t since, struct store_jma_telegram_list *out);
int pg_jma_telegrams_count(struct store *st, const char *state, int64_t *n);
int pg_raw_document_put(struct store *st, const char *source, const char *url,
                        const char *content_type, const void *body, size_t len, int64_t fetched_at,
                        int64_t *id, bool *is_new);
int pg_raw_document_find(struct store *st, const char *url, int64_t *id);
int pg_raw_document_body(struct store *st, int64_t id, void **body, size_t *len);

/* pg_roads.c: road graphs, layer polygons, routes; the handle's graph in
 * memory (route_cache.h) freed with it. */
int pg_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id);
int pg_road_node_add(struct store *st, int64_t graph_id, double lon, double lat, const char *name,
                     int64_t *id);
int pg_road_edges_add(struct store *st, int64_t graph_id, const struct store_road_edge *e,
                      size_t n);
int pg_road_graph_activate(struct store *st, int64_t graph_id);
int pg_road_graphs_list(struct store *st, struct store_road_graph_list *out);
int pg_layer_polygons(struct store *st, const char *layer, store_polygon_cb cb, void *ctx);
int pg_geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
                 const struct geo_route_opts *o, struct geo_route *out);
void pg_route_cache_free(struct pg *b);

/* pg_tiles.c: tile sets, cut on the server with ST_AsMVT. */
int pg_tile_set_create(struct store *st, const char *layer, const char *version, int min_zoom,
                       int max_zoom, int64_t *id);
int pg_tile_put(struct store *st, int64_t set_id, int z, int x, int y, const void *data,
                size_t len);
int pg_tile_set_activate(struct store *st, int64_t set_id);
int pg_tile_version(struct store *st, const char *layer, char version[65]);
int pg_tile_get(struct store *st, const char *layer, int z, int x, int y, void **data, size_t *len,
                char version[65]);
int pg_tile_features_add(struct store *st, int64_t set_id, const char *const *fields,
                         size_t n_fields, const struct store_tile_feature *f, size_t n);
int pg_tile_set_cut(struct store *st, int64_t set_id, size_t *n);

/* pg_devices.c: devices, calibration, readings, gaps, source health. */
int pg_source_health_set(struct store *st, const char *name, const char *state, const char *error,
                         bool exercise);
int pg_source_status_list(struct store *st, struct store_source_status_list *out);
int pg_device_add(struct store *st, const struct store_device *d, int64_t *id);
int pg_device_update(struct store *st, const struct store_device *d);
int pg_device_get(struct store *st, const char *device, struct store_device *out);
int pg_devices_list(struct store *st, struct store_device_list *out);
int pg_device_health_set(struct store *st, int64_t device_id, const char *health,
                         int64_t last_seen_at, const char *fw, double batt_v, double rssi_dbm);
int pg_calibration_add(struct store *st, int64_t device_id, const struct store_calibration *c);
int pg_calibration_at(struct store *st, int64_t device_id, int64_t t,
                      struct store_calibration *out);
int pg_readings_add(struct store *st, const struct store_reading *v, size_t n,
                    struct store_obs_result *res);
int pg_readings_last(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq);
int pg_readings_count(struct store *st, int64_t device_id, int64_t *count);
int pg_gap_open(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                int64_t to_seq, int64_t *id);
int pg_gap_close(struct store *st, int64_t gap_id, int64_t closed_at);
int pg_gaps_open_list(struct store *st, int64_t device_id, struct store_gap_list *out);

/* pg_places.c: areas, districts, shelters, hazard layers. */
int pg_area_upsert(struct store *st, const struct store_area *a);
int pg_district_upsert(struct store *st, const struct store_district *d, int64_t *id);
int pg_district_find(struct store *st, const char *code, int64_t *id);
int pg_shelter_upsert(struct store *st, const struct store_shelter *s, int64_t *id);
int pg_shelter_set_status(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                          const char *needs);
int pg_hazard_layer_create(struct store *st, const struct store_hazard_layer *l, int64_t *id);
int pg_hazard_features_add(struct store *st, int64_t layer_id, const struct store_hazard_feature *f,
                           size_t n);
int pg_hazard_layer_activate(struct store *st, int64_t layer_id);
int pg_hazard_layer_delete(struct store *st, int64_t layer_id);
int pg_hazard_layers_list(struct store *st, struct store_hazard_layer_list *out);
int pg_hazard_areas(struct store *st, const double *bbox, size_t offset, size_t limit,
                    struct store_hazard_area_list *out);
int pg_hazard_area_get(struct store *st, int64_t id, struct store_hazard_area_list *out);
int pg_shelter_get(struct store *st, int64_t id, struct store_shelter_list *out);
int pg_shelters_list(struct store *st, bool open_only, struct store_shelter_list *out);
int pg_area_name(struct store *st, const char *code, char **name);
int pg_area_geojson(struct store *st, const char *code, double tol, char **geojson, double bbox[4]);
int pg_area_rings(struct store *st, const char *code, size_t max_points,
                  struct store_area_rings *out);
int pg_district_rings(struct store *st, int64_t district_id, size_t max_points,
                      struct store_area_rings *out, char **name, char **area_code);
int pg_area_shapes(struct store *st, double tolerance, struct store_area_shape_list *out);

/* pg_alerts.c: JMA alerts, what is in force, the areas' status. */
int pg_alert_add(struct store *st, const struct store_alert *a, int64_t *id);
int pg_alerts_list(struct store *st, const char *area_code, int64_t from, int64_t to, size_t limit,
                   struct store_alert_list *out);
int pg_area_set_in_force(struct store *st, const char *area_code, const char *area_name,
                         bool exercise, const struct store_area_kind *kinds, size_t n);
int pg_area_status_list(struct store *st, int view, struct store_area_status_list *out);

/* pg_cameras.c: camera images, states, gauge links. */
int pg_camera_image_add(struct store *st, const struct store_camera_image *img, int64_t *id);
int pg_camera_images_list(struct store *st, int64_t station_id, int64_t from, int64_t to,
                          size_t limit, struct store_camera_image_list *out);
int pg_camera_image_get(struct store *st, int64_t station_id, int64_t image_id,
                        struct store_camera_image_list *out);
int pg_camera_images_prune(struct store *st, int64_t station_id, int64_t before,
                           struct store_camera_image_list *out);
int pg_camera_set_state(struct store *st, int64_t station_id, const char *state);
int pg_camera_get_state(struct store *st, int64_t station_id, const char **state);
int pg_camera_link_gauge(struct store *st, int64_t camera_id, const char *gauge_source,
                         const char *gauge_external_id);
int pg_camera_gauge(struct store *st, int64_t camera_id, int64_t *gauge_id);

/* pg_geo.c: the geo lookups and their import support. */
int pg_geo_hazard_at(struct store *st, double lon, double lat, int view,
                     struct geo_hazard_answer *out);
int pg_geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard hz, size_t n,
                         struct geo_shelter_list *out);
int pg_geo_address_search(struct store *st, const char *text, size_t limit,
                          struct geo_address_list *out);
int pg_geo_picker_districts(struct store *st, struct geo_pick_list *out);
int pg_geo_picker_towns(struct store *st, const char *district_code, struct geo_address_list *out);
int pg_geo_area_code_upsert(struct store *st, const struct geo_area_code *c);
int pg_geo_addresses_upsert(struct store *st, const struct geo_address_in *a, size_t n);
int pg_geo_addresses_assign_districts(struct store *st, size_t *n);
int pg_geo_count(struct store *st, const char *what, int64_t *n);
/* pg_city.c: users, sessions, audit log, reports, orders, notices,
 * timelines, notification rules and queue, watch points.  pg_drill.c:
 * drills and the removal of their data. */
int pg_user_add(struct store *st, const struct store_user *u, int64_t *id);
int pg_user_set_password(struct store *st, int64_t id, const char *password_hash);
int pg_user_set_disabled(struct store *st, int64_t id, bool disabled);
int pg_user_get(struct store *st, const char *name, struct store_user_list *out);
int pg_users_list(struct store *st, struct store_user_list *out);
int pg_session_add(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                   const char *csrf, int64_t created_at, int64_t expires_at);
int pg_session_get(struct store *st, const unsigned char token_hash[32], int64_t now,
                   struct store_session_list *out);
int pg_session_touch(struct store *st, const unsigned char token_hash[32], int64_t now);
int pg_session_delete(struct store *st, const unsigned char token_hash[32]);
int pg_sessions_purge(struct store *st, int64_t now, size_t *removed);
int pg_audit_add(struct store *st, int64_t user_id, const char *actor, const char *action,
                 const char *object, const char *before_json, const char *after_json);
int pg_audit_list(struct store *st, int64_t after_id, size_t limit, struct store_audit_list *out);
int pg_audit_query(struct store *st, const struct store_audit_filter *f,
                   struct store_audit_list *out);
int pg_report_create(struct store *st, const struct store_report *rep, int64_t *id);
int pg_report_add_photo(struct store *st, int64_t report_id, const char *path,
                        const char *content_type, int64_t bytes);
int pg_report_update(struct store *st, int64_t id, const char *status, bool is_public);
int pg_reports_list(struct store *st, bool public_only, size_t limit,
                    struct store_report_list *out);
int pg_order_issue(struct store *st, const struct store_order *o, int64_t *id);
int pg_order_lift(struct store *st, int64_t id, int64_t lifted_at);
int pg_orders_list(struct store *st, bool all_history, struct store_order_list *out);
int pg_notice_publish(struct store *st, const struct store_notice *n, int64_t *id);
int pg_notice_withdraw(struct store *st, int64_t id, int64_t at);
int pg_notices_in_force(struct store *st, int64_t now, bool public_only,
                        struct store_notice_list *out);
int pg_timeline_put(struct store *st, const unsigned char token_hash[32], int64_t district_id,
                    unsigned levels_mask, const void *nonce, size_t nonce_len,
                    const void *ciphertext, size_t ciphertext_len);
int pg_timeline_get(struct store *st, const unsigned char token_hash[32],
                    struct store_timeline *out);
int pg_timeline_delete(struct store *st, const unsigned char token_hash[32]);
int pg_timelines_expire(struct store *st, int64_t before, size_t *removed);
int pg_timeline_stats(struct store *st, struct store_timeline_stat_list *out);
int pg_notify_rule_add(struct store *st, const struct store_notify_rule *nr, int64_t *id);
int pg_notify_rule_delete(struct store *st, int64_t id);
int pg_notify_rules_list(struct store *st, struct store_notify_rule_list *out);
int pg_notify_enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now);
int pg_notify_due(struct store *st, int64_t now, size_t limit, struct store_notify_item_list *out);
int pg_notify_mark(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                   const char *error);
int pg_notify_release(struct store *st, int64_t id, int64_t now);
int pg_watch_point_put(struct store *st, const struct store_watch_point *w, int64_t *id);
int pg_watch_point_delete(struct store *st, int64_t id);
int pg_watch_points_list(struct store *st, struct store_watch_point_list *out);
int pg_exercise_clear(struct store *st, struct store_exercise_removed *out);
int pg_drill_begin(struct store *st, const char *scenario, bool is_public, const char *areas,
                   int64_t *id);
int pg_drill_public(struct store *st, bool *on);
int pg_drill_area_public(struct store *st, const char *area_code, int64_t district_id, bool *on);

/* pg_listen.c: the channel every commit that wrote events notifies, with
 * the newest event id as payload; store_events_wait() on PostGIS. */
#define PG_EVENTS_CHANNEL "sonae_events"
int pg_events_wait(struct store *st, int timeout_ms, int64_t *last_id);

/* A growing list of strings, NULL-terminated (an environment for execve). */
struct pg_strv {
        char **v;
        size_t n, cap;
};
/* Appends a copy of s: 0 or -ENOMEM. */
int pg_strv_add(struct pg_strv *e, const char *s);
void pg_strv_free(struct pg_strv *e);

/* pg_dump.c: store_backup() through pg_dump -Fc (store_restore() is
 * postgis_store_restore(), store_backend.h). */
int pg_dump_backup(struct store *st, const char *path);

#endif
