/* GET /api/v1/hazard?lat&lon: what threatens a place, the levels in force
 * there and the nearest suitable shelters per hazard present (the hazard
 * answer of docs/contracts.md).  The query is a resident's place: the route
 * never lets the access log write it (no ROUTE_LOG_QUERY). */
#include "api.h"
#include "geo.h"
#include "json.h"
#include "level.h"
#include "portal.h"
#include "shelterjson.h"
#include "store.h"
#include "store_roads.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shelters listed per hazard present. */
#define HAZARD_SHELTERS 3

static void level_or_null(struct json_writer *w, const char *key, int level)
{
        json_key(w, key);
        if (level == LEVEL_NONE)
                json_null_value(w);
        else
                json_int(w, level);
}

/* "route": the walk to the shelter around the hazard, when a road network
 * is loaded (docs/portal.md). */
static int write_route(struct json_writer *w, const struct geo_route *r)
{
        char *line = geo_route_geojson(r);
        if (!line)
                return -ENOMEM;
        json_key(w, "route");
        json_obj_begin(w);
        json_key(w, "distance_m");
        json_double(w, round(r->distance_m));
        json_key(w, "walk_s");
        json_double(w, round(r->walk_s));
        json_key(w, "through_hazard");
        json_bool(w, r->through_hazard);
        json_key(w, "words_ja");
        json_str(w, r->words_ja);
        json_key(w, "geometry");
        json_raw(w, line);
        json_key(w, "network_version");
        json_str(w, r->graph_version);
        json_obj_end(w);
        free(line);
        return 0;
}

/* Writes "shelters": {HAZARD: [...]} for every hazard present. */
static int write_shelters(struct json_writer *w, struct store *st, double speed,
                          const struct geo_hazard_answer *a)
{
        bool present[HAZARD_COUNT] = {false};
        for (size_t i = 0; i < a->n_hazards; i++) {
                enum store_hazard h;
                if (a->hazards[i].hazard && store_hazard_parse(a->hazards[i].hazard, &h) == 0)
                        present[h] = true;
        }
        json_key(w, "shelters");
        json_obj_begin(w);
        for (int h = 0; h < HAZARD_COUNT; h++) {
                if (!present[h])
                        continue;
                struct geo_shelter_list l = {0};
                int rc = geo_shelters_near_walk(st, a->lon, a->lat, (enum store_hazard)h,
                                                HAZARD_SHELTERS, speed, &l);
                if (rc < 0)
                        return rc;
                json_key(w, store_hazard_name((enum store_hazard)h));
                json_arr_begin(w);
                for (size_t i = 0; i < l.n; i++) {
                        json_obj_begin(w);
                        shelter_hit_members(w, &l.v[i]);
                        if (l.v[i].route && (rc = write_route(w, l.v[i].route)) < 0)
                                break;
                        json_obj_end(w);
                }
                json_arr_end(w);
                geo_shelter_list_free(&l);
                if (rc < 0)
                        return rc;
        }
        json_obj_end(w);
        return 0;
}

static int hazard(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *lat_s = portal_req_query(req, "lat");
        const char *lon_s = portal_req_query(req, "lon");
        if (!lat_s || !lon_s)
                return portal_resp_error(resp, 400, "lat and lon: both required");
        /* Both were checked as finite numbers in range before the handler. */
        double lat = strtod(lat_s, NULL), lon = strtod(lon_s, NULL);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct geo_hazard_answer a;
        int rc = geo_hazard_at(st, lon, lat, portal_app_public_view(app), &a);
        if (rc == -EINVAL) {
                portal_store_release(app, st);
                return portal_resp_error(resp, 400, "lat, lon: outside the covered extent");
        }
        if (rc < 0) {
                portal_store_release(app, st);
                return rc;
        }
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "point");
        json_obj_begin(&w);
        json_key(&w, "type");
        json_str(&w, "Point");
        json_key(&w, "coordinates");
        json_arr_begin(&w);
        json_double(&w, a.lon);
        json_double(&w, a.lat);
        json_arr_end(&w);
        json_obj_end(&w);
        json_key(&w, "areas");
        json_arr_begin(&w);
        for (size_t i = 0; i < a.n_areas; i++)
                json_str(&w, a.areas[i]);
        json_arr_end(&w);
        json_key(&w, "area_code");
        json_str(&w, a.area_code);
        json_key(&w, "area_name");
        json_str(&w, a.area_name);
        json_key(&w, "lg_code");
        json_str(&w, a.lg_code);
        json_key(&w, "district_code");
        json_str(&w, a.district_id ? a.district_code : NULL);
        json_key(&w, "district_name");
        json_str(&w, a.district_id ? a.district_name : NULL);
        json_key(&w, "hazards");
        json_arr_begin(&w);
        for (size_t i = 0; i < a.n_hazards; i++) {
                const struct geo_hazard_hit *h = &a.hazards[i];
                json_obj_begin(&w);
                json_key(&w, "layer");
                json_str(&w, h->layer);
                json_key(&w, "class");
                json_str(&w, h->class_);
                json_key(&w, "label_ja");
                json_str(&w, h->label_ja);
                json_key(&w, "hazard");
                json_str(&w, h->hazard);
                json_key(&w, "title");
                json_str(&w, h->title);
                json_key(&w, "version");
                json_str(&w, h->version);
                json_key(&w, "rank");
                json_int(&w, h->rank);
                json_obj_end(&w);
        }
        json_arr_end(&w);
        json_key(&w, "level_in_force");
        json_obj_begin(&w);
        level_or_null(&w, "jma", a.jma_level);
        level_or_null(&w, "river", a.river_level);
        level_or_null(&w, "city_order", a.order_level);
        json_obj_end(&w);
        json_key(&w, "order_name_ja");
        json_str(&w, a.order_name_ja);
        json_key(&w, "split_unresolved");
        json_bool(&w, a.split_unresolved);
        json_key(&w, "note_ja");
        json_str(&w, a.note_ja);
        json_key(&w, "exercise");
        json_bool(&w, a.exercise);
        rc = write_shelters(&w, st, portal_app_walk_speed(app), &a);
        /* The road network's own attribution, when routes came from it. */
        struct store_road_graph_list gl = {0};
        if (store_road_graphs_list(st, &gl) == 0) {
                for (size_t i = 0; i < gl.n; i++)
                        if (gl.v[i].active) {
                                json_key(&w, "route_attribution");
                                json_str(&w, gl.v[i].attribution);
                        }
                store_road_graph_list_free(&gl);
        }
        portal_store_release(app, st);
        json_key(&w, "attribution");
        json_str(
            &w,
            "国土交通省「国土数値情報」, 国土地理院「指定緊急避難場所・指定避難所データ」, 気象庁");
        json_obj_end(&w);
        geo_hazard_answer_free(&a);
        if (rc < 0)
                return rc;
        return json_error(&w);
}

/* Japan's extent (as the geo importers check it): a point outside is a
 * mistake (swapped axes, a wrong CRS), answered 400 before any query. */
const struct portal_route api_hazard_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/hazard",
     .name = "hazard",
     .handler = hazard,
     .flags = ROUTE_PUBLIC,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "Hazards, levels in force and the nearest suitable shelters at a point.",
     .params =
         {
             {"lat", PARAM_NUMBER, 20, 46, NULL, 32, "latitude (JGD2011/WGS84), required"},
             {"lon", PARAM_NUMBER, 120, 155, NULL, 32, "longitude (JGD2011/WGS84), required"},
         }},
    {0},
};
