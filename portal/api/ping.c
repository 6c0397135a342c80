/* GET /api/v1/ping: the cheapest answer, for health checks and as the
 * benchmark's ceiling. */
#include "api.h"
#include "json.h"
#include "timeutil.h"

static int ping(struct portal_req *req, struct portal_resp *resp)
{
        struct json_writer w;
        char now[32];
        (void)req;
        time_format_jst(time_now_ms() / 1000, now, sizeof(now));
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "status");
        json_str(&w, "ok");
        json_key(&w, "time");
        json_str(&w, now);
        json_obj_end(&w);
        return json_error(&w);
}

const struct portal_route api_ping_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/ping",
     .name = "ping",
     .handler = ping,
     .flags = ROUTE_LOG_QUERY,
     .summary = "Health check: {\"status\":\"ok\",\"time\":...}."},
    {0},
};
