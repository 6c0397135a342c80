/* Table-driven field checks of the JMA parser on chosen real telegrams of
 * ../shared/fixtures/jma_xml (read with the library, not the CLI), the level
 * table's own consistency, the notes a daemon logs, and the refusal reasons
 * of the library itself.  The expected values were read off the XML files. */
#include "check.h"
#include "jma_json.h"
#include "jma_parse.h"
#include "level.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct jma_report *load(const char *rel)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/jma_xml/%s", check_fixtures(), rel);
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                CHECK(f != NULL);
                return NULL;
        }
        struct buf b = BUF_INIT(JMA_DEFAULT_MAX_BYTES + 1);
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                CHECK_INT(buf_append(&b, chunk, n), 0);
        fclose(f);
        struct jma_report *r = NULL;
        struct jma_parse_error err;
        int rc = jma_parse(b.data, b.len, NULL, &r, &err);
        if (rc < 0)
                fprintf(stderr, "%s: refused: %s\n", rel, err.message);
        CHECK_INT(rc, 0);
        buf_free(&b);
        return r;
}

#define YAMAGATA "operational/20240725040511_0_VPWW54_060000.xml"
#define FUKUI    "operational/20260830_fukui_VPWW55_L5_FlEq-18_00_01_260830.xml"
#define VXKO     "official_samples/16_07_01_220728_VXKOii.xml"
#define VXSU     "official_samples/91_01_01_241031_VXSUii.xml"
#define NOTO_EQ  "operational/20240101072429_0_VXSE53_010000.xml"
#define NOTO_TS  "operational/20240101_noto_TsunamiAlarm.xml"
#define VPWP50   "official_samples/81_01_04_250630_VPWP50.xml"

/* Header fields of chosen documents: a 取消, a 訂正, a 訓練 and the rest. */
static const struct header_case {
        const char *file;
        const char *title, *status, *info_type, *head_title, *event_id, *serial, *info_kind;
        enum jma_family family;
        enum jma_generation generation;
        long n_warnings, n_tsunami;
        bool earthquake;
} headers[] = {
    {YAMAGATA, "気象警報・注意報（Ｈ２７）", "通常", "発表", "山形県気象警報・注意報", NULL, NULL,
     "気象警報・注意報", JMA_FAMILY_WEATHER, JMA_GEN_H27, 99, 0, false},
    {"official_samples/32-35_06_02_100915_VXSE52.xml", "震源に関する情報", "通常", "取消",
     "震源に関する情報", "20080614084350", NULL, "震源速報", JMA_FAMILY_OTHER, JMA_GEN_H27, 0, 0,
     false},
    {"official_samples/43_02_01_200522_VFVO52.xml", "噴火に関する火山観測報", "通常", "訂正",
     "火山名　浅間山　噴火に関する火山観測報", "20200522143900_306", "1", "噴火に関する火山観測報",
     JMA_FAMILY_OTHER, JMA_GEN_H27, 0, 0, false},
    {"official_samples/32-39_12_02_250206_VTSE41.xml", "津波警報・注意報・予報a", "訓練", "発表",
     "大津波警報・津波警報・津波注意報", "20160901071000", NULL, "津波警報・注意報・予報",
     JMA_FAMILY_OTHER, JMA_GEN_H27, 0, 66, true},
    {FUKUI, "気象警報・注意報（Ｒ０６）（大雨）", "通常", "発表", "福井県大雨警報・注意報", NULL,
     NULL, "気象警報・注意報", JMA_FAMILY_WEATHER, JMA_GEN_R06, 25, 0, false},
    {VXKO, "指定河川洪水予報", "通常", "発表", "○○川上流氾濫危険情報", "123456789012", "3",
     "指定河川洪水予報", JMA_FAMILY_RIVER, JMA_GEN_H27, -1, 0, false},
    {VXSU, "水位周知河川に関する情報", "通常", "発表", "善川レベル２氾濫注意報", NULL, NULL, NULL,
     JMA_FAMILY_RIVER, JMA_GEN_R06, -1, 0, false},
    {"official_samples/17_04_01_250630_VXWW50.xml", "土砂災害警戒情報", "通常", "発表",
     "神奈川県レベル４土砂災害危険警報", NULL, NULL, NULL, JMA_FAMILY_LANDSLIDE, JMA_GEN_R06, -1, 0,
     false},
    {NOTO_EQ, "震源・震度に関する情報", "通常", "発表", "震源・震度情報", NULL, NULL, NULL,
     JMA_FAMILY_OTHER, JMA_GEN_H27, 0, 0, true},
    {NOTO_TS, "津波警報・注意報・予報a", "通常", "発表",
     "大津波警報・津波警報・津波注意報・津波予報", NULL, NULL, NULL, JMA_FAMILY_OTHER, JMA_GEN_H27,
     0, 26, true},
    {VPWP50, "気象警報・注意報時系列情報（Ｒ０６）", "通常", "発表",
     "宗谷地方警戒・注意事項時系列情報", NULL, NULL, NULL, JMA_FAMILY_OUTLOOK, JMA_GEN_R06, 0, 0,
     false},
};

static void check_headers(void)
{
        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
                const struct header_case *c = &headers[i];
                struct jma_report *r = load(c->file);
                if (!r)
                        continue;
                CHECK_STR(r->title, c->title);
                CHECK_STR(r->status, c->status);
                CHECK_STR(r->info_type, c->info_type);
                CHECK_STR(r->head_title, c->head_title);
                /* NULL here means "not checked" except in the first four,
                 * whose EventID/Serial were read off the files. */
                if (i < 4 || c->event_id)
                        CHECK_STR(r->event_id, c->event_id);
                if (i < 4 || c->serial)
                        CHECK_STR(r->serial, c->serial);
                if (c->info_kind)
                        CHECK_STR(r->info_kind, c->info_kind);
                CHECK_INT(r->family, c->family);
                CHECK_INT(r->generation, c->generation);
                if (c->n_warnings >= 0)
                        CHECK_INT(r->n_warnings, c->n_warnings);
                CHECK_INT(r->n_tsunami, c->n_tsunami);
                CHECK_INT(r->earthquake != NULL, c->earthquake);
                jma_report_free(r);
        }
}

/* Warning entries: the entries of (file, warning type suffix, area) must be
 * exactly these Kinds, in order. */
struct kind_exp {
        const char *code, *name, *status;
        int level;
};

static const struct warning_case {
        const char *file;
        const char *type_suffix; /* end of Warning@type */
        const char *area_code, *area_name;
        int n;
        struct kind_exp kinds[4];
} warning_cases[] = {
    /* 鶴岡市 on the night of 2024-07-25: 大雨警報 and 洪水警報 (level 3), 雷注意報. */
    {YAMAGATA,
     "（市町村等）",
     "0620300",
     "鶴岡市",
     3,
     {{"03", "大雨警報", "継続", 3}, {"04", "洪水警報", "継続", 3}, {"14", "雷注意報", "継続", 0}}},
    {YAMAGATA,
     "（市町村等をまとめた地域等）",
     "060031",
     "庄内北部",
     3,
     {{"33", "大雨特別警報", "発表", 5},
      {"04", "洪水警報", "継続", 3},
      {"14", "雷注意報", "継続", 0}}},
    {FUKUI, "（市町村等）", "1820100", "福井市", 1, {{"33", "レベル５大雨特別警報", "継続", 5}}},
    {FUKUI, "（市町村等）", "1821000", "坂井市", 1, {{"43", "レベル４大雨危険警報", "継続", 4}}},
    {FUKUI, "（市町村等）", "1820700", "鯖江市", 1, {{"03", "レベル３大雨警報", "継続", 3}}},
    {FUKUI, "（市町村等）", "1820900", "越前市", 1, {{"10", "レベル２大雨注意報", "継続", 2}}},
    {FUKUI, "（市町村等）", "1842300", "越前町", 1, {{"03", "レベル３大雨警報", "発表", 3}}},
    /* A Kind with neither Code nor Name is kept (faithful, unfiltered). */
    {FUKUI, "（市町村等）", "1820200", "敦賀市", 1, {{NULL, NULL, "発表警報・注意報はなし", 0}}},
    {"official_samples/17_04_01_250630_VXWW50.xml",
     "土砂災害警戒情報",
     "1420600",
     "小田原市",
     1,
     {{"3", "警戒", "発表", 4}}},
    {VXSU, "（河川）", NULL, NULL, -1, {{"21", "レベル２氾濫注意報", NULL, 2}}},
};

static bool ends_with(const char *s, const char *suffix)
{
        size_t a = s ? strlen(s) : 0, b = strlen(suffix);
        return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_warnings(void)
{
        for (size_t i = 0; i < sizeof(warning_cases) / sizeof(warning_cases[0]); i++) {
                const struct warning_case *c = &warning_cases[i];
                struct jma_report *r = load(c->file);
                if (!r)
                        continue;
                int seen = 0;
                for (size_t k = 0; k < r->n_warnings; k++) {
                        const struct jma_warning *w = &r->warnings[k];
                        if (!ends_with(w->warning_type, c->type_suffix))
                                continue;
                        if (c->area_code && !same(w->area_code, c->area_code))
                                continue;
                        if (c->n < 0 && seen >= 1)
                                break;
                        if (seen < 4) {
                                const struct kind_exp *e = &c->kinds[seen];
                                CHECK_STR(w->area_name, c->area_code ? c->area_name : w->area_name);
                                CHECK_STR(w->kind_code, e->code);
                                CHECK_STR(w->kind_name, e->name);
                                if (e->status)
                                        CHECK_STR(w->kind_status, e->status);
                                CHECK_INT(w->level, e->level);
                        }
                        seen++;
                }
                if (c->n >= 0)
                        CHECK_INT(seen, c->n);
                else
                        CHECK(seen >= 1);
                jma_report_free(r);
        }
}

static void check_river(void)
{
        /* VXKO: the level is in Head/Headline/Information (氾濫危険情報, 40). */
        struct jma_report *r = load(VXKO);
        if (r) {
                bool found = false;
                for (size_t i = 0; i < r->n_head_items; i++) {
                        const struct jma_warning *h = &r->head_items[i];
                        if (same(h->area_code, "123456789012")) {
                                CHECK_STR(h->warning_type, "指定河川洪水予報（予報区域）");
                                CHECK_STR(h->kind_code, "40");
                                CHECK_STR(h->kind_name, "氾濫危険情報");
                                CHECK_INT(h->level, 4);
                                found = true;
                        }
                }
                CHECK(found);
                /* Thresholds of the first gauge, in document order. */
                static const struct {
                        const char *type;
                        double value;
                        int level;
                } th[] = {{"レベル１水防団待機水位", 142.00, 1},
                          {"レベル２氾濫注意水位", 142.50, 2},
                          {"レベル３避難判断水位", 144.60, 3},
                          {"レベル４氾濫危険水位", 144.90, 4},
                          {"レベル４計画高水位等", 145.10, 4}};
                CHECK_INT(r->n_thresholds, 15);
                for (size_t i = 0; i < 5 && i < r->n_thresholds; i++) {
                        CHECK_STR(r->thresholds[i].station_name, "○○○水位観測所");
                        CHECK_STR(r->thresholds[i].station_code, "12345678901234567");
                        CHECK_STR(r->thresholds[i].type, th[i].type);
                        CHECK_STR(r->thresholds[i].unit, "m");
                        CHECK_STR(r->thresholds[i].condition, "有効");
                        CHECK_NEAR(r->thresholds[i].value, th[i].value, 1e-9);
                        CHECK_INT(r->thresholds[i].level, th[i].level);
                }
                jma_report_free(r);
        }
        /* VXSU: thresholds without the レベル prefix, mapped for level.h. */
        r = load(VXSU);
        if (r) {
                struct level_thresholds t;
                CHECK_INT(jma_station_thresholds(r, "820181310000081", &t), 3);
                CHECK(isnan(t.standby));
                CHECK_NEAR(t.caution, 2.60, 1e-9);
                CHECK_NEAR(t.evacuation, 3.10, 1e-9);
                CHECK_NEAR(t.danger, 3.80, 1e-9);
                CHECK_INT(jma_station_thresholds(r, "000", &t), 0);
                jma_report_free(r);
        }
}

static void check_earthquakes(void)
{
        static const struct {
                const char *file;
                const char *origin, *name, *maxint;
                double lat, lon, depth, mag; /* NAN = null */
        } eq[] = {
            {NOTO_EQ, "2024-01-01T16:10:00+09:00", "石川県能登地方", "7", 37.5, 137.2, 0, 7.6},
            {NOTO_TS, "2024-01-01T16:10:00+09:00", "石川県能登地方", NULL, 37.5, 137.2, 0, 7.6},
            /* Ｍ８を超える巨大地震: magnitude NaN with condition 不明. */
            {"official_samples/32-39_11_05_240613_VXSE53.xml", "2011-03-11T14:46:00+09:00",
             "三陸沖", "7", 38.0, 142.9, 10, NAN},
            /* 深さ不明: "-36.1-072.6/". */
            {"official_samples/32-39_05_05_100831_VXSE53.xml", "2010-02-27T15:34:00+09:00",
             "南米西部", NULL, -36.1, -72.6, NAN, 8.6},
        };
        for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++) {
                struct jma_report *r = load(eq[i].file);
                if (!r)
                        continue;
                CHECK(r->earthquake != NULL);
                if (r->earthquake) {
                        const struct jma_earthquake *e = r->earthquake;
                        CHECK_STR(e->origin_time, eq[i].origin);
                        CHECK_STR(e->hypocenter_name, eq[i].name);
                        CHECK_STR(e->max_intensity, eq[i].maxint);
                        CHECK_NEAR(e->lat, eq[i].lat, 1e-9);
                        CHECK_NEAR(e->lon, eq[i].lon, 1e-9);
                        if (isnan(eq[i].depth))
                                CHECK(isnan(e->depth_km));
                        else
                                CHECK_NEAR(e->depth_km, eq[i].depth, 1e-9);
                        if (isnan(eq[i].mag))
                                CHECK(isnan(e->magnitude));
                        else
                                CHECK_NEAR(e->magnitude, eq[i].mag, 1e-9);
                }
                jma_report_free(r);
        }
        /* The Noto tsunami warning: forecast kind per coastal area. */
        struct jma_report *r = load(NOTO_TS);
        if (r && r->n_tsunami >= 2) {
                CHECK_STR(r->tsunami[0].area_code, "360");
                CHECK_STR(r->tsunami[0].area_name, "石川県能登");
                CHECK_STR(r->tsunami[0].kind_code, "53");
                CHECK_STR(r->tsunami[0].kind_name, "大津波警報：発表");
                CHECK_STR(r->tsunami[1].area_code, "240");
                CHECK_STR(r->tsunami[1].area_name, "山形県");
                CHECK_STR(r->tsunami[1].kind_code, "51");
                CHECK_STR(r->tsunami[1].kind_name, "津波警報");
        }
        jma_report_free(r);
}

static void check_volcano_and_outlook(void)
{
        struct jma_report *r = load("official_samples/45_01_01_200522_VFVO50.xml");
        if (r && r->n_volcano > 0) {
                const struct jma_volcano *v = &r->volcano[0];
                CHECK_STR(v->info_type, "噴火警報・予報（対象火山）");
                CHECK_STR(v->area_code, "306");
                CHECK_STR(v->area_name, "浅間山");
                CHECK_STR(v->kind_code, "13");
                CHECK_STR(v->kind_name, "レベル３（入山規制）");
                CHECK_STR(v->kind_condition, "引上げ");
                CHECK_INT(v->alert_level, 3);
                /* 噴火警戒レベル is not the 警戒レベル: no notes from it. */
                CHECK_INT(r->n_notes, 0);
        }
        CHECK(r && r->n_volcano > 1);
        jma_report_free(r);
        r = load("official_samples/67_01_01_140927_VFVO56.xml");
        if (r && r->n_volcano > 0) {
                CHECK_STR(r->volcano[0].info_type, "噴火速報");
                CHECK_STR(r->volcano[0].area_name, "御嶽山");
                CHECK_STR(r->volcano[0].kind_name, "噴火");
                CHECK_INT(r->volcano[0].alert_level, 0);
        }
        jma_report_free(r);

        r = load(VPWP50);
        if (r) {
                CHECK(r->n_outlook > 1000);
                const struct jma_outlook *o = r->n_outlook ? &r->outlook[0] : NULL;
                if (o) {
                        CHECK_STR(o->area_code, "0121400");
                        CHECK_STR(o->area_name, "稚内市");
                        CHECK_STR(o->type, "大雨浸水危険度");
                        CHECK_STR(o->datetime, "2023-06-23T00:00:00+09:00");
                        CHECK_STR(o->duration, "PT3H");
                        CHECK_STR(o->code, "11");
                        CHECK_STR(o->name, "警戒レベル２未満");
                        CHECK_INT(o->level, 0);
                        CHECK(o->known);
                }
                size_t timed = 0;
                for (size_t i = 0; i < r->n_outlook; i++)
                        timed += r->outlook[i].datetime != NULL && r->outlook[i].known;
                CHECK_INT(timed, r->n_outlook);
                CHECK_INT(r->n_notes, 0);
        }
        jma_report_free(r);
}

static void check_table(void)
{
        /* The same code means different things across generations... */
        const struct jma_level_row *h = jma_level_lookup(JMA_FAMILY_WEATHER, JMA_GEN_H27, "08");
        const struct jma_level_row *n = jma_level_lookup(JMA_FAMILY_WEATHER, JMA_GEN_R06, "08");
        CHECK(h && h->level == 4 && n && n->level == 3);
        /* ... and across families. */
        const struct jma_level_row *dry = jma_level_lookup(JMA_FAMILY_WEATHER, JMA_GEN_R06, "21");
        const struct jma_level_row *riv = jma_level_lookup(JMA_FAMILY_RIVER, JMA_GEN_R06, "21");
        CHECK(dry && dry->level == 0 && strcmp(dry->name, "乾燥注意報") == 0);
        CHECK(riv && riv->level == 2);
        CHECK(jma_level_lookup(JMA_FAMILY_WEATHER, JMA_GEN_H27, "99") == NULL);
        CHECK(jma_level_lookup(JMA_FAMILY_OTHER, JMA_GEN_H27, "00") == NULL);

        CHECK_INT(jma_level_from_name("レベル５大雨特別警報"), 5);
        CHECK_INT(jma_level_from_name("レベル2氾濫注意報"), 2);
        CHECK_INT(jma_level_from_name("警戒レベル２未満"), 0);
        CHECK_INT(jma_level_from_name("大雨警報"), 0);
        CHECK_INT(jma_level_from_name("レベル"), 0);
        CHECK_INT(jma_level_from_name(NULL), 0);

        /* Every row whose name carries 「レベルN」 agrees with its level, and
         * no (family, generation, code) appears twice. */
        unsigned nrows;
        const struct jma_level_row *rows = jma_level_rows(&nrows);
        int named = 0;
        for (unsigned i = 0; i < nrows; i++) {
                int nl = jma_level_from_name(rows[i].name);
                if (nl && rows[i].family != JMA_FAMILY_OUTLOOK) {
                        named++;
                        CHECK_INT(rows[i].level, nl);
                }
                CHECK(rows[i].level >= 0 && rows[i].level <= 5);
                for (unsigned k = i + 1; k < nrows; k++)
                        CHECK(!(rows[i].family == rows[k].family &&
                                rows[i].generation == rows[k].generation &&
                                strcmp(rows[i].code, rows[k].code) == 0));
        }
        CHECK(named >= 12);
}

/* docs/sources/jma.md lists every row of the table, and no other: the table
 * is one documented file and the page must not drift from it. */
static void check_table_doc(void)
{
        const char *root = getenv("SONAE_SOURCE_ROOT");
        char path[4096];
        snprintf(path, sizeof(path), "%s/docs/sources/jma.md", root && root[0] ? root : ".");
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (!f)
                return;
        struct buf doc = BUF_INIT(1024 * 1024);
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                CHECK_INT(buf_append(&doc, chunk, n), 0);
        fclose(f);
        unsigned nrows;
        const struct jma_level_row *rows = jma_level_rows(&nrows);
        for (unsigned i = 0; i < nrows; i++) {
                char line[256], level[8];
                if (rows[i].level)
                        snprintf(level, sizeof(level), "%d", rows[i].level);
                else
                        snprintf(level, sizeof(level), "null");
                snprintf(line, sizeof(line), "| %s | %s | %s | %s | %s |",
                         jma_family_name(rows[i].family), jma_generation_name(rows[i].generation),
                         rows[i].code, rows[i].name, level);
                if (!doc.data || !strstr(doc.data, line))
                        fprintf(stderr, "docs/sources/jma.md lacks the row: %s\n", line);
                CHECK(doc.data && strstr(doc.data, line));
        }
        unsigned doc_rows = 0;
        for (const char *p = doc.data; p && (p = strstr(p, "\n| ")); p++) {
                static const char *const fams[] = {"weather", "landslide", "river",  "heavy_rain",
                                                   "tornado", "marine",    "outlook"};
                for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
                        size_t l = strlen(fams[k]);
                        if (strncmp(p + 3, fams[k], l) == 0 && p[3 + l] == ' ')
                                doc_rows++;
                }
        }
        CHECK_INT(doc_rows, nrows);
        buf_free(&doc);
}

/* An R06 telegram authored here from the Fukui one's shape, with one unknown
 * code (twice) and one name whose レベル disagrees with the table. */
static void check_notes(void)
{
        static const char doc[] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\">"
            "<Control><Title>気象警報・注意報（Ｒ０６）（大雨）</Title><Status>通常</Status></"
            "Control>"
            "<Head xmlns=\"http://xml.kishou.go.jp/jmaxml1/informationBasis1/\">"
            "<Title>  福井県大雨警報・注意報\n </Title><Serial> </Serial></Head>"
            "<Body xmlns=\"http://xml.kishou.go.jp/jmaxml1/body/meteorology1/\">"
            "<Warning type=\"気象警報・注意報（市町村等）\">"
            "<Item><Kind><Name>レベル９新警報</Name><Code>99</Code></Kind>"
            "<Kind><Name>レベル４大雨警報</Name><Code>03</Code></Kind>"
            "<Area><Name>福井市</Name><Code>1820100</Code></Area>"
            "<Area><Name>坂井市</Name><Code>1821000</Code></Area></Item>"
            "</Warning></Body></Report>";
        struct jma_report *r = NULL;
        struct jma_parse_error err;
        CHECK_INT(jma_parse(doc, sizeof(doc) - 1, NULL, &r, &err), 0);
        if (!r)
                return;
        CHECK_STR(r->head_title, "福井県大雨警報・注意報");
        CHECK(r->serial == NULL);
        CHECK(r->event_id == NULL);
        CHECK_INT(r->n_warnings, 4);
        CHECK_INT(r->n_notes, 2);
        if (r->n_warnings == 4) {
                CHECK_STR(r->warnings[0].kind_code, "99");
                CHECK_STR(r->warnings[1].kind_code, "99");
                CHECK_STR(r->warnings[1].area_name, "坂井市");
                CHECK_INT(r->warnings[0].level, 0);
                CHECK(!r->warnings[0].known);
                CHECK_INT(r->warnings[2].level, 3);
                CHECK_INT(r->warnings[2].name_level, 4);
        }
        if (r->n_notes == 2) {
                CHECK_INT(r->notes[0].kind, JMA_NOTE_UNKNOWN_CODE);
                CHECK_STR(r->notes[0].code, "99");
                CHECK_INT(r->notes[0].family, JMA_FAMILY_WEATHER);
                CHECK_INT(r->notes[0].generation, JMA_GEN_R06);
                CHECK_INT(r->notes[1].kind, JMA_NOTE_LEVEL_MISMATCH);
                CHECK_STR(r->notes[1].code, "03");
                CHECK_INT(r->notes[1].table_level, 3);
                CHECK_INT(r->notes[1].name_level, 4);
        }
        struct buf b = BUF_INIT(0);
        CHECK_INT(jma_report_json(r, &b), 0);
        CHECK(b.data && strstr(b.data, "\"kind_code\":\"99\"") &&
              strstr(b.data, "\"level\":null") && strstr(b.data, "\"serial\":null"));
        buf_free(&b);
        jma_report_free(r);
}

static void check_refusals(void)
{
        static const char ok[] = "<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"/>";
        static const struct {
                const char *doc;
                size_t max;
                enum jma_refusal reason;
                int code;
        } cases[] = {
            {"", 0, JMA_REFUSED_EMPTY, -ENODATA},
            {ok, 10, JMA_REFUSED_TOO_LARGE, -EFBIG},
            {"<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\">\xed\xa0\x80</Report>", 0,
             JMA_REFUSED_ENCODING, -EILSEQ},
            {"<!DOCTYPE Report><Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"/>", 0,
             JMA_REFUSED_DOCTYPE, -EPERM},
            {"<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"><Control>", 0,
             JMA_REFUSED_TRUNCATED, -EBADMSG},
            {"<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"></Control></Report>", 0,
             JMA_REFUSED_MALFORMED, -EBADMSG},
            {"<Report/>", 0, JMA_REFUSED_NOT_JMA, -EPROTO},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct jma_report *r = (struct jma_report *)1;
                struct jma_parse_error err;
                struct jma_parse_options o = {.max_bytes = cases[i].max};
                CHECK_INT(jma_parse(cases[i].doc, strlen(cases[i].doc), &o, &r, &err),
                          cases[i].code);
                CHECK(r == NULL);
                CHECK_INT(err.reason, cases[i].reason);
                CHECK(err.message[0] != '\0');
        }
        struct jma_report *r = NULL;
        CHECK_INT(jma_parse(ok, strlen(ok), NULL, &r, NULL), 0);
        CHECK(r && r->n_warnings == 0 && r->earthquake == NULL && r->title == NULL);
        jma_report_free(r);
        jma_report_free(NULL);

        /* Many Kinds times many Areas: refused, not grown without bound. */
        struct buf b = BUF_INIT(0);
        buf_puts(&b, "<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"><Control><Title>"
                     "気象警報・注意報（Ｈ２７）</Title></Control><Body><Warning><Item>");
        for (int i = 0; i < 1000; i++)
                buf_puts(&b, "<Kind><Code>03</Code></Kind><Area><Code>1</Code></Area>");
        buf_puts(&b, "</Item></Warning></Body></Report>");
        struct jma_parse_error err;
        CHECK_INT(jma_parse(b.data, b.len, NULL, &r, &err), -E2BIG);
        CHECK_INT(err.reason, JMA_REFUSED_TOO_MANY);
        buf_free(&b);
}

/* 記録的短時間大雨: the municipalities of VPBS50's 雨の実況 Items, none from
 * VPOA50 (6-digit 府県予報区 only), none from an AMeDAS Station Item or a
 * 線状降水帯 (6-digit areas). */
static void check_rain_areas(void)
{
        static const struct {
                const char *file, *code, *name;
                size_t n;
        } c[] = {
            {"operational/20260822_tokyo_VPBS50_KJPTK202608221709_202608221717.xml", "1311900",
             "板橋区", 1},
            {"official_samples/82_01_02_250318_VPBS50.xml", "0154300", "美幌町", 1},
            {"official_samples/82_01_01_241031_VPBS50.xml", NULL, NULL, 0},
            {"official_samples/85(82)_02_02_250630_VPBS50.xml", NULL, NULL, 0},
            {"operational/20260822_tokyo_VPOA50_JPTK202608221709_202608221717.xml", NULL, NULL, 0},
        };
        for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
                struct jma_report *r = load(c[i].file);
                if (!r)
                        continue;
                CHECK_INT(r->family, JMA_FAMILY_HEAVY_RAIN);
                CHECK_INT((int)r->n_rain_areas, (int)c[i].n);
                if (c[i].n && r->n_rain_areas) {
                        const struct jma_warning *w = &r->rain_areas[0];
                        CHECK_STR(w->area_code, c[i].code);
                        CHECK_STR(w->area_name, c[i].name);
                        CHECK_STR(w->kind_code, "1");
                        CHECK_STR(w->kind_name, "記録的短時間大雨情報");
                        CHECK_STR(w->kind_status, "付近");
                        CHECK_STR(w->warning_type, "観測実況");
                        CHECK_INT(w->level, 0);
                }
                jma_report_free(r);
        }
}

int main(void)
{
        check_headers();
        check_warnings();
        check_river();
        check_earthquakes();
        check_volcano_and_outlook();
        check_rain_areas();
        check_table();
        check_table_doc();
        check_notes();
        check_refusals();
        return check_done("jma-parse");
}
