/* amedas: JMA AMeDAS rainfall from the JMA web site's JSON
 * (bosai/amedas/data/latest_time.txt, then data/map/{YYYYMMDDHHmmss}.json).
 * Not an official API: it may change without notice, so the source is
 * disabled by default and docs/sources/rain.md says so.  Values come as
 * [value, quality flag] pairs; only flag 0 (正常) is taken. */
#include "river.h"
#include "river_write.h"
#include "source.h"

#include "jsonutil.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct amedas_conf {
        char *stations;
        char *latest_url;
        char *table_url;
        int64_t expected_interval;
};

#define OPT(k, t, f, d, doc)                                                                       \
        {                                                                                          \
                k, t, offsetof(struct amedas_conf, f), d, 0, 0, NULL, false, doc                   \
        }
static const struct conf_option amedas_options[] = {
    OPT("stations", CONF_STRING, stations, "35141",
        "Comma-separated AMeDAS station numbers read (35141 鶴岡)."),
    OPT("latest_url", CONF_STRING, latest_url, "",
        "URL of latest_time.txt; empty: beside the url's map/ folder."),
    OPT("table_url", CONF_STRING, table_url, "",
        "URL of amedastable.json (names, points); empty: the const/ folder beside data/."),
    {"expected_interval", CONF_INT, offsetof(struct amedas_conf, expected_interval), "600", 60,
     86400, NULL, false, "Seconds between a station's readings (AMeDAS: 10 minutes)."},
    {0},
};
#undef OPT

#define MAX_STATIONS 64

struct amedas {
        struct amedas_conf conf;
        char *ids[MAX_STATIONS + 1];
        size_t n_ids;
        char latest[512];
        char table[512];
        struct rain_meta meta[MAX_STATIONS];
        char names[MAX_STATIONS][64];
        size_t n_meta;
};

static double pair_value(json_t *st, const char *key)
{
        json_t *p = json_object_get(st, key);
        if (!json_is_array(p) || json_array_size(p) < 2)
                return NAN;
        json_t *flag = json_array_get(p, 1);
        if (!json_is_integer(flag) || json_integer_value(flag) != 0)
                return NAN;
        json_t *v = json_array_get(p, 0);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

int amedas_parse(const char *body, size_t len, const char *const *stations, int64_t observed_s,
                 struct rain_set *out, struct parse_notes *notes)
{
        json_t *root = json_load_capped(body, len, NULL, 0);
        if (!json_is_object(root)) {
                json_decref(root);
                return -EINVAL;
        }
        int rc = 0;
        for (size_t i = 0; stations[i]; i++) {
                json_t *st = json_object_get(root, stations[i]);
                if (!json_is_object(st)) {
                        parse_note(notes, "station %s: not in the map", stations[i]);
                        continue;
                }
                struct rain r;
                memset(&r, 0, sizeof(r));
                river_copy_str(r.id, sizeof(r.id), stations[i]);
                r.observed_s = observed_s;
                r.precip_10m_mm = pair_value(st, "precipitation10m");
                r.precip_1h_mm = pair_value(st, "precipitation1h");
                r.precip_3h_mm = pair_value(st, "precipitation3h");
                r.precip_24h_mm = pair_value(st, "precipitation24h");
                if (rain_set_add(out, &r) < 0) {
                        rc = -ENOMEM;
                        break;
                }
        }
        json_decref(root);
        return rc;
}

/* amedastable.json: {"35141": {"kjName": "鶴岡", "lat": [38, 44.1],
 * "lon": [139, 49.7], ...}}; lat/lon are degrees and minutes. */
static double deg_min(json_t *v)
{
        if (!json_is_array(v) || json_array_size(v) != 2)
                return NAN;
        double d = json_number_value(json_array_get(v, 0));
        double m = json_number_value(json_array_get(v, 1));
        return d + m / 60.0;
}

int amedas_parse_table(const char *body, size_t len, const char *const *stations,
                       struct rain_meta *meta, char (*names)[64], size_t *n)
{
        json_t *root = json_load_capped(body, len, NULL, 0);
        if (!json_is_object(root)) {
                json_decref(root);
                return -EINVAL;
        }
        *n = 0;
        for (size_t i = 0; stations[i]; i++) {
                json_t *st = json_object_get(root, stations[i]);
                double lat = deg_min(json_object_get(st, "lat"));
                double lon = deg_min(json_object_get(st, "lon"));
                if (!json_is_object(st) || isnan(lat) || isnan(lon))
                        continue;
                river_copy_str(names[*n], 64, json_string_value(json_object_get(st, "kjName")));
                meta[*n] = (struct rain_meta){stations[i], names[*n], lat, lon};
                (*n)++;
        }
        json_decref(root);
        return 0;
}

int amedas_parse_latest(const char *body, size_t len, int64_t *utc_s)
{
        char tmp[64];
        if (!body || len == 0 || len >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, body, len);
        tmp[len] = '\0';
        char *e = tmp + len;
        while (e > tmp && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
                *--e = '\0';
        return time_parse_iso8601(tmp, JST_OFFSET_S, utc_s);
}

static int amedas_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                            struct conf_diag *diag, void **state)
{
        struct amedas *a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        *state = a;
        if (source_conf_apply(amedas_options, &a->conf, in, cfg, diag) < 0)
                return -EINVAL;
        if (!in->url || !in->url[0])
                return source_conf_error(in, cfg, diag, "url",
                                         "amedas needs the map folder URL "
                                         "(https://www.jma.go.jp/bosai/amedas/data/map/)");
        size_t ul = strlen(in->url);
        if (in->url[ul - 1] != '/')
                return source_conf_error(in, cfg, diag, "url",
                                         "the url is the map/ folder and must end with '/'");
        if (a->conf.latest_url[0]) {
                if (!fetch_url_allowed(a->conf.latest_url))
                        return source_conf_error(in, cfg, diag, "latest_url",
                                                 "HTTPS is required except to loopback");
                snprintf(a->latest, sizeof(a->latest), "%s", a->conf.latest_url);
        } else {
                /* ".../data/map/" → ".../data/latest_time.txt" */
                size_t cut = ul - 1;
                while (cut > 0 && in->url[cut - 1] != '/')
                        cut--;
                snprintf(a->latest, sizeof(a->latest), "%.*slatest_time.txt", (int)cut, in->url);
        }
        if (a->conf.table_url[0]) {
                if (!fetch_url_allowed(a->conf.table_url))
                        return source_conf_error(in, cfg, diag, "table_url",
                                                 "HTTPS is required except to loopback");
                snprintf(a->table, sizeof(a->table), "%s", a->conf.table_url);
        } else {
                /* ".../amedas/data/map/" → ".../amedas/const/amedastable.json" */
                size_t cut = ul - 1, slashes = 0;
                while (cut > 0 && slashes < 2)
                        if (in->url[--cut] == '/')
                                slashes++;
                snprintf(a->table, sizeof(a->table), "%.*s/const/amedastable.json", (int)cut,
                         in->url);
        }
        for (const char *p = a->conf.stations; *p;) {
                while (*p == ',' || *p == ' ')
                        p++;
                const char *e = p;
                while (*e && *e != ',' && *e != ' ')
                        e++;
                if (e == p)
                        break;
                size_t l = (size_t)(e - p);
                bool digits = l == 5;
                for (size_t i = 0; i < l; i++)
                        digits = digits && p[i] >= '0' && p[i] <= '9';
                if (!digits)
                        return source_conf_error(in, cfg, diag, "stations",
                                                 "'%.*s' is not a 5-digit AMeDAS station number",
                                                 (int)l, p);
                if (a->n_ids == MAX_STATIONS)
                        return source_conf_error(in, cfg, diag, "stations", "at most %d stations",
                                                 MAX_STATIONS);
                a->ids[a->n_ids] = strndup(p, l);
                if (!a->ids[a->n_ids])
                        return -ENOMEM;
                a->n_ids++;
                p = e;
        }
        if (!a->n_ids)
                return source_conf_error(in, cfg, diag, "stations", "no station listed");
        return 0;
}

static enum poll_status amedas_poll(void *state, struct source_ctx *ctx)
{
        struct amedas *a = state;
        struct fetch_result res;
        struct rain_set set = {0};
        struct parse_notes notes = {0};
        enum poll_status st = POLL_OK;
        char url[600];
        int64_t t;
        fetch_result_init(&res);
        /* Names and points, asked again only when they changed. */
        int rc = source_fetch(ctx, a->table, FETCH_CONDITIONAL, &res);
        if (rc == 0 && !res.not_modified &&
            amedas_parse_table(res.body.data, res.body.len, (const char *const *)a->ids, a->meta,
                               a->names, &a->n_meta) < 0)
                rc = -EINVAL;
        if (rc < 0 && a->n_meta == 0) {
                fetch_forget(ctx->fetch, a->table);
                if (!ctx->why[0])
                        source_why(ctx, "GET %s: not the AMeDAS station table", a->table);
                st = POLL_FAILED;
                goto out;
        }
        rc = source_fetch(ctx, a->latest, FETCH_CONDITIONAL, &res);
        if (rc < 0) {
                st = POLL_FAILED;
                goto out;
        }
        if (res.not_modified) {
                st = POLL_UNCHANGED;
                goto out;
        }
        if (amedas_parse_latest(res.body.data, res.body.len, &t) < 0) {
                fetch_forget(ctx->fetch, a->latest);
                source_why(ctx, "GET %s: %zu bytes: not a time", a->latest, res.body.len);
                st = POLL_BAD_DATA;
                goto out;
        }
        char iso[32], stamp[16];
        size_t k = 0;
        time_format_iso8601(t, JST_OFFSET_S, 0, iso, sizeof(iso));
        /* "2021-02-24T15:00:00+09:00" → "20210224150000" */
        for (const char *p = iso; *p && k < 14; p++)
                if (*p >= '0' && *p <= '9')
                        stamp[k++] = *p;
        stamp[k] = '\0';
        snprintf(url, sizeof(url), "%s%s.json", ctx->in->url, stamp);
        rc = source_fetch(ctx, url, 0, &res);
        if (rc < 0) {
                fetch_forget(ctx->fetch, a->latest);
                st = POLL_FAILED;
                goto out;
        }
        if (amedas_parse(res.body.data, res.body.len, (const char *const *)a->ids, t, &set,
                         &notes) < 0) {
                fetch_forget(ctx->fetch, a->latest);
                source_why(ctx, "GET %s: %zu bytes, sha256 %.16s: not an AMeDAS map", url,
                           res.body.len, res.sha256);
                st = POLL_BAD_DATA;
                goto out;
        }
        river_log_notes(ctx, &notes);
        if (a->n_meta < set.n)
                log_warn("%s: %zu stations are not in the station table and were not stored",
                         ctx->name, set.n - a->n_meta);
        /* Only stations with a point can be stored. */
        size_t kept = 0;
        for (size_t i = 0; i < set.n; i++)
                for (size_t m = 0; m < a->n_meta; m++)
                        if (strcmp(a->meta[m].id, set.v[i].id) == 0)
                                set.v[kept++] = set.v[i];
        set.n = kept;
        rc = rain_write(ctx->store, ctx->name, &set, a->meta, a->n_meta, a->conf.expected_interval,
                        ctx->exercise);
        if (rc < 0) {
                fetch_forget(ctx->fetch, a->latest);
                source_why(ctx, "store: %s", store_strerror(rc));
                st = POLL_FAILED;
                goto out;
        }
        log_info("%s: %zu rain stations written", ctx->name, set.n);
out:
        rain_set_free(&set);
        fetch_result_free(&res);
        return st;
}

static void amedas_destroy(void *state)
{
        struct amedas *a = state;
        if (!a)
                return;
        for (size_t i = 0; i < a->n_ids; i++)
                free(a->ids[i]);
        conf_table_free(amedas_options, &a->conf);
        free(a);
}

const struct source_type source_amedas = {
    .name = "amedas",
    .polite_interval_s = 600,
    .summary = "JMA AMeDAS rainfall (web JSON; not an official API).",
    .options = amedas_options,
    .configure = amedas_configure,
    .poll = amedas_poll,
    .destroy = amedas_destroy,
};
