/* The SpatiaLite backend: source health, raw documents, JMA alerts and
 * what is in force per area, areas, camera images. */
#include "sl.h"

#include "json.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Source health ----------------------------------------------------- */

static int emit_private(void *ctx, const char *type, const char *subject, bool exercise,
                        const char *data)
{
        return sl_event(ctx, type, subject, LEVEL_NONE, false, exercise, data);
}

int sl_source_health_set(struct store *st, const char *name, const char *state, const char *error,
                         bool exercise)
{
        struct sl *b = SL(st);
        if (!name || !store_source_state_valid(state))
                return -EINVAL;
        int64_t now = sl_now();
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        char old[16] = "";
        sqlite3_stmt *s =
            sl_query(b, "SELECT state FROM source_status WHERE name = ?", &rc, "t", name);
        if (!s)
                goto out;
        if (sqlite3_step(s) == SQLITE_ROW)
                snprintf(old, sizeof(old), "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        bool ok = strcmp(state, "ok") == 0;
        rc = sl_run(b,
                    "INSERT INTO source_status (name, state, last_ok_at, last_error_at, "
                    "last_error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) "
                    "DO UPDATE SET state = ?2, last_ok_at = coalesce(?3, last_ok_at), "
                    "last_error_at = coalesce(?4, last_error_at), "
                    "last_error = coalesce(?5, last_error), updated_at = ?6",
                    "ttIIti", name, state, ok ? now : (int64_t)0, ok ? (int64_t)0 : now,
                    ok ? NULL : error, now);
        if (rc == 0 && strcmp(old, state) != 0)
                rc = store_source_health_event(name, old, state, error, exercise, emit_private, b);
out:
        return sl_tx_end(b, rc);
}

static int source_status_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_source_status *r = elem;
        r->name = sl_col_strdup(s, 0);
        r->state = sl_col_strdup(s, 1);
        r->last_ok_at = sqlite3_column_int64(s, 2);
        r->last_error_at = sqlite3_column_int64(s, 3);
        r->last_error = sl_col_strdup(s, 4);
        r->updated_at = sqlite3_column_int64(s, 5);
        r->exercise = sqlite3_column_int(s, 6) != 0;
        return r->name && r->state ? 0 : -ENOMEM;
}

int sl_source_status_list(struct store *st, struct store_source_status_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), source_status_fill, NULL,
                         "SELECT name, state, last_ok_at, last_error_at, last_error, "
                         "updated_at, CASE WHEN " STORE_DRILL_SOURCE_SQL " THEN 1 ELSE 0 END "
                         "FROM source_status ORDER BY name",
                         "");
        if (rc < 0)
                store_source_status_list_free(out);
        return rc;
}

/* ---- Raw documents ----------------------------------------------------- */

int sl_raw_document_put(struct store *st, const char *source, const char *url,
                        const char *content_type, const void *body, size_t len, int64_t fetched_at,
                        int64_t *id, bool *is_new)
{
        struct sl *b = SL(st);
        if (!source || !url || (!body && len) || fetched_at <= 0)
                return -EINVAL;
        char hex[65];
        store_sha256_hex(body ? body : "", len, hex);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO raw_documents (source, url, sha256, content_type, body, bytes, "
                    "fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url, sha256) DO NOTHING",
                    "ttttBii", source, url, hex, content_type, body ? body : "", len, (int64_t)len,
                    fetched_at);
        bool added = rc == 0 && sqlite3_changes(b->db) > 0;
        int64_t rid = 0;
        if (rc == 0)
                rc = sl_query_int(b, "SELECT id FROM raw_documents WHERE url = ? AND sha256 = ?",
                                  &rid, "tt", url, hex);
        rc = sl_tx_end(b, rc);
        if (rc == 0) {
                if (id)
                        *id = rid;
                if (is_new)
                        *is_new = added;
        }
        return rc;
}

int sl_raw_document_find(struct store *st, const char *url, int64_t *id)
{
        if (!url)
                return -EINVAL;
        return sl_query_int(
            SL(st), "SELECT id FROM raw_documents WHERE url = ? ORDER BY id LIMIT 1", id, "t", url);
}

int sl_raw_document_body(struct store *st, int64_t id, void **body, size_t *len)
{
        struct sl *b = SL(st);
        int rc = 0;
        *body = NULL;
        *len = 0;
        sqlite3_stmt *s = sl_query(b, "SELECT body FROM raw_documents WHERE id = ?", &rc, "i", id);
        if (!s)
                return rc;
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                int n = sqlite3_column_bytes(s, 0);
                *body = malloc((size_t)n + 1);
                if (*body) {
                        if (n)
                                memcpy(*body, sqlite3_column_blob(s, 0), (size_t)n);
                        ((char *)*body)[n] = '\0';
                        *len = (size_t)n;
                } else {
                        rc = -ENOMEM;
                }
        } else {
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

/* ---- Alerts ------------------------------------------------------------ */

int sl_alert_add(struct store *st, const struct store_alert *a, int64_t *id)
{
        struct sl *b = SL(st);
        if (!a || !a->report_status || (a->level && !level_valid(a->level)))
                return -EINVAL;
        bool exercise = strcmp(a->report_status, "訓練") == 0;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO alerts (document_id, office, title, info_type, report_status, "
                    "exercise, event_id, serial, report_at, area_code, area_name, kind_code, "
                    "kind_name, status, level, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    "nullif(?, -1), ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (document_id, area_code, kind_code) DO NOTHING",
                    "IttttbtiitttttLII", a->document_id, a->office, a->title, a->info_type,
                    a->report_status, (int)exercise, a->event_id, (int64_t)a->serial, a->report_at,
                    a->area_code, a->area_name, a->kind_code, a->kind_name, a->status, a->level,
                    a->valid_from, a->valid_to);
        int64_t aid = 0;
        if (rc == 0)
                rc =
                    sl_query_int(b,
                                 "SELECT id FROM alerts WHERE document_id IS ?1 AND area_code = ?2 "
                                 "AND kind_code = ?3 ORDER BY id DESC LIMIT 1",
                                 &aid, "Itt", a->document_id, a->area_code, a->kind_code);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = aid;
        return rc;
}

static int alert_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_alert *a = elem;
        a->id = sqlite3_column_int64(s, 0);
        a->document_id = sqlite3_column_int64(s, 1);
        a->office = sl_col_strdup(s, 2);
        a->title = sl_col_strdup(s, 3);
        a->info_type = sl_col_strdup(s, 4);
        a->report_status = sl_col_strdup(s, 5);
        a->event_id = sl_col_strdup(s, 6);
        a->serial = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 7);
        a->report_at = sqlite3_column_int64(s, 8);
        a->area_code = sl_col_strdup(s, 9);
        a->area_name = sl_col_strdup(s, 10);
        a->kind_code = sl_col_strdup(s, 11);
        a->kind_name = sl_col_strdup(s, 12);
        a->status = sl_col_strdup(s, 13);
        a->level = sqlite3_column_int(s, 14);
        a->valid_from = sqlite3_column_int64(s, 15);
        a->valid_to = sqlite3_column_int64(s, 16);
        return a->office && a->area_code && a->kind_code && a->status ? 0 : -ENOMEM;
}

int sl_alerts_list(struct store *st, const char *area_code, int64_t from, int64_t to, size_t limit,
                   struct store_alert_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(
            b, (void **)&out->v, &out->n, sizeof(*out->v), alert_fill, NULL,
            "SELECT id, document_id, office, title, info_type, report_status, event_id, serial, "
            "report_at, area_code, area_name, kind_code, kind_name, status, level, valid_from, "
            "valid_to FROM alerts WHERE (?1 IS NULL OR area_code = ?1) AND report_at >= ?2 AND "
            "report_at < ?3 ORDER BY report_at DESC, id DESC LIMIT ?4",
            "tiii", area_code, from, to, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                store_alert_list_free(out);
        return rc;
}

/* ---- What is in force per area ----------------------------------------- */

static int kind_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_area_kind *k = elem;
        k->code = sl_col_strdup(s, 0);
        k->name = sl_col_strdup(s, 1);
        k->status = sl_col_strdup(s, 2);
        k->level = sqlite3_column_int(s, 3);
        k->issued_at = sqlite3_column_int64(s, 4);
        k->alert_id = sqlite3_column_int64(s, 5);
        return k->code && k->name && k->status ? 0 : -ENOMEM;
}

static int kinds_get(struct sl *b, const char *area_code, bool exercise,
                     struct store_area_kind **out, size_t *n)
{
        int rc = 0;
        *out = NULL;
        *n = 0;
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT kind_code, kind_name, status, level, issued_at, "
                                   "alert_id FROM area_kinds_in_force WHERE area_code = ? AND "
                                   "exercise = ? ORDER BY kind_code",
                                   &rc, "tb", area_code, (int)exercise);
        if (!s)
                return rc;
        rc = sl_collect(b, s, (void **)out, n, sizeof(**out), kind_fill, NULL);
        if (rc < 0) {
                store_area_kinds_free(*out, *n);
                *out = NULL;
                *n = 0;
        }
        return rc;
}

int sl_area_set_in_force(struct store *st, const char *area_code, const char *area_name,
                         bool exercise, const struct store_area_kind *kinds, size_t n)
{
        struct sl *b = SL(st);
        if (!area_code || !area_name)
                return -EINVAL;
        int new_level = LEVEL_NONE;
        struct store_area_kind *sorted = NULL, *old = NULL;
        size_t n_old = 0;
        struct buf data = BUF_INIT(1 << 20);
        int64_t now = sl_now(), old_level = 0;
        int rc = store_area_kinds_sorted(kinds, n, &sorted, &new_level);
        if (rc < 0)
                return rc;
        rc = sl_tx_begin(b);
        if (rc < 0)
                goto out_free;
        rc = kinds_get(b, area_code, exercise, &old, &n_old);
        if (rc < 0)
                goto out;
        int r = sl_query_int(b,
                             "SELECT coalesce(level, 0) FROM area_status WHERE area_code = ? AND "
                             "exercise = ?",
                             &old_level, "tb", area_code, (int)exercise);
        if (r < 0 && r != -ENOENT) {
                rc = r;
                goto out;
        }
        bool changed = !store_area_kinds_same(old, n_old, sorted, n);
        char subject[32];
        snprintf(subject, sizeof(subject), "areas/%.7s", area_code);
        if (changed) {
                rc = sl_run(b,
                            "DELETE FROM area_kinds_in_force WHERE area_code = ? AND exercise = ?",
                            "tb", area_code, (int)exercise);
                for (size_t i = 0; i < n && rc == 0; i++)
                        rc = sl_run(b,
                                    "INSERT INTO area_kinds_in_force (area_code, exercise, "
                                    "kind_code, kind_name, status, level, issued_at, alert_id) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                    "tbtttLiI", area_code, (int)exercise, sorted[i].code,
                                    sorted[i].name, sorted[i].status, sorted[i].level,
                                    sorted[i].issued_at, sorted[i].alert_id);
                if (rc < 0)
                        goto out;
                rc = store_alert_changed_data(&data, area_code, area_name, exercise, sorted, n);
                if (rc == 0)
                        rc = sl_event(b, "alert.changed", subject, new_level, true, exercise,
                                      data.data);
                if (rc < 0)
                        goto out;
        }
        rc = sl_run(b,
                    "INSERT INTO area_status (area_code, exercise, area_name, level, updated_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (area_code, exercise) DO UPDATE SET "
                    "area_name = ?3, level = ?4, updated_at = CASE WHEN ?6 THEN ?5 ELSE "
                    "updated_at END",
                    "tbtLib", area_code, (int)exercise, area_name, new_level, now, (int)changed);
        if (rc == 0 && old_level != new_level) {
                char ev[160];
                store_area_level_data(ev, area_code, (int)old_level, new_level, exercise);
                rc = sl_event(b, "area.level", subject, new_level, true, exercise, ev);
        }
out:
        rc = sl_tx_end(b, rc);
out_free:
        store_area_kinds_free(old, n_old);
        free(sorted);
        buf_free(&data);
        return rc;
}

static const char *order_name(int level)
{
        const char *n = level_order_name_ja(level);
        return n ? n : "";
}

struct area_ctx {
        struct sl *b;
};

static int area_status_fill(sqlite3_stmt *s, void *elem, void *ctx_)
{
        struct area_ctx *ctx = ctx_;
        struct store_area_status *a = elem;
        a->area_code = sl_col_strdup(s, 0);
        a->exercise = sqlite3_column_int(s, 1) != 0;
        a->area_name = sl_col_strdup(s, 2);
        a->level = sqlite3_column_int(s, 3);
        a->updated_at = sqlite3_column_int64(s, 4);
        if (!a->area_code || !a->area_name)
                return -ENOMEM;
        /* The outer statement stays open while these run: they are other
         * prepared statements on the same connection. */
        int rc = kinds_get(ctx->b, a->area_code, a->exercise, &a->kinds, &a->n_kinds);
        if (rc < 0)
                return rc;
        sqlite3_stmt *o = sl_query(
            ctx->b,
            "SELECT id, level, issued_at, district_id FROM orders WHERE lifted_at IS NULL AND "
            "exercise = ?1 AND (area_code = ?2 OR district_id IN (SELECT id FROM districts WHERE "
            "area_code = ?2)) ORDER BY level DESC, issued_at DESC",
            &rc, "bt", (int)a->exercise, a->area_code);
        if (!o)
                return rc;
        size_t cap = 0;
        while ((rc = sqlite3_step(o)) == SQLITE_ROW) {
                if (a->n_orders == cap) {
                        size_t ncap = cap ? 2 * cap : 4;
                        struct store_area_order *nv = realloc(a->orders, ncap * sizeof(*nv));
                        if (!nv) {
                                sqlite3_reset(o);
                                return -ENOMEM;
                        }
                        a->orders = nv;
                        cap = ncap;
                }
                struct store_area_order *r = &a->orders[a->n_orders++];
                r->id = sqlite3_column_int64(o, 0);
                r->level = sqlite3_column_int(o, 1);
                r->issued_at = sqlite3_column_int64(o, 2);
                r->district_id = sqlite3_column_int64(o, 3); /* NULL reads as 0 */
                r->name_ja = order_name(r->level);
                if (r->issued_at > a->updated_at)
                        a->updated_at = r->issued_at;
        }
        if (a->n_orders)
                a->order = a->orders[0];
        rc = rc == SQLITE_DONE ? 0 : sl_err(rc);
        sqlite3_reset(o);
        return rc;
}

int sl_area_status_list(struct store *st, int view, struct store_area_status_list *out)
{
        struct sl *b = SL(st);
        view = sl_view(b, view);
        memset(out, 0, sizeof(*out));
        int rc = 0;
        sqlite3_stmt *s = sl_query(
            b,
            "SELECT area_code, exercise, area_name, level, updated_at FROM area_status WHERE "
            "exercise = 0 OR ?1 = 1 OR (?1 = 2 AND area_code IN (SELECT area_code FROM "
            "public_drill_areas)) UNION SELECT o.area_code, o.exercise, coalesce(a.name, "
            "o.area_code), NULL, o.issued_at FROM orders o LEFT JOIN areas a ON a.code = "
            "o.area_code WHERE o.lifted_at IS NULL AND o.area_code IS NOT NULL AND (o.exercise = 0 "
            "OR ?1 = 1 OR (?1 = 2 AND o.area_code IN (SELECT area_code FROM public_drill_areas))) "
            "AND NOT EXISTS (SELECT 1 FROM area_status x WHERE x.area_code = o.area_code AND "
            "x.exercise = o.exercise) ORDER BY 1, 2",
            &rc, "i", (int64_t)view);
        if (!s)
                return rc;
        struct area_ctx ctx = {b};
        rc = sl_collect(b, s, (void **)&out->v, &out->n, sizeof(*out->v), area_status_fill, &ctx);
        if (rc < 0)
                store_area_status_list_free(out);
        return rc;
}

/* ---- Areas ------------------------------------------------------------- */

int sl_area_upsert(struct store *st, const struct store_area *a)
{
        struct sl *b = SL(st);
        if (!a || !a->code || !a->name)
                return -EINVAL;
        void *g = NULL;
        size_t glen = 0;
        int rc = 0;
        if (a->wkb || a->wkt) {
                rc = sl_geom_blob(b, a->wkb, a->wkb_len, a->wkt, true, &g, &glen);
                if (rc < 0)
                        return rc;
        }
        rc = sl_tx_begin(b);
        if (rc < 0)
                goto out;
        rc = sl_run(b,
                    "INSERT INTO areas (code, name, kind, parent_code, lg_code, town_code, "
                    "updated_at, geom) VALUES (?1, ?2, coalesce(?3, 'city'), ?4, ?5, ?6, "
                    "?7, ?8) ON CONFLICT (code) DO UPDATE SET name = ?2, kind = "
                    "coalesce(?3, kind), parent_code = ?4, lg_code = ?5, town_code = ?6, "
                    "updated_at = ?7, geom = coalesce(?8, geom)",
                    "ttttttiB", a->code, a->name, a->kind, a->parent_code, a->lg_code, a->town_code,
                    sl_now(), g, glen);
        rc = sl_tx_end(b, rc);
out:
        free(g);
        return rc;
}

int sl_area_name(struct store *st, const char *code, char **name)
{
        struct sl *b = SL(st);
        int rc = 0;
        *name = NULL;
        sqlite3_stmt *s = sl_query(b, "SELECT name FROM areas WHERE code = ?", &rc, "t", code);
        if (!s)
                return rc;
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                *name = sl_col_strdup(s, 0);
                rc = *name ? 0 : -ENOMEM;
        } else {
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

static int area_shape_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        (void)ctx;
        struct store_area_shape *a = elem;
        a->code = sl_col_strdup(s, 0);
        a->name = sl_col_strdup(s, 1);
        a->kind = sl_col_strdup(s, 2);
        a->geojson = sl_col_strdup(s, 3);
        return a->code && a->name && a->kind && a->geojson ? 0 : -ENOMEM;
}

int sl_area_shapes(struct store *st, double tolerance, struct store_area_shape_list *out)
{
        struct sl *b = SL(st);
        /* SimplifyPreserveTopology keeps neighbouring areas from crossing;
         * a tolerance of 0 returns the stored geometry. */
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), area_shape_fill, NULL,
                         "SELECT code, name, kind, AsGeoJSON(CASE WHEN ? > 0 THEN "
                         "SimplifyPreserveTopology(geom, ?) ELSE geom END, 6) FROM areas "
                         "WHERE geom IS NOT NULL AND kind IN ('city', 'city_split') "
                         "AND AsGeoJSON(geom) IS NOT NULL ORDER BY code",
                         "dd", tolerance, tolerance);
        if (rc < 0)
                store_area_shape_list_free(out);
        return rc;
}

/* ---- Camera images ----------------------------------------------------- */

/* Whether a station is a drill's (its camera events are then exercise). */
static int station_exercise(struct sl *b, int64_t station_id, int64_t *exercise)
{
        int rc = sl_query_int(b, "SELECT exercise FROM stations WHERE id = ?", exercise, "i",
                              station_id);
        return rc == -ENOENT ? -EINVAL : rc;
}

int sl_camera_image_add(struct store *st, const struct store_camera_image *img, int64_t *id)
{
        struct sl *b = SL(st);
        if (!img)
                return -EINVAL;
        int64_t is_camera = 0, iid = 0, exercise = 0;
        int rc = sl_query_int(b, "SELECT kind = 'camera' FROM stations WHERE id = ?", &is_camera,
                              "i", img->station_id);
        if (rc == 0)
                rc = station_exercise(b, img->station_id, &exercise);
        if (rc == -ENOENT || (rc == 0 && !is_camera))
                return -EINVAL;
        if (rc < 0)
                return rc;
        rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO camera_images (station_id, captured_at, fetched_at, path, "
                    "thumb_path, bytes, width, height, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (station_id, captured_at) DO NOTHING",
                    "iiittiiit", img->station_id, img->captured_at, img->fetched_at, img->path,
                    img->thumb_path, img->bytes, (int64_t)img->width, (int64_t)img->height,
                    img->sha256);
        bool added = rc == 0 && sqlite3_changes(b->db) > 0;
        if (rc == 0)
                rc = sl_query_int(b,
                                  "SELECT id FROM camera_images WHERE station_id = ? AND "
                                  "captured_at = ?",
                                  &iid, "ii", img->station_id, img->captured_at);
        if (rc == 0 && added) {
                char subject[40], data[200];
                store_camera_image_event(img->station_id, iid, img->captured_at, subject, data);
                rc = sl_event(b, "camera.image", subject, LEVEL_NONE, true, exercise != 0, data);
        }
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = iid;
        return rc;
}

static int camera_image_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_camera_image *c = elem;
        c->id = sqlite3_column_int64(s, 0);
        c->station_id = sqlite3_column_int64(s, 1);
        c->captured_at = sqlite3_column_int64(s, 2);
        c->fetched_at = sqlite3_column_int64(s, 3);
        c->path = sl_col_strdup(s, 4);
        c->thumb_path = sl_col_strdup(s, 5);
        c->bytes = sqlite3_column_int64(s, 6);
        c->width = sqlite3_column_int(s, 7);
        c->height = sqlite3_column_int(s, 8);
        c->sha256 = sl_col_strdup(s, 9);
        return c->path && c->sha256 ? 0 : -ENOMEM;
}

#define CAMERA_COLUMNS                                                                             \
        "id, station_id, captured_at, fetched_at, path, thumb_path, bytes, width, height, sha256"

int sl_camera_images_list(struct store *st, int64_t station_id, int64_t from, int64_t to,
                          size_t limit, struct store_camera_image_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), camera_image_fill, NULL,
                         "SELECT " CAMERA_COLUMNS " FROM camera_images WHERE "
                         "station_id = ? AND captured_at >= ? AND captured_at < ? "
                         "ORDER BY captured_at DESC LIMIT ?",
                         "iiii", station_id, from, to, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                store_camera_image_list_free(out);
        return rc;
}

int sl_camera_image_get(struct store *st, int64_t station_id, int64_t image_id,
                        struct store_camera_image_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), camera_image_fill, NULL,
                         "SELECT " CAMERA_COLUMNS " FROM camera_images WHERE id = ? AND "
                         "station_id = ?",
                         "ii", image_id, station_id);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_camera_image_list_free(out);
        return rc;
}

int sl_camera_images_prune(struct store *st, int64_t station_id, int64_t before,
                           struct store_camera_image_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT " CAMERA_COLUMNS " FROM camera_images WHERE "
                                   "station_id = ? AND captured_at < ? ORDER BY captured_at",
                                   &rc, "ii", station_id, before);
        if (s)
                rc = sl_collect(b, s, (void **)&out->v, &out->n, sizeof(*out->v), camera_image_fill,
                                NULL);
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM camera_images WHERE station_id = ? AND captured_at < ?",
                            "ii", station_id, before);
        rc = sl_tx_end(b, rc);
        if (rc < 0)
                store_camera_image_list_free(out);
        return rc;
}

int sl_camera_set_state(struct store *st, int64_t station_id, const char *state)
{
        struct sl *b = SL(st);
        if (!store_camera_state_static(state))
                return -EINVAL;
        const char *old = NULL;
        int rc = sl_camera_get_state(st, station_id, &old);
        if (rc < 0)
                return rc;
        if (strcmp(old, state) == 0)
                return 0;
        int64_t exercise = 0;
        rc = station_exercise(b, station_id, &exercise);
        if (rc < 0)
                return rc;
        rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO camera_status (station_id, state, since) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (station_id) DO UPDATE SET state = ?2, since = ?3",
                    "iti", station_id, state, sl_now());
        if (rc == 0) {
                char subject[40], data[160];
                store_camera_state_event(station_id, old, state, subject, data);
                rc = sl_event(b, "camera.state", subject, LEVEL_NONE, true, exercise != 0, data);
        }
        return sl_tx_end(b, rc);
}

int sl_camera_get_state(struct store *st, int64_t station_id, const char **state)
{
        static const char *const states[] = {"ok", "stale", "frozen", "unknown"};
        struct sl *b = SL(st);
        int64_t is_camera = 0;
        int rc = sl_query_int(b, "SELECT kind = 'camera' FROM stations WHERE id = ?", &is_camera,
                              "i", station_id);
        if (rc == 0 && !is_camera)
                rc = -EINVAL;
        if (rc < 0)
                return rc;
        int64_t idx = 3;
        rc = sl_query_int(b,
                          "SELECT CASE state WHEN 'ok' THEN 0 WHEN 'stale' THEN 1 WHEN 'frozen' "
                          "THEN 2 ELSE 3 END FROM camera_status WHERE station_id = ?",
                          &idx, "i", station_id);
        if (rc == -ENOENT)
                rc = 0;
        *state = states[idx >= 0 && idx < 4 ? idx : 3];
        return rc;
}

int sl_camera_link_gauge(struct store *st, int64_t camera_id, const char *gauge_source,
                         const char *gauge_external_id)
{
        struct sl *b = SL(st);
        int64_t is_camera = 0;
        int rc = sl_query_int(b, "SELECT kind = 'camera' FROM stations WHERE id = ?", &is_camera,
                              "i", camera_id);
        if (rc == -ENOENT || (rc == 0 && !is_camera))
                return -EINVAL;
        if (rc < 0)
                return rc;
        if (!gauge_source)
                return sl_run(b, "DELETE FROM camera_gauges WHERE camera_id = ?", "i", camera_id);
        if (!gauge_external_id)
                return -EINVAL;
        return sl_run(b,
                      "INSERT INTO camera_gauges (camera_id, gauge_source, gauge_external_id) "
                      "VALUES (?1, ?2, ?3) ON CONFLICT (camera_id) DO UPDATE SET "
                      "gauge_source = ?2, gauge_external_id = ?3",
                      "itt", camera_id, gauge_source, gauge_external_id);
}

int sl_camera_gauge(struct store *st, int64_t camera_id, int64_t *gauge_id)
{
        struct sl *b = SL(st);
        return sl_query_int(b,
                            "SELECT s.id FROM camera_gauges g JOIN stations s ON "
                            "s.source = g.gauge_source AND s.external_id = g.gauge_external_id "
                            "WHERE g.camera_id = ?",
                            gauge_id, "i", camera_id);
}
