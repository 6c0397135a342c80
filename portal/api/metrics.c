/* GET /metrics: Prometheus text format.  Loopback only (and never through
 * a proxy) until staff authentication exists. */
#include "api.h"
#include "portal.h"

static int metrics(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        int rc = portal_app_metrics(app, &resp->body);
        if (rc == 0)
                rc = buf_puts(&resp->body, "# HELP sonae_portal_up 1 while sonae-portald answers.\n"
                                           "# TYPE sonae_portal_up gauge\n"
                                           "sonae_portal_up 1\n");
        return rc;
}

const struct portal_route api_metrics_routes[] = {
    {.method = "GET",
     .pattern = "/metrics",
     .name = "metrics",
     .handler = metrics,
     .flags = ROUTE_LOOPBACK | ROUTE_LOG_QUERY,
     .summary = "Prometheus metrics (loopback only)."},
    {0},
};
