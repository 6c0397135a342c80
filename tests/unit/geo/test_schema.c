/* The numbered migrations in geo/schema/: numbers run 1..N without gaps or
 * duplicates, every file is embedded in the binary, in order, and a store
 * migrated step by step reaches the newest version. */
#include "check.h"
#include "schema/schema.h"
#include "storetest.h"

#include <dirent.h>
#include <errno.h>

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* Runs sql on db; 0, or -1 with the message on stderr. */
static int exec_sql(sqlite3 *db, const char *sql)
{
        char *err = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
                return 0;
        fprintf(stderr, "%.80s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
}

/* 0006 on a store of version 5 that holds rows: one is built by applying
 * 1..5 on a raw SpatiaLite connection as the runner does, given a rain
 * station, observations and a latest value; opening it with the store
 * migrates it.  The rows survive, the 3 h and 24 h sums are accepted
 * (refused before), and other quantities are still refused. */
static void check_0006_upgrade(void)
{
        char path[256];
        storetest_path("v5.db", path, sizeof(path));
        sqlite3 *db = NULL;
        CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
        void *cache = spatialite_alloc_connection();
        spatialite_init_ex(db, cache, 0);
        int bad = exec_sql(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                               "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        for (int v = 0; v < 5 && !bad; v++) {
                char ins[160];
                snprintf(ins, sizeof(ins), "INSERT INTO schema_migrations VALUES (%d, '%s', 1)",
                         schema_migrations[v].version, schema_migrations[v].name);
                bad = exec_sql(db, "BEGIN") || exec_sql(db, schema_migrations[v].sql) ||
                      exec_sql(db, ins) || exec_sql(db, "COMMIT");
        }
        CHECK_INT(bad, 0);
        CHECK_INT(exec_sql(db, "INSERT INTO stations (kind, source, external_id, name, quantity, "
                               "expected_interval_s, lon, lat, created_at, updated_at, geom) "
                               "VALUES ('rain', 'amedas', '35141', '鶴岡', 'precip_10m_mm', 600, "
                               "139.82, 38.735, 1, 1, MakePoint(139.82, 38.735, 6668))"),
                  0);
        CHECK_INT(exec_sql(db, "INSERT INTO observations VALUES (1, 'precip_10m_mm', 1700000000, "
                               "1.5, 0), (1, 'precip_1h_mm', 1700000000, 3.25, 0)"),
                  0);
        CHECK_INT(exec_sql(db, "INSERT INTO station_latest VALUES (1, 'precip_1h_mm', 1700000000, "
                               "3.25)"),
                  0);
        /* Version 5 refuses the sums: the migration is what lets them in. */
        fprintf(stderr, "(the next error is expected)\n");
        CHECK_INT(exec_sql(db, "INSERT INTO observations VALUES (1, 'precip_3h_mm', 1700000000, "
                               "4.0, 0)"),
                  -1);
        sqlite3_close(db);
        spatialite_cleanup_ex(cache);

        struct store *st = storetest_open(path);
        int ver = 0;
        CHECK_INT(store_schema_version(st, &ver), 0);
        CHECK_INT(ver, schema_n_migrations);
        struct store_obs o[] = {
            {1, "precip_3h_mm", 1700000000, 4.0, 0},
            {1, "precip_24h_mm", 1700000000, 12.5, 0},
        };
        CHECK_INT(store_observations_add(st, o, 2, NULL), 0);
        struct store_obs other = {1, "precip_6h_mm", 1700000000, 5.0, 0};
        CHECK(store_observations_add(st, &other, 1, NULL) < 0);
        store_close(st);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM observations"), 4);
        CHECK_INT(storetest_sql_int(path, "SELECT round(sum(value) * 100) FROM observations WHERE "
                                          "quantity IN ('precip_10m_mm', 'precip_1h_mm')"),
                  475);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM station_latest WHERE quantity "
                                          "IN ('precip_1h_mm', 'precip_3h_mm', 'precip_24h_mm')"),
                  3);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

int main(void)
{
        const char *root = getenv("SONAE_SOURCE_ROOT");
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/geo/schema", root && root[0] ? root : ".");
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        int nums[1000];
        char names[1000][64];
        int n = 0;
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL && n < 1000) {
                size_t l = strlen(e->d_name);
                if (l < 4 || strcmp(e->d_name + l - 4, ".sql") != 0)
                        continue;
                /* NNNN_name.sql */
                int ok = l > 9 && e->d_name[4] == '_';
                for (int i = 0; i < 4 && ok; i++)
                        ok = e->d_name[i] >= '0' && e->d_name[i] <= '9';
                CHECK(ok);
                if (!ok) {
                        fprintf(stderr, "badly named migration: %s\n", e->d_name);
                        continue;
                }
                nums[n] = (e->d_name[0] - '0') * 1000 + (e->d_name[1] - '0') * 100 +
                          (e->d_name[2] - '0') * 10 + (e->d_name[3] - '0');
                snprintf(names[n], sizeof(names[n]), "%.*s", (int)(l - 9), e->d_name + 5);
                n++;
        }
        if (d)
                closedir(d);
        CHECK(n >= 1);
        int sorted[1000];
        memcpy(sorted, nums, sizeof(int) * (size_t)n);
        qsort(sorted, (size_t)n, sizeof(int), cmp_int);
        for (int i = 0; i < n; i++) {
                if (sorted[i] != i + 1)
                        fprintf(stderr, "migration %d: expected %d (gap or duplicate)\n", sorted[i],
                                i + 1);
                CHECK_INT(sorted[i], i + 1);
        }
        /* Every file is embedded under its number and name. */
        CHECK_INT(schema_n_migrations, n);
        CHECK_INT(store_schema_latest(), n);
        for (int i = 0; i < n; i++) {
                int v = nums[i];
                CHECK(v >= 1 && v <= schema_n_migrations);
                if (v < 1 || v > schema_n_migrations)
                        continue;
                CHECK_INT(schema_migrations[v - 1].version, v);
                CHECK_STR(schema_migrations[v - 1].name, names[i]);
                CHECK(strlen(schema_migrations[v - 1].sql) > 0);
        }

        /* Step by step: a store opened without migrating is at version 0;
         * store_migrate applies all, once. */
        char path[256];
        storetest_path("schema.db", path, sizeof(path));
        struct store_options o = {0};
        o.path = path;
        o.no_migrate = true;
        struct store *st = NULL;
        CHECK_INT(store_open(&o, &st), 0);
        int ver = -1, applied = -1;
        CHECK_INT(store_schema_version(st, &ver), 0);
        CHECK_INT(ver, 0);
        char why[128];
        CHECK_INT(store_check(st, why, sizeof(why)), -EBADMSG);
        CHECK(strstr(why, "schema version 0") != NULL);
        CHECK_INT(store_migrate(st, &applied), 0);
        CHECK_INT(applied, n);
        CHECK_INT(store_migrate(st, &applied), 0);
        CHECK_INT(applied, 0);
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        store_close(st);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM schema_migrations"), n);
        check_0006_upgrade();
        storetest_cleanup();
        return check_done("geo-schema");
}
