/* Helpers for the store's tests: a fresh SpatiaLite file in a temporary
 * folder, and SQL reads through a second, plain SQLite connection so the
 * checks do not trust the code under test. */
#ifndef SONAE_STORETEST_H
#define SONAE_STORETEST_H

#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char storetest_dir[200];

/* Creates a temporary folder; returns path/name in buf. */
static inline const char *storetest_path(const char *name, char *buf, size_t len)
{
        if (!storetest_dir[0]) {
                const char *t = getenv("TMPDIR");
                if (!t || !t[0] || strlen(t) > 150)
                        t = "/tmp";
                snprintf(storetest_dir, sizeof(storetest_dir), "%.150s/sonae-store-XXXXXX", t);
                if (!mkdtemp(storetest_dir)) {
                        perror("mkdtemp");
                        exit(2);
                }
        }
        snprintf(buf, len, "%s/%s", storetest_dir, name);
        return buf;
}

static inline void storetest_cleanup(void)
{
        char cmd[256];
        if (!storetest_dir[0])
                return;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", storetest_dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", storetest_dir);
}

static inline struct store *storetest_open(const char *path)
{
        struct store_options o = {0};
        struct store *st = NULL;
        o.path = path;
        int rc = store_open(&o, &st);
        if (rc < 0) {
                fprintf(stderr, "store_open(%s): %s\n", path, store_strerror(rc));
                exit(2);
        }
        return st;
}

/* One integer from SQL on a separate connection; -1 on error. */
static inline long long storetest_sql_int(const char *path, const char *sql)
{
        sqlite3 *db = NULL;
        sqlite3_stmt *s = NULL;
        long long v = -1;
        void *cache = NULL;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                goto out;
        cache = spatialite_alloc_connection();
        spatialite_init_ex(db, cache, 0);
        sqlite3_busy_timeout(db, 10000);
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
                fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
                goto out;
        }
        if (sqlite3_step(s) == SQLITE_ROW)
                v = sqlite3_column_int64(s, 0);
out:
        sqlite3_finalize(s);
        sqlite3_close(db);
        if (cache)
                spatialite_cleanup_ex(cache);
        return v;
}

/* A gauge with the four ordinary thresholds. */
static inline struct store_station storetest_gauge(const char *ext, const char *name)
{
        struct store_station s;
        memset(&s, 0, sizeof(s));
        s.kind = "gauge";
        s.source = "kawabou";
        s.external_id = ext;
        s.name = name;
        s.river = "赤川";
        s.area_code = "0620300";
        s.lon = 139.8267;
        s.lat = 38.7275;
        level_thresholds_clear(&s.thr);
        s.thr.standby = 1.0;
        s.thr.caution = 2.0;
        s.thr.evacuation = 3.0;
        s.thr.danger = 4.0;
        s.thr.flood = 5.0;
        s.expected_interval_s = 600;
        return s;
}

#endif
