/* The retained downlink on sonae/v1/nodes/{device}/down: settings, a clock
 * hint and resend requests, as JSON written by Sonae:
 *
 *   {"measure_s":600,"heartbeat_s":86400,"flood_s":600,"start_level_m":1.2,
 *    "rise_m_per_h":0.3,"time":1763900000,
 *    "resend":{"id":"g17","from":120,"to":131}}
 *
 * Every field is optional.  A message with any invalid part (bad JSON, a
 * value out of its range, a wrong type, a repeated key, more than
 * FW_DOWN_MAX bytes) is rejected whole: the node keeps its settings.
 * Unknown keys are ignored so that newer servers can add some. */
#ifndef SONAE_FW_DOWNLINK_H
#define SONAE_FW_DOWNLINK_H

#include <stddef.h>
#include <stdint.h>

#include "fw_settings.h"

#define FW_DOWN_MAX      1024
#define FW_RESEND_ID_MAX 32
#define FW_RESEND_SPAN   2016 /* at most two weeks of 10-minute readings per request */

enum {
        FW_DOWN_SETTINGS = 1u << 0, /* some setting was present */
        FW_DOWN_TIME = 1u << 1,
        FW_DOWN_RESEND = 1u << 2,
        FW_DOWN_RESEND_EPOCH = 1u << 3,
};

struct fw_downlink {
        uint32_t has;                /* FW_DOWN_* */
        struct fw_settings settings; /* the current settings with the message applied */
        int64_t time;                /* UTC seconds */
        char resend_id[FW_RESEND_ID_MAX + 1];
        uint32_t resend_from, resend_to, resend_epoch;
        const char *why; /* static reason of a rejection */
};

/* Parses msg against the settings in force (cur, borrowed).  On success
 * out->settings holds cur with the message applied and checked; on failure
 * out->why says why and nothing may be applied.  Returns 0, -EMSGSIZE,
 * -ERANGE or -EINVAL. */
int fw_downlink_parse(const char *msg, size_t len, const struct fw_settings *cur,
                      struct fw_downlink *out);

/* A 32-bit FNV-1a hash of a resend id: what the node keeps in NVM to serve
 * each id once (fw_queue.h). */
uint32_t fw_resend_id_hash(const char *id);

#endif
