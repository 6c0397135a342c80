/* store_copy_to_postgis(): a SpatiaLite store into an empty PostGIS
 * database, table by table.  The tables are the schema's: those the
 * embedded SpatiaLite migrations create that the file holds, matched by
 * name with those the PostGIS migrations created in the target.  Rows
 * travel by COPY in text format, inside one transaction of the target and
 * one read snapshot of the source. */
#include "store_copy.h"

#include "buf.h"
#include "postgis/pg.h"
#include "schema/schema.h"
#include "spatialite/sl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_FLUSH  (1024 * 1024) /* bytes of COPY data sent at once */
#define COPY_SRID   6668
#define NAME_MAX_ID 63 /* PostgreSQL's identifier length */

static bool names_has(const struct pg_strv *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], name) == 0)
                        return true;
        return false;
}

static int names_add(struct pg_strv *s, const char *name)
{
        return names_has(s, name) ? 0 : pg_strv_add(s, name);
}

static void why(struct store_copy_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void why(struct store_copy_report *rep, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
        va_end(ap);
}

/* A table or column name as read from a catalog, quoted for SQL; names
 * of the schema are [a-z0-9_], anything else is refused. */
static int quote_id(const char *name, char *out, size_t len)
{
        size_t n = strlen(name);
        if (n == 0 || n > NAME_MAX_ID || n + 3 > len)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)name[i]) && name[i] != '_')
                        return -EINVAL;
        snprintf(out, len, "\"%s\"", name);
        return 0;
}

/* The tables the SpatiaLite migrations create (CREATE TABLE name; not the
 * virtual ones, whose content is derived) that the file holds: a table a
 * migration renamed away is not there. */
static int source_tables(sqlite3 *db, struct pg_strv *out)
{
        sqlite3_stmt *s = NULL;
        int r = sqlite3_prepare_v2(
            db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &s, NULL);
        if (r != SQLITE_OK)
                return -EBADMSG;
        int rc = 0;
        for (int m = 0; m < schema_n_migrations && rc == 0; m++) {
                const char *p = schema_migrations[m].sql;
                while (rc == 0 && (p = strstr(p, "CREATE TABLE ")) != NULL) {
                        p += strlen("CREATE TABLE ");
                        if (strncmp(p, "IF NOT EXISTS ", 14) == 0)
                                p += 14;
                        char name[NAME_MAX_ID + 1];
                        size_t n = 0;
                        while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n < NAME_MAX_ID)
                                n++;
                        memcpy(name, p, n);
                        name[n] = '\0';
                        p += n;
                        if (n == 0)
                                continue;
                        sqlite3_reset(s);
                        sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
                        r = sqlite3_step(s);
                        if (r == SQLITE_ROW)
                                rc = names_add(out, name);
                        else if (r != SQLITE_DONE)
                                rc = -EIO;
                }
        }
        sqlite3_finalize(s);
        return rc;
}

/* The target's tables (none an extension owns, not schema_migrations),
 * referenced tables before the tables that reference them. */
static int target_tables(struct pg *b, struct pg_strv *out)
{
        PGresult *t = NULL, *fk = NULL;
        int rc = pg_q(b, &t,
                      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                      "c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                      "AND c.relname <> 'schema_migrations' AND NOT EXISTS (SELECT 1 FROM "
                      "pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
                      "AND d.deptype = 'e') ORDER BY c.relname",
                      "");
        if (rc == 0)
                rc = pg_q(b, &fk,
                          "SELECT a.relname, f.relname FROM pg_constraint k JOIN pg_class a ON "
                          "a.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid JOIN "
                          "pg_namespace n ON n.oid = a.relnamespace WHERE k.contype = 'f' AND "
                          "n.nspname = current_schema() AND a.oid <> f.oid",
                          "");
        int nt = rc == 0 ? PQntuples(t) : 0, nf = rc == 0 ? PQntuples(fk) : 0;
        /* Passes over the tables, each taking those whose referenced
         * tables are all placed; a cycle ends it with the rest in name
         * order (the foreign keys then say what is wrong). */
        bool progress = true;
        while (rc == 0 && (int)out->n < nt && progress) {
                progress = false;
                for (int i = 0; i < nt && rc == 0; i++) {
                        const char *name = PQgetvalue(t, i, 0);
                        if (names_has(out, name))
                                continue;
                        bool ready = true;
                        for (int j = 0; j < nf && ready; j++)
                                if (strcmp(PQgetvalue(fk, j, 0), name) == 0 &&
                                    !names_has(out, PQgetvalue(fk, j, 1)))
                                        ready = false;
                        if (ready) {
                                rc = names_add(out, name);
                                progress = true;
                        }
                }
        }
        for (int i = 0; i < nt && rc == 0; i++)
                rc = names_add(out, PQgetvalue(t, i, 0));
        PQclear(t);
        PQclear(fk);
        return rc;
}

static long long sl_count(sqlite3 *db, const char *qtable)
{
        char sql[128];
        sqlite3_stmt *s = NULL;
        long long n = -1;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", qtable);
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
                n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return n;
}

static int pg_count(struct pg *b, const char *qtable, int64_t *n)
{
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", qtable);
        return pg_query_int(b, n, sql, "");
}

static int put_hex(struct buf *o, const unsigned char *p, int n)
{
        static const char hex[] = "0123456789abcdef";
        int rc = 0;
        for (int i = 0; i < n && rc == 0; i++) {
                char two[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
                rc = buf_append(o, two, 2);
        }
        return rc;
}

/* Text in COPY's text format: backslash, tab, newline and carriage return
 * escaped. */
static int put_text(struct buf *o, const unsigned char *p, int n)
{
        int rc = 0;
        for (int i = 0; i < n && rc == 0; i++) {
                switch (p[i]) {
                case '\\':
                        rc = buf_puts(o, "\\\\");
                        break;
                case '\t':
                        rc = buf_puts(o, "\\t");
                        break;
                case '\n':
                        rc = buf_puts(o, "\\n");
                        break;
                case '\r':
                        rc = buf_puts(o, "\\r");
                        break;
                default:
                        rc = buf_putc(o, (char)p[i]);
                }
        }
        return rc;
}

struct column {
        char qname[NAME_MAX_ID + 3];
        char type[NAME_MAX_ID + 1]; /* the target's type name */
};

static bool is_geom(const struct column *c)
{
        return strcmp(c->type, "geometry") == 0;
}

/* One value of the source row into o; *col advances past the source
 * columns it read (two for a geometry: its WKB and its SRID). */
static int put_value(struct buf *o, sqlite3_stmt *s, int *col, const struct column *c,
                     const char *table, struct store_copy_report *rep)
{
        int i = (*col)++;
        int t = sqlite3_column_type(s, i);
        if (is_geom(c)) {
                int srid = sqlite3_column_int(s, (*col)++);
                if (t == SQLITE_NULL)
                        return buf_puts(o, "\\N");
                if (t != SQLITE_BLOB || srid != COPY_SRID) {
                        why(rep, "table %s, column %s: a geometry in SRID %d, not %d", table,
                            c->qname, srid, COPY_SRID);
                        return -EINVAL;
                }
                /* PostGIS reads "SRID=N;" before hex WKB. */
                int rc = buf_printf(o, "SRID=%d;", COPY_SRID);
                return rc ? rc : put_hex(o, sqlite3_column_blob(s, i), sqlite3_column_bytes(s, i));
        }
        if (t == SQLITE_NULL)
                return buf_puts(o, "\\N");
        if (strcmp(c->type, "bytea") == 0) {
                const void *p = sqlite3_column_blob(s, i);
                int rc = buf_puts(o, "\\\\x");
                return rc ? rc : put_hex(o, p, sqlite3_column_bytes(s, i));
        }
        if (strcmp(c->type, "bool") == 0)
                return buf_puts(o, sqlite3_column_int64(s, i) ? "t" : "f");
        if (t == SQLITE_INTEGER)
                return buf_printf(o, "%lld", (long long)sqlite3_column_int64(s, i));
        if (t == SQLITE_FLOAT) {
                double v = sqlite3_column_double(s, i);
                if (!isfinite(v)) {
                        why(rep, "table %s, column %s: a value that is not finite", table,
                            c->qname);
                        return -EINVAL;
                }
                return buf_printf(o, "%.17g", v);
        }
        return put_text(o, sqlite3_column_text(s, i), sqlite3_column_bytes(s, i));
}

/* The target's columns of a table, and the same names in the source. */
static int table_columns(struct pg *b, sqlite3 *db, const char *table, const char *qtable,
                         struct column **cols, int *ncols, struct store_copy_report *rep)
{
        PGresult *r = NULL;
        *cols = NULL;
        *ncols = 0;
        int rc = pg_q(b, &r,
                      "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = "
                      "a.atttypid WHERE a.attrelid = quote_ident($1)::regclass AND a.attnum > 0 "
                      "AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
                      "t", table);
        if (rc < 0)
                return rc;
        int n = PQntuples(r);
        if (n == 0 || !(*cols = calloc((size_t)n, sizeof(**cols)))) {
                PQclear(r);
                return n == 0 ? -EBADMSG : -ENOMEM;
        }
        for (int i = 0; i < n && rc == 0; i++) {
                rc = quote_id(PQgetvalue(r, i, 0), (*cols)[i].qname, sizeof((*cols)[i].qname));
                snprintf((*cols)[i].type, sizeof((*cols)[i].type), "%s", PQgetvalue(r, i, 1));
        }
        PQclear(r);
        *ncols = n;
        /* Both sides must have the same columns: none left behind, none
         * the target would fill with its default. */
        char sql[160];
        sqlite3_stmt *s = NULL;
        snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", qtable);
        if (rc == 0 && sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
                rc = -EIO;
        int seen = 0;
        while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
                char q[NAME_MAX_ID + 3];
                const char *name = (const char *)sqlite3_column_text(s, 1);
                bool found = false;
                if (quote_id(name ? name : "", q, sizeof(q)) == 0)
                        for (int i = 0; i < n && !found; i++)
                                found = strcmp((*cols)[i].qname, q) == 0;
                if (!found) {
                        why(rep, "table %s: column %s is not in the PostGIS schema", table,
                            name ? name : "?");
                        rc = -EBADMSG;
                }
                seen++;
        }
        sqlite3_finalize(s);
        if (rc == 0 && seen != n) {
                why(rep, "table %s: the PostGIS schema has %d columns, the store %d", table, n,
                    seen);
                rc = -EBADMSG;
        }
        return rc;
}

/* Streams one table with COPY; *rows is what was sent. */
static int copy_table(struct pg *b, sqlite3 *db, const char *table, long long *rows,
                      struct store_copy_report *rep)
{
        char qtable[NAME_MAX_ID + 3];
        struct column *cols = NULL;
        int ncols = 0;
        struct buf sel = BUF_INIT(64 * 1024), cp = BUF_INIT(64 * 1024);
        struct buf data = BUF_INIT(PG_BATCH_MAX);
        sqlite3_stmt *s = NULL;
        *rows = 0;
        int rc = quote_id(table, qtable, sizeof(qtable));
        if (rc == 0)
                rc = table_columns(b, db, table, qtable, &cols, &ncols, rep);
        rc = rc ? rc : buf_puts(&sel, "SELECT ");
        rc = rc ? rc : buf_printf(&cp, "COPY %s (", qtable);
        for (int i = 0; i < ncols && rc == 0; i++) {
                const char *q = cols[i].qname, *sep = i ? ", " : "";
                rc = is_geom(&cols[i]) ? buf_printf(&sel, "%sAsBinary(%s), SRID(%s)", sep, q, q)
                                       : buf_printf(&sel, "%s%s", sep, q);
                rc = rc ? rc : buf_printf(&cp, "%s%s", sep, q);
        }
        rc = rc ? rc : buf_printf(&sel, " FROM %s", qtable);
        rc = rc ? rc : buf_puts(&cp, ") FROM STDIN");
        if (rc == 0 && sqlite3_prepare_v2(db, sel.data, -1, &s, NULL) != SQLITE_OK) {
                why(rep, "table %s: %s", table, sqlite3_errmsg(db));
                rc = -EBADMSG;
        }
        if (rc < 0)
                goto out;
        PGresult *r = PQexec(b->conn, cp.data);
        if (PQresultStatus(r) != PGRES_COPY_IN) {
                rc = pg_err(b, r);
                PQclear(r);
                goto out;
        }
        PQclear(r);
        int step = SQLITE_DONE;
        while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
                int col = 0;
                for (int i = 0; i < ncols && rc == 0; i++) {
                        if (i)
                                rc = buf_putc(&data, '\t');
                        rc = rc ? rc : put_value(&data, s, &col, &cols[i], table, rep);
                }
                rc = rc ? rc : buf_putc(&data, '\n');
                (*rows)++;
                if (rc == 0 && data.len >= COPY_FLUSH) {
                        if (PQputCopyData(b->conn, data.data, (int)data.len) != 1)
                                rc = -EIO;
                        buf_reset(&data);
                }
        }
        if (rc == 0 && step != SQLITE_DONE)
                rc = -EIO;
        if (rc == 0 && data.len && PQputCopyData(b->conn, data.data, (int)data.len) != 1)
                rc = -EIO;
        /* Ending with an error message aborts the COPY (and the
         * transaction): nothing of the table stays. */
        if (PQputCopyEnd(b->conn, rc == 0 ? NULL : "sonae db copy stopped") != 1 && rc == 0)
                rc = -EIO;
        while ((r = PQgetResult(b->conn)) != NULL) {
                if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
                        rc = pg_err(b, r);
                        why(rep, "table %s: the server refused a row", table);
                }
                PQclear(r);
        }
out:
        sqlite3_finalize(s);
        buf_free(&sel);
        buf_free(&cp);
        buf_free(&data);
        free(cols);
        return rc < 0 ? rc : rc > 0 ? -ENOMEM : 0;
}

/* Moves every identity sequence of the table past the copied ids, and
 * past SQLite's AUTOINCREMENT high-water mark, so an id deleted in the
 * source is not handed out again. */
static int reset_sequences(struct pg *b, sqlite3 *db, const char *table, const char *qtable)
{
        PGresult *r = NULL;
        int rc = pg_q(b, &r,
                      "SELECT attname FROM pg_attribute WHERE attrelid = quote_ident($1)::regclass "
                      "AND attidentity <> ''",
                      "t", table);
        if (rc < 0)
                return rc;
        int64_t floor = 0;
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name = ?", -1, &s,
                               NULL) == SQLITE_OK) {
                sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(s) == SQLITE_ROW)
                        floor = sqlite3_column_int64(s, 0);
        }
        sqlite3_finalize(s);
        for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
                char qcol[NAME_MAX_ID + 3], sql[400];
                rc = quote_id(PQgetvalue(r, i, 0), qcol, sizeof(qcol));
                if (rc < 0)
                        break;
                snprintf(sql, sizeof(sql),
                         "SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT "
                         "coalesce(max(%s), 0) FROM %s), $3) + 1, false)",
                         qcol, qtable);
                rc = pg_q(b, NULL, sql, "tti", qtable, PQgetvalue(r, i, 0), floor);
        }
        PQclear(r);
        return rc;
}

static int report_add(struct store_copy_report *rep, const char *table, long long rows)
{
        struct store_copy_table *v = realloc(rep->v, (rep->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        rep->v = v;
        if (!(v[rep->n].name = strdup(table)))
                return -ENOMEM;
        v[rep->n++].rows = rows;
        rep->rows += rows;
        return 0;
}

/* Inside the target's transaction and the source's snapshot. */
static int copy_all(struct pg *b, sqlite3 *db, const struct pg_strv *src, const struct pg_strv *dst,
                    struct store_copy_report *rep)
{
        char q[NAME_MAX_ID + 3];
        int rc = 0;
        /* The target holds no rows: a second copy, or a database in use,
         * is refused before anything is written. */
        for (size_t i = 0; i < dst->n && rc == 0; i++) {
                int64_t n = 0;
                rc = quote_id(dst->v[i], q, sizeof(q));
                rc = rc ? rc : pg_count(b, q, &n);
                if (rc == 0 && n > 0) {
                        why(rep, "the PostGIS database is not empty: table %s holds %lld rows",
                            dst->v[i], (long long)n);
                        rc = -EEXIST;
                }
        }
        /* A table of a migration PostGIS does not have yet may come along
         * only empty. */
        for (size_t i = 0; i < src->n && rc == 0; i++) {
                if (names_has(dst, src->v[i]))
                        continue;
                rc = quote_id(src->v[i], q, sizeof(q));
                long long n = rc == 0 ? sl_count(db, q) : 0;
                if (rc == 0 && n != 0) {
                        why(rep,
                            "table %s holds %lld rows and the PostGIS schema (version %d) has no "
                            "such table yet",
                            src->v[i], n, rep->target_version);
                        rc = -ENOTSUP;
                } else if (rc == 0) {
                        size_t used = strlen(rep->skipped);
                        snprintf(rep->skipped + used, sizeof(rep->skipped) - used, "%s%s",
                                 used ? ", " : "", src->v[i]);
                }
        }
        for (size_t i = 0; i < dst->n && rc == 0; i++) {
                long long rows = 0;
                if (!names_has(src, dst->v[i]))
                        continue;
                rc = copy_table(b, db, dst->v[i], &rows, rep);
                rc = rc ? rc : quote_id(dst->v[i], q, sizeof(q));
                rc = rc ? rc : reset_sequences(b, db, dst->v[i], q);
                rc = rc ? rc : report_add(rep, dst->v[i], rows);
        }
        /* Counted again on both sides: what the target holds is what the
         * source's snapshot holds, table by table. */
        for (size_t i = 0; i < rep->n && rc == 0; i++) {
                int64_t n = 0;
                rc = quote_id(rep->v[i].name, q, sizeof(q));
                rc = rc ? rc : pg_count(b, q, &n);
                long long want = sl_count(db, q);
                if (rc == 0 && (n != want || n != rep->v[i].rows)) {
                        why(rep, "table %s: %lld rows in the store, %lld in PostGIS",
                            rep->v[i].name, want, (long long)n);
                        rc = -EBADMSG;
                }
        }
        return rc;
}

int store_copy_to_postgis(const struct store_options *src, const char *dsn,
                          struct store_copy_report *rep)
{
        struct store *sst = NULL, *tst = NULL;
        struct pg_strv stabs = {0}, ttabs = {0};
        memset(rep, 0, sizeof(*rep));
        if (!dsn || !dsn[0] || !src->path ||
            (src->backend && strcmp(src->backend, "spatialite") != 0)) {
                why(rep, "the configured store must be a SpatiaLite file");
                return -EINVAL;
        }
        /* A missing file would be created empty: nothing to move. */
        if (access(src->path, F_OK) != 0)
                return -ENOENT;
        struct store_options so = *src;
        so.backend = "spatialite";
        so.read_only = false;
        so.no_migrate = false;
        int rc = store_open(&so, &sst);
        rc = rc ? rc : store_schema_version(sst, &rep->source_version);
        if (rc < 0)
                goto out;
        struct store_options to = {.backend = "postgis", .dsn = dsn};
        rc = store_open(&to, &tst); /* migrates the target */
        rc = rc ? rc : store_schema_version(tst, &rep->target_version);
        if (rc < 0)
                goto out;
        sqlite3 *db = SL(sst)->db;
        struct pg *b = PG(tst);
        rc = source_tables(db, &stabs);
        rc = rc ? rc : target_tables(b, &ttabs);
        if (rc < 0)
                goto out;
        /* One read snapshot of the source (WAL: writers carry on). */
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
                rc = -EBUSY;
                goto out;
        }
        rc = pg_tx_begin(b);
        if (rc == 0)
                rc = pg_tx_end(b, copy_all(b, db, &stabs, &ttabs, rep));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
        pg_strv_free(&stabs);
        pg_strv_free(&ttabs);
        store_close(sst);
        store_close(tst);
        return rc;
}

void store_copy_report_free(struct store_copy_report *rep)
{
        if (!rep)
                return;
        for (size_t i = 0; i < rep->n; i++)
                free(rep->v[i].name);
        free(rep->v);
        rep->v = NULL;
        rep->n = 0;
}
