/* The SpatiaLite backend: devices, calibration history, readings, gaps. */
#include "sl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool health_valid(const char *h)
{
        return h &&
               (strcmp(h, "online") == 0 || strcmp(h, "offline") == 0 || strcmp(h, "unknown") == 0);
}

int sl_device_add(struct store *st, const struct store_device *d, int64_t *id)
{
        struct sl *b = SL(st);
        if (!d || !d->device)
                return -EINVAL;
        int64_t now = sl_now();
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO devices (device, station_id, secret_hash, enabled, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    "tItbii", d->device, d->station_id, d->secret_hash, (int)d->enabled, now, now);
        int64_t did = sqlite3_last_insert_rowid(b->db);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = did;
        return rc;
}

int sl_device_update(struct store *st, const struct store_device *d)
{
        struct sl *b = SL(st);
        if (!d || !d->device)
                return -EINVAL;
        return sl_change(
            b,
            "UPDATE devices SET station_id = ?, secret_hash = coalesce(?, secret_hash), "
            "enabled = ?, updated_at = ? WHERE device = ?",
            "Itbit", d->station_id, d->secret_hash, (int)d->enabled, sl_now(), d->device);
}

static int device_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_device *d = elem;
        d->id = sqlite3_column_int64(s, 0);
        d->device = sl_col_strdup(s, 1);
        d->station_id = sqlite3_column_int64(s, 2);
        d->secret_hash = sl_col_strdup(s, 3);
        d->enabled = sqlite3_column_int(s, 4) != 0;
        d->health = sl_col_strdup(s, 5);
        d->last_seen_at = sqlite3_column_int64(s, 6);
        d->fw = sl_col_strdup(s, 7);
        d->batt_v = sl_col_double_or_nan(s, 8);
        d->rssi_dbm = sl_col_double_or_nan(s, 9);
        return d->device && d->health ? 0 : -ENOMEM;
}

#define DEVICE_COLUMNS                                                                             \
        "id, device, station_id, secret_hash, enabled, health, last_seen_at, fw, batt_v, rssi_dbm"

int sl_device_get(struct store *st, const char *device, struct store_device *out)
{
        struct sl *b = SL(st);
        struct store_device_list l = {0};
        memset(out, 0, sizeof(*out));
        int rc = 0;
        sqlite3_stmt *s = sl_query(b, "SELECT " DEVICE_COLUMNS " FROM devices WHERE device = ?",
                                   &rc, "t", device);
        if (!s)
                return rc;
        rc = sl_collect(b, s, (void **)&l.v, &l.n, sizeof(*l.v), device_fill, NULL);
        if (rc == 0 && l.n == 0)
                rc = -ENOENT;
        if (rc == 0) {
                *out = l.v[0];
                free(l.v);
        } else {
                store_device_list_free(&l);
        }
        return rc;
}

int sl_devices_list(struct store *st, struct store_device_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), device_fill, NULL,
                         "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY device", "");
        if (rc < 0)
                store_device_list_free(out);
        return rc;
}

int sl_device_health_set(struct store *st, int64_t device_id, const char *health,
                         int64_t last_seen_at, const char *fw, double batt_v, double rssi_dbm)
{
        struct sl *b = SL(st);
        if (!health_valid(health))
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        char old[16] = "", name[72] = "";
        double old_batt = NAN, old_rssi = NAN;
        sqlite3_stmt *s =
            sl_query(b, "SELECT health, device, batt_v, rssi_dbm FROM devices WHERE id = ?", &rc,
                     "i", device_id);
        if (!s)
                goto out;
        if (sqlite3_step(s) == SQLITE_ROW) {
                snprintf(old, sizeof(old), "%s", (const char *)sqlite3_column_text(s, 0));
                snprintf(name, sizeof(name), "%s", (const char *)sqlite3_column_text(s, 1));
                old_batt = sl_col_double_or_nan(s, 2);
                old_rssi = sl_col_double_or_nan(s, 3);
        } else {
                rc = -ENOENT;
        }
        sqlite3_reset(s);
        if (rc < 0)
                goto out;
        rc = sl_run(b,
                    "UPDATE devices SET health = ?2, last_seen_at = max(coalesce(last_seen_at, 0), "
                    "coalesce(?3, 0)), fw = coalesce(?4, fw), batt_v = coalesce(?5, batt_v), "
                    "rssi_dbm = coalesce(?6, rssi_dbm), updated_at = ?7 WHERE id = ?1",
                    "itItddi", device_id, health, last_seen_at, fw, batt_v, rssi_dbm, sl_now());
        /* A new battery or signal reading is told too (an installer's view
         * follows each one); a bare "still online" is not. */
        bool moved = (!isnan(batt_v) && !(batt_v == old_batt)) ||
                     (!isnan(rssi_dbm) && !(rssi_dbm == old_rssi));
        if (rc == 0 && (strcmp(old, health) != 0 || moved)) {
                char subject[96], data[200];
                snprintf(subject, sizeof(subject), "devices/%s", name);
                snprintf(data, sizeof(data), "{\"device\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}",
                         name, old, health);
                rc = sl_event(b, "device.health", subject, LEVEL_NONE, false, false, data);
        }
out:
        return sl_tx_end(b, rc);
}

/* ---- Calibration ------------------------------------------------------- */

int sl_calibration_add(struct store *st, int64_t device_id, const struct store_calibration *c)
{
        struct sl *b = SL(st);
        if (!c || !isfinite(c->mount_height_m))
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO device_calibrations (device_id, valid_from, mount_height_m, "
                    "reference_level_m, note, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    "iiddti", device_id, c->valid_from, c->mount_height_m, c->reference_level_m,
                    c->note, sl_now());
        return sl_tx_end(b, rc);
}

int sl_calibration_at(struct store *st, int64_t device_id, int64_t t, struct store_calibration *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = 0;
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT valid_from, mount_height_m, reference_level_m, note "
                                   "FROM device_calibrations WHERE device_id = ? AND valid_from "
                                   "<= ? ORDER BY valid_from DESC LIMIT 1",
                                   &rc, "ii", device_id, t);
        if (!s)
                return rc;
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                out->valid_from = sqlite3_column_int64(s, 0);
                out->mount_height_m = sqlite3_column_double(s, 1);
                out->reference_level_m = sl_col_double_or_nan(s, 2);
                out->note = sl_col_strdup(s, 3);
        } else {
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

/* ---- Readings ---------------------------------------------------------- */

int sl_readings_add(struct store *st, const struct store_reading *v, size_t n,
                    struct store_obs_result *res)
{
        struct sl *b = SL(st);
        struct store_obs_result r0 = {0, 0};
        if (res)
                *res = r0;
        if (n && !v)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (v[i].device_id <= 0 || v[i].epoch < 0 || v[i].seq < 0 ||
                    v[i].measured_at <= 0 || v[i].quality > 0xffff)
                        return -EINVAL;
        if (n == 0)
                return 0;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct store_reading *r = &v[i];
                rc = sl_run(b,
                            "INSERT OR IGNORE INTO readings (device_id, epoch, seq, measured_at, "
                            "received_at, dist_m, level_m, temp_c, batt_v, rssi_dbm, quality) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            "iiiiidddddi", r->device_id, r->epoch, r->seq, r->measured_at,
                            r->received_at, r->dist_m, r->level_m, r->temp_c, r->batt_v,
                            r->rssi_dbm, (int64_t)r->quality);
                if (rc == 0 && sqlite3_changes(b->db) > 0)
                        r0.inserted++;
                else if (rc == 0)
                        r0.duplicates++;
        }
        rc = sl_tx_end(b, rc);
        if (rc == 0 && res)
                *res = r0;
        return rc;
}

int sl_readings_last(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq)
{
        struct sl *b = SL(st);
        int rc = 0;
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT epoch, seq FROM readings WHERE device_id = ? ORDER BY "
                                   "epoch DESC, seq DESC LIMIT 1",
                                   &rc, "i", device_id);
        if (!s)
                return rc;
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                *epoch = sqlite3_column_int64(s, 0);
                *seq = sqlite3_column_int64(s, 1);
        } else {
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        return rc;
}

int sl_readings_count(struct store *st, int64_t device_id, int64_t *count)
{
        return sl_query_int(SL(st), "SELECT count(*) FROM readings WHERE device_id = ?", count, "i",
                            device_id);
}

/* ---- Gaps -------------------------------------------------------------- */

int sl_gap_open(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                int64_t to_seq, int64_t *id)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO reading_gaps (device_id, epoch, from_seq, to_seq, opened_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, epoch, from_seq) DO NOTHING",
                    "iiiii", device_id, epoch, from_seq, to_seq, sl_now());
        int64_t gid = 0;
        if (rc == 0)
                rc = sl_query_int(b,
                                  "SELECT id FROM reading_gaps WHERE device_id = ? AND epoch = ? "
                                  "AND from_seq = ?",
                                  &gid, "iii", device_id, epoch, from_seq);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = gid;
        return rc;
}

int sl_gap_close(struct store *st, int64_t gap_id, int64_t closed_at)
{
        struct sl *b = SL(st);
        return sl_change(b,
                         "UPDATE reading_gaps SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                         "ii", closed_at, gap_id);
}

static int gap_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_gap *g = elem;
        g->id = sqlite3_column_int64(s, 0);
        g->device_id = sqlite3_column_int64(s, 1);
        g->epoch = sqlite3_column_int64(s, 2);
        g->from_seq = sqlite3_column_int64(s, 3);
        g->to_seq = sqlite3_column_int64(s, 4);
        g->opened_at = sqlite3_column_int64(s, 5);
        g->closed_at = sqlite3_column_int64(s, 6);
        return 0;
}

int sl_gaps_open_list(struct store *st, int64_t device_id, struct store_gap_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), gap_fill, NULL,
                         "SELECT id, device_id, epoch, from_seq, to_seq, opened_at, "
                         "closed_at FROM reading_gaps WHERE closed_at IS NULL AND (?1 = "
                         "0 OR device_id = ?1) ORDER BY opened_at, id",
                         "i", device_id);
        if (rc < 0)
                store_gap_list_free(out);
        return rc;
}
