/* GeoJSON of a shelter: id, common_id, kind, name, address, hazards {flood:
 * true, ...}, capacity, open, occupancy, needs, status_updated_at.  Shared
 * by /api/v1/shelters and the OGC "shelters" collection. */
#ifndef SONAE_PORTAL_SHELTERJSON_H
#define SONAE_PORTAL_SHELTERJSON_H

struct json_writer;
struct store_shelter;
struct geo_shelter_hit;

void shelter_feature(struct json_writer *w, const struct store_shelter *s);

/* The members of a shelter found near a point (geo_shelters_near()),
 * written into an object the caller has begun: id, name, distance_m
 * (0.1 m), bearing_deg (null on the spot), open, address, lon, lat,
 * capacity, occupancy, linked {id, name} | null (the 指定避難所 at the same
 * address).  Shared by /api/v1/hazard and /api/v1/shelters?lat&lon. */
void shelter_hit_members(struct json_writer *w, const struct geo_shelter_hit *s);
/* The same as a GeoJSON Feature, with common_id and the hazard asked for. */
void shelter_hit_feature(struct json_writer *w, const struct geo_shelter_hit *s,
                         const char *hazard);

#endif
