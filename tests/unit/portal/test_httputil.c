/* The portal's pure HTTP rules: listen addresses, negotiation, ETags, MIME
 * types, hashed asset names, path safety and parameter checks, each with
 * the hostile values the integration table also sends. */
#include "check.h"
#include "gzip.h"
#include "httputil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <zlib.h>

static void test_listen(void)
{
        struct listen_addr a;
        char err[256];
        CHECK_INT(http_parse_listen("127.0.0.1:8080", &a, err, sizeof(err)), 0);
        CHECK_INT(a.ss.ss_family, AF_INET);
        CHECK_INT(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 8080);
        CHECK_INT(http_parse_listen("[::1]:0", &a, err, sizeof(err)), 0);
        CHECK_INT(a.ss.ss_family, AF_INET6);
        CHECK(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&a.ss)->sin6_addr));
        CHECK_INT(http_parse_listen("*:80", &a, err, sizeof(err)), 0);
        CHECK(a.any6);
        CHECK_INT(http_parse_listen("0.0.0.0:443", &a, err, sizeof(err)), 0);
        CHECK_INT(http_parse_listen("localhost:8080", &a, err, sizeof(err)), 0);
        /* Refused: no port, port out of range, bare IPv6, garbage. */
        CHECK_INT(http_parse_listen("127.0.0.1", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen("127.0.0.1:65536", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen("127.0.0.1:80x", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen("::1:8080", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen("[::1:8080", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen(":8080", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen("", &a, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_parse_listen("no.such.host.invalid:80", &a, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "no.such.host.invalid") != NULL);
}

static void test_negotiation(void)
{
        CHECK(http_accepts_gzip("gzip, deflate, br"));
        CHECK(http_accepts_gzip("br;q=1.0, gzip;q=0.8"));
        CHECK(http_accepts_gzip("*"));
        CHECK(!http_accepts_gzip("gzip;q=0"));
        CHECK(!http_accepts_gzip("identity"));
        CHECK(!http_accepts_gzip("gzipx"));
        CHECK(!http_accepts_gzip(NULL));
        CHECK(http_accepts_csv("text/csv"));
        CHECK(http_accepts_csv("text/csv, application/json;q=0.5"));
        CHECK(!http_accepts_csv("application/json, text/csv;q=0.5"));
        CHECK(!http_accepts_csv("*/*"));
        CHECK(!http_accepts_csv("text/csv;q=0"));
}

static void test_etag(void)
{
        char e1[40], e2[40], e3[40];
        http_etag_of("abc", 3, NULL, e1, sizeof(e1));
        http_etag_of("abd", 3, NULL, e2, sizeof(e2));
        http_etag_of("abc", 3, "-gz", e3, sizeof(e3));
        CHECK_INT(strlen(e1), 18);
        CHECK(e1[0] == '"' && e1[17] == '"');
        CHECK(strcmp(e1, e2) != 0);
        CHECK(strncmp(e1, e3, 17) == 0 && strcmp(e3 + 17, "-gz\"") == 0);
        CHECK(http_etag_matches(e1, e1));
        char list[128];
        snprintf(list, sizeof(list), "\"x\", W/%s", e1);
        CHECK(http_etag_matches(list, e1));
        CHECK(http_etag_matches("*", e1));
        CHECK(!http_etag_matches(e2, e1));
        CHECK(!http_etag_matches("\"unterminated", e1));
        CHECK(!http_etag_matches("", e1));
}

static void test_mime(void)
{
        CHECK_STR(http_mime_type("/assets/index-BWu3Xk9a.mjs"), "text/javascript; charset=utf-8");
        CHECK_STR(http_mime_type("/a.js"), "text/javascript; charset=utf-8");
        CHECK_STR(http_mime_type("/index.html"), "text/html; charset=utf-8");
        CHECK_STR(http_mime_type("/s.CSS"), "text/css; charset=utf-8");
        CHECK_STR(http_mime_type("/m.webmanifest"), "application/manifest+json");
        CHECK_STR(http_mime_type("/f.woff2"), "font/woff2");
        CHECK_STR(http_mime_type("/i.svg"), "image/svg+xml");
        CHECK_STR(http_mime_type("/x.geojson"), "application/geo+json");
        CHECK_STR(http_mime_type("/noext"), "application/octet-stream");
        CHECK_STR(http_mime_type("/dir.js/noext"), "application/octet-stream");
        CHECK_STR(http_mime_type("/.mjs"), "application/octet-stream");
        CHECK(http_type_compressible("text/javascript; charset=utf-8"));
        CHECK(http_type_compressible("application/geo+json"));
        CHECK(http_type_compressible("image/svg+xml"));
        CHECK(!http_type_compressible("image/png"));
        CHECK(!http_type_compressible("font/woff2"));
}

static void test_hashed(void)
{
        CHECK(http_name_is_hashed("/assets/index-BWu3Xk9a.js"));
        CHECK(http_name_is_hashed("/assets/map-0f3a9c1d.css"));
        CHECK(http_name_is_hashed("/assets/chunk.3f2a1b9c0d.mjs"));
        CHECK(http_name_is_hashed("/assets/vendor-AbCdEfGh.js"));
        CHECK(!http_name_is_hashed("/index.html"));
        CHECK(!http_name_is_hashed("/settings-override.js"));
        CHECK(!http_name_is_hashed("/jquery-settings.js"));
        CHECK(!http_name_is_hashed("/app-1234.js"));
        CHECK(!http_name_is_hashed("/sw.js"));
}

static void test_paths(void)
{
        CHECK_INT(http_path_safe("/"), 0);
        CHECK_INT(http_path_safe("/assets/a.js"), 0);
        CHECK_INT(http_path_safe("/a..b/c"), 0);
        CHECK_INT(http_path_safe("/../etc/passwd"), -EINVAL);
        CHECK_INT(http_path_safe("/assets/../../etc/passwd"), -EINVAL);
        CHECK_INT(http_path_safe("/assets/.."), -EINVAL);
        CHECK_INT(http_path_safe("/./a"), -EINVAL);
        CHECK_INT(http_path_safe("/.git/config"), -EINVAL);
        CHECK_INT(http_path_safe("/a\\..\\b"), -EINVAL);
        CHECK_INT(http_path_safe("/a\x01"), -EINVAL);
        CHECK_INT(http_path_safe("relative"), -EINVAL);
}

static void test_params(void)
{
        char err[160];
        const struct portal_param lim = {"limit", PARAM_INT, 1, 10000, NULL, 0, NULL};
        const struct portal_param num = {"lat", PARAM_NUMBER, -90, 90, NULL, 0, NULL};
        const struct portal_param bb = {"bbox", PARAM_BBOX, 0, 0, NULL, 200, NULL};
        const struct portal_param dt = {"datetime", PARAM_DATETIME, 0, 0, NULL, 80, NULL};
        const struct portal_param en = {"format", PARAM_ENUM, 0, 0, "json|csv", 0, NULL};
        const struct portal_param id = {"id", PARAM_ID, 0, 0, NULL, 64, NULL};
        const struct portal_param st = {"q", PARAM_STRING, 0, 0, NULL, 100, NULL};
        CHECK_INT(http_param_check(&lim, "100", 3, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&lim, "0", 1, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&lim, "10001", 5, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&lim, "1e3", 3, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&lim, "99999999999999999999", 20, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&lim, "1' OR '1'='1", 12, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "limit") != NULL);
        CHECK_INT(http_param_check(&num, "38.73", 5, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&num, "nan", 3, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&num, "inf", 3, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&num, "0x10", 4, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&num, "91", 2, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&bb, "139.5,38.5,140.0,38.9", 21, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&bb, "139.5,38.5,140.0", 16, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&bb, "140,38.5,139,38.9", 17, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&bb, "1,2,3,95", 8, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&dt, "2024-07-25T00:00:00+09:00", 25, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&dt, "2024-07-25T00:00:00Z/..", 23, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&dt, "../2024-07-25T00:00:00Z", 23, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&dt, "../..", 5, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&dt, "2024-07-26T00:00:00Z/2024-07-25T00:00:00Z", 41, err,
                                   sizeof(err)),
                  -EINVAL);
        CHECK_INT(http_param_check(&dt, "yesterday", 9, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&en, "csv", 3, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&en, "cs", 2, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&en, "csvx", 4, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&id, "kriver:0602000001", 17, err, sizeof(err)), 0);
        CHECK_INT(http_param_check(&id, "..", 2, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&id, "a/b", 3, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&id, "a;DROP TABLE x", 14, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&st, "本町", strlen("本町"), err, sizeof(err)), 0);
        /* A NUL inside the value (the length says more than strlen). */
        CHECK_INT(http_param_check(&st, "ab\0cd", 5, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&st, "\xff\xfe", 2, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&st, "\xc0\xaf", 2, err, sizeof(err)), -EINVAL);
        CHECK_INT(http_param_check(&st, "a\r\nSet-Cookie: x", 16, err, sizeof(err)), -EINVAL);
        char longv[300];
        memset(longv, 'a', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = '\0';
        CHECK_INT(http_param_check(&st, longv, strlen(longv), err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "longer") != NULL);
}

static void test_time_range(void)
{
        int64_t f = 0, t = 0;
        char why[96];
        /* 2024-07-25T04:05:11Z: defaults end at the next full minute. */
        int64_t now = 1721880311;
        CHECK_INT(http_time_range(NULL, NULL, now, 3600, 86400, &f, &t, why, sizeof(why)), 0);
        CHECK_INT(t, 1721880360);
        CHECK_INT(f, 1721880360 - 3600);
        CHECK_INT(http_time_range("2024-07-25T09:00:00+09:00", "2024-07-25T10:00:00+09:00", now,
                                  3600, 86400, &f, &t, why, sizeof(why)),
                  0);
        CHECK_INT(f, 1721865600);
        CHECK_INT(t, 1721869200);
        CHECK_INT(http_time_range("yesterday", NULL, now, 3600, 86400, &f, &t, why, sizeof(why)),
                  -EINVAL);
        CHECK(strncmp(why, "from", 4) == 0);
        CHECK_INT(http_time_range(NULL, "2024-07-25T00:00:00Z/..", now, 3600, 86400, &f, &t, why,
                                  sizeof(why)),
                  -EINVAL);
        CHECK(strncmp(why, "to", 2) == 0);
        /* Reversed, empty, and longer than allowed. */
        CHECK_INT(http_time_range("2024-07-26T00:00:00Z", "2024-07-25T00:00:00Z", now, 3600, 86400,
                                  &f, &t, why, sizeof(why)),
                  -EINVAL);
        CHECK_INT(http_time_range("2024-07-25T00:00:00Z", "2024-07-25T00:00:00Z", now, 3600, 86400,
                                  &f, &t, why, sizeof(why)),
                  -EINVAL);
        CHECK_INT(http_time_range("2024-07-01T00:00:00Z", "2024-07-25T00:00:00Z", now, 3600, 86400,
                                  &f, &t, why, sizeof(why)),
                  -EINVAL);
        CHECK(strstr(why, "1 days") != NULL);
}

static void test_gzip(void)
{
        struct buf in = BUF_INIT(0), gz = BUF_INIT(0);
        for (int i = 0; i < 2000; i++)
                buf_printf(&in, "{\"id\":%d,\"name\":\"観測所\"},", i);
        CHECK_INT(gzip_compress(in.data, in.len, &gz), 0);
        CHECK(gz.len > 18 && gz.len < in.len / 4);
        CHECK((unsigned char)gz.data[0] == 0x1f && (unsigned char)gz.data[1] == 0x8b);
        /* Round trip through zlib's own inflater. */
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        CHECK_INT(inflateInit2(&zs, 15 + 16), Z_OK);
        char *outb = malloc(in.len + 16);
        zs.next_in = (Bytef *)gz.data;
        zs.avail_in = (uInt)gz.len;
        zs.next_out = (Bytef *)outb;
        zs.avail_out = (uInt)(in.len + 16);
        CHECK_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
        CHECK_INT(zs.total_out, in.len);
        CHECK(memcmp(outb, in.data, in.len) == 0);
        inflateEnd(&zs);
        free(outb);
        /* A cap smaller than the output is an error, not a truncation. */
        struct buf small = BUF_INIT(64);
        CHECK_INT(gzip_compress(in.data, in.len, &small), -ENOBUFS);
        buf_free(&small);
        buf_free(&in);
        buf_free(&gz);
}

int main(void)
{
        test_listen();
        test_negotiation();
        test_etag();
        test_mime();
        test_hashed();
        test_paths();
        test_params();
        test_gzip();
        test_time_range();
        return check_done("test_httputil");
}
