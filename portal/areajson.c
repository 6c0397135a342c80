#include "areajson.h"
#include "json.h"
#include "level.h"
#include "stationjson.h"
#include "store.h"
#include "store_city.h"
#include "store_sources.h"

void json_level_or_null(struct json_writer *w, int level)
{
        if (level_valid(level))
                json_int(w, level);
        else
                json_null_value(w);
}

void area_status_json(struct json_writer *w, const struct store_area_status *a)
{
        json_obj_begin(w);
        json_key(w, "area_code");
        json_str(w, a->area_code);
        json_key(w, "area_name");
        json_str(w, a->area_name);
        json_key(w, "level");
        json_level_or_null(w, a->level);
        json_key(w, "exercise");
        json_bool(w, a->exercise);
        json_key(w, "kinds");
        json_arr_begin(w);
        for (size_t k = 0; k < a->n_kinds; k++) {
                const struct store_area_kind *kd = &a->kinds[k];
                json_obj_begin(w);
                json_key(w, "code");
                json_str(w, kd->code);
                json_key(w, "name");
                json_str(w, kd->name);
                json_key(w, "status");
                json_str(w, kd->status);
                json_key(w, "level");
                json_level_or_null(w, kd->level);
                json_key(w, "issued_at");
                json_time_jst(w, kd->issued_at);
                json_obj_end(w);
        }
        json_arr_end(w);
        json_key(w, "order");
        if (a->order.id) {
                json_obj_begin(w);
                json_key(w, "level");
                json_level_or_null(w, a->order.level);
                json_key(w, "name_ja");
                json_str(w, a->order.name_ja);
                json_key(w, "issued_at");
                json_time_jst(w, a->order.issued_at);
                json_obj_end(w);
        } else
                json_null_value(w);
        json_key(w, "orders");
        json_arr_begin(w);
        for (size_t i = 0; i < a->n_orders; i++) {
                const struct store_area_order *o = &a->orders[i];
                json_obj_begin(w);
                json_key(w, "level");
                json_level_or_null(w, o->level);
                json_key(w, "name_ja");
                json_str(w, o->name_ja);
                json_key(w, "issued_at");
                json_time_jst(w, o->issued_at);
                json_key(w, "district_id");
                if (o->district_id)
                        json_int(w, o->district_id);
                else
                        json_null_value(w);
                json_obj_end(w);
        }
        json_arr_end(w);
        json_key(w, "updated_at");
        json_time_jst(w, a->updated_at);
        json_obj_end(w);
}

void notice_json(struct json_writer *w, const struct store_notice *n)
{
        json_obj_begin(w);
        json_key(w, "id");
        json_int(w, n->id);
        json_key(w, "category");
        json_str(w, n->category);
        json_key(w, "area_code");
        json_str(w, n->area_code);
        json_key(w, "title_ja");
        json_str(w, n->title_ja);
        json_key(w, "text_ja");
        json_str(w, n->text_ja);
        json_key(w, "valid_from");
        json_time_jst(w, n->valid_from);
        json_key(w, "valid_to");
        json_time_jst(w, n->valid_to);
        json_key(w, "exercise");
        json_bool(w, n->exercise);
        json_obj_end(w);
}

void alert_json(struct json_writer *w, const struct store_alert *a)
{
        json_obj_begin(w);
        json_key(w, "id");
        json_int(w, a->id);
        json_key(w, "office");
        json_str(w, a->office);
        json_key(w, "title");
        json_str(w, a->title);
        json_key(w, "info_type");
        json_str(w, a->info_type);
        json_key(w, "report_status");
        json_str(w, a->report_status);
        json_key(w, "report_at");
        json_time_jst(w, a->report_at);
        json_key(w, "area_code");
        json_str(w, a->area_code);
        json_key(w, "area_name");
        json_str(w, a->area_name);
        json_key(w, "kind_code");
        json_str(w, a->kind_code);
        json_key(w, "kind_name");
        json_str(w, a->kind_name);
        json_key(w, "status");
        json_str(w, a->status);
        json_key(w, "level");
        json_level_or_null(w, a->level);
        json_key(w, "valid_from");
        json_time_jst(w, a->valid_from);
        json_key(w, "valid_to");
        json_time_jst(w, a->valid_to);
        json_obj_end(w);
}
