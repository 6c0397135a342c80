/* The store-and-forward queue: every reading goes to non-volatile memory
 * before anything else happens to it, and leaves only when the broker has
 * acknowledged it (and later, when its slot is needed, from the history
 * kept for resend requests).
 *
 * Layout of the NVM (little-endian, independent of the compiler):
 *   0..63     header slot A   (magic, gen, epoch, ack_wc, served resend
 *   64..127   header slot B    ids, time anchors, CRC-32)
 *   128..     FWQ_REC_SIZE-byte record slots, a ring
 *
 * Each record carries a write counter wc (1, 2, 3, ...) and a CRC-32; the
 * slot of wc is wc mod slots.  A torn write (power lost in the middle)
 * leaves a slot whose CRC fails; opening the queue scans the ring, takes
 * the newest valid record as the head and the run of records behind it as
 * the content (a damaged slot inside the run is stepped over and reads as
 * -EIO; the uplink skips it and counts it).  The header is written alternately to A and B with a
 * generation counter, so a torn header write falls back to the other.
 * A reading is dropped only when every slot holds an unacknowledged
 * reading; then the oldest goes and the drop counter (kept in each record)
 * grows by one.
 *
 * The queue keeps no readings in RAM: a node with 12 KB of RAM can hold
 * weeks of readings in a 64 KB FRAM. */
#ifndef SONAE_FW_QUEUE_H
#define SONAE_FW_QUEUE_H

#include <stdint.h>

#include "fw_time.h"

#define FWQ_HDR_SIZE   64
#define FWQ_DATA_OFF   128
#define FWQ_REC_SIZE   40
#define FWQ_MIN_SLOTS  8
#define FWQ_RESEND_IDS 4
#define FWQ_ANCHORS    2

/* The NVM the queue lives in: byte-addressable, like FRAM or an EEPROM
 * (a flash port wraps it with its own erase handling).  Borrowed by the
 * queue; ctx is the port's. */
struct fwq_nvm {
        void *ctx;
        uint32_t size;
        int (*read)(void *ctx, uint32_t off, void *buf, uint32_t len);
        int (*write)(void *ctx, uint32_t off, const void *buf, uint32_t len);
};

enum {
        FWQ_REL = 1u << 0,   /* time is monotonic seconds of its boot, not UTC */
        FWQ_VALID = 1u << 1, /* dist_mm and level_mm hold a measurement */
        FWQ_HAS_TEMP = 1u << 2,
        FWQ_HAS_BATT = 1u << 3,
        FWQ_HAS_RSSI = 1u << 4,
};

struct fwq_rec {
        uint32_t wc;    /* set by fwq_push */
        uint32_t epoch; /* set by fwq_push */
        uint32_t seq;   /* set by fwq_push */
        uint32_t time;
        int32_t dist_mm;
        int32_t level_mm;
        uint32_t dropped; /* set by fwq_push: readings dropped before this one */
        int16_t temp_cc;
        uint16_t batt_mv;
        int8_t rssi_dbm;
        uint8_t flags; /* FWQ_* */
};

struct fwq {
        const struct fwq_nvm *nvm; /* borrowed */
        uint32_t slots;
        uint32_t head_wc;   /* the next record's wc */
        uint32_t oldest_wc; /* the oldest record kept (== head_wc when empty) */
        uint32_t ack_wc;    /* every wc up to this one is acknowledged */
        uint32_t epoch;
        uint32_t seq_next;
        uint32_t dropped;
        uint32_t torn; /* damaged slots met when opening */
        uint32_t gen;
        uint32_t resend[FWQ_RESEND_IDS];
        uint32_t anchor_epoch[FWQ_ANCHORS];
        int64_t anchor_off[FWQ_ANCHORS];
};

/* The number of record slots an NVM of size bytes holds. */
uint32_t fwq_capacity(uint32_t size);
/* Opens (or formats) the queue and starts a new epoch, written to NVM
 * before it returns.  Returns 0, -ENOSPC for an NVM below FWQ_MIN_SLOTS,
 * or the NVM's error. */
int fwq_open(struct fwq *q, const struct fwq_nvm *nvm);
/* Appends a reading (its wc, epoch, seq and dropped are filled in).  When
 * every slot holds an unacknowledged reading the oldest is dropped. */
int fwq_push(struct fwq *q, struct fwq_rec *rec);
/* The first unacknowledged wc and how many follow it. */
uint32_t fwq_first_unsent(const struct fwq *q);
uint32_t fwq_unsent(const struct fwq *q);
/* Reads the record wc: -ENOENT when it is not in the queue, -EIO when
 * its slot is damaged. */
int fwq_read(const struct fwq *q, uint32_t wc, struct fwq_rec *rec);
/* Acknowledges every record up to wc (a no-op for older wc). */
int fwq_ack(struct fwq *q, uint32_t wc);
/* Resend ids already served (hashes, fw_resend_id_hash()). */
int fwq_resend_served(const struct fwq *q, uint32_t hash);
int fwq_resend_mark(struct fwq *q, uint32_t hash);
/* Remembers the clock offset of an epoch so that readings taken before
 * the time was known can be stamped after a reset. */
int fwq_anchor_set(struct fwq *q, uint32_t epoch, int64_t offset);
/* The UTC time of a record: 0, -EAGAIN (its boot is the current one and
 * has no time yet) or -ESRCH (its boot ended without learning the time;
 * it can never be placed). */
int fwq_stamp(const struct fwq *q, const struct fwq_rec *rec, const struct fw_time *t,
              int64_t *utc);

#endif
