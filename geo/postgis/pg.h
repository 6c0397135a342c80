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

struct pg {
        struct store base; /* first member: struct store * casts to struct pg * */
        PGconn *conn;
        char *dsn;
        int tx_depth;
        int tx_err;      /* first error inside the open transaction */
        bool event_lock; /* this transaction holds the events lock */
        struct pg_pending_obs *pending;
        size_t n_pending, cap_pending;
        unsigned reconnects; /* for the tests and the logs */
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

/* One element of elem_size per row of r into a new array *v (count *n)
 * through fill(), which returns 0 or a negative code; elements are zeroed
 * first and counted even when fill fails, so the list's free releases
 * what was set.  Takes r (PQclear). */
int pg_rows(PGresult *r, void **v, size_t *n, size_t elem_size,
            int (*fill)(const PGresult *r, int row, void *elem, void *ctx), void *ctx);

int64_t pg_now(void);

/* pg_stations.c */
int pg_station_upsert(struct store *st, const struct store_station *in, int64_t *id);
int pg_station_find(struct store *st, const char *source, const char *external_id, int64_t *id);
int pg_observations_add(struct store *st, const struct store_obs *v, size_t n,
                        struct store_obs_result *res);
int pg_observations_range(struct store *st, int64_t station_id, const char *quantity, int64_t from,
                          int64_t to, size_t limit, struct store_obs_list *out);
int pg_latest(struct store *st, int64_t station_id, int64_t now, struct store_latest_list *out);
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

/* pg_devices.c: devices, calibration, readings, gaps, source health. */
int pg_source_health_set(struct store *st, const char *name, const char *state, const char *error);
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
