/* The notifier's thread inside sonae-portald, and the watchdog.
 *
 * The runner opens its own store handle, scans and delivers every few
 * seconds, and runs the watchdog once a minute.  The watchdog needs no
 * working store to speak: when the store cannot be written (a write
 * transaction cannot begin), no station has reported for
 * `watchdog_silence` minutes, or a daemon of `watchdog_daemons` stopped,
 * it writes straight to the staff channels
 * (notify_engine_staff_direct), once per trouble, and once more when it is
 * over. */
#ifndef SONAE_NOTIFY_RUNNER_H
#define SONAE_NOTIFY_RUNNER_H

#include "notify.h"

#define WATCHDOG_MAX_DAEMONS 8

struct notify_watchdog {
        struct notify_engine *e; /* not owned */
        int64_t silence_s;       /* 0: no silence check */
        bool store_alarm, silence_alarm;
        size_t n_daemons; /* from the staff channels' watchdog_daemons */
        char daemons[WATCHDOG_MAX_DAEMONS][32];
        bool daemon_alarm[WATCHDOG_MAX_DAEMONS];
};

/* Sets w up for e (silence, daemons), with no alarm raised. */
void notify_watchdog_init(struct notify_watchdog *w, struct notify_engine *e);
/* One round of checks at now; st may be NULL (the store did not open).
 * A daemon counts as stopped when its heartbeat file (common/heartbeat.h)
 * is missing, has not been rewritten for a minute, or names a pid that is
 * gone.  Returns the number of staff messages sent (0 or more). */
int notify_watchdog_check(struct notify_watchdog *w, struct store *st, int64_t now);

struct notify_runner;
/* Starts the thread when cfg has a [notify.NAME] section (else *out stays
 * NULL and 0 is returned).  cfg must outlive the runner. */
int notify_runner_start(const struct sonae_config *cfg, struct notify_runner **out);
/* Stops and joins the thread within a few seconds; accepts NULL. */
void notify_runner_stop(struct notify_runner *r);

#endif
