/* The JSON form of a parsed telegram (the `sonae jma parse` contract). */
#include "jma_json.h"
#include "json.h"

#include <math.h>

static void str_field(struct json_writer *w, const char *key, const char *value)
{
        json_key(w, key);
        json_str(w, value);
}

static void level_field(struct json_writer *w, int level)
{
        json_key(w, "level");
        if (level >= 1 && level <= 5)
                json_int(w, level);
        else
                json_null_value(w);
}

int jma_report_json(const struct jma_report *r, struct buf *out)
{
        struct json_writer w;
        json_init(&w, out);
        json_obj_begin(&w);
        str_field(&w, "title", r->title);
        str_field(&w, "status", r->status);
        str_field(&w, "editorial_office", r->editorial_office);
        str_field(&w, "publishing_office", r->publishing_office);
        str_field(&w, "datetime", r->datetime);
        str_field(&w, "head_title", r->head_title);
        str_field(&w, "report_datetime", r->report_datetime);
        str_field(&w, "target_datetime", r->target_datetime);
        str_field(&w, "event_id", r->event_id);
        str_field(&w, "info_type", r->info_type);
        str_field(&w, "serial", r->serial);
        str_field(&w, "info_kind", r->info_kind);
        str_field(&w, "headline", r->headline);

        json_key(&w, "warnings");
        json_arr_begin(&w);
        for (size_t i = 0; i < r->n_warnings && !json_error(&w); i++) {
                const struct jma_warning *x = &r->warnings[i];
                json_obj_begin(&w);
                str_field(&w, "warning_type", x->warning_type);
                str_field(&w, "area_code", x->area_code);
                str_field(&w, "area_name", x->area_name);
                str_field(&w, "kind_code", x->kind_code);
                str_field(&w, "kind_name", x->kind_name);
                str_field(&w, "kind_status", x->kind_status);
                level_field(&w, x->level);
                json_obj_end(&w);
        }
        json_arr_end(&w);

        json_key(&w, "earthquake");
        if (r->earthquake) {
                const struct jma_earthquake *e = r->earthquake;
                json_obj_begin(&w);
                str_field(&w, "origin_time", e->origin_time);
                str_field(&w, "hypocenter_name", e->hypocenter_name);
                json_key(&w, "lat");
                json_double(&w, e->lat);
                json_key(&w, "lon");
                json_double(&w, e->lon);
                json_key(&w, "depth_km");
                json_double(&w, e->depth_km);
                json_key(&w, "magnitude");
                json_double(&w, e->magnitude);
                str_field(&w, "max_intensity", e->max_intensity);
                json_obj_end(&w);
        } else {
                json_null_value(&w);
        }

        json_key(&w, "tsunami");
        json_arr_begin(&w);
        for (size_t i = 0; i < r->n_tsunami && !json_error(&w); i++) {
                const struct jma_tsunami *t = &r->tsunami[i];
                json_obj_begin(&w);
                str_field(&w, "area_code", t->area_code);
                str_field(&w, "area_name", t->area_name);
                str_field(&w, "kind_code", t->kind_code);
                str_field(&w, "kind_name", t->kind_name);
                json_obj_end(&w);
        }
        json_arr_end(&w);
        json_obj_end(&w);
        return json_error(&w);
}
