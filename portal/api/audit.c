/* GET /api/v1/audit: the audit log for admins — who did what, when, with
 * the object's state before and after — newest first, filtered by time
 * (from, to), by user (the actor's login, or "cli") and by entity (one
 * object such as "order:12", or a kind such as "order"), paged with
 * `before` (an entry id) and `limit`.  Reading it is not itself a write
 * and leaves no entry. */
#include "api.h"
#include "auth.h"
#include "ogc.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_DEFAULT_LIMIT 100
#define AUDIT_MAX_LIMIT     500

static json_t *json_text_or_null(const char *text)
{
        json_error_t e;
        json_t *v = text ? json_loads(text, JSON_DECODE_ANY, &e) : NULL;
        return v ? v : json_null();
}

static json_t *entry_json(const struct store_audit *a)
{
        char at[40];
        if (time_format_jst(a->at, at, sizeof(at)) < 0)
                at[0] = 0;
        return json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)a->id, "at",
                         at, "user_id", a->user_id ? json_integer(a->user_id) : json_null(),
                         "actor", a->actor, "action", a->action, "object", a->object, "before",
                         json_text_or_null(a->before_json), "after",
                         json_text_or_null(a->after_json));
}

/* The URL of the next page: the same filters, before the last entry. */
static json_t *next_url(struct portal_req *req, int64_t before, size_t limit)
{
        static const char *const keep[] = {"from", "to", "user", "entity"};
        struct buf u = BUF_INIT(4096);
        int rc = buf_printf(&u, "/api/v1/audit?before=%lld&limit=%zu", (long long)before, limit);
        for (size_t i = 0; rc == 0 && i < sizeof(keep) / sizeof(keep[0]); i++) {
                const char *v = portal_req_query(req, keep[i]);
                if (!v)
                        continue;
                rc = buf_printf(&u, "&%s=", keep[i]);
                if (rc == 0)
                        rc = ogc_url_encode(&u, v);
        }
        json_t *s = rc == 0 && u.data ? json_string(u.data) : json_null();
        buf_free(&u);
        return s;
}

static int time_param(struct portal_req *req, struct portal_resp *resp, const char *name,
                      int64_t *out)
{
        const char *v = portal_req_query(req, name);
        int64_t a, b;
        *out = 0;
        if (!v)
                return 0;
        if (http_parse_datetime(v, &a, &b) < 0 || a != b) {
                char msg[64];
                snprintf(msg, sizeof(msg), "%s: an RFC 3339 time", name);
                portal_resp_error(resp, 400, msg);
                return 1;
        }
        *out = a;
        return 0;
}

static int audit(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_ADMIN, false, &who))
                return 0;
        struct store_audit_filter f = {0};
        if (time_param(req, resp, "from", &f.from) || time_param(req, resp, "to", &f.to))
                return 0;
        if (f.from && f.to && f.from >= f.to)
                return portal_resp_error(resp, 400, "from must be before to");
        f.actor = portal_req_query(req, "user");
        f.object = portal_req_query(req, "entity");
        const char *bv = portal_req_query(req, "before"), *lv = portal_req_query(req, "limit");
        f.before_id = bv ? strtoll(bv, NULL, 10) : 0;
        f.limit = lv ? (size_t)strtoul(lv, NULL, 10) : AUDIT_DEFAULT_LIMIT;
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_audit_list l = {0};
        int rc = store_audit_query(st, &f, &l);
        portal_store_release(app, st);
        if (rc == -EINVAL)
                return portal_resp_error(resp, 400, "entity: too long");
        if (rc < 0)
                return rc;
        json_t *arr = json_array();
        for (size_t i = 0; i < l.n; i++)
                json_array_append_new(arr, entry_json(&l.v[i]));
        json_t *next =
            l.n == f.limit && l.n ? next_url(req, l.v[l.n - 1].id, f.limit) : json_null();
        store_audit_list_free(&l);
        return resp_json(resp, 200, json_pack("{s:o, s:o}", "entries", arr, "next", next));
}

const struct portal_route api_audit_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/audit",
     .name = "audit",
     .handler = audit,
     .flags = ROUTE_LOG_QUERY,
     .summary = "The audit log, newest first (admin): filters by time, user and entity; paged.",
     .params =
         {
             {"from", PARAM_DATETIME, 0, 0, NULL, 40, "entries at or after (RFC 3339)"},
             {"to", PARAM_DATETIME, 0, 0, NULL, 40, "entries before (RFC 3339)"},
             {"user", PARAM_STRING, 0, 0, NULL, 64, "the actor's login name, or cli"},
             {"entity", PARAM_STRING, 0, 0, NULL, 256, "order:12 (one object) or order (a kind)"},
             {"before", PARAM_INT, 1, 9007199254740991.0, NULL, 0,
              "page: entries with a smaller id"},
             {"limit", PARAM_INT, 1, AUDIT_MAX_LIMIT, NULL, 0, "entries per page, default 100"},
         }},
    {0},
};
