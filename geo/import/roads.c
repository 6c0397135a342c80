/* sonae import roads FILE: a road network into a routing graph.
 *
 * Any line layer GDAL reads (OSM PBF through the OSM driver's "lines"
 * layer, GeoJSON, Shapefile, GeoPackage ...), transformed to EPSG:6668.
 * Lines are split into edges where they share a vertex (OSM ways share
 * their crossing nodes; other data must be noded the same way) and at
 * their ends; the crossings and ends become nodes.  The graph is written
 * in one transaction beside the current one and made active with it: a
 * broken file leaves the current network routing. */
#include "import.h"
#include "import_int.h"

#include "geo.h"
#include "store_roads.h"

#include <errno.h>
#include <gdal.h>
#include <geodesic.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Bounds: a prefecture's network is a few million vertices. */
#define ROADS_MAX_POINTS 20000000u

static void rfail(struct geo_import_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void rfail(struct geo_import_report *r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->error, sizeof(r->error), fmt, ap);
        va_end(ap);
}

/* OSM highway values nobody walks on. */
static bool osm_unwalkable(const char *hw)
{
        static const char *const no[] = {"motorway",  "motorway_link", "construction",
                                         "proposed",  "raceway",       "bus_guideway",
                                         "abandoned", "disused",       "planned"};
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (strcmp(hw, no[i]) == 0)
                        return true;
        return false;
}

/* OSM's other_tags (hstore text) saying walking is not allowed. */
static bool osm_no_foot(const char *tags)
{
        return tags && (strstr(tags, "\"foot\"=>\"no\"") || strstr(tags, "\"access\"=>\"no\"") ||
                        strstr(tags, "\"access\"=>\"private\""));
}

struct lines {
        double *xy; /* lon, lat pairs of every line, one after the other */
        size_t n_pts, cap_pts;
        size_t *off; /* first point of each line; off[n] = n_pts */
        char **name, **kind;
        size_t n, cap;
        /* Named points (OSM: 交差点名 and other named nodes), for the
         * crossings they stand on. */
        double *lm_xy;
        char **lm_name;
        size_t n_lm, cap_lm;
};

static void lines_free(struct lines *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->name[i]);
                free(l->kind[i]);
        }
        for (size_t i = 0; i < l->n_lm; i++)
                free(l->lm_name[i]);
        free(l->lm_xy);
        free(l->lm_name);
        free(l->xy);
        free(l->off);
        free(l->name);
        free(l->kind);
        memset(l, 0, sizeof(*l));
}

static int lines_point(struct lines *l, double x, double y)
{
        /* Repeated points add nothing to a line. */
        size_t first = l->off[l->n];
        if (l->n_pts > first && l->xy[2 * l->n_pts - 2] == x && l->xy[2 * l->n_pts - 1] == y)
                return 0;
        if (l->n_pts >= ROADS_MAX_POINTS)
                return -E2BIG;
        if (l->n_pts == l->cap_pts) {
                size_t nc = l->cap_pts ? l->cap_pts * 2 : 4096;
                double *nx = realloc(l->xy, nc * 2 * sizeof(double));
                if (!nx)
                        return -ENOMEM;
                l->xy = nx;
                l->cap_pts = nc;
        }
        l->xy[2 * l->n_pts] = x;
        l->xy[2 * l->n_pts + 1] = y;
        l->n_pts++;
        return 0;
}

static int lines_begin(struct lines *l)
{
        if (l->n + 2 > l->cap) {
                size_t nc = l->cap ? l->cap * 2 : 1024;
                size_t *no = realloc(l->off, (nc + 1) * sizeof(size_t));
                if (!no)
                        return -ENOMEM;
                l->off = no;
                char **nn = realloc(l->name, nc * sizeof(char *));
                if (!nn)
                        return -ENOMEM;
                l->name = nn;
                char **nk = realloc(l->kind, nc * sizeof(char *));
                if (!nk)
                        return -ENOMEM;
                l->kind = nk;
                l->cap = nc;
        }
        if (l->n == 0)
                l->off[0] = 0;
        l->off[l->n] = l->n_pts;
        return 0;
}

/* Ends the current line: kept when it has two points at least. */
static void lines_end(struct lines *l, char *name, char *kind)
{
        if (l->n_pts - l->off[l->n] < 2) {
                l->n_pts = l->off[l->n];
                free(name);
                free(kind);
                return;
        }
        l->name[l->n] = name;
        l->kind[l->n] = kind;
        l->n++;
        l->off[l->n] = l->n_pts;
}

/* Vertices keyed by their coordinates in 1e-7 degrees (about 1 cm). */
struct vtx {
        int64_t kx, ky;
        uint32_t count;
        int64_t node;     /* store id once written, else 0 */
        const char *name; /* landmark (borrowed from struct lines), or NULL */
};
struct vmap {
        struct vtx *v;
        size_t cap, n;
};

static uint64_t vhash(int64_t x, int64_t y)
{
        uint64_t h = (uint64_t)x * 0x9E3779B97F4A7C15ull ^ ((uint64_t)y + 0x632BE59BD9B4E019ull);
        h ^= h >> 31;
        h *= 0xBF58476D1CE4E5B9ull;
        return h ^ (h >> 29);
}

static struct vtx *vmap_get(struct vmap *m, double lon, double lat, bool add)
{
        int64_t kx = llround(lon * 1e7), ky = llround(lat * 1e7);
        if (add && (m->n + 1) * 2 > m->cap) {
                size_t nc = m->cap ? m->cap * 2 : 8192;
                struct vtx *nv = calloc(nc, sizeof(*nv));
                if (!nv)
                        return NULL;
                for (size_t i = 0; i < m->cap; i++) {
                        if (!m->v[i].count)
                                continue;
                        size_t j = vhash(m->v[i].kx, m->v[i].ky) & (nc - 1);
                        while (nv[j].count)
                                j = (j + 1) & (nc - 1);
                        nv[j] = m->v[i];
                }
                free(m->v);
                m->v = nv;
                m->cap = nc;
        }
        if (!m->cap)
                return NULL;
        size_t j = vhash(kx, ky) & (m->cap - 1);
        while (m->v[j].count) {
                if (m->v[j].kx == kx && m->v[j].ky == ky)
                        return &m->v[j];
                j = (j + 1) & (m->cap - 1);
        }
        if (!add)
                return NULL;
        m->v[j] = (struct vtx){.kx = kx, .ky = ky};
        m->n++;
        return &m->v[j];
}

static char *utf8_name(const char *v, size_t *bad)
{
        if (!v || !v[0])
                return NULL;
        size_t n = strlen(v);
        if (n > 128 || !geo_utf8_valid(v, n)) {
                (*bad)++;
                return NULL;
        }
        return strdup(v);
}

/* Reads the lines of the layer in EPSG:6668 into l. */
static int read_lines(const char *path, const struct geo_import_opts *o, struct lines *l, bool *osm,
                      struct geo_import_report *rep)
{
        struct stat sb;
        if (stat(path, &sb) < 0) {
                rfail(rep, "%s: ファイルがありません (%s)", path, strerror(errno));
                return -ENOENT;
        }
        if (sb.st_size == 0) {
                rfail(rep, "%s: 空のファイルです (empty file)", path);
                return -ENODATA;
        }
        GDALAllRegister();
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
        GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        CPLPopErrorHandler();
        if (!ds) {
                const char *m = CPLGetLastErrorMsg();
                rfail(rep, "%s: GDAL で読めない形式です (%s)", path,
                      m && m[0] ? m : "unknown format");
                return -EINVAL;
        }
        int rc = 0;
        OGRCoordinateTransformationH ct = NULL;
        OGRSpatialReferenceH dst = NULL;
        GDALDriverH drv = GDALGetDatasetDriver(ds);
        *osm = drv && strcmp(GDALGetDriverShortName(drv), "OSM") == 0;
        OGRLayerH layer =
            *osm ? GDALDatasetGetLayerByName(ds, "lines")
                 : (GDALDatasetGetLayerCount(ds) > 0 ? GDALDatasetGetLayer(ds, 0) : NULL);
        if (!layer) {
                rfail(rep, "%s: 線のレイヤがありません (no line layer)", path);
                rc = -ENODATA;
                goto out;
        }
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
        if (!srs) {
                rfail(rep, "%s: 座標参照系が不明です (unknown CRS)", path);
                rc = -EINVAL;
                goto out;
        }
        dst = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(dst, 6668);
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
        OGRSpatialReferenceH src = OSRClone(srs);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        CPLPushErrorHandler(CPLQuietErrorHandler);
        if (!OSRIsSame(src, dst))
                ct = OCTNewCoordinateTransformation(src, dst);
        CPLPopErrorHandler();
        bool same = OSRIsSame(src, dst);
        OSRDestroySpatialReference(src);
        if (!same && !ct) {
                rfail(rep, "%s: 座標参照系を JGD2011 に変換できません (unknown CRS)", path);
                rc = -EINVAL;
                goto out;
        }
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        const char *name_attr = o->name_attr ? o->name_attr : "name";
        int i_name = OGR_FD_GetFieldIndex(defn, name_attr);
        int i_hw = OGR_FD_GetFieldIndex(defn, "highway");
        int i_kind = i_hw >= 0 ? i_hw : OGR_FD_GetFieldIndex(defn, "kind");
        int i_tags = OGR_FD_GetFieldIndex(defn, "other_tags");
        size_t bad_names = 0, no_geom = 0;
        OGR_L_ResetReading(layer);
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(layer))) {
                long long fid = (long long)OGR_F_GetFID(f);
                rep->read++;
                const char *hw = i_hw >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_hw)
                                     ? OGR_F_GetFieldAsString(f, i_hw)
                                     : NULL;
                /* In OSM data the lines without highway are rivers,
                 * boundaries, railways ... not roads. */
                if (i_hw >= 0 && (!hw || !hw[0] || osm_unwalkable(hw) ||
                                  (i_tags >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_tags) &&
                                   osm_no_foot(OGR_F_GetFieldAsString(f, i_tags))))) {
                        rep->skipped++;
                        OGR_F_Destroy(f);
                        continue;
                }
                OGRGeometryH g0 = OGR_F_GetGeometryRef(f);
                if (!g0 || OGR_G_IsEmpty(g0)) {
                        /* Clipped OSM extracts have ways whose nodes are
                         * outside: counted, not fatal. */
                        no_geom++;
                        rep->skipped++;
                        OGR_F_Destroy(f);
                        continue;
                }
                OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g0));
                if (t != wkbLineString && t != wkbMultiLineString) {
                        rfail(rep, "地物 %lld: 線ではありません (%s; roads need lines)", fid,
                              OGRGeometryTypeToName(t));
                        rc = -EINVAL;
                        OGR_F_Destroy(f);
                        break;
                }
                OGRGeometryH g = OGR_G_Clone(g0);
                OGR_G_FlattenTo2D(g);
                if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE) {
                        rfail(rep, "地物 %lld: 座標を変換できません (transform failed)", fid);
                        rc = -EINVAL;
                }
                int parts = t == wkbLineString ? 1 : OGR_G_GetGeometryCount(g);
                for (int p = 0; rc == 0 && p < parts; p++) {
                        OGRGeometryH ls = t == wkbLineString ? g : OGR_G_GetGeometryRef(g, p);
                        int np = OGR_G_GetPointCount(ls);
                        if ((rc = lines_begin(l)) < 0)
                                break;
                        for (int k = 0; rc == 0 && k < np; k++) {
                                double x = OGR_G_GetX(ls, k), y = OGR_G_GetY(ls, k);
                                if (!isfinite(x) || !isfinite(y) || x < 120 || x > 155 || y < 20 ||
                                    y > 46) {
                                        rfail(rep,
                                              "地物 %lld: 座標が日本の範囲外です (%.6g,%.6g; "
                                              "wrong CRS or axis order?)",
                                              fid, x, y);
                                        rc = -EINVAL;
                                } else {
                                        rc = lines_point(l, x, y);
                                        if (rc == -E2BIG)
                                                rfail(rep, "点が多すぎます (more than %u points)",
                                                      ROADS_MAX_POINTS);
                                }
                        }
                        if (rc == 0) {
                                char *nm =
                                    i_name >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_name)
                                        ? utf8_name(OGR_F_GetFieldAsString(f, i_name), &bad_names)
                                        : NULL;
                                char *kd =
                                    i_kind >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_kind)
                                        ? utf8_name(OGR_F_GetFieldAsString(f, i_kind), &bad_names)
                                        : NULL;
                                if (kd && strlen(kd) > 32) {
                                        free(kd);
                                        kd = NULL;
                                }
                                lines_end(l, nm, kd);
                        }
                }
                OGR_G_DestroyGeometry(g);
                OGR_F_Destroy(f);
                if (rc == -ENOMEM)
                        rfail(rep, "メモリが足りません (out of memory)");
        }
        if (rc == 0 && l->n == 0) {
                rfail(rep, "%s: 道路の線がありません (no road lines)", path);
                rc = -ENODATA;
        }
        /* OSM named nodes: the names of crossings (交差点名) and other
         * landmarks on the ways. */
        OGRLayerH pts = *osm && rc == 0 ? GDALDatasetGetLayerByName(ds, "points") : NULL;
        int i_pname = pts ? OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(pts), "name") : -1;
        if (pts && i_pname >= 0) {
                OGR_L_ResetReading(pts);
                while (rc == 0 && (f = OGR_L_GetNextFeature(pts))) {
                        OGRGeometryH g = OGR_F_GetGeometryRef(f);
                        const char *nm = OGR_F_IsFieldSetAndNotNull(f, i_pname)
                                             ? OGR_F_GetFieldAsString(f, i_pname)
                                             : NULL;
                        double x = g ? OGR_G_GetX(g, 0) : NAN, y = g ? OGR_G_GetY(g, 0) : NAN,
                               z = 0;
                        if (nm && nm[0] && g && (!ct || OCTTransform(ct, 1, &x, &y, &z))) {
                                size_t bad = 0;
                                char *copy = utf8_name(nm, &bad);
                                if (copy && l->n_lm == l->cap_lm) {
                                        size_t nc = l->cap_lm ? l->cap_lm * 2 : 64;
                                        double *nx = realloc(l->lm_xy, nc * 2 * sizeof(double));
                                        if (nx)
                                                l->lm_xy = nx;
                                        char **nn =
                                            nx ? realloc(l->lm_name, nc * sizeof(char *)) : NULL;
                                        if (nn) {
                                                l->lm_name = nn;
                                                l->cap_lm = nc;
                                        }
                                }
                                if (copy && l->n_lm < l->cap_lm) {
                                        l->lm_xy[2 * l->n_lm] = x;
                                        l->lm_xy[2 * l->n_lm + 1] = y;
                                        l->lm_name[l->n_lm++] = copy;
                                } else {
                                        free(copy);
                                }
                        }
                        OGR_F_Destroy(f);
                }
        }
        if (rc == 0 && (bad_names || no_geom))
                snprintf(
                    rep->warning, sizeof(rep->warning),
                    "名前の読めない線 %zu 件、ジオメトリのない線 %zu 件を名前なし・除外で取り込み"
                    "ました (unreadable names, lines without geometry)",
                    bad_names, no_geom);
out:
        if (ct)
                OCTDestroyCoordinateTransformation(ct);
        if (dst)
                OSRDestroySpatialReference(dst);
        GDALClose(ds);
        return rc;
}

static int node_of(struct store *st, int64_t gid, struct vtx *v, double lon, double lat)
{
        if (v->node)
                return 0;
        return store_road_node_add(st, gid, lon, lat, v->name, &v->node);
}

/* Edges go to the store in batches (one round trip each on PostGIS); they
 * point into the lines, which outlive the import's transaction. */
#define EDGE_BATCH 1000
struct edge_batch {
        struct store_road_edge v[EDGE_BATCH];
        size_t n;
};

static int edges_flush(struct store *st, int64_t gid, struct edge_batch *eb)
{
        int rc = eb->n ? store_road_edges_add(st, gid, eb->v, eb->n) : 0;
        eb->n = 0;
        return rc;
}

/* Writes one piece of line from point i to point j (inclusive) between
 * two nodes; a loop back to its own node is cut in two at its middle. */
static int write_piece(struct store *st, int64_t gid, struct vmap *m, const struct lines *l,
                       size_t line, size_t i, size_t j, const struct geod_geodesic *geod,
                       struct edge_batch *eb, struct geo_import_report *rep)
{
        const double *xy = l->xy;
        struct vtx *a = vmap_get(m, xy[2 * i], xy[2 * i + 1], false);
        struct vtx *b = vmap_get(m, xy[2 * j], xy[2 * j + 1], false);
        if (!a || !b)
                return -EINVAL;
        if (a == b) {
                if (j - i < 2)
                        return 0; /* nothing to walk */
                size_t mid = i + (j - i) / 2;
                struct vtx *c = vmap_get(m, xy[2 * mid], xy[2 * mid + 1], false);
                if (!c || c == a)
                        return 0;
                c->count = 2;
                int rc = write_piece(st, gid, m, l, line, i, mid, geod, eb, rep);
                return rc < 0 ? rc : write_piece(st, gid, m, l, line, mid, j, geod, eb, rep);
        }
        int rc = node_of(st, gid, a, xy[2 * i], xy[2 * i + 1]);
        if (rc == 0)
                rc = node_of(st, gid, b, xy[2 * j], xy[2 * j + 1]);
        if (rc < 0)
                return rc;
        double len = 0;
        for (size_t k = i; k < j; k++) {
                double s12 = 0, az1, az2;
                geod_inverse(geod, xy[2 * k + 1], xy[2 * k], xy[2 * k + 3], xy[2 * k + 2], &s12,
                             &az1, &az2);
                len += s12;
        }
        if (!(len > 0.01))
                return 0;
        if (eb->n == EDGE_BATCH && (rc = edges_flush(st, gid, eb)) < 0)
                return rc;
        eb->v[eb->n++] = (struct store_road_edge){.a = a->node,
                                                  .b = b->node,
                                                  .length_m = len,
                                                  .name = l->name[line],
                                                  .kind = l->kind[line],
                                                  .coords = xy + 2 * i,
                                                  .n_coords = j - i + 1};
        rep->imported++;
        return 0;
}

int geo_import_roads(struct store *st, const char *path, const struct geo_import_opts *o,
                     struct geo_import_report *rep)
{
        struct lines l = {0};
        struct vmap m = {0};
        bool osm = false;
        int rc = read_lines(path, o, &l, &osm, rep);
        if (rc < 0)
                goto out;
        const char *name = o->name ? o->name : "roads";
        char version[65];
        if ((rc = geo_import_edition(name, o, version, rep)) < 0)
                goto out;
        /* Nodes: the ends of every line and every vertex two lines (or one
         * line twice) pass through. */
        for (size_t i = 0; i < l.n; i++)
                for (size_t k = l.off[i]; k < l.off[i + 1]; k++) {
                        struct vtx *v = vmap_get(&m, l.xy[2 * k], l.xy[2 * k + 1], true);
                        if (!v) {
                                rc = -ENOMEM;
                                goto out;
                        }
                        v->count += (k == l.off[i] || k + 1 == l.off[i + 1]) ? 2 : 1;
                }
        /* Landmarks name the crossings they stand on. */
        for (size_t i = 0; i < l.n_lm; i++) {
                struct vtx *v = vmap_get(&m, l.lm_xy[2 * i], l.lm_xy[2 * i + 1], false);
                if (v && v->count >= 2)
                        v->name = l.lm_name[i];
        }
        rc = store_begin(st);
        if (rc < 0) {
                rfail(rep, "ストアを書き込めません (%s)", store_strerror(rc));
                goto out;
        }
        struct store_road_graph g = {
            .name = name,
            .version = version,
            .source = osm ? "osm" : "lines",
            .attribution = osm ? "© OpenStreetMap contributors (ODbL)"
                               : "出典: 道路データの提供者 (取り込んだファイルの表示に従う)"};
        int64_t gid = 0;
        rc = store_road_graph_create(st, &g, &gid);
        if (rc == -EEXIST)
                rfail(rep, "道路網 %s の版 %s は既にあります (version exists)", name, version);
        else if (rc < 0)
                rfail(rep, "道路網を作れません: %s", store_strerror(rc));
        struct geod_geodesic geod;
        geod_init(&geod, 6378137.0, 1 / 298.257222101);
        struct edge_batch *eb = calloc(1, sizeof(*eb));
        if (!eb && rc == 0) {
                rc = -ENOMEM;
                rfail(rep, "メモリが足りません (out of memory)");
        }
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
                size_t start = l.off[i];
                for (size_t k = start + 1; rc == 0 && k < l.off[i + 1]; k++) {
                        struct vtx *v = vmap_get(&m, l.xy[2 * k], l.xy[2 * k + 1], false);
                        if (v->count < 2)
                                continue;
                        rc = write_piece(st, gid, &m, &l, i, start, k, &geod, eb, rep);
                        start = k;
                }
                if (rc < 0)
                        rfail(rep, "線 %zu まで: 書き込めません (%s)", i + 1, store_strerror(rc));
                if (i % 2000 == 0 && o->progress)
                        o->progress(o->progress_ctx, i, l.n);
        }
        /* The last batch.  A batch's error names the line being written and the
         * lines before it (まで): its edges may come from several. */
        if (rc == 0 && (rc = edges_flush(st, gid, eb)) < 0)
                rfail(rep, "線 %zu まで: 書き込めません (%s)", l.n, store_strerror(rc));
        free(eb);
        if (rc == 0) {
                rc = store_road_graph_activate(st, gid);
                if (rc < 0)
                        rfail(rep, "道路網を有効にできません (%s)", store_strerror(rc));
        }
        if (rc == 0) {
                rc = store_commit(st);
                if (rc < 0)
                        rfail(rep, "書き込みに失敗しました (%s)", store_strerror(rc));
        } else {
                store_rollback(st);
        }
        if (rc == 0) {
                rep->layer_id = gid;
                if (o->progress)
                        o->progress(o->progress_ctx, l.n, l.n);
        }
out:
        free(m.v);
        lines_free(&l);
        return rc;
}
