/* The seed data: authored sample data, not official data.  Coordinates lie
 * in and around 鶴岡市 and 酒田市 so maps show something sensible; polygons
 * are rough rectangles. */
#include "store_seed.h"

#include "store_city.h"
#include "store_places.h"
#include "store_sources.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define N_GAUGES  40
#define N_CRISIS  20
#define N_SENSORS 20
#define N_RAIN    10
#define N_CAMERAS 10

static const char *const rivers[] = {"赤川", "内川", "大山川", "藤島川", "京田川", "最上川"};

/* A point spread over the plain between 鶴岡 and 酒田. */
static void place(int i, double *lon, double *lat)
{
        *lon = 139.78 + 0.011 * (i % 10);
        *lat = 38.68 + 0.012 * (i / 10);
}

static int station(struct store *st, const char *kind, int i, const char *label,
                   const struct level_thresholds *thr, int64_t interval, int64_t *id)
{
        char ext[32], name[96];
        snprintf(ext, sizeof(ext), "%s-%03d", kind, i);
        snprintf(name, sizeof(name), "見本%s %03d", label, i);
        struct store_station s;
        memset(&s, 0, sizeof(s));
        s.kind = kind;
        s.source = "seed";
        s.external_id = ext;
        s.name = name;
        s.river = strcmp(kind, "rain") == 0 ? NULL : rivers[i % 6];
        s.area_code = i % 3 == 2 ? "0620400" : "0620300";
        place(i, &s.lon, &s.lat);
        if (thr)
                s.thr = *thr;
        else
                level_thresholds_clear(&s.thr);
        s.expected_interval_s = interval;
        return store_station_upsert(st, &s, id);
}

/* Seven values ten minutes apart ending at `last` (UTC) with `value`,
 * rising by `step` each time. */
static int history(struct store *st, int64_t id, const char *q, int64_t last, double value,
                   double step, size_t *count)
{
        struct store_obs o[7];
        for (int k = 0; k < 7; k++)
                o[k] = (struct store_obs){id, q, last - (6 - k) * 600, value - (6 - k) * step, 0};
        *count += 7;
        return store_observations_add(st, o, 7, NULL);
}

static int seed_stations(struct store *st, int64_t now, struct store_seed_counts *c)
{
        int rc = 0;
        int64_t id;
        struct level_thresholds thr, crisis;
        level_thresholds_clear(&thr);
        thr.standby = 1.0;
        thr.caution = 2.0;
        thr.evacuation = 3.0;
        thr.danger = 4.0;
        thr.flood = 5.0;
        level_thresholds_clear(&crisis);
        crisis.start = 1.0;
        crisis.danger = 3.0;
        crisis.flood = 4.0;
        /* Ordinary gauges: none, L1 .. L5, then stale (last seen 3 h ago)
         * and never observed. */
        static const double gauge_values[8] = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 2.2, NAN};
        for (int i = 0; i < N_GAUGES && rc == 0; i++) {
                rc = station(st, "gauge", i, "水位観測所", &thr, 600, &id);
                double v = gauge_values[i % 8];
                int64_t last = i % 8 == 6 ? now - 3 * 3600 : now - 120;
                if (rc == 0 && isfinite(v))
                        rc = history(st, id, "water_level_m", last, v, 0.05, &c->observations);
                c->stations++;
        }
        /* Crisis gauges: below start, watch, L4, L5, stale. */
        static const double crisis_values[5] = {NAN, 1.5, 3.2, 4.2, 1.8};
        for (int i = 0; i < N_CRISIS && rc == 0; i++) {
                rc = station(st, "gauge", 100 + i, "危機管理型水位計", &crisis, 600, &id);
                double v = crisis_values[i % 5];
                int64_t last = i % 5 == 4 ? now - 4 * 3600 : now - 180;
                if (rc == 0 && isfinite(v))
                        rc = history(st, id, "water_level_m", last, v, 0.08, &c->observations);
                else if (rc == 0)
                        rc = store_station_set_state(st, id, STATE_BELOW_START, now - 300);
                c->stations++;
        }
        /* The city's sensors: online at several levels, offline, unknown. */
        for (int i = 0; i < N_SENSORS && rc == 0; i++) {
                rc = station(st, "sensor", 200 + i, "センサ", &thr, 3600, &id);
                int m = i % 4;
                if (rc == 0 && m == 0)
                        rc = history(st, id, "water_level_m", now - 300, 1.2 + 0.4 * (i % 5), 0.02,
                                     &c->observations);
                else if (rc == 0 && m == 1)
                        rc = history(st, id, "water_level_m", now - 4 * 86400, 0.8, 0.0,
                                     &c->observations);
                else if (rc == 0 && m == 2)
                        rc = history(st, id, "battery_v", now - 300, 3.7, 0.0, &c->observations);
                c->stations++;
        }
        for (int i = 0; i < N_RAIN && rc == 0; i++) {
                rc = station(st, "rain", 300 + i, "雨量観測所", NULL, 600, &id);
                if (rc == 0 && i % 5 != 4)
                        rc = history(st, id, "precip_10m_mm", now - 240, 2.0 * i, 0.2,
                                     &c->observations);
                c->stations++;
        }
        static const char *const cam_states[4] = {"ok", "stale", "frozen", "unknown"};
        for (int i = 0; i < N_CAMERAS && rc == 0; i++) {
                rc = station(st, "camera", 400 + i, "河川カメラ", NULL, 600, &id);
                if (rc == 0 && i % 4 != 3)
                        rc = store_camera_set_state(st, id, cam_states[i % 4]);
                c->stations++;
        }
        return rc;
}

struct seed_kind {
        const char *code, *name;
        int level;
};

static int seed_alerts(struct store *st, int64_t now, struct store_seed_counts *c)
{
        static const struct {
                const char *code, *name;
                const char *lg, *town, *poly;
        } areas[2] = {
            {"0620300", "鶴岡市", "062031", "06203",
             "POLYGON((139.55 38.45, 140.05 38.45, 140.05 38.85, 139.55 38.85, 139.55 38.45))"},
            {"0620400", "酒田市", "062049", "06204",
             "POLYGON((139.75 38.85, 140.10 38.85, 140.10 39.10, 139.75 39.10, 139.75 38.85))"},
        };
        /* One kind at each level: 早期注意情報 (L1) to 大雨特別警報 (L5). */
        static const struct seed_kind levels[5] = {
            {"L1", "早期注意情報（警報級の可能性）", 1},
            {"10", "大雨注意報", 2},
            {"03", "大雨警報", 3},
            {"D4", "土砂災害警戒情報", 4},
            {"33", "大雨特別警報", 5},
        };
        int rc = 0;
        for (int a = 0; a < 2 && rc == 0; a++) {
                struct store_area ar = {areas[a].code, areas[a].name, "city", NULL,
                                        areas[a].lg,   areas[a].town, NULL,   0,
                                        areas[a].poly};
                rc = store_area_upsert(st, &ar);
                c->areas++;
                for (int l = 0; l < 5 && rc == 0; l++) {
                        struct store_alert al;
                        memset(&al, 0, sizeof(al));
                        al.office = "山形地方気象台";
                        al.title = "山形県気象警報・注意報（見本）";
                        al.info_type = "発表";
                        al.report_status = "通常";
                        al.serial = -1;
                        al.report_at = now - (5 - l) * 3600;
                        al.area_code = areas[a].code;
                        al.area_name = areas[a].name;
                        al.kind_code = levels[l].code;
                        al.kind_name = levels[l].name;
                        al.status = "発表";
                        al.level = levels[l].level;
                        al.valid_from = al.report_at;
                        rc = store_alert_add(st, &al, NULL);
                        c->alerts++;
                }
        }
        /* In force now: 鶴岡市 at level 4, 酒田市 at level 2, and a drill
         * at level 5 in 酒田市 kept apart from the real state. */
        struct store_area_kind tsuruoka[3] = {{"03", "大雨警報", "継続", 3, now - 7200, 0},
                                              {"04", "洪水警報", "発表", 3, now - 3600, 0},
                                              {"D4", "土砂災害警戒情報", "発表", 4, now - 1800, 0}};
        struct store_area_kind sakata[2] = {{"10", "大雨注意報", "継続", 2, now - 7200, 0},
                                            {"14", "雷注意報", "発表", 0, now - 3600, 0}};
        struct store_area_kind drill[1] = {{"33", "大雨特別警報", "発表", 5, now - 600, 0}};
        if (rc == 0)
                rc = store_area_set_in_force(st, "0620300", "鶴岡市", false, tsuruoka, 3);
        if (rc == 0)
                rc = store_area_set_in_force(st, "0620400", "酒田市", false, sakata, 2);
        if (rc == 0)
                rc = store_area_set_in_force(st, "0620400", "酒田市", true, drill, 1);
        return rc;
}

static int seed_places(struct store *st, int64_t now, struct store_seed_counts *c)
{
        int64_t d1 = 0, d2 = 0;
        struct store_district da = {0,
                                    "seed-chuo",
                                    "見本 中央地区",
                                    "district",
                                    "0620300",
                                    {NULL, 0,
                                     "POLYGON((139.80 38.70, 139.85 38.70, 139.85 38.75, 139.80 "
                                     "38.75, 139.80 38.70))"}};
        struct store_district db = {0,
                                    "seed-oyama",
                                    "見本 大山地区",
                                    "district",
                                    "0620300",
                                    {NULL, 0,
                                     "POLYGON((139.74 38.72, 139.79 38.72, 139.79 38.77, 139.74 "
                                     "38.77, 139.74 38.72))"}};
        int rc = store_district_upsert(st, &da, &d1);
        if (rc == 0)
                rc = store_district_upsert(st, &db, &d2);
        /* Six shelters: emergency places with differing suitability, and
         * the 指定避難所 they are linked to. */
        int64_t ids[6] = {0};
        for (int i = 0; i < 6 && rc == 0; i++) {
                char cid[32], name[96];
                snprintf(cid, sizeof(cid), "SEED-%02d", i);
                snprintf(name, sizeof(name), "見本避難%s %d", i < 4 ? "場所" : "所", i + 1);
                struct store_shelter s;
                memset(&s, 0, sizeof(s));
                s.common_id = cid;
                s.kind = i < 4 ? "emergency" : "evacuation";
                s.name = name;
                s.address = "山形県鶴岡市（見本）";
                s.lon = 139.80 + 0.01 * i;
                s.lat = 38.71 + 0.006 * i;
                if (i < 4) {
                        s.hazards[HAZARD_FLOOD] = i != 1;
                        s.hazards[HAZARD_LANDSLIDE] = i == 1 || i == 3;
                        s.hazards[HAZARD_EARTHQUAKE] = true;
                        s.hazards[HAZARD_TSUNAMI] = i == 2;
                        s.hazards[HAZARD_FIRE] = i != 2;
                        s.hazards[HAZARD_INLAND_FLOOD] = i == 0;
                }
                s.capacity = i < 4 ? -1 : 300 + 100 * i;
                s.linked_id = i < 4 && ids[4] ? ids[4] : 0;
                s.district_id = i % 2 ? d2 : d1;
                rc = store_shelter_upsert(st, &s, &ids[i]);
                c->shelters++;
        }
        if (rc == 0)
                rc = store_shelter_set_status(st, ids[4], true, 85, "毛布、飲料水");
        if (rc == 0)
                rc = store_shelter_set_status(st, ids[0], true, -1, NULL);

        /* Two small hazard layers in the 国土数値情報 class schemes. */
        struct store_hazard_layer fl = {0,
                                        "A31_flood_max",
                                        "seed",
                                        HAZARD_FLOOD,
                                        "洪水浸水想定区域（想定最大規模）（見本）",
                                        "国土数値情報（国土交通省）を模した見本",
                                        false,
                                        0,
                                        0};
        struct store_hazard_layer ls = {0,
                                        "A33_landslide",
                                        "seed",
                                        HAZARD_LANDSLIDE,
                                        "土砂災害警戒区域（見本）",
                                        "国土数値情報（国土交通省）を模した見本",
                                        false,
                                        0,
                                        0};
        struct store_hazard_feature ff[3] = {
            {"2",
             "0.5m以上3.0m未満",
             2,
             {NULL, 0,
              "POLYGON((139.80 38.70, 139.83 38.70, 139.83 38.72, 139.80 38.72, 139.80 38.70))"}},
            {"3",
             "3.0m以上5.0m未満",
             3,
             {NULL, 0,
              "POLYGON((139.83 38.70, 139.86 38.70, 139.86 38.72, 139.83 38.72, 139.83 38.70))"}},
            {"1",
             "0.5m未満",
             1,
             {NULL, 0,
              "POLYGON((139.80 38.72, 139.86 38.72, 139.86 38.74, 139.80 38.74, 139.80 38.72))"}},
        };
        struct store_hazard_feature lf[2] = {
            {"yellow",
             "土砂災害警戒区域（イエローゾーン）",
             1,
             {NULL, 0,
              "POLYGON((139.74 38.72, 139.76 38.72, 139.76 38.74, 139.74 38.74, 139.74 38.72))"}},
            {"red",
             "土砂災害特別警戒区域（レッドゾーン）",
             2,
             {NULL, 0,
              "POLYGON((139.745 38.725, 139.755 38.725, 139.755 38.735, 139.745 38.735, 139.745 "
              "38.725))"}},
        };
        int64_t lid = 0;
        if (rc == 0)
                rc = store_hazard_layer_create(st, &fl, &lid);
        if (rc == 0)
                rc = store_hazard_features_add(st, lid, ff, 3);
        if (rc == 0)
                rc = store_hazard_layer_activate(st, lid);
        if (rc == 0)
                rc = store_hazard_layer_create(st, &ls, &lid);
        if (rc == 0)
                rc = store_hazard_features_add(st, lid, lf, 2);
        if (rc == 0)
                rc = store_hazard_layer_activate(st, lid);
        c->hazard_layers += 2;
        (void)now;
        return rc;
}

static int seed_city(struct store *st, int64_t now, struct store_seed_counts *c)
{
        static const struct {
                const char *category, *text, *status;
                int severity;
                bool is_public;
        } reports[3] = {
            {"冠水", "見本：道路冠水 深さ約30cm", "new", 2, false},
            {"土砂崩れ", "見本：市道に土砂流出、通行不可", "confirmed", 3, true},
            {"倒木", "見本：倒木を撤去済み", "handled", 1, false},
        };
        int rc = 0;
        for (int i = 0; i < 3 && rc == 0; i++) {
                struct store_report r;
                memset(&r, 0, sizeof(r));
                r.created_at = now - (3 - i) * 900;
                r.lon = 139.81 + 0.01 * i;
                r.lat = 38.72 - 0.005 * i;
                r.category = reports[i].category;
                r.severity = reports[i].severity;
                r.text = reports[i].text;
                int64_t id = 0;
                rc = store_report_create(st, &r, &id);
                if (rc == 0 && strcmp(reports[i].status, "new") != 0)
                        rc = store_report_update(st, id, reports[i].status, reports[i].is_public);
                c->reports++;
        }
        struct store_order o;
        memset(&o, 0, sizeof(o));
        o.level = 3;
        o.hazard = "flood";
        o.area_code = "0620300";
        o.reason = "見本：赤川の水位上昇のため";
        o.issued_at = now - 1200;
        if (rc == 0)
                rc = store_order_issue(st, &o, NULL);
        c->orders++;
        struct store_notice n;
        memset(&n, 0, sizeof(n));
        n.category = "shelter_open";
        n.area_code = "0620300";
        n.title_ja = "避難所を開設しました（見本）";
        n.text_ja = "見本避難所 5 を開設しました。毛布と飲料水があります。";
        n.valid_from = now - 1100;
        n.is_public = true;
        if (rc == 0)
                rc = store_notice_publish(st, &n, NULL);
        c->notices++;
        return rc;
}

int store_seed(struct store *st, int64_t now, struct store_seed_counts *counts)
{
        struct store_seed_counts c;
        memset(&c, 0, sizeof(c));
        int64_t id = 0;
        int rc = store_station_find(st, "seed", "gauge-000", &id);
        if (rc == 0)
                return -EEXIST;
        if (rc != -ENOENT)
                return rc;
        rc = store_begin(st);
        if (rc < 0)
                return rc;
        rc = seed_stations(st, now, &c);
        if (rc == 0)
                rc = seed_alerts(st, now, &c);
        if (rc == 0)
                rc = seed_places(st, now, &c);
        if (rc == 0)
                rc = seed_city(st, now, &c);
        if (rc == 0)
                rc = store_commit(st);
        else
                store_rollback(st);
        if (rc == 0 && counts)
                *counts = c;
        return rc;
}
