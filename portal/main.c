/* sonae-portald: the web portal, the API, live events and feeds. */
#include "daemon.h"
#include "httputil.h"
#include "log.h"
#include "portal.h"
#include "line_webhook.h"
#include "listen.h"
#include "runner.h"
#include "webpush.h"

#include <errno.h>
#include <stddef.h>

struct portald {
        struct portal_app *app;
        struct notify_runner *notifier;
        struct portal_listener *listener;
};

static int portald_check(const struct sonae_config *cfg, struct conf_diag *diag)
{
        struct listen_addr la;
        char err[256];
        if (http_parse_listen(cfg->portal.listen, &la, err, sizeof(err)) < 0) {
                conf_diag_add(diag, true, cfg->file, 0, "portal", "listen", "%s", err);
                return -EINVAL;
        }
        /* The notification channels' own keys (docs/notifications.md). */
        struct notify_engine *e = NULL;
        int rc = notify_engine_create(cfg, NULL, NULL, diag, &e);
        notify_engine_free(e);
        return rc;
}

/* The LINE webhook and Web Push endpoints' settings from the config. */
static int line_hook_apply(const struct sonae_config *cfg)
{
        struct line_hook_settings s;
        int rc = notify_line_hook_settings(cfg, &s);
        if (rc == 0)
                notify_line_webhook_set(&s);
        notify_line_hook_settings_free(&s);
        struct webpush_settings w;
        if (rc == 0 && (rc = notify_webpush_settings(cfg, &w)) == 0)
                notify_webpush_set(&w);
        notify_webpush_settings_free(&w);
        return rc;
}

static int portald_start(void *state, const struct sonae_config *cfg)
{
        struct portald *p = state;
        /* The endpoints' settings first: the server answers once it listens. */
        int rc = line_hook_apply(cfg);
        if (rc == 0)
                rc = portal_app_new(cfg, &p->app);
        if (rc == 0)
                rc = notify_runner_start(cfg, &p->notifier);
        if (rc == 0)
                rc = portal_listener_start(cfg, p->app, &p->listener);
        return rc;
}

static int portald_reload(void *state, const struct sonae_config *cfg)
{
        struct portald *p = state;
        /* The notifier reads the config it was started with: restart it. */
        notify_runner_stop(p->notifier);
        p->notifier = NULL;
        portal_listener_stop(p->listener);
        p->listener = NULL;
        int rc = portal_app_reload(p->app, cfg);
        if (rc == 0)
                rc = line_hook_apply(cfg);
        if (rc == 0)
                rc = notify_runner_start(cfg, &p->notifier);
        if (rc == 0)
                rc = portal_listener_start(cfg, p->app, &p->listener);
        return rc;
}

static int64_t portald_tick(void *state)
{
        struct portald *p = state;
        return p->app ? portal_app_tick(p->app) : -1;
}

static void portald_stop(void *state)
{
        struct portald *p = state;
        notify_runner_stop(p->notifier);
        p->notifier = NULL;
        portal_listener_stop(p->listener);
        p->listener = NULL;
        notify_line_webhook_set(NULL);
        notify_webpush_set(NULL);
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
