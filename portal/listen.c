#include "listen.h"

#include "config.h"
#include "log.h"
#include "portal.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One wait's bound: how soon a stop is noticed. */
#define LISTEN_WAIT_MS 1000

struct portal_listener {
        struct portal_app *app;
        char *dsn;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool stop;
};

/* Sleeps ms unless stopped meanwhile; true when stopped. */
static bool pause_ms(struct portal_listener *l, int ms)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&l->mu);
        if (!l->stop)
                pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        bool stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        return stop;
}

static bool stopped(struct portal_listener *l)
{
        pthread_mutex_lock(&l->mu);
        bool stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        return stop;
}

static void *run(void *arg)
{
        struct portal_listener *l = arg;
        struct store *st = NULL;
        struct log_complain lc = LOG_COMPLAIN_INIT;
        while (!stopped(l)) {
                int rc = 0;
                if (!st) {
                        struct store_options o = {
                            .backend = "postgis",
                            .dsn = l->dsn,
                            .read_only = true,
                            .no_migrate = true,
                        };
                        rc = store_open(&o, &st);
                }
                int64_t id = 0;
                if (rc == 0)
                        rc = store_events_wait(st, LISTEN_WAIT_MS, &id);
                if (rc == -ENOTSUP)
                        break; /* cannot happen on PostGIS; polling goes on */
                portal_app_set_listening(l->app, rc == 0);
                if (rc < 0) {
                        log_complain(&lc, LOG_LVL_WARN,
                                     "live events: cannot listen to the store: %s; polling",
                                     store_strerror(rc));
                        store_close(st);
                        st = NULL;
                        if (pause_ms(l, LISTEN_WAIT_MS))
                                break;
                        continue;
                }
                log_recovered(&lc, "live events: listening to the store again");
                if (id > 0)
                        portal_app_events_seen(l->app, id);
        }
        portal_app_set_listening(l->app, false);
        store_close(st);
        return NULL;
}

int portal_listener_start(const struct sonae_config *cfg, struct portal_app *app,
                          struct portal_listener **out)
{
        *out = NULL;
        if (!cfg->store.backend || strcmp(cfg->store.backend, "postgis") != 0 || !cfg->store.dsn ||
            !cfg->store.dsn[0] || (cfg->store.read_dsn && cfg->store.read_dsn[0]))
                return 0;
        struct portal_listener *l = calloc(1, sizeof(*l));
        if (!l || !(l->dsn = strdup(cfg->store.dsn))) {
                free(l);
                return -ENOMEM;
        }
        l->app = app;
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->cv, NULL);
        if (pthread_create(&l->thread, NULL, run, l) != 0) {
                pthread_mutex_destroy(&l->mu);
                pthread_cond_destroy(&l->cv);
                free(l->dsn);
                free(l);
                return -EAGAIN;
        }
        *out = l;
        return 0;
}

void portal_listener_stop(struct portal_listener *l)
{
        if (!l)
                return;
        pthread_mutex_lock(&l->mu);
        l->stop = true;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        free(l->dsn);
        free(l);
}
