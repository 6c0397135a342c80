/* common/level: every threshold boundary, missing thresholds, crisis-gauge
 * states, colours and labels. */
#include "check.h"
#include "level.h"

static struct level_thresholds gauge(void)
{
        /* A gauge with all five thresholds (metres). */
        struct level_thresholds t;
        level_thresholds_clear(&t);
        t.standby = 2.0;
        t.caution = 3.0;
        t.evacuation = 3.5;
        t.danger = 4.0;
        t.flood = 5.0;
        return t;
}

struct row {
        double value;
        int level;
        enum station_state state;
};

int main(void)
{
        struct level_thresholds t = gauge();
        static const struct row rows[] = {
            {0.0, LEVEL_NONE, STATE_OK},  {1.999, LEVEL_NONE, STATE_OK}, {2.0, LEVEL_1, STATE_OK},
            {2.999, LEVEL_1, STATE_OK},   {3.0, LEVEL_2, STATE_OK},      {3.499, LEVEL_2, STATE_OK},
            {3.5, LEVEL_3, STATE_OK},     {3.999, LEVEL_3, STATE_OK},    {4.0, LEVEL_4, STATE_OK},
            {4.999, LEVEL_4, STATE_OK},   {5.0, LEVEL_5, STATE_OK},      {9.0, LEVEL_5, STATE_OK},
            {-1.0, LEVEL_NONE, STATE_OK},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct level_result r = level_from_thresholds(rows[i].value, &t);
                if ((int)r.level != rows[i].level || r.state != rows[i].state)
                        fprintf(stderr, "value %.3f\n", rows[i].value);
                CHECK_INT(r.level, rows[i].level);
                CHECK_INT(r.state, rows[i].state);
        }

        /* Missing thresholds are skipped, never read as zero. */
        struct level_thresholds partial;
        level_thresholds_clear(&partial);
        partial.caution = 3.0;
        partial.danger = 4.0;
        CHECK_INT(level_from_thresholds(2.9, &partial).level, LEVEL_NONE);
        CHECK_INT(level_from_thresholds(3.7, &partial).level, LEVEL_2);
        CHECK_INT(level_from_thresholds(4.2, &partial).level, LEVEL_4);
        struct level_thresholds none;
        level_thresholds_clear(&none);
        CHECK_INT(level_from_thresholds(100.0, &none).level, LEVEL_NONE);
        CHECK_INT(level_from_thresholds(100.0, &none).state, STATE_OK);

        /* A missing value is unknown, never safe. */
        struct level_result u = level_from_thresholds(NAN, &t);
        CHECK_INT(u.level, LEVEL_NONE);
        CHECK_INT(u.state, STATE_UNKNOWN);
        CHECK(station_state_is_unknown(u.state));
        CHECK(!station_state_is_unknown(STATE_OK));
        CHECK(station_state_is_unknown(STATE_STALE));
        CHECK(station_state_is_unknown(STATE_OFFLINE));

        /* Crisis gauge: 観測開始 1.2, 危険水位 2.4, 氾濫開始 3.0. */
        struct level_thresholds c;
        level_thresholds_clear(&c);
        c.start = 1.2;
        c.danger = 2.4;
        c.flood = 3.0;
        struct level_result r = level_from_thresholds(1.19, &c);
        CHECK_INT(r.state, STATE_BELOW_START);
        CHECK_INT(r.level, LEVEL_NONE);
        r = level_from_thresholds(1.2, &c);
        CHECK_INT(r.state, STATE_WATCH);
        CHECK_INT(r.level, LEVEL_NONE);
        r = level_from_thresholds(2.39, &c);
        CHECK_INT(r.state, STATE_WATCH);
        CHECK_INT(r.level, LEVEL_NONE);
        r = level_from_thresholds(2.4, &c);
        CHECK_INT(r.level, LEVEL_4);
        r = level_from_thresholds(3.0, &c);
        CHECK_INT(r.level, LEVEL_5);
        /* A crisis gauge without a flood level stops at 4. */
        c.flood = NAN;
        CHECK_INT(level_from_thresholds(10.0, &c).level, LEVEL_4);

        /* The official colours and labels. */
        CHECK_STR(level_color(5), "#0C000C");
        CHECK_STR(level_color(4), "#AA00AA");
        CHECK_STR(level_color(3), "#FF2800");
        CHECK_STR(level_color(2), "#F2E700");
        CHECK_STR(level_color(1), "#FFFFFF");
        CHECK(level_color(0) == NULL);
        CHECK(level_color(6) == NULL);
        CHECK_STR(level_label_ja(4), "警戒レベル４");
        CHECK_STR(level_order_name_ja(3), "高齢者等避難");
        CHECK_STR(level_order_name_ja(4), "避難指示");
        CHECK_STR(level_order_name_ja(5), "緊急安全確保");
        CHECK(level_order_name_ja(2) == NULL);
        CHECK_STR(level_text_color(4), "#FFFFFF");
        CHECK_STR(level_text_color(2), "#000000");

        enum station_state s;
        CHECK_INT(station_state_parse("below_start", &s), 0);
        CHECK_INT(s, STATE_BELOW_START);
        CHECK(station_state_parse("safe", &s) < 0);
        for (int i = STATE_OK; i <= STATE_UNKNOWN; i++) {
                CHECK_INT(station_state_parse(station_state_name((enum station_state)i), &s), 0);
                CHECK_INT(s, i);
        }
        return check_done("test_level");
}
