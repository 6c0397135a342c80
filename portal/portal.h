/* The running portal: settings taken from the config, the HTTP server
 * (libmicrohttpd, internal epoll thread pool), the routes of portal/api/,
 * the in-memory answer caches and the metrics.  main.c drives it from the
 * daemon hooks: portal_app_new() at start, portal_app_reload() on SIGHUP,
 * portal_app_free() at stop. */
#ifndef SONAE_PORTAL_H
#define SONAE_PORTAL_H

#include "config.h"
#include "http.h"

#include <stdint.h>

struct portal_app;
struct ogc_collection;
struct store;

/* Fixed limits (docs/portal.md); [portal] max_connections and timeout are
 * configurable. */
#define PORTAL_CONN_MEMORY       (64 * 1024) /* request line and headers */
#define PORTAL_MAX_STATIC_CACHED (8 * 1024 * 1024)

/* Copies what it needs from cfg (which the caller keeps owning), binds
 * [portal] listen and starts serving.  Returns 0 or a negative code (the
 * reason logged). */
int portal_app_new(const struct sonae_config *cfg, struct portal_app **out);
/* Applies a new config: settings are swapped for new requests; a changed
 * listen address binds the new one first and keeps the old server if that
 * fails.  Clears the answer caches. */
int portal_app_reload(struct portal_app *app, const struct sonae_config *cfg);
/* Stops the server (ending open streams) and frees everything; accepts NULL. */
void portal_app_free(struct portal_app *app);

/* Lends a read handle of the store to the calling thread; NULL when the
 * store cannot be opened (answer 503).  Give it back with
 * portal_store_release() before the handler returns. */
struct store *portal_store_acquire(struct portal_app *app);
void portal_store_release(struct portal_app *app, struct store *st);

/* A read handle on the primary even when GET requests are served from a
 * replica ([store] read_dsn): for reads that must see the latest writes
 * (sessions and accounts: a logout or a disabled account counts at once).
 * Without a replica the same as portal_store_acquire(). */
struct store *portal_store_acquire_primary(struct portal_app *app);
void portal_store_release_primary(struct portal_app *app, struct store *st);

/* The one writable handle (staff writes), lent to one caller at a time;
 * NULL when the store cannot be opened (answer 503). */
struct store *portal_store_acquire_write(struct portal_app *app);
void portal_store_release_write(struct portal_app *app, struct store *st);

/* From the live events' listener (portal/listen.h), any thread: the store
 * announced event id; new ones drop the cached answers and wake the
 * streams at once. */
void portal_app_events_seen(struct portal_app *app, int64_t id);
/* While true the tick polls the store for new events only every few
 * seconds, as a safety net. */
void portal_app_set_listening(struct portal_app *app, bool on);

/* Called from the daemon's tick: notices new store events, drops cached
 * answers and wakes streams.  Returns milliseconds until the next call. */
int64_t portal_app_tick(struct portal_app *app);

/* [jma] exercise: drills count (and are marked exercise everywhere). */
bool portal_app_exercise(struct portal_app *app);
/* The drill data public endpoints show (enum store_exercise_view): with
 * [jma] exercise, those of the running --public drills' areas (all of them
 * with [demo] all_exercise, the demo's); else none. */
int portal_app_public_view(struct portal_app *app);

/* [portal] walk_speed (m/s), for the walks of the hazard answer. */
double portal_app_walk_speed(struct portal_app *app);

/* [portal] events_without_auth. */
bool portal_app_events_enabled(struct portal_app *app);

/* The port actually bound (useful with port 0). */
uint16_t portal_app_port(const struct portal_app *app);

/* Drops every cached API answer, e.g. after the store changed; static files
 * are checked against the file system on each request anyway. */
void portal_app_invalidate(struct portal_app *app);
/* Wakes every stream waiting for data (SSE) so its read() runs again. */
void portal_app_wake_streams(struct portal_app *app);

/* OGC API collections served under /api/v1/ogc; the app keeps the pointer
 * (the collection must outlive the app).  At most 32. */
int portal_app_add_collection(struct portal_app *app, const struct ogc_collection *c);
const struct ogc_collection *const *portal_app_collections(const struct portal_app *app, size_t *n);

/* Every route, in table order (for the OpenAPI document and metrics). */
const struct portal_route *const *portal_app_routes(const struct portal_app *app, size_t *n);

/* Writes the Prometheus text exposition of the request counters. */
int portal_app_metrics(struct portal_app *app, struct buf *out);

/* The routes of portal/api/routes.c: a list of per-file arrays, each ending
 * in an all-zero row. */
extern const struct portal_route *const portal_route_lists[];
extern const size_t portal_n_route_lists;

#endif
