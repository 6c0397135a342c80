/* 重点確認箇所 (watch points): staff-defined points or polygons (an
 * underpass, a weak levee) with linked gauges and cameras, a note and a
 * checklist.  GET /api/v1/watch-points for staff and wall screens, each
 * with the latest reading of its linked stations (a camera's newest
 * picture as a URL); POST
 * creates, POST /api/v1/watch-points/{id} replaces, DELETE removes (editor).
 * Geometry comes as GeoJSON Point or Polygon (lon/lat, JGD2011). */
#include "api.h"
#include "auth.h"
#include "buf.h"
#include "portal.h"
#include "reqjson.h"
#include "level.h"
#include "store.h"
#include "store_places.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RINGS     16
#define MAX_POSITIONS 4000
#define MAX_STATIONS  32

static int pos_wkt(json_t *p, struct buf *b, bool comma)
{
        if (!json_is_array(p) || json_array_size(p) < 2)
                return -EINVAL;
        json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
        double lon = json_number_value(x), lat = json_number_value(y);
        if (!json_is_number(x) || !json_is_number(y) || !isfinite(lon) || !isfinite(lat) ||
            lon < -180 || lon > 180 || lat < -90 || lat > 90)
                return -EINVAL;
        return buf_printf(b, "%s%.8f %.8f", comma ? "," : "", lon, lat);
}

/* GeoJSON Point or Polygon as WKT into b. */
static int geometry_wkt(json_t *g, struct buf *b)
{
        const char *type = json_string_value(json_object_get(g, "type"));
        json_t *c = json_object_get(g, "coordinates");
        if (!type || !c)
                return -EINVAL;
        if (strcmp(type, "Point") == 0) {
                int rc = buf_puts(b, "POINT(");
                if (rc == 0)
                        rc = pos_wkt(c, b, false);
                return rc < 0 ? rc : buf_puts(b, ")");
        }
        if (strcmp(type, "Polygon") != 0 || !json_is_array(c) || json_array_size(c) < 1 ||
            json_array_size(c) > MAX_RINGS)
                return -EINVAL;
        size_t total = 0;
        int rc = buf_puts(b, "POLYGON(");
        for (size_t r = 0; rc == 0 && r < json_array_size(c); r++) {
                json_t *ring = json_array_get(c, r);
                size_t n = json_array_size(ring);
                total += n;
                if (!json_is_array(ring) || n < 4 || total > MAX_POSITIONS)
                        return -EINVAL;
                rc = buf_puts(b, r ? ",(" : "(");
                for (size_t i = 0; rc == 0 && i < n; i++)
                        rc = pos_wkt(json_array_get(ring, i), b, i > 0);
                if (rc == 0)
                        rc = buf_puts(b, ")");
        }
        return rc < 0 ? rc : buf_puts(b, ")");
}

static json_t *time_or_null(int64_t t)
{
        char ts[40];
        return t && time_format_jst(t, ts, sizeof(ts)) == 0 ? json_string(ts) : json_null();
}

/* The latest reading of one linked station: what the HQ checks at a glance
 * (a stale gauge says so, with no level). */
static json_t *linked_json(struct store *st, int64_t id, int64_t now)
{
        struct store_latest_list l = {0};
        if (store_latest_get(st, id, now, &l) < 0 || l.n != 1) {
                store_latest_list_free(&l);
                return json_pack("{s:I, s:b}", "id", (json_int_t)id, "missing", 1);
        }
        const struct store_latest *s = &l.v[0];
        json_t *o =
            json_pack("{s:I, s:s, s:s, s:s?, s:s, s:o}", "id", (json_int_t)s->id, "kind", s->kind,
                      "name", s->name, "river", s->river, "state", station_state_name(s->state),
                      "observed_at", time_or_null(s->observed_at));
        bool camera = strcmp(s->kind, "camera") == 0;
        if (o && !camera) {
                json_object_set_new(o, "quantity",
                                    s->quantity ? json_string(s->quantity) : json_null());
                json_object_set_new(o, "value",
                                    isfinite(s->value) ? json_real(s->value) : json_null());
                json_object_set_new(o, "unit", s->unit ? json_string(s->unit) : json_null());
                json_object_set_new(o, "level",
                                    level_valid(s->level) ? json_integer(s->level) : json_null());
        } else if (o) {
                struct store_camera_image_list il = {0};
                char url[96];
                snprintf(url, sizeof(url), "/api/v1/cameras/%lld/latest.jpg", (long long)s->id);
                bool have =
                    store_camera_images_list(st, s->id, 0, INT64_MAX, 1, &il) == 0 && il.n == 1;
                json_object_set_new(o, "captured_at",
                                    have ? time_or_null(il.v[0].captured_at) : json_null());
                json_object_set_new(o, "image_url", have ? json_string(url) : json_null());
                json_object_set_new(
                    o, "thumb_url",
                    have ? json_sprintf("/api/v1/cameras/%lld/thumb.jpg", (long long)s->id)
                         : json_null());
                store_camera_image_list_free(&il);
        }
        store_latest_list_free(&l);
        return o;
}

static json_t *row_json(struct store *store, const struct store_watch_point_row *w, int64_t now)
{
        json_error_t e;
        json_t *geom = w->geojson ? json_loads(w->geojson, 0, &e) : NULL;
        json_t *cl = w->checklist ? json_loads(w->checklist, 0, &e) : NULL;
        json_t *st = json_array(), *linked = json_array();
        for (size_t i = 0; i < w->n_stations; i++) {
                json_array_append_new(st, json_integer(w->station_ids[i]));
                json_array_append_new(linked, linked_json(store, w->station_ids[i], now));
        }
        return json_pack("{s:I, s:s, s:s?, s:o, s:o, s:o, s:o}", "id", (json_int_t)w->id, "name",
                         w->name, "note", w->note, "checklist", cl ? cl : json_array(), "geometry",
                         geom ? geom : json_object(), "station_ids", st, "stations", linked);
}

static int put(struct portal_req *req, struct portal_resp *resp, int64_t id)
{
        struct auth_who who;
        json_t *body = NULL;
        if (auth_require(req, resp, AUTH_EDITOR, true, &who) || req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        struct store_watch_point w = {.id = id};
        int64_t stations[MAX_STATIONS];
        w.name = jstr(body, "name", 256, &bad);
        w.note = jstr(body, "note", 4000, &bad);
        json_t *cl = json_object_get(body, "checklist");
        json_t *sids = json_object_get(body, "station_ids");
        char *cltext = NULL;
        struct buf wkt;
        buf_init(&wkt, 256 * 1024);
        int rc = bad || !w.name || !w.name[0] ? -EINVAL : 0;
        if (rc == 0 && cl) {
                if (!json_is_array(cl) || json_array_size(cl) > 100)
                        rc = -EINVAL;
                for (size_t i = 0; rc == 0 && i < json_array_size(cl); i++)
                        if (!json_is_string(json_array_get(cl, i)))
                                rc = -EINVAL;
                if (rc == 0)
                        cltext = json_dumps(cl, JSON_COMPACT);
        }
        if (rc == 0 && sids) {
                if (!json_is_array(sids) || json_array_size(sids) > MAX_STATIONS)
                        rc = -EINVAL;
                for (size_t i = 0; rc == 0 && i < json_array_size(sids); i++) {
                        json_t *v = json_array_get(sids, i);
                        if (!json_is_integer(v) || json_integer_value(v) <= 0)
                                rc = -EINVAL;
                        else
                                stations[w.n_stations++] = json_integer_value(v);
                }
                w.station_ids = stations;
        }
        if (rc == 0)
                rc = geometry_wkt(json_object_get(body, "geometry"), &wkt) < 0 ? -EINVAL : 0;
        if (rc < 0) {
                free(cltext);
                buf_free(&wkt);
                json_decref(body);
                return portal_resp_error(resp, 400,
                                         "name; note; checklist: strings; station_ids: integers; "
                                         "geometry: GeoJSON Point or Polygon");
        }
        w.checklist = cltext;
        w.geom.wkt = wkt.data;
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        int64_t newid = id;
        rc = st ? store_watch_point_put(st, &w, &newid) : -EAGAIN;
        if (rc == 0) {
                char obj[48];
                snprintf(obj, sizeof(obj), "watch_point:%lld", (long long)newid);
                rc = audit_json(st, &who, id ? "watch_point.replace" : "watch_point.create", obj,
                                NULL, body);
        }
        portal_store_release_write(app, st);
        free(cltext);
        buf_free(&wkt);
        json_decref(body);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such watch point");
        if (rc == -EINVAL)
                return portal_resp_error(resp, 400, "the geometry or a station was refused");
        if (rc < 0)
                return rc;
        portal_app_invalidate(app);
        return resp_json(resp, id ? 200 : 201, json_pack("{s:I}", "id", (json_int_t)newid));
}

static long long path_id(struct portal_req *req)
{
        char *end = NULL;
        long long id = strtoll(portal_req_path_param(req, "id"), &end, 10);
        return end && !*end && id > 0 ? id : -1;
}

static int create(struct portal_req *req, struct portal_resp *resp)
{
        return put(req, resp, 0);
}

static int replace(struct portal_req *req, struct portal_resp *resp)
{
        long long id = path_id(req);
        if (id < 0)
                return portal_resp_error(resp, 400, "id: a watch point number");
        return put(req, resp, id);
}

static int remove_wp(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_EDITOR, true, &who))
                return 0;
        long long id = path_id(req);
        if (id < 0)
                return portal_resp_error(resp, 400, "id: a watch point number");
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        int rc = st ? store_watch_point_delete(st, id) : -EAGAIN;
        if (rc == 0) {
                char obj[48];
                snprintf(obj, sizeof(obj), "watch_point:%lld", id);
                rc = audit_json(st, &who, "watch_point.delete", obj, NULL, NULL);
        }
        portal_store_release_write(app, st);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such watch point");
        if (rc < 0)
                return rc;
        return resp_json(resp, 200, json_pack("{s:b}", "deleted", 1));
}

static int list(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &who))
                return 0;
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_watch_point_list l = {0};
        int rc = store_watch_points_list(st, &l);
        if (rc < 0) {
                portal_store_release(app, st);
                return rc;
        }
        json_t *arr = json_array();
        int64_t now = time_now_ms() / 1000;
        for (size_t i = 0; i < l.n; i++)
                json_array_append_new(arr, row_json(st, &l.v[i], now));
        portal_store_release(app, st);
        store_watch_point_list_free(&l);
        return resp_json(resp, 200, json_pack("{s:o}", "watch_points", arr));
}

const struct portal_route api_watchpoints_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/watch-points",
     .name = "watch_points",
     .handler = list,
     .summary = "重点確認箇所 with geometry, note, checklist and linked stations (staff)."},
    {.method = "POST",
     .pattern = "/api/v1/watch-points",
     .name = "watch_points_create",
     .handler = create,
     .summary = "Creates a watch point (editor): GeoJSON Point or Polygon."},
    {.method = "POST",
     .pattern = "/api/v1/watch-points/{id}",
     .name = "watch_points_replace",
     .handler = replace,
     .summary = "Replaces a watch point (editor)."},
    {.method = "DELETE",
     .pattern = "/api/v1/watch-points/{id}",
     .name = "watch_points_delete",
     .handler = remove_wp,
     .summary = "Deletes a watch point (editor)."},
    {0},
};
