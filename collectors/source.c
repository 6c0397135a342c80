#include "source.h"

#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT(k, t, st, f, d, lo, hi, ch, req, doc)                                                  \
        {                                                                                          \
                k, t, offsetof(st, f), d, lo, hi, ch, req, doc                                     \
        }

const struct conf_option source_common_options[] = {
    OPT("timeout", CONF_INT, struct source_common, timeout_s, "30", 1, 600, NULL, false,
        "Deadline of one HTTP request, redirects included, in seconds."),
    OPT("connect_timeout", CONF_INT, struct source_common, connect_timeout_s, "10", 1, 120, NULL,
        false, "Deadline for the TCP and TLS connection, in seconds."),
    OPT("max_bytes", CONF_INT, struct source_common, max_bytes, "8388608", 1024, 268435456, NULL,
        false, "Largest body accepted; a longer one is refused and the poll fails."),
    OPT("backoff_max", CONF_INT, struct source_common, backoff_max_s, "3600", 10, 86400, NULL,
        false, "Longest wait after repeated failures: the interval doubles up to this."),
    OPT("contact", CONF_STRING, struct source_common, contact, "", 0, 0, NULL, false,
        "URL or e-mail put in the User-Agent; default [portal] public_base_url."),
    OPT("exercise", CONF_BOOL, struct source_common, exercise, "false", 0, 0, NULL, false,
        "A drill's source (訓練): its stations are kept apart from real ones, marked exercise "
        "and 【訓練】, and removed by `sonae drill stop`. Set by `sonae drill start` only."),
    {0},
};

const struct source_type *source_type_find(const char *name)
{
        if (!name)
                return NULL;
        for (size_t i = 0; source_types[i]; i++)
                if (strcmp(source_types[i]->name, name) == 0)
                        return source_types[i];
        return NULL;
}

static bool in_table(const struct conf_option *t, const char *key)
{
        for (; t && t->key; t++)
                if (strcmp(t->key, key) == 0)
                        return true;
        return false;
}

/* Applies table to the extra pairs that are (want_common) or are not framework keys. */
static int apply_filtered(const struct conf_option *table, void *out,
                          const struct conf_instance *in, const struct sonae_config *cfg,
                          struct conf_diag *diag, bool want_common)
{
        struct conf_kv *kv = calloc(in->n_extra ? in->n_extra : 1, sizeof(*kv));
        if (!kv)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < in->n_extra; i++)
                if (in_table(source_common_options, in->extra[i].key) == want_common)
                        kv[n++] = in->extra[i];
        char section[160];
        snprintf(section, sizeof(section), "source.%s", in->name ? in->name : "?");
        int rc = conf_apply_table(table, out, kv, n, cfg ? cfg->dir : NULL, cfg ? cfg->file : NULL,
                                  section, diag);
        free(kv);
        return rc;
}

int source_conf_apply(const struct conf_option *own, void *out, const struct conf_instance *in,
                      const struct sonae_config *cfg, struct conf_diag *diag)
{
        return apply_filtered(own, out, in, cfg, diag, false);
}

int source_common_apply(struct source_common *out, const struct conf_instance *in,
                        const struct sonae_config *cfg, struct conf_diag *diag)
{
        return apply_filtered(source_common_options, out, in, cfg, diag, true);
}

int source_conf_error(const struct conf_instance *in, const struct sonae_config *cfg,
                      struct conf_diag *diag, const char *key, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        int line = in->line;
        for (size_t i = 0; key && i < in->n_extra; i++)
                if (strcmp(in->extra[i].key, key) == 0)
                        line = in->extra[i].line;
        char section[160];
        snprintf(section, sizeof(section), "source.%s", in->name ? in->name : "?");
        conf_diag_add(diag, true, cfg ? cfg->file : NULL, line, section, key, "%s", msg);
        return -EINVAL;
}

void source_why(struct source_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->why, sizeof(ctx->why), fmt, ap);
        va_end(ap);
}

int source_fetch(struct source_ctx *ctx, const char *url, unsigned flags, struct fetch_result *res)
{
        int rc = fetch_get(ctx->fetch, url, flags, res);
        if (rc == 0 && res->not_modified) {
                log_debug("%s: GET %s: 304 not modified (%lld ms)", ctx->name, url,
                          (long long)res->elapsed_ms);
        } else if (rc == 0) {
                log_info("%s: GET %s: %ld, %zu bytes, sha256 %.16s (%lld ms)", ctx->name, url,
                         res->status, res->body.len, res->sha256, (long long)res->elapsed_ms);
        } else if (rc == -EPROTO) {
                source_why(ctx, "GET %s: HTTP %ld", url, res->status);
        } else {
                source_why(ctx, "GET %s: %s%s%s%s", url, fetch_strerror(rc),
                           res->error[0] ? " (" : "", res->error, res->error[0] ? ")" : "");
        }
        return rc;
}
