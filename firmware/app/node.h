/* The node's application: measure, queue, decide, report.  Portable C on
 * the HAL (hal/hal.h), the drivers' interfaces (drivers/) and the core;
 * the same code runs on every port.  One static struct node holds all
 * state: there is no allocation anywhere. */
#ifndef SONAE_NODE_H
#define SONAE_NODE_H

#include <stdint.h>

#include "fw_downlink.h"
#include "fw_measure.h"
#include "fw_queue.h"
#include "fw_report.h"
#include "fw_settings.h"
#include "fw_time.h"
#include "mqtt_codec.h"
#include "prov.h"
#include "senml.h"

#ifndef SONAE_FW_VERSION
#define SONAE_FW_VERSION "0.1.0"
#endif

#define NODE_ECHOES     9
#define NODE_SESSION_MS 120000                /* a whole session, attach to close */
#define NODE_ACK_S      20                    /* PUBACK wait before a DUP resend */
#define NODE_RETRY_S    900                   /* a failed session is retried after this */
#define NODE_WDT_MS     (NODE_SESSION_MS * 2) /* longer than any session */
#define NODE_RX_MAX     (FW_DOWN_MAX + 256)

struct node {
        struct node_prov prov;
        struct fw_settings settings;
        struct fwq_nvm nvm;
        struct fwq q;
        struct fw_time time;
        struct fw_report report;
        struct fw_temp_filter temp;
        struct mqtt_inflight inflight;
        int64_t next_measure; /* monotonic seconds */
        int rssi_dbm;
        int rssi_known;
        uint32_t sessions, sessions_failed, downlinks_rejected;
        char topic_up[96], topic_status[96], topic_down[96];
};

/* Opens the queue (a new epoch) and starts the schedule, on the default
 * settings with what the provisioning (copied) sets. */
int node_init(struct node *n, const struct node_prov *prov);
/* One pass of the main loop at monotonic time now (seconds): measures if
 * due, reports if due.  Returns the seconds until something is due. */
uint32_t node_step(struct node *n, int64_t now);
/* Measures once and queues the reading. */
int node_measure(struct node *n, int64_t now);
/* One session with the broker: status, downlink, queued readings,
 * resends.  0 or a negative code; readings stay queued on failure. */
int node_session(struct node *n, int64_t now);
/* The main loop: never returns on a board; returns after max_steps steps
 * when max_steps is not 0 (QEMU smoke runs). */
void node_run(struct node *n, uint32_t max_steps);

#endif
