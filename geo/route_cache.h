/* The half of geo_route() that belongs to no backend: a store handle's
 * copy of the active road graph in memory, its connected parts, the
 * edges each hazard's polygons touch, snapping a point to the nearest
 * node, and the answer (A*, the line, the words).  Internal to geo/: a
 * backend supplies the SQL as the callbacks of struct route_source and
 * keeps one struct route_cache per handle. */
#ifndef SONAE_ROUTE_CACHE_H
#define SONAE_ROUTE_CACHE_H

#include "geo.h"

#include <stddef.h>
#include <stdint.h>

struct route_cache;

/* What a backend reads for routes.  ctx is the backend's handle; each
 * callback returns 0 or a negative store code. */
struct route_source {
        /* The active graph's id and version (-ENOENT without one). */
        int (*active)(void *ctx, int64_t *graph_id, char version[65]);
        /* Every node of the graph, ids ascending, through route_cache_node(),
         * then every edge, ids ascending, through route_cache_edge(). */
        int (*load)(void *ctx, int64_t graph_id, struct route_cache *c);
        /* A text naming the active editions of hazard h, which changes when
         * they change; "" without any.  *stamp is the caller's to free. */
        int (*hazard_stamp)(void *ctx, enum store_hazard h, char **stamp);
        /* Every edge of the graph touching an active polygon of hazard h,
         * through route_cache_mark() (an edge may come more than once). */
        int (*hazard_edges)(void *ctx, int64_t graph_id, enum store_hazard h,
                            struct route_cache *c);
        /* At least every node of the graph inside the box (lon0, lat0, lon1,
         * lat1), through route_cache_candidate(). */
        int (*nodes_in)(void *ctx, int64_t graph_id, const double box[4], struct route_cache *c);
};

/* For the callbacks.  name may be NULL; wkb is a little-endian WKB
 * LineString from node a to node b (borrowed).  A malformed one fails the
 * load with -EBADMSG. */
void route_cache_node(struct route_cache *c, int64_t id, double lon, double lat, const char *name);
void route_cache_edge(struct route_cache *c, int64_t id, int64_t a, int64_t b, double len_m,
                      const char *name, const unsigned char *wkb, size_t wkb_len);
void route_cache_mark(struct route_cache *c, int64_t edge_id);
void route_cache_candidate(struct route_cache *c, int64_t node_id, double lon, double lat);

/* geo_route() over the backend's source, with *cache (NULL at first)
 * read again when another graph is active.  Answers as geo_route(). */
int route_cache_route(struct route_cache **cache, const struct route_source *src, void *ctx,
                      double lon, double lat, double to_lon, double to_lat,
                      const struct geo_route_opts *o, struct geo_route *out);
/* Accepts NULL. */
void route_cache_free(struct route_cache *c);

#endif
