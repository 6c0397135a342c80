/* sonae-portald's HTTP server on libmicrohttpd (0.9.75 in Debian 12).
 *
 * Threads: MHD's internal epoll thread pool runs every handler.  The first
 * call of the access handler for a request only sets up state; answering
 * there would make 0.9.75 close the connection, so every answer is queued
 * from a later call and keep-alive works.
 *
 * Caches: public answers are rendered once into MHD response objects (plain,
 * gzip and 304 forms) and reused by every connection until they expire or
 * the store changes (portal_app_invalidate); static files are kept the same
 * way until the file's size, mtime or inode changes. */
#include "collections.h"
#include "gzip.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "ogc.h"
#include "portal.h"
#include "store.h"
#include "store_sources.h"
#include "storepool.h"
#include "auth.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_COLLECTIONS  32
#define CACHE_BUCKETS    1024
#define API_CACHE_MAX    4096
#define API_CACHE_BYTES  ((size_t)256 * 1024 * 1024)
#define STATIC_MAX       4096
#define STATIC_BYTES     ((size_t)256 * 1024 * 1024)
#define MAX_PATH_PARAMS  4
#define GZIP_MIN_BYTES   256
#define ANSWER_MAX_BYTES ((size_t)64 * 1024 * 1024)

struct settings {
        _Atomic int refs;
        char *listen;
        char *web_root;
        char *web_root_real; /* realpath, for symlink confinement; NULL if absent */
        char *public_base_url;
        size_t max_body;
        unsigned max_connections;
        unsigned timeout_s;
        bool events_without_auth;
        bool exercise;
        double walk_speed;
        bool all_exercise; /* [demo] all_exercise: the whole store is a drill */
};

struct centry {
        struct centry *next;
        char *key;
        uint64_t hash;
        int refs;
        int64_t expires_ms; /* monotonic; INT64_MAX for static files */
        uint64_t generation;
        /* static files: what the entry was built from */
        int64_t mtime_ns;
        off_t size;
        ino_t ino;
        size_t bytes;
        int status;
        char etag[112];
        char etag_gz[120];
        struct MHD_Response *plain, *gz, *nm, *nm_gz;
        /* The gzip form is made on the first request that admits it: an
         * answer nobody asks compressed never pays for deflate. */
        pthread_mutex_t gz_mu;
        bool gz_done, compressible;
        /* Public API data may be read by other sites' pages (maps, OGC
         * clients): no credentials are involved, so any origin may. */
        bool cors;
        const char *body; /* owned by plain (freed with it) */
        size_t len;
        const char *type; /* static */
        char cc[96];
        char vary[64];
        char disposition[128];
};

struct rcache {
        pthread_mutex_t mu;
        struct centry *b[CACHE_BUCKETS];
        size_t n, max, bytes, max_bytes;
};

struct waiter {
        struct MHD_Connection *conn;
        struct waiter *next;
};

struct portal_app {
        pthread_mutex_t mu; /* settings pointer, waiters, daemon swap */
        struct settings *set;
        struct MHD_Daemon *mhd;
        uint16_t port;
        const struct portal_route **routes;
        size_t n_routes;
        const char **labels; /* routes' names + "static" + "unmatched" */
        struct metrics *metrics;
        struct rcache api, files;
        _Atomic uint64_t generation;
        _Atomic bool stopping;
        const struct ogc_collection *colls[MAX_COLLECTIONS];
        size_t n_colls;
        struct waiter *waiters; /* suspended streams */
        struct store_pool *pool;
        struct store_pool *writer;  /* staff writes (portal/auth.h) */
        struct store_pool *primary; /* reads of sessions beside a replica, or NULL */
        int64_t event_seq;          /* newest event id seen by the tick; under mu */
        int64_t last_wake_ms;
        _Atomic unsigned conns;             /* open connections, counted exactly */
        _Atomic unsigned max_conns;         /* [portal] max_connections in force */
        struct log_complain store_complain; /* handlers' store trouble; under mu */
        _Atomic bool store_troubled;
        _Atomic bool listening; /* portal/listen.h hears the store's events */
        int64_t last_poll_ms;   /* the tick's last look at the events (tick only) */
};

struct portal_req {
        struct portal_app *app;
        struct settings *set;
        struct MHD_Connection *conn;
        char *uri; /* raw, with the query */
        char *path;
        const char *method;
        int calls;
        struct buf body;
        bool too_large;
        int64_t t0_us;
        ssize_t route; /* index, or -1 */
        size_t label;
        int status;
        size_t bytes;
        bool loopback;
        bool proxied;
        char client[64];
        const char *pnames[MAX_PATH_PARAMS];
        char *pvals[MAX_PATH_PARAMS];
        size_t n_pvals;
        char *pathbuf; /* segments for path params */
        struct portal_stream stream;
        struct MHD_Daemon *mhd; /* the daemon (not the pool worker) it came in on */
        bool streaming;
        bool suspended;
};

/* ---- settings ---- */

static void settings_unref(struct settings *s)
{
        if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
                return;
        free(s->listen);
        free(s->web_root);
        free(s->web_root_real);
        free(s->public_base_url);
        free(s);
}

static struct settings *settings_from(const struct sonae_config *cfg)
{
        struct settings *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        atomic_init(&s->refs, 1);
        s->listen = strdup(cfg->portal.listen ? cfg->portal.listen : "127.0.0.1:8080");
        s->web_root = strdup(cfg->portal.web_root ? cfg->portal.web_root : "web");
        s->public_base_url = strdup(cfg->portal.public_base_url ? cfg->portal.public_base_url : "");
        s->max_body = (size_t)cfg->portal.max_body;
        s->max_connections =
            cfg->portal.max_connections > 0 ? (unsigned)cfg->portal.max_connections : 3000;
        s->timeout_s = cfg->portal.timeout > 0 ? (unsigned)cfg->portal.timeout : 30;
        s->events_without_auth = cfg->portal.events_without_auth;
        s->exercise = cfg->jma.exercise;
        s->walk_speed = cfg->portal.walk_speed;
        s->all_exercise = cfg->demo.all_exercise;
        if (!s->listen || !s->web_root || !s->public_base_url) {
                settings_unref(s);
                return NULL;
        }
        /* A trailing slash would double in links. */
        size_t l = strlen(s->public_base_url);
        while (l > 0 && s->public_base_url[l - 1] == '/')
                s->public_base_url[--l] = '\0';
        s->web_root_real = realpath(s->web_root, NULL);
        return s;
}

static struct settings *settings_get(struct portal_app *app)
{
        pthread_mutex_lock(&app->mu);
        struct settings *s = app->set;
        atomic_fetch_add(&s->refs, 1);
        pthread_mutex_unlock(&app->mu);
        return s;
}

/* ---- answer caches ---- */

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

static void centry_free(struct centry *e)
{
        if (!e)
                return;
        if (e->plain)
                MHD_destroy_response(e->plain);
        if (e->gz)
                MHD_destroy_response(e->gz);
        if (e->nm)
                MHD_destroy_response(e->nm);
        if (e->nm_gz)
                MHD_destroy_response(e->nm_gz);
        if (!e->plain)
                free((void *)e->body);
        pthread_mutex_destroy(&e->gz_mu);
        free(e->key);
        free(e);
}

static void rcache_init(struct rcache *c, size_t max, size_t max_bytes)
{
        memset(c, 0, sizeof(*c));
        pthread_mutex_init(&c->mu, NULL);
        c->max = max;
        c->max_bytes = max_bytes;
}

/* Unlinks every entry for which drop() is true; the caller holds the lock. */
static void rcache_sweep(struct rcache *c, bool (*drop)(struct centry *, void *), void *ctx)
{
        for (size_t i = 0; i < CACHE_BUCKETS; i++) {
                struct centry **pp = &c->b[i];
                while (*pp) {
                        struct centry *e = *pp;
                        if (drop(e, ctx)) {
                                *pp = e->next;
                                c->n--;
                                c->bytes -= e->bytes;
                                if (--e->refs == 0)
                                        centry_free(e);
                        } else
                                pp = &e->next;
                }
        }
}

static bool drop_all(struct centry *e, void *ctx)
{
        (void)e;
        (void)ctx;
        return true;
}

static bool drop_expired(struct centry *e, void *ctx)
{
        return e->expires_ms <= *(int64_t *)ctx;
}

static void rcache_clear(struct rcache *c)
{
        pthread_mutex_lock(&c->mu);
        rcache_sweep(c, drop_all, NULL);
        pthread_mutex_unlock(&c->mu);
}

static void rcache_destroy(struct rcache *c)
{
        rcache_clear(c);
        pthread_mutex_destroy(&c->mu);
}

/* Returns a referenced entry or NULL. */
static struct centry *rcache_get(struct rcache *c, const char *key)
{
        uint64_t h = hash_str(key);
        pthread_mutex_lock(&c->mu);
        struct centry *e = c->b[h % CACHE_BUCKETS];
        while (e && (e->hash != h || strcmp(e->key, key) != 0))
                e = e->next;
        if (e)
                e->refs++;
        pthread_mutex_unlock(&c->mu);
        return e;
}

static void rcache_release(struct rcache *c, struct centry *e)
{
        if (!e)
                return;
        pthread_mutex_lock(&c->mu);
        bool last = --e->refs == 0;
        pthread_mutex_unlock(&c->mu);
        if (last)
                centry_free(e);
}

/* Inserts e (which the caller keeps one reference to), replacing an entry
 * with the same key. */
static void rcache_put(struct rcache *c, struct centry *e)
{
        e->hash = hash_str(e->key);
        pthread_mutex_lock(&c->mu);
        struct centry **pp = &c->b[e->hash % CACHE_BUCKETS];
        while (*pp) {
                struct centry *o = *pp;
                if (o->hash == e->hash && strcmp(o->key, e->key) == 0) {
                        *pp = o->next;
                        c->n--;
                        c->bytes -= o->bytes;
                        if (--o->refs == 0)
                                centry_free(o);
                        break;
                }
                pp = &o->next;
        }
        if (c->n + 1 > c->max || c->bytes + e->bytes > c->max_bytes) {
                int64_t now = time_mono_ms();
                rcache_sweep(c, drop_expired, &now);
                /* Still full: a flood of distinct queries.  Start over rather
                 * than track recency on every hit. */
                if (c->n + 1 > c->max || c->bytes + e->bytes > c->max_bytes)
                        rcache_sweep(c, drop_all, NULL);
        }
        e->refs++;
        e->next = c->b[e->hash % CACHE_BUCKETS];
        c->b[e->hash % CACHE_BUCKETS] = e;
        c->n++;
        c->bytes += e->bytes;
        pthread_mutex_unlock(&c->mu);
}

static void add_common_headers(struct MHD_Response *r, const char *type, const char *cc,
                               const char *vary, const char *etag)
{
        if (type)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (cc)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
        if (vary)
                MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, vary);
        if (etag)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

/* Builds a cache entry from a finished body, taking ownership of body
 * (malloc'd; freed even on failure). */
static struct centry *centry_build(const char *key, int status, const char *type, const char *cc,
                                   const char *vary_extra, char *body, size_t len,
                                   const char *disposition, bool cors, const char *etag_suffix)
{
        struct centry *e = calloc(1, sizeof(*e));
        if (!e) {
                free(body);
                return NULL;
        }
        pthread_mutex_init(&e->gz_mu, NULL);
        e->body = body;
        e->len = len;
        e->refs = 1;
        e->status = status;
        e->type = type;
        e->cors = cors;
        snprintf(e->cc, sizeof(e->cc), "%s", cc ? cc : "");
        snprintf(e->disposition, sizeof(e->disposition), "%s", disposition ? disposition : "");
        if (!(e->key = strdup(key)))
                goto fail;
        char sfx[80] = "";
        if (etag_suffix && etag_suffix[0])
                snprintf(sfx, sizeof(sfx), "-%.72s", etag_suffix);
        http_etag_of(body, len, sfx, e->etag, sizeof(e->etag));
        /* The gzip form's tag: the same hash and suffix, marked. */
        snprintf(e->etag_gz, sizeof(e->etag_gz), "%.*s-gz\"", (int)strlen(e->etag) - 1, e->etag);
        e->compressible = len >= GZIP_MIN_BYTES && http_type_compressible(type);
        snprintf(e->vary, sizeof(e->vary), "%s%s%s", e->compressible ? "Accept-Encoding" : "",
                 e->compressible && vary_extra ? ", " : "", vary_extra ? vary_extra : "");
        const char *v = e->vary[0] ? e->vary : NULL;
        e->plain = MHD_create_response_from_buffer_with_free_callback(len, body, free);
        if (!e->plain)
                goto fail;
        e->nm = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!e->nm)
                goto fail;
        add_common_headers(e->plain, type, e->cc, v, e->etag);
        if (e->disposition[0])
                MHD_add_response_header(e->plain, "Content-Disposition", e->disposition);
        if (e->cors)
                MHD_add_response_header(e->plain, "Access-Control-Allow-Origin", "*");
        add_common_headers(e->nm, NULL, e->cc, v, e->etag);
        e->bytes = len + 512;
        return e;
fail:
        centry_free(e);
        return NULL;
}

/* Makes the gzip form once; keeps it only when it saves a tenth or more. */
static void centry_gzip(struct centry *e)
{
        pthread_mutex_lock(&e->gz_mu);
        if (e->gz_done)
                goto out;
        e->gz_done = true;
        struct buf gz = BUF_INIT(ANSWER_MAX_BYTES);
        if (gzip_compress(e->body, e->len, &gz) == 0 && gz.len < e->len - e->len / 10) {
                size_t glen = gz.len;
                char *g = buf_steal(&gz, NULL);
                struct MHD_Response *r =
                    MHD_create_response_from_buffer_with_free_callback(glen, g, free);
                struct MHD_Response *nm =
                    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
                if (!r || !nm) {
                        if (r)
                                MHD_destroy_response(r);
                        else
                                free(g);
                        if (nm)
                                MHD_destroy_response(nm);
                        goto out;
                }
                const char *v = e->vary[0] ? e->vary : NULL;
                add_common_headers(r, e->type, e->cc, v, e->etag_gz);
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
                if (e->cors)
                        MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
                if (e->disposition[0])
                        MHD_add_response_header(r, "Content-Disposition", e->disposition);
                add_common_headers(nm, NULL, e->cc, v, e->etag_gz);
                e->nm_gz = nm;
                /* Published last: readers test e->gz without the lock. */
                __atomic_store_n(&e->gz, r, __ATOMIC_RELEASE);
        }
        buf_free(&gz);
out:
        pthread_mutex_unlock(&e->gz_mu);
}

/* ---- answering ---- */

static enum MHD_Result queue(struct portal_req *rq, int status, struct MHD_Response *r,
                             size_t bytes)
{
        rq->status = status;
        rq->bytes = bytes;
        return MHD_queue_response(rq->conn, (unsigned)status, r);
}

static enum MHD_Result answer_text(struct portal_req *rq, int status, const char *type,
                                   const char *body, const char *allow)
{
        size_t len = strlen(body);
        struct MHD_Response *r =
            MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO;
        add_common_headers(r, type, "no-store", NULL, NULL);
        if (allow)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        enum MHD_Result res = queue(rq, status, r, len);
        MHD_destroy_response(r);
        return res;
}

static enum MHD_Result answer_error(struct portal_req *rq, int status, const char *msg,
                                    const char *allow)
{
        struct portal_resp resp;
        memset(&resp, 0, sizeof(resp));
        buf_init(&resp.body, 4096);
        portal_resp_error(&resp, status, msg);
        enum MHD_Result r = answer_text(rq, status, "application/json",
                                        resp.body.data ? resp.body.data : "{}", allow);
        buf_free(&resp.body);
        return r;
}

/* Sends a cached entry: 304 when If-None-Match matches, gzip when admitted. */
static enum MHD_Result answer_entry(struct portal_req *rq, struct centry *e)
{
        const char *ae =
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
        bool use_gz = false;
        if (e->compressible && http_accepts_gzip(ae)) {
                if (!__atomic_load_n(&e->gz, __ATOMIC_ACQUIRE))
                        centry_gzip(e);
                use_gz = __atomic_load_n(&e->gz, __ATOMIC_ACQUIRE) != NULL;
        }
        const char *inm =
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (inm && e->status == 200 &&
            (http_etag_matches(inm, e->etag) ||
             (e->compressible && http_etag_matches(inm, e->etag_gz))))
                return queue(rq, 304, use_gz ? e->nm_gz : e->nm, 0);
        struct MHD_Response *r = use_gz ? e->gz : e->plain;
        return queue(rq, e->status, r, 0);
}

/* ---- static files ---- */

static bool path_has_dotdot(const char *p)
{
        for (const char *s = strstr(p, ".."); s; s = strstr(s + 1, ".."))
                if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
                        return true;
        return false;
}

static const char *static_cache_control(const char *path, const char *type)
{
        if (strncmp(type, "text/html", 9) == 0)
                return "no-cache";
        if (http_name_is_hashed(path))
                return "public, max-age=31536000, immutable";
        return "public, max-age=3600";
}

static enum MHD_Result serve_static(struct portal_req *rq)
{
        struct portal_app *app = rq->app;
        const char *path = rq->path;
        rq->label = app->n_routes; /* "static" */
        if (path_has_dotdot(path) || strchr(path, '\\'))
                return answer_error(rq, 400, "path not allowed", NULL);
        if (http_path_safe(path) < 0)
                return answer_error(rq, 404, "見つかりません (not found)", NULL);
        char full[PATH_MAX];
        size_t pl = strlen(path);
        int n = snprintf(full, sizeof(full), "%s%s%s", rq->set->web_root, path,
                         path[pl - 1] == '/' ? "index.html" : "");
        if (n < 0 || (size_t)n >= sizeof(full))
                return answer_error(rq, 414, "path too long", NULL);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                /* A folder without its slash: send the browser to it. */
                char loc[PATH_MAX];
                snprintf(loc, sizeof(loc), "%s/", path);
                struct MHD_Response *r =
                    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
                if (!r)
                        return MHD_NO;
                MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
                enum MHD_Result res = queue(rq, 301, r, 0);
                MHD_destroy_response(r);
                return res;
        }
        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
                return answer_error(rq, 404, "見つかりません (not found)", NULL);
        int64_t mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        struct centry *e = rcache_get(&app->files, full);
        if (e && (e->mtime_ns != mtime_ns || e->size != st.st_size || e->ino != st.st_ino)) {
                rcache_release(&app->files, e);
                e = NULL;
        }
        if (!e) {
                /* Confine symlinks to the web root. */
                char *real = realpath(full, NULL);
                size_t rl = rq->set->web_root_real ? strlen(rq->set->web_root_real) : 0;
                bool inside =
                    real && rl && strncmp(real, rq->set->web_root_real, rl) == 0 && real[rl] == '/';
                free(real);
                if (!inside)
                        return answer_error(rq, 404, "見つかりません (not found)", NULL);
                if (st.st_size > PORTAL_MAX_STATIC_CACHED) {
                        /* Large files go straight from the file, uncompressed. */
                        int fd = open(full, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return answer_error(rq, 404, "見つかりません (not found)", NULL);
                        struct MHD_Response *r =
                            MHD_create_response_from_fd((uint64_t)st.st_size, fd);
                        if (!r) {
                                close(fd);
                                return MHD_NO;
                        }
                        const char *type = http_mime_type(full);
                        add_common_headers(r, type, static_cache_control(full, type), NULL, NULL);
                        enum MHD_Result res = queue(rq, 200, r, (size_t)st.st_size);
                        MHD_destroy_response(r);
                        return res;
                }
                struct buf data = BUF_INIT(PORTAL_MAX_STATIC_CACHED + 1);
                FILE *f = fopen(full, "rb");
                if (!f)
                        return answer_error(rq, 404, "見つかりません (not found)", NULL);
                char chunk[65536];
                size_t got;
                int rc = 0;
                while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                        if ((rc = buf_append(&data, chunk, got)) < 0)
                                break;
                fclose(f);
                if (rc < 0) {
                        buf_free(&data);
                        return answer_error(rq, 500, "file could not be read", NULL);
                }
                const char *type = http_mime_type(full);
                size_t dlen = data.len;
                char *dptr = data.data ? buf_steal(&data, NULL) : strdup("");
                e = centry_build(full, 200, type, static_cache_control(full, type), NULL, dptr,
                                 dlen, NULL, false, NULL);
                buf_free(&data);
                if (!e)
                        return answer_error(rq, 500, "out of memory", NULL);
                e->mtime_ns = mtime_ns;
                e->size = st.st_size;
                e->ino = st.st_ino;
                e->expires_ms = INT64_MAX;
                rcache_put(&app->files, e);
        }
        enum MHD_Result res = answer_entry(rq, e);
        rq->bytes = (size_t)st.st_size;
        rcache_release(&app->files, e);
        return res;
}

/* ---- routes ---- */

/* Matches path against pattern; fills path parameters into rq. */
static bool route_match(struct portal_req *rq, const char *pattern, const char *path)
{
        const char *p = pattern, *s = path;
        rq->n_pvals = 0;
        char *w = rq->pathbuf;
        while (*p && *s) {
                if (*p == '{') {
                        const char *pe = strchr(p, '}');
                        const char *se = strchr(s, '/');
                        if (!pe || rq->n_pvals >= MAX_PATH_PARAMS)
                                return false;
                        size_t sl = se ? (size_t)(se - s) : strlen(s);
                        if (sl == 0)
                                return false;
                        rq->pnames[rq->n_pvals] = p + 1; /* up to '}' */
                        memcpy(w, s, sl);
                        w[sl] = '\0';
                        rq->pvals[rq->n_pvals++] = w;
                        w += sl + 1;
                        p = pe + 1;
                        s += sl;
                        continue;
                }
                if (*p != *s)
                        return false;
                p++;
                s++;
        }
        return *p == '\0' && *s == '\0';
}

struct qcheck {
        const struct portal_route *route;
        char err[160];
        bool bad;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
        struct qcheck *q = cls;
        (void)kind;
        if (!key || strlen(key) != key_size) {
                snprintf(q->err, sizeof(q->err), "parameter name contains NUL");
                q->bad = true;
                return MHD_NO;
        }
        for (size_t i = 0; i < ROUTE_MAX_PARAMS && q->route->params[i].name; i++) {
                const struct portal_param *p = &q->route->params[i];
                if (strcmp(p->name, key) != 0)
                        continue;
                if (http_param_check(p, value ? value : "", value ? value_size : 0, q->err,
                                     sizeof(q->err)) < 0) {
                        q->bad = true;
                        return MHD_NO;
                }
        }
        return MHD_YES;
}

static enum MHD_Result run_route(struct portal_req *rq, const struct portal_route *rt)
{
        struct portal_app *app = rq->app;
        if ((rt->flags & ROUTE_LOOPBACK) && (!rq->loopback || rq->proxied))
                return answer_error(rq, 403, "only from the server itself", NULL);
        for (size_t i = 0; i < rq->n_pvals; i++) {
                struct portal_param idp = {.name = "path", .type = PARAM_ID, .max_len = 128};
                char err[160];
                if (http_param_check(&idp, rq->pvals[i], strlen(rq->pvals[i]), err, sizeof(err)) <
                    0)
                        return answer_error(rq, 400, err, NULL);
        }
        struct qcheck q = {.route = rt};
        MHD_get_connection_values_n(rq->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
        if (q.bad)
                return answer_error(rq, 400, q.err, NULL);

        bool get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
        bool cacheable = get && (rt->flags & ROUTE_PUBLIC) && rt->cache_ms > 0;
        char key[PORTAL_CONN_MEMORY + 16];
        uint64_t gen = atomic_load(&app->generation);
        if (cacheable) {
                bool csv = false;
                if (rt->flags & ROUTE_VARY_ACCEPT)
                        csv = http_accepts_csv(MHD_lookup_connection_value(
                            rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
                snprintf(key, sizeof(key), "%s|%s", csv ? "csv" : "", rq->uri);
                struct centry *e = rcache_get(&app->api, key);
                if (e && e->generation == gen && e->expires_ms > time_mono_ms()) {
                        enum MHD_Result res = answer_entry(rq, e);
                        rcache_release(&app->api, e);
                        return res;
                }
                rcache_release(&app->api, e);
        }

        struct portal_resp resp;
        memset(&resp, 0, sizeof(resp));
        resp.status = 200;
        resp.content_type = "application/json";
        buf_init(&resp.body, ANSWER_MAX_BYTES);
        int hr = rt->handler(rq, &resp);
        enum MHD_Result res;
        if (hr < 0 && (store_err_is_trouble(hr) || hr == -EBUSY)) {
                /* The store (a replica, a server) went away or is locked:
                 * a passing condition, not a fault of the request. */
                buf_free(&resp.body);
                pthread_mutex_lock(&app->mu);
                app->store_troubled = true;
                log_complain(&app->store_complain, LOG_LVL_WARN, "%s: store unavailable: %s",
                             rt->name, store_strerror(hr));
                pthread_mutex_unlock(&app->mu);
                return answer_error(rq, 503, "データベースに接続できません (store unavailable)",
                                    NULL);
        }
        if (hr >= 0 && app->store_troubled) {
                pthread_mutex_lock(&app->mu);
                if (app->store_troubled)
                        log_recovered(&app->store_complain, "store available again");
                app->store_troubled = false;
                pthread_mutex_unlock(&app->mu);
        }
        if (hr < 0) {
                buf_free(&resp.body);
                log_err("%s: handler failed: %s", rt->name, strerror(-hr));
                return answer_error(rq, 500, "internal error", NULL);
        }
        if (resp.stream.read) {
                rq->stream = resp.stream;
                rq->streaming = true;
                buf_free(&resp.body);
                return MHD_YES; /* answered by the caller */
        }
        if (resp.status == 405 || resp.status >= 400 || resp.status < 200) {
                res = answer_text(rq, resp.status, resp.content_type,
                                  resp.body.data ? resp.body.data : "", resp.allow);
                buf_free(&resp.body);
                return res;
        }
        const char *vary = (rt->flags & ROUTE_VARY_ACCEPT) ? "Accept" : NULL;
        size_t len = resp.body.len;
        if (!(rt->flags & ROUTE_PUBLIC) || !get) {
                /* Private answers carry no ETag and are never kept. */
                struct MHD_Response *r = MHD_create_response_from_buffer(
                    len, resp.body.data ? resp.body.data : (void *)"", MHD_RESPMEM_MUST_COPY);
                buf_free(&resp.body);
                if (!r)
                        return MHD_NO;
                add_common_headers(r, resp.content_type, "no-store", vary, NULL);
                if (resp.disposition[0])
                        MHD_add_response_header(r, "Content-Disposition", resp.disposition);
                for (size_t i = 0; i < 2; i++)
                        if (resp.set_cookie[i][0])
                                MHD_add_response_header(r, "Set-Cookie", resp.set_cookie[i]);
                res = queue(rq, resp.status, r, len);
                MHD_destroy_response(r);
                return res;
        }
        char cc[96];
        if (resp.max_age > 0)
                snprintf(cc, sizeof(cc), "public, max-age=%d, immutable", resp.max_age);
        else
                snprintf(cc, sizeof(cc), "public, max-age=%d", rt->max_age);
        char *owned = resp.body.data ? buf_steal(&resp.body, NULL) : strdup("");
        struct centry *e =
            centry_build(cacheable ? key : rq->uri, resp.status, resp.content_type, cc, vary, owned,
                         len, resp.disposition, true, resp.etag_suffix);
        buf_free(&resp.body);
        if (!e)
                return answer_error(rq, 500, "out of memory", NULL);
        if (cacheable && !resp.no_cache) {
                e->generation = gen;
                e->expires_ms = time_mono_ms() + rt->cache_ms;
                rcache_put(&app->api, e);
        }
        res = answer_entry(rq, e);
        rq->bytes = len;
        rcache_release(&app->api, e);
        return res;
}

/* ---- streams (SSE) ---- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct portal_req *rq = cls;
        (void)pos;
        if (atomic_load(&rq->app->stopping))
                return MHD_CONTENT_READER_END_OF_STREAM;
        long n = rq->stream.read(rq->stream.ctx, buf, max);
        if (n < 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (n > 0) {
                rq->bytes += (size_t)n;
                return n;
        }
        /* Nothing to send: park the connection until portal_app_wake_streams().
         * Returning 0 without suspending would spin in the internal thread. */
        struct waiter *w = malloc(sizeof(*w));
        if (!w)
                return MHD_CONTENT_READER_END_OF_STREAM;
        w->conn = rq->conn;
        pthread_mutex_lock(&rq->app->mu);
        /* Another daemon took over (a reload moved the listen address):
         * end this stream so the old daemon can stop. */
        if (rq->mhd != rq->app->mhd) {
                pthread_mutex_unlock(&rq->app->mu);
                free(w);
                return MHD_CONTENT_READER_END_OF_STREAM;
        }
        /* Data arrived between read() and here: read again instead of
         * sleeping until the next wake. */
        if (rq->stream.should_wait && !rq->stream.should_wait(rq->stream.ctx, rq->app->event_seq)) {
                pthread_mutex_unlock(&rq->app->mu);
                free(w);
                return 0;
        }
        w->next = rq->app->waiters;
        rq->app->waiters = w;
        rq->suspended = true;
        MHD_suspend_connection(rq->conn);
        pthread_mutex_unlock(&rq->app->mu);
        return 0;
}

void portal_app_wake_streams(struct portal_app *app)
{
        pthread_mutex_lock(&app->mu);
        struct waiter *w = app->waiters;
        app->waiters = NULL;
        while (w) {
                struct waiter *next = w->next;
                MHD_resume_connection(w->conn);
                free(w);
                w = next;
        }
        pthread_mutex_unlock(&app->mu);
}

static enum MHD_Result answer_stream(struct portal_req *rq)
{
        struct MHD_Response *r =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, rq, NULL);
        if (!r)
                return MHD_NO;
        add_common_headers(r, "text/event-stream; charset=utf-8", "no-store", NULL, NULL);
        MHD_add_response_header(r, "X-Accel-Buffering", "no");
        enum MHD_Result res = queue(rq, 200, r, 0);
        MHD_destroy_response(r);
        return res;
}

/* ---- MHD callbacks ---- */

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
        struct portal_app *app = cls;
        struct portal_req *rq = calloc(1, sizeof(*rq));
        if (!rq)
                return NULL;
        rq->app = app;
        rq->conn = conn;
        rq->uri = strdup(uri ? uri : "");
        rq->set = settings_get(app);
        pthread_mutex_lock(&app->mu);
        rq->mhd = app->mhd;
        pthread_mutex_unlock(&app->mu);
        rq->route = -1;
        rq->label = app->n_routes + 1; /* "unmatched" */
        rq->t0_us = time_mono_ms() * 1000;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rq->t0_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        buf_init(&rq->body, rq->set->max_body);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
                const struct sockaddr *sa = ci->client_addr;
                if (sa->sa_family == AF_INET) {
                        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
                        inet_ntop(AF_INET, &a->sin_addr, rq->client, sizeof(rq->client));
                        rq->loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
                } else if (sa->sa_family == AF_INET6) {
                        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
                        inet_ntop(AF_INET6, &a->sin6_addr, rq->client, sizeof(rq->client));
                        rq->loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
                                       (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) &&
                                        a->sin6_addr.s6_addr[12] == 127);
                }
        }
        return rq;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        struct portal_app *app = cls;
        struct portal_req *rq = *con_cls;
        (void)conn;
        if (!rq)
                return;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        double secs = (double)(now_us - rq->t0_us) / 1e6;
        metrics_observe(app->metrics, rq->label, rq->status, secs);
        /* The access log: never a query string unless the route allows it
         * (hazard, addresses and timelines carry residents' places). */
        bool log_query = rq->route >= 0 && (app->routes[rq->route]->flags & ROUTE_LOG_QUERY);
        const char *uri = rq->uri ? rq->uri : "";
        int ulen = (int)strcspn(uri, log_query ? "" : "?");
        if (ulen > 512)
                ulen = 512;
        log_info("%s \"%s %.*s\" %d %zu %.1fms%s", rq->client[0] ? rq->client : "-",
                 rq->method ? rq->method : "-", ulen, uri, rq->status, rq->bytes, secs * 1000,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
        if (rq->streaming && rq->stream.free)
                rq->stream.free(rq->stream.ctx);
        buf_free(&rq->body);
        settings_unref(rq->set);
        free(rq->uri);
        free(rq->path);
        free(rq->pathbuf);
        free(rq);
        *con_cls = NULL;
}

/* Marks a connection past [portal] max_connections in its socket context. */
static char conn_over;

/* MHD splits its own limit over the pool threads, and a thread woken by a
 * burst accepts several connections before it checks it: under load (or
 * ASan) more than the limit were served.  This count is exact: a
 * connection past the limit gets one 503 and is closed. */
static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
        struct portal_app *app = cls;
        (void)c;
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                unsigned n = atomic_fetch_add(&app->conns, 1) + 1;
                *socket_context = n > atomic_load(&app->max_conns) ? &conn_over : NULL;
        } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
                atomic_fetch_sub(&app->conns, 1);
        }
}

static bool conn_is_over(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci && ci->socket_context == &conn_over;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_size, void **con_cls)
{
        struct portal_app *app = cls;
        struct portal_req *rq = *con_cls;
        (void)version;
        if (!rq)
                return MHD_NO;
        rq->calls++;
        if (rq->calls == 1) {
                rq->method = method;
                if (conn_is_over(conn))
                        /* Answered on the first call, so MHD closes it. */
                        return answer_error(rq, 503, "too many connections", NULL);
                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl) {
                        char *end = NULL;
                        errno = 0;
                        unsigned long long n = strtoull(cl, &end, 10);
                        if (errno || !end || *end || n > rq->set->max_body)
                                /* Refused before the body is read; MHD closes the
                                 * connection after this answer, as it should. */
                                return answer_error(rq, 413, "request body too large", NULL);
                }
                return MHD_YES;
        }
        if (*upload_size) {
                if (!rq->too_large && buf_append(&rq->body, upload_data, *upload_size) < 0)
                        rq->too_large = true;
                *upload_size = 0;
                return MHD_YES;
        }
        if (rq->status || rq->streaming)
                return MHD_YES;
        if (rq->too_large)
                return answer_error(rq, 413, "request body too large", NULL);
        rq->proxied = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For") ||
                      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Forwarded");
        rq->path = strdup(url ? url : "/");
        rq->pathbuf = malloc(strlen(rq->path) + MAX_PATH_PARAMS + 1);
        if (!rq->path || !rq->pathbuf)
                return MHD_NO;
        /* MHD decodes the path into a C string: an encoded NUL would cut it
         * short ("/a.png%00.html" would serve a.png), so refuse it here. */
        size_t raw_path = strcspn(rq->uri, "?");
        if (rq->path[0] != '/' || memmem(rq->uri, raw_path, "%00", 3))
                return answer_error(rq, 400, "bad request target", NULL);
        bool head = strcmp(method, "HEAD") == 0;
        const char *m = head ? "GET" : method;
        char allow[64] = "";
        for (size_t i = 0; i < app->n_routes; i++) {
                const struct portal_route *rt = app->routes[i];
                if (!route_match(rq, rt->pattern, rq->path))
                        continue;
                if (strcmp(rt->method, m) != 0) {
                        size_t al = strlen(allow);
                        snprintf(allow + al, sizeof(allow) - al, "%s%s%s", al ? ", " : "",
                                 rt->method, strcmp(rt->method, "GET") == 0 ? ", HEAD" : "");
                        continue;
                }
                rq->route = (ssize_t)i;
                rq->label = i;
                enum MHD_Result res = run_route(rq, rt);
                if (rq->streaming)
                        return answer_stream(rq);
                return res;
        }
        if (allow[0])
                return answer_error(rq, 405, "method not allowed", allow);
        if (strncmp(rq->path, "/api/", 5) == 0 || strcmp(rq->path, "/api") == 0)
                return answer_error(rq, 404, "no such resource", NULL);
        if (strcmp(m, "GET") != 0)
                return answer_error(rq, 405, "method not allowed", "GET, HEAD");
        return serve_static(rq);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
        (void)cls;
        char line[512];
        vsnprintf(line, sizeof(line), fmt, ap);
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
                line[--l] = '\0';
        log_warn("http: %s", line);
}

static int start_mhd(struct portal_app *app, const struct settings *set, struct MHD_Daemon **out,
                     uint16_t *port)
{
        const char *listen = set->listen;
        struct listen_addr la;
        char err[256];
        if (http_parse_listen(listen, &la, err, sizeof(err)) < 0) {
                log_err("[portal] listen: %s", err);
                return -EINVAL;
        }
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned threads = ncpu < 2 ? 2 : ncpu > 16 ? 16 : (unsigned)ncpu;
        unsigned flags =
            MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
        if (la.ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        if (la.any6)
                flags |= MHD_USE_DUAL_STACK;
        /* MHD splits the limit over its pool threads, and each may take one
         * connection past its share before it stops accepting (measured on
         * 0.9.75): ask for one fewer per thread so the total stays within
         * [portal] max_connections. */
        unsigned limit = set->max_connections > threads ? set->max_connections - threads : 1;
        atomic_store(&app->max_conns, set->max_connections);
        struct MHD_Daemon *d = MHD_start_daemon(
            flags, 0, NULL, NULL, access_handler, app, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
            MHD_OPTION_SOCK_ADDR, &la.ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT, set->timeout_s,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PORTAL_CONN_MEMORY,
            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, app,
            MHD_OPTION_NOTIFY_COMPLETED, completed, app, MHD_OPTION_NOTIFY_CONNECTION, conn_notify,
            app, MHD_OPTION_END);
        if (!d) {
                log_err("cannot listen on %s: %s", listen, strerror(errno ? errno : EADDRINUSE));
                return -EADDRINUSE;
        }
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        *port = di ? di->port : 0;
        *out = d;
        log_info("listening on %s (port %u, %u threads)", listen, (unsigned)*port, threads);
        return 0;
}

/* Ends streams and stops a daemon; streams must be resumed first (MHD's rule). */
static void stop_mhd(struct portal_app *app, struct MHD_Daemon *d)
{
        if (!d)
                return;
        /* Quiescing hands the listening socket to us: MHD_stop_daemon()
         * will not close it, so we must, or the port stays bound. */
        MHD_socket lfd = MHD_quiesce_daemon(d);
        portal_app_wake_streams(app);
        MHD_stop_daemon(d);
        if (lfd != MHD_INVALID_SOCKET)
                close(lfd);
}

/* ---- public ---- */

int portal_app_new(const struct sonae_config *cfg, struct portal_app **out)
{
        int rc = 0;
        struct portal_app *app = calloc(1, sizeof(*app));
        if (!app)
                return -ENOMEM;
        pthread_mutex_init(&app->mu, NULL);
        rcache_init(&app->api, API_CACHE_MAX, API_CACHE_BYTES);
        rcache_init(&app->files, STATIC_MAX, STATIC_BYTES);
        for (size_t l = 0; l < portal_n_route_lists; l++)
                for (const struct portal_route *r = portal_route_lists[l]; r->pattern; r++)
                        app->n_routes++;
        app->routes = calloc(app->n_routes + 1, sizeof(*app->routes));
        app->labels = calloc(app->n_routes + 2, sizeof(*app->labels));
        if (!app->routes || !app->labels) {
                rc = -ENOMEM;
                goto out;
        }
        size_t i = 0;
        for (size_t l = 0; l < portal_n_route_lists; l++)
                for (const struct portal_route *r = portal_route_lists[l]; r->pattern; r++) {
                        app->labels[i] = r->name;
                        app->routes[i++] = r;
                }
        app->labels[app->n_routes] = "static";
        app->labels[app->n_routes + 1] = "unmatched";
        if ((rc = metrics_new(app->labels, app->n_routes + 2, &app->metrics)) < 0)
                goto out;
        app->set = settings_from(cfg);
        if (!app->set) {
                rc = -ENOMEM;
                goto out;
        }
        if (!app->set->web_root_real)
                log_warn("[portal] web_root %s does not exist yet; only the API is served",
                         app->set->web_root);
        if ((rc = store_pool_new(cfg, 8, &app->pool)) < 0)
                goto out;
        if ((rc = store_pool_new_primary(cfg, 4, &app->primary)) < 0)
                goto out;
        if ((rc = store_pool_new_writer(cfg, &app->writer)) < 0)
                goto out;
        portal_auth_configure(cfg);
        if ((rc = portal_collections_register(app)) < 0)
                goto out;
        rc = start_mhd(app, app->set, &app->mhd, &app->port);
out:
        if (rc < 0) {
                portal_app_free(app);
                return rc;
        }
        *out = app;
        return 0;
}

int portal_app_reload(struct portal_app *app, const struct sonae_config *cfg)
{
        struct settings *ns = settings_from(cfg);
        if (!ns)
                return -ENOMEM;
        struct MHD_Daemon *old = NULL;
        if (strcmp(ns->listen, app->set->listen) != 0 ||
            ns->max_connections != app->set->max_connections ||
            ns->timeout_s != app->set->timeout_s) {
                struct MHD_Daemon *d = NULL;
                uint16_t port = 0;
                /* Bind the new address first: if that fails the old server
                 * keeps answering. */
                if (strcmp(ns->listen, app->set->listen) == 0) {
                        /* Same address, new limits: the old server lets go
                         * of the port first, then the new one binds it. */
                        pthread_mutex_lock(&app->mu);
                        old = app->mhd;
                        app->mhd = NULL;
                        pthread_mutex_unlock(&app->mu);
                        stop_mhd(app, old);
                        old = NULL;
                }
                int rc = start_mhd(app, ns, &d, &port);
                if (rc < 0 && !app->mhd) {
                        /* Rebinding failed after the old server stopped: try
                         * the old settings again rather than serve nothing. */
                        log_err("could not restart with the new limits; back to the old ones");
                        if (start_mhd(app, app->set, &d, &port) == 0) {
                                pthread_mutex_lock(&app->mu);
                                app->mhd = d;
                                app->port = port;
                                pthread_mutex_unlock(&app->mu);
                        }
                        settings_unref(ns);
                        return rc;
                }
                if (rc < 0) {
                        settings_unref(ns);
                        return rc;
                }
                pthread_mutex_lock(&app->mu);
                old = app->mhd;
                app->mhd = d;
                app->port = port;
                pthread_mutex_unlock(&app->mu);
        }
        pthread_mutex_lock(&app->mu);
        struct settings *os = app->set;
        app->set = ns;
        pthread_mutex_unlock(&app->mu);
        settings_unref(os);
        stop_mhd(app, old);
        rcache_clear(&app->api);
        rcache_clear(&app->files);
        atomic_fetch_add(&app->generation, 1);
        return 0;
}

void portal_app_free(struct portal_app *app)
{
        if (!app)
                return;
        atomic_store(&app->stopping, true);
        stop_mhd(app, app->mhd);
        rcache_destroy(&app->api);
        rcache_destroy(&app->files);
        store_pool_free(app->pool);
        store_pool_free(app->writer);
        store_pool_free(app->primary);
        metrics_free(app->metrics);
        settings_unref(app->set);
        free(app->routes);
        free(app->labels);
        pthread_mutex_destroy(&app->mu);
        free(app);
}

struct store *portal_store_acquire(struct portal_app *app)
{
        return store_pool_acquire(app->pool);
}

void portal_store_release(struct portal_app *app, struct store *st)
{
        store_pool_release(app->pool, st);
}

struct store *portal_store_acquire_primary(struct portal_app *app)
{
        return store_pool_acquire(app->primary ? app->primary : app->pool);
}

void portal_store_release_primary(struct portal_app *app, struct store *st)
{
        store_pool_release(app->primary ? app->primary : app->pool, st);
}

struct store *portal_store_acquire_write(struct portal_app *app)
{
        return store_pool_acquire(app->writer);
}

void portal_store_release_write(struct portal_app *app, struct store *st)
{
        store_pool_release(app->writer, st);
}

bool portal_app_events_enabled(struct portal_app *app)
{
        pthread_mutex_lock(&app->mu);
        bool on = app->set->events_without_auth;
        pthread_mutex_unlock(&app->mu);
        return on;
}

bool portal_app_exercise(struct portal_app *app)
{
        pthread_mutex_lock(&app->mu);
        bool on = app->set->exercise;
        pthread_mutex_unlock(&app->mu);
        return on;
}

double portal_app_walk_speed(struct portal_app *app)
{
        pthread_mutex_lock(&app->mu);
        double v = app->set->walk_speed;
        pthread_mutex_unlock(&app->mu);
        return v;
}

int portal_app_public_view(struct portal_app *app)
{
        pthread_mutex_lock(&app->mu);
        int view = !app->set->exercise      ? STORE_VIEW_REAL
                   : app->set->all_exercise ? STORE_VIEW_ALL
                                            : STORE_VIEW_PUBLIC;
        pthread_mutex_unlock(&app->mu);
        return view;
}

void portal_app_set_listening(struct portal_app *app, bool on)
{
        atomic_store(&app->listening, on);
}

void portal_app_events_seen(struct portal_app *app, int64_t id)
{
        pthread_mutex_lock(&app->mu);
        bool changed = id > app->event_seq;
        if (changed)
                app->event_seq = id;
        pthread_mutex_unlock(&app->mu);
        if (changed) {
                portal_app_invalidate(app);
                portal_app_wake_streams(app);
        }
}

/* With a listener, the events are polled this seldom (a safety net). */
#define POLL_LISTENING_MS 10000

int64_t portal_app_tick(struct portal_app *app)
{
        int64_t id = -1;
        int64_t now = time_mono_ms();
        if (!atomic_load(&app->listening) || now - app->last_poll_ms >= POLL_LISTENING_MS) {
                struct store *st = store_pool_acquire(app->pool);
                if (st) {
                        if (store_events_last_id(st, &id) < 0)
                                id = -1;
                        store_pool_release(app->pool, st);
                }
                app->last_poll_ms = now;
        }
        pthread_mutex_lock(&app->mu);
        bool changed = id >= 0 && id != app->event_seq;
        if (changed)
                app->event_seq = id;
        /* Streams also wake every few seconds for their keep-alive lines. */
        bool wake = changed || (app->waiters && now - app->last_wake_ms >= 5000);
        pthread_mutex_unlock(&app->mu);
        if (changed)
                portal_app_invalidate(app);
        if (wake) {
                app->last_wake_ms = now;
                portal_app_wake_streams(app);
        }
        return 200;
}

uint16_t portal_app_port(const struct portal_app *app)
{
        return app->port;
}

void portal_app_invalidate(struct portal_app *app)
{
        atomic_fetch_add(&app->generation, 1);
}

int portal_app_add_collection(struct portal_app *app, const struct ogc_collection *c)
{
        if (app->n_colls >= MAX_COLLECTIONS)
                return -ENOSPC;
        app->colls[app->n_colls++] = c;
        return 0;
}

const struct ogc_collection *const *portal_app_collections(const struct portal_app *app, size_t *n)
{
        *n = app->n_colls;
        return app->colls;
}

const struct portal_route *const *portal_app_routes(const struct portal_app *app, size_t *n)
{
        *n = app->n_routes;
        return app->routes;
}

int portal_app_metrics(struct portal_app *app, struct buf *out)
{
        return metrics_write(app->metrics, out);
}

/* ---- request accessors ---- */

struct portal_app *portal_req_app(const struct portal_req *r)
{
        return r->app;
}

const char *portal_req_method(const struct portal_req *r)
{
        return r->method;
}

const char *portal_req_path(const struct portal_req *r)
{
        return r->path;
}

const char *portal_req_path_param(const struct portal_req *r, const char *name)
{
        size_t nl = strlen(name);
        for (size_t i = 0; i < r->n_pvals; i++)
                if (strncmp(r->pnames[i], name, nl) == 0 && r->pnames[i][nl] == '}')
                        return r->pvals[i];
        return NULL;
}

const char *portal_req_query(const struct portal_req *r, const char *name)
{
        return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *portal_req_header(const struct portal_req *r, const char *name)
{
        return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *portal_req_client(const struct portal_req *r)
{
        return r->client[0] ? r->client : "-";
}

const void *portal_req_body(const struct portal_req *r, size_t *len)
{
        *len = r->body.len;
        return r->body.data ? r->body.data : "";
}

bool portal_req_loopback(const struct portal_req *r)
{
        return r->loopback && !r->proxied;
}

void portal_req_base_url(const struct portal_req *r, char *out, size_t len)
{
        if (r->set->public_base_url[0]) {
                snprintf(out, len, "%s", r->set->public_base_url);
                return;
        }
        const char *host = portal_req_header(r, MHD_HTTP_HEADER_HOST);
        /* The Host header is the client's word: use it only if it looks like
         * a host name, so links cannot be turned into markup. */
        if (!host || !host[0] || strlen(host) > 255 ||
            strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
                strlen(host)) {
                snprintf(out, len, "http://localhost");
                return;
        }
        snprintf(out, len, "http://%s", host);
}

const char *portal_req_query_string(const struct portal_req *r)
{
        const char *q = r->uri ? strchr(r->uri, '?') : NULL;
        return q ? q + 1 : "";
}

int portal_resp_error(struct portal_resp *resp, int status, const char *msg)
{
        struct json_writer w;
        buf_reset(&resp->body);
        resp->status = status;
        resp->content_type = "application/json";
        resp->no_cache = true;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "error");
        json_obj_begin(&w);
        json_key(&w, "status");
        json_int(&w, status);
        json_key(&w, "message");
        json_str(&w, msg);
        json_obj_end(&w);
        json_obj_end(&w);
        return json_error(&w);
}
