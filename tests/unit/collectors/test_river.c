/* The river and rain parsers on the real captured documents
 * (../shared/fixtures/river, ../shared/fixtures/jma_bosai_json/amedas) and
 * the authored ones (tests/fixtures/river), the writer's levels, states and
 * rates over three real k.river snapshots re-stamped ten minutes apart, and
 * the rate of rise on an authored sequence with known slopes.  Expected
 * values are read independently from the wrapper files (with jansson, not
 * through the parser) or written out by hand. */
#include "check.h"
#include "river.h"
#include "river_write.h"
#include "source.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                return NULL;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
                free(b);
                b = NULL;
        }
        fclose(f);
        if (b)
                b[n] = '\0';
        *len = (size_t)n;
        return b;
}

/* In this order 山形県's gauges rise, fall and drop out from one poll to
 * the next (27, 29 then 2 gauges listed). */
static const char *snapshots[3] = {
    "snapshot_2025-11-01-07JST.json",
    "snapshot_2026-07-26-17JST.json",
    "snapshot_2026-06-03-05JST.json",
};

/* The wrapper → the raw area listing of one prefecture, as the site
 * serves it (SOURCES.md: lat/lon renamed, fields added by the wrapper). */
static char *raw_listing(const char *name, const char *pref, json_t **wrapper_items)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/river/k_river_crisis_gauges/%s", check_fixtures(), name);
        json_error_t e;
        json_t *w = json_load_file(path, 0, &e);
        if (!w)
                return NULL;
        json_t *items = json_object_get(w, "items");
        json_t *obss = json_array();
        json_t *kept = json_array();
        size_t i;
        json_t *it;
        static const char *added[] = {"observedAt", "placeCountry", "placeRiver", "placePref",
                                      "placeCity",  "isWarning",    "isFlood"};
        json_array_foreach(items, i, it)
        {
                if (pref && strcmp(json_string_value(json_object_get(it, "prefCode")), pref) != 0)
                        continue;
                json_t *raw = json_deep_copy(it);
                for (size_t k = 0; k < sizeof(added) / sizeof(added[0]); k++)
                        json_object_del(raw, added[k]);
                json_object_set(raw, "lat", json_object_get(it, "latitude"));
                json_object_set(raw, "lon", json_object_get(it, "longitude"));
                json_object_del(raw, "latitude");
                json_object_del(raw, "longitude");
                json_array_append_new(obss, raw);
                json_array_append(kept, it);
        }
        json_t *doc = json_pack("{s:o}", "obss", obss);
        char *s = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        json_decref(w);
        *wrapper_items = kept;
        return s;
}

static double jnum(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static bool same(double a, double b)
{
        return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-9;
}

/* Every gauge of every snapshot, whole country, against the wrapper. */
static void test_kriver_parse(void)
{
        for (int s = 0; s < 3; s++) {
                json_t *items = NULL;
                char *raw = raw_listing(snapshots[s], NULL, &items);
                CHECK(raw != NULL);
                if (!raw)
                        continue;
                struct gauge_set set = {0};
                struct parse_notes notes = {0};
                CHECK_INT(kriver_parse(raw, strlen(raw), &set, &notes), 0);
                CHECK_INT(set.n, json_array_size(items));
                CHECK_INT(notes.skipped, 0);
                size_t bad = 0;
                for (size_t i = 0; i < set.n && i < json_array_size(items); i++) {
                        json_t *it = json_array_get(items, i);
                        const struct gauge *g = &set.v[i];
                        int64_t t = 0;
                        time_parse_iso8601(json_string_value(json_object_get(it, "observedAt")),
                                           INT32_MIN, &t);
                        char name[160];
                        river_copy_str(name, sizeof(name),
                                       json_string_value(json_object_get(it, "name")));
                        if (strcmp(g->id, json_string_value(json_object_get(it, "code"))) ||
                            strcmp(g->name, name) ||
                            strcmp(g->town, json_string_value(json_object_get(it, "townCode"))) ||
                            !same(g->level_m, jnum(it, "level")) ||
                            !same(g->th.start, jnum(it, "startLevel")) ||
                            !same(g->th.danger, jnum(it, "warnLevel")) ||
                            !same(g->th.flood, jnum(it, "fladLevel")) ||
                            !same(g->lat, jnum(it, "latitude")) ||
                            !same(g->lon, jnum(it, "longitude")) || g->observed_s != t ||
                            !g->crisis) {
                                if (bad++ < 3)
                                        fprintf(stderr, "%s: gauge %s differs\n", snapshots[s],
                                                g->id);
                        }
                        /* The wrapper's own isFlood/isWarning agree with the level. */
                        struct level_result lr = level_from_thresholds(g->level_m, &g->th);
                        if (json_is_true(json_object_get(it, "isFlood")) && lr.level != LEVEL_5)
                                bad++;
                        if (json_is_true(json_object_get(it, "isWarning")) && lr.level < LEVEL_4)
                                bad++;
                }
                CHECK_INT(bad, 0);
                gauge_set_free(&set);
                json_decref(items);
                free(raw);
        }
        /* SOURCES.md: the 2025-11-01 snapshot has 27 gauges in 山形県, 10 in 鶴岡市. */
        json_t *items = NULL;
        char *raw = raw_listing(snapshots[0], "06000", &items);
        struct gauge_set set = {0};
        CHECK_INT(kriver_parse(raw, strlen(raw), &set, NULL), 0);
        CHECK_INT(set.n, 27);
        size_t tsuruoka = 0;
        for (size_t i = 0; i < set.n; i++)
                tsuruoka += strcmp(set.v[i].town, "06203") == 0;
        CHECK_INT(tsuruoka, 10);
        gauge_set_free(&set);
        json_decref(items);
        free(raw);

        /* Not a listing: refused whole, nothing added. */
        const char *html = "<html><body>ただいま混雑しています</body></html>";
        CHECK_INT(kriver_parse(html, strlen(html), &set, NULL), -EINVAL);
        CHECK_INT(set.n, 0);
        const char *other = "{\"items\": []}";
        CHECK_INT(kriver_parse(other, strlen(other), &set, NULL), -EINVAL);
        /* Broken items skipped with reasons, the good one kept. */
        const char *mixed = "{\"obss\":[{\"name\":\"x\"},7,{\"code\":\"0600000001\","
                            "\"obsTime\":\"昨日\"},{\"code\":\"0600000002\",\"obsTime\":"
                            "\"2026-07-26T16:50:00+09:00\",\"level\":null,\"startLevel\":1}]}";
        struct parse_notes notes = {0};
        CHECK_INT(kriver_parse(mixed, strlen(mixed), &set, &notes), 0);
        CHECK_INT(set.n, 1);
        CHECK_INT(notes.skipped, 3);
        CHECK(set.n == 1 && isnan(set.v[0].level_m));
        gauge_set_free(&set);
}

/* The expected result, written out from the contract's mapping for crisis
 * gauges rather than through level_from_thresholds. */
static void expect_crisis(double v, const struct level_thresholds *t, int *level, int *state)
{
        *level = LEVEL_NONE;
        *state = STATE_UNKNOWN;
        if (isnan(v))
                return;
        *state = v >= t->start || isnan(t->start) ? STATE_WATCH : STATE_BELOW_START;
        if (!isnan(t->danger) && v >= t->danger)
                *level = LEVEL_4;
        if (!isnan(t->flood) && v >= t->flood)
                *level = LEVEL_5;
}

/* Three real snapshots of 山形県 as three polls ten minutes apart. */
static void test_kriver_sequence(void)
{
        struct river_writer *w = river_writer_new("kriver", 600, true);
        struct gauge_set sets[3] = {{0}};
        int64_t t0 = time_from_civil(2026, 7, 26, 8, 0, 0);
        for (int s = 0; s < 3; s++) {
                json_t *items = NULL;
                char *raw = raw_listing(snapshots[s], "06000", &items);
                CHECK_INT(kriver_parse(raw, strlen(raw), &sets[s], NULL), 0);
                json_decref(items);
                free(raw);
                for (size_t i = 0; i < sets[s].n; i++)
                        sets[s].v[i].observed_s = t0 + 600 * s;
                CHECK_INT(river_write(w, NULL, &sets[s]), 0);
                /* Every listed gauge: level and state as the contract says;
                 * rate from the readings of this and earlier polls. */
                size_t bad = 0;
                for (size_t i = 0; i < sets[s].n; i++) {
                        const struct gauge *g = &sets[s].v[i];
                        struct gauge_view v;
                        if (river_writer_get(w, g->id, &v) < 0) {
                                bad++;
                                continue;
                        }
                        int lvl, st;
                        expect_crisis(g->level_m, &g->th, &lvl, &st);
                        if ((int)v.lr.level != lvl || (int)v.lr.state != st || !v.listed)
                                bad++;
                        /* Slope by hand over the polls where it was listed. */
                        double xs[3], ys[3];
                        int n = 0;
                        for (int p = 0; p <= s; p++)
                                for (size_t j = 0; j < sets[p].n; j++)
                                        if (strcmp(sets[p].v[j].id, g->id) == 0 &&
                                            !isnan(sets[p].v[j].level_m)) {
                                                xs[n] = p / 6.0;
                                                ys[n++] = sets[p].v[j].level_m;
                                        }
                        double want = NAN;
                        if (n >= 2) {
                                double mx = 0, my = 0, sxy = 0, sxx = 0;
                                for (int k = 0; k < n; k++) {
                                        mx += xs[k] / n;
                                        my += ys[k] / n;
                                }
                                for (int k = 0; k < n; k++) {
                                        sxy += (xs[k] - mx) * (ys[k] - my);
                                        sxx += (xs[k] - mx) * (xs[k] - mx);
                                }
                                want = sxy / sxx;
                        }
                        if (!(isnan(want) && isnan(v.rate_m_per_h)) &&
                            !(fabs(want - v.rate_m_per_h) < 1e-6)) {
                                if (bad < 3)
                                        fprintf(stderr, "poll %d gauge %s rate %g want %g\n", s,
                                                g->id, v.rate_m_per_h, want);
                                bad++;
                        }
                }
                CHECK_INT(bad, 0);
        }
        /* Dropped out: listed before, absent from the last listing. */
        size_t dropped = 0, rose = 0, fell = 0;
        for (int s = 0; s < 2; s++) {
                for (size_t i = 0; i < sets[s].n; i++) {
                        const char *id = sets[s].v[i].id;
                        bool in_last = false;
                        for (size_t j = 0; j < sets[2].n; j++)
                                in_last = in_last || strcmp(sets[2].v[j].id, id) == 0;
                        struct gauge_view v;
                        CHECK_INT(river_writer_get(w, id, &v), 0);
                        if (!in_last) {
                                dropped += v.lr.state == STATE_BELOW_START &&
                                           v.lr.level == LEVEL_NONE && !v.listed;
                                /* Metadata kept from the last listing. */
                                CHECK(v.g.name[0] && !isnan(v.g.th.start) && !isnan(v.g.lat));
                        }
                        for (size_t j = 0; j < sets[s + 1].n; j++)
                                if (strcmp(sets[s + 1].v[j].id, id) == 0) {
                                        rose += sets[s + 1].v[j].level_m > sets[s].v[i].level_m;
                                        fell += sets[s + 1].v[j].level_m < sets[s].v[i].level_m;
                                }
                }
        }
        CHECK(dropped >= 25);
        CHECK(rose > 0 && fell > 0);
        printf("three polls: %zu, %zu, %zu gauges in 山形県; %zu dropped out, %zu rose, %zu fell\n",
               sets[0].n, sets[1].n, sets[2].n, dropped, rose, fell);
        /* 鶴岡市's gauges are known to the writer. */
        size_t tsuruoka = 0;
        for (size_t i = 0; i < sets[0].n; i++) {
                struct gauge_view v;
                if (strcmp(sets[0].v[i].town, "06203") == 0 &&
                    river_writer_get(w, sets[0].v[i].id, &v) == 0)
                        tsuruoka++;
        }
        CHECK_INT(tsuruoka, 10);
        for (int s = 0; s < 3; s++)
                gauge_set_free(&sets[s]);
        river_writer_free(w);
}

static void test_rate(void)
{
        int64_t now = time_from_civil(2024, 7, 25, 11, 0, 0);
        struct level_sample s[16];
        size_t n = 0;
        /* An old, wild sample outside the hour must not count. */
        s[n++] = (struct level_sample){now - 4000, 9.0};
        for (int k = 6; k >= 0; k--)
                s[n++] = (struct level_sample){now - 600 * k, 2.0 + 0.3 * (6 - k) / 6.0};
        CHECK_NEAR(river_rate_m_per_h(s, n, now), 0.3, 1e-9);
        n = 0;
        for (int k = 5; k >= 0; k--)
                s[n++] = (struct level_sample){now - 600 * k, 3.0 - 0.12 * (5 - k) / 6.0};
        CHECK_NEAR(river_rate_m_per_h(s, n, now), -0.12, 1e-9);
        /* Noise around 1.5 m/h: least squares, not first-to-last. */
        double noise[] = {0.01, -0.02, 0.015, -0.01, 0.0, 0.005, -0.005};
        n = 0;
        for (int k = 6; k >= 0; k--)
                s[n++] =
                    (struct level_sample){now - 600 * k, 1.0 + 1.5 * (6 - k) / 6.0 + noise[6 - k]};
        double r = river_rate_m_per_h(s, n, now);
        CHECK(fabs(r - 1.5) < 0.05);
        /* Two samples five minutes apart: too short to say. */
        s[0] = (struct level_sample){now - 300, 1.0};
        s[1] = (struct level_sample){now, 1.2};
        CHECK(isnan(river_rate_m_per_h(s, 2, now)));
        CHECK(isnan(river_rate_m_per_h(s, 1, now)));
        /* A missing reading in the middle is left out. */
        s[0] = (struct level_sample){now - 1200, 1.0};
        s[1] = (struct level_sample){now - 600, NAN};
        s[2] = (struct level_sample){now, 1.2};
        CHECK_NEAR(river_rate_m_per_h(s, 3, now), 0.6, 1e-9);
}

static void test_amedas(void)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/jma_bosai_json/amedas/map_20210224150000.json",
                 check_fixtures());
        size_t len;
        char *body = slurp(path, &len);
        CHECK(body != NULL);
        if (!body)
                return;
        json_t *map = json_loadb(body, len, 0, NULL);
        /* 鶴岡, 狩川, 尾花沢 (whose 10-minute value has quality flag 5),
         * and a number that does not exist. */
        const char *ids[] = {"35141", "35146", "35231", "99999", NULL};
        struct rain_set set = {0};
        struct parse_notes notes = {0};
        int64_t t = time_from_civil(2021, 2, 24, 6, 0, 0);
        CHECK_INT(amedas_parse(body, len, ids, t, &set, &notes), 0);
        CHECK_INT(notes.skipped, 1);
        CHECK(strstr(notes.reason[0], "99999") != NULL);
        size_t found = 0;
        for (size_t i = 0; i < set.n; i++) {
                json_t *st = json_object_get(map, set.v[i].id);
                static const char *keys[] = {"precipitation10m", "precipitation1h",
                                             "precipitation3h", "precipitation24h"};
                double got[] = {set.v[i].precip_10m_mm, set.v[i].precip_1h_mm,
                                set.v[i].precip_3h_mm, set.v[i].precip_24h_mm};
                for (int k = 0; k < 4; k++) {
                        json_t *pair = json_object_get(st, keys[k]);
                        double want = NAN;
                        if (json_integer_value(json_array_get(pair, 1)) == 0 &&
                            json_is_number(json_array_get(pair, 0)))
                                want = json_number_value(json_array_get(pair, 0));
                        CHECK(same(got[k], want));
                }
                CHECK_INT(set.v[i].observed_s, t);
                found++;
        }
        CHECK_INT(found, 3);
        CHECK(set.n >= 1 && strcmp(set.v[0].id, "35141") == 0 && set.v[0].precip_24h_mm == 1.0);
        CHECK(set.n >= 3 && isnan(set.v[2].precip_10m_mm));
        rain_set_free(&set);
        json_decref(map);
        free(body);
        const char *bad = "<!DOCTYPE html><html></html>";
        CHECK_INT(amedas_parse(bad, strlen(bad), ids, t, &set, NULL), -EINVAL);
        int64_t lt;
        const char *latest = "2021-02-24T15:00:00+09:00\n";
        CHECK_INT(amedas_parse_latest(latest, strlen(latest), &lt), 0);
        CHECK_INT(lt, t);
        CHECK(amedas_parse_latest("<html>", 6, &lt) < 0);
}

static void test_kawabou(void)
{
        size_t len;
        char path[1024];
        snprintf(path, sizeof(path), "%s/tests/fixtures/river/kawabou_authored.json",
                 getenv("SONAE_SOURCE_ROOT") ? getenv("SONAE_SOURCE_ROOT") : ".");
        char *body = slurp(path, &len);
        CHECK(body != NULL);
        if (!body)
                return;
        struct gauge_set set = {0};
        struct parse_notes notes = {0};
        CHECK_INT(kawabou_parse(body, len, &set, &notes), 0);
        CHECK_INT(set.n, 7);
        CHECK_INT(notes.skipped, 2);
        /* Levels none, 1..5 in file order, then unknown for the null reading. */
        int want_level[] = {LEVEL_NONE, LEVEL_1, LEVEL_2, LEVEL_3, LEVEL_4, LEVEL_5, LEVEL_NONE};
        int want_state[] = {STATE_OK, STATE_OK, STATE_OK,     STATE_OK,
                            STATE_OK, STATE_OK, STATE_UNKNOWN};
        for (size_t i = 0; i < set.n && i < 7; i++) {
                struct level_result lr = level_from_thresholds(set.v[i].level_m, &set.v[i].th);
                CHECK_INT(lr.level, want_level[i]);
                CHECK_INT(lr.state, want_state[i]);
        }
        if (set.n >= 4) {
                CHECK_STR(set.v[0].id, "2087700400001");
                CHECK_STR(set.v[0].name, "熊出");
                CHECK_STR(set.v[0].river, "赤川");
                CHECK_STR(set.v[0].town, "06203");
                CHECK_NEAR(set.v[0].th.evacuation, 2.90, 1e-9);
                CHECK_INT(set.v[0].observed_s, time_from_civil(2024, 7, 25, 11, 0, 0));
                /* An item's own time wins over the document's; strings are numbers. */
                CHECK_INT(set.v[3].observed_s, time_from_civil(2024, 7, 25, 10, 50, 0));
                CHECK_NEAR(set.v[3].level_m, 3.05, 1e-9);
        }
        gauge_set_free(&set);
        free(body);
}

/* Builds a table instance from key = value lines, as the config would. */
static void *table_with(const char *const *kv, struct conf_diag *diag)
{
        struct conf_instance in = {.name = "t",
                                   .type = "table",
                                   .enabled = true,
                                   .interval = 600,
                                   .url = "https://example.jp/x"};
        struct conf_kv ex[32];
        size_t n = 0;
        for (size_t i = 0; kv[i] && kv[i + 1] && n < 32; i += 2, n++)
                ex[n] = (struct conf_kv){(char *)kv[i], (char *)kv[i + 1], (int)n + 2};
        in.extra = ex;
        in.n_extra = n;
        const struct source_type *t = source_type_find("table");
        void *state = NULL;
        if (t->configure(&in, NULL, diag, &state) < 0) {
                t->destroy(state);
                return NULL;
        }
        return state;
}

static void test_table(void)
{
        const struct source_type *tt = source_type_find("table");
        const char *root = getenv("SONAE_SOURCE_ROOT") ? getenv("SONAE_SOURCE_ROOT") : ".";
        char path[1024];
        size_t len;
        struct conf_diag diag;
        conf_diag_init(&diag);

        /* 1. Shift_JIS CSV with Japanese headers under a title line. */
        const char *csv_kv[] = {"format",
                                "csv",
                                "encoding",
                                "shift_jis",
                                "header_line",
                                "2",
                                "col_id",
                                "観測所番号",
                                "col_name",
                                "観測所名",
                                "col_river",
                                "河川名",
                                "col_time",
                                "観測日時",
                                "time_format",
                                "%Y/%m/%d %H:%M",
                                "col_level",
                                "水位(m)",
                                "col_standby",
                                "水防団待機水位",
                                "col_caution",
                                "氾濫注意水位",
                                "col_evacuation",
                                "避難判断水位",
                                "col_danger",
                                "氾濫危険水位",
                                NULL};
        void *t = table_with(csv_kv, &diag);
        CHECK(t != NULL);
        snprintf(path, sizeof(path), "%s/tests/fixtures/river/table_sjis.csv", root);
        char *body = slurp(path, &len);
        struct gauge_set set = {0};
        struct parse_notes notes = {0};
        CHECK(body != NULL);
        if (t && body) {
                CHECK_INT(table_parse_with(t, body, len, &set, &notes), 0);
                CHECK_INT(set.n, 5); /* 7 rows: abc level and the short row skipped */
                CHECK_INT(notes.skipped, 2);
                CHECK(strstr(notes.reason[0], "601005") && strstr(notes.reason[0], "level"));
                CHECK(strstr(notes.reason[1], "fewer than the header") != NULL);
                if (set.n == 5) {
                        CHECK_STR(set.v[0].name, "鶴岡");
                        CHECK_STR(set.v[2].name, "羽黒,手向");
                        CHECK_STR(set.v[2].river, "藤島川");
                        CHECK_INT(set.v[0].observed_s, time_from_civil(2024, 7, 25, 11, 0, 0));
                        int want[] = {LEVEL_NONE, LEVEL_1, LEVEL_3, LEVEL_NONE, LEVEL_4};
                        for (int i = 0; i < 5; i++)
                                CHECK_INT(
                                    level_from_thresholds(set.v[i].level_m, &set.v[i].th).level,
                                    want[i]);
                        /* 欠測: a reading with no value, state unknown. */
                        CHECK(isnan(set.v[3].level_m));
                        CHECK_INT(level_from_thresholds(set.v[3].level_m, &set.v[3].th).state,
                                  STATE_UNKNOWN);
                }
                /* The same bytes declared UTF-8: the headers do not match, refused whole. */
                gauge_set_free(&set);
        }
        tt->destroy(t);
        free(body);

        /* 2. Nested JSON with paths. */
        const char *json_kv[] = {"format",
                                 "json",
                                 "rows",
                                 "result.area.stations",
                                 "col_id",
                                 "station.code",
                                 "col_name",
                                 "station.name",
                                 "col_river",
                                 "station.river",
                                 "col_time",
                                 "obs.time",
                                 "col_level",
                                 "obs.level",
                                 "col_standby",
                                 "criteria.standby",
                                 "col_caution",
                                 "criteria.caution",
                                 "col_evacuation",
                                 "criteria.evacuation",
                                 "col_danger",
                                 "criteria.danger",
                                 "col_flood",
                                 "criteria.flood",
                                 NULL};
        t = table_with(json_kv, &diag);
        CHECK(t != NULL);
        snprintf(path, sizeof(path), "%s/tests/fixtures/river/table_nested.json", root);
        body = slurp(path, &len);
        if (t && body) {
                memset(&notes, 0, sizeof(notes));
                CHECK_INT(table_parse_with(t, body, len, &set, &notes), 0);
                CHECK_INT(set.n, 3);
                CHECK_INT(notes.skipped, 2);
                if (set.n == 3) {
                        CHECK_STR(set.v[0].id, "S-0101");
                        CHECK_INT(level_from_thresholds(set.v[0].level_m, &set.v[0].th).level,
                                  LEVEL_3);
                        CHECK_INT(set.v[1].observed_s, time_from_civil(2024, 7, 25, 11, 0, 0));
                        CHECK_NEAR(set.v[1].level_m, 0.40, 1e-9);
                        CHECK(isnan(set.v[1].th.flood));
                        CHECK(isnan(set.v[2].level_m));
                }
                gauge_set_free(&set);
                /* A document of another shape is refused whole. */
                const char *other = "{\"result\": {\"error\": \"メンテナンス中\"}}";
                CHECK_INT(table_parse_with(t, other, strlen(other), &set, NULL), -EINVAL);
                CHECK_INT(set.n, 0);
        }
        tt->destroy(t);
        free(body);

        /* 3. A third shape by config alone: UTF-8, semicolons, date and
         * time in two columns, crisis-gauge thresholds, JSON-less. */
        const char *third_kv[] = {
            "format",    "csv",      "delimiter", ";",        "col_id",      "局",
            "col_date",  "日付",     "col_time",  "時刻",     "time_format", "%Y-%m-%d %H:%M",
            "col_level", "水位",     "col_start", "観測開始", "col_danger",  "危険",
            "col_flood", "氾濫開始", NULL};
        t = table_with(third_kv, &diag);
        CHECK(t != NULL);
        const char *third = "\xEF\xBB\xBF局;日付;時刻;水位;観測開始;危険;氾濫開始\r\n"
                            "K1;2024-07-25;20:10;0.50;0.80;1.50;2.00\r\n"
                            "K2;2024-07-25;20:10;1.60;0.80;1.50;2.00\r\n"
                            "K3;2024-07-25;20:10;2.10;0.80;1.50;2.00\r\n"
                            "K4;2024-07-25;;1.00;0.80;1.50;2.00\r\n";
        if (t) {
                memset(&notes, 0, sizeof(notes));
                CHECK_INT(table_parse_with(t, third, strlen(third), &set, &notes), 0);
                CHECK_INT(set.n, 3);
                CHECK_INT(notes.skipped, 1);
                if (set.n == 3) {
                        CHECK_INT(set.v[0].observed_s, time_from_civil(2024, 7, 25, 11, 10, 0));
                        struct level_result r0 =
                            level_from_thresholds(set.v[0].level_m, &set.v[0].th);
                        struct level_result r1 =
                            level_from_thresholds(set.v[1].level_m, &set.v[1].th);
                        struct level_result r2 =
                            level_from_thresholds(set.v[2].level_m, &set.v[2].th);
                        CHECK_INT(r0.state, STATE_BELOW_START);
                        CHECK_INT(r1.level, LEVEL_4);
                        CHECK_INT(r2.level, LEVEL_5);
                        CHECK(set.v[0].crisis);
                }
                gauge_set_free(&set);
        }
        tt->destroy(t);

        /* Config errors name the key. */
        conf_diag_free(&diag);
        conf_diag_init(&diag);
        const char *bad_kv[] = {"format",    "csv", "col_id",    "id",  "col_level", "lv",
                                "delimiter", ";;",  "time_zone", "JST", NULL};
        CHECK(table_with(bad_kv, &diag) == NULL);
        CHECK(diag.text.data && strstr(diag.text.data, "delimiter") &&
              strstr(diag.text.data, "col_time") && strstr(diag.text.data, "time_zone"));
        conf_diag_free(&diag);
}

int main(void)
{
        test_kriver_parse();
        test_kriver_sequence();
        test_rate();
        test_amedas();
        test_kawabou();
        test_table();
        return check_done("collectors-river");
}
