/* Staff views of the data's health: GET /api/v1/sources (each source's
 * state and the time of its last success, for the dashboard's freshness
 * clocks) and GET /api/v1/devices (the city's sensor nodes: online or
 * offline, battery, signal and open sequence gaps, for the sensor-health
 * panel and the installers' device view).  Staff or a display token; no
 * resident's data is involved. */
#include "api.h"
#include "auth.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_devices.h"
#include "store_sources.h"
#include "timeutil.h"

#include <math.h>
#include <string.h>

/* A UTC time as JST ISO-8601, or JSON null when 0 (never). */
static json_t *jtime(int64_t t)
{
        char b[40];
        if (t <= 0 || time_format_jst(t, b, sizeof(b)) < 0)
                return json_null();
        return json_string(b);
}

static json_t *jnum(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

/* The gate of both routes: staff or a display token, and a store handle
 * (borrowed; release it).  1 with resp filled when refused. */
static int staff_store(struct portal_req *req, struct portal_resp *resp, struct store **st)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &who))
                return 1;
        *st = portal_store_acquire(portal_req_app(req));
        if (!*st) {
                portal_resp_error(resp, 503, "store unavailable");
                return 1;
        }
        return 0;
}

static int sources(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = NULL;
        if (staff_store(req, resp, &st))
                return 0;
        struct store_source_status_list l = {0};
        int rc = store_source_status_list(st, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        json_t *arr = json_array();
        for (size_t i = 0; i < l.n; i++) {
                const struct store_source_status *s = &l.v[i];
                json_array_append_new(
                    arr,
                    json_pack("{s:s, s:s, s:o, s:o, s:s?, s:o, s:b}", "name", s->name, "state",
                              s->state ? s->state : "unknown", "last_ok_at", jtime(s->last_ok_at),
                              "last_error_at", jtime(s->last_error_at), "last_error", s->last_error,
                              "updated_at", jtime(s->updated_at), "exercise", (int)s->exercise));
        }
        store_source_status_list_free(&l);
        return resp_json(
            resp, 200, json_pack("{s:o, s:o}", "now", jtime(time_now_ms() / 1000), "sources", arr));
}

static int devices(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = NULL;
        if (staff_store(req, resp, &st))
                return 0;
        struct store_device_list l = {0};
        struct store_gap_list g = {0};
        int rc = store_devices_list(st, &l);
        if (rc == 0)
                rc = store_gaps_open_list(st, 0, &g);
        portal_store_release(app, st);
        json_t *arr = rc == 0 ? json_array() : NULL;
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
                const struct store_device *d = &l.v[i];
                long long gaps = 0, missing = 0;
                for (size_t k = 0; k < g.n; k++)
                        if (g.v[k].device_id == d->id) {
                                gaps++;
                                missing += g.v[k].to_seq - g.v[k].from_seq + 1;
                        }
                json_array_append_new(
                    arr,
                    json_pack("{s:I, s:s, s:o, s:b, s:s, s:o, s:s?, s:o, s:o, s:I, s:I}", "id",
                              (json_int_t)d->id, "device", d->device, "station_id",
                              d->station_id ? json_integer(d->station_id) : json_null(), "enabled",
                              d->enabled, "health", d->health ? d->health : "unknown",
                              "last_seen_at", jtime(d->last_seen_at), "fw", d->fw, "batt_v",
                              jnum(d->batt_v), "rssi_dbm", jnum(d->rssi_dbm), "open_gaps",
                              (json_int_t)gaps, "missing_readings", (json_int_t)missing));
        }
        store_device_list_free(&l);
        store_gap_list_free(&g);
        if (rc < 0)
                return rc;
        return resp_json(resp, 200, json_pack("{s:o}", "devices", arr));
}

const struct portal_route api_sources_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/sources",
     .name = "sources",
     .handler = sources,
     .summary = "Each data source's state and last success, for freshness clocks (staff)."},
    {.method = "GET",
     .pattern = "/api/v1/devices",
     .name = "devices",
     .handler = devices,
     .summary = "The city's sensor nodes: health, battery, signal, open gaps (staff)."},
    {0},
};
