/* The store interface: dispatch to the backend, and the rules that belong
 * to no backend (names of kinds, quantities and events, stale/offline). */
#include "store_backend.h"

#include "buf.h"
#include "config.h"
#include "json.h"
#include "schema.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"gauge", "sensor", "camera", "rain"};

static const struct {
        const char *name;
        const char *unit;
} quantities[] = {
    {"water_level_m", "m"}, {"precip_10m_mm", "mm"}, {"precip_1h_mm", "mm"},
    {"distance_m", "m"},    {"battery_v", "V"},      {"rssi_dbm", "dBm"},
    {"temp_c", "Cel"},      {"precip_3h_mm", "mm"},  {"precip_24h_mm", "mm"},
};

static const char *const event_types[] = {
    "alert.changed", "area.level",   "station.level",    "station.state",  "station.observations",
    "camera.image",  "camera.state", "report.created",   "report.updated", "shelter.updated",
    "order.issued",  "order.lifted", "notice.published", "device.health",  "source.health",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

bool store_kind_valid(const char *kind)
{
        for (size_t i = 0; kind && i < N_OF(kinds); i++)
                if (strcmp(kind, kinds[i]) == 0)
                        return true;
        return false;
}

bool store_quantity_valid(const char *quantity)
{
        return store_quantity_unit(quantity) != NULL;
}

const char *store_quantity_unit(const char *quantity)
{
        for (size_t i = 0; quantity && i < N_OF(quantities); i++)
                if (strcmp(quantity, quantities[i].name) == 0)
                        return quantities[i].unit;
        return NULL;
}

int store_quantity_index(const char *quantity)
{
        for (size_t i = 0; quantity && i < N_OF(quantities); i++)
                if (strcmp(quantity, quantities[i].name) == 0)
                        return (int)i;
        return -1;
}

const char *store_quantity_name(int i)
{
        return i >= 0 && (size_t)i < N_OF(quantities) ? quantities[i].name : NULL;
}

const char *store_kind_default_quantity(const char *kind)
{
        if (!kind || strcmp(kind, "camera") == 0)
                return NULL;
        return strcmp(kind, "rain") == 0 ? "precip_10m_mm" : "water_level_m";
}

bool store_main_quantity_valid(const char *quantity)
{
        int i = store_quantity_index(quantity);
        return i >= 0 && strcmp(quantities[i].name, "precip_3h_mm") != 0 &&
               strcmp(quantities[i].name, "precip_24h_mm") != 0;
}

void store_status_next(const struct store_status_in *in, int grace, int64_t now,
                       struct store_status_next *out)
{
        int new_level = LEVEL_NONE;
        enum station_state new_state = STATE_UNKNOWN;
        if (isfinite(in->value)) {
                if (in->quantity == STORE_Q_WATER_LEVEL) {
                        struct level_result lr = level_from_thresholds(in->value, in->thr);
                        new_level = lr.level;
                        new_state = lr.state;
                } else {
                        new_state = STATE_OK;
                }
        } else if (in->last_observed_at > 0) {
                new_state = in->old_state == STATE_STALE || in->old_state == STATE_OFFLINE
                                ? STATE_OK
                                : in->old_state;
        }
        out->old_eff = in->old_exists ? store_effective_state(in->old_state, in->kind,
                                                              in->old_last_observed_at,
                                                              in->expected_interval_s, grace, now)
                                      : STATE_UNKNOWN;
        out->new_eff = store_effective_state(new_state, in->kind, in->last_observed_at,
                                             in->expected_interval_s, grace, now);
        if (out->new_eff == STATE_STALE || out->new_eff == STATE_OFFLINE)
                new_state = out->new_eff;
        out->level = new_level;
        out->state = new_state;
        out->old_level = out->old_eff == STATE_STALE || out->old_eff == STATE_OFFLINE
                             ? LEVEL_NONE
                             : in->old_level;
        out->eff_level =
            out->new_eff == STATE_STALE || out->new_eff == STATE_OFFLINE ? LEVEL_NONE : new_level;
}

#define DRILL_MARK "【訓練】"

int store_station_drill_name(const struct store_station *in, char *buf, size_t len,
                             const char **name)
{
        *name = in->name;
        if (!in->exercise || strncmp(in->name, DRILL_MARK, strlen(DRILL_MARK)) == 0)
                return 0;
        int n = snprintf(buf, len, "%s%s", DRILL_MARK, in->name);
        if (n < 0 || (size_t)n >= len)
                return -EINVAL;
        *name = buf;
        return 0;
}

int store_station_change_events(int64_t id, int old_level, int new_level,
                                enum station_state old_state, enum station_state new_state,
                                store_emit_fn emit, void *ctx)
{
        char subject[40], data[160];
        int rc = 0;
        snprintf(subject, sizeof(subject), "stations/%lld", (long long)id);
        if (old_level != new_level) {
                char from[16] = "null", to[16] = "null";
                if (old_level)
                        snprintf(from, sizeof(from), "%d", old_level);
                if (new_level)
                        snprintf(to, sizeof(to), "%d", new_level);
                snprintf(data, sizeof(data), "{\"station\":%lld,\"from\":%s,\"to\":%s}",
                         (long long)id, from, to);
                rc = emit(ctx, "station.level", subject, new_level, data);
        }
        if (rc == 0 && old_state != new_state) {
                snprintf(data, sizeof(data), "{\"station\":%lld,\"from\":\"%s\",\"to\":\"%s\"}",
                         (long long)id, station_state_name(old_state),
                         station_state_name(new_state));
                rc = emit(ctx, "station.state", subject, new_level, data);
        }
        return rc;
}

void store_sha256_hex(const void *data, size_t len, char hex[65])
{
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, data, len);
        sodium_bin2hex(hex, 65, h, sizeof(h));
}

bool store_jma_state_valid(const char *state)
{
        static const char *const states[] = {"pending", "done", "lost", "gone", "refused"};
        for (size_t i = 0; state && i < N_OF(states); i++)
                if (strcmp(state, states[i]) == 0)
                        return true;
        return false;
}

bool store_source_state_valid(const char *state)
{
        static const char *const states[] = {"ok", "degraded", "failing", "unknown"};
        for (size_t i = 0; state && i < N_OF(states); i++)
                if (strcmp(state, states[i]) == 0)
                        return true;
        return false;
}

void store_shelter_event(int64_t id, bool is_open, int64_t occupancy, char subject[40],
                         char data[160])
{
        char occ[24] = "null";
        if (occupancy >= 0)
                snprintf(occ, sizeof(occ), "%lld", (long long)occupancy);
        snprintf(subject, 40, "shelters/%lld", (long long)id);
        snprintf(data, 160, "{\"shelter\":%lld,\"open\":%s,\"occupancy\":%s}", (long long)id,
                 is_open ? "true" : "false", occ);
}

int store_source_health_event(const char *name, const char *from, const char *to, const char *error,
                              bool exercise, store_emit_private_fn emit, void *ctx)
{
        char subject[80];
        struct buf data = BUF_INIT(4096);
        struct json_writer w;
        json_init(&w, &data);
        json_obj_begin(&w);
        json_key(&w, "source");
        json_str(&w, name);
        json_key(&w, "from");
        json_str(&w, from && from[0] ? from : "unknown");
        json_key(&w, "to");
        json_str(&w, to);
        if (strcmp(to, "ok") != 0 && error) {
                json_key(&w, "error");
                json_str(&w, error);
        }
        json_obj_end(&w);
        snprintf(subject, sizeof(subject), "sources/%.64s", name);
        int rc =
            json_error(&w) ? -ENOMEM : emit(ctx, "source.health", subject, exercise, data.data);
        buf_free(&data);
        return rc;
}

bool store_event_type_valid(const char *type)
{
        for (size_t i = 0; type && i < N_OF(event_types); i++)
                if (strcmp(type, event_types[i]) == 0)
                        return true;
        return false;
}

enum station_state store_effective_state(enum station_state stored, const char *kind,
                                         int64_t last_observed_at, int64_t expected_interval_s,
                                         int grace, int64_t now)
{
        if (grace <= 0)
                grace = 3;
        if (last_observed_at <= 0)
                return STATE_UNKNOWN;
        if (expected_interval_s > 0 && now - last_observed_at > expected_interval_s * grace)
                return kind && strcmp(kind, "sensor") == 0 ? STATE_OFFLINE : STATE_STALE;
        /* A stored stale/offline is history once data flows again; the
         * next observation rewrites it, until then the age decides. */
        if (stored == STATE_STALE || stored == STATE_OFFLINE)
                return STATE_UNKNOWN;
        return stored;
}

enum station_state store_refresh_state(enum station_state stored, const char *kind,
                                       int64_t last_observed_at, int64_t expected_interval_s,
                                       int grace, int64_t now)
{
        enum station_state eff =
            store_effective_state(stored, kind, last_observed_at, expected_interval_s, grace, now);
        if ((eff != STATE_STALE && eff != STATE_OFFLINE) || eff == stored)
                return STATE_UNKNOWN;
        return eff;
}

bool store_err_is_trouble(int err)
{
        return err == -ENOSPC || err == -EIO;
}

const char *store_strerror(int err)
{
        switch (err) {
        case 0:
                return "ok";
        case -EINVAL:
                return "invalid value";
        case -EEXIST:
                return "already exists";
        case -ENOENT:
                return "not found";
        case -EBUSY:
                return "store busy";
        case -ENOSPC:
                return "disk full";
        case -EIO:
                return "I/O error";
        case -EBADMSG:
                return "not a store or corrupt";
        case -ENOMEM:
                return "out of memory";
        case -EROFS:
                return "read-only store";
        case -ENOTSUP:
                return "not supported by this backend";
        default:
                return strerror(err < 0 ? -err : err);
        }
}

int store_open(const struct store_options *opt, struct store **out)
{
        *out = NULL;
        if (!opt)
                return -EINVAL;
        const char *backend = opt->backend ? opt->backend : "spatialite";
        int rc;
        if (strcmp(backend, "spatialite") == 0)
                rc = spatialite_store_open(opt, out);
        else if (strcmp(backend, "postgis") == 0)
                rc = postgis_store_open(opt, out);
        else
                rc = -EINVAL;
        if (rc == 0) {
                (*out)->grace = opt->grace > 0 ? opt->grace : 3;
                (*out)->all_exercise = opt->all_exercise;
        }
        return rc;
}

int store_open_config(const struct sonae_config *cfg, struct store **out)
{
        struct store_options opt = {0};
        opt.backend = cfg->store.backend;
        opt.path = cfg->store.path;
        opt.dsn = cfg->store.dsn;
        opt.synchronous = cfg->store.synchronous;
        opt.all_exercise = cfg->demo.all_exercise;
        return store_open(&opt, out);
}

void store_close(struct store *st)
{
        if (st)
                st->ops->close(st);
}

int store_schema_target(const struct store *st)
{
        return strcmp(st->ops->name, "postgis") == 0 ? pg_schema_n_migrations : schema_n_migrations;
}

const char *store_backend_name(const struct store *st)
{
        return st->ops->name;
}

int store_schema_version(struct store *st, int *version)
{
        return st->ops->schema_version(st, version);
}

int store_migrate(struct store *st, int *applied)
{
        return st->ops->migrate(st, applied);
}

int store_check(struct store *st, char *why, size_t why_len)
{
        return st->ops->check(st, why, why_len);
}

int store_begin(struct store *st)
{
        return st->ops->begin(st);
}

int store_commit(struct store *st)
{
        return st->ops->commit(st);
}

int store_rollback(struct store *st)
{
        return st->ops->rollback(st);
}

int store_checkpoint(struct store *st)
{
        return st->ops->checkpoint(st);
}

int store_backup(struct store *st, const char *path)
{
        if (!path || !path[0])
                return -EINVAL;
        return st->ops->backup(st, path);
}

int store_restore(const struct store_options *opt, const char *from, bool force)
{
        if (!opt || !from)
                return -EINVAL;
        const char *backend = opt->backend ? opt->backend : "spatialite";
        if (strcmp(backend, "spatialite") == 0)
                return spatialite_store_restore(opt, from, force);
        if (strcmp(backend, "postgis") == 0)
                return postgis_store_restore(opt, from, force);
        return -EINVAL;
}

int store_station_upsert(struct store *st, const struct store_station *in, int64_t *id)
{
        return st->ops->station_upsert(st, in, id);
}

int store_station_find(struct store *st, const char *source, const char *external_id, int64_t *id)
{
        return st->ops->station_find(st, source, external_id, id);
}

int store_observations_add(struct store *st, const struct store_obs *v, size_t n,
                           struct store_obs_result *res)
{
        return st->ops->observations_add(st, v, n, res);
}

int store_observations_range(struct store *st, int64_t station_id, const char *quantity,
                             int64_t from, int64_t to, size_t limit, struct store_obs_list *out)
{
        return st->ops->observations_range(st, station_id, quantity, from, to, limit, out);
}

int store_latest_all(struct store *st, int64_t now, struct store_latest_list *out)
{
        return st->ops->latest(st, 0, now, out);
}

int store_latest_get(struct store *st, int64_t station_id, int64_t now,
                     struct store_latest_list *out)
{
        if (station_id <= 0)
                return -EINVAL;
        return st->ops->latest(st, station_id, now, out);
}

int store_stations_refresh_state(struct store *st, int64_t now, size_t *changed)
{
        return st->ops->stations_refresh_state(st, now, changed);
}

int store_station_set_state(struct store *st, int64_t station_id, enum station_state state,
                            int64_t seen_at)
{
        return st->ops->station_set_state(st, station_id, state, seen_at);
}

int store_events_after(struct store *st, int64_t after_id, size_t limit, bool public_only,
                       struct store_event_list *out)
{
        return st->ops->events_after(st, after_id, limit, public_only, out);
}

int store_events_last_id(struct store *st, int64_t *id)
{
        return st->ops->events_last_id(st, id);
}

int store_events_wait(struct store *st, int timeout_ms, int64_t *last_id)
{
        *last_id = 0;
        return st->ops->events_wait ? st->ops->events_wait(st, timeout_ms, last_id) : -ENOTSUP;
}

int store_event_emit(struct store *st, const char *type, const char *subject, int level,
                     bool is_public, bool exercise, const char *data)
{
        if (!store_event_type_valid(type) || !subject || !subject[0])
                return -EINVAL;
        return st->ops->event_emit(st, type, subject, level, is_public, exercise, data);
}

void store_obs_list_free(struct store_obs_list *l)
{
        if (!l)
                return;
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

bool store_latest_visible(const struct store_latest *l, int view)
{
        if (!l->exercise || view == STORE_VIEW_ALL)
                return true;
        return view == STORE_VIEW_PUBLIC && l->drill_public;
}

void store_latest_list_free(struct store_latest_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                struct store_latest *x = &l->v[i];
                free((char *)x->kind);
                free((char *)x->source);
                free((char *)x->external_id);
                free((char *)x->name);
                free((char *)x->river);
                free((char *)x->area_code);
                free((char *)x->quantity);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void store_event_list_free(struct store_event_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free((char *)l->v[i].type);
                free((char *)l->v[i].subject);
                free((char *)l->v[i].data);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}
