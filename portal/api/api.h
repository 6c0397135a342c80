/* The route arrays of portal/api/, one per resource file, listed in
 * routes.c.  A new resource adds its file, its array here and one line in
 * routes.c. */
#ifndef SONAE_PORTAL_API_H
#define SONAE_PORTAL_API_H

#include "http.h"

extern const struct portal_route api_ping_routes[];
extern const struct portal_route api_metrics_routes[];
extern const struct portal_route api_openapi_routes[];
extern const struct portal_route api_features_routes[];
extern const struct portal_route api_stations_routes[];
extern const struct portal_route api_events_routes[];
extern const struct portal_route api_status_routes[];
extern const struct portal_route api_alerts_routes[];
extern const struct portal_route api_shelters_routes[];
extern const struct portal_route api_cap_routes[];
extern const struct portal_route api_lite_routes[];
extern const struct portal_route api_session_routes[];
extern const struct portal_route api_orders_routes[];
extern const struct portal_route api_notices_routes[];
extern const struct portal_route api_shelterops_routes[];
extern const struct portal_route api_timelines_routes[];
extern const struct portal_route api_reports_routes[];
extern const struct portal_route api_watchpoints_routes[];
extern const struct portal_route api_hazard_routes[];
extern const struct portal_route api_addresses_routes[];
extern const struct portal_route api_audit_routes[];
extern const struct portal_route api_tiles_routes[];

/* portal/notify/line_webhook.c */
extern const struct portal_route api_line_routes[];
/* portal/notify/webpush_api.c */
extern const struct portal_route api_webpush_routes[];
extern const struct portal_route api_cameras_routes[];
extern const struct portal_route api_sources_routes[];
extern const struct portal_route api_areas_routes[];

#endif
