/* Polite HTTP fetching for sonae-collectd's sources, on libcurl.
 *
 * One struct fetch per source (curl easy handles are not shared between
 * threads).  Every request has a connect and a total deadline, a byte cap, a
 * clear User-Agent, and follows at most FETCH_MAX_REDIRECTS redirects, each
 * checked again against the URL rule: HTTPS, or plain HTTP only to a
 * loopback host (the tests' fixture server).  Conditional GET remembers the
 * Last-Modified and ETag of each URL asked for with FETCH_CONDITIONAL and
 * sends them back as If-Modified-Since and If-None-Match.
 *
 * This module does not log: it returns codes and fills a result; the
 * scheduler logs URL, status, bytes and hash, never the body. */
#ifndef SONAE_FETCH_H
#define SONAE_FETCH_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FETCH_MAX_REDIRECTS     3
#define FETCH_DEFAULT_MAX_BYTES ((size_t)8 * 1024 * 1024)

struct fetch_opts {
        int64_t connect_timeout_ms; /* 0: 10 s */
        int64_t timeout_ms;         /* whole request, redirects included; 0: 30 s */
        size_t max_bytes;           /* body cap; 0: FETCH_DEFAULT_MAX_BYTES */
        const char *user_agent;     /* copied; NULL: fetch_user_agent(NULL) */
        /* When set and non-zero, a running transfer is abandoned with
         * -ECANCELED (the daemon is stopping).  Borrowed; must outlive the
         * handle. */
        const volatile int *cancel;
};

/* Request flags. */
#define FETCH_CONDITIONAL 0x1u /* send and remember validators for this URL */

struct fetch_result {
        long status;            /* last HTTP status, 0 when no response came */
        bool not_modified;      /* 304 to a conditional request */
        struct buf body;        /* owned by the result; empty on 304 */
        char content_type[128]; /* as sent, "" when absent */
        char sha256[65];        /* hex of the body, "" when there is none */
        char last_modified[64]; /* as sent, "" when absent */
        char etag[128];         /* as sent, "" when absent */
        unsigned redirects;
        int64_t elapsed_ms;
        char error[128]; /* libcurl's message on failure, "" otherwise */
};

struct fetch;

/* Creates a handle; NULL on allocation failure.  Free with fetch_free(). */
struct fetch *fetch_new(const struct fetch_opts *opts);
/* Accepts NULL. */
void fetch_free(struct fetch *f);

/* GETs url.  Returns 0 for a 2xx answer (body filled) or a 304 to a
 * conditional request (not_modified set, body empty), or a negative code:
 *   -EINVAL      the URL (or a redirect target) breaks the URL rule
 *   -EPROTO      an HTTP error status (res->status says which)
 *   -EFBIG       the body is larger than max_bytes
 *   -ETIMEDOUT   the connect or total deadline passed
 *   -ECONNREFUSED, -EHOSTUNREACH  no connection
 *   -EIO         the connection broke or the body was shorter than announced
 *   -ELOOP       more than FETCH_MAX_REDIRECTS redirects
 *   -ECANCELED   the cancel flag was raised
 *   -ENOMEM
 * Validators are updated only after a complete 200.  res is reset first and
 * must be released with fetch_result_free() whatever the return. */
int fetch_get(struct fetch *f, const char *url, unsigned flags, struct fetch_result *res);

/* Forgets the validators of url (a source that rejected a body it got
 * must not be told 304 next time).  No-op when none are kept. */
void fetch_forget(struct fetch *f, const char *url);

void fetch_result_init(struct fetch_result *res);
/* Accepts NULL and a result never filled. */
void fetch_result_free(struct fetch_result *res);

/* The URL rule: true for https://, and for http:// to 127.0.0.0/8, ::1 or
 * localhost.  Anything else (other schemes, credentials in the URL, a
 * malformed URL) is false. */
bool fetch_url_allowed(const char *url);

/* Writes "Sonae/VERSION (+contact)" into out; contact may be NULL or empty,
 * then the project's address is used.  Returns 0 or -ENOSPC. */
int fetch_user_agent(const char *contact, char *out, size_t len);

/* A short English reason for a fetch_get() code, for log lines. */
const char *fetch_strerror(int rc);

#endif
