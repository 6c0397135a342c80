/* Walking routes over a road graph held in memory: A* with a great-circle
 * heuristic, per-query edge penalties (the hazard's polygons), and the
 * route told in Japanese words.  Internal to geo/: the backends load the
 * graph from the store and call these; geo/geo.h is the public face. */
#ifndef SONAE_ROUTE_H
#define SONAE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTE_NONE UINT32_MAX

/* An undirected graph in compressed adjacency form.  Every array is owned
 * by the graph (route_graph_free). */
struct route_graph {
        size_t n_nodes, n_edges;
        int64_t *node_id; /* sorted ascending: route_node_index() bisects */
        double *lon, *lat;
        uint32_t *nname;    /* index into names of each node's landmark, or ROUTE_NONE */
        uint32_t *adj_off;  /* n_nodes + 1 */
        uint32_t *adj_edge; /* 2 * n_edges: edges at each node */
        uint32_t *ea, *eb;  /* node indexes of each edge's ends */
        double *elen;       /* metres */
        uint32_t *ename;    /* index into names, or ROUTE_NONE */
        char **names;
        size_t n_names;
        uint32_t *geo_off; /* n_edges + 1: each edge's points in geo_xy */
        double *geo_xy;    /* lon, lat pairs from a to b */
        /* Scratch of the search, reused between queries (one thread). */
        double *dist;
        uint32_t *prev_edge, *stamp, *heap, *heap_pos;
        uint32_t gen;
        uint32_t *cstamp; /* the wet part around the destination */
        uint32_t cgen;
};

/* Building: add nodes (ids ascending), then edges, then finish. */
struct route_builder {
        struct route_graph *g;
        size_t cap_nodes, cap_edges, cap_xy, cap_names;
        int err;
};
int route_builder_init(struct route_builder *b);
/* name: the crossing's landmark name, or NULL. */
void route_builder_node(struct route_builder *b, int64_t id, double lon, double lat,
                        const char *name);
/* xy: n lon/lat pairs from node a to node b. */
void route_builder_edge(struct route_builder *b, int64_t a, int64_t b_id, double len_m,
                        const char *name, const double *xy, size_t n);
/* The finished graph (caller frees), or NULL with the first error. */
struct route_graph *route_builder_finish(struct route_builder *b, int *err);
void route_graph_free(struct route_graph *g);

/* The index of a node id, or ROUTE_NONE. */
uint32_t route_node_index(const struct route_graph *g, int64_t id);
/* The nearest node to a point by a scan (for tests and graphs without a
 * spatial index); *d_m its distance. */
uint32_t route_nearest_node(const struct route_graph *g, double lon, double lat, double *d_m);

/* The cheapest path from node `from` to node `to`: an edge costs its
 * length, times (1 + penalty) when penal[edge] is set (penal may be NULL),
 * plus ROUTE_TURN_M when entering it turns.
 * *edges (caller frees) lists the path's edges in order; *n may be 0 when
 * from == to.  -ENOENT when `to` cannot be reached. */
#define ROUTE_PENALTY 1000.0
/* Added per turn of more than 45 degrees: breaks ties between ways of the
 * same length for the one with fewer turns. */
#define ROUTE_TURN_M 0.5
int route_astar(struct route_graph *g, uint32_t from, uint32_t to, const uint8_t *penal,
                uint32_t **edges, size_t *n);

/* The path as a line: *xy (caller frees) gets *n lon/lat pairs from `from`
 * on; *len_m the length, *penal_m the length on penalised edges. */
int route_path_line(const struct route_graph *g, uint32_t from, const uint32_t *edges, size_t n,
                    const uint8_t *penal, double **xy, size_t *n_xy, double *len_m,
                    double *penal_m);

/* Distance in metres between two points on a sphere of the GRS80 mean
 * radius, and the initial bearing 0-360 from north. */
double route_haversine_m(double lon1, double lat1, double lon2, double lat2);
double route_bearing_deg(double lon1, double lat1, double lon2, double lat2);

/* A distance as people say it: 「約250m」「約1.2km」 (into buf). */
void route_words_distance(double m, char *buf, size_t len);
/* 16-point compass names are too fine for speech: 8 points, 「北」「北東」… */
const char *route_words_compass(double bearing_deg);

struct route_words_in {
        const struct route_graph *g;
        uint32_t from;
        const uint32_t *edges;
        size_t n;
        double speed_m_s;
        const char *to_name;   /* the destination, or NULL */
        const char *hazard_ja; /* 「浸水想定区域」, or NULL */
        bool through_hazard;   /* no way around: say so */
        double snap_from_m;    /* from the point to the first node */
        double snap_to_m;      /* from the last node to the destination */
};
/* The route in Japanese: heading and distance of the first stretch, each
 * turn (「右折」「左折」「斜め右」…) with the street it enters when named,
 * and the arrival with the total distance and walking time.  Returns a
 * string the caller frees, or NULL on ENOMEM. */
char *route_words_ja(const struct route_words_in *in);

#endif
