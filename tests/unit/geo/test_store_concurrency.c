/* Two writer processes, 50,000 rows each (10,000 with SONAE_REDUCED) in
 * transactions of 100 rows whose commits interleave: every row present,
 * one coalesced event per station per commit, and a reader paging through
 * the events while they are written misses none (event ids commit in id
 * order).  Then a backup taken while a process writes is a consistent
 * snapshot (rows match the events that announce them), and restores to
 * identical counts and checksums.  Runs on both backends
 * (geo-store-concurrency-spatialite, -postgis); on PostGIS the backup is a
 * pg_dump archive, so its snapshot is checked in the database it restores
 * to. */
#include "check.h"
#include "storetest.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define BATCH 100

static int reduced(void)
{
        const char *r = getenv("SONAE_REDUCED");
        return r && r[0] && strcmp(r, "0") != 0;
}

/* A writer: `batches` transactions of BATCH rows for one station, from
 * time t0 on; waits on `go` so both writers start together; stops early
 * when the stop file appears (stop may be NULL). */
static int ready_fd = -1;

static int writer(const char *path, int64_t station, int64_t t0, int batches, int go,
                  const char *stop)
{
        char c;
        struct store *st = NULL;
        char dsn[300];
        struct store_options o = storetest_options(path, dsn, sizeof(dsn));
        if (store_open(&o, &st) < 0)
                return 4;
        /* Opened (which takes a while under sanitizers): say so, and start
         * only when every writer has. */
        if (write(ready_fd, "r", 1) != 1 || read(go, &c, 1) != 1) {
                store_close(st);
                return 3;
        }
        struct store_obs v[BATCH];
        for (int b = 0; b < batches; b++) {
                if (stop && access(stop, F_OK) == 0)
                        break;
                for (int i = 0; i < BATCH; i++)
                        v[i] = (struct store_obs){station, "water_level_m",
                                                  t0 + (int64_t)(b * BATCH + i) * 60,
                                                  1.0 + 0.001 * (b % 100), 0};
                struct store_obs_result res;
                int rc = store_observations_add(st, v, BATCH, &res);
                if (rc < 0 || res.inserted != BATCH) {
                        fprintf(stderr, "writer %lld: batch %d: %s\n", (long long)station, b,
                                store_strerror(rc));
                        store_close(st);
                        return 5;
                }
                /* Daemons do not commit back to back: a pause lets the
                 * other writer, sleeping in SQLite's busy handler, in. */
                usleep(2000);
        }
        store_close(st);
        return 0;
}

static pid_t spawn(const char *path, int64_t station, int64_t t0, int batches, int go,
                   const char *stop)
{
        fflush(NULL);
        pid_t p = fork();
        if (p == 0)
                _exit(writer(path, station, t0, batches, go, stop));
        return p;
}

static int wait_ok(pid_t p)
{
        int status = 0;
        if (waitpid(p, &status, 0) != p)
                return 0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Waits until n writers have opened the store. */
static void wait_ready(int fd, int n)
{
        char c;
        for (int i = 0; i < n; i++)
                CHECK_INT(read(fd, &c, 1), 1);
}

static void two_writers(const char *path)
{
        int batches = reduced() ? 100 : 500;
        struct store *st = storetest_open(path);
        struct store_station a = storetest_gauge("writer-a", "書き手A");
        struct store_station b = storetest_gauge("writer-b", "書き手B");
        int64_t ia = 0, ib = 0;
        CHECK_INT(store_station_upsert(st, &a, &ia), 0);
        CHECK_INT(store_station_upsert(st, &b, &ib), 0);
        store_close(st);

        int go[2], ready[2];
        CHECK_INT(pipe(go), 0);
        CHECK_INT(pipe(ready), 0);
        ready_fd = ready[1];
        pid_t pa = spawn(path, ia, 1700000000, batches, go[0], NULL);
        pid_t pb = spawn(path, ib, 1700000000, batches, go[0], NULL);
        wait_ready(ready[0], 2);
        CHECK_INT(write(go[1], "ab", 2), 2);
        /* A reader pages through the events as they are committed, like
         * the portal's live feed: after the writers it must have seen
         * every event, each once, in id order. */
        st = storetest_open(path);
        int64_t last = 0;
        long long seen = 0, disorder = 0;
        int alive = 2, status;
        for (;;) {
                struct store_event_list el;
                CHECK_INT(store_events_after(st, last, 500, false, &el), 0);
                for (size_t i = 0; i < el.n; i++) {
                        disorder += el.v[i].id <= last;
                        last = el.v[i].id;
                        seen++;
                }
                size_t got = el.n;
                store_event_list_free(&el);
                if (got)
                        continue;
                if (alive == 0)
                        break;
                while (alive > 0 && waitpid(-1, &status, WNOHANG) > 0) {
                        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                        alive--;
                }
                usleep(1000);
        }
        store_close(st);
        close(go[0]);
        close(go[1]);
        close(ready[0]);
        close(ready[1]);

        CHECK_INT(disorder, 0);
        CHECK_INT(seen, storetest_sql_int(path, "SELECT count(*) FROM events"));
        (void)pa;
        (void)pb;
        long long want = (long long)batches * BATCH * 2;
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM observations"), want);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events WHERE type = "
                                          "'station.observations'"),
                  batches * 2);
        CHECK_INT(storetest_sql_int(
                      path, "SELECT sum(CAST(json_extract(data, '$.count') AS INTEGER)) FROM "
                            "events "
                            "WHERE type = 'station.observations'"),
                  want);
        /* The commits interleaved: each writer committed while the other
         * was between its first and last commit, and the station of
         * consecutive events switched more than once (how often depends
         * on scheduling: dozens of times here, a few under sanitizers). */
        char sql[440];
        snprintf(sql, sizeof(sql),
                 "SELECT CAST((SELECT min(id) FROM events WHERE type = 'station.observations' AND "
                 "subject = 'stations/%lld') < (SELECT max(id) FROM events WHERE type = "
                 "'station.observations' AND subject = 'stations/%lld') AND (SELECT min(id) FROM "
                 "events WHERE type = 'station.observations' AND subject = 'stations/%lld') < "
                 "(SELECT max(id) FROM events WHERE type = 'station.observations' AND subject = "
                 "'stations/%lld') AS INTEGER)",
                 (long long)ia, (long long)ib, (long long)ib, (long long)ia);
        CHECK_INT(storetest_sql_int(path, sql), 1);
        long long switches =
            storetest_sql_int(path, "SELECT count(*) FROM (SELECT subject, lag(subject) OVER "
                                    "(ORDER BY id) AS prev FROM events WHERE type = "
                                    "'station.observations') AS e WHERE prev IS NOT NULL AND "
                                    "prev <> subject");
        printf("two writers: %lld rows, %lld switches between writers\n", want, switches);
        CHECK(switches >= 2);
}

static void backup_during_writes(const char *path, const char *bpath, const char *rpath,
                                 const char *stop)
{
        struct store *st = storetest_open(path);
        struct store_station c = storetest_gauge("writer-c", "書き手C");
        int64_t ic = 0;
        CHECK_INT(store_station_upsert(st, &c, &ic), 0);
        long long before = storetest_sql_int(path, "SELECT count(*) FROM observations");

        int go[2], ready[2];
        CHECK_INT(pipe(go), 0);
        CHECK_INT(pipe(ready), 0);
        ready_fd = ready[1];
        pid_t pc = spawn(path, ic, 1800000000, 100000, go[0], stop);
        wait_ready(ready[0], 1);
        CHECK_INT(write(go[1], "c", 1), 1);
        /* Let the writer get going, then back up while it writes. */
        for (int i = 0; i < 200; i++) {
                if (storetest_sql_int(path, "SELECT count(*) FROM observations") > before + 2000)
                        break;
                usleep(20000);
        }
        CHECK_INT(store_backup(st, bpath), 0);
        long long mid = storetest_sql_int(path, "SELECT count(*) FROM observations");
        usleep(100000);
        FILE *f = fopen(stop, "w");
        if (f)
                fclose(f);
        CHECK(wait_ok(pc));
        close(go[0]);
        close(go[1]);
        close(ready[0]);
        close(ready[1]);
        long long after = storetest_sql_int(path, "SELECT count(*) FROM observations");
        /* Restore to a new store; a second restore onto it is refused. */
        char dsn[300];
        struct store_options o = storetest_options(rpath, dsn, sizeof(dsn));
        CHECK_INT(store_restore(&o, bpath, false), 0);
        CHECK_INT(store_restore(&o, bpath, false), -EEXIST);
        /* What the backup holds: the file itself, or on PostGIS the
         * database it was restored to. */
        const char *snap = storetest_pg() ? rpath : bpath;
        long long in_backup = storetest_sql_int(snap, "SELECT count(*) FROM observations");
        printf("backup during writes: %lld rows before, %lld in the backup, %lld after\n", before,
               in_backup, after);
        CHECK(in_backup > before + 1000);
        CHECK(in_backup <= mid);
        CHECK(after > in_backup); /* the writer went on after the backup */
        /* A snapshot: every row is announced by an event and every event's
         * rows are there, for whole transactions only. */
        CHECK_INT(storetest_sql_int(
                      snap, "SELECT sum(CAST(json_extract(data, '$.count') AS INTEGER)) FROM "
                            "events "
                            "WHERE type = 'station.observations'"),
                  in_backup);
        CHECK_INT(in_backup % BATCH, 0);

        /* The restored file: identical counts and checksums. */
        static const char *const sums[] = {
            "SELECT count(*) FROM observations",
            "SELECT sum(observed_at % 1000003 * station_id) FROM observations",
            "SELECT CAST(total(value) * 1000 AS INTEGER) FROM observations",
            "SELECT count(*) FROM events",
            "SELECT sum(id * length(data)) FROM events",
            "SELECT count(*) FROM stations",
            "SELECT CAST(total(value) * 1000 AS INTEGER) FROM station_status",
        };
        for (size_t i = 0; !storetest_pg() && i < sizeof(sums) / sizeof(sums[0]); i++) {
                long long x = storetest_sql_int(bpath, sums[i]);
                long long y = storetest_sql_int(rpath, sums[i]);
                if (x != y)
                        fprintf(stderr, "%s: backup %lld, restored %lld\n", sums[i], x, y);
                CHECK(x == y && x >= 0);
        }
        struct store *rs = storetest_open(rpath);
        char why[200];
        CHECK_INT(store_check(rs, why, sizeof(why)), 0);
        store_close(rs);
        store_close(st);
}

int main(void)
{
        char path[256], bpath[256], rpath[256], stop[256];
        storetest_path("writers.db", path, sizeof(path));
        storetest_path("backup.db", bpath, sizeof(bpath));
        storetest_path("restored.db", rpath, sizeof(rpath));
        storetest_path("stop", stop, sizeof(stop));
        two_writers(path);
        backup_during_writes(path, bpath, rpath, stop);
        storetest_cleanup();
        return check_done("geo-store-concurrency");
}
