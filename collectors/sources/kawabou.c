/* kawabou: MLIT 川の防災情報 telemeter water-level gauges with their five
 * thresholds (rsrvStg 水防団待機, warnStg 氾濫注意, spclWarnStg 避難判断,
 * dngStg 氾濫危険, fldStg 氾濫発生).
 *
 * No real response of the site was available: the field names are those
 * documented for its observation masters and real-time lists, the document
 * shape ({"obsTime", "obss":[...]}) is authored, and docs/sources/rivers.md
 * marks the format unverified.  Every field name lives in kawabou_fields
 * below, so a correction is one table edit. */
#include "river.h"
#include "river_write.h"
#include "source.h"

#include "jsonutil.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kfield {
        K_ID,
        K_NAME,
        K_RIVER,
        K_TOWN,
        K_LAT,
        K_LON,
        K_TIME,
        K_LEVEL,
        K_STANDBY,
        K_CAUTION,
        K_EVACUATION,
        K_DANGER,
        K_FLOOD,
};

static const struct {
        const char *key;
        enum kfield what;
} kawabou_fields[] = {
    {"obsFcd", K_ID},
    {"obsNm", K_NAME},
    {"rvrNm", K_RIVER},
    {"twnCd", K_TOWN},
    {"lat", K_LAT},
    {"lon", K_LON},
    {"obsTime", K_TIME},
    {"stg", K_LEVEL},
    {"rsrvStg", K_STANDBY},
    {"warnStg", K_CAUTION},
    {"spclWarnStg", K_EVACUATION},
    {"dngStg", K_DANGER},
    {"fldStg", K_FLOOD},
};
#define N_FIELDS (sizeof(kawabou_fields) / sizeof(kawabou_fields[0]))
/* The array of gauges in the document, and the document-wide time used
 * when an item has none. */
#define KAWABOU_LIST     "obss"
#define KAWABOU_DOC_TIME "obsTime"

struct kawabou_conf {
        int64_t expected_interval;
};

static const struct conf_option kawabou_options[] = {
    {"expected_interval", CONF_INT, offsetof(struct kawabou_conf, expected_interval), "600", 60,
     86400, NULL, false,
     "Seconds between a gauge's readings; stale after this times the store's grace."},
    {0},
};

struct kawabou {
        struct kawabou_conf conf;
        struct river_writer *writer;
};

/* 川の防災情報 writes "2024/07/25 20:00" in JST; ISO-8601 is accepted too. */
static int parse_time(const char *s, int64_t *out)
{
        int y, mo, d, h, mi;
        char tail;
        if (sscanf(s, "%4d/%2d/%2d %2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) == 5) {
                if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24 || mi < 0 || mi > 59)
                        return -EINVAL;
                *out = time_from_civil(y, mo, d, h, mi, 0) - JST_OFFSET_S;
                return 0;
        }
        return time_parse_iso8601(s, JST_OFFSET_S, out);
}

int kawabou_parse(const char *body, size_t len, struct gauge_set *out, struct parse_notes *notes)
{
        json_t *root = json_load_capped(body, len, NULL, 0);
        json_t *list = json_object_get(root, KAWABOU_LIST);
        if (!json_is_array(list)) {
                json_decref(root);
                return -EINVAL;
        }
        const char *doc_time = json_string_value(json_object_get(root, KAWABOU_DOC_TIME));
        int rc = 0;
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item)
        {
                struct gauge g;
                gauge_clear(&g);
                const char *t = doc_time;
                char tmp[64];
                for (size_t f = 0; f < N_FIELDS && json_is_object(item); f++) {
                        json_t *v = json_object_get(item, kawabou_fields[f].key);
                        if (!v)
                                continue;
                        switch (kawabou_fields[f].what) {
                        case K_ID:
                                river_copy_str(g.id, sizeof(g.id), json_text(v, tmp, sizeof(tmp)));
                                break;
                        case K_NAME:
                                river_copy_str(g.name, sizeof(g.name), json_string_value(v));
                                break;
                        case K_RIVER:
                                river_copy_str(g.river, sizeof(g.river), json_string_value(v));
                                break;
                        case K_TOWN:
                                river_copy_str(g.town, sizeof(g.town),
                                               json_text(v, tmp, sizeof(tmp)));
                                break;
                        case K_LAT:
                                g.lat = json_num(v);
                                break;
                        case K_LON:
                                g.lon = json_num(v);
                                break;
                        case K_TIME:
                                if (json_is_string(v))
                                        t = json_string_value(v);
                                break;
                        case K_LEVEL:
                                g.level_m = json_num(v);
                                break;
                        case K_STANDBY:
                                g.th.standby = json_num(v);
                                break;
                        case K_CAUTION:
                                g.th.caution = json_num(v);
                                break;
                        case K_EVACUATION:
                                g.th.evacuation = json_num(v);
                                break;
                        case K_DANGER:
                                g.th.danger = json_num(v);
                                break;
                        case K_FLOOD:
                                g.th.flood = json_num(v);
                                break;
                        }
                }
                if (!g.id[0]) {
                        parse_note(notes, "item %zu: no %s", i, kawabou_fields[0].key);
                        continue;
                }
                int64_t ts;
                if (!t || parse_time(t, &ts) < 0) {
                        parse_note(notes, "gauge %s: no valid time", g.id);
                        continue;
                }
                g.observed_s = ts;
                if (gauge_set_add(out, &g) < 0) {
                        rc = -ENOMEM;
                        break;
                }
        }
        json_decref(root);
        return rc;
}

static int kawabou_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                             struct conf_diag *diag, void **state)
{
        struct kawabou *k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        *state = k;
        if (source_conf_apply(kawabou_options, &k->conf, in, cfg, diag) < 0)
                return -EINVAL;
        if (!in->url || !in->url[0])
                return source_conf_error(in, cfg, diag, "url", "kawabou needs a url");
        k->writer = river_writer_new(in->name, k->conf.expected_interval, false);
        return k->writer ? 0 : -ENOMEM;
}

static int parse_any(const char *body, size_t len, struct gauge_set *out, struct parse_notes *notes,
                     void *arg)
{
        return kawabou_parse(body, len, out, notes);
}

static enum poll_status kawabou_poll(void *state, struct source_ctx *ctx)
{
        struct kawabou *k = state;
        return river_poll(ctx, k->writer, parse_any, NULL, "川の防災情報 gauge list");
}

static void kawabou_destroy(void *state)
{
        struct kawabou *k = state;
        if (!k)
                return;
        river_writer_free(k->writer);
        conf_table_free(kawabou_options, &k->conf);
        free(k);
}

const struct source_type source_kawabou = {
    .name = "kawabou",
    .polite_interval_s = 600,
    .summary = "MLIT 川の防災情報 telemeter gauges with five thresholds (format unverified).",
    .options = kawabou_options,
    .configure = kawabou_configure,
    .poll = kawabou_poll,
    .destroy = kawabou_destroy,
};
