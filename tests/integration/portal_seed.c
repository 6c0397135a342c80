/* portal-seed: fills a store for the portal's tests from the real
 * 危機管理型水位計 snapshots of ../shared/fixtures/river (until `sonae db
 * seed` exists), and writes observation series on demand.
 *
 *   portal-seed DB stations N SNAPSHOT.json...   up to N distinct gauges with
 *                                                their thresholds and reading
 *   portal-seed DB series CODE COUNT START STEP  COUNT readings of gauge CODE,
 *                                                one commit each (one event
 *                                                each); START in UTC seconds
 *   portal-seed DB alerts AT TELEGRAM.xml...     the telegrams' warnings as
 *                                                alert rows, and what is in
 *                                                force per 市町村 area, with
 *                                                report times moved to AT
 *                                                (UTC seconds) so they are
 *                                                recent; 0 keeps them
 *   portal-seed DB shelters GSI.geojson          国土地理院 指定緊急避難場所
 *   portal-seed DB order AREA LEVEL [exercise]   a city order; prints its id
 *   portal-seed DB dorder DISTRICT_CODE LEVEL    a city order for a district
 *   portal-seed DB lift ORDER_ID                 lifts it
 *   portal-seed DB notice AREA TITLE TEXT        a public notice
 *   portal-seed DB burst AREA NAME N AT          N 大雨警報 rows for one area
 *                                                (発表, then 継続), one a
 *                                                second from AT: a long
 *                                                storm's worth of messages
 *   portal-seed DB reading SOURCE CODE VALUE     one water level of station
 *                                                (SOURCE, CODE), observed now
 *   portal-seed DB source NAME STATE [ERROR]     a source's health
 *   portal-seed DB device ID STATION_CODE HEALTH BATT RSSI GAPS
 *                                                a sensor node feeding the seed
 *                                                station STATION_CODE, with its
 *                                                health and GAPS open gaps
 *   portal-seed DB many N                        N gauges with thresholds and
 *                                                one reading each (benchmarks)
 *
 * The JMA part does what the JMA collector will do, only as much as the
 * portal's tests need: it is a test tool, not the collector.
 *
 * DB is a SpatiaLite file or the connection string of a PostGIS database:
 * one with a dbname= in it, or postgis:DSN.
 *
 * Prints one line "ok N" (stations written, or the newest event id). */
#include "jma_parse.h"
#include "level.h"
#include "store.h"
#include "store_city.h"
#include "store_devices.h"
#include "store_places.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num_or_nan(json_t *v)
{
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static int seed_stations(struct store *st, long max, int nfiles, char **files)
{
        long written = 0;
        for (int f = 0; f < nfiles && written < max; f++) {
                json_error_t je;
                json_t *root = json_load_file(files[f], 0, &je);
                if (!root) {
                        fprintf(stderr, "%s: %s\n", files[f], je.text);
                        return 1;
                }
                size_t i;
                json_t *it;
                store_begin(st);
                json_array_foreach(json_object_get(root, "items"), i, it)
                {
                        if (written >= max)
                                break;
                        const char *code = json_string_value(json_object_get(it, "code"));
                        int64_t id;
                        if (!code || store_station_find(st, "kriver", code, &id) == 0)
                                continue;
                        struct store_station s = {
                            .kind = "gauge",
                            .source = "kriver",
                            .external_id = code,
                            .name = json_string_value(json_object_get(it, "name")),
                            .river = json_string_value(json_object_get(it, "placeRiver")),
                            .lon = num_or_nan(json_object_get(it, "longitude")),
                            .lat = num_or_nan(json_object_get(it, "latitude")),
                            .expected_interval_s = 600,
                        };
                        level_thresholds_clear(&s.thr);
                        s.thr.start = num_or_nan(json_object_get(it, "startLevel"));
                        s.thr.danger = num_or_nan(json_object_get(it, "warnLevel"));
                        s.thr.flood = num_or_nan(json_object_get(it, "fladLevel"));
                        int rc = store_station_upsert(st, &s, &id);
                        if (rc < 0) {
                                fprintf(stderr, "station %s: %s\n", code, store_strerror(rc));
                                continue;
                        }
                        int64_t t;
                        const char *obs = json_string_value(json_object_get(it, "obsTime"));
                        double v = num_or_nan(json_object_get(it, "level"));
                        if (obs && isfinite(v) && time_parse_iso8601(obs, INT32_MIN, &t) == 0) {
                                struct store_obs o = {id, "water_level_m", t, v, 0};
                                store_observations_add(st, &o, 1, NULL);
                        }
                        written++;
                }
                int rc = store_commit(st);
                json_decref(root);
                if (rc < 0) {
                        fprintf(stderr, "commit: %s\n", store_strerror(rc));
                        return 1;
                }
        }
        printf("ok %ld\n", written);
        return 0;
}

static int seed_series(struct store *st, const char *code, long count, long long start, long step)
{
        int64_t id, last = 0;
        if (store_station_find(st, "kriver", code, &id) < 0) {
                fprintf(stderr, "no station %s\n", code);
                return 1;
        }
        for (long i = 0; i < count; i++) {
                /* A gentle tide so values differ. */
                struct store_obs o = {id, "water_level_m", start + i * step,
                                      1.0 + 0.5 * sin((double)i / 10.0), 0};
                int rc = store_observations_add(st, &o, 1, NULL);
                if (rc < 0) {
                        fprintf(stderr, "observation %ld: %s\n", i, store_strerror(rc));
                        return 1;
                }
        }
        store_events_last_id(st, &last);
        printf("ok %lld\n", (long long)last);
        return 0;
}

static int seed_reading(struct store *st, const char *source, const char *code, double v)
{
        int64_t id, last = 0;
        if (store_station_find(st, source, code, &id) < 0) {
                fprintf(stderr, "no station %s/%s\n", source, code);
                return 1;
        }
        struct store_obs o = {id, "water_level_m", time_now_ms() / 1000, v, 0};
        int rc = store_observations_add(st, &o, 1, NULL);
        if (rc < 0) {
                fprintf(stderr, "reading: %s\n", store_strerror(rc));
                return 1;
        }
        store_events_last_id(st, &last);
        printf("ok %lld\n", (long long)last);
        return 0;
}

static int seed_device(struct store *st, char **a)
{
        int64_t station = 0, id = 0, gap = 0;
        if (store_station_find(st, "seed", a[1], &station) < 0) {
                fprintf(stderr, "no station seed/%s\n", a[1]);
                return 1;
        }
        struct store_device d = {.device = a[0], .station_id = station, .enabled = true};
        int64_t now = time_now_ms() / 1000;
        int rc = store_device_add(st, &d, &id);
        if (rc >= 0)
                rc = store_device_health_set(st, id, a[2], now - 60, "1.0.0", strtod(a[3], NULL),
                                             strtod(a[4], NULL));
        for (long g = 0; rc >= 0 && g < strtol(a[5], NULL, 10); g++)
                rc = store_gap_open(st, id, 1, 100 + g * 10, 102 + g * 10, &gap);
        if (rc < 0) {
                fprintf(stderr, "device: %s\n", store_strerror(rc));
                return 1;
        }
        printf("ok %lld\n", (long long)id);
        return 0;
}

/* N gauges on a grid over 鶴岡市 and 酒田市 with the seed's thresholds and
 * one reading each, spread over every level and stale. */
static int seed_many(struct store *st, long n)
{
        int64_t now = time_now_ms() / 1000;
        store_begin(st);
        for (long i = 0; i < n; i++) {
                char ext[32], name[64];
                snprintf(ext, sizeof(ext), "many-%05ld", i);
                snprintf(name, sizeof(name), "負荷試験 %05ld", i);
                struct store_station s = {
                    .kind = "gauge",
                    .source = "bench",
                    .external_id = ext,
                    .name = name,
                    .river = "赤川",
                    .lon = 139.55 + 0.5 * (double)(i % 100) / 100.0,
                    .lat = 38.55 + 0.4 * (double)(i / 100 % 100) / 100.0,
                    .thr = {1.0, 2.0, 3.0, 4.0, 5.0, NAN},
                    .expected_interval_s = 600,
                };
                int64_t id = 0;
                int rc = store_station_upsert(st, &s, &id);
                struct store_obs o = {id, "water_level_m", i % 7 == 6 ? now - 4 * 3600 : now - 60,
                                      0.5 + (double)(i % 11) * 0.5, 0};
                if (rc >= 0)
                        rc = store_observations_add(st, &o, 1, NULL);
                if (rc < 0) {
                        fprintf(stderr, "station %ld: %s\n", i, store_strerror(rc));
                        store_rollback(st);
                        return 1;
                }
        }
        int rc = store_commit(st);
        printf("ok %ld\n", n);
        return rc < 0;
}

static int read_file(const char *path, char **data, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return -errno;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        *data = malloc((size_t)n + 1);
        *len = *data ? fread(*data, 1, (size_t)n, f) : 0;
        fclose(f);
        return *data ? 0 : -ENOMEM;
}

static int seed_alerts(struct store *st, long long at, int nfiles, char **files)
{
        long rows = 0, areas = 0;
        for (int fi = 0; fi < nfiles; fi++) {
                char *data = NULL;
                size_t len = 0;
                struct jma_report *r = NULL;
                struct jma_parse_error err;
                if (read_file(files[fi], &data, &len) < 0 ||
                    jma_parse(data, len, NULL, &r, &err) < 0) {
                        fprintf(stderr, "%s: cannot parse\n", files[fi]);
                        free(data);
                        return 1;
                }
                int64_t report_at = 0;
                if (r->report_datetime)
                        time_parse_iso8601(r->report_datetime, 9 * 3600, &report_at);
                if (at)
                        report_at = at;
                int64_t doc = 0;
                store_raw_document_put(st, "jma", files[fi], "application/xml", data, len,
                                       report_at, &doc, NULL);
                store_begin(st);
                for (size_t i = 0; i < r->n_warnings; i++) {
                        const struct jma_warning *w = &r->warnings[i];
                        /* 市町村等 (7-digit codes) only: what areas mean here. */
                        if (!w->area_code || strlen(w->area_code) != 7 || !w->kind_code)
                                continue;
                        struct store_alert a = {
                            .document_id = doc,
                            .office = r->editorial_office,
                            .title = r->head_title,
                            .info_type = r->info_type,
                            .report_status = r->status,
                            .event_id = r->event_id,
                            .serial = -1,
                            .report_at = report_at,
                            .area_code = w->area_code,
                            .area_name = w->area_name,
                            .kind_code = w->kind_code,
                            .kind_name = w->kind_name,
                            .status = w->kind_status,
                            .level = w->level,
                        };
                        int64_t id;
                        if (store_alert_add(st, &a, &id) == 0)
                                rows++;
                }
                /* What is in force per area: every kind not 解除. */
                for (size_t i = 0; i < r->n_warnings; i++) {
                        const struct jma_warning *w = &r->warnings[i];
                        if (!w->area_code || strlen(w->area_code) != 7)
                                continue;
                        bool first = true;
                        for (size_t j = 0; j < i && first; j++)
                                first = !r->warnings[j].area_code ||
                                        strcmp(r->warnings[j].area_code, w->area_code) != 0;
                        if (!first)
                                continue;
                        struct store_area_kind kinds[64];
                        size_t nk = 0;
                        for (size_t j = i; j < r->n_warnings && nk < 64; j++) {
                                const struct jma_warning *x = &r->warnings[j];
                                if (!x->area_code || strcmp(x->area_code, w->area_code) != 0 ||
                                    !x->kind_code ||
                                    (x->kind_status && strcmp(x->kind_status, "解除") == 0))
                                        continue;
                                kinds[nk++] = (struct store_area_kind){x->kind_code,   x->kind_name,
                                                                       x->kind_status, x->level,
                                                                       report_at,      0};
                        }
                        bool exercise = r->status && strcmp(r->status, "訓練") == 0;
                        if (store_area_set_in_force(st, w->area_code, w->area_name, exercise, kinds,
                                                    nk) == 0)
                                areas++;
                }
                int rc = store_commit(st);
                jma_report_free(r);
                free(data);
                if (rc < 0) {
                        fprintf(stderr, "commit: %s\n", store_strerror(rc));
                        return 1;
                }
        }
        printf("ok %ld %ld\n", rows, areas);
        return 0;
}

static bool flag(json_t *props, const char *key)
{
        const char *v = json_string_value(json_object_get(props, key));
        return v && strcmp(v, "1") == 0;
}

static int seed_shelters(struct store *st, const char *file)
{
        json_error_t je;
        json_t *root = json_load_file(file, 0, &je);
        if (!root) {
                fprintf(stderr, "%s: %s\n", file, je.text);
                return 1;
        }
        static const char *const keys[HAZARD_COUNT] = {"洪水",     "崖崩れ、土石流及び地滑り",
                                                       "高潮",     "地震",
                                                       "津波",     "大規模な火事",
                                                       "内水氾濫", "火山現象"};
        size_t i;
        json_t *f;
        long n = 0;
        store_begin(st);
        json_array_foreach(json_object_get(root, "features"), i, f)
        {
                json_t *p = json_object_get(f, "properties");
                json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
                struct store_shelter s = {
                    .common_id = json_string_value(json_object_get(p, "共通ID")),
                    .kind = "emergency",
                    .name = json_string_value(json_object_get(p, "施設・場所名")),
                    .address = json_string_value(json_object_get(p, "住所")),
                    .lon = json_number_value(json_array_get(c, 0)),
                    .lat = json_number_value(json_array_get(c, 1)),
                    .capacity = -1,
                    .occupancy = -1,
                };
                for (int h = 0; h < HAZARD_COUNT; h++)
                        s.hazards[h] = flag(p, keys[h]);
                int64_t id;
                if (s.common_id && store_shelter_upsert(st, &s, &id) == 0)
                        n++;
        }
        int rc = store_commit(st);
        json_decref(root);
        if (rc < 0)
                return 1;
        printf("ok %ld\n", n);
        return 0;
}

/* One camera (kind camera, source "kawabou") with one image captured at
 * `at` and the given state; prints its station id. */
static int seed_camera(struct store *st, const char *ext, int64_t at, const char *state)
{
        struct store_station s = {
            .kind = "camera",
            .source = "kawabou",
            .external_id = ext,
            .name = "赤川 テストカメラ",
            .lon = 139.83,
            .lat = 38.72,
            .thr = {NAN, NAN, NAN, NAN, NAN, NAN},
            .expected_interval_s = 600,
        };
        int64_t id = 0, img = 0;
        int rc = store_station_upsert(st, &s, &id);
        struct store_camera_image ci = {
            .station_id = id,
            .captured_at = at,
            .fetched_at = at,
            .path = "cameras/x/latest.jpg",
            .bytes = 1000,
            .width = 640,
            .height = 480,
            .sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        };
        if (rc >= 0)
                rc = store_camera_image_add(st, &ci, &img);
        if (rc >= 0)
                rc = store_camera_set_state(st, id, state);
        if (rc < 0) {
                fprintf(stderr, "camera: %s\n", store_strerror(rc));
                return 1;
        }
        printf("ok %lld\n", (long long)id);
        return 0;
}

static int seed_burst(struct store *st, const char *area, const char *name, long n, int64_t at)
{
        store_begin(st);
        for (long i = 0; i < n; i++) {
                char ev[32];
                snprintf(ev, sizeof(ev), "burst-%ld", i);
                struct store_alert a = {
                    .office = "山形地方気象台",
                    .title = "山形県気象警報・注意報",
                    .info_type = "発表",
                    .report_status = "通常",
                    .event_id = ev,
                    .serial = (int)i + 1,
                    .report_at = at + i,
                    .area_code = area,
                    .area_name = name,
                    .kind_code = "03",
                    .kind_name = "大雨警報",
                    .status = i == 0 ? "発表" : "継続",
                    .level = LEVEL_3,
                };
                int64_t id;
                store_alert_add(st, &a, &id);
        }
        int rc = store_commit(st);
        if (rc < 0) {
                fprintf(stderr, "burst: %s\n", store_strerror(rc));
                return 1;
        }
        printf("ok %ld\n", n);
        return 0;
}

/* A command's answer: "ok 1", or the store's error; the exit status. */
static int answer(const char *what, int r)
{
        if (r < 0)
                fprintf(stderr, "%s: %s\n", what, store_strerror(r));
        else
                printf("ok 1\n");
        return r < 0;
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: portal-seed DB stations N FILE... | DB series CODE COUNT "
                                "START STEP\n");
                return 2;
        }
        /* DB: a SpatiaLite file, or a libpq connection string (it has a
         * dbname=) for a PostGIS store (tests/integration/storeq.py). */
        struct store_options o = {.path = argv[1]};
        if (strncmp(argv[1], "postgis:", 8) == 0 || strstr(argv[1], "dbname=")) {
                o.path = NULL;
                o.backend = "postgis";
                o.dsn = strncmp(argv[1], "postgis:", 8) == 0 ? argv[1] + 8 : argv[1];
        }
        struct store *st = NULL;
        int rc = store_open(&o, &st);
        if (rc < 0) {
                fprintf(stderr, "%s: %s\n", argv[1], store_strerror(rc));
                return 1;
        }
        int ret = 2;
        if (strcmp(argv[2], "stations") == 0 && argc >= 5)
                ret = seed_stations(st, strtol(argv[3], NULL, 10), argc - 4, argv + 4);
        else if (strcmp(argv[2], "alerts") == 0 && argc >= 5)
                ret = seed_alerts(st, strtoll(argv[3], NULL, 10), argc - 4, argv + 4);
        else if (strcmp(argv[2], "camera") == 0 && argc == 6)
                ret = seed_camera(st, argv[3], strtoll(argv[4], NULL, 10), argv[5]);
        else if (strcmp(argv[2], "shelters") == 0 && argc == 4)
                ret = seed_shelters(st, argv[3]);
        else if (strcmp(argv[2], "order") == 0 && argc >= 5) {
                struct store_order ord = {
                    .level = (int)strtol(argv[4], NULL, 10),
                    .hazard = "flood",
                    .area_code = argv[3],
                    .reason = "河川の増水のため",
                    .issued_at = time_now_ms() / 1000,
                    .exercise = argc > 5 && strcmp(argv[5], "exercise") == 0,
                };
                int64_t id = 0;
                int r = store_order_issue(st, &ord, &id);
                if (r < 0)
                        fprintf(stderr, "order: %s\n", store_strerror(r));
                else
                        printf("ok %lld\n", (long long)id);
                ret = r < 0;
        } else if (strcmp(argv[2], "dorder") == 0 && argc == 5) {
                struct store_order ord = {
                    .level = (int)strtol(argv[4], NULL, 10),
                    .hazard = "flood",
                    .reason = "内水氾濫のおそれ",
                    .issued_at = time_now_ms() / 1000,
                };
                int64_t id = 0;
                int r = store_district_find(st, argv[3], &ord.district_id);
                if (r == 0)
                        r = store_order_issue(st, &ord, &id);
                if (r < 0)
                        fprintf(stderr, "dorder: %s\n", store_strerror(r));
                else
                        printf("ok %lld\n", (long long)id);
                ret = r < 0;
        } else if (strcmp(argv[2], "lift") == 0 && argc == 4) {
                int r = store_order_lift(st, strtoll(argv[3], NULL, 10), time_now_ms() / 1000);
                if (r < 0)
                        fprintf(stderr, "lift: %s\n", store_strerror(r));
                else
                        printf("ok 1\n");
                ret = r < 0;
        } else if (strcmp(argv[2], "notice") == 0 && argc == 6) {
                struct store_notice nt = {
                    .category = "shelter_open",
                    .area_code = argv[3],
                    .title_ja = argv[4],
                    .text_ja = argv[5],
                    .valid_from = time_now_ms() / 1000 - 60,
                    .is_public = true,
                };
                int64_t id = 0;
                int r = store_notice_publish(st, &nt, &id);
                if (r < 0)
                        fprintf(stderr, "notice: %s\n", store_strerror(r));
                else
                        printf("ok %lld\n", (long long)id);
                ret = r < 0;
        } else if (strcmp(argv[2], "burst") == 0 && argc == 7)
                ret = seed_burst(st, argv[3], argv[4], strtol(argv[5], NULL, 10),
                                 strtoll(argv[6], NULL, 10));
        else if (strcmp(argv[2], "reading") == 0 && argc == 6)
                ret = seed_reading(st, argv[3], argv[4], strtod(argv[5], NULL));
        else if (strcmp(argv[2], "source") == 0 && argc >= 5) {
                int r =
                    store_source_health_set(st, argv[3], argv[4], argc > 5 ? argv[5] : NULL, false);
                if (r < 0)
                        fprintf(stderr, "source: %s\n", store_strerror(r));
                else
                        printf("ok 1\n");
                ret = r < 0;
        } else if (strcmp(argv[2], "inforce") == 0 && argc == 8) {
                /* JMA puts one kind in force in an area (its whole set):
                 * AREA NAME KIND_CODE KIND_NAME LEVEL. */
                struct store_area_kind k = {
                    argv[5], argv[6], "発表", (int)strtol(argv[7], NULL, 10), time_now_ms() / 1000,
                    0};
                int r = store_area_set_in_force(st, argv[3], argv[4], false, &k, 1);
                ret = answer("inforce", r);
        } else if (strcmp(argv[2], "health") == 0 && argc == 7) {
                /* A node's status message: health, battery, signal. */
                struct store_device d;
                int r = store_device_get(st, argv[3], &d);
                if (r == 0) {
                        r = store_device_health_set(st, d.id, argv[4], time_now_ms() / 1000, NULL,
                                                    strtod(argv[5], NULL), strtod(argv[6], NULL));
                        store_device_free(&d);
                }
                ret = answer("health", r);
        } else if (strcmp(argv[2], "device") == 0 && argc == 9)
                ret = seed_device(st, argv + 3);
        else if (strcmp(argv[2], "many") == 0 && argc == 4)
                ret = seed_many(st, strtol(argv[3], NULL, 10));
        else if (strcmp(argv[2], "series") == 0 && argc == 7)
                ret = seed_series(st, argv[3], strtol(argv[4], NULL, 10),
                                  strtoll(argv[5], NULL, 10), strtol(argv[6], NULL, 10));
        store_close(st);
        return ret;
}
