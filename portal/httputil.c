#include "httputil.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int http_parse_listen(const char *s, struct listen_addr *out, char *err, size_t errlen)
{
        char host[256];
        const char *colon;
        memset(out, 0, sizeof(*out));
        if (!s || !*s) {
                snprintf(err, errlen, "empty address");
                return -EINVAL;
        }
        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':') {
                        snprintf(err, errlen, "'%s': expected [ADDRESS]:PORT", s);
                        return -EINVAL;
                }
                size_t hl = (size_t)(close - s - 1);
                if (hl == 0 || hl >= sizeof(host)) {
                        snprintf(err, errlen, "'%s': bad IPv6 address", s);
                        return -EINVAL;
                }
                memcpy(host, s + 1, hl);
                host[hl] = '\0';
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host)) {
                        snprintf(err, errlen, "'%s' is not HOST:PORT", s);
                        return -EINVAL;
                }
                if (memchr(s, ':', (size_t)(colon - s))) {
                        snprintf(err, errlen, "'%s': write IPv6 addresses as [ADDRESS]:PORT", s);
                        return -EINVAL;
                }
                memcpy(host, s, (size_t)(colon - s));
                host[colon - s] = '\0';
        }
        char *end = NULL;
        errno = 0;
        long port = strtol(colon + 1, &end, 10);
        if (!colon[1] || !end || *end || errno || port < 0 || port > 65535) {
                snprintf(err, errlen, "'%s': port must be 0-65535", s);
                return -EINVAL;
        }
        if (strcmp(host, "*") == 0 || strcmp(host, "::") == 0) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
                a->sin6_family = AF_INET6;
                a->sin6_addr = in6addr_any;
                a->sin6_port = htons((uint16_t)port);
                out->len = sizeof(*a);
                out->any6 = true;
                return 0;
        }
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;
        int gr = getaddrinfo(host, NULL, &hints, &res);
        if (gr != 0 || !res) {
                snprintf(err, errlen, "'%s': cannot resolve '%s': %s", s, host, gai_strerror(gr));
                if (res)
                        freeaddrinfo(res);
                return -EINVAL;
        }
        if (res->ai_addrlen > sizeof(out->ss)) {
                freeaddrinfo(res);
                snprintf(err, errlen, "'%s': address too long", s);
                return -EINVAL;
        }
        memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
        out->len = res->ai_addrlen;
        freeaddrinfo(res);
        if (out->ss.ss_family == AF_INET)
                ((struct sockaddr_in *)&out->ss)->sin_port = htons((uint16_t)port);
        else if (out->ss.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&out->ss)->sin6_port = htons((uint16_t)port);
        else {
                snprintf(err, errlen, "'%s': not an IP address", s);
                return -EINVAL;
        }
        return 0;
}

/* Walks a comma-separated header list of "token;q=x" items; calls match on
 * each token and returns the q value of the best match, or -1. */
static double header_q(const char *h, bool (*match)(const char *tok, size_t len, void *ctx),
                       void *ctx)
{
        double best = -1;
        const char *p = h;
        while (p && *p) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (!*p)
                        break;
                const char *item = p;
                const char *comma = strchr(p, ',');
                const char *iend = comma ? comma : p + strlen(p);
                const char *semi = memchr(item, ';', (size_t)(iend - item));
                const char *tend = semi ? semi : iend;
                while (tend > item && (tend[-1] == ' ' || tend[-1] == '\t'))
                        tend--;
                double q = 1.0;
                if (semi) {
                        const char *qp = semi + 1;
                        while (qp < iend) {
                                while (qp < iend && (*qp == ' ' || *qp == ';'))
                                        qp++;
                                if (iend - qp >= 2 && (qp[0] == 'q' || qp[0] == 'Q') &&
                                    qp[1] == '=') {
                                        char num[16];
                                        size_t nl = 0;
                                        qp += 2;
                                        while (qp < iend && nl + 1 < sizeof(num) && *qp != ';' &&
                                               *qp != ' ')
                                                num[nl++] = *qp++;
                                        num[nl] = '\0';
                                        char *e = NULL;
                                        q = strtod(num, &e);
                                        if (e == num || q < 0 || q > 1)
                                                q = 0;
                                }
                                while (qp < iend && *qp != ';')
                                        qp++;
                        }
                }
                if (tend > item && match(item, (size_t)(tend - item), ctx) && q > best)
                        best = q;
                p = comma ? comma + 1 : NULL;
        }
        return best;
}

static bool tok_is(const char *tok, size_t len, const char *word)
{
        return strlen(word) == len && strncasecmp(tok, word, len) == 0;
}

static bool match_gzip(const char *tok, size_t len, void *ctx)
{
        (void)ctx;
        return tok_is(tok, len, "gzip") || tok_is(tok, len, "x-gzip") || tok_is(tok, len, "*");
}

bool http_accepts_gzip(const char *ae)
{
        return ae && header_q(ae, match_gzip, NULL) > 0;
}

static bool match_word(const char *tok, size_t len, void *ctx)
{
        return tok_is(tok, len, (const char *)ctx);
}

bool http_accepts_csv(const char *accept)
{
        if (!accept)
                return false;
        double csv = header_q(accept, match_word, (void *)"text/csv");
        if (csv <= 0)
                return false;
        double json = header_q(accept, match_word, (void *)"application/json");
        double geo = header_q(accept, match_word, (void *)"application/geo+json");
        return csv >= json && csv >= geo;
}

bool http_etag_matches(const char *inm, const char *etag)
{
        if (!inm || !etag)
                return false;
        size_t el = strlen(etag);
        const char *p = inm;
        while (*p) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (!*p)
                        break;
                if (*p == '*')
                        return true;
                if (p[0] == 'W' && p[1] == '/')
                        p += 2;
                const char *start = p;
                if (*p == '"') {
                        const char *q = strchr(p + 1, '"');
                        if (!q)
                                return false;
                        p = q + 1;
                } else {
                        while (*p && *p != ',')
                                p++;
                }
                if ((size_t)(p - start) == el && memcmp(start, etag, el) == 0)
                        return true;
                while (*p && *p != ',')
                        p++;
        }
        return false;
}

void http_etag_of(const void *data, size_t len, const char *suffix, char *etag, size_t etaglen)
{
        /* FNV-1a over 8-byte words, then the tail bytes: a validator, not a
         * security hash, and fast enough for half a megabyte per answer. */
        const unsigned char *b = data;
        uint64_t h = 1469598103934665603ULL ^ (uint64_t)len;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
                uint64_t w;
                memcpy(&w, b + i, 8);
                h ^= w;
                h *= 1099511628211ULL;
                h ^= h >> 29;
        }
        for (; i < len; i++) {
                h ^= b[i];
                h *= 1099511628211ULL;
        }
        snprintf(etag, etaglen, "\"%016llx%s\"", (unsigned long long)h, suffix ? suffix : "");
}

static const struct {
        const char *ext;
        const char *type;
} mime_table[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"geojson", "application/geo+json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"webp", "image/webp"},
    {"gif", "image/gif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"avif", "image/avif"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"mvt", "application/vnd.mapbox-vector-tile"},
    {"pbf", "application/x-protobuf"},
};

const char *http_mime_type(const char *name)
{
        const char *slash = strrchr(name, '/');
        const char *base = slash ? slash + 1 : name;
        const char *dot = strrchr(base, '.');
        if (dot && dot != base) {
                for (size_t i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
                        if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
                                return mime_table[i].type;
        }
        return "application/octet-stream";
}

bool http_type_compressible(const char *t)
{
        if (!t)
                return false;
        return strncmp(t, "text/", 5) == 0 || strncmp(t, "application/json", 16) == 0 ||
               strncmp(t, "application/geo+json", 20) == 0 ||
               strncmp(t, "application/manifest+json", 25) == 0 ||
               strncmp(t, "application/xml", 15) == 0 ||
               strncmp(t, "application/atom+xml", 20) == 0 ||
               strncmp(t, "application/cap+xml", 19) == 0 ||
               strncmp(t, "application/schema+json", 23) == 0 ||
               strncmp(t, "application/vnd.oai.openapi+json", 32) == 0 ||
               strncmp(t, "image/svg+xml", 13) == 0 ||
               strncmp(t, "application/vnd.mapbox-vector-tile", 34) == 0;
}

bool http_name_is_hashed(const char *name)
{
        const char *slash = strrchr(name, '/');
        const char *base = slash ? slash + 1 : name;
        const char *dot = strrchr(base, '.');
        if (!dot || dot == base)
                return false;
        /* The hash sits between the last '-' or '.' before the extension and
         * the extension: Vite writes "name-HASH.ext", others "name.HASH.ext". */
        const char *h = dot;
        while (h > base && (isalnum((unsigned char)h[-1]) || h[-1] == '_'))
                h--;
        if (h == base || (h[-1] != '-' && h[-1] != '.'))
                return false;
        size_t n = (size_t)(dot - h);
        if (n < 8 || n > 64)
                return false;
        bool digit = false, upper = false, lower = false;
        for (const char *c = h; c < dot; c++) {
                digit |= isdigit((unsigned char)*c) != 0;
                upper |= isupper((unsigned char)*c) != 0;
                lower |= islower((unsigned char)*c) != 0;
        }
        /* A word like "settings" is not a hash: ask for a digit or mixed case. */
        return digit || (upper && lower);
}

int http_path_safe(const char *path)
{
        if (!path || path[0] != '/')
                return -EINVAL;
        for (const char *p = path; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c < 0x20 || c == 0x7f || c == '\\')
                        return -EINVAL;
        }
        const char *seg = path + 1;
        while (*seg) {
                const char *e = strchr(seg, '/');
                size_t n = e ? (size_t)(e - seg) : strlen(seg);
                if (n > 0 && seg[0] == '.')
                        return -EINVAL;
                if (!e)
                        break;
                seg = e + 1;
        }
        return 0;
}

bool http_utf8_printable(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + len;
        while (p < end) {
                unsigned char c = *p;
                if (c < 0x80) {
                        if (c < 0x20 || c == 0x7f)
                                return false;
                        p++;
                        continue;
                }
                size_t n;
                uint32_t cp;
                if ((c & 0xe0) == 0xc0) {
                        n = 1;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 2;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 3;
                        cp = c & 0x07;
                } else
                        return false;
                if ((size_t)(end - p) <= n)
                        return false;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                /* Overlong forms, surrogates and values past U+10FFFF. */
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                p += n + 1;
        }
        return true;
}

static int parse_double(const char *s, size_t len, double *out)
{
        char tmp[64];
        if (len == 0 || len >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        /* strtod takes "inf", "nan" and hex floats; a coordinate or a value
         * in a query string is plain decimal. */
        for (size_t i = 0; i < len; i++)
                if (!strchr("0123456789+-.eE", tmp[i]))
                        return -EINVAL;
        char *end = NULL;
        errno = 0;
        double v = strtod(tmp, &end);
        if (errno || !end || *end || !isfinite(v))
                return -EINVAL;
        *out = v;
        return 0;
}

int http_parse_bbox(const char *s, double out[4])
{
        double v[6];
        size_t n = 0;
        const char *p = s;
        for (;;) {
                const char *c = strchr(p, ',');
                size_t l = c ? (size_t)(c - p) : strlen(p);
                if (n >= 6 || parse_double(p, l, &v[n]) < 0)
                        return -EINVAL;
                n++;
                if (!c)
                        break;
                p = c + 1;
        }
        if (n == 4) {
                out[0] = v[0], out[1] = v[1], out[2] = v[2], out[3] = v[3];
        } else if (n == 6) {
                out[0] = v[0], out[1] = v[1], out[2] = v[3], out[3] = v[4];
        } else
                return -EINVAL;
        if (out[0] < -180 || out[2] > 180 || out[1] < -90 || out[3] > 90 || out[1] > out[3])
                return -EINVAL;
        /* A box may cross the antimeridian (minlon > maxlon) per OGC; Japan
         * does not, and the store's queries do not support it. */
        if (out[0] > out[2])
                return -EINVAL;
        return 0;
}

static int parse_instant(const char *s, size_t len, int64_t *out)
{
        char tmp[64];
        if (len == 0 || len >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        return time_parse_iso8601(tmp, INT32_MIN, out);
}

int http_time_range(const char *from, const char *to, int64_t now_s, int64_t def_span,
                    int64_t max_span, int64_t *from_out, int64_t *to_out, char *why, size_t why_len)
{
        int64_t a, b, f, t = (now_s / 60 + 1) * 60;
        if (to) {
                if (http_parse_datetime(to, &a, &b) < 0 || a != b) {
                        snprintf(why, why_len, "to: an RFC 3339 time");
                        return -EINVAL;
                }
                t = a;
        }
        f = t - def_span;
        if (from) {
                if (http_parse_datetime(from, &a, &b) < 0 || a != b) {
                        snprintf(why, why_len, "from: an RFC 3339 time");
                        return -EINVAL;
                }
                f = a;
        }
        if (f >= t || t - f > max_span) {
                snprintf(why, why_len, "from must be before to, at most %lld days",
                         (long long)(max_span / 86400));
                return -EINVAL;
        }
        *from_out = f;
        *to_out = t;
        return 0;
}

int http_parse_datetime(const char *s, int64_t *start, int64_t *end)
{
        const char *slash = strchr(s, '/');
        if (!slash) {
                int64_t t;
                if (parse_instant(s, strlen(s), &t) < 0)
                        return -EINVAL;
                *start = *end = t;
                return 0;
        }
        size_t l1 = (size_t)(slash - s);
        const char *b = slash + 1;
        size_t l2 = strlen(b);
        bool open1 = l1 == 0 || (l1 == 2 && memcmp(s, "..", 2) == 0);
        bool open2 = l2 == 0 || (l2 == 2 && memcmp(b, "..", 2) == 0);
        if (open1 && open2)
                return -EINVAL;
        *start = INT64_MIN;
        *end = INT64_MAX;
        if (!open1 && parse_instant(s, l1, start) < 0)
                return -EINVAL;
        if (!open2 && parse_instant(b, l2, end) < 0)
                return -EINVAL;
        if (*start > *end)
                return -EINVAL;
        return 0;
}

int http_param_check(const struct portal_param *p, const char *v, size_t len, char *err,
                     size_t errlen)
{
        size_t max = p->max_len ? p->max_len : 256;
        if (len > max) {
                snprintf(err, errlen, "%s: longer than %zu bytes", p->name, max);
                return -EINVAL;
        }
        if (strlen(v) != len || !http_utf8_printable(v, len)) {
                snprintf(err, errlen, "%s: control characters or invalid UTF-8", p->name);
                return -EINVAL;
        }
        switch (p->type) {
        case PARAM_STRING:
                return 0;
        case PARAM_ID:
                if (len == 0)
                        goto bad;
                for (size_t i = 0; i < len; i++)
                        if (!isalnum((unsigned char)v[i]) && !strchr("_.:-", v[i]))
                                goto bad;
                if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
                        goto bad;
                return 0;
        case PARAM_INT: {
                if (len == 0 || len > 20)
                        goto bad;
                for (size_t i = 0; i < len; i++)
                        if (!isdigit((unsigned char)v[i]) && !(i == 0 && v[i] == '-'))
                                goto bad;
                char *end = NULL;
                errno = 0;
                long long n = strtoll(v, &end, 10);
                if (errno || *end || (double)n < p->min || (double)n > p->max) {
                        snprintf(err, errlen, "%s: an integer from %.0f to %.0f", p->name, p->min,
                                 p->max);
                        return -EINVAL;
                }
                return 0;
        }
        case PARAM_NUMBER: {
                double d;
                if (parse_double(v, len, &d) < 0 || d < p->min || d > p->max) {
                        snprintf(err, errlen, "%s: a number from %g to %g", p->name, p->min,
                                 p->max);
                        return -EINVAL;
                }
                return 0;
        }
        case PARAM_BBOX: {
                double b[4];
                if (http_parse_bbox(v, b) < 0) {
                        snprintf(err, errlen, "%s: minlon,minlat,maxlon,maxlat", p->name);
                        return -EINVAL;
                }
                return 0;
        }
        case PARAM_DATETIME: {
                int64_t a, b;
                if (http_parse_datetime(v, &a, &b) < 0) {
                        snprintf(err, errlen, "%s: an RFC 3339 time or interval", p->name);
                        return -EINVAL;
                }
                return 0;
        }
        case PARAM_ENUM: {
                const char *c = p->choices;
                while (c && *c) {
                        const char *bar = strchr(c, '|');
                        size_t l = bar ? (size_t)(bar - c) : strlen(c);
                        if (l == len && memcmp(c, v, len) == 0)
                                return 0;
                        c = bar ? bar + 1 : NULL;
                }
                snprintf(err, errlen, "%s: one of %s", p->name, p->choices ? p->choices : "");
                return -EINVAL;
        }
        }
bad:
        snprintf(err, errlen, "%s: not a valid value", p->name);
        return -EINVAL;
}
