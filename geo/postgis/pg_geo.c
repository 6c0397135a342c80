/* The PostGIS backend: geo lookups and their import support (geo/geo.h);
 * the rules and the answers are those of sl_geo.c.  Candidates come from
 * the GiST index of each geometry column; the exact test is PostGIS's
 * ST_Covers (boundary included, as the SpatiaLite backend's reader). */
#include "pg.h"

#include "../geo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool coords_ok(double lon, double lat)
{
        return isfinite(lon) && isfinite(lat) && lon >= -180 && lon <= 180 && lat >= -90 &&
               lat <= 90;
}

/* ---- Import support ----------------------------------------------------- */

int pg_geo_area_code_upsert(struct store *st, const struct geo_area_code *c)
{
        struct pg *b = PG(st);
        if (!c || !c->code || !c->name)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, NULL,
                  "INSERT INTO area_codes (code, name, full_name, class15_code, lg_code, "
                  "town_code, split_of, used_warning, used_landslide, used_flood_forecast) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO "
                  "UPDATE SET name = EXCLUDED.name, full_name = EXCLUDED.full_name, class15_code "
                  "= EXCLUDED.class15_code, lg_code = EXCLUDED.lg_code, town_code = "
                  "EXCLUDED.town_code, split_of = EXCLUDED.split_of, used_warning = "
                  "EXCLUDED.used_warning, used_landslide = EXCLUDED.used_landslide, "
                  "used_flood_forecast = EXCLUDED.used_flood_forecast",
                  "tttttttbbb", c->code, c->name, c->full_name, c->class15_code, c->lg_code,
                  c->town_code, c->split_of, (int)c->used_warning, (int)c->used_landslide,
                  (int)c->used_flood_forecast);
        return pg_tx_end(b, rc);
}

int pg_geo_address_upsert(struct store *st, const struct geo_address_in *a)
{
        struct pg *b = PG(st);
        struct geo_address_keys k;
        if (!a || !coords_ok(a->lon, a->lat) || geo_address_keys(a, &k) < 0)
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, NULL,
                  "INSERT INTO addresses (code, pref, city, lg_code, town, town_base, chome, key, "
                  "town_key, lon, lat, geom, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                  "nullif($7::bigint, -1), $8, $9, $10, $11, ST_SetSRID(ST_MakePoint($10, $11), "
                  "6668), $12, $13) ON CONFLICT (code) DO UPDATE SET pref = EXCLUDED.pref, city "
                  "= EXCLUDED.city, lg_code = EXCLUDED.lg_code, town = EXCLUDED.town, town_base "
                  "= EXCLUDED.town_base, chome = EXCLUDED.chome, key = EXCLUDED.key, town_key = "
                  "EXCLUDED.town_key, lon = EXCLUDED.lon, lat = EXCLUDED.lat, geom = "
                  "EXCLUDED.geom, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
                  "ttttttittddti", a->code, a->pref, a->city, a->lg_code, a->town, k.base, k.chome,
                  k.key, k.town_key, a->lon, a->lat, a->version, pg_now());
        return pg_tx_end(b, rc);
}

int pg_geo_addresses_assign_districts(struct store *st, size_t *n)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        /* The lowest district id covering the point, as the SpatiaLite
         * backend; the GiST index finds the candidates. */
        rc = pg_q(b, NULL,
                  "UPDATE addresses a SET district_id = (SELECT d.id FROM districts d WHERE "
                  "d.geom && a.geom AND ST_Covers(d.geom, a.geom) ORDER BY d.id LIMIT 1)",
                  "");
        int64_t cnt = 0;
        if (rc == 0)
                rc = pg_query_int(
                    b, &cnt, "SELECT count(*) FROM addresses WHERE district_id IS NOT NULL", "");
        rc = pg_tx_end(b, rc);
        if (rc == 0 && n)
                *n = (size_t)cnt;
        return rc;
}

int pg_geo_count(struct store *st, const char *what, int64_t *n)
{
        const char *sql = geo_count_sql(what);
        return sql ? pg_query_int(PG(st), n, sql, "") : -EINVAL;
}
