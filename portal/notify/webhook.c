/* The webhook channel: a JSON POST to the rule's target URL, signed with
 * HMAC-SHA256 over the body in `X-Sonae-Signature: sha256=HEX` when a
 * secret is configured.  The body carries the rendered message and the
 * event's identity, never a resident's data. */
#include "channel.h"

#include "buf.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct webhook {
        char *secret_file;
        char *secret;
        int64_t timeout_s;
};

#define OPT(k, t, f, d, lo, hi, doc)                                                               \
        {                                                                                          \
                k, t, offsetof(struct webhook, f), d, lo, hi, NULL, false, doc                     \
        }

static const struct conf_option webhook_opts[] = {
    OPT("secret_file", CONF_PATH, secret_file, NULL, 0, 0,
        "File holding the HMAC-SHA256 key for X-Sonae-Signature; none: unsigned."),
    OPT("timeout", CONF_INT, timeout_s, "10", 1, 120, "Seconds one POST may take."),
    {0},
};

/* Reads the first line of a small secret file; NULL when unreadable. */
char *notify_read_secret(const char *path);
char *notify_read_secret(const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        char line[1024];
        char *r = fgets(line, sizeof(line), f) ? line : NULL;
        fclose(f);
        if (!r)
                return NULL;
        line[strcspn(line, "\r\n")] = 0;
        return strdup(line);
}

static int webhook_configure(const struct conf_instance *in, const char *cfgdir, const char *file,
                             struct conf_diag *diag, void **state)
{
        struct webhook *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        char section[160];
        snprintf(section, sizeof(section), "notify.%s", in->name);
        int rc =
            conf_apply_table(webhook_opts, w, in->extra, in->n_extra, cfgdir, file, section, diag);
        if (rc == 0 && w->secret_file) {
                w->secret = notify_read_secret(w->secret_file);
                if (!w->secret) {
                        conf_diag_add(diag, true, file, in->line, section, "secret_file",
                                      "cannot read");
                        rc = -EINVAL;
                }
        }
        if (rc < 0) {
                conf_table_free(webhook_opts, w);
                free(w->secret);
                free(w);
                return rc;
        }
        *state = w;
        return 0;
}

void notify_hmac_hex(const char *key, const char *data, size_t len, char out[65]);
void notify_hmac_hex(const char *key, const char *data, size_t len, char out[65])
{
        unsigned char mac[32];
        unsigned int ml = 0;
        HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac, &ml);
        for (unsigned i = 0; i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
        (void)p;
        (void)u;
        return s * n;
}

/* One POST of a JSON body with extra headers; the reply body is ignored.
 * Returns 0 on 2xx. */
int notify_http_post(const char *url, const char *body, struct curl_slist *headers, long timeout_s,
                     const char *cainfo, char *why, size_t why_len);
int notify_http_post(const char *url, const char *body, struct curl_slist *headers, long timeout_s,
                     const char *cainfo, char *why, size_t why_len)
{
        CURL *c = curl_easy_init();
        if (!c) {
                snprintf(why, why_len, "curl init failed");
                return -ENOMEM;
        }
        headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "sonae-notify");
        if (cainfo)
                curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
        CURLcode cr = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
        if (cr != CURLE_OK) {
                snprintf(why, why_len, "%s", curl_easy_strerror(cr));
                return -EIO;
        }
        if (status < 200 || status > 299) {
                snprintf(why, why_len, "HTTP %ld", status);
                return -EIO;
        }
        return 0;
}

static int webhook_send(void *state, const char *target, const struct notify_msg *m, char *why,
                        size_t why_len)
{
        struct webhook *w = state;
        json_t *o = json_pack("{s:s, s:s, s:I, s:n, s:b, s:b, s:s, s:s}", "type",
                              m->type ? m->type : "", "subject", m->event_subj ? m->event_subj : "",
                              "event_id", (json_int_t)m->event_id, "level", "exercise", m->exercise,
                              "recovery", m->recovery, "title", m->subject, "text", m->body);
        if (o && m->level > 0)
                json_object_set_new(o, "level", json_integer(m->level));
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        int rc = -ENOMEM;
        if (!text)
                goto out;
        struct curl_slist *h = NULL;
        if (w->secret) {
                char hex[65], line[100];
                notify_hmac_hex(w->secret, text, strlen(text), hex);
                snprintf(line, sizeof(line), "X-Sonae-Signature: sha256=%s", hex);
                h = curl_slist_append(h, line);
        }
        rc = notify_http_post(target, text, h, (long)w->timeout_s, NULL, why, why_len);
out:
        free(text);
        return rc;
}

static void webhook_destroy(void *state)
{
        struct webhook *w = state;
        if (!w)
                return;
        conf_table_free(webhook_opts, w);
        free(w->secret);
        free(w);
}

const struct notify_channel_type notify_webhook = {
    .name = "webhook",
    .summary = "JSON POST to the rule's URL, HMAC-SHA256 signed.",
    .options = webhook_opts,
    .configure = webhook_configure,
    .send = webhook_send,
    .destroy = webhook_destroy,
};
