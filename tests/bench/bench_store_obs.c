/* Observation inserts through the store API against raw prepared inserts
 * into the same table, with the same indexes, pragmas and batching, in the
 * same run.
 *
 * Two files made by store_open (so the schema is the same); the baseline
 * connection gets the store's pragmas (WAL, synchronous=NORMAL, foreign
 * keys).  Both write the same rows in transactions of 100:
 *   sensor  100 readings of one station per transaction (an ingest message)
 *   poll    one reading each of 100 stations per transaction (a collector)
 * The store also keeps latest values, levels, states, rates of rise and
 * writes the coalesced events; the baseline writes the rows only.
 *
 *   build/tests/bench/bench-store-obs [rows [sensor|poll]]   (default 100000)
 */
#include "bench_backend.h"
#include "store.h"
#include "timeutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH    100
#define STATIONS 1000

/* Process CPU time (user and system): with synchronous=NORMAL in WAL mode
 * commits do not wait for the disk, and CPU time is far less disturbed by
 * other processes on the machine than wall time. */
static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Row i of a scenario: station and time. */
static void row(int poll, long i, int64_t *station, int64_t *t)
{
        if (poll) {
                *station = 1 + (i % STATIONS);
                *t = 1700000000 + (i / STATIONS) * 600;
        } else {
                long batch = i / BATCH;
                *station = 1 + (batch % STATIONS);
                *t = 1700000000 + ((batch / STATIONS) * BATCH + i % BATCH) * 60;
        }
}

static int make_store(const char *path, struct store **out)
{
        struct store_options o = {0};
        o.path = path;
        int rc = store_open(&o, out);
        if (rc < 0)
                return rc;
        rc = store_begin(*out);
        for (int i = 0; i < STATIONS && rc == 0; i++) {
                char ext[16];
                snprintf(ext, sizeof(ext), "b%04d", i);
                struct store_station s;
                bench_gauge(&s, "bench", ext, 139.8 + 0.0001 * i, 38.7);
                rc = store_station_upsert(*out, &s, NULL);
        }
        return rc == 0 ? store_commit(*out) : rc;
}

static double via_store(const char *path, int poll, long rows)
{
        struct store *st = NULL;
        if (make_store(path, &st) < 0)
                return -1;
        struct store_obs v[BATCH];
        double t0 = now_s();
        for (long i = 0; i < rows; i += BATCH) {
                for (int k = 0; k < BATCH; k++) {
                        row(poll, i + k, &v[k].station_id, &v[k].observed_at);
                        v[k].quantity = "water_level_m";
                        v[k].value = 1.0 + 0.01 * (double)((i + k) % 300);
                        v[k].quality = 0;
                }
                if (store_observations_add(st, v, BATCH, NULL) < 0) {
                        store_close(st);
                        return -1;
                }
        }
        double dt = now_s() - t0;
        store_close(st);
        return (double)rows / dt;
}

static double raw(const char *path, int poll, long rows)
{
        struct store *st = NULL;
        if (make_store(path, &st) < 0)
                return -1;
        store_close(st);
        sqlite3 *db = NULL;
        sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
        if (sqlite3_open(path, &db) != SQLITE_OK ||
            sqlite3_exec(db,
                         "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                         "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
                         "PRAGMA busy_timeout = 10000",
                         NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db,
                               "INSERT OR IGNORE INTO observations (station_id, quantity, "
                               "observed_at, value, quality) VALUES (?, ?, ?, ?, ?)",
                               -1, &ins, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK) {
                fprintf(stderr, "raw: %s\n", sqlite3_errmsg(db));
                sqlite3_close(db);
                return -1;
        }
        double t0 = now_s();
        for (long i = 0; i < rows; i += BATCH) {
                sqlite3_step(begin);
                sqlite3_reset(begin);
                for (int k = 0; k < BATCH; k++) {
                        int64_t station, t;
                        row(poll, i + k, &station, &t);
                        sqlite3_bind_int64(ins, 1, station);
                        sqlite3_bind_text(ins, 2, "water_level_m", -1, SQLITE_STATIC);
                        sqlite3_bind_int64(ins, 3, t);
                        sqlite3_bind_double(ins, 4, 1.0 + 0.01 * (double)((i + k) % 300));
                        sqlite3_bind_int(ins, 5, 0);
                        sqlite3_step(ins);
                        sqlite3_reset(ins);
                }
                if (sqlite3_step(commit) != SQLITE_DONE) {
                        fprintf(stderr, "raw: %s\n", sqlite3_errmsg(db));
                        break;
                }
                sqlite3_reset(commit);
        }
        double dt = now_s() - t0;
        sqlite3_finalize(ins);
        sqlite3_finalize(begin);
        sqlite3_finalize(commit);
        sqlite3_close(db);
        return (double)rows / dt;
}

int main(int argc, char **argv)
{
        long rows = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
        if (rows < BATCH * 10)
                rows = BATCH * 10;
        rows -= rows % BATCH;
        char dir[] = "/tmp/sonae-bench-XXXXXX";
        if (!mkdtemp(dir))
                return 2;
        static const char *const names[2] = {"sensor", "poll"};
        int ret = 0;
        const char *only = argc > 2 ? argv[2] : NULL;
        for (int poll = 0; poll < 2; poll++) {
                if (only && strcmp(only, names[poll]) != 0)
                        continue;
                char a[64], b[64];
                snprintf(a, sizeof(a), "%s/store-%d.db", dir, poll);
                snprintf(b, sizeof(b), "%s/raw-%d.db", dir, poll);
                /* Three alternating rounds, the best of each: other
                 * processes on the machine disturb single runs. */
                double r = 0, s = 0;
                for (int round = 0; round < 3; round++) {
                        unlink(a);
                        unlink(b);
                        double x = raw(b, poll, rows), y = via_store(a, poll, rows);
                        if (x <= 0 || y <= 0) {
                                r = s = -1;
                                break;
                        }
                        r = x > r ? x : r;
                        s = y > s ? y : s;
                        char wal[80];
                        snprintf(wal, sizeof(wal), "%s-wal", a);
                        unlink(wal);
                        snprintf(wal, sizeof(wal), "%s-wal", b);
                        unlink(wal);
                }
                if (r <= 0 || s <= 0) {
                        fprintf(stderr, "bench-store-obs: %s failed\n", names[poll]);
                        ret = 1;
                        continue;
                }
                printf(
                    "%-6s %ld rows: store API %.0f rows/CPU-s, raw inserts %.0f rows/CPU-s, ratio "
                    "%.2f (aim >= 0.70)\n",
                    names[poll], rows, s, r, s / r);
        }
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                ret = 1;
        return ret;
}
