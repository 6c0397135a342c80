/* The JMA collector's pure parts: the Atom feed reader on the real feeds of
 * ../shared/fixtures/jma_feed and hostile inputs, the series resolution
 * (order, 取消, 訂正, Status and EventID keys), and the in-force
 * computation on the real 2024-07-25 Yamagata VPWW54. */
#include "buf.h"
#include "check.h"
#include "jma_feed.h"
#include "jma_inforce.h"
#include "jma_parse.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(const char *rel, struct buf *b)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", check_fixtures(), rel);
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                return -ENOENT;
        }
        char chunk[65536];
        size_t n;
        int rc = 0;
        while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                rc = buf_append(b, chunk, n);
        fclose(f);
        return rc;
}

static void test_real_feeds(void)
{
        static const struct {
                const char *file;
                size_t entries;
        } feeds[] = {
            {"jma_feed/extra_20240725T141650JST_yamagata_heavyrain_entryid-r1.xml", 350},
            {"jma_feed/eqvol_20240101T205323JST_noto.xml", 169},
            {"jma_feed/eqvol_20260106T140108JST.xml", 68},
        };
        for (size_t i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++) {
                struct buf b = BUF_INIT(1 << 24);
                CHECK_INT(load(feeds[i].file, &b), 0);
                struct jma_feed f;
                char why[128];
                CHECK_INT(jma_feed_parse(b.data, b.len, &f, why, sizeof(why)), 0);
                CHECK_INT((int)f.n, (int)feeds[i].entries);
                for (size_t k = 0; k < f.n; k++) {
                        /* Keyed on link/@href: never the decorated <id>. */
                        CHECK(strstr(f.v[k].href, "#") == NULL);
                        CHECK(f.v[k].updated > 0);
                        CHECK(f.v[k].type[0] != '\0');
                }
                if (i == 0) {
                        CHECK_STR(f.v[0].title, "気象特別警報・警報・注意報");
                        CHECK_STR(f.v[0].author, "京都地方気象台");
                        CHECK_STR(f.v[0].href, "https://www.data.jma.go.jp/developer/xml/data/"
                                               "20240725051641_0_VPWW53_260000.xml");
                        CHECK_STR(f.v[0].type, "VPWW53");
                        CHECK(f.v[0].updated == time_from_civil(2024, 7, 25, 5, 16, 40));
                        CHECK(f.updated == time_from_civil(2024, 7, 25, 5, 16, 50));
                }
                jma_feed_free(&f);
                buf_free(&b);
        }
}

static void test_hostile_feeds(void)
{
        struct jma_feed f;
        char why[128];
        const char *doctype = "<?xml version=\"1.0\"?><!DOCTYPE feed [<!ENTITY a \"aaaa\">]>"
                              "<feed xmlns=\"http://www.w3.org/2005/Atom\">&a;</feed>";
        CHECK_INT(jma_feed_parse(doctype, strlen(doctype), &f, why, sizeof(why)), -EPERM);
        CHECK(why[0] != '\0');
        const char *html = "<html><head><title>エラー</title></head><body>混雑</body></html>";
        CHECK_INT(jma_feed_parse(html, strlen(html), &f, why, sizeof(why)), -EPROTO);
        CHECK_INT(jma_feed_parse("", 0, &f, why, sizeof(why)), -EBADMSG);
        struct buf b = BUF_INIT(1 << 24);
        CHECK_INT(load("jma_feed/eqvol_20260106T140108JST.xml", &b), 0);
        CHECK_INT(jma_feed_parse(b.data, b.len / 2, &f, why, sizeof(why)), -EBADMSG);
        CHECK(f.n == 0 && f.v == NULL);
        buf_free(&b);
        CHECK_INT(load("jma_xml/operational/20240725040511_0_VPWW54_060000.xml", &b), 0);
        CHECK_INT(jma_feed_parse(b.data, b.len, &f, why, sizeof(why)), -EPROTO);
        buf_free(&b);
        char type[8];
        jma_feed_url_type("https://x/data/20240725040511_0_VPWW54_060000.xml", type);
        CHECK_STR(type, "VPWW54");
        jma_feed_url_type("https://x/data/weird.xml", type);
        CHECK_STR(type, "");
}

#define TG(title_, status_, info_, event_, serial_, dt_)                                           \
        {                                                                                          \
                .title = title_, .office = "山形地方気象台", .status = status_,                    \
                .info_type = info_, .event_id = event_, .serial = serial_, .datetime = dt_         \
        }

static const char *H27 = "気象警報・注意報（Ｈ２７）";
static const char *VX = "土砂災害警戒情報";

static void test_series(void)
{
        /* Out of order in the array: the newest (DateTime) wins. */
        struct jma_tg a[] = {TG(H27, "通常", "発表", NULL, -1, 300),
                             TG(H27, "通常", "発表", NULL, -1, 100),
                             TG(H27, "通常", "発表", NULL, -1, 200)};
        CHECK_INT(jma_series_resolve(a, 3), 0);
        CHECK(a[0].effective && !a[1].effective && !a[2].effective);
        /* 取消 cancels the newest earlier telegram: the one before is in force. */
        struct jma_tg b[] = {TG(H27, "通常", "取消", NULL, -1, 300),
                             TG(H27, "通常", "発表", NULL, -1, 100),
                             TG(H27, "通常", "発表", NULL, -1, 200)};
        CHECK_INT(jma_series_resolve(b, 3), 0);
        CHECK(!b[0].effective && b[1].effective && !b[2].effective);
        /* 訂正 replaces. */
        struct jma_tg c[] = {TG(H27, "通常", "発表", NULL, -1, 100),
                             TG(H27, "通常", "訂正", NULL, -1, 150)};
        CHECK_INT(jma_series_resolve(c, 2), 0);
        CHECK(!c[0].effective && c[1].effective);
        /* Status and EventID are part of the key; Serial orders within. */
        struct jma_tg d[] = {
            TG(H27, "通常", "発表", NULL, -1, 100), TG(H27, "訓練", "発表", NULL, -1, 200),
            TG(VX, "通常", "発表", "A", 1, 100), TG(VX, "通常", "発表", "A", 2, 100),
            TG(VX, "通常", "発表", "B", 1, 50)};
        for (size_t i = 0; i < 5; i++)
                d[i].user = i;
        CHECK_INT(jma_series_resolve(d, 5), 0);
        CHECK(d[0].effective && d[1].effective && !d[2].effective && d[3].effective &&
              d[4].effective);
        /* Everything cancelled: nothing effective. */
        struct jma_tg e[] = {TG(VX, "通常", "発表", "A", 1, 100),
                             TG(VX, "通常", "取消", "A", 1, 110)};
        CHECK_INT(jma_series_resolve(e, 2), 0);
        CHECK(!e[0].effective && !e[1].effective);
}

static void test_inforce_real(void)
{
        struct buf b = BUF_INIT(1 << 24);
        CHECK_INT(load("jma_xml/operational/20240725040511_0_VPWW54_060000.xml", &b), 0);
        struct jma_report *r = NULL;
        CHECK_INT(jma_parse(b.data, b.len, NULL, &r, NULL), 0);
        buf_free(&b);
        if (!r)
                return;
        struct jma_tg t[] = {TG(H27, "通常", "発表", NULL, -1, 1721880311),
                             TG(H27, "試験", "発表", NULL, -1, 1721880400)};
        t[0].report = r;
        t[1].report = r;
        CHECK_INT(jma_series_resolve(t, 2), 0);
        struct jma_inforce out;
        struct jma_inforce_options o = {.status = "通常"};
        CHECK_INT(jma_inforce_compute(t, 2, &o, &out), 0);
        const struct jma_area_state *ts = NULL;
        for (size_t i = 0; i < out.n; i++) {
                CHECK(strlen(out.v[i].code) == 7);
                if (strcmp(out.v[i].code, "0620300") == 0)
                        ts = &out.v[i];
        }
        CHECK(ts != NULL);
        if (ts) {
                CHECK_STR(ts->name, "鶴岡市");
                CHECK_INT(ts->level, 3);
                CHECK_INT((int)ts->n_kinds, 3);
                CHECK_STR(ts->kinds[0].code, "03");
                CHECK_STR(ts->kinds[1].code, "04");
                CHECK_STR(ts->kinds[2].code, "14");
                CHECK(ts->kinds[0].issued_at == time_from_civil(2024, 7, 25, 4, 5, 0));
        }
        jma_inforce_free(&out);
        /* Only this area when the areas filter says so; 試験 alone counts nothing. */
        const char *only[] = {"0620300"};
        o.areas = only;
        o.n_areas = 1;
        CHECK_INT(jma_inforce_compute(t, 2, &o, &out), 0);
        CHECK_INT((int)out.n, 1);
        jma_inforce_free(&out);
        o.status = "試験";
        CHECK_INT(jma_inforce_compute(t, 2, &o, &out), 0);
        CHECK_INT((int)out.n, 0);
        jma_report_free(r);
        jma_inforce_free(&out);
}

int main(void)
{
        test_real_feeds();
        test_hostile_feeds();
        test_series();
        test_inforce_real();
        return check_done("jma-inforce");
}
