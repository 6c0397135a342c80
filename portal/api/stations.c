/* Stations: /api/v1/stations (a FeatureCollection of every station with
 * its latest value, level, state and rate), /api/v1/stations/{id}, and
 * /api/v1/stations/{id}/observations?from&to (JSON, or CSV with
 * Accept: text/csv or format=csv; times +09:00).  A drill's stations
 * (exercise, named 【訓練】) follow the drill's visibility as the status
 * document does: only a running --public drill's, in its areas; staff see
 * every drill's in /api/v1/staff/stations, and open each one by id in
 * /api/v1/staff/stations/{id} and .../observations. */
#include "api.h"
#include "auth.h"
#include "httputil.h"
#include "json.h"
#include "portal.h"
#include "stationjson.h"
#include "store.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBS_DEFAULT_S (24 * 3600)
#define OBS_MAX_S     (366 * 24 * 3600)
#define OBS_MAX_ROWS  100000

static int no_store(struct portal_resp *resp)
{
        return portal_resp_error(resp, 503, "データベースに接続できません (store unavailable)");
}

static bool station_id(struct portal_req *req, int64_t *id)
{
        const char *s = portal_req_path_param(req, "id");
        char *end = NULL;
        errno = 0;
        long long v = s ? strtoll(s, &end, 10) : -1;
        if (!s || !*s || errno || *end || v <= 0)
                return false;
        *id = v;
        return true;
}

/* Whether a reader with view sees station id: -ENOENT for a drill's
 * station the view leaves out, as for a missing one. */
static int visible(const struct store_latest_list *l, int view)
{
        return l->n == 1 && store_latest_visible(&l->v[0], view) ? 0 : -ENOENT;
}

static int stations_doc(struct portal_req *req, struct portal_resp *resp, int view)
{
        struct portal_app *app = portal_req_app(req);
        const char *kind = portal_req_query(req, "kind");
        const char *bbox_s = portal_req_query(req, "bbox");
        double bbox[4];
        if (bbox_s && http_parse_bbox(bbox_s, bbox) < 0)
                return portal_resp_error(resp, 400, "bbox: minlon,minlat,maxlon,maxlat");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return no_store(resp);
        struct store_latest_list l = {0};
        int rc = store_latest_all(st, time_now_ms() / 1000, &l);
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
        for (size_t i = 0; i < l.n; i++) {
                const struct store_latest *s = &l.v[i];
                if (!store_latest_visible(s, view) || (kind && strcmp(kind, s->kind) != 0))
                        continue;
                if (bbox_s &&
                    (s->lon < bbox[0] || s->lon > bbox[2] || s->lat < bbox[1] || s->lat > bbox[3]))
                        continue;
                station_feature(&w, s);
        }
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "国土交通省 (川の防災情報, 危機管理型水位計), 気象庁");
        json_obj_end(&w);
        store_latest_list_free(&l);
        return json_error(&w);
}

static int stations(struct portal_req *req, struct portal_resp *resp)
{
        return stations_doc(req, resp, portal_app_public_view(portal_req_app(req)));
}

/* The view of the staff's answers (a staff session or the wall's display
 * token): every drill's stations in exercise mode, else the real ones.
 * false when the request was refused (resp holds the answer). */
static bool staff_view(struct portal_req *req, struct portal_resp *resp, int *view)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &who))
                return false;
        *view = portal_app_exercise(portal_req_app(req)) ? STORE_VIEW_ALL : STORE_VIEW_REAL;
        return true;
}

/* The HQ screens' list, the wall's (display token) included. */
static int staff_stations(struct portal_req *req, struct portal_resp *resp)
{
        int view;
        return staff_view(req, resp, &view) ? stations_doc(req, resp, view) : 0;
}

static int station_doc(struct portal_req *req, struct portal_resp *resp, int view)
{
        struct portal_app *app = portal_req_app(req);
        int64_t id;
        if (!station_id(req, &id))
                return portal_resp_error(resp, 404, "no such station");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return no_store(resp);
        struct store_latest_list l = {0};
        int rc = store_latest_get(st, id, time_now_ms() / 1000, &l);
        portal_store_release(app, st);
        if (rc == 0)
                rc = visible(&l, view);
        if (rc == -ENOENT) {
                store_latest_list_free(&l);
                return portal_resp_error(resp, 404, "no such station");
        }
        if (rc < 0)
                return rc;
        struct json_writer w;
        resp->content_type = "application/geo+json";
        json_init(&w, &resp->body);
        station_feature(&w, &l.v[0]);
        store_latest_list_free(&l);
        return json_error(&w);
}

static int station(struct portal_req *req, struct portal_resp *resp)
{
        return station_doc(req, resp, portal_app_public_view(portal_req_app(req)));
}

static int staff_station(struct portal_req *req, struct portal_resp *resp)
{
        int view;
        return staff_view(req, resp, &view) ? station_doc(req, resp, view) : 0;
}

static int observations_doc(struct portal_req *req, struct portal_resp *resp, int view)
{
        struct portal_app *app = portal_req_app(req);
        int64_t id, from, to;
        if (!station_id(req, &id))
                return portal_resp_error(resp, 404, "no such station");
        char why[96];
        if (http_time_range(portal_req_query(req, "from"), portal_req_query(req, "to"),
                            time_now_ms() / 1000, OBS_DEFAULT_S, OBS_MAX_S, &from, &to, why,
                            sizeof(why)) < 0)
                return portal_resp_error(resp, 400, why);
        const char *format = portal_req_query(req, "format");
        bool csv = format ? strcmp(format, "csv") == 0
                          : http_accepts_csv(portal_req_header(req, "Accept"));
        struct store *st = portal_store_acquire(app);
        if (!st)
                return no_store(resp);
        struct store_latest_list l = {0};
        struct store_obs_list obs = {0};
        int rc = store_latest_get(st, id, time_now_ms() / 1000, &l);
        if (rc == 0)
                rc = visible(&l, view);
        const char *quantity = portal_req_query(req, "quantity");
        if (rc == 0 && !quantity)
                quantity = l.v[0].quantity;
        if (rc == 0 && quantity)
                rc = store_observations_range(st, id, quantity, from, to, OBS_MAX_ROWS, &obs);
        portal_store_release(app, st);
        if (rc == -ENOENT) {
                rc = portal_resp_error(resp, 404, "no such station");
                goto out;
        }
        if (rc < 0)
                goto out;
        if (!quantity) {
                rc = portal_resp_error(resp, 404, "this station measures nothing (a camera)");
                goto out;
        }
        char t[32];
        if (csv) {
                resp->content_type = "text/csv; charset=utf-8";
                snprintf(resp->disposition, sizeof(resp->disposition),
                         "attachment; filename=\"sonae-station-%lld-%s.csv\"", (long long)id,
                         quantity);
                rc = buf_printf(&resp->body, "observed_at,%s,quality\r\n", quantity);
                for (size_t i = 0; i < obs.n && rc == 0; i++) {
                        time_format_jst(obs.v[i].observed_at, t, sizeof(t));
                        if (isfinite(obs.v[i].value))
                                rc = buf_printf(&resp->body, "%s,%.10g,%u\r\n", t, obs.v[i].value,
                                                obs.v[i].quality);
                        else
                                rc = buf_printf(&resp->body, "%s,,%u\r\n", t, obs.v[i].quality);
                }
                goto out;
        }
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "station");
        json_int(&w, id);
        json_key(&w, "quantity");
        json_str(&w, quantity);
        json_key(&w, "unit");
        json_str(&w, store_quantity_unit(quantity));
        json_key(&w, "from");
        json_time_jst(&w, from);
        json_key(&w, "to");
        json_time_jst(&w, to);
        json_key(&w, "observations");
        json_arr_begin(&w);
        for (size_t i = 0; i < obs.n; i++) {
                json_obj_begin(&w);
                json_key(&w, "observed_at");
                json_time_jst(&w, obs.v[i].observed_at);
                json_key(&w, "value");
                json_double(&w, obs.v[i].value);
                json_key(&w, "quality");
                json_int(&w, obs.v[i].quality);
                json_obj_end(&w);
        }
        json_arr_end(&w);
        json_obj_end(&w);
        rc = json_error(&w);
out:
        store_obs_list_free(&obs);
        store_latest_list_free(&l);
        return rc;
}

static int observations(struct portal_req *req, struct portal_resp *resp)
{
        return observations_doc(req, resp, portal_app_public_view(portal_req_app(req)));
}

static int staff_observations(struct portal_req *req, struct portal_resp *resp)
{
        int view;
        return staff_view(req, resp, &view) ? observations_doc(req, resp, view) : 0;
}

#define QUANTITIES                                                                                 \
        "water_level_m|precip_10m_mm|precip_1h_mm|precip_3h_mm|precip_24h_mm|distance_m|battery_"  \
        "v|"                                                                                       \
        "rssi_dbm|temp_c"

/* clang-format off */
/* The series' parameters, the staff series' too. */
#define OBS_PARAMS                                                                                 \
        {                                                                                          \
            {"from", PARAM_DATETIME, 0, 0, NULL, 40, "start (RFC 3339), default to - 24 h"},       \
            {"to", PARAM_DATETIME, 0, 0, NULL, 40, "end, exclusive (RFC 3339), default now"},      \
            {"quantity", PARAM_ENUM, 0, 0, QUANTITIES, 0, "default: the station's own"},           \
            {"format", PARAM_ENUM, 0, 0, "json|csv", 0, "csv, or send Accept: text/csv"},          \
        }
/* The list's parameters, the staff list's too. */
#define LIST_PARAMS                                                                                \
        {                                                                                          \
            {"kind", PARAM_ENUM, 0, 0, "gauge|sensor|camera|rain", 0, "station kind"},             \
            {"bbox", PARAM_BBOX, 0, 0, NULL, 200, "minlon,minlat,maxlon,maxlat (WGS84)"},          \
        }
/* clang-format on */

const struct portal_route api_stations_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/stations",
     .name = "stations",
     .handler = stations,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "Every station with its latest value, level, state and rate (GeoJSON).",
     .params = LIST_PARAMS},
    {.method = "GET",
     .pattern = "/api/v1/staff/stations",
     .name = "staff_stations",
     .handler = staff_stations,
     .flags = ROUTE_LOG_QUERY,
     .summary = "The station list for staff: every running drill's stations too, marked "
                "exercise.",
     .params = LIST_PARAMS},
    {.method = "GET",
     .pattern = "/api/v1/stations/{id}",
     .name = "station",
     .handler = station,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "One station (GeoJSON Feature)."},
    {.method = "GET",
     .pattern = "/api/v1/staff/stations/{id}",
     .name = "staff_station",
     .handler = staff_station,
     .flags = ROUTE_LOG_QUERY,
     .summary = "One station for staff (GeoJSON Feature): a running drill's too."},
    {.method = "GET",
     .pattern = "/api/v1/stations/{id}/observations",
     .name = "station_observations",
     .handler = observations,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY | ROUTE_VARY_ACCEPT,
     .max_age = 60,
     .cache_ms = 5000,
     .summary = "Observations of a station between from and to (JSON or CSV).",
     .params = OBS_PARAMS},
    {.method = "GET",
     .pattern = "/api/v1/staff/stations/{id}/observations",
     .name = "staff_station_observations",
     .handler = staff_observations,
     .flags = ROUTE_LOG_QUERY | ROUTE_VARY_ACCEPT,
     .summary = "Observations of a station for staff: a running drill's too (JSON or CSV).",
     .params = OBS_PARAMS},
    {0},
};
