/* The PostGIS backend: source health, devices, calibration history,
 * readings (batched), gaps.  The rules are those of
 * geo/spatialite/sl_devices.c and sl_sources.c. */
#include "pg.h"

#include "buf.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Source health ----------------------------------------------------- */

static int emit_private(void *ctx, const char *type, const char *subject, bool exercise,
                        const char *data)
{
        return pg_event(ctx, type, subject, LEVEL_NONE, false, exercise, data);
}

int pg_source_health_set(struct store *st, const char *name, const char *state, const char *error,
                         bool exercise)
{
        struct pg *b = PG(st);
        if (!name || !store_source_state_valid(state))
                return -EINVAL;
        int64_t now = pg_now();
        PGresult *r = NULL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        char old[16] = "";
        /* FOR UPDATE: two writers of one source see each other's state. */
        rc = pg_q(b, &r, "SELECT state FROM source_status WHERE name = $1 FOR UPDATE", "t", name);
        if (rc < 0)
                goto out;
        if (PQntuples(r) == 1)
                snprintf(old, sizeof(old), "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        bool ok = strcmp(state, "ok") == 0;
        rc = pg_q(b, NULL,
                  "INSERT INTO source_status (name, state, last_ok_at, last_error_at, "
                  "last_error, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) "
                  "DO UPDATE SET state = $2, last_ok_at = coalesce($3, source_status.last_ok_at), "
                  "last_error_at = coalesce($4, source_status.last_error_at), "
                  "last_error = coalesce($5, source_status.last_error), updated_at = $6",
                  "ttIIti", name, state, ok ? now : (int64_t)0, ok ? (int64_t)0 : now,
                  ok ? NULL : error, now);
        if (rc == 0 && strcmp(old, state) != 0)
                rc = store_source_health_event(name, old, state, error, exercise, emit_private, b);
out:
        return pg_tx_end(b, rc);
}

static int source_status_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_source_status *s = elem;
        s->name = pg_col_strdup(r, i, 0);
        s->state = pg_col_strdup(r, i, 1);
        s->last_ok_at = pg_col_i64(r, i, 2);
        s->last_error_at = pg_col_i64(r, i, 3);
        s->last_error = pg_col_strdup(r, i, 4);
        s->updated_at = pg_col_i64(r, i, 5);
        s->exercise = pg_col_i64(r, i, 6) != 0;
        return s->name && s->state ? 0 : -ENOMEM;
}

int pg_source_status_list(struct store *st, struct store_source_status_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r,
                      "SELECT name, state, last_ok_at, last_error_at, last_error, updated_at, "
                      "CASE WHEN " STORE_DRILL_SOURCE_SQL " THEN 1 ELSE 0 END "
                      "FROM source_status ORDER BY name",
                      "");
        if (rc < 0)
                return rc;
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), source_status_fill, NULL);
        if (rc < 0)
                store_source_status_list_free(out);
        return rc;
}

/* ---- Devices ----------------------------------------------------------- */

static bool health_valid(const char *h)
{
        return h &&
               (strcmp(h, "online") == 0 || strcmp(h, "offline") == 0 || strcmp(h, "unknown") == 0);
}

int pg_device_add(struct store *st, const struct store_device *d, int64_t *id)
{
        struct pg *b = PG(st);
        if (!d || !d->device)
                return -EINVAL;
        int64_t now = pg_now(), did = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_query_int(b, &did,
                          "INSERT INTO devices (device, station_id, secret_hash, enabled, "
                          "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                          "tItbii", d->device, d->station_id, d->secret_hash, (int)d->enabled, now,
                          now);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = did;
        return rc;
}

int pg_device_update(struct store *st, const struct store_device *d)
{
        if (!d || !d->device)
                return -EINVAL;
        return pg_change(PG(st),
                         "UPDATE devices SET station_id = $1, secret_hash = coalesce($2, "
                         "secret_hash), enabled = $3, updated_at = $4 WHERE device = $5",
                         "Itbit", d->station_id, d->secret_hash, (int)d->enabled, pg_now(),
                         d->device);
}

#define DEVICE_COLUMNS                                                                             \
        "id, device, station_id, secret_hash, enabled, health, last_seen_at, fw, batt_v, rssi_dbm"

static int device_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_device *d = elem;
        d->id = pg_col_i64(r, i, 0);
        d->device = pg_col_strdup(r, i, 1);
        d->station_id = pg_col_i64(r, i, 2);
        d->secret_hash = pg_col_strdup(r, i, 3);
        d->enabled = pg_col_i64(r, i, 4) != 0;
        d->health = pg_col_strdup(r, i, 5);
        d->last_seen_at = pg_col_i64(r, i, 6);
        d->fw = pg_col_strdup(r, i, 7);
        d->batt_v = pg_col_double(r, i, 8);
        d->rssi_dbm = pg_col_double(r, i, 9);
        return d->device && d->health ? 0 : -ENOMEM;
}

static int devices_query(struct pg *b, const char *device, struct store_device_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = device ? pg_q(b, &r, "SELECT " DEVICE_COLUMNS " FROM devices WHERE device = $1",
                               "t", device)
                        : pg_q(b, &r, "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY device", "");
        if (rc < 0)
                return rc;
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), device_fill, NULL);
        if (rc < 0)
                store_device_list_free(out);
        return rc;
}

int pg_device_get(struct store *st, const char *device, struct store_device *out)
{
        struct store_device_list l;
        memset(out, 0, sizeof(*out));
        if (!device)
                return -EINVAL;
        int rc = devices_query(PG(st), device, &l);
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

int pg_devices_list(struct store *st, struct store_device_list *out)
{
        return devices_query(PG(st), NULL, out);
}

int pg_device_health_set(struct store *st, int64_t device_id, const char *health,
                         int64_t last_seen_at, const char *fw, double batt_v, double rssi_dbm)
{
        struct pg *b = PG(st);
        PGresult *r = NULL;
        if (!health_valid(health))
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        char old[16] = "", name[72] = "";
        double old_batt = NAN, old_rssi = NAN;
        rc = pg_q(b, &r,
                  "SELECT health, device, batt_v, rssi_dbm FROM devices WHERE id = $1 FOR UPDATE",
                  "i", device_id);
        if (rc < 0)
                goto out;
        if (PQntuples(r) == 1) {
                snprintf(old, sizeof(old), "%s", PQgetvalue(r, 0, 0));
                snprintf(name, sizeof(name), "%s", PQgetvalue(r, 0, 1));
                if (!PQgetisnull(r, 0, 2))
                        old_batt = strtod(PQgetvalue(r, 0, 2), NULL);
                if (!PQgetisnull(r, 0, 3))
                        old_rssi = strtod(PQgetvalue(r, 0, 3), NULL);
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        if (rc < 0)
                goto out;
        rc = pg_q(b, NULL,
                  "UPDATE devices SET health = $2, last_seen_at = greatest(coalesce(last_seen_at, "
                  "0), coalesce($3, 0)), fw = coalesce($4, fw), batt_v = coalesce($5, batt_v), "
                  "rssi_dbm = coalesce($6, rssi_dbm), updated_at = $7 WHERE id = $1",
                  "itItddi", device_id, health, last_seen_at, fw, batt_v, rssi_dbm, pg_now());
        /* As on SpatiaLite: a new battery or signal reading is told too. */
        bool moved = (!isnan(batt_v) && !(batt_v == old_batt)) ||
                     (!isnan(rssi_dbm) && !(rssi_dbm == old_rssi));
        if (rc == 0 && (strcmp(old, health) != 0 || moved)) {
                char subject[96], data[200];
                snprintf(subject, sizeof(subject), "devices/%s", name);
                snprintf(data, sizeof(data), "{\"device\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}",
                         name, old, health);
                rc = pg_event(b, "device.health", subject, LEVEL_NONE, false, false, data);
        }
out:
        return pg_tx_end(b, rc);
}

/* ---- Calibration ------------------------------------------------------- */

int pg_calibration_add(struct store *st, int64_t device_id, const struct store_calibration *c)
{
        struct pg *b = PG(st);
        if (!c || !isfinite(c->mount_height_m))
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, NULL,
                  "INSERT INTO device_calibrations (device_id, valid_from, mount_height_m, "
                  "reference_level_m, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                  "iiddti", device_id, c->valid_from, c->mount_height_m, c->reference_level_m,
                  c->note, pg_now());
        return pg_tx_end(b, rc);
}

int pg_calibration_at(struct store *st, int64_t device_id, int64_t t, struct store_calibration *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r,
                      "SELECT valid_from, mount_height_m, reference_level_m, note FROM "
                      "device_calibrations WHERE device_id = $1 AND valid_from <= $2 ORDER BY "
                      "valid_from DESC LIMIT 1",
                      "ii", device_id, t);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1) {
                out->valid_from = pg_col_i64(r, 0, 0);
                out->mount_height_m = pg_col_double(r, 0, 1);
                out->reference_level_m = pg_col_double(r, 0, 2);
                out->note = pg_col_strdup(r, 0, 3);
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        return rc;
}

/* ---- Readings ---------------------------------------------------------- */

static int arr_sep(struct buf *a, size_t i)
{
        return buf_putc(a, i ? ',' : '{');
}

static int arr_num(struct buf *a, size_t i, double v)
{
        int rc = arr_sep(a, i);
        if (rc == 0)
                rc = isfinite(v) ? buf_printf(a, "%.17g", v) : buf_printf(a, "NULL");
        return rc;
}

static int arr_int(struct buf *a, size_t i, int64_t v)
{
        int rc = arr_sep(a, i);
        return rc == 0 ? buf_printf(a, "%lld", (long long)v) : rc;
}

/* One INSERT ... SELECT FROM unnest(arrays) for the whole batch; the
 * duplicates are the rows RETURNING does not name. */
int pg_readings_add(struct store *st, const struct store_reading *v, size_t n,
                    struct store_obs_result *res)
{
        struct pg *b = PG(st);
        struct store_obs_result r0 = {0, 0};
        enum { N_COLS = 11 };
        struct buf a[N_COLS];
        PGresult *r = NULL;
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
        for (int k = 0; k < N_COLS; k++)
                a[k] = (struct buf)BUF_INIT(PG_BATCH_MAX);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct store_reading *x = &v[i];
                int64_t ints[] = {x->device_id, x->epoch, x->seq, x->measured_at, x->received_at};
                double dbls[] = {x->dist_m, x->level_m, x->temp_c, x->batt_v, x->rssi_dbm};
                for (int k = 0; k < 5 && rc == 0; k++)
                        rc = arr_int(&a[k], i, ints[k]);
                for (int k = 0; k < 5 && rc == 0; k++)
                        rc = arr_num(&a[5 + k], i, dbls[k]);
                if (rc == 0)
                        rc = arr_int(&a[10], i, (int64_t)x->quality);
        }
        for (int k = 0; k < N_COLS && rc == 0; k++)
                rc = buf_putc(&a[k], '}');
        if (rc < 0) {
                rc = -ENOMEM;
                goto out_free;
        }
        rc = pg_tx_begin(b);
        if (rc < 0)
                goto out_free;
        rc = pg_q(b, &r,
                  "INSERT INTO readings (device_id, epoch, seq, measured_at, received_at, dist_m, "
                  "level_m, temp_c, batt_v, rssi_dbm, quality) SELECT * FROM unnest($1::bigint[], "
                  "$2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::float8[], "
                  "$7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::bigint[]) "
                  "ON CONFLICT DO NOTHING RETURNING 1",
                  "ttttttttttt", a[0].data, a[1].data, a[2].data, a[3].data, a[4].data, a[5].data,
                  a[6].data, a[7].data, a[8].data, a[9].data, a[10].data);
        if (rc == 0) {
                r0.inserted = (size_t)PQntuples(r);
                r0.duplicates = n - r0.inserted;
        }
        PQclear(r);
        rc = pg_tx_end(b, rc);
out_free:
        for (int k = 0; k < N_COLS; k++)
                buf_free(&a[k]);
        if (rc == 0 && res)
                *res = r0;
        return rc;
}

int pg_readings_last(struct store *st, int64_t device_id, int64_t *epoch, int64_t *seq)
{
        PGresult *r = NULL;
        int rc = pg_q(PG(st), &r,
                      "SELECT epoch, seq FROM readings WHERE device_id = $1 ORDER BY epoch DESC, "
                      "seq DESC LIMIT 1",
                      "i", device_id);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1) {
                *epoch = pg_col_i64(r, 0, 0);
                *seq = pg_col_i64(r, 0, 1);
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        return rc;
}

int pg_readings_count(struct store *st, int64_t device_id, int64_t *count)
{
        return pg_query_int(PG(st), count, "SELECT count(*) FROM readings WHERE device_id = $1",
                            "i", device_id);
}

/* ---- Gaps -------------------------------------------------------------- */

int pg_gap_open(struct store *st, int64_t device_id, int64_t epoch, int64_t from_seq,
                int64_t to_seq, int64_t *id)
{
        struct pg *b = PG(st);
        int64_t gid = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, NULL,
                  "INSERT INTO reading_gaps (device_id, epoch, from_seq, to_seq, opened_at) "
                  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, epoch, from_seq) DO NOTHING",
                  "iiiii", device_id, epoch, from_seq, to_seq, pg_now());
        if (rc == 0)
                rc = pg_query_int(b, &gid,
                                  "SELECT id FROM reading_gaps WHERE device_id = $1 AND epoch = "
                                  "$2 AND from_seq = $3",
                                  "iii", device_id, epoch, from_seq);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = gid;
        return rc;
}

int pg_gap_close(struct store *st, int64_t gap_id, int64_t closed_at)
{
        return pg_change(PG(st),
                         "UPDATE reading_gaps SET closed_at = $1 WHERE id = $2 AND closed_at IS "
                         "NULL",
                         "ii", closed_at, gap_id);
}

static int gap_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_gap *g = elem;
        g->id = pg_col_i64(r, i, 0);
        g->device_id = pg_col_i64(r, i, 1);
        g->epoch = pg_col_i64(r, i, 2);
        g->from_seq = pg_col_i64(r, i, 3);
        g->to_seq = pg_col_i64(r, i, 4);
        g->opened_at = pg_col_i64(r, i, 5);
        g->closed_at = pg_col_i64(r, i, 6);
        return 0;
}

int pg_gaps_open_list(struct store *st, int64_t device_id, struct store_gap_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r,
                      "SELECT id, device_id, epoch, from_seq, to_seq, opened_at, closed_at FROM "
                      "reading_gaps WHERE closed_at IS NULL AND ($1 = 0 OR device_id = $1) ORDER "
                      "BY opened_at, id",
                      "i", device_id);
        if (rc < 0)
                return rc;
        rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), gap_fill, NULL);
        if (rc < 0)
                store_gap_list_free(out);
        return rc;
}
