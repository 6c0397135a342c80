#include "fetch.h"

#include "timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef SONAE_VERSION
#define SONAE_VERSION "0.0.0"
#endif

/* Validators are kept for a bounded number of URLs: a source polls a few
 * fixed URLs; one that walks many (camera stills) still cannot grow this. */
#define FETCH_MAX_VALIDATORS 256

struct validator {
        char *url;
        char last_modified[64];
        char etag[128];
        int64_t used; /* for dropping the least recently used */
};

struct fetch {
        CURL *curl;
        struct fetch_opts opts;
        char *user_agent;
        struct validator *v;
        size_t n_v;
        int64_t use_counter;
};

/* The state of one transfer, seen by curl's callbacks. */
struct xfer {
        struct fetch_result *res;
        size_t max;
        bool too_big;
        const volatile int *cancel;
        bool canceled;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fetch_user_agent(const char *contact, char *out, size_t len)
{
        int n;
        if (contact && contact[0])
                n = snprintf(out, len, "Sonae/%s (+%s)", SONAE_VERSION, contact);
        else
                n = snprintf(out, len, "Sonae/%s", SONAE_VERSION);
        return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

struct fetch *fetch_new(const struct fetch_opts *opts)
{
        pthread_once(&curl_once, curl_init_once);
        struct fetch *f = calloc(1, sizeof(*f));
        if (!f)
                return NULL;
        if (opts)
                f->opts = *opts;
        if (f->opts.connect_timeout_ms <= 0)
                f->opts.connect_timeout_ms = 10000;
        if (f->opts.timeout_ms <= 0)
                f->opts.timeout_ms = 30000;
        if (f->opts.max_bytes == 0)
                f->opts.max_bytes = FETCH_DEFAULT_MAX_BYTES;
        char ua[256];
        if (f->opts.user_agent)
                f->user_agent = strdup(f->opts.user_agent);
        else if (fetch_user_agent(NULL, ua, sizeof(ua)) == 0)
                f->user_agent = strdup(ua);
        f->opts.user_agent = NULL;
        f->curl = curl_easy_init();
        if (!f->curl || !f->user_agent) {
                fetch_free(f);
                return NULL;
        }
        return f;
}

void fetch_free(struct fetch *f)
{
        if (!f)
                return;
        if (f->curl)
                curl_easy_cleanup(f->curl);
        for (size_t i = 0; i < f->n_v; i++)
                free(f->v[i].url);
        free(f->v);
        free(f->user_agent);
        free(f);
}

void fetch_result_init(struct fetch_result *res)
{
        memset(res, 0, sizeof(*res));
}

void fetch_result_free(struct fetch_result *res)
{
        if (!res)
                return;
        buf_free(&res->body);
}

static bool host_is_loopback(const char *host)
{
        if (strcasecmp(host, "localhost") == 0)
                return true;
        struct in_addr a4;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        /* curl hands IPv6 hosts back with their brackets. */
        char tmp[64];
        size_t l = strlen(host);
        if (l >= 2 && host[0] == '[' && host[l - 1] == ']' && l - 2 < sizeof(tmp)) {
                memcpy(tmp, host + 1, l - 2);
                tmp[l - 2] = '\0';
                struct in6_addr a6;
                if (inet_pton(AF_INET6, tmp, &a6) == 1)
                        return IN6_IS_ADDR_LOOPBACK(&a6);
        }
        return false;
}

bool fetch_url_allowed(const char *url)
{
        if (!url || !url[0])
                return false;
        CURLU *u = curl_url();
        if (!u)
                return false;
        bool ok = false;
        char *scheme = NULL, *host = NULL, *user = NULL;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
                goto out;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                goto out;
        /* Credentials in a URL would end up in log lines. */
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
                goto out;
        if (strcasecmp(scheme, "https") == 0)
                ok = true;
        else if (strcasecmp(scheme, "http") == 0)
                ok = host_is_loopback(host);
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(user);
        curl_url_cleanup(u);
        return ok;
}

static struct validator *find_validator(struct fetch *f, const char *url)
{
        for (size_t i = 0; i < f->n_v; i++)
                if (strcmp(f->v[i].url, url) == 0)
                        return &f->v[i];
        return NULL;
}

void fetch_forget(struct fetch *f, const char *url)
{
        struct validator *v = find_validator(f, url);
        if (!v)
                return;
        free(v->url);
        *v = f->v[--f->n_v];
}

static void remember(struct fetch *f, const char *url, const struct fetch_result *res)
{
        if (!res->last_modified[0] && !res->etag[0]) {
                fetch_forget(f, url);
                return;
        }
        struct validator *v = find_validator(f, url);
        if (!v) {
                if (f->n_v == FETCH_MAX_VALIDATORS) {
                        size_t oldest = 0;
                        for (size_t i = 1; i < f->n_v; i++)
                                if (f->v[i].used < f->v[oldest].used)
                                        oldest = i;
                        free(f->v[oldest].url);
                        f->v[oldest] = f->v[--f->n_v];
                }
                if (f->n_v % 16 == 0) {
                        struct validator *nv = realloc(f->v, (f->n_v + 16) * sizeof(*nv));
                        if (!nv)
                                return;
                        f->v = nv;
                }
                char *u = strdup(url);
                if (!u)
                        return;
                v = &f->v[f->n_v++];
                memset(v, 0, sizeof(*v));
                v->url = u;
        }
        snprintf(v->last_modified, sizeof(v->last_modified), "%s", res->last_modified);
        snprintf(v->etag, sizeof(v->etag), "%s", res->etag);
        v->used = ++f->use_counter;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        size_t n = size * nmemb;
        if (x->res->body.len + n > x->max) {
                x->too_big = true;
                return 0;
        }
        if (buf_append(&x->res->body, ptr, n) < 0)
                return 0;
        return n;
}

/* Copies a header's value, trimmed, into dst when the line is that header. */
static bool header_value(const char *line, size_t n, const char *name, char *dst, size_t dlen)
{
        size_t nl = strlen(name);
        if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return false;
        const char *s = line + nl + 1;
        const char *e = line + n;
        while (s < e && (*s == ' ' || *s == '\t'))
                s++;
        while (e > s && isspace((unsigned char)e[-1]))
                e--;
        size_t l = (size_t)(e - s);
        if (l >= dlen)
                l = dlen - 1; /* a longer value is cut: it is only echoed back */
        memcpy(dst, s, l);
        dst[l] = '\0';
        return true;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        size_t n = size * nmemb;
        struct fetch_result *r = x->res;
        /* A new status line starts the headers of another response (a
         * redirect, a 100 Continue): forget the previous ones. */
        if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
                r->content_type[0] = r->last_modified[0] = r->etag[0] = '\0';
                return n;
        }
        if (!header_value(ptr, n, "Content-Type", r->content_type, sizeof(r->content_type)) &&
            !header_value(ptr, n, "Last-Modified", r->last_modified, sizeof(r->last_modified)))
                header_value(ptr, n, "ETag", r->etag, sizeof(r->etag));
        return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
        struct xfer *x = ud;
        if (x->cancel && *x->cancel) {
                x->canceled = true;
                return 1;
        }
        return 0;
}

static int translate(CURLcode c)
{
        switch (c) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_FILESIZE_EXCEEDED:
                return -EFBIG;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return -EINVAL;
        case CURLE_ABORTED_BY_CALLBACK:
                return -ECANCELED;
        default:
                /* Partial bodies, resets, TLS failures, garbled replies. */
                return -EIO;
        }
}

static void hash_body(struct fetch_result *res)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        res->sha256[0] = '\0';
        if (!res->body.len)
                return;
        if (EVP_Digest(res->body.data, res->body.len, md, &mdlen, EVP_sha256(), NULL) != 1)
                return;
        for (unsigned i = 0; i < mdlen && i < 32; i++)
                snprintf(res->sha256 + 2 * i, 3, "%02x", md[i]);
}

int fetch_get(struct fetch *f, const char *url, unsigned flags, struct fetch_result *res)
{
        int rc = 0;
        struct curl_slist *hdrs = NULL;
        char *next = NULL;
        buf_free(&res->body);
        fetch_result_init(res);
        buf_init(&res->body, f->opts.max_bytes + 1);
        struct xfer x = {.res = res, .max = f->opts.max_bytes, .cancel = f->opts.cancel};
        int64_t start = time_mono_ms();
        int64_t deadline = start + f->opts.timeout_ms;
        const char *cur = url;

        for (unsigned hop = 0;; hop++) {
                if (!fetch_url_allowed(cur)) {
                        rc = -EINVAL;
                        goto out;
                }
                int64_t left = deadline - time_mono_ms();
                if (left <= 0) {
                        rc = -ETIMEDOUT;
                        goto out;
                }
                CURL *c = f->curl;
                curl_easy_reset(c);
                curl_slist_free_all(hdrs);
                hdrs = NULL;
                buf_reset(&res->body);
                /* Validators belong to the URL the source asked for; a
                 * redirect target gets none. */
                struct validator *v =
                    hop == 0 && (flags & FETCH_CONDITIONAL) ? find_validator(f, url) : NULL;
                char line[256];
                if (v && v->last_modified[0]) {
                        snprintf(line, sizeof(line), "If-Modified-Since: %s", v->last_modified);
                        hdrs = curl_slist_append(hdrs, line);
                }
                if (v && v->etag[0]) {
                        snprintf(line, sizeof(line), "If-None-Match: %s", v->etag);
                        hdrs = curl_slist_append(hdrs, line);
                }
                curl_easy_setopt(c, CURLOPT_URL, cur);
                curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
                curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
                curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(c, CURLOPT_USERAGENT, f->user_agent);
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
                curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
                curl_easy_setopt(
                    c, CURLOPT_CONNECTTIMEOUT_MS,
                    (long)(f->opts.connect_timeout_ms < left ? f->opts.connect_timeout_ms : left));
                curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
                curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->opts.max_bytes);
                curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
                curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
                curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
                curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
                curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
                curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
                curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
                char errbuf[CURL_ERROR_SIZE] = "";
                curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
                CURLcode cc = curl_easy_perform(c);
                if (cc != CURLE_OK)
                        snprintf(res->error, sizeof(res->error), "%.127s",
                                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
                long status = 0;
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
                res->status = status;
                if (x.too_big) {
                        rc = -EFBIG;
                        goto out;
                }
                if (x.canceled) {
                        rc = -ECANCELED;
                        goto out;
                }
                if (cc != CURLE_OK) {
                        rc = translate(cc);
                        goto out;
                }
                if (status >= 300 && status < 400 && status != 304) {
                        char *loc = NULL;
                        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
                        if (!loc) {
                                rc = -EPROTO;
                                goto out;
                        }
                        if (hop + 1 > FETCH_MAX_REDIRECTS) {
                                rc = -ELOOP;
                                goto out;
                        }
                        free(next);
                        next = strdup(loc);
                        if (!next) {
                                rc = -ENOMEM;
                                goto out;
                        }
                        cur = next;
                        res->redirects = hop + 1;
                        continue;
                }
                if (status == 304 && v) {
                        res->not_modified = true;
                        buf_reset(&res->body);
                        goto out;
                }
                if (status < 200 || status >= 300) {
                        rc = -EPROTO;
                        goto out;
                }
                break;
        }
        hash_body(res);
        if (flags & FETCH_CONDITIONAL)
                remember(f, url, res);
out:
        if (rc < 0 && rc != -EPROTO)
                buf_reset(&res->body);
        res->elapsed_ms = time_mono_ms() - start;
        curl_slist_free_all(hdrs);
        free(next);
        return rc;
}

const char *fetch_strerror(int rc)
{
        switch (rc) {
        case 0:
                return "ok";
        case -EINVAL:
                return "URL not allowed (HTTPS required except to loopback)";
        case -EPROTO:
                return "HTTP error status";
        case -EFBIG:
                return "body larger than max_bytes";
        case -ETIMEDOUT:
                return "timed out";
        case -ECONNREFUSED:
                return "connection refused";
        case -EHOSTUNREACH:
                return "host not found";
        case -EIO:
                return "connection broken or body truncated";
        case -ELOOP:
                return "too many redirects";
        case -ECANCELED:
                return "canceled";
        case -ENOMEM:
                return "out of memory";
        default:
                return "fetch failed";
        }
}
