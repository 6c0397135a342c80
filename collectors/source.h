/* The contract between sonae-collectd's scheduler and its sources.
 *
 * A source is one file under collectors/sources/: private state, static
 * helpers, a configure function that parses the instance's own keys with
 * source_conf_apply() (conf_apply_table over conf_instance.extra), a poll
 * function that returns a status, and one `const struct source_type`
 * descriptor at the bottom.  Descriptors are listed in the static table of
 * collectors/sources.c; nothing is loaded at run time.
 *
 * The scheduler owns everything around a poll: one worker thread per
 * instance, the interval, the backoff (doubled on each failure up to
 * backoff_max, reset on success), the HTTP handle and its limits, and the
 * damped failure and "recovered" log lines.  A poll only fetches, parses and
 * writes; it never sleeps or retries on its own. */
#ifndef SONAE_SOURCE_H
#define SONAE_SOURCE_H

#include "config.h"
#include "fetch.h"

#include <stdarg.h>
#include <stdint.h>

struct store;

enum poll_status {
        POLL_OK = 0,    /* new data taken */
        POLL_UNCHANGED, /* nothing new (304, same bytes): also a success */
        POLL_FAILED,    /* transient trouble: network, HTTP status, store busy */
        POLL_BAD_DATA,  /* a body came but could not be used at all */
};

/* What a poll is given.  Owned by the scheduler; valid during the poll. */
struct source_ctx {
        const char *name;               /* instance name, "kriver-yamagata" */
        const struct conf_instance *in; /* the instance's section */
        const struct sonae_config *cfg; /* the whole config */
        struct fetch *fetch;            /* this instance's HTTP handle */
        struct store *store;            /* NULL when the daemon runs without one */
        int64_t interval_s;             /* the configured interval */
        unsigned polls;                 /* polls before this one */
        /* The instance's `exercise`: a drill's source (`sonae drill
         * start`), whose stations are written marked exercise
         * (store_station.exercise). */
        bool exercise;
        char why[256]; /* a failed poll's reason, for the log */
};

struct source_type {
        const char *name;    /* the `type =` value */
        const char *summary; /* one line for the docs */
        /* The type's own keys, for docs; configure applies them. */
        const struct conf_option *options;
        /* When set, the type also runs as one instance named after this
         * config section ("jma"), built from that section rather than from a
         * [source.NAME] section; `in` then has no extra keys. */
        const char *section;
        int64_t default_interval_s; /* for section instances */
        /* Section types only: whether the section asks for the instance
         * (e.g. [jma] feeds not empty).  NULL: always. */
        bool (*wanted)(const struct sonae_config *cfg);
        /* Section types only: the interval the section sets (e.g. [jma]
         * interval).  NULL: default_interval_s. */
        int64_t (*interval_of)(const struct sonae_config *cfg);
        /* Section types only: the name the instance runs and reports its
         * health under when drill_of says the section is a drill's own
         * collector's (`sonae drill start`); such an instance is exercise
         * (source_ctx.exercise) as a [source.NAME] with exercise = true. */
        const char *drill_name;
        bool (*drill_of)(const struct sonae_config *cfg);
        /* The site updates this often: a shorter interval is warned about
         * (polite polling).  0: no advice. */
        int64_t polite_interval_s;
        /* Parses and checks the instance's keys, creating the private
         * state (caller frees it with destroy, also after a failure).
         * Errors go to diag with file, line and key.  Runs for -n too (for
         * section types whether wanted or not), so it must not connect. */
        int (*configure)(const struct conf_instance *in, const struct sonae_config *cfg,
                         struct conf_diag *diag, void **state);
        enum poll_status (*poll)(void *state, struct source_ctx *ctx);
        /* Accepts NULL. */
        void (*destroy)(void *state);
};

/* The built-in types, in collectors/sources.c.  NULL-terminated. */
extern const struct source_type *const source_types[];
const struct source_type *source_type_find(const char *name);

/* The framework's keys, valid in every [source.NAME] section and read by
 * the scheduler: timeout, connect_timeout, max_bytes, backoff_max, contact,
 * exercise.
 * Documented in docs/collectd.md. */
struct source_common {
        int64_t timeout_s;
        int64_t connect_timeout_s;
        int64_t max_bytes;
        int64_t backoff_max_s;
        char *contact;
        bool exercise;
};
extern const struct conf_option source_common_options[];

/* Applies a type's own table to the instance's extra keys, leaving out the
 * framework's keys.  Strings in out are owned by out: free them with
 * conf_table_free(own, out).  Returns 0 or -EINVAL (diagnostics in diag). */
int source_conf_apply(const struct conf_option *own, void *out, const struct conf_instance *in,
                      const struct sonae_config *cfg, struct conf_diag *diag);
/* The same for the framework's keys. */
int source_common_apply(struct source_common *out, const struct conf_instance *in,
                        const struct sonae_config *cfg, struct conf_diag *diag);

/* For configure(): an error about key of instance in (file and line of the
 * key when present).  Returns -EINVAL. */
int source_conf_error(const struct conf_instance *in, const struct sonae_config *cfg,
                      struct conf_diag *diag, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* For poll(): fetches url through the instance's handle and logs one line
 * (URL, status, bytes, sha256 prefix; never the body).  On failure the
 * reason is written to ctx->why.  Return as fetch_get(). */
int source_fetch(struct source_ctx *ctx, const char *url, unsigned flags, struct fetch_result *res);
/* For poll(): records a failure reason in ctx->why. */
void source_why(struct source_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
