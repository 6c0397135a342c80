/* The backend operations table behind struct store.  Callers never see
 * it: they use store.h.  A backend (geo/spatialite/, later geo/postgis/)
 * embeds struct store as the first member of its own handle and fills one
 * static const struct store_ops; store.c dispatches through it. */
#ifndef SONAE_STORE_BACKEND_H
#define SONAE_STORE_BACKEND_H

#include "store.h"

struct store_ops {
        const char *name;
        void (*close)(struct store *st);
        int (*schema_version)(struct store *st, int *version);
        int (*migrate)(struct store *st, int *applied);
        int (*check)(struct store *st, char *why, size_t why_len);
        int (*begin)(struct store *st);
        int (*commit)(struct store *st);
        int (*rollback)(struct store *st);
        int (*checkpoint)(struct store *st);

        int (*station_upsert)(struct store *st, const struct store_station *in, int64_t *id);
        int (*station_find)(struct store *st, const char *source, const char *external_id,
                            int64_t *id);
        int (*observations_add)(struct store *st, const struct store_obs *v, size_t n,
                                struct store_obs_result *res);
        int (*observations_range)(struct store *st, int64_t station_id, const char *quantity,
                                  int64_t from, int64_t to, size_t limit,
                                  struct store_obs_list *out);
        int (*latest)(struct store *st, int64_t station_id, int64_t now,
                      struct store_latest_list *out);
        int (*stations_refresh_state)(struct store *st, int64_t now, size_t *changed);
        int (*station_set_state)(struct store *st, int64_t station_id, enum station_state state,
                                 int64_t seen_at);
        int (*events_after)(struct store *st, int64_t after_id, size_t limit, bool public_only,
                            struct store_event_list *out);
        int (*events_last_id)(struct store *st, int64_t *id);
        int (*event_emit)(struct store *st, const char *type, const char *subject, int level,
                          bool is_public, bool exercise, const char *data);
};

struct store {
        const struct store_ops *ops;
        int grace;
};

/* Backends' open functions. */
int spatialite_store_open(const struct store_options *opt, struct store **out);

#endif
