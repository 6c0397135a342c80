/* GET /api/v1/shelters: 指定緊急避難場所・指定避難所 as GeoJSON with their
 * suitability per hazard and the status staff set (open, occupancy). */
#include "api.h"
#include "geo.h"
#include "httputil.h"
#include "json.h"
#include "portal.h"
#include "shelterjson.h"
#include "store.h"
#include "store_places.h"

#include <stdlib.h>
#include <string.h>

/* The nearest suitable 指定緊急避難場所 to lat, lon (geo_shelters_near():
 * open ones first, then by distance), n of them; or NULL list on failure. */
static int near_list(struct portal_req *req, struct store *st, enum store_hazard h,
                     struct geo_shelter_list *out)
{
        const char *n_s = portal_req_query(req, "n");
        /* Checked as numbers in range before the handler runs. */
        double lat = strtod(portal_req_query(req, "lat"), NULL);
        double lon = strtod(portal_req_query(req, "lon"), NULL);
        size_t n = n_s ? (size_t)strtol(n_s, NULL, 10) : 10;
        return geo_shelters_near(st, lon, lat, h, n, out);
}

static int shelters(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *hz = portal_req_query(req, "hazard");
        const char *open = portal_req_query(req, "open");
        const char *bbox_s = portal_req_query(req, "bbox");
        double bbox[4];
        enum store_hazard h = HAZARD_FLOOD;
        if (hz && store_hazard_parse(hz, &h) < 0)
                return portal_resp_error(resp, 400, "hazard: unknown");
        if (bbox_s && http_parse_bbox(bbox_s, bbox) < 0)
                return portal_resp_error(resp, 400, "bbox: minlon,minlat,maxlon,maxlat");
        /* With lat and lon: the nearest ones for a hazard, each with its
         * distance, bearing and linked 指定避難所 (the other filters do not
         * apply). */
        bool near = portal_req_query(req, "lat") != NULL;
        if (near != (portal_req_query(req, "lon") != NULL))
                return portal_resp_error(resp, 400, "lat and lon: both or neither");
        if (near && !hz)
                return portal_resp_error(resp, 400, "hazard: required with lat and lon");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_shelter_list l = {0};
        struct geo_shelter_list nl = {0};
        int rc = near ? near_list(req, st, h, &nl)
                      : store_shelters_list(st, open && strcmp(open, "true") == 0, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        struct json_writer w;
        resp->content_type = "application/geo+json";
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "type");
        json_str(&w, "FeatureCollection");
        json_key(&w, "features");
        json_arr_begin(&w);
        for (size_t i = 0; i < nl.n; i++)
                shelter_hit_feature(&w, &nl.v[i], hz);
        for (size_t i = 0; i < l.n; i++) {
                const struct store_shelter *s = &l.v[i];
                if (hz && !s->hazards[h])
                        continue;
                if (open && strcmp(open, "false") == 0 && s->is_open)
                        continue;
                if (bbox_s &&
                    (s->lon < bbox[0] || s->lon > bbox[2] || s->lat < bbox[1] || s->lat > bbox[3]))
                        continue;
                shelter_feature(&w, s);
        }
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "国土地理院 (指定緊急避難場所・指定避難所データ)");
        json_obj_end(&w);
        store_shelter_list_free(&l);
        geo_shelter_list_free(&nl);
        return json_error(&w);
}

const struct portal_route api_shelters_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/shelters",
     .name = "shelters",
     .handler = shelters,
     /* No ROUTE_LOG_QUERY: lat and lon are a resident's place. */
     .flags = ROUTE_PUBLIC,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "Shelters with suitability per hazard, open/closed and occupancy (GeoJSON); "
                "with lat, lon and hazard the nearest ones.",
     .params =
         {
             {"hazard", PARAM_ENUM, 0, 0,
              "flood|landslide|storm_surge|earthquake|tsunami|fire|inland_flood|volcano", 0,
              "only shelters suitable for this hazard"},
             {"open", PARAM_ENUM, 0, 0, "true|false", 0, "only open (true) or closed (false)"},
             {"bbox", PARAM_BBOX, 0, 0, NULL, 200, "minlon,minlat,maxlon,maxlat (WGS84)"},
             {"lat", PARAM_NUMBER, 20, 46, NULL, 32,
              "with lon and hazard: the nearest suitable shelters, open ones first"},
             {"lon", PARAM_NUMBER, 120, 155, NULL, 32, "with lat and hazard"},
             {"n", PARAM_INT, 1, 50, NULL, 0, "with lat and lon: how many (default 10)"},
         }},
    {0},
};
