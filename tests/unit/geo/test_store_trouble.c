/* Store trouble: a full disk gives a distinct error (store_err_is_trouble),
 * loses nothing committed, and the same handle works again once space
 * returns; a checkpoint bounds the write-ahead log.  A writer killed in the
 * middle of a transaction leaves nothing of it and the store works on; a
 * store opened read-only refuses writes with a clear error and keeps its
 * rows; a store that is not there is an error, not a new empty store.
 *
 * The full disk is a 2 MiB tmpfs the test mounts (the test runs as root in
 * CI and here).  On SpatiaLite the store file lives there; on PostgreSQL
 * the observations table and its index are moved into a tablespace there
 * (the server runs as sonae-pg, so the folder is given to it), and
 * PostgreSQL's "could not extend file" (SQLSTATE 53100) is the full disk.
 * Where mounting is not permitted, the test says so and uses RLIMIT_FSIZE
 * instead on SpatiaLite: writes past the limit fail with EFBIG, which
 * SQLite reports as an I/O error, the other kind of store trouble; the
 * server of PostgreSQL is not this process, so there the I/O error comes
 * from the connection terminated under the handle, which PostgreSQL also
 * runs with a tmpfs: the server gone mid-transaction loses nothing
 * committed, and the same handle connects again. */
#include "check.h"
#include "geo.h"
#include "store_backend.h"
#include "storetest.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

static long long file_size(const char *p)
{
        struct stat s;
        return stat(p, &s) == 0 ? (long long)s.st_size : -1;
}

/* Fills the store until a write fails; returns that error and the rows
 * committed before it. */
static int fill_until_trouble(struct store *st, int64_t station, int64_t *t, long long *rows)
{
        struct store_obs v[100];
        for (int b = 0; b < 100000; b++) {
                for (int i = 0; i < 100; i++) {
                        v[i] = (struct store_obs){station, "water_level_m", *t, 1.0 + i * 0.001, 0};
                        (*t) += 60;
                }
                int rc = store_observations_add(st, v, 100, NULL);
                if (rc < 0) {
                        (*t) -= 100 * 60;
                        return rc;
                }
                *rows += 100;
        }
        return 0;
}

/* Runs sql on the database of path as the cluster's superuser. */
static bool pg_exec(const char *path, const char *sql)
{
        return storetest_pg_exec(path, sql);
}

/* Runs sql on the database postgres (one no test makes read-only). */
static bool pg_exec_admin(const char *sql)
{
        char dsn[300];
        PGconn *c = PQconnectdb(storetest_pg_dsn_db("postgres", dsn, sizeof(dsn)));
        PGresult *r = PQexec(c, sql);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
                fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return ok;
}

/* The observations of a PostgreSQL store move into a tablespace in dir/ts,
 * which the server's user owns; true when they did. */
static bool pg_observations_into(const char *path, const char *dir)
{
        char ts[300], sql[400];
        struct passwd *pw = getpwnam("sonae-pg");
        snprintf(ts, sizeof(ts), "%s/ts", dir);
        /* The server reaches the folder through the test's private one. */
        if (!pw || chmod(storetest_dir, 0711) != 0 || chmod(dir, 0711) != 0 ||
            mkdir(ts, 0700) != 0 || chown(ts, pw->pw_uid, pw->pw_gid) != 0)
                return false;
        snprintf(sql, sizeof(sql), "CREATE TABLESPACE sonae_full LOCATION '%s'", ts);
        return pg_exec(path, sql) &&
               pg_exec(path, "ALTER TABLE observations SET TABLESPACE sonae_full") &&
               pg_exec(path, "ALTER INDEX observations_pkey SET TABLESPACE sonae_full");
}

/* The scenario, in a child process: returns the number of failed checks
 * as the exit status.  make_room() gives space back. */
static int scenario(const char *dir, int use_rlimit)
{
        char path[300], ballast[300], wal[310];
        snprintf(path, sizeof(path), "%s/full.db", dir);
        snprintf(ballast, sizeof(ballast), "%s/ballast", dir);
        snprintf(wal, sizeof(wal), "%s-wal", path);
        struct store *st = storetest_open(path);
        struct store_station s = storetest_gauge("full-1", "満杯試験");
        int64_t id = 0, t = 1700000000;
        long long rows = 0;
        CHECK_INT(store_station_upsert(st, &s, &id), 0);
        CHECK_INT(store_checkpoint(st), 0);
        if (storetest_pg())
                CHECK(pg_observations_into(path, dir));
        if (use_rlimit) {
                signal(SIGXFSZ, SIG_IGN);
                struct rlimit rl;
                getrlimit(RLIMIT_FSIZE, &rl);
                rl.rlim_cur = (rlim_t)file_size(path) + 300 * 1024;
                CHECK_INT(setrlimit(RLIMIT_FSIZE, &rl), 0);
        } else {
                /* Leave the room the ballast will give back. */
                FILE *f = fopen(ballast, "w");
                static char zero[64 * 1024];
                for (int i = 0; f && i < 6; i++)
                        fwrite(zero, 1, sizeof(zero), f);
                if (f)
                        fclose(f);
        }
        int rc = fill_until_trouble(st, id, &t, &rows);
        printf("full after %lld rows: %s\n", rows, store_strerror(rc));
        CHECK(store_err_is_trouble(rc));
        CHECK_INT(rc, use_rlimit ? -EIO : -ENOSPC);
        CHECK(rows > 0);
        /* Nothing committed is lost; the failed batch left no row. */
        struct store_obs_list ol;
        CHECK_INT(store_observations_range(st, id, "water_level_m", 0, INT64_MAX, 0, &ol), 0);
        CHECK_INT((long long)ol.n, rows);
        store_obs_list_free(&ol);
        /* Still full: still the same distinct error, the daemon keeps
         * running and retries. */
        struct store_obs one = {id, "water_level_m", t, 2.0, 0};
        for (int i = 0; i < 3; i++) {
                rc = store_observations_add(st, &one, 1, NULL);
                if (rc == 0) {
                        rows++;
                        one.observed_at += 60;
                }
        }
        CHECK(rc == 0 || store_err_is_trouble(rc));

        /* Space returns: the same handle writes again. */
        if (use_rlimit) {
                struct rlimit rl;
                getrlimit(RLIMIT_FSIZE, &rl);
                rl.rlim_cur = rl.rlim_max;
                CHECK_INT(setrlimit(RLIMIT_FSIZE, &rl), 0);
        } else {
                CHECK_INT(unlink(ballast), 0);
        }
        CHECK_INT(store_checkpoint(st), 0);
        struct store_obs again[10];
        for (int i = 0; i < 10; i++)
                again[i] =
                    (struct store_obs){id, "water_level_m", one.observed_at + i * 60, 3.0, 0};
        CHECK_INT(store_observations_add(st, again, 10, NULL), 0);
        rows += 10;
        CHECK_INT(store_observations_range(st, id, "water_level_m", 0, INT64_MAX, 0, &ol), 0);
        CHECK_INT((long long)ol.n, rows);
        store_obs_list_free(&ol);
        struct store_latest_list ll;
        CHECK_INT(store_latest_get(st, id, one.observed_at + 600, &ll), 0);
        CHECK_NEAR(ll.n ? ll.v[0].value : 0, 3.0, 1e-9);
        store_latest_list_free(&ll);
        /* A truncating checkpoint bounds the log (PostgreSQL's server
         * manages its own, outside the full folder). */
        CHECK_INT(store_checkpoint(st), 0);
        if (!storetest_pg())
                CHECK_INT(file_size(wal), 0);
        char why[200];
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        store_close(st);
        /* The tablespace goes before the folder is unmounted. */
        if (storetest_pg())
                CHECK(pg_exec(path, "ALTER TABLE observations SET TABLESPACE pg_default; ALTER "
                                    "INDEX observations_pkey SET TABLESPACE pg_default") &&
                      pg_exec(path, "DROP TABLESPACE sonae_full"));
        return check_failures;
}

static long long count_obs(const char *path)
{
        return storetest_sql_int(path, "SELECT count(*) FROM observations");
}

/* A store with one gauge and n observations of it, closed; the gauge's id. */
static int64_t store_with_rows(const char *path, const char *ext, int n)
{
        struct store *st = storetest_open(path);
        struct store_station s = storetest_gauge(ext, "障害試験");
        int64_t id = 0;
        CHECK_INT(store_station_upsert(st, &s, &id), 0);
        for (int i = 0; i < n; i++) {
                struct store_obs o = {id, "water_level_m", 1700000000 + i * 600, 1.0 + i * 0.01, 0};
                CHECK_INT(store_observations_add(st, &o, 1, NULL), 0);
        }
        store_close(st);
        return id;
}

/* A writer killed in the middle of a transaction (a daemon's crash, the
 * power cut of its process): nothing of the transaction is stored, every
 * committed row is, and the store opens and takes writes again. */
static void check_killed_writer(void)
{
        char path[256];
        storetest_path("killed.db", path, sizeof(path));
        int64_t id = store_with_rows(path, "killed-1", 10);
        long long ev = storetest_sql_int(path, "SELECT count(*) FROM events");
        fflush(NULL);
        pid_t p = fork();
        if (p == 0) {
                struct store *st = storetest_open(path);
                struct store_obs v[100];
                for (int i = 0; i < 100; i++)
                        v[i] = (struct store_obs){id, "water_level_m", 1800000000 + i * 60, 9.9, 0};
                if (store_begin(st) == 0 && store_observations_add(st, v, 100, NULL) == 0)
                        kill(getpid(), SIGKILL); /* before the commit */
                _exit(3);
        }
        int status = 0;
        CHECK_INT(waitpid(p, &status, 0), p);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        CHECK_INT(count_obs(path), 10);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events"), ev);
        struct store *st = storetest_open(path);
        char why[200];
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        struct store_obs one = {id, "water_level_m", 1800000000, 2.0, 0};
        CHECK_INT(store_observations_add(st, &one, 1, NULL), 0);
        store_close(st);
        CHECK_INT(count_obs(path), 11);
}

/* PostgreSQL: the server ends the handle's connection in the middle of a
 * transaction (a restart, an administrator's pg_terminate_backend): the
 * commit fails as store trouble (-EIO), nothing of it is stored, and the
 * same handle connects again on its next call. */
static void check_connection_lost(void)
{
        char path[256];
        storetest_path("lost.db", path, sizeof(path));
        int64_t id = store_with_rows(path, "lost-1", 5);
        struct store *st = storetest_open(path);
        struct store_obs v[10];
        for (int i = 0; i < 10; i++)
                v[i] = (struct store_obs){id, "water_level_m", 1800000000 + i * 60, 3.0, 0};
        CHECK_INT(store_begin(st), 0);
        CHECK_INT(store_observations_add(st, v, 10, NULL), 0);
        CHECK(pg_exec(path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                            "datname = current_database() AND pid <> pg_backend_pid()"));
        int rc = store_commit(st);
        CHECK(store_err_is_trouble(rc));
        CHECK_INT(rc, -EIO);
        CHECK_INT(count_obs(path), 5);
        unsigned before = postgis_store_reconnects(st);
        CHECK_INT(store_observations_add(st, v, 10, NULL), 0);
        CHECK_INT(postgis_store_reconnects(st), before + 1);
        store_close(st);
        CHECK_INT(count_obs(path), 15);
}

/* PostgreSQL: the lookups' statements are prepared once per connection;
 * after the server ends the connection they are prepared again on the new
 * one, and the answer is the same.  The area's parts (0011) follow its
 * polygon: moved away, the point is no longer in the area. */
static void check_lookup_after_reset(void)
{
        char path[256];
        storetest_path("lookup.db", path, sizeof(path));
        struct store *st = storetest_open(path);
        struct store_area ar = {"0620300",
                                "鶴岡市",
                                "city",
                                NULL,
                                "062031",
                                "06203",
                                NULL,
                                0,
                                "POLYGON((139.8 38.7, 139.9 38.7, 139.9 38.8, 139.8 38.8, "
                                "139.8 38.7))"};
        CHECK_INT(store_area_upsert(st, &ar), 0);
        struct geo_hazard_answer a;
        for (int i = 0; i < 8; i++) { /* past the five custom plans of a prepared statement */
                CHECK_INT(geo_hazard_at(st, 139.85, 38.75, STORE_VIEW_REAL, &a), 0);
                CHECK_STR(a.area_code, "0620300");
                geo_hazard_answer_free(&a);
        }
        CHECK(pg_exec(path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                            "datname = current_database() AND pid <> pg_backend_pid()"));
        unsigned before = postgis_store_reconnects(st);
        /* The call that finds the connection gone fails as trouble; the
         * next one connects again. */
        int rc = geo_hazard_at(st, 139.85, 38.75, STORE_VIEW_REAL, &a);
        CHECK_INT(rc, -EIO);
        CHECK_INT(geo_hazard_at(st, 139.85, 38.75, STORE_VIEW_REAL, &a), 0);
        CHECK_STR(a.area_code, "0620300");
        CHECK_STR(a.lg_code, "062031");
        geo_hazard_answer_free(&a);
        CHECK_INT(postgis_store_reconnects(st), before + 1);
        /* On the polygon's edge: covered, boundary included. */
        CHECK_INT(geo_hazard_at(st, 139.9, 38.75, STORE_VIEW_REAL, &a), 0);
        CHECK_STR(a.area_code, "0620300");
        geo_hazard_answer_free(&a);
        ar.wkt = "POLYGON((140.0 38.7, 140.1 38.7, 140.1 38.8, 140.0 38.8, 140.0 38.7))";
        CHECK_INT(store_area_upsert(st, &ar), 0);
        CHECK_INT(geo_hazard_at(st, 139.85, 38.75, STORE_VIEW_REAL, &a), 0);
        CHECK(a.area_code == NULL);
        geo_hazard_answer_free(&a);
        CHECK_INT(geo_hazard_at(st, 140.05, 38.75, STORE_VIEW_REAL, &a), 0);
        CHECK_STR(a.area_code, "0620300");
        geo_hazard_answer_free(&a);
        store_close(st);
}

/* A store opened read-only (a portal's replica) refuses writes with
 * -EROFS, "read-only store", and keeps its rows; on PostgreSQL a database
 * an administrator made read-only answers the same to a writer. */
static void check_read_only(void)
{
        char path[256], dsn[300];
        storetest_path("ro.db", path, sizeof(path));
        int64_t id = store_with_rows(path, "ro-1", 5);
        struct store_options o = storetest_options(path, dsn, sizeof(dsn));
        o.read_only = true;
        struct store *st = NULL;
        CHECK_INT(store_open(&o, &st), 0);
        struct store_obs one = {id, "water_level_m", 1800000000, 2.0, 0};
        int rc = st ? store_observations_add(st, &one, 1, NULL) : -1;
        CHECK_INT(rc, -EROFS);
        CHECK_STR(store_strerror(rc), "read-only store");
        struct store_latest_list ll;
        CHECK_INT(st ? store_latest_get(st, id, 1700000000 + 4 * 600, &ll) : -1, 0);
        if (st)
                store_latest_list_free(&ll);
        store_close(st);
        CHECK_INT(count_obs(path), 5);
        if (storetest_pg()) {
                char db[80], sql[200];
                storetest_pg_db(path, db, sizeof(db));
                snprintf(sql, sizeof(sql),
                         "ALTER DATABASE %s SET default_transaction_read_only = on", db);
                CHECK(pg_exec_admin(sql));
                st = storetest_open(path);
                CHECK_INT(store_observations_add(st, &one, 1, NULL), -EROFS);
                store_close(st);
                snprintf(sql, sizeof(sql), "ALTER DATABASE %s RESET default_transaction_read_only",
                         db);
                CHECK(pg_exec_admin(sql));
                CHECK_INT(count_obs(path), 5);
        }
}

/* A store that is not there (a folder that does not exist; a database
 * never created) is an error on open, and nothing is created in its place. */
static void check_missing(void)
{
        char path[300], dsn[300];
        struct store_options o = {0};
        if (storetest_pg()) {
                o.backend = "postgis";
                o.dsn = storetest_pg_dsn("/x/nosuchdb", dsn, sizeof(dsn));
        } else {
                storetest_path("no/such/folder/x.db", path, sizeof(path));
                o.path = path;
        }
        struct store *st = NULL;
        int rc = store_open(&o, &st);
        CHECK_INT(rc, storetest_pg() ? -EIO : -ENOENT);
        CHECK(st == NULL);
        if (storetest_pg()) {
                PGconn *c = PQconnectdb(storetest_pg_dsn_db("postgres", dsn, sizeof(dsn)));
                PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 't_nosuchdb'");
                CHECK_INT(PQresultStatus(r), PGRES_TUPLES_OK);
                CHECK_INT(PQntuples(r), 0);
                PQclear(r);
                PQfinish(c);
        } else {
                CHECK_INT(access(path, F_OK), -1);
        }
}

int main(void)
{
        char dir[256];
        storetest_path("fs", dir, sizeof(dir));
        CHECK_INT(mkdir(dir, 0700), 0);
        int use_rlimit = 0;
        const char *nm = getenv("SONAE_TEST_NO_MOUNT");
        if ((nm && nm[0] == '1') ||
            mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=0700") != 0) {
                printf("no tmpfs (%s): using RLIMIT_FSIZE\n",
                       nm && nm[0] == '1' ? "SONAE_TEST_NO_MOUNT=1" : strerror(errno));
                use_rlimit = 1;
        }
        fflush(NULL);
        /* PostgreSQL's server is not this process: without a tmpfs it
         * cannot be made to run out of space here (the lost connection
         * below is its I/O error). */
        bool full_disk = !(storetest_pg() && use_rlimit);
        if (!full_disk)
                printf("no full disk on PostgreSQL without a tmpfs\n");
        pid_t p = full_disk ? fork() : -1;
        if (p == 0) {
                int failed = scenario(dir, use_rlimit);
                printf("full-disk scenario (%s): %d checks, %d failed\n",
                       use_rlimit ? "RLIMIT_FSIZE" : "2 MiB tmpfs", check_count, failed);
                fflush(NULL);
                _exit(failed || check_count == 0 ? 1 : 0);
        }
        int status = 0;
        if (full_disk) {
                CHECK_INT(waitpid(p, &status, 0), p);
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        if (!use_rlimit)
                CHECK_INT(umount2(dir, MNT_DETACH), 0);
        check_killed_writer();
        if (storetest_pg()) {
                check_connection_lost();
                check_lookup_after_reset();
        }
        check_read_only();
        check_missing();
        storetest_cleanup();
        return check_done("geo-store-trouble");
}
