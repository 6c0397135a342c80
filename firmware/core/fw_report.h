/* When to measure and when to transmit, after MLIT's crisis-management
 * gauges: quiet in normal times (one batched report per heartbeat), a
 * report every flood_s once the water is at or above the observation start
 * level or rises faster than rise_m_per_h.  Leaving flood mode needs the
 * level FW_FLOOD_HYST_MM below the start level, a slow rise, FW_FLOOD_CALM_N
 * calm measurements in a row and the settings' flood_min_s (default
 * FW_FLOOD_MIN_S) in flood mode, so that a
 * level hovering at the threshold does not flap.
 *
 * All times are the node's monotonic seconds (uptime), never wall-clock
 * time: a clock correction cannot skip or repeat a report. */
#ifndef SONAE_FW_REPORT_H
#define SONAE_FW_REPORT_H

#include <stdint.h>

#include "fw_settings.h"

#define FW_FLOOD_HYST_MM 100
#define FW_FLOOD_CALM_N  3
#define FW_FLOOD_MIN_S   3600
/* The rise rate is taken over at least FW_RISE_MIN_S and at most
 * FW_RISE_MAX_S of history, from samples kept at least FW_RISE_STEP_S
 * apart. */
#define FW_RISE_MIN_S  1200
#define FW_RISE_MAX_S  4500
#define FW_RISE_STEP_S 300
#define FW_RISE_N      16

enum fw_mode { FW_MODE_NORMAL = 0, FW_MODE_FLOOD = 1 };

enum {
        FW_REPORT_ENTER_FLOOD = 1u << 0,
        FW_REPORT_LEAVE_FLOOD = 1u << 1,
};

struct fw_report {
        enum fw_mode mode;
        int64_t mode_since;
        int64_t last_tx;
        int tx_now; /* a transmission is wanted at once (mode change, boot) */
        unsigned calm;
        int32_t rate_mm_h; /* the last rise rate, 0 when unknown */
        int rate_known;
        struct {
                int64_t t;
                int32_t level_mm;
        } hist[FW_RISE_N];
        unsigned hist_n, hist_head;
};

/* Starts in normal mode at monotonic time now; the first report goes out
 * at once so that a fresh node shows up. */
void fw_report_init(struct fw_report *r, int64_t now);
/* Feeds a measurement; returns FW_REPORT_* flags of a mode change. */
unsigned fw_report_measured(struct fw_report *r, const struct fw_settings *s, int64_t now,
                            int valid, int32_t level_mm);
/* 1 when a transmission is due at now. */
int fw_report_tx_due(const struct fw_report *r, const struct fw_settings *s, int64_t now);
/* Records a completed transmission. */
void fw_report_tx_done(struct fw_report *r, int64_t now);
/* A failed transmission: try again after retry_s, not at once. */
void fw_report_tx_failed(struct fw_report *r, const struct fw_settings *s, int64_t now,
                         uint32_t retry_s);
/* The measuring interval in the current mode: measure_s, or flood_s when
 * that is shorter and the node is in flood mode. */
uint32_t fw_report_measure_interval(const struct fw_report *r, const struct fw_settings *s);
/* Seconds from now until the next transmission is due (0 when due). */
uint32_t fw_report_tx_in(const struct fw_report *r, const struct fw_settings *s, int64_t now);

#endif
