/* Walking routes and the road and tile store: dispatch to the backend,
 * destructors, and the shelters with their walks. */
#include "geo.h"

#include "store_backend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISPATCH(fn, ...) (st->ops->fn ? st->ops->fn(st, __VA_ARGS__) : -ENOTSUP)

int store_road_graph_create(struct store *st, const struct store_road_graph *g, int64_t *id)
{
        return DISPATCH(road_graph_create, g, id);
}

int store_road_node_add(struct store *st, int64_t graph_id, double lon, double lat,
                        const char *name, int64_t *id)
{
        return DISPATCH(road_node_add, graph_id, lon, lat, name, id);
}

int store_road_edges_add(struct store *st, int64_t graph_id, const struct store_road_edge *e,
                         size_t n)
{
        return DISPATCH(road_edges_add, graph_id, e, n);
}

int store_road_graph_activate(struct store *st, int64_t graph_id)
{
        return DISPATCH(road_graph_activate, graph_id);
}

int store_road_graphs_list(struct store *st, struct store_road_graph_list *out)
{
        memset(out, 0, sizeof(*out));
        return DISPATCH(road_graphs_list, out);
}

void store_road_graph_list_free(struct store_road_graph_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free((char *)l->v[i].name);
                free((char *)l->v[i].version);
                free((char *)l->v[i].source);
                free((char *)l->v[i].attribution);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int store_layer_polygons(struct store *st, const char *layer, store_polygon_cb cb, void *ctx)
{
        return DISPATCH(layer_polygons, layer, cb, ctx);
}

int store_tile_set_create(struct store *st, const char *layer, const char *version, int min_zoom,
                          int max_zoom, int64_t *id)
{
        return DISPATCH(tile_set_create, layer, version, min_zoom, max_zoom, id);
}

int store_tile_put(struct store *st, int64_t set_id, int z, int x, int y, const void *data,
                   size_t len)
{
        return DISPATCH(tile_put, set_id, z, x, y, data, len);
}

int store_tile_set_activate(struct store *st, int64_t set_id)
{
        return DISPATCH(tile_set_activate, set_id);
}

int store_tile_version(struct store *st, const char *layer, char version[65])
{
        return DISPATCH(tile_version, layer, version);
}

int store_tile_get(struct store *st, const char *layer, int z, int x, int y, void **data,
                   size_t *len, char version[65])
{
        *data = NULL;
        *len = 0;
        return DISPATCH(tile_get, layer, z, x, y, data, len, version);
}

bool store_tiles_cut_by_backend(struct store *st)
{
        return st->ops->tile_set_cut != NULL;
}

int store_tile_features_add(struct store *st, int64_t set_id, const char *const *fields,
                            size_t n_fields, const struct store_tile_feature *f, size_t n)
{
        return DISPATCH(tile_features_add, set_id, fields, n_fields, f, n);
}

int store_tile_set_cut(struct store *st, int64_t set_id, size_t *n)
{
        *n = 0;
        return DISPATCH(tile_set_cut, set_id, n);
}

/* ---- Rules of both backends' writes ----------------------------------- */

bool store_road_lonlat_ok(double lon, double lat)
{
        return isfinite(lon) && isfinite(lat) && lon >= 120 && lon <= 155 && lat >= 20 && lat <= 46;
}

bool store_road_source_ok(const char *s)
{
        return s && (strcmp(s, "osm") == 0 || strcmp(s, "lines") == 0);
}

bool store_tile_layer_ok(const char *l)
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

bool store_tile_xyz_ok(int z, int x, int y)
{
        return z >= 0 && z <= 22 && x >= 0 && y >= 0 && (int64_t)x < ((int64_t)1 << z) &&
               (int64_t)y < ((int64_t)1 << z);
}

int geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
              const struct geo_route_opts *o, struct geo_route *out)
{
        memset(out, 0, sizeof(*out));
        return DISPATCH(geo_route, lon, lat, to_lon, to_lat, o, out);
}

void geo_route_free(struct geo_route *r)
{
        if (!r)
                return;
        free(r->coords);
        free(r->words_ja);
        free(r->graph_version);
        memset(r, 0, sizeof(*r));
}

char *geo_route_geojson(const struct geo_route *r)
{
        /* 7 decimals: about a centimetre, more than the data holds. */
        size_t cap = 64 + r->n_coords * 48, n = 0;
        char *s = malloc(cap);
        if (!s)
                return NULL;
        n += (size_t)snprintf(s, cap, "{\"type\":\"LineString\",\"coordinates\":[");
        for (size_t i = 0; i < r->n_coords; i++)
                n += (size_t)snprintf(s + n, cap - n, "%s[%.7f,%.7f]", i ? "," : "",
                                      r->coords[2 * i], r->coords[2 * i + 1]);
        snprintf(s + n, cap - n, "]}");
        return s;
}

/* Order of the walk list: open first; then those with a dry way before
 * those only reached through the hazard, before those without a road;
 * each by walking distance (straight distance without a walk). */
static int walk_cmp(const void *x, const void *y)
{
        const struct geo_shelter_hit *a = x, *b = y;
        if (a->open != b->open)
                return a->open ? -1 : 1;
        int ra = a->route ? (a->route->through_hazard ? 1 : 0) : 2;
        int rb = b->route ? (b->route->through_hazard ? 1 : 0) : 2;
        if (ra != rb)
                return ra < rb ? -1 : 1;
        double da = a->route ? a->route->distance_m : a->distance_m;
        double db = b->route ? b->route->distance_m : b->distance_m;
        if (da != db)
                return da < db ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

int geo_shelters_near_walk(struct store *st, double lon, double lat, enum store_hazard h, size_t n,
                           double speed_m_s, struct geo_shelter_list *out)
{
        /* Twice the candidates by straight line: the nearest walk is often
         * not the nearest point (a river, the hazard between). */
        size_t want = n;
        size_t cand = n > 25 ? 50 : n * 2;
        int rc = geo_shelters_near(st, lon, lat, h, n < 1 || n > 50 ? n : cand, out);
        if (rc < 0)
                return rc;
        bool any = false;
        for (size_t i = 0; i < out->n; i++) {
                struct geo_shelter_hit *s = &out->v[i];
                struct geo_route_opts o = {
                    .speed_m_s = speed_m_s, .avoid = true, .hazard = h, .to_name = s->name};
                struct geo_route *r = calloc(1, sizeof(*r));
                if (!r) {
                        rc = -ENOMEM;
                        break;
                }
                rc = geo_route(st, lon, lat, s->lon, s->lat, &o, r);
                if (rc == 0) {
                        s->route = r;
                        any = true;
                        continue;
                }
                free(r);
                /* No network: the straight-line list as it is.  No road
                 * there: the hit stays without a walk.  Other errors are the
                 * caller's. */
                if (rc == -ENODATA) {
                        rc = 0;
                        break;
                }
                if (rc == -ENOENT || rc == -ENOTSUP) {
                        rc = 0;
                        continue;
                }
                break;
        }
        if (rc < 0) {
                geo_shelter_list_free(out);
                return rc;
        }
        if (any)
                qsort(out->v, out->n, sizeof(*out->v), walk_cmp);
        if (out->n > want) {
                struct geo_shelter_list rest = {.v = out->v + want, .n = out->n - want};
                geo_shelter_list_free_items(&rest);
                out->n = want;
        }
        return 0;
}
