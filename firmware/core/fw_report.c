#include "fw_report.h"

#include <string.h>

void fw_report_init(struct fw_report *r, int64_t now)
{
        memset(r, 0, sizeof(*r));
        r->mode = FW_MODE_NORMAL;
        r->mode_since = now;
        r->last_tx = now;
        r->tx_now = 1;
}

static void hist_add(struct fw_report *r, int64_t now, int32_t level)
{
        if (r->hist_n) {
                unsigned last = (r->hist_head + FW_RISE_N - 1) % FW_RISE_N;
                if (now - r->hist[last].t < FW_RISE_STEP_S)
                        return;
        }
        r->hist[r->hist_head].t = now;
        r->hist[r->hist_head].level_mm = level;
        r->hist_head = (r->hist_head + 1) % FW_RISE_N;
        if (r->hist_n < FW_RISE_N)
                r->hist_n++;
}

/* The rate from the oldest kept sample no older than FW_RISE_MAX_S and at
 * least FW_RISE_MIN_S before now. */
static int rise_rate(const struct fw_report *r, int64_t now, int32_t level, int32_t *rate)
{
        unsigned i;
        for (i = 0; i < r->hist_n; i++) {
                unsigned idx = (r->hist_head + FW_RISE_N - r->hist_n + i) % FW_RISE_N;
                int64_t age = now - r->hist[idx].t;
                if (age > FW_RISE_MAX_S)
                        continue;
                if (age < FW_RISE_MIN_S)
                        return 0;
                *rate = (int32_t)(((int64_t)level - r->hist[idx].level_mm) * 3600 / age);
                return 1;
        }
        return 0;
}

unsigned fw_report_measured(struct fw_report *r, const struct fw_settings *s, int64_t now,
                            int valid, int32_t level_mm)
{
        int32_t rate = 0;
        int fast;
        if (!valid)
                return 0; /* No echo says nothing about the water: keep the mode. */
        r->rate_known = rise_rate(r, now, level_mm, &rate);
        r->rate_mm_h = r->rate_known ? rate : 0;
        hist_add(r, now, level_mm);
        fast = r->rate_known && rate >= s->rise_mm_per_h;
        if (r->mode == FW_MODE_NORMAL) {
                if (level_mm >= s->start_level_mm || fast) {
                        r->mode = FW_MODE_FLOOD;
                        r->mode_since = now;
                        r->calm = 0;
                        r->tx_now = 1;
                        return FW_REPORT_ENTER_FLOOD;
                }
                return 0;
        }
        if (level_mm < s->start_level_mm - FW_FLOOD_HYST_MM && !fast &&
            (!r->rate_known || rate < s->rise_mm_per_h / 2)) {
                if (r->calm < FW_FLOOD_CALM_N)
                        r->calm++;
        } else {
                r->calm = 0;
        }
        if (r->calm >= FW_FLOOD_CALM_N && now - r->mode_since >= (int64_t)s->flood_min_s) {
                r->mode = FW_MODE_NORMAL;
                r->mode_since = now;
                r->calm = 0;
                /* Tell the server at once that the water has gone down. */
                r->tx_now = 1;
                return FW_REPORT_LEAVE_FLOOD;
        }
        return 0;
}

static uint32_t tx_interval(const struct fw_report *r, const struct fw_settings *s)
{
        return r->mode == FW_MODE_FLOOD ? s->flood_s : s->heartbeat_s;
}

uint32_t fw_report_tx_in(const struct fw_report *r, const struct fw_settings *s, int64_t now)
{
        int64_t due;
        if (r->tx_now)
                return 0;
        due = r->last_tx + tx_interval(r, s);
        return due <= now ? 0 : (uint32_t)(due - now);
}

int fw_report_tx_due(const struct fw_report *r, const struct fw_settings *s, int64_t now)
{
        return fw_report_tx_in(r, s, now) == 0;
}

void fw_report_tx_done(struct fw_report *r, int64_t now)
{
        r->last_tx = now;
        r->tx_now = 0;
}

void fw_report_tx_failed(struct fw_report *r, const struct fw_settings *s, int64_t now,
                         uint32_t retry_s)
{
        uint32_t iv = tx_interval(r, s);
        if (retry_s > iv)
                retry_s = iv;
        /* Due again retry_s from now. */
        r->last_tx = now - (int64_t)(iv - retry_s);
        r->tx_now = 0;
}

uint32_t fw_report_measure_interval(const struct fw_report *r, const struct fw_settings *s)
{
        if (r->mode == FW_MODE_FLOOD && s->flood_s < s->measure_s)
                return s->flood_s;
        return s->measure_s;
}
