/* Walking routes: the graph in memory, A*, and the route in words. */
#include "route.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)
/* Mean radius of GRS80 (IUGG R1). */
#define EARTH_R 6371008.8

double route_haversine_m(double lon1, double lat1, double lon2, double lat2)
{
        double p1 = lat1 * DEG, p2 = lat2 * DEG;
        double dp = p2 - p1, dl = (lon2 - lon1) * DEG;
        double s = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
        return 2 * EARTH_R * asin(sqrt(s < 1 ? s : 1));
}

double route_bearing_deg(double lon1, double lat1, double lon2, double lat2)
{
        double p1 = lat1 * DEG, p2 = lat2 * DEG, dl = (lon2 - lon1) * DEG;
        double y = sin(dl) * cos(p2);
        double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
        double b = atan2(y, x) / DEG;
        return b < 0 ? b + 360.0 : b;
}

/* ---- Building ------------------------------------------------------------ */

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
        if (need <= *cap)
                return true;
        size_t nc = *cap ? *cap : 256;
        while (nc < need)
                nc *= 2;
        void *np = realloc(*p, nc * elem);
        if (!np)
                return false;
        *p = np;
        *cap = nc;
        return true;
}

int route_builder_init(struct route_builder *b)
{
        memset(b, 0, sizeof(*b));
        b->g = calloc(1, sizeof(*b->g));
        return b->g ? 0 : -ENOMEM;
}

static uint32_t name_index(struct route_builder *b, const char *name);

void route_builder_node(struct route_builder *b, int64_t id, double lon, double lat,
                        const char *name)
{
        struct route_graph *g = b->g;
        if (b->err)
                return;
        if (g->n_nodes && id <= g->node_id[g->n_nodes - 1]) {
                b->err = -EINVAL; /* ids must ascend */
                return;
        }
        size_t c = b->cap_nodes;
        bool ok = grow((void **)&g->node_id, &c, g->n_nodes + 1, sizeof(int64_t));
        c = b->cap_nodes;
        ok = ok && grow((void **)&g->lon, &c, g->n_nodes + 1, sizeof(double));
        c = b->cap_nodes;
        ok = ok && grow((void **)&g->lat, &c, g->n_nodes + 1, sizeof(double));
        c = b->cap_nodes;
        ok = ok && grow((void **)&g->nname, &c, g->n_nodes + 1, sizeof(uint32_t));
        if (!ok) {
                b->err = -ENOMEM;
                return;
        }
        b->cap_nodes = c;
        g->node_id[g->n_nodes] = id;
        g->lon[g->n_nodes] = lon;
        g->lat[g->n_nodes] = lat;
        g->nname[g->n_nodes] = name_index(b, name);
        g->n_nodes++;
}

uint32_t route_node_index(const struct route_graph *g, int64_t id)
{
        size_t lo = 0, hi = g->n_nodes;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (g->node_id[mid] < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < g->n_nodes && g->node_id[lo] == id ? (uint32_t)lo : ROUTE_NONE;
}

static uint32_t name_index(struct route_builder *b, const char *name)
{
        struct route_graph *g = b->g;
        if (!name || !name[0])
                return ROUTE_NONE;
        /* Names repeat along a street: the last few are checked first. */
        for (size_t i = g->n_names, k = 0; i > 0 && k < 64; i--, k++)
                if (strcmp(g->names[i - 1], name) == 0)
                        return (uint32_t)(i - 1);
        if (!grow((void **)&g->names, &b->cap_names, g->n_names + 1, sizeof(char *))) {
                b->err = -ENOMEM;
                return ROUTE_NONE;
        }
        g->names[g->n_names] = strdup(name);
        if (!g->names[g->n_names]) {
                b->err = -ENOMEM;
                return ROUTE_NONE;
        }
        return (uint32_t)g->n_names++;
}

void route_builder_edge(struct route_builder *b, int64_t a, int64_t b_id, double len_m,
                        const char *name, const double *xy, size_t n)
{
        struct route_graph *g = b->g;
        if (b->err)
                return;
        uint32_t ia = route_node_index(g, a), ib = route_node_index(g, b_id);
        if (ia == ROUTE_NONE || ib == ROUTE_NONE || n < 2 || !(len_m > 0)) {
                b->err = -EINVAL;
                return;
        }
        size_t ne = g->n_edges + 1, c;
        bool ok = true;
#define GROW_E(field, T)                                                                           \
        c = b->cap_edges;                                                                          \
        ok = ok && grow((void **)&g->field, &c, ne + 1, sizeof(T));
        GROW_E(ea, uint32_t)
        GROW_E(eb, uint32_t)
        GROW_E(elen, double)
        GROW_E(ename, uint32_t)
        GROW_E(geo_off, uint32_t)
#undef GROW_E
        if (!ok) {
                b->err = -ENOMEM;
                return;
        }
        b->cap_edges = c;
        size_t used = g->n_edges ? g->geo_off[g->n_edges] : 0;
        if (!grow((void **)&g->geo_xy, &b->cap_xy, (used + n) * 2, sizeof(double))) {
                b->err = -ENOMEM;
                return;
        }
        uint32_t e = (uint32_t)g->n_edges;
        g->ea[e] = ia;
        g->eb[e] = ib;
        g->elen[e] = len_m;
        g->ename[e] = name_index(b, name);
        g->geo_off[e] = (uint32_t)used;
        memcpy(g->geo_xy + used * 2, xy, n * 2 * sizeof(double));
        g->geo_off[e + 1] = (uint32_t)(used + n);
        g->n_edges++;
}

struct route_graph *route_builder_finish(struct route_builder *b, int *err)
{
        struct route_graph *g = b->g;
        b->g = NULL;
        if (!b->err && g->n_edges == 0)
                b->err = -ENODATA;
        if (!b->err) {
                size_t nn = g->n_nodes;
                g->adj_off = calloc(nn + 1, sizeof(uint32_t));
                g->adj_edge = malloc(2 * g->n_edges * sizeof(uint32_t));
                g->dist = malloc(nn * sizeof(double));
                g->prev_edge = malloc(nn * sizeof(uint32_t));
                g->cstamp = calloc(nn, sizeof(uint32_t));
                g->stamp = calloc(nn, sizeof(uint32_t));
                g->heap = malloc(nn * sizeof(uint32_t));
                g->heap_pos = malloc(nn * sizeof(uint32_t));
                if (!g->adj_off || !g->adj_edge || !g->dist || !g->prev_edge || !g->stamp ||
                    !g->cstamp || !g->heap || !g->heap_pos)
                        b->err = -ENOMEM;
        }
        if (b->err) {
                *err = b->err;
                route_graph_free(g);
                return NULL;
        }
        for (size_t e = 0; e < g->n_edges; e++) {
                g->adj_off[g->ea[e] + 1]++;
                g->adj_off[g->eb[e] + 1]++;
        }
        for (size_t i = 0; i < g->n_nodes; i++)
                g->adj_off[i + 1] += g->adj_off[i];
        uint32_t *fill = calloc(g->n_nodes, sizeof(uint32_t));
        if (!fill) {
                *err = -ENOMEM;
                route_graph_free(g);
                return NULL;
        }
        for (size_t e = 0; e < g->n_edges; e++) {
                g->adj_edge[g->adj_off[g->ea[e]] + fill[g->ea[e]]++] = (uint32_t)e;
                g->adj_edge[g->adj_off[g->eb[e]] + fill[g->eb[e]]++] = (uint32_t)e;
        }
        free(fill);
        *err = 0;
        return g;
}

void route_graph_free(struct route_graph *g)
{
        if (!g)
                return;
        for (size_t i = 0; i < g->n_names; i++)
                free(g->names[i]);
        free(g->names);
        free(g->node_id);
        free(g->lon);
        free(g->lat);
        free(g->nname);
        free(g->adj_off);
        free(g->adj_edge);
        free(g->ea);
        free(g->eb);
        free(g->elen);
        free(g->ename);
        free(g->geo_off);
        free(g->geo_xy);
        free(g->dist);
        free(g->prev_edge);
        free(g->stamp);
        free(g->cstamp);
        free(g->heap);
        free(g->heap_pos);
        free(g);
}

uint32_t route_nearest_node(const struct route_graph *g, double lon, double lat, double *d_m)
{
        uint32_t best = ROUTE_NONE;
        double bd = INFINITY;
        for (size_t i = 0; i < g->n_nodes; i++) {
                if (g->adj_off[i] == g->adj_off[i + 1])
                        continue;
                double d = route_haversine_m(lon, lat, g->lon[i], g->lat[i]);
                if (d < bd) {
                        bd = d;
                        best = (uint32_t)i;
                }
        }
        if (d_m)
                *d_m = bd;
        return best;
}

/* ---- A* -------------------------------------------------------------------- */

/* A binary heap of node indexes ordered by key[] (the f values). */
struct heap {
        uint32_t *v, *pos;
        const double *key;
        size_t n;
};

static void heap_swap(struct heap *h, size_t i, size_t j)
{
        uint32_t t = h->v[i];
        h->v[i] = h->v[j];
        h->v[j] = t;
        h->pos[h->v[i]] = (uint32_t)i;
        h->pos[h->v[j]] = (uint32_t)j;
}

static void heap_up(struct heap *h, size_t i)
{
        while (i > 0) {
                size_t p = (i - 1) / 2;
                if (h->key[h->v[p]] <= h->key[h->v[i]])
                        break;
                heap_swap(h, i, p);
                i = p;
        }
}

static void heap_down(struct heap *h, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < h->n && h->key[h->v[l]] < h->key[h->v[m]])
                        m = l;
                if (r < h->n && h->key[h->v[r]] < h->key[h->v[m]])
                        m = r;
                if (m == i)
                        break;
                heap_swap(h, i, m);
                i = m;
        }
}

static uint32_t heap_pop(struct heap *h)
{
        uint32_t top = h->v[0];
        h->n--;
        if (h->n) {
                h->v[0] = h->v[h->n];
                h->pos[h->v[0]] = 0;
                heap_down(h, 0);
        }
        h->pos[top] = ROUTE_NONE;
        return top;
}

/* Whether walking edge pe into node u and then edge e turns by more than
 * 45 degrees (kx: cos of u's latitude, for a local plane). */
static bool turns_at(const struct route_graph *g, uint32_t pe, uint32_t u, uint32_t e, double kx)
{
        const double *xy = g->geo_xy;
        size_t o = g->geo_off[pe], c = g->geo_off[pe + 1] - o;
        size_t a0 = g->eb[pe] == u ? o + c - 2 : o + 1, a1 = g->eb[pe] == u ? o + c - 1 : o;
        o = g->geo_off[e];
        c = g->geo_off[e + 1] - o;
        size_t b0 = g->ea[e] == u ? o : o + c - 1, b1 = g->ea[e] == u ? o + 1 : o + c - 2;
        double ax = (xy[2 * a1] - xy[2 * a0]) * kx, ay = xy[2 * a1 + 1] - xy[2 * a0 + 1];
        double bx = (xy[2 * b1] - xy[2 * b0]) * kx, by = xy[2 * b1 + 1] - xy[2 * b0 + 1];
        double dot = ax * bx + ay * by, nn = sqrt((ax * ax + ay * ay) * (bx * bx + by * by));
        return nn > 0 && dot < 0.7071 * nn;
}

/* The least wet metres of any way from `to` out of the wet part around it:
 * C, the nodes reached from `to` over penalised edges, marked in cstamp
 * with cgen.  Every way into `to` from a node outside C has at least these
 * wet metres, so A* may add ROUTE_PENALTY times them to its estimate there
 * (without it, a shelter inside the hazard makes the search read most of
 * the graph before it pays for the unavoidable water).  0 when `to` is
 * dry. */
static int wet_bound(struct route_graph *g, uint32_t to, const uint8_t *penal, double *w)
{
        *w = 0;
        if (++g->cgen == 0) {
                memset(g->cstamp, 0, g->n_nodes * sizeof(uint32_t));
                g->cgen = 1;
        }
        uint32_t cg = g->cgen;
        size_t cap = 64, n = 0;
        uint32_t *cn = malloc(cap * sizeof(uint32_t));
        if (!cn)
                return -ENOMEM;
        cn[n++] = to;
        g->cstamp[to] = cg;
        for (size_t i = 0; i < n; i++) {
                uint32_t u = cn[i];
                for (uint32_t k = g->adj_off[u]; k < g->adj_off[u + 1]; k++) {
                        uint32_t e = g->adj_edge[k];
                        uint32_t v = g->ea[e] == u ? g->eb[e] : g->ea[e];
                        if (!penal[e] || g->cstamp[v] == cg)
                                continue;
                        if (n == cap) {
                                uint32_t *nc = realloc(cn, 2 * cap * sizeof(uint32_t));
                                if (!nc) {
                                        free(cn);
                                        return -ENOMEM;
                                }
                                cn = nc;
                                cap *= 2;
                        }
                        g->cstamp[v] = cg;
                        cn[n++] = v;
                }
        }
        if (n == 1) {
                free(cn);
                return 0;
        }
        /* Dijkstra inside C, wet edges at their length and dry ones free,
         * to the first node with a neighbour outside C.  prev_edge holds
         * each C node's local index meanwhile (A* sets it anew). */
        for (size_t i = 0; i < n; i++)
                g->prev_edge[cn[i]] = (uint32_t)i;
        double *d = malloc(n * sizeof(double));
        uint32_t *hv = malloc(n * sizeof(uint32_t)), *hp = malloc(n * sizeof(uint32_t));
        if (!d || !hv || !hp) {
                free(cn);
                free(d);
                free(hv);
                free(hp);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                d[i] = INFINITY;
                hp[i] = ROUTE_NONE;
        }
        struct heap h = {.v = hv, .pos = hp, .key = d};
        d[0] = 0;
        hv[0] = 0;
        hp[0] = 0;
        h.n = 1;
        while (h.n) {
                uint32_t i = heap_pop(&h);
                uint32_t u = cn[i];
                bool edge_of_c = false;
                for (uint32_t k = g->adj_off[u]; k < g->adj_off[u + 1]; k++) {
                        uint32_t e = g->adj_edge[k];
                        uint32_t v = g->ea[e] == u ? g->eb[e] : g->ea[e];
                        if (g->cstamp[v] != cg) {
                                edge_of_c = true;
                                break;
                        }
                        uint32_t j = g->prev_edge[v];
                        double nd = d[i] + (penal[e] ? g->elen[e] : 0);
                        if (nd >= d[j])
                                continue;
                        if (d[j] == INFINITY) {
                                d[j] = nd;
                                hv[h.n] = j;
                                hp[j] = (uint32_t)h.n;
                                heap_up(&h, h.n++);
                        } else if (hp[j] != ROUTE_NONE) {
                                d[j] = nd;
                                heap_up(&h, hp[j]);
                        }
                }
                if (edge_of_c) {
                        *w = d[i];
                        break;
                }
        }
        free(cn);
        free(d);
        free(hv);
        free(hp);
        return 0;
}

int route_astar(struct route_graph *g, uint32_t from, uint32_t to, const uint8_t *penal,
                uint32_t **edges, size_t *n)
{
        *edges = NULL;
        *n = 0;
        if (from >= g->n_nodes || to >= g->n_nodes)
                return -EINVAL;
        if (from == to)
                return 0;
        double wet_to = 0;
        int rc = penal ? wet_bound(g, to, penal, &wet_to) : 0;
        if (rc < 0)
                return rc;
        /* Outside the wet part around `to`, every way pays at least this. */
        double wet_extra = ROUTE_PENALTY * wet_to * 0.999;
        uint32_t cg = g->cgen;
        /* Stamps spare clearing the arrays per query; on wrap-around they
         * are cleared once. */
        if (++g->gen == 0) {
                memset(g->stamp, 0, g->n_nodes * sizeof(uint32_t));
                g->gen = 1;
        }
        uint32_t gen = g->gen;
        /* f = g + h; key holds f, dist holds g.  The heuristic is the
         * great-circle distance, shrunk a little so that it never exceeds
         * an edge length measured on the ellipsoid. */
        double *fkey = malloc(g->n_nodes * sizeof(double));
        if (!fkey)
                return -ENOMEM;
        struct heap h = {.v = g->heap, .pos = g->heap_pos, .key = fkey};
        double tlon = g->lon[to], tlat = g->lat[to];
        g->stamp[from] = gen;
        g->dist[from] = 0;
        g->prev_edge[from] = ROUTE_NONE;
        fkey[from] = 0.995 * route_haversine_m(g->lon[from], g->lat[from], tlon, tlat) +
                     (g->cstamp[from] == cg ? 0 : wet_extra);
        h.v[0] = from;
        h.pos[from] = 0;
        h.n = 1;
        bool found = false;
        while (h.n) {
                uint32_t u = heap_pop(&h);
                if (u == to) {
                        found = true;
                        break;
                }
                double du = g->dist[u];
                uint32_t pe = g->prev_edge[u];
                double kx = cos(g->lat[u] * DEG);
                for (uint32_t k = g->adj_off[u]; k < g->adj_off[u + 1]; k++) {
                        uint32_t e = g->adj_edge[k];
                        uint32_t v = g->ea[e] == u ? g->eb[e] : g->ea[e];
                        double c = g->elen[e];
                        if (penal && penal[e])
                                c *= 1.0 + ROUTE_PENALTY;
                        /* Half a metre per turn: of ways about as long, the
                         * one with fewer turns, easier to tell and to walk. */
                        if (pe != ROUTE_NONE && pe != e && turns_at(g, pe, u, e, kx))
                                c += ROUTE_TURN_M;
                        double dv = du + c;
                        if (g->stamp[v] != gen) {
                                g->stamp[v] = gen;
                                g->dist[v] = dv;
                                g->prev_edge[v] = e;
                                fkey[v] =
                                    dv +
                                    0.995 * route_haversine_m(g->lon[v], g->lat[v], tlon, tlat) +
                                    (g->cstamp[v] == cg ? 0 : wet_extra);
                                h.v[h.n] = v;
                                h.pos[v] = (uint32_t)h.n;
                                heap_up(&h, h.n++);
                        } else if (dv < g->dist[v]) {
                                fkey[v] -= g->dist[v] - dv;
                                g->dist[v] = dv;
                                g->prev_edge[v] = e;
                                if (h.pos[v] != ROUTE_NONE) {
                                        heap_up(&h, h.pos[v]);
                                } else {
                                        /* The estimate with the wet bound
                                         * is not consistent at the edge of
                                         * the wet part: a node closed too
                                         * early is opened again. */
                                        h.v[h.n] = v;
                                        h.pos[v] = (uint32_t)h.n;
                                        heap_up(&h, h.n++);
                                }
                        }
                }
        }
        /* Nodes left in the heap keep a position; the stamp makes them new
         * again for the next query. */
        for (size_t i = 0; i < h.n; i++)
                h.pos[h.v[i]] = ROUTE_NONE;
        free(fkey);
        if (!found)
                return -ENOENT;
        size_t len = 0;
        for (uint32_t v = to; v != from;) {
                uint32_t e = g->prev_edge[v];
                v = g->ea[e] == v ? g->eb[e] : g->ea[e];
                len++;
        }
        uint32_t *out = malloc(len * sizeof(uint32_t));
        if (!out)
                return -ENOMEM;
        size_t i = len;
        for (uint32_t v = to; v != from;) {
                uint32_t e = g->prev_edge[v];
                out[--i] = e;
                v = g->ea[e] == v ? g->eb[e] : g->ea[e];
        }
        *edges = out;
        *n = len;
        return 0;
}

/* The points of edge e walked from node `at`: the first index, the step
 * (+1 or -1) and the count. */
static void edge_walk(const struct route_graph *g, uint32_t e, uint32_t at, size_t *first,
                      int *step, size_t *count)
{
        size_t o = g->geo_off[e], c = g->geo_off[e + 1] - o;
        *count = c;
        if (g->ea[e] == at) {
                *first = o;
                *step = 1;
        } else {
                *first = o + c - 1;
                *step = -1;
        }
}

int route_path_line(const struct route_graph *g, uint32_t from, const uint32_t *edges, size_t n,
                    const uint8_t *penal, double **xy, size_t *n_xy, double *len_m, double *penal_m)
{
        size_t cap = 1;
        for (size_t i = 0; i < n; i++)
                cap += g->geo_off[edges[i] + 1] - g->geo_off[edges[i]];
        double *out = malloc(cap * 2 * sizeof(double));
        if (!out)
                return -ENOMEM;
        size_t k = 0;
        out[k++] = g->lon[from];
        out[k++] = g->lat[from];
        double len = 0, pl = 0;
        uint32_t at = from;
        for (size_t i = 0; i < n; i++) {
                uint32_t e = edges[i];
                size_t first, count;
                int step;
                edge_walk(g, e, at, &first, &step, &count);
                /* The first point is the node already written. */
                for (size_t j = 1; j < count; j++) {
                        size_t p = first + (size_t)((long)j * step);
                        out[k++] = g->geo_xy[2 * p];
                        out[k++] = g->geo_xy[2 * p + 1];
                }
                len += g->elen[e];
                if (penal && penal[e])
                        pl += g->elen[e];
                at = g->ea[e] == at ? g->eb[e] : g->ea[e];
        }
        *xy = out;
        *n_xy = k / 2;
        *len_m = len;
        *penal_m = pl;
        return 0;
}

/* ---- Words ----------------------------------------------------------------- */

void route_words_distance(double m, char *buf, size_t len)
{
        /* People hear round numbers: 10 m steps below 100 m, 50 m steps
         * below 1 km, then tenths of a kilometre. */
        if (m < 100) {
                long r = lround(m / 10.0) * 10;
                snprintf(buf, len, "約%ldm", r < 10 ? 10 : r);
        } else if (m < 1000) {
                long r = lround(m / 50.0) * 50;
                if (r >= 1000)
                        snprintf(buf, len, "約1.0km");
                else
                        snprintf(buf, len, "約%ldm", r);
        } else {
                snprintf(buf, len, "約%.1fkm", round(m / 100.0) / 10.0);
        }
}

const char *route_words_compass(double b)
{
        static const char *const names[8] = {"北", "北東", "東", "南東",
                                             "南", "南西", "西", "北西"};
        if (!isfinite(b))
                return "北";
        int i = (int)floor(fmod(b + 22.5 + 360.0, 360.0) / 45.0);
        return names[i & 7];
}

/* One stretch walked without turning along one street. */
struct leg {
        uint32_t name;
        uint32_t at; /* the node where it starts */
        double len;
        double b_start, b_end;
        double turn; /* -180..180 from the previous leg, right positive */
};

/* Bearings of the first and last segments of edge e walked from `at`. */
static void edge_bearings(const struct route_graph *g, uint32_t e, uint32_t at, double *b0,
                          double *b1)
{
        size_t first, count;
        int step;
        edge_walk(g, e, at, &first, &step, &count);
        const double *xy = g->geo_xy;
        size_t p0 = first, p1 = first + (size_t)((long)(count - 1) * step);
        size_t q0 = first + (size_t)step, q1 = p1 - (size_t)step;
        *b0 = route_bearing_deg(xy[2 * p0], xy[2 * p0 + 1], xy[2 * q0], xy[2 * q0 + 1]);
        *b1 = route_bearing_deg(xy[2 * q1], xy[2 * q1 + 1], xy[2 * p1], xy[2 * p1 + 1]);
}

static double angle_diff(double from, double to)
{
        double d = fmod(to - from + 540.0, 360.0) - 180.0;
        return d;
}

struct sbuf {
        char *s;
        size_t n, cap;
        bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
        if (b->oom)
                return;
        char tmp[512];
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (k < 0)
                return;
        size_t need = b->n + (size_t)k + 1;
        if (need > b->cap) {
                size_t nc = b->cap ? b->cap * 2 : 256;
                while (nc < need)
                        nc *= 2;
                char *ns = realloc(b->s, nc);
                if (!ns) {
                        b->oom = true;
                        return;
                }
                b->s = ns;
                b->cap = nc;
        }
        memcpy(b->s + b->n, tmp, (size_t)k + 1);
        b->n += (size_t)k;
}

/* Turns below this many degrees are walked as straight on. */
#define STRAIGHT_DEG 25.0

static const char *turn_words(double t)
{
        double a = fabs(t);
        if (a < STRAIGHT_DEG)
                return "そのまま直進して";
        if (a < 60)
                return t > 0 ? "斜め右に進んで" : "斜め左に進んで";
        if (a < 150)
                return t > 0 ? "右折して" : "左折して";
        return "引き返して";
}

char *route_words_ja(const struct route_words_in *in)
{
        const struct route_graph *g = in->g;
        struct sbuf b = {0};
        struct leg *legs = calloc(in->n ? in->n : 1, sizeof(*legs));
        if (!legs)
                return NULL;
        size_t nl = 0;
        uint32_t at = in->from;
        double total = 0;
        for (size_t i = 0; i < in->n; i++) {
                uint32_t e = in->edges[i];
                double b0, b1;
                edge_bearings(g, e, at, &b0, &b1);
                total += g->elen[e];
                struct leg *cur = nl ? &legs[nl - 1] : NULL;
                double t = cur ? angle_diff(cur->b_end, b0) : 0;
                if (cur && cur->name == g->ename[e] && fabs(t) < STRAIGHT_DEG) {
                        cur->len += g->elen[e];
                        cur->b_end = b1;
                } else {
                        legs[nl++] = (struct leg){.name = g->ename[e],
                                                  .at = at,
                                                  .len = g->elen[e],
                                                  .b_start = b0,
                                                  .b_end = b1,
                                                  .turn = t};
                }
                at = g->ea[e] == at ? g->eb[e] : g->ea[e];
        }
        char d[32];
        if (in->through_hazard && in->hazard_ja)
                sb_add(&b, "ほかに道がないため、この道順は%sを通ります。", in->hazard_ja);
        if (in->snap_from_m >= 30) {
                route_words_distance(in->snap_from_m, d, sizeof(d));
                sb_add(&b, "まず近くの道まで%s歩きます。", d);
        }
        for (size_t i = 0; i < nl; i++) {
                const struct leg *l = &legs[i];
                const char *name = l->name != ROUTE_NONE ? g->names[l->name] : NULL;
                route_words_distance(l->len, d, sizeof(d));
                uint32_t lm = g->nname ? g->nname[l->at] : ROUTE_NONE;
                if (i == 0)
                        sb_add(&b, "%sへ", route_words_compass(l->b_start));
                else if (lm != ROUTE_NONE)
                        sb_add(&b, "%sを%s", g->names[lm], turn_words(l->turn));
                else
                        sb_add(&b, "%s", turn_words(l->turn));
                if (name)
                        sb_add(&b, "%sを%s進みます。", name, d);
                else
                        sb_add(&b, "%s進みます。", d);
        }
        total += in->snap_from_m + in->snap_to_m;
        route_words_distance(total, d, sizeof(d));
        double speed = in->speed_m_s > 0 ? in->speed_m_s : 1.0;
        long min = (long)ceil(total / speed / 60.0);
        if (min < 1)
                min = 1;
        sb_add(&b, "%sに着きます（全体で%s、徒歩約%ld分）。",
               in->to_name && in->to_name[0] ? in->to_name : "目的地", d, min);
        free(legs);
        if (b.oom) {
                free(b.s);
                return NULL;
        }
        return b.s;
}
