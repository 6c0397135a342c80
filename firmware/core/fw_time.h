/* The node's idea of UTC: an offset from its monotonic seconds, learned
 * from the network after attach (trusted: it may move the clock either
 * way) and from the downlink's "time" field.  A retained downlink can be
 * hours old, so its time is only a lower bound: it may move a clock
 * forward or set one that is not yet valid, never back. */
#ifndef SONAE_FW_TIME_H
#define SONAE_FW_TIME_H

#include <stdint.h>

/* A clock hint within this many seconds of ours changes nothing. */
#define FW_TIME_SLACK_S 2

enum fw_time_source { FW_TIME_NONE = 0, FW_TIME_NETWORK = 1, FW_TIME_DOWNLINK = 2 };

struct fw_time {
        int valid;
        int64_t offset; /* utc = mono + offset */
        enum fw_time_source source;
};

void fw_time_init(struct fw_time *t);
/* Network time (AT+CCLK after attach): always taken.  Returns 1 when the
 * offset changed. */
int fw_time_network(struct fw_time *t, int64_t mono, int64_t utc);
/* The downlink's time: taken when no time is known or when ours is behind
 * by more than FW_TIME_SLACK_S.  Returns 1 when the offset changed. */
int fw_time_hint(struct fw_time *t, int64_t mono, int64_t utc);
/* UTC at mono, or -EAGAIN when no time is known. */
int fw_time_utc(const struct fw_time *t, int64_t mono, int64_t *utc);

#endif
