/* The PostGIS backend: connecting, reconnecting, migrations, transactions,
 * events, parameters. */
#include "pg.h"

#include "../schema/schema.h"
#include "buf.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory lock keys (pg_advisory_xact_lock): migrations, and the events
 * table's commit order. */
#define PG_LOCK_MIGRATE 0x50616f01LL
#define PG_LOCK_EVENTS  0x50616f02LL

#define PG_MAX_PARAMS 32

int64_t pg_now(void)
{
        return time_now_ms() / 1000;
}

int pg_err(struct pg *b, const PGresult *r)
{
        if (PQstatus(b->conn) != CONNECTION_OK)
                return -EIO;
        if (!r)
                return -ENOMEM;
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (!state)
                return -EIO;
        if (strcmp(state, "23505") == 0)
                return -EEXIST; /* unique_violation */
        if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
                return -EINVAL; /* integrity constraint, data exception */
        if (strcmp(state, "53100") == 0)
                return -ENOSPC; /* disk_full */
        if (strcmp(state, "53200") == 0)
                return -ENOMEM;
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
            strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
                return -EBUSY; /* serialisation, deadlock, lock or statement timeout */
        if (strcmp(state, "25006") == 0)
                return -EROFS; /* read_only_sql_transaction: a replica */
        if (strncmp(state, "42", 2) == 0 || strcmp(state, "3F000") == 0)
                return -EBADMSG; /* a table or column missing: not a store */
        return -EIO;
}

/* Outside a transaction, a lost connection is reset before the next
 * statement: a restarted server or a terminated backend costs one failed
 * call, which the daemons retry. */
static int ensure_conn(struct pg *b)
{
        if (PQstatus(b->conn) == CONNECTION_OK)
                return 0;
        if (b->tx_depth > 0)
                return -EIO;
        PQreset(b->conn);
        if (PQstatus(b->conn) != CONNECTION_OK)
                return -EIO;
        b->reconnects++;
        return 0;
}

/* The parameters of fmt (pg.h) as libpq's arrays; their count, or
 * -EINVAL. */
static int params(const char *fmt, va_list ap, const char **values, int *lengths, int *formats,
                  char (*nums)[32])
{
        int n = 0;
        for (; *fmt; fmt++, n++) {
                if (n == PG_MAX_PARAMS)
                        return -EINVAL;
                lengths[n] = 0;
                formats[n] = 0;
                values[n] = nums[n];
                switch (*fmt) {
                case 't':
                        values[n] = va_arg(ap, const char *);
                        break;
                case 'i':
                        snprintf(nums[n], sizeof(nums[n]), "%lld", (long long)va_arg(ap, int64_t));
                        break;
                case 'I': {
                        int64_t v = va_arg(ap, int64_t);
                        if (v)
                                snprintf(nums[n], sizeof(nums[n]), "%lld", (long long)v);
                        else
                                values[n] = NULL;
                        break;
                }
                case 'd': {
                        double v = va_arg(ap, double);
                        if (isfinite(v))
                                snprintf(nums[n], sizeof(nums[n]), "%.17g", v);
                        else
                                values[n] = NULL;
                        break;
                }
                case 'b':
                        snprintf(nums[n], sizeof(nums[n]), "%d", va_arg(ap, int) ? 1 : 0);
                        break;
                case 'L': {
                        int v = va_arg(ap, int);
                        if (v >= LEVEL_1 && v <= LEVEL_5)
                                snprintf(nums[n], sizeof(nums[n]), "%d", v);
                        else
                                values[n] = NULL;
                        break;
                }
                case 'B': {
                        const void *p = va_arg(ap, const void *);
                        size_t len = va_arg(ap, size_t);
                        if (len > INT32_MAX)
                                return -EINVAL;
                        values[n] = p;
                        lengths[n] = (int)len;
                        formats[n] = 1;
                        break;
                }
                default:
                        return -EINVAL;
                }
        }
        return n;
}

static int result(struct pg *b, PGresult *r, PGresult **res)
{
        ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
                int rc = pg_err(b, r);
                PQclear(r);
                return rc;
        }
        if (res)
                *res = r;
        else
                PQclear(r);
        return 0;
}

int pg_qv(struct pg *b, PGresult **res, const char *sql, const char *fmt, va_list ap)
{
        const char *values[PG_MAX_PARAMS];
        int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
        char nums[PG_MAX_PARAMS][32];
        if (res)
                *res = NULL;
        int n = params(fmt, ap, values, lengths, formats, nums);
        if (n < 0)
                return n;
        int rc = ensure_conn(b);
        if (rc < 0)
                return rc;
        return result(b, PQexecParams(b->conn, sql, n, NULL, values, lengths, formats, 0), res);
}

/* The name of sql prepared on this connection, preparing it the first
 * time; a reset connection has none of the old ones. */
static int prepared(struct pg *b, const char *sql, int n, char name[16])
{
        if (b->prep_reconnects != b->reconnects) {
                pg_prep_free(b);
                b->prep_reconnects = b->reconnects;
        }
        size_t i = 0;
        while (i < b->n_prep && strcmp(b->prep[i], sql) != 0)
                i++;
        snprintf(name, 16, "sonae_%zu", i);
        if (i < b->n_prep)
                return 0;
        if (i == PG_PREP_MAX)
                return -ENOSPC;
        char *copy = strdup(sql);
        if (!copy)
                return -ENOMEM;
        int rc = result(b, PQprepare(b->conn, name, sql, n, NULL), NULL);
        if (rc < 0) {
                free(copy);
                return rc;
        }
        b->prep[b->n_prep++] = copy;
        return 0;
}

int pg_qp(struct pg *b, PGresult **res, const char *sql, const char *fmt, ...)
{
        const char *values[PG_MAX_PARAMS];
        int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
        char nums[PG_MAX_PARAMS][32], name[16];
        if (res)
                *res = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = params(fmt, ap, values, lengths, formats, nums);
        va_end(ap);
        if (n < 0)
                return n;
        int rc = ensure_conn(b);
        if (rc == 0)
                rc = prepared(b, sql, n, name);
        if (rc == -ENOSPC) /* more statements than kept: run it unprepared */
                return result(b, PQexecParams(b->conn, sql, n, NULL, values, lengths, formats, 0),
                              res);
        if (rc < 0)
                return rc;
        return result(b, PQexecPrepared(b->conn, name, n, values, lengths, formats, 0), res);
}

void pg_prep_free(struct pg *b)
{
        for (size_t i = 0; i < b->n_prep; i++)
                free(b->prep[i]);
        b->n_prep = 0;
}

int pg_q(struct pg *b, PGresult **res, const char *sql, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int rc = pg_qv(b, res, sql, fmt, ap);
        va_end(ap);
        return rc;
}

int pg_query_int(struct pg *b, int64_t *out, const char *sql, const char *fmt, ...)
{
        PGresult *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        int rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        if (rc < 0)
                return rc;
        if (PQntuples(r) > 0)
                *out = pg_col_i64(r, 0, 0);
        else
                rc = -ENOENT;
        PQclear(r);
        return rc;
}

int pg_change(struct pg *b, const char *sql, const char *fmt, ...)
{
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        PGresult *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        if (rc == 0 && strcmp(PQcmdTuples(r), "0") == 0)
                rc = -ENOENT;
        PQclear(r);
        return pg_tx_end(b, rc);
}

int64_t pg_col_i64(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double pg_col_double(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? NAN : strtod(PQgetvalue(r, row, col), NULL);
}

char *pg_col_strdup(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

bool pg_col_null(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) != 0;
}

int pg_list(struct pg *b, void **v, size_t *n, size_t elem_size,
            int (*fill)(const PGresult *r, int row, void *elem, void *ctx), void *ctx,
            const char *sql, const char *fmt, ...)
{
        PGresult *r = NULL;
        *v = NULL;
        *n = 0;
        va_list ap;
        va_start(ap, fmt);
        int rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        return rc < 0 ? rc : pg_rows(r, v, n, elem_size, fill, ctx);
}

void *pg_col_bytea(const PGresult *r, int row, int col, size_t *len)
{
        /* Text results carry bytea as \x hex; unescaped here, and copied so
         * the caller frees with free(), NUL-terminated like SpatiaLite's. */
        size_t n = 0;
        *len = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
        if (!raw)
                return NULL;
        char *p = malloc(n + 1);
        if (p) {
                memcpy(p, raw, n);
                p[n] = '\0';
                *len = n;
        }
        PQfreemem(raw);
        return p;
}

int pg_geom_rc(struct pg *b, int rc)
{
        /* PostGIS reports unparsable WKB or WKT as an internal error
         * (XX000), which pg_err() cannot tell from a server fault: with the
         * connection still up it is the input that was bad. */
        if (rc == -EIO && PQstatus(b->conn) == CONNECTION_OK)
                return -EINVAL;
        return rc;
}

int pg_geom(struct pg *b, const unsigned char *wkb, size_t wkb_len, const char *wkt, bool multi,
            char **hex)
{
        static const char *const sql_single =
            "SELECT coalesce(ST_GeomFromWKB($1, 6668), ST_GeomFromText($2, 6668))";
        static const char *const sql_multi =
            "SELECT ST_Multi(coalesce(ST_GeomFromWKB($1, 6668), ST_GeomFromText($2, 6668)))";
        *hex = NULL;
        if (!wkb && !wkt)
                return -EINVAL;
        PGresult *r = NULL;
        /* This statement does nothing else: an internal error on a live
         * connection is the caller's value. */
        int rc =
            pg_geom_rc(b, pg_q(b, &r, multi ? sql_multi : sql_single, "Bt", wkb, wkb_len, wkt));
        if (rc < 0)
                return rc;
        if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
                rc = -EINVAL;
        else if (!(*hex = pg_col_strdup(r, 0, 0)))
                rc = -ENOMEM;
        PQclear(r);
        return rc;
}

int pg_rows(PGresult *r, void **v, size_t *n, size_t elem_size,
            int (*fill)(const PGresult *r, int row, void *elem, void *ctx), void *ctx)
{
        int rows = PQntuples(r), rc = 0;
        *v = NULL;
        *n = 0;
        if (rows > 0 && !(*v = calloc((size_t)rows, elem_size)))
                rc = -ENOMEM;
        for (int i = 0; i < rows && rc == 0; i++) {
                (*n)++;
                rc = fill(r, i, (char *)*v + (size_t)i * elem_size, ctx);
        }
        PQclear(r);
        return rc;
}

int pg_arr_i64(struct buf *a, size_t i, int64_t v)
{
        return buf_printf(a, "%s%lld", i ? "," : "{", (long long)v);
}

int pg_arr_double(struct buf *a, size_t i, double v)
{
        if (!isfinite(v))
                return buf_printf(a, "%sNULL", i ? "," : "{");
        return buf_printf(a, "%s%.17g", i ? "," : "{", v);
}

int pg_arr_text(struct buf *a, size_t i, const char *s)
{
        int rc = buf_putc(a, i ? ',' : '{');
        if (rc < 0 || !s)
                return rc < 0 ? rc : buf_printf(a, "NULL");
        rc = buf_putc(a, '"');
        for (; rc == 0 && *s; s++) {
                if (*s == '"' || *s == '\\')
                        rc = buf_putc(a, '\\');
                if (rc == 0)
                        rc = buf_putc(a, *s);
        }
        return rc < 0 ? rc : buf_putc(a, '"');
}

int pg_arr_end(struct buf *a, size_t n)
{
        return buf_printf(a, "%s}", n ? "" : "{");
}

int pg_put_hex(struct buf *a, const void *p, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *c = p;
        int rc = 0;
        for (size_t k = 0; rc == 0 && k < n; k++) {
                char two[2] = {hex[c[k] >> 4], hex[c[k] & 15]};
                rc = buf_append(a, two, 2);
        }
        return rc;
}

/* ---- Events and transactions ------------------------------------------- */

int pg_event(struct pg *b, const char *type, const char *subject, int level, bool is_public,
             bool exercise, const char *data)
{
        int rc = 0;
        if (!b->event_lock) {
                rc =
                    pg_q(b, NULL, "SELECT pg_advisory_xact_lock($1)", "i", (int64_t)PG_LOCK_EVENTS);
                if (rc < 0)
                        return rc;
                b->event_lock = true;
        }
        return pg_q(b, NULL,
                    "INSERT INTO events (at, type, subject, level, public, exercise, data) "
                    "VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::json, '{}'))",
                    "ittLbbt", pg_now(), type, subject, level, (int)is_public,
                    (int)(exercise || b->base.all_exercise), data);
}

int pg_pending_add(struct pg *b, int64_t station_id, size_t count, int64_t first_at,
                   int64_t last_at)
{
        /* A commit touches few stations; a linear scan from the newest is
         * enough and keeps the order of first appearance for the events. */
        for (size_t i = b->n_pending; i-- > 0;) {
                struct pg_pending_obs *p = &b->pending[i];
                if (p->station_id != station_id)
                        continue;
                p->count += count;
                if (first_at < p->first_at)
                        p->first_at = first_at;
                if (last_at > p->last_at)
                        p->last_at = last_at;
                return 0;
        }
        if (b->n_pending == b->cap_pending) {
                size_t ncap = b->cap_pending ? b->cap_pending * 2 : 64;
                struct pg_pending_obs *np = realloc(b->pending, ncap * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                b->pending = np;
                b->cap_pending = ncap;
        }
        b->pending[b->n_pending++] = (struct pg_pending_obs){station_id, count, first_at, last_at};
        return 0;
}

/* One `station.observations` event per station written in this commit
 * (exercise for a drill's station), in one statement: a JSON array of
 * their data, in order. */
static int pending_flush(struct pg *b)
{
        if (b->n_pending == 0)
                return 0;
        struct buf arr = BUF_INIT(64 * 1024 * 1024);
        int rc = buf_putc(&arr, '[');
        for (size_t i = 0; i < b->n_pending && rc == 0; i++) {
                const struct pg_pending_obs *p = &b->pending[i];
                char t0[32], t1[32];
                time_format_iso8601(p->first_at, 0, 1, t0, sizeof(t0));
                time_format_iso8601(p->last_at, 0, 1, t1, sizeof(t1));
                rc = buf_printf(&arr,
                                "%s{\"station\":%lld,\"count\":%zu,\"from\":\"%s\",\"to\":\"%s\"}",
                                i ? "," : "", (long long)p->station_id, p->count, t0, t1);
        }
        if (rc == 0)
                rc = buf_putc(&arr, ']');
        if (rc < 0)
                rc = -ENOMEM;
        if (rc == 0 && !b->event_lock) {
                rc =
                    pg_q(b, NULL, "SELECT pg_advisory_xact_lock($1)", "i", (int64_t)PG_LOCK_EVENTS);
                b->event_lock = rc == 0;
        }
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "INSERT INTO events (at, type, subject, level, public, exercise, data) "
                          "SELECT $1, 'station.observations', 'stations/' || (e->>'station'), "
                          "NULL, 1, coalesce((SELECT exercise FROM stations WHERE id = "
                          "(e->>'station')::bigint), 0), e FROM json_array_elements($2::json) "
                          "WITH ORDINALITY AS u(e, o) ORDER BY o",
                          "it", pg_now(), arr.data);
        buf_free(&arr);
        b->n_pending = 0;
        return rc;
}

static void raw_rollback(struct pg *b)
{
        if (PQstatus(b->conn) == CONNECTION_OK && PQtransactionStatus(b->conn) != PQTRANS_IDLE) {
                PGresult *r = PQexec(b->conn, "ROLLBACK");
                PQclear(r);
        }
        b->n_pending = 0;
        b->event_lock = false;
}

int pg_tx_begin(struct pg *b)
{
        if (b->tx_depth > 0) {
                if (b->tx_err == 0 && PQstatus(b->conn) != CONNECTION_OK)
                        b->tx_err = -EIO;
                if (b->tx_err)
                        return b->tx_err;
                b->tx_depth++;
                return 0;
        }
        b->n_pending = 0;
        b->event_lock = false;
        int rc = pg_q(b, NULL, "BEGIN", "");
        if (rc < 0)
                return rc;
        b->tx_depth = 1;
        b->tx_err = 0;
        return 0;
}

int pg_tx_end(struct pg *b, int rc)
{
        if (b->tx_depth <= 0)
                return rc < 0 ? rc : -EINVAL;
        if (rc < 0 && b->tx_err == 0)
                b->tx_err = rc;
        if (--b->tx_depth > 0)
                return rc;
        if (b->tx_err == 0)
                b->tx_err = pending_flush(b);
        /* Listeners (the portal's live events, pg_listen.c) hear of the
         * newest id at this commit, and only if it happens. */
        if (b->tx_err == 0 && b->event_lock)
                b->tx_err = pg_q(b, NULL,
                                 "SELECT pg_notify('" PG_EVENTS_CHANNEL
                                 "', (SELECT max(id) FROM events)::text)",
                                 "");
        if (b->tx_err == 0) {
                /* A COMMIT whose answer is lost leaves it unknown whether
                 * it happened: -EIO, and the caller retries an idempotent
                 * write (every batched write here is). */
                PGresult *r = PQexec(b->conn, "COMMIT");
                if (PQresultStatus(r) != PGRES_COMMAND_OK)
                        b->tx_err = pg_err(b, r);
                PQclear(r);
        }
        rc = b->tx_err;
        if (rc < 0)
                raw_rollback(b);
        b->n_pending = 0;
        b->event_lock = false;
        b->tx_err = 0;
        return rc;
}

static int pg_begin(struct store *st)
{
        struct pg *b = PG(st);
        if (b->tx_depth > 0)
                return -EINVAL;
        return pg_tx_begin(b);
}

static int pg_commit(struct store *st)
{
        struct pg *b = PG(st);
        if (b->tx_depth != 1)
                return -EINVAL;
        return pg_tx_end(b, 0);
}

static int pg_rollback(struct store *st)
{
        struct pg *b = PG(st);
        if (b->tx_depth != 1)
                return -EINVAL;
        raw_rollback(b);
        b->tx_depth = 0;
        b->tx_err = 0;
        return 0;
}

static int pg_event_emit(struct store *st, const char *type, const char *subject, int level,
                         bool is_public, bool exercise, const char *data)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_event(b, type, subject, level, is_public, exercise, data);
        return pg_tx_end(b, rc);
}

static int event_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_event *e = elem;
        e->id = pg_col_i64(r, i, 0);
        e->at = pg_col_i64(r, i, 1);
        e->type = pg_col_strdup(r, i, 2);
        e->subject = pg_col_strdup(r, i, 3);
        e->level = (int)pg_col_i64(r, i, 4);
        e->is_public = pg_col_i64(r, i, 5) != 0;
        e->exercise = pg_col_i64(r, i, 6) != 0;
        e->data = pg_col_strdup(r, i, 7);
        return e->type && e->subject && e->data ? 0 : -ENOMEM;
}

static int pg_events_after(struct store *st, int64_t after_id, size_t limit, bool public_only,
                           struct store_event_list *out)
{
        struct pg *b = PG(st);
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(b, &r,
                      "SELECT id, at, type, subject, level, public, exercise, data FROM events "
                      "WHERE id > $1 AND ($2 = 0 OR public = 1) ORDER BY id LIMIT $3",
                      "ibi", after_id, (int)public_only, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                return rc;
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), event_fill, NULL);
        if (rc < 0)
                store_event_list_free(out);
        return rc;
}

static int pg_events_last_id(struct store *st, int64_t *id)
{
        return pg_query_int(PG(st), id, "SELECT coalesce(max(id), 0) FROM events", "");
}

/* ---- Schema ------------------------------------------------------------ */

static int schema_version(struct pg *b, int *version)
{
        int64_t exists = 0, v = 0;
        *version = 0;
        int rc = pg_query_int(b, &exists,
                              "SELECT count(*) FROM pg_tables WHERE schemaname = "
                              "current_schema() AND tablename = 'schema_migrations'",
                              "");
        if (rc < 0 || !exists)
                return rc;
        rc = pg_query_int(b, &v, "SELECT coalesce(max(version), 0) FROM schema_migrations", "");
        if (rc == 0)
                *version = (int)v;
        return rc;
}

static int pg_schema_version(struct store *st, int *version)
{
        return schema_version(PG(st), version);
}

/* Runs a script of several statements (a migration): the simple query
 * protocol, inside the caller's transaction. */
static int exec_script(struct pg *b, const char *sql)
{
        PGresult *r = PQexec(b->conn, sql);
        int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
                     ? 0
                     : pg_err(b, r);
        PQclear(r);
        return rc;
}

static int pg_migrate(struct store *st, int *applied)
{
        struct pg *b = PG(st);
        int n = 0, rc = 0;
        if (b->tx_depth > 0)
                return -EINVAL;
        /* One migration per transaction, the version re-read under an
         * advisory lock so two processes opening a new database at once
         * apply each migration once. */
        for (;;) {
                int v = 0;
                rc = pg_q(b, NULL, "BEGIN", "");
                if (rc == 0)
                        rc = pg_q(b, NULL, "SELECT pg_advisory_xact_lock($1)", "i",
                                  (int64_t)PG_LOCK_MIGRATE);
                if (rc == 0)
                        rc = schema_version(b, &v);
                if (rc == 0 && v > pg_schema_n_migrations)
                        rc = -EBADMSG; /* a newer binary wrote this store */
                if (rc < 0 || v == pg_schema_n_migrations) {
                        raw_rollback(b);
                        break;
                }
                const struct schema_migration *m = &pg_schema_migrations[v];
                rc = exec_script(b, "CREATE TABLE IF NOT EXISTS schema_migrations (version "
                                    "BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT "
                                    "NOT NULL)");
                if (rc == 0)
                        rc = exec_script(b, m->sql);
                if (rc == 0)
                        rc = pg_q(b, NULL, "INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                                  "iti", (int64_t)m->version, m->name, pg_now());
                if (rc == 0)
                        rc = exec_script(b, "COMMIT");
                if (rc < 0) {
                        raw_rollback(b);
                        break;
                }
                n++;
        }
        if (applied)
                *applied = n;
        return rc;
}

static int pg_check(struct store *st, char *why, size_t why_len)
{
        struct pg *b = PG(st);
        int v = 0, rc = schema_version(b, &v);
        if (why && why_len)
                why[0] = '\0';
        if (rc < 0)
                return rc;
        if (v != pg_schema_n_migrations) {
                if (why)
                        snprintf(why, why_len, "schema version %d, this binary expects %d", v,
                                 pg_schema_n_migrations);
                return -EBADMSG;
        }
        int64_t n = 0;
        rc = pg_query_int(b, &n,
                          "SELECT count(*) FROM geometry_columns WHERE f_table_schema = "
                          "current_schema() AND srid <> 6668",
                          "");
        if (rc == 0 && n > 0) {
                if (why)
                        snprintf(why, why_len, "%lld geometry columns not in SRID 6668",
                                 (long long)n);
                return -EBADMSG;
        }
        /* A constraint added NOT VALID, or left invalid, is a store whose
         * rows the checks no longer vouch for. */
        if (rc == 0)
                rc = pg_query_int(b, &n,
                                  "SELECT count(*) FROM pg_constraint c JOIN pg_namespace s ON "
                                  "s.oid = c.connamespace WHERE s.nspname = current_schema() AND "
                                  "NOT c.convalidated",
                                  "");
        if (rc == 0 && n > 0) {
                if (why)
                        snprintf(why, why_len, "%lld constraints not validated", (long long)n);
                return -EBADMSG;
        }
        return rc;
}

static int pg_checkpoint(struct store *st)
{
        /* The server manages its own write-ahead log. */
        return 0;
}

static void pg_close(struct store *st)
{
        struct pg *b = PG(st);
        if (b->tx_depth > 0)
                raw_rollback(b);
        pg_route_cache_free(b);
        pg_prep_free(b);
        PQfinish(b->conn);
        free(b->dsn);
        free(b->pending);
        free(b);
}

/* Entity operations not listed are NULL: store_entities.c answers them
 * -ENOTSUP ("not supported by this backend") until they are written. */
static const struct store_ops pg_ops = {
    .name = "postgis",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .migrate = pg_migrate,
    .check = pg_check,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .checkpoint = pg_checkpoint,
    .backup = pg_dump_backup,
    .station_upsert = pg_station_upsert,
    .station_find = pg_station_find,
    .observations_add = pg_observations_add,
    .observations_range = pg_observations_range,
    .latest = pg_latest,
    .stations_refresh_state = pg_stations_refresh_state,
    .station_set_state = pg_station_set_state,
    .events_after = pg_events_after,
    .events_last_id = pg_events_last_id,
    .event_emit = pg_event_emit,
    .events_wait = pg_events_wait,
    .source_health_set = pg_source_health_set,
    .source_status_list = pg_source_status_list,
    .raw_document_put = pg_raw_document_put,
    .raw_document_find = pg_raw_document_find,
    .raw_document_body = pg_raw_document_body,
    .jma_telegram_put = pg_jma_telegram_put,
    .jma_telegram_get = pg_jma_telegram_get,
    .jma_telegrams_done = pg_jma_telegrams_done,
    .jma_telegrams_count = pg_jma_telegrams_count,
    .device_add = pg_device_add,
    .device_update = pg_device_update,
    .device_get = pg_device_get,
    .devices_list = pg_devices_list,
    .device_health_set = pg_device_health_set,
    .calibration_add = pg_calibration_add,
    .calibration_at = pg_calibration_at,
    .readings_add = pg_readings_add,
    .readings_last = pg_readings_last,
    .readings_count = pg_readings_count,
    .gap_open = pg_gap_open,
    .gap_close = pg_gap_close,
    .gaps_open_list = pg_gaps_open_list,
    .road_graph_create = pg_road_graph_create,
    .road_node_add = pg_road_node_add,
    .road_edges_add = pg_road_edges_add,
    .road_graph_activate = pg_road_graph_activate,
    .road_graphs_list = pg_road_graphs_list,
    .layer_polygons = pg_layer_polygons,
    .tile_set_create = pg_tile_set_create,
    .tile_put = pg_tile_put,
    .tile_set_activate = pg_tile_set_activate,
    .tile_version = pg_tile_version,
    .tile_get = pg_tile_get,
    .geo_route = pg_geo_route,
    .tile_features_add = pg_tile_features_add,
    .tile_set_cut = pg_tile_set_cut,
    .area_upsert = pg_area_upsert,
    .district_upsert = pg_district_upsert,
    .district_find = pg_district_find,
    .shelter_upsert = pg_shelter_upsert,
    .shelter_set_status = pg_shelter_set_status,
    .hazard_layer_create = pg_hazard_layer_create,
    .hazard_features_add = pg_hazard_features_add,
    .hazard_layer_activate = pg_hazard_layer_activate,
    .hazard_layer_delete = pg_hazard_layer_delete,
    .geo_area_code_upsert = pg_geo_area_code_upsert,
    .geo_addresses_upsert = pg_geo_addresses_upsert,
    .geo_addresses_assign_districts = pg_geo_addresses_assign_districts,
    .geo_count = pg_geo_count,
    .hazard_layers_list = pg_hazard_layers_list,
    .hazard_areas = pg_hazard_areas,
    .hazard_area_get = pg_hazard_area_get,
    .shelter_get = pg_shelter_get,
    .shelters_list = pg_shelters_list,
    .area_name = pg_area_name,
    .area_geojson = pg_area_geojson,
    .area_rings = pg_area_rings,
    .district_rings = pg_district_rings,
    .area_shapes = pg_area_shapes,
    .alert_add = pg_alert_add,
    .alerts_list = pg_alerts_list,
    .area_set_in_force = pg_area_set_in_force,
    .area_status_list = pg_area_status_list,
    .camera_image_add = pg_camera_image_add,
    .camera_images_list = pg_camera_images_list,
    .camera_image_get = pg_camera_image_get,
    .camera_images_prune = pg_camera_images_prune,
    .camera_set_state = pg_camera_set_state,
    .camera_get_state = pg_camera_get_state,
    .camera_link_gauge = pg_camera_link_gauge,
    .camera_gauge = pg_camera_gauge,
    .geo_hazard_at = pg_geo_hazard_at,
    .geo_shelters_near = pg_geo_shelters_near,
    .geo_address_search = pg_geo_address_search,
    .geo_picker_districts = pg_geo_picker_districts,
    .geo_picker_towns = pg_geo_picker_towns,
    .user_add = pg_user_add,
    .user_set_password = pg_user_set_password,
    .user_set_disabled = pg_user_set_disabled,
    .user_get = pg_user_get,
    .users_list = pg_users_list,
    .session_add = pg_session_add,
    .session_get = pg_session_get,
    .session_touch = pg_session_touch,
    .session_delete = pg_session_delete,
    .sessions_purge = pg_sessions_purge,
    .audit_add = pg_audit_add,
    .audit_list = pg_audit_list,
    .audit_query = pg_audit_query,
    .report_create = pg_report_create,
    .report_add_photo = pg_report_add_photo,
    .report_update = pg_report_update,
    .reports_list = pg_reports_list,
    .order_issue = pg_order_issue,
    .order_lift = pg_order_lift,
    .orders_list = pg_orders_list,
    .notice_publish = pg_notice_publish,
    .notice_withdraw = pg_notice_withdraw,
    .notices_in_force = pg_notices_in_force,
    .timeline_put = pg_timeline_put,
    .timeline_get = pg_timeline_get,
    .timeline_delete = pg_timeline_delete,
    .timelines_expire = pg_timelines_expire,
    .timeline_stats = pg_timeline_stats,
    .notify_rule_add = pg_notify_rule_add,
    .notify_rule_delete = pg_notify_rule_delete,
    .notify_rules_list = pg_notify_rules_list,
    .notify_enqueue = pg_notify_enqueue,
    .notify_due = pg_notify_due,
    .notify_mark = pg_notify_mark,
    .notify_release = pg_notify_release,
    .watch_point_put = pg_watch_point_put,
    .watch_point_delete = pg_watch_point_delete,
    .watch_points_list = pg_watch_points_list,
    .exercise_clear = pg_exercise_clear,
    .drill_begin = pg_drill_begin,
    .drill_public = pg_drill_public,
    .drill_area_public = pg_drill_area_public,
};

static void quiet_notice(void *arg, const char *message)
{
}

unsigned postgis_store_reconnects(const struct store *st)
{
        return st && st->ops == &pg_ops ? ((const struct pg *)st)->reconnects : 0;
}

int postgis_store_open(const struct store_options *opt, struct store **out)
{
        *out = NULL;
        if (!opt->dsn || !opt->dsn[0])
                return -EINVAL;
        struct pg *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->base.ops = &pg_ops;
        int rc = 0;
        b->dsn = strdup(opt->dsn);
        if (!b->dsn) {
                rc = -ENOMEM;
                goto out;
        }
        /* A bounded wait: connect_timeout 10 s unless the dsn sets its
         * own (values expanded from dbname override earlier ones). */
        const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
        const char *vals[] = {"10", "sonae", b->dsn, NULL};
        b->conn = PQconnectdbParams(keys, vals, 1);
        if (!b->conn) {
                rc = -ENOMEM;
                goto out;
        }
        if (PQstatus(b->conn) != CONNECTION_OK) {
                rc = -EIO;
                goto out;
        }
        /* Quiet NOTICEs (IF NOT EXISTS ...): a library does not print. */
        PQsetNoticeProcessor(b->conn, quiet_notice, NULL);
        PGresult *r = PQexec(b->conn, "SET client_min_messages = warning");
        PQclear(r);
        if (opt->read_only) {
                r = PQexec(b->conn, "SET default_transaction_read_only = on");
                PQclear(r);
        }
        int v = 0;
        rc = schema_version(b, &v);
        if (rc < 0)
                goto out;
        if (!opt->no_migrate && !opt->read_only && v < pg_schema_n_migrations)
                rc = pg_migrate(&b->base, NULL);
        else if (v > pg_schema_n_migrations)
                rc = -EBADMSG;
out:
        if (rc < 0) {
                pg_close(&b->base);
                return rc;
        }
        *out = &b->base;
        return 0;
}
