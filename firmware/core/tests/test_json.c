/* The capped JSON reader under the SenML decoder and the downlink parser,
 * and the CRC-32 of the NVM records. */
#include "fw_crc.h"
#include "fw_json.h"
#include "fw_test.h"

#include <errno.h>

static int str(const char *in, char *out, size_t cap)
{
        struct fwj j;
        fwj_init(&j, in, strlen(in));
        return fwj_string(&j, out, cap);
}

static int num(const char *in, int64_t *v)
{
        struct fwj j;
        int r;
        fwj_init(&j, in, strlen(in));
        r = fwj_number(&j, v);
        if (r == 0 && fwj_end(&j) != 0)
                r = -EINVAL;
        return r;
}

static int skip(const char *in)
{
        struct fwj j;
        int r;
        fwj_init(&j, in, strlen(in));
        r = fwj_skip(&j);
        if (r == 0)
                r = fwj_end(&j);
        return r;
}

static void test_strings(void)
{
        char out[16];
        struct fwj j;
        CHECK_INT(str("\"abc\"", out, sizeof(out)), 0);
        CHECK_STR(out, "abc");
        CHECK_INT(str("\"a\\\"b\\\\c\\/d\\n\"", out, sizeof(out)), 0);
        CHECK_STR(out, "a\"b\\c/d\n");
        /* é (2 bytes), 水 (3 bytes), U+1F600 from a surrogate pair (4 bytes). */
        CHECK_INT(str("\"\\u00e9\\u6c34\\ud83d\\ude00\"", out, sizeof(out)), 0);
        CHECK_STR(out, "\xc3\xa9\xe6\xb0\xb4\xf0\x9f\x98\x80");
        CHECK_INT(str("\"\\ud83d\"", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("\"\\ude00\"", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("\"\\u0000\"", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("\"\\u12g4\"", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("\"\\u12\"", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("\"a\tb\"", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("\"abc", out, sizeof(out)), -EINVAL);
        CHECK_INT(str("abc", out, sizeof(out)), -EINVAL);
        /* Too long: refused, truncated safely, and the whole string consumed
         * so that the caller may go on. */
        fwj_init(&j, "\"0123456789abcdefXYZ\",1", 23);
        CHECK_INT(fwj_string(&j, out, 8), -ENAMETOOLONG);
        CHECK_INT(strlen(out), 7);
        CHECK_INT(fwj_accept(&j, ','), 1);
        CHECK_INT(str("\"1234567\"", out, 8), 0);
        CHECK_INT(str("\"12345678\"", out, 8), -ENAMETOOLONG);
        CHECK_INT(str("\"\"", out, 1), 0);
        CHECK_INT(str("\"x\"", out, 0), -ENAMETOOLONG);
}

static void test_numbers(void)
{
        int64_t v = 0;
        CHECK_INT(num("0", &v), 0);
        CHECK_I64(v, 0);
        CHECK_INT(num("-0.5", &v), 0);
        CHECK_I64(v, -500000);
        CHECK_INT(num("1e-6", &v), 0);
        CHECK_I64(v, 1);
        CHECK_INT(num("4e-7", &v), 0);
        CHECK_I64(v, 0);
        CHECK_INT(num("5e-7", &v), 0);
        CHECK_I64(v, 1); /* half away from zero */
        CHECK_INT(num("-5e-7", &v), 0);
        CHECK_I64(v, -1);
        CHECK_INT(num("1763900000", &v), 0);
        CHECK_I64(v, 1763900000000000LL);
        CHECK_INT(num("9000000000000", &v), 0);
        CHECK_INT(num("9000000000001", &v), -ERANGE);
        CHECK_INT(num("0.00000000000000000000000001", &v), 0);
        CHECK_I64(v, 0);
        CHECK_INT(num("123456789012345678901234567890e-20", &v), 0);
        /* 1234567890.123456789... units: 18 digits kept, rounded at the 6th decimal. */
        CHECK_I64(v, 1234567890123457LL);
        CHECK_INT(num("1E2", &v), 0);
        CHECK_I64(v, 100000000);
        CHECK_INT(num("1e+2", &v), 0);
        CHECK_INT(num("01", &v), -EINVAL);
        CHECK_INT(num("1.", &v), -EINVAL);
        CHECK_INT(num(".5", &v), -EINVAL);
        CHECK_INT(num("-", &v), -EINVAL);
        CHECK_INT(num("1e", &v), -EINVAL);
        CHECK_INT(num("+1", &v), -EINVAL);
        CHECK_INT(num("1e99999999999999", &v), -ERANGE);
        CHECK_INT(num("1e-99999999999999", &v), 0);
        CHECK_I64(v, 0);
}

static void test_skip(void)
{
        int b = 0;
        struct fwj j;
        CHECK_INT(skip("{\"a\":[1,2,{\"b\":null,\"c\":true}],\"d\":\"x\\\"y\"}"), 0);
        CHECK_INT(skip("[]"), 0);
        CHECK_INT(skip("{}"), 0);
        CHECK_INT(skip("1e999"), 0); /* valid JSON, just not a number we keep */
        CHECK_INT(skip("[[[[[[[[1]]]]]]]]"), 0);
        CHECK_INT(skip("[[[[[[[[[1]]]]]]]]]"), -EINVAL); /* deeper than FWJ_MAX_DEPTH */
        CHECK_INT(skip("[1,]"), -EINVAL);
        CHECK_INT(skip("{\"a\" 1}"), -EINVAL);
        CHECK_INT(skip("{\"a\":1"), -EINVAL);
        CHECK_INT(skip("[1 2]"), -EINVAL);
        CHECK_INT(skip("nul"), -EINVAL);
        CHECK_INT(skip("{\"a very long key that is not kept\":1}"), 0);
        CHECK_INT(skip(""), -EINVAL);
        fwj_init(&j, " true ", 6);
        CHECK_INT(fwj_bool(&j, &b), 0);
        CHECK_INT(b, 1);
        CHECK_INT(fwj_end(&j), 0);
        fwj_init(&j, "fals", 4);
        CHECK_INT(fwj_bool(&j, &b), -EINVAL);
        CHECK(j.why != NULL);
}

static void test_crc(void)
{
        /* The CRC-32 check value of "123456789". */
        CHECK(fw_crc32("123456789", 9) == 0xCBF43926u);
        CHECK(fw_crc32("", 0) == 0);
}

int main(void)
{
        test_strings();
        test_numbers();
        test_skip();
        test_crc();
        return fwt_done("json");
}
