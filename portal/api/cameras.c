/* GET /api/v1/cameras: the river cameras as GeoJSON with the camera's
 * state (ok|stale|frozen|unknown), `frozen: true` when it re-serves one
 * picture, its newest image (capture time, size, sha256) and the gauge it
 * looks at.  Serving the image bytes is not done yet. */
#include "api.h"
#include "json.h"
#include "portal.h"
#include "store.h"
#include "store_sources.h"
#include "timeutil.h"

#include <string.h>

static void camera_feature(struct json_writer *w, struct store *st, const struct store_latest *c)
{
        const char *state = "unknown";
        int64_t gauge = 0;
        struct store_camera_image_list il = {0};
        if (store_camera_get_state(st, c->id, &state) < 0)
                state = "unknown";
        if (store_camera_gauge(st, c->id, &gauge) < 0)
                gauge = 0;
        if (store_camera_images_list(st, c->id, 0, INT64_MAX, 1, &il) < 0)
                il.n = 0;
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Feature");
        json_key(w, "id");
        json_int(w, c->id);
        json_key(w, "geometry");
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Point");
        json_key(w, "coordinates");
        json_arr_begin(w);
        json_double(w, c->lon);
        json_double(w, c->lat);
        json_arr_end(w);
        json_obj_end(w);
        json_key(w, "properties");
        json_obj_begin(w);
        json_key(w, "name");
        json_str(w, c->name);
        json_key(w, "source");
        json_str(w, c->source);
        json_key(w, "state");
        json_str(w, state);
        json_key(w, "frozen");
        json_bool(w, strcmp(state, "frozen") == 0);
        json_key(w, "gauge_id");
        if (gauge > 0)
                json_int(w, gauge);
        else
                json_null_value(w);
        json_key(w, "latest");
        if (il.n > 0) {
                char when[40];
                time_format_jst(il.v[0].captured_at, when, sizeof(when));
                json_obj_begin(w);
                json_key(w, "captured_at");
                json_str(w, when);
                json_key(w, "width");
                json_int(w, il.v[0].width);
                json_key(w, "height");
                json_int(w, il.v[0].height);
                json_key(w, "sha256");
                json_str(w, il.v[0].sha256);
                json_obj_end(w);
        } else {
                json_null_value(w);
        }
        json_obj_end(w);
        json_obj_end(w);
        store_camera_image_list_free(&il);
}

static int cameras(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_latest_list l = {0};
        int rc = store_latest_all(st, time_now_ms() / 1000, &l);
        if (rc < 0) {
                portal_store_release(app, st);
                return rc;
        }
        struct json_writer w;
        resp->content_type = "application/geo+json";
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "type");
        json_str(&w, "FeatureCollection");
        json_key(&w, "features");
        json_arr_begin(&w);
        for (size_t i = 0; i < l.n; i++)
                if (strcmp(l.v[i].kind, "camera") == 0)
                        camera_feature(&w, st, &l.v[i]);
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "国土交通省 (川の防災情報)");
        json_obj_end(&w);
        portal_store_release(app, st);
        store_latest_list_free(&l);
        return json_error(&w);
}

const struct portal_route api_cameras_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/cameras",
     .name = "cameras",
     .handler = cameras,
     .flags = ROUTE_PUBLIC,
     .max_age = 30,
     .cache_ms = 2000,
     .summary = "River cameras with state, frozen flag and newest image (GeoJSON)."},
    {0},
};
