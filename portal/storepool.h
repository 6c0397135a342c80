/* Read handles on the store for the portal's threads.  A store handle is
 * used by one thread at a time (geo/store.h), and MHD runs handlers on a
 * pool of threads, so the portal keeps a few read-only handles, opened on
 * first use, each lent to one caller at a time. */
#ifndef SONAE_PORTAL_STOREPOOL_H
#define SONAE_PORTAL_STOREPOOL_H

#include <stddef.h>

struct store;
struct store_pool;
struct sonae_config;

/* Copies the [store] settings; opens nothing yet.  n handles at most. */
int store_pool_new(const struct sonae_config *cfg, size_t n, struct store_pool **out);
/* One writable handle on the primary (never a replica), lent to one
 * caller at a time: staff writes are few and short. */
int store_pool_new_writer(const struct sonae_config *cfg, struct store_pool **out);
/* n read-only handles on the primary (dsn) even when a replica
 * (read_dsn) serves the other reads: for what must see the primary's
 * latest writes, such as the session a login has just written or ended.
 * NULL in *out (and 0) when there is no replica: the read pool serves. */
int store_pool_new_primary(const struct sonae_config *cfg, size_t n, struct store_pool **out);
/* Closes every handle; none may be lent out.  Accepts NULL. */
void store_pool_free(struct store_pool *p);
/* Lends a handle, opening it if needed; waits while all are lent.  NULL
 * when the store cannot be opened (missing file, locked): the caller
 * answers 503.  The failure is logged, damped. */
struct store *store_pool_acquire(struct store_pool *p);
void store_pool_release(struct store_pool *p, struct store *st);

#endif
