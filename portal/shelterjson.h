/* GeoJSON of a shelter: id, common_id, kind, name, address, hazards {flood:
 * true, ...}, capacity, open, occupancy, needs, status_updated_at.  Shared
 * by /api/v1/shelters and the OGC "shelters" collection. */
#ifndef SONAE_PORTAL_SHELTERJSON_H
#define SONAE_PORTAL_SHELTERJSON_H

struct json_writer;
struct store_shelter;

void shelter_feature(struct json_writer *w, const struct store_shelter *s);

#endif
