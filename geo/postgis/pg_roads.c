/* The PostGIS backend: road graphs, the polygons of the area and district
 * tiles, and walking routes.  The rules are those of
 * geo/spatialite/sl_roads.c; a batch of edges reaches the server as one
 * INSERT ... SELECT FROM unnest(arrays), and routes are
 * geo/route_cache.c's over this file's SQL (the GiST indexes of road_nodes
 * and road_edges in place of SpatiaLite's R*Trees). */
#include "pg.h"

#include "buf.h"
#include "route_cache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Road graphs --------------------------------------------------------- */

int pg_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id)
{
        struct pg *b = PG(st);
        if (!g || !g->name || !g->version || !store_road_source_ok(g->source) || !g->attribution)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* Asked first: a refused INSERT would abort the caller's whole
         * transaction, where SpatiaLite's leaves it usable. */
        int64_t have = 0, gid = 0;
        rc = pg_query_int(b, &have,
                          "SELECT count(*) FROM road_graphs WHERE name = $1 AND version = $2", "tt",
                          g->name, g->version);
        if (rc == 0 && have)
                rc = -EEXIST;
        if (rc == 0)
                rc =
                    pg_query_int(b, &gid,
                                 "INSERT INTO road_graphs (name, version, source, attribution, "
                                 "active, imported_at) VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
                                 "tttti", g->name, g->version, g->source, g->attribution, pg_now());
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = gid;
        return rc;
}

int pg_road_node_add(struct store *st, int64_t graph_id, double lon, double lat, const char *name,
                     int64_t *id)
{
        if (!store_road_lonlat_ok(lon, lat))
                return -EINVAL;
        int64_t nid = 0;
        int rc = pg_query_int(PG(st), &nid,
                              "INSERT INTO road_nodes (graph_id, lon, lat, name, geom) VALUES ($1, "
                              "$2, $3, $4, ST_SetSRID(ST_MakePoint($2, $3), 6668)) RETURNING id",
                              "iddt", graph_id, lon, lat, name);
        if (rc == 0 && id)
                *id = nid;
        return rc;
}

static bool edge_ok(const struct store_road_edge *x)
{
        if (!x->coords || x->n_coords < 2 || x->n_coords > 100000 || !(x->length_m > 0) ||
            x->a == x->b)
                return false;
        for (size_t k = 0; k < x->n_coords; k++)
                if (!store_road_lonlat_ok(x->coords[2 * k], x->coords[2 * k + 1]))
                        return false;
        return true;
}

/* The edge's line as hex WKB (little-endian LineString): an unquoted array
 * element, read on the server with decode(…, 'hex'). */
static int arr_line(struct buf *a, size_t i, const double *xy, size_t n)
{
        unsigned char head[9] = {1, 2, 0, 0, 0};
        uint32_t cnt = (uint32_t)n;
        memcpy(head + 5, &cnt, 4);
        int rc = buf_putc(a, i ? ',' : '{');
        if (rc == 0)
                rc = pg_put_hex(a, head, sizeof(head));
        return rc < 0 ? rc : pg_put_hex(a, xy, n * 16);
}

int pg_road_edges_add(struct store *st, int64_t graph_id, const struct store_road_edge *e, size_t n)
{
        struct pg *b = PG(st);
        if (n == 0)
                return 0;
        if (!e)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!edge_ok(&e[i]))
                        return -EINVAL;
        struct buf a[6];
        for (int k = 0; k < 6; k++)
                buf_init(&a[k], PG_BATCH_MAX);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
                rc = pg_arr_i64(&a[0], i, e[i].a);
                if (rc == 0)
                        rc = pg_arr_i64(&a[1], i, e[i].b);
                if (rc == 0)
                        rc = pg_arr_double(&a[2], i, e[i].length_m);
                if (rc == 0)
                        rc = pg_arr_text(&a[3], i, e[i].name);
                if (rc == 0)
                        rc = pg_arr_text(&a[4], i, e[i].kind);
                if (rc == 0)
                        rc = arr_line(&a[5], i, e[i].coords, e[i].n_coords);
        }
        for (int k = 0; k < 6 && rc == 0; k++)
                rc = pg_arr_end(&a[k], n);
        if (rc < 0) {
                rc = -ENOMEM;
                goto out;
        }
        rc = pg_tx_begin(b);
        if (rc < 0)
                goto out;
        /* Both ends must be nodes of this graph: an edge whose ends are not
         * is left out, and the shortfall refuses the batch. */
        PGresult *r = NULL;
        rc = pg_q(b, &r,
                  "INSERT INTO road_edges (graph_id, a, b, length_m, name, kind, geom) SELECT $1, "
                  "u.a, u.b, u.l, u.n, u.k, ST_GeomFromWKB(decode(u.g, 'hex'), 6668) FROM "
                  "unnest($2::bigint[], $3::bigint[], $4::double precision[], $5::text[], "
                  "$6::text[], $7::text[]) AS u(a, b, l, n, k, g) WHERE EXISTS (SELECT 1 FROM "
                  "road_nodes WHERE id = u.a AND graph_id = $1) AND EXISTS (SELECT 1 FROM "
                  "road_nodes WHERE id = u.b AND graph_id = $1)",
                  "itttttt", graph_id, a[0].data, a[1].data, a[2].data, a[3].data, a[4].data,
                  a[5].data);
        if (rc == 0 && strtoull(PQcmdTuples(r), NULL, 10) != n)
                rc = -EINVAL;
        PQclear(r);
        rc = pg_tx_end(b, rc);
out:
        for (int k = 0; k < 6; k++)
                buf_free(&a[k]);
        return rc;
}

int pg_road_graph_activate(struct store *st, int64_t graph_id)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t exists = 0, edges = 0;
        rc = pg_query_int(b, &exists, "SELECT count(*) FROM road_graphs WHERE id = $1", "i",
                          graph_id);
        if (rc == 0 && !exists)
                rc = -ENOENT;
        if (rc == 0)
                rc = pg_query_int(b, &edges, "SELECT count(*) FROM road_edges WHERE graph_id = $1",
                                  "i", graph_id);
        if (rc == 0 && edges == 0)
                rc = -ENODATA;
        /* The old graphs go, edges before nodes (the foreign keys). */
        if (rc == 0)
                rc = pg_q(b, NULL, "DELETE FROM road_edges WHERE graph_id <> $1", "i", graph_id);
        if (rc == 0)
                rc = pg_q(b, NULL, "DELETE FROM road_nodes WHERE graph_id <> $1", "i", graph_id);
        if (rc == 0)
                rc = pg_q(b, NULL, "DELETE FROM road_graphs WHERE id <> $1", "i", graph_id);
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "UPDATE road_graphs SET active = 1, n_edges = $2, n_nodes = (SELECT "
                          "count(*) FROM road_nodes WHERE graph_id = $1) WHERE id = $1",
                          "ii", graph_id, edges);
        return pg_tx_end(b, rc);
}

static int graph_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        (void)ctx;
        struct store_road_graph *g = elem;
        g->id = pg_col_i64(r, i, 0);
        g->name = pg_col_strdup(r, i, 1);
        g->version = pg_col_strdup(r, i, 2);
        g->source = pg_col_strdup(r, i, 3);
        g->attribution = pg_col_strdup(r, i, 4);
        g->active = pg_col_i64(r, i, 5) != 0;
        g->imported_at = pg_col_i64(r, i, 6);
        g->n_nodes = pg_col_i64(r, i, 7);
        g->n_edges = pg_col_i64(r, i, 8);
        return g->name && g->version && g->source && g->attribution ? 0 : -ENOMEM;
}

int pg_road_graphs_list(struct store *st, struct store_road_graph_list *out)
{
        PGresult *r = NULL;
        int rc = pg_q(PG(st), &r,
                      "SELECT id, name, version, source, attribution, active, imported_at, "
                      "n_nodes, n_edges FROM road_graphs ORDER BY id",
                      "");
        if (rc < 0)
                return rc;
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), graph_fill, NULL);
        if (rc < 0)
                store_road_graph_list_free(out);
        return rc;
}

int pg_layer_polygons(struct store *st, const char *layer, store_polygon_cb cb, void *ctx)
{
        /* Codes in byte order (COLLATE "C"), as SQLite orders them. */
        static const char *const areas_sql =
            "SELECT code, name, kind, ST_AsBinary(geom, 'NDR') FROM areas WHERE geom IS NOT NULL "
            "ORDER BY code COLLATE \"C\"";
        static const char *const districts_sql =
            "SELECT code, name, kind, ST_AsBinary(geom, 'NDR') FROM districts WHERE geom IS NOT "
            "NULL ORDER BY code COLLATE \"C\"";
        const char *sql = !layer                            ? NULL
                          : strcmp(layer, "areas") == 0     ? areas_sql
                          : strcmp(layer, "districts") == 0 ? districts_sql
                                                            : NULL;
        if (!sql)
                return -EINVAL;
        PGresult *r = NULL;
        int rc = pg_q(PG(st), &r, sql, "");
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
                void *wkb = NULL;
                size_t len = 0;
                wkb = pg_col_bytea(r, i, 3, &len);
                rc = wkb ? 0 : -ENOMEM;
                if (rc == 0)
                        rc = cb(ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                                wkb, len);
                free(wkb);
        }
        PQclear(r);
        return rc;
}

/* ---- Routes ---------------------------------------------------------------- */

static int src_active(void *ctx, int64_t *gid, char version[65])
{
        PGresult *r = NULL;
        int rc = pg_q(ctx, &r, "SELECT id, version FROM road_graphs WHERE active = 1", "");
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1) {
                *gid = pg_col_i64(r, 0, 0);
                snprintf(version, 65, "%s", PQgetvalue(r, 0, 1));
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        return rc;
}

static int src_load(void *ctx, int64_t gid, struct route_cache *c)
{
        PGresult *r = NULL;
        int rc = pg_q(ctx, &r,
                      "SELECT id, lon, lat, name FROM road_nodes WHERE graph_id = $1 ORDER BY id",
                      "i", gid);
        if (rc < 0)
                return rc;
        for (int i = 0; i < PQntuples(r); i++)
                route_cache_node(c, pg_col_i64(r, i, 0), pg_col_double(r, i, 1),
                                 pg_col_double(r, i, 2),
                                 pg_col_null(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
        PQclear(r);
        rc = pg_q(ctx, &r,
                  "SELECT id, a, b, length_m, name, ST_AsBinary(geom, 'NDR') FROM road_edges "
                  "WHERE graph_id = $1 ORDER BY id",
                  "i", gid);
        if (rc < 0)
                return rc;
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
                void *wkb = NULL;
                size_t len = 0;
                wkb = pg_col_bytea(r, i, 5, &len);
                rc = wkb ? 0 : -ENOMEM;
                if (rc == 0)
                        route_cache_edge(c, pg_col_i64(r, i, 0), pg_col_i64(r, i, 1),
                                         pg_col_i64(r, i, 2), pg_col_double(r, i, 3),
                                         pg_col_null(r, i, 4) ? NULL : PQgetvalue(r, i, 4), wkb,
                                         len);
                free(wkb);
        }
        PQclear(r);
        return rc;
}

static int src_hazard_stamp(void *ctx, enum store_hazard h, char **stamp)
{
        PGresult *r = NULL;
        int rc = pg_q(ctx, &r,
                      "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM "
                      "hazard_layers WHERE active = 1 AND hazard = $1",
                      "t", store_hazard_name(h));
        if (rc < 0)
                return rc;
        *stamp = strdup(PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
        return *stamp ? 0 : -ENOMEM;
}

static int src_hazard_edges(void *ctx, int64_t gid, enum store_hazard h, struct route_cache *c)
{
        PGresult *r = NULL;
        int rc = pg_q(ctx, &r,
                      "SELECT DISTINCT e.id FROM hazard_layers l JOIN hazard_features f ON "
                      "f.layer_id = l.id JOIN road_edges e ON e.geom && f.geom AND "
                      "ST_Intersects(e.geom, f.geom) WHERE l.active = 1 AND l.hazard = $1 AND "
                      "e.graph_id = $2",
                      "ti", store_hazard_name(h), gid);
        if (rc < 0)
                return rc;
        for (int i = 0; i < PQntuples(r); i++)
                route_cache_mark(c, pg_col_i64(r, i, 0));
        PQclear(r);
        return 0;
}

static int src_nodes_in(void *ctx, int64_t gid, const double box[4], struct route_cache *c)
{
        PGresult *r = NULL;
        int rc = pg_q(ctx, &r,
                      "SELECT id, lon, lat FROM road_nodes WHERE geom && ST_MakeEnvelope($1, $2, "
                      "$3, $4, 6668) AND graph_id = $5",
                      "ddddi", box[0], box[1], box[2], box[3], gid);
        if (rc < 0)
                return rc;
        for (int i = 0; i < PQntuples(r); i++)
                route_cache_candidate(c, pg_col_i64(r, i, 0), pg_col_double(r, i, 1),
                                      pg_col_double(r, i, 2));
        PQclear(r);
        return 0;
}

static const struct route_source pg_route_source = {
    .active = src_active,
    .load = src_load,
    .hazard_stamp = src_hazard_stamp,
    .hazard_edges = src_hazard_edges,
    .nodes_in = src_nodes_in,
};

void pg_route_cache_free(struct pg *b)
{
        route_cache_free(b->route_cache);
        b->route_cache = NULL;
}

int pg_geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
                 const struct geo_route_opts *o, struct geo_route *out)
{
        struct pg *b = PG(st);
        return route_cache_route(&b->route_cache, &pg_route_source, b, lon, lat, to_lon, to_lat, o,
                                 out);
}
