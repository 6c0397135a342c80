/* The city's notices (避難所開設, 通行止め, 給水, …): POST /api/v1/notices
 * publishes one (editor), POST /api/v1/notices/{id}/withdraw ends it.
 * Public notices appear in /api/v1/status; the others only for staff. */
#include "api.h"
#include "auth.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const categories[] = {"shelter_open", "road_closed", "water_supply",
                                         "power",        "info",        "other"};

static bool category_ok(const char *c)
{
        for (size_t i = 0; c && i < sizeof(categories) / sizeof(categories[0]); i++)
                if (strcmp(c, categories[i]) == 0)
                        return true;
        return false;
}

/* An ISO-8601 member as epoch seconds; absent: dflt. */
static int time_member(json_t *o, const char *key, int64_t dflt, int64_t *out, bool *bad)
{
        const char *s = jstr(o, key, 40, bad);
        *out = dflt;
        if (!s)
                return 0;
        if (time_parse_iso8601(s, 9 * 3600, out) < 0) {
                *bad = true;
                return -EINVAL;
        }
        return 0;
}

static json_t *notice_json(const struct store_notice *n)
{
        json_t *v =
            json_pack("{s:I, s:s, s:s?, s:s, s:s, s:I, s:I, s:b, s:b}", "id", (json_int_t)n->id,
                      "category", n->category, "area_code", n->area_code, "title_ja", n->title_ja,
                      "text_ja", n->text_ja, "valid_from", (json_int_t)n->valid_from, "valid_to",
                      (json_int_t)n->valid_to, "public", n->is_public, "exercise", n->exercise);
        if (v && n->district_id)
                json_object_set_new(v, "district_id", json_integer(n->district_id));
        return v;
}

static int publish(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        json_t *body = NULL;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w) || req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        struct store_notice n = {0};
        int64_t now = time_now_ms() / 1000;
        n.category = jstr(body, "category", 32, &bad);
        n.area_code = jstr(body, "area_code", 7, &bad);
        n.title_ja = jstr(body, "title_ja", 200, &bad);
        n.text_ja = jstr(body, "text_ja", 4000, &bad);
        json_t *di = json_object_get(body, "district_id");
        n.district_id = json_is_integer(di) ? json_integer_value(di) : 0;
        n.is_public = json_is_true(json_object_get(body, "public"));
        n.exercise = json_is_true(json_object_get(body, "exercise"));
        time_member(body, "valid_from", now, &n.valid_from, &bad);
        time_member(body, "valid_to", 0, &n.valid_to, &bad);
        const char *err = NULL;
        if (bad)
                err = "category, area_code, title_ja, text_ja: strings; valid_from, valid_to: "
                      "ISO 8601";
        else if (!category_ok(n.category))
                err = "category: shelter_open|road_closed|water_supply|power|info|other";
        else if (!n.title_ja || !n.title_ja[0] || !n.text_ja || !n.text_ja[0])
                err = "title_ja and text_ja are needed (Japanese text)";
        else if (n.valid_to && n.valid_to <= n.valid_from)
                err = "valid_to must be after valid_from";
        if (err) {
                json_decref(body);
                return portal_resp_error(resp, 400, err);
        }
        n.user_id = w.user_id;
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        int64_t id = 0;
        int rc = st ? store_notice_publish(st, &n, &id) : -EAGAIN;
        json_t *after = NULL;
        if (rc == 0) {
                n.id = id;
                after = notice_json(&n);
                char obj[48];
                snprintf(obj, sizeof(obj), "notice:%lld", (long long)id);
                rc = audit_json(st, &w, "notice.publish", obj, NULL, after);
        }
        portal_store_release_write(app, st);
        json_decref(body);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc < 0) {
                json_decref(after);
                return rc == -EINVAL ? portal_resp_error(resp, 400, "the notice was refused") : rc;
        }
        portal_app_invalidate(app);
        portal_app_wake_streams(app);
        return resp_json(resp, 201, after);
}

static int withdraw(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w))
                return 0;
        char *end = NULL;
        long long id = strtoll(portal_req_path_param(req, "id"), &end, 10);
        if (!end || *end || id <= 0)
                return portal_resp_error(resp, 400, "id: a notice number");
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        int64_t now = time_now_ms() / 1000;
        int rc = store_notice_withdraw(st, id, now);
        if (rc == 0) {
                char obj[48];
                snprintf(obj, sizeof(obj), "notice:%lld", id);
                json_t *after = json_pack("{s:I}", "valid_to", (json_int_t)now);
                rc = audit_json(st, &w, "notice.withdraw", obj, NULL, after);
                json_decref(after);
        }
        portal_store_release_write(app, st);
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such notice in force");
        if (rc < 0)
                return rc;
        portal_app_invalidate(app);
        return resp_json(resp, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "withdrawn", 1));
}

static int list(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &w))
                return 0;
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_notice_list l = {0};
        int rc = store_notices_in_force(st, time_now_ms() / 1000, false, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        json_t *arr = json_array();
        for (size_t i = 0; i < l.n; i++)
                json_array_append_new(arr, notice_json(&l.v[i]));
        store_notice_list_free(&l);
        return resp_json(resp, 200, json_pack("{s:o}", "notices", arr));
}

const struct portal_route api_notices_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/notices",
     .name = "notices",
     .handler = list,
     .summary = "Notices in force, public or not (staff)."},
    {.method = "POST",
     .pattern = "/api/v1/notices",
     .name = "notices_publish",
     .handler = publish,
     .summary = "Publishes a notice (editor): category, area, Japanese text, validity, public."},
    {.method = "POST",
     .pattern = "/api/v1/notices/{id}/withdraw",
     .name = "notices_withdraw",
     .handler = withdraw,
     .summary = "Ends a notice's validity now (editor)."},
    {0},
};
