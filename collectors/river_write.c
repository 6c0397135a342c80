#include "river_write.h"

#include "log.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
        struct gauge_view view;
        bool meta_dirty; /* station row to be (re)written */
        bool used;
};

struct river_writer {
        char source[64];
        int64_t expected_interval_s;
        bool above_start;
        bool exercise; /* a drill's source: its stations are marked exercise */
        bool loaded;   /* stations of this source read back from the store */
        struct entry *tab;
        size_t cap, n;
        struct store_obs *obs; /* scratch for one listing */
        size_t obs_cap;
        size_t no_point;        /* gauges of the last listing left out: no point */
        char no_point_ids[128]; /* the first of them, comma-separated */
};

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

struct river_writer *river_writer_new(const char *source, int64_t expected_interval_s,
                                      bool listing_above_start)
{
        struct river_writer *w = calloc(1, sizeof(*w));
        if (!w)
                return NULL;
        river_copy_str(w->source, sizeof(w->source), source);
        w->expected_interval_s = expected_interval_s;
        w->above_start = listing_above_start;
        w->cap = 256;
        w->tab = calloc(w->cap, sizeof(*w->tab));
        if (!w->tab) {
                free(w);
                return NULL;
        }
        return w;
}

void river_writer_free(struct river_writer *w)
{
        if (!w)
                return;
        free(w->tab);
        free(w->obs);
        free(w);
}

static struct entry *lookup(const struct river_writer *w, const char *id)
{
        size_t i = hash_str(id) & (w->cap - 1);
        while (w->tab[i].used) {
                if (strcmp(w->tab[i].view.g.id, id) == 0)
                        return &w->tab[i];
                i = (i + 1) & (w->cap - 1);
        }
        return NULL;
}

static int grow(struct river_writer *w)
{
        size_t ncap = w->cap * 2;
        struct entry *nt = calloc(ncap, sizeof(*nt));
        if (!nt)
                return -ENOMEM;
        for (size_t i = 0; i < w->cap; i++) {
                if (!w->tab[i].used)
                        continue;
                size_t j = hash_str(w->tab[i].view.g.id) & (ncap - 1);
                while (nt[j].used)
                        j = (j + 1) & (ncap - 1);
                nt[j] = w->tab[i];
        }
        free(w->tab);
        w->tab = nt;
        w->cap = ncap;
        return 0;
}

static struct entry *insert(struct river_writer *w, const char *id)
{
        if ((w->n + 1) * 2 > w->cap && grow(w) < 0)
                return NULL;
        size_t i = hash_str(id) & (w->cap - 1);
        while (w->tab[i].used)
                i = (i + 1) & (w->cap - 1);
        struct entry *e = &w->tab[i];
        memset(e, 0, sizeof(*e));
        e->used = true;
        w->n++;
        return e;
}

static bool same_num(double a, double b)
{
        return (isnan(a) && isnan(b)) || a == b;
}

static bool same_thresholds(const struct level_thresholds *a, const struct level_thresholds *b)
{
        return same_num(a->standby, b->standby) && same_num(a->caution, b->caution) &&
               same_num(a->evacuation, b->evacuation) && same_num(a->danger, b->danger) &&
               same_num(a->flood, b->flood) && same_num(a->start, b->start);
}

/* Metadata of a listing replaces the kept one field by field, so a
 * listing that lacks a point does not erase the one known.  Returns true
 * when something the station row holds changed. */
static bool merge_meta(struct gauge *dst, const struct gauge *src)
{
        bool changed = false;
        if (src->name[0] && strcmp(dst->name, src->name) != 0) {
                memcpy(dst->name, src->name, sizeof(dst->name));
                changed = true;
        }
        if (src->river[0] && strcmp(dst->river, src->river) != 0) {
                memcpy(dst->river, src->river, sizeof(dst->river));
                changed = true;
        }
        if (src->town[0] && strcmp(dst->town, src->town) != 0) {
                memcpy(dst->town, src->town, sizeof(dst->town));
                changed = true;
        }
        if (!isnan(src->lat) && !isnan(src->lon) &&
            (dst->lat != src->lat || dst->lon != src->lon)) {
                dst->lat = src->lat;
                dst->lon = src->lon;
                changed = true;
        }
        if (!same_thresholds(&dst->th, &src->th)) {
                dst->th = src->th;
                changed = true;
        }
        dst->crisis = src->crisis;
        dst->observed_s = src->observed_s;
        dst->level_m = src->level_m;
        return changed;
}

/* The stations this source wrote before a restart: known again, so one
 * that is absent from the first listing is below_start, not forgotten. */
static int load_known(struct river_writer *w, struct store *st)
{
        struct store_latest_list all = {0};
        int rc = store_latest_all(st, time_now_ms() / 1000, &all);
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < all.n; i++) {
                const struct store_latest *l = &all.v[i];
                if (!l->source || strcmp(l->source, w->source) != 0 || !l->external_id ||
                    lookup(w, l->external_id))
                        continue;
                struct entry *e = insert(w, l->external_id);
                if (!e) {
                        rc = -ENOMEM;
                        break;
                }
                gauge_clear(&e->view.g);
                river_copy_str(e->view.g.id, sizeof(e->view.g.id), l->external_id);
                river_copy_str(e->view.g.name, sizeof(e->view.g.name), l->name);
                river_copy_str(e->view.g.river, sizeof(e->view.g.river), l->river);
                e->view.g.lat = l->lat;
                e->view.g.lon = l->lon;
                e->view.g.th = l->thr;
                e->view.station_id = l->id;
                e->view.lr.level = (enum level)l->level;
                e->view.lr.state = l->state;
        }
        store_latest_list_free(&all);
        return rc;
}

static bool storable(const struct gauge *g)
{
        const struct level_thresholds *t = &g->th;
        if (!(g->lat >= -90 && g->lat <= 90 && g->lon >= -180 && g->lon <= 180))
                return false;
        if (!isnan(t->caution) && !isnan(t->danger) && t->caution > t->danger)
                return false;
        if (!isnan(t->danger) && !isnan(t->flood) && t->danger > t->flood)
                return false;
        return true;
}

static int upsert_station(struct river_writer *w, struct store *st, struct entry *e)
{
        const struct gauge *g = &e->view.g;
        char area[16] = "";
        /* A 5-digit municipality code is JMA's class-20 area code + "00". */
        if (strlen(g->town) == 5)
                snprintf(area, sizeof(area), "%.5s00", g->town);
        struct store_station s = {
            .kind = "gauge",
            .source = w->source,
            .external_id = g->id,
            .name = g->name[0] ? g->name : g->id,
            .river = g->river[0] ? g->river : NULL,
            .area_code = area[0] ? area : NULL,
            .quantity = "water_level_m",
            .lon = g->lon,
            .lat = g->lat,
            .thr = g->th,
            .expected_interval_s = w->expected_interval_s,
            .exercise = w->exercise,
        };
        int rc = store_station_upsert(st, &s, &e->view.station_id);
        if (rc == 0)
                e->meta_dirty = false;
        return rc;
}

int river_write(struct river_writer *w, struct store *st, const struct gauge_set *set,
                int64_t seen_s)
{
        int rc = 0;
        if (st && !w->loaded) {
                if ((rc = load_known(w, st)) < 0)
                        return rc;
                w->loaded = true;
        }
        if (set->n > w->obs_cap) {
                struct store_obs *o = realloc(w->obs, set->n * sizeof(*o));
                if (!o)
                        return -ENOMEM;
                w->obs = o;
                w->obs_cap = set->n;
        }
        for (size_t i = 0; i < w->cap; i++)
                w->tab[i].view.listed = false;
        for (size_t i = 0; i < set->n; i++) {
                const struct gauge *g = &set->v[i];
                struct entry *e = lookup(w, g->id);
                if (!e) {
                        if (!(e = insert(w, g->id)))
                                return -ENOMEM;
                        e->view.g = *g;
                        e->meta_dirty = true;
                } else if (merge_meta(&e->view.g, g)) {
                        e->meta_dirty = true;
                }
                /* The same id twice in one listing: the first one counts. */
                if (e->view.listed)
                        continue;
                e->view.listed = true;
                e->view.lr = level_from_thresholds(g->level_m, &g->th);
        }
        if (!st)
                goto view_only;

        if ((rc = store_begin(st)) < 0)
                return rc;
        size_t n_obs = 0;
        w->no_point = 0;
        w->no_point_ids[0] = '\0';
        for (size_t i = 0; i < w->cap && rc == 0; i++) {
                struct entry *e = &w->tab[i];
                if (!e->used || !e->view.listed)
                        continue;
                const struct gauge *g = &e->view.g;
                if (!storable(g)) {
                        /* The store places every station and keeps its
                         * thresholds in order: one without a point or with
                         * crossed thresholds is left out (and counted), so
                         * it cannot make the whole listing fail. */
                        size_t l = strlen(w->no_point_ids);
                        if (l + strlen(g->id) + 2 < sizeof(w->no_point_ids))
                                snprintf(w->no_point_ids + l, sizeof(w->no_point_ids) - l, "%s%s",
                                         l ? "," : "", g->id);
                        w->no_point++;
                        continue;
                }
                if (e->meta_dirty || !e->view.station_id)
                        rc = upsert_station(w, st, e);
                if (rc < 0)
                        break;
                if (!isnan(g->level_m) && g->observed_s) {
                        w->obs[n_obs++] = (struct store_obs){
                            .station_id = e->view.station_id,
                            .quantity = "water_level_m",
                            .observed_at = g->observed_s,
                            .value = g->level_m,
                        };
                } else {
                        /* 欠測: the gauge answered without a value. */
                        rc = store_station_set_state(st, e->view.station_id, STATE_UNKNOWN, 0);
                }
        }
        if (rc == 0 && n_obs)
                rc = store_observations_add(st, w->obs, n_obs, NULL);
        if (rc == 0 && w->above_start) {
                /* Out of the listing: below 観測開始水位.  The listing itself
                 * vouches for them, so they do not go stale while it comes. */
                for (size_t i = 0; i < w->cap && rc == 0; i++) {
                        struct entry *e = &w->tab[i];
                        if (e->used && !e->view.listed && e->view.station_id)
                                rc = store_station_set_state(st, e->view.station_id,
                                                             STATE_BELOW_START, seen_s);
                }
        }
        if (rc == 0)
                rc = store_commit(st);
        else
                store_rollback(st);
        if (rc < 0) {
                /* Write everything again next time. */
                for (size_t i = 0; i < w->cap; i++)
                        w->tab[i].meta_dirty = w->tab[i].used;
                return rc;
        }
view_only:
        if (w->above_start) {
                for (size_t i = 0; i < w->cap; i++) {
                        struct entry *e = &w->tab[i];
                        if (e->used && !e->view.listed) {
                                e->view.lr.level = LEVEL_NONE;
                                e->view.lr.state = STATE_BELOW_START;
                        }
                }
        }
        return 0;
}

int river_writer_get(const struct river_writer *w, const char *id, struct gauge_view *out)
{
        const struct entry *e = lookup(w, id);
        if (!e)
                return -ENOENT;
        *out = e->view;
        return 0;
}

size_t river_writer_count(const struct river_writer *w)
{
        return w->n;
}

size_t river_writer_no_point(const struct river_writer *w)
{
        return w->no_point;
}

const char *river_writer_no_point_ids(const struct river_writer *w)
{
        return w->no_point_ids;
}

void river_log_notes(struct source_ctx *ctx, const struct parse_notes *notes)
{
        if (!ctx || !notes->skipped)
                return;
        for (unsigned i = 0; i < notes->n_kept; i++)
                log_warn("%s: skipped: %s", ctx->name, notes->reason[i]);
        if (notes->skipped > notes->n_kept)
                log_warn("%s: %u more rows skipped", ctx->name, notes->skipped - notes->n_kept);
}

enum poll_status river_poll(struct source_ctx *ctx, struct river_writer *w, gauge_parse_fn parse,
                            void *arg, const char *what)
{
        struct fetch_result res;
        struct gauge_set set = {0};
        struct parse_notes notes = {0};
        enum poll_status st = POLL_OK;
        const char *url = ctx->in->url;
        fetch_result_init(&res);
        int rc = source_fetch(ctx, url, FETCH_CONDITIONAL, &res);
        if (rc < 0) {
                st = POLL_FAILED;
                goto out;
        }
        if (res.not_modified) {
                st = POLL_UNCHANGED;
                goto out;
        }
        if (parse(res.body.data, res.body.len, &set, &notes, arg) < 0) {
                /* The next poll must get the body again, not a 304. */
                fetch_forget(ctx->fetch, url);
                source_why(ctx, "GET %s: %zu bytes, sha256 %.16s: not a %s", url, res.body.len,
                           res.sha256, what);
                st = POLL_BAD_DATA;
                goto out;
        }
        river_log_notes(ctx, &notes);
        w->exercise = ctx->exercise;
        rc = river_write(w, ctx->store, &set, time_now_ms() / 1000);
        if (rc < 0) {
                fetch_forget(ctx->fetch, url);
                source_why(ctx, "store: %s", store_strerror(rc));
                st = POLL_FAILED;
                goto out;
        }
        log_info("%s: %zu gauges read, %u rows skipped", ctx->name, set.n, notes.skipped);
        if (river_writer_no_point(w))
                log_warn("%s: %zu gauges have no point or crossed thresholds and were not stored "
                         "(%s)",
                         ctx->name, river_writer_no_point(w), river_writer_no_point_ids(w));
out:
        gauge_set_free(&set);
        fetch_result_free(&res);
        return st;
}

int rain_write(struct store *st, const char *source, const struct rain_set *set,
               const struct rain_meta *meta, size_t n_meta, int64_t expected_interval_s,
               bool exercise)
{
        int rc = store_begin(st);
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < set->n && rc == 0; i++) {
                const struct rain *r = &set->v[i];
                const struct rain_meta *m = NULL;
                for (size_t k = 0; k < n_meta && !m; k++)
                        if (strcmp(meta[k].id, r->id) == 0)
                                m = &meta[k];
                struct store_station s = {
                    .kind = "rain",
                    .source = source,
                    .external_id = r->id,
                    .name = m && m->name ? m->name : r->id,
                    .quantity = "precip_10m_mm",
                    .lon = m ? m->lon : NAN,
                    .lat = m ? m->lat : NAN,
                    .expected_interval_s = expected_interval_s,
                    .exercise = exercise,
                };
                level_thresholds_clear(&s.thr);
                int64_t id = 0;
                rc = store_station_upsert(st, &s, &id);
                const struct {
                        const char *quantity;
                        double value;
                } q[] = {
                    {"precip_10m_mm", r->precip_10m_mm},
                    {"precip_1h_mm", r->precip_1h_mm},
                    {"precip_3h_mm", r->precip_3h_mm},
                    {"precip_24h_mm", r->precip_24h_mm},
                };
                struct store_obs o[4];
                size_t n = 0;
                for (size_t k = 0; k < 4; k++)
                        if (!isnan(q[k].value))
                                o[n++] = (struct store_obs){id, q[k].quantity, r->observed_s,
                                                            q[k].value, 0};
                if (rc == 0 && n)
                        rc = store_observations_add(st, o, n, NULL);
                else if (rc == 0)
                        rc = store_station_set_state(st, id, STATE_UNKNOWN, 0);
        }
        if (rc == 0)
                return store_commit(st);
        store_rollback(st);
        return rc;
}
