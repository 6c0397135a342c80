/* The downlink settings parser: good messages applied, every invalid one
 * rejected whole (what was tried is in each case's text), and a resend id
 * served once. */
#include "fw_downlink.h"
#include "fw_test.h"

#include <errno.h>

static struct fw_settings cur;
static struct fw_downlink d;

static int parse(const char *m)
{
        return fw_downlink_parse(m, strlen(m), &cur, &d);
}

static void test_good(void)
{
        CHECK_INT(parse("{\"measure_s\":300,\"heartbeat_s\":43200,\"flood_s\":120,"
                        "\"start_level_m\":1.25,\"rise_m_per_h\":0.5,\"time\":1763900000,"
                        "\"resend\":{\"id\":\"g17\",\"from\":120,\"to\":131}}"),
                  0);
        CHECK_STR(d.why, NULL);
        CHECK_INT(d.has, FW_DOWN_SETTINGS | FW_DOWN_TIME | FW_DOWN_RESEND);
        CHECK_INT(d.settings.measure_s, 300);
        CHECK_INT(d.settings.heartbeat_s, 43200);
        CHECK_INT(d.settings.flood_s, 120);
        CHECK_INT(d.settings.start_level_mm, 1250);
        CHECK_INT(d.settings.rise_mm_per_h, 500);
        CHECK_INT(d.settings.mount_mm, cur.mount_mm); /* not a downlink setting */
        CHECK_I64(d.time, 1763900000);
        CHECK_STR(d.resend_id, "g17");
        CHECK_INT(d.resend_from, 120);
        CHECK_INT(d.resend_to, 131);

        /* Only some keys: the rest keep their values. */
        CHECK_INT(parse(" { \"flood_s\" : 3600 } "), 0);
        CHECK_INT(d.settings.flood_s, 3600);
        CHECK_INT(d.settings.measure_s, cur.measure_s);
        CHECK_INT(d.has, FW_DOWN_SETTINGS);
        /* Unknown keys are ignored; a cleared resend is null; numeric id. */
        CHECK_INT(parse("{\"future\":{\"x\":[1,2,{\"y\":null}]},\"resend\":null}"), 0);
        CHECK_INT(d.has, 0);
        CHECK_INT(parse("{\"resend\":{\"id\":42,\"from\":1,\"to\":1,\"epoch\":3}}"), 0);
        CHECK_STR(d.resend_id, "42");
        CHECK_INT(d.has, FW_DOWN_RESEND | FW_DOWN_RESEND_EPOCH);
        CHECK_INT(d.resend_epoch, 3);
        CHECK_INT(parse("{}"), 0);
        /* Boundaries are inside. */
        CHECK_INT(parse("{\"measure_s\":60,\"heartbeat_s\":172800,\"flood_s\":3600}"), 0);
        CHECK_INT(parse("{\"measure_s\":3600,\"heartbeat_s\":3600,\"flood_s\":60}"), 0);
        CHECK_INT(parse("{\"measure_s\":6e2}"), 0);
        CHECK_INT(d.settings.measure_s, 600);
}

struct bad {
        const char *what;
        const char *msg;
        int err;
};

static const struct bad bads[] = {
    {"measure_s below 60", "{\"measure_s\":59}", -ERANGE},
    {"measure_s above 3600", "{\"measure_s\":3601}", -ERANGE},
    {"heartbeat_s below an hour", "{\"heartbeat_s\":3599}", -ERANGE},
    {"heartbeat_s above two days (silencing the node)", "{\"heartbeat_s\":172801}", -ERANGE},
    {"flood_s zero", "{\"flood_s\":0}", -ERANGE},
    {"flood_s negative", "{\"flood_s\":-600}", -ERANGE},
    {"flood_s fractional", "{\"flood_s\":600.5}", -EINVAL},
    {"measure_s as a string", "{\"measure_s\":\"600\"}", -EINVAL},
    {"measure_s true", "{\"measure_s\":true}", -EINVAL},
    {"measure_s null", "{\"measure_s\":null}", -EINVAL},
    {"huge number", "{\"measure_s\":1e400}", -ERANGE},
    {"start level 1 km", "{\"start_level_m\":1000}", -ERANGE},
    {"rise zero (always flood)", "{\"rise_m_per_h\":0}", -ERANGE},
    {"time before 2017", "{\"time\":1000}", -ERANGE},
    {"good value then bad one", "{\"measure_s\":300,\"flood_s\":1}", -ERANGE},
    {"repeated key", "{\"measure_s\":300,\"measure_s\":600}", -EINVAL},
    {"not an object", "[{\"measure_s\":300}]", -EINVAL},
    {"truncated", "{\"measure_s\":300", -EINVAL},
    {"trailing garbage", "{\"measure_s\":300}x", -EINVAL},
    {"two objects", "{}{}", -EINVAL},
    {"empty", "", -EINVAL},
    {"missing colon", "{\"measure_s\" 300}", -EINVAL},
    {"bad string escape", "{\"a\\x\":1}", -EINVAL},
    {"resend without id", "{\"resend\":{\"from\":1,\"to\":2}}", -EINVAL},
    {"resend reversed", "{\"resend\":{\"id\":\"a\",\"from\":5,\"to\":2}}", -ERANGE},
    {"resend too wide", "{\"resend\":{\"id\":\"a\",\"from\":0,\"to\":100000}}", -ERANGE},
    {"resend unknown key", "{\"resend\":{\"id\":\"a\",\"from\":1,\"to\":2,\"x\":1}}", -EINVAL},
    {"resend empty id", "{\"resend\":{\"id\":\"\",\"from\":1,\"to\":2}}", -EINVAL},
    {"resend id too long",
     "{\"resend\":{\"id\":\"0123456789012345678901234567890123\",\"from\":1,\"to\":2}}", -EINVAL},
    {"resend as array", "{\"resend\":[1,2]}", -EINVAL},
    {"nested too deep", "{\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}", -EINVAL},
};

static void test_bad(void)
{
        unsigned i;
        static char big[FW_DOWN_MAX + 2];
        for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
                int r = parse(bads[i].msg);
                if (r != bads[i].err)
                        printf("case \"%s\": got %d (%s)\n", bads[i].what, r,
                               d.why ? d.why : "no reason");
                CHECK_INT(r, bads[i].err);
                CHECK(d.why != NULL);
                /* Rejected whole: nothing of it shows in the settings. */
                CHECK_INT(d.settings.measure_s, cur.measure_s);
                CHECK_INT(d.settings.flood_s, cur.flood_s);
        }
        /* Oversized, even if it would be valid JSON. */
        memset(big, ' ', sizeof(big));
        big[0] = '{';
        big[FW_DOWN_MAX] = '}';
        CHECK_INT(fw_downlink_parse(big, FW_DOWN_MAX + 1, &cur, &d), -EMSGSIZE);
        CHECK_INT(fw_downlink_parse(big, FW_DOWN_MAX, &cur, &d), -EINVAL);
        big[FW_DOWN_MAX - 1] = '}';
        CHECK_INT(fw_downlink_parse(big, FW_DOWN_MAX, &cur, &d), 0);
        CHECK_INT(fw_downlink_parse(NULL, 0, &cur, &d), -EINVAL);
}

/* Provisioned intervals below the downlink's ranges (a demonstration at
 * one measurement a second): a message that sets nothing (a resend, {})
 * is still accepted, a key set in range is applied, a key out of range
 * is still rejected whole. */
static void test_fast_base(void)
{
        struct fw_settings keep = cur;
        cur.measure_s = 1;
        cur.heartbeat_s = 20;
        cur.flood_s = 2;
        CHECK(fw_settings_check(&cur) < 0);
        CHECK_INT(parse("{}"), 0);
        CHECK_INT(d.settings.measure_s, 1);
        CHECK_INT(parse("{\"resend\":{\"id\":\"x1\",\"from\":1,\"to\":2}}"), 0);
        CHECK_INT(d.has, FW_DOWN_RESEND);
        CHECK_INT(d.settings.flood_s, 2);
        CHECK_INT(parse("{\"start_level_m\":1.5}"), 0);
        CHECK_INT(d.settings.start_level_mm, 1500);
        CHECK_INT(d.settings.measure_s, 1);
        CHECK_INT(parse("{\"measure_s\":5}"), -ERANGE);
        CHECK_INT(d.settings.measure_s, 1);
        CHECK_INT(parse("{\"start_level_m\":1.5,\"flood_s\":59}"), -ERANGE);
        CHECK_INT(d.settings.start_level_mm, cur.start_level_mm);
        cur = keep;
}

static void test_hash(void)
{
        CHECK(fw_resend_id_hash("g17") != fw_resend_id_hash("g18"));
        CHECK(fw_resend_id_hash("g17") == fw_resend_id_hash("g17"));
        CHECK(fw_resend_id_hash("") != 0);
}

int main(void)
{
        fw_settings_default(&cur);
        CHECK_INT(fw_settings_check(&cur), 0);
        test_good();
        test_bad();
        test_fast_base();
        test_hash();
        return fwt_done("downlink");
}
