/* The LINE webhook endpoint's settings (portal/notify/line_webhook.c) and
 * its route.  portald sets them from the config at start and on reload. */
#ifndef SONAE_NOTIFY_LINE_WEBHOOK_H
#define SONAE_NOTIFY_LINE_WEBHOOK_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

struct curl_slist;

struct line_hook_settings {
        char *channel;  /* the [notify.NAME] name, rules are written for it */
        char *secret;   /* channel secret; NULL: endpoint off */
        char *token;    /* channel access token, for replies */
        char *base_url; /* Messaging API base URL */
        char *ca_file;
};

/* From the first enabled [notify.NAME] of type line with
 * channel_secret_file; all NULL when there is none.  0 or a negative errno. */
int notify_line_hook_settings(const struct sonae_config *cfg, struct line_hook_settings *out);
void notify_line_hook_settings_free(struct line_hook_settings *s);
/* Replaces the endpoint's settings (copied); NULL turns it off. */
void notify_line_webhook_set(const struct line_hook_settings *s);
/* X-Line-Signature check: base64 of HMAC-SHA256(body) with the secret. */
bool notify_line_signature_ok(const char *secret, const void *body, size_t len, const char *sig);

int notify_http_post(const char *url, const char *body, struct curl_slist *headers, long timeout_s,
                     const char *cainfo, char *why, size_t why_len);

#endif
