/* sonae-collectd's scheduler: one worker thread per source instance.
 *
 * Why threads rather than one curl multi handle: a poll is more than a
 * transfer (parsing, iconv, store writes, several dependent requests as in
 * AMeDAS's latest_time.txt then map file), and with a thread each source is
 * written as plain sequential code while a slow server, a slow parse or a
 * busy store only ever delays its own source.  Sources are few (tens), so
 * the threads cost nothing that matters. */
#ifndef SONAE_COLLECTD_H
#define SONAE_COLLECTD_H

#include "config.h"

struct collectd;

/* Validates every [source.NAME] section with its type's own keys and the
 * framework's keys, and the URL rule.  For daemon_ops.check (-n, start,
 * reload).  Returns 0 or -EINVAL. */
int collectd_check(const struct sonae_config *cfg, struct conf_diag *diag);

/* NULL on allocation failure. */
struct collectd *collectd_new(void);

/* The same over another table of types (NULL-terminated, borrowed for the
 * handle's life), for tests of the scheduler. */
struct source_type;
struct collectd *collectd_new_types(const struct source_type *const *types);
int collectd_check_types(const struct source_type *const *types, const struct sonae_config *cfg,
                         struct conf_diag *diag);
/* Starts a worker for every enabled instance.  cfg is borrowed until stop
 * or the next start.  A source that cannot be set up is logged and left
 * out; the others run. */
int collectd_start(struct collectd *c, const struct sonae_config *cfg);
/* From the daemon's main loop: writes stale/offline transitions of every
 * station (the store decides them and emits station.state) once a minute,
 * and bounds the write-ahead log.  Returns milliseconds until the next. */
int64_t collectd_tick(struct collectd *c);
/* Stops and joins every worker promptly (running transfers are canceled). */
void collectd_stop(struct collectd *c);
/* Accepts NULL; stops first. */
void collectd_free(struct collectd *c);

#endif
