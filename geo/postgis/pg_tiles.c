/* The PostGIS backend: vector tile sets, cut on the server with ST_AsMVT.
 *
 * The importer hands a new set's features to the backend
 * (store_tile_features_add) instead of cutting them with GDAL: they wait
 * in a temporary table of the connection, transformed to EPSG:3857, until
 * the end of the import's transaction (ON COMMIT DELETE ROWS), and
 * store_tile_set_cut() writes every tile of the set's zooms that holds a
 * feature into `tiles` in one statement, as GDAL's MVT driver would lay
 * them out: extent 4096, buffer 80, each zoom simplified to one tile unit,
 * string attributes.  From then on a set is the same rows as SpatiaLite's
 * and is read, versioned and replaced the same way. */
#include "pg.h"

#include "buf.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_tile_set_create(struct store *st, const char *layer, const char *version, int min_zoom,
                       int max_zoom, int64_t *id)
{
        struct pg *b = PG(st);
        if (!store_tile_layer_ok(layer) || !version || !version[0] || strlen(version) > 64 ||
            min_zoom < 0 || max_zoom > 22 || min_zoom > max_zoom)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* Asked first: a refused INSERT would abort the caller's whole
         * transaction. */
        int64_t have = 0, sid = 0;
        rc = pg_query_int(b, &have,
                          "SELECT count(*) FROM tile_sets WHERE layer = $1 AND version = $2", "tt",
                          layer, version);
        if (rc == 0 && have)
                rc = -EEXIST;
        if (rc == 0)
                rc = pg_query_int(b, &sid,
                                  "INSERT INTO tile_sets (layer, version, min_zoom, max_zoom, "
                                  "active, created_at) VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
                                  "ttiii", layer, version, (int64_t)min_zoom, (int64_t)max_zoom,
                                  pg_now());
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = sid;
        return rc;
}

int pg_tile_put(struct store *st, int64_t set_id, int z, int x, int y, const void *data, size_t len)
{
        if (!store_tile_xyz_ok(z, x, y) || !data || len < 1 || len > 4194304)
                return -EINVAL;
        return pg_q(PG(st), NULL,
                    "INSERT INTO tiles (set_id, z, x, y, data) VALUES ($1, $2, $3, $4, $5) ON "
                    "CONFLICT (set_id, z, x, y) DO UPDATE SET data = excluded.data",
                    "iiiiB", set_id, (int64_t)z, (int64_t)x, (int64_t)y, data, len);
}

/* 0, or -ENOENT for a set that is not there. */
static int set_exists(struct pg *b, int64_t set_id)
{
        int64_t exists = 0;
        int rc =
            pg_query_int(b, &exists, "SELECT count(*) FROM tile_sets WHERE id = $1", "i", set_id);
        return rc == 0 && !exists ? -ENOENT : rc;
}

int pg_tile_set_activate(struct store *st, int64_t set_id)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = set_exists(b, set_id);
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "DELETE FROM tiles WHERE set_id IN (SELECT id FROM tile_sets WHERE "
                          "layer = (SELECT layer FROM tile_sets WHERE id = $1) AND id <> $1)",
                          "i", set_id);
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "DELETE FROM tile_sets WHERE layer = (SELECT layer FROM tile_sets "
                          "WHERE id = $1) AND id <> $1",
                          "i", set_id);
        if (rc == 0)
                rc = pg_q(b, NULL, "UPDATE tile_sets SET active = 1 WHERE id = $1", "i", set_id);
        return pg_tx_end(b, rc);
}

int pg_tile_version(struct store *st, const char *layer, char version[65])
{
        version[0] = 0;
        if (!store_tile_layer_ok(layer))
                return -ENOENT;
        PGresult *r = NULL;
        int rc = pg_q(PG(st), &r, "SELECT version FROM tile_sets WHERE layer = $1 AND active = 1",
                      "t", layer);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1)
                snprintf(version, 65, "%s", PQgetvalue(r, 0, 0));
        else
                rc = -ENOENT;
        PQclear(r);
        return rc;
}

int pg_tile_get(struct store *st, const char *layer, int z, int x, int y, void **data, size_t *len,
                char version[65])
{
        version[0] = 0;
        if (!store_tile_layer_ok(layer) || !store_tile_xyz_ok(z, x, y))
                return -ENOENT;
        PGresult *r = NULL;
        int rc = pg_q(PG(st), &r,
                      "SELECT s.version, t.data FROM tile_sets s JOIN tiles t ON t.set_id = s.id "
                      "WHERE s.layer = $1 AND s.active = 1 AND t.z = $2 AND t.x = $3 AND t.y = $4",
                      "tiii", layer, (int64_t)z, (int64_t)x, (int64_t)y);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1) {
                snprintf(version, 65, "%s", PQgetvalue(r, 0, 0));
                *data = pg_col_bytea(r, 0, 1, len);
                rc = *data ? 0 : -ENOMEM;
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        return rc;
}

/* ---- Cutting on the server ------------------------------------------------ */

static bool field_ok(const char *f)
{
        size_t n = f ? strlen(f) : 0;
        if (n < 1 || n > 32)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((f[i] >= 'a' && f[i] <= 'z') || f[i] == '_'))
                        return false;
        return true;
}

/* One feature as {"g": hex WKB, "p": {field: value, ...}}. */
static int feature_json(struct buf *j, const char *const *fields, size_t n_fields,
                        const struct store_tile_feature *f)
{
        int rc = buf_puts(j, "{\"g\":\"");
        if (rc == 0)
                rc = pg_put_hex(j, f->wkb, f->wkb_len);
        if (rc == 0)
                rc = buf_puts(j, "\",\"p\":{");
        bool first = true;
        for (size_t k = 0; rc == 0 && k < n_fields; k++) {
                const char *v = f->values ? f->values[k] : NULL;
                if (!v)
                        continue; /* unset, as GDAL leaves it */
                rc = buf_printf(j, "%s\"%s\":", first ? "" : ",", fields[k]);
                if (rc == 0)
                        rc = json_escape(j, v, strlen(v));
                first = false;
        }
        return rc < 0 ? rc : buf_puts(j, "}}");
}

int pg_tile_features_add(struct store *st, int64_t set_id, const char *const *fields,
                         size_t n_fields, const struct store_tile_feature *f, size_t n)
{
        struct pg *b = PG(st);
        /* Outside a transaction the features would be gone before the cut. */
        if (b->tx_depth == 0 || (n && !f) || n_fields < 1 || n_fields > 8 || !fields)
                return -EINVAL;
        for (size_t k = 0; k < n_fields; k++)
                if (!field_ok(fields[k]))
                        return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!f[i].wkb || f[i].wkb_len < 9 || f[i].wkb_len > PG_BATCH_MAX / 4)
                        return -EINVAL;
        struct buf j = BUF_INIT(PG_BATCH_MAX);
        int rc = buf_putc(&j, '[');
        for (size_t i = 0; rc == 0 && i < n; i++) {
                if (i)
                        rc = buf_putc(&j, ',');
                if (rc == 0)
                        rc = feature_json(&j, fields, n_fields, &f[i]);
        }
        if (rc == 0)
                rc = buf_putc(&j, ']');
        if (rc < 0) {
                buf_free(&j);
                return -ENOMEM;
        }
        rc = pg_tx_begin(b);
        if (rc < 0) {
                buf_free(&j);
                return rc;
        }
        /* The connection's own table: made on first use in a transaction
         * (and again after a reconnect or a rollback that took it). */
        rc = pg_q(b, NULL,
                  "CREATE TEMP TABLE IF NOT EXISTS sonae_tile_features (set_id BIGINT NOT NULL, "
                  "geom geometry NOT NULL, props JSONB NOT NULL) ON COMMIT DELETE ROWS",
                  "");
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "CREATE INDEX IF NOT EXISTS sonae_tile_features_geom ON "
                          "pg_temp.sonae_tile_features USING gist (geom)",
                          "");
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "INSERT INTO pg_temp.sonae_tile_features (set_id, geom, props) SELECT "
                          "$1, ST_Transform(ST_GeomFromWKB(decode(e->>'g', 'hex'), 6668), 3857), "
                          "(e->'p')::jsonb FROM json_array_elements($2::json) AS e",
                          "it", set_id, j.data);
        buf_free(&j);
        return pg_tx_end(b, rc);
}

int pg_tile_set_cut(struct store *st, int64_t set_id, size_t *n)
{
        struct pg *b = PG(st);
        *n = 0;
        if (b->tx_depth == 0)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = set_exists(b, set_id);
        /* No feature added in this transaction: no tiles, as GDAL cuts
         * none from an empty layer. */
        int64_t have = 0;
        if (rc == 0)
                rc = pg_query_int(b, &have,
                                  "SELECT count(*) FROM pg_class WHERE relname = "
                                  "'sonae_tile_features' AND relpersistence = 't' AND "
                                  "pg_table_is_visible(oid)",
                                  "");
        if (rc < 0 || !have)
                return pg_tx_end(b, rc);
        /* The planner needs the table's size to use its index. */
        rc = pg_q(b, NULL, "ANALYZE pg_temp.sonae_tile_features", "");
        /* Candidates: every tile of each zoom that a feature's box, grown by
         * the buffer, touches (w: half the Web Mercator world, d: a tile's
         * side, m: the buffer of 80 units in metres); then one ST_AsMVT per
         * candidate over the features inside its buffered envelope, and only
         * the tiles holding something are kept. */
        PGresult *r = NULL;
        if (rc == 0)
                rc = pg_q(
                    b, &r,
                    "WITH s AS (SELECT layer, min_zoom, max_zoom FROM tile_sets WHERE id = $1), "
                    "c AS (SELECT DISTINCT z, x, y FROM pg_temp.sonae_tile_features f, s, "
                    "generate_series(s.min_zoom::int, s.max_zoom::int) AS z, LATERAL (SELECT "
                    "20037508.342789244 AS w, 40075016.685578488 / (1 << z) AS d, "
                    "40075016.685578488 / (1 << z) * 80 / 4096 AS m) k, "
                    "generate_series(greatest(0, floor((ST_XMin(f.geom) - k.m + k.w) / "
                    "k.d)::int), least((1 << z) - 1, floor((ST_XMax(f.geom) + k.m + k.w) / "
                    "k.d)::int)) AS x, generate_series(greatest(0, floor((k.w - ST_YMax(f.geom) - "
                    "k.m) / k.d)::int), least((1 << z) - 1, floor((k.w - ST_YMin(f.geom) + k.m) / "
                    "k.d)::int)) AS y WHERE f.set_id = $1) "
                    "INSERT INTO tiles (set_id, z, x, y, data) SELECT $1, c.z, c.x, c.y, t.data "
                    "FROM c, s, LATERAL (SELECT ST_AsMVT(q, s.layer, 4096, 'geom') AS data FROM "
                    "(SELECT ST_AsMVTGeom(ST_Simplify(f.geom, 40075016.685578488 / (1 << c.z) / "
                    "4096), ST_TileEnvelope(c.z, c.x, c.y), 4096, 80, true) AS geom, f.props FROM "
                    "pg_temp.sonae_tile_features f WHERE f.set_id = $1 AND f.geom && "
                    "ST_TileEnvelope(c.z, c.x, c.y, margin => 80.0 / 4096)) q WHERE q.geom IS NOT "
                    "NULL) t WHERE length(t.data) > 0",
                    "i", set_id);
        if (rc == 0)
                *n = (size_t)strtoull(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        /* The features are spent; a second cut of the set finds none. */
        if (rc == 0)
                rc = pg_q(b, NULL, "DELETE FROM pg_temp.sonae_tile_features WHERE set_id = $1", "i",
                          set_id);
        return pg_tx_end(b, rc);
}
