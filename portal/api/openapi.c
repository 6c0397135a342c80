/* GET /api/v1/openapi.json: an OpenAPI 3.0 document generated from the
 * route table, so it cannot drift from what the server answers.  The OGC
 * landing page links it as service-desc, and the hostile-input test walks
 * it to reach every route and parameter. */
#include "api.h"
#include "json.h"
#include "portal.h"

#include <stdio.h>
#include <string.h>

static const char *schema_type(enum param_type t)
{
        switch (t) {
        case PARAM_INT:
                return "integer";
        case PARAM_NUMBER:
                return "number";
        default:
                return "string";
        }
}

static const char *format_of(enum param_type t)
{
        switch (t) {
        case PARAM_BBOX:
                return "bbox";
        case PARAM_DATETIME:
                return "date-time-or-interval";
        case PARAM_ID:
                return "id";
        default:
                return NULL;
        }
}

static void write_param(struct json_writer *w, const char *name, const char *in,
                        const struct portal_param *p)
{
        json_obj_begin(w);
        json_key(w, "name");
        json_str(w, name);
        json_key(w, "in");
        json_str(w, in);
        json_key(w, "required");
        json_bool(w, strcmp(in, "path") == 0);
        if (p && p->doc) {
                json_key(w, "description");
                json_str(w, p->doc);
        }
        json_key(w, "schema");
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, p ? schema_type(p->type) : "string");
        const char *fmt = format_of(p ? p->type : PARAM_ID);
        if (fmt) {
                json_key(w, "format");
                json_str(w, fmt);
        }
        if (p && (p->type == PARAM_INT || p->type == PARAM_NUMBER)) {
                json_key(w, "minimum");
                json_double(w, p->min);
                json_key(w, "maximum");
                json_double(w, p->max);
        }
        if (p && p->type == PARAM_ENUM && p->choices) {
                json_key(w, "enum");
                json_arr_begin(w);
                const char *c = p->choices;
                while (*c) {
                        const char *bar = strchr(c, '|');
                        size_t l = bar ? (size_t)(bar - c) : strlen(c);
                        json_strn(w, c, l);
                        if (!bar)
                                break;
                        c = bar + 1;
                }
                json_arr_end(w);
        }
        json_obj_end(w);
        json_obj_end(w);
}

static void lower(char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        *s = (char)(*s - 'A' + 'a');
}

static int openapi(struct portal_req *req, struct portal_resp *resp)
{
        size_t n;
        const struct portal_route *const *r = portal_app_routes(portal_req_app(req), &n);
        struct json_writer w;
        resp->content_type = "application/vnd.oai.openapi+json;version=3.0";
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "openapi");
        json_str(&w, "3.0.3");
        json_key(&w, "info");
        json_obj_begin(&w);
        json_key(&w, "title");
        json_str(&w, "備え (Sonae) API");
        json_key(&w, "version");
        json_str(&w, SONAE_VERSION);
        json_obj_end(&w);
        json_key(&w, "paths");
        json_obj_begin(&w);
        for (size_t i = 0; i < n; i++) {
                /* Routes sharing a pattern share one path item. */
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= strcmp(r[j]->pattern, r[i]->pattern) == 0;
                if (seen)
                        continue;
                json_key(&w, r[i]->pattern);
                json_obj_begin(&w);
                for (size_t k = i; k < n; k++) {
                        if (strcmp(r[k]->pattern, r[i]->pattern) != 0)
                                continue;
                        char m[16];
                        snprintf(m, sizeof(m), "%s", r[k]->method);
                        lower(m);
                        json_key(&w, m);
                        json_obj_begin(&w);
                        json_key(&w, "operationId");
                        json_str(&w, r[k]->name);
                        if (r[k]->flags & ROUTE_STREAM) {
                                /* Server-Sent Events: the answer never ends. */
                                json_key(&w, "x-sonae-stream");
                                json_bool(&w, true);
                        }
                        if (r[k]->summary) {
                                json_key(&w, "summary");
                                json_str(&w, r[k]->summary);
                        }
                        json_key(&w, "parameters");
                        json_arr_begin(&w);
                        for (const char *p = strchr(r[k]->pattern, '{'); p;
                             p = strchr(p + 1, '{')) {
                                const char *e = strchr(p, '}');
                                if (!e)
                                        break;
                                char name[64];
                                snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
                                write_param(&w, name, "path", NULL);
                        }
                        for (size_t q = 0; q < ROUTE_MAX_PARAMS && r[k]->params[q].name; q++)
                                write_param(&w, r[k]->params[q].name, "query", &r[k]->params[q]);
                        json_arr_end(&w);
                        json_key(&w, "responses");
                        json_obj_begin(&w);
                        json_key(&w, "200");
                        json_obj_begin(&w);
                        json_key(&w, "description");
                        json_str(&w, "OK");
                        json_obj_end(&w);
                        json_obj_end(&w);
                        json_obj_end(&w);
                }
                json_obj_end(&w);
        }
        json_obj_end(&w);
        json_obj_end(&w);
        return json_error(&w);
}

const struct portal_route api_openapi_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/openapi.json",
     .name = "openapi",
     .handler = openapi,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 300,
     .cache_ms = 60000,
     .summary = "This API's OpenAPI 3.0 definition."},
    {0},
};
