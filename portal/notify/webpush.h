/* Web Push (portal/notify/webpush.c): what the residents' endpoints of
 * portald (portal/notify/webpush_api.c) need of the channel.
 *
 * A subscription is kept as one notify rule of the webpush channel whose
 * target is the canonical JSON {"endpoint", "p256dh", "auth"} (the
 * browser's PushSubscription, nothing else), with the district and the
 * lowest level the resident chose. */
#ifndef SONAE_NOTIFY_WEBPUSH_H
#define SONAE_NOTIFY_WEBPUSH_H

#include "config.h"

#include <jansson.h>
#include <stddef.h>

#define WEBPUSH_ENDPOINT_MAX 1500
#define WEBPUSH_BODY_MAX     4096 /* a subscribe request's body */

struct webpush_settings {
        char *channel;    /* the [notify.NAME] name; NULL: endpoints off */
        char *public_key; /* the VAPID public key, base64url (65 bytes, uncompressed) */
        char *hosts;      /* endpoint_hosts of the channel */
        int64_t max_subscriptions;
};

/* From the first enabled [notify.NAME] of type webpush; all NULL when there
 * is none.  0 or a negative errno (an unreadable key). */
int notify_webpush_settings(const struct sonae_config *cfg, struct webpush_settings *out);
void notify_webpush_settings_free(struct webpush_settings *s);
/* Replaces the endpoints' settings (copied); NULL turns them off. */
void notify_webpush_set(const struct webpush_settings *s);

/* Checks a PushSubscription object ({"endpoint", "keys": {"p256dh",
 * "auth"}}, "expirationTime" ignored) against the allowed hosts: https,
 * a host of the list, p256dh a point of P-256, auth 16 bytes.  On success
 * *target is the canonical JSON (caller frees); else -EINVAL with a short
 * reason in why. */
int notify_webpush_subscription(const char *hosts, json_t *sub, char **target, char *why,
                                size_t why_len);
/* The endpoint of a stored target (malloc'd), or NULL when target is not
 * a Web Push subscription. */
char *notify_webpush_target_endpoint(const char *target);

#endif
