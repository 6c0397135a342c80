/* The scheduler over a table of test types: the interval, the doubling
 * backoff up to backoff_max and its reset on success (poll times measured),
 * a section type built from its config section ([jma], as the JMA
 * collector will be) with its check and its `wanted` switch, and a prompt
 * stop.  Real threads, a real config file and a real store file. */
#include "check.h"
#include "collectd.h"
#include "source.h"
#include "timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_POLLS 64
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t flaky_at[MAX_POLLS];
static int flaky_n;
static int section_polls;
static int fail_first = 4;

struct nothing {
        int unused;
};

static int flaky_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                           struct conf_diag *diag, void **state)
{
        *state = calloc(1, sizeof(struct nothing));
        return *state ? 0 : -ENOMEM;
}

static enum poll_status flaky_poll(void *state, struct source_ctx *ctx)
{
        pthread_mutex_lock(&mu);
        int k = flaky_n;
        if (flaky_n < MAX_POLLS)
                flaky_at[flaky_n++] = time_mono_ms();
        pthread_mutex_unlock(&mu);
        CHECK(ctx->store != NULL);
        if (k < fail_first) {
                source_why(ctx, "test failure %d", k);
                return POLL_FAILED;
        }
        return POLL_OK;
}

static void just_free(void *state)
{
        free(state);
}

/* A section type reading [jma]: base_url must pass the URL rule. */
static int section_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                             struct conf_diag *diag, void **state)
{
        *state = calloc(1, sizeof(struct nothing));
        if (!*state)
                return -ENOMEM;
        if (!fetch_url_allowed(cfg->jma.base_url)) {
                conf_diag_add(diag, true, cfg->file, 0, "jma", "base_url", "not allowed");
                return -EINVAL;
        }
        return 0;
}

static enum poll_status section_poll(void *state, struct source_ctx *ctx)
{
        pthread_mutex_lock(&mu);
        section_polls++;
        pthread_mutex_unlock(&mu);
        CHECK_STR(ctx->name, "jma");
        return POLL_UNCHANGED;
}

static bool section_wanted(const struct sonae_config *cfg)
{
        return cfg->jma.feeds && cfg->jma.feeds[0];
}

static const struct conf_option no_options[] = {{0}};

static const struct source_type flaky = {
    .name = "camera", /* a name the [source.NAME] type enum accepts */
    .summary = "test",
    .options = no_options,
    .configure = flaky_configure,
    .poll = flaky_poll,
    .destroy = just_free,
};
static const struct source_type sect = {
    .name = "jma-test",
    .summary = "test",
    .options = no_options,
    .section = "jma",
    .default_interval_s = 10,
    .wanted = section_wanted,
    .configure = section_configure,
    .poll = section_poll,
    .destroy = just_free,
};
static const struct source_type *const types[] = {&flaky, &sect, NULL};

static struct sonae_config *load(const char *dir, const char *text)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/sonae.conf", dir);
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        struct sonae_config *cfg = NULL;
        struct conf_diag diag;
        conf_diag_init(&diag);
        int rc = conf_load(path, &cfg, &diag);
        if (rc < 0)
                fprintf(stderr, "%s", diag.text.data ? diag.text.data : "");
        conf_diag_free(&diag);
        return cfg;
}

int main(void)
{
        setenv("SONAE_COLLECTD_SECOND_MS", "20", 1); /* interval 10 → 200 ms */
        double scale = check_time_scale();
        char dir[] = "/tmp/sonae-sched-XXXXXX";
        if (!mkdtemp(dir))
                return 1;

        /* -n: the section type is checked even when not wanted. */
        struct sonae_config *cfg = load(dir, "[jma]\nfeeds =\nbase_url = http://example.jp/\n");
        CHECK(cfg != NULL);
        struct conf_diag diag;
        conf_diag_init(&diag);
        CHECK_INT(collectd_check_types(types, cfg, &diag), -EINVAL);
        CHECK(diag.text.data && strstr(diag.text.data, "[jma] base_url: not allowed"));
        conf_diag_free(&diag);
        conf_free(cfg);

        cfg = load(dir, "[store]\npath = s.db\n[jma]\nfeeds = extra\n"
                        "[source.cam]\ntype = camera\ninterval = 10\nbackoff_max = 30\n");
        CHECK(cfg != NULL);
        if (!cfg)
                return check_done("collectors-scheduler");
        conf_diag_init(&diag);
        CHECK_INT(collectd_check_types(types, cfg, &diag), 0);
        conf_diag_free(&diag);
        struct collectd *c = collectd_new_types(types);
        CHECK_INT(collectd_start(c, cfg), 0);
        /* 4 failures then successes: gaps 400, 600 (cap), 600, 600, then 200. */
        int64_t end = time_mono_ms() + (int64_t)(8000 * scale);
        while (time_mono_ms() < end) {
                pthread_mutex_lock(&mu);
                int n = flaky_n;
                pthread_mutex_unlock(&mu);
                if (n >= 8)
                        break;
                usleep(20000);
        }
        int64_t t0 = time_mono_ms();
        collectd_stop(c);
        CHECK(time_mono_ms() - t0 < 1000 * scale); /* stop is prompt */
        CHECK(flaky_n >= 8);
        int64_t want[] = {400, 600, 600, 600, 200, 200, 200};
        for (int i = 0; i + 1 < flaky_n && i < 7; i++) {
                int64_t gap = flaky_at[i + 1] - flaky_at[i];
                if (gap < want[i] - 20 || gap > want[i] + (int64_t)(150 * scale)) {
                        fprintf(stderr, "gap %d: %lld ms, want about %lld\n", i, (long long)gap,
                                (long long)want[i]);
                        CHECK(0);
                } else {
                        CHECK(1);
                }
        }
        CHECK(section_polls >= 2); /* [jma] with feeds: the section instance ran */
        collectd_free(c);
        conf_free(cfg);

        /* Not wanted ([jma] feeds empty): no section instance. */
        section_polls = 0;
        cfg = load(dir, "[store]\npath = s.db\n[jma]\nfeeds =\n");
        c = collectd_new_types(types);
        CHECK_INT(collectd_start(c, cfg), 0);
        usleep(300000);
        collectd_free(c);
        CHECK_INT(section_polls, 0);
        conf_free(cfg);

        char p[300];
        const char *names[] = {"sonae.conf", "s.db", "s.db-wal", "s.db-shm"};
        for (int i = 0; i < 4; i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
                unlink(p);
        }
        rmdir(dir);
        return check_done("collectors-scheduler");
}
