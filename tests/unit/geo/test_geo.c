/* Geo import and lookups against a real SpatiaLite file: the real GSI
 * shelters and JMA polygons and code tables of ../shared/fixtures, and the
 * authored A31/A33 layers, districts and addresses of tests/fixtures/geo.
 * Expected values from the shared fixtures are computed here from the files
 * (jansson), never copied. */
#include "check.h"
#include "geo.h"
#include "import.h"
#include "store_city.h"
#include "store_sources.h"
#include "storetest.h"
#include "timeutil.h"

#include <errno.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <geodesic.h>
#include <jansson.h>
#include <math.h>

static char db_path[300];
static char authored[400];

static const char *gfx(const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s", authored, name);
        return buf;
}

static const char *sfx(const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s", check_fixtures(), name);
        return buf;
}

static long long sql_int(const char *sql)
{
        return storetest_sql_int(db_path, sql);
}

/* A double from SQL on a separate connection. */
static double sql_double(const char *sql)
{
        return storetest_sql_double(db_path, sql);
}

static int import(struct store *st, const char *kind, const char *path, const char *name,
                  const char *version, struct geo_import_report *rep)
{
        struct geo_import_opts o = {0};
        o.name = name;
        o.version = version;
        int rc = geo_import(st, kind, path, &o, rep);
        if (rc < 0 && rep->error[0])
                printf("  (expected or not) %s %s: %s\n", kind, path, rep->error);
        return rc;
}

/* The class of a layer at a point, "" when the layer does not cover it. */
static const char *class_at(struct store *st, double lon, double lat, const char *layer, char *buf,
                            size_t len)
{
        struct geo_hazard_answer a;
        buf[0] = '\0';
        if (geo_hazard_at(st, lon, lat, false, &a) < 0)
                return "error";
        for (size_t i = 0; i < a.n_hazards; i++)
                if (strcmp(a.hazards[i].layer, layer) == 0)
                        snprintf(buf, len, "%s", a.hazards[i].class_);
        geo_hazard_answer_free(&a);
        return buf;
}

/* Converts a fixture to another format with GDAL's own ogr2ogr (C API),
 * so GeoPackage and GML inputs are exercised without more files. */
static int translate(const char *src, const char *dst, const char *fmt)
{
        GDALAllRegister();
        GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR, NULL, NULL, NULL);
        if (!in)
                return -1;
        char f[] = "-f", *argv[] = {f, (char *)fmt, NULL};
        GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
        int err = 0;
        GDALDatasetH out = GDALVectorTranslate(dst, NULL, 1, &in, o, &err);
        GDALVectorTranslateOptionsFree(o);
        GDALClose(in);
        if (!out)
                return -1;
        GDALClose(out);
        return err ? -1 : 0;
}

static void test_transform(void)
{
        /* 山形市役所 in 平面直角座標系 X (EPSG:6678): X (northing) -193547.2472,
         * Y (easting) -43210.7886; GIS order gives easting first. */
        double x = 140.3396, y = 38.2554;
        CHECK_INT(geo_transform_point(6668, 6678, &x, &y), 0);
        CHECK_NEAR(x, -43210.7886, 0.0005);
        CHECK_NEAR(y, -193547.2472, 0.0005);
        x = -43210.7886;
        y = -193547.2472;
        CHECK_INT(geo_transform_point(6678, 6668, &x, &y), 0);
        CHECK_NEAR(x, 140.3396, 1e-8);
        CHECK_NEAR(y, 38.2554, 1e-8);
        x = 140.3396;
        y = 38.2554;
        CHECK_INT(geo_transform_point(4326, 6678, &x, &y), 0);
        CHECK_NEAR(x, -43210.7886, 0.0005);
        CHECK_INT(geo_transform_point(999999, 6678, &x, &y), -EINVAL);
        char lg[7];
        CHECK_INT(geo_lg_code_check("06203", lg), 0);
        CHECK_STR(lg, "062031");
        CHECK_INT(geo_lg_code_check("01100", lg), 0);
        CHECK_STR(lg, "011002"); /* 札幌市 */
}

static void test_normalize(void)
{
        char out[200];
        CHECK(geo_normalize("本町１丁目", out, sizeof(out)) > 0);
        CHECK_STR(out, "本町1丁目");
        CHECK(geo_normalize("本町一丁目", out, sizeof(out)) > 0);
        CHECK_STR(out, "本町1丁目");
        CHECK(geo_normalize("道形町十二丁目", out, sizeof(out)) > 0);
        CHECK_STR(out, "道形町12丁目");
        CHECK(geo_normalize("二十三丁目", out, sizeof(out)) > 0);
        CHECK_STR(out, "23丁目");
        CHECK(geo_normalize("ホナミ町　２－３", out, sizeof(out)) > 0);
        CHECK_STR(out, "ほなみ町2-3");
        CHECK(geo_normalize("一本木", out, sizeof(out)) > 0); /* no 丁目: kept */
        CHECK_STR(out, "一本木");
        CHECK(geo_normalize("霞ヶ関", out, sizeof(out)) > 0);
        CHECK_STR(out, "霞け関");
        CHECK_INT(geo_normalize("\xff\xfe", out, sizeof(out)), -EINVAL);
        CHECK_INT(geo_normalize("本町一丁目", out, 4), -EINVAL);
        CHECK(!geo_utf8_valid("\xc0\xaf", 2));     /* overlong */
        CHECK(!geo_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
        CHECK(geo_utf8_valid("鶴岡", strlen("鶴岡")));
}

/* ---- Real fixtures: JMA areas and code table, GSI shelters ------------- */

static void test_areas(struct store *st)
{
        char p[600];
        struct geo_import_report rep;
        CHECK_INT(
            import(st, "areas", sfx("jma_area_codes/CityCode.csv", p, sizeof(p)), NULL, NULL, &rep),
            0);
        CHECK_INT(sql_int("SELECT count(*) FROM area_codes WHERE split_of = '0620300'"), 2);
        CHECK_INT(
            sql_int("SELECT lg_code = '062031' AND town_code = '06203' AND used_landslide = 0 "
                    "FROM area_codes WHERE code = '0620300'"),
            1);
        CHECK_INT(sql_int("SELECT used_landslide FROM area_codes WHERE code = '0620312'"), 1);
        CHECK_INT(sql_int("SELECT count(*) FROM area_codes WHERE name = '鶴岡市南部'"), 1);

        /* The class20 polygon: as in the file (one feature, its code and name,
         * its parts). */
        const char *f20 =
            sfx("gis/jma_area_polygons/class20_0620300_tsuruoka.geojson", p, sizeof(p));
        json_error_t je;
        json_t *j = json_load_file(f20, 0, &je);
        CHECK(j != NULL);
        size_t parts =
            j ? json_array_size(json_object_get(json_object_get(j, "geometry"), "coordinates")) : 0;
        CHECK_INT(import(st, "areas", f20, NULL, NULL, &rep), 0);
        CHECK_INT(rep.imported, 1);
        CHECK_INT(sql_int("SELECT count(*) FROM areas WHERE code = '0620300' AND name = '鶴岡市' "
                          "AND kind = 'city' AND lg_code = '062031' AND town_code = '06203'"),
                  1);
        char q[200];
        snprintf(q, sizeof(q), "SELECT NumGeometries(geom) = %zu FROM areas WHERE code = '0620300'",
                 parts);
        CHECK_INT(sql_int(q), 1);
        json_decref(j);
        /* The class15 region (6-digit code) is skipped, said so. */
        CHECK_INT(
            import(st, "areas",
                   sfx("gis/jma_area_polygons/class15_060032_shonai_nanbu.geojson", p, sizeof(p)),
                   NULL, NULL, &rep),
            0);
        CHECK_INT(rep.imported, 0);
        CHECK_INT(rep.skipped, 1);
        CHECK(strstr(rep.warning, "060032") != NULL);
}

struct gsi_counts {
        size_t n, flags[HAZARD_COUNT];
};

static void gsi_count(const char *path, struct gsi_counts *c, json_t **out)
{
        static const char *const keys[HAZARD_COUNT] = {"洪水",     "崖崩れ、土石流及び地滑り",
                                                       "高潮",     "地震",
                                                       "津波",     "大規模な火事",
                                                       "内水氾濫", "火山現象"};
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        memset(c, 0, sizeof(*c));
        json_t *fs = json_object_get(j, "features");
        c->n = json_array_size(fs);
        for (size_t i = 0; i < c->n; i++) {
                json_t *pr = json_object_get(json_array_get(fs, i), "properties");
                for (int h = 0; h < HAZARD_COUNT; h++) {
                        const char *v = json_string_value(json_object_get(pr, keys[h]));
                        if (v && strcmp(v, "1") == 0)
                                c->flags[h]++;
                }
        }
        *out = j;
}

static void test_shelters(struct store *st)
{
        char pe[600], pv[600];
        struct geo_import_report rep;
        struct gsi_counts ce, cv;
        json_t *je = NULL, *jv = NULL;
        sfx("gis/shelters/gsi_emergency_062031_tsuruoka.geojson", pe, sizeof(pe));
        sfx("gis/shelters/gsi_evacuation_062031_tsuruoka.geojson", pv, sizeof(pv));
        gsi_count(pe, &ce, &je);
        gsi_count(pv, &cv, &jv);
        CHECK(ce.n > 0 && cv.n > 0);
        CHECK_INT(import(st, "shelters", pe, NULL, NULL, &rep), 0);
        CHECK_INT(rep.imported, ce.n);
        CHECK_INT(import(st, "shelters", pv, NULL, NULL, &rep), 0);
        CHECK_INT(rep.imported, cv.n);
        int64_t n = 0;
        CHECK_INT(geo_count(st, "shelters_emergency", &n), 0);
        CHECK_INT(n, ce.n);
        CHECK_INT(geo_count(st, "shelters_evacuation", &n), 0);
        CHECK_INT(n, cv.n);
        static const char *const cols[HAZARD_COUNT] = {"flood",        "landslide", "storm_surge",
                                                       "earthquake",   "tsunami",   "fire",
                                                       "inland_flood", "volcano"};
        for (int h = 0; h < HAZARD_COUNT; h++) {
                char q[200];
                snprintf(q, sizeof(q), "SELECT count(*) FROM shelters WHERE %s = 1", cols[h]);
                CHECK_INT(sql_int(q), ce.flags[h]);
        }
        /* Links by 住所同一: emergency shelters whose address is an
         * evacuation shelter's, counted from the files. */
        size_t want_links = 0;
        json_t *fe = json_object_get(je, "features"), *fv = json_object_get(jv, "features");
        for (size_t i = 0; i < json_array_size(fe); i++) {
                const char *a = json_string_value(
                    json_object_get(json_object_get(json_array_get(fe, i), "properties"), "住所"));
                for (size_t k = 0; a && k < json_array_size(fv); k++) {
                        const char *b = json_string_value(json_object_get(
                            json_object_get(json_array_get(fv, k), "properties"), "住所"));
                        if (b && strcmp(a, b) == 0) {
                                want_links++;
                                break;
                        }
                }
        }
        CHECK(want_links > 0);
        CHECK_INT(rep.linked, want_links);
        CHECK_INT(sql_int("SELECT count(*) FROM shelters e JOIN shelters v ON v.id = e.linked_id "
                          "WHERE e.kind = 'emergency' AND v.kind = 'evacuation' AND e.address = "
                          "v.address"),
                  want_links);
        /* One shelter's attributes as in the file (the first feature). */
        json_t *f0 = json_array_get(fe, 0);
        json_t *pr = json_object_get(f0, "properties");
        json_t *co = json_object_get(json_object_get(f0, "geometry"), "coordinates");
        char q[400];
        snprintf(q, sizeof(q),
                 "SELECT count(*) FROM shelters WHERE common_id = '%s' AND name = '%s' AND "
                 "address = '%s' AND abs(lon - %.7f) < 1e-9 AND abs(lat - %.7f) < 1e-9",
                 json_string_value(json_object_get(pr, "共通ID")),
                 json_string_value(json_object_get(pr, "施設・場所名")),
                 json_string_value(json_object_get(pr, "住所")),
                 json_number_value(json_array_get(co, 0)),
                 json_number_value(json_array_get(co, 1)));
        CHECK_INT(sql_int(q), 1);
        json_decref(je);
        json_decref(jv);

        /* The API's "no data" answer is refused, clearly. */
        CHECK_INT(import(st, "shelters",
                         sfx("gis/shelters/gsi_evacuation_063649_unavailable_response.json", pe,
                             sizeof(pe)),
                         NULL, NULL, &rep),
                  -ENODATA);
        CHECK(strstr(rep.error, "公開されていません") != NULL);

        /* 自治体標準オープンデータセット CSV with capacity. */
        char pc[600];
        CHECK_INT(import(st, "shelters", gfx("opendata_emergency_062031.csv", pc, sizeof(pc)), NULL,
                         NULL, &rep),
                  0);
        CHECK_INT(rep.imported, 3);
        CHECK_INT(sql_int("SELECT capacity FROM shelters WHERE common_id = '062031-S001'"), 650);
        CHECK_INT(sql_int("SELECT flood + earthquake + fire + inland_flood FROM shelters WHERE "
                          "common_id = '062031-S001'"),
                  4);
}

/* ---- Authored hazard layers -------------------------------------------- */

static void test_hazard_layers(struct store *st)
{
        char p[600], c[65];
        struct geo_import_report rep;
        /* A31 想定最大規模, Shapefile with a Shift_JIS .dbf and .cpg, EPSG:6668. */
        CHECK_INT(import(st, "hazard", gfx("a31_max_6668.shp", p, sizeof(p)), NULL, "2016", &rep),
                  0);
        CHECK_INT(rep.imported, 2);
        CHECK_STR(rep.layer, "A31_flood_max");
        CHECK_STR(class_at(st, 139.815, 38.735, "A31_flood_max", c, sizeof(c)), "2");
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features WHERE label_ja = '浸水深 "
                          "0.5m以上3.0m未満' AND rank = 2"),
                  1);
        /* In the hole: not flooded; on the hole's edge: the boundary counts. */
        CHECK_STR(class_at(st, 139.8075, 38.7275, "A31_flood_max", c, sizeof(c)), "");
        CHECK_STR(class_at(st, 139.805, 38.7275, "A31_flood_max", c, sizeof(c)), "2");
        /* On the shared edge of rank 2 and rank 3: the worse. */
        CHECK_STR(class_at(st, 139.82, 38.73, "A31_flood_max", c, sizeof(c)), "3");
        /* On a corner; just outside. */
        CHECK_STR(class_at(st, 139.80, 38.72, "A31_flood_max", c, sizeof(c)), "2");
        CHECK_STR(class_at(st, 139.7999, 38.72, "A31_flood_max", c, sizeof(c)), "");

        /* The revised edition (GeoJSON, EPSG:4326) beside it, switched. */
        CHECK_INT(
            import(st, "hazard", gfx("a31_max_v2_4326.geojson", p, sizeof(p)), NULL, "2024", &rep),
            0);
        CHECK_STR(class_at(st, 139.815, 38.735, "A31_flood_max", c, sizeof(c)), "4");
        CHECK_STR(class_at(st, 139.8075, 38.7275, "A31_flood_max", c, sizeof(c)), "4");
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_layers WHERE name = 'A31_flood_max'"), 2);
        CHECK_INT(sql_int("SELECT version = '2024' FROM hazard_layers WHERE name = "
                          "'A31_flood_max' AND active = 1"),
                  1);
        /* Broken imports leave 2024 serving. */
        long long nf = sql_int("SELECT count(*) FROM hazard_features");
        CHECK_INT(
            import(st, "hazard", gfx("bad_collapsed.geojson", p, sizeof(p)), NULL, "bad1", &rep),
            -EINVAL);
        CHECK(strstr(rep.error, "地物 1") != NULL);
        CHECK_INT(
            import(st, "hazard", gfx("bad_missing_rank.geojson", p, sizeof(p)), NULL, "bad2", &rep),
            -EINVAL);
        CHECK(strstr(rep.error, "A31a_205") != NULL && strstr(rep.error, "地物 1") != NULL);
        CHECK_INT(import(st, "hazard", gfx("bad_noprj.shp", p, sizeof(p)), NULL, "bad3", &rep),
                  -EINVAL);
        CHECK(strstr(rep.error, "unknown CRS") != NULL);
        CHECK(import(st, "hazard", gfx("bad_empty.geojson", p, sizeof(p)), NULL, "bad4", &rep) < 0);
        CHECK(strstr(rep.error, "empty") != NULL || strstr(rep.error, "ありません") != NULL);
        CHECK(import(st, "hazard", gfx("no_such_file.shp", p, sizeof(p)), NULL, "bad5", &rep) < 0);
        CHECK_INT(import(st, "hazard", gfx("a31_max_6668.shp", p, sizeof(p)), NULL, "2024", &rep),
                  -EEXIST);
        char longv[80];
        memset(longv, '9', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = '\0';
        CHECK(import(st, "hazard", gfx("a31_max_6668.shp", p, sizeof(p)), NULL, longv, &rep) < 0);
        CHECK(strstr(rep.error, "1-64") != NULL);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features"), nf);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_layers WHERE name = 'A31_flood_max'"), 2);
        CHECK_STR(class_at(st, 139.815, 38.735, "A31_flood_max", c, sizeof(c)), "4");
        /* A self-intersecting polygon is repaired and counted. */
        CHECK_INT(
            import(st, "hazard", gfx("bad_bowtie.geojson", p, sizeof(p)), "bowtie", "1", &rep), 0);
        CHECK_INT(rep.repaired, 1);
        CHECK_STR(class_at(st, 139.9025, 38.705, "bowtie", c, sizeof(c)), "5");

        /* 計画規模 in EPSG:6678, Shapefile and GeoJSON: the vertex authored at
         * 山形市役所's plane coordinates lands on 140.3396 E, 38.2554 N. */
        static const char *const plan[] = {"a31_plan_6678.shp", "a31_plan_6678.geojson"};
        for (int i = 0; i < 2; i++) {
                CHECK_INT(import(st, "hazard", gfx(plan[i], p, sizeof(p)), NULL, plan[i], &rep), 0);
                CHECK_STR(rep.layer, "A31_flood_plan");
                double lon = sql_double(
                    "SELECT X(PointN(ExteriorRing(GeometryN(f.geom, 1)), 1)) FROM "
                    "hazard_features f JOIN hazard_layers l ON l.id = f.layer_id WHERE l.name = "
                    "'A31_flood_plan' AND l.active = 1");
                double lat = sql_double(
                    "SELECT Y(PointN(ExteriorRing(GeometryN(f.geom, 1)), 1)) FROM "
                    "hazard_features f JOIN hazard_layers l ON l.id = f.layer_id WHERE l.name = "
                    "'A31_flood_plan' AND l.active = 1");
                /* 1e-8 degrees is about 1 mm. */
                CHECK_NEAR(lon, 140.3396, 1e-8);
                CHECK_NEAR(lat, 38.2554, 1e-8);
                CHECK_STR(class_at(st, 140.3396, 38.2554, "A31_flood_plan", c, sizeof(c)), "2");
        }

        /* A33 in GeoJSON (EPSG:6668), then as a Shapefile with a Shift_JIS
         * .dbf and no .cpg (EPSG:4326), then in old datums with a warning. */
        CHECK_INT(import(st, "hazard", gfx("a33_6668.geojson", p, sizeof(p)), NULL, "a", &rep), 0);
        CHECK_STR(rep.layer, "A33_landslide");
        CHECK_STR(class_at(st, 139.853, 38.703, "A33_landslide", c, sizeof(c)), "red");
        CHECK_STR(class_at(st, 139.851, 38.701, "A33_landslide", c, sizeof(c)), "yellow");
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features WHERE label_ja = "
                          "'土砂災害特別警戒区域（急傾斜地の崩壊）'"),
                  1);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features WHERE label_ja = "
                          "'土砂災害警戒区域（土石流）'"),
                  1);
        CHECK_INT(import(st, "hazard", gfx("a33_4326_nocpg.shp", p, sizeof(p)), NULL, "b", &rep),
                  0);
        CHECK_STR(class_at(st, 139.853, 38.703, "A33_landslide", c, sizeof(c)), "red");
        CHECK_INT(
            import(st, "hazard", gfx("a33_tokyo_4301.geojson", p, sizeof(p)), NULL, "tokyo", &rep),
            0);
        CHECK(strstr(rep.warning, "Tokyo") != NULL);
        /* Tokyo datum: the file holds the same places in Tokyo coordinates
         * (about 400 m off); transformed, they land on the JGD2011 box
         * within the Helmert approximation (a few metres). */
        double x = sql_double("SELECT MbrMinX(f.geom) FROM hazard_features f JOIN hazard_layers l "
                              "ON l.id = f.layer_id WHERE l.version = 'tokyo' ORDER BY f.id");
        CHECK_NEAR(x, 139.85, 0.0001);
        CHECK(fabs(x - 139.8534) > 0.003);
        CHECK_INT(import(st, "hazard", gfx("a33_jgd2000_4612.geojson", p, sizeof(p)), NULL,
                         "jgd2000", &rep),
                  0);
        CHECK(strstr(rep.warning, "JGD2000") != NULL);
        /* The same A33 layer as GeoPackage and as GML. */
        static const char *const other[][2] = {{"a33.gpkg", "GPKG"}, {"a33.gml", "GML"}};
        for (int i = 0; i < 2; i++) {
                char dst[300];
                storetest_path(other[i][0], dst, sizeof(dst));
                CHECK_INT(translate(gfx("a33_6668.geojson", p, sizeof(p)), dst, other[i][1]), 0);
                CHECK_INT(import(st, "hazard", dst, NULL, other[i][1], &rep), 0);
                CHECK_INT(rep.imported, 3);
                CHECK_STR(class_at(st, 139.853, 38.703, "A33_landslide", c, sizeof(c)), "red");
                CHECK_STR(class_at(st, 139.865, 38.685, "A33_landslide", c, sizeof(c)), "yellow");
        }
        /* Generic layers need their class attribute named. */
        struct geo_import_opts o = {0};
        o.class_attr = "A31a_205";
        o.hazard = "inland_flood";
        o.name = "naisui";
        o.title = "内水浸水想定区域";
        o.version = "1";
        CHECK_INT(geo_import(st, "hazard", gfx("a31_max_6668.shp", p, sizeof(p)), &o, &rep), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_layers WHERE name = 'naisui' AND hazard = "
                          "'inland_flood' AND active = 1"),
                  1);
        o.class_attr = "NO_SUCH";
        o.version = "2";
        CHECK_INT(geo_import(st, "hazard", gfx("a31_max_6668.shp", p, sizeof(p)), &o, &rep),
                  -EINVAL);
        CHECK(strstr(rep.error, "NO_SUCH") != NULL);
        CHECK_INT(geo_import(st, "lava", p, NULL, &rep), -EINVAL);
}

/* ---- hazard_at: areas, districts, levels -------------------------------- */

static int64_t fixed_now_ms;
static int64_t fixed_now(void)
{
        return fixed_now_ms;
}

static void test_hazard_at(struct store *st)
{
        char p[600];
        struct geo_import_report rep;
        CHECK_INT(import(st, "districts", gfx("bad_districts_sjis.geojson", p, sizeof(p)), NULL,
                         NULL, &rep),
                  -EILSEQ);
        /* Shift_JIS bytes in a GeoJSON file: refused, nothing written. */
        CHECK(strstr(rep.error, "wrong encoding") != NULL);
        CHECK_INT(sql_int("SELECT count(*) FROM districts"), 0);
        CHECK_INT(
            import(st, "districts", gfx("districts_6668.geojson", p, sizeof(p)), NULL, NULL, &rep),
            0);
        CHECK_INT(rep.imported, 2);

        struct geo_hazard_answer a;
        CHECK_INT(geo_hazard_at(st, 139.815, 38.73, false, &a), 0);
        CHECK_STR(a.area_code, "0620300");
        CHECK_STR(a.area_name, "鶴岡市");
        CHECK_STR(a.lg_code, "062031");
        CHECK_STR(a.town_code, "06203");
        CHECK_INT(a.n_areas, 3);
        bool s1 = false, s2 = false;
        for (size_t i = 0; i < a.n_areas; i++) {
                s1 |= strcmp(a.areas[i], "0620311") == 0;
                s2 |= strcmp(a.areas[i], "0620312") == 0;
        }
        CHECK(s1 && s2);
        CHECK(a.split_unresolved);
        CHECK(a.note_ja && strstr(a.note_ja, "高い方") != NULL);
        CHECK_STR(a.district_code, "D01");
        CHECK_STR(a.district_name, "第一学区");
        CHECK_INT(a.jma_level, LEVEL_NONE);
        CHECK_INT(a.river_level, LEVEL_NONE);
        CHECK_INT(a.order_level, LEVEL_NONE);
        /* Two active layers cover it, in layer order; the revised A31
         * edition answers. */
        CHECK_INT(a.n_hazards, 2);
        if (a.n_hazards == 2) {
                CHECK_STR(a.hazards[0].layer, "A31_flood_max");
                CHECK_STR(a.hazards[0].label_ja, "浸水深 5.0m以上10.0m未満");
                CHECK_STR(a.hazards[0].version, "2024");
                CHECK_STR(a.hazards[0].hazard, "flood");
                CHECK_STR(a.hazards[1].layer, "naisui");
                CHECK_STR(a.hazards[1].hazard, "inland_flood");
        }
        geo_hazard_answer_free(&a);

        /* Levels in force: JMA (the split rule: the higher of 北部/南部), a
         * river gauge of the area, the city's order. */
        struct store_area_kind k = {.code = "03",
                                    .name = "大雨警報",
                                    .status = "発表",
                                    .level = 3,
                                    .issued_at = 1700000000};
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", false, &k, 1), 0);
        struct store_area_kind ls = {.code = "09",
                                     .name = "土砂災害警戒情報",
                                     .status = "発表",
                                     .level = 4,
                                     .issued_at = 1700000000};
        CHECK_INT(store_area_set_in_force(st, "0620312", "鶴岡市南部", false, &ls, 1), 0);
        fixed_now_ms = 1700000600000LL;
        time_set_override(fixed_now);
        struct store_station g = storetest_gauge("geo-1", "鶴岡");
        int64_t gid = 0;
        CHECK_INT(store_station_upsert(st, &g, &gid), 0);
        struct store_obs ob = {.station_id = gid,
                               .quantity = "water_level_m",
                               .observed_at = 1700000500,
                               .value = 3.5};
        CHECK_INT(store_observations_add(st, &ob, 1, NULL), 0);
        struct store_order o = {0};
        o.level = 4;
        o.hazard = "flood";
        o.area_code = "0620300";
        o.issued_at = 1700000550;
        CHECK_INT(store_order_issue(st, &o, NULL), 0);
        struct store_order ox = o;
        ox.level = 5;
        ox.exercise = true;
        CHECK_INT(store_order_issue(st, &ox, NULL), 0);
        CHECK_INT(geo_hazard_at(st, 139.815, 38.73, false, &a), 0);
        CHECK_INT(a.jma_level, 4);
        CHECK_INT(a.river_level, 3);
        CHECK_INT(a.order_level, 4);
        CHECK_STR(a.order_name_ja, "避難指示");
        CHECK(!a.exercise);
        geo_hazard_answer_free(&a);
        CHECK_INT(geo_hazard_at(st, 139.815, 38.73, true, &a), 0);
        CHECK_INT(a.order_level, 5);
        CHECK(a.exercise);
        geo_hazard_answer_free(&a);
        /* A stale gauge is not read as a level. */
        fixed_now_ms = 1700000500000LL + 600 * 4 * 1000LL;
        CHECK_INT(geo_hazard_at(st, 139.815, 38.73, false, &a), 0);
        CHECK_INT(a.river_level, LEVEL_NONE);
        geo_hazard_answer_free(&a);
        time_set_override(NULL);

        /* With a split polygon (authored) the split is decided: a point in
         * 鶴岡市南部 has 0620300 and 0620312 only, and 南部's level. */
        CHECK_INT(import(st, "areas", gfx("jma_split_0620312_authored.geojson", p, sizeof(p)), NULL,
                         NULL, &rep),
                  0);
        CHECK_INT(sql_int("SELECT count(*) FROM areas WHERE code = '0620312' AND kind = "
                          "'city_split' AND parent_code = '0620300'"),
                  1);
        CHECK_INT(geo_hazard_at(st, 139.80, 38.50, false, &a), 0);
        CHECK_STR(a.area_code, "0620300");
        CHECK_INT(a.n_areas, 2);
        CHECK(!a.split_unresolved && a.note_ja == NULL);
        CHECK_INT(a.jma_level, 4);
        geo_hazard_answer_free(&a);
        /* Outside 南部's polygon, 北部 (which has none) is the only one
         * left: resolved to 0620311, whose level is none. */
        CHECK_INT(geo_hazard_at(st, 139.815, 38.73, false, &a), 0);
        CHECK(!a.split_unresolved);
        CHECK_INT(a.n_areas, 2);
        CHECK(a.n_areas == 2 && strcmp(a.areas[1], "0620311") == 0);
        CHECK_INT(a.jma_level, 3);
        geo_hazard_answer_free(&a);

        /* Outside every layer and area (仙台市): nothing, and no error. */
        CHECK_INT(geo_hazard_at(st, 140.8719, 38.2682, false, &a), 0);
        CHECK(a.area_code == NULL);
        CHECK_INT(a.n_hazards, 0);
        CHECK_INT(a.n_areas, 0);
        CHECK_INT(a.jma_level, LEVEL_NONE);
        CHECK_INT(a.order_level, LEVEL_NONE);
        geo_hazard_answer_free(&a);
        CHECK_INT(geo_hazard_at(st, 200, 38, false, &a), -EINVAL);
        CHECK_INT(geo_hazard_at(st, NAN, 38, false, &a), -EINVAL);
}

/* ---- Large polygons (prepared per handle) -------------------------------- */

/* A 4,000-vertex ring (a circle of radius r around cx, cy), WKT. */
static size_t circle(char *buf, size_t len, double cx, double cy, double r, bool reverse)
{
        size_t w = 0;
        buf[w++] = '(';
        for (int k = 0; k <= 4000; k++) {
                int i = reverse ? 4000 - k : k;
                double a = 2 * M_PI * (i % 4000) / 4000.0;
                w += (size_t)snprintf(buf + w, len - w, "%s%.9f %.9f", k ? "," : "",
                                      cx + r * cos(a), cy + r * sin(a));
        }
        buf[w++] = ')';
        buf[w] = '\0';
        return w;
}

static int64_t big_layer(struct store *st, const char *version, double cx)
{
        static char wkt[400000];
        size_t w = (size_t)snprintf(wkt, sizeof(wkt), "POLYGON(");
        w += circle(wkt + w, sizeof(wkt) - w, cx, 38.0, 0.1, false);
        wkt[w++] = ',';
        w += circle(wkt + w, sizeof(wkt) - w, cx, 38.0, 0.02, true);
        snprintf(wkt + w, sizeof(wkt) - w, ")");
        struct store_hazard_layer l = {.name = "big",
                                       .version = version,
                                       .hazard = HAZARD_TSUNAMI,
                                       .title = "大きな多角形",
                                       .attribution = "test"};
        int64_t lid = 0;
        struct store_hazard_feature f = {.class_ = "1", .label_ja = "1", .rank = 1};
        f.geom.wkt = wkt;
        if (store_hazard_layer_create(st, &l, &lid) < 0 ||
            store_hazard_features_add(st, lid, &f, 1) < 0 ||
            store_hazard_layer_activate(st, lid) < 0)
                return -1;
        return lid;
}

static void test_large_polygons(struct store *st)
{
        char c[65];
        CHECK(big_layer(st, "1", 141.0) > 0);
        CHECK(sql_int("SELECT length(geom) FROM hazard_features f JOIN hazard_layers l ON l.id = "
                      "f.layer_id WHERE l.name = 'big'") > 16384);
        /* Twice each: the first reads and prepares, the second uses it. */
        for (int rep = 0; rep < 2; rep++) {
                CHECK_STR(class_at(st, 141.05, 38.0, "big", c, sizeof(c)), "1");
                CHECK_STR(class_at(st, 141.0, 38.0, "big", c, sizeof(c)), "");   /* hole */
                CHECK_STR(class_at(st, 141.02, 38.0, "big", c, sizeof(c)), "1"); /* hole's vertex */
                CHECK_STR(class_at(st, 141.1, 38.0, "big", c, sizeof(c)), "1");  /* outer vertex */
                CHECK_STR(class_at(st, 141.1001, 38.0, "big", c, sizeof(c)), ""); /* outside */
                CHECK_STR(class_at(st, 141.0, 38.0999, "big", c, sizeof(c)), "1");
                CHECK_STR(class_at(st, 141.0, 38.1001, "big", c, sizeof(c)), "");
        }
        /* A new edition 0.05 degrees east: the cached form of the old one
         * must not answer. */
        CHECK(big_layer(st, "2", 141.05) > 0);
        CHECK_STR(class_at(st, 141.05, 38.0, "big", c, sizeof(c)), ""); /* the new hole */
        CHECK_STR(class_at(st, 141.14, 38.0, "big", c, sizeof(c)), "1");
        CHECK_STR(class_at(st, 140.94, 38.0, "big", c, sizeof(c)), "");
}

/* ---- shelters_near ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void test_shelters_near(struct store *st)
{
        struct geod_geodesic g;
        geod_init(&g, 6378137.0, 1 / 298.257222101);
        struct store_shelter_list all = {0};
        CHECK_INT(store_shelters_list(st, false, &all), 0);
        const double lon = 139.8266, lat = 38.7276;
        for (int h = 0; h < HAZARD_COUNT; h++) {
                /* Brute force over the whole list: the reference. */
                double *dist = calloc(all.n + 1, sizeof(*dist));
                size_t nd = 0;
                for (size_t i = 0; dist && i < all.n; i++) {
                        if (!all.v[i].hazards[h] || strcmp(all.v[i].kind, "evacuation") == 0)
                                continue;
                        double d, a1, a2;
                        geod_inverse(&g, lat, lon, all.v[i].lat, all.v[i].lon, &d, &a1, &a2);
                        dist[nd++] = d;
                }
                qsort(dist, nd, sizeof(*dist), cmp_double);
                size_t nb = nd < 5 ? nd : 5;
                double best[5];
                for (size_t i = 0; i < nb; i++)
                        best[i] = dist[i];
                free(dist);
                struct geo_shelter_list l;
                CHECK_INT(geo_shelters_near(st, lon, lat, (enum store_hazard)h, 5, &l), 0);
                CHECK_INT(l.n, nb);
                for (size_t i = 0; i < l.n && i < nb; i++) {
                        CHECK_NEAR(l.v[i].distance_m, best[i], 0.01);
                        CHECK(l.v[i].bearing_deg >= 0 && l.v[i].bearing_deg < 360);
                }
                geo_shelter_list_free(&l);
        }
        /* Linked 指定避難所 names come with the hit. */
        struct geo_shelter_list l;
        CHECK_INT(geo_shelters_near(st, lon, lat, HAZARD_EARTHQUAKE, 50, &l), 0);
        size_t linked = 0;
        for (size_t i = 0; i < l.n; i++)
                if (l.v[i].linked_id) {
                        linked++;
                        CHECK(l.v[i].linked_name != NULL);
                }
        CHECK(linked > 0);
        /* Open first: open the 4th nearest flood shelter. */
        geo_shelter_list_free(&l);
        CHECK_INT(geo_shelters_near(st, lon, lat, HAZARD_FLOOD, 5, &l), 0);
        int64_t fourth = l.n >= 4 ? l.v[3].id : 0;
        double d4 = l.n >= 4 ? l.v[3].distance_m : 0;
        geo_shelter_list_free(&l);
        CHECK(fourth > 0);
        CHECK_INT(store_shelter_set_status(st, fourth, true, 42, "毛布"), 0);
        CHECK_INT(geo_shelters_near(st, lon, lat, HAZARD_FLOOD, 5, &l), 0);
        CHECK(l.n == 5 && l.v[0].id == fourth && l.v[0].open);
        CHECK(l.n == 5 && fabs(l.v[0].distance_m - d4) < 0.01);
        CHECK(l.n == 5 && l.v[0].occupancy == 42);
        CHECK(l.n == 5 && !l.v[1].open && l.v[1].distance_m <= l.v[2].distance_m);
        geo_shelter_list_free(&l);
        /* Re-import keeps the status staff entered. */
        char p[600];
        struct geo_import_report rep;
        CHECK_INT(import(st, "shelters",
                         sfx("gis/shelters/gsi_emergency_062031_tsuruoka.geojson", p, sizeof(p)),
                         NULL, NULL, &rep),
                  0);
        char q[200];
        snprintf(q, sizeof(q),
                 "SELECT is_open = 1 AND occupancy = 42 AND needs = '毛布' FROM shelters WHERE "
                 "id = %lld",
                 (long long)fourth);
        CHECK_INT(sql_int(q), 1);
        /* Exactly on a shelter: distance 0, no bearing; hazard_at answers. */
        const struct store_shelter *on = NULL;
        for (size_t i = 0; i < all.n && !on; i++)
                if (all.v[i].hazards[HAZARD_TSUNAMI] && strcmp(all.v[i].kind, "emergency") == 0)
                        on = &all.v[i];
        CHECK(on != NULL);
        if (on) {
                CHECK_INT(geo_shelters_near(st, on->lon, on->lat, HAZARD_TSUNAMI, 1, &l), 0);
                CHECK(l.n == 1 && l.v[0].distance_m < 0.001 && isnan(l.v[0].bearing_deg));
                geo_shelter_list_free(&l);
                struct geo_hazard_answer a;
                CHECK_INT(geo_hazard_at(st, on->lon, on->lat, false, &a), 0);
                CHECK_STR(a.area_code, "0620300");
                geo_hazard_answer_free(&a);
        }
        CHECK_INT(geo_shelters_near(st, lon, lat, HAZARD_FLOOD, 0, &l), -EINVAL);
        CHECK_INT(geo_shelters_near(st, lon, lat, HAZARD_COUNT, 3, &l), -EINVAL);
        store_shelter_list_free(&all);
}

/* ---- Addresses ------------------------------------------------------------ */

static const char *first_code(struct store *st, const char *text, char *buf, size_t len)
{
        struct geo_address_list l;
        buf[0] = '\0';
        if (geo_address_search(st, text, 10, &l) < 0)
                return "error";
        if (l.n)
                snprintf(buf, len, "%s", l.v[0].code);
        geo_address_list_free(&l);
        return buf;
}

static void test_addresses(struct store *st, bool with_districts)
{
        char p[600], c[32];
        struct geo_import_report rep;
        CHECK_INT(
            import(st, "addresses", gfx("isj_oaza_06203_sjis.csv", p, sizeof(p)), NULL, NULL, &rep),
            0);
        CHECK_INT(rep.imported, 19);
        CHECK(strstr(rep.warning, "Shift_JIS") != NULL);
        CHECK_INT(sql_int("SELECT count(*) FROM addresses WHERE town = '本町一丁目' AND city = "
                          "'鶴岡市' AND chome = 1 AND town_base = '本町'"),
                  1);
        CHECK_STR(first_code(st, "本町１丁目", c, sizeof(c)), "062030001001");
        CHECK_STR(first_code(st, "本町一丁目", c, sizeof(c)), "062030001001");
        CHECK_STR(first_code(st, "鶴岡市本町2丁目", c, sizeof(c)), "062030001002");
        CHECK_STR(first_code(st, "鶴岡市本町３－４－５", c, sizeof(c)), "062030001003");
        CHECK_STR(first_code(st, "ホナミ町", c, sizeof(c)), "062030008000");
        CHECK_STR(first_code(st, "道形町12丁目", c, sizeof(c)), "062030015012");
        CHECK_STR(first_code(st, "羽黒町手向", c, sizeof(c)), "062030014000");
        CHECK_STR(first_code(st, "存在しない町", c, sizeof(c)), "");
        struct geo_address_list l;
        CHECK_INT(geo_address_search(st, "大山", 10, &l), 0);
        CHECK_INT(l.n, 3);
        if (l.n)
                CHECK_STR(l.v[0].label, "山形県鶴岡市大山一丁目");
        geo_address_list_free(&l);
        char big[300];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        CHECK_INT(geo_address_search(st, big, 10, &l), -EINVAL);
        CHECK_INT(geo_address_search(st, "\xff", 10, &l), -EINVAL);
        /* Bad files change nothing. */
        CHECK_INT(import(st, "addresses", gfx("bad_isj_utf16.csv", p, sizeof(p)), NULL, NULL, &rep),
                  -EILSEQ);
        CHECK_INT(
            import(st, "addresses", gfx("bad_isj_columns.csv", p, sizeof(p)), NULL, NULL, &rep),
            -EINVAL);
        CHECK(strstr(rep.error, "都道府県コード") != NULL);
        CHECK_INT(sql_int("SELECT count(*) FROM addresses"), 19);

        struct geo_pick_list pk;
        CHECK_INT(geo_picker_districts(st, &pk), 0);
        if (with_districts) {
                CHECK_INT(pk.n, 2);
                CHECK(pk.n == 2 && strcmp(pk.v[0].code, "D01") == 0 && pk.v[0].n_towns > 0);
                CHECK_INT(geo_picker_towns(st, "D01", &l), 0);
                CHECK(l.n > 0 && l.n == (size_t)(pk.n ? pk.v[0].n_towns : 0));
                bool honcho = false;
                for (size_t i = 0; i < l.n; i++) {
                        honcho |= strcmp(l.v[i].town, "本町一丁目") == 0;
                        CHECK_INT(l.v[i].district_id,
                                  sql_int("SELECT id FROM districts WHERE code = 'D01'"));
                }
                CHECK(honcho);
                geo_address_list_free(&l);
        } else {
                /* No districts: the 大字・町 names stand in. */
                CHECK(pk.n >= 15);
                bool found = false;
                for (size_t i = 0; i < pk.n; i++)
                        if (strcmp(pk.v[i].code, "town:本町") == 0) {
                                found = true;
                                CHECK_INT(pk.v[i].n_towns, 3);
                        }
                CHECK(found);
                CHECK_INT(geo_picker_towns(st, "town:本町", &l), 0);
                CHECK_INT(l.n, 3);
                if (l.n == 3) {
                        CHECK_STR(l.v[0].town, "本町一丁目");
                        CHECK_STR(l.v[2].town, "本町三丁目");
                }
                geo_address_list_free(&l);
        }
        geo_pick_list_free(&pk);
}

int main(void)
{
        const char *src = getenv("SONAE_SOURCE_ROOT");
        snprintf(authored, sizeof(authored), "%s/tests/fixtures/geo", src ? src : ".");
        test_transform();
        test_normalize();
        storetest_path("geo.db", db_path, sizeof(db_path));
        struct store *st = storetest_open(db_path);
        test_areas(st);
        test_shelters(st);
        test_hazard_layers(st);
        test_hazard_at(st);
        test_large_polygons(st);
        test_shelters_near(st);
        test_addresses(st, true);
        store_close(st);

        /* A store with addresses only: the picker falls back to 町丁目. */
        char p2[300];
        storetest_path("addr.db", p2, sizeof(p2));
        snprintf(db_path, sizeof(db_path), "%s", p2);
        st = storetest_open(db_path);
        test_addresses(st, false);
        store_close(st);
        storetest_cleanup();
        return check_done("geo");
}
