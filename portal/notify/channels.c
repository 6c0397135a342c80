/* The static table of notification channels (one file each). */
#include "channel.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

extern const struct notify_channel_type notify_webhook;
extern const struct notify_channel_type notify_smtp;
extern const struct notify_channel_type notify_line;
extern const struct notify_channel_type notify_webpush;

/* One channel a line keeps merges trivial. */
/* clang-format off */
const struct notify_channel_type *const notify_channel_types[] = {
    &notify_webhook,
    &notify_smtp,
    &notify_line,
    &notify_webpush,
    NULL,
};
/* clang-format on */

#define OPT(k, t, f, d, doc)                                                                       \
        {                                                                                          \
                k, t, offsetof(struct notify_common, f), d, 0, 0, NULL, false, doc                 \
        }

const struct conf_option notify_common_options[] = {
    OPT("exercise", CONF_BOOL, exercise, "false",
        "Whether the channel also receives drills and demos (marked 訓練)."),
    OPT("staff", CONF_BOOL, staff, "false",
        "Whether this is a staff channel: the watchdog writes here."),
    OPT("staff_to", CONF_STRING, staff_to, NULL,
        "Target of the watchdog's messages on a staff channel (address, URL, LINE id)."),
    {"watchdog_silence", CONF_INT, offsetof(struct notify_common, watchdog_silence), "0", 0, 10080,
     NULL, false, "Minutes without any station report before the watchdog warns; 0: off."},
    OPT("watchdog_daemons", CONF_STRING, watchdog_daemons, NULL,
        "Daemons the watchdog checks are running (their heartbeat files), separated by spaces: "
        "sonae-collectd sonae-ingestd."),
    {0},
};

const struct notify_channel_type *notify_channel_find(const char *name)
{
        for (size_t i = 0; name && notify_channel_types[i]; i++)
                if (strcmp(notify_channel_types[i]->name, name) == 0)
                        return notify_channel_types[i];
        return NULL;
}

int notify_channel_configure_own(const struct notify_channel_type *t,
                                 const struct sonae_config *cfg, const struct conf_instance *in,
                                 void **state)
{
        *state = NULL;
        struct conf_instance own = *in;
        own.extra = calloc(in->n_extra + 1, sizeof(*own.extra));
        own.n_extra = 0;
        if (!own.extra)
                return -ENOMEM;
        for (size_t k = 0; k < in->n_extra; k++)
                for (const struct conf_option *o = t->options; o->key; o++)
                        if (strcmp(o->key, in->extra[k].key) == 0)
                                own.extra[own.n_extra++] = in->extra[k];
        struct conf_diag diag;
        conf_diag_init(&diag);
        int rc = t->configure(&own, cfg->dir, cfg->file, &diag, state);
        conf_diag_free(&diag);
        free(own.extra);
        return rc;
}
