#include "ogc.h"
#include "json.h"
#include "httputil.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ogc_query_parse(const char *bbox, const char *datetime, const char *limit, const char *offset,
                    struct ogc_query *q, char *err, size_t errlen)
{
        memset(q, 0, sizeof(*q));
        q->limit = OGC_LIMIT_DEFAULT;
        q->t0 = INT64_MIN;
        q->t1 = INT64_MAX;
        if (bbox) {
                if (http_parse_bbox(bbox, q->bbox) < 0) {
                        snprintf(err, errlen, "bbox: minlon,minlat,maxlon,maxlat in WGS84");
                        return -EINVAL;
                }
                q->has_bbox = true;
        }
        if (datetime) {
                if (strlen(datetime) >= sizeof(q->datetime) ||
                    http_parse_datetime(datetime, &q->t0, &q->t1) < 0) {
                        snprintf(err, errlen, "datetime: an RFC 3339 time or interval");
                        return -EINVAL;
                }
                q->has_datetime = true;
                snprintf(q->datetime, sizeof(q->datetime), "%s", datetime);
        }
        if (limit) {
                char *end = NULL;
                errno = 0;
                long long n = strtoll(limit, &end, 10);
                if (!*limit || errno || *end || n < 1) {
                        snprintf(err, errlen, "limit: an integer from 1 to %d", OGC_LIMIT_MAX);
                        return -EINVAL;
                }
                /* The standard asks servers to cap, not refuse, a large limit. */
                q->limit = n > OGC_LIMIT_MAX ? OGC_LIMIT_MAX : (size_t)n;
        }
        if (offset) {
                char *end = NULL;
                errno = 0;
                long long n = strtoll(offset, &end, 10);
                if (!*offset || errno || *end || n < 0 || n > 100000000) {
                        snprintf(err, errlen, "offset: a non-negative integer");
                        return -EINVAL;
                }
                q->offset = (size_t)n;
        }
        return 0;
}

int ogc_url_encode(struct buf *out, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        int rc = 0;
        for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
                        rc = buf_putc(out, (char)*p);
                else {
                        char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
                        rc = buf_append(out, e, 3);
                }
        }
        return rc;
}

static void link(struct json_writer *w, const char *href, const char *rel, const char *type,
                 const char *title)
{
        json_obj_begin(w);
        json_key(w, "href");
        json_str(w, href);
        json_key(w, "rel");
        json_str(w, rel);
        if (type) {
                json_key(w, "type");
                json_str(w, type);
        }
        if (title) {
                json_key(w, "title");
                json_str(w, title);
        }
        json_obj_end(w);
}

/* A link to base + suffix. */
static void linkf(struct json_writer *w, const char *rel, const char *type, const char *title,
                  const char *base, const char *suffix)
{
        char href[1024];
        snprintf(href, sizeof(href), "%s%s", base, suffix);
        link(w, href, rel, type, title);
}

int ogc_write_landing(struct buf *out, const char *base, const char *title, const char *openapi_url)
{
        struct json_writer w;
        json_init(&w, out);
        json_obj_begin(&w);
        json_key(&w, "title");
        json_str(&w, title);
        json_key(&w, "description");
        json_str(&w, "備え (Sonae) の防災情報: 観測所、警報・避難情報、避難所。"
                     "出典: 気象庁、国土交通省、国土地理院。");
        json_key(&w, "links");
        json_arr_begin(&w);
        linkf(&w, "self", "application/json", "this document", base, "");
        link(&w, openapi_url, "service-desc", "application/vnd.oai.openapi+json;version=3.0",
             "the API definition");
        linkf(&w, "conformance", "application/json", "conformance classes", base, "/conformance");
        linkf(&w, "data", "application/json", "collections", base, "/collections");
        json_arr_end(&w);
        json_obj_end(&w);
        return json_error(&w);
}

int ogc_write_conformance(struct buf *out)
{
        static const char *const classes[] = {
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        };
        struct json_writer w;
        json_init(&w, out);
        json_obj_begin(&w);
        json_key(&w, "conformsTo");
        json_arr_begin(&w);
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
                json_str(&w, classes[i]);
        json_arr_end(&w);
        json_obj_end(&w);
        return json_error(&w);
}

static void write_collection(struct json_writer *w, const char *base,
                             const struct ogc_collection *c)
{
        char href[1024];
        json_obj_begin(w);
        json_key(w, "id");
        json_str(w, c->id);
        json_key(w, "title");
        json_str(w, c->title);
        if (c->description) {
                json_key(w, "description");
                json_str(w, c->description);
        }
        json_key(w, "itemType");
        json_str(w, "feature");
        json_key(w, "crs");
        json_arr_begin(w);
        json_str(w, OGC_CRS84);
        json_arr_end(w);
        json_key(w, "extent");
        json_obj_begin(w);
        json_key(w, "spatial");
        json_obj_begin(w);
        json_key(w, "bbox");
        json_arr_begin(w);
        json_arr_begin(w);
        for (int i = 0; i < 4; i++)
                json_double(w, c->extent[i]);
        json_arr_end(w);
        json_arr_end(w);
        json_key(w, "crs");
        json_str(w, OGC_CRS84);
        json_obj_end(w);
        json_obj_end(w);
        json_key(w, "links");
        json_arr_begin(w);
        snprintf(href, sizeof(href), "%s/collections/%s", base, c->id);
        link(w, href, "self", "application/json", c->title);
        snprintf(href, sizeof(href), "%s/collections/%s/items", base, c->id);
        link(w, href, "items", "application/geo+json", c->title);
        json_arr_end(w);
        json_obj_end(w);
}

int ogc_write_collections(struct buf *out, const char *base, const struct ogc_collection *const *c,
                          size_t n)
{
        struct json_writer w;
        json_init(&w, out);
        json_obj_begin(&w);
        json_key(&w, "links");
        json_arr_begin(&w);
        linkf(&w, "self", "application/json", "collections", base, "/collections");
        json_arr_end(&w);
        json_key(&w, "collections");
        json_arr_begin(&w);
        for (size_t i = 0; i < n; i++)
                write_collection(&w, base, c[i]);
        json_arr_end(&w);
        json_obj_end(&w);
        return json_error(&w);
}

int ogc_write_collection(struct buf *out, const char *base, const struct ogc_collection *c)
{
        struct json_writer w;
        json_init(&w, out);
        write_collection(&w, base, c);
        return json_error(&w);
}

/* The query string of a page: the caller's filters with a new offset. */
static int page_href(struct buf *href, const char *base, const struct ogc_collection *c,
                     const struct ogc_query *q, size_t offset)
{
        int rc = buf_printf(href, "%s/collections/%s/items?limit=%zu", base, c->id, q->limit);
        if (offset)
                rc |= buf_printf(href, "&offset=%zu", offset);
        if (q->has_bbox)
                rc |= buf_printf(href, "&bbox=%.7g,%.7g,%.7g,%.7g", q->bbox[0], q->bbox[1],
                                 q->bbox[2], q->bbox[3]);
        if (q->has_datetime) {
                rc |= buf_puts(href, "&datetime=");
                rc |= ogc_url_encode(href, q->datetime);
        }
        return rc ? -ENOBUFS : 0;
}

int ogc_write_items(struct buf *out, const char *base, const struct ogc_collection *c,
                    const struct ogc_query *q, int64_t now_s)
{
        struct json_writer w;
        struct buf href = BUF_INIT(4096);
        size_t returned = 0;
        long matched = -1;
        int rc;
        json_init(&w, out);
        json_obj_begin(&w);
        json_key(&w, "type");
        json_str(&w, "FeatureCollection");
        json_key(&w, "features");
        json_arr_begin(&w);
        bool more = false;
        if ((rc = c->items(c->ctx, q, &w, &returned, &more, &matched)) < 0)
                goto out;
        json_arr_end(&w);
        json_key(&w, "numberReturned");
        json_int(&w, (int64_t)returned);
        if (matched >= 0) {
                json_key(&w, "numberMatched");
                json_int(&w, matched);
        }
        char ts[32];
        time_format_jst(now_s, ts, sizeof(ts));
        json_key(&w, "timeStamp");
        json_str(&w, ts);
        json_key(&w, "links");
        json_arr_begin(&w);
        if ((rc = page_href(&href, base, c, q, q->offset)) < 0)
                goto out;
        link(&w, href.data, "self", "application/geo+json", "this page");
        if (more) {
                buf_reset(&href);
                if ((rc = page_href(&href, base, c, q, q->offset + q->limit)) < 0)
                        goto out;
                link(&w, href.data, "next", "application/geo+json", "next page");
        }
        if (q->offset > 0) {
                buf_reset(&href);
                size_t prev = q->offset > q->limit ? q->offset - q->limit : 0;
                if ((rc = page_href(&href, base, c, q, prev)) < 0)
                        goto out;
                link(&w, href.data, "prev", "application/geo+json", "previous page");
        }
        buf_reset(&href);
        buf_printf(&href, "%s/collections/%s", base, c->id);
        link(&w, href.data, "collection", "application/json", c->title);
        json_arr_end(&w);
        json_obj_end(&w);
        rc = json_error(&w);
out:
        buf_free(&href);
        return rc;
}

int ogc_write_item(struct buf *out, const char *base, const struct ogc_collection *c,
                   const char *id)
{
        (void)base;
        struct json_writer w;
        json_init(&w, out);
        int rc = c->item ? c->item(c->ctx, id, &w) : -ENOENT;
        if (rc < 0)
                return rc;
        return json_error(&w);
}
