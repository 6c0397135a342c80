/* CAP 1.2 messages and the Atom feed, on the real 鶴岡市 boundary: every
 * message validates against the OASIS XSD with xmllint, the mapping of
 * status and change kinds holds, polygons are "lat,lon", closed and have at
 * least 4 points, and a feed of many large areas stays under 900 KB. */
#include "cap.h"
#include "check.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];
static char xsd[512];

/* Validates one standalone CAP message with xmllint; returns its exit code. */
static int xmllint_cap(const char *xml, size_t len, const char *name)
{
        char path[600], cmd[1400];
        snprintf(path, sizeof(path), "%s/%s.xml", tmpdir, name);
        FILE *f = fopen(path, "wb");
        if (!f)
                return -1;
        fwrite(xml, 1, len, f);
        fclose(f);
        snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s' '%s' 2>/dev/null", xsd, path);
        int st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The rings of the first polygons of a GeoJSON MultiPolygon, as lon,lat. */
struct rings {
        double *pts[1024];
        struct cap_ring r[1024];
        size_t n;
        size_t total;
};

static int load_rings(const char *file, struct rings *out)
{
        json_error_t je;
        memset(out, 0, sizeof(*out));
        json_t *root = json_load_file(file, 0, &je);
        if (!root)
                return -EINVAL;
        json_t *coords = json_object_get(json_object_get(root, "geometry"), "coordinates");
        size_t pi;
        json_t *poly;
        json_array_foreach(coords, pi, poly)
        {
                json_t *outer = json_array_get(poly, 0); /* holes are not CAP */
                size_t n = json_array_size(outer);
                if (out->n >= 1024 || n == 0)
                        break;
                double *p = malloc(n * 2 * sizeof(double));
                for (size_t i = 0; i < n; i++) {
                        json_t *pt = json_array_get(outer, i);
                        p[2 * i] = json_real_value(json_array_get(pt, 0));
                        p[2 * i + 1] = json_real_value(json_array_get(pt, 1));
                }
                out->pts[out->n] = p;
                out->r[out->n].lonlat = p;
                out->r[out->n].n = n;
                out->total += n;
                out->n++;
        }
        json_decref(root);
        return out->n ? 0 : -EINVAL;
}

static void free_rings(struct rings *r)
{
        for (size_t i = 0; i < r->n; i++)
                free(r->pts[i]);
}

static const char *between(const char *s, const char *open, const char *close, char *out,
                           size_t len)
{
        const char *a = strstr(s, open);
        if (!a)
                return NULL;
        a += strlen(open);
        const char *b = strstr(a, close);
        if (!b || (size_t)(b - a) >= len)
                return NULL;
        memcpy(out, a, (size_t)(b - a));
        out[b - a] = '\0';
        return out;
}

static void test_mapping(void)
{
        enum cap_status s;
        enum cap_change c;
        CHECK_INT(cap_status_from_ja("通常", &s), 0);
        CHECK_STR(cap_status_name(s), "Actual");
        CHECK_INT(cap_status_from_ja("訓練", &s), 0);
        CHECK_STR(cap_status_name(s), "Exercise");
        CHECK_INT(cap_status_from_ja("試験", &s), 0);
        CHECK_STR(cap_status_name(s), "Test");
        CHECK_INT(cap_status_from_ja("Actual", &s), -EINVAL);
        CHECK_INT(cap_change_from_ja("発表", &c), 0);
        CHECK_STR(cap_msg_type(c), "Alert");
        CHECK_INT(cap_change_from_ja("変更", &c), 0);
        CHECK_STR(cap_msg_type(c), "Update");
        CHECK_INT(cap_change_from_ja("継続", &c), 0);
        CHECK_STR(cap_msg_type(c), "Update");
        CHECK_INT(cap_change_from_ja("解除", &c), 0);
        CHECK_STR(cap_msg_type(c), "Update");
        CHECK_INT(cap_change_from_ja("取消", &c), 0);
        CHECK_STR(cap_msg_type(c), "Cancel");
        CHECK_INT(cap_change_from_ja("訂正?", &c), -EINVAL);
}

static void test_simplify(const struct rings *r)
{
        const struct cap_ring *big = &r->r[0];
        for (size_t i = 1; i < r->n; i++)
                if (r->r[i].n > big->n)
                        big = &r->r[i];
        double *out = malloc((big->n + 1) * 2 * sizeof(double));
        size_t all = cap_simplify_ring(big->lonlat, big->n, 0, out);
        CHECK(all >= big->n - 1 && all <= big->n + 1);
        size_t m1 = cap_simplify_ring(big->lonlat, big->n, 0.0001, out);
        size_t m2 = cap_simplify_ring(big->lonlat, big->n, 0.001, out);
        CHECK(m1 >= 4 && m1 < all / 2);
        CHECK(m2 >= 4 && m2 < m1);
        CHECK(out[0] == out[2 * (m2 - 1)] && out[1] == out[2 * (m2 - 1) + 1]);
        /* A triangle that is not closed comes back closed with 4 points. */
        const double tri[] = {139.8, 38.7, 139.9, 38.7, 139.85, 38.8};
        CHECK_INT(cap_simplify_ring(tri, 3, 0.001, out), 4);
        CHECK(out[6] == 139.8 && out[7] == 38.7);
        /* Two points are no polygon. */
        CHECK_INT(cap_simplify_ring(tri, 2, 0, out), 0);
        free(out);
}

static struct cap_message base_msg(const struct cap_area *area)
{
        struct cap_message m = {
            .identifier = "urn:sonae:tsuruoka:alert:0620300-10-1",
            .sender = "jma-yamagata@sonae.invalid",
            .sender_name = "山形地方気象台",
            .sent_s = 1721884610, /* 2024-07-25T14:16:50+09:00 */
            .status = CAP_ACTUAL,
            .change = CAP_NEW,
            .event = "大雨特別警報",
            .category = "Met",
            .level = 5,
            .headline = "鶴岡市に大雨特別警報（警戒レベル５相当）",
            .description = "数十年に一度の大雨 & 土砂災害 <警戒>",
            .instruction = "命の危険が迫っています。直ちに身の安全を確保してください。",
            .web = "https://bousai.example.jp/",
            .effective_s = 1721884610,
            .areas = area,
            .n_areas = 1,
        };
        return m;
}

static void test_messages(const struct rings *r)
{
        struct cap_area area = {"鶴岡市", "0620300", r->r, r->n};
        struct cap_ref ref = {"jma-yamagata@sonae.invalid", "urn:sonae:tsuruoka:alert:0620300-10-1",
                              1721884610};
        struct buf out = BUF_INIT(0);
        char v[256];

        struct cap_message m = base_msg(&area);
        CHECK_INT(cap_write_message(&out, &m, 0.0005, true, true), 0);
        CHECK_INT(xmllint_cap(out.data, out.len, "new"), 0);
        CHECK_STR(between(out.data, "<msgType>", "<", v, sizeof(v)), "Alert");
        CHECK_STR(between(out.data, "<status>", "<", v, sizeof(v)), "Actual");
        CHECK_STR(between(out.data, "<sent>", "<", v, sizeof(v)), "2024-07-25T14:16:50+09:00");
        CHECK_STR(between(out.data, "<urgency>", "<", v, sizeof(v)), "Immediate");
        CHECK_STR(between(out.data, "<severity>", "<", v, sizeof(v)), "Extreme");
        CHECK(strstr(out.data, "&amp; 土砂災害 &lt;警戒&gt;") != NULL);
        CHECK(strstr(out.data, "<valueName>JMA</valueName>\n        <value>0620300</value>") !=
              NULL);
        /* Polygons: "lat,lon" (鶴岡市 is at about 38.7N 139.8E), closed, >= 4. */
        const char *p = strstr(out.data, "<polygon>");
        CHECK(p != NULL);
        size_t polys = 0;
        while (p) {
                p += strlen("<polygon>");
                const char *end = strstr(p, "</polygon>");
                char first[40] = "", last[40] = "";
                size_t pts = 0;
                for (const char *q = p; q < end;) {
                        const char *sp = memchr(q, ' ', (size_t)(end - q));
                        const char *e = sp ? sp : end;
                        snprintf(pts == 0 ? first : last, 40, "%.*s", (int)(e - q), q);
                        pts++;
                        q = sp ? sp + 1 : end;
                }
                CHECK(pts >= 4);
                CHECK_STR(last, first);
                CHECK(strncmp(first, "38.", 3) == 0 || strncmp(first, "39.", 3) == 0);
                polys++;
                p = strstr(end, "<polygon>");
        }
        CHECK(polys >= 1);

        /* 訓練 → Exercise. */
        buf_reset(&out);
        m.status = CAP_EXERCISE;
        CHECK_INT(cap_write_message(&out, &m, 0.001, true, true), 0);
        CHECK_INT(xmllint_cap(out.data, out.len, "exercise"), 0);
        CHECK_STR(between(out.data, "<status>", "<", v, sizeof(v)), "Exercise");
        m.status = CAP_TEST;
        buf_reset(&out);
        CHECK_INT(cap_write_message(&out, &m, 0.001, true, true), 0);
        CHECK_STR(between(out.data, "<status>", "<", v, sizeof(v)), "Test");
        CHECK_INT(xmllint_cap(out.data, out.len, "test"), 0);
        m.status = CAP_ACTUAL;

        /* 継続 → Update with references. */
        buf_reset(&out);
        m.change = CAP_CONTINUE;
        m.identifier = "urn:sonae:tsuruoka:alert:0620300-10-2";
        m.refs = &ref;
        m.n_refs = 1;
        CHECK_INT(cap_write_message(&out, &m, 0.001, true, true), 0);
        CHECK_INT(xmllint_cap(out.data, out.len, "continue"), 0);
        CHECK_STR(between(out.data, "<msgType>", "<", v, sizeof(v)), "Update");
        CHECK_STR(between(out.data, "<references>", "<", v, sizeof(v)),
                  "jma-yamagata@sonae.invalid,urn:sonae:tsuruoka:alert:0620300-10-1,2024-07-"
                  "25T14:16:50+09:00");

        /* 解除 → Update, AllClear, Past. */
        buf_reset(&out);
        m.change = CAP_LIFT;
        m.identifier = "urn:sonae:tsuruoka:alert:0620300-10-3";
        CHECK_INT(cap_write_message(&out, &m, 0.001, true, true), 0);
        CHECK_INT(xmllint_cap(out.data, out.len, "lift"), 0);
        CHECK_STR(between(out.data, "<msgType>", "<", v, sizeof(v)), "Update");
        CHECK_STR(between(out.data, "<responseType>", "<", v, sizeof(v)), "AllClear");
        CHECK_STR(between(out.data, "<urgency>", "<", v, sizeof(v)), "Past");

        /* 取消 → Cancel with references; without them it is refused. */
        buf_reset(&out);
        m.change = CAP_CANCEL;
        m.identifier = "urn:sonae:tsuruoka:alert:0620300-10-4";
        CHECK_INT(cap_write_message(&out, &m, 0.001, true, true), 0);
        CHECK_INT(xmllint_cap(out.data, out.len, "cancel"), 0);
        CHECK_STR(between(out.data, "<msgType>", "<", v, sizeof(v)), "Cancel");
        CHECK(strstr(out.data, "<references>") != NULL);
        CHECK(strstr(out.data, "<responseType>") == NULL);
        m.n_refs = 0;
        buf_reset(&out);
        CHECK_INT(cap_write_message(&out, &m, 0.001, true, true), -EINVAL);

        /* An order of the city: L4 避難指示, Evacuate, sender the city. */
        m = base_msg(&area);
        m.identifier = "urn:sonae:tsuruoka:order:17";
        m.sender = "bousai@city.tsuruoka.invalid";
        m.sender_name = "鶴岡市";
        m.event = "避難指示";
        m.category = "Safety";
        m.response_type = "Evacuate";
        m.level = 4;
        buf_reset(&out);
        CHECK_INT(cap_write_message(&out, &m, 0.001, false, true), 0);
        CHECK_INT(xmllint_cap(out.data, out.len, "order"), 0);
        CHECK(strstr(out.data, "<polygon>") == NULL);
        CHECK_STR(between(out.data, "<responseType>", "<", v, sizeof(v)), "Evacuate");
        CHECK_STR(between(out.data, "<severity>", "<", v, sizeof(v)), "Severe");

        /* Identifiers with spaces or commas cannot be referenced: refused. */
        m.identifier = "bad id";
        buf_reset(&out);
        CHECK_INT(cap_write_message(&out, &m, 0.001, false, true), -EINVAL);

        /* The validation itself can fail: a message without msgType. */
        const char *broken = "<?xml version=\"1.0\"?>\n<alert "
                             "xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</"
                             "identifier><sender>y</sender><sent>2024-07-25T14:16:50+09:00</"
                             "sent><status>Actual</status><scope>Public</scope></alert>\n";
        CHECK(xmllint_cap(broken, strlen(broken), "broken") != 0);
        buf_free(&out);
}

static void test_feed(const struct rings *tsuruoka, const struct rings *nanbu)
{
        /* 24 messages (8 in the sanitised run), each carrying both real
         * boundaries unsimplified (over 2 MB of coordinates each): the feed
         * must still fit. */
        enum { NMAX = 24 };
        const char *reduced = getenv("SONAE_REDUCED");
        const int N = reduced && reduced[0] && strcmp(reduced, "0") != 0 ? 8 : NMAX;
        struct cap_area areas[2] = {{"鶴岡市", "0620300", tsuruoka->r, tsuruoka->n},
                                    {"庄内南部", "060032", nanbu->r, nanbu->n}};
        struct cap_message msgs[NMAX];
        char ids[NMAX][64];
        struct cap_ref ref = {"jma-yamagata@sonae.invalid", "urn:sonae:tsuruoka:alert:0",
                              1721880000};
        for (int i = 0; i < N; i++) {
                msgs[i] = base_msg(areas);
                msgs[i].n_areas = 2;
                snprintf(ids[i], sizeof(ids[i]), "urn:sonae:tsuruoka:alert:%d", i + 1);
                msgs[i].identifier = ids[i];
                msgs[i].change = (enum cap_change)(i % 5);
                msgs[i].level = 1 + i % 5;
                msgs[i].sent_s = 1721884610 + i * 60;
                if (msgs[i].change != CAP_NEW) {
                        msgs[i].refs = &ref;
                        msgs[i].n_refs = 1;
                }
        }
        struct cap_feed f = {
            .id = "https://bousai.example.jp/api/v1/cap.atom",
            .title = "鶴岡市 防災情報 (CAP)",
            .author = "鶴岡市",
            .self_url = "https://bousai.example.jp/api/v1/cap.atom",
            .entry_url = "https://bousai.example.jp/api/v1/cap/",
            .updated_s = 1721886000,
        };
        struct buf out = BUF_INIT(0);
        double tol = 0;
        CHECK_INT(cap_write_feed(&out, &f, msgs, N, CAP_FEED_MAX_BYTES, &tol), 0);
        CHECK(out.len > 10000 && out.len <= CAP_FEED_MAX_BYTES);
        CHECK(tol > 0); /* it had to simplify */
        /* The feed is well-formed XML (the Atom wrapper is not CAP). */
        char path[600], cmd[1400];
        snprintf(path, sizeof(path), "%s/feed.xml", tmpdir);
        FILE *fp = fopen(path, "wb");
        fwrite(out.data, 1, out.len, fp);
        fclose(fp);
        snprintf(cmd, sizeof(cmd), "xmllint --noout '%s' 2>/dev/null", path);
        CHECK_INT(system(cmd), 0);
        /* Each embedded <alert> validates on its own. */
        int n = 0;
        for (const char *a = strstr(out.data, "<alert "); a; a = strstr(a + 1, "<alert ")) {
                const char *e = strstr(a, "</alert>");
                CHECK(e != NULL);
                if (!e)
                        break;
                e += strlen("</alert>");
                struct buf one = BUF_INIT(0);
                buf_puts(&one, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                buf_append(&one, a, (size_t)(e - a));
                char name[32];
                snprintf(name, sizeof(name), "entry%d", n);
                CHECK_INT(xmllint_cap(one.data, one.len, name), 0);
                buf_free(&one);
                n++;
        }
        CHECK_INT(n, N);
        /* A tiny budget drops polygons but keeps geocodes, then gives up. */
        buf_reset(&out);
        CHECK_INT(cap_write_feed(&out, &f, msgs, 2, 5000, &tol), 0);
        CHECK(tol < 0);
        CHECK(strstr(out.data, "<polygon>") == NULL && strstr(out.data, "0620300") != NULL);
        buf_reset(&out);
        CHECK_INT(cap_write_feed(&out, &f, msgs, N, 2000, &tol), -EFBIG);
        buf_free(&out);
}

int main(void)
{
        char file[600], file2[600];
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/sonae-cap-XXXXXX");
        if (!mkdtemp(tmpdir))
                return 1;
        snprintf(xsd, sizeof(xsd), "%s/cap/CAP-v1.2.xsd", check_fixtures());
        snprintf(file, sizeof(file), "%s/gis/jma_area_polygons/class20_0620300_tsuruoka.geojson",
                 check_fixtures());
        snprintf(file2, sizeof(file2),
                 "%s/gis/jma_area_polygons/class15_060032_shonai_nanbu.geojson", check_fixtures());
        struct rings r, r2;
        CHECK_INT(load_rings(file, &r), 0);
        CHECK_INT(load_rings(file2, &r2), 0);
        CHECK(r.total > 10000);
        test_mapping();
        if (r.n && r2.n) {
                test_simplify(&r);
                test_messages(&r);
                test_feed(&r, &r2);
        }
        free_rings(&r);
        free_rings(&r2);
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                return 1;
        return check_done("test_cap");
}
