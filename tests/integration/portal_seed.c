/* portal-seed: fills a store for the portal's tests from the real
 * 危機管理型水位計 snapshots of ../shared/fixtures/river (until `sonae db
 * seed` exists), and writes observation series on demand.
 *
 *   portal-seed DB stations N SNAPSHOT.json...   up to N distinct gauges with
 *                                                their thresholds and reading
 *   portal-seed DB series CODE COUNT START STEP  COUNT readings of gauge CODE,
 *                                                one commit each (one event
 *                                                each); START in UTC seconds
 *
 * Prints one line "ok N" (stations written, or the newest event id). */
#include "level.h"
#include "store.h"
#include "timeutil.h"

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

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: portal-seed DB stations N FILE... | DB series CODE COUNT "
                                "START STEP\n");
                return 2;
        }
        struct store_options o = {.path = argv[1]};
        struct store *st = NULL;
        int rc = store_open(&o, &st);
        if (rc < 0) {
                fprintf(stderr, "%s: %s\n", argv[1], store_strerror(rc));
                return 1;
        }
        int ret = 2;
        if (strcmp(argv[2], "stations") == 0 && argc >= 5)
                ret = seed_stations(st, strtol(argv[3], NULL, 10), argc - 4, argv + 4);
        else if (strcmp(argv[2], "series") == 0 && argc == 7)
                ret = seed_series(st, argv[3], strtol(argv[4], NULL, 10),
                                  strtoll(argv[5], NULL, 10), strtol(argv[6], NULL, 10));
        store_close(st);
        return ret;
}
