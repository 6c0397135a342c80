/* Registers the OGC API collections backed by the store. */
#ifndef SONAE_PORTAL_COLLECTIONS_H
#define SONAE_PORTAL_COLLECTIONS_H

struct portal_app;

int portal_collections_register(struct portal_app *app);

#endif
