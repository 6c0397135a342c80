/* Dispatch of the entity functions (store_sources.h, store_devices.h,
 * store_places.h, store_city.h) to the backend, and the list destructors,
 * which belong to no backend. */
#include "store_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int store_source_health_set(struct store *st, const char *name, const char *state,
                            const char *error, bool exercise)
{
        if (!st->ops->source_health_set)
                return -ENOTSUP;
        return st->ops->source_health_set(st, name, state, error, exercise);
}

int store_source_status_list(struct store *st, struct store_source_status_list *out)
{
        if (!st->ops->source_status_list)
                return -ENOTSUP;
        return st->ops->source_status_list(st, out);
}

int store_raw_document_put(struct store *st, const char *source, const char *url,
                           const char *content_type, const void *body, size_t len,
                           int64_t fetched_at, int64_t *id, bool *is_new)
{
        if (!st->ops->raw_document_put)
                return -ENOTSUP;
        return st->ops->raw_document_put(st, source, url, content_type, body, len, fetched_at, id,
                                         is_new);
}

int store_raw_document_find(struct store *st, const char *url, int64_t *id)
{
        if (!st->ops->raw_document_find)
                return -ENOTSUP;
        return st->ops->raw_document_find(st, url, id);
}

int store_raw_document_body(struct store *st, int64_t id, void **body, size_t *len)
{
        if (!st->ops->raw_document_body)
                return -ENOTSUP;
        return st->ops->raw_document_body(st, id, body, len);
}

int store_alert_add(struct store *st, const struct store_alert *a, int64_t *id)
{
        if (!st->ops->alert_add)
                return -ENOTSUP;
        return st->ops->alert_add(st, a, id);
}

int store_alerts_list(struct store *st, const char *area_code, int64_t from, int64_t to,
                      size_t limit, struct store_alert_list *out)
{
        if (!st->ops->alerts_list)
                return -ENOTSUP;
        return st->ops->alerts_list(st, area_code, from, to, limit, out);
}

int store_area_set_in_force(struct store *st, const char *area_code, const char *area_name,
                            bool exercise, const struct store_area_kind *kinds, size_t n)
{
        if (!st->ops->area_set_in_force)
                return -ENOTSUP;
        return st->ops->area_set_in_force(st, area_code, area_name, exercise, kinds, n);
}

int store_area_status_list(struct store *st, int view, struct store_area_status_list *out)
{
        if (!st->ops->area_status_list)
                return -ENOTSUP;
        return st->ops->area_status_list(st, view, out);
}

int store_area_upsert(struct store *st, const struct store_area *a)
{
        if (!st->ops->area_upsert)
                return -ENOTSUP;
        return st->ops->area_upsert(st, a);
}

int store_area_shapes(struct store *st, double tolerance, struct store_area_shape_list *out)
{
        if (!st->ops->area_shapes)
                return -ENOTSUP;
        return st->ops->area_shapes(st, tolerance, out);
}

int store_area_name(struct store *st, const char *code, char **name)
{
        if (!st->ops->area_name)
                return -ENOTSUP;
        return st->ops->area_name(st, code, name);
}

int store_area_geojson(struct store *st, const char *code, double tol, char **geojson,
                       double bbox[4])
{
        *geojson = NULL;
        if (!st->ops->area_geojson)
                return -ENOTSUP;
        return st->ops->area_geojson(st, code, tol, geojson, bbox);
}

int store_district_rings(struct store *st, int64_t district_id, size_t max_points,
                         struct store_area_rings *out, char **name, char **area_code)
{
        memset(out, 0, sizeof(*out));
        *name = *area_code = NULL;
        if (!st->ops->district_rings)
                return -ENOTSUP;
        return st->ops->district_rings(st, district_id, max_points, out, name, area_code);
}

int store_area_rings(struct store *st, const char *code, size_t max_points,
                     struct store_area_rings *out)
{
        memset(out, 0, sizeof(*out));
        if (!st->ops->area_rings)
                return -ENOTSUP;
        return st->ops->area_rings(st, code, max_points, out);
}

void store_area_rings_free(struct store_area_rings *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                free(r->v[i].lonlat);
        free(r->v);
        r->v = NULL;
        r->n = 0;
}

int store_camera_image_add(struct store *st, const struct store_camera_image *img, int64_t *id)
{
        if (!st->ops->camera_image_add)
                return -ENOTSUP;
        return st->ops->camera_image_add(st, img, id);
}

int store_camera_images_list(struct store *st, int64_t station_id, int64_t from, int64_t to,
                             size_t limit, struct store_camera_image_list *out)
{
        if (!st->ops->camera_images_list)
                return -ENOTSUP;
        return st->ops->camera_images_list(st, station_id, from, to, limit, out);
}

int store_camera_image_get(struct store *st, int64_t station_id, int64_t image_id,
                           struct store_camera_image_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!st->ops->camera_image_get)
                return -ENOTSUP;
        return st->ops->camera_image_get(st, station_id, image_id, out);
}

int store_camera_images_prune(struct store *st, int64_t station_id, int64_t before,
                              struct store_camera_image_list *out)
{
        if (!st->ops->camera_images_prune)
                return -ENOTSUP;
        return st->ops->camera_images_prune(st, station_id, before, out);
}

int store_camera_set_state(struct store *st, int64_t station_id, const char *state)
{
        if (!st->ops->camera_set_state)
                return -ENOTSUP;
        return st->ops->camera_set_state(st, station_id, state);
}

int store_camera_get_state(struct store *st, int64_t station_id, const char **state)
{
        if (!st->ops->camera_get_state)
                return -ENOTSUP;
        return st->ops->camera_get_state(st, station_id, state);
}

int store_camera_link_gauge(struct store *st, int64_t camera_id, const char *gauge_source,
                            const char *gauge_external_id)
{
        if (!st->ops->camera_link_gauge)
                return -ENOTSUP;
        return st->ops->camera_link_gauge(st, camera_id, gauge_source, gauge_external_id);
}

int store_camera_gauge(struct store *st, int64_t camera_id, int64_t *gauge_id)
{
        if (!st->ops->camera_gauge)
                return -ENOTSUP;
        return st->ops->camera_gauge(st, camera_id, gauge_id);
}

int store_device_add(struct store *st, const struct store_device *d, int64_t *id)
{
        if (!st->ops->device_add)
                return -ENOTSUP;
        return st->ops->device_add(st, d, id);
}

int store_device_update(struct store *st, const struct store_device *d)
{
        if (!st->ops->device_update)
                return -ENOTSUP;
        return st->ops->device_update(st, d);
}

int store_device_get(struct store *st, const char *device, struct store_device *out)
{
        if (!st->ops->device_get)
                return -ENOTSUP;
        return st->ops->device_get(st, device, out);
}

int store_devices_list(struct store *st, struct store_device_list *out)
{
        if (!st->ops->devices_list)
                return -ENOTSUP;
        return st->ops->devices_list(st, out);
}

int store_device_health_set(struct store *st, int64_t device_id, const char *health,
                            int64_t last_seen_at, const char *fw, double batt_v, double rssi_dbm)
{
        if (!st->ops->device_health_set)
                return -ENOTSUP;
        return st->ops->device_health_set(st, device_id, health, last_seen_at, fw, batt_v,
                                          rssi_dbm);
}

int store_calibration_add(struct store *st, int64_t device_id, const struct store_calibration *c)
{
        if (!st->ops->calibration_add)
                return -ENOTSUP;
        return st->ops->calibration_add(st, device_id, c);
}

int store_calibration_at(struct store *st, int64_t device_id, int64_t t,
                         struct store_calibration *out)
{
        if (!st->ops->calibration_at)
                return -ENOTSUP;
        return st->ops->calibration_at(st, device_id, t, out);
}

int store_readings_add(struct store *st, const struct store_reading *v, size_t n,
                       struct store_obs_result *res)
{
        if (!st->ops->readings_add)
                return -ENOTSUP;
        return st->ops->readings_add(st, v, n, res);
}

int store_readings_last(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq)
{
        if (!st->ops->readings_last)
                return -ENOTSUP;
        return st->ops->readings_last(st, device_id, epoch, seq);
}

int store_readings_count(struct store *st, int64_t device_id, int64_t *count)
{
        if (!st->ops->readings_count)
                return -ENOTSUP;
        return st->ops->readings_count(st, device_id, count);
}

int store_gap_open(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                   int64_t to_seq, int64_t *id)
{
        if (!st->ops->gap_open)
                return -ENOTSUP;
        return st->ops->gap_open(st, device_id, epoch, from_seq, to_seq, id);
}

int store_gap_close(struct store *st, int64_t gap_id, int64_t closed_at)
{
        if (!st->ops->gap_close)
                return -ENOTSUP;
        return st->ops->gap_close(st, gap_id, closed_at);
}

int store_gaps_open_list(struct store *st, int64_t device_id, struct store_gap_list *out)
{
        if (!st->ops->gaps_open_list)
                return -ENOTSUP;
        return st->ops->gaps_open_list(st, device_id, out);
}

int store_district_upsert(struct store *st, const struct store_district *d, int64_t *id)
{
        if (!st->ops->district_upsert)
                return -ENOTSUP;
        return st->ops->district_upsert(st, d, id);
}

int store_district_find(struct store *st, const char *code, int64_t *id)
{
        if (!st->ops->district_find)
                return -ENOTSUP;
        return st->ops->district_find(st, code, id);
}

int store_shelter_upsert(struct store *st, const struct store_shelter *s, int64_t *id)
{
        if (!st->ops->shelter_upsert)
                return -ENOTSUP;
        return st->ops->shelter_upsert(st, s, id);
}

int store_shelter_set_status(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                             const char *needs)
{
        if (!st->ops->shelter_set_status)
                return -ENOTSUP;
        return st->ops->shelter_set_status(st, id, is_open, occupancy, needs);
}

int store_shelter_get(struct store *st, int64_t id, struct store_shelter_list *out)
{
        if (!st->ops->shelter_get)
                return -ENOTSUP;
        return st->ops->shelter_get(st, id, out);
}

int store_shelters_list(struct store *st, bool open_only, struct store_shelter_list *out)
{
        if (!st->ops->shelters_list)
                return -ENOTSUP;
        return st->ops->shelters_list(st, open_only, out);
}

int store_hazard_layer_create(struct store *st, const struct store_hazard_layer *l, int64_t *id)
{
        if (!st->ops->hazard_layer_create)
                return -ENOTSUP;
        return st->ops->hazard_layer_create(st, l, id);
}

int store_hazard_features_add(struct store *st, int64_t layer_id,
                              const struct store_hazard_feature *f, size_t n)
{
        if (!st->ops->hazard_features_add)
                return -ENOTSUP;
        return st->ops->hazard_features_add(st, layer_id, f, n);
}

int store_hazard_layer_activate(struct store *st, int64_t layer_id)
{
        if (!st->ops->hazard_layer_activate)
                return -ENOTSUP;
        return st->ops->hazard_layer_activate(st, layer_id);
}

int store_hazard_layer_delete(struct store *st, int64_t layer_id)
{
        if (!st->ops->hazard_layer_delete)
                return -ENOTSUP;
        return st->ops->hazard_layer_delete(st, layer_id);
}

int store_hazard_layers_list(struct store *st, struct store_hazard_layer_list *out)
{
        if (!st->ops->hazard_layers_list)
                return -ENOTSUP;
        return st->ops->hazard_layers_list(st, out);
}

int store_watch_point_put(struct store *st, const struct store_watch_point *w, int64_t *id)
{
        if (!st->ops->watch_point_put)
                return -ENOTSUP;
        return st->ops->watch_point_put(st, w, id);
}

int store_watch_point_delete(struct store *st, int64_t id)
{
        if (!st->ops->watch_point_delete)
                return -ENOTSUP;
        return st->ops->watch_point_delete(st, id);
}

int store_hazard_areas(struct store *st, const double *bbox, size_t offset, size_t limit,
                       struct store_hazard_area_list *out)
{
        if (!st->ops->hazard_areas)
                return -ENOTSUP;
        return st->ops->hazard_areas(st, bbox, offset, limit, out);
}

int store_hazard_area_get(struct store *st, int64_t id, struct store_hazard_area_list *out)
{
        if (!st->ops->hazard_area_get)
                return -ENOTSUP;
        return st->ops->hazard_area_get(st, id, out);
}

int store_watch_points_list(struct store *st, struct store_watch_point_list *out)
{
        if (!st->ops->watch_points_list)
                return -ENOTSUP;
        return st->ops->watch_points_list(st, out);
}

int store_user_add(struct store *st, const struct store_user *u, int64_t *id)
{
        if (!st->ops->user_add)
                return -ENOTSUP;
        return st->ops->user_add(st, u, id);
}

int store_user_set_password(struct store *st, int64_t id, const char *password_hash)
{
        if (!st->ops->user_set_password)
                return -ENOTSUP;
        return st->ops->user_set_password(st, id, password_hash);
}

int store_user_set_disabled(struct store *st, int64_t id, bool disabled)
{
        if (!st->ops->user_set_disabled)
                return -ENOTSUP;
        return st->ops->user_set_disabled(st, id, disabled);
}

int store_user_get(struct store *st, const char *name, struct store_user_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!name)
                return -EINVAL;
        if (!st->ops->user_get)
                return -ENOTSUP;
        return st->ops->user_get(st, name, out);
}

int store_users_list(struct store *st, struct store_user_list *out)
{
        if (!st->ops->users_list)
                return -ENOTSUP;
        return st->ops->users_list(st, out);
}

int store_session_add(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                      const char *csrf, int64_t created_at, int64_t expires_at)
{
        if (!st->ops->session_add)
                return -ENOTSUP;
        return st->ops->session_add(st, token_hash, user_id, csrf, created_at, expires_at);
}

int store_session_get(struct store *st, const unsigned char token_hash[32], int64_t now,
                      struct store_session_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!st->ops->session_get)
                return -ENOTSUP;
        return st->ops->session_get(st, token_hash, now, out);
}

int store_session_touch(struct store *st, const unsigned char token_hash[32], int64_t now)
{
        if (!st->ops->session_touch)
                return -ENOTSUP;
        return st->ops->session_touch(st, token_hash, now);
}

int store_session_delete(struct store *st, const unsigned char token_hash[32])
{
        if (!st->ops->session_delete)
                return -ENOTSUP;
        return st->ops->session_delete(st, token_hash);
}

int store_sessions_purge(struct store *st, int64_t now, size_t *removed)
{
        if (!st->ops->sessions_purge)
                return -ENOTSUP;
        return st->ops->sessions_purge(st, now, removed);
}

int store_audit_add(struct store *st, int64_t user_id, const char *actor, const char *action,
                    const char *object, const char *before_json, const char *after_json)
{
        if (!st->ops->audit_add)
                return -ENOTSUP;
        return st->ops->audit_add(st, user_id, actor, action, object, before_json, after_json);
}

int store_audit_list(struct store *st, int64_t after_id, size_t limit, struct store_audit_list *out)
{
        if (!st->ops->audit_list)
                return -ENOTSUP;
        return st->ops->audit_list(st, after_id, limit, out);
}

int store_audit_query(struct store *st, const struct store_audit_filter *f,
                      struct store_audit_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!st->ops->audit_query)
                return -ENOTSUP;
        return st->ops->audit_query(st, f, out);
}

int store_report_create(struct store *st, const struct store_report *r, int64_t *id)
{
        if (!st->ops->report_create)
                return -ENOTSUP;
        return st->ops->report_create(st, r, id);
}

int store_report_add_photo(struct store *st, int64_t report_id, const char *path,
                           const char *content_type, int64_t bytes)
{
        if (!st->ops->report_add_photo)
                return -ENOTSUP;
        return st->ops->report_add_photo(st, report_id, path, content_type, bytes);
}

int store_report_update(struct store *st, int64_t id, const char *status, bool is_public)
{
        if (!st->ops->report_update)
                return -ENOTSUP;
        return st->ops->report_update(st, id, status, is_public);
}

int store_reports_list(struct store *st, bool public_only, size_t limit,
                       struct store_report_list *out)
{
        if (!st->ops->reports_list)
                return -ENOTSUP;
        return st->ops->reports_list(st, public_only, limit, out);
}

int store_order_issue(struct store *st, const struct store_order *o, int64_t *id)
{
        if (!st->ops->order_issue)
                return -ENOTSUP;
        return st->ops->order_issue(st, o, id);
}

int store_order_lift(struct store *st, int64_t id, int64_t lifted_at)
{
        if (!st->ops->order_lift)
                return -ENOTSUP;
        return st->ops->order_lift(st, id, lifted_at);
}

int store_exercise_clear(struct store *st, struct store_exercise_removed *out)
{
        memset(out, 0, sizeof(*out));
        if (!st->ops->exercise_clear)
                return -ENOTSUP;
        return st->ops->exercise_clear(st, out);
}

void store_exercise_removed_free(struct store_exercise_removed *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_files; i++)
                free(r->files[i]);
        free(r->files);
        r->files = NULL;
        r->n_files = 0;
}

int store_drill_begin(struct store *st, const char *scenario, bool is_public, const char *areas,
                      int64_t *id)
{
        if (!st->ops->drill_begin)
                return -ENOTSUP;
        return st->ops->drill_begin(st, scenario, is_public, areas, id);
}

int store_drill_public(struct store *st, bool *on)
{
        *on = false;
        if (!st->ops->drill_public)
                return -ENOTSUP;
        return st->ops->drill_public(st, on);
}

bool store_exercise_shown(struct store *st, int view, const char *area_code, int64_t district_id)
{
        if (view == STORE_VIEW_ALL)
                return true;
        bool on = false;
        if (view != STORE_VIEW_PUBLIC || !st->ops->drill_area_public ||
            (!area_code && district_id <= 0))
                return false;
        return st->ops->drill_area_public(st, area_code, district_id, &on) == 0 && on;
}

int store_orders_list(struct store *st, bool all_history, struct store_order_list *out)
{
        if (!st->ops->orders_list)
                return -ENOTSUP;
        return st->ops->orders_list(st, all_history, out);
}

int store_notice_publish(struct store *st, const struct store_notice *n, int64_t *id)
{
        if (!st->ops->notice_publish)
                return -ENOTSUP;
        return st->ops->notice_publish(st, n, id);
}

int store_notice_withdraw(struct store *st, int64_t id, int64_t at)
{
        if (!st->ops->notice_withdraw)
                return -ENOTSUP;
        return st->ops->notice_withdraw(st, id, at);
}

int store_notices_in_force(struct store *st, int64_t now, bool public_only,
                           struct store_notice_list *out)
{
        if (!st->ops->notices_in_force)
                return -ENOTSUP;
        return st->ops->notices_in_force(st, now, public_only, out);
}

int store_timeline_put(struct store *st, const unsigned char token_hash[32], int64_t district_id,
                       unsigned levels_mask, const void *nonce, size_t nonce_len,
                       const void *ciphertext, size_t ciphertext_len)
{
        if (!st->ops->timeline_put)
                return -ENOTSUP;
        return st->ops->timeline_put(st, token_hash, district_id, levels_mask, nonce, nonce_len,
                                     ciphertext, ciphertext_len);
}

int store_timeline_get(struct store *st, const unsigned char token_hash[32],
                       struct store_timeline *out)
{
        if (!st->ops->timeline_get)
                return -ENOTSUP;
        return st->ops->timeline_get(st, token_hash, out);
}

int store_timeline_delete(struct store *st, const unsigned char token_hash[32])
{
        if (!st->ops->timeline_delete)
                return -ENOTSUP;
        return st->ops->timeline_delete(st, token_hash);
}

int store_timelines_expire(struct store *st, int64_t before, size_t *removed)
{
        if (!st->ops->timelines_expire)
                return -ENOTSUP;
        return st->ops->timelines_expire(st, before, removed);
}

int store_timeline_stats(struct store *st, struct store_timeline_stat_list *out)
{
        if (!st->ops->timeline_stats)
                return -ENOTSUP;
        return st->ops->timeline_stats(st, out);
}

int store_notify_rule_add(struct store *st, const struct store_notify_rule *r, int64_t *id)
{
        if (!st->ops->notify_rule_add)
                return -ENOTSUP;
        return st->ops->notify_rule_add(st, r, id);
}

int store_notify_rule_delete(struct store *st, int64_t id)
{
        if (!st->ops->notify_rule_delete)
                return -ENOTSUP;
        return st->ops->notify_rule_delete(st, id);
}

int store_notify_rules_list(struct store *st, struct store_notify_rule_list *out)
{
        if (!st->ops->notify_rules_list)
                return -ENOTSUP;
        return st->ops->notify_rules_list(st, out);
}

int store_notify_enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now)
{
        if (!st->ops->notify_enqueue)
                return -ENOTSUP;
        return st->ops->notify_enqueue(st, rule_id, event_id, now);
}

int store_notify_due(struct store *st, int64_t now, size_t limit,
                     struct store_notify_item_list *out)
{
        if (!st->ops->notify_due)
                return -ENOTSUP;
        return st->ops->notify_due(st, now, limit, out);
}

int store_notify_release(struct store *st, int64_t id, int64_t now)
{
        if (!st->ops->notify_release)
                return -ENOTSUP;
        return st->ops->notify_release(st, id, now);
}

int store_notify_mark(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                      const char *error)
{
        if (!st->ops->notify_mark)
                return -ENOTSUP;
        return st->ops->notify_mark(st, id, state, next_try_at, error);
}

/* ---- List destructors: every string of an output row is owned by it. ---- */

#define FREE_CONST(p) free((void *)(p))

/* Frees the array of a list and empties it; the rows' members first. */
#define LIST_FREE(l, row_free)                                                                     \
        do {                                                                                       \
                if (!(l))                                                                          \
                        return;                                                                    \
                for (size_t i_ = 0; i_ < (l)->n; i_++)                                             \
                        row_free(&(l)->v[i_]);                                                     \
                free((l)->v);                                                                      \
                (l)->v = NULL;                                                                     \
                (l)->n = 0;                                                                        \
        } while (0)

static void source_status_row_free(struct store_source_status *r)
{
        FREE_CONST(r->name);
        FREE_CONST(r->state);
        FREE_CONST(r->last_error);
}

void store_source_status_list_free(struct store_source_status_list *l)
{
        LIST_FREE(l, source_status_row_free);
}

static void area_shape_free(struct store_area_shape *a)
{
        FREE_CONST(a->code);
        FREE_CONST(a->name);
        FREE_CONST(a->kind);
        free(a->geojson);
}

void store_area_shape_list_free(struct store_area_shape_list *l)
{
        LIST_FREE(l, area_shape_free);
}

static void alert_row_free(struct store_alert *a)
{
        FREE_CONST(a->office);
        FREE_CONST(a->title);
        FREE_CONST(a->info_type);
        FREE_CONST(a->report_status);
        FREE_CONST(a->event_id);
        FREE_CONST(a->area_code);
        FREE_CONST(a->area_name);
        FREE_CONST(a->kind_code);
        FREE_CONST(a->kind_name);
        FREE_CONST(a->status);
}

void store_alert_list_free(struct store_alert_list *l)
{
        LIST_FREE(l, alert_row_free);
}

static void area_status_row_free(struct store_area_status *a)
{
        FREE_CONST(a->area_code);
        FREE_CONST(a->area_name);
        for (size_t i = 0; i < a->n_kinds; i++) {
                FREE_CONST(a->kinds[i].code);
                FREE_CONST(a->kinds[i].name);
                FREE_CONST(a->kinds[i].status);
        }
        free(a->kinds);
        free(a->orders);
}

void store_area_status_list_free(struct store_area_status_list *l)
{
        LIST_FREE(l, area_status_row_free);
}

static void camera_image_row_free(struct store_camera_image *c)
{
        FREE_CONST(c->path);
        FREE_CONST(c->thumb_path);
        FREE_CONST(c->sha256);
}

void store_camera_image_list_free(struct store_camera_image_list *l)
{
        LIST_FREE(l, camera_image_row_free);
}

void store_device_free(struct store_device *d)
{
        if (!d)
                return;
        FREE_CONST(d->device);
        FREE_CONST(d->secret_hash);
        FREE_CONST(d->health);
        FREE_CONST(d->fw);
        memset(d, 0, sizeof(*d));
}

void store_device_list_free(struct store_device_list *l)
{
        LIST_FREE(l, store_device_free);
}

static void gap_row_free(struct store_gap *g)
{
        (void)g;
}

void store_gap_list_free(struct store_gap_list *l)
{
        LIST_FREE(l, gap_row_free);
}

static void shelter_row_free(struct store_shelter *s)
{
        FREE_CONST(s->common_id);
        FREE_CONST(s->kind);
        FREE_CONST(s->name);
        FREE_CONST(s->address);
        FREE_CONST(s->needs);
}

void store_shelter_list_free(struct store_shelter_list *l)
{
        LIST_FREE(l, shelter_row_free);
}

static void hazard_layer_row_free(struct store_hazard_layer *h)
{
        FREE_CONST(h->name);
        FREE_CONST(h->version);
        FREE_CONST(h->title);
        FREE_CONST(h->attribution);
}

void store_hazard_layer_list_free(struct store_hazard_layer_list *l)
{
        LIST_FREE(l, hazard_layer_row_free);
}

static void hazard_area_free(struct store_hazard_area *a)
{
        free(a->layer);
        free(a->hazard);
        free(a->title);
        free(a->attribution);
        free(a->class_);
        free(a->label_ja);
        free(a->geojson);
}

void store_hazard_area_list_free(struct store_hazard_area_list *l)
{
        LIST_FREE(l, hazard_area_free);
}

static void watch_point_row_free(struct store_watch_point_row *w)
{
        FREE_CONST(w->name);
        FREE_CONST(w->note);
        FREE_CONST(w->checklist);
        free(w->geojson);
        free(w->station_ids);
}

void store_watch_point_list_free(struct store_watch_point_list *l)
{
        LIST_FREE(l, watch_point_row_free);
}

static void user_row_free(struct store_user *u)
{
        FREE_CONST(u->name);
        FREE_CONST(u->display_name);
        FREE_CONST(u->role);
        FREE_CONST(u->password_hash);
        free(u->shelter_ids);
}

void store_user_list_free(struct store_user_list *l)
{
        LIST_FREE(l, user_row_free);
}

static void audit_row_free(struct store_audit *a)
{
        FREE_CONST(a->actor);
        FREE_CONST(a->action);
        FREE_CONST(a->object);
        FREE_CONST(a->before_json);
        FREE_CONST(a->after_json);
}

static void session_row_free(struct store_session *x)
{
        FREE_CONST(x->user_name);
        FREE_CONST(x->csrf);
}

void store_session_list_free(struct store_session_list *l)
{
        LIST_FREE(l, session_row_free);
}

void store_audit_list_free(struct store_audit_list *l)
{
        LIST_FREE(l, audit_row_free);
}

static void report_row_free(struct store_report *r)
{
        FREE_CONST(r->category);
        FREE_CONST(r->text);
        FREE_CONST(r->status);
        for (size_t i = 0; i < r->n_photos; i++)
                FREE_CONST(r->photo_paths[i]);
        free(r->photo_paths);
}

void store_report_list_free(struct store_report_list *l)
{
        LIST_FREE(l, report_row_free);
}

static void order_row_free(struct store_order *o)
{
        FREE_CONST(o->hazard);
        FREE_CONST(o->area_code);
        FREE_CONST(o->reason);
}

void store_order_list_free(struct store_order_list *l)
{
        LIST_FREE(l, order_row_free);
}

static void notice_row_free(struct store_notice *n)
{
        FREE_CONST(n->category);
        FREE_CONST(n->area_code);
        FREE_CONST(n->title_ja);
        FREE_CONST(n->text_ja);
}

void store_notice_list_free(struct store_notice_list *l)
{
        LIST_FREE(l, notice_row_free);
}

void store_timeline_free(struct store_timeline *t)
{
        if (!t)
                return;
        free(t->nonce);
        free(t->ciphertext);
        memset(t, 0, sizeof(*t));
}

static void timeline_stat_row_free(struct store_timeline_stat *t)
{
        (void)t;
}

void store_timeline_stat_list_free(struct store_timeline_stat_list *l)
{
        LIST_FREE(l, timeline_stat_row_free);
}

static void notify_rule_row_free(struct store_notify_rule *r)
{
        FREE_CONST(r->channel);
        FREE_CONST(r->target);
        FREE_CONST(r->area_code);
        FREE_CONST(r->event_types);
}

void store_notify_rule_list_free(struct store_notify_rule_list *l)
{
        LIST_FREE(l, notify_rule_row_free);
}

static void notify_item_row_free(struct store_notify_item *n)
{
        FREE_CONST(n->state);
}

void store_notify_item_list_free(struct store_notify_item_list *l)
{
        LIST_FREE(l, notify_item_row_free);
}

/* ---- Hazards ----------------------------------------------------------- */

static const char *const hazard_names[HAZARD_COUNT] = {
    "flood", "landslide", "storm_surge", "earthquake", "tsunami", "fire", "inland_flood", "volcano",
};

const char *store_hazard_name(enum store_hazard h)
{
        return (int)h >= 0 && h < HAZARD_COUNT ? hazard_names[h] : NULL;
}

int store_hazard_parse(const char *s, enum store_hazard *out)
{
        for (int i = 0; s && i < HAZARD_COUNT; i++) {
                if (strcmp(s, hazard_names[i]) == 0) {
                        *out = (enum store_hazard)i;
                        return 0;
                }
        }
        return -EINVAL;
}

int store_jma_telegram_put(struct store *st, const struct store_jma_telegram *t)
{
        if (!st->ops->jma_telegram_put)
                return -ENOTSUP;
        return st->ops->jma_telegram_put(st, t);
}

int store_jma_telegram_get(struct store *st, const char *url, struct store_jma_telegram_list *out)
{
        if (!st->ops->jma_telegram_get)
                return -ENOTSUP;
        return st->ops->jma_telegram_get(st, url, out);
}

int store_jma_telegrams_done(struct store *st, int64_t since, struct store_jma_telegram_list *out)
{
        if (!st->ops->jma_telegrams_done)
                return -ENOTSUP;
        return st->ops->jma_telegrams_done(st, since, out);
}

int store_jma_telegrams_count(struct store *st, const char *state, int64_t *n)
{
        if (!st->ops->jma_telegrams_count)
                return -ENOTSUP;
        return st->ops->jma_telegrams_count(st, state, n);
}

static void jma_telegram_row_free(struct store_jma_telegram *t)
{
        FREE_CONST(t->url);
        FREE_CONST(t->feed);
        FREE_CONST(t->title);
        FREE_CONST(t->office);
        FREE_CONST(t->state);
        FREE_CONST(t->last_error);
        FREE_CONST(t->report_status);
        FREE_CONST(t->info_type);
        FREE_CONST(t->event_id);
}

void store_jma_telegram_list_free(struct store_jma_telegram_list *l)
{
        LIST_FREE(l, jma_telegram_row_free);
}
