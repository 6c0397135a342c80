/* Routes over a handle's copy of the active road graph: what both backends
 * share (geo/route_cache.h).  The graph is read once per handle and again
 * when another graph becomes active; the edges touching a hazard's
 * polygons are found once per set of active editions and cost
 * ROUTE_PENALTY times more in that hazard's queries. */
#include "route_cache.h"

#include "route.h"
#include "store_backend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct route_cache {
        int64_t graph_id;
        char *version;
        struct route_graph *g;
        int64_t *edge_id; /* store id of each edge, ascending */
        size_t n_ids, cap_ids;
        uint32_t *comp; /* component of each node */
        uint32_t main_comp;
        /* Per hazard: the edges touching its active polygons, and which
         * editions they were computed from. */
        char *hz_stamp[HAZARD_COUNT];
        uint8_t *hz_penal[HAZARD_COUNT];
        /* While loading: the builder and the first error. */
        struct route_builder rb;
        int err;
        /* While marking a hazard's edges. */
        uint8_t *mark;
        /* While snapping: the point and the nearest node of the main
         * component so far. */
        double snap_lon, snap_lat, best_d;
        uint32_t best;
};

void route_cache_free(struct route_cache *c)
{
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
}

void route_cache_node(struct route_cache *c, int64_t id, double lon, double lat, const char *name)
{
        route_builder_node(&c->rb, id, lon, lat, name);
}

void route_cache_edge(struct route_cache *c, int64_t id, int64_t a, int64_t b, double len_m,
                      const char *name, const unsigned char *w, size_t wl)
{
        if (c->err)
                return;
        uint32_t type = 0, cnt = 0;
        if (w && wl >= 9) {
                memcpy(&type, w + 1, 4);
                memcpy(&cnt, w + 5, 4);
        }
        if (!w || wl < 9 || w[0] != 1 || type != 2 || cnt < 2 || wl != 9 + (size_t)cnt * 16) {
                c->err = -EBADMSG;
                return;
        }
        /* The WKB's doubles need not be aligned. */
        double *xy = malloc((size_t)cnt * 16);
        if (!xy) {
                c->err = -ENOMEM;
                return;
        }
        memcpy(xy, w + 9, (size_t)cnt * 16);
        route_builder_edge(&c->rb, a, b, len_m, name, xy, cnt);
        free(xy);
        if (c->n_ids == c->cap_ids) {
                size_t nc = c->cap_ids ? c->cap_ids * 2 : 1024;
                int64_t *ni = realloc(c->edge_id, nc * sizeof(*ni));
                if (!ni) {
                        c->err = -ENOMEM;
                        return;
                }
                c->edge_id = ni;
                c->cap_ids = nc;
        }
        c->edge_id[c->n_ids++] = id;
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

static int load_graph(struct route_cache **cache, const struct route_source *src, void *ctx,
                      int64_t gid, const char *version)
{
        route_cache_free(*cache);
        *cache = NULL;
        struct route_cache *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->graph_id = gid;
        c->version = strdup(version);
        int rc = route_builder_init(&c->rb);
        if (rc < 0 || !c->version) {
                route_cache_free(c);
                return -ENOMEM;
        }
        rc = src->load(ctx, gid, c);
        if (rc == 0)
                rc = c->err;
        int err = 0;
        c->g = route_builder_finish(&c->rb, &err);
        if (rc == 0)
                rc = err;
        if (rc == 0 && c->n_ids != c->g->n_edges)
                rc = -EBADMSG;
        if (rc == 0)
                rc = components(c);
        if (rc < 0) {
                route_cache_free(c);
                return rc;
        }
        *cache = c;
        return 0;
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

void route_cache_mark(struct route_cache *c, int64_t edge_id)
{
        uint32_t e = c->mark ? edge_index(c, edge_id) : ROUTE_NONE;
        if (e != ROUTE_NONE)
                c->mark[e] = 1;
}

/* The edges touching the active polygons of hazard h, computed again when
 * its active editions change; *out NULL without any. */
static int hazard_penal(struct route_cache *c, const struct route_source *src, void *ctx,
                        enum store_hazard h, const uint8_t **out)
{
        char *stamp = NULL;
        *out = NULL;
        int rc = src->hazard_stamp(ctx, h, &stamp);
        if (rc < 0)
                return rc;
        if (!stamp || !stamp[0]) {
                free(stamp);
                return 0; /* no polygons of this hazard */
        }
        if (c->hz_stamp[h] && strcmp(c->hz_stamp[h], stamp) == 0) {
                free(stamp);
                *out = c->hz_penal[h];
                return 0;
        }
        free(c->hz_stamp[h]);
        free(c->hz_penal[h]);
        c->hz_stamp[h] = NULL;
        c->hz_penal[h] = NULL;
        c->mark = calloc(c->g->n_edges, 1);
        if (!c->mark) {
                free(stamp);
                return -ENOMEM;
        }
        rc = src->hazard_edges(ctx, c->graph_id, h, c);
        if (rc < 0) {
                free(c->mark);
                free(stamp);
        } else {
                c->hz_penal[h] = c->mark;
                c->hz_stamp[h] = stamp;
                *out = c->mark;
        }
        c->mark = NULL;
        return rc;
}

void route_cache_candidate(struct route_cache *c, int64_t node_id, double lon, double lat)
{
        uint32_t i = route_node_index(c->g, node_id);
        if (i == ROUTE_NONE || c->comp[i] != c->main_comp)
                return;
        double d = route_haversine_m(c->snap_lon, c->snap_lat, lon, lat);
        if (d < c->best_d) {
                c->best_d = d;
                c->best = i;
        }
}

/* The nearest node of the main component within GEO_ROUTE_SNAP_MAX_M:
 * boxes of growing size until one holds a node within its inscribed
 * circle, which is then the nearest. */
static int snap(struct route_cache *c, const struct route_source *src, void *ctx, double lon,
                double lat, uint32_t *node, double *d_m)
{
        double coslat = cos(lat * M_PI / 180.0);
        for (double r_m = 100.0;; r_m *= 2) {
                double dlat = r_m / 110000.0, dlon = r_m / (111320.0 * coslat);
                double box[4] = {lon - dlon, lat - dlat, lon + dlon, lat + dlat};
                c->snap_lon = lon;
                c->snap_lat = lat;
                c->best = ROUTE_NONE;
                c->best_d = INFINITY;
                int rc = src->nodes_in(ctx, c->graph_id, box, c);
                if (rc < 0)
                        return rc;
                if (c->best != ROUTE_NONE && (c->best_d <= r_m || r_m >= GEO_ROUTE_SNAP_MAX_M)) {
                        if (c->best_d > GEO_ROUTE_SNAP_MAX_M)
                                return -ENOENT;
                        *node = c->best;
                        *d_m = c->best_d;
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

int route_cache_route(struct route_cache **cache, const struct route_source *src, void *ctx,
                      double lon, double lat, double to_lon, double to_lat,
                      const struct geo_route_opts *o, struct geo_route *out)
{
        static const struct geo_route_opts none;
        if (!o)
                o = &none;
        double speed = o->speed_m_s == 0 ? GEO_WALK_SPEED_DEFAULT : o->speed_m_s;
        if (!store_road_lonlat_ok(lon, lat) || !store_road_lonlat_ok(to_lon, to_lat) ||
            !(speed >= 0.1 && speed <= 3.0) ||
            (o->avoid && ((int)o->hazard < 0 || o->hazard >= HAZARD_COUNT)))
                return -EINVAL;
        int64_t gid = 0;
        char version[65] = "";
        int rc = src->active(ctx, &gid, version);
        if (rc < 0)
                return rc == -ENOENT ? -ENODATA : rc;
        if (!*cache || (*cache)->graph_id != gid) {
                rc = load_graph(cache, src, ctx, gid, version);
                if (rc < 0)
                        return rc;
        }
        struct route_cache *c = *cache;
        const uint8_t *penal = NULL;
        if (o->avoid && (rc = hazard_penal(c, src, ctx, o->hazard, &penal)) < 0)
                return rc;
        uint32_t from, to;
        double d_from = 0, d_to = 0;
        if ((rc = snap(c, src, ctx, lon, lat, &from, &d_from)) < 0 ||
            (rc = snap(c, src, ctx, to_lon, to_lat, &to, &d_to)) < 0)
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
        out->graph_version = strdup(c->version);
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
