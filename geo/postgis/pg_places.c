/* The PostGIS backend: areas, districts, shelters and hazard layers
 * (store_sources.h, store_places.h); the rules are those of sl_places.c
 * and sl_sources.c.  Geometries arrive as WKB or WKT and are stored as
 * MULTIPOLYGON in SRID 6668. */
#include "pg.h"

#include "buf.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parameters $W (WKB, bytea) and $T (WKT) as one multi geometry, NULL
 * when both are NULL. */
#define PG_MULTI(w, t)                                                                             \
        "ST_Multi(coalesce(ST_GeomFromWKB(" w "::bytea, 6668), ST_GeomFromText(" t "::text, "      \
        "6668)))"

int pg_geom_rc(struct pg *b, int rc)
{
        /* PostGIS reports unparsable WKB or WKT as an internal error
         * (XX000), which pg_err() cannot tell from a server fault: with the
         * connection still up it is the input that was bad. */
        if (rc == -EIO && PQstatus(b->conn) == CONNECTION_OK)
                return -EINVAL;
        return rc;
}

/* ---- Areas ------------------------------------------------------------- */

int pg_area_upsert(struct store *st, const struct store_area *a)
{
        struct pg *b = PG(st);
        if (!a || !a->code || !a->name)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(
            b, NULL,
            "INSERT INTO areas (code, name, kind, parent_code, lg_code, town_code, "
            "updated_at, geom) VALUES ($1, $2, coalesce($3, 'city'), $4, $5, $6, $7, " PG_MULTI(
                "$8", "$9") ") ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = "
                            "coalesce($3, areas.kind), parent_code = EXCLUDED.parent_code, "
                            "lg_code = EXCLUDED.lg_code, town_code = EXCLUDED.town_code, "
                            "updated_at = EXCLUDED.updated_at, geom = coalesce(EXCLUDED.geom, "
                            "areas.geom)",
            "ttttttiBt", a->code, a->name, a->kind, a->parent_code, a->lg_code, a->town_code,
            pg_now(), a->wkb, a->wkb ? a->wkb_len : (size_t)0, a->wkb ? NULL : a->wkt);
        return pg_tx_end(b, pg_geom_rc(b, rc));
}

int pg_area_name(struct store *st, const char *code, char **name)
{
        PGresult *r = NULL;
        *name = NULL;
        if (!code)
                return -EINVAL;
        int rc = pg_q(PG(st), &r, "SELECT name FROM areas WHERE code = $1", "t", code);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 0)
                rc = -ENOENT;
        else if (!(*name = pg_col_strdup(r, 0, 0)))
                rc = -ENOMEM;
        PQclear(r);
        return rc;
}

int pg_area_geojson(struct store *st, const char *code, double tol, char **geojson, double bbox[4])
{
        PGresult *r = NULL;
        *geojson = NULL;
        if (!code || !(tol >= 0 && tol < 1))
                return -EINVAL;
        int rc = pg_q(
            PG(st), &r,
            "SELECT ST_AsGeoJSON(CASE WHEN $2::float8 > 0 THEN ST_SimplifyPreserveTopology(geom, "
            "$2) ELSE geom END, 6), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), "
            "ST_YMax(geom) FROM areas WHERE code = $1 AND geom IS NOT NULL",
            "td", code, tol);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 0 || pg_col_null(r, 0, 0)) {
                rc = -ENOENT;
        } else if (!(*geojson = pg_col_strdup(r, 0, 0))) {
                rc = -ENOMEM;
        } else if (bbox) {
                for (int i = 0; i < 4; i++)
                        bbox[i] = pg_col_double(r, 0, 1 + i);
        }
        PQclear(r);
        return rc;
}

static unsigned hexval(char c)
{
        return c >= 'a'   ? (unsigned)(c - 'a' + 10)
               : c >= 'A' ? (unsigned)(c - 'A' + 10)
                          : (unsigned)(c - '0');
}

/* Reads a little- or big-endian WKB LineString (hex text, as libpq gives
 * bytea) into ring. */
static int ring_from_wkb(const char *hex, struct store_ring *ring)
{
        size_t hl = strlen(hex);
        if (hl < 2 || hex[0] != '\\' || hex[1] != 'x')
                return -EBADMSG;
        hex += 2;
        hl = (hl - 2) / 2;
        if (hl < 9)
                return -EBADMSG;
        unsigned char *w = malloc(hl);
        if (!w)
                return -ENOMEM;
        for (size_t i = 0; i < hl; i++)
                w[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
        bool little = w[0] == 1;
        uint32_t type = 0, np = 0;
        for (int k = 0; k < 4; k++) {
                type |= (uint32_t)w[1 + (little ? k : 3 - k)] << (8 * k);
                np |= (uint32_t)w[5 + (little ? k : 3 - k)] << (8 * k);
        }
        int rc = 0;
        if (type != 2 || np > (hl - 9) / 16) {
                rc = -EBADMSG;
                goto out;
        }
        ring->lonlat = malloc(((size_t)np + 1) * 2 * sizeof(double));
        if (!ring->lonlat) {
                rc = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < 2 * (size_t)np; i++) {
                unsigned char d[8];
                for (int k = 0; k < 8; k++)
                        d[k] = w[9 + 8 * i + (size_t)(little ? k : 7 - k)];
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
                for (int k = 0; k < 4; k++) {
                        unsigned char t = d[k];
                        d[k] = d[7 - k];
                        d[7 - k] = t;
                }
#endif
                memcpy(&ring->lonlat[i], d, 8);
        }
        ring->n = np;
out:
        free(w);
        return rc;
}

/* The outer rings of the (multi)polygon of one row, largest first, at
 * most max_points points in all (-EFBIG past it). */
static int rings_of(struct pg *b, const char *sql, const char *key, int64_t id, size_t max_points,
                    struct store_area_rings *out)
{
        PGresult *r = NULL;
        int rc = key ? pg_q(b, &r, sql, "t", key) : pg_q(b, &r, sql, "i", id);
        if (rc < 0)
                return rc;
        int n = PQntuples(r);
        size_t total = 0;
        if (n > 0 && !(out->v = calloc((size_t)n, sizeof(*out->v))))
                rc = -ENOMEM;
        for (int i = 0; i < n && rc == 0; i++) {
                rc = ring_from_wkb(PQgetvalue(r, i, 0), &out->v[out->n]);
                if (rc == 0)
                        total += out->v[out->n++].n;
                if (rc == 0 && max_points && total > max_points)
                        rc = -EFBIG;
        }
        PQclear(r);
        if (rc < 0) {
                store_area_rings_free(out);
                return rc;
        }
        store_area_rings_sort(out);
        return out->n ? 0 : -ENOENT;
}

#define RINGS_SQL(table, key)                                                                      \
        "SELECT ST_AsBinary(ST_ExteriorRing(d.geom)) FROM " table " t, ST_Dump(t.geom) d WHERE "   \
        "t." key " = $1 ORDER BY d.path"

int pg_area_rings(struct store *st, const char *code, size_t max_points,
                  struct store_area_rings *out)
{
        memset(out, 0, sizeof(*out));
        if (!code)
                return -EINVAL;
        return rings_of(PG(st), RINGS_SQL("areas", "code"), code, 0, max_points, out);
}

int pg_district_rings(struct store *st, int64_t district_id, size_t max_points,
                      struct store_area_rings *out, char **name, char **area_code)
{
        struct pg *b = PG(st);
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        *name = *area_code = NULL;
        int rc = pg_q(
            b, &r, "SELECT name, area_code, (geom IS NOT NULL)::int FROM districts WHERE id = $1",
            "i", district_id);
        if (rc < 0)
                return rc;
        bool has_geom = false;
        if (PQntuples(r) == 0) {
                rc = -ENOENT;
        } else {
                *name = pg_col_strdup(r, 0, 0);
                *area_code = pg_col_strdup(r, 0, 1);
                has_geom = pg_col_i64(r, 0, 2) != 0;
                if (!*name || (!*area_code && !pg_col_null(r, 0, 1)))
                        rc = -ENOMEM;
        }
        PQclear(r);
        /* A district without geometry has no rings, and that is no error. */
        if (rc == 0 && has_geom)
                rc = rings_of(b, RINGS_SQL("districts", "id"), NULL, district_id, max_points, out);
        if (rc == -ENOENT && *name)
                rc = 0;
        if (rc < 0) {
                free(*name);
                free(*area_code);
                *name = *area_code = NULL;
        }
        return rc;
}

static int area_shape_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_area_shape *a = elem;
        a->code = pg_col_strdup(r, i, 0);
        a->name = pg_col_strdup(r, i, 1);
        a->kind = pg_col_strdup(r, i, 2);
        a->geojson = pg_col_strdup(r, i, 3);
        return a->code && a->name && a->kind && a->geojson ? 0 : -ENOMEM;
}

int pg_area_shapes(struct store *st, double tolerance, struct store_area_shape_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        /* SimplifyPreserveTopology keeps neighbouring areas from crossing;
         * a tolerance of 0 returns the stored geometry. */
        int rc = pg_q(PG(st), &r,
                      "SELECT code, name, kind, ST_AsGeoJSON(CASE WHEN $1::float8 > 0 THEN "
                      "ST_SimplifyPreserveTopology(geom, $1) ELSE geom END, 6) FROM areas WHERE "
                      "geom IS NOT NULL AND NOT ST_IsEmpty(geom) AND kind IN ('city', "
                      "'city_split') ORDER BY code COLLATE \"C\"",
                      "d", tolerance);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), area_shape_fill, NULL);
        if (rc < 0)
                store_area_shape_list_free(out);
        return rc;
}

/* ---- Districts --------------------------------------------------------- */

int pg_district_upsert(struct store *st, const struct store_district *d, int64_t *id)
{
        struct pg *b = PG(st);
        if (!d || !d->code || !d->name)
                return -EINVAL;
        const struct store_geom *g = &d->geom;
        int64_t did = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_query_int(
            b, &did,
            "INSERT INTO districts (code, name, kind, area_code, updated_at, geom) VALUES ($1, "
            "$2, $3, $4, $5, " PG_MULTI("$6", "$7") ") ON CONFLICT (code) DO UPDATE SET name = "
                                                    "EXCLUDED.name, kind = EXCLUDED.kind, "
                                                    "area_code = EXCLUDED.area_code, updated_at = "
                                                    "EXCLUDED.updated_at, geom = "
                                                    "coalesce(EXCLUDED.geom, districts.geom) "
                                                    "RETURNING id",
            "ttttiBt", d->code, d->name, d->kind, d->area_code, pg_now(), g->wkb,
            g->wkb ? g->wkb_len : (size_t)0, g->wkb ? NULL : g->wkt);
        rc = pg_tx_end(b, pg_geom_rc(b, rc));
        if (rc == 0 && id)
                *id = did;
        return rc;
}

int pg_district_find(struct store *st, const char *code, int64_t *id)
{
        if (!code)
                return -EINVAL;
        return pg_query_int(PG(st), id, "SELECT id FROM districts WHERE code = $1", "t", code);
}

/* ---- Shelters ---------------------------------------------------------- */

int pg_shelter_upsert(struct store *st, const struct store_shelter *s, int64_t *id)
{
        struct pg *b = PG(st);
        if (!s || !s->common_id || !s->name || !isfinite(s->lon) || !isfinite(s->lat))
                return -EINVAL;
        int64_t sid = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* The status columns (is_open, occupancy, needs) are not touched:
         * a re-import keeps what staff entered. */
        rc = pg_query_int(
            b, &sid,
            "INSERT INTO shelters (common_id, kind, name, address, lon, lat, geom, flood, "
            "landslide, storm_surge, earthquake, tsunami, fire, inland_flood, volcano, capacity, "
            "linked_id, district_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
            "ST_SetSRID(ST_MakePoint($5, $6), 6668), $7, $8, $9, $10, $11, $12, $13, $14, "
            "nullif($15::bigint, -1), $16, $17, $18) ON CONFLICT (common_id) DO UPDATE SET kind = "
            "EXCLUDED.kind, name = EXCLUDED.name, address = EXCLUDED.address, lon = EXCLUDED.lon, "
            "lat = EXCLUDED.lat, geom = EXCLUDED.geom, flood = EXCLUDED.flood, landslide = "
            "EXCLUDED.landslide, storm_surge = EXCLUDED.storm_surge, earthquake = "
            "EXCLUDED.earthquake, tsunami = EXCLUDED.tsunami, fire = EXCLUDED.fire, "
            "inland_flood = EXCLUDED.inland_flood, volcano = EXCLUDED.volcano, capacity = "
            "EXCLUDED.capacity, linked_id = EXCLUDED.linked_id, district_id = "
            "EXCLUDED.district_id, updated_at = EXCLUDED.updated_at RETURNING id",
            "ttttdd"
            "bbbbbbbb"
            "iIIi",
            s->common_id, s->kind, s->name, s->address, s->lon, s->lat, (int)s->hazards[0],
            (int)s->hazards[1], (int)s->hazards[2], (int)s->hazards[3], (int)s->hazards[4],
            (int)s->hazards[5], (int)s->hazards[6], (int)s->hazards[7], s->capacity, s->linked_id,
            s->district_id, pg_now());
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = sid;
        return rc;
}

int pg_shelter_set_status(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                          const char *needs)
{
        struct pg *b = PG(st);
        if (occupancy < -1)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        PGresult *r = NULL;
        rc = pg_q(b, &r,
                  "UPDATE shelters SET is_open = $1, occupancy = nullif($2::bigint, -1), needs = "
                  "$3, status_updated_at = $4 WHERE id = $5",
                  "bitii", (int)is_open, occupancy, needs, pg_now(), id);
        if (rc == 0 && strcmp(PQcmdTuples(r), "0") == 0)
                rc = -ENOENT;
        PQclear(r);
        if (rc == 0) {
                char subject[40], data[160];
                store_shelter_event(id, is_open, occupancy, subject, data);
                rc = pg_event(b, "shelter.updated", subject, LEVEL_NONE, true, false, data);
        }
        return pg_tx_end(b, rc);
}

static int shelter_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_shelter *h = elem;
        h->id = pg_col_i64(r, i, 0);
        h->common_id = pg_col_strdup(r, i, 1);
        h->kind = pg_col_strdup(r, i, 2);
        h->name = pg_col_strdup(r, i, 3);
        h->address = pg_col_strdup(r, i, 4);
        h->lon = pg_col_double(r, i, 5);
        h->lat = pg_col_double(r, i, 6);
        for (int k = 0; k < HAZARD_COUNT; k++)
                h->hazards[k] = pg_col_i64(r, i, 7 + k) != 0;
        h->capacity = pg_col_null(r, i, 15) ? -1 : pg_col_i64(r, i, 15);
        h->linked_id = pg_col_i64(r, i, 16);
        h->district_id = pg_col_i64(r, i, 17);
        h->is_open = pg_col_i64(r, i, 18) != 0;
        h->occupancy = pg_col_null(r, i, 19) ? -1 : pg_col_i64(r, i, 19);
        h->needs = pg_col_strdup(r, i, 20);
        h->status_updated_at = pg_col_i64(r, i, 21);
        return h->common_id && h->kind && h->name ? 0 : -ENOMEM;
}

#define SHELTER_COLUMNS                                                                            \
        "id, common_id, kind, name, address, lon, lat, flood, landslide, storm_surge, "            \
        "earthquake, tsunami, fire, inland_flood, volcano, capacity, linked_id, district_id, "     \
        "is_open, occupancy, needs, status_updated_at"

int pg_shelter_get(struct store *st, int64_t id, struct store_shelter_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc =
            pg_q(PG(st), &r, "SELECT " SHELTER_COLUMNS " FROM shelters WHERE id = $1", "i", id);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), shelter_fill, NULL);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_shelter_list_free(out);
        return rc;
}

int pg_shelters_list(struct store *st, bool open_only, struct store_shelter_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r,
                      "SELECT " SHELTER_COLUMNS " FROM shelters WHERE $1 = 0 OR is_open = 1 "
                      "ORDER BY id",
                      "b", (int)open_only);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), shelter_fill, NULL);
        if (rc < 0)
                store_shelter_list_free(out);
        return rc;
}

/* ---- Hazard layers ----------------------------------------------------- */

int pg_hazard_layer_create(struct store *st, const struct store_hazard_layer *l, int64_t *id)
{
        struct pg *b = PG(st);
        if (!l || !store_hazard_name(l->hazard))
                return -EINVAL;
        int64_t lid = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_query_int(b, &lid,
                          "INSERT INTO hazard_layers (name, version, hazard, title, attribution, "
                          "active, imported_at) VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
                          "ttttti", l->name, l->version, store_hazard_name(l->hazard), l->title,
                          l->attribution, pg_now());
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = lid;
        return rc;
}

/* One feature as a JSON object of the batch: class, label, rank and the
 * geometry as WKB in hex or as WKT. */
static void feature_json(struct json_writer *w, const struct store_hazard_feature *f,
                         struct buf *hex)
{
        static const char digits[] = "0123456789abcdef";
        json_obj_begin(w);
        json_key(w, "c");
        json_str(w, f->class_);
        json_key(w, "l");
        json_str(w, f->label_ja);
        json_key(w, "r");
        json_int(w, f->rank);
        if (f->geom.wkb) {
                buf_reset(hex);
                for (size_t i = 0; i < f->geom.wkb_len; i++) {
                        char two[2] = {digits[f->geom.wkb[i] >> 4], digits[f->geom.wkb[i] & 15]};
                        if (buf_append(hex, two, 2) < 0)
                                break;
                }
                json_key(w, "w");
                json_strn(w, hex->data ? hex->data : "", hex->len);
        } else {
                json_key(w, "t");
                json_str(w, f->geom.wkt);
        }
        json_obj_end(w);
}

/* The whole batch goes to the server as one JSON array in one INSERT:
 * one round trip, all or nothing. */
int pg_hazard_features_add(struct store *st, int64_t layer_id, const struct store_hazard_feature *f,
                           size_t n)
{
        struct pg *b = PG(st);
        if (n && !f)
                return -EINVAL;
        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!f[i].geom.wkb && !f[i].geom.wkt)
                        return -EINVAL;
        struct buf arr = BUF_INIT(PG_BATCH_MAX), hex = BUF_INIT(PG_BATCH_MAX);
        struct json_writer w;
        json_init(&w, &arr);
        json_arr_begin(&w);
        for (size_t i = 0; i < n; i++)
                feature_json(&w, &f[i], &hex);
        json_arr_end(&w);
        int rc = json_error(&w) < 0 || !arr.data ? -ENOMEM : 0;
        if (rc == 0)
                rc = pg_tx_begin(b);
        if (rc == 0) {
                rc = pg_q(b, NULL,
                          "INSERT INTO hazard_features (layer_id, class, label_ja, rank, geom) "
                          "SELECT $1, x.c, x.l, x.r, " PG_MULTI(
                              "decode(x.w, 'hex')", "x.t") " FROM ROWS FROM "
                                                           "(json_to_recordset($2::json) AS (c "
                                                           "text, l text, r bigint, w text, t "
                                                           "text)) WITH ORDINALITY AS x(c, l, r, "
                                                           "w, t, o) ORDER BY x.o",
                          "it", layer_id, arr.data);
                rc = pg_tx_end(b, pg_geom_rc(b, rc));
        }
        buf_free(&arr);
        buf_free(&hex);
        return rc;
}

int pg_hazard_layer_activate(struct store *st, int64_t layer_id)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t exists = 0;
        rc = pg_query_int(b, &exists, "SELECT count(*) FROM hazard_layers WHERE id = $1", "i",
                          layer_id);
        if (rc == 0 && !exists)
                rc = -ENOENT;
        /* Off first: the partial unique index allows one active edition. */
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "UPDATE hazard_layers SET active = 0 WHERE active = 1 AND name = "
                          "(SELECT name FROM hazard_layers WHERE id = $1)",
                          "i", layer_id);
        if (rc == 0)
                rc = pg_q(b, NULL, "UPDATE hazard_layers SET active = 1 WHERE id = $1", "i",
                          layer_id);
        return pg_tx_end(b, rc);
}

int pg_hazard_layer_delete(struct store *st, int64_t layer_id)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t active = 0;
        rc = pg_query_int(b, &active, "SELECT active FROM hazard_layers WHERE id = $1", "i",
                          layer_id);
        if (rc == 0 && active)
                rc = -EBUSY;
        if (rc == 0)
                rc = pg_q(b, NULL, "DELETE FROM hazard_layers WHERE id = $1", "i", layer_id);
        return pg_tx_end(b, rc);
}

static int hazard_layer_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_hazard_layer *h = elem;
        h->id = pg_col_i64(r, i, 0);
        h->name = pg_col_strdup(r, i, 1);
        h->version = pg_col_strdup(r, i, 2);
        enum store_hazard hz = HAZARD_FLOOD;
        store_hazard_parse(PQgetvalue(r, i, 3), &hz);
        h->hazard = hz;
        h->title = pg_col_strdup(r, i, 4);
        h->attribution = pg_col_strdup(r, i, 5);
        h->active = pg_col_i64(r, i, 6) != 0;
        h->imported_at = pg_col_i64(r, i, 7);
        h->n_features = pg_col_i64(r, i, 8);
        return h->name && h->version && h->title && h->attribution ? 0 : -ENOMEM;
}

int pg_hazard_layers_list(struct store *st, struct store_hazard_layer_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r,
                      "SELECT l.id, l.name, l.version, l.hazard, l.title, l.attribution, l.active, "
                      "l.imported_at, (SELECT count(*) FROM hazard_features f WHERE f.layer_id = "
                      "l.id) FROM hazard_layers l ORDER BY l.name COLLATE \"C\", l.imported_at, "
                      "l.id",
                      "");
        if (rc == 0)
                rc =
                    pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), hazard_layer_fill, NULL);
        if (rc < 0)
                store_hazard_layer_list_free(out);
        return rc;
}

static int hazard_area_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_hazard_area *a = elem;
        a->id = pg_col_i64(r, i, 0);
        a->layer = pg_col_strdup(r, i, 1);
        a->hazard = pg_col_strdup(r, i, 2);
        a->title = pg_col_strdup(r, i, 3);
        a->attribution = pg_col_strdup(r, i, 4);
        a->class_ = pg_col_strdup(r, i, 5);
        a->label_ja = pg_col_strdup(r, i, 6);
        a->rank = (int)pg_col_i64(r, i, 7);
        a->geojson = pg_col_strdup(r, i, 8);
        return a->layer && a->hazard && a->title && a->attribution && a->class_ && a->label_ja &&
                       a->geojson
                   ? 0
                   : -ENOMEM;
}

#define HAZARD_AREA_COLS                                                                           \
        "SELECT f.id, l.name, l.hazard, l.title, l.attribution, f.class, f.label_ja, f.rank, "     \
        "ST_AsGeoJSON(f.geom, 6) FROM hazard_features f JOIN hazard_layers l ON l.id = "           \
        "f.layer_id WHERE l.active = 1 "

int pg_hazard_areas(struct store *st, const double *bbox, size_t offset, size_t limit,
                    struct store_hazard_area_list *out)
{
        static const double world[4] = {-180, -90, 180, 90};
        const double *b4 = bbox ? bbox : world;
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        /* The GiST index finds the candidates by their bounding box. */
        int rc = pg_q(PG(st), &r,
                      HAZARD_AREA_COLS "AND f.geom && ST_MakeEnvelope($1, $2, $3, $4, 6668) "
                                       "ORDER BY f.id LIMIT $5 OFFSET $6",
                      "ddddii", b4[0], b4[1], b4[2], b4[3], (int64_t)limit, (int64_t)offset);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), hazard_area_fill, NULL);
        if (rc < 0)
                store_hazard_area_list_free(out);
        return rc;
}

int pg_hazard_area_get(struct store *st, int64_t id, struct store_hazard_area_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r, HAZARD_AREA_COLS "AND f.id = $1", "i", id);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), hazard_area_fill, NULL);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_hazard_area_list_free(out);
        return rc;
}
