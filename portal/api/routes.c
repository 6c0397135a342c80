/* The route table: every resource file's array, in matching order.  The
 * first route whose pattern and method match answers; a pattern that
 * matches with another method answers 405.  Paths under /api/ that match
 * nothing answer 404; everything else is a static file of [portal]
 * web_root. */
#include "api.h"
#include "portal.h"

/* One resource per line keeps merges trivial. */
/* clang-format off */
const struct portal_route *const portal_route_lists[] = {
    api_ping_routes,
    api_metrics_routes,
    api_openapi_routes,
    api_features_routes,
    api_stations_routes,
    api_events_routes,
    api_status_routes,
    api_alerts_routes,
    api_shelters_routes,
    api_cap_routes,
    api_lite_routes,
    api_session_routes,
    api_orders_routes,
    api_notices_routes,
    api_shelterops_routes,
    api_timelines_routes,
    api_reports_routes,
    api_watchpoints_routes,
    api_hazard_routes,
    api_addresses_routes,
    api_audit_routes,
    api_line_routes,
    api_webpush_routes,
    api_cameras_routes,
    api_sources_routes,
    api_areas_routes,
    api_tiles_routes,
    /* A new resource adds its file and one line here. */
};
/* clang-format on */
const size_t portal_n_route_lists = sizeof(portal_route_lists) / sizeof(portal_route_lists[0]);
