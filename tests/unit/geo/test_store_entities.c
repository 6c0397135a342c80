/* Every entity of the store (devices, source health and raw documents
 * are in test_store_devices.c, which runs on both backends): insert and read back, one invalid row
 * per constraint refused (and nothing written), idempotent re-inserts, and the event of each write
 * path in the same transaction. */
#include "check.h"
#include "geo.h"
#include "store_city.h"
#include "store_devices.h"
#include "store_places.h"
#include "store_sources.h"
#include "storetest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *db;

static long long sql_int(const char *sql)
{
        return storetest_sql_int(db, sql);
}

/* sql_int of a query built with printf's format. */
static long long sql_intf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sql_intf(const char *fmt, ...)
{
        char sql[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sql, sizeof(sql), fmt, ap);
        va_end(ap);
        return sql_int(sql);
}

static long long events_of(const char *type)
{
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE type = '%s'", type);
        return sql_int(sql);
}

/* A square polygon around (lon, lat) of half-size d degrees, as WKT. */
static void square(char *buf, size_t len, double lon, double lat, double d)
{
        snprintf(buf, len, "POLYGON((%.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f))",
                 lon - d, lat - d, lon + d, lat - d, lon + d, lat + d, lon - d, lat + d, lon - d,
                 lat - d);
}

static void test_sources(struct store *st)
{
        /* The alerts' document (raw documents themselves are tested in
         * test_store_devices.c, on both backends). */
        const char *url = "https://www.data.jma.go.jp/developer/xml/data/x.xml";
        int64_t d1 = 0;
        CHECK_INT(
            store_raw_document_put(st, "jma", url, "application/xml", "<a/>", 4, 1000, &d1, NULL),
            0);

        /* Alerts: normalised JMA rows; idempotent per document/area/kind. */
        struct store_alert a = {0};
        a.document_id = d1;
        a.office = "山形地方気象台";
        a.title = "山形県気象警報・注意報";
        a.info_type = "発表";
        a.report_status = "通常";
        a.event_id = NULL;
        a.serial = -1;
        a.report_at = 1721890000;
        a.area_code = "0620300";
        a.area_name = "鶴岡市";
        a.kind_code = "03";
        a.kind_name = "大雨警報";
        a.status = "発表";
        a.level = 3;
        int64_t a1 = 0, a2 = 0;
        CHECK_INT(store_alert_add(st, &a, &a1), 0);
        CHECK_INT(store_alert_add(st, &a, &a2), 0);
        CHECK_INT(a2, a1);
        CHECK_INT(sql_int("SELECT count(*) FROM alerts WHERE serial IS NULL"), 1);
        a.kind_code = "10";
        a.kind_name = "大雨注意報";
        a.level = 6;
        CHECK_INT(store_alert_add(st, &a, NULL), -EINVAL); /* level out of range */
        a.level = 2;
        a.info_type = "速報";
        CHECK_INT(store_alert_add(st, &a, NULL), -EINVAL); /* not 発表/訂正/取消 */
        a.info_type = "発表";
        a.area_code = "06203";
        CHECK_INT(store_alert_add(st, &a, NULL), -EINVAL); /* not a 7-digit area */
        a.area_code = "0620400";
        a.area_name = "酒田市";
        a.report_status = "訓練";
        a.serial = 2;
        CHECK_INT(store_alert_add(st, &a, NULL), 0);
        CHECK_INT(sql_int("SELECT exercise FROM alerts WHERE area_code = '0620400'"), 1);
        struct store_alert_list al;
        CHECK_INT(store_alerts_list(st, "0620300", 0, INT64_MAX, 0, &al), 0);
        CHECK_INT(al.n, 1);
        if (al.n) {
                CHECK_STR(al.v[0].kind_name, "大雨警報");
                CHECK_INT(al.v[0].level, 3);
                CHECK_INT(al.v[0].serial, -1);
        }
        store_alert_list_free(&al);

        /* What is in force: events on change only, level = highest kind. */
        struct store_area_kind k[2] = {{"03", "大雨警報", "発表", 3, 1721890000, a1},
                                       {"10", "雷注意報", "継続", 0, 1721890000, 0}};
        long long ch0 = events_of("alert.changed"), lv0 = events_of("area.level");
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", false, k, 2), 0);
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", false, k, 2), 0);
        CHECK_INT(events_of("alert.changed"), ch0 + 1);
        CHECK_INT(events_of("area.level"), lv0 + 1);
        k[0].level = 4;
        k[0].name = "土砂災害警戒情報";
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", false, k, 2), 0);
        CHECK_INT(events_of("area.level"), lv0 + 2);
        CHECK_INT(sql_int("SELECT level FROM events WHERE type = 'area.level' ORDER BY id DESC"),
                  4);
        /* A drill is kept apart from real data. */
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", true, k, 1), 0);
        CHECK_INT(sql_int("SELECT exercise FROM events WHERE type = 'alert.changed' ORDER BY id "
                          "DESC"),
                  1);
        k[1].level = 9;
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", false, k, 2), -EINVAL);

        struct store_area_status_list as;
        CHECK_INT(store_area_status_list(st, false, &as), 0);
        CHECK_INT(as.n, 1);
        if (as.n) {
                CHECK_STR(as.v[0].area_code, "0620300");
                CHECK_INT(as.v[0].level, 4);
                CHECK(!as.v[0].exercise);
                CHECK_INT(as.v[0].n_kinds, 2);
                CHECK_INT(as.v[0].order.id, 0);
        }
        store_area_status_list_free(&as);
        CHECK_INT(store_area_status_list(st, true, &as), 0);
        CHECK_INT(as.n, 2);
        store_area_status_list_free(&as);
        /* Cleared: level null. */
        CHECK_INT(store_area_set_in_force(st, "0620300", "鶴岡市", true, NULL, 0), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM area_status WHERE exercise = 1 AND level IS NULL"),
                  1);

        /* Areas with polygons. */
        char wkt[300];
        square(wkt, sizeof(wkt), 139.83, 38.73, 0.1);
        struct store_area ar = {"0620300", "鶴岡市", "city", NULL, "062031", "06203", NULL, 0, wkt};
        CHECK_INT(store_area_upsert(st, &ar), 0);
        char *name = NULL;
        CHECK_INT(store_area_name(st, "0620300", &name), 0);
        CHECK_STR(name, "鶴岡市");
        free(name);
        CHECK_INT(sql_int(storetest_pg()
                              ? "SELECT ST_Within(ST_SetSRID(ST_MakePoint(139.83, 38.73), "
                                "6668), geom)::int FROM areas"
                              : "SELECT ST_Within(MakePoint(139.83, 38.73, 6668), geom) "
                                "FROM areas"),
                  1);
        ar.code = "0620311";
        ar.kind = "city_split";
        ar.wkt = "POLYGON((not a polygon))";
        CHECK_INT(store_area_upsert(st, &ar), -EINVAL);
        ar.wkt = NULL;
        ar.lg_code = "62031";
        CHECK_INT(store_area_upsert(st, &ar), -EINVAL); /* 5 digits */
        CHECK_INT(sql_int("SELECT count(*) FROM areas"), 1);
}

static void test_cameras(struct store *st)
{
        struct store_station cam = storetest_gauge("cam-1", "赤川 大宝寺 カメラ");
        cam.kind = "camera";
        int64_t cid = 0, gid = 0;
        CHECK_INT(store_station_upsert(st, &cam, &cid), 0);
        struct store_station g = storetest_gauge("g-1", "x");
        CHECK_INT(store_station_upsert(st, &g, &gid), 0);
        struct store_camera_image img = {
            0,
            cid,
            1721890000,
            1721890005,
            "cameras/1/20240725T0646.jpg",
            "cameras/1/20240725T0646.t.jpg",
            12345,
            640,
            480,
            "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"};
        long long e0 = events_of("camera.image");
        int64_t i1 = 0, i2 = 0;
        CHECK_INT(store_camera_image_add(st, &img, &i1), 0);
        CHECK_INT(store_camera_image_add(st, &img, &i2), 0);
        CHECK_INT(i1, i2);
        CHECK_INT(events_of("camera.image"), e0 + 1);
        img.captured_at += 600;
        img.path = "/etc/passwd";
        CHECK_INT(store_camera_image_add(st, &img, NULL), -EINVAL); /* absolute path */
        img.path = "cameras/../../x.jpg";
        CHECK_INT(store_camera_image_add(st, &img, NULL), -EINVAL);
        img.path = "cameras/1/b.jpg";
        img.sha256 = "abc";
        CHECK_INT(store_camera_image_add(st, &img, NULL), -EINVAL);
        img.sha256 = "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";
        img.station_id = gid;
        CHECK_INT(store_camera_image_add(st, &img, NULL), -EINVAL); /* not a camera */
        img.station_id = cid;
        CHECK_INT(store_camera_image_add(st, &img, NULL), 0);
        struct store_camera_image_list cl;
        CHECK_INT(store_camera_images_list(st, cid, 0, INT64_MAX, 0, &cl), 0);
        CHECK_INT(cl.n, 2);
        if (cl.n == 2)
                CHECK(cl.v[0].captured_at > cl.v[1].captured_at);
        store_camera_image_list_free(&cl);
        CHECK_INT(store_camera_images_prune(st, cid, 1721890100, &cl), 0);
        CHECK_INT(cl.n, 1);
        CHECK_STR(cl.n ? cl.v[0].path : NULL, "cameras/1/20240725T0646.jpg");
        store_camera_image_list_free(&cl);
        CHECK_INT(sql_int("SELECT count(*) FROM camera_images"), 1);

        const char *state = NULL;
        CHECK_INT(store_camera_get_state(st, cid, &state), 0);
        CHECK_STR(state, "unknown");
        e0 = events_of("camera.state");
        CHECK_INT(store_camera_set_state(st, cid, "frozen"), 0);
        CHECK_INT(store_camera_set_state(st, cid, "frozen"), 0);
        CHECK_INT(store_camera_set_state(st, cid, "melted"), -EINVAL);
        CHECK_INT(events_of("camera.state"), e0 + 1);
        CHECK_INT(store_camera_get_state(st, cid, &state), 0);
        CHECK_STR(state, "frozen");
}

static void test_places(struct store *st, int64_t *shelter_out)
{
        char wkt[300];
        square(wkt, sizeof(wkt), 139.82, 38.72, 0.01);
        struct store_district d = {0, "chuo", "中央地区", "district", "0620300", {NULL, 0, wkt}};
        int64_t did = 0, did2 = 0;
        CHECK_INT(store_district_upsert(st, &d, &did), 0);
        d.name = "中央";
        CHECK_INT(store_district_upsert(st, &d, &did2), 0);
        CHECK_INT(did, did2);
        d.kind = "ward";
        CHECK_INT(store_district_upsert(st, &d, NULL), -EINVAL);
        d.kind = "district";
        d.code = "other";
        d.area_code = "0699999"; /* no such area: foreign key */
        CHECK_INT(store_district_upsert(st, &d, NULL), -EINVAL);
        int64_t f = 0;
        CHECK_INT(store_district_find(st, "chuo", &f), 0);
        CHECK_INT(f, did);

        struct store_shelter s = {0};
        s.common_id = "062030001";
        s.kind = "emergency";
        s.name = "鶴岡市立朝暘第一小学校";
        s.address = "山形県鶴岡市美咲町";
        s.lon = 139.8224;
        s.lat = 38.7306;
        s.hazards[HAZARD_FLOOD] = true;
        s.hazards[HAZARD_EARTHQUAKE] = true;
        s.capacity = -1;
        s.district_id = did;
        int64_t sid = 0, sid2 = 0;
        CHECK_INT(store_shelter_upsert(st, &s, &sid), 0);
        long long e0 = events_of("shelter.updated");
        CHECK_INT(store_shelter_set_status(st, sid, true, 120, "毛布"), 0);
        CHECK_INT(events_of("shelter.updated"), e0 + 1);
        /* Re-import keeps status and occupancy. */
        s.capacity = 800;
        s.name = "朝暘第一小学校";
        CHECK_INT(store_shelter_upsert(st, &s, &sid2), 0);
        CHECK_INT(sid2, sid);
        struct store_shelter_list shl;
        CHECK_INT(store_shelter_get(st, sid, &shl), 0);
        CHECK_INT(shl.n, 1);
        if (shl.n) {
                CHECK(shl.v[0].is_open);
                CHECK_INT(shl.v[0].occupancy, 120);
                CHECK_INT(shl.v[0].capacity, 800);
                CHECK_STR(shl.v[0].name, "朝暘第一小学校");
                CHECK(shl.v[0].hazards[HAZARD_FLOOD] && !shl.v[0].hazards[HAZARD_TSUNAMI]);
        }
        store_shelter_list_free(&shl);
        CHECK_INT(store_shelter_set_status(st, sid, true, -5, NULL), -EINVAL);
        CHECK_INT(store_shelter_set_status(st, 9999, true, 1, NULL), -ENOENT);
        s.common_id = "062030002";
        s.kind = "hotel";
        CHECK_INT(store_shelter_upsert(st, &s, NULL), -EINVAL);
        s.kind = "evacuation";
        s.lat = 91;
        CHECK_INT(store_shelter_upsert(st, &s, NULL), -EINVAL);
        s.lat = 38.74;
        CHECK_INT(store_shelter_upsert(st, &s, NULL), 0);
        CHECK_INT(store_shelters_list(st, true, &shl), 0);
        CHECK_INT(shl.n, 1);
        store_shelter_list_free(&shl);
        CHECK_INT(store_shelters_list(st, false, &shl), 0);
        CHECK_INT(shl.n, 2);
        store_shelter_list_free(&shl);
        *shelter_out = sid;

        /* Hazard layers: an edition imported beside the old, switched. */
        struct store_hazard_layer l = {0};
        l.name = "A31_flood_max";
        l.version = "2020";
        l.hazard = HAZARD_FLOOD;
        l.title = "洪水浸水想定区域（想定最大規模）";
        l.attribution = "国土数値情報（国土交通省）";
        int64_t l1 = 0, l2 = 0;
        CHECK_INT(store_hazard_layer_create(st, &l, &l1), 0);
        CHECK_INT(store_hazard_layer_create(st, &l, NULL), -EEXIST);
        char w1[300], w2[300];
        square(w1, sizeof(w1), 139.82, 38.72, 0.005);
        square(w2, sizeof(w2), 139.84, 38.72, 0.005);
        struct store_hazard_feature hf[2] = {{"2", "0.5m以上3.0m未満", 2, {NULL, 0, w1}},
                                             {"3", "3.0m以上5.0m未満", 3, {NULL, 0, w2}}};
        CHECK_INT(store_hazard_features_add(st, l1, hf, 2), 0);
        CHECK_INT(store_hazard_layer_activate(st, l1), 0);
        l.version = "2024";
        CHECK_INT(store_hazard_layer_create(st, &l, &l2), 0);
        struct store_hazard_feature bad[2] = {
            {"4", "5.0m以上", 4, {NULL, 0, w1}},
            {"5", "10m以上", 5, {NULL, 0, "LINESTRING(1 2, 3 4)"}}};
        CHECK_INT(store_hazard_features_add(st, l2, bad, 2), -EINVAL); /* a line is no area */
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features"), 2);
        CHECK_INT(store_hazard_features_add(st, l2, hf, 1), 0);
        CHECK_INT(store_hazard_layer_activate(st, l2), 0);
        CHECK_INT(sql_int("SELECT id FROM hazard_layers WHERE active = 1"), l2);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_layers WHERE active = 1"), 1);
        CHECK_INT(store_hazard_layer_delete(st, l2), -EBUSY);
        CHECK_INT(store_hazard_layer_delete(st, l1), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features"), 1);
        struct store_hazard_layer_list hl;
        CHECK_INT(store_hazard_layers_list(st, &hl), 0);
        CHECK_INT(hl.n, 1);
        if (hl.n) {
                CHECK(hl.v[0].active);
                CHECK_INT(hl.v[0].n_features, 1);
                CHECK_INT(hl.v[0].hazard, HAZARD_FLOOD);
        }
        store_hazard_layer_list_free(&hl);
        /* The spatial index answers a point query (SpatiaLite's R*Tree;
         * the GiST index through && on PostGIS). */
        CHECK_INT(
            sql_int(storetest_pg()
                        ? "SELECT count(*) FROM hazard_features WHERE geom && "
                          "ST_SetSRID(ST_MakePoint(139.82, 38.72), 6668) AND ST_Contains(geom, "
                          "ST_SetSRID(ST_MakePoint(139.82, 38.72), 6668))"
                        : "SELECT count(*) FROM hazard_features WHERE ROWID IN (SELECT ROWID "
                          "FROM SpatialIndex WHERE f_table_name = 'hazard_features' AND "
                          "search_frame = MakePoint(139.82, 38.72, 6668)) AND "
                          "ST_Contains(geom, MakePoint(139.82, 38.72, 6668))"),
            1);

        /* The areas of active layers for maps, by bounding box, paged. */
        struct store_hazard_area_list ha = {0};
        CHECK_INT(store_hazard_areas(st, NULL, 0, 10, &ha), 0);
        CHECK_INT(ha.n, 1);
        int64_t area_id = 0;
        if (ha.n) {
                area_id = ha.v[0].id;
                CHECK_STR(ha.v[0].layer, "A31_flood_max");
                CHECK_STR(ha.v[0].class_, "2");
                CHECK_STR(ha.v[0].label_ja, "0.5m以上3.0m未満");
                CHECK_STR(ha.v[0].hazard, "flood");
                CHECK_INT(ha.v[0].rank, 2);
                CHECK(strstr(ha.v[0].geojson, "\"MultiPolygon\"") != NULL);
                CHECK(strstr(ha.v[0].geojson, "139.825") != NULL);
        }
        store_hazard_area_list_free(&ha);
        const double near[4] = {139.81, 38.71, 139.83, 38.73}, far[4] = {139.9, 38.8, 140.0, 38.9};
        CHECK_INT(store_hazard_areas(st, near, 0, 10, &ha), 0);
        CHECK_INT(ha.n, 1);
        store_hazard_area_list_free(&ha);
        CHECK_INT(store_hazard_areas(st, far, 0, 10, &ha), 0);
        CHECK_INT(ha.n, 0);
        store_hazard_area_list_free(&ha);
        CHECK_INT(store_hazard_areas(st, NULL, 1, 10, &ha), 0);
        CHECK_INT(ha.n, 0);
        store_hazard_area_list_free(&ha);
        CHECK_INT(store_hazard_area_get(st, area_id, &ha), 0);
        CHECK_INT(ha.n, 1);
        store_hazard_area_list_free(&ha);
        CHECK_INT(store_hazard_area_get(st, area_id + 1000, &ha), -ENOENT);
        store_hazard_area_list_free(&ha);

        /* Watch points with linked stations. */
        int64_t st_id = 0;
        struct store_station g = storetest_gauge("wp-g", "羽黒橋");
        CHECK_INT(store_station_upsert(st, &g, &st_id), 0);
        struct store_watch_point w = {0,
                                      "大山 アンダーパス",
                                      "冠水注意",
                                      "[\"通行止め確認\"]",
                                      {NULL, 0, "POINT(139.77 38.70)"},
                                      &st_id,
                                      1};
        int64_t wid = 0;
        CHECK_INT(store_watch_point_put(st, &w, &wid), 0);
        w.checklist = "{\"not\":\"an array\"}";
        w.id = wid;
        CHECK_INT(store_watch_point_put(st, &w, NULL), -EINVAL);
        /* A geometry that does not parse, and a link to no station: refused,
         * the watch point as it was. */
        w.checklist = NULL;
        w.geom.wkt = "POINT(139.77)";
        CHECK_INT(store_watch_point_put(st, &w, NULL), -EINVAL);
        w.geom.wkt = "POINT(139.78 38.71)";
        int64_t nowhere = st_id + 1000;
        w.station_ids = &nowhere;
        CHECK_INT(store_watch_point_put(st, &w, NULL), -EINVAL);
        w.station_ids = &st_id;
        w.id = wid + 1000; /* no such watch point */
        CHECK_INT(store_watch_point_put(st, &w, NULL), -ENOENT);
        struct store_watch_point_list wl;
        CHECK_INT(store_watch_points_list(st, &wl), 0);
        CHECK_INT(wl.n, 1);
        if (wl.n) {
                CHECK_INT(wl.v[0].n_stations, 1);
                CHECK(strstr(wl.v[0].geojson, "Point") != NULL);
                CHECK(strstr(wl.v[0].geojson, "139.77") != NULL);
                CHECK_STR(wl.v[0].note, "冠水注意");
                CHECK_STR(wl.v[0].checklist, "[\"通行止め確認\"]");
        }
        store_watch_point_list_free(&wl);
        CHECK_INT(store_watch_point_delete(st, wid), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM watch_point_stations"), 0);
}

static void test_city(struct store *st, int64_t shelter)
{
        struct store_user u = {0};
        int64_t sh[1] = {shelter};
        u.name = "sato";
        u.display_name = "佐藤";
        u.role = "shelter_operator";
        u.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
        u.shelter_ids = sh;
        u.n_shelters = 1;
        int64_t uid = 0;
        CHECK_INT(store_user_add(st, &u, &uid), 0);
        CHECK_INT(store_user_add(st, &u, NULL), -EEXIST);
        u.name = "suzuki";
        u.role = "root";
        CHECK_INT(store_user_add(st, &u, NULL), -EINVAL);
        u.role = "admin";
        u.name = "bad name";
        CHECK_INT(store_user_add(st, &u, NULL), -EINVAL);
        /* The same shelter twice, and a shelter that does not exist: the
         * account is not created either. */
        int64_t twice[2] = {shelter, shelter}, nowhere[1] = {shelter + 1000};
        u.name = "suzuki";
        u.shelter_ids = twice;
        u.n_shelters = 2;
        CHECK_INT(store_user_add(st, &u, NULL), -EEXIST);
        u.shelter_ids = nowhere;
        u.n_shelters = 1;
        CHECK_INT(store_user_add(st, &u, NULL), -EINVAL);
        u.shelter_ids = sh;
        CHECK_INT(sql_int("SELECT count(*) FROM users"), 1);
        CHECK_INT(sql_int("SELECT count(*) FROM user_shelters"), 1);
        CHECK_INT(store_user_set_password(st, uid, "$argon2id$new"), 0);
        CHECK_INT(store_user_set_disabled(st, uid, true), 0);
        CHECK_INT(store_user_set_disabled(st, 999, true), -ENOENT);
        struct store_user_list ul;
        CHECK_INT(store_user_get(st, "sato", &ul), 0);
        CHECK_INT(ul.n, 1);
        if (ul.n) {
                CHECK(ul.v[0].disabled);
                CHECK_STR(ul.v[0].password_hash, "$argon2id$new");
                CHECK_INT(ul.v[0].n_shelters, 1);
        }
        store_user_list_free(&ul);
        CHECK_INT(store_user_get(st, "nobody", &ul), -ENOENT);

        CHECK_INT(store_audit_add(st, uid, "sato", "shelter.open", "shelters/1", "{\"open\":false}",
                                  "{\"open\":true}"),
                  0);
        CHECK_INT(store_audit_add(st, 0, "cli", "user.add", "users/sato", NULL, "{bad"), -EINVAL);
        struct store_audit_list aul;
        CHECK_INT(store_audit_list(st, 0, 0, &aul), 0);
        CHECK_INT(aul.n, 1);
        CHECK_STR(aul.n ? aul.v[0].action : NULL, "shelter.open");
        store_audit_list_free(&aul);
        /* Append-only, enforced by the schema itself. */
        CHECK_INT(sql_int(storetest_pg() ? "SELECT count(*) FROM pg_trigger WHERE tgname LIKE "
                                           "'audit_log_no_%'"
                                         : "SELECT count(*) FROM sqlite_master WHERE type = "
                                           "'trigger' AND name LIKE 'audit_log_no_%'"),
                  2);

        /* Field reports: staff-only events by default. */
        struct store_report r = {0};
        r.lon = 139.81;
        r.lat = 38.71;
        r.category = "冠水";
        r.severity = 2;
        r.text = "道路冠水 30cm";
        int64_t rid = 0;
        CHECK_INT(store_report_create(st, &r, &rid), 0);
        CHECK_INT(sql_int("SELECT public FROM events WHERE type = 'report.created'"), 0);
        CHECK_INT(store_report_add_photo(st, rid, "reports/1/a.jpg", "image/jpeg", 1000), 0);
        CHECK_INT(store_report_add_photo(st, rid, "reports/1/b.jpg", "image/jpeg", 1000), 0);
        CHECK_INT(store_report_add_photo(st, rid, "reports/1/c.png", "image/png", 1000), 0);
        CHECK_INT(store_report_add_photo(st, rid, "reports/1/d.jpg", "image/jpeg", 1000), -EINVAL);
        CHECK_INT(store_report_add_photo(st, rid, "reports/1/e.gif", "image/gif", 1000), -EINVAL);
        CHECK_INT(store_report_update(st, rid, "confirmed", true), 0);
        CHECK_INT(store_report_update(st, rid, "lost", true), -EINVAL);
        CHECK_INT(sql_int("SELECT public FROM events WHERE type = 'report.updated'"), 1);
        r.severity = 4;
        CHECK_INT(store_report_create(st, &r, NULL), -EINVAL);
        CHECK_INT(sql_int("SELECT count(*) FROM events WHERE type = 'report.created'"), 1);
        struct store_report_list rl;
        CHECK_INT(store_reports_list(st, true, 0, &rl), 0);
        CHECK_INT(rl.n, 1);
        if (rl.n) {
                CHECK_INT(rl.v[0].n_photos, 3);
                CHECK_STR(rl.v[0].status, "confirmed");
        }
        store_report_list_free(&rl);

        /* Orders: issued and lifted, each with its event; the area status
         * shows the order beside (never merged into) JMA's level. */
        struct store_order o = {0};
        o.level = 4;
        o.hazard = "flood";
        o.area_code = "0620300";
        o.reason = "赤川の水位上昇";
        o.issued_at = 1721895000;
        int64_t oid = 0;
        CHECK_INT(store_order_issue(st, &o, &oid), 0);
        CHECK_INT(sql_int("SELECT level FROM events WHERE type = 'order.issued'"), 4);
        CHECK_INT(sql_int("SELECT count(*) FROM events WHERE type = 'order.issued' AND "
                          "json_extract(data, '$.name_ja') = '避難指示'"),
                  1);
        struct store_area_status_list as;
        CHECK_INT(store_area_status_list(st, false, &as), 0);
        for (size_t i = 0; i < as.n; i++)
                if (strcmp(as.v[i].area_code, "0620300") == 0) {
                        CHECK_INT(as.v[i].order.level, 4);
                        CHECK_STR(as.v[i].order.name_ja, "避難指示");
                }
        store_area_status_list_free(&as);
        o.level = 2;
        CHECK_INT(store_order_issue(st, &o, NULL), -EINVAL);
        o.level = 3;
        o.area_code = NULL;
        CHECK_INT(store_order_issue(st, &o, NULL), -EINVAL); /* neither area nor district */
        o.area_code = "0620400";
        o.hazard = "meteor";
        CHECK_INT(store_order_issue(st, &o, NULL), -EINVAL);
        CHECK_INT(events_of("order.issued"), 1);
        CHECK_INT(store_order_lift(st, oid, 1721899000), 0);
        CHECK_INT(store_order_lift(st, oid, 1721899000), -ENOENT);
        CHECK_INT(events_of("order.lifted"), 1);
        struct store_order_list ol;
        CHECK_INT(store_orders_list(st, false, &ol), 0);
        CHECK_INT(ol.n, 0);
        store_order_list_free(&ol);
        CHECK_INT(store_orders_list(st, true, &ol), 0);
        CHECK_INT(ol.n, 1);
        store_order_list_free(&ol);

        /* Notices. */
        struct store_notice n = {0};
        n.category = "shelter_open";
        n.area_code = "0620300";
        n.title_ja = "避難所開設";
        n.text_ja = "朝暘第一小学校を開設しました。";
        n.valid_from = 1721890000;
        n.is_public = true;
        int64_t nid = 0;
        CHECK_INT(store_notice_publish(st, &n, &nid), 0);
        n.category = "gossip";
        CHECK_INT(store_notice_publish(st, &n, NULL), -EINVAL);
        n.category = "info";
        n.valid_to = n.valid_from - 10;
        CHECK_INT(store_notice_publish(st, &n, NULL), -EINVAL);
        CHECK_INT(events_of("notice.published"), 1);
        struct store_notice_list nl;
        CHECK_INT(store_notices_in_force(st, 1721890001, true, &nl), 0);
        CHECK_INT(nl.n, 1);
        store_notice_list_free(&nl);
        CHECK_INT(store_notice_withdraw(st, nid, 1721890100), 0);
        /* The withdrawal is an event too, as public as the notice. */
        CHECK_INT(events_of("notice.published"), 2);
        CHECK_INT(sql_int(storetest_pg() ? "SELECT count(*) FROM events WHERE type = "
                                           "'notice.published' AND public = 1 AND "
                                           "(data->>'withdrawn')::boolean"
                                         : "SELECT count(*) FROM events WHERE type = "
                                           "'notice.published' AND public = 1 AND "
                                           "json_extract(data, '$.withdrawn') = 1"),
                  1);
        CHECK_INT(store_notice_withdraw(st, nid + 100, 1721890100), -ENOENT);
        CHECK_INT(events_of("notice.published"), 2);
        CHECK_INT(store_notices_in_force(st, 1721890200, true, &nl), 0);
        CHECK_INT(nl.n, 0);
        store_notice_list_free(&nl);

        /* Timelines: ciphertext and a token hash only. */
        unsigned char h[32], nonce[24], ct[64];
        for (int i = 0; i < 32; i++)
                h[i] = (unsigned char)(i * 7);
        memset(nonce, 0xab, sizeof(nonce));
        memset(ct, 0xcd, sizeof(ct));
        CHECK_INT(store_timeline_put(st, h, 0, 1u << 3 | 1u << 4, nonce, 24, ct, 64), 0);
        CHECK_INT(store_timeline_put(st, h, 0, 1u << 5, nonce, 24, ct, 40), 0);
        CHECK_INT(store_timeline_put(st, h, 0, 1u << 0, nonce, 24, ct, 40), -EINVAL);
        CHECK_INT(store_timeline_put(st, h, 0, 1u << 5, nonce, 4, ct, 40), -EINVAL);
        struct store_timeline t;
        CHECK_INT(store_timeline_get(st, h, &t), 0);
        CHECK_INT(t.levels_mask, 1u << 5);
        CHECK_INT(t.ciphertext_len, 40);
        CHECK(t.ciphertext && t.ciphertext[0] == 0xcd);
        store_timeline_free(&t);
        struct store_timeline_stat_list tsl;
        CHECK_INT(store_timeline_stats(st, &tsl), 0);
        CHECK_INT(tsl.n, 1);
        if (tsl.n) {
                CHECK_INT(tsl.v[0].plans, 1);
                CHECK_INT(tsl.v[0].per_level[5], 1);
                CHECK_INT(tsl.v[0].per_level[3], 0);
        }
        store_timeline_stat_list_free(&tsl);
        size_t removed = 0;
        CHECK_INT(store_timelines_expire(st, 1, &removed), 0);
        CHECK_INT(removed, 0);
        CHECK_INT(store_timeline_delete(st, h), 0);
        CHECK_INT(store_timeline_get(st, h, &t), -ENOENT);

        /* Notifications: a rule, an event queued once, marked. */
        struct store_notify_rule nr = {0};
        nr.channel = "mail";
        nr.target = "bousai@example.jp";
        nr.area_code = "0620300";
        nr.min_level = 4;
        nr.event_types = "[\"order.issued\",\"area.level\"]";
        nr.staff = true;
        nr.enabled = true;
        int64_t rule = 0, ev = 0;
        CHECK_INT(store_notify_rule_add(st, &nr, &rule), 0);
        nr.min_level = 0;
        CHECK_INT(store_notify_rule_add(st, &nr, NULL), -EINVAL);
        CHECK_INT(store_events_last_id(st, &ev), 0);
        CHECK_INT(store_notify_enqueue(st, rule, ev, 100), 0);
        CHECK_INT(store_notify_enqueue(st, rule, ev, 100), 0);
        CHECK_INT(store_notify_enqueue(st, rule, ev + 1000, 100), -EINVAL); /* no such event */
        struct store_notify_item_list qi;
        CHECK_INT(store_notify_due(st, 100, 0, &qi), 0);
        CHECK_INT(qi.n, 1);
        int64_t qid = qi.n ? qi.v[0].id : 0;
        store_notify_item_list_free(&qi);
        /* Taken is claimed: not due again until the claim ends, or the
         * item is given back. */
        CHECK_INT(store_notify_due(st, 100 + STORE_NOTIFY_CLAIM_S - 1, 0, &qi), 0);
        CHECK_INT(qi.n, 0);
        store_notify_item_list_free(&qi);
        CHECK_INT(sql_int("SELECT next_try_at FROM notify_queue"), 100 + STORE_NOTIFY_CLAIM_S);
        CHECK_INT(store_notify_release(st, qid, 120), 0);
        CHECK_INT(store_notify_due(st, 120, 0, &qi), 0);
        CHECK_INT(qi.n, 1);
        CHECK_INT(qi.n ? qi.v[0].next_try_at : 0, 120);
        store_notify_item_list_free(&qi);
        CHECK_INT(store_notify_mark(st, qid, "failed", 200, "timeout"), 0);
        CHECK_INT(store_notify_due(st, 150, 0, &qi), 0);
        CHECK_INT(qi.n, 0);
        store_notify_item_list_free(&qi);
        CHECK_INT(store_notify_mark(st, qid, "sent", 0, NULL), 0);
        CHECK_INT(store_notify_due(st, 1000, 0, &qi), 0);
        CHECK_INT(qi.n, 0);
        store_notify_item_list_free(&qi);
        struct store_notify_rule_list nrl;
        CHECK_INT(store_notify_rules_list(st, &nrl), 0);
        CHECK_INT(nrl.n, 1);
        store_notify_rule_list_free(&nrl);
        CHECK_INT(store_notify_rule_delete(st, rule), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM notify_queue"), 0);
}

/* Sessions: only hashes are kept; a disabled user or a new password ends
 * them; expired ones are refused and purged. */
static void test_sessions(struct store *st)
{
        struct store_user u = {.name = "kato",
                               .role = "editor",
                               .password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA"};
        int64_t uid = 0;
        CHECK_INT(store_user_add(st, &u, &uid), 0);
        unsigned char h1[32], h2[32], h3[32];
        memset(h1, 1, 32);
        memset(h2, 2, 32);
        memset(h3, 3, 32);
        const char *csrf = "c2Vzc2lvbi1jc3JmLXRva2VuLWZvci10ZXN0aW5nLXh4";
        CHECK_INT(store_session_add(st, h1, uid, csrf, 1000, 1000 + 43200), 0);
        CHECK_INT(store_session_add(st, h1, uid, csrf, 1000, 1000 + 43200), -EEXIST);
        CHECK_INT(store_session_add(st, h2, uid, csrf, 1000, 2000), 0);
        CHECK_INT(store_session_add(st, h3, uid, "short", 1000, 2000), -EINVAL);
        CHECK_INT(store_session_add(st, h3, uid, "bad token; DROP TABLE users", 1000, 2000),
                  -EINVAL);
        CHECK_INT(store_session_add(st, h3, 99999, csrf, 1000, 2000), -EINVAL);
        struct store_session_list l;
        CHECK_INT(store_session_get(st, h1, 1500, &l), 0);
        CHECK_INT(l.n, 1);
        if (l.n) {
                CHECK_STR(l.v[0].user_name, "kato");
                CHECK_STR(l.v[0].csrf, csrf);
                CHECK_INT(l.v[0].last_seen_at, 1000);
        }
        store_session_list_free(&l);
        CHECK_INT(store_session_touch(st, h1, 1600), 0);
        CHECK_INT(store_session_get(st, h1, 1700, &l), 0);
        CHECK_INT(l.n ? l.v[0].last_seen_at : 0, 1600);
        store_session_list_free(&l);
        CHECK_INT(store_session_get(st, h2, 2000, &l), -ENOENT); /* expired */
        CHECK_INT(store_session_get(st, h3, 1500, &l), -ENOENT);
        size_t removed = 0;
        CHECK_INT(store_sessions_purge(st, 2000, &removed), 0);
        CHECK_INT(removed, 1);
        CHECK_INT(store_session_delete(st, h2), -ENOENT);
        CHECK_INT(store_session_add(st, h2, uid, csrf, 1000, 1000 + 43200), 0);
        CHECK_INT(store_session_delete(st, h2), 0);
        CHECK_INT(store_session_add(st, h2, uid, csrf, 1000, 1000 + 43200), 0);
        CHECK_INT(store_user_set_password(st, uid, "$argon2id$newer"), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM sessions"), 0);
        CHECK_INT(store_session_add(st, h1, uid, csrf, 1000, 1000 + 43200), 0);
        CHECK_INT(store_user_set_disabled(st, uid, false), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM sessions"), 1);
        CHECK_INT(store_user_set_disabled(st, uid, true), 0);
        CHECK_INT(store_session_get(st, h1, 1500, &l), -ENOENT);
        CHECK_INT(sql_int("SELECT count(*) FROM sessions"), 0);
}

/* A drill's own stations (0010): tries to make a drill station pass for a
 * real one (same external id, the mark flipped on an upsert), to leak it
 * to residents without a --public drill, and to leave anything of it
 * behind after store_exercise_clear. */
static void test_drill_stations(struct store *st)
{
        int64_t now = (int64_t)time(NULL), real = 0, drill = 0, cam = 0;
        struct store_station r = storetest_gauge("d-1", "赤川 熊出");
        CHECK_INT(store_station_upsert(st, &r, &real), 0);
        struct store_station d = r;
        d.source = "drill-kawabou";
        d.exercise = true;
        CHECK_INT(store_station_upsert(st, &d, &drill), 0);
        CHECK(drill != real);
        CHECK_INT(store_station_upsert(st, &d, NULL), 0); /* again: one prefix */
        CHECK_INT(
            sql_intf("SELECT count(*) FROM stations WHERE id = %lld AND exercise = 1 AND name = "
                     "'【訓練】赤川 熊出'",
                     (long long)drill),
            1);
        d.exercise = false; /* the drill's key as a real station: refused */
        CHECK_INT(store_station_upsert(st, &d, NULL), -EEXIST);
        d.exercise = true;
        struct store_obs o[2] = {{drill, "water_level_m", now - 60, 4.2, 0},
                                 {real, "water_level_m", now - 60, 1.5, 0}};
        CHECK_INT(store_observations_add(st, o, 2, NULL), 0);
        CHECK_INT(
            sql_intf("SELECT count(*) FROM events WHERE subject = 'stations/%lld' AND exercise = 0",
                     (long long)drill),
            0);
        CHECK_INT(
            sql_intf("SELECT count(*) FROM events WHERE subject = 'stations/%lld' AND exercise = 1 "
                     "AND type = 'station.level' AND level = 4",
                     (long long)drill),
            1);
        CHECK_INT(
            sql_intf("SELECT count(*) FROM events WHERE subject = 'stations/%lld' AND exercise = 1",
                     (long long)real),
            0);

        struct store_station c = d;
        c.kind = "camera";
        c.source = "drill-camera";
        c.area_code = NULL;
        c.quantity = NULL;
        level_thresholds_clear(&c.thr);
        CHECK_INT(store_station_upsert(st, &c, &cam), 0);
        struct store_camera_image img = {
            0,
            cam,
            now - 30,
            now - 29,
            "cameras/drill/a.jpg",
            "cameras/drill/a.t.jpg",
            100,
            64,
            48,
            "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"};
        CHECK_INT(store_camera_image_add(st, &img, NULL), 0);
        CHECK_INT(sql_intf("SELECT exercise FROM events WHERE subject = 'stations/%lld' AND type = "
                           "'camera.image'",
                           (long long)cam),
                  1);

        /* Who sees them: no public drill yet, then a public one for
         * 0620300 (the gauge's area; the camera has none). */
        for (int pass = 0; pass < 2; pass++) {
                struct store_latest_list l = {0};
                CHECK_INT(store_latest_all(st, now, &l), 0);
                size_t seen = 0;
                for (size_t i = 0; i < l.n; i++) {
                        const struct store_latest *x = &l.v[i];
                        if (x->id != real && x->id != drill && x->id != cam)
                                continue;
                        seen++;
                        CHECK(x->exercise == (x->id != real));
                        CHECK(store_latest_visible(x, STORE_VIEW_ALL));
                        CHECK(store_latest_visible(x, STORE_VIEW_REAL) == (x->id == real));
                        CHECK(store_latest_visible(x, STORE_VIEW_PUBLIC) ==
                              (x->id == real || pass == 1));
                        if (x->id == drill)
                                CHECK_INT(x->level, 4);
                }
                CHECK_INT(seen, 3);
                store_latest_list_free(&l);
                CHECK(store_exercise_shown(st, STORE_VIEW_PUBLIC, "0620300", 0) == (pass == 1));
                CHECK(!store_exercise_shown(st, STORE_VIEW_PUBLIC, "0620400", 0));
                CHECK(!store_exercise_shown(st, STORE_VIEW_REAL, "0620300", 0));
                CHECK(store_exercise_shown(st, STORE_VIEW_ALL, "0620400", 0));
                /* The hazard answer's river level at the gauges: the
                 * drill's 4 only where its drill is seen, marked exercise. */
                struct geo_hazard_answer a;
                for (int view = STORE_VIEW_REAL; view <= STORE_VIEW_PUBLIC; view++) {
                        bool shown = view == STORE_VIEW_ALL || (view == STORE_VIEW_PUBLIC && pass);
                        CHECK_INT(geo_hazard_at(st, r.lon, r.lat, view, &a), 0);
                        CHECK(a.exercise == shown);
                        if (shown)
                                CHECK_INT(a.river_level, 4);
                        else
                                CHECK(a.river_level != LEVEL_NONE && a.river_level < 4);
                        geo_hazard_answer_free(&a);
                }
                if (pass == 0)
                        CHECK_INT(store_drill_begin(st, "scenario.json", true, "0620300", NULL), 0);
        }

        /* The drill camera's state and the drill gauge's silence are
         * exercise events too; the real gauge's silence is not. */
        CHECK_INT(store_camera_set_state(st, cam, "frozen"), 0);
        CHECK_INT(sql_intf("SELECT exercise FROM events WHERE subject = 'stations/%lld' AND type = "
                           "'camera.state'",
                           (long long)cam),
                  1);
        /* Each gauge: its first value's state change, then stale. */
        CHECK_INT(store_stations_refresh_state(st, now + 7 * 86400, NULL), 0);
        CHECK_INT(sql_intf("SELECT count(*) FROM events WHERE subject = 'stations/%lld' AND type = "
                           "'station.state' AND exercise = 1",
                           (long long)drill),
                  2);
        CHECK_INT(sql_intf("SELECT count(*) FROM events WHERE subject = 'stations/%lld' AND type = "
                           "'station.state' AND exercise = 0",
                           (long long)real),
                  2);
        CHECK_INT(sql_intf("SELECT count(*) FROM events WHERE subject IN ('stations/%lld', "
                           "'stations/%lld') AND exercise = 0",
                           (long long)drill, (long long)cam),
                  0);

        struct store_exercise_removed rm;
        CHECK_INT(store_exercise_clear(st, &rm), 0);
        CHECK_INT(rm.stations, 2);
        CHECK_INT(rm.observations, 1);
        CHECK_INT(rm.images, 1);
        CHECK_INT(rm.n_files, 2);
        store_exercise_removed_free(&rm);
        CHECK_INT(sql_int("SELECT count(*) FROM stations WHERE exercise = 1"), 0);
        CHECK_INT(sql_intf("SELECT count(*) FROM observations WHERE station_id IN (%lld, %lld)",
                           (long long)drill, (long long)cam),
                  0);
        CHECK_INT(
            sql_intf(
                "SELECT count(*) FROM events WHERE subject IN ('stations/%lld', 'stations/%lld') "
                "AND type <> 'station.state'",
                (long long)drill, (long long)cam),
            0);
        CHECK_INT(
            sql_intf("SELECT count(*) FROM observations WHERE station_id = %lld", (long long)real),
            1);
        CHECK(!store_exercise_shown(st, STORE_VIEW_PUBLIC, "0620300", 0)); /* the drill ended */
}

/* The audit log read by time, actor and entity, newest first, paged.  The
 * entity kind "order" takes "order" and every "order:…" but not
 * "orderly:1" nor "order-x" (a pattern or a collation that ignores
 * punctuation would take them). */
static void test_audit_query(struct store *st)
{
        const char *objects[] = {"order:12", "order",   "orderly:1",
                                 "order-x",  "order:3", "notice:1"};
        const char *actors[] = {"sato", "cli", "sato", "sato", "cli", "sato"};
        for (int i = 0; i < 6; i++)
                CHECK_INT(store_audit_add(st, 0, actors[i], "x.test", objects[i], NULL, "{}"), 0);
        struct store_audit_list l;
        struct store_audit_filter f = {0};
        f.object = "order";
        CHECK_INT(store_audit_query(st, &f, &l), 0);
        CHECK_INT(l.n, 3);
        if (l.n == 3) {
                CHECK_STR(l.v[0].object, "order:3"); /* newest first */
                CHECK_STR(l.v[1].object, "order");
                CHECK_STR(l.v[2].object, "order:12");
        }
        store_audit_list_free(&l);
        f.object = "order:12"; /* one entity exactly */
        CHECK_INT(store_audit_query(st, &f, &l), 0);
        CHECK_INT(l.n, 1);
        store_audit_list_free(&l);
        f.object = NULL;
        f.actor = "cli";
        CHECK_INT(store_audit_query(st, &f, &l), 0);
        CHECK_INT(l.n, 2);
        int64_t newest_cli = l.n ? l.v[0].id : 0;
        store_audit_list_free(&l);
        /* Paging: before the newest, one at a time. */
        f.before_id = newest_cli;
        f.limit = 1;
        CHECK_INT(store_audit_query(st, &f, &l), 0);
        CHECK_INT(l.n, 1);
        CHECK_STR(l.n ? l.v[0].object : NULL, "order");
        store_audit_list_free(&l);
        /* A time window that holds nothing. */
        struct store_audit_filter g = {.from = 1, .to = 2};
        CHECK_INT(store_audit_query(st, &g, &l), 0);
        CHECK_INT(l.n, 0);
        store_audit_list_free(&l);
        /* An entity name over 256 bytes is refused. */
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        g.object = longname;
        CHECK_INT(store_audit_query(st, &g, &l), -EINVAL);
        CHECK_INT(store_audit_query(st, NULL, &l), -EINVAL);
}

/* Drills: a start records the drill and its areas, with an exercise
 * alert.changed per area; the removal takes every exercise order and
 * notice, the 訓練 telegrams and the documents only they used, ends the
 * drills and leaves real data alone. */
static void test_drill(struct store *st)
{
        bool on = true;
        CHECK_INT(store_drill_public(st, &on), 0);
        CHECK(!on);
        long long ch0 = events_of("alert.changed");
        /* Bad input: no scenario, no areas, a code over 32 bytes; refused,
         * no drill and no event written (the long code comes second, after
         * a good one). */
        CHECK_INT(store_drill_begin(st, "", true, "0620300", NULL), -EINVAL);
        CHECK_INT(store_drill_begin(st, "大雨", true, "", NULL), -EINVAL);
        CHECK_INT(
            store_drill_begin(st, "大雨", true, "0620300,012345678901234567890123456789012", NULL),
            -EINVAL);
        CHECK_INT(sql_int("SELECT count(*) FROM drills"), 0);
        CHECK_INT(events_of("alert.changed"), ch0);
        /* A staff-only drill: residents see nothing. */
        int64_t d1 = 0, d2 = 0;
        CHECK_INT(store_drill_begin(st, "{\"name\":\"内部\"}", false, "0620400", &d1), 0);
        CHECK_INT(store_drill_public(st, &on), 0);
        CHECK(!on);
        /* A public one; an empty piece is skipped, a repeated code kept once. */
        CHECK_INT(store_drill_begin(st, "大雨", true, "0620300,,0620400,0620300", &d2), 0);
        CHECK(d2 > d1);
        CHECK_INT(store_drill_public(st, &on), 0);
        CHECK(on);
        char sql[200];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM drill_areas WHERE drill_id = %lld",
                 (long long)d2);
        CHECK_INT(sql_int(sql), 2);
        CHECK_INT(sql_int("SELECT count(*) FROM public_drill_areas"), 2);
        CHECK_INT(events_of("alert.changed"), ch0 + 4);
        CHECK_INT(sql_int("SELECT count(*) FROM events WHERE type = 'alert.changed' AND exercise = "
                          "1 AND public = 0 AND subject = 'areas/0620400'"),
                  1);

        /* The drill's data beside real data. */
        struct store_order o = {0};
        o.level = 5;
        o.hazard = "flood";
        o.area_code = "0620300";
        o.issued_at = 1721900000;
        o.exercise = true;
        int64_t ex_order = 0;
        CHECK_INT(store_order_issue(st, &o, &ex_order), 0);
        o.level = 3;
        o.exercise = false;
        CHECK_INT(store_order_issue(st, &o, NULL), 0);
        struct store_notice n = {0};
        n.category = "info";
        n.title_ja = "訓練のお知らせ";
        n.text_ja = "これは訓練です。";
        n.valid_from = 1721900000;
        n.exercise = true;
        CHECK_INT(store_notice_publish(st, &n, NULL), 0);
        n.exercise = false;
        n.title_ja = "お知らせ";
        CHECK_INT(store_notice_publish(st, &n, NULL), 0);
        /* A 訓練 telegram and a real one, each with its document. */
        const char *urls[2] = {"https://x/drill.xml", "https://x/real.xml"};
        const char *status[2] = {"訓練", "通常"};
        int64_t docs[2] = {0, 0};
        for (int i = 0; i < 2; i++) {
                CHECK_INT(store_raw_document_put(st, "jma", urls[i], "application/xml", "<d/>", 4,
                                                 1000, &docs[i], NULL),
                          0);
                struct store_jma_telegram t = {.url = urls[i],
                                               .feed = "extra",
                                               .title = "気象警報・注意報",
                                               .office = "山形地方気象台",
                                               .state = "done",
                                               .first_seen_at = 1000,
                                               .document_id = docs[i],
                                               .report_status = status[i],
                                               .info_type = "発表",
                                               .serial = -1,
                                               .datetime = 1721900000};
                CHECK_INT(store_jma_telegram_put(st, &t), 0);
        }
        int64_t doc_ex = docs[0], doc_real = docs[1];

        long long areas = sql_int("SELECT count(*) FROM area_status WHERE exercise = 1");
        long long alerts = sql_int("SELECT count(*) FROM alerts WHERE exercise = 1");
        long long real_orders = sql_int("SELECT count(*) FROM orders WHERE exercise = 0");
        long long lifted0 = events_of("order.lifted"), ch1 = events_of("alert.changed");
        struct store_exercise_removed rm;
        CHECK_INT(store_exercise_clear(st, &rm), 0);
        CHECK_INT(rm.orders, 1);
        CHECK_INT(rm.notices, 1);
        CHECK_INT(rm.telegrams, 1);
        CHECK_INT(rm.areas, areas);
        CHECK_INT(rm.alerts, alerts);
        CHECK_INT(events_of("order.lifted"), lifted0 + 1);
        CHECK_INT(events_of("alert.changed"), ch1 + areas);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM events WHERE type = 'order.lifted' AND exercise = 1 AND "
                 "subject = 'orders/%lld' AND json_extract(data, '$.removed') = 'drill'",
                 (long long)ex_order);
        CHECK_INT(sql_int(sql), 1);
        CHECK_INT(sql_int("SELECT count(*) FROM orders WHERE exercise = 1"), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM orders WHERE exercise = 0"), real_orders);
        CHECK_INT(sql_int("SELECT count(*) FROM notices WHERE exercise = 0 AND title_ja = "
                          "'お知らせ'"),
                  1);
        CHECK_INT(sql_int("SELECT count(*) FROM notices WHERE exercise = 1"), 0);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM raw_documents WHERE id IN (%lld, %lld)",
                 (long long)doc_ex, (long long)doc_real);
        CHECK_INT(sql_int(sql), 1);
        CHECK_INT(sql_int("SELECT count(*) FROM jma_telegrams WHERE report_status = '通常'"), 1);
        CHECK_INT(sql_int("SELECT count(*) FROM drills WHERE stopped_at IS NULL"), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM drills WHERE stopped_at >= started_at"), 2);
        CHECK_INT(store_drill_public(st, &on), 0);
        CHECK(!on);
        /* A second removal finds nothing and writes no event. */
        long long ev = sql_int("SELECT count(*) FROM events");
        CHECK_INT(store_exercise_clear(st, &rm), 0);
        CHECK_INT(rm.orders + rm.notices + rm.telegrams + rm.areas + rm.alerts, 0);
        CHECK_INT(sql_int("SELECT count(*) FROM events"), ev);
}

/* A little-endian WKB polygon of one ring (what GDAL's OGR_G_ExportToWkb
 * writes): the square of half-size d around (lon, lat). */
static size_t wkb_square(unsigned char *w, double lon, double lat, double d)
{
        const double pts[10] = {lon - d, lat - d, lon + d, lat - d, lon + d,
                                lat + d, lon - d, lat + d, lon - d, lat - d};
        const uint32_t head[3] = {3, 1, 5}; /* polygon, one ring, five points */
        w[0] = 1;
        for (int i = 0; i < 3; i++)
                for (int k = 0; k < 4; k++)
                        w[1 + 4 * i + k] = (unsigned char)(head[i] >> (8 * k));
        memcpy(w + 13, pts, sizeof(pts)); /* the test machines are little-endian */
        return 13 + sizeof(pts);
}

/* Areas and districts as rings and GeoJSON (for CAP and maps), hazard
 * features given as WKB: the same answers on both backends. */
static void test_shapes(struct store *st)
{
        /* Two polygons, the smaller first; the larger has a hole, which the
         * rings leave out. */
        struct store_area ar = {"0620400",
                                "酒田市",
                                NULL,
                                NULL,
                                "062049",
                                "06204",
                                NULL,
                                0,
                                "MULTIPOLYGON(((139.75 38.875, 139.8125 38.875, 139.8125 38.9375, "
                                "139.75 38.9375, 139.75 38.875)), ((139.5 38.5, 140.0 38.5, "
                                "140.0 39.0, 139.5 39.0, 139.5 38.5), (139.625 38.625, 139.6875 "
                                "38.625, 139.6875 38.6875, 139.625 38.625)))"};
        CHECK_INT(store_area_upsert(st, &ar), 0);
        struct store_area bare = {
            "0620500", "鶴岡市南部", "city_split", "0620300", NULL, NULL, NULL, 0, NULL};
        CHECK_INT(store_area_upsert(st, &bare), 0);
        char wkt[300];
        square(wkt, sizeof(wkt), 140.0, 38.25, 0.25);
        struct store_area pref = {"0600000", "山形県", "pref", NULL, NULL, NULL, NULL, 0, wkt};
        CHECK_INT(store_area_upsert(st, &pref), 0);

        struct store_area_rings r = {0};
        CHECK_INT(store_area_rings(st, "0620400", 0, &r), 0);
        CHECK_INT(r.n, 2);
        if (r.n == 2) {
                CHECK_INT(r.v[0].n, 5); /* the larger, its outer ring only */
                CHECK(r.v[0].lonlat[0] == 139.5 && r.v[0].lonlat[1] == 38.5);
                CHECK(r.v[0].lonlat[8] == 139.5 && r.v[0].lonlat[9] == 38.5); /* closed */
                CHECK_INT(r.v[1].n, 5);
                CHECK(r.v[1].lonlat[2] == 139.8125 && r.v[1].lonlat[3] == 38.875);
        }
        store_area_rings_free(&r);
        /* Ten points in all: nine is too many. */
        CHECK_INT(store_area_rings(st, "0620400", 9, &r), -EFBIG);
        CHECK_INT(r.n, 0);
        CHECK_INT(store_area_rings(st, "0620400", 10, &r), 0);
        store_area_rings_free(&r);
        CHECK_INT(store_area_rings(st, "0620500", 0, &r), -ENOENT); /* no geometry */
        CHECK_INT(store_area_rings(st, "0699999", 0, &r), -ENOENT); /* no such area */

        char *gj = NULL;
        double bbox[4] = {0};
        CHECK_INT(store_area_geojson(st, "0620400", 0, &gj, bbox), 0);
        CHECK(gj && strstr(gj, "\"MultiPolygon\"") && strstr(gj, "139.6875"));
        CHECK(bbox[0] == 139.5 && bbox[1] == 38.5 && bbox[2] == 140.0 && bbox[3] == 39.0);
        free(gj);
        gj = NULL;
        CHECK_INT(store_area_geojson(st, "0620400", 0.1, &gj, NULL), 0); /* simplified */
        CHECK(gj && strstr(gj, "MultiPolygon"));
        free(gj);
        gj = NULL;
        CHECK_INT(store_area_geojson(st, "0620400", -0.1, &gj, NULL), -EINVAL);
        CHECK_INT(store_area_geojson(st, "0620400", 1.5, &gj, NULL), -EINVAL);
        CHECK_INT(store_area_geojson(st, "0620500", 0, &gj, NULL), -ENOENT);
        CHECK(gj == NULL);

        /* Cities and splits with a geometry, by code; not the prefecture. */
        struct store_area_shape_list sh = {0};
        CHECK_INT(store_area_shapes(st, 0, &sh), 0);
        CHECK_INT(sh.n, 2);
        if (sh.n == 2) {
                CHECK_STR(sh.v[0].code, "0620300");
                CHECK_STR(sh.v[1].code, "0620400");
                CHECK_STR(sh.v[1].kind, "city");
                CHECK(strstr(sh.v[1].geojson, "MultiPolygon") != NULL);
        }
        store_area_shape_list_free(&sh);

        /* A district's rings with its name and area; one without geometry
         * has none and is no error; an unknown id is. */
        int64_t did = 0, bare_id = 0;
        CHECK_INT(store_district_find(st, "chuo", &did), 0);
        char *name = NULL, *area = NULL;
        CHECK_INT(store_district_rings(st, did, 0, &r, &name, &area), 0);
        CHECK_INT(r.n, 1);
        CHECK_STR(name, "中央");
        CHECK_STR(area, "0620300");
        store_area_rings_free(&r);
        free(name);
        free(area);
        struct store_district d = {0, "bare", "無地区", "community", NULL, {NULL, 0, NULL}};
        CHECK_INT(store_district_upsert(st, &d, &bare_id), 0);
        CHECK_INT(store_district_rings(st, bare_id, 0, &r, &name, &area), 0);
        CHECK_INT(r.n, 0);
        CHECK_STR(name, "無地区");
        CHECK(area == NULL);
        free(name);
        free(area);
        CHECK_INT(store_district_rings(st, bare_id + 1000, 0, &r, &name, &area), -ENOENT);
        CHECK(name == NULL && area == NULL);

        /* Hazard features as WKB: a good one, then a batch with a truncated
         * WKB, refused whole. */
        struct store_hazard_layer l = {0};
        l.name = "wkb_test";
        l.version = "1";
        l.hazard = HAZARD_LANDSLIDE;
        l.title = "土砂災害警戒区域";
        l.attribution = "国土数値情報（国土交通省）";
        int64_t lid = 0;
        CHECK_INT(store_hazard_layer_create(st, &l, &lid), 0);
        unsigned char w[100];
        size_t wl = wkb_square(w, 139.9, 38.6, 0.01);
        struct store_hazard_feature f[2] = {{"yellow", "土砂災害警戒区域", 1, {w, wl, NULL}},
                                            {"red", "土砂災害特別警戒区域", 2, {w, 20, NULL}}};
        long long n0 = sql_int("SELECT count(*) FROM hazard_features");
        CHECK_INT(store_hazard_features_add(st, lid, f, 2), -EINVAL);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features"), n0);
        CHECK_INT(store_hazard_features_add(st, lid, f, 1), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features WHERE class = 'yellow' AND "
                          "NumGeometries(geom) = 1"),
                  1);
        /* A feature without any geometry is refused too. */
        struct store_hazard_feature none = {"x", "x", 0, {NULL, 0, NULL}};
        CHECK_INT(store_hazard_features_add(st, lid, &none, 1), -EINVAL);
        CHECK_INT(store_hazard_layer_delete(st, lid), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM hazard_features"), n0);

        /* Addresses in one batch: of two rows with one code the later
         * wins; a batch with one row out of range is refused whole. */
        struct geo_address_in ad[3] = {
            {"062030001001", "山形県", "鶴岡市", "06203", "本町一丁目", 139.826, 38.727, "1"},
            {"062030001002", "山形県", "鶴岡市", "06203", "本町二丁目", 139.827, 38.728, "1"},
            {"062030001001", "山形県", "鶴岡市", "06203", "本町一丁目", 139.8261234567891, 38.7271,
             "2"}};
        CHECK_INT(geo_addresses_upsert(st, ad, 3), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM addresses"), 2);
        CHECK_INT(sql_int("SELECT count(*) FROM addresses WHERE code = '062030001001' AND version "
                          "= '2' AND lon = 139.8261234567891 AND chome = 1"),
                  1);
        ad[1].code = "062030001003";
        ad[2].lat = 91; /* out of range */
        CHECK_INT(geo_addresses_upsert(st, ad, 3), -EINVAL);
        CHECK_INT(sql_int("SELECT count(*) FROM addresses"), 2);
}

int main(void)
{
        char path[256];
        db = storetest_path("entities.db", path, sizeof(path));
        struct store *st = storetest_open(db);
        int64_t shelter = 0;
        test_sources(st);
        test_cameras(st);
        test_places(st, &shelter);
        test_shapes(st);
        test_city(st, shelter);
        test_sessions(st);
        test_audit_query(st);
        test_drill(st);
        test_drill_stations(st);
        /* Every table the entities live in passes the integrity check. */
        char why[200];
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        store_close(st);
        storetest_cleanup();
        return check_done("geo-store-entities");
}
