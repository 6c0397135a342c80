/* Source `jma`: JMA 防災情報XML through the PULL Atom feeds, configured by
 * the [jma] section (docs/sources/jma.md).
 *
 * Each poll fetches the configured feeds conditionally (If-Modified-Since /
 * If-None-Match), and the long feeds (*_l.xml) on the first poll and after
 * a gap (the short feed no longer reaches back to the newest entry seen).
 * Entries of the configured offices (and 気象庁's national earthquake,
 * tsunami, volcano and 記録的短時間大雨 telegrams, and the aggregates asked
 * for) are keyed on link/@href and written to the telegram
 * ledger (store_jma_telegram_put): a telegram is fetched until it succeeds
 * once (200 and a valid Report), then never again; a failure is retried
 * after 1, 2, 4, 8 polls and after `retries` attempts the telegram is
 * recorded lost with a source.health event; a 404 is recorded gone at once.
 * A fetched telegram is stored as a raw document, its warnings as alerts
 * (twins once: VPOA50/VPBS50, the R06 土砂 warning as VPWW56 and VXWW50),
 * and what is in force per area is recomputed from the ledger
 * (jma_inforce.h) and written with store_area_set_in_force(). */
#include "fetch.h"
#include "jma_feed.h"
#include "jma_inforce.h"
#include "jma_parse.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JMA_SOURCE      "jma"
#define MAX_LIST        64
#define MAX_RETRY_QUEUE 4096

struct list {
        char *v[MAX_LIST];
        size_t n;
};

struct feed_state {
        char name[16];
        char url[1024];
        char long_url[1024];
        int64_t newest; /* newest entry <updated> seen, 0 before the first */
        bool caught_up; /* the long feed was read since start */
};

/* A telegram waiting for its next attempt. */
struct retry {
        char *url;
        char feed[16];
        char *title, *office;
        int attempts;
        unsigned due_poll;
        int64_t first_seen_at;
};

struct jma {
        struct list offices, areas, aggregates;
        struct feed_state feeds[8];
        size_t n_feeds;
        struct retry *q;
        size_t n_q;
        unsigned poll_no;
        bool exercise, national;
        int retries;
        int64_t max_silence, r06_window;
        bool recompute; /* in force must be recomputed (first poll, new telegram) */
};

static void list_free(struct list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        l->n = 0;
}

/* Splits a comma-separated value, trimming spaces; -E2BIG past MAX_LIST. */
static int list_parse(struct list *l, const char *s)
{
        list_free(l);
        while (s && *s) {
                while (*s == ' ' || *s == ',' || *s == '\t')
                        s++;
                const char *e = s;
                while (*e && *e != ',')
                        e++;
                const char *t = e;
                while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
                        t--;
                if (t > s) {
                        if (l->n == MAX_LIST)
                                return -E2BIG;
                        if (!(l->v[l->n] = strndup(s, (size_t)(t - s))))
                                return -ENOMEM;
                        l->n++;
                }
                s = e;
        }
        return 0;
}

static bool list_has(const struct list *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], s) == 0)
                        return true;
        return false;
}

static void retry_free(struct retry *r)
{
        free(r->url);
        free(r->title);
        free(r->office);
}

static void jma_destroy(void *state)
{
        struct jma *j = state;
        if (!j)
                return;
        list_free(&j->offices);
        list_free(&j->areas);
        list_free(&j->aggregates);
        for (size_t i = 0; i < j->n_q; i++)
                retry_free(&j->q[i]);
        free(j->q);
        free(j);
}

static bool jma_enabled(const struct sonae_config *cfg)
{
        return cfg->jma.enabled;
}

/* The line of key in the [jma] section of the config file, for -n's
 * messages (the section's values reach the source without their lines);
 * 0 when not found.  Read only when a value is refused. */
static int key_line(const char *file, const char *key)
{
        FILE *f = file ? fopen(file, "r") : NULL;
        if (!f)
                return 0;
        char line[1024];
        int no = 0, found = 0;
        bool in_jma = false;
        size_t kl = strlen(key);
        while (!found && fgets(line, sizeof(line), f)) {
                no++;
                const char *p = line + strspn(line, " \t");
                if (*p == '[') {
                        in_jma = strncmp(p, "[jma]", 5) == 0;
                } else if (in_jma && strncmp(p, key, kl) == 0) {
                        const char *q = p + kl;
                        q += strspn(q, " \t");
                        if (*q == '=' || *q == ':')
                                found = no;
                }
        }
        fclose(f);
        return found;
}

#define JMA_ERROR(key, ...)                                                                        \
        conf_diag_add(diag, true, file, key_line(file, key), "jma", key, __VA_ARGS__)

static int jma_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                         struct conf_diag *diag, void **state)
{
        struct jma *j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        *state = j;
        const struct conf_jma *c = &cfg->jma;
        const char *file = cfg->file;
        int rc = 0;
        if (list_parse(&j->offices, c->offices) < 0) {
                JMA_ERROR("offices", "more than %d offices", MAX_LIST);
                rc = -EINVAL;
        }
        if (list_parse(&j->areas, c->areas) < 0) {
                JMA_ERROR("areas", "more than %d areas", MAX_LIST);
                rc = -EINVAL;
        }
        for (size_t i = 0; i < j->areas.n; i++) {
                const char *a = j->areas.v[i];
                bool ok = strlen(a) == 7 && strspn(a, "0123456789") == 7;
                if (!ok) {
                        JMA_ERROR("areas", "'%s' is not a 7-digit JMA area code", a);
                        rc = -EINVAL;
                }
        }
        if (list_parse(&j->aggregates, c->aggregates) < 0) {
                JMA_ERROR("aggregates", "more than %d types", MAX_LIST);
                rc = -EINVAL;
        }
        for (size_t i = 0; i < j->aggregates.n; i++) {
                if (strcmp(j->aggregates.v[i], "VPWS50") && strcmp(j->aggregates.v[i], "VPRN50")) {
                        JMA_ERROR("aggregates", "'%s' is not VPWS50 or VPRN50", j->aggregates.v[i]);
                        rc = -EINVAL;
                }
        }
        struct list feeds = {0};
        if (list_parse(&feeds, c->feeds) < 0 || feeds.n == 0) {
                JMA_ERROR("feeds", "no feed named");
                rc = -EINVAL;
        }
        const char *base = c->base_url ? c->base_url : "";
        size_t bl = strlen(base);
        /* Every feed name checked, the base URL once, whatever came before. */
        bool base_ok = true;
        for (size_t i = 0; i < feeds.n; i++) {
                const char *f = feeds.v[i];
                if (strcmp(f, "extra") && strcmp(f, "eqvol") && strcmp(f, "regular") &&
                    strcmp(f, "other")) {
                        JMA_ERROR("feeds", "'%s' is not extra, eqvol, regular or other", f);
                        rc = -EINVAL;
                        continue;
                }
                if (j->n_feeds == sizeof(j->feeds) / sizeof(j->feeds[0]))
                        break;
                struct feed_state *fs = &j->feeds[j->n_feeds++];
                snprintf(fs->name, sizeof(fs->name), "%s", f);
                const char *sep = bl && base[bl - 1] == '/' ? "" : "/";
                snprintf(fs->url, sizeof(fs->url), "%s%s%s.xml", base, sep, f);
                snprintf(fs->long_url, sizeof(fs->long_url), "%s%s%s_l.xml", base, sep, f);
                base_ok = base_ok && fetch_url_allowed(fs->url);
        }
        if (!base_ok) {
                JMA_ERROR("base_url", "'%s' is not allowed: HTTPS is required except to loopback",
                          base);
                rc = -EINVAL;
        }
        list_free(&feeds);
        j->exercise = c->exercise;
        j->national = c->national;
        j->retries = (int)c->retries;
        j->max_silence = c->max_silence;
        j->r06_window = c->r06_window;
        j->recompute = true;
        (void)in;
        return rc;
}
#undef JMA_ERROR

/* ---- Which entries are fetched ------------------------------------------ */

static bool is_type(const struct jma_feed_entry *e, const char *a, const char *b)
{
        return strcmp(e->type, a) == 0 || strcmp(e->type, b) == 0;
}

static bool wanted(const struct jma *j, const struct feed_state *fs, const struct jma_feed_entry *e)
{
        /* The large national aggregates only when asked for by type, and
         * then whoever the author (気象庁 issues them). */
        if (is_type(e, "VPWS50", "VPRN50"))
                return list_has(&j->aggregates, e->type);
        for (size_t i = 0; i < j->offices.n; i++)
                if (strstr(e->author, j->offices.v[i]))
                        return true;
        if (!j->national || strcmp(e->author, "気象庁") != 0)
                return false;
        /* 気象庁 itself issues the national earthquake, tsunami and volcano
         * telegrams (the eqvol feed) and every prefecture's 記録的短時間大雨情報
         * (VPOA50) and 府県気象防災速報 (VPBS50) of the extra feed: small and
         * rare, and only the offices' prefectures get alerts from them. */
        return strcmp(fs->name, "eqvol") == 0 ||
               (strcmp(fs->name, "extra") == 0 && is_type(e, "VPOA50", "VPBS50"));
}

/* ---- Storing a telegram -------------------------------------------------- */

static int64_t parse_time(const char *s)
{
        int64_t v = 0;
        return s && time_parse_iso8601(s, 9 * 3600, &v) == 0 ? v : 0;
}

static int parse_serial(const char *s)
{
        if (!s || !*s)
                return -1;
        char *end;
        long v = strtol(s, &end, 10);
        return *end || v < 0 || v > 1000000 ? -1 : (int)v;
}

static bool status_counts(const struct jma *j, const char *status)
{
        return status &&
               (strcmp(status, "通常") == 0 || (j->exercise && strcmp(status, "訓練") == 0));
}

static bool from_offices(const struct jma *j, const char *office)
{
        for (size_t i = 0; office && i < j->offices.n; i++)
                if (strstr(office, j->offices.v[i]))
                        return true;
        return false;
}

static const char *strip_k(const char *event_id)
{
        return event_id[0] == 'K' ? event_id + 1 : event_id;
}

/* Whether the VPOA50 / VPBS50 twin of r (the same EventID but for a
 * leading K) already gave w's area the kind of w, with r's Status: a
 * 記録的短時間大雨 is then shown once, whichever twin came first. */
static bool heavy_rain_twin_gave(struct store *st, const struct jma_report *r, int64_t at,
                                 const struct jma_warning *w)
{
        if (r->family != JMA_FAMILY_HEAVY_RAIN || !r->event_id || !r->title)
                return false;
        struct store_alert_list l = {0};
        if (store_alerts_list(st, w->area_code, at - 3600, at + 3600, 0, &l) < 0)
                return false;
        bool seen = false;
        for (size_t i = 0; i < l.n && !seen; i++) {
                const struct store_alert *a = &l.v[i];
                seen = a->event_id && strcmp(strip_k(a->event_id), strip_k(r->event_id)) == 0 &&
                       strcmp(a->event_id, r->event_id) != 0 &&
                       strcmp(a->kind_code, w->kind_code) == 0 &&
                       strcmp(a->report_status, r->status) == 0;
        }
        store_alert_list_free(&l);
        return seen;
}

#define R06_LANDSLIDE_TITLE "気象警報・注意報（Ｒ０６）（土砂）"

/* Whether w, the 警戒 (code 3) of an R06 土砂災害警戒情報 (VXWW50), is the
 * twin of what the area's newest VPWW56 alert already shows: a level-4 or
 * -5 土砂 kind (49, 39) not lifted.  The VPWW56 is kept, the VXWW50 alert is
 * not: the R06 土砂 warning is shown once. */
static bool landslide_twin_gave(const struct jma *j, struct store *st, const struct jma_report *r,
                                int64_t at, const struct jma_warning *w)
{
        if (r->family != JMA_FAMILY_LANDSLIDE || r->generation != JMA_GEN_R06 ||
            strcmp(w->kind_code, "3") != 0)
                return false;
        struct store_alert_list l = {0};
        if (store_alerts_list(st, w->area_code, at - j->max_silence, at + 3600, 0, &l) < 0)
                return false;
        bool seen = false;
        for (size_t i = 0; i < l.n; i++) {
                const struct store_alert *a = &l.v[i];
                if (strcmp(a->title, R06_LANDSLIDE_TITLE) || strcmp(a->report_status, r->status))
                        continue;
                /* Newest first: the first VPWW56 row is the area's state. */
                seen = (strcmp(a->kind_code, "49") == 0 || strcmp(a->kind_code, "39") == 0) &&
                       strcmp(a->status, "解除") != 0 && strcmp(a->info_type, "取消") != 0;
                break;
        }
        store_alert_list_free(&l);
        return seen;
}

static void pref_add(char prefs[][3], size_t *n, size_t cap, const char *code)
{
        for (size_t k = 0; k < *n; k++)
                if (strncmp(prefs[k], code, 2) == 0)
                        return;
        if (*n < cap)
                snprintf(prefs[(*n)++], 3, "%.2s", code);
}

/* The 2-digit prefecture prefixes of the areas the offices' own telegrams
 * named into prefs: the area status rows, and the offices' alerts of the
 * week before at (written at once, so a telegram of the same poll counts:
 * 記録的短時間大雨 comes while a 大雨警報 is in force).  Returns how many. */
static size_t office_prefectures(const struct jma *j, struct store *st, int64_t at, char prefs[][3],
                                 size_t cap)
{
        size_t n = 0;
        struct store_area_status_list l = {0};
        if (store_area_status_list(st, true, &l) == 0)
                for (size_t i = 0; i < l.n; i++)
                        pref_add(prefs, &n, cap, l.v[i].area_code);
        store_area_status_list_free(&l);
        struct store_alert_list al = {0};
        if (store_alerts_list(st, NULL, at - 7 * 86400, at + 3600, 0, &al) == 0)
                for (size_t i = 0; i < al.n; i++)
                        if (from_offices(j, al.v[i].office))
                                pref_add(prefs, &n, cap, al.v[i].area_code);
        store_alert_list_free(&al);
        return n;
}

static int store_alerts(struct jma *j, struct store *st, const struct jma_report *r, int64_t doc_id,
                        int64_t datetime)
{
        if (!status_counts(j, r->status) || !r->info_type || !r->editorial_office || !r->title)
                return 0;
        if (strcmp(r->info_type, "発表") && strcmp(r->info_type, "訂正") &&
            strcmp(r->info_type, "取消"))
                return 0;
        int64_t at = parse_time(r->report_datetime);
        if (!at)
                at = datetime;
        /* A national 記録的短時間大雨 names municipalities all over Japan: with
         * no `areas`, those of the offices' prefectures are kept. */
        char prefs[48][3];
        size_t n_prefs = SIZE_MAX;
        if (r->family == JMA_FAMILY_HEAVY_RAIN && !from_offices(j, r->editorial_office))
                n_prefs = office_prefectures(j, st, at, prefs, 48);
        int rc = 0;
        size_t n = r->n_warnings + r->n_rain_areas;
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct jma_warning *w =
                    i < r->n_warnings ? &r->warnings[i] : &r->rain_areas[i - r->n_warnings];
                if (!w->area_code || strlen(w->area_code) != 7 || !w->kind_code ||
                    strspn(w->area_code, "0123456789") != 7)
                        continue;
                if (j->areas.n && !list_has(&j->areas, w->area_code))
                        continue;
                bool in_pref = n_prefs == SIZE_MAX || j->areas.n;
                for (size_t k = 0; k < n_prefs && !in_pref; k++)
                        in_pref = strncmp(prefs[k], w->area_code, 2) == 0;
                if (!in_pref || heavy_rain_twin_gave(st, r, at, w) ||
                    landslide_twin_gave(j, st, r, at, w))
                        continue;
                struct store_alert a = {
                    .document_id = doc_id,
                    .office = r->editorial_office,
                    .title = r->title,
                    .info_type = r->info_type,
                    .report_status = r->status,
                    .event_id = r->event_id,
                    .serial = parse_serial(r->serial),
                    .report_at = at,
                    .area_code = w->area_code,
                    .area_name = w->area_name ? w->area_name : w->area_code,
                    .kind_code = w->kind_code,
                    .kind_name = w->kind_name ? w->kind_name : w->kind_code,
                    .status = w->kind_status ? w->kind_status : r->info_type,
                    .level = w->level,
                };
                rc = store_alert_add(st, &a, NULL);
        }
        return rc;
}

/* ---- What is in force ---------------------------------------------------- */

struct parsed {
        struct jma_report **v;
        size_t n;
};

static int write_channel(struct jma *j, struct store *st, struct jma_tg *tg, size_t n,
                         const char *status, bool exercise)
{
        struct jma_inforce_options o = {
            .status = status,
            .max_silence_s = j->max_silence,
            .r06_window_s = j->r06_window,
            .areas = j->areas.n ? (const char *const *)j->areas.v : NULL,
            .n_areas = j->areas.n,
        };
        struct jma_inforce inf = {0};
        struct store_area_status_list old = {0};
        int rc = jma_inforce_compute(tg, n, &o, &inf);
        if (rc == 0)
                rc = store_area_status_list(st, true, &old);
        for (size_t i = 0; i < inf.n && rc == 0; i++) {
                struct jma_area_state *a = &inf.v[i];
                struct store_area_kind kinds[64];
                size_t nk = 0;
                for (size_t k = 0; k < a->n_kinds && nk < 64; k++, nk++)
                        kinds[nk] = (struct store_area_kind){
                            .code = a->kinds[k].code,
                            .name = a->kinds[k].name,
                            .status = a->kinds[k].status,
                            .level = a->kinds[k].level,
                            .issued_at = a->kinds[k].issued_at,
                        };
                rc = store_area_set_in_force(st, a->code, a->name, exercise, kinds, nk);
        }
        /* Areas that had kinds and are named by no counted telegram now. */
        for (size_t i = 0; i < old.n && rc == 0; i++) {
                const struct store_area_status *a = &old.v[i];
                if (a->exercise != exercise || a->n_kinds == 0)
                        continue;
                bool present = false;
                for (size_t k = 0; k < inf.n && !present; k++)
                        present = strcmp(inf.v[k].code, a->area_code) == 0;
                if (!present)
                        rc = store_area_set_in_force(st, a->area_code, a->area_name, exercise, NULL,
                                                     0);
        }
        store_area_status_list_free(&old);
        jma_inforce_free(&inf);
        return rc;
}

static int recompute(struct jma *j, struct store *st)
{
        struct store_jma_telegram_list l = {0};
        struct jma_tg *tg = NULL;
        struct jma_report **reports = NULL;
        int rc = store_jma_telegrams_done(st, 0, &l);
        if (rc < 0)
                return rc;
        tg = calloc(l.n ? l.n : 1, sizeof(*tg));
        reports = calloc(l.n ? l.n : 1, sizeof(*reports));
        if (!tg || !reports) {
                rc = -ENOMEM;
                goto out;
        }
        size_t n = 0;
        for (size_t i = 0; i < l.n; i++) {
                const struct store_jma_telegram *t = &l.v[i];
                if (!jma_inforce_title_counts(t->title) || !status_counts(j, t->report_status))
                        continue;
                tg[n] = (struct jma_tg){
                    .title = t->title,
                    .office = t->office,
                    .status = t->report_status,
                    .info_type = t->info_type,
                    .event_id = t->event_id,
                    .serial = t->serial,
                    .datetime = t->datetime,
                    .user = i,
                };
                n++;
        }
        rc = jma_series_resolve(tg, n);
        for (size_t i = 0; i < n && rc == 0; i++) {
                if (!tg[i].effective)
                        continue;
                void *body = NULL;
                size_t len = 0;
                int r = store_raw_document_body(st, l.v[tg[i].user].document_id, &body, &len);
                if (r == 0 && jma_parse(body, len, NULL, &reports[i], NULL) == 0)
                        tg[i].report = reports[i];
                else if (r < 0 && r != -ENOENT)
                        rc = r;
                free(body);
        }
        if (rc == 0)
                rc = store_begin(st);
        if (rc == 0) {
                rc = write_channel(j, st, tg, n, "通常", false);
                if (rc == 0 && j->exercise)
                        rc = write_channel(j, st, tg, n, "訓練", true);
                int c = rc == 0 ? store_commit(st) : store_rollback(st);
                if (rc == 0)
                        rc = c;
        }
out:
        for (size_t i = 0; reports && i < l.n; i++)
                jma_report_free(reports[i]);
        free(reports);
        free(tg);
        store_jma_telegram_list_free(&l);
        return rc;
}

/* ---- Fetching telegrams -------------------------------------------------- */

enum outcome { OUT_DONE, OUT_RETRY, OUT_GONE, OUT_STORE };

/* Fetches one telegram and, when it is a valid Report, stores it.  why
 * gets the reason of a failure. */
static enum outcome fetch_telegram(struct jma *j, struct source_ctx *ctx, const char *url,
                                   const char *feed, const char *title, const char *office,
                                   int attempts, int64_t first_seen, char *why, size_t why_len,
                                   int *store_rc)
{
        struct fetch_result res;
        fetch_result_init(&res);
        struct jma_report *r = NULL;
        enum outcome out = OUT_RETRY;
        int rc = source_fetch(ctx, url, 0, &res);
        if (rc == -EPROTO && res.status == 404) {
                snprintf(why, why_len, "HTTP 404");
                out = OUT_GONE;
                goto done;
        }
        if (rc < 0) {
                snprintf(why, why_len, "%.200s", ctx->why);
                ctx->why[0] = '\0';
                goto done;
        }
        struct jma_parse_error perr;
        if (jma_parse(res.body.data, res.body.len, NULL, &r, &perr) < 0) {
                snprintf(why, why_len, "refused (%s): %.160s", jma_refusal_name(perr.reason),
                         perr.message);
                goto done;
        }
        struct store *st = ctx->store;
        int64_t datetime = parse_time(r->datetime);
        if (!datetime)
                datetime = time_now_ms() / 1000;
        int64_t doc_id = 0;
        rc = store_begin(st);
        if (rc == 0)
                rc = store_raw_document_put(
                    st, JMA_SOURCE, url, res.content_type[0] ? res.content_type : NULL,
                    res.body.data, res.body.len, time_now_ms() / 1000, &doc_id, NULL);
        if (rc == 0)
                rc = store_alerts(j, st, r, doc_id, datetime);
        if (rc == 0) {
                struct store_jma_telegram t = {
                    .url = url,
                    .feed = feed,
                    .title = r->title ? r->title : title,
                    .office = r->editorial_office ? r->editorial_office : office,
                    .state = "done",
                    .attempts = attempts + 1,
                    .first_seen_at = first_seen,
                    .document_id = doc_id,
                    .report_status = r->status,
                    .info_type = r->info_type,
                    .event_id = r->event_id,
                    .serial = parse_serial(r->serial),
                    .datetime = datetime,
                };
                /* Values the ledger's checks refuse would lose the telegram:
                 * keep it with what is known. */
                if (t.report_status && strcmp(t.report_status, "通常") &&
                    strcmp(t.report_status, "訓練") && strcmp(t.report_status, "試験"))
                        t.report_status = NULL;
                if (t.info_type && strcmp(t.info_type, "発表") && strcmp(t.info_type, "訂正") &&
                    strcmp(t.info_type, "取消"))
                        t.info_type = NULL;
                rc = store_jma_telegram_put(st, &t);
        }
        if (rc == 0) {
                rc = store_commit(st);
        } else {
                store_rollback(st);
        }
        if (rc < 0) {
                snprintf(why, why_len, "store: %s", store_strerror(rc));
                *store_rc = rc;
                out = OUT_STORE;
                goto done;
        }
        if (jma_inforce_title_counts(r->title) && status_counts(j, r->status))
                j->recompute = true;
        out = OUT_DONE;
done:
        jma_report_free(r);
        fetch_result_free(&res);
        return out;
}

static int ledger_put(struct store *st, const char *url, const char *feed, const char *title,
                      const char *office, const char *state, int attempts, const char *err,
                      int64_t first_seen)
{
        struct store_jma_telegram t = {
            .url = url,
            .feed = feed,
            .title = title && title[0] ? title : "?",
            .office = office && office[0] ? office : "?",
            .state = state,
            .attempts = attempts,
            .last_error = err,
            .first_seen_at = first_seen,
            .serial = -1,
        };
        return store_jma_telegram_put(st, &t);
}

static bool queued(const struct jma *j, const char *url)
{
        for (size_t i = 0; i < j->n_q; i++)
                if (strcmp(j->q[i].url, url) == 0)
                        return true;
        return false;
}

static void queue_add(struct jma *j, const char *url, const char *feed, const char *title,
                      const char *office, int attempts, int64_t first_seen)
{
        if (queued(j, url))
                return;
        if (j->n_q == MAX_RETRY_QUEUE)
                return; /* still pending in the ledger: the feed brings it back */
        if (j->n_q % 64 == 0) {
                struct retry *nq = realloc(j->q, (j->n_q + 64) * sizeof(*nq));
                if (!nq)
                        return;
                j->q = nq;
        }
        struct retry *r = &j->q[j->n_q];
        memset(r, 0, sizeof(*r));
        r->url = strdup(url);
        r->title = strdup(title ? title : "");
        r->office = strdup(office ? office : "");
        snprintf(r->feed, sizeof(r->feed), "%s", feed);
        r->attempts = attempts;
        r->first_seen_at = first_seen;
        /* Backoff in polls: 1, 2, 4, 8, ... after the 1st, 2nd, ... failure. */
        unsigned wait = attempts > 0 && attempts < 16 ? 1u << (attempts - 1) : 1;
        r->due_poll = j->poll_no + wait;
        if (!r->url || !r->title || !r->office) {
                retry_free(r);
                return;
        }
        j->n_q++;
}

/* One attempt at a telegram, with its bookkeeping.  Returns a store error
 * (the poll fails) or 0. */
static int attempt(struct jma *j, struct source_ctx *ctx, const char *url, const char *feed,
                   const char *title, const char *office, int attempts, int64_t first_seen)
{
        char why[256] = "";
        int store_rc = 0;
        enum outcome o = fetch_telegram(j, ctx, url, feed, title, office, attempts, first_seen, why,
                                        sizeof(why), &store_rc);
        struct store *st = ctx->store;
        switch (o) {
        case OUT_DONE:
                return 0;
        case OUT_STORE:
                return store_rc;
        case OUT_GONE:
                log_info("%s: %s: 404, recorded gone", ctx->name, url);
                return ledger_put(st, url, feed, title, office, "gone", attempts + 1, why,
                                  first_seen);
        case OUT_RETRY:
                break;
        }
        attempts++;
        if (attempts < j->retries) {
                log_warn("%s: %s: attempt %d of %d failed: %s", ctx->name, url, attempts,
                         j->retries, why);
                queue_add(j, url, feed, title, office, attempts, first_seen);
                return ledger_put(st, url, feed, title, office, "pending", attempts, why,
                                  first_seen);
        }
        log_err("%s: %s: lost after %d attempts: %s", ctx->name, url, attempts, why);
        int rc = store_begin(st);
        if (rc == 0)
                rc = ledger_put(st, url, feed, title, office, "lost", attempts, why, first_seen);
        if (rc == 0) {
                struct buf b = BUF_INIT(4096);
                buf_printf(&b, "{\"source\":\"jma\",\"telegram\":\"");
                for (const char *p = url; *p; p++)
                        if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
                                buf_putc(&b, *p);
                buf_printf(&b, "\",\"state\":\"lost\",\"attempts\":%d}", attempts);
                rc = store_event_emit(st, "source.health", "sources/jma", LEVEL_NONE, false, false,
                                      b.data ? b.data : "{}");
                buf_free(&b);
        }
        int c = rc == 0 ? store_commit(st) : store_rollback(st);
        return rc ? rc : c;
}

/* ---- Feeds --------------------------------------------------------------- */

/* Fetches one feed document; *changed false on 304.  Entries that are new
 * and wanted are fetched now. */
static enum poll_status read_feed(struct jma *j, struct source_ctx *ctx, struct feed_state *fs,
                                  const char *url, bool is_long, bool *gap)
{
        struct fetch_result res;
        fetch_result_init(&res);
        struct jma_feed feed = {0};
        enum poll_status ps = POLL_OK;
        int rc = source_fetch(ctx, url, FETCH_CONDITIONAL, &res);
        if (rc < 0) {
                ps = POLL_FAILED;
                goto out;
        }
        if (res.not_modified) {
                ps = POLL_UNCHANGED;
                goto out;
        }
        char why[200];
        if (jma_feed_parse(res.body.data, res.body.len, &feed, why, sizeof(why)) < 0) {
                fetch_forget(ctx->fetch, url);
                source_why(ctx, "%s: %s", url, why);
                ps = POLL_BAD_DATA;
                goto out;
        }
        int64_t oldest = 0, newest = 0;
        for (size_t i = 0; i < feed.n; i++) {
                int64_t u = feed.v[i].updated;
                if (u && (!oldest || u < oldest))
                        oldest = u;
                if (u > newest)
                        newest = u;
        }
        /* A short feed that no longer reaches back to the newest entry of
         * the last poll: telegrams may have rolled out in between. */
        if (!is_long && gap && fs->newest && oldest > fs->newest)
                *gap = true;
        /* Oldest first, so series arrive in order when they can; VXWW50
         * after the rest, so that the VPWW56 twin of the same moment is
         * stored before it (landslide_twin_gave). */
        for (size_t step = 0; step < 2 * feed.n; step++) {
                const struct jma_feed_entry *e = &feed.v[feed.n - 1 - step % feed.n];
                if ((strcmp(e->type, "VXWW50") == 0) != (step >= feed.n) || !wanted(j, fs, e))
                        continue;
                struct store_jma_telegram_list l = {0};
                int g = store_jma_telegram_get(ctx->store, e->href, &l);
                /* A telegram left pending by an earlier run (the retry queue
                 * lives in memory) is tried again with its attempts so far. */
                int pending = g == 0 && strcmp(l.v[0].state, "pending") == 0 && !queued(j, e->href)
                                  ? l.v[0].attempts
                                  : -1;
                int64_t first_seen = g == 0 ? l.v[0].first_seen_at : 0;
                store_jma_telegram_list_free(&l);
                if (pending >= 0) {
                        rc = attempt(j, ctx, e->href, fs->name, e->title, e->author, pending,
                                     first_seen);
                        if (rc < 0) {
                                source_why(ctx, "store: %s", store_strerror(rc));
                                ps = POLL_FAILED;
                                break;
                        }
                        continue;
                }
                if (g == 0)
                        continue; /* known: done, lost, gone, or waiting in the queue */
                if (g != -ENOENT) {
                        source_why(ctx, "store: %s", store_strerror(g));
                        ps = POLL_FAILED;
                        break;
                }
                int64_t now = time_now_ms() / 1000;
                rc = ledger_put(ctx->store, e->href, fs->name, e->title, e->author, "pending", 0,
                                NULL, now);
                if (rc == 0)
                        rc = attempt(j, ctx, e->href, fs->name, e->title, e->author, 0, now);
                if (rc < 0) {
                        source_why(ctx, "store: %s", store_strerror(rc));
                        ps = POLL_FAILED;
                        break;
                }
        }
        if (ps == POLL_OK && newest > fs->newest)
                fs->newest = newest;
        if (ps == POLL_OK && is_long)
                fs->caught_up = true;
out:
        ctx->why[0] = ps == POLL_OK || ps == POLL_UNCHANGED ? '\0' : ctx->why[0];
        jma_feed_free(&feed);
        fetch_result_free(&res);
        return ps;
}

/* Pending telegrams left by an earlier run (the ledger's pending rows are
 * not in the queue after a restart) come back through the long feed. */
static enum poll_status jma_poll(void *state, struct source_ctx *ctx)
{
        struct jma *j = state;
        if (!ctx->store) {
                source_why(ctx, "no store");
                return POLL_FAILED;
        }
        j->poll_no++;
        enum poll_status worst = POLL_UNCHANGED;
        int rc = 0;
        /* Retries that are due. */
        for (size_t i = 0; i < j->n_q && rc == 0;) {
                struct retry r = j->q[i];
                if (r.due_poll > j->poll_no) {
                        i++;
                        continue;
                }
                j->q[i] = j->q[--j->n_q];
                rc = attempt(j, ctx, r.url, r.feed, r.title, r.office, r.attempts, r.first_seen_at);
                retry_free(&r);
        }
        if (rc < 0) {
                source_why(ctx, "store: %s", store_strerror(rc));
                return POLL_FAILED;
        }
        /* One broken feed does not keep the others (or the catch-up of a
         * later poll) from being read: the first failure is reported after
         * all of them were tried. */
        enum poll_status failed = POLL_OK;
        char why[sizeof(ctx->why)] = "";
        for (size_t f = 0; f < j->n_feeds; f++) {
                struct feed_state *fs = &j->feeds[f];
                enum poll_status ps;
                if (!fs->caught_up) {
                        ps = read_feed(j, ctx, fs, fs->long_url, true, NULL);
                        if (ps == POLL_FAILED || ps == POLL_BAD_DATA) {
                                /* Read the short feed anyway; the long one is
                                 * tried again next poll. */
                                if (failed == POLL_OK) {
                                        failed = ps;
                                        snprintf(why, sizeof(why), "%s", ctx->why);
                                }
                        } else {
                                fs->caught_up = true;
                        }
                }
                bool gap = false;
                ps = read_feed(j, ctx, fs, fs->url, false, &gap);
                if (gap && ps == POLL_OK) {
                        log_info("%s: %s: gap since the last poll, reading %s", ctx->name, fs->url,
                                 fs->long_url);
                        enum poll_status lp = read_feed(j, ctx, fs, fs->long_url, true, NULL);
                        if (lp == POLL_FAILED || lp == POLL_BAD_DATA)
                                ps = lp;
                }
                if (ps == POLL_FAILED || ps == POLL_BAD_DATA) {
                        if (failed == POLL_OK) {
                                failed = ps;
                                snprintf(why, sizeof(why), "%s", ctx->why);
                        }
                } else if (ps == POLL_OK) {
                        worst = POLL_OK;
                }
        }
        if (j->recompute) {
                rc = recompute(j, ctx->store);
                if (rc < 0) {
                        source_why(ctx, "store: %s", store_strerror(rc));
                        return POLL_FAILED;
                }
                j->recompute = false;
        }
        if (failed != POLL_OK) {
                /* Health is written on change only (source.health event). */
                store_source_health_set(ctx->store, ctx->name, "degraded", why, ctx->exercise);
                source_why(ctx, "%s", why);
                return failed;
        }
        rc = store_source_health_set(ctx->store, ctx->name, "ok", NULL, ctx->exercise);
        if (rc < 0) {
                source_why(ctx, "store: %s", store_strerror(rc));
                return POLL_FAILED;
        }
        return worst;
}

static const struct conf_option jma_options[] = {
    {0},
};

static int64_t jma_interval(const struct sonae_config *cfg)
{
        return cfg->jma.interval > 0 ? cfg->jma.interval : 60;
}

static bool jma_drill(const struct sonae_config *cfg)
{
        return cfg->jma.drill;
}

const struct source_type source_jma = {
    .name = "jma",
    .summary = "JMA 防災情報XML: the PULL Atom feeds, telegrams once each, what is in force.",
    .options = jma_options,
    .section = "jma",
    .default_interval_s = 60,
    .wanted = jma_enabled,
    .interval_of = jma_interval,
    .drill_name = "drill-jma",
    .drill_of = jma_drill,
    .configure = jma_configure,
    .poll = jma_poll,
    .destroy = jma_destroy,
};
