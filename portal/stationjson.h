/* GeoJSON (RFC 7946) of stations with their latest state, with the
 * properties of docs/contracts.md: id, kind, source, name, river, value,
 * unit, observed_at, level, state, rate_m_per_h, thresholds {standby,
 * caution, evacuation, danger, flood, start}.  Shared by /api/v1/stations
 * and the OGC "stations" collection so both say the same. */
#ifndef SONAE_PORTAL_STATIONJSON_H
#define SONAE_PORTAL_STATIONJSON_H

#include <stdint.h>

struct json_writer;
struct store_latest;

/* Begins a Feature with a Point geometry and opens its "properties"
 * object; the caller writes the members and closes both objects. */
void geojson_point_feature_begin(struct json_writer *w, int64_t id, double lon, double lat);
/* Writes one Feature value. */
void station_feature(struct json_writer *w, const struct store_latest *s);
/* Writes an ISO-8601 +09:00 time, or null for 0. */
void json_time_jst(struct json_writer *w, int64_t utc_s);

#endif
