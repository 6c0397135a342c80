/* The SpatiaLite backend: opening, pragmas, migrations, transactions,
 * events, statements. */
#include "sl.h"

#include "../schema/schema.h"
#include "buf.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const stmt_sql[SL_N_STMTS] = {
    [SL_BEGIN] = "BEGIN IMMEDIATE",
    [SL_COMMIT] = "COMMIT",
    [SL_ROLLBACK] = "ROLLBACK",
    [SL_EVENT_INSERT] = "INSERT INTO events (at, type, subject, level, public, exercise, data) "
                        "VALUES (?, ?, ?, ?, ?, ?, coalesce(?, '{}'))",
    [SL_STATION_FIND] = "SELECT id FROM stations WHERE source = ? AND external_id = ?",
    [SL_STATION_INSERT] =
        "INSERT INTO stations (kind, source, external_id, name, river, area_code, quantity, "
        "thr_standby, thr_caution, thr_evacuation, thr_danger, thr_flood, thr_start, "
        "expected_interval_s, lon, lat, geom, created_at, updated_at, exercise) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, MakePoint(?15, ?16, 6668), "
        "?17, ?17, ?18)",
    [SL_STATION_UPDATE] =
        "UPDATE stations SET kind = ?1, name = ?4, river = ?5, area_code = ?6, quantity = ?7, "
        "thr_standby = ?8, thr_caution = ?9, thr_evacuation = ?10, thr_danger = ?11, "
        "thr_flood = ?12, thr_start = ?13, expected_interval_s = ?14, lon = ?15, lat = ?16, "
        "geom = MakePoint(?15, ?16, 6668), updated_at = ?17 WHERE source = ?2 AND external_id = ?3 "
        "AND exercise = ?18",
    [SL_STATION_GET] =
        "SELECT s.kind, s.quantity, s.thr_standby, s.thr_caution, s.thr_evacuation, s.thr_danger, "
        "s.thr_flood, s.thr_start, s.expected_interval_s, t.station_id, t.value, t.observed_at, "
        "t.level, t.state, t.last_observed_at, s.exercise FROM stations s LEFT JOIN "
        "station_status t ON t.station_id = s.id WHERE s.id = ?",
    [SL_OBS_INSERT] = "INSERT OR IGNORE INTO observations (station_id, quantity, observed_at, "
                      "value, quality) VALUES (?, ?, ?, ?, ?)",
    [SL_OBS_RANGE] = "SELECT observed_at, value, quality FROM observations WHERE station_id = ? "
                     "AND quantity = ? AND observed_at >= ? AND observed_at < ? "
                     "ORDER BY observed_at LIMIT ?",
    [SL_OBS_RATE_BASE] = "SELECT observed_at, value FROM observations WHERE station_id = ? AND "
                         "quantity = ? AND observed_at >= ? AND observed_at < ? "
                         "ORDER BY observed_at LIMIT 1",
    [SL_LATEST_UPSERT] =
        "INSERT INTO station_latest (station_id, quantity, observed_at, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (station_id, quantity) DO UPDATE SET observed_at = excluded.observed_at, "
        "value = excluded.value WHERE excluded.observed_at >= station_latest.observed_at",
    [SL_STATUS_GET] = "SELECT station_id, value, observed_at, level, state, last_observed_at FROM "
                      "station_status WHERE station_id = ?",
    [SL_STATUS_UPSERT] =
        "INSERT INTO station_status (station_id, value, observed_at, level, state, rate_m_per_h, "
        "last_observed_at, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (station_id) DO UPDATE SET value = ?2, observed_at = ?3, level = ?4, "
        "state = ?5, rate_m_per_h = ?6, last_observed_at = ?7, changed_at = ?8",
    [SL_STATUS_SET_STATE] =
        "INSERT INTO station_status (station_id, state, level, changed_at, last_observed_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (station_id) DO UPDATE SET state = ?2, level = "
        "?3, "
        "changed_at = ?4, last_observed_at = max(coalesce(last_observed_at, 0), ?5)",
    [SL_LATEST_ALL] =
        "SELECT s.id, s.kind, s.source, s.external_id, s.name, s.river, s.area_code, s.quantity, "
        "s.lon, s.lat, s.thr_standby, s.thr_caution, s.thr_evacuation, s.thr_danger, s.thr_flood, "
        "s.thr_start, s.expected_interval_s, t.value, t.observed_at, t.last_observed_at, t.level, "
        "t.state, t.rate_m_per_h, s.exercise, s.exercise = 1 AND s.id IN (SELECT id FROM "
        "public_drill_stations) FROM stations s LEFT JOIN station_status t ON t.station_id = s.id "
        "ORDER BY s.id",
    [SL_LATEST_ONE] =
        "SELECT s.id, s.kind, s.source, s.external_id, s.name, s.river, s.area_code, s.quantity, "
        "s.lon, s.lat, s.thr_standby, s.thr_caution, s.thr_evacuation, s.thr_danger, s.thr_flood, "
        "s.thr_start, s.expected_interval_s, t.value, t.observed_at, t.last_observed_at, t.level, "
        "t.state, t.rate_m_per_h, s.exercise, s.exercise = 1 AND s.id IN (SELECT id FROM "
        "public_drill_stations) FROM stations s LEFT JOIN station_status t ON t.station_id = s.id "
        "WHERE s.id = ?",
    [SL_EVENTS_AFTER] = "SELECT id, at, type, subject, level, public, exercise, data FROM events "
                        "WHERE id > ? ORDER BY id LIMIT ?",
    [SL_EVENTS_AFTER_PUBLIC] = "SELECT id, at, type, subject, level, public, exercise, data FROM "
                               "events WHERE public = 1 AND id > ? ORDER BY id LIMIT ?",
    [SL_EVENTS_LAST] = "SELECT coalesce(max(id), 0) FROM events",
};

int sl_latest_stats(struct store *st, char *plan, size_t plan_len, int64_t *vm_steps)
{
        struct sl *b = SL(st);
        sqlite3_stmt *s = NULL;
        size_t off = 0;
        if (plan_len)
                plan[0] = '\0';
        *vm_steps = b->stmts[SL_LATEST_ALL]
                        ? sqlite3_stmt_status(b->stmts[SL_LATEST_ALL], SQLITE_STMTSTATUS_VM_STEP, 1)
                        : 0;
        char sql[2048];
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", stmt_sql[SL_LATEST_ALL]);
        int r = sqlite3_prepare_v2(b->db, sql, -1, &s, NULL);
        if (r != SQLITE_OK)
                return sl_err(r);
        while (sqlite3_step(s) == SQLITE_ROW && off + 1 < plan_len) {
                int n = snprintf(plan + off, plan_len - off, "%s\n",
                                 (const char *)sqlite3_column_text(s, 3));
                if (n < 0)
                        break;
                off += (size_t)n < plan_len - off ? (size_t)n : plan_len - off - 1;
        }
        sqlite3_finalize(s);
        return 0;
}

int sl_err(int rc)
{
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_IOERR:
                return -EIO;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_CONSTRAINT:
                return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                           ? -EEXIST
                           : -EINVAL;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
        case SQLITE_TOOBIG:
                return -EINVAL;
        default:
                return -EIO;
        }
}

sqlite3_stmt *sl_stmt(struct sl *b, enum sl_stmt_id id, int *rc)
{
        sqlite3_stmt *s = b->stmts[id];
        if (s) {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
                return s;
        }
        int r = sqlite3_prepare_v3(b->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (r != SQLITE_OK) {
                *rc = sl_err(r);
                return NULL;
        }
        b->stmts[id] = s;
        return s;
}

int sl_exec_stmt(sqlite3_stmt *s)
{
        int r = sqlite3_step(s);
        int rc = r == SQLITE_DONE || r == SQLITE_ROW
                     ? 0
                     : sl_err(sqlite3_extended_errcode(sqlite3_db_handle(s)));
        sqlite3_reset(s);
        return rc;
}

int sl_exec(struct sl *b, const char *sql)
{
        int r = sqlite3_exec(b->db, sql, NULL, NULL, NULL);
        return r == SQLITE_OK ? 0 : sl_err(sqlite3_extended_errcode(b->db));
}

int sl_bind_text(sqlite3_stmt *s, int i, const char *v)
{
        return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

int sl_bind_double_or_null(sqlite3_stmt *s, int i, double v)
{
        return isfinite(v) ? sqlite3_bind_double(s, i, v) : sqlite3_bind_null(s, i);
}

char *sl_col_strdup(sqlite3_stmt *s, int i)
{
        const unsigned char *t = sqlite3_column_text(s, i);
        return t ? strdup((const char *)t) : NULL;
}

double sl_col_double_or_nan(sqlite3_stmt *s, int i)
{
        return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

int64_t sl_now(void)
{
        return time_now_ms() / 1000;
}

sqlite3_stmt *sl_prep(struct sl *b, const char *sql, int *rc)
{
        uint32_t slot;
        int64_t key = (int64_t)(uintptr_t)sql;
        if (sl_map_get(&b->prep_map, key, &slot) == 0) {
                sqlite3_stmt *s = b->prep[slot];
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
                return s;
        }
        if (b->n_prep == b->cap_prep) {
                size_t ncap = b->cap_prep ? b->cap_prep * 2 : 64;
                sqlite3_stmt **np = realloc(b->prep, ncap * sizeof(*np));
                if (!np) {
                        *rc = -ENOMEM;
                        return NULL;
                }
                b->prep = np;
                b->cap_prep = ncap;
        }
        sqlite3_stmt *s = NULL;
        int r = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (r != SQLITE_OK) {
                *rc = sl_err(r);
                return NULL;
        }
        int prc = sl_map_put(&b->prep_map, key, (uint32_t)b->n_prep);
        if (prc < 0) {
                sqlite3_finalize(s);
                *rc = prc;
                return NULL;
        }
        b->prep[b->n_prep++] = s;
        return s;
}

void sl_bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
        for (int i = 1; *fmt; fmt++, i++) {
                switch (*fmt) {
                case 't':
                        sl_bind_text(s, i, va_arg(ap, const char *));
                        break;
                case 'i':
                        sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
                        break;
                case 'I': {
                        int64_t v = va_arg(ap, int64_t);
                        if (v)
                                sqlite3_bind_int64(s, i, v);
                        else
                                sqlite3_bind_null(s, i);
                        break;
                }
                case 'd':
                        sl_bind_double_or_null(s, i, va_arg(ap, double));
                        break;
                case 'b':
                        sqlite3_bind_int(s, i, va_arg(ap, int) ? 1 : 0);
                        break;
                case 'L': {
                        int v = va_arg(ap, int);
                        if (v >= LEVEL_1 && v <= LEVEL_5)
                                sqlite3_bind_int(s, i, v);
                        else
                                sqlite3_bind_null(s, i);
                        break;
                }
                case 'B': {
                        const void *p = va_arg(ap, const void *);
                        size_t len = va_arg(ap, size_t);
                        if (p)
                                sqlite3_bind_blob64(s, i, p, len, SQLITE_STATIC);
                        else
                                sqlite3_bind_null(s, i);
                        break;
                }
                default:
                        break;
                }
        }
}

static int run_v(struct sl *b, const char *sql, const char *fmt, va_list ap)
{
        int rc = 0;
        sqlite3_stmt *s = sl_prep(b, sql, &rc);
        if (!s)
                return rc;
        sl_bindv(s, fmt, ap);
        return sl_exec_stmt(s);
}

int sl_run(struct sl *b, const char *sql, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int rc = run_v(b, sql, fmt, ap);
        va_end(ap);
        return rc;
}

int sl_change(struct sl *b, const char *sql, const char *fmt, ...)
{
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        va_list ap;
        va_start(ap, fmt);
        rc = run_v(b, sql, fmt, ap);
        va_end(ap);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        return sl_tx_end(b, rc);
}

int sl_insert(struct sl *b, int64_t *id, const char *sql, const char *fmt, ...)
{
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        va_list ap;
        va_start(ap, fmt);
        rc = run_v(b, sql, fmt, ap);
        va_end(ap);
        int64_t rid = sqlite3_last_insert_rowid(b->db);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = rid;
        return rc;
}

int sl_list(struct sl *b, void **v, size_t *n, size_t elem_size,
            int (*fill)(sqlite3_stmt *s, void *elem, void *ctx), void *ctx, const char *sql,
            const char *fmt, ...)
{
        int rc = 0;
        *v = NULL;
        *n = 0;
        sqlite3_stmt *s = sl_prep(b, sql, &rc);
        if (!s)
                return rc;
        va_list ap;
        va_start(ap, fmt);
        sl_bindv(s, fmt, ap);
        va_end(ap);
        return sl_collect(b, s, v, n, elem_size, fill, ctx);
}

sqlite3_stmt *sl_query(struct sl *b, const char *sql, int *rc, const char *fmt, ...)
{
        sqlite3_stmt *s = sl_prep(b, sql, rc);
        if (!s)
                return NULL;
        va_list ap;
        va_start(ap, fmt);
        sl_bindv(s, fmt, ap);
        va_end(ap);
        return s;
}

sqlite3_stmt *sl_row(struct sl *b, int *rc, const char *sql, const char *fmt, ...)
{
        sqlite3_stmt *s = sl_prep(b, sql, rc);
        if (!s)
                return NULL;
        va_list ap;
        va_start(ap, fmt);
        sl_bindv(s, fmt, ap);
        va_end(ap);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
                return s;
        *rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_reset(s);
        return NULL;
}

int sl_query_int(struct sl *b, const char *sql, int64_t *out, const char *fmt, ...)
{
        int rc = 0;
        sqlite3_stmt *s = sl_prep(b, sql, &rc);
        if (!s)
                return rc;
        va_list ap;
        va_start(ap, fmt);
        sl_bindv(s, fmt, ap);
        va_end(ap);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
                *out = sqlite3_column_int64(s, 0);
        else
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_reset(s);
        return rc;
}

int sl_geom_blob(struct sl *b, const unsigned char *wkb, size_t wkb_len, const char *wkt,
                 bool multi, void **blob, size_t *len)
{
        static const char *const sql_single =
            "SELECT coalesce(GeomFromWKB(?1, 6668), GeomFromText(?2, 6668))";
        static const char *const sql_multi =
            "SELECT ST_Multi(coalesce(GeomFromWKB(?1, 6668), GeomFromText(?2, 6668)))";
        *blob = NULL;
        *len = 0;
        if (!wkb && !wkt)
                return -EINVAL;
        int rc = 0;
        sqlite3_stmt *s = sl_query(b, multi ? sql_multi : sql_single, &rc, "Bt", wkb, wkb_len, wkt);
        if (!s)
                return rc;
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB) {
                int n = sqlite3_column_bytes(s, 0);
                *blob = malloc(n > 0 ? (size_t)n : 1);
                if (*blob) {
                        memcpy(*blob, sqlite3_column_blob(s, 0), (size_t)n);
                        *len = (size_t)n;
                } else {
                        rc = -ENOMEM;
                }
        } else {
                rc = r == SQLITE_ROW ? -EINVAL : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

int sl_collect(struct sl *b, sqlite3_stmt *s, void **v, size_t *n, size_t elem_size,
               int (*fill)(sqlite3_stmt *s, void *elem, void *ctx), void *ctx)
{
        size_t cap = *n;
        int rc = 0, r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
                if (*n == cap) {
                        size_t ncap = cap ? cap * 2 : 64;
                        void *nv = realloc(*v, ncap * elem_size);
                        if (!nv) {
                                rc = -ENOMEM;
                                break;
                        }
                        *v = nv;
                        cap = ncap;
                }
                char *elem = (char *)*v + *n * elem_size;
                memset(elem, 0, elem_size);
                (*n)++;
                rc = fill(s, elem, ctx);
                if (rc < 0)
                        break;
        }
        if (rc == 0 && r != SQLITE_DONE)
                rc = sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_reset(s);
        return rc;
}

/* ---- The coalescing map ------------------------------------------------ */

static size_t map_hash(int64_t key, size_t cap)
{
        uint64_t x = (uint64_t)key * 0x9E3779B97F4A7C15ull;
        return (size_t)(x >> 17) & (cap - 1);
}

int sl_map_get(const struct sl_map *m, int64_t key, uint32_t *slot)
{
        if (!m->cap)
                return -ENOENT;
        for (size_t i = map_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->keys[i] == 0)
                        return -ENOENT;
                if (m->keys[i] == key) {
                        *slot = m->slots[i];
                        return 0;
                }
        }
}

int sl_map_put(struct sl_map *m, int64_t key, uint32_t slot)
{
        if ((m->n + 1) * 2 > m->cap) {
                size_t ncap = m->cap ? m->cap * 2 : 64;
                int64_t *nk = calloc(ncap, sizeof(*nk));
                uint32_t *ns = calloc(ncap, sizeof(*ns));
                if (!nk || !ns) {
                        free(nk);
                        free(ns);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < m->cap; i++) {
                        if (!m->keys[i])
                                continue;
                        size_t j = map_hash(m->keys[i], ncap);
                        while (nk[j])
                                j = (j + 1) & (ncap - 1);
                        nk[j] = m->keys[i];
                        ns[j] = m->slots[i];
                }
                free(m->keys);
                free(m->slots);
                m->keys = nk;
                m->slots = ns;
                m->cap = ncap;
        }
        size_t i = map_hash(key, m->cap);
        while (m->keys[i] && m->keys[i] != key)
                i = (i + 1) & (m->cap - 1);
        if (!m->keys[i])
                m->n++;
        m->keys[i] = key;
        m->slots[i] = slot;
        return 0;
}

void sl_map_clear(struct sl_map *m)
{
        if (m->cap && m->n) {
                memset(m->keys, 0, m->cap * sizeof(*m->keys));
                m->n = 0;
        }
}

void sl_map_free(struct sl_map *m)
{
        free(m->keys);
        free(m->slots);
        memset(m, 0, sizeof(*m));
}

/* ---- Events and transactions ------------------------------------------- */

int sl_event(struct sl *b, const char *type, const char *subject, int level, bool is_public,
             bool exercise, const char *data)
{
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_EVENT_INSERT, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, time_now_ms() / 1000);
        sl_bind_text(s, 2, type);
        sl_bind_text(s, 3, subject);
        if (level >= LEVEL_1 && level <= LEVEL_5)
                sqlite3_bind_int(s, 4, level);
        else
                sqlite3_bind_null(s, 4);
        sqlite3_bind_int(s, 5, is_public ? 1 : 0);
        sqlite3_bind_int(s, 6, exercise || b->base.all_exercise ? 1 : 0);
        sl_bind_text(s, 7, data);
        return sl_exec_stmt(s);
}

int sl_pending_add(struct sl *b, int64_t station_id, size_t count, int64_t first_at,
                   int64_t last_at)
{
        uint32_t slot;
        if (sl_map_get(&b->pending_map, station_id, &slot) == 0) {
                struct sl_pending_obs *p = &b->pending[slot];
                p->count += count;
                if (first_at < p->first_at)
                        p->first_at = first_at;
                if (last_at > p->last_at)
                        p->last_at = last_at;
                return 0;
        }
        if (b->n_pending == b->cap_pending) {
                size_t ncap = b->cap_pending ? b->cap_pending * 2 : 64;
                struct sl_pending_obs *np = realloc(b->pending, ncap * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                b->pending = np;
                b->cap_pending = ncap;
        }
        int rc = sl_map_put(&b->pending_map, station_id, (uint32_t)b->n_pending);
        if (rc < 0)
                return rc;
        b->pending[b->n_pending++] =
            (struct sl_pending_obs){station_id, count, first_at, last_at, false};
        return 0;
}

static void pending_clear(struct sl *b)
{
        b->n_pending = 0;
        sl_map_clear(&b->pending_map);
}

/* One `station.observations` event per station written in this commit
 * (exercise for a drill's station). */
static int pending_flush(struct sl *b)
{
        /* One statement for all the commit's events: a JSON array of their
         * data, expanded by json_each in order, so ids follow the array. */
        static const char *const sql =
            "INSERT INTO events (at, type, subject, level, public, exercise, data) SELECT ?1, "
            "'station.observations', 'stations/' || json_extract(value, '$.station'), NULL, 1, "
            "coalesce((SELECT exercise FROM stations WHERE id = json_extract(value, '$.station')), "
            "0), value FROM json_each(?2) ORDER BY key";
        if (b->n_pending == 0)
                return 0;
        struct buf arr = BUF_INIT(64 * 1024 * 1024);
        int rc = buf_putc(&arr, '[');
        for (size_t i = 0; i < b->n_pending && rc == 0; i++) {
                const struct sl_pending_obs *p = &b->pending[i];
                char t0[32], t1[32];
                time_format_iso8601(p->first_at, 0, 1, t0, sizeof(t0));
                time_format_iso8601(p->last_at, 0, 1, t1, sizeof(t1));
                rc = buf_printf(&arr,
                                "%s{\"station\":%lld,\"count\":%zu,\"from\":\"%s\",\"to\":\"%s\"}",
                                i ? "," : "", (long long)p->station_id, p->count, t0, t1);
        }
        if (rc == 0)
                rc = buf_putc(&arr, ']');
        if (rc == 0)
                rc = sl_run(b, sql, "it", time_now_ms() / 1000, arr.data);
        else
                rc = -ENOMEM;
        buf_free(&arr);
        pending_clear(b);
        return rc;
}

static void raw_rollback(struct sl *b)
{
        /* After SQLITE_FULL or an I/O error SQLite may already have rolled
         * the transaction back; ROLLBACK then would only fail. */
        if (!sqlite3_get_autocommit(b->db)) {
                int rc = 0;
                sqlite3_stmt *s = sl_stmt(b, SL_ROLLBACK, &rc);
                if (s)
                        sl_exec_stmt(s);
                else
                        sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        }
        pending_clear(b);
}

int sl_tx_begin(struct sl *b)
{
        if (b->tx_depth > 0) {
                /* A group that already failed takes no more writes: after
                 * a full disk SQLite may have rolled it back, and later
                 * statements would commit one by one outside it. */
                if (b->tx_err == 0 && sqlite3_get_autocommit(b->db))
                        b->tx_err = -EIO;
                if (b->tx_err)
                        return b->tx_err;
                b->tx_depth++;
                return 0;
        }
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_BEGIN, &rc);
        if (!s)
                return rc;
        rc = sl_exec_stmt(s);
        if (rc < 0)
                return rc;
        b->tx_depth = 1;
        b->tx_err = 0;
        pending_clear(b);
        return 0;
}

int sl_tx_end(struct sl *b, int rc)
{
        if (b->tx_depth <= 0)
                return rc < 0 ? rc : -EINVAL;
        if (rc < 0 && b->tx_err == 0)
                b->tx_err = rc;
        if (--b->tx_depth > 0)
                return rc;
        if (b->tx_err == 0)
                b->tx_err = pending_flush(b);
        if (b->tx_err == 0) {
                int r = 0;
                sqlite3_stmt *s = sl_stmt(b, SL_COMMIT, &r);
                b->tx_err = s ? sl_exec_stmt(s) : r;
        }
        rc = b->tx_err;
        if (rc < 0)
                raw_rollback(b);
        b->tx_err = 0;
        return rc;
}

static int sl_begin(struct store *st)
{
        struct sl *b = SL(st);
        if (b->tx_depth > 0)
                return -EINVAL; /* store_begin does not nest */
        return sl_tx_begin(b);
}

static int sl_commit(struct store *st)
{
        struct sl *b = SL(st);
        if (b->tx_depth != 1)
                return -EINVAL;
        return sl_tx_end(b, 0);
}

static int sl_rollback(struct store *st)
{
        struct sl *b = SL(st);
        if (b->tx_depth != 1)
                return -EINVAL;
        raw_rollback(b);
        b->tx_depth = 0;
        b->tx_err = 0;
        return 0;
}

static int sl_event_emit(struct store *st, const char *type, const char *subject, int level,
                         bool is_public, bool exercise, const char *data)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_event(b, type, subject, level, is_public, exercise, data);
        return sl_tx_end(b, rc);
}

static int event_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_event *e = elem;
        e->id = sqlite3_column_int64(s, 0);
        e->at = sqlite3_column_int64(s, 1);
        e->type = sl_col_strdup(s, 2);
        e->subject = sl_col_strdup(s, 3);
        e->level = sqlite3_column_int(s, 4);
        e->is_public = sqlite3_column_int(s, 5) != 0;
        e->exercise = sqlite3_column_int(s, 6) != 0;
        e->data = sl_col_strdup(s, 7);
        return e->type && e->subject && e->data ? 0 : -ENOMEM;
}

static int sl_events_after(struct store *st, int64_t after_id, size_t limit, bool public_only,
                           struct store_event_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, public_only ? SL_EVENTS_AFTER_PUBLIC : SL_EVENTS_AFTER, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, after_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)(limit ? limit : 1000));
        rc = sl_collect(b, s, (void **)&out->v, &out->n, sizeof(*out->v), event_fill, NULL);
        if (rc < 0)
                store_event_list_free(out);
        return rc;
}

static int sl_events_last_id(struct store *st, int64_t *id)
{
        struct sl *b = SL(st);
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_EVENTS_LAST, &rc);
        if (!s)
                return rc;
        if (sqlite3_step(s) == SQLITE_ROW)
                *id = sqlite3_column_int64(s, 0);
        else
                rc = sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_reset(s);
        return rc;
}

/* ---- Schema ------------------------------------------------------------ */

static int version_in_tx(struct sl *b, int *version)
{
        sqlite3_stmt *s = NULL;
        *version = 0;
        int r = sqlite3_prepare_v2(b->db,
                                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                   "name = 'schema_migrations'",
                                   -1, &s, NULL);
        if (r != SQLITE_OK)
                return sl_err(r);
        r = sqlite3_step(s);
        int exists = r == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
        int rc = r == SQLITE_ROW ? 0 : sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_finalize(s);
        if (rc < 0 || !exists)
                return rc;
        r = sqlite3_prepare_v2(b->db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
                               &s, NULL);
        if (r != SQLITE_OK)
                return sl_err(r);
        r = sqlite3_step(s);
        if (r == SQLITE_ROW)
                *version = sqlite3_column_int(s, 0);
        else
                rc = sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_finalize(s);
        return rc;
}

static int sl_schema_version(struct store *st, int *version)
{
        return version_in_tx(SL(st), version);
}

int store_schema_latest(void)
{
        return schema_n_migrations;
}

static int sl_migrate(struct store *st, int *applied)
{
        struct sl *b = SL(st);
        int n = 0, rc = 0;
        if (b->tx_depth > 0)
                return -EINVAL;
        /* One migration per transaction, the version re-read under the
         * write lock so two processes opening a new file at once apply
         * each migration once. */
        for (;;) {
                int v;
                rc = sl_exec(b, "BEGIN IMMEDIATE");
                if (rc < 0)
                        goto out;
                rc = version_in_tx(b, &v);
                if (rc == 0 && v > schema_n_migrations)
                        rc = -EBADMSG; /* a newer binary wrote this store */
                if (rc < 0 || v == schema_n_migrations) {
                        sl_exec(b, "ROLLBACK");
                        goto out;
                }
                const struct schema_migration *m = &schema_migrations[v];
                rc = sl_exec(b, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                                "PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
                if (rc == 0)
                        rc = sl_exec(b, m->sql);
                if (rc == 0) {
                        char sql[256];
                        snprintf(sql, sizeof(sql),
                                 "INSERT INTO schema_migrations VALUES (%d, '%s', %lld)",
                                 m->version, m->name, (long long)(time_now_ms() / 1000));
                        rc = sl_exec(b, sql);
                }
                if (rc == 0)
                        rc = sl_exec(b, "COMMIT");
                if (rc < 0) {
                        if (!sqlite3_get_autocommit(b->db))
                                sl_exec(b, "ROLLBACK");
                        goto out;
                }
                n++;
        }
out:
        if (applied)
                *applied = n;
        return rc;
}

static int sl_check(struct store *st, char *why, size_t why_len)
{
        struct sl *b = SL(st);
        int v = 0, rc = version_in_tx(b, &v);
        if (why && why_len)
                why[0] = '\0';
        if (rc < 0)
                return rc;
        if (v != schema_n_migrations) {
                if (why)
                        snprintf(why, why_len, "schema version %d, this binary expects %d", v,
                                 schema_n_migrations);
                return -EBADMSG;
        }
        sqlite3_stmt *s = NULL;
        int r = sqlite3_prepare_v2(b->db, "PRAGMA integrity_check", -1, &s, NULL);
        if (r != SQLITE_OK)
                return sl_err(r);
        r = sqlite3_step(s);
        if (r != SQLITE_ROW) {
                rc = sl_err(sqlite3_extended_errcode(b->db));
        } else {
                const char *t = (const char *)sqlite3_column_text(s, 0);
                if (!t || strcmp(t, "ok") != 0) {
                        if (why)
                                snprintf(why, why_len, "integrity: %s", t ? t : "?");
                        rc = -EBADMSG;
                }
        }
        sqlite3_finalize(s);
        if (rc < 0)
                return rc;
        r = sqlite3_prepare_v2(b->db, "PRAGMA foreign_key_check", -1, &s, NULL);
        if (r != SQLITE_OK)
                return sl_err(r);
        r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                if (why)
                        snprintf(why, why_len, "foreign key broken in table %s",
                                 (const char *)sqlite3_column_text(s, 0));
                rc = -EBADMSG;
        } else if (r != SQLITE_DONE) {
                rc = sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_finalize(s);
        return rc;
}

static int sl_checkpoint(struct store *st)
{
        struct sl *b = SL(st);
        int r = sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        /* Busy means a reader holds the log: the next tick tries again. */
        return r == SQLITE_OK || r == SQLITE_BUSY ? 0 : sl_err(r);
}

/* Copies all of src into dst with the online backup API, in one step so
 * the copy is one read snapshot of src. */
static int copy_db(sqlite3 *dst, sqlite3 *src)
{
        sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
        if (!bk)
                return sl_err(sqlite3_extended_errcode(dst));
        int r = sqlite3_backup_step(bk, -1);
        int f = sqlite3_backup_finish(bk);
        if (r != SQLITE_DONE)
                return sl_err(r);
        return f == SQLITE_OK ? 0 : sl_err(f);
}

static int sl_backup(struct store *st, const char *path)
{
        struct sl *b = SL(st);
        sqlite3 *dst = NULL;
        if (b->tx_depth > 0)
                return -EINVAL;
        if (access(path, F_OK) == 0)
                return -EEXIST;
        int r = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        int rc = r == SQLITE_OK ? 0 : -EIO;
        if (rc == 0)
                rc = copy_db(dst, b->db);
        /* A backup is one self-contained file, not a WAL pair. */
        if (rc == 0 &&
            sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
                rc = sl_err(sqlite3_extended_errcode(dst));
        sqlite3_close(dst);
        if (rc < 0)
                unlink(path);
        return rc;
}

int spatialite_store_restore(const struct store_options *opt, const char *from, bool force)
{
        struct store_options so = *opt;
        struct store *src = NULL, *dst = NULL;
        char why[256];
        if (!opt->path)
                return -EINVAL;
        if (access(from, R_OK) != 0)
                return -ENOENT;
        /* The backup must be sound before anything is touched. */
        so.path = from;
        so.read_only = true;
        so.no_migrate = true;
        int rc = spatialite_store_open(&so, &src);
        if (rc < 0)
                return rc;
        int v = 0;
        rc = sl_schema_version(src, &v);
        if (rc == 0 && (v < 1 || v > schema_n_migrations))
                rc = -EBADMSG;
        if (rc == 0) {
                rc = sl_check(src, why, sizeof(why));
                /* An older schema is fine: it is migrated below. */
                if (rc == -EBADMSG && v < schema_n_migrations && strncmp(why, "schema", 6) == 0)
                        rc = 0;
        }
        if (rc < 0)
                goto out;
        if (access(opt->path, F_OK) == 0 && !force) {
                rc = -EEXIST;
                goto out;
        }
        so = *opt;
        so.no_migrate = true;
        so.read_only = false;
        rc = spatialite_store_open(&so, &dst);
        if (rc == 0)
                rc = copy_db(SL(dst)->db, SL(src)->db);
        if (rc == 0 && !opt->no_migrate)
                rc = sl_migrate(dst, NULL);
out:
        store_close(src);
        store_close(dst);
        return rc;
}

static void sl_close(struct store *st)
{
        struct sl *b = SL(st);
        if (b->tx_depth > 0)
                raw_rollback(b);
        for (int i = 0; i < SL_N_STMTS; i++)
                sqlite3_finalize(b->stmts[i]);
        for (size_t i = 0; i < b->n_prep; i++)
                sqlite3_finalize(b->prep[i]);
        free(b->prep);
        sl_map_free(&b->prep_map);
        sl_geo_cache_free(b);
        sl_route_cache_free(b);
        sqlite3_close(b->db);
        if (b->splite)
                spatialite_cleanup_ex(b->splite);
        sl_map_free(&b->pending_map);
        free(b->pending);
        free(b);
}

static const struct store_ops sl_ops = {
    .name = "spatialite",
    .close = sl_close,
    .schema_version = sl_schema_version,
    .migrate = sl_migrate,
    .check = sl_check,
    .begin = sl_begin,
    .commit = sl_commit,
    .rollback = sl_rollback,
    .checkpoint = sl_checkpoint,
    .backup = sl_backup,
    .station_upsert = sl_station_upsert,
    .station_find = sl_station_find,
    .observations_add = sl_observations_add,
    .observations_range = sl_observations_range,
    .latest = sl_latest,
    .stations_refresh_state = sl_stations_refresh_state,
    .station_set_state = sl_station_set_state,
    .events_after = sl_events_after,
    .events_last_id = sl_events_last_id,
    .event_emit = sl_event_emit,
    .source_health_set = sl_source_health_set,
    .source_status_list = sl_source_status_list,
    .raw_document_put = sl_raw_document_put,
    .raw_document_find = sl_raw_document_find,
    .raw_document_body = sl_raw_document_body,
    .alert_add = sl_alert_add,
    .alerts_list = sl_alerts_list,
    .area_set_in_force = sl_area_set_in_force,
    .area_status_list = sl_area_status_list,
    .area_upsert = sl_area_upsert,
    .area_name = sl_area_name,
    .area_rings = sl_area_rings,
    .district_rings = sl_district_rings,
    .area_geojson = sl_area_geojson,
    .area_shapes = sl_area_shapes,
    .camera_image_add = sl_camera_image_add,
    .camera_images_list = sl_camera_images_list,
    .camera_image_get = sl_camera_image_get,
    .camera_images_prune = sl_camera_images_prune,
    .camera_set_state = sl_camera_set_state,
    .camera_get_state = sl_camera_get_state,
    .camera_link_gauge = sl_camera_link_gauge,
    .camera_gauge = sl_camera_gauge,
    .device_add = sl_device_add,
    .device_update = sl_device_update,
    .device_get = sl_device_get,
    .devices_list = sl_devices_list,
    .device_health_set = sl_device_health_set,
    .calibration_add = sl_calibration_add,
    .calibration_at = sl_calibration_at,
    .readings_add = sl_readings_add,
    .readings_last = sl_readings_last,
    .readings_count = sl_readings_count,
    .gap_open = sl_gap_open,
    .gap_close = sl_gap_close,
    .gaps_open_list = sl_gaps_open_list,
    .district_upsert = sl_district_upsert,
    .district_find = sl_district_find,
    .shelter_upsert = sl_shelter_upsert,
    .shelter_set_status = sl_shelter_set_status,
    .shelter_get = sl_shelter_get,
    .shelters_list = sl_shelters_list,
    .hazard_areas = sl_hazard_areas,
    .hazard_area_get = sl_hazard_area_get,
    .hazard_layer_create = sl_hazard_layer_create,
    .hazard_features_add = sl_hazard_features_add,
    .hazard_layer_activate = sl_hazard_layer_activate,
    .hazard_layer_delete = sl_hazard_layer_delete,
    .hazard_layers_list = sl_hazard_layers_list,
    .watch_point_put = sl_watch_point_put,
    .watch_point_delete = sl_watch_point_delete,
    .watch_points_list = sl_watch_points_list,
    .user_add = sl_user_add,
    .user_set_password = sl_user_set_password,
    .user_set_disabled = sl_user_set_disabled,
    .user_get = sl_user_get,
    .users_list = sl_users_list,
    .session_add = sl_session_add,
    .session_get = sl_session_get,
    .session_touch = sl_session_touch,
    .session_delete = sl_session_delete,
    .sessions_purge = sl_sessions_purge,
    .audit_add = sl_audit_add,
    .audit_list = sl_audit_list,
    .audit_query = sl_audit_query,
    .report_create = sl_report_create,
    .report_add_photo = sl_report_add_photo,
    .report_update = sl_report_update,
    .reports_list = sl_reports_list,
    .order_issue = sl_order_issue,
    .order_lift = sl_order_lift,
    .exercise_clear = sl_exercise_clear,
    .drill_begin = sl_drill_begin,
    .drill_public = sl_drill_public,
    .drill_area_public = sl_drill_area_public,
    .orders_list = sl_orders_list,
    .notice_publish = sl_notice_publish,
    .notice_withdraw = sl_notice_withdraw,
    .notices_in_force = sl_notices_in_force,
    .timeline_put = sl_timeline_put,
    .timeline_get = sl_timeline_get,
    .timeline_delete = sl_timeline_delete,
    .timelines_expire = sl_timelines_expire,
    .timeline_stats = sl_timeline_stats,
    .notify_rule_add = sl_notify_rule_add,
    .notify_rule_delete = sl_notify_rule_delete,
    .notify_rules_list = sl_notify_rules_list,
    .notify_enqueue = sl_notify_enqueue,
    .notify_due = sl_notify_due,
    .notify_mark = sl_notify_mark,
    .notify_release = sl_notify_release,
    .jma_telegram_put = sl_jma_telegram_put,
    .jma_telegram_get = sl_jma_telegram_get,
    .jma_telegrams_done = sl_jma_telegrams_done,
    .jma_telegrams_count = sl_jma_telegrams_count,
    .geo_hazard_at = sl_geo_hazard_at,
    .geo_shelters_near = sl_geo_shelters_near,
    .geo_address_search = sl_geo_address_search,
    .geo_picker_districts = sl_geo_picker_districts,
    .geo_picker_towns = sl_geo_picker_towns,
    .geo_area_code_upsert = sl_geo_area_code_upsert,
    .geo_addresses_upsert = sl_geo_addresses_upsert,
    .geo_addresses_assign_districts = sl_geo_addresses_assign_districts,
    .geo_count = sl_geo_count,
    .road_graph_create = sl_road_graph_create,
    .road_node_add = sl_road_node_add,
    .road_edges_add = sl_road_edges_add,
    .road_graph_activate = sl_road_graph_activate,
    .road_graphs_list = sl_road_graphs_list,
    .layer_polygons = sl_layer_polygons,
    .tile_set_create = sl_tile_set_create,
    .tile_put = sl_tile_put,
    .tile_set_activate = sl_tile_set_activate,
    .tile_version = sl_tile_version,
    .tile_get = sl_tile_get,
    .geo_route = sl_geo_route,
};

static const char *sync_pragma(const char *s)
{
        if (!s || !s[0] || strcasecmp(s, "normal") == 0)
                return "PRAGMA synchronous = NORMAL";
        if (strcasecmp(s, "off") == 0)
                return "PRAGMA synchronous = OFF";
        if (strcasecmp(s, "full") == 0)
                return "PRAGMA synchronous = FULL";
        if (strcasecmp(s, "extra") == 0)
                return "PRAGMA synchronous = EXTRA";
        return NULL;
}

int spatialite_store_open(const struct store_options *opt, struct store **out)
{
        *out = NULL;
        if (!opt->path || !opt->path[0])
                return -EINVAL;
        const char *sync = sync_pragma(opt->synchronous);
        if (!sync)
                return -EINVAL;
        /* SHA-256 of raw documents; idempotent and thread-safe. */
        if (sodium_init() < 0)
                return -ENOMEM;
        struct sl *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->base.ops = &sl_ops;
        int rc = 0;
        int flags =
            opt->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        int r = sqlite3_open_v2(opt->path, &b->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK) {
                rc = b->db ? sl_err(sqlite3_extended_errcode(b->db)) : -ENOMEM;
                goto out;
        }
        sqlite3_extended_result_codes(b->db, 1);
        b->splite = spatialite_alloc_connection();
        if (!b->splite) {
                rc = -ENOMEM;
                goto out;
        }
        spatialite_init_ex(b->db, b->splite, 0);
        sqlite3_busy_timeout(b->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000);
        /* A file that is not SQLite fails on the first read: here. */
        if (!opt->read_only) {
                rc = sl_exec(b, "PRAGMA journal_mode = WAL");
                if (rc < 0)
                        goto out;
        }
        rc = sl_exec(b, sync);
        if (rc == 0)
                rc = sl_exec(b, "PRAGMA foreign_keys = ON");
        /* Statement journals and upserts' scratch tables stay in memory
         * instead of temporary files. */
        if (rc == 0)
                rc = sl_exec(b, "PRAGMA temp_store = MEMORY");
        /* After a checkpoint the log file is truncated to at most 64 MiB. */
        if (rc == 0)
                rc = sl_exec(b, "PRAGMA journal_size_limit = 67108864");
        if (rc < 0)
                goto out;
        int v = 0;
        rc = version_in_tx(b, &v);
        if (rc < 0)
                goto out;
        if (!opt->no_migrate && !opt->read_only && v < schema_n_migrations)
                rc = sl_migrate(&b->base, NULL);
        else if (v > schema_n_migrations)
                rc = -EBADMSG;
out:
        if (rc < 0) {
                sl_close(&b->base);
                return rc;
        }
        *out = &b->base;
        return 0;
}
