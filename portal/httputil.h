/* Pure helpers of the portal's HTTP layer: the listen address, request
 * parameter checks, content negotiation, ETags, MIME types, cache lifetimes
 * of static files and path safety.  No I/O, no allocation beyond what a
 * function says, so every rule here is unit-tested on its own. */
#ifndef SONAE_PORTAL_HTTPUTIL_H
#define SONAE_PORTAL_HTTPUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "[portal] listen": "127.0.0.1:8080", "[::1]:8080", "*:8080" (every IPv4
 * and IPv6 address), "0.0.0.0:80", "localhost:8080".  Port 0 asks the
 * kernel for a free port.  Returns 0 and the socket address, or -EINVAL
 * with a reason in err. */
struct listen_addr {
        struct sockaddr_storage ss;
        socklen_t len;
        bool any6; /* "*" or "[::]": IPv6 socket that also takes IPv4 */
};
int http_parse_listen(const char *s, struct listen_addr *out, char *err, size_t errlen);

/* Whether an Accept-Encoding header admits gzip (q > 0, "*" counts). */
bool http_accepts_gzip(const char *accept_encoding);
/* Whether an Accept header prefers text/csv over JSON (text/csv listed with
 * q > 0 and no JSON type with a higher q). */
bool http_accepts_csv(const char *accept);
/* If-None-Match against one of our ETags ("\"...\""): "*" matches, weak
 * comparison (W/ ignored) as RFC 9110 asks for this header. */
bool http_etag_matches(const char *if_none_match, const char *etag);
/* A strong ETag of the bytes: "\"<16 hex digits>\"" (FNV-1a 64); etag
 * needs 19 bytes.  suffix (may be NULL) is added inside the quotes, so the
 * gzip variant of the same body differs ("-gz"). */
void http_etag_of(const void *data, size_t len, const char *suffix, char *etag, size_t etaglen);

/* MIME type by file name; "application/octet-stream" if unknown.  Text
 * types carry "; charset=utf-8".  Returns a static string. */
const char *http_mime_type(const char *name);
/* Whether a type is worth compressing (text, JSON, XML, SVG, JS). */
bool http_type_compressible(const char *content_type);
/* Whether a file name carries a content hash ("index-BWu3Xk9a.js"), so it
 * can be cached for a year as immutable. */
bool http_name_is_hashed(const char *name);

/* Checks a decoded URL path before it touches the file system: must start
 * with '/', no "." or ".." segments, no backslash, no control bytes, no
 * segment starting with '.' (hidden files).  Returns 0 or -EINVAL. */
int http_path_safe(const char *path);

/* Parameter types declared by routes and checked before any handler runs. */
enum param_type {
        PARAM_STRING,   /* printable UTF-8, no control bytes, at most max_len */
        PARAM_INT,      /* decimal integer within [min, max] */
        PARAM_NUMBER,   /* finite decimal within [min, max] */
        PARAM_BBOX,     /* minlon,minlat,maxlon,maxlat (WGS84, lon/lat order) */
        PARAM_DATETIME, /* RFC 3339 instant or interval "a/b", "../b", "a/.." */
        PARAM_ENUM,     /* one of choices "a|b|c" */
        PARAM_ID,       /* [A-Za-z0-9_.:-]{1,max_len} (path segments) */
};

struct portal_param {
        const char *name;
        enum param_type type;
        double min, max;     /* PARAM_INT, PARAM_NUMBER */
        const char *choices; /* PARAM_ENUM */
        size_t max_len;      /* 0: 256 */
        const char *doc;     /* one line for the OpenAPI document */
};

/* Checks value (len bytes, which may contain NUL) against p.  Returns 0, or
 * -EINVAL with a reason in err. */
int http_param_check(const struct portal_param *p, const char *value, size_t len, char *err,
                     size_t errlen);

/* Parses a bbox value already checked by http_param_check. */
int http_parse_bbox(const char *s, double out[4]);
/* Parses an RFC 3339 instant or interval; open ends are INT64_MIN/INT64_MAX
 * (UTC seconds). */
int http_parse_datetime(const char *s, int64_t *start, int64_t *end);
/* The range of a from/to query (either may be NULL): to defaults to the
 * next full minute after now_s (the same request within a minute is the
 * same answer, with a stable ETag), from to to - def_span.  0, or -EINVAL
 * with the reason (naming the parameter) in why. */
int http_time_range(const char *from, const char *to, int64_t now_s, int64_t def_span,
                    int64_t max_span, int64_t *from_out, int64_t *to_out, char *why,
                    size_t why_len);

/* Checks that s is valid UTF-8 without control bytes. */
bool http_utf8_printable(const char *s, size_t len);

#endif
