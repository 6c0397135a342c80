/* OGC API – Features, Part 1 (core, GeoJSON, OpenAPI 3.0) as plain
 * functions writing JSON: the landing page, conformance, collections and
 * items pages with bbox, datetime, limit and next links.  A data set takes
 * part by filling one struct ogc_collection; the functions never see the
 * store.  Pure: no I/O, no logging. */
#ifndef SONAE_PORTAL_OGC_H
#define SONAE_PORTAL_OGC_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Declared, not included: collection providers need not see the writer. */
struct json_writer;

#define OGC_LIMIT_DEFAULT 100
#define OGC_LIMIT_MAX     10000
#define OGC_CRS84         "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

struct ogc_query {
        bool has_bbox;
        double bbox[4]; /* minlon, minlat, maxlon, maxlat */
        bool has_datetime;
        int64_t t0, t1;    /* UTC seconds; INT64_MIN / INT64_MAX for open ends */
        char datetime[80]; /* as given, for next links */
        size_t limit;
        size_t offset;
};

struct ogc_collection {
        const char *id;    /* "stations" */
        const char *title; /* Japanese first */
        const char *description;
        double extent[4]; /* lon/lat bounding box of the data */
        /* Writes the features matching q, from q->offset, at most q->limit,
         * each as one GeoJSON Feature value into w (already inside an array).
         * Sets *returned, *more when another page follows, and *matched to
         * the total or -1 if unknown.  Returns 0 or a negative code. */
        int (*items)(void *ctx, const struct ogc_query *q, struct json_writer *w, size_t *returned,
                     bool *more, long *matched);
        /* Writes one Feature; -ENOENT if there is none with that id. */
        int (*item)(void *ctx, const char *id, struct json_writer *w);
        void *ctx;
};

/* Checks and parses the query parameters (each may be NULL).  Returns 0, or
 * -EINVAL with a reason in err. */
int ogc_query_parse(const char *bbox, const char *datetime, const char *limit, const char *offset,
                    struct ogc_query *q, char *err, size_t errlen);

/* base is the absolute URL of the API root, e.g. "https://bousai.example.jp/api/v1/ogc". */
int ogc_write_landing(struct buf *out, const char *base, const char *title,
                      const char *openapi_url);
int ogc_write_conformance(struct buf *out);
int ogc_write_collections(struct buf *out, const char *base, const struct ogc_collection *const *c,
                          size_t n);
int ogc_write_collection(struct buf *out, const char *base, const struct ogc_collection *c);
/* The items page: a FeatureCollection with numberReturned, numberMatched
 * when known, timeStamp, and self/next/collection links. */
int ogc_write_items(struct buf *out, const char *base, const struct ogc_collection *c,
                    const struct ogc_query *q, int64_t now_s);
int ogc_write_item(struct buf *out, const char *base, const struct ogc_collection *c,
                   const char *id);

/* Percent-encodes s for a query string value (RFC 3986 unreserved kept). */
int ogc_url_encode(struct buf *out, const char *s);

#endif
