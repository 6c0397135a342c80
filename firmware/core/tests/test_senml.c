/* SenML pack encode/decode: round trips between the node's encoder and the
 * ingest daemon's decoder, the byte and reading caps, and malformed packs,
 * each refused with a reason. */
#include "fw_test.h"
#include "senml.h"

#include <errno.h>

static char buf[SENML_MAX_PACK + 64];
static struct senml_pack pack;

static struct senml_reading reading(uint32_t seq, int64_t t)
{
        struct senml_reading r;
        memset(&r, 0, sizeof(r));
        r.seq = seq;
        r.t = t;
        r.has = SENML_HAS_DIST | SENML_HAS_LEVEL | SENML_HAS_TEMP | SENML_HAS_BATT | SENML_HAS_RSSI;
        r.dist_u = 1234000 + (int64_t)seq;
        r.level_u = 2766000 - (int64_t)seq;
        r.temp_u = -12500000;
        r.batt_u = 3610000;
        r.rssi_u = -87000000;
        return r;
}

static void test_round_trip(void)
{
        struct senml_enc e;
        struct senml_reading in[5];
        size_t len = 0;
        unsigned i;
        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), "br-001", 1763900000, 7), 0);
        for (i = 0; i < 5; i++) {
                in[i] = reading(100 + i, 1763900000 + 600 * (int64_t)i);
                if (i == 3)
                        in[i].has = SENML_HAS_DIST; /* a reading with only a distance */
                if (i == 4)
                        in[i].has = 0; /* a failed measurement keeps its seq */
                CHECK_INT(senml_enc_add(&e, &in[i]), 0);
        }
        CHECK_INT(senml_enc_finish(&e, &len), 0);
        CHECK_INT(len, strlen(buf));
        CHECK(
            strncmp(buf,
                    "[{\"bn\":\"urn:dev:sonae:br-001:\",\"bt\":1763900000,\"n\":\"epoch\",\"v\":7},"
                    "{\"n\":\"seq\",\"v\":100},{\"n\":\"dist\",\"u\":\"m\",\"v\":1.2341},",
                    112) == 0);
        CHECK(strstr(buf, "{\"n\":\"temp\",\"u\":\"Cel\",\"v\":-12.5}") != NULL);
        CHECK(strstr(buf, "{\"n\":\"rssi\",\"u\":\"dBm\",\"v\":-87}") != NULL);
        CHECK(strstr(buf, "{\"bt\":1763900600,\"n\":\"seq\",\"v\":101}") != NULL);
        CHECK_INT(senml_decode(buf, len, &pack), 0);
        CHECK_STR(pack.why, NULL);
        CHECK_STR(pack.device, "br-001");
        CHECK_INT(pack.epoch, 7);
        CHECK_INT(pack.n, 5);
        for (i = 0; i < 5 && i < pack.n; i++) {
                CHECK_INT(pack.r[i].seq, in[i].seq);
                CHECK_I64(pack.r[i].t, in[i].t);
                CHECK_INT(pack.r[i].has, in[i].has);
                if (in[i].has & SENML_HAS_DIST)
                        CHECK_I64(pack.r[i].dist_u, in[i].dist_u);
                if (in[i].has & SENML_HAS_LEVEL)
                        CHECK_I64(pack.r[i].level_u, in[i].level_u);
                if (in[i].has & SENML_HAS_TEMP)
                        CHECK_I64(pack.r[i].temp_u, in[i].temp_u);
                if (in[i].has & SENML_HAS_BATT)
                        CHECK_I64(pack.r[i].batt_u, in[i].batt_u);
                if (in[i].has & SENML_HAS_RSSI)
                        CHECK_I64(pack.r[i].rssi_u, in[i].rssi_u);
        }
}

/* The pack stops at 48 readings or 4096 bytes, whichever comes first, and
 * a refused reading leaves the pack intact. */
static void test_caps(void)
{
        struct senml_enc e;
        struct senml_reading r;
        size_t len = 0;
        unsigned added = 0, i;
        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), "br-001", 1763900000, 1), 0);
        for (i = 0; i < 100; i++) {
                r = reading(i, 1763900000 + 600 * (int64_t)i);
                if (senml_enc_add(&e, &r) < 0)
                        break;
                added++;
        }
        CHECK(added > 0 && added < 48);
        CHECK(e.len <= SENML_MAX_PACK - 1);
        CHECK_INT(senml_enc_finish(&e, &len), 0);
        CHECK(len <= SENML_MAX_PACK);
        CHECK_INT(senml_decode(buf, len, &pack), 0);
        CHECK_INT(pack.n, added);

        /* Distance-only readings are small: the reading cap comes first. */
        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), "b", 1763900000, 1), 0);
        for (i = 0, added = 0; i < 100; i++) {
                r = reading(i, 1763900000 + (int64_t)i);
                r.has = SENML_HAS_DIST;
                if (senml_enc_add(&e, &r) < 0)
                        break;
                added++;
        }
        CHECK_INT(added, SENML_MAX_READINGS);
        CHECK_INT(senml_enc_finish(&e, &len), 0);
        CHECK_INT(senml_decode(buf, len, &pack), 0);
        CHECK_INT(pack.n, SENML_MAX_READINGS);
        CHECK_INT(pack.r[47].seq, 47);

        /* A small caller buffer is a cap too. */
        char small[200];
        CHECK_INT(senml_enc_begin(&e, small, sizeof(small), "br-001", 1763900000, 1), 0);
        r = reading(1, 1763900000);
        CHECK_INT(senml_enc_add(&e, &r), -ENOSPC);
        r.has = SENML_HAS_DIST;
        CHECK_INT(senml_enc_add(&e, &r), 0);
        CHECK_INT(senml_enc_finish(&e, &len), 0);
        CHECK(len < sizeof(small));
        CHECK_INT(senml_decode(small, len, &pack), 0);

        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), "bad id!", 1763900000, 1), -EINVAL);
        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), "", 1763900000, 1), -EINVAL);
        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), "ok", 1763900000, 1), 0);
        CHECK_INT(senml_enc_finish(&e, &len), -EINVAL); /* no readings */
}

/* Packs written by hand, as another implementation might send them. */
static void test_accepted_variants(void)
{
        static const char a[] =
            " [ {\"bver\":10,\"bn\":\"urn:dev:sonae:x_1.a:\",\"bt\":1.7639e9,\"bu\":\"m\","
            "\"n\":\"epoch\",\"u\":null_is_not_here_so_no,\"v\":0}]";
        static const char b[] = "[{\"bn\":\"urn:dev:sonae:n1:\",\"bt\":1763900000},"
                                "{\"n\":\"epoch\",\"v\":2},"
                                "{\"n\":\"seq\",\"v\":5,\"t\":-60},"
                                "{\"n\":\"foo\",\"vs\":\"ignored\",\"t\":-60},"
                                "{\"t\":-60,\"n\":\"dist\",\"v\":12.5e-1},"
                                "{\"bv\":1,\"n\":\"seq\",\"v\":5,\"t\":0},"
                                "{\"n\":\"level\",\"u\":\"m\",\"v\":-0.5,\"ext\":{\"a\":[1,2]}}]";
        /* a is invalid JSON on purpose (a bare word); b is fine. */
        CHECK(senml_decode(a, sizeof(a) - 1, &pack) < 0);
        CHECK_INT(senml_decode(b, sizeof(b) - 1, &pack), 0);
        CHECK_STR(pack.device, "n1");
        CHECK_INT(pack.epoch, 2);
        CHECK_INT(pack.n, 2);
        CHECK_I64(pack.r[0].t, 1763899940);
        CHECK_I64(pack.r[0].dist_u, 1250000);
        CHECK_INT(pack.r[1].seq, 6); /* bv is added to v */
        CHECK_I64(pack.r[1].level_u, 500000);
        CHECK_INT(pack.r[1].has, SENML_HAS_LEVEL);
}

struct bad_case {
        const char *what; /* what was tried */
        const char *json;
        int err;
};

#define HEAD "[{\"bn\":\"urn:dev:sonae:n1:\",\"bt\":1763900000,\"n\":\"epoch\",\"v\":1}"

static const struct bad_case bad_cases[] = {
    {"not an array", "{\"bn\":\"urn:dev:sonae:n1:\"}", -EINVAL},
    {"empty array", "[]", -EINVAL},
    {"empty payload", "", -EINVAL},
    {"only the head", HEAD "]", -EINVAL},
    {"no base name", "[{\"bt\":1763900000,\"n\":\"epoch\",\"v\":1},{\"n\":\"seq\",\"v\":1}]",
     -EINVAL},
    {"foreign base name",
     "[{\"bn\":\"urn:dev:other:n1:\",\"bt\":1763900000,\"n\":\"epoch\","
     "\"v\":1},{\"n\":\"seq\",\"v\":1}]",
     -EINVAL},
    {"device id with a slash",
     "[{\"bn\":\"urn:dev:sonae:a/b:\",\"bt\":1763900000,\"n\":"
     "\"epoch\",\"v\":1},{\"n\":\"seq\",\"v\":1}]",
     -EINVAL},
    {"base name changes", HEAD ",{\"bn\":\"urn:dev:sonae:n2:\",\"n\":\"seq\",\"v\":1}]", -EINVAL},
    {"no epoch", "[{\"bn\":\"urn:dev:sonae:n1:\",\"bt\":1763900000,\"n\":\"seq\",\"v\":1}]",
     -EINVAL},
    {"two epochs", HEAD ",{\"n\":\"epoch\",\"v\":2},{\"n\":\"seq\",\"v\":1}]", -EINVAL},
    {"dist before any seq", HEAD ",{\"n\":\"dist\",\"u\":\"m\",\"v\":1}]", -EINVAL},
    {"dist at another time than its seq",
     HEAD ",{\"n\":\"seq\",\"v\":1},{\"n\":\"dist\",\"t\":1,\"v\":1}]", -EINVAL},
    {"dist twice in a reading",
     HEAD ",{\"n\":\"seq\",\"v\":1},{\"n\":\"dist\",\"v\":1},{\"n\":\"dist\",\"v\":2}]", -EINVAL},
    {"wrong unit (cm)", HEAD ",{\"n\":\"seq\",\"v\":1},{\"n\":\"dist\",\"u\":\"cm\",\"v\":1}]",
     -EINVAL},
    {"wrong base unit", HEAD ",{\"bu\":\"Cel\",\"n\":\"seq\",\"v\":1}]", -EINVAL},
    {"unit on seq", HEAD ",{\"n\":\"seq\",\"u\":\"m\",\"v\":1}]", -EINVAL},
    {"string value", HEAD ",{\"n\":\"seq\",\"v\":1},{\"n\":\"dist\",\"vs\":\"1\"}]", -EINVAL},
    {"value as a string", HEAD ",{\"n\":\"seq\",\"v\":\"1\"}]", -EINVAL},
    {"no value", HEAD ",{\"n\":\"seq\",\"t\":0}]", -EINVAL},
    {"fractional seq", HEAD ",{\"n\":\"seq\",\"v\":1.5}]", -EINVAL},
    {"negative seq", HEAD ",{\"n\":\"seq\",\"v\":-1}]", -ERANGE},
    {"seq beyond 32 bits", HEAD ",{\"n\":\"seq\",\"v\":4294967296}]", -ERANGE},
    {"huge number", HEAD ",{\"n\":\"seq\",\"v\":1e300}]", -ERANGE},
    {"distance of 5 km", HEAD ",{\"n\":\"seq\",\"v\":1},{\"n\":\"dist\",\"v\":5000}]", -ERANGE},
    {"relative time",
     "[{\"bn\":\"urn:dev:sonae:n1:\",\"n\":\"epoch\",\"v\":1},{\"n\":\"seq\","
     "\"v\":1}]",
     -ERANGE},
    {"base time in year 2500",
     "[{\"bn\":\"urn:dev:sonae:n1:\",\"bt\":16725225600,\"n\":"
     "\"epoch\",\"v\":1},{\"n\":\"seq\",\"v\":1}]",
     -ERANGE},
    {"must-understand field", HEAD ",{\"n\":\"seq\",\"v\":1,\"x_\":1}]", -EINVAL},
    {"duplicate field", HEAD ",{\"n\":\"seq\",\"v\":1,\"v\":2}]", -EINVAL},
    {"record without name", HEAD ",{\"v\":1}]", -EINVAL},
    {"empty record", HEAD ",{}]", -EINVAL},
    {"trailing comma", HEAD ",{\"n\":\"seq\",\"v\":1},]", -EINVAL},
    {"missing bracket", HEAD ",{\"n\":\"seq\",\"v\":1}", -EINVAL},
    {"trailing data", HEAD ",{\"n\":\"seq\",\"v\":1}]x", -EINVAL},
    {"leading zero", HEAD ",{\"n\":\"seq\",\"v\":01}]", -EINVAL},
    {"bad escape", HEAD ",{\"n\":\"se\\q\",\"v\":1}]", -EINVAL},
    {"control character", HEAD ",{\"n\":\"se\tq\",\"v\":1}]", -EINVAL},
    {"nested too deep", HEAD ",{\"n\":\"seq\",\"v\":1,\"x\":[[[[[[[[[[1]]]]]]]]]]}]", -EINVAL},
    {"old SenML version",
     "[{\"bver\":0,\"bn\":\"urn:dev:sonae:n1:\",\"bt\":1763900000,\"n\":"
     "\"epoch\",\"v\":1},{\"n\":\"seq\",\"v\":1}]",
     -EINVAL},
};

static void test_malformed(void)
{
        unsigned i;
        for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                const struct bad_case *c = &bad_cases[i];
                int r = senml_decode(c->json, strlen(c->json), &pack);
                if (r != c->err)
                        printf("case \"%s\": got %d (%s)\n", c->what, r,
                               pack.why ? pack.why : "no reason");
                CHECK_INT(r, c->err);
                CHECK(pack.why != NULL);
        }
}

/* Over 4096 bytes and over 48 readings, even when otherwise valid. */
static void test_oversized(void)
{
        size_t n = 0;
        int i;
        const char *rec = ",{\"n\":\"seq\",\"v\":1}";
        memcpy(buf, HEAD, sizeof(HEAD) - 1);
        n = sizeof(HEAD) - 1;
        for (i = 0; i < 49; i++) {
                memcpy(buf + n, rec, strlen(rec));
                n += strlen(rec);
        }
        buf[n++] = ']';
        CHECK_INT(senml_decode(buf, n, &pack), -E2BIG);
        CHECK_STR(pack.why, "more than 48 readings");
        memset(buf, ' ', SENML_MAX_PACK + 1);
        buf[0] = '[';
        CHECK_INT(senml_decode(buf, SENML_MAX_PACK + 1, &pack), -EMSGSIZE);
        CHECK_INT(senml_decode(NULL, 0, &pack), -EINVAL);
}

/* Every prefix of a valid pack fails cleanly (a payload cut in transit). */
static void test_truncated(void)
{
        struct senml_enc e;
        struct senml_reading r = reading(9, 1763900000);
        size_t len = 0, cut;
        int all_failed = 1;
        senml_enc_begin(&e, buf, sizeof(buf), "br-001", 1763900000, 3);
        senml_enc_add(&e, &r);
        senml_enc_finish(&e, &len);
        for (cut = 0; cut < len; cut++) {
                if (senml_decode(buf, cut, &pack) == 0)
                        all_failed = 0;
        }
        CHECK(all_failed);
        CHECK_INT(senml_decode(buf, len, &pack), 0);
}

static void test_numbers(void)
{
        char out[32];
        CHECK_INT(senml_format_micro(0, out, sizeof(out)), 1);
        CHECK_STR(out, "0");
        senml_format_micro(-1, out, sizeof(out));
        CHECK_STR(out, "-0.000001");
        senml_format_micro(1050000, out, sizeof(out));
        CHECK_STR(out, "1.05");
        senml_format_micro(-87000000, out, sizeof(out));
        CHECK_STR(out, "-87");
        CHECK_INT(senml_format_micro(123456789, out, 4), -ENOSPC);

        /* Exponents and rounding as another encoder might write them. */
        static const char p[] =
            HEAD ",{\"n\":\"seq\",\"v\":1},{\"n\":\"dist\",\"v\":1.2345675},"
                 "{\"n\":\"temp\",\"v\":-2.5E+1},{\"n\":\"batt\",\"v\":3610e-3},"
                 "{\"n\":\"rssi\",\"v\":-0.0000004}]";
        CHECK_INT(senml_decode(p, sizeof(p) - 1, &pack), 0);
        CHECK_I64(pack.r[0].dist_u, 1234568);
        CHECK_I64(pack.r[0].temp_u, -25000000);
        CHECK_I64(pack.r[0].batt_u, 3610000);
        CHECK_I64(pack.r[0].rssi_u, 0);
}

/* The example of docs/protocol.md, as the node sends it. */
static void test_documented_example(void)
{
        static const char doc[] =
            "[{\"bn\":\"urn:dev:sonae:br-001:\",\"bt\":1763900000,\"n\":\"epoch\",\"v\":3},"
            "{\"n\":\"seq\",\"v\":1200},{\"n\":\"dist\",\"u\":\"m\",\"v\":1.234},"
            "{\"n\":\"level\",\"u\":\"m\",\"v\":2.766},{\"n\":\"temp\",\"u\":\"Cel\",\"v\":12.5},"
            "{\"n\":\"batt\",\"u\":\"V\",\"v\":3.61},{\"n\":\"rssi\",\"u\":\"dBm\",\"v\":-87},"
            "{\"bt\":1763900600,\"n\":\"seq\",\"v\":1201},{\"n\":\"dist\",\"u\":\"m\",\"v\":1.231}"
            "]";
        struct senml_enc e;
        size_t len = 0;
        CHECK_INT(senml_decode(doc, sizeof(doc) - 1, &pack), 0);
        CHECK_INT(pack.n, 2);
        CHECK_INT(pack.epoch, 3);
        CHECK_I64(pack.r[1].t, 1763900600);
        CHECK_INT(pack.r[1].has, SENML_HAS_DIST);
        /* And the encoder writes exactly that. */
        CHECK_INT(senml_enc_begin(&e, buf, sizeof(buf), pack.device, pack.r[0].t, pack.epoch), 0);
        CHECK_INT(senml_enc_add(&e, &pack.r[0]), 0);
        CHECK_INT(senml_enc_add(&e, &pack.r[1]), 0);
        CHECK_INT(senml_enc_finish(&e, &len), 0);
        CHECK_STR(buf, doc);
}

int main(void)
{
        test_documented_example();
        test_round_trip();
        test_caps();
        test_accepted_variants();
        test_malformed();
        test_oversized();
        test_truncated();
        test_numbers();
        return fwt_done("senml");
}
