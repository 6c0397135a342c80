/* The SpatiaLite backend: road graphs, vector tiles, and walking routes.
 *
 * A route query reads the active graph into memory once per handle (and
 * again when another graph becomes active), snaps both ends to the nearest
 * node of the graph's main component through the R*Tree of road_nodes,
 * and runs A* (geo/route.c).  The edges touching the polygons of the
 * hazard in question are found with the R*Tree of road_edges and an exact
 * ST_Intersects per hazard, once per set of active editions, and cost
 * ROUTE_PENALTY times more in that query. */
#include "sl.h"

#include "route.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Road graphs --------------------------------------------------------- */

static bool source_ok(const char *s)
{
        return s && (strcmp(s, "osm") == 0 || strcmp(s, "lines") == 0);
}

int sl_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id)
{
        struct sl *b = SL(st);
        if (!g || !g->name || !g->version || !source_ok(g->source) || !g->attribution)
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

static bool in_japan(double lon, double lat)
{
        return isfinite(lon) && isfinite(lat) && lon >= 120 && lon <= 155 && lat >= 20 && lat <= 46;
}

int sl_road_node_add(struct store *st, int64_t graph_id, double lon, double lat, const char *name,
                     int64_t *id)
{
        struct sl *b = SL(st);
        if (!in_japan(lon, lat))
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
                        if (!in_japan(x->coords[2 * k], x->coords[2 * k + 1]))
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

static bool layer_ok(const char *l)
{
        size_t n = l ? strlen(l) : 0;
        if (n < 1 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = l[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return false;
        }
        return true;
}

static bool tile_ok(int z, int x, int y)
{
        return z >= 0 && z <= 22 && x >= 0 && y >= 0 && (int64_t)x < ((int64_t)1 << z) &&
               (int64_t)y < ((int64_t)1 << z);
}

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
        if (!layer_ok(layer) || !version || !version[0] || strlen(version) > 64 || min_zoom < 0 ||
            max_zoom > 22 || min_zoom > max_zoom)
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
        if (!tile_ok(z, x, y) || !data || len < 1 || len > 4194304)
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
        if (!layer_ok(layer))
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
        if (!layer_ok(layer) || !tile_ok(z, x, y))
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

struct route_cache {
        int64_t graph_id;
        char *version;
        struct route_graph *g;
        int64_t *edge_id; /* store id of each edge, ascending */
        uint32_t *comp;   /* component of each node */
        uint32_t main_comp;
        /* Per hazard: the edges touching its active polygons, and which
         * editions they were computed from. */
        char *hz_stamp[HAZARD_COUNT];
        uint8_t *hz_penal[HAZARD_COUNT];
};

void sl_route_cache_free(struct sl *b)
{
        struct route_cache *c = b->route_cache;
        if (!c)
                return;
        free(c->version);
        route_graph_free(c->g);
        free(c->edge_id);
        free(c->comp);
        for (int h = 0; h < HAZARD_COUNT; h++) {
                free(c->hz_stamp[h]);
                free(c->hz_penal[h]);
        }
        free(c);
        b->route_cache = NULL;
}

/* Components by breadth-first search; the largest is the one routed on. */
static int components(struct route_cache *c)
{
        struct route_graph *g = c->g;
        c->comp = malloc(g->n_nodes * sizeof(uint32_t));
        uint32_t *queue = malloc(g->n_nodes * sizeof(uint32_t));
        if (!c->comp || !queue) {
                free(queue);
                return -ENOMEM;
        }
        for (size_t i = 0; i < g->n_nodes; i++)
                c->comp[i] = ROUTE_NONE;
        uint32_t n_comp = 0;
        size_t best = 0;
        for (size_t s = 0; s < g->n_nodes; s++) {
                if (c->comp[s] != ROUTE_NONE)
                        continue;
                size_t qh = 0, qt = 0;
                queue[qt++] = (uint32_t)s;
                c->comp[s] = n_comp;
                while (qh < qt) {
                        uint32_t u = queue[qh++];
                        for (uint32_t k = g->adj_off[u]; k < g->adj_off[u + 1]; k++) {
                                uint32_t e = g->adj_edge[k];
                                uint32_t v = g->ea[e] == u ? g->eb[e] : g->ea[e];
                                if (c->comp[v] == ROUTE_NONE) {
                                        c->comp[v] = n_comp;
                                        queue[qt++] = v;
                                }
                        }
                }
                if (qt > best) {
                        best = qt;
                        c->main_comp = n_comp;
                }
                n_comp++;
        }
        free(queue);
        return 0;
}

static int load_graph(struct sl *b, int64_t gid, const char *version)
{
        sl_route_cache_free(b);
        struct route_cache *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->graph_id = gid;
        c->version = strdup(version);
        struct route_builder rb;
        int rc = route_builder_init(&rb);
        if (rc < 0 || !c->version) {
                free(c->version);
                free(c);
                return -ENOMEM;
        }
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT id, lon, lat, name FROM road_nodes WHERE "
                                   "graph_id = ? ORDER BY id",
                                   &rc, "i", gid);
        if (s) {
                int r;
                while ((r = sqlite3_step(s)) == SQLITE_ROW)
                        route_builder_node(&rb, sqlite3_column_int64(s, 0),
                                           sqlite3_column_double(s, 1), sqlite3_column_double(s, 2),
                                           (const char *)sqlite3_column_text(s, 3));
                if (r != SQLITE_DONE)
                        rc = sl_err(r);
                sqlite3_reset(s);
        }
        size_t cap_ids = 0, n_ids = 0;
        if (rc == 0)
                s = sl_query(b,
                             "SELECT id, a, b, length_m, name, AsBinary(geom) FROM road_edges "
                             "WHERE graph_id = ? ORDER BY id",
                             &rc, "i", gid);
        if (rc == 0 && s) {
                int r;
                while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
                        const unsigned char *w = sqlite3_column_blob(s, 5);
                        int wl = sqlite3_column_bytes(s, 5);
                        uint32_t type = 0, cnt = 0;
                        if (w && wl >= 9) {
                                memcpy(&type, w + 1, 4);
                                memcpy(&cnt, w + 5, 4);
                        }
                        if (!w || wl < 9 || w[0] != 1 || type != 2 || cnt < 2 ||
                            (size_t)wl != 9 + (size_t)cnt * 16) {
                                rc = -EBADMSG;
                                break;
                        }
                        double *xy = malloc((size_t)cnt * 16);
                        if (!xy) {
                                rc = -ENOMEM;
                                break;
                        }
                        memcpy(xy, w + 9, (size_t)cnt * 16);
                        route_builder_edge(&rb, sqlite3_column_int64(s, 1),
                                           sqlite3_column_int64(s, 2), sqlite3_column_double(s, 3),
                                           (const char *)sqlite3_column_text(s, 4), xy, cnt);
                        free(xy);
                        if (n_ids == cap_ids) {
                                size_t nc = cap_ids ? cap_ids * 2 : 1024;
                                int64_t *ni = realloc(c->edge_id, nc * sizeof(*ni));
                                if (!ni) {
                                        rc = -ENOMEM;
                                        break;
                                }
                                c->edge_id = ni;
                                cap_ids = nc;
                        }
                        c->edge_id[n_ids++] = sqlite3_column_int64(s, 0);
                }
                if (rc == 0 && r != SQLITE_DONE)
                        rc = sl_err(r);
                sqlite3_reset(s);
        }
        int err = 0;
        c->g = route_builder_finish(&rb, &err);
        if (rc == 0)
                rc = err;
        if (rc == 0)
                rc = components(c);
        b->route_cache = c;
        if (rc < 0)
                sl_route_cache_free(b);
        return rc;
}

static uint32_t edge_index(const struct route_cache *c, int64_t id)
{
        size_t lo = 0, hi = c->g->n_edges;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (c->edge_id[mid] < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < c->g->n_edges && c->edge_id[lo] == id ? (uint32_t)lo : ROUTE_NONE;
}

/* The edges touching the active polygons of hazard h, computed again when
 * its active editions change. */
static int hazard_penal(struct sl *b, struct route_cache *c, enum store_hazard h,
                        const uint8_t **out)
{
        int rc = 0;
        *out = NULL;
        sqlite3_stmt *s = sl_row(b, &rc,
                                 "SELECT coalesce(group_concat(id), '') FROM (SELECT id FROM "
                                 "hazard_layers WHERE active = 1 AND hazard = ? ORDER BY id)",
                                 "t", store_hazard_name(h));
        if (!s)
                return rc;
        const char *stamp = (const char *)sqlite3_column_text(s, 0);
        if (!stamp || !stamp[0]) {
                sqlite3_reset(s);
                return 0; /* no polygons of this hazard */
        }
        if (c->hz_stamp[h] && strcmp(c->hz_stamp[h], stamp) == 0) {
                sqlite3_reset(s);
                *out = c->hz_penal[h];
                return 0;
        }
        free(c->hz_stamp[h]);
        free(c->hz_penal[h]);
        c->hz_penal[h] = NULL;
        c->hz_stamp[h] = strdup(stamp);
        sqlite3_reset(s);
        uint8_t *p = calloc(c->g->n_edges, 1);
        if (!p || !c->hz_stamp[h]) {
                free(p);
                free(c->hz_stamp[h]);
                c->hz_stamp[h] = NULL;
                return -ENOMEM;
        }
        s = sl_query(
            b,
            "SELECT e.id FROM hazard_layers l JOIN hazard_features f ON f.layer_id = "
            "l.id CROSS JOIN idx_road_edges_geom r ON r.xmin <= MbrMaxX(f.geom) AND r.xmax >= "
            "MbrMinX(f.geom) AND r.ymin <= MbrMaxY(f.geom) AND r.ymax >= MbrMinY(f.geom) "
            "CROSS JOIN road_edges e ON e.id = r.pkid WHERE l.active = 1 AND l.hazard = ?1 AND "
            "e.graph_id = ?2 AND ST_Intersects(e.geom, f.geom) = 1",
            &rc, "ti", store_hazard_name(h), c->graph_id);
        if (s) {
                int r;
                while ((r = sqlite3_step(s)) == SQLITE_ROW) {
                        uint32_t e = edge_index(c, sqlite3_column_int64(s, 0));
                        if (e != ROUTE_NONE)
                                p[e] = 1;
                }
                if (r != SQLITE_DONE)
                        rc = sl_err(r);
                sqlite3_reset(s);
        }
        if (rc < 0) {
                free(p);
                free(c->hz_stamp[h]);
                c->hz_stamp[h] = NULL;
                return rc;
        }
        c->hz_penal[h] = p;
        *out = p;
        return 0;
}

/* The nearest node of the main component within GEO_ROUTE_SNAP_MAX_M. */
static int snap(struct sl *b, struct route_cache *c, double lon, double lat, uint32_t *node,
                double *d_m)
{
        double coslat = cos(lat * M_PI / 180.0);
        for (double r_m = 100.0;; r_m *= 2) {
                double dlat = r_m / 110000.0, dlon = r_m / (111320.0 * coslat);
                int rc = 0;
                sqlite3_stmt *s = sl_query(
                    b,
                    /* CROSS JOIN keeps the R*Tree first: the index on graph_id would
                     * read every node of the graph. */
                    "SELECT n.id, n.lon, n.lat FROM idx_road_nodes_geom r CROSS JOIN road_nodes n "
                    "ON n.id = r.pkid WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4 AND "
                    "r.ymax >= ?2 AND n.graph_id = ?5",
                    &rc, "ddddi", lon - dlon, lat - dlat, lon + dlon, lat + dlat, c->graph_id);
                if (!s)
                        return rc;
                uint32_t best = ROUTE_NONE;
                double bd = INFINITY;
                while (sqlite3_step(s) == SQLITE_ROW) {
                        uint32_t i = route_node_index(c->g, sqlite3_column_int64(s, 0));
                        if (i == ROUTE_NONE || c->comp[i] != c->main_comp)
                                continue;
                        double d = route_haversine_m(lon, lat, sqlite3_column_double(s, 1),
                                                     sqlite3_column_double(s, 2));
                        if (d < bd) {
                                bd = d;
                                best = i;
                        }
                }
                sqlite3_reset(s);
                /* A node inside the box's inscribed circle is the nearest. */
                if (best != ROUTE_NONE && (bd <= r_m || r_m >= GEO_ROUTE_SNAP_MAX_M)) {
                        if (bd > GEO_ROUTE_SNAP_MAX_M)
                                return -ENOENT;
                        *node = best;
                        *d_m = bd;
                        return 0;
                }
                if (r_m >= GEO_ROUTE_SNAP_MAX_M)
                        return -ENOENT;
        }
}

static const char *hazard_area_ja(enum store_hazard h)
{
        switch (h) {
        case HAZARD_FLOOD:
                return "洪水浸水想定区域";
        case HAZARD_LANDSLIDE:
                return "土砂災害警戒区域";
        case HAZARD_STORM_SURGE:
                return "高潮浸水想定区域";
        case HAZARD_TSUNAMI:
                return "津波浸水想定区域";
        case HAZARD_INLAND_FLOOD:
                return "内水浸水想定区域";
        default:
                return "危険な区域";
        }
}

int sl_geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
                 const struct geo_route_opts *o, struct geo_route *out)
{
        struct sl *b = SL(st);
        static const struct geo_route_opts none;
        if (!o)
                o = &none;
        double speed = o->speed_m_s == 0 ? GEO_WALK_SPEED_DEFAULT : o->speed_m_s;
        if (!in_japan(lon, lat) || !in_japan(to_lon, to_lat) || !(speed >= 0.1 && speed <= 3.0) ||
            (o->avoid && ((int)o->hazard < 0 || o->hazard >= HAZARD_COUNT)))
                return -EINVAL;
        int rc = 0;
        sqlite3_stmt *s =
            sl_row(b, &rc, "SELECT id, version FROM road_graphs WHERE active = 1", "");
        if (!s)
                return rc == -ENOENT ? -ENODATA : rc;
        int64_t gid = sqlite3_column_int64(s, 0);
        char version[65];
        snprintf(version, sizeof(version), "%s", (const char *)sqlite3_column_text(s, 1));
        sqlite3_reset(s);
        struct route_cache *c = b->route_cache;
        if (!c || c->graph_id != gid) {
                rc = load_graph(b, gid, version);
                if (rc < 0)
                        return rc;
                c = b->route_cache;
        }
        const uint8_t *penal = NULL;
        if (o->avoid && (rc = hazard_penal(b, c, o->hazard, &penal)) < 0)
                return rc;
        uint32_t from, to;
        double d_from = 0, d_to = 0;
        if ((rc = snap(b, c, lon, lat, &from, &d_from)) < 0 ||
            (rc = snap(b, c, to_lon, to_lat, &to, &d_to)) < 0)
                return rc;
        uint32_t *edges = NULL;
        size_t n = 0;
        rc = route_astar(c->g, from, to, penal, &edges, &n);
        if (rc < 0)
                return rc;
        double *line = NULL, len = 0, pm = 0;
        size_t nl = 0;
        rc = route_path_line(c->g, from, edges, n, penal, &line, &nl, &len, &pm);
        if (rc < 0) {
                free(edges);
                return rc;
        }
        /* The line: the point, the roads, the destination. */
        out->coords = malloc((nl + 2) * 2 * sizeof(double));
        if (!out->coords) {
                rc = -ENOMEM;
                goto out;
        }
        size_t k = 0;
        out->coords[k++] = lon;
        out->coords[k++] = lat;
        memcpy(out->coords + k, line, nl * 2 * sizeof(double));
        k += nl * 2;
        out->coords[k++] = to_lon;
        out->coords[k++] = to_lat;
        out->n_coords = k / 2;
        out->distance_m = d_from + len + d_to;
        out->walk_s = out->distance_m / speed;
        out->hazard_m = pm;
        out->through_hazard = pm > 0;
        out->graph_version = strdup(version);
        struct route_words_in wi = {.g = c->g,
                                    .from = from,
                                    .edges = edges,
                                    .n = n,
                                    .speed_m_s = speed,
                                    .to_name = o->to_name,
                                    .hazard_ja = o->avoid ? hazard_area_ja(o->hazard) : NULL,
                                    .through_hazard = out->through_hazard,
                                    .snap_from_m = d_from,
                                    .snap_to_m = d_to};
        out->words_ja = route_words_ja(&wi);
        if (!out->words_ja || !out->graph_version)
                rc = -ENOMEM;
out:
        free(edges);
        free(line);
        if (rc < 0)
                geo_route_free(out);
        return rc;
}
