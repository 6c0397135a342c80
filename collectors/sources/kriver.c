/* kriver: MLIT 危機管理型水位計 (crisis water-level gauges) from
 * k.river.go.jp's area JSON, `swin/files/area_info/current/{prefCode}.json`:
 * {"obss":[{code, name, obsTime, level, startLevel, warnLevel, fladLevel,
 * lat, lon, townCode, ...}]}.
 *
 * The listing holds only gauges above their 観測開始水位.  A gauge that was
 * listed and drops out is therefore below_start, not missing; its metadata
 * (name, point, thresholds) is kept from its last listing. */
#include "river.h"
#include "river_write.h"
#include "source.h"

#include "jsonutil.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct kriver_conf {
        char *towns; /* comma-separated townCodes kept; empty keeps all */
        int64_t expected_interval;
};

#define OPT(k, t, f, d, lo, hi, doc)                                                               \
        {                                                                                          \
                k, t, offsetof(struct kriver_conf, f), d, lo, hi, NULL, false, doc                 \
        }
static const struct conf_option kriver_options[] = {
    OPT("towns", CONF_STRING, towns, "", 0, 0,
        "Comma-separated municipality codes (townCode, e.g. 06203) kept; empty keeps all."),
    OPT("expected_interval", CONF_INT, expected_interval, "600", 60, 86400,
        "Seconds between a gauge's readings; stale after this times the store's grace."),
    {0},
};
#undef OPT

struct kriver {
        struct kriver_conf conf;
        struct river_writer *writer;
};

static double num_field(json_t *item, const char *key)
{
        return json_num(json_object_get(item, key));
}

static void str_field(json_t *item, const char *key, char *dst, size_t len)
{
        char tmp[64];
        river_copy_str(dst, len, json_text(json_object_get(item, key), tmp, sizeof(tmp)));
}

int kriver_parse(const char *body, size_t len, struct gauge_set *out, struct parse_notes *notes)
{
        char err[160];
        json_t *root = json_load_capped(body, len, err, sizeof(err));
        if (!root)
                return -EINVAL;
        int rc = 0;
        json_t *obss = json_object_get(root, "obss");
        if (!json_is_array(obss)) {
                rc = -EINVAL;
                goto out;
        }
        size_t i;
        json_t *item;
        json_array_foreach(obss, i, item)
        {
                struct gauge g;
                gauge_clear(&g);
                if (!json_is_object(item)) {
                        parse_note(notes, "item %zu: not an object", i);
                        continue;
                }
                str_field(item, "code", g.id, sizeof(g.id));
                if (!g.id[0]) {
                        parse_note(notes, "item %zu: no code", i);
                        continue;
                }
                str_field(item, "name", g.name, sizeof(g.name));
                str_field(item, "townCode", g.town, sizeof(g.town));
                if (!g.town[0])
                        str_field(item, "twnCode", g.town, sizeof(g.town));
                g.lat = num_field(item, "lat");
                g.lon = num_field(item, "lon");
                if (!(g.lat >= 20 && g.lat <= 46 && g.lon >= 122 && g.lon <= 154))
                        g.lat = g.lon = NAN; /* outside Japan: no point rather than a wrong one */
                g.crisis = true;
                g.th.start = num_field(item, "startLevel");
                g.th.danger = num_field(item, "warnLevel");
                g.th.flood = num_field(item, "fladLevel");
                g.level_m = num_field(item, "level");
                const char *t = json_string_value(json_object_get(item, "obsTime"));
                int64_t ts;
                if (!t || time_parse_iso8601(t, JST_OFFSET_S, &ts) < 0) {
                        parse_note(notes, "gauge %s: no valid obsTime", g.id);
                        continue;
                }
                g.observed_s = ts;
                if (gauge_set_add(out, &g) < 0) {
                        rc = -ENOMEM;
                        goto out;
                }
        }
out:
        json_decref(root);
        return rc;
}

static bool town_wanted(const char *towns, const char *town)
{
        if (!towns || !towns[0])
                return true;
        size_t tl = strlen(town);
        for (const char *p = towns; *p;) {
                while (*p == ' ' || *p == ',')
                        p++;
                const char *e = p;
                while (*e && *e != ',' && *e != ' ')
                        e++;
                if ((size_t)(e - p) == tl && tl && strncmp(p, town, tl) == 0)
                        return true;
                p = e;
        }
        return false;
}

static int kriver_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                            struct conf_diag *diag, void **state)
{
        struct kriver *k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        *state = k;
        if (source_conf_apply(kriver_options, &k->conf, in, cfg, diag) < 0)
                return -EINVAL;
        if (!in->url || !in->url[0])
                return source_conf_error(in, cfg, diag, "url",
                                         "kriver needs the area JSON URL "
                                         "(…/swin/files/area_info/current/{prefCode}.json)");
        k->writer = river_writer_new(in->name, k->conf.expected_interval, true);
        return k->writer ? 0 : -ENOMEM;
}

/* Parses and keeps the gauges of the configured towns. */
static int parse_towns(const char *body, size_t len, struct gauge_set *out,
                       struct parse_notes *notes, void *arg)
{
        const char *towns = arg;
        int rc = kriver_parse(body, len, out, notes);
        size_t k = 0;
        for (size_t i = 0; i < out->n; i++)
                if (town_wanted(towns, out->v[i].town))
                        out->v[k++] = out->v[i];
        out->n = k;
        return rc;
}

static enum poll_status kriver_poll(void *state, struct source_ctx *ctx)
{
        struct kriver *k = state;
        return river_poll(ctx, k->writer, parse_towns, k->conf.towns, "k.river area listing");
}

static void kriver_destroy(void *state)
{
        struct kriver *k = state;
        if (!k)
                return;
        river_writer_free(k->writer);
        conf_table_free(kriver_options, &k->conf);
        free(k);
}

const struct source_type source_kriver = {
    .name = "kriver",
    .polite_interval_s = 600,
    .summary = "MLIT 危機管理型水位計 area JSON (k.river.go.jp).",
    .options = kriver_options,
    .configure = kriver_configure,
    .poll = kriver_poll,
    .destroy = kriver_destroy,
};
