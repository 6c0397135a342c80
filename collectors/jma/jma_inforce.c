#include "jma_inforce.h"

#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Series ------------------------------------------------------------ */

static int strcmp0(const char *a, const char *b)
{
        return strcmp(a ? a : "", b ? b : "");
}

static int cmp_series(const struct jma_tg *a, const struct jma_tg *b)
{
        int c;
        if ((c = strcmp0(a->office, b->office)) || (c = strcmp0(a->title, b->title)) ||
            (c = strcmp0(a->status, b->status)) || (c = strcmp0(a->event_id, b->event_id)))
                return c;
        return 0;
}

static int cmp_tg_ptr(const void *pa, const void *pb)
{
        const struct jma_tg *a = *(const struct jma_tg *const *)pa;
        const struct jma_tg *b = *(const struct jma_tg *const *)pb;
        int c = cmp_series(a, b);
        if (c)
                return c;
        if (a->datetime != b->datetime)
                return a->datetime < b->datetime ? -1 : 1;
        if (a->serial != b->serial)
                return a->serial < b->serial ? -1 : 1;
        /* The same time and serial: a 取消 comes after what it cancels. */
        bool ca = strcmp0(a->info_type, "取消") == 0, cb = strcmp0(b->info_type, "取消") == 0;
        if (ca != cb)
                return ca ? 1 : -1;
        return a->user < b->user ? -1 : a->user > b->user;
}

int jma_series_resolve(struct jma_tg *v, size_t n)
{
        struct jma_tg **p = malloc((n ? n : 1) * sizeof(*p));
        bool *cancelled = calloc(n ? n : 1, sizeof(*cancelled));
        if (!p || !cancelled) {
                free(p);
                free(cancelled);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                v[i].effective = false;
                p[i] = &v[i];
        }
        qsort(p, n, sizeof(*p), cmp_tg_ptr);
        for (size_t s = 0; s < n;) {
                size_t e = s + 1;
                while (e < n && cmp_series(p[s], p[e]) == 0)
                        e++;
                /* Each 取消 cancels the newest earlier member not yet
                 * cancelled (and is itself never effective). */
                for (size_t i = s; i < e; i++) {
                        if (strcmp0(p[i]->info_type, "取消") != 0)
                                continue;
                        cancelled[i] = true;
                        for (size_t j = i; j-- > s;) {
                                if (!cancelled[j]) {
                                        cancelled[j] = true;
                                        break;
                                }
                        }
                }
                for (size_t i = e; i-- > s;) {
                        if (!cancelled[i]) {
                                p[i]->effective = true;
                                break;
                        }
                }
                s = e;
        }
        free(p);
        free(cancelled);
        return 0;
}

/* ---- Telegram kinds ----------------------------------------------------- */

enum phen {
        PH_RAIN = 1 << 0,
        PH_LANDSLIDE = 1 << 1,
        PH_SURGE = 1 << 2,
        PH_WIND = 1 << 3,
        PH_WAVE = 1 << 4,
        PH_SNOW = 1 << 5,
        PH_OTHER = 1 << 6,
        PH_N = 7,
};

static const char *const phen_names[PH_N] = {"大雨", "土砂", "高潮",        "暴風",
                                             "波浪", "大雪", "その他注意報"};

enum kind_of_tg { TG_NONE, TG_H27, TG_R06, TG_LANDSLIDE };

static bool starts_with(const char *s, const char *p)
{
        return s && strncmp(s, p, strlen(p)) == 0;
}

/* The phenomenon of an R06 title "気象警報・注意報（Ｒ０６）（大雨）", 0 if none. */
static unsigned r06_phen(const char *title)
{
        static const char prefix[] = "気象警報・注意報（Ｒ０６）（";
        if (!starts_with(title, prefix))
                return 0;
        const char *p = title + strlen(prefix);
        if (starts_with(p, "土砂"))
                return PH_LANDSLIDE;
        for (int i = 0; i < PH_N; i++)
                if (starts_with(p, phen_names[i]))
                        return 1u << i;
        return 0;
}

static enum kind_of_tg tg_kind(const char *title)
{
        if (!title)
                return TG_NONE;
        if (strcmp(title, "気象特別警報・警報・注意報") == 0 ||
            strcmp(title, "気象警報・注意報（Ｈ２７）") == 0 ||
            strcmp(title, "気象警報・注意報") == 0)
                return TG_H27;
        if (r06_phen(title))
                return TG_R06;
        if (strcmp(title, "土砂災害警戒情報") == 0)
                return TG_LANDSLIDE;
        return TG_NONE;
}

bool jma_inforce_title_counts(const char *title)
{
        return tg_kind(title) != TG_NONE;
}

/* The phenomena an H27 Kind code belongs to; 0 for 洪水 (no R06 weather
 * counterpart: it stays counted from H27). */
static unsigned h27_phen(const char *code)
{
        static const struct {
                const char *codes;
                unsigned ph;
        } map[] = {
            {"03 10 33", PH_RAIN | PH_LANDSLIDE},
            {"08 19 38", PH_SURGE},
            {"02 05 13 15 32 35", PH_WIND},
            {"07 16 37", PH_WAVE},
            {"06 12 36", PH_SNOW},
            {"14 17 20 21 22 23 24 25 26 27", PH_OTHER},
        };
        if (!code || strlen(code) != 2)
                return 0;
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                const char *hit = strstr(map[i].codes, code);
                if (hit && (hit == map[i].codes || hit[-1] == ' '))
                        return map[i].ph;
        }
        return 0;
}

/* A Kind that states something in force (not 解除, not なし, with a code). */
static bool kind_in_force(const struct jma_warning *w, enum kind_of_tg k)
{
        if (!w->kind_code || !w->kind_code[0])
                return false;
        if (w->kind_status &&
            (strcmp(w->kind_status, "解除") == 0 || strcmp(w->kind_status, "なし") == 0 ||
             strcmp(w->kind_status, "発表警報・注意報はなし") == 0))
                return false;
        if (k == TG_LANDSLIDE)
                return strcmp(w->kind_code, "3") == 0;
        return strcmp(w->kind_code, "00") != 0;
}

static bool area_is_city(const char *code)
{
        if (!code || strlen(code) != 7)
                return false;
        for (int i = 0; i < 7; i++)
                if (code[i] < '0' || code[i] > '9')
                        return false;
        return true;
}

/* ---- Building the result ------------------------------------------------ */

struct builder {
        struct jma_inforce *out;
        size_t cap;
        const struct jma_inforce_options *o;
        int rc;
};

static bool area_wanted(const struct jma_inforce_options *o, const char *code)
{
        if (!o->areas)
                return true;
        for (size_t i = 0; i < o->n_areas; i++)
                if (strcmp(o->areas[i], code) == 0)
                        return true;
        return false;
}

static struct jma_area_state *area_get(struct builder *b, const char *code, const char *name)
{
        for (size_t i = 0; i < b->out->n; i++)
                if (strcmp(b->out->v[i].code, code) == 0)
                        return &b->out->v[i];
        if (b->out->n == b->cap) {
                size_t nc = b->cap ? b->cap * 2 : 64;
                struct jma_area_state *nv = realloc(b->out->v, nc * sizeof(*nv));
                if (!nv) {
                        b->rc = -ENOMEM;
                        return NULL;
                }
                b->out->v = nv;
                b->cap = nc;
        }
        struct jma_area_state *a = &b->out->v[b->out->n++];
        memset(a, 0, sizeof(*a));
        snprintf(a->code, sizeof(a->code), "%s", code);
        snprintf(a->name, sizeof(a->name), "%s", name ? name : code);
        return a;
}

static void kind_add(struct builder *b, struct jma_area_state *a, const char *code,
                     const char *name, const char *status, int level, int64_t issued_at)
{
        for (size_t i = 0; i < a->n_kinds; i++) {
                struct jma_kind *k = &a->kinds[i];
                if (strcmp(k->code, code) == 0) {
                        if (level > k->level || (level == k->level && issued_at > k->issued_at)) {
                                snprintf(k->name, sizeof(k->name), "%s", name);
                                snprintf(k->status, sizeof(k->status), "%s", status);
                                k->level = level;
                                k->issued_at = issued_at;
                        }
                        return;
                }
        }
        struct jma_kind *nv = realloc(a->kinds, (a->n_kinds + 1) * sizeof(*nv));
        if (!nv) {
                b->rc = -ENOMEM;
                return;
        }
        a->kinds = nv;
        struct jma_kind *k = &a->kinds[a->n_kinds++];
        memset(k, 0, sizeof(*k));
        snprintf(k->code, sizeof(k->code), "%s", code);
        snprintf(k->name, sizeof(k->name), "%s", name);
        snprintf(k->status, sizeof(k->status), "%s", status ? status : "発表");
        k->level = level;
        k->issued_at = issued_at;
}

static int64_t report_at(const struct jma_tg *t)
{
        int64_t v = 0;
        if (t->report && t->report->report_datetime &&
            time_parse_iso8601(t->report->report_datetime, 9 * 3600, &v) == 0)
                return v;
        return t->datetime;
}

/* Adds the in-force kinds of telegram t to its areas; H27 kinds of the
 * phenomena in skip_ph are left out.  Every area named gets a row. */
static void add_telegram(struct builder *b, const struct jma_tg *t, enum kind_of_tg k,
                         unsigned skip_ph)
{
        const struct jma_report *r = t->report;
        int64_t at = report_at(t);
        for (size_t i = 0; r && i < r->n_warnings && b->rc == 0; i++) {
                const struct jma_warning *w = &r->warnings[i];
                if (!area_is_city(w->area_code) || !area_wanted(b->o, w->area_code))
                        continue;
                struct jma_area_state *a = area_get(b, w->area_code, w->area_name);
                if (!a || !kind_in_force(w, k))
                        continue;
                if (k == TG_H27 && (h27_phen(w->kind_code) & skip_ph))
                        continue;
                const char *name = w->kind_name ? w->kind_name : w->kind_code;
                if (k == TG_LANDSLIDE)
                        name = r->generation == JMA_GEN_R06 ? "レベル４土砂災害危険警報"
                                                            : "土砂災害警戒情報";
                kind_add(b, a, w->kind_code, name, w->kind_status, w->level, at);
        }
}

/* Marks every area of t unknown for phenomenon ph (silent series). */
static void add_unknown(struct builder *b, const struct jma_tg *t, unsigned ph, int64_t since)
{
        const struct jma_report *r = t->report;
        int idx = 0;
        while (idx < PH_N && !(ph & (1u << idx)))
                idx++;
        char code[24], name[128];
        snprintf(code, sizeof(code), "?%s", idx < PH_N ? phen_names[idx] : "");
        snprintf(name, sizeof(name), "%s警報・注意報（情報途絶）",
                 idx < PH_N ? phen_names[idx] : "");
        for (size_t i = 0; r && i < r->n_warnings && b->rc == 0; i++) {
                const struct jma_warning *w = &r->warnings[i];
                if (!area_is_city(w->area_code) || !area_wanted(b->o, w->area_code))
                        continue;
                struct jma_area_state *a = area_get(b, w->area_code, w->area_name);
                if (a)
                        kind_add(b, a, code, name, "unknown", 0, since);
        }
}

static int cmp_area(const void *pa, const void *pb)
{
        return strcmp(((const struct jma_area_state *)pa)->code,
                      ((const struct jma_area_state *)pb)->code);
}

static int cmp_kind(const void *pa, const void *pb)
{
        return strcmp(((const struct jma_kind *)pa)->code, ((const struct jma_kind *)pb)->code);
}

static bool better(const struct jma_tg *a, const struct jma_tg *b)
{
        if (!b)
                return true;
        if (a->datetime != b->datetime)
                return a->datetime > b->datetime;
        return a->serial > b->serial;
}

int jma_inforce_compute(const struct jma_tg *v, size_t n, const struct jma_inforce_options *opts,
                        struct jma_inforce *out)
{
        memset(out, 0, sizeof(*out));
        struct builder b = {.out = out, .o = opts};
        int64_t silence = opts->max_silence_s > 0 ? opts->max_silence_s : 86400;
        int64_t window = opts->r06_window_s > 0 ? opts->r06_window_s : 259200;
        const char *status = opts->status ? opts->status : "通常";
        /* 試験 telegrams never count, whatever the caller asks. */
        if (strcmp(status, "試験") == 0)
                return 0;
        bool *office_done = calloc(n ? n : 1, sizeof(*office_done));
        if (!office_done)
                return -ENOMEM;
        /* One office at a time: its clock is its own newest telegram. */
        for (size_t o = 0; o < n && b.rc == 0; o++) {
                if (office_done[o] || strcmp0(v[o].status, status) != 0)
                        continue;
                const char *office = v[o].office;
                int64_t now = 0;
                unsigned r06_active = 0;
                for (size_t i = o; i < n; i++) {
                        if (strcmp0(v[i].office, office) != 0 || strcmp0(v[i].status, status) != 0)
                                continue;
                        office_done[i] = true;
                        if (v[i].datetime > now)
                                now = v[i].datetime;
                }
                for (size_t i = o; i < n; i++)
                        if (strcmp0(v[i].office, office) == 0 &&
                            strcmp0(v[i].status, status) == 0 && v[i].datetime >= now - window)
                                r06_active |= r06_phen(v[i].title);
                const struct jma_tg *h27 = NULL;
                for (size_t i = o; i < n; i++)
                        if (strcmp0(v[i].office, office) == 0 &&
                            strcmp0(v[i].status, status) == 0 && v[i].effective && v[i].report &&
                            tg_kind(v[i].title) == TG_H27 && better(&v[i], h27))
                                h27 = &v[i];
                if (h27)
                        add_telegram(&b, h27, TG_H27, r06_active);
                for (size_t i = o; i < n && b.rc == 0; i++) {
                        const struct jma_tg *t = &v[i];
                        if (strcmp0(t->office, office) != 0 || strcmp0(t->status, status) != 0 ||
                            !t->effective || !t->report || tg_kind(t->title) != TG_R06)
                                continue;
                        unsigned ph = r06_phen(t->title);
                        if (!(ph & r06_active))
                                continue;
                        add_telegram(&b, t, TG_R06, 0);
                        if (t->datetime < now - silence)
                                add_unknown(&b, t, ph, t->datetime + silence);
                }
                /* VXWW50 last, so its twin check sees the R06 土砂 kinds. */
                for (size_t i = o; i < n && b.rc == 0; i++) {
                        const struct jma_tg *t = &v[i];
                        if (strcmp0(t->office, office) != 0 || strcmp0(t->status, status) != 0 ||
                            !t->effective || !t->report || tg_kind(t->title) != TG_LANDSLIDE)
                                continue;
                        const struct jma_report *r = t->report;
                        int64_t at = report_at(t);
                        for (size_t k = 0; k < r->n_warnings && b.rc == 0; k++) {
                                const struct jma_warning *w = &r->warnings[k];
                                if (!area_is_city(w->area_code) || !area_wanted(opts, w->area_code))
                                        continue;
                                struct jma_area_state *a = area_get(&b, w->area_code, w->area_name);
                                if (!a || !kind_in_force(w, TG_LANDSLIDE))
                                        continue;
                                bool twin = false;
                                for (size_t q = 0; q < a->n_kinds; q++)
                                        twin = twin || strcmp(a->kinds[q].code, "49") == 0 ||
                                               strcmp(a->kinds[q].code, "39") == 0;
                                if (twin)
                                        continue;
                                kind_add(&b, a, w->kind_code,
                                         r->generation == JMA_GEN_R06 ? "レベル４土砂災害危険警報"
                                                                      : "土砂災害警戒情報",
                                         w->kind_status, w->level ? w->level : 4, at);
                        }
                }
        }
        free(office_done);
        if (b.rc < 0) {
                jma_inforce_free(out);
                return b.rc;
        }
        /* qsort() must not be given NULL, even for zero elements. */
        if (out->n > 1)
                qsort(out->v, out->n, sizeof(*out->v), cmp_area);
        for (size_t i = 0; i < out->n; i++) {
                struct jma_area_state *a = &out->v[i];
                if (a->n_kinds > 1)
                        qsort(a->kinds, a->n_kinds, sizeof(*a->kinds), cmp_kind);
                a->level = 0;
                for (size_t k = 0; k < a->n_kinds; k++)
                        if (a->kinds[k].level > a->level)
                                a->level = a->kinds[k].level;
        }
        return 0;
}

void jma_inforce_free(struct jma_inforce *f)
{
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                free(f->v[i].kinds);
        free(f->v);
        f->v = NULL;
        f->n = 0;
}
