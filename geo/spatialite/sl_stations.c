/* The SpatiaLite backend: stations, observations, latest state. */
#include "sl.h"

#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Six threshold columns from i on, in the order of the stations table. */
static void col_thresholds(sqlite3_stmt *s, int i, struct level_thresholds *t)
{
        t->standby = sl_col_double_or_nan(s, i);
        t->caution = sl_col_double_or_nan(s, i + 1);
        t->evacuation = sl_col_double_or_nan(s, i + 2);
        t->danger = sl_col_double_or_nan(s, i + 3);
        t->flood = sl_col_double_or_nan(s, i + 4);
        t->start = sl_col_double_or_nan(s, i + 5);
}

/* What the status update needs to know of a station. */
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

/* Fills a status row from columns i.. (station_id, value, observed_at,
 * level, state, last_observed_at); exists is false when station_id is
 * NULL. */
static void status_cols(sqlite3_stmt *s, int i, struct status_row *row)
{
        memset(row, 0, sizeof(*row));
        row->value = NAN;
        row->state = STATE_UNKNOWN;
        if (!s || sqlite3_column_type(s, i) == SQLITE_NULL)
                return;
        row->exists = true;
        row->value = sl_col_double_or_nan(s, i + 1);
        row->observed_at = sqlite3_column_int64(s, i + 2);
        row->level = sqlite3_column_int(s, i + 3);
        const char *t = (const char *)sqlite3_column_text(s, i + 4);
        if (!t || station_state_parse(t, &row->state) < 0)
                row->state = STATE_UNKNOWN;
        row->last_observed_at = sqlite3_column_int64(s, i + 5);
}

/* The station's facts and its current status, in one read. */
static int station_load(struct sl *b, int64_t id, struct station_info *si, struct status_row *old)
{
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_STATION_GET, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                const char *k = (const char *)sqlite3_column_text(s, 0);
                snprintf(si->kind, sizeof(si->kind), "%s", k ? k : "");
                const char *q = (const char *)sqlite3_column_text(s, 1);
                si->quantity = store_quantity_index(q ? q : store_kind_default_quantity(si->kind));
                col_thresholds(s, 2, &si->thr);
                si->expected_interval_s = sqlite3_column_int64(s, 8);
                status_cols(s, 9, old);
                si->exercise = sqlite3_column_int(s, 15) != 0;
        } else {
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

static int status_get(struct sl *b, int64_t id, struct status_row *row)
{
        int rc = 0;
        status_cols(NULL, 0, row);
        sqlite3_stmt *s = sl_stmt(b, SL_STATUS_GET, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
                status_cols(s, 0, row);
        else if (r != SQLITE_DONE)
                rc = sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_reset(s);
        return rc;
}

static enum station_state old_effective(struct sl *b, const struct station_info *si,
                                        const struct status_row *old, int64_t now)
{
        if (!old->exists)
                return STATE_UNKNOWN;
        return store_effective_state(old->state, si->kind, old->last_observed_at,
                                     si->expected_interval_s, b->base.grace, now);
}

/* Writes a state (and level) without a new value. */
static int status_set_state(struct sl *b, int64_t id, enum station_state state, int level,
                            int64_t now, int64_t seen_at)
{
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_STATUS_SET_STATE, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, station_state_name(state), -1, SQLITE_STATIC);
        if (level)
                sqlite3_bind_int(s, 3, level);
        else
                sqlite3_bind_null(s, 3);
        sqlite3_bind_int64(s, 4, now);
        sqlite3_bind_int64(s, 5, seen_at > 0 ? seen_at : 0);
        return sl_exec_stmt(s);
}

/* Where a station's change events go: public, and marked exercise for a
 * drill's station. */
struct emit_ctx {
        struct sl *b;
        bool exercise;
};

static int emit_public(void *ctx_, const char *type, const char *subject, int level,
                       const char *data)
{
        const struct emit_ctx *ctx = ctx_;
        return sl_event(ctx->b, type, subject, level, true, ctx->exercise, data);
}

static int emit_station_changes(struct sl *b, int64_t id, bool exercise, int old_level,
                                int new_level, enum station_state old_state,
                                enum station_state new_state)
{
        struct emit_ctx ctx = {b, exercise};
        return store_station_change_events(id, old_level, new_level, old_state, new_state,
                                           emit_public, &ctx);
}

/* Writes a station's new status and its events.  value/observed_at are the
 * station's quantity's newest value (NAN/0 if unchanged or none). */
static int status_write(struct sl *b, int64_t id, const struct station_info *si,
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
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_STATUS_UPSERT, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, id);
        sl_bind_double_or_null(s, 2, value);
        if (observed_at > 0)
                sqlite3_bind_int64(s, 3, observed_at);
        else
                sqlite3_bind_null(s, 3);
        if (new_level)
                sqlite3_bind_int(s, 4, new_level);
        else
                sqlite3_bind_null(s, 4);
        sqlite3_bind_text(s, 5, station_state_name(new_state), -1, SQLITE_STATIC);
        sl_bind_double_or_null(s, 6, rate);
        if (last_observed_at > 0)
                sqlite3_bind_int64(s, 7, last_observed_at);
        else
                sqlite3_bind_null(s, 7);
        sqlite3_bind_int64(s, 8, now);
        rc = sl_exec_stmt(s);
        if (rc < 0)
                return rc;
        return emit_station_changes(b, id, si->exercise, nx.old_level, nx.eff_level, nx.old_eff,
                                    nx.new_eff);
}

/* ---- Stations ---------------------------------------------------------- */

static int bind_station(sqlite3_stmt *s, const struct store_station *in, const char *name,
                        int64_t now)
{
        sl_bind_text(s, 1, in->kind);
        sl_bind_text(s, 2, in->source);
        sl_bind_text(s, 3, in->external_id);
        sl_bind_text(s, 4, name);
        sl_bind_text(s, 5, in->river);
        sl_bind_text(s, 6, in->area_code);
        sl_bind_text(s, 7, in->quantity);
        sl_bind_double_or_null(s, 8, in->thr.standby);
        sl_bind_double_or_null(s, 9, in->thr.caution);
        sl_bind_double_or_null(s, 10, in->thr.evacuation);
        sl_bind_double_or_null(s, 11, in->thr.danger);
        sl_bind_double_or_null(s, 12, in->thr.flood);
        sl_bind_double_or_null(s, 13, in->thr.start);
        sqlite3_bind_int64(s, 14, in->expected_interval_s);
        sl_bind_double_or_null(s, 15, in->lon);
        sl_bind_double_or_null(s, 16, in->lat);
        sqlite3_bind_int64(s, 17, now);
        sqlite3_bind_int(s, 18, in->exercise ? 1 : 0);
        return 0;
}

static int find_id(struct sl *b, const char *source, const char *external_id, int64_t *id)
{
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_STATION_FIND, &rc);
        if (!s)
                return rc;
        sl_bind_text(s, 1, source);
        sl_bind_text(s, 2, external_id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
                *id = sqlite3_column_int64(s, 0);
        else
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        sqlite3_reset(s);
        return rc;
}

int sl_station_find(struct store *st, const char *source, const char *external_id, int64_t *id)
{
        if (!source || !external_id)
                return -EINVAL;
        return find_id(SL(st), source, external_id, id);
}

int sl_station_upsert(struct store *st, const struct store_station *in, int64_t *id_out)
{
        struct sl *b = SL(st);
        if (!in || !store_kind_valid(in->kind) || !in->source || !in->external_id || !in->name ||
            (in->quantity && !store_main_quantity_valid(in->quantity)) || !isfinite(in->lon) ||
            !isfinite(in->lat))
                return -EINVAL;
        char named[1100];
        const char *name;
        int rc = store_station_drill_name(in, named, sizeof(named), &name);
        if (rc < 0)
                return rc;
        int64_t now = time_now_ms() / 1000, id = 0;
        rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        sqlite3_stmt *s = sl_stmt(b, SL_STATION_UPDATE, &rc);
        if (!s)
                goto out;
        bind_station(s, in, name, now);
        rc = sl_exec_stmt(s);
        if (rc < 0)
                goto out;
        bool updated = sqlite3_changes(b->db) > 0;
        if (!updated) {
                s = sl_stmt(b, SL_STATION_INSERT, &rc);
                if (!s)
                        goto out;
                bind_station(s, in, name, now);
                rc = sl_exec_stmt(s);
                if (rc < 0)
                        goto out;
                id = sqlite3_last_insert_rowid(b->db);
        } else {
                rc = find_id(b, in->source, in->external_id, &id);
                if (rc < 0)
                        goto out;
                /* Thresholds or the quantity may have changed: recompute
                 * the level from the value already held. */
                struct station_info si;
                struct status_row old;
                rc = station_load(b, id, &si, &old);
                if (rc == 0 && old.exists && isfinite(old.value))
                        rc = status_write(b, id, &si, &old, old.value, old.observed_at, NAN,
                                          old.last_observed_at, now);
        }
out:
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id_out)
                *id_out = id;
        return rc;
}

/* ---- Observations ------------------------------------------------------ */

/* The newest value of one (station, quantity) in a batch. */
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
        return x->quantity - y->quantity;
}

static int latest_upsert(struct sl *b, const struct newest *nv)
{
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_LATEST_UPSERT, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, nv->station_id);
        sqlite3_bind_text(s, 2, store_quantity_name(nv->quantity), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, nv->observed_at);
        sqlite3_bind_double(s, 4, nv->value);
        return sl_exec_stmt(s);
}

static int rate_of_rise(struct sl *b, int64_t id, int quantity, int64_t at, double value,
                        double *rate)
{
        int rc = 0;
        *rate = NAN;
        sqlite3_stmt *s = sl_stmt(b, SL_OBS_RATE_BASE, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, store_quantity_name(quantity), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, at - 3600);
        sqlite3_bind_int64(s, 4, at);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                int64_t t0 = sqlite3_column_int64(s, 0);
                double v0 = sqlite3_column_double(s, 1);
                /* Less than five minutes apart says more about noise than
                 * about the river. */
                if (at - t0 >= 300)
                        *rate = (value - v0) / (double)(at - t0) * 3600.0;
        } else if (r != SQLITE_DONE) {
                rc = sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

/* Updates latest values and status of the stations of one batch. */
static int apply_newest(struct sl *b, struct newest *nv, size_t n, int64_t now)
{
        int rc = 0;
        qsort(nv, n, sizeof(*nv), cmp_newest);
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
                        if (nv[j].observed_at > last_any)
                                last_any = nv[j].observed_at;
                        if (nv[j].quantity != si.quantity) {
                                /* Other quantities' latest values; the
                                 * station's own is in its status. */
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

int sl_observations_add(struct store *st, const struct store_obs *v, size_t n,
                        struct store_obs_result *res)
{
        struct sl *b = SL(st);
        struct store_obs_result r0 = {0, 0};
        struct sl_map map = {0};
        struct newest *nv = NULL;
        size_t n_nv = 0;
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
        nv = malloc(n * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        int64_t now = time_now_ms() / 1000;
        rc = sl_tx_begin(b);
        if (rc < 0)
                goto out_free;
        for (size_t i = 0; i < n; i++) {
                sqlite3_stmt *s = sl_stmt(b, SL_OBS_INSERT, &rc);
                if (!s)
                        goto out;
                int q = store_quantity_index(v[i].quantity);
                sqlite3_bind_int64(s, 1, v[i].station_id);
                sqlite3_bind_text(s, 2, store_quantity_name(q), -1, SQLITE_STATIC);
                sqlite3_bind_int64(s, 3, v[i].observed_at);
                sqlite3_bind_double(s, 4, v[i].value);
                sqlite3_bind_int(s, 5, (int)v[i].quality);
                rc = sl_exec_stmt(s);
                if (rc < 0)
                        goto out;
                if (sqlite3_changes(b->db) == 0) {
                        r0.duplicates++;
                        continue;
                }
                r0.inserted++;
                rc = sl_pending_add(b, v[i].station_id, 1, v[i].observed_at, v[i].observed_at);
                if (rc < 0)
                        goto out;
                int64_t key = v[i].station_id * 8 + q;
                uint32_t slot;
                if (sl_map_get(&map, key, &slot) == 0) {
                        if (v[i].observed_at > nv[slot].observed_at) {
                                nv[slot].observed_at = v[i].observed_at;
                                nv[slot].value = v[i].value;
                        }
                        continue;
                }
                rc = sl_map_put(&map, key, (uint32_t)n_nv);
                if (rc < 0)
                        goto out;
                nv[n_nv++] = (struct newest){v[i].station_id, q, v[i].observed_at, v[i].value};
        }
        rc = apply_newest(b, nv, n_nv, now);
out:
        rc = sl_tx_end(b, rc);
out_free:
        sl_map_free(&map);
        free(nv);
        if (rc == 0 && res)
                *res = r0;
        return rc;
}

static int obs_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_obs_row *o = elem;
        o->observed_at = sqlite3_column_int64(s, 0);
        o->value = sqlite3_column_double(s, 1);
        o->quality = (unsigned)sqlite3_column_int(s, 2);
        return 0;
}

int sl_observations_range(struct store *st, int64_t station_id, const char *quantity, int64_t from,
                          int64_t to, size_t limit, struct store_obs_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int q = store_quantity_index(quantity);
        if (q < 0 || station_id <= 0)
                return -EINVAL;
        if (limit == 0)
                limit = 100000;
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, SL_OBS_RANGE, &rc);
        if (!s)
                return rc;
        sqlite3_bind_int64(s, 1, station_id);
        sqlite3_bind_text(s, 2, store_quantity_name(q), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, from);
        sqlite3_bind_int64(s, 4, to);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)limit);
        rc = sl_collect(b, s, (void **)&out->v, &out->n, sizeof(*out->v), obs_fill, NULL);
        if (rc < 0)
                store_obs_list_free(out);
        return rc;
}

/* ---- Latest ------------------------------------------------------------ */

struct latest_ctx {
        int grace;
        int64_t now;
};

static int latest_fill(sqlite3_stmt *s, void *elem, void *ctx_)
{
        const struct latest_ctx *ctx = ctx_;
        struct store_latest *l = elem;
        int grace = ctx->grace;
        int64_t now = ctx->now;
        l->id = sqlite3_column_int64(s, 0);
        l->kind = sl_col_strdup(s, 1);
        l->source = sl_col_strdup(s, 2);
        l->external_id = sl_col_strdup(s, 3);
        l->name = sl_col_strdup(s, 4);
        l->river = sl_col_strdup(s, 5);
        l->area_code = sl_col_strdup(s, 6);
        l->quantity = sl_col_strdup(s, 7);
        if (!l->quantity && l->kind && store_kind_default_quantity(l->kind))
                l->quantity = strdup(store_kind_default_quantity(l->kind));
        l->unit = store_quantity_unit(l->quantity);
        l->lon = sqlite3_column_double(s, 8);
        l->lat = sqlite3_column_double(s, 9);
        col_thresholds(s, 10, &l->thr);
        l->expected_interval_s = sqlite3_column_int64(s, 16);
        l->value = sl_col_double_or_nan(s, 17);
        l->observed_at = sqlite3_column_int64(s, 18);
        l->last_observed_at = sqlite3_column_int64(s, 19);
        l->level = sqlite3_column_int(s, 20);
        enum station_state stored = STATE_UNKNOWN;
        const char *t = (const char *)sqlite3_column_text(s, 21);
        if (t)
                station_state_parse(t, &stored);
        l->rate_m_per_h = sl_col_double_or_nan(s, 22);
        l->state = store_effective_state(stored, l->kind, l->last_observed_at,
                                         l->expected_interval_s, grace, now);
        l->exercise = sqlite3_column_int(s, 23) != 0;
        l->drill_public = sqlite3_column_int(s, 24) != 0;
        /* A stale level is not a level: unknown never displays as safe,
         * nor as the last alarm. */
        if (station_state_is_unknown(l->state))
                l->level = LEVEL_NONE;
        if (!l->kind || !l->source || !l->external_id || !l->name ||
            (sqlite3_column_type(s, 7) != SQLITE_NULL && !l->quantity))
                return -ENOMEM;
        return 0;
}

int sl_latest(struct store *st, int64_t station_id, int64_t now, struct store_latest_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = 0;
        sqlite3_stmt *s = sl_stmt(b, station_id ? SL_LATEST_ONE : SL_LATEST_ALL, &rc);
        if (!s)
                return rc;
        if (station_id)
                sqlite3_bind_int64(s, 1, station_id);
        struct latest_ctx ctx = {b->base.grace, now};
        rc = sl_collect(b, s, (void **)&out->v, &out->n, sizeof(*out->v), latest_fill, &ctx);
        if (rc == 0 && station_id && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_latest_list_free(out);
        return rc;
}

int sl_stations_refresh_state(struct store *st, int64_t now, size_t *changed)
{
        struct sl *b = SL(st);
        struct store_latest_list all;
        size_t n = 0;
        if (changed)
                *changed = 0;
        int rc = sl_latest(st, 0, now, &all);
        if (rc < 0)
                return rc;
        rc = sl_tx_begin(b);
        if (rc < 0)
                goto out_free;
        for (size_t i = 0; i < all.n && rc == 0; i++) {
                const struct store_latest *l = &all.v[i];
                if (l->state != STATE_STALE && l->state != STATE_OFFLINE)
                        continue;
                /* The listing was read before the write lock: decide
                 * again on the row as it is now, which another refresh
                 * (or a new observation) may have changed since. */
                struct status_row old;
                rc = status_get(b, l->id, &old);
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
        rc = sl_tx_end(b, rc);
out_free:
        store_latest_list_free(&all);
        if (rc == 0 && changed)
                *changed = n;
        return rc;
}

int sl_station_set_state(struct store *st, int64_t station_id, enum station_state state,
                         int64_t seen_at)
{
        struct sl *b = SL(st);
        if (station_id <= 0 || (int)state < STATE_OK || state > STATE_UNKNOWN)
                return -EINVAL;
        int64_t now = time_now_ms() / 1000;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        struct station_info si;
        struct status_row old;
        rc = station_load(b, station_id, &si, &old);
        if (rc < 0)
                goto out;
        /* Below the start level, no level applies. */
        int level = state == STATE_OK || state == STATE_WATCH ? old.level : LEVEL_NONE;
        enum station_state old_eff = old_effective(b, &si, &old, now);
        rc = status_set_state(b, station_id, state, level, now, seen_at);
        if (rc == 0)
                rc = emit_station_changes(b, station_id, si.exercise, old.level, level, old_eff,
                                          state);
out:
        return sl_tx_end(b, rc);
}
