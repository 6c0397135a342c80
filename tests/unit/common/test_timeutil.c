/* common/timeutil: ISO-8601 with offsets, UTC <-> JST, HTTP dates, the
 * override seam. */
#include "check.h"
#include "timeutil.h"

#include <stdint.h>

static int64_t fixed_now(void)
{
        return 1721884610123LL; /* 2024-07-25T05:16:50.123Z */
}

int main(void)
{
        int64_t t;
        char b[40];
        /* 2024-07-25 14:16:50 JST is 05:16:50 UTC. */
        CHECK_INT(time_parse_iso8601("2024-07-25T14:16:50+09:00", INT32_MIN, &t), 0);
        CHECK_INT(t, 1721884610);
        CHECK_INT(time_parse_iso8601("2024-07-25T05:16:50Z", INT32_MIN, &t), 0);
        CHECK_INT(t, 1721884610);
        CHECK_INT(time_parse_iso8601("2024-07-25T05:16:50.5Z", INT32_MIN, &t), 0);
        CHECK_INT(t, 1721884610);
        CHECK_INT(time_parse_iso8601("2024-07-25T14:16:50+0900", INT32_MIN, &t), 0);
        CHECK_INT(t, 1721884610);
        CHECK_INT(time_parse_iso8601("2024-07-25 14:16", JST_OFFSET_S, &t), 0);
        CHECK_INT(t, 1721884560);
        /* No offset and no default: refused rather than guessed. */
        CHECK(time_parse_iso8601("2024-07-25T14:16:50", INT32_MIN, &t) < 0);
        CHECK(time_parse_iso8601("2024-02-30T00:00:00Z", INT32_MIN, &t) < 0);
        CHECK(time_parse_iso8601("2023-02-29T00:00:00Z", INT32_MIN, &t) < 0);
        CHECK_INT(time_parse_iso8601("2024-02-29T00:00:00Z", INT32_MIN, &t), 0);
        CHECK(time_parse_iso8601("2024-07-25T25:00:00Z", INT32_MIN, &t) < 0);
        CHECK(time_parse_iso8601("2024-07-25T14:16:50+09:00junk", INT32_MIN, &t) < 0);
        CHECK(time_parse_iso8601("", INT32_MIN, &t) < 0);
        CHECK(time_parse_iso8601("2024-7-25T14:16:50Z", INT32_MIN, &t) < 0);
        /* 24:00 is the end of the day (JMA writes it in some validity times). */
        CHECK_INT(time_parse_iso8601("2024-07-25T24:00:00+09:00", INT32_MIN, &t), 0);
        CHECK_INT(t, time_from_civil(2024, 7, 25, 15, 0, 0));

        CHECK_INT(time_format_jst(1721884610, b, sizeof(b)), 0);
        CHECK_STR(b, "2024-07-25T14:16:50+09:00");
        CHECK_INT(time_format_iso8601(1721884610, 0, 1, b, sizeof(b)), 0);
        CHECK_STR(b, "2024-07-25T05:16:50Z");
        /* Crossing midnight and the year in JST. */
        CHECK_INT(time_format_jst(time_from_civil(2025, 12, 31, 15, 0, 0), b, sizeof(b)), 0);
        CHECK_STR(b, "2026-01-01T00:00:00+09:00");
        CHECK_INT(time_format_jst(0, b, sizeof(b)), 0);
        CHECK_STR(b, "1970-01-01T09:00:00+09:00");
        CHECK(time_format_jst(0, b, 10) < 0);
        /* Round trip over a range of instants. */
        for (int64_t s = -86400 * 400; s < 86400LL * 365 * 80; s += 86400 * 37 + 3671) {
                int64_t back;
                time_format_jst(s, b, sizeof(b));
                CHECK_INT(time_parse_iso8601(b, INT32_MIN, &back), 0);
                if (back != s)
                        CHECK_INT(back, s);
        }

        CHECK_INT(time_format_http(784111777, b, sizeof(b)), 0);
        CHECK_STR(b, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110's own example */
        CHECK_INT(time_parse_http("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
        CHECK_INT(t, 784111777);
        CHECK(time_parse_http("Sunday, 06-Nov-94 08:49:37 GMT", &t) < 0);
        CHECK(time_parse_http("Sun, 06 Nov 1994 08:49:37 GMT extra", &t) < 0);

        int64_t real = time_now_ms();
        CHECK(real > 1700000000000LL);
        time_set_override(fixed_now);
        CHECK_INT(time_now_ms(), 1721884610123LL);
        time_set_override(NULL);
        CHECK(time_now_ms() >= real);
        int64_t m1 = time_mono_ms(), m2 = time_mono_ms();
        CHECK(m2 >= m1);
        return check_done("test_timeutil");
}
