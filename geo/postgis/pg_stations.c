/* The PostGIS backend: stations, observations (batched), latest state.
 * The rules are those of geo/spatialite/sl_stations.c; only the SQL and
 * the way a batch reaches the server differ. */
#include "pg.h"

#include "buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void col_thresholds(const PGresult *r, int row, int i, struct level_thresholds *t)
{
        t->standby = pg_col_double(r, row, i);
        t->caution = pg_col_double(r, row, i + 1);
        t->evacuation = pg_col_double(r, row, i + 2);
        t->danger = pg_col_double(r, row, i + 3);
        t->flood = pg_col_double(r, row, i + 4);
        t->start = pg_col_double(r, row, i + 5);
}

struct station_info {
        char kind[16];
        int quantity; /* index, -1 when none */
        struct level_thresholds thr;
        int64_t expected_interval_s;
        bool exercise; /* a drill's station: its events are exercise */
};

struct status_row {
        bool exists;
        double value;
        int64_t observed_at;
        int level;
        enum station_state state;
        int64_t last_observed_at;
};

/* Columns i.. : station_id, value, observed_at, level, state,
 * last_observed_at; exists is false when station_id is NULL. */
static void status_cols(const PGresult *r, int row, int i, struct status_row *st)
{
        memset(st, 0, sizeof(*st));
        st->value = NAN;
        st->state = STATE_UNKNOWN;
        if (!r || pg_col_null(r, row, i))
                return;
        st->exists = true;
        st->value = pg_col_double(r, row, i + 1);
        st->observed_at = pg_col_i64(r, row, i + 2);
        st->level = (int)pg_col_i64(r, row, i + 3);
        const char *t = pg_col_null(r, row, i + 4) ? NULL : PQgetvalue(r, row, i + 4);
        if (!t || station_state_parse(t, &st->state) < 0)
                st->state = STATE_UNKNOWN;
        st->last_observed_at = pg_col_i64(r, row, i + 5);
}

static int station_load(struct pg *b, int64_t id, struct station_info *si, struct status_row *old)
{
        PGresult *r = NULL;
        int rc = pg_q(b, &r,
                      "SELECT s.kind, s.quantity, s.thr_standby, s.thr_caution, s.thr_evacuation, "
                      "s.thr_danger, s.thr_flood, s.thr_start, s.expected_interval_s, "
                      "t.station_id, t.value, t.observed_at, t.level, t.state, "
                      "t.last_observed_at, s.exercise FROM stations s LEFT JOIN station_status t "
                      "ON t.station_id = s.id WHERE s.id = $1",
                      "i", id);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1) {
                snprintf(si->kind, sizeof(si->kind), "%s", PQgetvalue(r, 0, 0));
                const char *q = pg_col_null(r, 0, 1) ? store_kind_default_quantity(si->kind)
                                                     : PQgetvalue(r, 0, 1);
                si->quantity = store_quantity_index(q);
                col_thresholds(r, 0, 2, &si->thr);
                si->expected_interval_s = pg_col_i64(r, 0, 8);
                status_cols(r, 0, 9, old);
                si->exercise = pg_col_i64(r, 0, 15) != 0;
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        return rc;
}

/* The status row of a station, locked until the transaction ends: a
 * second writer of the same row (another instance's state refresh) waits,
 * then reads what the first committed. */
static int status_get_locked(struct pg *b, int64_t id, struct status_row *row)
{
        PGresult *r = NULL;
        status_cols(NULL, 0, 0, row);
        int rc = pg_q(b, &r,
                      "SELECT station_id, value, observed_at, level, state, last_observed_at "
                      "FROM station_status WHERE station_id = $1 FOR UPDATE",
                      "i", id);
        if (rc == 0 && PQntuples(r) == 1)
                status_cols(r, 0, 0, row);
        PQclear(r);
        return rc;
}

static enum station_state old_effective(struct pg *b, const struct station_info *si,
                                        const struct status_row *old, int64_t now)
{
        if (!old->exists)
                return STATE_UNKNOWN;
        return store_effective_state(old->state, si->kind, old->last_observed_at,
                                     si->expected_interval_s, b->base.grace, now);
}

static int status_set_state(struct pg *b, int64_t id, enum station_state state, int level,
                            int64_t now, int64_t seen_at)
{
        return pg_q(b, NULL,
                    "INSERT INTO station_status (station_id, state, level, changed_at, "
                    "last_observed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (station_id) DO "
                    "UPDATE SET state = $2, level = $3, changed_at = $4, last_observed_at = "
                    "greatest(coalesce(station_status.last_observed_at, 0), $5)",
                    "itLii", id, station_state_name(state), level, now,
                    seen_at > 0 ? seen_at : (int64_t)0);
}

/* Where a station's change events go: public, and marked exercise for a
 * drill's station. */
struct emit_ctx {
        struct pg *b;
        bool exercise;
};

static int emit_public(void *ctx_, const char *type, const char *subject, int level,
                       const char *data)
{
        const struct emit_ctx *ctx = ctx_;
        return pg_event(ctx->b, type, subject, level, true, ctx->exercise, data);
}

static int emit_station_changes(struct pg *b, int64_t id, bool exercise, int old_level,
                                int new_level, enum station_state old_state,
                                enum station_state new_state)
{
        struct emit_ctx ctx = {b, exercise};
        return store_station_change_events(id, old_level, new_level, old_state, new_state,
                                           emit_public, &ctx);
}

static int status_write(struct pg *b, int64_t id, const struct station_info *si,
                        const struct status_row *old, double value, int64_t observed_at,
                        double rate, int64_t last_observed_at, int64_t now)
{
        struct store_status_in sin = {
            si->kind,    si->quantity,    &si->thr,   si->expected_interval_s,
            old->exists, old->state,      old->level, old->last_observed_at,
            value,       last_observed_at};
        struct store_status_next nx;
        store_status_next(&sin, b->base.grace, now, &nx);
        int new_level = nx.level;
        enum station_state new_state = nx.state;
        int rc = pg_q(b, NULL,
                      "INSERT INTO station_status (station_id, value, observed_at, level, state, "
                      "rate_m_per_h, last_observed_at, changed_at) VALUES ($1, $2, $3, $4, $5, "
                      "$6, $7, $8) ON CONFLICT (station_id) DO UPDATE SET value = $2, "
                      "observed_at = $3, level = $4, state = $5, rate_m_per_h = $6, "
                      "last_observed_at = $7, changed_at = $8",
                      "idILtdIi", id, value, observed_at > 0 ? observed_at : (int64_t)0, new_level,
                      station_state_name(new_state), rate,
                      last_observed_at > 0 ? last_observed_at : (int64_t)0, now);
        if (rc < 0)
                return rc;
        return emit_station_changes(b, id, si->exercise, nx.old_level, nx.eff_level, nx.old_eff,
                                    nx.new_eff);
}

/* ---- Stations ---------------------------------------------------------- */

/* $1..$18 as in the SpatiaLite statements: kind, source, external_id,
 * name (as stored), river, area_code, quantity, six thresholds, interval,
 * lon, lat, now, exercise. */
#define STATION_PARAMS "tttttttddddddiddib"
#define STATION_ARGS(in, name, now)                                                                \
        (in)->kind, (in)->source, (in)->external_id, (name), (in)->river, (in)->area_code,         \
            (in)->quantity, (in)->thr.standby, (in)->thr.caution, (in)->thr.evacuation,            \
            (in)->thr.danger, (in)->thr.flood, (in)->thr.start, (in)->expected_interval_s,         \
            (in)->lon, (in)->lat, (now), (int)(in)->exercise

int pg_station_find(struct store *st, const char *source, const char *external_id, int64_t *id)
{
        if (!source || !external_id)
                return -EINVAL;
        return pg_query_int(PG(st), id,
                            "SELECT id FROM stations WHERE source = $1 AND external_id = $2", "tt",
                            source, external_id);
}

int pg_station_upsert(struct store *st, const struct store_station *in, int64_t *id_out)
{
        struct pg *b = PG(st);
        if (!in || !store_kind_valid(in->kind) || !in->source || !in->external_id || !in->name ||
            (in->quantity && !store_main_quantity_valid(in->quantity)) || !isfinite(in->lon) ||
            !isfinite(in->lat))
                return -EINVAL;
        char named[1100];
        const char *name;
        int rc = store_station_drill_name(in, named, sizeof(named), &name);
        if (rc < 0)
                return rc;
        int64_t now = pg_now(), id = 0;
        PGresult *r = NULL;
        rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* A station keeps its exercise mark: the key of a drill's station
         * taken as a real one (or the reverse) matches no row here, and
         * the insert below meets the unique key: -EEXIST. */
        rc = pg_q(b, &r,
                  "UPDATE stations SET kind = $1, name = $4, river = $5, area_code = $6, "
                  "quantity = $7, thr_standby = $8, thr_caution = $9, thr_evacuation = $10, "
                  "thr_danger = $11, thr_flood = $12, thr_start = $13, expected_interval_s = "
                  "$14, lon = $15, lat = $16, geom = ST_SetSRID(ST_MakePoint($15, $16), 6668), "
                  "updated_at = $17 WHERE source = $2 AND external_id = $3 AND exercise = $18 "
                  "RETURNING id",
                  STATION_PARAMS, STATION_ARGS(in, name, now));
        if (rc < 0)
                goto out;
        bool updated = PQntuples(r) > 0;
        if (updated)
                id = pg_col_i64(r, 0, 0);
        PQclear(r);
        r = NULL;
        if (!updated) {
                rc = pg_q(b, &r,
                          "INSERT INTO stations (kind, source, external_id, name, river, "
                          "area_code, quantity, thr_standby, thr_caution, thr_evacuation, "
                          "thr_danger, thr_flood, thr_start, expected_interval_s, lon, lat, geom, "
                          "created_at, updated_at, exercise) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                          "$8, $9, $10, $11, $12, $13, $14, $15, $16, ST_SetSRID(ST_MakePoint($15, "
                          "$16), 6668), $17, $17, $18) RETURNING id",
                          STATION_PARAMS, STATION_ARGS(in, name, now));
                if (rc == 0)
                        id = pg_col_i64(r, 0, 0);
                PQclear(r);
        } else {
                struct station_info si;
                struct status_row old;
                rc = station_load(b, id, &si, &old);
                if (rc == 0 && old.exists && isfinite(old.value))
                        rc = status_write(b, id, &si, &old, old.value, old.observed_at, NAN,
                                          old.last_observed_at, now);
        }
out:
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id_out)
                *id_out = id;
        return rc;
}

/* ---- Observations ------------------------------------------------------ */

struct newest {
        int64_t station_id;
        int quantity;
        int64_t observed_at;
        double value;
};

static int cmp_newest(const void *a, const void *b)
{
        const struct newest *x = a, *y = b;
        if (x->station_id != y->station_id)
                return x->station_id < y->station_id ? -1 : 1;
        if (x->quantity != y->quantity)
                return x->quantity - y->quantity;
        /* Newest first within one (station, quantity). */
        return x->observed_at < y->observed_at ? 1 : x->observed_at > y->observed_at ? -1 : 0;
}

static int latest_upsert(struct pg *b, const struct newest *nv)
{
        return pg_q(b, NULL,
                    "INSERT INTO station_latest (station_id, quantity, observed_at, value) VALUES "
                    "($1, $2, $3, $4) ON CONFLICT (station_id, quantity) DO UPDATE SET "
                    "observed_at = excluded.observed_at, value = excluded.value WHERE "
                    "excluded.observed_at >= station_latest.observed_at",
                    "itid", nv->station_id, store_quantity_name(nv->quantity), nv->observed_at,
                    nv->value);
}

static int rate_of_rise(struct pg *b, int64_t id, int quantity, int64_t at, double value,
                        double *rate)
{
        PGresult *r = NULL;
        *rate = NAN;
        int rc = pg_q(b, &r,
                      "SELECT observed_at, value FROM observations WHERE station_id = $1 AND "
                      "quantity = $2 AND observed_at >= $3 AND observed_at < $4 ORDER BY "
                      "observed_at LIMIT 1",
                      "itii", id, store_quantity_name(quantity), at - 3600, at);
        if (rc == 0 && PQntuples(r) == 1) {
                int64_t t0 = pg_col_i64(r, 0, 0);
                double v0 = pg_col_double(r, 0, 1);
                if (at - t0 >= 300)
                        *rate = (value - v0) / (double)(at - t0) * 3600.0;
        }
        PQclear(r);
        return rc;
}

/* nv: the rows inserted, sorted by station, quantity, newest first. */
static int apply_newest(struct pg *b, const struct newest *nv, size_t n, int64_t now)
{
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0;) {
                size_t j = i;
                int64_t id = nv[i].station_id, last_any = 0;
                struct station_info si;
                struct status_row old;
                rc = station_load(b, id, &si, &old);
                if (rc < 0)
                        break;
                double value = old.value, rate = NAN;
                int64_t at = old.observed_at;
                for (; j < n && nv[j].station_id == id && rc == 0; j++) {
                        bool first = j == i || nv[j - 1].quantity != nv[j].quantity;
                        if (nv[j].observed_at > last_any)
                                last_any = nv[j].observed_at;
                        if (!first)
                                continue;
                        if (nv[j].quantity != si.quantity) {
                                rc = latest_upsert(b, &nv[j]);
                        } else if (nv[j].observed_at >= old.observed_at) {
                                value = nv[j].value;
                                at = nv[j].observed_at;
                                if (si.quantity == 0)
                                        rc = rate_of_rise(b, id, si.quantity, at, value, &rate);
                        }
                }
                if (last_any < old.last_observed_at)
                        last_any = old.last_observed_at;
                if (rc == 0)
                        rc = status_write(b, id, &si, &old, value, at, rate, last_any, now);
                i = j;
        }
        return rc;
}

/* The whole batch goes to the server in one INSERT ... SELECT FROM
 * unnest(arrays): one round trip, idempotent on the key, and RETURNING
 * names the rows that were new. */
int pg_observations_add(struct store *st, const struct store_obs *v, size_t n,
                        struct store_obs_result *res)
{
        struct pg *b = PG(st);
        struct store_obs_result r0 = {0, 0};
        struct buf a[5] = {BUF_INIT(PG_BATCH_MAX), BUF_INIT(PG_BATCH_MAX), BUF_INIT(PG_BATCH_MAX),
                           BUF_INIT(PG_BATCH_MAX), BUF_INIT(PG_BATCH_MAX)};
        struct newest *nv = NULL;
        PGresult *r = NULL;
        int rc = 0;
        if (res)
                *res = r0;
        if (n == 0)
                return 0;
        if (!v)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (v[i].station_id <= 0 || store_quantity_index(v[i].quantity) < 0 ||
                    v[i].observed_at <= 0 || !isfinite(v[i].value) || v[i].quality > 0xffff)
                        return -EINVAL;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
                rc = pg_arr_i64(&a[0], i, v[i].station_id);
                if (rc == 0)
                        rc = buf_printf(&a[1], "%s%s", i ? "," : "{",
                                        store_quantity_name(store_quantity_index(v[i].quantity)));
                if (rc == 0)
                        rc = pg_arr_i64(&a[2], i, v[i].observed_at);
                if (rc == 0)
                        rc = pg_arr_double(&a[3], i, v[i].value);
                if (rc == 0)
                        rc = pg_arr_i64(&a[4], i, (int64_t)v[i].quality);
        }
        for (int k = 0; k < 5 && rc == 0; k++)
                rc = pg_arr_end(&a[k], n);
        if (rc < 0) {
                rc = -ENOMEM;
                goto out_free;
        }
        int64_t now = pg_now();
        rc = pg_tx_begin(b);
        if (rc < 0)
                goto out_free;
        rc = pg_q(b, &r,
                  "INSERT INTO observations (station_id, quantity, observed_at, value, quality) "
                  "SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], "
                  "$4::double precision[], $5::bigint[]) ON CONFLICT DO NOTHING RETURNING "
                  "station_id, quantity, observed_at, value",
                  "ttttt", a[0].data, a[1].data, a[2].data, a[3].data, a[4].data);
        if (rc < 0)
                goto out;
        size_t got = (size_t)PQntuples(r);
        r0.inserted = got;
        r0.duplicates = n - got;
        nv = malloc((got ? got : 1) * sizeof(*nv));
        if (!nv) {
                rc = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < got; i++) {
                nv[i].station_id = pg_col_i64(r, (int)i, 0);
                nv[i].quantity = store_quantity_index(PQgetvalue(r, (int)i, 1));
                nv[i].observed_at = pg_col_i64(r, (int)i, 2);
                nv[i].value = pg_col_double(r, (int)i, 3);
        }
        /* The coalesced events follow the order of the batch (RETURNING
         * gives the rows in the order of the arrays). */
        for (size_t i = 0; i < got && rc == 0; i++)
                rc = pg_pending_add(b, nv[i].station_id, 1, nv[i].observed_at, nv[i].observed_at);
        qsort(nv, got, sizeof(*nv), cmp_newest);
        if (rc == 0)
                rc = apply_newest(b, nv, got, now);
out:
        PQclear(r);
        rc = pg_tx_end(b, rc);
out_free:
        for (int k = 0; k < 5; k++)
                buf_free(&a[k]);
        free(nv);
        if (rc == 0 && res)
                *res = r0;
        return rc;
}

static int obs_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_obs_row *o = elem;
        o->observed_at = pg_col_i64(r, i, 0);
        o->value = pg_col_double(r, i, 1);
        o->quality = (unsigned)pg_col_i64(r, i, 2);
        return 0;
}

int pg_observations_range(struct store *st, int64_t station_id, const char *quantity, int64_t from,
                          int64_t to, size_t limit, struct store_obs_list *out)
{
        struct pg *b = PG(st);
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int q = store_quantity_index(quantity);
        if (q < 0 || station_id <= 0)
                return -EINVAL;
        if (limit == 0)
                limit = 100000;
        int rc = pg_q(b, &r,
                      "SELECT observed_at, value, quality FROM observations WHERE station_id = $1 "
                      "AND quantity = $2 AND observed_at >= $3 AND observed_at < $4 ORDER BY "
                      "observed_at LIMIT $5",
                      "itiii", station_id, store_quantity_name(q), from, to, (int64_t)limit);
        if (rc < 0)
                return rc;
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), obs_fill, NULL);
        if (rc < 0)
                store_obs_list_free(out);
        return rc;
}

/* ---- Latest ------------------------------------------------------------ */

struct latest_ctx {
        int grace;
        int64_t now;
};

static int latest_fill(const PGresult *r, int i, void *elem, void *ctx_)
{
        const struct latest_ctx *ctx = ctx_;
        struct store_latest *l = elem;
        int grace = ctx->grace;
        int64_t now = ctx->now;
        l->id = pg_col_i64(r, i, 0);
        l->kind = pg_col_strdup(r, i, 1);
        l->source = pg_col_strdup(r, i, 2);
        l->external_id = pg_col_strdup(r, i, 3);
        l->name = pg_col_strdup(r, i, 4);
        l->river = pg_col_strdup(r, i, 5);
        l->area_code = pg_col_strdup(r, i, 6);
        l->quantity = pg_col_strdup(r, i, 7);
        if (!l->quantity && l->kind && store_kind_default_quantity(l->kind))
                l->quantity = strdup(store_kind_default_quantity(l->kind));
        l->unit = store_quantity_unit(l->quantity);
        l->lon = pg_col_double(r, i, 8);
        l->lat = pg_col_double(r, i, 9);
        col_thresholds(r, i, 10, &l->thr);
        l->expected_interval_s = pg_col_i64(r, i, 16);
        l->value = pg_col_double(r, i, 17);
        l->observed_at = pg_col_i64(r, i, 18);
        l->last_observed_at = pg_col_i64(r, i, 19);
        l->level = (int)pg_col_i64(r, i, 20);
        enum station_state stored = STATE_UNKNOWN;
        if (!pg_col_null(r, i, 21))
                station_state_parse(PQgetvalue(r, i, 21), &stored);
        l->rate_m_per_h = pg_col_double(r, i, 22);
        l->state = store_effective_state(stored, l->kind, l->last_observed_at,
                                         l->expected_interval_s, grace, now);
        l->exercise = pg_col_i64(r, i, 23) != 0;
        l->drill_public = pg_col_i64(r, i, 24) != 0;
        if (station_state_is_unknown(l->state))
                l->level = LEVEL_NONE;
        if (!l->kind || !l->source || !l->external_id || !l->name ||
            (!pg_col_null(r, i, 7) && !l->quantity))
                return -ENOMEM;
        return 0;
}

/* Every station joined to its status by primary key: no observation is
 * read (geo-latest-scale checks the plan and the buffers it touches). */
#define PG_LATEST_SQL                                                                              \
        "SELECT s.id, s.kind, s.source, s.external_id, s.name, s.river, s.area_code, s.quantity, " \
        "s.lon, s.lat, s.thr_standby, s.thr_caution, s.thr_evacuation, s.thr_danger, "             \
        "s.thr_flood, s.thr_start, s.expected_interval_s, t.value, t.observed_at, "                \
        "t.last_observed_at, t.level, t.state, t.rate_m_per_h, s.exercise, (s.exercise = 1 AND "   \
        "s.id IN (SELECT id FROM public_drill_stations))::int FROM stations s LEFT JOIN "          \
        "station_status t ON t.station_id = s.id WHERE $1 = 0 OR s.id = $1 ORDER BY s.id"

int pg_latest_stats(struct store *st, char *plan, size_t plan_len, int64_t *buffers)
{
        PGresult *r = NULL;
        size_t off = 0;
        *buffers = 0;
        if (plan_len)
                plan[0] = '\0';
        int rc = pg_q(PG(st), &r, "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " PG_LATEST_SQL, "i",
                      (int64_t)0);
        if (rc < 0)
                return rc;
        bool top = true;
        for (int i = 0; i < PQntuples(r); i++) {
                const char *line = PQgetvalue(r, i, 0);
                const char *buf = strstr(line, "Buffers: shared");
                /* The first Buffers line is the top node's: every block the
                 * statement touched, its children's included. */
                if (buf && top) {
                        const char *hit = strstr(buf, "hit="), *read = strstr(buf, "read=");
                        *buffers = (hit ? strtoll(hit + 4, NULL, 10) : 0) +
                                   (read ? strtoll(read + 5, NULL, 10) : 0);
                        top = false;
                }
                int n = off + 1 < plan_len ? snprintf(plan + off, plan_len - off, "%s\n", line) : 0;
                if (n > 0)
                        off += (size_t)n < plan_len - off ? (size_t)n : plan_len - off - 1;
        }
        PQclear(r);
        return 0;
}

int pg_latest(struct store *st, int64_t station_id, int64_t now, struct store_latest_list *out)
{
        struct pg *b = PG(st);
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(b, &r, PG_LATEST_SQL, "i", station_id);
        if (rc < 0)
                return rc;
        struct latest_ctx ctx = {b->base.grace, now};
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), latest_fill, &ctx);
        if (rc == 0 && station_id && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_latest_list_free(out);
        return rc;
}

int pg_stations_refresh_state(struct store *st, int64_t now, size_t *changed)
{
        struct pg *b = PG(st);
        struct store_latest_list all;
        size_t n = 0;
        if (changed)
                *changed = 0;
        int rc = pg_latest(st, 0, now, &all);
        if (rc < 0)
                return rc;
        rc = pg_tx_begin(b);
        if (rc < 0)
                goto out_free;
        for (size_t i = 0; i < all.n && rc == 0; i++) {
                const struct store_latest *l = &all.v[i];
                if (l->state != STATE_STALE && l->state != STATE_OFFLINE)
                        continue;
                /* The listing was read without a lock: decide again on
                 * the locked row, which another refresh (or a new
                 * observation) may have changed since. */
                struct status_row old;
                rc = status_get_locked(b, l->id, &old);
                if (rc < 0 || !old.exists)
                        continue;
                enum station_state eff =
                    store_refresh_state(old.state, l->kind, old.last_observed_at,
                                        l->expected_interval_s, b->base.grace, now);
                if (eff == STATE_UNKNOWN)
                        continue;
                rc = status_set_state(b, l->id, eff, old.level, now, 0);
                if (rc == 0)
                        rc = emit_station_changes(b, l->id, l->exercise, old.level, LEVEL_NONE,
                                                  old.state, eff);
                n++;
        }
        rc = pg_tx_end(b, rc);
out_free:
        store_latest_list_free(&all);
        if (rc == 0 && changed)
                *changed = n;
        return rc;
}

int pg_station_set_state(struct store *st, int64_t station_id, enum station_state state,
                         int64_t seen_at)
{
        struct pg *b = PG(st);
        if (station_id <= 0 || (int)state < STATE_OK || state > STATE_UNKNOWN)
                return -EINVAL;
        int64_t now = pg_now();
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        struct station_info si;
        struct status_row old;
        rc = station_load(b, station_id, &si, &old);
        if (rc < 0)
                goto out;
        int level = state == STATE_OK || state == STATE_WATCH ? old.level : LEVEL_NONE;
        enum station_state old_eff = old_effective(b, &si, &old, now);
        rc = status_set_state(b, station_id, state, level, now, seen_at);
        if (rc == 0)
                rc = emit_station_changes(b, station_id, si.exercise, old.level, level, old_eff,
                                          state);
out:
        return pg_tx_end(b, rc);
}
