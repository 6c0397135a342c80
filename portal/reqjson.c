#include "reqjson.h"
#include "store.h"
#include "store_city.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REQ_JSON_MAX (64 * 1024)

int req_json_object(struct portal_req *req, struct portal_resp *resp, json_t **out)
{
        size_t len = 0;
        const char *body = portal_req_body(req, &len);
        const char *ct = portal_req_header(req, "Content-Type");
        *out = NULL;
        /* A form post from another site cannot send application/json
         * without a CORS preflight, which this portal never grants. */
        if (!ct || strncmp(ct, "application/json", 16) != 0) {
                portal_resp_error(resp, 415, "Content-Type: application/json");
                return 1;
        }
        if (len > REQ_JSON_MAX) {
                portal_resp_error(resp, 413, "JSON body too large");
                return 1;
        }
        json_error_t err;
        json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
        if (!v || !json_is_object(v)) {
                json_decref(v);
                portal_resp_error(resp, 400, "body: a JSON object");
                return 1;
        }
        *out = v;
        return 0;
}

int resp_json(struct portal_resp *resp, int status, json_t *v)
{
        if (!v)
                return -ENOMEM;
        char *s = json_dumps(v, JSON_COMPACT);
        json_decref(v);
        if (!s)
                return -ENOMEM;
        buf_reset(&resp->body);
        int rc = buf_puts(&resp->body, s);
        free(s);
        resp->status = status;
        resp->content_type = "application/json";
        return rc < 0 ? rc : 0;
}

int audit_json(struct store *st, const struct auth_who *who, const char *action, const char *object,
               json_t *before, json_t *after)
{
        char *b = before ? json_dumps(before, JSON_COMPACT) : NULL;
        char *a = after ? json_dumps(after, JSON_COMPACT) : NULL;
        int rc =
            store_audit_add(st, who->user_id, who->name[0] ? who->name : "-", action, object, b, a);
        free(b);
        free(a);
        return rc;
}

const char *jstr(json_t *o, const char *key, size_t max, bool *bad)
{
        json_t *v = json_object_get(o, key);
        if (!v || json_is_null(v))
                return NULL;
        if (!json_is_string(v) || json_string_length(v) > max ||
            strlen(json_string_value(v)) != json_string_length(v)) {
                *bad = true;
                return NULL;
        }
        return json_string_value(v);
}
