/* Vector tiles made at import: an authored flood layer (two polygons in
 * 鶴岡市, written here as GeoJSON) imported as a hazard layer; its tiles at
 * z10 and z16 are read back from the store and decoded with GDAL's own MVT
 * reader (not with the code that made them): feature counts and
 * attributes.  A new version replaces every tile of the old one.  The
 * same for areas, districts and rivers (river lines). */
#include "check.h"
#include "import.h"
#include "store_roads.h"
#include "storetest.h"

#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <sys/stat.h>

static char db[300], f_layer[300], tiles_dir[300];

/* The XYZ tile (Web Mercator) holding a point. */
static void tile_of(double lon, double lat, int z, int *x, int *y)
{
        double n = ldexp(1.0, z), r = lat * M_PI / 180;
        *x = (int)floor((lon + 180.0) / 360.0 * n);
        *y = (int)floor((1.0 - log(tan(r) + 1 / cos(r)) / M_PI) / 2.0 * n);
}

static void write_layer(const char *path, const char *const *cls, const double (*box)[4], size_t n)
{
        FILE *f = fopen(path, "w");
        if (!f)
                exit(2);
        fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[");
        for (size_t i = 0; i < n; i++) {
                const double *b = box[i];
                fprintf(f,
                        "%s{\"type\":\"Feature\",\"properties\":{\"depth\":\"%s\"},\"geometry\":{"
                        "\"type\":\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],"
                        "[%f,%f]]]}}",
                        i ? "," : "", cls[i], b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3], b[0],
                        b[1]);
        }
        fprintf(f, "]}\n");
        fclose(f);
}

struct decoded {
        int features;
        char classes[8][16];
        char label[128];
        char version[65];
};

/* Reads one tile through GDAL's MVT driver (the file laid out as
 * z/x/y.pbf so the driver knows where the tile is). */
static int decode_layer(struct store *st, const char *layer, const char *field, int z, int x, int y,
                        struct decoded *d)
{
        memset(d, 0, sizeof(*d));
        void *data = NULL;
        size_t len = 0;
        int rc = store_tile_get(st, layer, z, x, y, &data, &len, d->version);
        if (rc < 0)
                return rc;
        char p[400];
        snprintf(p, sizeof(p), "%s/%s", tiles_dir, layer);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/%s/%d", tiles_dir, layer, z);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/%s/%d/%d", tiles_dir, layer, z, x);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/%s/%d/%d/%d.pbf", tiles_dir, layer, z, x, y);
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(data, 1, len, f) != len)
                exit(2);
        fclose(f);
        free(data);
        const char *drivers[] = {"MVT", NULL};
        GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR, drivers, NULL, NULL);
        if (!ds)
                return -EBADMSG;
        OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
        if (!l) {
                GDALClose(ds);
                return -ENOENT;
        }
        OGRFeatureH ft;
        while ((ft = OGR_L_GetNextFeature(l))) {
                int ic = OGR_F_GetFieldIndex(ft, field),
                    il = OGR_F_GetFieldIndex(ft, strcmp(field, "class") == 0 ? "label_ja" : "name");
                OGRGeometryH g = OGR_F_GetGeometryRef(ft);
                OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
                CHECK(t == wkbPolygon || t == wkbMultiPolygon || strcmp(layer, "rivers") == 0);
                CHECK(strcmp(layer, "rivers") != 0 || t == wkbLineString ||
                      t == wkbMultiLineString);
                if (d->features < 8 && ic >= 0)
                        snprintf(d->classes[d->features], 16, "%s", OGR_F_GetFieldAsString(ft, ic));
                if (il >= 0)
                        snprintf(d->label, sizeof(d->label), "%s", OGR_F_GetFieldAsString(ft, il));
                d->features++;
                OGR_F_Destroy(ft);
        }
        GDALClose(ds);
        return 0;
}

static int decode(struct store *st, int z, int x, int y, struct decoded *d)
{
        return decode_layer(st, "test_flood", "class", z, x, y, d);
}

static bool has_class(const struct decoded *d, const char *c)
{
        for (int i = 0; i < d->features && i < 8; i++)
                if (strcmp(d->classes[i], c) == 0)
                        return true;
        return false;
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0)
                exit(2);
        fclose(f);
}

/* A river line (lon/lat) as a GeoJSON feature. */
#define LINE(name, x0, y0, x1, y1)                                                                 \
        "{\"type\":\"Feature\",\"properties\":{\"name\":\"" name "\"},\"geometry\":{\"type\":"     \
        "\"LineString\",\"coordinates\":[[" #x0 "," #y0 "],[" #x1 "," #y1 "]]}}"

/* Rivers: an authored river layer (two lines near 鶴岡駅, written here as
 * GeoJSON; the second version in the plane rectangular zone X with the W05
 * name attribute) imported with `rivers`; z10 and z16 decoded; a version
 * switch; broken files (points, polygons, truncated, empty) refused with
 * the current version serving. */
static void rivers(struct store *st)
{
        struct geo_import_report rep;
        struct geo_import_opts o = {.version = "r1"};

        /* 内川 across 鶴岡駅's z16 tile, 赤川 3 km east: one z10 tile holds
         * both, the z16 tile at the station only 内川. */
        write_text(f_layer, "{\"type\":\"FeatureCollection\",\"features\":[" LINE(
                                "内川", 139.815, 38.725, 139.815,
                                38.74) "," LINE("赤川", 139.85, 38.72, 139.852, 38.76) "]}");
        int rc = geo_import(st, "rivers", f_layer, &o, &rep);
        if (rep.error[0])
                printf("  %s\n", rep.error);
        CHECK_INT(rc, 0);
        CHECK_INT((int)rep.imported, 2);
        CHECK(rep.tiles > 9); /* at least one per zoom 8-16 */
        CHECK_STR(rep.layer, "rivers");
        char v[65];
        CHECK_INT(store_tile_version(st, "rivers", v), 0);
        CHECK_STR(v, "r1");
        CHECK_INT(storetest_sql_int(db, "SELECT min(z) FROM tiles t JOIN tile_sets s ON s.id = "
                                        "t.set_id WHERE s.layer = 'rivers'"),
                  8);
        CHECK_INT(storetest_sql_int(db, "SELECT max(z) FROM tiles t JOIN tile_sets s ON s.id = "
                                        "t.set_id WHERE s.layer = 'rivers'"),
                  16);
        int x10, y10, x10b, y10b, x16, y16;
        tile_of(139.815, 38.7325, 10, &x10, &y10);
        tile_of(139.851, 38.74, 10, &x10b, &y10b);
        CHECK(x10 == x10b && y10 == y10b); /* the test's premise */
        tile_of(139.815, 38.7325, 16, &x16, &y16);
        struct decoded d;
        CHECK_INT(decode_layer(st, "rivers", "name", 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 2);
        CHECK(has_class(&d, "内川") && has_class(&d, "赤川"));
        CHECK_STR(d.version, "r1");
        CHECK_INT(decode_layer(st, "rivers", "name", 16, x16, y16, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK_STR(d.label, "内川");
        /* Importing the same version again is refused. */
        CHECK_INT(geo_import(st, "rivers", f_layer, &o, &rep), -EEXIST);

        /* Version r2: only 赤川, given in EPSG:6678 (zone X) with the
         * W05 name attribute.  Every tile of r1 goes. */
        double ax = 139.85, ay = 38.72, bx = 139.852, by = 38.76;
        CHECK_INT(geo_transform_point(6668, 6678, &ax, &ay), 0);
        CHECK_INT(geo_transform_point(6668, 6678, &bx, &by), 0);
        char text[800];
        snprintf(text, sizeof(text),
                 "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{"
                 "\"name\":\"urn:ogc:def:crs:EPSG::6678\"}},\"features\":[{\"type\":\"Feature\","
                 "\"properties\":{\"W05_004\":\"赤川\"},\"geometry\":{\"type\":\"LineString\","
                 "\"coordinates\":[[%.4f,%.4f],[%.4f,%.4f]]}}]}",
                 ax, ay, bx, by);
        write_text(f_layer, text);
        o.version = "r2";
        rc = geo_import(st, "rivers", f_layer, &o, &rep);
        if (rep.error[0])
                printf("  %s\n", rep.error);
        CHECK_INT(rc, 0);
        CHECK_INT(store_tile_version(st, "rivers", v), 0);
        CHECK_STR(v, "r2");
        CHECK_INT(decode_layer(st, "rivers", "name", 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK(has_class(&d, "赤川") && !has_class(&d, "内川"));
        CHECK_STR(d.version, "r2");
        CHECK_INT(decode_layer(st, "rivers", "name", 16, x16, y16, &d), -ENOENT); /* 内川 is gone */
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tile_sets WHERE layer = 'rivers'"),
                  1);
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tiles t JOIN tile_sets s ON s.id = "
                                        "t.set_id WHERE s.version = 'r1'"),
                  0);
        int n_tiles = storetest_sql_int(db, "SELECT count(*) FROM tiles t JOIN tile_sets s ON s.id "
                                            "= t.set_id WHERE s.layer = 'rivers'");

        /* Broken files: each refused, r2 keeps serving, nothing added. */
        static const char *const broken[] = {
            /* points */
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
            "{\"name\":\"x\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[139.8,38.7]}}]}",
            /* a polygon after a good line */
            "{\"type\":\"FeatureCollection\",\"features\":[" LINE(
                "内川", 139.815, 38.725, 139.815,
                38.74) ",{\"type\":\"Feature\",\"properties\":{\"name\":\"x\"},\"geometry\":{"
                       "\"type\":\"Polygon\",\"coordinates\":[[[139.8,38.7],[139.81,38.7],[139.81,"
                       "38.71],[139.8,38.7]]]}}]}",
            /* truncated */
            "{\"type\":\"FeatureCollection\",\"features\":[" LINE("内川", 139.815, 38.725, 139.815,
                                                                  38.74) ",{\"type\":\"Feat",
            /* no features */
            "{\"type\":\"FeatureCollection\",\"features\":[]}",
            /* an empty file */
            "",
            /* swapped axes: outside Japan */
            "{\"type\":\"FeatureCollection\",\"features\":[" LINE("内川", 38.725, 139.815, 38.74,
                                                                  139.815) "]}",
        };
        for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
                write_text(f_layer, broken[i]);
                char ver[16];
                snprintf(ver, sizeof(ver), "b%zu", i);
                o.version = ver;
                rc = geo_import(st, "rivers", f_layer, &o, &rep);
                printf("  broken %zu: %s\n", i, rep.error);
                CHECK(rc < 0);
                CHECK(rep.error[0] != 0);
                CHECK_INT(store_tile_version(st, "rivers", v), 0);
                CHECK_STR(v, "r2");
        }
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tiles t JOIN tile_sets s ON s.id = "
                                        "t.set_id WHERE s.layer = 'rivers'"),
                  n_tiles);
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tile_sets WHERE layer = 'rivers'"),
                  1);
        CHECK_INT(decode_layer(st, "rivers", "name", 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK(has_class(&d, "赤川"));

        /* A file of two layers, points first (as W05's GML holds the
         * river nodes beside the streams): the lines are read. */
        char gpkg[300];
        storetest_path("w05.gpkg", gpkg, sizeof(gpkg));
        GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), gpkg, 0, 0, 0, GDT_Unknown, NULL);
        CHECK(ds != NULL);
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, 6668);
        OGRLayerH nodes = GDALDatasetCreateLayer(ds, "RiverNode", srs, wkbPoint, NULL);
        OGRLayerH streams = GDALDatasetCreateLayer(ds, "Stream", srs, wkbLineString, NULL);
        OGRFieldDefnH fd = OGR_Fld_Create("W05_004", OFTString);
        OGR_L_CreateField(streams, fd, 1);
        OGR_Fld_Destroy(fd);
        static const char *const wkt[] = {"POINT (139.815 38.725)",
                                          "LINESTRING (139.815 38.725, 139.815 38.74)"};
        for (int i = 0; i < 2; i++) {
                OGRLayerH l = i ? streams : nodes;
                OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(l));
                OGRGeometryH g = NULL;
                char *w = (char *)wkt[i];
                OGR_G_CreateFromWkt(&w, srs, &g);
                OGR_F_SetGeometryDirectly(ft, g);
                if (i)
                        OGR_F_SetFieldString(ft, 0, "内川");
                CHECK(OGR_L_CreateFeature(l, ft) == OGRERR_NONE);
                OGR_F_Destroy(ft);
        }
        GDALClose(ds);
        OSRDestroySpatialReference(srs);
        o.version = "w05";
        rc = geo_import(st, "rivers", gpkg, &o, &rep);
        if (rep.error[0])
                printf("  %s\n", rep.error);
        CHECK_INT(rc, 0);
        CHECK_INT(decode_layer(st, "rivers", "name", 16, x16, y16, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK_STR(d.label, "内川");
        CHECK_STR(d.version, "w05");

        /* A missing name attribute is named in the error. */
        write_text(f_layer, "{\"type\":\"FeatureCollection\",\"features\":[" LINE(
                                "内川", 139.815, 38.725, 139.815, 38.74) "]}");
        o.version = "r3";
        o.name_attr = "河川名";
        CHECK(geo_import(st, "rivers", f_layer, &o, &rep) < 0);
        CHECK(strstr(rep.error, "河川名") != NULL);
}

/* Features for a backend that cuts tiles itself, given wrongly: outside a
 * transaction (they would be gone before the cut), with a field name that
 * could break out of the attribute list, with too many fields, with no
 * geometry.  SpatiaLite has no such operation and says so. */
static void cut_refused(struct store *st)
{
        static const unsigned char point[21] = {1, 1, 0, 0, 0}; /* POINT (0 0) */
        const char *vals[] = {"内川"};
        struct store_tile_feature f = {.wkb = point, .wkb_len = sizeof(point), .values = vals};
        static const char *const good[] = {"name"}, *const quote[] = {"na\"me"};
        static const char *const nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
        size_t n = 99;
        /* PostGIS cuts with ST_AsMVT: every check above ran on its tiles. */
        CHECK_INT(store_tiles_cut_by_backend(st), storetest_pg());
        if (!store_tiles_cut_by_backend(st)) {
                CHECK_INT(store_tile_features_add(st, 1, good, 1, &f, 1), -ENOTSUP);
                CHECK_INT(store_tile_set_cut(st, 1, &n), -ENOTSUP);
                return;
        }
        int64_t set = 0;
        CHECK_INT(store_tile_set_create(st, "cut_refused", "1", 8, 8, &set), 0);
        CHECK_INT(store_tile_features_add(st, set, good, 1, &f, 1), -EINVAL);
        CHECK_INT(store_tile_set_cut(st, set, &n), -EINVAL);
        CHECK_INT(store_begin(st), 0);
        CHECK_INT(store_tile_features_add(st, set, quote, 1, &f, 1), -EINVAL);
        CHECK_INT(store_tile_features_add(st, set, nine, 9, &f, 1), -EINVAL);
        struct store_tile_feature none = {.values = vals};
        CHECK_INT(store_tile_features_add(st, set, good, 1, &none, 1), -EINVAL);
        /* A set with no features cuts no tiles. */
        CHECK_INT(store_tile_set_cut(st, set, &n), 0);
        CHECK_INT((int)n, 0);
        CHECK_INT(store_commit(st), 0);
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tiles t JOIN tile_sets s ON s.id = "
                                        "t.set_id WHERE s.layer = 'cut_refused'"),
                  0);
        /* The rivers kept serving. */
        char v[65];
        CHECK_INT(store_tile_version(st, "rivers", v), 0);
}

int main(void)
{
        GDALAllRegister();
        storetest_path("tiles.db", db, sizeof(db));
        storetest_path("flood.geojson", f_layer, sizeof(f_layer));
        storetest_path("decoded", tiles_dir, sizeof(tiles_dir));
        mkdir(tiles_dir, 0700);
        /* Two flood areas 3 km apart near 鶴岡駅: one z10 tile holds both,
         * a z16 tile inside the large one holds it alone. */
        const double box1[2][4] = {{139.80, 38.72, 139.83, 38.745},
                                   {139.85, 38.75, 139.855, 38.753}};
        const char *cls1[] = {"2", "4"};
        write_layer(f_layer, cls1, box1, 2);
        struct store *st = storetest_open(db);
        struct geo_import_report rep;
        struct geo_import_opts o = {
            .name = "test_flood", .version = "1", .class_attr = "depth", .hazard = "flood"};
        CHECK_INT(geo_import(st, "hazard", f_layer, &o, &rep), 0);
        if (rep.error[0])
                printf("  %s\n", rep.error);
        printf("  version 1: %zu tiles\n", rep.tiles);
        CHECK(rep.tiles > 9); /* at least one per zoom 8-16 */
        char v[65];
        CHECK_INT(store_tile_version(st, "test_flood", v), 0);
        CHECK_STR(v, "1");
        CHECK_INT(storetest_sql_int(db, "SELECT min(z) FROM tiles"), 8);
        CHECK_INT(storetest_sql_int(db, "SELECT max(z) FROM tiles"), 16);

        int x10, y10, x16, y16, x16b, y16b;
        tile_of(139.815, 38.7325, 10, &x10, &y10);
        tile_of(139.815, 38.7325, 16, &x16, &y16);
        tile_of(139.8525, 38.7515, 16, &x16b, &y16b);
        int x10b, y10b;
        tile_of(139.8525, 38.7515, 10, &x10b, &y10b);
        CHECK(x10 == x10b && y10 == y10b); /* the test's premise */
        struct decoded d;
        CHECK_INT(decode(st, 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 2);
        CHECK(has_class(&d, "2") && has_class(&d, "4"));
        CHECK_STR(d.version, "1");
        CHECK_INT(decode(st, 16, x16, y16, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK(has_class(&d, "2"));
        CHECK_STR(d.label, "2"); /* a --class layer labels with the value */
        CHECK_INT(decode(st, 16, x16b, y16b, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK(has_class(&d, "4"));
        /* Far from both: no tile at all (empty tiles are not made). */
        int xe, ye;
        tile_of(140.2, 38.3, 16, &xe, &ye);
        CHECK_INT(decode(st, 16, xe, ye, &d), -ENOENT);
        /* Outside the zooms, outside the grid, hostile names. */
        int x17, y17;
        tile_of(139.815, 38.7325, 17, &x17, &y17);
        CHECK_INT(decode(st, 17, x17, y17, &d), -ENOENT);
        void *data = NULL;
        size_t len = 0;
        CHECK_INT(store_tile_get(st, "test_flood", 10, 1024, 0, &data, &len, v), -ENOENT);
        CHECK_INT(store_tile_get(st, "test_flood", 10, -1, 0, &data, &len, v), -ENOENT);
        CHECK_INT(store_tile_get(st, "test_flood", 99, 0, 0, &data, &len, v), -ENOENT);
        CHECK_INT(store_tile_get(st, "../test_flood", 10, x10, y10, &data, &len, v), -ENOENT);
        CHECK_INT(store_tile_get(st, "nothing", 10, x10, y10, &data, &len, v), -ENOENT);
        CHECK(data == NULL);

        /* Version 2: only the large area, deeper.  Every old tile goes. */
        const double box2[1][4] = {{139.80, 38.72, 139.83, 38.745}};
        const char *cls2[] = {"5"};
        write_layer(f_layer, cls2, box2, 1);
        o.version = "2";
        CHECK_INT(geo_import(st, "hazard", f_layer, &o, &rep), 0);
        CHECK_INT(store_tile_version(st, "test_flood", v), 0);
        CHECK_STR(v, "2");
        CHECK_INT(decode(st, 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK(has_class(&d, "5") && !has_class(&d, "2") && !has_class(&d, "4"));
        CHECK_STR(d.version, "2");
        CHECK_INT(decode(st, 16, x16b, y16b, &d), -ENOENT); /* the small area is gone */
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tile_sets"), 1);
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tiles t JOIN tile_sets s ON s.id = "
                                        "t.set_id WHERE s.version = '1'"),
                  0);

        /* A broken import (a line among polygons) changes nothing: the
         * tiles of version 2 keep serving. */
        FILE *f = fopen(f_layer, "w");
        fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
              "{\"depth\":\"3\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[139.8,"
              "38.72],[139.81,38.73]]}}]}",
              f);
        fclose(f);
        o.version = "3";
        CHECK(geo_import(st, "hazard", f_layer, &o, &rep) < 0);
        CHECK_INT(store_tile_version(st, "test_flood", v), 0);
        CHECK_STR(v, "2");
        CHECK_INT(decode(st, 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 1);

        /* Areas and districts: tiles of every polygon in the store, made
         * again by each import (the real 鶴岡市 polygon, the authored
         * districts of tests/fixtures/geo). */
        char path[600];
        snprintf(path, sizeof(path), "%s/gis/jma_area_polygons/class20_0620300_tsuruoka.geojson",
                 check_fixtures());
        struct geo_import_opts none = {0};
        CHECK_INT(geo_import(st, "areas", path, &none, &rep), 0);
        CHECK(rep.tiles > 0);
        CHECK_INT(decode_layer(st, "areas", "code", 10, x10, y10, &d), 0);
        CHECK_INT(d.features, 1);
        CHECK(has_class(&d, "0620300"));
        CHECK_STR(d.label, "鶴岡市");
        char first[65];
        snprintf(first, sizeof(first), "%s", d.version);
        CHECK_INT(geo_import(st, "areas", path, &none, &rep), 0);
        CHECK_INT(store_tile_version(st, "areas", v), 0);
        CHECK(strcmp(v, first) != 0); /* a new set, even within the same second */
        CHECK_INT(storetest_sql_int(db, "SELECT count(*) FROM tile_sets WHERE layer = 'areas'"), 1);
        snprintf(path, sizeof(path), "%s/tests/fixtures/geo/districts_6668.geojson",
                 getenv("SONAE_SOURCE_ROOT") ? getenv("SONAE_SOURCE_ROOT") : ".");
        CHECK_INT(geo_import(st, "districts", path, &none, &rep), 0);
        int x12, y12;
        tile_of(139.815, 38.7325, 12, &x12, &y12);
        CHECK_INT(decode_layer(st, "districts", "code", 12, x12, y12, &d), 0);
        CHECK(d.features >= 1 && has_class(&d, "D01"));
        rivers(st);
        cut_refused(st);
        store_close(st);
        storetest_cleanup();
        return check_done("geo-tiles");
}
