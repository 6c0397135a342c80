/* Walking routes per second, and p50/p99 per route, of geo_route() with
 * flood avoidance, on two synthetic networks imported with `sonae import
 * roads` into a real store: the test's street grid (33 x 33 crossings,
 * 2,112 edges) and a city-scale grid (230 x 230 crossings with crossings
 * moved up to 10 m and one block in twenty missing: about 100,000 edges;
 * 60 x 60 with SONAE_REDUCED=1), each with flood polygons over part of it.
 *
 * Baselines measured in the same run on the same pairs: geo_shelters_near
 * (the lookup the hazard answer already makes for each hazard), and the
 * bare A* of geo/route.c over the same graph in memory (no store, no snap,
 * no words).  Routes are between random points at most 3 km apart (a walk
 * to a shelter). */
#include "geo.h"
#include "import.h"
#include "route.h"
#include "store_roads.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LON0 139.70
#define LAT0 38.60

static double now_us(clockid_t c)
{
        struct timespec ts;
        clock_gettime(c, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void pct(double *v, size_t n, double *p50, double *p99)
{
        qsort(v, n, sizeof(*v), cmp_d);
        *p50 = v[n / 2];
        *p99 = v[(size_t)(n * 0.99)];
}

struct net {
        int n;
        double *x, *y; /* crossing positions */
        unsigned char *gone_h, *gone_v;
        double dlat, dlon;
};

static unsigned rnd_state = 12345;
static double rnd(void)
{
        rnd_state = rnd_state * 1103515245u + 12345u;
        return (rnd_state >> 8) / 16777216.0;
}

static void make_net(struct net *t, int n, double jitter_m, double missing)
{
        t->n = n;
        t->dlat = 50.0 / 111000.0;
        t->dlon = t->dlat / cos(LAT0 * M_PI / 180);
        t->x = malloc(sizeof(double) * n * n);
        t->y = malloc(sizeof(double) * n * n);
        t->gone_h = calloc((size_t)n * n, 1);
        t->gone_v = calloc((size_t)n * n, 1);
        for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++) {
                        t->x[r * n + c] =
                            LON0 + c * t->dlon + (rnd() - 0.5) * 2 * jitter_m / 50.0 * t->dlon;
                        t->y[r * n + c] =
                            LAT0 + r * t->dlat + (rnd() - 0.5) * 2 * jitter_m / 50.0 * t->dlat;
                        t->gone_h[r * n + c] = rnd() < missing;
                        t->gone_v[r * n + c] = rnd() < missing;
                }
}

static size_t write_net(const struct net *t, const char *path)
{
        FILE *f = fopen(path, "w");
        if (!f)
                exit(2);
        size_t edges = 0;
        int n = t->n;
        fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[");
        for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                        for (int d = 0; d < 2; d++) {
                                int r2 = r + (d == 1), c2 = c + (d == 0);
                                if (r2 >= n || c2 >= n || (d ? t->gone_v : t->gone_h)[r * n + c])
                                        continue;
                                fprintf(f,
                                        "%s{\"type\":\"Feature\",\"properties\":{%s},\"geometry\":"
                                        "{\"type\":\"LineString\",\"coordinates\":[[%.8f,%.8f],[%."
                                        "8f,%.8f]]}}",
                                        edges ? "," : "",
                                        (d ? c : r) % 5 == 0 ? "\"name\":\"通り\"" : "",
                                        t->x[r * n + c], t->y[r * n + c], t->x[r2 * n + c2],
                                        t->y[r2 * n + c2]);
                                edges++;
                        }
        fprintf(f, "]}\n");
        fclose(f);
        return edges;
}

/* Flood squares of 5-15 blocks over part of the network. */
static void write_flood(const struct net *t, const char *path, int count)
{
        FILE *f = fopen(path, "w");
        fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[");
        for (int i = 0; i < count; i++) {
                double s = 5 + rnd() * 10, c0 = rnd() * (t->n - s), r0 = rnd() * (t->n - s);
                double x0 = LON0 + c0 * t->dlon, y0 = LAT0 + r0 * t->dlat;
                double x1 = x0 + s * t->dlon, y1 = y0 + s * t->dlat;
                fprintf(f,
                        "%s{\"type\":\"Feature\",\"properties\":{\"rank\":\"2\"},\"geometry\":{"
                        "\"type\":\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%"
                        "f,%f]]]}}",
                        i ? "," : "", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
        }
        fprintf(f, "]}\n");
        fclose(f);
}

static void run(const char *label, int n, double jitter, double missing, int floods, size_t queries)
{
        char dir[] = "/tmp/sonae-bench-routes-XXXXXX";
        if (!mkdtemp(dir))
                exit(2);
        char db[128], roads[128], flood[128];
        snprintf(db, sizeof(db), "%s/b.db", dir);
        snprintf(roads, sizeof(roads), "%s/roads.geojson", dir);
        snprintf(flood, sizeof(flood), "%s/flood.geojson", dir);
        struct net t;
        make_net(&t, n, jitter, missing);
        size_t written = write_net(&t, roads);
        write_flood(&t, flood, floods);
        struct store_options so = {.path = db};
        struct store *st = NULL;
        if (store_open(&so, &st) < 0)
                exit(2);
        struct geo_import_report rep;
        double t0 = now_us(CLOCK_MONOTONIC);
        struct geo_import_opts o = {.version = "bench"};
        if (geo_import(st, "roads", roads, &o, &rep) < 0) {
                fprintf(stderr, "import: %s\n", rep.error);
                exit(1);
        }
        double t_import = (now_us(CLOCK_MONOTONIC) - t0) / 1e6;
        size_t imported = rep.imported;
        struct geo_import_opts ho = {
            .name = "bench_flood", .version = "1", .class_attr = "rank", .hazard = "flood"};
        if (geo_import(st, "hazard", flood, &ho, &rep) < 0) {
                fprintf(stderr, "flood: %s\n", rep.error);
                exit(1);
        }
        /* Shelters for the baseline lookup: one per 100 crossings. */
        for (int i = 0; i < n * n / 100 + 3; i++) {
                char cid[32], name[32];
                snprintf(cid, sizeof(cid), "B%06d", i);
                snprintf(name, sizeof(name), "避難所%d", i);
                struct store_shelter s = {.common_id = cid, .kind = "emergency", .name = name};
                s.lon = LON0 + rnd() * (n - 1) * t.dlon;
                s.lat = LAT0 + rnd() * (n - 1) * t.dlat;
                s.hazards[HAZARD_FLOOD] = true;
                s.capacity = s.occupancy = -1;
                store_shelter_upsert(st, &s, NULL);
        }
        printf("%s: %d x %d crossings, %zu edges written, %zu imported in %.1f s\n", label, n, n,
               written, imported, t_import);
        (void)written;
        /* The pairs. */
        double *pairs = malloc(sizeof(double) * 4 * queries);
        double span = (n - 1) * 50.0;
        double reach = span < 3000 ? span : 3000;
        for (size_t i = 0; i < queries; i++) {
                double ox = rnd() * span, oy = rnd() * span;
                double a = rnd() * 2 * M_PI, d = rnd() * reach;
                double dx = fmin(fmax(ox + cos(a) * d, 0), span),
                       dy = fmin(fmax(oy + sin(a) * d, 0), span);
                pairs[4 * i] = LON0 + ox / 50.0 * t.dlon;
                pairs[4 * i + 1] = LAT0 + oy / 50.0 * t.dlat;
                pairs[4 * i + 2] = LON0 + dx / 50.0 * t.dlon;
                pairs[4 * i + 3] = LAT0 + dy / 50.0 * t.dlat;
        }
        double *wall = malloc(sizeof(double) * queries), *cpu = malloc(sizeof(double) * queries);
        double *base = malloc(sizeof(double) * queries), *bare = malloc(sizeof(double) * queries);
        struct geo_route_opts ro = {.avoid = true, .hazard = HAZARD_FLOOD};
        struct geo_route r;
        /* Warm-up: the graph is read into memory, the flooded edges found. */
        double w0 = now_us(CLOCK_MONOTONIC);
        geo_route(st, pairs[0], pairs[1], pairs[2], pairs[3], &ro, &r);
        geo_route_free(&r);
        printf("  first route (graph load + flood edges): %.1f ms\n",
               (now_us(CLOCK_MONOTONIC) - w0) / 1e3);
        size_t ok = 0, wet = 0;
        double total0 = now_us(CLOCK_MONOTONIC);
        for (size_t i = 0; i < queries; i++) {
                double a = now_us(CLOCK_MONOTONIC), c = now_us(CLOCK_THREAD_CPUTIME_ID);
                int rc = geo_route(st, pairs[4 * i], pairs[4 * i + 1], pairs[4 * i + 2],
                                   pairs[4 * i + 3], &ro, &r);
                wall[i] = now_us(CLOCK_MONOTONIC) - a;
                cpu[i] = now_us(CLOCK_THREAD_CPUTIME_ID) - c;
                ok += rc == 0;
                wet += rc == 0 && r.through_hazard;
                geo_route_free(&r);
        }
        double total = (now_us(CLOCK_MONOTONIC) - total0) / 1e6;
        for (size_t i = 0; i < queries; i++) {
                struct geo_shelter_list l;
                double a = now_us(CLOCK_MONOTONIC);
                geo_shelters_near(st, pairs[4 * i], pairs[4 * i + 1], HAZARD_FLOOD, 3, &l);
                base[i] = now_us(CLOCK_MONOTONIC) - a;
                geo_shelter_list_free(&l);
        }
        /* The bare search over the same nodes and edges, read back from
         * the store's graph through the public list (the node pairs of the
         * grid), in memory. */
        struct route_builder b;
        route_builder_init(&b);
        for (int i = 0; i < n * n; i++)
                route_builder_node(&b, i + 1, t.x[i], t.y[i], NULL);
        for (int rr = 0; rr < n; rr++)
                for (int cc = 0; cc < n; cc++)
                        for (int d = 0; d < 2; d++) {
                                int r2 = rr + (d == 1), c2 = cc + (d == 0);
                                if (r2 >= n || c2 >= n || (d ? t.gone_v : t.gone_h)[rr * n + cc])
                                        continue;
                                int u = rr * n + cc, v = r2 * n + c2;
                                double xy[4] = {t.x[u], t.y[u], t.x[v], t.y[v]};
                                route_builder_edge(&b, u + 1, v + 1,
                                                   route_haversine_m(xy[0], xy[1], xy[2], xy[3]),
                                                   NULL, xy, 2);
                        }
        int err = 0;
        struct route_graph *g = route_builder_finish(&b, &err);
        for (size_t i = 0; g && i < queries; i++) {
                uint32_t from = route_nearest_node(g, pairs[4 * i], pairs[4 * i + 1], NULL);
                uint32_t to = route_nearest_node(g, pairs[4 * i + 2], pairs[4 * i + 3], NULL);
                uint32_t *edges = NULL;
                size_t ne = 0;
                double a = now_us(CLOCK_MONOTONIC);
                route_astar(g, from, to, NULL, &edges, &ne);
                bare[i] = now_us(CLOCK_MONOTONIC) - a;
                free(edges);
        }
        route_graph_free(g);
        double w50, w99, c50, c99, b50, b99, s50, s99;
        pct(wall, queries, &w50, &w99);
        pct(cpu, queries, &c50, &c99);
        pct(base, queries, &b50, &b99);
        pct(bare, queries, &s50, &s99);
        printf("  %zu routes (%zu found, %zu through the flood): %.0f routes/s\n", queries, ok, wet,
               queries / total);
        printf("  geo_route (avoid flood)   wall p50 %8.1f us  p99 %8.1f us\n", w50, w99);
        printf("  geo_route thread CPU      p50 %8.1f us  p99 %8.1f us\n", c50, c99);
        printf("  baseline shelters_near(3) wall p50 %8.1f us  p99 %8.1f us\n", b50, b99);
        printf("  baseline bare A* in memory     p50 %8.1f us  p99 %8.1f us\n", s50, s99);
        printf("  ratio route / shelters_near: p50 %.1fx  p99 %.1fx\n", w50 / b50, w99 / b99);
        printf("  ratio route / bare A*:       p50 %.1fx  p99 %.1fx\n", w50 / s50, w99 / s99);
        free(pairs);
        free(wall);
        free(cpu);
        free(base);
        free(bare);
        free(t.x);
        free(t.y);
        free(t.gone_h);
        free(t.gone_v);
        store_close(st);
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
        bool reduced = getenv("SONAE_REDUCED") && strcmp(getenv("SONAE_REDUCED"), "0") != 0;
        size_t queries = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2000;
        if (queries < 10)
                queries = 10;
        run("authored grid", 33, 0, 0, 1, queries);
        run("city-scale grid", reduced ? 60 : 230, 10, 0.05, reduced ? 5 : 60, queries);
        return 0;
}
