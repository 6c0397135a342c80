/* The SpatiaLite backend: districts, shelters, hazard layers, watch
 * points. */
#include "sl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A geometry that may be absent: *blob NULL then. */
static int optional_geom(struct sl *b, const struct store_geom *g, bool multi, void **blob,
                         size_t *len)
{
        *blob = NULL;
        *len = 0;
        if (!g->wkb && !g->wkt)
                return 0;
        return sl_geom_blob(b, g->wkb, g->wkb_len, g->wkt, multi, blob, len);
}

/* ---- Districts --------------------------------------------------------- */

int sl_district_upsert(struct store *st, const struct store_district *d, int64_t *id)
{
        struct sl *b = SL(st);
        if (!d || !d->code || !d->name)
                return -EINVAL;
        void *g = NULL;
        size_t glen = 0;
        int64_t did = 0;
        int rc = optional_geom(b, &d->geom, true, &g, &glen);
        if (rc < 0)
                return rc;
        rc = sl_tx_begin(b);
        if (rc < 0)
                goto out;
        rc = sl_run(b,
                    "INSERT INTO districts (code, name, kind, area_code, updated_at, geom) VALUES "
                    "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO UPDATE SET name = ?2, kind = "
                    "?3, area_code = ?4, updated_at = ?5, geom = coalesce(?6, geom)",
                    "ttttiB", d->code, d->name, d->kind, d->area_code, sl_now(), g, glen);
        if (rc == 0)
                rc = sl_query_int(b, "SELECT id FROM districts WHERE code = ?", &did, "t", d->code);
        rc = sl_tx_end(b, rc);
out:
        free(g);
        if (rc == 0 && id)
                *id = did;
        return rc;
}

int sl_district_find(struct store *st, const char *code, int64_t *id)
{
        return sl_query_int(SL(st), "SELECT id FROM districts WHERE code = ?", id, "t", code);
}

/* ---- Shelters ---------------------------------------------------------- */

int sl_shelter_upsert(struct store *st, const struct store_shelter *s, int64_t *id)
{
        struct sl *b = SL(st);
        if (!s || !s->common_id || !s->name || !isfinite(s->lon) || !isfinite(s->lat))
                return -EINVAL;
        int64_t sid = 0;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        /* The status columns (is_open, occupancy, needs) are not touched:
         * a re-import keeps what staff entered. */
        rc = sl_run(b,
                    "INSERT INTO shelters (common_id, kind, name, address, lon, lat, geom, flood, "
                    "landslide, storm_surge, earthquake, tsunami, fire, inland_flood, volcano, "
                    "capacity, linked_id, district_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                    "?6, MakePoint(?5, ?6, 6668), ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                    "nullif(?15, -1), ?16, ?17, ?18) ON CONFLICT (common_id) DO UPDATE SET "
                    "kind = ?2, name = ?3, address = ?4, lon = ?5, lat = ?6, geom = MakePoint(?5, "
                    "?6, 6668), flood = ?7, landslide = ?8, storm_surge = ?9, earthquake = ?10, "
                    "tsunami = ?11, fire = ?12, inland_flood = ?13, volcano = ?14, capacity = "
                    "nullif(?15, -1), linked_id = ?16, district_id = ?17, updated_at = ?18",
                    "ttttdd"
                    "bbbbbbbb"
                    "iIIi",
                    s->common_id, s->kind, s->name, s->address, s->lon, s->lat, (int)s->hazards[0],
                    (int)s->hazards[1], (int)s->hazards[2], (int)s->hazards[3], (int)s->hazards[4],
                    (int)s->hazards[5], (int)s->hazards[6], (int)s->hazards[7], s->capacity,
                    s->linked_id, s->district_id, sl_now());
        if (rc == 0)
                rc = sl_query_int(b, "SELECT id FROM shelters WHERE common_id = ?", &sid, "t",
                                  s->common_id);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = sid;
        return rc;
}

int sl_shelter_set_status(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                          const char *needs)
{
        struct sl *b = SL(st);
        if (occupancy < -1)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "UPDATE shelters SET is_open = ?, occupancy = nullif(?, -1), needs = ?, "
                    "status_updated_at = ? WHERE id = ?",
                    "bitii", (int)is_open, occupancy, needs, sl_now(), id);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        if (rc == 0) {
                char subject[40], data[160];
                store_shelter_event(id, is_open, occupancy, subject, data);
                rc = sl_event(b, "shelter.updated", subject, LEVEL_NONE, true, false, data);
        }
        return sl_tx_end(b, rc);
}

static int shelter_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_shelter *h = elem;
        h->id = sqlite3_column_int64(s, 0);
        h->common_id = sl_col_strdup(s, 1);
        h->kind = sl_col_strdup(s, 2);
        h->name = sl_col_strdup(s, 3);
        h->address = sl_col_strdup(s, 4);
        h->lon = sqlite3_column_double(s, 5);
        h->lat = sqlite3_column_double(s, 6);
        for (int i = 0; i < HAZARD_COUNT; i++)
                h->hazards[i] = sqlite3_column_int(s, 7 + i) != 0;
        h->capacity = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 15);
        h->linked_id = sqlite3_column_int64(s, 16);
        h->district_id = sqlite3_column_int64(s, 17);
        h->is_open = sqlite3_column_int(s, 18) != 0;
        h->occupancy = sqlite3_column_type(s, 19) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 19);
        h->needs = sl_col_strdup(s, 20);
        h->status_updated_at = sqlite3_column_int64(s, 21);
        return h->common_id && h->kind && h->name ? 0 : -ENOMEM;
}

#define SHELTER_COLUMNS                                                                            \
        "id, common_id, kind, name, address, lon, lat, flood, landslide, storm_surge, "            \
        "earthquake, tsunami, fire, inland_flood, volcano, capacity, linked_id, district_id, "     \
        "is_open, occupancy, needs, status_updated_at"

int sl_shelter_get(struct store *st, int64_t id, struct store_shelter_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), shelter_fill, NULL,
                         "SELECT " SHELTER_COLUMNS " FROM shelters WHERE id = ?", "i", id);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_shelter_list_free(out);
        return rc;
}

int sl_shelters_list(struct store *st, bool open_only, struct store_shelter_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), shelter_fill, NULL,
                         "SELECT " SHELTER_COLUMNS " FROM shelters WHERE ?1 = 0 OR "
                         "is_open = 1 ORDER BY id",
                         "b", (int)open_only);
        if (rc < 0)
                store_shelter_list_free(out);
        return rc;
}

/* ---- Hazard layers ----------------------------------------------------- */

int sl_hazard_layer_create(struct store *st, const struct store_hazard_layer *l, int64_t *id)
{
        struct sl *b = SL(st);
        if (!l || !store_hazard_name(l->hazard))
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO hazard_layers (name, version, hazard, title, attribution, active, "
                    "imported_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
                    "ttttti", l->name, l->version, store_hazard_name(l->hazard), l->title,
                    l->attribution, sl_now());
        int64_t lid = sqlite3_last_insert_rowid(b->db);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = lid;
        return rc;
}

int sl_hazard_features_add(struct store *st, int64_t layer_id, const struct store_hazard_feature *f,
                           size_t n)
{
        struct sl *b = SL(st);
        if (n && !f)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
                void *g = NULL;
                size_t glen = 0;
                rc = sl_geom_blob(b, f[i].geom.wkb, f[i].geom.wkb_len, f[i].geom.wkt, true, &g,
                                  &glen);
                if (rc == 0)
                        rc = sl_run(b,
                                    "INSERT INTO hazard_features (layer_id, class, label_ja, rank, "
                                    "geom) VALUES (?, ?, ?, ?, ?)",
                                    "ittiB", layer_id, f[i].class_, f[i].label_ja,
                                    (int64_t)f[i].rank, g, glen);
                free(g);
        }
        return sl_tx_end(b, rc);
}

int sl_hazard_layer_activate(struct store *st, int64_t layer_id)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t exists = 0;
        rc = sl_query_int(b, "SELECT count(*) FROM hazard_layers WHERE id = ?", &exists, "i",
                          layer_id);
        if (rc == 0 && !exists)
                rc = -ENOENT;
        if (rc == 0)
                rc = sl_run(b,
                            "UPDATE hazard_layers SET active = 0 WHERE active = 1 AND name = "
                            "(SELECT name FROM hazard_layers WHERE id = ?)",
                            "i", layer_id);
        if (rc == 0)
                rc = sl_run(b, "UPDATE hazard_layers SET active = 1 WHERE id = ?", "i", layer_id);
        return sl_tx_end(b, rc);
}

int sl_hazard_layer_delete(struct store *st, int64_t layer_id)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t active = 0;
        rc = sl_query_int(b, "SELECT active FROM hazard_layers WHERE id = ?", &active, "i",
                          layer_id);
        if (rc == 0 && active)
                rc = -EBUSY;
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM hazard_layers WHERE id = ?", "i", layer_id);
        return sl_tx_end(b, rc);
}

static int hazard_layer_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_hazard_layer *h = elem;
        h->id = sqlite3_column_int64(s, 0);
        h->name = sl_col_strdup(s, 1);
        h->version = sl_col_strdup(s, 2);
        enum store_hazard hz = HAZARD_FLOOD;
        store_hazard_parse((const char *)sqlite3_column_text(s, 3), &hz);
        h->hazard = hz;
        h->title = sl_col_strdup(s, 4);
        h->attribution = sl_col_strdup(s, 5);
        h->active = sqlite3_column_int(s, 6) != 0;
        h->imported_at = sqlite3_column_int64(s, 7);
        h->n_features = sqlite3_column_int64(s, 8);
        return h->name && h->version && h->title && h->attribution ? 0 : -ENOMEM;
}

int sl_hazard_layers_list(struct store *st, struct store_hazard_layer_list *out)
{
        struct sl *b = SL(st);
        int rc =
            sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), hazard_layer_fill, NULL,
                    "SELECT l.id, l.name, l.version, l.hazard, l.title, l.attribution, l.active, "
                    "l.imported_at, (SELECT count(*) FROM hazard_features f WHERE f.layer_id = "
                    "l.id) FROM hazard_layers l ORDER BY l.name, l.imported_at, l.id",
                    "");
        if (rc < 0)
                store_hazard_layer_list_free(out);
        return rc;
}

static int hazard_area_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        (void)ctx;
        struct store_hazard_area *a = elem;
        a->id = sqlite3_column_int64(s, 0);
        a->layer = sl_col_strdup(s, 1);
        a->hazard = sl_col_strdup(s, 2);
        a->title = sl_col_strdup(s, 3);
        a->attribution = sl_col_strdup(s, 4);
        a->class_ = sl_col_strdup(s, 5);
        a->label_ja = sl_col_strdup(s, 6);
        a->rank = sqlite3_column_int(s, 7);
        a->geojson = sl_col_strdup(s, 8);
        return a->layer && a->hazard && a->title && a->attribution && a->class_ && a->label_ja &&
                       a->geojson
                   ? 0
                   : -ENOMEM;
}

#define HAZARD_AREA_COLS                                                                           \
        "SELECT f.id, l.name, l.hazard, l.title, l.attribution, f.class, f.label_ja, f.rank, "     \
        "AsGeoJSON(f.geom, 6) "

int sl_hazard_areas(struct store *st, const double *bbox, size_t offset, size_t limit,
                    struct store_hazard_area_list *out)
{
        static const double world[4] = {-180, -90, 180, 90};
        const double *b4 = bbox ? bbox : world;
        struct sl *b = SL(st);
        /* The spatial index finds the candidates by their bounding box. */
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), hazard_area_fill, NULL,
                         HAZARD_AREA_COLS
                         "FROM idx_hazard_features_geom r JOIN hazard_features f ON f.id = "
                         "r.pkid JOIN hazard_layers l ON l.id = f.layer_id WHERE l.active = 1 "
                         "AND r.xmax >= ?1 AND r.xmin <= ?3 AND r.ymax >= ?2 AND r.ymin <= ?4 "
                         "ORDER BY f.id LIMIT ?5 OFFSET ?6",
                         "ddddii", b4[0], b4[1], b4[2], b4[3], (int64_t)limit, (int64_t)offset);
        if (rc < 0)
                store_hazard_area_list_free(out);
        return rc;
}

int sl_hazard_area_get(struct store *st, int64_t id, struct store_hazard_area_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), hazard_area_fill, NULL,
                         HAZARD_AREA_COLS "FROM hazard_features f JOIN hazard_layers l ON l.id = "
                                          "f.layer_id WHERE l.active = 1 AND f.id = ?",
                         "i", id);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_hazard_area_list_free(out);
        return rc;
}

/* ---- Watch points ------------------------------------------------------ */

int sl_watch_point_put(struct store *st, const struct store_watch_point *w, int64_t *id)
{
        struct sl *b = SL(st);
        if (!w || !w->name || (w->n_stations && !w->station_ids))
                return -EINVAL;
        void *g = NULL;
        size_t glen = 0;
        int rc = sl_geom_blob(b, w->geom.wkb, w->geom.wkb_len, w->geom.wkt, false, &g, &glen);
        if (rc < 0)
                return rc;
        int64_t now = sl_now(), wid = w->id;
        rc = sl_tx_begin(b);
        if (rc < 0)
                goto out;
        if (wid == 0) {
                rc = sl_run(b,
                            "INSERT INTO watch_points (name, note, checklist, created_at, "
                            "updated_at, geom) VALUES (?, ?, coalesce(?, '[]'), ?, ?, ?)",
                            "tttiiB", w->name, w->note, w->checklist, now, now, g, glen);
                wid = sqlite3_last_insert_rowid(b->db);
        } else {
                rc = sl_run(b,
                            "UPDATE watch_points SET name = ?, note = ?, checklist = coalesce(?, "
                            "'[]'), updated_at = ?, geom = ? WHERE id = ?",
                            "tttiBi", w->name, w->note, w->checklist, now, g, glen, wid);
                if (rc == 0 && sqlite3_changes(b->db) == 0)
                        rc = -ENOENT;
        }
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM watch_point_stations WHERE watch_point_id = ?", "i",
                            wid);
        for (size_t i = 0; i < w->n_stations && rc == 0; i++)
                rc = sl_run(b,
                            "INSERT OR IGNORE INTO watch_point_stations (watch_point_id, "
                            "station_id) VALUES (?, ?)",
                            "ii", wid, w->station_ids[i]);
        rc = sl_tx_end(b, rc);
out:
        free(g);
        if (rc == 0 && id)
                *id = wid;
        return rc;
}

int sl_watch_point_delete(struct store *st, int64_t id)
{
        struct sl *b = SL(st);
        return sl_change(b, "DELETE FROM watch_points WHERE id = ?", "i", id);
}

static int watch_point_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct sl *b = ctx;
        struct store_watch_point_row *w = elem;
        w->id = sqlite3_column_int64(s, 0);
        w->name = sl_col_strdup(s, 1);
        w->note = sl_col_strdup(s, 2);
        w->checklist = sl_col_strdup(s, 3);
        w->geojson = sl_col_strdup(s, 4);
        if (!w->name || !w->checklist || !w->geojson)
                return -ENOMEM;
        int rc = 0;
        sqlite3_stmt *q = sl_query(b,
                                   "SELECT station_id FROM watch_point_stations WHERE "
                                   "watch_point_id = ? ORDER BY station_id",
                                   &rc, "i", w->id);
        if (!q)
                return rc;
        size_t cap = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
                if (w->n_stations == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        int64_t *nv = realloc(w->station_ids, ncap * sizeof(*nv));
                        if (!nv) {
                                rc = -ENOMEM;
                                break;
                        }
                        w->station_ids = nv;
                        cap = ncap;
                }
                w->station_ids[w->n_stations++] = sqlite3_column_int64(q, 0);
        }
        sqlite3_reset(q);
        return rc;
}

int sl_watch_points_list(struct store *st, struct store_watch_point_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), watch_point_fill, b,
                         "SELECT id, name, note, checklist, AsGeoJSON(geom, 7) FROM "
                         "watch_points ORDER BY id",
                         "");
        if (rc < 0)
                store_watch_point_list_free(out);
        return rc;
}
