#include "stationjson.h"
#include "json.h"
#include "level.h"
#include "store.h"
#include "timeutil.h"

#include <math.h>

void json_time_jst(struct json_writer *w, int64_t utc_s)
{
        char ts[32];
        if (utc_s == 0 || time_format_jst(utc_s, ts, sizeof(ts)) < 0) {
                json_null_value(w);
                return;
        }
        json_str(w, ts);
}

static void json_level(struct json_writer *w, int level)
{
        if (level_valid(level))
                json_int(w, level);
        else
                json_null_value(w);
}

void geojson_point_feature_begin(struct json_writer *w, int64_t id, double lon, double lat)
{
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Feature");
        json_key(w, "id");
        json_int(w, id);
        json_key(w, "geometry");
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Point");
        json_key(w, "coordinates");
        json_arr_begin(w);
        json_double(w, lon);
        json_double(w, lat);
        json_arr_end(w);
        json_obj_end(w);
        json_key(w, "properties");
        json_obj_begin(w);
}

void station_feature(struct json_writer *w, const struct store_latest *s)
{
        geojson_point_feature_begin(w, s->id, s->lon, s->lat);
        json_key(w, "id");
        json_int(w, s->id);
        json_key(w, "kind");
        json_str(w, s->kind);
        json_key(w, "source");
        json_str(w, s->source);
        json_key(w, "name");
        json_str(w, s->name);
        json_key(w, "river");
        json_str(w, s->river);
        json_key(w, "value");
        json_double(w, s->value);
        json_key(w, "unit");
        json_str(w, s->unit);
        json_key(w, "observed_at");
        json_time_jst(w, s->observed_at);
        json_key(w, "level");
        json_level(w, s->level);
        json_key(w, "state");
        json_str(w, station_state_name(s->state));
        json_key(w, "rate_m_per_h");
        json_double(w, s->rate_m_per_h);
        json_key(w, "exercise");
        json_bool(w, s->exercise);
        json_key(w, "thresholds");
        json_obj_begin(w);
        json_key(w, "standby");
        json_double(w, s->thr.standby);
        json_key(w, "caution");
        json_double(w, s->thr.caution);
        json_key(w, "evacuation");
        json_double(w, s->thr.evacuation);
        json_key(w, "danger");
        json_double(w, s->thr.danger);
        json_key(w, "flood");
        json_double(w, s->thr.flood);
        json_key(w, "start");
        json_double(w, s->thr.start);
        json_obj_end(w);
        json_obj_end(w);
        json_obj_end(w);
}
