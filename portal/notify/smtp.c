/* The e-mail channel: one message per target address through an SMTP
 * relay with libcurl, STARTTLS required unless `starttls = false` (a relay
 * on the same host).  Subject in RFC 2047 base64 UTF-8, body UTF-8 8bit. */
#include "channel.h"

#include "buf.h"
#include "timeutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *notify_read_secret(const char *path);

struct smtp {
        char *url;  /* smtp://host:port or smtps:// */
        char *from; /* envelope and header sender */
        char *username;
        char *password_file;
        char *password;
        char *ca_file;
        bool starttls;
        int64_t timeout_s;
};

#define OPT(k, t, f, d, lo, hi, req, doc)                                                          \
        {                                                                                          \
                k, t, offsetof(struct smtp, f), d, lo, hi, NULL, req, doc                          \
        }

static const struct conf_option smtp_opts[] = {
    OPT("url", CONF_STRING, url, NULL, 0, 0, true,
        "The relay: smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT."),
    OPT("from", CONF_STRING, from, NULL, 0, 0, true, "Sender address of the messages."),
    OPT("username", CONF_STRING, username, NULL, 0, 0, false, "Login at the relay, if any."),
    OPT("password_file", CONF_PATH, password_file, NULL, 0, 0, false,
        "File holding the relay password."),
    OPT("ca_file", CONF_PATH, ca_file, NULL, 0, 0, false,
        "CA certificates for the relay's TLS; default: the system's."),
    OPT("starttls", CONF_BOOL, starttls, "true", 0, 0, false,
        "Require STARTTLS; false only for a relay on the same host."),
    OPT("timeout", CONF_INT, timeout_s, "20", 1, 300, false, "Seconds one message may take."),
    {0},
};

static void smtp_destroy(void *state)
{
        struct smtp *s = state;
        if (!s)
                return;
        conf_table_free(smtp_opts, s);
        free(s->password);
        free(s);
}

static int smtp_configure(const struct conf_instance *in, const char *cfgdir, const char *file,
                          struct conf_diag *diag, void **state)
{
        struct smtp *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        char section[160];
        snprintf(section, sizeof(section), "notify.%s", in->name);
        int rc =
            conf_apply_table(smtp_opts, s, in->extra, in->n_extra, cfgdir, file, section, diag);
        if (rc == 0 && s->url && strncmp(s->url, "smtp://", 7) != 0 &&
            strncmp(s->url, "smtps://", 8) != 0) {
                conf_diag_add(diag, true, file, in->line, section, "url",
                              "must be smtp:// or smtps://");
                rc = -EINVAL;
        }
        if (rc == 0 && s->password_file && !(s->password = notify_read_secret(s->password_file))) {
                conf_diag_add(diag, true, file, in->line, section, "password_file", "cannot read");
                rc = -EINVAL;
        }
        if (rc < 0) {
                smtp_destroy(s);
                return rc;
        }
        *state = s;
        return 0;
}

struct reader {
        const char *p;
        size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t n, void *u)
{
        struct reader *r = u;
        size_t k = size * n < r->left ? size * n : r->left;
        memcpy(dst, r->p, k);
        r->p += k;
        r->left -= k;
        return k;
}

/* A header or address must not carry a line break (header injection). */
static bool one_line(const char *s)
{
        return s && !strpbrk(s, "\r\n");
}

static int smtp_send(void *state, const char *target, const struct notify_msg *m, char *why,
                     size_t why_len)
{
        struct smtp *s = state;
        if (!one_line(target) || !one_line(m->subject) || !strchr(target, '@')) {
                snprintf(why, why_len, "bad address or subject");
                return -EINVAL;
        }
        /* The subject as RFC 2047 base64 UTF-8. */
        size_t sl = strlen(m->subject);
        char *b64 = malloc(4 * ((sl + 2) / 3) + 1);
        struct buf msg;
        buf_init(&msg, 256 * 1024);
        CURL *c = NULL;
        struct curl_slist *rcpt = NULL;
        int rc = -ENOMEM;
        if (!b64)
                goto out;
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)m->subject, (int)sl);
        char date[64];
        time_t now = (time_t)(time_now_ms() / 1000);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
        buf_printf(&msg,
                   "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\nMessage-ID: <sonae-%lld-%lld@sonae>\r\n"
                   "\r\n",
                   date, s->from, target, b64, m->event_id, (long long)now);
        /* Body lines in CRLF; libcurl dot-stuffs lines that start with '.'. */
        for (const char *p = m->body; p && *p;) {
                size_t n = strcspn(p, "\n");
                buf_append(&msg, p, n);
                buf_puts(&msg, "\r\n");
                p += n;
                if (*p == '\n')
                        p++;
        }
        if (!msg.data)
                goto out;
        c = curl_easy_init();
        if (!c)
                goto out;
        rcpt = curl_slist_append(NULL, target);
        struct reader r = {msg.data, msg.len};
        curl_easy_setopt(c, CURLOPT_URL, s->url);
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, s->from);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(c, CURLOPT_READDATA, &r);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)s->timeout_s);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)s->timeout_s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        if (s->starttls)
                curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        if (s->ca_file)
                curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
        if (s->username)
                curl_easy_setopt(c, CURLOPT_USERNAME, s->username);
        if (s->password)
                curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
        CURLcode cr = curl_easy_perform(c);
        if (cr != CURLE_OK) {
                snprintf(why, why_len, "%s", curl_easy_strerror(cr));
                rc = -EIO;
                goto out;
        }
        rc = 0;
out:
        if (rc == -ENOMEM)
                snprintf(why, why_len, "out of memory");
        curl_slist_free_all(rcpt);
        curl_easy_cleanup(c);
        buf_free(&msg);
        free(b64);
        return rc;
}

const struct notify_channel_type notify_smtp = {
    .name = "smtp",
    .summary = "E-mail through an SMTP relay with STARTTLS (libcurl).",
    .options = smtp_opts,
    .configure = smtp_configure,
    .send = smtp_send,
    .destroy = smtp_destroy,
};
