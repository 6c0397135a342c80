/* The spatial store: everything Sonae knows, behind one interface.
 *
 * A `struct store` is an opaque handle on one backend (SpatiaLite by
 * default, or PostGIS, geo/postgis/; an operation a backend has not
 * written yet answers -ENOTSUP).  Every function returns 0 or a negative
 * errno-style code:
 *
 *   -EINVAL   a value broke a constraint (bad enum, range, missing field,
 *             unknown station); nothing was written
 *   -EEXIST   a unique key already holds another row (where the call is
 *             not idempotent by design)
 *   -ENOENT   no such row
 *   -EBUSY    the store stayed locked by another writer past busy_timeout
 *   -ENOSPC   the disk is full: "store trouble", see store_err_is_trouble()
 *   -EIO      an I/O error from the disk: also store trouble
 *   -EBADMSG  the file is not a store, or is corrupt
 *   -ENOMEM   out of memory
 *
 * Every write emits its event (docs/contracts.md) in the same transaction
 * as the change, so no caller can forget one and a failed write leaves
 * neither row nor event.  Callers may group writes with store_begin() /
 * store_commit(); otherwise every call is its own transaction.
 *
 * Times are UTC seconds since the Unix epoch (int64_t) everywhere in this
 * interface; the API layer formats them with +09:00.  Coordinates are
 * JGD2011 (EPSG:6668), longitude first.
 *
 * Ownership: input structs and strings are borrowed for the call only.
 * Output lists own their rows and every string in them; free them with
 * the list's _free function (which accepts NULL and empty lists).
 * A handle is used by one thread at a time. */
#ifndef SONAE_STORE_H
#define SONAE_STORE_H

#include "level.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct sonae_config;

/* ---- Opening, schema, transactions ------------------------------------ */

struct store_options {
        const char *backend;     /* "spatialite" (default when NULL) | "postgis" */
        const char *path;        /* SpatiaLite file */
        const char *dsn;         /* PostGIS connection string */
        const char *synchronous; /* "off|normal|full|extra"; NULL: normal */
        int busy_timeout_ms;     /* 0: 10000 */
        bool read_only;
        bool no_migrate; /* true: do not apply pending migrations on open */
        int grace;       /* stale after expected_interval * grace; 0: 3 */
        /* Every event written through this handle is marked exercise: a
         * store whose data are all fictional (the demo, [demo]
         * all_exercise), so notifications reach only exercise channels. */
        bool all_exercise;
};

/* Opens (creating the file when absent) and migrates to the newest schema
 * unless opt->no_migrate.  On success *out is a handle the caller closes
 * with store_close(); on failure *out is NULL. */
int store_open(const struct store_options *opt, struct store **out);
/* Opens with the [store] section of a loaded config. */
int store_open_config(const struct sonae_config *cfg, struct store **out);
/* Accepts NULL.  Rolls back an open transaction. */
void store_close(struct store *st);

/* "spatialite" or "postgis". */
const char *store_backend_name(const struct store *st);
/* The newest schema version this binary knows, and the store's. */
int store_schema_latest(void);
/* The newest version of the handle's backend (each backend embeds its own
 * translation of the numbered migrations). */
int store_schema_target(const struct store *st);
int store_schema_version(struct store *st, int *version);
/* Applies pending migrations; *applied (may be NULL) counts them. */
int store_migrate(struct store *st, int *applied);
/* Integrity check of the file and the schema version; on a problem returns
 * -EBADMSG and writes a one-line reason into why (may be NULL). */
int store_check(struct store *st, char *why, size_t why_len);

int store_begin(struct store *st);
/* Writes the coalesced events and commits.  If any write inside failed,
 * the transaction is rolled back and the first error returned. */
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* Bounds the write-ahead log: a truncating checkpoint when no reader
 * holds it.  Daemons call it from their tick (every few minutes). */
int store_checkpoint(struct store *st);

/* Writes a consistent copy of the store into the new file path (SQLite's
 * online backup API in one read snapshot: writers carry on meanwhile).
 * -EEXIST when path exists.  The copy is one self-contained file. */
int store_backup(struct store *st, const char *path);
/* Replaces the store of opt (path) by the backup file `from`, after
 * checking that `from` is a sound store this binary can read (integrity,
 * schema version not newer); migrates it afterwards.  When a store already
 * exists at opt->path it is refused with -EEXIST unless force: a restore
 * overwrites everything written since the backup.  Never call it on a
 * handle's own file from that handle's process. */
int store_restore(const struct store_options *opt, const char *from, bool force);

/* True for -ENOSPC and -EIO: the daemon logs once, marks itself degraded,
 * keeps running and retries; the store works again when space returns. */
bool store_err_is_trouble(int err);
/* A short English phrase for a store error code. */
const char *store_strerror(int err);

/* ---- Stations ---------------------------------------------------------- */

/* Station kinds and quantities of docs/contracts.md. */
bool store_kind_valid(const char *kind); /* gauge|sensor|camera|rain */
bool store_quantity_valid(const char *quantity);
/* "m", "mm", "V", "dBm", "Cel" for a quantity; NULL if unknown. */
const char *store_quantity_unit(const char *quantity);

struct store_station {
        int64_t id; /* set by the store; ignored on upsert */
        const char *kind;
        const char *source;      /* "kriver", "kawabou", "sensors", a [source.NAME] */
        const char *external_id; /* the source's own id */
        const char *name;
        const char *river;     /* may be NULL */
        const char *area_code; /* JMA 7-digit area code; may be NULL */
        /* The quantity whose value is the station's latest value and level;
         * NULL: water_level_m for gauges and sensors, precip_10m_mm for
         * rain, none for cameras. */
        const char *quantity;
        double lon, lat;
        struct level_thresholds thr; /* NAN where none */
        int64_t expected_interval_s; /* 10 s .. 7 days */
        /* A drill's station (a source with `exercise = true`, written by
         * `sonae drill start`'s collector): stored with the mark, its name
         * led by 【訓練】, its level and state events marked exercise;
         * store_exercise_clear deletes it with everything it holds. */
        bool exercise;
};

/* Inserts or updates the station keyed by (source, external_id); *id (may
 * be NULL) receives its id.  Metadata changes keep observations and the
 * latest state; a threshold change recomputes the level.  A station keeps
 * the exercise mark it was created with (-EEXIST when in->exercise
 * differs): a real station never becomes a drill's, nor the reverse. */
int store_station_upsert(struct store *st, const struct store_station *in, int64_t *id);
/* Looks up by key; -ENOENT when absent. */
int store_station_find(struct store *st, const char *source, const char *external_id, int64_t *id);

/* ---- Observations ------------------------------------------------------ */

/* Quality flags (bits) carried with an observation. */
enum store_quality {
        STORE_Q_RANGE = 1 << 0,    /* outside the physical range */
        STORE_Q_SPIKE = 1 << 1,    /* spike against the recent median */
        STORE_Q_FLATLINE = 1 << 2, /* value stuck */
        STORE_Q_RATE = 1 << 3,     /* implausible rate of change */
        STORE_Q_CLOCK = 1 << 4,    /* more than 5 minutes in the future */
};

struct store_obs {
        int64_t station_id;
        const char *quantity;
        int64_t observed_at;
        double value;
        unsigned quality; /* enum store_quality bits */
};

struct store_obs_result {
        size_t inserted;
        size_t duplicates; /* same (station, quantity, observed_at) already stored */
};

/* Inserts a batch, idempotent on (station, quantity, observed_at): a
 * duplicate is counted and ignored.  Updates each station's latest state
 * (value, level from its thresholds, state, rate of rise over the last
 * hour) when the batch carries a newer value of its quantity, and emits
 * `station.level` / `station.state` on change and one coalesced
 * `station.observations` per station per commit.  All or nothing: one
 * invalid row (-EINVAL) writes none of the batch.  res may be NULL. */
int store_observations_add(struct store *st, const struct store_obs *v, size_t n,
                           struct store_obs_result *res);

struct store_obs_row {
        int64_t observed_at;
        double value;
        unsigned quality;
};
struct store_obs_list {
        struct store_obs_row *v;
        size_t n;
};
/* Observations of one station and quantity with from <= observed_at < to,
 * oldest first, at most limit rows (0: 100000). */
int store_observations_range(struct store *st, int64_t station_id, const char *quantity,
                             int64_t from, int64_t to, size_t limit, struct store_obs_list *out);
void store_obs_list_free(struct store_obs_list *l);

/* ---- Latest state ------------------------------------------------------ */

/* The one place where stale and offline are decided: a station whose last
 * observation is older than expected_interval * grace is `offline` if it
 * is one of the city's own sensors, else `stale`; one never observed is
 * `unknown`; otherwise its stored state (ok, below_start, watch). */
enum station_state store_effective_state(enum station_state stored, const char *kind,
                                         int64_t last_observed_at, int64_t expected_interval_s,
                                         int grace, int64_t now);

struct store_latest {
        int64_t id;
        const char *kind, *source, *external_id, *name, *river, *area_code;
        const char *quantity; /* NULL for cameras */
        const char *unit;     /* static string; NULL with quantity */
        double lon, lat;
        struct level_thresholds thr;
        int64_t expected_interval_s;
        double value;             /* NAN when none */
        int64_t observed_at;      /* of value; 0 when none */
        int64_t last_observed_at; /* of any quantity; 0 when never */
        int level;                /* 1-5, or LEVEL_NONE (also when stale) */
        enum station_state state; /* effective, see store_effective_state */
        double rate_m_per_h;      /* NAN when unknown */
        bool exercise;            /* a drill's station (store_station.exercise) */
        bool drill_public;        /* and a running --public drill shows it to residents */
};
struct store_latest_list {
        struct store_latest *v;
        size_t n;
};
/* Latest state of every station (one indexed read, no scan of the
 * observations), ordered by id.  Stale/offline are computed at `now`. */
int store_latest_all(struct store *st, int64_t now, struct store_latest_list *out);
/* The same for one station; -ENOENT when absent. */
int store_latest_get(struct store *st, int64_t station_id, int64_t now,
                     struct store_latest_list *out);
void store_latest_list_free(struct store_latest_list *l);
/* Whether a reader with view (enum store_exercise_view, store_sources.h)
 * sees the station: real ones always; a drill's for STORE_VIEW_ALL, and for
 * STORE_VIEW_PUBLIC only while its drill is public in the station's area
 * (drill_public). */
bool store_latest_visible(const struct store_latest *l, int view);

/* Writes stale/offline transitions (and `station.state` events) for the
 * stations whose effective state at `now` differs from the stored one.
 * Daemons call it from their tick; *changed (may be NULL) counts them. */
int store_stations_refresh_state(struct store *st, int64_t now, size_t *changed);
/* Sets a station's stored state (e.g. below_start when a crisis gauge
 * drops out of its listing), emitting `station.state` on change.  seen_at
 * (0: none) is when the source last vouched for the station (the listing
 * time): it counts as a sign of life for stale/offline. */
int store_station_set_state(struct store *st, int64_t station_id, enum station_state state,
                            int64_t seen_at);

/* ---- Events ------------------------------------------------------------ */

struct store_event {
        int64_t id; /* monotonic */
        int64_t at;
        const char *type;
        const char *subject; /* "stations/12", "alerts/0620300/..."; see docs/store.md */
        int level;           /* LEVEL_NONE when none */
        bool is_public;
        bool exercise;
        const char *data; /* JSON object text */
};
struct store_event_list {
        struct store_event *v;
        size_t n;
};
/* Events with id > after_id, oldest first, at most limit (0: 1000);
 * public_only leaves out public = 0 events. */
int store_events_after(struct store *st, int64_t after_id, size_t limit, bool public_only,
                       struct store_event_list *out);
void store_event_list_free(struct store_event_list *l);
/* The newest event id (0 when none). */
int store_events_last_id(struct store *st, int64_t *id);
/* Waits up to timeout_ms for a commit that wrote events, from any process:
 * 0 with *last_id the newest event id it announced, or 0 when the wait
 * ran out.  Only PostGIS can (LISTEN/NOTIFY); elsewhere -ENOTSUP and the
 * caller polls store_events_last_id().  Use a handle of its own (on the
 * primary: a replica hears nothing); a lost connection is -EIO, and the
 * next call reconnects and listens again. */
int store_events_wait(struct store *st, int timeout_ms, int64_t *last_id);
/* Emits an event that has no entity row of its own (`source.health`).
 * Types are checked against docs/contracts.md; data is a JSON object text
 * or NULL. */
int store_event_emit(struct store *st, const char *type, const char *subject, int level,
                     bool is_public, bool exercise, const char *data);
bool store_event_type_valid(const char *type);

#endif
