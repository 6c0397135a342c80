/* sonae-collectd: polls the configured sources on their schedules (JMA
 * feeds, river levels, rainfall, river cameras) and writes what they say to
 * the store.  The scheduler is collectd.c; the sources are
 * collectors/sources/, listed in sources.c. */
#include "collectd.h"
#include "daemon.h"

#include <stdio.h>

static int op_check(const struct sonae_config *cfg, struct conf_diag *diag)
{
        return collectd_check(cfg, diag);
}

static int op_start(void *state, const struct sonae_config *cfg)
{
        return collectd_start(state, cfg);
}

static int op_reload(void *state, const struct sonae_config *cfg)
{
        /* The new config is already validated: restart every worker on it. */
        return collectd_start(state, cfg);
}

static int64_t op_tick(void *state)
{
        return collectd_tick(state);
}

static void op_stop(void *state)
{
        collectd_stop(state);
}

static const struct daemon_ops collectd_ops = {
    .name = "sonae-collectd",
    .summary = "Polls JMA feeds, river levels, rainfall and river cameras into the store.",
    .check = op_check,
    .start = op_start,
    .reload = op_reload,
    .tick = op_tick,
    .stop = op_stop,
};

int main(int argc, char **argv)
{
        struct collectd *c = collectd_new();
        if (!c) {
                fprintf(stderr, "sonae-collectd: out of memory\n");
                return 1;
        }
        int rc = daemon_main(argc, argv, &collectd_ops, c);
        collectd_free(c);
        return rc;
}
