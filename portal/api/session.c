/* Staff login: POST /api/v1/auth/login, /logout, /display and GET
 * /api/v1/auth/me (portal/auth.h says how sessions work). */
#include "api.h"
#include "auth.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_city.h"

#include <stdio.h>
#include <string.h>

static json_t *who_json(const struct auth_who *w)
{
        json_t *sh = json_array();
        for (size_t i = 0; i < w->n_shelters; i++)
                json_array_append_new(sh, json_integer(w->shelters[i]));
        return json_pack("{s:s, s:s, s:s, s:o}", "name", w->name, "role", auth_role_name(w->role),
                         "csrf", w->csrf, "shelters", sh);
}

static void audit_session(struct portal_req *req, const struct auth_who *w, const char *action)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st)
                return;
        char obj[96];
        snprintf(obj, sizeof(obj), "user:%s", w->name);
        (void)audit_json(st, w, action, obj, NULL, NULL);
        portal_store_release_write(app, st);
}

static int login(struct portal_req *req, struct portal_resp *resp)
{
        json_t *body = NULL;
        if (req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        const char *name = jstr(body, "name", 64, &bad);
        const char *pw = jstr(body, "password", 1024, &bad);
        if (bad || !name || !pw || !name[0]) {
                json_decref(body);
                return portal_resp_error(resp, 400, "name and password: strings");
        }
        struct auth_who w;
        int retry = 0;
        int st = auth_login(req, resp, name, pw, &w, &retry);
        json_decref(body);
        if (st == 429) {
                char msg[160];
                snprintf(msg, sizeof(msg),
                         "試行回数が多すぎます。%d 秒後に再試行してください (too many attempts)",
                         retry);
                return portal_resp_error(resp, 429, msg);
        }
        if (st == 401)
                return portal_resp_error(resp, 401,
                                         "名前またはパスワードが違います (wrong name or password)");
        if (st != 0)
                return portal_resp_error(resp, 503, "store unavailable");
        audit_session(req, &w, "login");
        return resp_json(resp, 200, who_json(&w));
}

static int logout(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_VIEWER, true, &w))
                return 0;
        auth_logout(req, resp);
        audit_session(req, &w, "logout");
        return resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int me(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &w))
                return 0;
        return resp_json(resp, 200, who_json(&w));
}

static int display(struct portal_req *req, struct portal_resp *resp)
{
        json_t *body = NULL;
        if (req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        const char *tok = jstr(body, "token", 64, &bad);
        struct auth_who w;
        bool ok = !bad && tok && auth_display_login(req, resp, tok, &w);
        json_decref(body);
        if (!ok)
                return portal_resp_error(resp, 401,
                                         "表示用トークンが無効です (unknown display token)");
        return resp_json(resp, 200, who_json(&w));
}

const struct portal_route api_session_routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/auth/login",
     .name = "auth_login",
     .handler = login,
     .summary = "Staff login with name and password (JSON); sets the session cookie."},
    {.method = "POST",
     .pattern = "/api/v1/auth/logout",
     .name = "auth_logout",
     .handler = logout,
     .summary = "Ends the session (needs X-CSRF-Token)."},
    {.method = "GET",
     .pattern = "/api/v1/auth/me",
     .name = "auth_me",
     .handler = me,
     .summary = "Who is logged in: name, role, CSRF token, shelters."},
    {.method = "POST",
     .pattern = "/api/v1/auth/display",
     .name = "auth_display",
     .handler = display,
     .summary = "Wall screen: exchanges a display token for a read-only cookie."},
    {0},
};
