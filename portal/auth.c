#include "auth.h"
#include "config.h"
#include "portal.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"
#include "tokens.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAX_ATTEMPTS    4096
#define FAIL_WINDOW_MS  (15 * 60 * 1000)
#define BLOCK_BASE_MS   (30 * 1000)
#define BLOCK_MAX_MS    (15 * 60 * 1000)
#define DISPLAY_MAX_AGE (400 * 24 * 3600)
/* last_seen_at is written at most this often per session (a write per
 * request would queue every reader behind the one write handle). */
#define TOUCH_EVERY_S 60

struct attempt {
        char key[96]; /* "u:NAME" or "a:ADDRESS" */
        int failures;
        int64_t first_ms, blocked_until_ms, last_ms;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct attempt attempts[MAX_ATTEMPTS];
static char display_path[4096];
static char data_dir[4096];
static char dummy_hash[crypto_pwhash_STRBYTES];

void portal_auth_configure(const struct sonae_config *cfg)
{
        char p[4096];
        if (display_tokens_path(cfg, p, sizeof(p)) < 0)
                p[0] = 0;
        pthread_mutex_lock(&mu);
        snprintf(display_path, sizeof(display_path), "%s", p);
        snprintf(data_dir, sizeof(data_dir), "%s",
                 cfg->data.dir && cfg->data.dir[0] ? cfg->data.dir : "data");
        pthread_mutex_unlock(&mu);
}

int portal_data_path(const char *rel, char *out, size_t cap)
{
        pthread_mutex_lock(&mu);
        int n = snprintf(out, cap, "%s/%s", data_dir, rel);
        pthread_mutex_unlock(&mu);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

const char *auth_role_name(enum auth_role r)
{
        switch (r) {
        case AUTH_DISPLAY:
                return "display";
        case AUTH_VIEWER:
                return "viewer";
        case AUTH_SHELTER_OPERATOR:
                return "shelter_operator";
        case AUTH_EDITOR:
                return "editor";
        case AUTH_ADMIN:
                return "admin";
        default:
                return "none";
        }
}

enum auth_role auth_role_parse(const char *s)
{
        if (!s)
                return AUTH_NONE;
        if (strcmp(s, "viewer") == 0)
                return AUTH_VIEWER;
        if (strcmp(s, "shelter_operator") == 0)
                return AUTH_SHELTER_OPERATOR;
        if (strcmp(s, "editor") == 0)
                return AUTH_EDITOR;
        if (strcmp(s, "admin") == 0)
                return AUTH_ADMIN;
        return AUTH_NONE;
}

/* The value of cookie `name` from the Cookie header, or false. */
static bool cookie_get(struct portal_req *req, const char *name, char *out, size_t cap)
{
        const char *h = portal_req_header(req, "Cookie");
        size_t nl = strlen(name);
        while (h && *h) {
                while (*h == ' ' || *h == ';')
                        h++;
                size_t len = strcspn(h, ";");
                if (len > nl && strncmp(h, name, nl) == 0 && h[nl] == '=') {
                        size_t vl = len - nl - 1;
                        if (vl >= cap)
                                return false;
                        memcpy(out, h + nl + 1, vl);
                        out[vl] = 0;
                        return true;
                }
                h += len;
        }
        return false;
}

static void set_cookie(struct portal_req *req, struct portal_resp *resp, int slot, const char *name,
                       const char *value, int max_age)
{
        /* Secure needs HTTPS: behind the proxy always; plain http only for a
         * client on loopback without a proxy (tests, local use). */
        snprintf(resp->set_cookie[slot], sizeof(resp->set_cookie[slot]),
                 "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s", name, value, max_age,
                 portal_req_loopback(req) ? "" : "; Secure");
}

/* Fills who from the store's user; -ENOENT when missing or disabled. */
static int load_user(struct portal_app *app, const char *name, struct auth_who *who)
{
        struct store *st = portal_store_acquire_primary(app);
        if (!st)
                return -EAGAIN;
        struct store_user_list l = {0};
        int rc = store_user_get(st, name, &l);
        portal_store_release_primary(app, st);
        if (rc < 0)
                return rc == -ENOENT ? -ENOENT : -EAGAIN;
        rc = -ENOENT;
        if (l.n == 1 && !l.v[0].disabled) {
                const struct store_user *u = &l.v[0];
                who->role = auth_role_parse(u->role);
                who->user_id = u->id;
                snprintf(who->name, sizeof(who->name), "%s", u->name);
                who->n_shelters = 0;
                for (size_t i = 0; i < u->n_shelters && i < AUTH_MAX_SHELTERS; i++)
                        who->shelters[who->n_shelters++] = u->shelter_ids[i];
                rc = who->role == AUTH_NONE ? -ENOENT : 0;
        }
        store_user_list_free(&l);
        return rc;
}

static bool display_check(const char *token, struct auth_who *who)
{
        char path[4096], name[64];
        pthread_mutex_lock(&mu);
        snprintf(path, sizeof(path), "%s", display_path);
        pthread_mutex_unlock(&mu);
        if (!path[0] || !display_token_check(path, token, name, sizeof(name)))
                return false;
        memset(who, 0, sizeof(*who));
        who->role = AUTH_DISPLAY;
        snprintf(who->name, sizeof(who->name), "display:%s", name);
        return true;
}

/* The session of the request's cookie, from the store: 0 with who filled,
 * -ENOENT, or -EAGAIN (store unavailable). */
static int session_identify(struct portal_req *req, struct auth_who *who)
{
        char sid[TOKEN_CHARS + 8];
        unsigned char h[TOKEN_HASH_LEN];
        if (!cookie_get(req, "sonae_session", sid, sizeof(sid)) || !token_valid(sid) ||
            token_hash(sid, "session", h) < 0)
                return -ENOENT;
        sodium_memzero(sid, sizeof(sid));
        struct portal_app *app = portal_req_app(req);
        int64_t now = time_now_ms() / 1000;
        /* From the primary: a replica may still hold a session ended a
         * moment ago, or miss one just opened. */
        struct store *st = portal_store_acquire_primary(app);
        if (!st)
                return -EAGAIN;
        struct store_session_list l = {0};
        int rc = store_session_get(st, h, now, &l);
        portal_store_release_primary(app, st);
        if (rc < 0)
                return rc == -ENOENT ? -ENOENT : -EAGAIN;
        char name[72];
        snprintf(name, sizeof(name), "%s", l.v[0].user_name);
        snprintf(who->csrf, sizeof(who->csrf), "%s", l.v[0].csrf);
        bool touch = now - l.v[0].last_seen_at >= TOUCH_EVERY_S;
        store_session_list_free(&l);
        rc = load_user(app, name, who);
        if (rc == 0 && touch && (st = portal_store_acquire_write(app))) {
                /* Best effort: last_seen_at is for staff, not for access. */
                (void)store_session_touch(st, h, now);
                portal_store_release_write(app, st);
        }
        return rc;
}

int auth_identify(struct portal_req *req, struct auth_who *who)
{
        memset(who, 0, sizeof(*who));
        int rc = session_identify(req, who);
        if (rc == 0 || rc == -EAGAIN)
                return rc;
        memset(who, 0, sizeof(*who));
        const char *authz = portal_req_header(req, "Authorization");
        char tok[TOKEN_CHARS + 8];
        if (authz && strncmp(authz, "Bearer ", 7) == 0 && display_check(authz + 7, who))
                return 0;
        if (cookie_get(req, "sonae_display", tok, sizeof(tok)) && display_check(tok, who))
                return 0;
        return -ENOENT;
}

/* Whether the request comes from this site: Origin, when sent, must be
 * this portal's base URL; Sec-Fetch-Site, when sent, must not be
 * cross-site. */
static bool same_site(struct portal_req *req)
{
        const char *sfs = portal_req_header(req, "Sec-Fetch-Site");
        if (sfs && strcmp(sfs, "same-origin") != 0 && strcmp(sfs, "none") != 0)
                return false;
        const char *origin = portal_req_header(req, "Origin");
        if (!origin)
                return true;
        char base[512];
        portal_req_base_url(req, base, sizeof(base));
        size_t bl = strlen(base);
        while (bl > 0 && base[bl - 1] == '/')
                base[--bl] = 0;
        return bl > 0 && strcmp(origin, base) == 0;
}

int auth_require(struct portal_req *req, struct portal_resp *resp, enum auth_role min, bool write,
                 struct auth_who *who)
{
        int rc = auth_identify(req, who);
        if (rc == -EAGAIN) {
                portal_resp_error(resp, 503, "store unavailable");
                return 1;
        }
        if (rc < 0) {
                portal_resp_error(resp, 401, "ログインが必要です (login required)");
                return 1;
        }
        if (write && who->role == AUTH_DISPLAY) {
                portal_resp_error(resp, 403,
                                  "表示用トークンは閲覧専用です (display token is read-only)");
                return 1;
        }
        if (write) {
                const char *csrf = portal_req_header(req, "X-CSRF-Token");
                if (!csrf || strlen(csrf) != strlen(who->csrf) || !who->csrf[0] ||
                    sodium_memcmp(csrf, who->csrf, strlen(who->csrf)) != 0) {
                        portal_resp_error(resp, 403, "CSRF token missing or wrong");
                        return 1;
                }
                if (!same_site(req)) {
                        portal_resp_error(resp, 403, "cross-site request refused");
                        return 1;
                }
        }
        /* A shelter operator passes only where its own checks follow. */
        bool ok = who->role == AUTH_SHELTER_OPERATOR
                      ? (min == AUTH_SHELTER_OPERATOR || min <= AUTH_VIEWER)
                      : who->role >= min;
        if (!ok) {
                portal_resp_error(resp, 403, "権限がありません (role not allowed)");
                return 1;
        }
        return 0;
}

bool auth_may_shelter(const struct auth_who *who, int64_t shelter_id)
{
        if (who->role >= AUTH_EDITOR)
                return true;
        if (who->role != AUTH_SHELTER_OPERATOR)
                return false;
        for (size_t i = 0; i < who->n_shelters; i++)
                if (who->shelters[i] == shelter_id)
                        return true;
        return false;
}

/* The attempt entry for key, created if needed (locked by the caller). */
static struct attempt *attempt_of(const char *key, int64_t now)
{
        struct attempt *free_slot = NULL, *oldest = NULL;
        for (size_t i = 0; i < MAX_ATTEMPTS; i++) {
                struct attempt *a = &attempts[i];
                if (a->key[0] && strcmp(a->key, key) == 0)
                        return a;
                bool stale =
                    !a->key[0] || (a->blocked_until_ms < now && now - a->last_ms > FAIL_WINDOW_MS);
                if (stale && !free_slot)
                        free_slot = a;
                if (!oldest || a->last_ms < oldest->last_ms)
                        oldest = a;
        }
        struct attempt *a = free_slot ? free_slot : oldest;
        memset(a, 0, sizeof(*a));
        snprintf(a->key, sizeof(a->key), "%s", key);
        a->first_ms = now;
        return a;
}

static void attempt_fail(struct attempt *a, int limit, int64_t now)
{
        if (now - a->first_ms > FAIL_WINDOW_MS && a->blocked_until_ms < now) {
                a->failures = 0;
                a->first_ms = now;
        }
        a->failures++;
        a->last_ms = now;
        if (a->failures >= limit) {
                int shift = a->failures - limit;
                int64_t d = BLOCK_BASE_MS << (shift > 5 ? 5 : shift);
                a->blocked_until_ms = now + (d > BLOCK_MAX_MS ? BLOCK_MAX_MS : d);
        }
}

int auth_login(struct portal_req *req, struct portal_resp *resp, const char *name,
               const char *password, struct auth_who *who, int *retry_s)
{
        char ukey[96], akey[96];
        int64_t now = time_now_ms();
        memset(who, 0, sizeof(*who));
        snprintf(ukey, sizeof(ukey), "u:%.64s", name);
        /* Behind the proxy every request comes from its address: count the
         * address the proxy appended last (the one it saw) instead. */
        const char *addr = portal_req_client(req);
        const char *xff = portal_req_header(req, "X-Forwarded-For");
        if (xff && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)) {
                const char *last = strrchr(xff, ',');
                addr = last ? last + 1 : xff;
                while (*addr == ' ')
                        addr++;
        }
        snprintf(akey, sizeof(akey), "a:%.64s", addr);
        pthread_mutex_lock(&mu);
        int64_t until = attempt_of(ukey, now)->blocked_until_ms;
        int64_t until_a = attempt_of(akey, now)->blocked_until_ms;
        pthread_mutex_unlock(&mu);
        if (until_a > until)
                until = until_a;
        if (until > now) {
                *retry_s = (int)((until - now + 999) / 1000);
                return 429;
        }
        if (sodium_init() < 0)
                return 503;

        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_primary(app);
        if (!st)
                return 503;
        struct store_user_list l = {0};
        int rc = store_user_get(st, name, &l);
        portal_store_release_primary(app, st);
        if (rc < 0 && rc != -ENOENT)
                return 503;
        bool ok = false;
        int64_t user_id = 0;
        if (l.n == 1) {
                const struct store_user *u = &l.v[0];
                ok = crypto_pwhash_str_verify(u->password_hash, password, strlen(password)) == 0 &&
                     !u->disabled;
                user_id = u->id;
        } else {
                /* Spend the same time on unknown names as on known ones. */
                pthread_mutex_lock(&mu);
                if (!dummy_hash[0] &&
                    crypto_pwhash_str_alg(dummy_hash, "x", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                          crypto_pwhash_ALG_ARGON2ID13) != 0)
                        dummy_hash[0] = 0;
                char dummy[sizeof(dummy_hash)];
                memcpy(dummy, dummy_hash, sizeof(dummy));
                pthread_mutex_unlock(&mu);
                if (dummy[0] && crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
                        ok = false; /* "x" matched; still no such user */
        }
        store_user_list_free(&l);
        now = time_now_ms();
        pthread_mutex_lock(&mu);
        if (!ok) {
                attempt_fail(attempt_of(ukey, now), AUTH_FAILS_ACCOUNT, now);
                attempt_fail(attempt_of(akey, now), AUTH_FAILS_ADDRESS, now);
                pthread_mutex_unlock(&mu);
                return 401;
        }
        struct attempt *a = attempt_of(ukey, now);
        memset(a, 0, sizeof(*a));
        pthread_mutex_unlock(&mu);

        /* A new id on every login: a planted cookie is never promoted.  The
         * store keeps only the id's hash, so neither a copy of the store nor
         * a backup opens a session. */
        char id[TOKEN_CHARS + 1], csrf[TOKEN_CHARS + 1];
        unsigned char h[TOKEN_HASH_LEN];
        if (token_new(id) < 0 || token_new(csrf) < 0 || token_hash(id, "session", h) < 0)
                return 503;
        rc = load_user(app, name, who);
        if (rc < 0)
                return rc == -ENOENT ? 401 : 503;
        int64_t now_s = now / 1000;
        st = portal_store_acquire_write(app);
        if (!st)
                return 503;
        /* Logins are rare: the moment to drop the sessions that ended. */
        rc = store_sessions_purge(st, now_s, NULL);
        if (rc == 0)
                rc = store_session_add(st, h, user_id, csrf, now_s, now_s + AUTH_SESSION_S);
        portal_store_release_write(app, st);
        if (rc < 0)
                return 503;
        memcpy(who->csrf, csrf, sizeof(csrf));
        set_cookie(req, resp, 0, "sonae_session", id, AUTH_SESSION_S);
        sodium_memzero(id, sizeof(id));
        return 0;
}

void auth_logout(struct portal_req *req, struct portal_resp *resp)
{
        char sid[TOKEN_CHARS + 8];
        unsigned char h[TOKEN_HASH_LEN];
        if (cookie_get(req, "sonae_session", sid, sizeof(sid)) && token_valid(sid) &&
            token_hash(sid, "session", h) == 0) {
                struct portal_app *app = portal_req_app(req);
                struct store *st = portal_store_acquire_write(app);
                if (st) {
                        (void)store_session_delete(st, h);
                        portal_store_release_write(app, st);
                }
        }
        set_cookie(req, resp, 0, "sonae_session", "", 0);
}

bool auth_display_login(struct portal_req *req, struct portal_resp *resp, const char *token,
                        struct auth_who *who)
{
        if (!display_check(token, who))
                return false;
        set_cookie(req, resp, 1, "sonae_display", token, DISPLAY_MAX_AGE);
        return true;
}
