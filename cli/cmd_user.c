/* sonae user add|list|passwd|disable|enable|display: staff accounts and
 * wall-screen display tokens (docs/operations.md).
 *
 * Passwords are read from standard input (one line), never from the
 * command line, and kept only as Argon2id hashes (libsodium
 * crypto_pwhash_str).  Display tokens are printed once; [data]
 * dir/display-tokens keeps only their hashes, and deleting a line revokes
 * the screen at its next request.  Every change goes to the audit log with
 * the actor "cli". */
#include "cli.h"
#include "config.h"
#include "store.h"
#include "store_city.h"
#include "tokens.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024

static int open_all(const struct cli_common *common, struct sonae_config **cfg, struct store **st)
{
        int r = daemon_load_config(common->config, NULL, cfg);
        if (r < 0)
                return r;
        r = store_open_config(*cfg, st);
        if (r < 0)
                fprintf(stderr, "sonae user: cannot open the store: %s\n", store_strerror(r));
        return r;
}

static int read_password(char *out, size_t cap)
{
        if (isatty(STDIN_FILENO))
                fprintf(stderr, "password (at least %d characters): ", PASSWORD_MIN);
        if (!fgets(out, (int)cap, stdin)) {
                fprintf(stderr, "sonae user: no password on standard input\n");
                return -EINVAL;
        }
        out[strcspn(out, "\r\n")] = 0;
        if (strlen(out) < PASSWORD_MIN) {
                fprintf(stderr, "sonae user: the password needs at least %d characters\n",
                        PASSWORD_MIN);
                return -EINVAL;
        }
        return 0;
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
        if (sodium_init() < 0 ||
            crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0) {
                fprintf(stderr, "sonae user: out of memory for Argon2id\n");
                return -ENOMEM;
        }
        return 0;
}

static bool name_ok(const char *n)
{
        size_t len = strlen(n);
        return len >= 1 && len <= 64 &&
               strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
                   len;
}

static int user_add(int argc, char **argv, struct store *st)
{
        struct store_user u = {0};
        int64_t shelters[64];
        char pw[PASSWORD_MAX + 2], hash[crypto_pwhash_STRBYTES], after[512];
        size_t n = 0;
        int r;
        if (argc < 3 || !name_ok(argv[2])) {
                fprintf(stderr, "usage: sonae user add NAME --role ROLE [--display-name TEXT] "
                                "[--shelter ID]... (password on standard input)\n");
                return -EINVAL;
        }
        u.name = argv[2];
        for (int i = 3; i < argc; i++) {
                if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
                        u.role = argv[++i];
                else if (strcmp(argv[i], "--display-name") == 0 && i + 1 < argc)
                        u.display_name = argv[++i];
                else if (strcmp(argv[i], "--shelter") == 0 && i + 1 < argc && n < 64) {
                        char *end = NULL;
                        long long v = strtoll(argv[++i], &end, 10);
                        if (!end || *end || v <= 0) {
                                fprintf(stderr, "sonae user: --shelter takes a shelter id\n");
                                return -EINVAL;
                        }
                        shelters[n++] = v;
                } else {
                        fprintf(stderr, "sonae user add: unknown argument %s\n", argv[i]);
                        return -EINVAL;
                }
        }
        if (!u.role || (strcmp(u.role, "viewer") && strcmp(u.role, "editor") &&
                        strcmp(u.role, "admin") && strcmp(u.role, "shelter_operator"))) {
                fprintf(stderr, "sonae user: --role viewer|editor|admin|shelter_operator\n");
                return -EINVAL;
        }
        if ((strcmp(u.role, "shelter_operator") == 0) != (n > 0)) {
                fprintf(stderr, "sonae user: a shelter_operator needs --shelter, and only it\n");
                return -EINVAL;
        }
        if ((r = read_password(pw, sizeof(pw))) < 0 || (r = hash_password(pw, hash)) < 0)
                goto out;
        u.password_hash = hash;
        u.shelter_ids = shelters;
        u.n_shelters = n;
        int64_t id = 0;
        r = store_user_add(st, &u, &id);
        if (r == -EEXIST) {
                fprintf(stderr, "sonae user: %s exists already\n", u.name);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "sonae user: %s\n", store_strerror(r));
                goto out;
        }
        char obj[96];
        snprintf(obj, sizeof(obj), "user:%s", u.name);
        snprintf(after, sizeof(after), "{\"role\":\"%s\",\"shelters\":%zu}", u.role, n);
        r = store_audit_add(st, 0, "cli", "user.add", obj, NULL, after);
        if (r == 0)
                printf("added %s (%s)\n", u.name, u.role);
out:
        sodium_memzero(pw, sizeof(pw));
        return r;
}

static int find_user(struct store *st, const char *name, struct store_user_list *l)
{
        int r = store_user_get(st, name, l);
        if (r == -ENOENT || (r == 0 && l->n == 0)) {
                fprintf(stderr, "sonae user: no user %s\n", name);
                return -ENOENT;
        }
        return r;
}

static int user_passwd(const char *name, struct store *st)
{
        struct store_user_list l = {0};
        char pw[PASSWORD_MAX + 2], hash[crypto_pwhash_STRBYTES];
        int r = find_user(st, name, &l);
        if (r < 0)
                goto out;
        if ((r = read_password(pw, sizeof(pw))) < 0 || (r = hash_password(pw, hash)) < 0)
                goto out;
        r = store_user_set_password(st, l.v[0].id, hash);
        if (r == 0) {
                char obj[96];
                snprintf(obj, sizeof(obj), "user:%s", name);
                r = store_audit_add(st, 0, "cli", "user.passwd", obj, NULL, NULL);
        }
        if (r == 0)
                printf("password of %s changed; their sessions end\n", name);
out:
        sodium_memzero(pw, sizeof(pw));
        store_user_list_free(&l);
        return r;
}

static int user_disable(const char *name, bool disabled, struct store *st)
{
        struct store_user_list l = {0};
        int r = find_user(st, name, &l);
        if (r == 0)
                r = store_user_set_disabled(st, l.v[0].id, disabled);
        if (r == 0) {
                char obj[96], before[32], after[32];
                snprintf(obj, sizeof(obj), "user:%s", name);
                snprintf(before, sizeof(before), "{\"disabled\":%s}",
                         l.v[0].disabled ? "true" : "false");
                snprintf(after, sizeof(after), "{\"disabled\":%s}", disabled ? "true" : "false");
                r = store_audit_add(st, 0, "cli", disabled ? "user.disable" : "user.enable", obj,
                                    before, after);
        }
        if (r == 0)
                printf("%s %s\n", name, disabled ? "disabled" : "enabled");
        store_user_list_free(&l);
        return r;
}

static int user_list(struct store *st)
{
        struct store_user_list l = {0};
        int r = store_users_list(st, &l);
        if (r < 0)
                return r;
        printf("%-24s %-17s %-8s %s\n", "name", "role", "state", "shelters");
        for (size_t i = 0; i < l.n; i++) {
                const struct store_user *u = &l.v[i];
                printf("%-24s %-17s %-8s", u->name, u->role, u->disabled ? "disabled" : "active");
                for (size_t k = 0; k < u->n_shelters; k++)
                        printf("%s%lld", k ? "," : " ", (long long)u->shelter_ids[k]);
                printf("\n");
        }
        store_user_list_free(&l);
        return 0;
}

/* Rewrites the display-token file without the line of `name` (and, with a
 * hash, appends the new line).  The file is replaced by rename. */
static int display_rewrite(const char *path, const char *name, const char *hex, bool *found)
{
        char tmp[4200], line[256];
        int r = 0;
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *in = fopen(path, "r");
        FILE *out = fopen(tmp, "w");
        if (!out) {
                r = -errno;
                goto out;
        }
        fchmod(fileno(out), 0600);
        fputs("# Wall-screen display tokens (sonae user display): NAME HASH\n", out);
        size_t nl = strlen(name);
        while (in && fgets(line, sizeof(line), in)) {
                if (line[0] == '#')
                        continue;
                if (strncmp(line, name, nl) == 0 && line[nl] == ' ') {
                        *found = true;
                        continue;
                }
                fputs(line, out);
        }
        if (hex)
                fprintf(out, "%s %s\n", name, hex);
        if (fclose(out) != 0 || rename(tmp, path) != 0)
                r = -errno;
        out = NULL;
out:
        if (in)
                fclose(in);
        if (out)
                fclose(out);
        return r;
}

static int user_display(int argc, char **argv, const struct sonae_config *cfg, struct store *st)
{
        char path[4096], line[256];
        int r = display_tokens_path(cfg, path, sizeof(path));
        if (r < 0)
                return r;
        if (cfg->data.dir && cfg->data.dir[0] && (r = cli_mkdirs(cfg->data.dir, 0750)) < 0) {
                fprintf(stderr, "sonae user display: %s: %s\n", cfg->data.dir, strerror(-r));
                return r;
        }
        if (argc >= 4 && (strcmp(argv[2], "add") == 0 || strcmp(argv[2], "revoke") == 0)) {
                const char *name = argv[3];
                bool add = strcmp(argv[2], "add") == 0, found = false;
                char tok[TOKEN_CHARS + 1], hex[2 * TOKEN_HASH_LEN + 1];
                unsigned char h[TOKEN_HASH_LEN];
                if (!name_ok(name)) {
                        fprintf(stderr, "sonae user display: NAME is [A-Za-z0-9._@-]{1,64}\n");
                        return -EINVAL;
                }
                if (add) {
                        if ((r = token_new(tok)) < 0 || (r = token_hash(tok, "display", h)) < 0)
                                return r;
                        token_hex(h, hex);
                }
                r = display_rewrite(path, name, add ? hex : NULL, &found);
                if (r < 0) {
                        fprintf(stderr, "sonae user display: %s: %s\n", path, strerror(-r));
                        return r;
                }
                if (!add && !found) {
                        fprintf(stderr, "sonae user display: no display token %s\n", name);
                        return -ENOENT;
                }
                char obj[96];
                snprintf(obj, sizeof(obj), "display:%s", name);
                r = store_audit_add(st, 0, "cli", add ? "display.add" : "display.revoke", obj, NULL,
                                    NULL);
                if (r == 0 && add)
                        printf("%s\n", tok);
                else if (r == 0)
                        printf("display token %s revoked\n", name);
                return r;
        }
        if (argc == 3 && strcmp(argv[2], "list") == 0) {
                FILE *f = fopen(path, "r");
                while (f && fgets(line, sizeof(line), f))
                        if (line[0] != '#')
                                printf("%.*s\n", (int)strcspn(line, " "), line);
                if (f)
                        fclose(f);
                return 0;
        }
        fprintf(stderr, "usage: sonae user display add NAME | revoke NAME | list\n");
        return -EINVAL;
}

int cmd_user(int argc, char **argv, const struct cli_common *common)
{
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        int r;
        if (argc < 2) {
                fprintf(stderr, "usage: sonae user add|list|passwd|disable|enable|display ...\n");
                return 2;
        }
        if ((r = open_all(common, &cfg, &st)) < 0)
                goto out;
        const char *v = argv[1];
        if (strcmp(v, "add") == 0)
                r = user_add(argc, argv, st);
        else if (strcmp(v, "list") == 0)
                r = user_list(st);
        else if (strcmp(v, "passwd") == 0 && argc == 3)
                r = user_passwd(argv[2], st);
        else if (strcmp(v, "disable") == 0 && argc == 3)
                r = user_disable(argv[2], true, st);
        else if (strcmp(v, "enable") == 0 && argc == 3)
                r = user_disable(argv[2], false, st);
        else if (strcmp(v, "display") == 0)
                r = user_display(argc, argv, cfg, st);
        else {
                fprintf(stderr, "usage: sonae user add|list|passwd NAME|disable NAME|enable "
                                "NAME|display ...\n");
                r = -EINVAL;
        }
out:
        store_close(st);
        conf_free(cfg);
        return r < 0 ? 1 : 0;
}
