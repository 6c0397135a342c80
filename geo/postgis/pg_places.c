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
