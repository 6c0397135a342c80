/* libFuzzer harness of the river and rain parsers: every input goes
 * through kriver_parse, kawabou_parse, amedas_parse and the table parser in
 * three configured shapes (Shift_JIS CSV, nested JSON, JSON object keyed by
 * id).  Their corpus (the real river and AMeDAS fixtures, the authored ones
 * and a hostile set) replays as the fuzz-regress suite. */
#include "river.h"
#include "source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *table_state(const char *const *kv)
{
        struct conf_instance in = {.name = "fuzz",
                                   .type = "table",
                                   .enabled = true,
                                   .interval = 600,
                                   .url = "https://example.jp/"};
        struct conf_kv ex[24];
        size_t n = 0;
        for (size_t i = 0; kv[i] && n < 24; i += 2, n++)
                ex[n] = (struct conf_kv){(char *)kv[i], (char *)kv[i + 1], (int)n + 1};
        in.extra = ex;
        in.n_extra = n;
        struct conf_diag diag;
        conf_diag_init(&diag);
        void *st = NULL;
        const struct source_type *t = source_type_find("table");
        if (t->configure(&in, NULL, &diag, &st) < 0) {
                t->destroy(st);
                st = NULL;
        }
        conf_diag_free(&diag);
        return st;
}

static const char *const csv_kv[] = {
    "format",    "csv",        "encoding",    "shift_jis",    "header_line", "2",
    "col_id",    "観測所番号", "col_time",    "観測日時",     "time_format", "%Y/%m/%d %H:%M",
    "col_level", "水位(m)",    "col_caution", "氾濫注意水位", "col_lat",     "緯度",
    "col_lon",   "経度",       NULL};
static const char *const json_kv[] = {
    "format",    "json",         "rows",      "result.area.stations",
    "col_id",    "station.code", "col_time",  "obs.time",
    "col_level", "obs.level",    "col_flood", "criteria.flood",
    NULL};
static const char *const keyed_kv[] = {"format",   "json", "rows",      "gauges", "col_id", "$key",
                                       "col_time", "t",    "col_level", "v",      NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static void *tables[3];
        static int ready;
        if (!ready) {
                tables[0] = table_state(csv_kv);
                tables[1] = table_state(json_kv);
                tables[2] = table_state(keyed_kv);
                ready = 1;
        }
        const char *body = (const char *)data;
        struct gauge_set set = {0};
        struct parse_notes notes = {0};
        kriver_parse(body, size, &set, &notes);
        gauge_set_free(&set);
        kawabou_parse(body, size, &set, &notes);
        gauge_set_free(&set);
        for (int i = 0; i < 3; i++) {
                if (tables[i])
                        table_parse_with(tables[i], body, size, &set, &notes);
                gauge_set_free(&set);
        }
        static const char *const ids[] = {"35141", "35146", NULL};
        struct rain_set rs = {0};
        amedas_parse(body, size, ids, 0, &rs, &notes);
        rain_set_free(&rs);
        int64_t t;
        amedas_parse_latest(body, size, &t);
        return 0;
}
