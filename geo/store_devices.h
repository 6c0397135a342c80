/* The store: the city's own sensor nodes — devices, their calibration
 * history, raw readings and sequence gaps.  Conventions as in store.h. */
#ifndef SONAE_STORE_DEVICES_H
#define SONAE_STORE_DEVICES_H

#include "store.h"

struct store_device {
        int64_t id;              /* set by the store */
        const char *device;      /* MQTT id: [A-Za-z0-9_-]{1,64} */
        int64_t station_id;      /* the sensor station it feeds, or 0 */
        const char *secret_hash; /* credential hash (never the secret); may be NULL */
        bool enabled;
        /* Health, maintained by store_device_health_set(). */
        const char *health; /* online | offline | unknown */
        int64_t last_seen_at;
        const char *fw;
        double batt_v, rssi_dbm; /* NAN when unknown */
};

/* Adds a device (-EEXIST if the id is taken). */
int store_device_add(struct store *st, const struct store_device *d, int64_t *id);
/* Updates station, secret hash and enabled of an existing device. */
int store_device_update(struct store *st, const struct store_device *d);
/* By MQTT id; out's strings are owned by out (store_device_free). */
int store_device_get(struct store *st, const char *device, struct store_device *out);
void store_device_free(struct store_device *d);
struct store_device_list {
        struct store_device *v;
        size_t n;
};
int store_devices_list(struct store *st, struct store_device_list *out);
void store_device_list_free(struct store_device_list *l);

/* health: online | offline | unknown.  Records last_seen_at (when > 0),
 * firmware, battery and signal (NULL/NAN: unchanged) and emits
 * `device.health` (public = 0) once per transition. */
int store_device_health_set(struct store *st, int64_t device_id, const char *health,
                            int64_t last_seen_at, const char *fw, double batt_v, double rssi_dbm);

/* ---- Calibration ------------------------------------------------------- */

struct store_calibration {
        int64_t valid_from;
        double mount_height_m;    /* sensor height above the gauge datum */
        double reference_level_m; /* the staff-gauge reading used, or NAN */
        const char *note;         /* may be NULL */
};
/* Adds a calibration version; versions are never overwritten
 * (-EEXIST for a second one at the same valid_from). */
int store_calibration_add(struct store *st, int64_t device_id, const struct store_calibration *c);
/* The calibration in force at time t (the newest with valid_from <= t);
 * -ENOENT when none.  out->note is owned by out (free()). */
int store_calibration_at(struct store *st, int64_t device_id, int64_t t,
                         struct store_calibration *out);

/* ---- Readings ---------------------------------------------------------- */

struct store_reading {
        int64_t device_id;
        int64_t epoch, seq;
        int64_t measured_at, received_at;
        double dist_m, level_m, temp_c, batt_v, rssi_dbm; /* NAN when absent */
        unsigned quality;                                 /* enum store_quality */
};
/* Inserts a batch, idempotent on (device, epoch, seq); all or nothing.
 * The observations derived from them are written by the caller with
 * store_observations_add() in the same store_begin()/store_commit(). */
int store_readings_add(struct store *st, const struct store_reading *v, size_t n,
                       struct store_obs_result *res);
/* The newest (epoch, seq) of a device; -ENOENT when it has none. */
int store_readings_last(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq);
int store_readings_count(struct store *st, int64_t device_id, int64_t *count);

/* ---- Gaps -------------------------------------------------------------- */

struct store_gap {
        int64_t id, device_id, epoch, from_seq, to_seq, opened_at, closed_at;
};
struct store_gap_list {
        struct store_gap *v;
        size_t n;
};
/* Records a missing run of seq numbers [from_seq, to_seq]; idempotent on
 * (device, epoch, from_seq). */
int store_gap_open(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                   int64_t to_seq, int64_t *id);
int store_gap_close(struct store *st, int64_t gap_id, int64_t closed_at);
/* Open gaps (device_id 0: of every device), oldest first. */
int store_gaps_open_list(struct store *st, int64_t device_id, struct store_gap_list *out);
void store_gap_list_free(struct store_gap_list *l);

#endif
