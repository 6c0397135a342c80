/* Request counters and latency histograms for /metrics (Prometheus text
 * exposition format 0.0.4).  Lock-free: the server's threads add with
 * atomics, the scrape reads them. */
#ifndef SONAE_PORTAL_METRICS_H
#define SONAE_PORTAL_METRICS_H

#include "buf.h"

#include <stddef.h>

struct metrics;

/* n_labels route labels (borrowed, must outlive the metrics). */
int metrics_new(const char *const *labels, size_t n_labels, struct metrics **out);
void metrics_free(struct metrics *m); /* accepts NULL */
/* Counts one answer of route label idx with an HTTP status and its time. */
void metrics_observe(struct metrics *m, size_t idx, int status, double seconds);
/* Appends the exposition; extra lines (gauges of the app) may follow. */
int metrics_write(struct metrics *m, struct buf *out);

#endif
