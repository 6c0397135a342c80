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
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int64_t fake_now_s;
static int64_t fake_now(void)
{
        return fake_now_s * 1000;
}

static struct store *open_store(char *dir, size_t len)
{
        snprintf(dir, len, "/tmp/sonae-river-XXXXXX");
        if (!mkdtemp(dir))
                return NULL;
        char path[256];
        snprintf(path, sizeof(path), "%s/s.db", dir);
        struct store_options o = {.path = path};
        struct store *st = NULL;
        CHECK_INT(store_open(&o, &st), 0);
        return st;
}

static void close_store(struct store *st, const char *dir)
{
        store_close(st);
        char path[256];
        const char *names[] = {"s.db", "s.db-wal", "s.db-shm"};
        for (int i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                unlink(path);
        }
        rmdir(dir);
}

static const struct store_latest *find_latest(const struct store_latest_list *l, const char *id)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].external_id, id) == 0)
                        return &l->v[i];
        return NULL;
}

static const struct gauge *find_gauge(const struct gauge_set *s, const char *id)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].id, id) == 0)
                        return &s->v[i];
        return NULL;
}

/* Three real snapshots of 山形県 as three polls ten minutes apart, written
 * through the writer into a real SpatiaLite store. */
static void test_kriver_sequence(void)
{
        char dir[64];
        struct store *st = open_store(dir, sizeof(dir));
        if (!st)
                return;
        struct river_writer *w = river_writer_new("kriver-yamagata", 600, true);
        struct gauge_set sets[3] = {{0}};
        int64_t t0 = time_from_civil(2026, 7, 26, 8, 0, 0);
        int64_t last_event = 0;
        time_set_override(fake_now);
        for (int s = 0; s < 3; s++) {
                json_t *items = NULL;
                char *raw = raw_listing(snapshots[s], "06000", &items);
                CHECK_INT(kriver_parse(raw, strlen(raw), &sets[s], NULL), 0);
                json_decref(items);
                free(raw);
                for (size_t i = 0; i < sets[s].n; i++)
                        sets[s].v[i].observed_s = t0 + 600 * s;
                fake_now_s = t0 + 600 * s + 120;
                CHECK_INT(river_write(w, st, &sets[s], fake_now_s), 0);
                struct store_latest_list l = {0};
                CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
                /* Every listed gauge: level and state as the contract says,
                 * the rate over the polls where it was listed. */
                size_t bad = 0;
                for (size_t i = 0; i < sets[s].n; i++) {
                        const struct gauge *g = &sets[s].v[i];
                        const struct store_latest *x = find_latest(&l, g->id);
                        if (!x) {
                                bad++;
                                continue;
                        }
                        int lvl, state;
                        expect_crisis(g->level_m, &g->th, &lvl, &state);
                        if (x->level != lvl || (int)x->state != state || x->value != g->level_m ||
                            x->observed_at != g->observed_s) {
                                if (bad < 3)
                                        fprintf(stderr, "poll %d %s: level %d state %s\n", s, g->id,
                                                x->level, station_state_name(x->state));
                                bad++;
                        }
                        /* Rate by hand: the oldest reading in the hour to this one. */
                        double want = NAN;
                        for (int p = 0; p < s && isnan(want); p++) {
                                const struct gauge *o = find_gauge(&sets[p], g->id);
                                if (o)
                                        want = (g->level_m - o->level_m) / ((s - p) / 6.0);
                        }
                        if (!same(want, x->rate_m_per_h) &&
                            !(fabs(want - x->rate_m_per_h) < 1e-6)) {
                                if (bad < 3)
                                        fprintf(stderr, "poll %d %s: rate %g want %g\n", s, g->id,
                                                x->rate_m_per_h, want);
                                bad++;
                        }
                }
                CHECK_INT(bad, 0);
                store_latest_list_free(&l);
        }
        /* After the third poll: who dropped out, rose, fell. */
        struct store_latest_list l = {0};
        CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
        size_t dropped = 0, dropped_bad = 0, rose = 0, fell = 0, tsuruoka = 0;
        for (size_t i = 0; i < l.n; i++) {
                const struct store_latest *x = &l.v[i];
                tsuruoka += x->area_code && strcmp(x->area_code, "0620300") == 0;
                if (!find_gauge(&sets[2], x->external_id)) {
                        dropped++;
                        /* Below 観測開始水位: no level; metadata kept. */
                        dropped_bad += x->state != STATE_BELOW_START || x->level != LEVEL_NONE ||
                                       isnan(x->thr.start) || !x->name[0];
                }
                for (int s = 1; s < 3; s++) {
                        const struct gauge *a = find_gauge(&sets[s - 1], x->external_id);
                        const struct gauge *b = find_gauge(&sets[s], x->external_id);
                        rose += a && b && b->level_m > a->level_m;
                        fell += a && b && b->level_m < a->level_m;
                }
        }
        CHECK_INT(dropped_bad, 0);
        CHECK(dropped >= 25);
        CHECK(rose > 0 && fell > 0);
        /* SOURCES.md: 10 gauges of 鶴岡市 (townCode 06203 → area 0620300). */
        CHECK(tsuruoka >= 10);
        printf("three polls: %zu, %zu, %zu gauges in 山形県; %zu stations, %zu below start, %zu "
               "rose, %zu fell, %zu in 鶴岡市\n",
               sets[0].n, sets[1].n, sets[2].n, l.n, dropped, rose, fell, tsuruoka);
        store_latest_list_free(&l);

        /* The store wrote station.level and station.state events; a dropped
         * gauge's event says below_start. */
        struct store_event_list ev = {0};
        CHECK_INT(store_events_after(st, last_event, 100000, false, &ev), 0);
        size_t n_level = 0, n_state = 0, n_below = 0;
        for (size_t i = 0; i < ev.n; i++) {
                n_level += strcmp(ev.v[i].type, "station.level") == 0;
                n_state += strcmp(ev.v[i].type, "station.state") == 0;
                n_below += strcmp(ev.v[i].type, "station.state") == 0 &&
                           strstr(ev.v[i].data, "\"to\":\"below_start\"") != NULL;
        }
        CHECK(n_level > 0 && n_state > 0);
        CHECK_INT(n_below, dropped);
        store_event_list_free(&ev);

        /* Still below start while the listing keeps coming (it vouches for
         * them), stale once it stops: distinct states. */
        struct gauge_set none = {0};
        const char *gone = NULL;
        for (size_t i = 0; i < sets[0].n && !gone; i++)
                if (!find_gauge(&sets[2], sets[0].v[i].id))
                        gone = sets[0].v[i].id;
        for (int k = 1; k <= 6; k++) {
                fake_now_s = t0 + 1200 + 600 * k + 120;
                CHECK_INT(river_write(w, st, &sets[2], fake_now_s), 0);
        }
        CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
        const struct store_latest *x = gone ? find_latest(&l, gone) : NULL;
        CHECK(x && x->state == STATE_BELOW_START);
        store_latest_list_free(&l);
        fake_now_s += 600 * 3 + 60; /* the listing stops for expected_interval × grace */
        CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
        x = gone ? find_latest(&l, gone) : NULL;
        CHECK(x && x->state == STATE_STALE && x->level == LEVEL_NONE);
        store_latest_list_free(&l);
        gauge_set_free(&none);

        for (int s = 0; s < 3; s++)
                gauge_set_free(&sets[s]);
        river_writer_free(w);
        time_set_override(NULL);
        close_store(st, dir);
}

/* Rate of rise and staleness on an authored sequence: two gauges read
 * every 10 minutes for an hour, one rising 0.30 m/h, one falling 0.12 m/h,
 * then silent. */
static void test_rate_and_stale(void)
{
        char dir[64];
        struct store *st = open_store(dir, sizeof(dir));
        if (!st)
                return;
        time_set_override(fake_now);
        struct river_writer *w = river_writer_new("pref-csv", 600, false);
        int64_t t0 = time_from_civil(2024, 7, 25, 10, 0, 0);
        struct gauge up, down;
        gauge_clear(&up);
        gauge_clear(&down);
        snprintf(up.id, sizeof(up.id), "UP");
        snprintf(up.name, sizeof(up.name), "上昇");
        snprintf(down.id, sizeof(down.id), "DOWN");
        snprintf(down.name, sizeof(down.name), "下降");
        up.lat = down.lat = 38.73;
        up.lon = down.lon = 139.82;
        up.th.standby = down.th.standby = 1.0;
        up.th.caution = down.th.caution = 2.0;
        up.th.evacuation = down.th.evacuation = 2.5;
        up.th.danger = down.th.danger = 3.0;
        up.th.flood = down.th.flood = 3.5;
        for (int k = 0; k <= 6; k++) {
                struct gauge_set set = {0};
                up.observed_s = down.observed_s = t0 + 600 * k;
                up.level_m = 1.9 + 0.30 * k / 6.0;
                down.level_m = 3.1 - 0.12 * k / 6.0;
                gauge_set_add(&set, &up);
                gauge_set_add(&set, &down);
                fake_now_s = t0 + 600 * k + 30;
                CHECK_INT(river_write(w, st, &set, fake_now_s), 0);
                gauge_set_free(&set);
        }
        struct store_latest_list l = {0};
        CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
        const struct store_latest *u = find_latest(&l, "UP"), *d = find_latest(&l, "DOWN");
        CHECK(u && d);
        if (u && d) {
                CHECK_NEAR(u->rate_m_per_h, 0.30, 1e-9);
                CHECK_NEAR(d->rate_m_per_h, -0.12, 1e-9);
                CHECK_INT(u->level, LEVEL_2); /* 2.2 m: 氾濫注意 */
                CHECK_INT(d->level, LEVEL_3); /* 2.98 m: 避難判断 reached, 氾濫危険 not */
                CHECK_INT(u->state, STATE_OK);
        }
        store_latest_list_free(&l);
        /* Silent for less than expected_interval × grace: still ok. */
        fake_now_s = t0 + 3600 + 600 * 3 - 10;
        CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
        u = find_latest(&l, "UP");
        CHECK(u && u->state == STATE_OK && u->level == LEVEL_2);
        store_latest_list_free(&l);
        /* Past it: stale, and no level shown as if it were known. */
        fake_now_s = t0 + 3600 + 600 * 3 + 10;
        CHECK_INT(store_latest_all(st, fake_now_s, &l), 0);
        u = find_latest(&l, "UP");
        CHECK(u && u->state == STATE_STALE && u->level == LEVEL_NONE);
        store_latest_list_free(&l);
        size_t changed = 0;
        CHECK_INT(store_stations_refresh_state(st, fake_now_s, &changed), 0);
        CHECK_INT(changed, 2);
        river_writer_free(w);
        time_set_override(NULL);
        close_store(st, dir);
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
        test_rate_and_stale();
        test_amedas();
        test_kawabou();
        test_table();
        return check_done("collectors-river");
}
