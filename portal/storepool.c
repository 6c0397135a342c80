#include "storepool.h"
#include "config.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 32

struct store_pool {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        char *backend, *path, *dsn, *synchronous;
        struct store *h[POOL_MAX];
        bool lent[POOL_MAX];
        size_t n;
        bool writable; /* the portal's one write handle (staff writes) */
        struct log_complain complain;
};

static char *dup_or_null(const char *s)
{
        return s && s[0] ? strdup(s) : NULL;
}

int store_pool_new(const struct sonae_config *cfg, size_t n, struct store_pool **out)
{
        struct store_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        p->n = n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : n;
        p->backend = dup_or_null(cfg->store.backend);
        p->path = dup_or_null(cfg->store.path);
        /* The portal reads from a replica when one is configured. */
        p->dsn = dup_or_null(cfg->store.read_dsn && cfg->store.read_dsn[0] ? cfg->store.read_dsn
                                                                           : cfg->store.dsn);
        p->synchronous = dup_or_null(cfg->store.synchronous);
        *out = p;
        return 0;
}

int store_pool_new_writer(const struct sonae_config *cfg, struct store_pool **out)
{
        int rc = store_pool_new(cfg, 1, out);
        if (rc < 0)
                return rc;
        /* Writes go to the primary, never to a read replica. */
        free((*out)->dsn);
        (*out)->dsn = dup_or_null(cfg->store.dsn);
        (*out)->writable = true;
        return 0;
}

int store_pool_new_primary(const struct sonae_config *cfg, size_t n, struct store_pool **out)
{
        *out = NULL;
        if (!cfg->store.read_dsn || !cfg->store.read_dsn[0])
                return 0;
        int rc = store_pool_new(cfg, n, out);
        if (rc < 0)
                return rc;
        free((*out)->dsn);
        (*out)->dsn = dup_or_null(cfg->store.dsn);
        return 0;
}

void store_pool_free(struct store_pool *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                store_close(p->h[i]);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p->backend);
        free(p->path);
        free(p->dsn);
        free(p->synchronous);
        free(p);
}

struct store *store_pool_acquire(struct store_pool *p)
{
        struct store *st = NULL;
        pthread_mutex_lock(&p->mu);
        for (;;) {
                size_t i;
                /* Prefer an open handle, then a slot to open. */
                for (i = 0; i < p->n; i++)
                        if (!p->lent[i] && p->h[i])
                                break;
                if (i == p->n)
                        for (i = 0; i < p->n; i++)
                                if (!p->lent[i])
                                        break;
                if (i < p->n) {
                        p->lent[i] = true;
                        if (!p->h[i]) {
                                struct store_options o = {
                                    .backend = p->backend,
                                    .path = p->path,
                                    .dsn = p->dsn,
                                    .synchronous = p->synchronous,
                                    .busy_timeout_ms = 2000,
                                    .read_only = !p->writable,
                                    .no_migrate = true,
                                };
                                /* Opening can take a moment; others may
                                 * still use the open handles meanwhile. */
                                pthread_mutex_unlock(&p->mu);
                                struct store *h = NULL;
                                int rc = store_open(&o, &h);
                                pthread_mutex_lock(&p->mu);
                                if (rc < 0) {
                                        p->lent[i] = false;
                                        pthread_cond_signal(&p->cv);
                                        log_complain(&p->complain, LOG_LVL_WARN,
                                                     "store %s cannot be opened: %s",
                                                     p->path ? p->path : "(dsn)",
                                                     store_strerror(rc));
                                        break;
                                }
                                log_recovered(&p->complain, "store opened");
                                p->h[i] = h;
                        }
                        st = p->h[i];
                        break;
                }
                pthread_cond_wait(&p->cv, &p->mu);
        }
        pthread_mutex_unlock(&p->mu);
        return st;
}

void store_pool_release(struct store_pool *p, struct store *st)
{
        if (!st)
                return;
        pthread_mutex_lock(&p->mu);
        for (size_t i = 0; i < p->n; i++)
                if (p->h[i] == st) {
                        p->lent[i] = false;
                        break;
                }
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
}
