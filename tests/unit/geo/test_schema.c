/* The numbered migrations in geo/schema/ and their PostgreSQL
 * translations in geo/postgis/schema/: numbers run 1..N without gaps or
 * duplicates, every SpatiaLite migration has its translation under the same
 * number and name, every file is embedded in the binary, in order, and a
 * store migrated step by step reaches the newest version.  Registered as
 * geo-schema-spatialite and geo-schema-postgis: the folders are checked in
 * both runs, the migrations run on the backend under test. */
#include "check.h"
#include "schema/schema.h"
#include "storetest.h"

#include <dirent.h>
#include <errno.h>

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* A raw connection to the store of the backend under test, beside the
 * store's own: a SpatiaLite file or a PostgreSQL database. */
struct raw {
        sqlite3 *db;
        void *cache;
        PGconn *pg;
};

static int raw_open(struct raw *r, const char *path)
{
        memset(r, 0, sizeof(*r));
        if (storetest_pg()) {
                char dsn[300];
                storetest_pg_create(path);
                r->pg = PQconnectdb(storetest_pg_dsn(path, dsn, sizeof(dsn)));
                PQsetNoticeProcessor(r->pg, storetest_pg_quiet, NULL);
                return PQstatus(r->pg) == CONNECTION_OK ? 0 : -1;
        }
        if (sqlite3_open(path, &r->db) != SQLITE_OK)
                return -1;
        r->cache = spatialite_alloc_connection();
        spatialite_init_ex(r->db, r->cache, 0);
        return 0;
}

static void raw_close(struct raw *r)
{
        if (r->pg)
                PQfinish(r->pg);
        if (r->db)
                sqlite3_close(r->db);
        if (r->cache)
                spatialite_cleanup_ex(r->cache);
        memset(r, 0, sizeof(*r));
}

/* Runs sql (several statements may follow each other); 0, or -1 with the
 * message on stderr. */
static int exec_sql(struct raw *r, const char *sql)
{
        if (r->pg) {
                PGresult *res = PQexec(r->pg, sql);
                ExecStatusType t = PQresultStatus(res);
                PQclear(res);
                if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
                        return 0;
                fprintf(stderr, "%.80s: %s", sql, PQerrorMessage(r->pg));
                return -1;
        }
        char *err = NULL;
        if (sqlite3_exec(r->db, sql, NULL, NULL, &err) == SQLITE_OK)
                return 0;
        fprintf(stderr, "%.80s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
}

/* The migrations of the backend under test, as embedded. */
static const struct schema_migration *migrations(int *n)
{
        *n = storetest_pg() ? pg_schema_n_migrations : schema_n_migrations;
        return storetest_pg() ? pg_schema_migrations : schema_migrations;
}

/* 0006 on a store of version 5 that holds rows: one is built by applying
 * 1..5 on a raw connection as the runner does, given a rain station,
 * observations and a latest value; opening it with the store migrates it.
 * The rows survive, the 3 h and 24 h sums are accepted (refused before),
 * and other quantities are still refused. */
static void check_0006_upgrade(void)
{
        char path[256];
        int n = 0;
        const struct schema_migration *m = migrations(&n);
        storetest_path("v5.db", path, sizeof(path));
        struct raw db;
        CHECK_INT(raw_open(&db, path), 0);
        int bad = exec_sql(&db, "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, "
                                "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        for (int v = 0; v < 5 && !bad; v++) {
                char ins[160];
                snprintf(ins, sizeof(ins), "INSERT INTO schema_migrations VALUES (%d, '%s', 1)",
                         m[v].version, m[v].name);
                bad = exec_sql(&db, "BEGIN") || exec_sql(&db, m[v].sql) || exec_sql(&db, ins) ||
                      exec_sql(&db, "COMMIT");
        }
        CHECK_INT(bad, 0);
        CHECK_INT(
            exec_sql(&db, storetest_pg()
                              ? "INSERT INTO stations (kind, source, external_id, name, "
                                "quantity, expected_interval_s, lon, lat, created_at, "
                                "updated_at, geom) VALUES ('rain', 'amedas', '35141', '鶴岡', "
                                "'precip_10m_mm', 600, 139.82, 38.735, 1, 1, "
                                "ST_SetSRID(ST_MakePoint(139.82, 38.735), 6668))"
                              : "INSERT INTO stations (kind, source, external_id, name, "
                                "quantity, expected_interval_s, lon, lat, created_at, "
                                "updated_at, geom) VALUES ('rain', 'amedas', '35141', '鶴岡', "
                                "'precip_10m_mm', 600, 139.82, 38.735, 1, 1, "
                                "MakePoint(139.82, 38.735, 6668))"),
            0);
        CHECK_INT(exec_sql(&db, "INSERT INTO observations VALUES (1, 'precip_10m_mm', 1700000000, "
                                "1.5, 0), (1, 'precip_1h_mm', 1700000000, 3.25, 0)"),
                  0);
        CHECK_INT(exec_sql(&db, "INSERT INTO station_latest VALUES (1, 'precip_1h_mm', "
                                "1700000000, 3.25)"),
                  0);
        /* Version 5 refuses the sums: the migration is what lets them in. */
        fprintf(stderr, "(the next error is expected)\n");
        CHECK_INT(exec_sql(&db, "INSERT INTO observations VALUES (1, 'precip_3h_mm', 1700000000, "
                                "4.0, 0)"),
                  -1);
        raw_close(&db);

        struct store *st = storetest_open(path);
        int ver = 0;
        CHECK_INT(store_schema_version(st, &ver), 0);
        CHECK_INT(ver, n);
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
        /* Every foreign key still holds: SQLite checks them now; on
         * PostgreSQL no constraint is left unvalidated. */
        CHECK_INT(storetest_sql_int(path, storetest_pg()
                                              ? "SELECT count(*) FROM pg_constraint WHERE NOT "
                                                "convalidated"
                                              : "SELECT count(*) FROM pragma_foreign_key_check"),
                  0);
}

/* The migrations of one folder: their numbers and names (at most 1000);
 * the number found, each name NNNN_name.sql checked. */
static int read_folder(const char *dir, int nums[1000], char names[1000][64])
{
        DIR *d = opendir(dir);
        CHECK(d != NULL);
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
                snprintf(names[n], 64, "%.*s", (int)(l - 9), e->d_name + 5);
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
                        fprintf(stderr, "%s: migration %d: expected %d (gap or duplicate)\n", dir,
                                sorted[i], i + 1);
                CHECK_INT(sorted[i], i + 1);
        }
        return n;
}

/* Every file of a folder is embedded under its number and name. */
static void check_embedded(const struct schema_migration *m, int n_embedded, int n,
                           const int nums[1000], char names[1000][64])
{
        CHECK_INT(n_embedded, n);
        for (int i = 0; i < n; i++) {
                int v = nums[i];
                CHECK(v >= 1 && v <= n_embedded);
                if (v < 1 || v > n_embedded)
                        continue;
                CHECK_INT(m[v - 1].version, v);
                CHECK_STR(m[v - 1].name, names[i]);
                CHECK(strlen(m[v - 1].sql) > 0);
        }
}

int main(void)
{
        const char *root = getenv("SONAE_SOURCE_ROOT");
        char dir[512], pg_dir[512];
        snprintf(dir, sizeof(dir), "%s/geo/schema", root && root[0] ? root : ".");
        snprintf(pg_dir, sizeof(pg_dir), "%s/geo/postgis/schema", root && root[0] ? root : ".");
        static int nums[1000], pg_nums[1000];
        static char names[1000][64], pg_names[1000][64];
        int n = read_folder(dir, nums, names);
        int pg_n = read_folder(pg_dir, pg_nums, pg_names);
        check_embedded(schema_migrations, schema_n_migrations, n, nums, names);
        check_embedded(pg_schema_migrations, pg_schema_n_migrations, pg_n, pg_nums, pg_names);
        CHECK_INT(store_schema_latest(), n);
        /* Each SpatiaLite migration has its PostgreSQL translation, under
         * the same number and name (a missing one fails here, not in a
         * deployment). */
        CHECK_INT(pg_n, n);
        for (int v = 1; v <= n && v <= pg_n; v++)
                CHECK_STR(pg_schema_migrations[v - 1].name, schema_migrations[v - 1].name);

        /* Step by step: a store opened without migrating is at version 0;
         * store_migrate applies all, once. */
        char path[256], dsn[300];
        storetest_path("schema.db", path, sizeof(path));
        struct store_options o = storetest_options(path, dsn, sizeof(dsn));
        o.no_migrate = true;
        struct store *st = NULL;
        CHECK_INT(store_open(&o, &st), 0);
        int ver = -1, applied = -1;
        CHECK_INT(store_schema_version(st, &ver), 0);
        CHECK_INT(ver, 0);
        CHECK_INT(store_schema_target(st), n);
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
