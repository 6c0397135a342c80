/* The geo lookups' rules that belong to no backend (geo_rules.h). */
#include "geo_rules.h"

#include "level.h"

#include <errno.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool geo_coords_ok(double lon, double lat)
{
        return isfinite(lon) && isfinite(lat) && lon >= -180 && lon <= 180 && lat >= -90 &&
               lat <= 90;
}

/* ---- hazard_at ---------------------------------------------------------- */

int geo_answer_add_area(struct geo_hazard_answer *a, const char *code)
{
        for (size_t i = 0; i < a->n_areas; i++)
                if (strcmp(a->areas[i], code) == 0)
                        return 0;
        char **nv = realloc(a->areas, (a->n_areas + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        a->areas = nv;
        if (!(a->areas[a->n_areas] = strdup(code)))
                return -ENOMEM;
        a->n_areas++;
        return 0;
}

int geo_answer_splits(struct geo_hazard_answer *a, const struct geo_split *s, size_t n)
{
        size_t nsplit = 0, nbare = 0;
        char names[256] = "", bare[8] = "";
        char codes[8][8];
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                const char *code = s[i].code, *nm = s[i].name;
                if (!code || strlen(code) != 7 || nsplit == 8)
                        continue;
                snprintf(codes[nsplit], sizeof(codes[nsplit]), "%s", code);
                if (!s[i].has_geom) {
                        nbare++;
                        snprintf(bare, sizeof(bare), "%s", code);
                }
                size_t l = strlen(names);
                snprintf(names + l, sizeof(names) - l, "%s%s", nsplit ? "・" : "", nm ? nm : "");
                nsplit++;
        }
        if (nsplit == 0)
                return 0;
        if (nbare == 1 && nsplit > 1)
                return geo_answer_add_area(a, bare);
        for (size_t i = 0; i < nsplit && rc == 0; i++)
                rc = geo_answer_add_area(a, codes[i]);
        if (rc == 0 && nsplit > 1) {
                char note[512];
                a->split_unresolved = true;
                snprintf(note, sizeof(note),
                         "土砂災害警戒情報は%sに分けて発表されますが、この地点がどちらに"
                         "当たるかを判定する区域データがないため、高い方の情報を表示しています。",
                         names);
                a->note_ja = strdup(note);
                if (!a->note_ja)
                        rc = -ENOMEM;
        }
        return rc;
}

static char *dup_or_null(const char *s, bool *oom)
{
        char *d = s ? strdup(s) : NULL;
        if (s && !d)
                *oom = true;
        return d;
}

int geo_answer_hit(struct geo_hazard_answer *a, const struct geo_hit_in *in)
{
        struct geo_hazard_hit *h = NULL;
        for (size_t i = 0; i < a->n_hazards; i++)
                if (strcmp(a->hazards[i].layer, in->layer) == 0)
                        h = &a->hazards[i];
        if (h && h->rank >= in->rank)
                return 0;
        bool oom = false;
        if (!h) {
                struct geo_hazard_hit *nv = realloc(a->hazards, (a->n_hazards + 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                a->hazards = nv;
                h = &a->hazards[a->n_hazards++];
                memset(h, 0, sizeof(*h));
                h->layer = dup_or_null(in->layer, &oom);
                h->version = dup_or_null(in->version, &oom);
                h->title = dup_or_null(in->title, &oom);
                h->hazard = dup_or_null(in->hazard, &oom);
        } else {
                free(h->class_);
                free(h->label_ja);
        }
        h->class_ = dup_or_null(in->class_, &oom);
        h->label_ja = dup_or_null(in->label_ja, &oom);
        h->rank = in->rank;
        if (oom || !h->layer || !h->version || !h->title || !h->hazard || !h->class_ ||
            !h->label_ja)
                return -ENOMEM;
        return 0;
}

void geo_answer_sort_hits(struct geo_hazard_answer *a)
{
        for (size_t i = 1; i < a->n_hazards; i++)
                for (size_t j = i;
                     j > 0 && strcmp(a->hazards[j - 1].layer, a->hazards[j].layer) > 0; j--) {
                        struct geo_hazard_hit t = a->hazards[j];
                        a->hazards[j] = a->hazards[j - 1];
                        a->hazards[j - 1] = t;
                }
}

void geo_take_level(int *level, bool *exercise, int lv, bool ex)
{
        if (lv < LEVEL_MIN || lv > LEVEL_MAX)
                return;
        if (*level == LEVEL_NONE || lv > *level) {
                *level = lv;
                if (ex)
                        *exercise = true;
        }
}

int geo_hazard_at_run(double lon, double lat, int view, const struct geo_hazard_ops *ops, void *ctx,
                      struct geo_hazard_answer *out)
{
        memset(out, 0, sizeof(*out));
        out->jma_level = out->river_level = out->order_level = LEVEL_NONE;
        if (!geo_coords_ok(lon, lat))
                return -EINVAL;
        out->lon = lon;
        out->lat = lat;
        int rc = ops->areas(ctx, lon, lat, out);
        if (rc == 0)
                rc = ops->district(ctx, lon, lat, out);
        if (rc == 0)
                rc = ops->layers(ctx, lon, lat, out);
        if (rc == 0)
                rc = ops->levels(ctx, view, out);
        if (rc < 0)
                geo_hazard_answer_free(out);
        return rc;
}

/* ---- shelters_near ------------------------------------------------------ */

struct cand {
        int64_t id;
        double d, brg;
        bool open;
};

struct cands {
        const struct geod_geodesic *g;
        double lon, lat;
        struct cand *v;
        size_t n, cap;
};

static int cand_cmp(const void *x, const void *y)
{
        const struct cand *a = x, *c = y;
        if (a->d != c->d)
                return a->d < c->d ? -1 : 1;
        return a->id < c->id ? -1 : a->id > c->id;
}

/* Distance and bearing from the point, then one more candidate unless it
 * is listed. */
static int cand_push(void *ctx, int64_t id, double lon2, double lat2, bool open)
{
        struct cands *c = ctx;
        for (size_t i = 0; i < c->n; i++)
                if (c->v[i].id == id)
                        return 0;
        if (c->n == c->cap) {
                size_t nc = c->cap ? c->cap * 2 : 64;
                struct cand *nv = realloc(c->v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                c->v = nv;
                c->cap = nc;
        }
        struct cand k = {.id = id, .open = open};
        double azi1 = 0, azi2 = 0;
        geod_inverse(c->g, c->lat, c->lon, lat2, lon2, &k.d, &azi1, &azi2);
        k.brg = k.d < 0.001 ? NAN : azi1 < 0 ? azi1 + 360.0 : azi1;
        c->v[c->n++] = k;
        return 0;
}

static int hit_fill(const struct geo_near_ops *ops, void *ctx, const struct cand *c,
                    struct geo_shelter_hit *h)
{
        h->id = c->id;
        int rc = ops->fill(ctx, c->id, h);
        h->distance_m = c->d;
        h->bearing_deg = c->brg;
        return rc;
}

void geo_near_box(double lon, double lat, double r_m, double box[4])
{
        double coslat = cos(lat * M_PI / 180.0);
        if (coslat < 0.01)
                coslat = 0.01;
        double dlat = r_m / 110000.0 + 1e-6, dlon = r_m / (111320.0 * coslat) + 1e-6;
        box[0] = lon - dlon;
        box[1] = lat - dlat;
        box[2] = lon + dlon;
        box[3] = lat + dlat;
}

int geo_near_run(double lon, double lat, size_t n, const struct geo_near_ops *ops, void *ctx,
                 struct geo_shelter_list *out)
{
        /* GRS80, the ellipsoid of JGD2011; per call, so handles on other
         * threads share nothing. */
        struct geod_geodesic g;
        geod_init(&g, 6378137.0, 1 / 298.257222101);
        struct cands all = {&g, lon, lat, NULL, 0, 0}, open = {&g, lon, lat, NULL, 0, 0};
        int rc = 0;
        memset(out, 0, sizeof(*out));
        /* Grow a box until n shelters lie inside its inscribed circle: those
         * are the n nearest. */
        for (double r_m = GEO_NEAR_R0_M;; r_m *= 2) {
                double box[4];
                geo_near_box(lon, lat, r_m, box);
                all.n = 0;
                rc = ops->box(ctx, box[0], box[1], box[2], box[3], cand_push, &all);
                if (rc < 0)
                        goto out;
                size_t inside = 0;
                for (size_t i = 0; i < all.n; i++)
                        if (all.v[i].d <= r_m)
                                inside++;
                if (inside >= n || r_m >= GEO_SHELTER_MAX_M * 4)
                        break;
        }
        if (all.n)
                qsort(all.v, all.n, sizeof(*all.v), cand_cmp);
        /* Open shelters are few and indexed: all of them, by distance. */
        rc = ops->open(ctx, cand_push, &open);
        if (rc < 0)
                goto out;
        size_t kept = 0;
        for (size_t i = 0; i < open.n; i++)
                if (open.v[i].d <= GEO_SHELTER_MAX_M)
                        open.v[kept++] = open.v[i];
        open.n = kept;
        if (open.n)
                qsort(open.v, open.n, sizeof(*open.v), cand_cmp);
        out->v = calloc(n, sizeof(*out->v));
        if (!out->v) {
                rc = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < open.n && out->n < n && rc == 0; i++)
                rc = hit_fill(ops, ctx, &open.v[i], &out->v[out->n++]);
        for (size_t i = 0; i < all.n && out->n < n && rc == 0; i++) {
                if (all.v[i].open)
                        continue; /* already listed with the open ones */
                rc = hit_fill(ops, ctx, &all.v[i], &out->v[out->n++]);
        }
out:
        free(all.v);
        free(open.v);
        if (rc < 0)
                geo_shelter_list_free(out);
        return rc;
}

/* ---- Addresses ----------------------------------------------------------- */

size_t geo_utf8_chars(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xC0) != 0x80)
                        n++;
        return n;
}

int geo_address_label(struct geo_address *a)
{
        if (!a->code || !a->pref || !a->city || !a->town)
                return -ENOMEM;
        size_t l = strlen(a->pref) + strlen(a->city) + strlen(a->town) + 1;
        a->label = malloc(l);
        if (!a->label)
                return -ENOMEM;
        snprintf(a->label, l, "%s%s%s", a->pref, a->city, a->town);
        return 0;
}

int geo_address_search_run(const char *text, size_t limit,
                           int (*search)(void *ctx, const char *key, size_t limit,
                                         struct geo_address_list *out),
                           void *ctx, struct geo_address_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!text || strlen(text) > 200 || limit < 1 || limit > 100)
                return -EINVAL;
        char key[640];
        if (geo_normalize(text, key, sizeof(key)) < 0)
                return -EINVAL;
        int rc = key[0] ? search(ctx, key, limit, out) : 0;
        if (rc == 0 && out->n == 0) {
                /* A full address with house numbers: "本町1-2-3" is the 町丁目
                 * "本町1丁目"; else cut at the first digit. */
                char *d = strpbrk(key, "0123456789");
                if (d) {
                        char *e = d;
                        while (*e >= '0' && *e <= '9')
                                e++;
                        if (*e == '-' || *e == 0) {
                                char k2[660];
                                snprintf(k2, sizeof(k2), "%.*s丁目", (int)(e - key), key);
                                rc = search(ctx, k2, limit, out);
                        }
                        if (rc == 0 && out->n == 0) {
                                *d = '\0';
                                rc = key[0] ? search(ctx, key, limit, out) : 0;
                        }
                }
        }
        if (rc < 0)
                geo_address_list_free(out);
        return rc;
}
