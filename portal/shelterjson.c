#include "shelterjson.h"
#include "geo.h"
#include "json.h"
#include "stationjson.h"
#include "store.h"
#include "store_places.h"

static void int_or_null(struct json_writer *w, int64_t v)
{
        if (v < 0)
                json_null_value(w);
        else
                json_int(w, v);
}

void shelter_feature(struct json_writer *w, const struct store_shelter *s)
{
        geojson_point_feature_begin(w, s->id, s->lon, s->lat);
        json_key(w, "id");
        json_int(w, s->id);
        json_key(w, "common_id");
        json_str(w, s->common_id);
        json_key(w, "kind");
        json_str(w, s->kind);
        json_key(w, "name");
        json_str(w, s->name);
        json_key(w, "address");
        json_str(w, s->address);
        json_key(w, "hazards");
        json_obj_begin(w);
        for (int h = 0; h < HAZARD_COUNT; h++) {
                json_key(w, store_hazard_name((enum store_hazard)h));
                json_bool(w, s->hazards[h]);
        }
        json_obj_end(w);
        json_key(w, "capacity");
        int_or_null(w, s->capacity);
        json_key(w, "open");
        json_bool(w, s->is_open);
        json_key(w, "occupancy");
        int_or_null(w, s->occupancy);
        json_key(w, "needs");
        json_str(w, s->needs);
        json_key(w, "status_updated_at");
        json_time_jst(w, s->status_updated_at);
        json_obj_end(w);
        json_obj_end(w);
}

void shelter_hit_members(struct json_writer *w, const struct geo_shelter_hit *s)
{
        json_key(w, "id");
        json_int(w, s->id);
        json_key(w, "name");
        json_str(w, s->name);
        json_key(w, "distance_m");
        json_double(w, (double)(int64_t)(s->distance_m * 10.0 + 0.5) / 10.0);
        json_key(w, "bearing_deg");
        json_double(w, s->bearing_deg); /* NaN (on the spot) writes null */
        json_key(w, "open");
        json_bool(w, s->open);
        json_key(w, "address");
        json_str(w, s->address);
        json_key(w, "lon");
        json_double(w, s->lon);
        json_key(w, "lat");
        json_double(w, s->lat);
        json_key(w, "capacity");
        int_or_null(w, s->capacity);
        json_key(w, "occupancy");
        int_or_null(w, s->occupancy);
        /* Where to stay once the danger has passed. */
        json_key(w, "linked");
        if (s->linked_id > 0) {
                json_obj_begin(w);
                json_key(w, "id");
                json_int(w, s->linked_id);
                json_key(w, "name");
                json_str(w, s->linked_name);
                json_obj_end(w);
        } else {
                json_null_value(w);
        }
}

void shelter_hit_feature(struct json_writer *w, const struct geo_shelter_hit *s, const char *hazard)
{
        geojson_point_feature_begin(w, s->id, s->lon, s->lat);
        shelter_hit_members(w, s);
        json_key(w, "common_id");
        json_str(w, s->common_id);
        json_key(w, "hazard");
        json_str(w, hazard);
        json_obj_end(w);
        json_obj_end(w);
}
