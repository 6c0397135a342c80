/* Reporting rules: heartbeat in normal mode, flood mode on the start level
 * or a fast rise, hysteresis on the way out, intervals in each mode. */
#include "fw_report.h"
#include "fw_test.h"

static struct fw_settings s;

static void test_normal(void)
{
        struct fw_report r;
        int64_t t;
        unsigned tx = 0;
        fw_report_init(&r, 0);
        /* A fresh node reports at once, then once per heartbeat. */
        CHECK(fw_report_tx_due(&r, &s, 0));
        fw_report_tx_done(&r, 0);
        for (t = 600; t <= 3 * 86400; t += 600) {
                CHECK_INT(fw_report_measured(&r, &s, t, 1, 300), 0);
                if (fw_report_tx_due(&r, &s, t)) {
                        tx++;
                        fw_report_tx_done(&r, t);
                }
        }
        CHECK_INT(tx, 3);
        CHECK_INT(r.mode, FW_MODE_NORMAL);
        CHECK_INT(fw_report_measure_interval(&r, &s), 600);
        CHECK_INT(fw_report_tx_in(&r, &s, 3 * 86400 + 100), 86400 - 100);
        /* A failed transmission is retried after the given delay. */
        fw_report_tx_failed(&r, &s, 3 * 86400 + 100, 900);
        CHECK_INT(fw_report_tx_in(&r, &s, 3 * 86400 + 100), 900);
}

/* A flood wave: rises past the start level, hovers around it, falls. */
static void test_flood_hysteresis(void)
{
        struct fw_report r;
        int64_t t;
        unsigned flips = 0, tx = 0, tx_flood = 0;
        int32_t level;
        fw_report_init(&r, 0);
        fw_report_tx_done(&r, 0);
        s.rise_mm_per_h = 2000; /* rate out of the way: the level alone */
        /* Hovering ±60 mm around the start level for 6 hours, noisy. */
        for (t = 600; t <= 6 * 3600; t += 600) {
                level = s.start_level_mm + (int32_t)fwt_rand(-60, 60);
                unsigned ev = fw_report_measured(&r, &s, t, 1, level);
                if (ev)
                        flips++;
                if (fw_report_tx_due(&r, &s, t)) {
                        tx++;
                        fw_report_tx_done(&r, t);
                }
        }
        /* It entered once and never left: 60 mm is inside the 100 mm band. */
        CHECK_INT(flips, 1);
        CHECK_INT(r.mode, FW_MODE_FLOOD);
        /* In flood mode: a report every flood_s (10 min) from the entry on. */
        CHECK(tx >= 6 * 6 - 6);
        /* Invalid readings change nothing. */
        CHECK_INT(fw_report_measured(&r, &s, t, 0, -99999), 0);
        CHECK_INT(r.mode, FW_MODE_FLOOD);
        /* Falling well below: leaves after FW_FLOOD_CALM_N calm readings. */
        for (tx_flood = 0; tx_flood < 10; tx_flood++) {
                t += 600;
                unsigned ev = fw_report_measured(&r, &s, t, 1, s.start_level_mm - 300);
                if (ev) {
                        CHECK_INT(ev, FW_REPORT_LEAVE_FLOOD);
                        break;
                }
        }
        CHECK_INT(tx_flood + 1, FW_FLOOD_CALM_N);
        CHECK_INT(r.mode, FW_MODE_NORMAL);
        CHECK(fw_report_tx_due(&r, &s, t)); /* the all-clear goes out at once */
        s.rise_mm_per_h = 300;
}

/* A brief dip right after entering does not end flood mode early. */
static void test_min_dwell(void)
{
        struct fw_report r;
        fw_report_init(&r, 0);
        CHECK_INT(fw_report_measured(&r, &s, 600, 1, s.start_level_mm), FW_REPORT_ENTER_FLOOD);
        CHECK_INT(fw_report_measured(&r, &s, 1200, 1, 0), 0);
        CHECK_INT(fw_report_measured(&r, &s, 1800, 1, 0), 0);
        CHECK_INT(fw_report_measured(&r, &s, 2400, 1, 0), 0);
        CHECK_INT(r.mode, FW_MODE_FLOOD);
        CHECK_INT(fw_report_measured(&r, &s, 600 + FW_FLOOD_MIN_S, 1, 0), FW_REPORT_LEAVE_FLOOD);

        /* A provisioned shorter dwell (a story told in minutes): the same
         * calm readings end flood mode once it has passed, not before. */
        s.flood_min_s = 20;
        fw_report_init(&r, 0);
        CHECK_INT(fw_report_measured(&r, &s, 1, 1, s.start_level_mm), FW_REPORT_ENTER_FLOOD);
        CHECK_INT(fw_report_measured(&r, &s, 2, 1, 0), 0);
        CHECK_INT(fw_report_measured(&r, &s, 3, 1, 0), 0);
        CHECK_INT(fw_report_measured(&r, &s, 4, 1, 0), 0);
        CHECK_INT(fw_report_measured(&r, &s, 20, 1, 0), 0);
        CHECK_INT(fw_report_measured(&r, &s, 21, 1, 0), FW_REPORT_LEAVE_FLOOD);
        s.flood_min_s = FW_FLOOD_MIN_S;
}

/* A fast rise well below the start level enters flood mode. */
static void test_rise(void)
{
        struct fw_report r;
        int64_t t;
        int32_t level = 0;
        unsigned ev = 0;
        fw_report_init(&r, 0);
        /* 0.1 m/h: slow, stays normal. */
        for (t = 0; t <= 4 * 3600; t += 600) {
                level = (int32_t)(t * 100 / 3600);
                ev |= fw_report_measured(&r, &s, t, 1, level);
        }
        CHECK_INT(ev, 0);
        CHECK_INT(r.mode, FW_MODE_NORMAL);
        CHECK(r.rate_known);
        CHECK(r.rate_mm_h >= 90 && r.rate_mm_h <= 110);
        /* Then 0.5 m/h from a low level: flood mode within the hour. */
        int64_t start = t;
        for (; t <= start + 3600; t += 600) {
                level += 500 / 6;
                ev = fw_report_measured(&r, &s, t, 1, level);
                if (ev)
                        break;
        }
        CHECK_INT(ev, FW_REPORT_ENTER_FLOOD);
        CHECK(level < s.start_level_mm);
        CHECK(t - start <= 3600);
        /* In flood mode with flood_s shorter than measure_s, measuring
         * follows flood_s. */
        s.flood_s = 300;
        CHECK_INT(fw_report_measure_interval(&r, &s), 300);
        s.flood_s = 600;
}

int main(void)
{
        fw_settings_default(&s);
        test_normal();
        test_flood_hysteresis();
        test_min_dwell();
        test_rise();
        return fwt_done("report");
}
