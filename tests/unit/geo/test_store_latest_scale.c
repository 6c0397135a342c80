/* "Latest for every station" is one indexed read: at 10,000 stations
 * (2,000 with SONAE_REDUCED, and on PostgreSQL), once with 100 and once with 1,000
 * observations per station, the query plan never touches the observations
 * and the statement's work stays within 10% between the two: SQLite's VM
 * steps, or on PostgreSQL the buffers (blocks) EXPLAIN ANALYZE counts.
 * Registered as geo-latest-scale-spatialite and -postgis. */
#include "check.h"
#include "postgis/pg.h"
#include "spatialite/sl.h"
#include "storetest.h"
#include "timeutil.h"

#include <errno.h>
#include <time.h>

static int64_t fake_now_s;

static int64_t fake_now(void)
{
        return fake_now_s * 1000;
}

/* On PostgreSQL always 2,000: its bulk load of 11 million rows takes
 * minutes on a shared machine, and what is checked (the work of the read
 * does not grow with the history) does not depend on the count of
 * stations, which the SpatiaLite run takes to 10,000. */
static size_t n_stations(void)
{
        const char *r = getenv("SONAE_REDUCED");
        return storetest_pg() || (r && r[0] && strcmp(r, "0") != 0) ? 2000 : 10000;
}

/* Bulk history straight into the table with SQL (the store's insert path
 * has its own tests and benchmark); in key order, journal off, so 10
 * million rows take seconds. */
static int fill(const char *path, int per_station)
{
        sqlite3 *db = NULL;
        char sql[512];
        if (storetest_pg()) {
                /* One statement in key order; ANALYZE so the planner sees
                 * the history it must not read. */
                snprintf(sql, sizeof(sql),
                         "INSERT INTO observations (station_id, quantity, observed_at, value, "
                         "quality) SELECT s.id, 'water_level_m', 1700000000 + k * 600, 1.0 + (k "
                         "%% 50) * 0.01, 0 FROM stations s, generate_series(0, %d) k ORDER BY "
                         "s.id, k",
                         per_station - 1);
                return storetest_pg_exec(path, sql) && storetest_pg_exec(path, "ANALYZE") ? 0
                                                                                          : -EIO;
        }
        int rc = sqlite3_open(path, &db);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(db,
                                  "PRAGMA journal_mode = DELETE; PRAGMA journal_mode = OFF; "
                                  "PRAGMA synchronous = OFF; PRAGMA cache_size = -131072",
                                  NULL, NULL, NULL);
        snprintf(sql, sizeof(sql),
                 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < %d) "
                 "INSERT INTO observations (station_id, quantity, observed_at, value, quality) "
                 "SELECT s.id, 'water_level_m', 1700000000 + k.i * 600, 1.0 + (k.i %% 50) * 0.01, "
                 "0 FROM stations s, k ORDER BY s.id, k.i",
                 per_station - 1);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                fprintf(stderr, "fill: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc == SQLITE_OK ? 0 : -EIO;
}

static int64_t run(const char *name, int per_station, char *plan, size_t plan_len)
{
        char path[256];
        storetest_path(name, path, sizeof(path));
        size_t n = n_stations();
        struct store *st = storetest_open(path);
        CHECK_INT(store_begin(st), 0);
        for (size_t i = 0; i < n; i++) {
                char ext[32];
                snprintf(ext, sizeof(ext), "g%05zu", i);
                struct store_station s = storetest_gauge(ext, "規模試験");
                s.lon = 139.5 + (double)(i % 100) * 0.01;
                s.lat = 38.5 + (double)(i / 100) * 0.005;
                if (store_station_upsert(st, &s, NULL) != 0) {
                        CHECK(!"station upsert");
                        break;
                }
        }
        CHECK_INT(store_commit(st), 0);
        store_close(st);
        CHECK_INT(fill(path, per_station), 0);

        /* One newer value per station through the store sets the latest
         * state of every station. */
        st = storetest_open(path);
        struct store_obs *o = calloc(n, sizeof(*o));
        int64_t t = 1700000000 + (int64_t)per_station * 600;
        fake_now_s = t + 60;
        time_set_override(fake_now);
        for (size_t i = 0; i < n; i++)
                o[i] = (struct store_obs){(int64_t)i + 1, "water_level_m", t, 2.5, 0};
        CHECK_INT(store_observations_add(st, o, n, NULL), 0);
        free(o);
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM observations");
        CHECK_INT(storetest_sql_int(path, sql), (long long)n * (per_station + 1));

        struct store_latest_list ll;
        int64_t steps = 0;
        struct timespec a, b;
        /* The first read prepares the statement; the second is measured. */
        CHECK_INT(store_latest_all(st, t + 60, &ll), 0);
        store_latest_list_free(&ll);
        if (!storetest_pg())
                CHECK_INT(sl_latest_stats(st, plan, plan_len, &steps), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        CHECK_INT(store_latest_all(st, t + 60, &ll), 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        CHECK_INT(ll.n, n);
        size_t l2 = 0;
        for (size_t i = 0; i < ll.n; i++)
                l2 += ll.v[i].level == 2 && ll.v[i].state == STATE_OK;
        CHECK_INT(l2, n); /* 2.5 m is above 氾濫注意 2.0 m everywhere */
        store_latest_list_free(&ll);
        CHECK_INT(storetest_pg() ? pg_latest_stats(st, plan, plan_len, &steps)
                                 : sl_latest_stats(st, plan, plan_len, &steps),
                  0);
        printf("%zu stations x %d observations: %lld %s, %.1f ms\n%s", n, per_station,
               (long long)steps, storetest_pg() ? "buffers" : "VM steps",
               (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, plan);
        store_close(st);
        unlink(path);
        return steps;
}

int main(void)
{
        char plan1[2048], plan2[2048];
        int64_t s1 = run("latest100.db", 100, plan1, sizeof(plan1));
        int64_t s2 = run("latest1000.db", 1000, plan2, sizeof(plan2));
        CHECK(s1 > 0);
        CHECK(strstr(plan1, "observations") == NULL);
        CHECK(strstr(plan2, "observations") == NULL);
        if (storetest_pg()) {
                /* The status table is read once beside the stations (a
                 * join on its key), never through the history. */
                CHECK(strstr(plan2, "station_status") != NULL);
        } else {
                /* The status table is reached by its primary key, not
                 * scanned. */
                CHECK(strstr(plan2, "SEARCH t USING INTEGER PRIMARY KEY") != NULL);
                CHECK(strstr(plan2, "SCAN t") == NULL);
        }
        double ratio = s1 ? (double)s2 / (double)s1 : 0;
        printf("%s 1000/100: %.3f\n", storetest_pg() ? "buffers" : "VM steps", ratio);
        CHECK(ratio > 0.9 && ratio < 1.1);
        storetest_cleanup();
        return check_done("geo-latest-scale");
}
