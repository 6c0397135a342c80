/* Alerts: /api/v1/alerts (what is in force per area: JMA's kinds and the
 * city's order, filtered by area and level) and /api/v1/alerts/history
 * (every normalised JMA alert row, newest first, by area and time).  Drill
 * (訓練) rows follow each drill's visibility as /api/v1/status does: only a
 * running --public drill's, in its areas; /api/v1/staff/alerts/history
 * (staff) has every drill's. */
#include "api.h"
#include "areajson.h"
#include "auth.h"
#include "httputil.h"
#include "json.h"
#include "portal.h"
#include "stationjson.h"
#include "store.h"
#include "store_city.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_DEFAULT_S (7 * 24 * 3600)

static int in_force(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *area = portal_req_query(req, "area");
        const char *ml = portal_req_query(req, "min_level");
        int min_level = ml ? (int)strtol(ml, NULL, 10) : 0;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_area_status_list l = {0};
        int rc = store_area_status_list(st, portal_app_public_view(app), &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        /* The newest change, not the clock, so the ETag is stable. */
        int64_t updated = 0;
        for (size_t i = 0; i < l.n; i++)
                if (l.v[i].updated_at > updated)
                        updated = l.v[i].updated_at;
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "updated_at");
        json_time_jst(&w, updated);
        json_key(&w, "areas");
        json_arr_begin(&w);
        for (size_t i = 0; i < l.n; i++) {
                const struct store_area_status *a = &l.v[i];
                if (area && strcmp(area, a->area_code) != 0)
                        continue;
                if (min_level && a->level < min_level && a->order.level < min_level)
                        continue;
                area_status_json(&w, a);
        }
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "気象庁");
        json_obj_end(&w);
        store_area_status_list_free(&l);
        return json_error(&w);
}

static int history_doc(struct portal_req *req, struct portal_resp *resp, int view)
{
        struct portal_app *app = portal_req_app(req);
        const char *area = portal_req_query(req, "area");
        const char *fs = portal_req_query(req, "from"), *ts = portal_req_query(req, "to");
        const char *ls = portal_req_query(req, "limit");
        int64_t a, b, to = time_now_ms() / 1000 + 1, from;
        if (ts) {
                if (http_parse_datetime(ts, &a, &b) < 0 || a != b)
                        return portal_resp_error(resp, 400, "to: an RFC 3339 time");
                to = a;
        }
        from = to - HISTORY_DEFAULT_S;
        if (fs) {
                if (http_parse_datetime(fs, &a, &b) < 0 || a != b)
                        return portal_resp_error(resp, 400, "from: an RFC 3339 time");
                from = a;
        }
        if (from >= to)
                return portal_resp_error(resp, 400, "from must be before to");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_alert_list l = {0};
        int rc =
            store_alerts_list(st, area, from, to, ls ? (size_t)strtol(ls, NULL, 10) : 1000, &l);
        /* 試験 never counts; 訓練 only where the reader sees the drill (as
         * the status document), decided while the store is at hand. */
        bool *shown = rc == 0 ? calloc(l.n ? l.n : 1, sizeof(*shown)) : NULL;
        if (rc == 0 && !shown)
                rc = -ENOMEM;
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
                const char *rs = l.v[i].report_status;
                shown[i] = !rs || strcmp(rs, "訓練") != 0
                               ? !rs || strcmp(rs, "試験") != 0
                               : store_exercise_shown(st, view, l.v[i].area_code, 0);
        }
        portal_store_release(app, st);
        if (rc < 0) {
                store_alert_list_free(&l);
                return rc;
        }
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "from");
        json_time_jst(&w, from);
        json_key(&w, "to");
        json_time_jst(&w, to);
        json_key(&w, "alerts");
        json_arr_begin(&w);
        for (size_t i = 0; i < l.n; i++)
                if (shown[i])
                        alert_json(&w, &l.v[i]);
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "気象庁");
        json_obj_end(&w);
        free(shown);
        store_alert_list_free(&l);
        return json_error(&w);
}

static int history(struct portal_req *req, struct portal_resp *resp)
{
        return history_doc(req, resp, portal_app_public_view(portal_req_app(req)));
}

static int staff_history(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_VIEWER, false, &who))
                return 0;
        struct portal_app *app = portal_req_app(req);
        return history_doc(req, resp, portal_app_exercise(app) ? STORE_VIEW_ALL : STORE_VIEW_REAL);
}

/* The history's parameters, public and staff alike. */
/* clang-format off */
#define HISTORY_PARAMS                                                          \
        {                                                                       \
            {"area", PARAM_ID, 0, 0, NULL, 16, "JMA area code (7 digits)"},     \
            {"from", PARAM_DATETIME, 0, 0, NULL, 40, "default: to - 7 days"},   \
            {"to", PARAM_DATETIME, 0, 0, NULL, 40, "default: now"},             \
            {"limit", PARAM_INT, 1, 1000, NULL, 0, "at most this many rows"},   \
        }
/* clang-format on */

const struct portal_route api_alerts_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/alerts",
     .name = "alerts",
     .handler = in_force,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "What is in force per area: JMA's kinds and the city's order.",
     .params =
         {
             {"area", PARAM_ID, 0, 0, NULL, 16, "JMA area code (7 digits)"},
             {"min_level", PARAM_INT, 1, 5, NULL, 0, "only areas at this 警戒レベル or above"},
         }},
    {.method = "GET",
     .pattern = "/api/v1/alerts/history",
     .name = "alerts_history",
     .handler = history,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 60,
     .cache_ms = 5000,
     .summary = "Every JMA alert row, newest first.",
     .params = HISTORY_PARAMS},
    {.method = "GET",
     .pattern = "/api/v1/staff/alerts/history",
     .name = "staff_alerts_history",
     .handler = staff_history,
     .flags = ROUTE_LOG_QUERY,
     .summary = "The alert history for staff: every running drill's 訓練 rows too.",
     .params = HISTORY_PARAMS},
    {0},
};
