/* sonae-portald: the web portal, the API, live events and feeds. */
#include "daemon.h"
#include "httputil.h"
#include "log.h"
#include "portal.h"

#include <errno.h>
#include <stddef.h>

struct portald {
        struct portal_app *app;
};

static int portald_check(const struct sonae_config *cfg, struct conf_diag *diag)
{
        struct listen_addr la;
        char err[256];
        if (http_parse_listen(cfg->portal.listen, &la, err, sizeof(err)) < 0) {
                conf_diag_add(diag, true, cfg->file, 0, "portal", "listen", "%s", err);
                return -EINVAL;
        }
        return 0;
}

static int portald_start(void *state, const struct sonae_config *cfg)
{
        struct portald *p = state;
        return portal_app_new(cfg, &p->app);
}

static int portald_reload(void *state, const struct sonae_config *cfg)
{
        struct portald *p = state;
        return portal_app_reload(p->app, cfg);
}

static int64_t portald_tick(void *state)
{
        struct portald *p = state;
        return p->app ? portal_app_tick(p->app) : -1;
}

static void portald_stop(void *state)
{
        struct portald *p = state;
        portal_app_free(p->app);
        p->app = NULL;
}

static const struct daemon_ops portald_ops = {
    .name = "sonae-portald",
    .summary = "Serves the residents' page, the HQ dashboard, the API and feeds.",
    .check = portald_check,
    .start = portald_start,
    .reload = portald_reload,
    .tick = portald_tick,
    .stop = portald_stop,
};

int main(int argc, char **argv)
{
        struct portald p = {0};
        return daemon_main(argc, argv, &portald_ops, &p);
}
