/* The contract between the notifier engine and its channels.
 *
 * A channel is one file under portal/notify/: private state, a configure
 * function that checks the channel's own keys of a [notify.NAME] section
 * with conf_apply_table (over conf_instance.extra), a send function, and
 * one `const struct notify_channel_type` descriptor at the bottom.  The
 * descriptors are listed in the static table of portal/notify/channels.c.
 *
 * The engine owns everything around a send: the queue in the store, the
 * retries with backoff, deduplication and logging.  A send makes one attempt
 * with its own deadline and never sleeps or retries by itself. */
#ifndef SONAE_NOTIFY_CHANNEL_H
#define SONAE_NOTIFY_CHANNEL_H

#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* One rendered message.  Owned by the engine; valid during the send. */
struct notify_msg {
        const char *subject;    /* one line, Japanese */
        const char *body;       /* several lines, Japanese */
        const char *type;       /* the event type, "station.state" */
        const char *event_subj; /* the event's subject, "stations/12" */
        long long event_id;
        int level; /* LEVEL_NONE when none */
        bool exercise;
        bool recovery;
};

/* The keys every channel has besides its own (read by the engine). */
struct notify_common {
        bool exercise;            /* also receives drills and demos */
        bool staff;               /* the staff channel: the watchdog writes here */
        char *staff_to;           /* the watchdog's target on this channel */
        int64_t watchdog_silence; /* minutes without any station report; 0: off */
        char *watchdog_daemons;   /* daemons whose heartbeat the watchdog reads */
};

#define NOTIFY_TARGET_GONE (-EIDRM)

struct notify_channel_type {
        const char *name;    /* the `type =` value */
        const char *summary; /* one line for the docs */
        const struct conf_option *options;
        /* Checks the keys and builds the state (freed by destroy).  Errors
         * go to diag; returns 0 or a negative errno. */
        int (*configure)(const struct conf_instance *in, const char *cfgdir, const char *file,
                         struct conf_diag *diag, void **state);
        /* One attempt to one target (an address, a URL, an opaque id: never
         * logged).  Returns 0, or a negative errno with a short reason in
         * why (no personal data); NOTIFY_TARGET_GONE when the peer said the
         * target no longer exists (a push subscription answered 404/410):
         * the engine then deletes the rule. */
        int (*send)(void *state, const char *target, const struct notify_msg *m, char *why,
                    size_t why_len);
        void (*destroy)(void *state);
        /* A failed send concerns that target alone (each resident's browser
         * has its own push service), so it does not make the engine skip
         * the channel's other targets for the rest of the round. */
        bool per_target_failures;
};

const struct notify_channel_type *notify_channel_find(const char *name);
extern const struct notify_channel_type *const notify_channel_types[];

/* Configures the channel of a [notify.NAME] section from its own keys
 * alone (the common ones belong to the engine), with the diagnostics
 * dropped: for a portald endpoint that needs a channel's settings (LINE's
 * webhook, Web Push's key).  *state is freed with t->destroy. */
int notify_channel_configure_own(const struct notify_channel_type *t,
                                 const struct sonae_config *cfg, const struct conf_instance *in,
                                 void **state);

/* The common keys of a channel section (`exercise`, `staff`). */
extern const struct conf_option notify_common_options[];

#endif
