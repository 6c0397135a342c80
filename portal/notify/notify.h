/* The notifier of sonae-portald: rules over the store's events, a queue in
 * the store, and delivery through the channels of portal/notify/.
 *
 * notify_engine_scan() reads the events written since the last scan, matches
 * them against the rules (store_notify_rules_list) and queues what a rule
 * wants (store_notify_enqueue, idempotent on rule and event).  State and
 * level changes go through a hold-down: the first change to a bad state is
 * queued at once, the return to good only after it has held for hold_down_s,
 * so a flapping gauge gives one message and one recovery.
 * notify_engine_deliver() sends what is due, retrying with backoff; a
 * channel that failed is skipped for the rest of the round, so it never
 * holds up the others.  The engine is used by one thread at a time. */
#ifndef SONAE_NOTIFY_H
#define SONAE_NOTIFY_H

#include "channel.h"

#include <stdbool.h>
#include <stdint.h>

struct store;
struct store_event;
struct store_notify_rule;
struct notify_engine;

struct notify_engine_options {
        int64_t hold_down_s; /* 0: 300 */
        int max_attempts;    /* 0: 8; then the item is dead */
        int64_t backoff_s;   /* first retry after this; doubled up to 3600; 0: 30 */
};

/* Builds the channels of cfg's [notify.NAME] sections (errors in diag) and
 * starts reading events after the store's newest one.  cfg must outlive
 * the engine. */
int notify_engine_create(const struct sonae_config *cfg, const struct notify_engine_options *opt,
                         struct store *st, struct conf_diag *diag, struct notify_engine **out);
void notify_engine_free(struct notify_engine *e);

/* Matches new events against the rules and queues; *queued may be NULL. */
int notify_engine_scan(struct notify_engine *e, struct store *st, int64_t now_s, unsigned *queued);
/* Sends due items; counts may be NULL. */
int notify_engine_deliver(struct notify_engine *e, struct store *st, int64_t now_s, unsigned *sent,
                          unsigned *failed);

/* Whether the last notify_engine_deliver() left due items behind (a full
 * batch of 200 and no channel failed): the caller may deliver again at
 * once instead of waiting for the next round. */
bool notify_engine_more_due(const struct notify_engine *e);

/* Renders an event into a message for a rule (Japanese, 「訓練」 for
 * exercises).  where (may be NULL) names the subject, e.g. the station's
 * name.  subject and body are malloc'd into m; free with notify_msg_clear(). */
int notify_render(const struct store_event *ev, int min_level, const char *where,
                  struct notify_msg *m);
void notify_msg_clear(struct notify_msg *m);

/* Sends a message straight to every enabled staff channel (`staff = true`)
 * at its `staff_to` target, without the store (the watchdog).  Returns the
 * number of channels reached, or a negative errno when none was. */
int notify_engine_staff_direct(struct notify_engine *e, const char *subject, const char *body);

/* One attempt through one channel (by its [notify.NAME] name) to target,
 * or to its staff_to when target is NULL, outside the queue: `sonae notify
 * test`.  0, or a negative errno with the reason in why. */
int notify_engine_send_one(struct notify_engine *e, const char *channel, const char *target,
                           const struct notify_msg *m, char *why, size_t why_len);

/* The smallest `watchdog_silence` of the enabled staff channels, in
 * seconds; 0 when none asks for the silence check. */
int64_t notify_engine_watchdog_silence_s(const struct notify_engine *e);
/* The daemons named by the enabled staff channels' `watchdog_daemons`
 * (each once, at most max, names under 32 bytes), and the folder of their
 * heartbeat files ([data] dir, borrowed from the config). */
size_t notify_engine_watchdog_daemons(const struct notify_engine *e, char names[][32], size_t max);
const char *notify_engine_data_dir(const struct notify_engine *e);

#endif
