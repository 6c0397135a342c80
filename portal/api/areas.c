/* GET /api/v1/areas: the 市町村等 areas (JMA codes) with their boundaries,
 * simplified to about 100 m, for maps that fill each area by the level in
 * force (the levels themselves come from /api/v1/alerts).  Public: the
 * boundaries are official open data. */
#include "api.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_sources.h"

#define SIMPLIFY_DEG 0.001

static int areas(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_area_shape_list l = {0};
        int rc = store_area_shapes(st, SIMPLIFY_DEG, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        json_t *features = json_array();
        for (size_t i = 0; i < l.n; i++) {
                json_error_t e;
                json_t *g = json_loads(l.v[i].geojson, 0, &e);
                if (!g)
                        continue;
                json_array_append_new(features,
                                      json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s}}", "type",
                                                "Feature", "id", l.v[i].code, "geometry", g,
                                                "properties", "area_code", l.v[i].code, "area_name",
                                                l.v[i].name, "kind", l.v[i].kind));
        }
        store_area_shape_list_free(&l);
        return resp_json(resp, 200,
                         json_pack("{s:s, s:o, s:s}", "type", "FeatureCollection", "features",
                                   features, "attribution", "気象庁 (予報区等GISデータ)"));
}

const struct portal_route api_areas_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/areas",
     .name = "areas",
     .handler = areas,
     .flags = ROUTE_PUBLIC,
     .max_age = 300,
     .cache_ms = 60000,
     .summary = "The 市町村等 areas with simplified boundaries (GeoJSON), for level maps."},
    {0},
};
