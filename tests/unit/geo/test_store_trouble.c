/* Store trouble: a full disk gives a distinct error (store_err_is_trouble),
 * loses nothing committed, and the same handle works again once space
 * returns; a checkpoint bounds the write-ahead log.
 *
 * The full disk is a 2 MiB tmpfs the test mounts (the test runs as root in
 * CI and here).  Where mounting is not permitted, the test says so and
 * uses RLIMIT_FSIZE instead: writes past the limit fail with EFBIG, which
 * SQLite reports as an I/O error, the other kind of store trouble. */
#include "check.h"
#include "storetest.h"

#include <errno.h>
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
        /* A truncating checkpoint bounds the log. */
        CHECK_INT(store_checkpoint(st), 0);
        CHECK_INT(file_size(wal), 0);
        char why[200];
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        store_close(st);
        return check_failures;
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
        pid_t p = fork();
        if (p == 0) {
                int failed = scenario(dir, use_rlimit);
                printf("full-disk scenario (%s): %d checks, %d failed\n",
                       use_rlimit ? "RLIMIT_FSIZE" : "2 MiB tmpfs", check_count, failed);
                fflush(NULL);
                _exit(failed || check_count == 0 ? 1 : 0);
        }
        int status = 0;
        CHECK_INT(waitpid(p, &status, 0), p);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (!use_rlimit)
                CHECK_INT(umount2(dir, MNT_DETACH), 0);
        storetest_cleanup();
        return check_done("geo-store-trouble");
}
