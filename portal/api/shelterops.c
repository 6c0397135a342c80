/* POST /api/v1/shelters/{id}/status: open or close a shelter, occupancy
 * and needs — by an editor, or by a shelter_operator for the shelters of
 * its account only. */
#include "api.h"
#include "auth.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_places.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *status_json(const struct store_shelter *s)
{
        return json_pack("{s:b, s:I, s:s?}", "open", s->is_open, "occupancy",
                         (json_int_t)s->occupancy, "needs", s->needs);
}

static int set_status(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        json_t *body = NULL;
        if (auth_require(req, resp, AUTH_SHELTER_OPERATOR, true, &w))
                return 0;
        char *end = NULL;
        long long id = strtoll(portal_req_path_param(req, "id"), &end, 10);
        if (!end || *end || id <= 0)
                return portal_resp_error(resp, 400, "id: a shelter number");
        if (!auth_may_shelter(&w, id))
                return portal_resp_error(resp, 403,
                                         "この避難所の担当ではありません (not your shelter)");
        if (req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        json_t *op = json_object_get(body, "open");
        json_t *occ = json_object_get(body, "occupancy");
        const char *needs = jstr(body, "needs", 2000, &bad);
        if (bad || !json_is_boolean(op) || (occ && !json_is_integer(occ)) ||
            (occ && json_integer_value(occ) < -1)) {
                json_decref(body);
                return portal_resp_error(resp, 400,
                                         "open: boolean; occupancy: integer (-1 unknown); "
                                         "needs: string");
        }
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st) {
                json_decref(body);
                return portal_resp_error(resp, 503, "store unavailable");
        }
        struct store_shelter_list l = {0};
        int rc = store_shelter_get(st, id, &l);
        if (rc == 0 && l.n != 1)
                rc = -ENOENT;
        json_t *before = NULL, *after = NULL;
        if (rc == 0) {
                before = status_json(&l.v[0]);
                struct store_shelter s = l.v[0];
                s.is_open = json_is_true(op);
                s.occupancy = occ ? json_integer_value(occ) : -1;
                s.needs = needs;
                rc = store_shelter_set_status(st, id, s.is_open, s.occupancy, needs);
                if (rc == 0) {
                        after = status_json(&s);
                        char obj[48];
                        snprintf(obj, sizeof(obj), "shelter:%lld", id);
                        rc = audit_json(st, &w, "shelter.status", obj, before, after);
                }
        }
        portal_store_release_write(app, st);
        store_shelter_list_free(&l);
        json_decref(before);
        json_decref(body);
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such shelter");
        if (rc < 0) {
                json_decref(after);
                return rc;
        }
        portal_app_invalidate(app);
        portal_app_wake_streams(app);
        return resp_json(resp, 200, after);
}

const struct portal_route api_shelterops_routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/shelters/{id}/status",
     .name = "shelters_status",
     .handler = set_status,
     .summary = "Opens or closes a shelter, occupancy and needs (editor or its shelter_operator)."},
    {0},
};
