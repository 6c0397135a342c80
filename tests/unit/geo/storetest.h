/* Helpers for the store's tests: a fresh SpatiaLite file in a temporary
 * folder, and SQL reads through a second, plain SQLite connection so the
 * checks do not trust the code under test.
 *
 * With SONAE_TEST_BACKEND=postgis (set by tests/lib/pgserver.py, which
 * also sets SONAE_PG_HOST, SONAE_PG_PORT and SONAE_PG_USER) the same
 * tests run against a real PostgreSQL: a "path" names a database (created
 * from the template sonae_template on first use, named after the file's
 * base name), and the SQL reads go through a second libpq connection.
 * json_extract(COL, '$.KEY') in a check's SQL is rewritten to COL->>'KEY'
 * there, and a SpatiaLite index lookup "ROWID IN (SELECT ROWID FROM
 * SpatialIndex WHERE f_table_name = 'T' AND search_frame = G)" to the GiST
 * lookup "id IN (SELECT id FROM T WHERE geom && G)".  SpatiaLite's own
 * function names in the checks (MakePoint, X, MbrMinX, length of a
 * geometry's blob, LIKE on a JSON column, ...) are SQL functions of the
 * schema storetest, which
 * the checking connection creates and puts on its search path; a boolean
 * reads as 1 or 0, as SQLite's.  The rest of the SQL is the same on both. */
#ifndef SONAE_STORETEST_H
#define SONAE_STORETEST_H

#include "store.h"

#include <ctype.h>
#include <libpq-fe.h>
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

/* True when the tests run against PostGIS. */
static inline bool storetest_pg(void)
{
        const char *b = getenv("SONAE_TEST_BACKEND");
        return b && strcmp(b, "postgis") == 0;
}

/* "spatialite" or "postgis": what store_backend_name() must say. */
static inline const char *storetest_backend(void)
{
        return storetest_pg() ? "postgis" : "spatialite";
}

/* The connection string of database db on the test server. */
static inline const char *storetest_pg_dsn_db(const char *db, char *buf, size_t len)
{
        const char *h = getenv("SONAE_PG_HOST"), *p = getenv("SONAE_PG_PORT"),
                   *u = getenv("SONAE_PG_USER");
        if (!h || !p || !u) {
                fprintf(stderr, "SONAE_TEST_BACKEND=postgis needs tests/lib/pgserver.py\n");
                exit(2);
        }
        snprintf(buf, len, "host=%s port=%s user=%s dbname=%s connect_timeout=10", h, p, u, db);
        return buf;
}

/* The database a path stands for: t_ and the base name, [a-z0-9_]. */
static inline const char *storetest_pg_db(const char *path, char *buf, size_t len)
{
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t o = (size_t)snprintf(buf, len, "t_");
        for (; *base && o + 1 < len && o < 60; base++)
                buf[o++] =
                    isalnum((unsigned char)*base) ? (char)tolower((unsigned char)*base) : '_';
        buf[o] = '\0';
        return buf;
}

static inline const char *storetest_pg_dsn(const char *path, char *buf, size_t len)
{
        char db[80];
        return storetest_pg_dsn_db(storetest_pg_db(path, db, sizeof(db)), buf, len);
}

/* Creates the database of path from the template unless it exists. */
static inline void storetest_pg_create(const char *path)
{
        char dsn[300], db[80], sql[200];
        PGconn *c = PQconnectdb(storetest_pg_dsn_db("postgres", dsn, sizeof(dsn)));
        if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "postgres: %s", PQerrorMessage(c));
                exit(2);
        }
        storetest_pg_db(path, db, sizeof(db));
        snprintf(sql, sizeof(sql), "SELECT 1 FROM pg_database WHERE datname = '%s'", db);
        PGresult *r = PQexec(c, sql);
        bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        PQclear(r);
        if (!exists) {
                snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE sonae_template", db);
                r = PQexec(c, sql);
                if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
                        exit(2);
                }
                PQclear(r);
        }
        PQfinish(c);
}

/* Options that open the store of path on the backend under test. */
static inline struct store_options storetest_options(const char *path, char *dsn, size_t dsn_len)
{
        struct store_options o = {0};
        if (storetest_pg()) {
                storetest_pg_create(path);
                o.backend = "postgis";
                o.dsn = storetest_pg_dsn(path, dsn, dsn_len);
        } else {
                o.path = path;
        }
        return o;
}

static inline struct store *storetest_open(const char *path)
{
        char dsn[300];
        struct store_options o = storetest_options(path, dsn, sizeof(dsn));
        struct store *st = NULL;
        int rc = store_open(&o, &st);
        if (rc < 0) {
                fprintf(stderr, "store_open(%s): %s\n", path, store_strerror(rc));
                exit(2);
        }
        return st;
}

/* The checks' SQL for PostgreSQL: json_extract(COL, '$.KEY') becomes
 * (COL->>'KEY'), as text, and a SpatialIndex lookup a GiST one. */
static inline void storetest_pg_sql(const char *sql, char *out, size_t len)
{
        static const char si[] = "ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = '";
        static const char sf[] = "' AND search_frame = ";
        size_t o = 0;
        while (*sql && o + 1 < len) {
                const char *c = NULL, *k = NULL;
                size_t cl = 0, kl = 0;
                if (strncmp(sql, si, sizeof(si) - 1) == 0) {
                        const char *t = sql + sizeof(si) - 1;
                        size_t tl = strcspn(t, "'");
                        if (strncmp(t + tl, sf, sizeof(sf) - 1) == 0) {
                                int n = snprintf(out + o, len - o,
                                                 "id IN (SELECT id FROM %.*s WHERE geom && ",
                                                 (int)tl, t);
                                o += n > 0 ? (size_t)n : 0;
                                sql = t + tl + sizeof(sf) - 1;
                                continue;
                        }
                }
                if (strncmp(sql, "json_extract(", 13) == 0) {
                        c = sql + 13;
                        cl = strcspn(c, ",");
                        k = c + cl;
                        if (strncmp(k, ", '$.", 5) == 0) {
                                k += 5;
                                kl = strcspn(k, "'");
                        }
                }
                if (c && kl && strncmp(k + kl, "')", 2) == 0) {
                        int n =
                            snprintf(out + o, len - o, "(%.*s->>'%.*s')", (int)cl, c, (int)kl, k);
                        o += n > 0 ? (size_t)n : 0;
                        sql = k + kl + 2;
                        continue;
                }
                out[o++] = *sql++;
        }
        out[o < len ? o : len - 1] = '\0';
}

/* SpatiaLite's names of the functions the checks use, as PostGIS ones;
 * created once per database (a failure shows in the check that needs
 * them). */
static const char storetest_pg_compat[] =
    "CREATE SCHEMA IF NOT EXISTS storetest; "
    "CREATE OR REPLACE FUNCTION storetest.makepoint(float8, float8, int) RETURNS geometry "
    "LANGUAGE sql IMMUTABLE AS 'SELECT ST_SetSRID(ST_MakePoint($1, $2), $3)'; "
    "CREATE OR REPLACE FUNCTION storetest.numgeometries(geometry) RETURNS int LANGUAGE sql "
    "IMMUTABLE AS 'SELECT ST_NumGeometries($1)'; "
    "CREATE OR REPLACE FUNCTION storetest.geometryn(geometry, int) RETURNS geometry LANGUAGE "
    "sql IMMUTABLE AS 'SELECT ST_GeometryN($1, $2)'; "
    "CREATE OR REPLACE FUNCTION storetest.exteriorring(geometry) RETURNS geometry LANGUAGE sql "
    "IMMUTABLE AS 'SELECT ST_ExteriorRing($1)'; "
    "CREATE OR REPLACE FUNCTION storetest.pointn(geometry, int) RETURNS geometry LANGUAGE sql "
    "IMMUTABLE AS 'SELECT ST_PointN($1, $2)'; "
    "CREATE OR REPLACE FUNCTION storetest.x(geometry) RETURNS float8 LANGUAGE sql IMMUTABLE AS "
    "'SELECT ST_X($1)'; "
    "CREATE OR REPLACE FUNCTION storetest.y(geometry) RETURNS float8 LANGUAGE sql IMMUTABLE AS "
    "'SELECT ST_Y($1)'; "
    "CREATE OR REPLACE FUNCTION storetest.mbrminx(geometry) RETURNS float8 LANGUAGE sql "
    "IMMUTABLE AS 'SELECT ST_XMin($1)'; "
    /* SQLite's length() of a blob is its size in bytes. */
    "CREATE OR REPLACE FUNCTION storetest.length(geometry) RETURNS int LANGUAGE sql IMMUTABLE "
    "AS 'SELECT octet_length(ST_AsBinary($1))'; "
    /* LIKE on a JSON column reads its text as stored, as SQLite's does. */
    "CREATE OR REPLACE FUNCTION storetest.json_like(json, text) RETURNS boolean LANGUAGE sql "
    "IMMUTABLE AS 'SELECT $1::text LIKE $2'; "
    "CREATE OPERATOR storetest.~~ (LEFTARG = json, RIGHTARG = text, FUNCTION = "
    "storetest.json_like)";

/* The first column of the first row of sql as text (caller frees), NULL
 * for SQL NULL; *rows is -1 when the query failed, else whether it gave a
 * row (0 or 1).  A boolean reads "1" or "0". */
static inline char *storetest_pg_sql_text(const char *path, const char *sql, int *rows)
{
        char dsn[300], q[4096];
        char *v = NULL;
        *rows = -1;
        PGconn *c = PQconnectdb(storetest_pg_dsn(path, dsn, sizeof(dsn)));
        if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "%s: %s", dsn, PQerrorMessage(c));
                PQfinish(c);
                return NULL;
        }
        PGresult *r = PQexec(c, "SELECT 1 FROM pg_namespace WHERE nspname = 'storetest'");
        bool have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        PQclear(r);
        if (!have) {
                r = PQexec(c, storetest_pg_compat);
                if (PQresultStatus(r) != PGRES_COMMAND_OK)
                        fprintf(stderr, "storetest functions: %s", PQerrorMessage(c));
                PQclear(r);
        }
        PQclear(PQexec(c, "SET search_path = public, storetest"));
        storetest_pg_sql(sql, q, sizeof(q));
        r = PQexec(c, q);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                fprintf(stderr, "%s: %s", q, PQerrorMessage(c));
        } else {
                *rows = PQntuples(r) > 0;
                if (*rows && !PQgetisnull(r, 0, 0)) {
                        const char *t = PQgetvalue(r, 0, 0);
                        if (PQftype(r, 0) == 16) /* BOOLOID */
                                t = t[0] == 't' ? "1" : "0";
                        v = strdup(t);
                }
        }
        PQclear(r);
        PQfinish(c);
        return v;
}

static inline long long storetest_pg_sql_int(const char *path, const char *sql)
{
        int rows = -1;
        char *t = storetest_pg_sql_text(path, sql, &rows);
        /* NULL reads 0, as sqlite3_column_int64; no row or an error -1. */
        long long v = rows <= 0 ? -1 : t ? strtoll(t, NULL, 10) : 0;
        free(t);
        return v;
}

/* Runs one statement on the database of path; true on success. */
static inline bool storetest_pg_exec(const char *path, const char *sql)
{
        char dsn[300];
        PGconn *c = PQconnectdb(storetest_pg_dsn(path, dsn, sizeof(dsn)));
        PGresult *r = PQexec(c, sql);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
                fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return ok;
}

/* One integer from SQL on a separate connection; -1 on error. */
static inline long long storetest_sql_int(const char *path, const char *sql)
{
        if (storetest_pg())
                return storetest_pg_sql_int(path, sql);

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

/* One double from SQL on a separate connection; NAN on error. */
static inline double storetest_sql_double(const char *path, const char *sql)
{
        if (storetest_pg()) {
                int rows = -1;
                char *t = storetest_pg_sql_text(path, sql, &rows);
                /* NULL reads 0.0, as sqlite3_column_double. */
                double v = rows <= 0 ? NAN : t ? strtod(t, NULL) : 0.0;
                free(t);
                return v;
        }
        sqlite3 *db = NULL;
        sqlite3_stmt *s = NULL;
        double v = NAN;
        void *cache = spatialite_alloc_connection();
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
                spatialite_init_ex(db, cache, 0);
                if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
                    sqlite3_step(s) == SQLITE_ROW)
                        v = sqlite3_column_double(s, 0);
                else
                        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        }
        sqlite3_finalize(s);
        sqlite3_close(db);
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
