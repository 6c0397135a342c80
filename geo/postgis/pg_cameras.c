/* The PostGIS backend: river camera images, states and gauge links
 * (store_sources.h); the rules are those of sl_sources.c. */
#include "pg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* 0 when station_id is a camera, -EINVAL when it is another kind, -ENOENT
 * without such a station, or the store's error. */
static int camera_check(struct pg *b, int64_t station_id)
{
        int64_t cam = 0;
        int rc = pg_query_int(b, &cam, "SELECT (kind = 'camera')::int FROM stations WHERE id = $1",
                              "i", station_id);
        return rc == 0 && !cam ? -EINVAL : rc;
}

/* The writes take no station that is not a camera: -EINVAL. */
static int is_camera(struct pg *b, int64_t station_id)
{
        int rc = camera_check(b, station_id);
        return rc == -ENOENT ? -EINVAL : rc;
}

/* Whether a station is a drill's (its camera events are then exercise). */
static int station_exercise(struct pg *b, int64_t station_id, bool *exercise)
{
        int64_t ex = 0;
        int rc =
            pg_query_int(b, &ex, "SELECT exercise FROM stations WHERE id = $1", "i", station_id);
        *exercise = rc == 0 && ex != 0;
        return rc == -ENOENT ? -EINVAL : rc;
}

int pg_camera_image_add(struct store *st, const struct store_camera_image *img, int64_t *id)
{
        struct pg *b = PG(st);
        if (!img)
                return -EINVAL;
        int64_t iid = 0;
        bool exercise = false;
        int rc = is_camera(b, img->station_id);
        if (rc == 0)
                rc = station_exercise(b, img->station_id, &exercise);
        if (rc < 0)
                return rc;
        rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        PGresult *r = NULL;
        rc = pg_q(b, &r,
                  "INSERT INTO camera_images (station_id, captured_at, fetched_at, path, "
                  "thumb_path, bytes, width, height, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                  "$8, $9) ON CONFLICT (station_id, captured_at) DO NOTHING RETURNING id",
                  "iiittiiit", img->station_id, img->captured_at, img->fetched_at, img->path,
                  img->thumb_path, img->bytes, (int64_t)img->width, (int64_t)img->height,
                  img->sha256);
        bool added = rc == 0 && PQntuples(r) == 1;
        if (added)
                iid = pg_col_i64(r, 0, 0);
        PQclear(r);
        if (rc == 0 && !added)
                rc = pg_query_int(b, &iid,
                                  "SELECT id FROM camera_images WHERE station_id = $1 AND "
                                  "captured_at = $2",
                                  "ii", img->station_id, img->captured_at);
        if (rc == 0 && added) {
                char subject[40], data[200];
                store_camera_image_event(img->station_id, iid, img->captured_at, subject, data);
                rc = pg_event(b, "camera.image", subject, LEVEL_NONE, true, exercise, data);
        }
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = iid;
        return rc;
}

static int camera_image_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_camera_image *c = elem;
        c->id = pg_col_i64(r, i, 0);
        c->station_id = pg_col_i64(r, i, 1);
        c->captured_at = pg_col_i64(r, i, 2);
        c->fetched_at = pg_col_i64(r, i, 3);
        c->path = pg_col_strdup(r, i, 4);
        c->thumb_path = pg_col_strdup(r, i, 5);
        c->bytes = pg_col_i64(r, i, 6);
        c->width = (int)pg_col_i64(r, i, 7);
        c->height = (int)pg_col_i64(r, i, 8);
        c->sha256 = pg_col_strdup(r, i, 9);
        return c->path && c->sha256 ? 0 : -ENOMEM;
}

#define CAMERA_COLUMNS                                                                             \
        "id, station_id, captured_at, fetched_at, path, thumb_path, bytes, width, height, sha256"

static int camera_images(struct pg *b, struct store_camera_image_list *out, const char *sql,
                         const char *fmt, ...)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        va_list ap;
        va_start(ap, fmt);
        int rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        if (rc == 0)
                rc =
                    pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), camera_image_fill, NULL);
        if (rc < 0)
                store_camera_image_list_free(out);
        return rc;
}

int pg_camera_images_list(struct store *st, int64_t station_id, int64_t from, int64_t to,
                          size_t limit, struct store_camera_image_list *out)
{
        return camera_images(PG(st), out,
                             "SELECT " CAMERA_COLUMNS " FROM camera_images WHERE station_id = $1 "
                             "AND captured_at >= $2 AND captured_at < $3 ORDER BY captured_at "
                             "DESC LIMIT $4",
                             "iiii", station_id, from, to, (int64_t)(limit ? limit : 1000));
}

int pg_camera_image_get(struct store *st, int64_t station_id, int64_t image_id,
                        struct store_camera_image_list *out)
{
        int rc = camera_images(PG(st), out,
                               "SELECT " CAMERA_COLUMNS " FROM camera_images WHERE id = $1 AND "
                               "station_id = $2",
                               "ii", image_id, station_id);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_camera_image_list_free(out);
        return rc;
}

int pg_camera_images_prune(struct store *st, int64_t station_id, int64_t before,
                           struct store_camera_image_list *out)
{
        struct pg *b = PG(st);
        memset(out, 0, sizeof(*out));
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* One statement: the rows removed are the rows listed. */
        rc = camera_images(b, out,
                           "WITH d AS (DELETE FROM camera_images WHERE station_id = $1 AND "
                           "captured_at < $2 RETURNING " CAMERA_COLUMNS
                           ") SELECT * FROM d ORDER BY captured_at",
                           "ii", station_id, before);
        rc = pg_tx_end(b, rc);
        if (rc < 0)
                store_camera_image_list_free(out);
        return rc;
}

int pg_camera_get_state(struct store *st, int64_t station_id, const char **state)
{
        struct pg *b = PG(st);
        int rc = camera_check(b, station_id);
        if (rc < 0)
                return rc;
        PGresult *r = NULL;
        rc = pg_q(b, &r, "SELECT state FROM camera_status WHERE station_id = $1", "i", station_id);
        if (rc < 0)
                return rc;
        const char *s = PQntuples(r) ? store_camera_state_static(PQgetvalue(r, 0, 0)) : NULL;
        *state = s ? s : "unknown";
        PQclear(r);
        return 0;
}

int pg_camera_set_state(struct store *st, int64_t station_id, const char *state)
{
        struct pg *b = PG(st);
        if (!store_camera_state_static(state))
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* Read and write under the row's lock: two writers of one camera
         * announce one change. */
        rc = pg_q(b, NULL, "SELECT pg_advisory_xact_lock(hashtext('camera_status:' || $1))", "i",
                  station_id);
        const char *old = NULL;
        bool exercise = false;
        if (rc == 0)
                rc = pg_camera_get_state(st, station_id, &old);
        if (rc == 0)
                rc = station_exercise(b, station_id, &exercise);
        if (rc == 0 && strcmp(old, state) != 0) {
                rc = pg_q(b, NULL,
                          "INSERT INTO camera_status (station_id, state, since) VALUES ($1, $2, "
                          "$3) ON CONFLICT (station_id) DO UPDATE SET state = EXCLUDED.state, "
                          "since = EXCLUDED.since",
                          "iti", station_id, state, pg_now());
                if (rc == 0) {
                        char subject[40], data[160];
                        store_camera_state_event(station_id, old, state, subject, data);
                        rc = pg_event(b, "camera.state", subject, LEVEL_NONE, true, exercise, data);
                }
        }
        return pg_tx_end(b, rc);
}

int pg_camera_link_gauge(struct store *st, int64_t camera_id, const char *gauge_source,
                         const char *gauge_external_id)
{
        struct pg *b = PG(st);
        int rc = is_camera(b, camera_id);
        if (rc < 0)
                return rc;
        if (gauge_source && !gauge_external_id)
                return -EINVAL;
        rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        if (!gauge_source)
                rc =
                    pg_q(b, NULL, "DELETE FROM camera_gauges WHERE camera_id = $1", "i", camera_id);
        else
                rc = pg_q(b, NULL,
                          "INSERT INTO camera_gauges (camera_id, gauge_source, gauge_external_id) "
                          "VALUES ($1, $2, $3) ON CONFLICT (camera_id) DO UPDATE SET gauge_source "
                          "= EXCLUDED.gauge_source, gauge_external_id = EXCLUDED.gauge_external_id",
                          "itt", camera_id, gauge_source, gauge_external_id);
        return pg_tx_end(b, rc);
}

int pg_camera_gauge(struct store *st, int64_t camera_id, int64_t *gauge_id)
{
        return pg_query_int(PG(st), gauge_id,
                            "SELECT s.id FROM camera_gauges g JOIN stations s ON s.source = "
                            "g.gauge_source AND s.external_id = g.gauge_external_id WHERE "
                            "g.camera_id = $1",
                            "i", camera_id);
}
