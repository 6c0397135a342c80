/* The national figure: 20,000 river gauges reporting every 10 minutes
 * (about what 国土交通省's and the prefectures' gauges are nationally), as
 * observation batches through the store API, on the backend of
 * bench_backend.h.  Per 10-minute round every gauge sends one water level;
 * the round is written in transactions of BATCH gauges (one collector
 * document each), each with its latest state, level, rate of rise and
 * coalesced events, and ends with store_stations_refresh_state() as the
 * collector's tick does.  Prints the seconds each round took (wall clock:
 * on PostGIS most of the work is in the server's processes) and the
 * headroom, 600 s divided by the mean of the rounds after the first (the
 * first also creates every station's status rows).
 * tests/bench/bench_backends.py runs it on both backends in one run and
 * prints the PostGIS/SpatiaLite ratio.
 *
 *   build/tests/bench/bench-national [gauges [rounds [batch]]]
 *   (default 20000 4 1000; SONAE_REDUCED: 2000 gauges)
 */
#include "bench_backend.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double wall_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int make_gauges(struct store *st, long n, int64_t *ids)
{
        int rc = 0;
        for (long i = 0; i < n && rc == 0; i += 1000) {
                rc = store_begin(st);
                for (long k = i; k < n && k < i + 1000 && rc == 0; k++) {
                        char ext[24];
                        snprintf(ext, sizeof(ext), "n%06ld", k);
                        struct store_station s;
                        bench_gauge(&s, "national", ext, 129.0 + 16.0 * (double)(k % 1000) / 1000.0,
                                    31.0 + 14.0 * (double)(k / 1000) / (double)(n / 1000 + 1));
                        s.quantity = "water_level_m";
                        s.thr.standby = 1.5;
                        s.thr.evacuation = 2.5;
                        s.thr.danger = 3.0;
                        s.thr.flood = 3.5;
                        rc = store_station_upsert(st, &s, &ids[k]);
                }
                rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
        }
        return rc;
}

int main(int argc, char **argv)
{
        long n = getenv("SONAE_REDUCED") ? 2000 : 20000;
        int rounds = 4;
        long batch = 1000;
        if (argc > 1)
                n = strtol(argv[1], NULL, 10);
        if (argc > 2)
                rounds = (int)strtol(argv[2], NULL, 10);
        if (argc > 3)
                batch = strtol(argv[3], NULL, 10);
        if (n < 1 || rounds < 2 || batch < 1) {
                fprintf(stderr, "usage: bench-national [gauges [rounds >= 2 [batch]]]\n");
                return 2;
        }
        char path[256];
        snprintf(path, sizeof(path), "/tmp/sonae-bench-national-%d.db", (int)getpid());
        unlink(path);
        struct store_options o;
        const char *backend = bench_store_options(&o, path);
        if (!backend)
                return 2;
        struct store *st = NULL;
        int rc = store_open(&o, &st);
        if (rc < 0) {
                fprintf(stderr, "bench-national: cannot open the %s store: %s\n", backend,
                        store_strerror(rc));
                return 1;
        }
        int64_t *ids = calloc((size_t)n, sizeof(*ids));
        struct store_obs *obs = calloc((size_t)batch, sizeof(*obs));
        if (!ids || !obs)
                return 1;
        double t = wall_s();
        rc = make_gauges(st, n, ids);
        if (rc < 0) {
                fprintf(stderr, "bench-national: stations: %s\n", store_strerror(rc));
                return 1;
        }
        printf("bench-national (%s): %ld gauges made in %.1f s; %d rounds of one water level "
               "each, %ld per transaction\n",
               backend, n, wall_s() - t, rounds, batch);
        /* Times just behind the clock, so that nothing is flagged as from
         * the future and the refresh sees every station fresh. */
        int64_t t0 = (int64_t)time(NULL) - (int64_t)rounds * 600;
        double sum = 0;
        for (int r = 0; r < rounds && rc == 0; r++) {
                double w = wall_s(), c = cpu_s();
                size_t changed = 0;
                for (long i = 0; i < n && rc == 0; i += batch) {
                        size_t m = 0;
                        for (long k = i; k < n && k < i + batch; k++) {
                                /* Levels wander over the thresholds, so some
                                 * stations change level and write events. */
                                double v = 1.0 + 0.1 * (double)((k * 7 + r * 3) % 30);
                                obs[m++] = (struct store_obs){ids[k], "water_level_m",
                                                              t0 + (int64_t)r * 600, v, 0};
                        }
                        rc = store_begin(st);
                        if (rc == 0)
                                rc = store_observations_add(st, obs, m, NULL);
                        rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
                }
                if (rc == 0)
                        rc = store_stations_refresh_state(st, t0 + (int64_t)r * 600 + 60, &changed);
                double dw = wall_s() - w, dc = cpu_s() - c;
                printf("  round %d: %6.2f s wall, %6.2f s CPU of this process%s\n", r + 1, dw, dc,
                       r == 0 ? " (first: status rows created)" : "");
                if (r > 0)
                        sum += dw;
        }
        if (rc < 0) {
                fprintf(stderr, "bench-national: %s\n", store_strerror(rc));
                return 1;
        }
        double mean = sum / (rounds - 1);
        printf("  per 10-minute round: %.2f s; headroom %.0fx (600 s / %.2f s)\n", mean,
               600.0 / mean, mean);
        printf("RESULT national %s %.4f\n", backend, mean);
        store_close(st);
        free(ids);
        free(obs);
        if (!bench_on_postgis()) {
                char aux[300];
                unlink(path);
                snprintf(aux, sizeof(aux), "%s-wal", path);
                unlink(aux);
                snprintf(aux, sizeof(aux), "%s-shm", path);
                unlink(aux);
        }
        return 0;
}
