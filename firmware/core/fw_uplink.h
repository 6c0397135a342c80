/* Builds the SenML packs the node publishes, straight from the NVM queue:
 * the unacknowledged readings in order, and the history a resend request
 * asks for.  A pack never mixes epochs.  Readings whose time cannot be
 * known any more (taken in a boot that ended before it learned the time)
 * are skipped and counted; readings of the current boot without a time
 * wait until the time is known. */
#ifndef SONAE_FW_UPLINK_H
#define SONAE_FW_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "fw_queue.h"
#include "fw_time.h"
#include "senml.h"

struct fw_uplink_pack {
        uint32_t first_wc, last_wc; /* the queue range the pack covers */
        unsigned readings;          /* readings encoded */
        unsigned skipped;           /* damaged or unplaceable records passed over */
        size_t len;                 /* bytes in buf */
};

/* Encodes the oldest unacknowledged readings into buf.  Returns 0 (with
 * p->readings possibly 0 when only skipped records were met: acknowledge
 * through p->last_wc all the same), -ENODATA when nothing is queued,
 * -EAGAIN when the first reading waits for the time. */
int fw_uplink_build(const struct fwq *q, const struct fw_time *t, const char *device, char *buf,
                    size_t cap, struct fw_uplink_pack *p);

/* A resend request being served: readings of seq from..to (of one epoch,
 * or of any when any_epoch) from the acknowledged history. */
struct fw_resend {
        uint32_t from, to, epoch;
        int any_epoch;
        uint32_t cursor_wc; /* the next wc to look at */
};

void fw_resend_start(struct fw_resend *rs, const struct fwq *q, uint32_t from, uint32_t to,
                     int any_epoch, uint32_t epoch);
/* Encodes the next pack of the request; -ENODATA when it is complete. */
int fw_resend_build(struct fw_resend *rs, const struct fwq *q, const struct fw_time *t,
                    const char *device, char *buf, size_t cap, struct fw_uplink_pack *p);

/* The reading of a queue record in SenML terms. */
void fw_uplink_reading(const struct fwq_rec *r, int64_t utc, struct senml_reading *out);

#endif
