/* Two writer processes, 50,000 rows each (10,000 with SONAE_REDUCED) in
 * transactions of 100 rows whose commits interleave: every row present,
 * one coalesced event per station per commit, and a reader paging through
 * the events while they are written misses none (event ids commit in id
 * order).  Then a backup taken while a process writes is a consistent
 * snapshot (rows match the events that announce them), and restores to
 * identical counts and checksums.  Runs on both backends
 * (geo-store-concurrency-spatialite, -postgis); on PostGIS the backup is a
 * pg_dump archive, so its snapshot is checked in the database it restores
 * to.  Last, two refreshes of the stations' stale and offline states
 * (each sonae-ingestd instance and sonae-collectd runs one) start at the
 * same moment, many times: each real change writes exactly one
 * station.state event, whichever refresh makes it. */
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

/* A refresher: opens the store, says so on ready_fd, then for each `now`
 * read from `go` refreshes the states at that time and answers the number
 * it changed (-1 on error) on `out`; stops at end of file. */
static int refresher(const char *path, int go, int out)
{
        struct store *st = NULL;
        char dsn[300];
        struct store_options o = storetest_options(path, dsn, sizeof(dsn));
        if (store_open(&o, &st) < 0)
                return 4;
        if (write(ready_fd, "r", 1) != 1) {
                store_close(st);
                return 3;
        }
        int64_t now;
        while (read(go, &now, sizeof(now)) == (ssize_t)sizeof(now)) {
                size_t changed = 0;
                int rc = store_stations_refresh_state(st, now, &changed);
                if (rc < 0)
                        fprintf(stderr, "refresh at %lld: %s\n", (long long)now,
                                store_strerror(rc));
                long long answer = rc < 0 ? -1 : (long long)changed;
                if (write(out, &answer, sizeof(answer)) != (ssize_t)sizeof(answer))
                        break;
        }
        store_close(st);
        return 0;
}

#define REFRESH_STATIONS 12

/* The station.state events after event id `after`: all, and how many
 * stations they are about. */
static void state_events_after(const char *path, long long after, long long *all,
                               long long *subjects)
{
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM events WHERE type = 'station.state' AND id > %lld", after);
        *all = storetest_sql_int(path, sql);
        snprintf(sql, sizeof(sql),
                 "SELECT count(DISTINCT subject) FROM events WHERE type = 'station.state' AND "
                 "id > %lld",
                 after);
        *subjects = storetest_sql_int(path, sql);
}

/* Both refreshers at `now` at once (each has its own pipe, so neither
 * takes the other's turn): their changes add up to `want`, and the
 * events they wrote are `want`, one per station. */
static void refresh_both(const char *path, const int go[2], const int back[2], int64_t now,
                         long long want, long long *dup)
{
        long long before = storetest_sql_int(path, "SELECT coalesce(max(id), 0) FROM events");
        for (int k = 0; k < 2; k++)
                CHECK_INT(write(go[k], &now, sizeof(now)), sizeof(now));
        long long sum = 0;
        for (int k = 0; k < 2; k++) {
                long long changed = -1;
                CHECK_INT(read(back[k], &changed, sizeof(changed)), sizeof(changed));
                CHECK(changed >= 0);
                sum += changed;
        }
        long long all = 0, subjects = 0;
        state_events_after(path, before, &all, &subjects);
        CHECK_INT(sum, want);
        CHECK_INT(subjects, want);
        *dup += all - subjects;
}

static void two_refreshes(const char *path)
{
        int rounds = reduced() ? 15 : 40;
        struct store *st = storetest_open(path);
        int64_t id[REFRESH_STATIONS];
        /* Gauges go stale, sensors offline. */
        for (int i = 0; i < REFRESH_STATIONS; i++) {
                char ext[32];
                snprintf(ext, sizeof(ext), "refresh-%d", i);
                struct store_station s = storetest_gauge(ext, "更新");
                if (i % 2)
                        s.kind = "sensor";
                CHECK_INT(store_station_upsert(st, &s, &id[i]), 0);
        }
        int go[2][2], back[2][2], ready[2];
        CHECK_INT(pipe(ready), 0);
        ready_fd = ready[1];
        pid_t p[2];
        for (int k = 0; k < 2; k++) {
                CHECK_INT(pipe(go[k]), 0);
                CHECK_INT(pipe(back[k]), 0);
        }
        for (int k = 0; k < 2; k++) {
                fflush(NULL);
                p[k] = fork();
                if (p[k] == 0) {
                        /* Only its own ends: the end of file on go must
                         * reach it when the parent closes its end. */
                        for (int j = 0; j < 2; j++) {
                                close(go[j][1]);
                                close(back[j][0]);
                                if (j != k) {
                                        close(go[j][0]);
                                        close(back[j][1]);
                                }
                        }
                        _exit(refresher(path, go[k][0], back[k][1]));
                }
        }
        for (int k = 0; k < 2; k++) {
                close(go[k][0]);
                close(back[k][1]);
        }
        wait_ready(ready[0], 2);
        int gw[2] = {go[0][1], go[1][1]}, br[2] = {back[0][0], back[1][0]};
        /* Each round: a fresh observation for every station (state ok),
         * then both refreshers past the stale age of 600 s × 3.  Once in
         * a while a round finds nothing to change: the states are already
         * what the time makes them. */
        int64_t base = (int64_t)time(NULL) - 600;
        long long dup = 0;
        for (int r = 0; r < rounds; r++) {
                struct store_obs v[REFRESH_STATIONS];
                for (int i = 0; i < REFRESH_STATIONS; i++)
                        v[i] = (struct store_obs){id[i], "water_level_m", base + r, 1.5, 0};
                struct store_obs_result res;
                CHECK_INT(store_observations_add(st, v, REFRESH_STATIONS, &res), 0);
                CHECK_INT(res.inserted, REFRESH_STATIONS);
                refresh_both(path, gw, br, base + r + 1801, REFRESH_STATIONS, &dup);
                if (r % 5 == 4)
                        refresh_both(path, gw, br, base + r + 1802, 0, &dup);
        }
        /* No station.state event twice for one change, over all rounds. */
        CHECK_INT(dup, 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM station_status WHERE state IN "
                                          "('stale', 'offline')"),
                  REFRESH_STATIONS);
        for (int k = 0; k < 2; k++) {
                close(gw[k]);
                CHECK(wait_ok(p[k]));
                close(br[k]);
        }
        close(ready[0]);
        close(ready[1]);
        store_close(st);
}

int main(void)
{
        char path[256], bpath[256], rpath[256], stop[256], fpath[256];
        storetest_path("writers.db", path, sizeof(path));
        storetest_path("backup.db", bpath, sizeof(bpath));
        storetest_path("restored.db", rpath, sizeof(rpath));
        storetest_path("stop", stop, sizeof(stop));
        storetest_path("refresh.db", fpath, sizeof(fpath));
        two_writers(path);
        backup_during_writes(path, bpath, rpath, stop);
        two_refreshes(fpath);
        storetest_cleanup();
        return check_done("geo-store-concurrency");
}
