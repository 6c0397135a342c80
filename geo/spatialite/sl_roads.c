/* The SpatiaLite backend: road graphs, vector tiles, and walking routes.
 *
 * Routes are geo/route_cache.c's over this file's SQL: the graph read in
 * id order, the nodes near a point through the R*Tree of road_nodes, and
 * the edges touching a hazard's active polygons through the R*Tree of
 * road_edges and an exact ST_Intersects. */
#include "sl.h"

#include "route_cache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Road graphs --------------------------------------------------------- */

int sl_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id)
{
        struct sl *b = SL(st);
        if (!g || !g->name || !g->version || !store_road_source_ok(g->source) || !g->attribution)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t have = 0;
        rc = sl_query_int(b, "SELECT count(*) FROM road_graphs WHERE name = ? AND version = ?",
                          &have, "tt", g->name, g->version);
        if (rc == 0 && have)
                rc = -EEXIST;
        if (rc == 0)
                rc = sl_run(b,
                            "INSERT INTO road_graphs (name, version, source, attribution, active, "
                            "imported_at) VALUES (?, ?, ?, ?, 0, ?)",
                            "tttti", g->name, g->version, g->source, g->attribution, sl_now());
        int64_t gid = sqlite3_last_insert_rowid(b->db);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = gid;
        return rc;
}

int sl_road_node_add(struct store *st, int64_t graph_id, double lon, double lat, const char *name,
                     int64_t *id)
{
        struct sl *b = SL(st);
        if (!store_road_lonlat_ok(lon, lat))
                return -EINVAL;
        return sl_insert(b, id,
                         "INSERT INTO road_nodes (graph_id, lon, lat, name, geom) VALUES (?1, ?2, "
                         "?3, ?4, MakePoint(?2, ?3, 6668))",
                         "iddt", graph_id, lon, lat, name);
}

/* A WKB LineString (little-endian) of the points. */
static unsigned char *line_wkb(const double *xy, size_t n, size_t *len)
{
        *len = 9 + n * 16;
        unsigned char *w = malloc(*len);
        if (!w)
                return NULL;
        uint32_t type = 2, cnt = (uint32_t)n;
        w[0] = 1;
        memcpy(w + 1, &type, 4);
        memcpy(w + 5, &cnt, 4);
        memcpy(w + 9, xy, n * 16);
        return w;
}

int sl_road_edges_add(struct store *st, int64_t graph_id, const struct store_road_edge *e, size_t n)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        for (size_t i = 0; rc == 0 && i < n; i++) {
                const struct store_road_edge *x = &e[i];
                if (!x->coords || x->n_coords < 2 || x->n_coords > 100000 || !(x->length_m > 0) ||
                    x->a == x->b) {
                        rc = -EINVAL;
                        break;
                }
                for (size_t k = 0; k < x->n_coords; k++)
                        if (!store_road_lonlat_ok(x->coords[2 * k], x->coords[2 * k + 1]))
                                rc = -EINVAL;
                if (rc < 0)
                        break;
                size_t wl = 0;
                unsigned char *w = line_wkb(x->coords, x->n_coords, &wl);
                if (!w) {
                        rc = -ENOMEM;
                        break;
                }
                /* Both ends must be nodes of this graph. */
                int64_t ok = 0;
                rc = sl_query_int(b,
                                  "SELECT count(*) FROM road_nodes WHERE id IN (?1, ?2) AND "
                                  "graph_id = ?3",
                                  &ok, "iii", x->a, x->b, graph_id);
                if (rc == 0 && ok != 2)
                        rc = -EINVAL;
                if (rc == 0)
                        rc = sl_run(b,
                                    "INSERT INTO road_edges (graph_id, a, b, length_m, name, kind, "
                                    "geom) VALUES (?, ?, ?, ?, ?, ?, GeomFromWKB(?, 6668))",
                                    "iiidttB", graph_id, x->a, x->b, x->length_m, x->name, x->kind,
                                    w, wl);
                free(w);
        }
        return sl_tx_end(b, rc);
}

int sl_road_graph_activate(struct store *st, int64_t graph_id)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t exists = 0, edges = 0;
        rc = sl_query_int(b, "SELECT count(*) FROM road_graphs WHERE id = ?", &exists, "i",
                          graph_id);
        if (rc == 0 && !exists)
                rc = -ENOENT;
        if (rc == 0)
                rc = sl_query_int(b, "SELECT count(*) FROM road_edges WHERE graph_id = ?", &edges,
                                  "i", graph_id);
        if (rc == 0 && edges == 0)
                rc = -ENODATA;
        /* The old graphs go, edges before nodes (the foreign keys). */
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM road_edges WHERE graph_id <> ?", "i", graph_id);
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM road_nodes WHERE graph_id <> ?", "i", graph_id);
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM road_graphs WHERE id <> ?", "i", graph_id);
        if (rc == 0)
                rc = sl_run(b,
                            "UPDATE road_graphs SET active = 1, n_edges = ?2, n_nodes = (SELECT "
                            "count(*) FROM road_nodes WHERE graph_id = ?1) WHERE id = ?1",
                            "ii", graph_id, edges);
        return sl_tx_end(b, rc);
}

static int graph_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        (void)ctx;
        struct store_road_graph *g = elem;
        g->id = sqlite3_column_int64(s, 0);
        g->name = sl_col_strdup(s, 1);
        g->version = sl_col_strdup(s, 2);
        g->source = sl_col_strdup(s, 3);
        g->attribution = sl_col_strdup(s, 4);
        g->active = sqlite3_column_int(s, 5) != 0;
        g->imported_at = sqlite3_column_int64(s, 6);
        g->n_nodes = sqlite3_column_int64(s, 7);
        g->n_edges = sqlite3_column_int64(s, 8);
        return g->name && g->version && g->source && g->attribution ? 0 : -ENOMEM;
}

int sl_road_graphs_list(struct store *st, struct store_road_graph_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), graph_fill, NULL,
                         "SELECT id, name, version, source, attribution, active, imported_at, "
                         "n_nodes, n_edges FROM road_graphs ORDER BY id",
                         "");
        if (rc < 0)
                store_road_graph_list_free(out);
        return rc;
}

/* ---- Tiles ----------------------------------------------------------------- */

int sl_layer_polygons(struct store *st, const char *layer, store_polygon_cb cb, void *ctx)
{
        struct sl *b = SL(st);
        static const char *const areas_sql = "SELECT code, name, kind, AsBinary(geom) FROM areas "
                                             "WHERE geom IS NOT NULL ORDER BY code";
        static const char *const districts_sql = "SELECT code, name, kind, AsBinary(geom) FROM "
                                                 "districts WHERE geom IS NOT NULL ORDER BY code";
        const char *sql = strcmp(layer, "areas") == 0       ? areas_sql
                          : strcmp(layer, "districts") == 0 ? districts_sql
                                                            : NULL;
        if (!sql)
                return -EINVAL;
        int rc = 0;
        sqlite3_stmt *s = sl_query(b, sql, &rc, "");
        if (!s)
                return rc;
        int r;
        while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW)
                rc = cb(ctx, (const char *)sqlite3_column_text(s, 0),
                        (const char *)sqlite3_column_text(s, 1),
                        (const char *)sqlite3_column_text(s, 2), sqlite3_column_blob(s, 3),
                        (size_t)sqlite3_column_bytes(s, 3));
        if (rc == 0 && r != SQLITE_DONE)
                rc = sl_err(r);
        sqlite3_reset(s);
        return rc;
}

int sl_tile_set_create(struct store *st, const char *layer, const char *version, int min_zoom,
                       int max_zoom, int64_t *id)
{
        struct sl *b = SL(st);
        if (!store_tile_layer_ok(layer) || !version || !version[0] || strlen(version) > 64 ||
            min_zoom < 0 || max_zoom > 22 || min_zoom > max_zoom)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t have = 0;
        rc = sl_query_int(b, "SELECT count(*) FROM tile_sets WHERE layer = ? AND version = ?",
                          &have, "tt", layer, version);
        if (rc == 0 && have)
                rc = -EEXIST;
        if (rc == 0)
                rc =
                    sl_run(b,
                           "INSERT INTO tile_sets (layer, version, min_zoom, max_zoom, active, "
                           "created_at) VALUES (?, ?, ?, ?, 0, ?)",
                           "ttiii", layer, version, (int64_t)min_zoom, (int64_t)max_zoom, sl_now());
        int64_t sid = sqlite3_last_insert_rowid(b->db);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = sid;
        return rc;
}

int sl_tile_put(struct store *st, int64_t set_id, int z, int x, int y, const void *data, size_t len)
{
        struct sl *b = SL(st);
        if (!store_tile_xyz_ok(z, x, y) || !data || len < 1 || len > 4194304)
                return -EINVAL;
        return sl_change(b,
                         "INSERT OR REPLACE INTO tiles (set_id, z, x, y, data) VALUES (?, ?, ?, "
                         "?, ?)",
                         "iiiiB", set_id, (int64_t)z, (int64_t)x, (int64_t)y, data, len);
}

int sl_tile_set_activate(struct store *st, int64_t set_id)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t exists = 0;
        rc = sl_query_int(b, "SELECT count(*) FROM tile_sets WHERE id = ?", &exists, "i", set_id);
        if (rc == 0 && !exists)
                rc = -ENOENT;
        if (rc == 0)
                rc = sl_run(b,
                            "DELETE FROM tiles WHERE set_id IN (SELECT id FROM tile_sets WHERE "
                            "layer = (SELECT layer FROM tile_sets WHERE id = ?1) AND id <> ?1)",
                            "i", set_id);
        if (rc == 0)
                rc = sl_run(b,
                            "DELETE FROM tile_sets WHERE layer = (SELECT layer FROM tile_sets "
                            "WHERE id = ?1) AND id <> ?1",
                            "i", set_id);
        if (rc == 0)
                rc = sl_run(b, "UPDATE tile_sets SET active = 1 WHERE id = ?", "i", set_id);
        return sl_tx_end(b, rc);
}

int sl_tile_version(struct store *st, const char *layer, char version[65])
{
        struct sl *b = SL(st);
        version[0] = 0;
        if (!store_tile_layer_ok(layer))
                return -ENOENT;
        int rc = 0;
        sqlite3_stmt *s = sl_row(
            b, &rc, "SELECT version FROM tile_sets WHERE layer = ? AND active = 1", "t", layer);
        if (!s)
                return rc;
        const char *v = (const char *)sqlite3_column_text(s, 0);
        snprintf(version, 65, "%s", v ? v : "");
        sqlite3_reset(s);
        return 0;
}

int sl_tile_get(struct store *st, const char *layer, int z, int x, int y, void **data, size_t *len,
                char version[65])
{
        struct sl *b = SL(st);
        version[0] = 0;
        if (!store_tile_layer_ok(layer) || !store_tile_xyz_ok(z, x, y))
                return -ENOENT;
        int rc = 0;
        sqlite3_stmt *s = sl_row(b, &rc,
                                 "SELECT s.version, t.data FROM tile_sets s JOIN tiles t ON "
                                 "t.set_id = s.id WHERE s.layer = ? AND s.active = 1 AND t.z = ? "
                                 "AND t.x = ? AND t.y = ?",
                                 "tiii", layer, (int64_t)z, (int64_t)x, (int64_t)y);
        if (!s)
                return rc;
        const char *v = (const char *)sqlite3_column_text(s, 0);
        snprintf(version, 65, "%s", v ? v : "");
        int n = sqlite3_column_bytes(s, 1);
        *data = malloc(n > 0 ? (size_t)n : 1);
        if (*data) {
                memcpy(*data, sqlite3_column_blob(s, 1), (size_t)n);
                *len = (size_t)n;
        } else {
                rc = -ENOMEM;
        }
        sqlite3_reset(s);
        return rc;
}

/* ---- Routes ---------------------------------------------------------------- */

static int src_active(void *ctx, int64_t *gid, char version[65])
{
        int rc = 0;
        sqlite3_stmt *s =
            sl_row(ctx, &rc, "SELECT id, version FROM road_graphs WHERE active = 1", "");
        if (!s)
                return rc;
        *gid = sqlite3_column_int64(s, 0);
        snprintf(version, 65, "%s", (const char *)sqlite3_column_text(s, 1));
        sqlite3_reset(s);
        return 0;
}

static int src_load(void *ctx, int64_t gid, struct route_cache *c)
{
        struct sl *b = ctx;
        int rc = 0;
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT id, lon, lat, name FROM road_nodes WHERE "
                                   "graph_id = ? ORDER BY id",
                                   &rc, "i", gid);
        if (!s)
                return rc;
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW)
                route_cache_node(c, sqlite3_column_int64(s, 0), sqlite3_column_double(s, 1),
                                 sqlite3_column_double(s, 2),
                                 (const char *)sqlite3_column_text(s, 3));
        if (r != SQLITE_DONE)
                rc = sl_err(r);
        sqlite3_reset(s);
        if (rc < 0)
                return rc;
        s = sl_query(b,
                     "SELECT id, a, b, length_m, name, AsBinary(geom) FROM road_edges "
                     "WHERE graph_id = ? ORDER BY id",
                     &rc, "i", gid);
        if (!s)
                return rc;
        while ((r = sqlite3_step(s)) == SQLITE_ROW)
                route_cache_edge(c, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                 sqlite3_column_int64(s, 2), sqlite3_column_double(s, 3),
                                 (const char *)sqlite3_column_text(s, 4), sqlite3_column_blob(s, 5),
                                 (size_t)sqlite3_column_bytes(s, 5));
        if (r != SQLITE_DONE)
                rc = sl_err(r);
        sqlite3_reset(s);
        return rc;
}

static int src_hazard_stamp(void *ctx, enum store_hazard h, char **stamp)
{
        int rc = 0;
        sqlite3_stmt *s = sl_row(ctx, &rc,
                                 "SELECT coalesce(group_concat(id), '') FROM (SELECT id FROM "
                                 "hazard_layers WHERE active = 1 AND hazard = ? ORDER BY id)",
                                 "t", store_hazard_name(h));
        if (!s)
                return rc;
        const char *t = (const char *)sqlite3_column_text(s, 0);
        *stamp = strdup(t ? t : "");
        sqlite3_reset(s);
        return *stamp ? 0 : -ENOMEM;
}

static int src_hazard_edges(void *ctx, int64_t gid, enum store_hazard h, struct route_cache *c)
{
        int rc = 0;
        sqlite3_stmt *s = sl_query(
            ctx,
            "SELECT e.id FROM hazard_layers l JOIN hazard_features f ON f.layer_id = "
            "l.id CROSS JOIN idx_road_edges_geom r ON r.xmin <= MbrMaxX(f.geom) AND r.xmax >= "
            "MbrMinX(f.geom) AND r.ymin <= MbrMaxY(f.geom) AND r.ymax >= MbrMinY(f.geom) "
            "CROSS JOIN road_edges e ON e.id = r.pkid WHERE l.active = 1 AND l.hazard = ?1 AND "
            "e.graph_id = ?2 AND ST_Intersects(e.geom, f.geom) = 1",
            &rc, "ti", store_hazard_name(h), gid);
        if (!s)
                return rc;
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW)
                route_cache_mark(c, sqlite3_column_int64(s, 0));
        if (r != SQLITE_DONE)
                rc = sl_err(r);
        sqlite3_reset(s);
        return rc;
}

static int src_nodes_in(void *ctx, int64_t gid, const double box[4], struct route_cache *c)
{
        int rc = 0;
        sqlite3_stmt *s =
            sl_query(ctx,
                     /* CROSS JOIN keeps the R*Tree first: the index on graph_id would
                      * read every node of the graph. */
                     "SELECT n.id, n.lon, n.lat FROM idx_road_nodes_geom r CROSS JOIN road_nodes n "
                     "ON n.id = r.pkid WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4 AND "
                     "r.ymax >= ?2 AND n.graph_id = ?5",
                     &rc, "ddddi", box[0], box[1], box[2], box[3], gid);
        if (!s)
                return rc;
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW)
                route_cache_candidate(c, sqlite3_column_int64(s, 0), sqlite3_column_double(s, 1),
                                      sqlite3_column_double(s, 2));
        if (r != SQLITE_DONE)
                rc = sl_err(r);
        sqlite3_reset(s);
        return rc;
}

static const struct route_source sl_route_source = {
    .active = src_active,
    .load = src_load,
    .hazard_stamp = src_hazard_stamp,
    .hazard_edges = src_hazard_edges,
    .nodes_in = src_nodes_in,
};

void sl_route_cache_free(struct sl *b)
{
        route_cache_free(b->route_cache);
        b->route_cache = NULL;
}

int sl_geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
                 const struct geo_route_opts *o, struct geo_route *out)
{
        struct sl *b = SL(st);
        struct route_cache *c = b->route_cache;
        int rc = route_cache_route(&c, &sl_route_source, b, lon, lat, to_lon, to_lat, o, out);
        b->route_cache = c;
        return rc;
}
