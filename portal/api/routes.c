/* The route table: every resource file's array, in matching order.  The
 * first route whose pattern and method match answers; a pattern that
 * matches with another method answers 405.  Paths under /api/ that match
 * nothing answer 404; everything else is a static file of [portal]
 * web_root. */
#include "api.h"
#include "portal.h"

const struct portal_route *const portal_route_lists[] = {
    api_ping_routes,     api_metrics_routes,  api_openapi_routes,
    api_features_routes, api_stations_routes, api_events_routes,
    /* Not yet registered (their store parts or issues have not landed):
     * status, alerts, shelters, cap (alerts and orders), hazard and
     * addresses (the geo issue), cameras (the camera issue). */
};
const size_t portal_n_route_lists = sizeof(portal_route_lists) / sizeof(portal_route_lists[0]);
