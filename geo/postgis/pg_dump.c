/* The PostGIS backend's backup and restore: Debian's pg_dump and
 * pg_restore in their custom format (-Fc).  The tools are given the
 * handle's connection through libpq's environment variables (PGHOST,
 * PGPASSWORD, PGPASSFILE, ...), never on their command line, where any
 * user of the machine could read a password from the process list. */
#include "pg.h"

#include "../schema/schema.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The cap of what is read back from a tool (the schema_migrations rows). */
#define TOOL_CAPTURE_MAX (1024 * 1024)

void pg_strv_free(struct pg_strv *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i]);
        free(e->v);
        memset(e, 0, sizeof(*e));
}

int pg_strv_add(struct pg_strv *e, const char *s)
{
        if (e->n + 2 > e->cap) {
                size_t cap = e->cap ? e->cap * 2 : 64;
                char **v = realloc(e->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                e->v = v;
                e->cap = cap;
        }
        if (!(e->v[e->n] = strdup(s)))
                return -ENOMEM;
        e->v[++e->n] = NULL;
        return 0;
}

static int tool_env_add(struct pg_strv *e, const char *name, const char *value)
{
        size_t len = strlen(name) + strlen(value) + 2;
        char *s = malloc(len);
        if (!s)
                return -ENOMEM;
        snprintf(s, len, "%s=%s", name, value);
        int rc = pg_strv_add(e, s);
        free(s);
        return rc;
}

static bool env_is(const char *entry, const char *name)
{
        size_t n = strlen(name);
        return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* The environment of a tool: ours, with every setting of the dsn as
 * libpq's variable for it (dsn wins over an inherited variable). */
static int tool_env_for(const char *dsn, struct pg_strv *e)
{
        char *err = NULL;
        memset(e, 0, sizeof(*e));
        PQconninfoOption *opts = PQconninfoParse(dsn ? dsn : "", &err);
        if (!opts) {
                PQfreemem(err); /* the message may quote the dsn */
                return -EINVAL;
        }
        int rc = 0;
        bool timeout = false;
        for (char **p = environ; *p && rc == 0; p++) {
                bool overridden = env_is(*p, "PGCONNECT_TIMEOUT") || env_is(*p, "PGAPPNAME");
                for (PQconninfoOption *o = opts; o->keyword && !overridden; o++)
                        overridden = o->val && o->envvar && env_is(*p, o->envvar);
                if (!overridden) {
                        char *eq = strchr(*p, '=');
                        if (!eq)
                                continue;
                        char name[256];
                        size_t n = (size_t)(eq - *p);
                        if (n >= sizeof(name))
                                continue;
                        memcpy(name, *p, n);
                        name[n] = '\0';
                        rc = tool_env_add(e, name, eq + 1);
                }
        }
        for (PQconninfoOption *o = opts; o->keyword && rc == 0; o++) {
                if (!o->val || !o->envvar)
                        continue;
                if (strcmp(o->keyword, "connect_timeout") == 0)
                        timeout = true;
                rc = tool_env_add(e, o->envvar, o->val);
        }
        /* A bounded wait for the server, as the backend's own connection. */
        if (rc == 0 && !timeout)
                rc = tool_env_add(e, "PGCONNECT_TIMEOUT", "10");
        if (rc == 0)
                rc = tool_env_add(e, "PGAPPNAME", "sonae");
        PQconninfoFree(opts);
        if (rc < 0)
                pg_strv_free(e);
        return rc;
}

/* Runs argv with stdin and stderr on /dev/null and stdout into capture
 * (NULL: /dev/null).  0 when the tool exits 0; -EBADMSG when it fails
 * (a damaged archive, a refused statement); -ENOEXEC when it is not
 * installed; -EFBIG when it writes more than capture's cap. */
static int run_tool(char *const argv[], char *const envp[], struct buf *capture)
{
        posix_spawn_file_actions_t fa;
        int pipefd[2] = {-1, -1};
        if (capture && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        int rc = posix_spawn_file_actions_init(&fa);
        if (rc != 0) {
                rc = -rc;
                goto out_pipe;
        }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (capture)
                posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        else
                posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
                rc = rc == ENOENT ? -ENOEXEC : -rc;
                goto out_pipe;
        }
        if (capture) {
                close(pipefd[1]);
                pipefd[1] = -1;
                char chunk[8192];
                ssize_t got;
                while ((got = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
                        if (got < 0 && errno == EINTR)
                                continue;
                        if (got < 0) {
                                rc = -EIO;
                                break;
                        }
                        if (rc == 0 && buf_append(capture, chunk, (size_t)got) < 0)
                                rc = -EFBIG; /* keep draining so the tool can end */
                }
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        rc = -errno;
                        goto out_pipe;
                }
        }
        if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                rc = -EBADMSG;
out_pipe:
        if (pipefd[0] >= 0)
                close(pipefd[0]);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
        return rc;
}

int pg_dump_backup(struct store *st, const char *path)
{
        struct pg *b = PG(st);
        if (b->tx_depth > 0)
                return -EINVAL;
        /* Created here, exclusively: an existing file is never replaced. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return errno == EEXIST ? -EEXIST : -EIO;
        close(fd);
        struct pg_strv env;
        int rc = tool_env_for(b->dsn, &env);
        if (rc == 0) {
                /* One snapshot of the whole database: the copy holds
                 * whole transactions only while the daemons write on. */
                char *argv[] = {"pg_dump", "-Fc",        "--no-owner", "--no-privileges",
                                "-f",      (char *)path, NULL};
                rc = run_tool(argv, env.v, NULL);
                /* pg_dump failing on a live store is the server's or the
                 * link's trouble, not a damaged store. */
                if (rc == -EBADMSG)
                        rc = -EIO;
        }
        pg_strv_free(&env);
        if (rc < 0)
                unlink(path);
        return rc;
}

/* The newest version in the archive's schema_migrations rows (a COPY
 * block in pg_restore's script), 0 when it has none. */
static int archive_version(const char *from, int *version)
{
        struct buf out = BUF_INIT(TOOL_CAPTURE_MAX);
        char *argv[] = {"pg_restore", "--data-only", "-t",         "schema_migrations",
                        "-f",         "-",           (char *)from, NULL};
        *version = 0;
        int rc = run_tool(argv, environ, &out);
        if (rc == 0 && buf_putc(&out, '\0') < 0)
                rc = -EFBIG;
        if (rc < 0) {
                buf_free(&out);
                return rc;
        }
        bool in_copy = false;
        for (char *line = out.data, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (!in_copy) {
                        in_copy = strncmp(line, "COPY ", 5) == 0 &&
                                  strstr(line, "schema_migrations ") != NULL;
                        continue;
                }
                if (strcmp(line, "\\.") == 0)
                        break;
                long v = strtol(line, NULL, 10);
                if (v > *version)
                        *version = (int)(v > 1000000 ? 1000000 : v);
        }
        buf_free(&out);
        return 0;
}

/* Everything of the store in the current schema that no extension owns
 * (PostGIS keeps spatial_ref_sys there): its tables, views and functions. */
#define STORE_OBJECTS                                                                              \
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "                           \
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p') "                \
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "        \
        "AND d.objid = c.oid AND d.deptype = 'e')"

static const char COUNT_STORE[] = "SELECT count(*) " STORE_OBJECTS;

static const char DROP_STORE[] =
    "DO $$ DECLARE r record; BEGIN "
    "FOR r IN SELECT c.relname, c.relkind " STORE_OBJECTS " LOOP "
    "IF r.relkind = 'v' THEN EXECUTE format('DROP VIEW IF EXISTS %I CASCADE', r.relname); "
    "ELSIF r.relkind = 'm' THEN EXECUTE format('DROP MATERIALIZED VIEW IF EXISTS %I CASCADE', "
    "r.relname); "
    "ELSE EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.relname); END IF; END LOOP; "
    "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = "
    "p.pronamespace WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM "
    "pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = "
    "'e') LOOP EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.f); END LOOP; END $$";

int postgis_store_restore(const struct store_options *opt, const char *from, bool force)
{
        struct store_options so = *opt;
        struct store *dst = NULL;
        struct pg_strv env = {0};
        if (!opt->dsn || !opt->dsn[0])
                return -EINVAL;
        if (access(from, R_OK) != 0)
                return -ENOENT;
        /* The archive must be whole and a store this binary can read
         * before the target is touched: reading it all to /dev/null finds
         * a truncated or foreign file. */
        char *verify[] = {"pg_restore", "-f", "/dev/null", (char *)from, NULL};
        int rc = run_tool(verify, environ, NULL);
        int v = 0;
        if (rc == 0)
                rc = archive_version(from, &v);
        if (rc == 0 && (v < 1 || v > pg_schema_n_migrations))
                rc = -EBADMSG;
        if (rc < 0)
                return rc;
        so.no_migrate = true;
        so.read_only = false;
        rc = postgis_store_open(&so, &dst);
        if (rc < 0)
                return rc;
        struct pg *b = PG(dst);
        int64_t n = 0;
        /* PostGIS needs a superuser: without it the restore would fail
         * half-way through its transaction; say why before. */
        rc = pg_query_int(b, &n, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'", "");
        if (rc == 0 && n == 0)
                rc = -ENOPKG;
        if (rc == 0)
                rc = pg_query_int(b, &n, COUNT_STORE, "");
        if (rc == 0 && n > 0 && !force)
                rc = -EEXIST;
        /* --force: the old store goes in one transaction; the archive is
         * known sound, so only the server failing now can leave it empty. */
        if (rc == 0 && n > 0)
                rc = pg_q(b, NULL, DROP_STORE, "");
        if (rc == 0)
                rc = tool_env_for(opt->dsn, &env);
        if (rc == 0) {
                /* One transaction: a restore that fails leaves nothing.
                 * The database is the environment's (-d "" reads
                 * PGDATABASE); comments are skipped, since only an
                 * extension's owner may comment on it. */
                char *argv[] = {"pg_restore",
                                "--single-transaction",
                                "--exit-on-error",
                                "--no-owner",
                                "--no-privileges",
                                "--no-comments",
                                "-d",
                                "",
                                (char *)from,
                                NULL};
                rc = run_tool(argv, env.v, NULL);
                if (rc == -EBADMSG)
                        rc = -EIO; /* the archive read fine: the server refused */
        }
        pg_strv_free(&env);
        if (rc == 0 && !opt->no_migrate)
                rc = store_migrate(dst, NULL);
        store_close(dst);
        return rc;
}
