/* What a resource file under portal/api/ sees of the HTTP server: the route
 * it declares, the request it reads and the response it fills.
 *
 * A resource file defines its handlers and one route array ending in an
 * all-zero row, e.g. in portal/api/ping.c:
 *
 *     const struct portal_route api_ping_routes[] = {
 *         {.method = "GET", .pattern = "/api/v1/ping", .name = "ping",
 *          .handler = ping, .flags = ROUTE_PUBLIC, .max_age = 0},
 *         {0},
 *     };
 *
 * and adds that array to the list in portal/api/routes.c.  The server
 * matches the pattern ("{name}" matches one path segment, checked as
 * PARAM_ID), checks every declared query parameter before the handler runs
 * (a bad value answers 400 with the reason), adds ETag, Cache-Control,
 * gzip and 304 for ROUTE_PUBLIC answers, counts the route in /metrics and
 * writes the access log line.  Handlers never log request data. */
#ifndef SONAE_PORTAL_HTTP_H
#define SONAE_PORTAL_HTTP_H

#include "buf.h"
#include "httputil.h"

#include <stdbool.h>
#include <stdint.h>

struct portal_app; /* the running portal; see portal.h */
struct portal_req; /* one request; borrowed by the handler for its call */

#define ROUTE_MAX_PARAMS 10

enum route_flags {
        /* Cacheable by browsers, proxies and CDNs: ETag, Cache-Control public
         * with max_age, gzip, 304 for If-None-Match.  Without it the answer
         * is "Cache-Control: no-store". */
        ROUTE_PUBLIC = 1u << 0,
        /* The query string may appear in the access log.  Off by default:
         * hazard, addresses and timelines carry residents' places. */
        ROUTE_LOG_QUERY = 1u << 1,
        /* Only from loopback, and never through a proxy (X-Forwarded-For),
         * until staff authentication exists. */
        ROUTE_LOOPBACK = 1u << 2,
        /* The answer depends on Accept (CSV or JSON): "Vary: Accept" and a
         * separate cache entry. */
        ROUTE_VARY_ACCEPT = 1u << 3,
        /* The handler streams (SSE) and sets resp->stream. */
        ROUTE_STREAM = 1u << 4,
};

/* A streamed answer (Server-Sent Events).  read() fills at most max bytes
 * into dst and returns the count, 0 when it has nothing yet (the server
 * calls it again after a short wait) or -1 to end the stream.  free() is
 * called once when the connection ends.  Runs on the server's threads. */
struct portal_stream {
        void *ctx;
        long (*read)(void *ctx, char *dst, size_t max);
        /* Optional: asked (under the app's lock) just before the server
         * parks the stream after read() returned 0, with the newest event id
         * the app has seen; false makes the server call read() again. */
        bool (*should_wait)(void *ctx, int64_t event_seq);
        void (*free)(void *ctx);
};

struct portal_resp {
        int status;               /* 200 unless set */
        const char *content_type; /* static string; default application/json */
        struct buf body;          /* capped; owned by the server */
        const char *allow;        /* for 405 */
        struct portal_stream stream;
        bool no_cache;           /* a public route's answer that must not be kept (an error) */
        char disposition[128];   /* Content-Disposition, e.g. for CSV downloads */
        char set_cookie[2][320]; /* Set-Cookie values of a private 2xx answer */
        /* A public answer's ETag gets this inside its quotes after the hash
         * (a data version, [A-Za-z0-9_.:-]), so a new version never matches
         * an old tag. */
        char etag_suffix[72];
        /* > 0: this max-age (and immutable) instead of the route's, for an
         * answer whose URL names its version. */
        int max_age;
};

typedef int (*portal_handler)(struct portal_req *req, struct portal_resp *resp);

struct portal_route {
        const char *method;  /* "GET" (also answers HEAD), "POST", ... */
        const char *pattern; /* "/api/v1/stations/{id}/observations" */
        const char *name;    /* label in /metrics: "stations_observations" */
        portal_handler handler;
        unsigned flags;      /* enum route_flags */
        int max_age;         /* Cache-Control max-age, seconds (ROUTE_PUBLIC) */
        int cache_ms;        /* keep the rendered answer in memory this long; 0: never */
        const char *summary; /* one line for the OpenAPI document */
        struct portal_param params[ROUTE_MAX_PARAMS]; /* query parameters */
};

/* Accessors; every string is borrowed for the handler's call. */
struct portal_app *portal_req_app(const struct portal_req *r);
const char *portal_req_method(const struct portal_req *r);
const char *portal_req_path(const struct portal_req *r);
/* A "{name}" segment of the pattern. */
const char *portal_req_path_param(const struct portal_req *r, const char *name);
/* A query parameter (already checked if the route declares it), or NULL. */
const char *portal_req_query(const struct portal_req *r, const char *name);
const char *portal_req_header(const struct portal_req *r, const char *name);
const void *portal_req_body(const struct portal_req *r, size_t *len);
/* The peer's address as text ("-" when unknown): the proxy's address
 * when there is one in front. */
const char *portal_req_client(const struct portal_req *r);
/* Whether the client is on loopback with no proxy in between. */
bool portal_req_loopback(const struct portal_req *r);
/* The base URL for absolute links: [portal] public_base_url, or
 * http://HOST from the request.  Writes "" on failure. */
void portal_req_base_url(const struct portal_req *r, char *out, size_t len);
/* The raw query string after '?', or "" (for building next links). */
const char *portal_req_query_string(const struct portal_req *r);

/* Fills resp with a JSON error {"error": {"status": N, "message": msg}}. */
int portal_resp_error(struct portal_resp *resp, int status, const char *msg);

#endif
