/* GET /api/v1/status: the small public document residents' pages poll.
 * Per area the level in force, JMA's kinds, the city's order, and the
 * public notices in force; cacheable (ETag, max-age 30 s) so a CDN can
 * carry a whole city polling it.  Drill (訓練) rows reach it only for the
 * areas of a running --public drill; GET /api/v1/staff/status is the same
 * document for staff (viewer and up, never cached) with every drill's rows,
 * each marked exercise. */
#include "api.h"
#include "areajson.h"
#include "auth.h"
#include "json.h"
#include "portal.h"
#include "stationjson.h"
#include "store.h"
#include "store_city.h"
#include "store_sources.h"
#include "timeutil.h"

static int status_doc(struct portal_req *req, struct portal_resp *resp, bool staff)
{
        struct portal_app *app = portal_req_app(req);
        bool exercise = portal_app_exercise(app);
        int view =
            staff ? (exercise ? STORE_VIEW_ALL : STORE_VIEW_REAL) : portal_app_public_view(app);
        int64_t now = time_now_ms() / 1000;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_area_status_list areas = {0};
        struct store_notice_list notices = {0};
        int rc = store_area_status_list(st, view, &areas);
        /* Residents are told of drill mode only while a drill is theirs. */
        bool shown = exercise;
        if (rc == 0 && view == STORE_VIEW_PUBLIC)
                rc = store_drill_public(st, &shown);
        if (rc == 0)
                rc = store_notices_in_force(st, now, true, &notices);
        portal_store_release(app, st);
        if (rc < 0)
                goto out;
        /* The newest change it shows, not the clock: the same data gives the
         * same bytes and so the same ETag, and caches revalidate with 304. */
        int64_t updated = 0;
        for (size_t i = 0; i < areas.n; i++)
                if (areas.v[i].updated_at > updated)
                        updated = areas.v[i].updated_at;
        for (size_t i = 0; i < notices.n; i++)
                if (notices.v[i].valid_from > updated)
                        updated = notices.v[i].valid_from;
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "updated_at");
        json_time_jst(&w, updated);
        json_key(&w, "exercise_mode");
        json_bool(&w, shown);
        json_key(&w, "areas");
        json_arr_begin(&w);
        for (size_t i = 0; i < areas.n; i++)
                area_status_json(&w, &areas.v[i]);
        json_arr_end(&w);
        json_key(&w, "notices");
        json_arr_begin(&w);
        for (size_t i = 0; i < notices.n; i++)
                notice_json(&w, &notices.v[i]);
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "気象庁");
        json_obj_end(&w);
        rc = json_error(&w);
out:
        store_area_status_list_free(&areas);
        store_notice_list_free(&notices);
        return rc;
}

static int status(struct portal_req *req, struct portal_resp *resp)
{
        return status_doc(req, resp, false);
}

static int staff_status(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_VIEWER, false, &who))
                return 0;
        return status_doc(req, resp, true);
}

const struct portal_route api_status_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/status",
     .name = "status",
     .handler = status,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "Per area the level, JMA's kinds and the city's order in force; public notices."},
    {.method = "GET",
     .pattern = "/api/v1/staff/status",
     .name = "staff_status",
     .handler = staff_status,
     .flags = ROUTE_LOG_QUERY,
     .summary = "The status document for staff: every running drill's rows too, marked "
                "exercise."},
    {0},
};
