/* The portal's ear on the store's live events: on PostGIS a thread waits
 * on LISTEN/NOTIFY (store_events_wait) with a handle of its own on the
 * primary, and tells the app of each new event id at once, so the live
 * streams (/api/v1/events) and the answer caches need not poll for them.
 * Not started on SpatiaLite, nor when the portal reads a replica
 * ([store] read_dsn): a notification would reach the streams before the
 * replica has the event. */
#ifndef SONAE_PORTAL_LISTEN_H
#define SONAE_PORTAL_LISTEN_H

struct portal_app;
struct portal_listener;
struct sonae_config;

/* Copies what it needs of cfg; *out is NULL (and 0 returned) when there
 * is nothing to listen to.  The app must outlive the listener. */
int portal_listener_start(const struct sonae_config *cfg, struct portal_app *app,
                          struct portal_listener **out);
/* Stops and joins the thread (within about a second); accepts NULL. */
void portal_listener_stop(struct portal_listener *l);

#endif
