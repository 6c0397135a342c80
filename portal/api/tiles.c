/* GET /api/v1/tiles/{layer}/{z}/{x}/{y}.mvt: the Mapbox Vector Tiles made
 * at import (docs/portal.md), and GET /api/v1/tiles/{layer}: the layer's
 * version and the URL template that names it.
 *
 * A tile URL with ?v=VERSION of the active version is cached for a year
 * (immutable): a new import changes the version and so the URL.  Without
 * v the answer is cached briefly.  Every ETag carries the version.  A v of
 * another version answers 404: old tiles are not served.  z, x and y must
 * be plain decimal numbers inside the tile grid (400 otherwise); a tile
 * that was not made (empty, or outside the layer's zooms) is 404. */
#include "api.h"
#include "json.h"
#include "portal.h"
#include "store.h"
#include "store_roads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TILE_YEAR_S 31536000

/* A decimal of 1-7 digits without sign or leading zeros, up to end. */
static bool tile_num(const char *s, const char *end, long *v)
{
        size_t n = (size_t)(end - s);
        if (n < 1 || n > 7 || (n > 1 && s[0] == '0'))
                return false;
        long r = 0;
        for (const char *p = s; p < end; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                r = r * 10 + (*p - '0');
        }
        *v = r;
        return true;
}

static int tile(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *layer = portal_req_path_param(req, "layer");
        const char *zs = portal_req_path_param(req, "z");
        const char *xs = portal_req_path_param(req, "x");
        const char *ys = portal_req_path_param(req, "y");
        const char *want = portal_req_query(req, "v");
        size_t yl = ys ? strlen(ys) : 0;
        if (!layer || !zs || !xs || yl < 5 || strcmp(ys + yl - 4, ".mvt") != 0)
                return portal_resp_error(resp, 404, "no such tile: /tiles/{layer}/{z}/{x}/{y}.mvt");
        long z, x, y;
        if (!tile_num(zs, zs + strlen(zs), &z) || !tile_num(xs, xs + strlen(xs), &x) ||
            !tile_num(ys, ys + yl - 4, &y))
                return portal_resp_error(resp, 400, "z, x, y: decimal numbers");
        if (z > 22 || x >= (1L << z) || y >= (1L << z))
                return portal_resp_error(resp, 400, "z, x, y: outside the tile grid (z 0-22)");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        void *data = NULL;
        size_t len = 0;
        char version[65];
        int rc = store_tile_get(st, layer, (int)z, (int)x, (int)y, &data, &len, version);
        if (rc == -ENOENT && want) {
                /* No tile here: still refuse an old version as such. */
                rc = store_tile_version(st, layer, version);
                if (rc == 0)
                        rc = -ENOENT;
        }
        portal_store_release(app, st);
        if (rc == -ENOENT) {
                resp->no_cache = true;
                return portal_resp_error(resp, 404, "no tile here (empty or outside the zooms)");
        }
        if (rc < 0)
                return rc;
        if (want && strcmp(want, version) != 0) {
                free(data);
                resp->no_cache = true;
                return portal_resp_error(resp, 404, "that version of the tiles is not served");
        }
        resp->content_type = "application/vnd.mapbox-vector-tile";
        snprintf(resp->etag_suffix, sizeof(resp->etag_suffix), "%s", version);
        if (want)
                resp->max_age = TILE_YEAR_S;
        rc = buf_append(&resp->body, data, len);
        free(data);
        return rc;
}

static int layer_info(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *layer = portal_req_path_param(req, "layer");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        char version[65];
        int rc = store_tile_version(st, layer, version);
        portal_store_release(app, st);
        if (rc == -ENOENT) {
                resp->no_cache = true;
                return portal_resp_error(resp, 404, "no tiles for this layer");
        }
        if (rc < 0)
                return rc;
        char tmpl[256];
        snprintf(tmpl, sizeof(tmpl), "/api/v1/tiles/%s/{z}/{x}/{y}.mvt?v=%s", layer, version);
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "layer");
        json_str(&w, layer);
        json_key(&w, "version");
        json_str(&w, version);
        json_key(&w, "tiles");
        json_arr_begin(&w);
        json_str(&w, tmpl);
        json_arr_end(&w);
        json_key(&w, "format");
        json_str(&w, "pbf");
        json_key(&w, "scheme");
        json_str(&w, "xyz");
        json_obj_end(&w);
        snprintf(resp->etag_suffix, sizeof(resp->etag_suffix), "%s", version);
        return json_error(&w);
}

const struct portal_route api_tiles_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/tiles/{layer}",
     .name = "tiles_layer",
     .handler = layer_info,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 60,
     .cache_ms = 0, /* a new import must show at once */
     .summary = "A tile layer's version and its versioned tile URL template."},
    {.method = "GET",
     .pattern = "/api/v1/tiles/{layer}/{z}/{x}/{y}",
     .name = "tiles",
     .handler = tile,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 60,
     .cache_ms = 0, /* one indexed read; old tiles must never be kept */
     .summary = "A Mapbox Vector Tile ({y}.mvt) of a layer made at import.",
     .params =
         {
             {"v", PARAM_ID, 0, 0, NULL, 64, "the layer's version: a year's cache when current"},
         }},
    {0},
};
