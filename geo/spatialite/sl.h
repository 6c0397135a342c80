/* The SpatiaLite backend: internal to geo/spatialite/. */
#ifndef SONAE_SL_H
#define SONAE_SL_H

#include "../store_backend.h"

#include <sqlite3.h>
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

/* Binds text or NULL. */
int sl_bind_text(sqlite3_stmt *s, int i, const char *v);
int sl_bind_double_or_null(sqlite3_stmt *s, int i, double v);
char *sl_col_strdup(sqlite3_stmt *s, int i);
double sl_col_double_or_nan(sqlite3_stmt *s, int i);

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

#endif
