/* OGC API – Features under /api/v1/ogc over the collections the app
 * registered (portal_app_add_collection). */
#include "api.h"
#include "ogc.h"
#include "portal.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OGC_ROOT "/api/v1/ogc"

static void base_of(struct portal_req *req, char *base, size_t len)
{
        char root[512];
        portal_req_base_url(req, root, sizeof(root));
        snprintf(base, len, "%s%s", root, OGC_ROOT);
}

static const struct ogc_collection *find(struct portal_req *req)
{
        size_t n;
        const struct ogc_collection *const *c = portal_app_collections(portal_req_app(req), &n);
        const char *id = portal_req_path_param(req, "collectionId");
        for (size_t i = 0; id && i < n; i++)
                if (strcmp(c[i]->id, id) == 0)
                        return c[i];
        return NULL;
}

static int landing(struct portal_req *req, struct portal_resp *resp)
{
        char base[600], root[512], oas[600];
        base_of(req, base, sizeof(base));
        portal_req_base_url(req, root, sizeof(root));
        snprintf(oas, sizeof(oas), "%s/api/v1/openapi.json", root);
        return ogc_write_landing(&resp->body, base, "備え (Sonae) OGC API – Features", oas);
}

static int conformance(struct portal_req *req, struct portal_resp *resp)
{
        (void)req;
        return ogc_write_conformance(&resp->body);
}

static int collections(struct portal_req *req, struct portal_resp *resp)
{
        char base[600];
        size_t n;
        const struct ogc_collection *const *c = portal_app_collections(portal_req_app(req), &n);
        base_of(req, base, sizeof(base));
        return ogc_write_collections(&resp->body, base, c, n);
}

static int collection(struct portal_req *req, struct portal_resp *resp)
{
        char base[600];
        const struct ogc_collection *c = find(req);
        if (!c)
                return portal_resp_error(resp, 404, "no such collection");
        base_of(req, base, sizeof(base));
        return ogc_write_collection(&resp->body, base, c);
}

static int items(struct portal_req *req, struct portal_resp *resp)
{
        char base[600], err[160];
        struct ogc_query q;
        const struct ogc_collection *c = find(req);
        if (!c)
                return portal_resp_error(resp, 404, "no such collection");
        if (ogc_query_parse(portal_req_query(req, "bbox"), portal_req_query(req, "datetime"),
                            portal_req_query(req, "limit"), portal_req_query(req, "offset"), &q,
                            err, sizeof(err)) < 0)
                return portal_resp_error(resp, 400, err);
        base_of(req, base, sizeof(base));
        resp->content_type = "application/geo+json";
        int rc = ogc_write_items(&resp->body, base, c, &q, time_now_ms() / 1000);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        return rc;
}

static int item(struct portal_req *req, struct portal_resp *resp)
{
        char base[600];
        const struct ogc_collection *c = find(req);
        if (!c)
                return portal_resp_error(resp, 404, "no such collection");
        base_of(req, base, sizeof(base));
        resp->content_type = "application/geo+json";
        int rc = ogc_write_item(&resp->body, base, c, portal_req_path_param(req, "featureId"));
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such feature");
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        return rc;
}

#define PUBLIC_OGC .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY, .max_age = 60, .cache_ms = 5000

const struct portal_route api_features_routes[] = {
    {.method = "GET",
     .pattern = OGC_ROOT,
     .name = "ogc_landing",
     .handler = landing,
     PUBLIC_OGC,
     .summary = "OGC API – Features landing page."},
    {.method = "GET",
     .pattern = OGC_ROOT "/conformance",
     .name = "ogc_conformance",
     .handler = conformance,
     PUBLIC_OGC,
     .summary = "OGC API – Features conformance classes."},
    {.method = "GET",
     .pattern = OGC_ROOT "/collections",
     .name = "ogc_collections",
     .handler = collections,
     PUBLIC_OGC,
     .summary = "The feature collections."},
    {.method = "GET",
     .pattern = OGC_ROOT "/collections/{collectionId}",
     .name = "ogc_collection",
     .handler = collection,
     PUBLIC_OGC,
     .summary = "One collection."},
    {.method = "GET",
     .pattern = OGC_ROOT "/collections/{collectionId}/items",
     .name = "ogc_items",
     .handler = items,
     PUBLIC_OGC,
     .summary = "Features of a collection, paged.",
     .params =
         {
             {"bbox", PARAM_BBOX, 0, 0, NULL, 200, "minlon,minlat,maxlon,maxlat (WGS84)"},
             {"datetime", PARAM_DATETIME, 0, 0, NULL, 79, "RFC 3339 time or interval a/b"},
             {"limit", PARAM_INT, 1, 1000000, NULL, 0, "page size (at most 10000)"},
             {"offset", PARAM_INT, 0, 100000000, NULL, 0, "features to skip"},
         }},
    {.method = "GET",
     .pattern = OGC_ROOT "/collections/{collectionId}/items/{featureId}",
     .name = "ogc_item",
     .handler = item,
     PUBLIC_OGC,
     .summary = "One feature."},
    {0},
};
