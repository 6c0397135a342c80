/* The store: road networks for walking routes (versioned graphs) and the
 * vector tiles of the map layers (versioned sets).  Conventions as in
 * store.h; coordinates EPSG:6668, longitude first. */
#ifndef SONAE_STORE_ROADS_H
#define SONAE_STORE_ROADS_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Road graphs --------------------------------------------------------- */

struct store_road_graph {
        int64_t id;
        const char *name;        /* "roads" */
        const char *version;     /* edition */
        const char *source;      /* osm | lines */
        const char *attribution; /* "© OpenStreetMap contributors" */
        bool active;
        int64_t imported_at;
        int64_t n_nodes, n_edges; /* filled by activate and the list */
};
/* Creates an inactive graph (-EEXIST for an existing name+version). */
int store_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id);
/* Adds one node with its landmark name (a named crossing; may be NULL);
 * *id gets its id for the edges. */
int store_road_node_add(struct store *st, int64_t graph_id, double lon, double lat,
                        const char *name, int64_t *id);
struct store_road_edge {
        int64_t a, b; /* node ids of the same graph, a != b */
        double length_m;
        const char *name;     /* street name, or NULL */
        const char *kind;     /* "residential", "footway", ... or NULL */
        const double *coords; /* lon, lat pairs from a to b (borrowed) */
        size_t n_coords;      /* points, at least 2 */
};
/* Adds edges to a graph (all or nothing). */
int store_road_edges_add(struct store *st, int64_t graph_id, const struct store_road_edge *e,
                         size_t n);
/* Counts the graph's nodes and edges and makes it the active one, in one
 * transaction; the graphs made inactive are removed with their nodes and
 * edges (a network is large and an old one is never routed on). */
int store_road_graph_activate(struct store *st, int64_t graph_id);
struct store_road_graph_list {
        struct store_road_graph *v; /* strings owned by the list */
        size_t n;
};
int store_road_graphs_list(struct store *st, struct store_road_graph_list *out);
void store_road_graph_list_free(struct store_road_graph_list *l);

/* ---- Vector tiles -------------------------------------------------------- */

/* Calls cb for every polygon of a store layer that has tiles of its own
 * ("areas" or "districts"): code, name, kind and the geometry as WKB (all
 * borrowed for the call).  A negative return of cb stops and is returned. */
typedef int (*store_polygon_cb)(void *ctx, const char *code, const char *name, const char *kind,
                                const unsigned char *wkb, size_t len);
int store_layer_polygons(struct store *st, const char *layer, store_polygon_cb cb, void *ctx);

/* Creates an inactive tile set of a layer ([A-Za-z0-9_-], 1-64 bytes) and
 * version (-EEXIST for an existing pair). */
int store_tile_set_create(struct store *st, const char *layer, const char *version, int min_zoom,
                          int max_zoom, int64_t *id);
/* Stores one tile (1 byte to 4 MiB of MVT) of a set. */
int store_tile_put(struct store *st, int64_t set_id, int z, int x, int y, const void *data,
                   size_t len);
/* Makes the set the active one of its layer and removes the layer's other
 * sets, in one transaction: old tiles are never served again. */
int store_tile_set_activate(struct store *st, int64_t set_id);
/* The active version of a layer (-ENOENT without one). */
int store_tile_version(struct store *st, const char *layer, char version[65]);
/* One tile of the active set of a layer: *data (caller frees) and its
 * version; -ENOENT for a layer without tiles or a tile not made (empty or
 * outside the set's zooms). */
int store_tile_get(struct store *st, const char *layer, int z, int x, int y, void **data,
                   size_t *len, char version[65]);

/* ---- Tiles cut by the backend ------------------------------------------ */

/* True when the backend cuts a set's tiles itself from its features
 * (PostGIS: ST_AsMVT).  Otherwise (SpatiaLite) the importer cuts them with
 * GDAL and stores each with store_tile_put(). */
bool store_tiles_cut_by_backend(struct store *st);
struct store_tile_feature {
        const unsigned char *wkb; /* EPSG:6668, as OGR_G_ExportToWkb writes it */
        size_t wkb_len;
        const char *const *values; /* one per field; NULL leaves it unset */
};
/* Adds features with the string attributes fields[0..n_fields) (1-8 names
 * of [a-z_], 1-32 bytes) to a set not yet cut.  Only inside the caller's
 * transaction (-EINVAL outside one): the features are kept until it ends. */
int store_tile_features_add(struct store *st, int64_t set_id, const char *const *fields,
                            size_t n_fields, const struct store_tile_feature *f, size_t n);
/* Cuts the set's tiles from the features added in this transaction: every
 * tile of the set's zooms that holds one (XYZ, EPSG:3857, extent 4096,
 * buffer 80, each zoom simplified to a tile unit), the MVT layer named as
 * the set's layer; *n gets their count.  In the caller's transaction. */
int store_tile_set_cut(struct store *st, int64_t set_id, size_t *n);

#endif
