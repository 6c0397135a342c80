/* The city's evacuation orders (避難情報): POST /api/v1/orders issues one
 * (editor), POST /api/v1/orders/{id}/lift lifts it, GET /api/v1/orders
 * lists them for staff.  緊急安全確保 (L5) needs a second confirmation: the
 * first request answers 428 with a one-time code that the same user sends
 * back with the same order within two minutes.  The store emits the
 * order.issued / order.lifted events that status, alerts, CAP and SSE
 * read; orders stay apart from JMA's and the rivers' 相当 levels. */
#include "api.h"
#include "auth.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"
#include "tokens.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIRM_MAX 64
#define CONFIRM_MS  (2 * 60 * 1000)

struct confirm {
        char code[TOKEN_CHARS + 1];
        unsigned char digest[32]; /* user and order fields */
        int64_t expires_ms;
};

static pthread_mutex_t confirm_mu = PTHREAD_MUTEX_INITIALIZER;
static struct confirm confirms[CONFIRM_MAX];

static const char *const hazards[] = {"flood",   "landslide",    "storm_surge",
                                      "tsunami", "inland_flood", "earthquake",
                                      "fire",    "volcano",      "other"};

static bool hazard_ok(const char *h)
{
        for (size_t i = 0; h && i < sizeof(hazards) / sizeof(hazards[0]); i++)
                if (strcmp(h, hazards[i]) == 0)
                        return true;
        return false;
}

static const char *level_name(int level)
{
        return level == 3 ? "高齢者等避難" : level == 4 ? "避難指示" : "緊急安全確保";
}

static json_t *order_json(const struct store_order *o)
{
        char issued[40] = "", lifted[40] = "";
        time_format_jst(o->issued_at, issued, sizeof(issued));
        if (o->lifted_at)
                time_format_jst(o->lifted_at, lifted, sizeof(lifted));
        json_t *v =
            json_pack("{s:I, s:i, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:b}", "id", (json_int_t)o->id,
                      "level", o->level, "name_ja", level_name(o->level), "hazard", o->hazard,
                      "area_code", o->area_code, "reason", o->reason, "issued_at", issued,
                      "lifted_at", o->lifted_at ? lifted : NULL, "exercise", o->exercise);
        if (v)
                json_object_set_new(v, "district_id",
                                    o->district_id ? json_integer(o->district_id) : json_pack("n"));
        return v;
}

static void digest_of(const struct auth_who *w, const struct store_order *o, unsigned char d[32])
{
        char text[2600];
        snprintf(text, sizeof(text), "%lld|%d|%s|%s|%lld|%s|%d", (long long)w->user_id, o->level,
                 o->hazard, o->area_code ? o->area_code : "", (long long)o->district_id,
                 o->reason ? o->reason : "", o->exercise);
        crypto_generichash(d, 32, (const unsigned char *)text, strlen(text), NULL, 0);
}

/* Consumes a matching code: true when it was issued for this order. */
static bool confirm_take(const char *code, const unsigned char d[32])
{
        bool ok = false;
        int64_t now = time_now_ms();
        pthread_mutex_lock(&confirm_mu);
        for (size_t i = 0; i < CONFIRM_MAX; i++) {
                struct confirm *c = &confirms[i];
                if (c->code[0] && c->expires_ms > now && strcmp(c->code, code) == 0 &&
                    sodium_memcmp(c->digest, d, 32) == 0) {
                        ok = true;
                        memset(c, 0, sizeof(*c));
                }
        }
        pthread_mutex_unlock(&confirm_mu);
        return ok;
}

static int confirm_new(const unsigned char d[32], char code[TOKEN_CHARS + 1])
{
        int64_t now = time_now_ms();
        int rc = token_new(code);
        if (rc < 0)
                return rc;
        pthread_mutex_lock(&confirm_mu);
        struct confirm *slot = &confirms[0];
        for (size_t i = 0; i < CONFIRM_MAX; i++)
                if (confirms[i].expires_ms < slot->expires_ms)
                        slot = &confirms[i];
        memcpy(slot->code, code, TOKEN_CHARS + 1);
        memcpy(slot->digest, d, 32);
        slot->expires_ms = now + CONFIRM_MS;
        pthread_mutex_unlock(&confirm_mu);
        return 0;
}

static int order_issue(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        json_t *body = NULL;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w) || req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        struct store_order o = {0};
        json_t *lv = json_object_get(body, "level");
        o.level = json_is_integer(lv) ? (int)json_integer_value(lv) : 0;
        o.hazard = jstr(body, "hazard", 32, &bad);
        o.area_code = jstr(body, "area_code", 7, &bad);
        o.reason = jstr(body, "reason", 2000, &bad);
        const char *code = jstr(body, "confirm", 64, &bad);
        json_t *di = json_object_get(body, "district_id");
        o.district_id = json_is_integer(di) ? json_integer_value(di) : 0;
        json_t *ex = json_object_get(body, "exercise");
        o.exercise = json_is_true(ex);
        const char *err = NULL;
        if (bad || (ex && !json_is_boolean(ex)) || (di && !json_is_integer(di)))
                err = "hazard, area_code, reason, confirm: strings; district_id: integer; "
                      "exercise: boolean";
        else if (o.level < 3 || o.level > 5)
                err = "level: 3 (高齢者等避難), 4 (避難指示) or 5 (緊急安全確保)";
        else if (!hazard_ok(o.hazard))
                err = "hazard: flood|landslide|storm_surge|tsunami|inland_flood|earthquake|fire|"
                      "volcano|other";
        else if (!o.area_code && o.district_id <= 0)
                err = "area_code (7 digits) or district_id is needed";
        else if (o.area_code &&
                 (strlen(o.area_code) != 7 || strspn(o.area_code, "0123456789") != 7))
                err = "area_code: 7 digits";
        if (err) {
                json_decref(body);
                return portal_resp_error(resp, 400, err);
        }
        o.user_id = w.user_id;
        o.issued_at = time_now_ms() / 1000;
        unsigned char d[32];
        digest_of(&w, &o, d);
        if (o.level == 5 && !(code && confirm_take(code, d))) {
                char c[TOKEN_CHARS + 1];
                int rc = confirm_new(d, c);
                json_decref(body);
                if (rc < 0)
                        return rc;
                return resp_json(
                    resp, 428,
                    json_pack("{s:{s:i, s:s}, s:s}", "error", "status", 428, "message",
                              "緊急安全確保 (L5) の発令には確認が必要です。同じ内容に confirm "
                              "を付けて2分以内に再送してください",
                              "confirm", c));
        }
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st) {
                json_decref(body);
                return portal_resp_error(resp, 503, "store unavailable");
        }
        int64_t id = 0;
        int rc = store_order_issue(st, &o, &id);
        json_t *after = NULL;
        if (rc == 0) {
                o.id = id;
                after = order_json(&o);
                char obj[48];
                snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
                rc = audit_json(st, &w, "order.issue", obj, NULL, after);
        }
        portal_store_release_write(app, st);
        json_decref(body);
        if (rc < 0) {
                json_decref(after);
                return rc == -EINVAL || rc == -ENOENT
                           ? portal_resp_error(resp, 400, "the area or district is unknown")
                           : rc;
        }
        portal_app_invalidate(app);
        portal_app_wake_streams(app);
        return resp_json(resp, 201, after);
}

static int find_order(struct store *st, int64_t id, struct store_order_list *l, size_t *at)
{
        int rc = store_orders_list(st, true, l);
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].id == id) {
                        *at = i;
                        return 0;
                }
        return -ENOENT;
}

static int order_lift(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w))
                return 0;
        char *end = NULL;
        const char *ids = portal_req_path_param(req, "id");
        long long id = strtoll(ids, &end, 10);
        if (!end || *end || id <= 0)
                return portal_resp_error(resp, 400, "id: an order number");
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_order_list l = {0};
        size_t at = 0;
        int rc = find_order(st, id, &l, &at);
        json_t *before = NULL, *after = NULL;
        if (rc == 0 && l.v[at].lifted_at)
                rc = -EALREADY;
        if (rc == 0) {
                int64_t now = time_now_ms() / 1000;
                before = order_json(&l.v[at]);
                rc = store_order_lift(st, id, now);
                if (rc == 0) {
                        l.v[at].lifted_at = now;
                        after = order_json(&l.v[at]);
                        char obj[48];
                        snprintf(obj, sizeof(obj), "order:%lld", id);
                        rc = audit_json(st, &w, "order.lift", obj, before, after);
                }
        }
        portal_store_release_write(app, st);
        store_order_list_free(&l);
        json_decref(before);
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such order");
        if (rc == -EALREADY)
                return portal_resp_error(resp, 409, "the order is already lifted");
        if (rc < 0) {
                json_decref(after);
                return rc;
        }
        portal_app_invalidate(app);
        portal_app_wake_streams(app);
        return resp_json(resp, 200, after);
}

static int orders_list(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &w))
                return 0;
        const char *all = portal_req_query(req, "all");
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_order_list l = {0};
        int rc = store_orders_list(st, all && strcmp(all, "true") == 0, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        json_t *arr = json_array();
        for (size_t i = 0; i < l.n; i++)
                json_array_append_new(arr, order_json(&l.v[i]));
        store_order_list_free(&l);
        return resp_json(resp, 200, json_pack("{s:o}", "orders", arr));
}

const struct portal_route api_orders_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/orders",
     .name = "orders",
     .handler = orders_list,
     .summary = "The city's evacuation orders in force (all=true: with history), for staff.",
     .params = {{"all", PARAM_ENUM, 0, 0, "true|false", 0, "include lifted orders"}}},
    {.method = "POST",
     .pattern = "/api/v1/orders",
     .name = "orders_issue",
     .handler = order_issue,
     .summary = "Issues an evacuation order (editor; L5 needs a second confirmation)."},
    {.method = "POST",
     .pattern = "/api/v1/orders/{id}/lift",
     .name = "orders_lift",
     .handler = order_lift,
     .summary = "Lifts an evacuation order in force (editor)."},
    {0},
};
