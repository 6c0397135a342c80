/* OGC API – Features plumbing over a collection backed by the real 国土地理院
 * shelter file of 鶴岡市: landing links, conformance classes, collection
 * metadata, items with bbox, limit, offset and next links that walk every
 * feature exactly once. */
#include "check.h"
#include "ogc.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* From common/json.h, which cannot be included beside jansson.h (both
 * declare json_null). */
void json_raw(struct json_writer *w, const char *json);

struct shelters {
        json_t *features; /* array */
};

static bool in_bbox(json_t *f, const struct ogc_query *q)
{
        if (!q->has_bbox)
                return true;
        json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
        double lon = json_number_value(json_array_get(c, 0));
        double lat = json_number_value(json_array_get(c, 1));
        return lon >= q->bbox[0] && lon <= q->bbox[2] && lat >= q->bbox[1] && lat <= q->bbox[3];
}

static int items(void *ctx, const struct ogc_query *q, struct json_writer *w, size_t *returned,
                 bool *more, long *matched)
{
        struct shelters *s = ctx;
        size_t i, seen = 0;
        json_t *f;
        *returned = 0;
        *more = false;
        json_array_foreach(s->features, i, f)
        {
                if (!in_bbox(f, q))
                        continue;
                if (seen++ < q->offset)
                        continue;
                if (*returned == q->limit) {
                        *more = true;
                        continue;
                }
                char *txt = json_dumps(f, JSON_COMPACT);
                json_raw(w, txt);
                free(txt);
                (*returned)++;
        }
        *matched = (long)seen;
        return 0;
}

static int item(void *ctx, const char *id, struct json_writer *w)
{
        struct shelters *s = ctx;
        size_t i;
        json_t *f;
        json_array_foreach(s->features, i, f)
        {
                json_t *no = json_object_get(json_object_get(f, "properties"), "NO");
                char buf[32];
                snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(no));
                if ((json_is_string(no) && strcmp(json_string_value(no), id) == 0) ||
                    (json_is_integer(no) && strcmp(buf, id) == 0)) {
                        char *txt = json_dumps(f, JSON_COMPACT);
                        json_raw(w, txt);
                        free(txt);
                        return 0;
                }
        }
        return -ENOENT;
}

static json_t *parse(const struct buf *b)
{
        json_error_t e;
        json_t *j = json_loadb(b->data, b->len, 0, &e);
        if (!j)
                fprintf(stderr, "JSON error: %s at %d\n", e.text, e.position);
        return j;
}

static const char *link_href(json_t *doc, const char *rel)
{
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(doc, "links"), i,
                           l) if (strcmp(json_string_value(json_object_get(l, "rel")), rel) ==
                                  0) return json_string_value(json_object_get(l, "href"));
        return NULL;
}

/* Reads the query of a next link back into a query struct. */
static int query_of(const char *href, struct ogc_query *q)
{
        char bbox[128] = "", limit[32] = "", offset[32] = "";
        const char *qs = strchr(href, '?');
        if (!qs)
                return -EINVAL;
        for (const char *p = qs + 1; *p;) {
                const char *amp = strchr(p, '&');
                size_t l = amp ? (size_t)(amp - p) : strlen(p);
                if (strncmp(p, "bbox=", 5) == 0)
                        snprintf(bbox, sizeof(bbox), "%.*s", (int)(l - 5), p + 5);
                else if (strncmp(p, "limit=", 6) == 0)
                        snprintf(limit, sizeof(limit), "%.*s", (int)(l - 6), p + 6);
                else if (strncmp(p, "offset=", 7) == 0)
                        snprintf(offset, sizeof(offset), "%.*s", (int)(l - 7), p + 7);
                p += l + (amp ? 1 : 0);
        }
        char err[160];
        return ogc_query_parse(bbox[0] ? bbox : NULL, NULL, limit[0] ? limit : NULL,
                               offset[0] ? offset : NULL, q, err, sizeof(err));
}

int main(void)
{
        char file[600];
        json_error_t je;
        snprintf(file, sizeof(file), "%s/gis/shelters/gsi_emergency_062031_tsuruoka.geojson",
                 check_fixtures());
        json_t *root = json_load_file(file, 0, &je);
        CHECK(root != NULL);
        if (!root)
                return check_done("test_ogc");
        struct shelters s = {json_object_get(root, "features")};
        size_t total = json_array_size(s.features);
        CHECK_INT(total, 535);
        struct ogc_collection c = {
            .id = "shelters",
            .title = "指定緊急避難場所",
            .description = "出典: 国土地理院",
            .extent = {139.5, 38.4, 140.1, 38.9},
            .items = items,
            .item = item,
            .ctx = &s,
        };
        const char *base = "http://127.0.0.1:8080/api/v1/ogc";
        struct buf out = BUF_INIT(0);

        CHECK_INT(
            ogc_write_landing(&out, base, "Sonae", "http://127.0.0.1:8080/api/v1/openapi.json"), 0);
        json_t *j = parse(&out);
        CHECK(j && json_is_string(json_object_get(j, "title")));
        CHECK_STR(link_href(j, "conformance"), "http://127.0.0.1:8080/api/v1/ogc/conformance");
        CHECK_STR(link_href(j, "data"), "http://127.0.0.1:8080/api/v1/ogc/collections");
        CHECK_STR(link_href(j, "service-desc"), "http://127.0.0.1:8080/api/v1/openapi.json");
        CHECK(link_href(j, "self") != NULL);
        json_decref(j);

        buf_reset(&out);
        CHECK_INT(ogc_write_conformance(&out), 0);
        CHECK(strstr(out.data, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
        CHECK(strstr(out.data, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"));

        buf_reset(&out);
        const struct ogc_collection *list[] = {&c};
        CHECK_INT(ogc_write_collections(&out, base, list, 1), 0);
        j = parse(&out);
        json_t *c0 = json_array_get(json_object_get(j, "collections"), 0);
        CHECK_STR(json_string_value(json_object_get(c0, "id")), "shelters");
        CHECK_STR(link_href(c0, "items"),
                  "http://127.0.0.1:8080/api/v1/ogc/collections/shelters/items");
        CHECK(
            json_array_size(json_array_get(
                json_object_get(json_object_get(json_object_get(c0, "extent"), "spatial"), "bbox"),
                0)) == 4);
        json_decref(j);

        /* Walk the whole collection with next links, 100 at a time. */
        struct ogc_query q;
        char err[160];
        CHECK_INT(ogc_query_parse(NULL, NULL, "100", NULL, &q, err, sizeof(err)), 0);
        size_t seen = 0, pages = 0;
        for (;;) {
                buf_reset(&out);
                CHECK_INT(ogc_write_items(&out, base, &c, &q, 1721884610), 0);
                j = parse(&out);
                if (!j)
                        break;
                CHECK_STR(json_string_value(json_object_get(j, "type")), "FeatureCollection");
                size_t n = json_array_size(json_object_get(j, "features"));
                CHECK_INT(json_integer_value(json_object_get(j, "numberReturned")), n);
                CHECK_INT(json_integer_value(json_object_get(j, "numberMatched")), total);
                CHECK_STR(json_string_value(json_object_get(j, "timeStamp")),
                          "2024-07-25T14:16:50+09:00");
                CHECK(link_href(j, "self") && link_href(j, "collection"));
                seen += n;
                pages++;
                const char *next = link_href(j, "next");
                if (!next || pages > 10) {
                        json_decref(j);
                        break;
                }
                CHECK_INT(query_of(next, &q), 0);
                json_decref(j);
        }
        CHECK_INT(seen, total);
        CHECK_INT(pages, 6);

        /* bbox: the centre of 鶴岡市 only. */
        CHECK_INT(
            ogc_query_parse("139.80,38.70,139.86,38.75", NULL, "1000", NULL, &q, err, sizeof(err)),
            0);
        buf_reset(&out);
        CHECK_INT(ogc_write_items(&out, base, &c, &q, 0), 0);
        j = parse(&out);
        size_t nb = json_array_size(json_object_get(j, "features"));
        CHECK(nb > 0 && nb < total);
        CHECK(link_href(j, "next") == NULL);
        CHECK(strstr(link_href(j, "self"), "bbox=139.8,38.7,139.86,38.75") != NULL);
        json_decref(j);

        /* The limit is capped, not refused; bad values are refused. */
        CHECK_INT(ogc_query_parse(NULL, NULL, "999999", NULL, &q, err, sizeof(err)), 0);
        CHECK_INT(q.limit, OGC_LIMIT_MAX);
        CHECK_INT(ogc_query_parse(NULL, NULL, "0", NULL, &q, err, sizeof(err)), -EINVAL);
        CHECK_INT(ogc_query_parse(NULL, NULL, "-1", NULL, &q, err, sizeof(err)), -EINVAL);
        CHECK_INT(ogc_query_parse("1,2,3", NULL, NULL, NULL, &q, err, sizeof(err)), -EINVAL);
        CHECK_INT(
            ogc_query_parse(NULL, "2024-07-25T00:00:00+09:00/..", NULL, NULL, &q, err, sizeof(err)),
            0);
        CHECK(q.has_datetime && q.t1 == INT64_MAX && q.t0 == 1721833200);
        CHECK_INT(ogc_query_parse(NULL, "nonsense", NULL, NULL, &q, err, sizeof(err)), -EINVAL);
        /* The datetime goes into next links percent-encoded. */
        struct buf enc = BUF_INIT(0);
        CHECK_INT(ogc_url_encode(&enc, "2024-07-25T00:00:00+09:00/.."), 0);
        CHECK_STR(enc.data, "2024-07-25T00%3A00%3A00%2B09%3A00%2F..");
        buf_free(&enc);

        /* One feature, and a missing one. */
        buf_reset(&out);
        json_t *f0 = json_array_get(s.features, 0);
        json_t *no = json_object_get(json_object_get(f0, "properties"), "NO");
        char id[32];
        if (json_is_string(no))
                snprintf(id, sizeof(id), "%s", json_string_value(no));
        else
                snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(no));
        CHECK_INT(ogc_write_item(&out, base, &c, id), 0);
        CHECK(strstr(out.data, "\"Feature\"") != NULL);
        buf_reset(&out);
        CHECK_INT(ogc_write_item(&out, base, &c, "no-such"), -ENOENT);

        buf_free(&out);
        json_decref(root);
        return check_done("test_ogc");
}
