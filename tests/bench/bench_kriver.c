/* Readings per second through the kriver adapter into the store, against
 * raw inserts into the same tables in the same run.
 *
 * The real 2026-06-03 k.river snapshot (702 gauges) is unwrapped into the
 * raw listing and repeated with new codes to 20,000 gauges (SONAE_REDUCED:
 * 2,000).  Adapter: parse the JSON body (jansson) and write the listing
 * through river_write() (station upserts on the first poll, observations,
 * latest state, rate of rise, events), one transaction per listing.
 * Baseline: the same readings as prepared INSERTs into observations and
 * station_latest plus an UPDATE of station_status, one transaction, on the
 * same file with the same pragmas.  Both timed over POLLS listings ten
 * minutes apart, after a first (untimed) poll that creates the stations.
 *
 *   build/collectors/bench-kriver [gauges]
 */
#include "river.h"
#include "river_write.h"
#include "store.h"
#include "timeutil.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POLLS 3

static char *listing(size_t want, int64_t obs_s, size_t *len)
{
        const char *fx = getenv("SONAE_FIXTURES") ? getenv("SONAE_FIXTURES") : "../shared/fixtures";
        char path[1024];
        snprintf(path, sizeof(path),
                 "%s/river/k_river_crisis_gauges/snapshot_2026-06-03-05JST.json", fx);
        json_t *w = json_load_file(path, 0, NULL);
        if (!w)
                return NULL;
        json_t *items = json_object_get(w, "items");
        json_t *obss = json_array();
        char t[32];
        time_format_iso8601(obs_s, JST_OFFSET_S, 0, t, sizeof(t));
        for (size_t i = 0; i < want; i++) {
                json_t *it = json_deep_copy(json_array_get(items, i % json_array_size(items)));
                char code[32];
                snprintf(code, sizeof(code), "%010zu", i + 1);
                json_object_set_new(it, "code", json_string(code));
                json_object_set_new(it, "obsTime", json_string(t));
                json_object_set(it, "lat", json_object_get(it, "latitude"));
                json_object_set(it, "lon", json_object_get(it, "longitude"));
                /* A little movement so levels and rates change. */
                double lv = json_number_value(json_object_get(it, "level"));
                json_object_set_new(it, "level", json_real(lv + 0.01 * (double)(obs_s % 7)));
                json_array_append_new(obss, it);
        }
        json_t *doc = json_pack("{s:o}", "obss", obss);
        char *s = json_dumps(doc, JSON_COMPACT);
        *len = s ? strlen(s) : 0;
        json_decref(doc);
        json_decref(w);
        return s;
}

int main(int argc, char **argv)
{
        size_t n = getenv("SONAE_REDUCED") && strcmp(getenv("SONAE_REDUCED"), "0") ? 2000 : 20000;
        if (argc > 1)
                n = (size_t)strtoul(argv[1], NULL, 10);
        char dir[] = "/tmp/sonae-bench-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        char path[256];
        snprintf(path, sizeof(path), "%s/bench.db", dir);
        struct store_options o = {.path = path};
        struct store *st = NULL;
        if (store_open(&o, &st) < 0) {
                fprintf(stderr, "cannot open the store\n");
                return 1;
        }
        int64_t t0 = time_now_ms() / 1000 / 600 * 600 - 600 * (2 * POLLS + 2);
        struct river_writer *w = river_writer_new("kriver-bench", 600, true);
        char *bodies[2 * POLLS + 1];
        size_t lens[2 * POLLS + 1];
        for (int p = 0; p < 2 * POLLS + 1; p++) {
                bodies[p] = listing(n, t0 + 600 * p, &lens[p]);
                if (!bodies[p]) {
                        fprintf(stderr, "cannot read the fixture (SONAE_FIXTURES)\n");
                        return 1;
                }
        }
        /* First poll: creates the stations (not timed). */
        struct gauge_set set = {0};
        kriver_parse(bodies[0], lens[0], &set, NULL);
        if (river_write(w, st, &set, t0) < 0) {
                fprintf(stderr, "first write failed\n");
                return 1;
        }
        gauge_set_free(&set);

        int64_t a0 = time_mono_ms(), parse_ms = 0;
        for (int p = 1; p <= POLLS; p++) {
                int64_t p0 = time_mono_ms();
                kriver_parse(bodies[p], lens[p], &set, NULL);
                parse_ms += time_mono_ms() - p0;
                if (river_write(w, st, &set, t0 + 600 * p) < 0)
                        fprintf(stderr, "write failed\n");
                gauge_set_free(&set);
        }
        double adapter_s = (double)(time_mono_ms() - a0) / 1000.0;

        /* Baseline: raw prepared statements on the same file, the same
         * readings (parsed beforehand: only the inserts are timed). */
        sqlite3 *db;
        sqlite3_open(path, &db);
        sqlite3_busy_timeout(db, 10000);
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
        sqlite3_stmt *ins, *lat, *sts, *find;
        sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO observations(station_id, quantity, observed_at, "
                           "value, quality) VALUES (?, 'water_level_m', ?, ?, 0)",
                           -1, &ins, NULL);
        sqlite3_prepare_v2(db,
                           "INSERT INTO station_latest(station_id, quantity, observed_at, value) "
                           "VALUES (?, 'water_level_m', ?, ?) ON CONFLICT DO UPDATE SET "
                           "observed_at = excluded.observed_at, value = excluded.value",
                           -1, &lat, NULL);
        sqlite3_prepare_v2(db,
                           "UPDATE station_status SET value = ?, observed_at = ?, "
                           "last_observed_at = ? WHERE station_id = ?",
                           -1, &sts, NULL);
        sqlite3_prepare_v2(
            db, "SELECT id FROM stations WHERE source = 'kriver-bench' AND external_id = ?", -1,
            &find, NULL);
        struct gauge_set pre[POLLS];
        int64_t *ids = calloc(n, sizeof(*ids));
        for (int p = 0; p < POLLS; p++) {
                memset(&pre[p], 0, sizeof(pre[p]));
                kriver_parse(bodies[POLLS + 1 + p], lens[POLLS + 1 + p], &pre[p], NULL);
        }
        for (size_t i = 0; i < pre[0].n && i < n; i++) {
                sqlite3_bind_text(find, 1, pre[0].v[i].id, -1, SQLITE_STATIC);
                ids[i] = sqlite3_step(find) == SQLITE_ROW ? sqlite3_column_int64(find, 0) : 0;
                sqlite3_reset(find);
        }
        size_t inserted = 0, parsed = 0;
        int64_t b0 = time_mono_ms();
        for (int p = 0; p < POLLS; p++) {
                sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
                for (size_t i = 0; i < pre[p].n; i++) {
                        const struct gauge *g = &pre[p].v[i];
                        sqlite3_bind_int64(ins, 1, ids[i]);
                        sqlite3_bind_int64(ins, 2, g->observed_s);
                        sqlite3_bind_double(ins, 3, g->level_m);
                        if (sqlite3_step(ins) == SQLITE_DONE)
                                inserted += (size_t)sqlite3_changes(db);
                        sqlite3_reset(ins);
                        sqlite3_bind_int64(lat, 1, ids[i]);
                        sqlite3_bind_int64(lat, 2, g->observed_s);
                        sqlite3_bind_double(lat, 3, g->level_m);
                        sqlite3_step(lat);
                        sqlite3_reset(lat);
                        sqlite3_bind_double(sts, 1, g->level_m);
                        sqlite3_bind_int64(sts, 2, g->observed_s);
                        sqlite3_bind_int64(sts, 3, g->observed_s);
                        sqlite3_bind_int64(sts, 4, ids[i]);
                        sqlite3_step(sts);
                        sqlite3_reset(sts);
                }
                sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
        double raw_s = (double)(time_mono_ms() - b0) / 1000.0;
        for (int p = 0; p < POLLS; p++)
                parsed += pre[p].n;
        /* A baseline that inserted less than it was given would be fast for
         * the wrong reason. */
        size_t in_store = 0;
        sqlite3_stmt *cnt;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM observations", -1, &cnt, NULL);
        if (sqlite3_step(cnt) == SQLITE_ROW)
                in_store = (size_t)sqlite3_column_int64(cnt, 0);
        sqlite3_finalize(cnt);
        if (parsed != n * POLLS || inserted != parsed || in_store != n * (2 * POLLS + 1)) {
                fprintf(stderr,
                        "bench-kriver: %zu readings parsed, %zu inserted, %zu in the store; "
                        "expected %zu, %zu and %zu\n",
                        parsed, inserted, in_store, n * POLLS, n * POLLS, n * (2 * POLLS + 1));
                return 1;
        }
        double readings = (double)n * POLLS;
        printf("bench-kriver: %zu gauges × %d listings\n", n, POLLS);
        printf("  kriver adapter (parse + store API): %10.0f readings/s\n", readings / adapter_s);
        printf("  raw prepared inserts, same tables:  %10.0f readings/s\n", readings / raw_s);
        printf("  ratio adapter / raw: %.2f (of the adapter's time: JSON parse %.0f%%, "
               "store API %.0f%%)\n",
               raw_s / adapter_s, 100.0 * (double)parse_ms / 1000.0 / adapter_s,
               100.0 - 100.0 * (double)parse_ms / 1000.0 / adapter_s);
        for (int p = 0; p < POLLS; p++)
                gauge_set_free(&pre[p]);
        free(ids);
        sqlite3_finalize(ins);
        sqlite3_finalize(lat);
        sqlite3_finalize(sts);
        sqlite3_finalize(find);
        sqlite3_close(db);
        for (int p = 0; p < 2 * POLLS + 1; p++)
                free(bodies[p]);
        river_writer_free(w);
        store_close(st);
        char f[300];
        const char *names[] = {"bench.db", "bench.db-wal", "bench.db-shm"};
        for (int i = 0; i < 3; i++) {
                snprintf(f, sizeof(f), "%s/%s", dir, names[i]);
                unlink(f);
        }
        rmdir(dir);
        return 0;
}
