#include "collectd.h"

#include "fetch.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct instance {
        struct collectd *owner;
        const struct source_type *type;
        struct conf_instance synth; /* for section instances ("jma") */
        const struct conf_instance *in;
        struct source_common common;
        void *state;
        struct fetch *fetch;
        struct store *store; /* this worker's own handle (one thread each) */
        struct log_complain complain;
        int64_t interval_ms;
        int64_t backoff_max_ms;
        pthread_t thread;
        bool running;
};

struct collectd {
        const struct source_type *const *types; /* source_types, or a test's own */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        volatile int stopping;
        const struct sonae_config *cfg;
        struct store *store; /* the main thread's handle, for the tick */
        struct log_complain store_complain;
        int64_t next_refresh, next_checkpoint;
        struct instance *v;
        size_t n;
};

/* Tests run the schedule faster: SONAE_COLLECTD_SECOND_MS sets how many
 * milliseconds a configured second lasts (default 1000).  HTTP deadlines
 * are not scaled. */
static int64_t second_ms(void)
{
        const char *s = getenv("SONAE_COLLECTD_SECOND_MS");
        if (!s || !*s)
                return 1000;
        char *end;
        long v = strtol(s, &end, 10);
        if (*end || v < 1 || v > 1000)
                return 1000;
        return v;
}

static const struct source_type *find_type(const struct source_type *const *types, const char *name)
{
        for (size_t i = 0; name && types[i]; i++)
                if (strcmp(types[i]->name, name) == 0)
                        return types[i];
        return NULL;
}

/* The instance of a section type ("jma"), built from its section. */
static bool section_drill(const struct source_type *t, const struct sonae_config *cfg)
{
        return t->drill_name && t->drill_of && cfg && t->drill_of(cfg);
}

static void section_instance(const struct source_type *t, const struct sonae_config *cfg,
                             struct conf_instance *out)
{
        memset(out, 0, sizeof(*out));
        out->name = (char *)(section_drill(t, cfg) ? t->drill_name : t->section);
        out->type = (char *)t->name;
        out->enabled = true;
        out->interval = t->interval_of && cfg ? t->interval_of(cfg) : t->default_interval_s;
}

static int check_instance(const struct source_type *const *types, const struct conf_instance *in,
                          const struct sonae_config *cfg, struct conf_diag *diag)
{
        const struct source_type *t = find_type(types, in->type);
        if (!t)
                return source_conf_error(in, cfg, diag, "type",
                                         "type '%s' is not built into this sonae-collectd",
                                         in->type ? in->type : "");
        int rc = 0;
        struct source_common common = {0};
        if (source_common_apply(&common, in, cfg, diag) < 0)
                rc = -EINVAL;
        conf_table_free(source_common_options, &common);
        if (in->url && in->url[0] && !fetch_url_allowed(in->url))
                rc = source_conf_error(in, cfg, diag, "url",
                                       "'%s' is not allowed: HTTPS is required except to "
                                       "loopback, and no credentials in the URL",
                                       in->url);
        if (t->polite_interval_s && in->interval < t->polite_interval_s) {
                /* The section's line: the shared table keeps no line per key. */
                int line = in->line;
                char section[160];
                snprintf(section, sizeof(section), "source.%s", in->name);
                conf_diag_add(diag, false, cfg->file, line, section, "interval",
                              "%lld s is shorter than the %lld s in which the site updates; "
                              "polling faster gains nothing and burdens the site",
                              (long long)in->interval, (long long)t->polite_interval_s);
        }
        void *state = NULL;
        if (t->configure(in, cfg, diag, &state) < 0)
                rc = -EINVAL;
        t->destroy(state);
        return rc;
}

int collectd_check_types(const struct source_type *const *types, const struct sonae_config *cfg,
                         struct conf_diag *diag)
{
        int rc = 0;
        for (size_t i = 0; i < cfg->n_sources; i++)
                if (check_instance(types, &cfg->sources[i], cfg, diag) < 0)
                        rc = -EINVAL;
        for (size_t i = 0; types[i]; i++) {
                if (!types[i]->section)
                        continue;
                struct conf_instance in;
                section_instance(types[i], cfg, &in);
                void *state = NULL;
                if (types[i]->configure(&in, cfg, diag, &state) < 0)
                        rc = -EINVAL;
                types[i]->destroy(state);
        }
        return rc;
}

int collectd_check(const struct sonae_config *cfg, struct conf_diag *diag)
{
        return collectd_check_types(source_types, cfg, diag);
}

struct collectd *collectd_new(void)
{
        return collectd_new_types(source_types);
}

struct collectd *collectd_new_types(const struct source_type *const *types)
{
        struct collectd *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->types = types;
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&c->cond, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&c->lock, NULL);
        return c;
}

/* Waits until the monotonic deadline or the stop flag; true when stopping. */
static bool wait_until(struct collectd *c, int64_t deadline_ms)
{
        struct timespec ts = {.tv_sec = deadline_ms / 1000,
                              .tv_nsec = (long)(deadline_ms % 1000) * 1000000L};
        pthread_mutex_lock(&c->lock);
        while (!c->stopping && time_mono_ms() < deadline_ms)
                pthread_cond_timedwait(&c->cond, &c->lock, &ts);
        bool stop = c->stopping;
        pthread_mutex_unlock(&c->lock);
        return stop;
}

static const char *status_name(enum poll_status s)
{
        switch (s) {
        case POLL_OK:
                return "ok";
        case POLL_UNCHANGED:
                return "unchanged";
        case POLL_FAILED:
                return "failed";
        case POLL_BAD_DATA:
                return "bad data";
        }
        return "?";
}

/* After this many failed polls in a row a source is reported failing. */
#define HEALTH_FAILURES 3

/* A source.health event (staff only, not public) when a source starts
 * failing and when it recovers, so a silent source wakes someone.  A
 * drill's source (`exercise = true`) tells it as an exercise event: it
 * reaches only the exercise channels, never the real system's watchers. */
static void emit_health(struct instance *it, const char *state, unsigned failures, const char *why)
{
        if (!it->store)
                return;
        json_t *d =
            json_pack("{s:s, s:s, s:s, s:i, s:s}", "source", it->in->name, "type", it->type->name,
                      "state", state, "failures", (json_int_t)failures, "reason", why ? why : "");
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        char subject[160];
        snprintf(subject, sizeof(subject), "sources/%s", it->in->name);
        int rc = text ? store_event_emit(it->store, "source.health", subject, 0, false,
                                         it->common.exercise, text)
                      : -ENOMEM;
        if (rc < 0)
                log_warn("%s: source.health event not written: %s", it->in->name,
                         store_strerror(rc));
        free(text);
        json_decref(d);
}

static void *worker(void *arg)
{
        struct instance *it = arg;
        struct collectd *c = it->owner;
        int64_t wait_ms = it->interval_ms;
        unsigned polls = 0, failures = 0;
        int64_t next = time_mono_ms(); /* first poll at once */
        while (!wait_until(c, next)) {
                struct source_ctx ctx = {
                    .name = it->in->name,
                    .in = it->in,
                    .cfg = c->cfg,
                    .fetch = it->fetch,
                    .interval_s = it->in->interval,
                    .polls = polls,
                    .exercise = it->common.exercise,
                };
                enum poll_status st;
                int src = it->store ? 0 : store_open_config(c->cfg, &it->store);
                if (src < 0) {
                        /* No store, no point fetching: try again later. */
                        source_why(&ctx, "store: %s", store_strerror(src));
                        st = POLL_FAILED;
                } else {
                        ctx.store = it->store;
                        st = it->type->poll(it->state, &ctx);
                }
                polls++;
                if (c->stopping)
                        break;
                if (st == POLL_OK || st == POLL_UNCHANGED) {
                        if (failures >= HEALTH_FAILURES)
                                emit_health(it, "ok", 0, NULL);
                        if (failures)
                                log_recovered(&it->complain, "%s: polls succeed again", ctx.name);
                        failures = 0;
                        wait_ms = it->interval_ms;
                        log_debug("%s: poll %s; next in %lld ms", ctx.name, status_name(st),
                                  (long long)wait_ms);
                } else {
                        failures++;
                        if (failures == HEALTH_FAILURES)
                                emit_health(it, "failing", failures, ctx.why);
                        wait_ms =
                            wait_ms * 2 > it->backoff_max_ms ? it->backoff_max_ms : wait_ms * 2;
                        log_complain(&it->complain, LOG_LVL_WARN,
                                     "%s: poll %s (%s); failure %u, next try in %lld ms", ctx.name,
                                     status_name(st), ctx.why[0] ? ctx.why : "no reason", failures,
                                     (long long)wait_ms);
                }
                next = time_mono_ms() + wait_ms;
        }
        return NULL;
}

static void free_instance(struct instance *it)
{
        if (it->type && it->state)
                it->type->destroy(it->state);
        fetch_free(it->fetch);
        store_close(it->store);
        conf_table_free(source_common_options, &it->common);
        memset(it, 0, sizeof(*it));
}

static int setup_instance(struct collectd *c, struct instance *it)
{
        const struct sonae_config *cfg = c->cfg;
        struct conf_diag diag;
        conf_diag_init(&diag);
        int rc = source_common_apply(&it->common, it->in, cfg, &diag);
        if (rc == 0)
                rc = it->type->configure(it->in, cfg, &diag, &it->state);
        if (rc < 0) {
                log_err("%s: cannot configure: %s", it->in->name,
                        diag.text.data ? diag.text.data : "invalid");
                goto out;
        }
        const char *contact = it->common.contact && it->common.contact[0]
                                  ? it->common.contact
                                  : cfg->portal.public_base_url;
        char ua[256];
        fetch_user_agent(contact, ua, sizeof(ua));
        struct fetch_opts fo = {
            .connect_timeout_ms = it->common.connect_timeout_s * 1000,
            .timeout_ms = it->common.timeout_s * 1000,
            .max_bytes = (size_t)it->common.max_bytes,
            .user_agent = ua,
            .cancel = &c->stopping,
        };
        it->fetch = fetch_new(&fo);
        if (!it->fetch) {
                rc = -ENOMEM;
                goto out;
        }
        int64_t sec = second_ms();
        it->interval_ms = it->in->interval * sec;
        it->backoff_max_ms = it->common.backoff_max_s * sec;
        if (it->backoff_max_ms < it->interval_ms)
                it->backoff_max_ms = it->interval_ms;
out:
        conf_diag_free(&diag);
        return rc;
}

int collectd_start(struct collectd *c, const struct sonae_config *cfg)
{
        collectd_stop(c);
        c->cfg = cfg;
        c->stopping = 0;
        c->next_refresh = c->next_checkpoint = 0;
        size_t want = cfg->n_sources;
        for (size_t i = 0; c->types[i]; i++)
                if (c->types[i]->section)
                        want++;
        c->v = calloc(want ? want : 1, sizeof(*c->v));
        if (!c->v)
                return -ENOMEM;
        c->n = 0;
        for (size_t i = 0; i < cfg->n_sources; i++) {
                const struct conf_instance *in = &cfg->sources[i];
                if (!in->enabled) {
                        log_info("%s: disabled", in->name);
                        continue;
                }
                struct instance *it = &c->v[c->n];
                it->owner = c;
                it->in = in;
                it->type = find_type(c->types, in->type);
                if (!it->type || setup_instance(c, it) < 0) {
                        free_instance(it);
                        continue;
                }
                c->n++;
        }
        for (size_t i = 0; c->types[i]; i++) {
                const struct source_type *t = c->types[i];
                if (!t->section || (t->wanted && !t->wanted(cfg)))
                        continue;
                struct instance *it = &c->v[c->n];
                it->owner = c;
                it->type = t;
                section_instance(t, cfg, &it->synth);
                it->in = &it->synth;
                if (setup_instance(c, it) < 0) {
                        free_instance(it);
                        continue;
                }
                if (section_drill(t, cfg))
                        it->common.exercise = true;
                c->n++;
        }
        for (size_t i = 0; i < c->n; i++) {
                struct instance *it = &c->v[i];
                int e = pthread_create(&it->thread, NULL, worker, it);
                if (e) {
                        log_err("%s: cannot start a thread: %s", it->in->name, strerror(e));
                        continue;
                }
                it->running = true;
                log_info("%s: polling %s every %lld s", it->in->name,
                         it->in->url && it->in->url[0] ? it->in->url : "(type default)",
                         (long long)it->in->interval);
        }
        return 0;
}

void collectd_stop(struct collectd *c)
{
        if (!c || !c->v)
                return;
        pthread_mutex_lock(&c->lock);
        c->stopping = 1;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
        for (size_t i = 0; i < c->n; i++) {
                if (c->v[i].running)
                        pthread_join(c->v[i].thread, NULL);
                free_instance(&c->v[i]);
        }
        free(c->v);
        c->v = NULL;
        c->n = 0;
        store_close(c->store);
        c->store = NULL;
}

int64_t collectd_tick(struct collectd *c)
{
        if (!c->cfg)
                return -1;
        int64_t now = time_mono_ms(), sec = second_ms();
        if (now < c->next_refresh)
                return c->next_refresh - now;
        c->next_refresh = now + 60 * sec;
        int rc = c->store ? 0 : store_open_config(c->cfg, &c->store);
        size_t changed = 0;
        if (rc == 0)
                rc = store_stations_refresh_state(c->store, time_now_ms() / 1000, &changed);
        if (rc == 0 && now >= c->next_checkpoint) {
                c->next_checkpoint = now + 300 * sec;
                rc = store_checkpoint(c->store);
        }
        if (rc < 0) {
                log_complain(&c->store_complain, LOG_LVL_ERR,
                             "store: %s; station states not refreshed", store_strerror(rc));
        } else {
                log_recovered(&c->store_complain, "store: writable again");
                if (changed)
                        log_info("%zu stations changed state (stale or offline)", changed);
        }
        return c->next_refresh - now;
}

void collectd_free(struct collectd *c)
{
        if (!c)
                return;
        collectd_stop(c);
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        free(c);
}
