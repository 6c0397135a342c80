/* The ingest core of sonae-ingestd, without MQTT: one message in, its
 * readings, observations, gaps and health in the store in one
 * transaction.  The daemon calls ingest_message() from libmosquitto's
 * on_message, so a message is committed before its PUBACK leaves.
 *
 * Per device it keeps in memory what a restart can rebuild from the store
 * (last epoch and seq, open gaps, recent levels for QC); after any failed
 * commit that state is dropped and rebuilt, exactly as after a crash.
 *
 * An ingest borrows its store; one thread at a time (the daemon holds a
 * mutex around every call). */
#ifndef SONAE_INGEST_H
#define SONAE_INGEST_H

#include "qc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct ingest;

/* Called after a commit with a retained downlink to publish: topic
 * sonae/v1/nodes/{device}/down and its JSON payload (both borrowed).
 * Returns 0 when queued; otherwise the tick tries again. */
typedef int (*ingest_publish_fn)(void *ctx, const char *topic, const char *payload);

struct ingest_options {
        struct qc_params qc;
        int grace;                  /* offline after expected_interval * grace; 0: 3 */
        int64_t default_interval_s; /* devices without a station; 0: 3600 */
        int64_t gap_alert_s;        /* open gaps older than this are logged; 0: 3600 */
        ingest_publish_fn publish;  /* may be NULL */
        void *publish_ctx;
        /* Partitioning across several ingest instances ([mqtt]
         * instance_index, instance_count): this ingest handles a device
         * only when ingest_device_hash(device) % instance_count equals
         * instance_index.  0 and 0: one instance handles every device. */
        unsigned instance_index, instance_count;
};

struct ingest_stats {
        uint64_t messages;   /* every node message this instance handles */
        uint64_t readings;   /* readings newly stored */
        uint64_t duplicates; /* readings already stored (redelivery, resend) */
        uint64_t malformed;  /* messages dropped as malformed or unknown */
        uint64_t gaps_opened, gaps_closed;
        uint64_t store_errors;
        uint64_t others; /* messages of devices another instance handles, ignored */
};

/* Takes the store (borrowed; it must outlive the ingest).  Loads the
 * devices and their open gaps and asks for the resends still due. */
int ingest_open(struct store *st, const struct ingest_options *opt, int64_t now,
                struct ingest **out);
void ingest_close(struct ingest *in);

/* Handles one message of topic sonae/v1/nodes/{device}/up or /status, or
 * /down (the settings beside a resend request are remembered from it).
 * retained: the broker delivered it from its retained store (a node's
 * last status, replayed on subscribing): its fields are recorded, but it
 * is no sign of life.
 * Returns 0 when the message is done with (stored, a duplicate, or
 * dropped as malformed and counted), or a store error for which the
 * caller should retry the same message later (store_err_is_trouble() or
 * -EBUSY); nothing of it is then stored. */
int ingest_message(struct ingest *in, const char *topic, const void *payload, size_t len,
                   bool retained, int64_t now);

/* Periodic work: offline transitions from arrival times, logging of old
 * open gaps, reloading devices added or changed by `sonae device`. */
int ingest_tick(struct ingest *in, int64_t now);

/* FNV-1a, 32 bits, over the bytes of the device id (no terminator):
 * the stable hash that partitions devices across ingest instances
 * (docs/sensors.md).  Stable across builds, machines and restarts. */
uint32_t ingest_device_hash(const char *device);

/* Whether this ingest handles the device under its partitioning. */
bool ingest_owns(const struct ingest *in, const char *device);

void ingest_get_stats(const struct ingest *in, struct ingest_stats *out);

/* The device of a sonae/v1/nodes/{device}/{up|status|down} topic: copies
 * it to dev (cap bytes) and sets *kind to 'u', 's' or 'd'.  -EINVAL for any other
 * topic or a device id that is not valid. */
int ingest_topic_parse(const char *topic, char *dev, size_t cap, char *kind);

#endif
