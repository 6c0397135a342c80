/* sonae db check | migrate | backup FILE | restore FILE [--force] | seed |
 * copy DSN: the store's administration.  check verifies the schema version
 * and the file's integrity; backup copies a consistent snapshot while the
 * daemons keep writing; restore refuses to overwrite an existing store
 * without --force; seed fills a store with the labelled sample data; copy
 * moves the SpatiaLite store into an empty PostGIS database. */
#include "cli.h"
#include "config.h"
#include "store.h"
#include "store_copy.h"
#include "store_seed.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
        fprintf(stderr, "usage: sonae db check | migrate | backup FILE | restore FILE [--force] | "
                        "seed | copy DSN\n");
}

static void options_from(const struct sonae_config *cfg, struct store_options *o)
{
        memset(o, 0, sizeof(*o));
        o->backend = cfg->store.backend;
        o->path = cfg->store.path;
        o->dsn = cfg->store.dsn;
        o->synchronous = cfg->store.synchronous;
}

/* What the messages name: the file, or for PostGIS the backend (never the
 * dsn, which may carry a password). */
static const char *where(const struct store_options *o)
{
        if (o->backend && strcmp(o->backend, "postgis") == 0)
                return "postgis";
        return o->path ? o->path : "";
}

static int fail(const char *what, const char *path, int rc)
{
        fprintf(stderr, "sonae db %s: %s: %s\n", what, path ? path : "", store_strerror(rc));
        return 1;
}

/* PostGIS backs up through pg_dump and pg_restore: say which is missing. */
static int fail_tool(const char *what, const char *tool, const char *path, int rc)
{
        if (rc == -ENOEXEC) {
                fprintf(stderr,
                        "sonae db %s: %s not found on PATH (install postgresql-client-15)\n", what,
                        tool);
                return 1;
        }
        return fail(what, path, rc);
}

static int db_check(const struct store_options *base)
{
        struct store_options o = *base;
        struct store *st = NULL;
        o.no_migrate = true;
        o.read_only = true; /* check never creates or changes a store */
        int rc = store_open(&o, &st);
        if (rc < 0)
                return fail("check", where(&o), rc);
        int v = 0;
        char why[256] = "";
        rc = store_schema_version(st, &v);
        if (rc == 0)
                rc = store_check(st, why, sizeof(why));
        int latest = store_schema_target(st);
        store_close(st);
        printf("store %s: schema version %d of %d\n", where(&o), v, latest);
        if (rc < 0) {
                fprintf(stderr, "sonae db check: %s: %s\n", where(&o),
                        why[0] ? why : store_strerror(rc));
                return 1;
        }
        printf("store OK\n");
        return 0;
}

static int db_migrate(const struct store_options *base)
{
        struct store_options o = *base;
        struct store *st = NULL;
        o.no_migrate = true;
        int rc = store_open(&o, &st);
        int applied = 0, v = 0;
        if (rc == 0)
                rc = store_migrate(st, &applied);
        if (rc == 0)
                rc = store_schema_version(st, &v);
        store_close(st);
        if (rc < 0)
                return fail("migrate", where(&o), rc);
        printf("applied %d migration%s; schema version %d\n", applied, applied == 1 ? "" : "s", v);
        return 0;
}

static int db_backup(const struct store_options *o, const char *file)
{
        struct store *st = NULL;
        int rc = store_open(o, &st);
        if (rc == 0)
                rc = store_backup(st, file);
        store_close(st);
        if (rc == -EEXIST) {
                fprintf(stderr, "sonae db backup: %s exists; give a new file name\n", file);
                return 1;
        }
        if (rc < 0)
                return fail_tool("backup", "pg_dump", file, rc);
        printf("backup written to %s\n", file);
        return 0;
}

static int db_restore(const struct store_options *o, const char *file, bool force)
{
        int rc = store_restore(o, file, force);
        if (rc == -EEXIST) {
                fprintf(stderr,
                        "sonae db restore: a store exists at %s; stop the daemons and add --force "
                        "to replace it (everything written since the backup is lost)\n",
                        where(o));
                return 1;
        }
        if (rc == -ENOPKG) {
                fprintf(stderr, "sonae db restore: the target database has no PostGIS; a "
                                "superuser runs CREATE EXTENSION postgis there first\n");
                return 1;
        }
        if (rc < 0)
                return fail_tool("restore", "pg_restore", file, rc);
        printf("restored %s from %s\n", where(o), file);
        return 0;
}

static int db_seed(const struct store_options *o)
{
        struct store *st = NULL;
        struct store_seed_counts c;
        int rc = store_open(o, &st);
        if (rc == 0)
                rc = store_seed(st, time_now_ms() / 1000, &c);
        store_close(st);
        if (rc == -EEXIST) {
                printf("store %s is already seeded\n", where(o));
                return 0;
        }
        if (rc < 0)
                return fail("seed", where(o), rc);
        printf("seeded %s: %zu stations, %zu observations, %zu alerts, %zu areas, %zu shelters, "
               "%zu hazard layers, %zu reports, %zu orders, %zu notices\n",
               where(o), c.stations, c.observations, c.alerts, c.areas, c.shelters, c.hazard_layers,
               c.reports, c.orders, c.notices);
        return 0;
}

/* The dsn is never printed: it may hold a password. */
static int db_copy(const struct store_options *o, const char *dsn)
{
        struct store_copy_report rep;
        int rc = store_copy_to_postgis(o, dsn, &rep);
        if (rc < 0) {
                fprintf(stderr, "sonae db copy: %s: %s; nothing was copied\n", where(o),
                        rep.why[0] ? rep.why : store_strerror(rc));
                store_copy_report_free(&rep);
                return 1;
        }
        for (size_t i = 0; i < rep.n; i++)
                printf("  %-24s %lld\n", rep.v[i].name, rep.v[i].rows);
        if (rep.skipped[0])
                printf("empty, not in the PostGIS schema yet: %s\n", rep.skipped);
        printf("copied %s into postgis: %zu tables, %lld rows, the counts match; schema version %d "
               "(the store's %d)\n",
               where(o), rep.n, rep.rows, rep.target_version, rep.source_version);
        store_copy_report_free(&rep);
        return 0;
}

int cmd_db(int argc, char **argv, const struct cli_common *common)
{
        if (argc < 2) {
                usage();
                return 2;
        }
        const char *sub = argv[1];
        const char *file = NULL;
        bool force = false;
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--force") == 0 && strcmp(sub, "restore") == 0)
                        force = true;
                else if (!file && argv[i][0] != '-')
                        file = argv[i];
                else {
                        usage();
                        return 2;
                }
        }
        bool needs_file =
            strcmp(sub, "backup") == 0 || strcmp(sub, "restore") == 0 || strcmp(sub, "copy") == 0;
        if (needs_file != (file != NULL)) {
                usage();
                return 2;
        }
        struct sonae_config *cfg = NULL;
        if (daemon_load_config(common->config, NULL, &cfg) < 0)
                return 1;
        struct store_options o;
        options_from(cfg, &o);
        int ret;
        if (strcmp(sub, "check") == 0)
                ret = db_check(&o);
        else if (strcmp(sub, "migrate") == 0)
                ret = db_migrate(&o);
        else if (strcmp(sub, "backup") == 0)
                ret = db_backup(&o, file);
        else if (strcmp(sub, "restore") == 0)
                ret = db_restore(&o, file, force);
        else if (strcmp(sub, "seed") == 0)
                ret = db_seed(&o);
        else if (strcmp(sub, "copy") == 0)
                ret = db_copy(&o, file);
        else {
                usage();
                ret = 2;
        }
        conf_free(cfg);
        return ret;
}
