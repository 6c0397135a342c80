/* The LINE Messaging API channel: a push message to one user id, or a
 * multicast to up to 500 when the rule's target lists several ids separated
 * by commas, authorised with the channel access token.  The ids are LINE's
 * opaque user ids; they are never logged.  base_url exists for tests and
 * proxies: LINE itself cannot be reached from the test machines. */
#include "channel.h"
#include "line_webhook.h"

extern const struct notify_channel_type notify_line;

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *notify_read_secret(const char *path);
int notify_http_post(const char *url, const char *body, struct curl_slist *headers, long timeout_s,
                     const char *cainfo, char *why, size_t why_len);

#define LINE_MULTICAST_MAX 500
#define LINE_TEXT_MAX      5000

struct line {
        char *token_file;
        char *token;
        char *base_url;
        char *ca_file;
        char *channel_secret_file;
        int64_t timeout_s;
};

#define OPT(k, t, f, d, lo, hi, req, doc)                                                          \
        {                                                                                          \
                k, t, offsetof(struct line, f), d, lo, hi, NULL, req, doc                          \
        }

static const struct conf_option line_opts[] = {
    OPT("token_file", CONF_PATH, token_file, NULL, 0, 0, true,
        "File holding the channel access token (long-lived) of the city's LINE official account."),
    OPT("base_url", CONF_STRING, base_url, "https://api.line.me", 0, 0, false,
        "Messaging API base URL; change only for tests or a relay."),
    OPT("ca_file", CONF_PATH, ca_file, NULL, 0, 0, false,
        "CA certificates for base_url; default: the system's."),
    OPT("timeout", CONF_INT, timeout_s, "10", 1, 120, false, "Seconds one request may take."),
    OPT("channel_secret_file", CONF_PATH, channel_secret_file, NULL, 0, 0, false,
        "File holding the channel secret; set it to turn on /api/v1/line/webhook."),
    {0},
};

static void line_destroy(void *state)
{
        struct line *l = state;
        if (!l)
                return;
        conf_table_free(line_opts, l);
        free(l->token);
        free(l);
}

static int line_configure(const struct conf_instance *in, const char *cfgdir, const char *file,
                          struct conf_diag *diag, void **state)
{
        struct line *l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        char section[160];
        snprintf(section, sizeof(section), "notify.%s", in->name);
        int rc =
            conf_apply_table(line_opts, l, in->extra, in->n_extra, cfgdir, file, section, diag);
        if (rc == 0 && !(l->token = notify_read_secret(l->token_file))) {
                conf_diag_add(diag, true, file, in->line, section, "token_file", "cannot read");
                rc = -EINVAL;
        }
        if (rc < 0) {
                line_destroy(l);
                return rc;
        }
        *state = l;
        return 0;
}

static int line_send(void *state, const char *target, const struct notify_msg *m, char *why,
                     size_t why_len)
{
        struct line *l = state;
        json_t *to = json_array();
        char *ids = strdup(target ? target : "");
        char *text = NULL, *body = NULL;
        int rc = -ENOMEM;
        if (!to || !ids)
                goto out;
        for (char *save = NULL, *id = strtok_r(ids, ", ", &save); id;
             id = strtok_r(NULL, ", ", &save))
                json_array_append_new(to, json_string(id));
        size_t n = json_array_size(to);
        if (n == 0 || n > LINE_MULTICAST_MAX) {
                snprintf(why, why_len, "target must hold 1 to %d user ids", LINE_MULTICAST_MAX);
                rc = -EINVAL;
                goto out;
        }
        size_t tl = strlen(m->subject) + strlen(m->body) + 2;
        text = malloc(tl);
        if (!text)
                goto out;
        snprintf(text, tl, "%s\n%s", m->subject, m->body);
        /* LINE takes at most 5000 characters; cut at a UTF-8 boundary. */
        if (strlen(text) > LINE_TEXT_MAX) {
                size_t cut = LINE_TEXT_MAX;
                while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
                        cut--;
                text[cut] = 0;
        }
        json_t *doc = json_pack("{s:o, s:[{s:s, s:s}]}", "to",
                                n == 1 ? json_incref(json_array_get(to, 0)) : json_incref(to),
                                "messages", "type", "text", "text", text);
        body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!body)
                goto out;
        char url[512], auth[1024];
        snprintf(url, sizeof(url), "%s/v2/bot/message/%s", l->base_url,
                 n == 1 ? "push" : "multicast");
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", l->token);
        struct curl_slist *h = curl_slist_append(NULL, auth);
        rc = notify_http_post(url, body, h, (long)l->timeout_s, l->ca_file, why, why_len);
out:
        if (rc == -ENOMEM)
                snprintf(why, why_len, "out of memory");
        json_decref(to);
        free(ids);
        free(text);
        free(body);
        return rc;
}

int notify_line_hook_settings(const struct sonae_config *cfg, struct line_hook_settings *out)
{
        memset(out, 0, sizeof(*out));
        for (size_t i = 0; i < cfg->n_notifiers; i++) {
                const struct conf_instance *in = &cfg->notifiers[i];
                if (!in->enabled || !in->type || strcmp(in->type, "line") != 0 ||
                    !conf_instance_get(in, "channel_secret_file"))
                        continue;
                struct line *l = NULL;
                int rc = notify_channel_configure_own(&notify_line, cfg, in, (void **)&l);
                if (rc < 0)
                        return rc;
                out->channel = strdup(in->name);
                out->secret =
                    l->channel_secret_file ? notify_read_secret(l->channel_secret_file) : NULL;
                out->token = strdup(l->token);
                out->base_url = strdup(l->base_url);
                out->ca_file = l->ca_file ? strdup(l->ca_file) : NULL;
                line_destroy(l);
                if (!out->secret) {
                        notify_line_hook_settings_free(out);
                        return -EINVAL;
                }
                return 0;
        }
        return 0;
}

void notify_line_hook_settings_free(struct line_hook_settings *s)
{
        if (!s)
                return;
        free(s->channel);
        free(s->secret);
        free(s->token);
        free(s->base_url);
        free(s->ca_file);
        memset(s, 0, sizeof(*s));
}

const struct notify_channel_type notify_line = {
    .name = "line",
    .summary = "LINE Messaging API push (one id) or multicast (several) with the access token.",
    .options = line_opts,
    .configure = line_configure,
    .send = line_send,
    .destroy = line_destroy,
};
