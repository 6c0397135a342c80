#include "river_write.h"

#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Readings kept per gauge: an hour of 10-minute data with room for
 * sources that report more often. */
#define SAMPLES 32

struct entry {
        struct gauge_view view;
        struct level_sample s[SAMPLES];
        size_t n_s, head;
        bool used;
};

struct river_writer {
        char kind[32];
        int64_t expected_interval_s;
        bool above_start;
        struct entry *tab;
        size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

struct river_writer *river_writer_new(const char *kind, int64_t expected_interval_s,
                                      bool listing_above_start)
{
        struct river_writer *w = calloc(1, sizeof(*w));
        if (!w)
                return NULL;
        river_copy_str(w->kind, sizeof(w->kind), kind);
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

static void add_sample(struct entry *e, int64_t t, double v)
{
        /* The same reading listed again (the site had not updated) is not a
         * second sample. */
        if (e->n_s) {
                size_t last = (e->head + SAMPLES - 1) % SAMPLES;
                if (e->s[last].t_s == t) {
                        e->s[last].level_m = v;
                        return;
                }
        }
        e->s[e->head] = (struct level_sample){t, v};
        e->head = (e->head + 1) % SAMPLES;
        if (e->n_s < SAMPLES)
                e->n_s++;
}

static double rate_of(const struct entry *e, int64_t now_s)
{
        struct level_sample tmp[SAMPLES];
        size_t n = 0;
        for (size_t i = 0; i < e->n_s; i++)
                tmp[n++] = e->s[(e->head + SAMPLES - e->n_s + i) % SAMPLES];
        return river_rate_m_per_h(tmp, n, now_s);
}

/* Metadata of a listing replaces the kept one field by field, so a
 * listing that lacks a point does not erase the one known. */
static void merge_meta(struct gauge *dst, const struct gauge *src)
{
        if (src->name[0])
                memcpy(dst->name, src->name, sizeof(dst->name));
        if (src->river[0])
                memcpy(dst->river, src->river, sizeof(dst->river));
        if (src->town[0])
                memcpy(dst->town, src->town, sizeof(dst->town));
        if (!isnan(src->lat) && !isnan(src->lon)) {
                dst->lat = src->lat;
                dst->lon = src->lon;
        }
        dst->crisis = src->crisis;
        dst->th = src->th;
        dst->observed_s = src->observed_s;
        dst->level_m = src->level_m;
}

int river_write(struct river_writer *w, struct source_ctx *ctx, const struct gauge_set *set)
{
        for (size_t i = 0; i < w->cap; i++)
                w->tab[i].view.listed = false;
        unsigned changed = 0;
        for (size_t i = 0; i < set->n; i++) {
                const struct gauge *g = &set->v[i];
                struct entry *e = lookup(w, g->id);
                if (!e) {
                        e = insert(w, g->id);
                        if (!e)
                                return -ENOMEM;
                        e->view.g = *g;
                } else {
                        merge_meta(&e->view.g, g);
                }
                e->view.listed = true;
                if (!isnan(g->level_m) && g->observed_s)
                        add_sample(e, g->observed_s, g->level_m);
                struct level_result lr = level_from_thresholds(g->level_m, &g->th);
                if (lr.level != e->view.lr.level || lr.state != e->view.lr.state)
                        changed++;
                e->view.lr = lr;
                e->view.rate_m_per_h = rate_of(e, g->observed_s);
        }
        unsigned dropped = 0;
        if (w->above_start) {
                for (size_t i = 0; i < w->cap; i++) {
                        struct entry *e = &w->tab[i];
                        if (!e->used || e->view.listed || e->view.lr.state == STATE_BELOW_START)
                                continue;
                        /* Out of the listing: below 観測開始水位. */
                        e->view.lr.level = LEVEL_NONE;
                        e->view.lr.state = STATE_BELOW_START;
                        e->view.rate_m_per_h = NAN;
                        dropped++;
                        changed++;
                }
        }
        if (ctx)
                log_info("%s: %zu gauges listed, %u changed level or state, %u fell below "
                         "観測開始水位",
                         ctx->name, set->n, changed, dropped);
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

void river_log_notes(struct source_ctx *ctx, const struct parse_notes *notes)
{
        if (!ctx || !notes->skipped)
                return;
        for (unsigned i = 0; i < notes->n_kept; i++)
                log_warn("%s: skipped: %s", ctx->name, notes->reason[i]);
        if (notes->skipped > notes->n_kept)
                log_warn("%s: %u more rows skipped", ctx->name, notes->skipped - notes->n_kept);
}

int rain_write(struct source_ctx *ctx, const char *kind, const struct rain_set *set)
{
        if (ctx)
                log_info("%s: %zu rain stations read", ctx->name, set->n);
        return 0;
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
        if (river_write(w, ctx, &set) < 0) {
                fetch_forget(ctx->fetch, url);
                source_why(ctx, "the store refused the readings");
                st = POLL_FAILED;
        }
out:
        gauge_set_free(&set);
        fetch_result_free(&res);
        return st;
}
