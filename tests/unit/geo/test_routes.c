/* Walking routes against a real SpatiaLite file: an authored street grid
 * (written here as GeoJSON and imported with `roads`) of 33 x 33 crossings
 * and 2,112 edges in 鶴岡市, and an authored flood polygon that covers the
 * straight way between the two ends.  The expected lengths come from this
 * file's own Dijkstra over the grid it wrote, never from the code under
 * test; the expected turns from the route's own geometry.
 *
 * Grid: rows of crossings run west-east, columns south-north, SPACING
 * metres apart.  Every fourth row and column is a named main street
 * (「N条通り」 rows, 「N番町通り」 columns) drawn straight; the side streets
 * between them have a small kink in each block, so they are a little longer
 * and the shortest way is unique: along main streets. */
#include "check.h"
#include "geo.h"
#include "import.h"
#include "store_roads.h"
#include "storetest.h"

#include <errno.h>
#include <math.h>

#define GRID    33
#define SPACING 50.0
#define LON0    139.80
#define LAT0    38.70
/* The flood: columns 7.5-24.5, rows 12.5-27.5 (between crossings). */
#define FC0 7.5
#define FC1 24.5
#define FR0 12.5
#define FR1 27.5

static char dir_db[300], f_roads[300], f_flood[300], f_bad[300];
static double dlat, dlon;

static double node_lon(double c)
{
        return LON0 + c * dlon;
}
static double node_lat(double r)
{
        return LAT0 + r * dlat;
}
static bool in_flood(double lon, double lat)
{
        return lon > node_lon(FC0) && lon < node_lon(FC1) && lat > node_lat(FR0) &&
               lat < node_lat(FR1);
}

static double hav(double lon1, double lat1, double lon2, double lat2)
{
        double r = M_PI / 180, p1 = lat1 * r, p2 = lat2 * r;
        double s = sin((p2 - p1) / 2) * sin((p2 - p1) / 2) +
                   cos(p1) * cos(p2) * sin((lon2 - lon1) * r / 2) * sin((lon2 - lon1) * r / 2);
        return 2 * 6371008.8 * asin(sqrt(s));
}

/* The block between two crossings: straight on main streets, with a kink
 * of 4 m at its middle on side streets.  Writes the middle point (or NAN)
 * and returns the block's length as this test measures it. */
static double block(bool row, int fixed, int k, double *mx, double *my)
{
        bool main_st = fixed % 4 == 0;
        double x0 = row ? node_lon(k) : node_lon(fixed), y0 = row ? node_lat(fixed) : node_lat(k);
        double x1 = row ? node_lon(k + 1) : x0, y1 = row ? y0 : node_lat(k + 1);
        if (main_st) {
                *mx = *my = NAN;
                return hav(x0, y0, x1, y1);
        }
        *mx = (x0 + x1) / 2 + (row ? 0 : 4.0 / SPACING * dlon);
        *my = (y0 + y1) / 2 + (row ? 4.0 / SPACING * dlat : 0);
        return hav(x0, y0, *mx, *my) + hav(*mx, *my, x1, y1);
}

static void write_grid(const char *path, int n)
{
        FILE *f = fopen(path, "w");
        if (!f)
                exit(2);
        fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[");
        bool first = true;
        for (int dirn = 0; dirn < 2; dirn++)
                for (int fixed = 0; fixed < n; fixed++) {
                        bool row = dirn == 0;
                        fprintf(f, "%s{\"type\":\"Feature\",\"properties\":{", first ? "" : ",");
                        first = false;
                        if (fixed % 4 == 0)
                                fprintf(f, "\"name\":\"%d%s\"", fixed / 4 + 1,
                                        row ? "条通り" : "番町通り");
                        fprintf(f, "},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
                        for (int k = 0; k < n; k++) {
                                double x = row ? node_lon(k) : node_lon(fixed);
                                double y = row ? node_lat(fixed) : node_lat(k);
                                fprintf(f, "%s[%.9f,%.9f]", k ? "," : "", x, y);
                                double mx, my;
                                if (k + 1 < n) {
                                        block(row, fixed, k, &mx, &my);
                                        if (!isnan(mx))
                                                fprintf(f, ",[%.9f,%.9f]", mx, my);
                                }
                        }
                        fprintf(f, "]}}");
                }
        fprintf(f, "]}\n");
        fclose(f);
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (!f)
                exit(2);
        fputs(text, f);
        fclose(f);
}

/* This test's own Dijkstra over the grid: the length of the cheapest way
 * from crossing (c0, r0) to (c1, r1), blocks touching the flood left out
 * (avoid) or costing 1001 times more (penalise). */
static double grid_walk(int c0, int r0, int c1, int r1, bool avoid, bool penalise)
{
        enum { N = GRID * GRID };
        static double dist[N], length[N];
        static bool done[N];
        for (int i = 0; i < N; i++) {
                dist[i] = INFINITY;
                done[i] = false;
        }
        dist[r0 * GRID + c0] = 0;
        length[r0 * GRID + c0] = 0;
        for (;;) {
                int u = -1;
                for (int i = 0; i < N; i++)
                        if (!done[i] && isfinite(dist[i]) && (u < 0 || dist[i] < dist[u]))
                                u = i;
                if (u < 0)
                        return INFINITY;
                if (u == r1 * GRID + c1)
                        return length[u];
                done[u] = true;
                int r = u / GRID, c = u % GRID;
                const int dc[4] = {1, -1, 0, 0}, dr[4] = {0, 0, 1, -1};
                for (int k = 0; k < 4; k++) {
                        int nc = c + dc[k], nr = r + dr[k];
                        if (nc < 0 || nr < 0 || nc >= GRID || nr >= GRID)
                                continue;
                        double mx, my, len;
                        bool row = dr[k] == 0;
                        len = row ? block(true, r, c < nc ? c : nc, &mx, &my)
                                  : block(false, c, r < nr ? r : nr, &mx, &my);
                        bool wet = in_flood(node_lon(c), node_lat(r)) ||
                                   in_flood(node_lon(nc), node_lat(nr)) ||
                                   (!isnan(mx) && in_flood(mx, my));
                        /* A block from a dry crossing into the flood's edge
                         * still touches it: a crossing on the line between
                         * counts as inside for avoidance. */
                        if (avoid && wet)
                                continue;
                        int v = nr * GRID + nc;
                        /* The store's rule: a wet edge costs 1001 times its
                         * length. */
                        double cost = penalise && wet ? len * 1001 : len;
                        if (dist[u] + cost < dist[v]) {
                                dist[v] = dist[u] + cost;
                                length[v] = length[u] + len;
                        }
                }
        }
}

static double grid_shortest(int c0, int r0, int c1, int r1, bool avoid)
{
        return grid_walk(c0, r0, c1, r1, avoid, false);
}

static int route(struct store *st, int c0, int r0, int c1, int r1, bool avoid, const char *to,
                 struct geo_route *out)
{
        struct geo_route_opts o = {
            .speed_m_s = 0, .avoid = avoid, .hazard = HAZARD_FLOOD, .to_name = to};
        return geo_route(st, node_lon(c0), node_lat(r0), node_lon(c1), node_lat(r1), &o, out);
}

static bool route_wet(const struct geo_route *r)
{
        for (size_t i = 0; i < r->n_coords; i++)
                if (in_flood(r->coords[2 * i], r->coords[2 * i + 1]))
                        return true;
        return false;
}

/* The turns of the line, from its geometry: +1 right, -1 left, for every
 * change of direction of more than 45 degrees. */
static size_t geometry_turns(const struct geo_route *r, int *turns, size_t cap)
{
        size_t n = 0;
        double px = NAN, py = NAN;
        for (size_t i = 1; i < r->n_coords; i++) {
                double dx = (r->coords[2 * i] - r->coords[2 * i - 2]) / dlon;
                double dy = (r->coords[2 * i + 1] - r->coords[2 * i - 1]) / dlat;
                double len = hypot(dx, dy);
                /* Shorter than 5 cm: the point asked against the node
                 * as the file rounded it. */
                if (len < 1e-3)
                        continue;
                dx /= len;
                dy /= len;
                if (!isnan(px)) {
                        double cross = px * dy - py * dx, dot = px * dx + py * dy;
                        /* Kinks of side streets bend by about 9 degrees. */
                        if (dot < 0.7 && n < cap)
                                turns[n++] = cross < 0 ? 1 : -1; /* clockwise is right */
                }
                px = dx;
                py = dy;
        }
        return n;
}

/* The turns named in the words, in order. */
static size_t word_turns(const char *w, int *turns, size_t cap)
{
        size_t n = 0;
        for (const char *p = w; *p && n < cap;) {
                const char *r = strstr(p, "右折"), *l = strstr(p, "左折");
                if (!r && !l)
                        break;
                if (r && (!l || r < l)) {
                        turns[n++] = 1;
                        p = r + strlen("右折");
                } else {
                        turns[n++] = -1;
                        p = l + strlen("左折");
                }
        }
        return n;
}

static void test_import_and_route(struct store *st)
{
        struct geo_import_report rep;
        struct geo_import_opts o = {.version = "v1"};
        CHECK_INT(geo_import(st, "roads", f_roads, &o, &rep), 0);
        if (rep.error[0])
                printf("  %s\n", rep.error);
        CHECK_INT(rep.imported, 2 * GRID * (GRID - 1));
        CHECK(rep.imported >= 2000);
        CHECK_INT(storetest_sql_int(dir_db, "SELECT count(*) FROM road_edges"),
                  2 * GRID * (GRID - 1));
        CHECK_INT(storetest_sql_int(dir_db, "SELECT count(*) FROM road_nodes"), GRID * GRID);
        CHECK_INT(storetest_sql_int(dir_db, "SELECT n_edges FROM road_graphs WHERE active = 1"),
                  2 * GRID * (GRID - 1));
        /* Street names kept on the edges of main streets only. */
        CHECK_INT(
            storetest_sql_int(dir_db, "SELECT count(*) FROM road_edges WHERE name = '5条通り'"),
            GRID - 1);
        struct geo_import_opts ho = {
            .name = "test_flood", .version = "1", .class_attr = "rank", .hazard = "flood"};
        CHECK_INT(geo_import(st, "hazard", f_flood, &ho, &rep), 0);

        /* Without avoidance: straight along 5条通り (row 16), through the
         * flood. */
        struct geo_route r;
        CHECK_INT(route(st, 2, 16, 30, 16, false, "東避難所", &r), 0);
        double straight = grid_shortest(2, 16, 30, 16, false);
        CHECK_NEAR(r.distance_m, straight, straight * 0.003);
        CHECK(route_wet(&r));
        CHECK(!r.through_hazard); /* not asked to avoid: nothing counted */
        geo_route_free(&r);

        /* Avoiding the flood: around it to the south, along main streets. */
        CHECK_INT(route(st, 2, 16, 30, 16, true, "東避難所", &r), 0);
        double around = grid_shortest(2, 16, 30, 16, true);
        printf("  straight %.1f m, around %.1f m, route %.1f m, %.0f s\n", straight, around,
               r.distance_m, r.walk_s);
        CHECK(around > straight + 300);
        CHECK_NEAR(r.distance_m, around, around * 0.003);
        CHECK(!route_wet(&r));
        CHECK(!r.through_hazard);
        CHECK_NEAR(r.hazard_m, 0, 1e-9);
        CHECK_NEAR(r.walk_s, r.distance_m / GEO_WALK_SPEED_DEFAULT, 1e-6);
        CHECK_STR(r.graph_version, "v1");
        /* The line starts and ends at the points asked. */
        CHECK(r.n_coords >= 2);
        CHECK_NEAR(r.coords[0], node_lon(2), 1e-9);
        CHECK_NEAR(r.coords[2 * r.n_coords - 1], node_lat(16), 1e-9);
        /* The words: printed for people to read in the log. */
        printf("  words: %s\n", r.words_ja);
        CHECK(strncmp(r.words_ja, "東へ5条通りを約100m進みます。",
                      strlen("東へ5条通りを約100m進みます。")) == 0);
        int gt[16], wt[16];
        size_t ngt = geometry_turns(&r, gt, 16), nwt = word_turns(r.words_ja, wt, 16);
        CHECK_INT(nwt, ngt);
        for (size_t i = 0; i < ngt && i < nwt; i++)
                CHECK_INT(wt[i], gt[i]);
        /* The way designed around the flood: right onto 2番町通り, left onto
         * 4条通り, left onto 8番町通り, right onto 5条通り. */
        CHECK_INT(ngt, 4);
        const int want[4] = {1, -1, -1, 1};
        for (size_t i = 0; i < 4 && i < ngt; i++)
                CHECK_INT(gt[i], want[i]);
        const char *order[] = {"5条通り", "2番町通り", "4条通り", "8番町通り", "5条通り"};
        const char *p = r.words_ja;
        for (size_t i = 0; i < 5; i++) {
                const char *q = p ? strstr(p, order[i]) : NULL;
                CHECK(q != NULL);
                p = q ? q + strlen(order[i]) : NULL;
        }
        CHECK(strstr(r.words_ja, "右折して2番町通りを約200m進みます。") != NULL);
        char tail[128];
        snprintf(tail, sizeof(tail), "東避難所に着きます（全体で約%.1fkm、徒歩約%ld分）。",
                 round(r.distance_m / 100) / 10, (long)ceil(r.distance_m / 0.8 / 60));
        CHECK(strstr(r.words_ja, tail) != NULL);
        /* The GeoJSON of the line. */
        char *gj = geo_route_geojson(&r);
        CHECK(gj && strncmp(gj, "{\"type\":\"LineString\",\"coordinates\":[[139.8", 40) == 0);
        free(gj);
        geo_route_free(&r);

        /* A faster walker takes less time over the same way. */
        struct geo_route_opts fast = {.speed_m_s = 1.2, .avoid = true, .hazard = HAZARD_FLOOD};
        CHECK_INT(geo_route(st, node_lon(2), node_lat(16), node_lon(30), node_lat(16), &fast, &r),
                  0);
        CHECK_NEAR(r.walk_s, around / 1.2, around * 0.003 / 1.2);
        geo_route_free(&r);

        /* Starting inside the flood there is no dry way: the route still
         * leads out, says so, and counts the wet metres. */
        CHECK_INT(route(st, 16, 20, 30, 16, true, NULL, &r), 0);
        CHECK(r.through_hazard);
        CHECK(r.hazard_m > 0 && r.hazard_m < r.distance_m);
        CHECK(strstr(r.words_ja, "ほかに道がないため、この道順は洪水浸水想定区域を通ります。") ==
              r.words_ja);
        CHECK(strstr(r.words_ja, "目的地に着きます") != NULL);
        /* The wet part is the shortest way out: 20 -> 27.5 is further than
         * 16 -> 12.5 is not, so it leaves east or south within 9 blocks. */
        CHECK(r.hazard_m <= 9 * SPACING * 1.01);
        double pen = grid_walk(16, 20, 30, 16, false, true);
        CHECK_NEAR(r.distance_m, pen, pen * 0.003);
        geo_route_free(&r);

        /* The other way round: a shelter inside the flood.  The search
         * bounds the unavoidable water and still finds the cheapest way:
         * the same as this test's penalised Dijkstra, and the same wet
         * metres as leaving from there. */
        CHECK_INT(route(st, 30, 16, 16, 20, true, NULL, &r), 0);
        CHECK(r.through_hazard);
        pen = grid_walk(30, 16, 16, 20, false, true);
        CHECK_NEAR(r.distance_m, pen, pen * 0.003);
        CHECK(r.hazard_m <= 9 * SPACING * 1.01);
        geo_route_free(&r);
        /* And between two points inside it: no way stays dry. */
        CHECK_INT(route(st, 12, 20, 20, 20, true, NULL, &r), 0);
        pen = grid_walk(12, 20, 20, 20, false, true);
        CHECK_NEAR(r.distance_m, pen, pen * 0.003);
        geo_route_free(&r);

        /* A point starting a little off the road walks to it first. */
        struct geo_route_opts plain = {0};
        CHECK_INT(geo_route(st, node_lon(2) + 0.5 * dlon, node_lat(16) - 0.5 * dlat, node_lon(3),
                            node_lat(16), &plain, &r),
                  0);
        CHECK(r.words_ja && strstr(r.words_ja, "まず近くの道まで") != NULL);
        geo_route_free(&r);

        /* Hostile and impossible queries. */
        CHECK_INT(geo_route(st, 200, 38.7, node_lon(3), node_lat(3), &plain, &r), -EINVAL);
        CHECK_INT(geo_route(st, NAN, 38.7, node_lon(3), node_lat(3), &plain, &r), -EINVAL);
        CHECK_INT(geo_route(st, 1e308, 1e308, node_lon(3), node_lat(3), &plain, &r), -EINVAL);
        struct geo_route_opts silly = {.speed_m_s = 100};
        CHECK_INT(geo_route(st, node_lon(2), node_lat(2), node_lon(3), node_lat(3), &silly, &r),
                  -EINVAL);
        struct geo_route_opts badhz = {.avoid = true, .hazard = (enum store_hazard)99};
        CHECK_INT(geo_route(st, node_lon(2), node_lat(2), node_lon(3), node_lat(3), &badhz, &r),
                  -EINVAL);
        /* 10 km away from every road: no route, not a wrong one. */
        CHECK_INT(geo_route(st, LON0 + 0.12, LAT0, node_lon(3), node_lat(3), &plain, &r), -ENOENT);
}

static void test_shelters_walk(struct store *st)
{
        struct store_shelter s = {0};
        s.common_id = "test-east";
        s.kind = "emergency";
        s.name = "東避難所";
        s.lon = node_lon(30);
        s.lat = node_lat(16);
        s.hazards[HAZARD_FLOOD] = true;
        s.capacity = -1;
        s.occupancy = -1;
        int64_t id = 0;
        CHECK_INT(store_shelter_upsert(st, &s, &id), 0);
        struct geo_shelter_list l;
        CHECK_INT(geo_shelters_near_walk(st, node_lon(2), node_lat(16), HAZARD_FLOOD, 1, 0, &l), 0);
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
                CHECK(l.v[0].route != NULL);
                if (l.v[0].route) {
                        double around = grid_shortest(2, 16, 30, 16, true);
                        CHECK_NEAR(l.v[0].route->distance_m, around, around * 0.003);
                        CHECK(!route_wet(l.v[0].route));
                        CHECK(strstr(l.v[0].route->words_ja, "東避難所に着きます") != NULL);
                        /* The walk is longer than the straight line. */
                        CHECK(l.v[0].route->distance_m > l.v[0].distance_m);
                }
        }
        geo_shelter_list_free(&l);
        /* A second flood shelter inside the flood, half as far in a
         * straight line: the plain lookup lists it first, the walk list
         * puts the one reached dry first. */
        s.common_id = "test-wet";
        s.name = "浸水域内避難所";
        s.lon = node_lon(16);
        s.lat = node_lat(20);
        CHECK_INT(store_shelter_upsert(st, &s, &id), 0);
        CHECK_INT(geo_shelters_near(st, node_lon(2), node_lat(16), HAZARD_FLOOD, 2, &l), 0);
        CHECK(l.n == 2 && strcmp(l.v[0].name, "浸水域内避難所") == 0);
        geo_shelter_list_free(&l);
        CHECK_INT(geo_shelters_near_walk(st, node_lon(2), node_lat(16), HAZARD_FLOOD, 2, 0, &l), 0);
        CHECK_INT(l.n, 2);
        if (l.n == 2) {
                CHECK_STR(l.v[0].name, "東避難所");
                CHECK(l.v[0].route && !l.v[0].route->through_hazard);
                CHECK_STR(l.v[1].name, "浸水域内避難所");
                CHECK(l.v[1].route && l.v[1].route->through_hazard);
        }
        geo_shelter_list_free(&l);
        /* Asked for one: the dry one, although farther. */
        CHECK_INT(geo_shelters_near_walk(st, node_lon(2), node_lat(16), HAZARD_FLOOD, 1, 0, &l), 0);
        CHECK(l.n == 1 && strcmp(l.v[0].name, "東避難所") == 0);
        geo_shelter_list_free(&l);
        /* From 10 km away from every road: the shelters still come, without
         * a walk (no wrong one). */
        CHECK_INT(geo_shelters_near_walk(st, LON0 + 0.12, LAT0, HAZARD_FLOOD, 2, 0, &l), 0);
        CHECK_INT(l.n, 2);
        for (size_t i = 0; i < l.n; i++)
                CHECK(l.v[i].route == NULL);
        geo_shelter_list_free(&l);
        /* The plain lookup stays without routes. */
        CHECK_INT(geo_shelters_near(st, node_lon(2), node_lat(16), HAZARD_FLOOD, 1, &l), 0);
        CHECK(l.n == 1 && l.v[0].route == NULL);
        geo_shelter_list_free(&l);
}

/* Broken files: each refused with a reason, and the network in use keeps
 * routing exactly as before. */
static void test_bad_imports(struct store *st)
{
        struct geo_route before;
        CHECK_INT(route(st, 2, 16, 30, 16, true, NULL, &before), 0);
        struct {
                const char *what, *text, *why;
        } bad[] = {
            {"points instead of lines",
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{}"
             ","
             "\"geometry\":{\"type\":\"Point\",\"coordinates\":[139.8,38.7]}}]}",
             "線ではありません"},
            {"a polygon among lines",
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{}"
             ","
             "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[139.8,38.7],[139.81,38.7]]}},"
             "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\","
             "\"coordinates\":[[[139.8,38.7],[139.81,38.7],[139.81,38.71],[139.8,38.7]]]}}]}",
             "線ではありません"},
            {"truncated JSON",
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"prop", "GDAL"},
            {"huge coordinates",
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{}"
             ","
             "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1e300,38.7],[139.81,1e300]]}}"
             "]}",
             "範囲外"},
            {"swapped axes (lat, lon)",
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{}"
             ","
             "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[38.7,139.8],[38.7,139.81]]}}"
             "]}",
             "範囲外"},
            {"no feature", "{\"type\":\"FeatureCollection\",\"features\":[]}", "ありません"},
            {"empty file", "", "空のファイル"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                write_text(f_bad, bad[i].text);
                struct geo_import_report rep;
                struct geo_import_opts o = {.version = "bad"};
                int rc = geo_import(st, "roads", f_bad, &o, &rep);
                printf("  %s: %s\n", bad[i].what, rep.error);
                CHECK(rc < 0);
                CHECK(strstr(rep.error, bad[i].why) != NULL);
                struct geo_route r;
                CHECK_INT(route(st, 2, 16, 30, 16, true, NULL, &r), 0);
                CHECK_NEAR(r.distance_m, before.distance_m, 1e-6);
                CHECK_STR(r.graph_version, "v1");
                geo_route_free(&r);
        }
        CHECK_INT(storetest_sql_int(dir_db, "SELECT count(*) FROM road_graphs"), 1);
        /* The same version again is refused. */
        struct geo_import_report rep;
        struct geo_import_opts o = {.version = "v1"};
        CHECK_INT(geo_import(st, "roads", f_roads, &o, &rep), -EEXIST);
        geo_route_free(&before);
}

/* A new version replaces the network: routes follow it at once, and the
 * old graph is gone from the store. */
static void test_version_switch(struct store *st)
{
        write_grid(f_roads, 9); /* only the south-west corner now */
        struct geo_import_report rep;
        struct geo_import_opts o = {.version = "v2"};
        CHECK_INT(geo_import(st, "roads", f_roads, &o, &rep), 0);
        CHECK_INT(rep.imported, 2 * 9 * 8);
        CHECK_INT(storetest_sql_int(dir_db, "SELECT count(*) FROM road_graphs"), 1);
        CHECK_INT(storetest_sql_int(dir_db, "SELECT count(*) FROM road_edges"), 2 * 9 * 8);
        struct geo_route r;
        CHECK_INT(route(st, 2, 2, 8, 8, false, NULL, &r), 0);
        CHECK_STR(r.graph_version, "v2");
        double want = grid_shortest(2, 2, 8, 8, false);
        CHECK_NEAR(r.distance_m, want, want * 0.003);
        geo_route_free(&r);
        /* The far end is now 1 km from the nearest road: walked there. */
        CHECK_INT(route(st, 2, 2, 30, 16, false, NULL, &r), 0);
        CHECK(r.distance_m > 1000);
        geo_route_free(&r);
}

/* OpenStreetMap data through GDAL's OSM driver (the same driver reads
 * .osm XML and .pbf): only the ways people may walk on become edges. */
static void test_osm(void)
{
        char db2[300], osm[300];
        storetest_path("osm.db", db2, sizeof(db2));
        storetest_path("town.osm", osm, sizeof(osm));
        /* Authored in the OSM XML format (wiki.openstreetmap.org/wiki/OSM_XML):
         * 本町通り 1-2-3 crossed at 2 (a named signal, 本町交差点) by a footway to 4; a motorway
         * 3-5, a river 4-6, a private service road 4-6 and a road closed to walkers 5-6 are left
         * out. */
        write_text(osm,
                   "<?xml version='1.0' encoding='UTF-8'?>\n"
                   "<osm version='0.6' generator='sonae-test'>\n"
                   " <node id='1' version='1' lat='38.7000' lon='139.8000'/>\n"
                   " <node id='2' version='1' lat='38.7000' lon='139.8020'>"
                   "<tag k='highway' v='traffic_signals'/><tag k='name' v='本町交差点'/></node>\n"
                   " <node id='3' version='1' lat='38.7000' lon='139.8040'/>\n"
                   " <node id='4' version='1' lat='38.7020' lon='139.8020'/>\n"
                   " <node id='5' version='1' lat='38.7000' lon='139.8060'/>\n"
                   " <node id='6' version='1' lat='38.7040' lon='139.8020'/>\n"
                   " <way id='10' version='1'><nd ref='1'/><nd ref='2'/><nd ref='3'/>"
                   "<tag k='highway' v='residential'/><tag k='name' v='本町通り'/></way>\n"
                   " <way id='11' version='1'><nd ref='2'/><nd ref='4'/>"
                   "<tag k='highway' v='footway'/></way>\n"
                   " <way id='12' version='1'><nd ref='3'/><nd ref='5'/>"
                   "<tag k='highway' v='motorway'/></way>\n"
                   " <way id='13' version='1'><nd ref='4'/><nd ref='6'/>"
                   "<tag k='waterway' v='river'/></way>\n"
                   " <way id='14' version='1'><nd ref='4'/><nd ref='6'/>"
                   "<tag k='highway' v='service'/><tag k='access' v='private'/></way>\n"
                   " <way id='15' version='1'><nd ref='5'/><nd ref='6'/>"
                   "<tag k='highway' v='residential'/><tag k='foot' v='no'/></way>\n"
                   "</osm>\n");
        struct store *st = storetest_open(db2);
        struct geo_import_report rep;
        struct geo_import_opts o = {.version = "osm1"};
        int rc = geo_import(st, "roads", osm, &o, &rep);
        if (rc < 0)
                printf("  osm: %s\n", rep.error);
        CHECK_INT(rc, 0);
        CHECK_INT(rep.imported, 3);
        CHECK_INT(rep.skipped, 4);
        CHECK_INT(storetest_sql_int(db2, "SELECT count(*) FROM road_nodes"), 4);
        CHECK_INT(storetest_sql_int(db2, "SELECT count(*) FROM road_graphs WHERE source = 'osm' "
                                         "AND attribution LIKE '%OpenStreetMap%'"),
                  1);
        CHECK_INT(storetest_sql_int(db2, "SELECT count(*) FROM road_edges WHERE kind = 'footway'"),
                  1);
        CHECK_INT(
            storetest_sql_int(db2, "SELECT count(*) FROM road_nodes WHERE name = '本町交差点'"), 1);
        struct geo_route r;
        struct geo_route_opts plain = {.to_name = "公園"};
        CHECK_INT(geo_route(st, 139.8000, 38.7000, 139.8020, 38.7020, &plain, &r), 0);
        if (r.words_ja) {
                printf("  osm words: %s\n", r.words_ja);
                CHECK(strncmp(r.words_ja, "東へ本町通りを", strlen("東へ本町通りを")) == 0);
                CHECK(strstr(r.words_ja, "本町交差点を左折して") != NULL);
        }
        /* 1 -> 2 -> 4: about 174 m east and 222 m north. */
        double want = hav(139.8, 38.7, 139.802, 38.7) + hav(139.802, 38.7, 139.802, 38.702);
        CHECK_NEAR(r.distance_m, want, want * 0.003);
        geo_route_free(&r);
        /* Node 5 is only on the motorway and the closed road: not routed. */
        CHECK_INT(geo_route(st, 139.8060, 38.7000, 139.8000, 38.7000, &plain, &r), 0);
        CHECK(r.distance_m > 150); /* walked from the nearest road node, 3 */
        geo_route_free(&r);

        /* Bad edges given to the store directly, each refused whole: an end
         * that is a node of another graph (the active one), a point outside
         * Japan, a loop back to its own node, no length.  The good edge in
         * the same batch is not written either, and an empty graph cannot
         * become active. */
        struct store_road_graph g = {
            .name = "roads", .version = "bad", .source = "lines", .attribution = "test"};
        int64_t gid = 0, n1 = 0, n2 = 0;
        CHECK_INT(store_road_graph_create(st, &g, &gid), 0);
        CHECK_INT(store_road_graph_create(st, &g, &gid), -EEXIST);
        CHECK_INT(store_road_node_add(st, gid, 139.81, 38.71, NULL, &n1), 0);
        CHECK_INT(store_road_node_add(st, gid, 139.82, 38.71, "角", &n2), 0);
        CHECK_INT(store_road_node_add(st, gid, 38.71, 139.81, NULL, &n2) < 0, 1);
        int64_t foreign = storetest_sql_int(
            db2, "SELECT min(n.id) FROM road_nodes n JOIN road_graphs g ON g.id = n.graph_id "
                 "WHERE g.active = 1");
        const double xy[] = {139.81, 38.71, 139.82, 38.71}, far[] = {139.81, 38.71, 200, 38.71};
        struct store_road_edge good = {
            .a = n1, .b = n2, .length_m = 870, .coords = xy, .n_coords = 2};
        struct store_road_edge bad[4] = {good, good, good, good};
        bad[0].b = foreign;
        bad[1].coords = far;
        bad[2].b = n1;
        bad[3].length_m = 0;
        for (int i = 0; i < 4; i++) {
                struct store_road_edge batch[2] = {good, bad[i]};
                CHECK_INT(store_road_edges_add(st, gid, batch, 2), -EINVAL);
        }
        CHECK_INT(storetest_sql_int(db2, "SELECT count(*) FROM road_edges e JOIN road_graphs g ON "
                                         "g.id = e.graph_id WHERE g.version = 'bad'"),
                  0);
        CHECK_INT(store_road_graph_activate(st, gid), -ENODATA);
        CHECK_INT(geo_route(st, 139.8000, 38.7000, 139.8020, 38.7020, &plain, &r), 0);
        CHECK_STR(r.graph_version, "osm1");
        geo_route_free(&r);
        store_close(st);
}

int main(void)
{
        /* Degrees for SPACING metres on the sphere the test measures with. */
        dlat = SPACING / (6371008.8 * M_PI / 180.0);
        dlon = dlat / cos(LAT0 * M_PI / 180.0);
        storetest_path("routes.db", dir_db, sizeof(dir_db));
        storetest_path("grid.geojson", f_roads, sizeof(f_roads));
        storetest_path("flood.geojson", f_flood, sizeof(f_flood));
        storetest_path("bad.geojson", f_bad, sizeof(f_bad));
        write_grid(f_roads, GRID);
        char flood[1024];
        snprintf(flood, sizeof(flood),
                 "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
                 "\"properties\":{\"rank\":\"2\"},\"geometry\":{\"type\":\"Polygon\","
                 "\"coordinates\":[[[%.9f,%.9f],[%.9f,%.9f],[%.9f,%.9f],[%.9f,%.9f],[%.9f,%.9f]]]}}"
                 "]}",
                 node_lon(FC0), node_lat(FR0), node_lon(FC1), node_lat(FR0), node_lon(FC1),
                 node_lat(FR1), node_lon(FC0), node_lat(FR1), node_lon(FC0), node_lat(FR0));
        write_text(f_flood, flood);

        struct store *st = storetest_open(dir_db);
        /* No network yet: no route, and shelters come without one. */
        struct geo_route r;
        struct geo_route_opts plain = {0};
        CHECK_INT(geo_route(st, 139.8, 38.7, 139.81, 38.71, &plain, &r), -ENODATA);

        test_import_and_route(st);
        test_shelters_walk(st);
        test_bad_imports(st);
        store_close(st);
        /* A second handle reads the graph from the file, not from memory. */
        st = storetest_open(dir_db);
        CHECK_INT(route(st, 2, 16, 30, 16, true, NULL, &r), 0);
        CHECK_NEAR(r.distance_m, grid_shortest(2, 16, 30, 16, true), 10);
        geo_route_free(&r);
        test_version_switch(st);
        store_close(st);
        test_osm();
        storetest_cleanup();
        return check_done("geo-routes");
}
