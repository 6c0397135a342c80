/* The PostGIS backend: geo lookups and their import support (geo/geo.h);
 * the rules and the answers are those of sl_geo.c.  Candidates come from
 * the GiST index of each geometry column; the exact test is PostGIS's
 * ST_Covers (boundary included, as the SpatiaLite backend's reader). */
#include "pg.h"

#include "../geo.h"
#include "../geo_rules.h"
#include "buf.h"
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The point (lon, lat) as $1, $2. */
#define PT "ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 6668)"
/* Covered, boundary included: inside, or within 1e-9 degrees (about
 * 0.1 mm) of an edge, as the SpatiaLite backend's reader tests. */
#define COVERS(g) g " && ST_Expand(" PT ", 1e-9) AND ST_DWithin(" g ", " PT ", 1e-9)"

/* ---- hazard_at ---------------------------------------------------------- */

static int hazard_areas(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct pg *b = ctx;
        PGresult *r = NULL;
        int rc = pg_q(b, &r,
                      "SELECT code, name, kind, lg_code, town_code FROM areas WHERE " COVERS(
                          "geom") " ORDER BY code COLLATE \"C\"",
                      "dd", lon, lat);
        if (rc < 0)
                return rc;
        bool split_found = false;
        for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
                const char *code = PQgetvalue(r, i, 0), *kind = PQgetvalue(r, i, 2);
                if (strcmp(kind, "city_split") == 0) {
                        split_found = true;
                        rc = geo_answer_add_area(a, code);
                        continue;
                }
                if (strcmp(kind, "city") != 0)
                        continue;
                if (!a->area_code) {
                        a->area_code = pg_col_strdup(r, i, 0);
                        a->area_name = pg_col_strdup(r, i, 1);
                        a->lg_code = pg_col_strdup(r, i, 3);
                        a->town_code = pg_col_strdup(r, i, 4);
                        if (!a->area_code || !a->area_name)
                                rc = -ENOMEM;
                }
                if (rc == 0)
                        rc = geo_answer_add_area(a, code);
        }
        PQclear(r);
        if (rc < 0 || !a->area_code)
                return rc;
        /* The code table knows the other code systems and the splits. */
        rc = pg_q(b, &r, "SELECT lg_code, town_code FROM area_codes WHERE code = $1", "t",
                  a->area_code);
        if (rc < 0)
                return rc;
        if (PQntuples(r) > 0) {
                if (!a->lg_code)
                        a->lg_code = pg_col_strdup(r, 0, 0);
                if (!a->town_code)
                        a->town_code = pg_col_strdup(r, 0, 1);
        }
        PQclear(r);
        if (split_found)
                return 0;
        /* No split polygon covers the point: the split rule decides. */
        rc = pg_q(b, &r,
                  "SELECT c.code, c.name, (SELECT count(*) FROM areas a WHERE a.code = c.code AND "
                  "a.geom IS NOT NULL) FROM area_codes c WHERE c.split_of = $1 ORDER BY c.code "
                  "COLLATE \"C\"",
                  "t", a->area_code);
        if (rc < 0)
                return rc;
        struct geo_split splits[8];
        size_t nsplit = 0;
        for (int i = 0; i < PQntuples(r) && nsplit < 8; i++) {
                if (strlen(PQgetvalue(r, i, 0)) != 7)
                        continue;
                splits[nsplit++] = (struct geo_split){PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                                      pg_col_i64(r, i, 2) != 0};
        }
        rc = geo_answer_splits(a, splits, nsplit);
        PQclear(r);
        return rc;
}

static int hazard_district(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct pg *b = ctx;
        PGresult *r = NULL;
        int rc = pg_q(
            b, &r,
            "SELECT id, code, name FROM districts WHERE " COVERS("geom") " ORDER BY id LIMIT 1",
            "dd", lon, lat);
        if (rc < 0)
                return rc;
        if (PQntuples(r) > 0) {
                a->district_id = pg_col_i64(r, 0, 0);
                a->district_code = pg_col_strdup(r, 0, 1);
                a->district_name = pg_col_strdup(r, 0, 2);
                if (!a->district_code || !a->district_name)
                        rc = -ENOMEM;
        }
        PQclear(r);
        return rc;
}

static int hazard_layers_at(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct pg *b = ctx;
        PGresult *r = NULL;
        int rc = pg_q(b, &r,
                      "SELECT l.name, l.version, l.title, l.hazard, f.class, f.label_ja, f.rank "
                      "FROM hazard_features f JOIN hazard_layers l ON l.id = f.layer_id WHERE "
                      "l.active = 1 AND " COVERS("f.geom") " ORDER BY f.id",
                      "dd", lon, lat);
        if (rc < 0)
                return rc;
        for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
                struct geo_hit_in h = {PQgetvalue(r, i, 0),     PQgetvalue(r, i, 1),
                                       PQgetvalue(r, i, 2),     PQgetvalue(r, i, 3),
                                       PQgetvalue(r, i, 4),     PQgetvalue(r, i, 5),
                                       (int)pg_col_i64(r, i, 6)};
                rc = geo_answer_hit(a, &h);
        }
        PQclear(r);
        /* A stable order for callers: by layer name. */
        geo_answer_sort_hits(a);
        return rc;
}

/* The levels in force at the answer's area and district: JMA's (real,
 * and the drill rows the view admits), the river's (gauges and sensors
 * not stale; a drill's only where the view admits it, as in sl_geo.c) and
 * the city's order. */
static int hazard_levels(void *ctx, int view, struct geo_hazard_answer *a)
{
        struct pg *b = ctx;
        PGresult *r = NULL;
        int rc = 0;
        view = store_exercise_view(&b->base, view);
        int64_t now = pg_now();
        for (size_t i = 0; i < a->n_areas && rc == 0; i++) {
                rc = pg_q(b, &r,
                          "SELECT level, exercise FROM area_status WHERE area_code = $1 AND "
                          "(exercise = 0 OR $2 = 1 OR ($2 = 2 AND $1 IN (SELECT area_code FROM "
                          "public_drill_areas)))",
                          "ti", a->areas[i], (int64_t)view);
                if (rc < 0)
                        return rc;
                for (int k = 0; k < PQntuples(r); k++)
                        if (!pg_col_null(r, k, 0))
                                geo_take_level(&a->jma_level, &a->exercise,
                                               (int)pg_col_i64(r, k, 0), pg_col_i64(r, k, 1) != 0);
                PQclear(r);
        }
        if (a->area_code) {
                rc = pg_q(b, &r,
                          "SELECT s.kind, s.expected_interval_s, t.level, t.state, "
                          "t.last_observed_at, s.exercise FROM stations s JOIN station_status t "
                          "ON t.station_id = s.id WHERE s.area_code = $1 AND s.kind IN ('gauge', "
                          "'sensor') AND (s.exercise = 0 OR $2 = 1 OR ($2 = 2 AND s.id IN "
                          "(SELECT id FROM public_drill_stations)))",
                          "ti", a->area_code, (int64_t)view);
                if (rc < 0)
                        return rc;
                for (int k = 0; k < PQntuples(r); k++) {
                        enum station_state stored = STATE_UNKNOWN;
                        station_state_parse(PQgetvalue(r, k, 3), &stored);
                        enum station_state eff =
                            store_effective_state(stored, PQgetvalue(r, k, 0), pg_col_i64(r, k, 4),
                                                  pg_col_i64(r, k, 1), b->base.grace, now);
                        if (station_state_is_unknown(eff) || pg_col_null(r, k, 2))
                                continue;
                        /* A drill's gauge counts only where its drill is
                         * seen, and marks the answer exercise. */
                        geo_take_level(&a->river_level, &a->exercise, (int)pg_col_i64(r, k, 2),
                                       pg_col_i64(r, k, 5) != 0);
                }
                PQclear(r);
        }
        rc = pg_q(b, &r,
                  "SELECT id, level, exercise FROM orders WHERE lifted_at IS NULL AND (area_code = "
                  "$1 OR (district_id = $2 AND $2 IS NOT NULL)) AND (exercise = 0 OR $3 = 1 OR ($3 "
                  "= 2 AND $1 IN (SELECT area_code FROM public_drill_areas))) ORDER BY id",
                  "tIi", a->area_code, a->district_id, (int64_t)view);
        if (rc < 0)
                return rc;
        for (int k = 0; k < PQntuples(r); k++) {
                int lv = (int)pg_col_i64(r, k, 1);
                if (a->order_level == LEVEL_NONE || lv > a->order_level) {
                        geo_take_level(&a->order_level, &a->exercise, lv, pg_col_i64(r, k, 2) != 0);
                        a->order_id = pg_col_i64(r, k, 0);
                }
        }
        PQclear(r);
        a->order_name_ja =
            a->order_level == LEVEL_NONE ? NULL : level_order_name_ja(a->order_level);
        return 0;
}

int pg_geo_hazard_at(struct store *st, double lon, double lat, int view,
                     struct geo_hazard_answer *out)
{
        static const struct geo_hazard_ops ops = {hazard_areas, hazard_district, hazard_layers_at,
                                                  hazard_levels};
        return geo_hazard_at_run(lon, lat, view, &ops, PG(st), out);
}

/* ---- shelters_near ------------------------------------------------------ */

/* The hazard's suitability column, by enum store_hazard. */
static const char *const hazard_cols[HAZARD_COUNT] = {
    "flood", "landslide", "storm_surge", "earthquake", "tsunami", "fire", "inland_flood", "volcano",
};

struct near_ctx {
        struct pg *b;
        enum store_hazard hz;
};

static int near_rows(struct pg *b, const char *sql, const char *fmt, geo_near_push_fn push,
                     void *push_ctx, ...)
{
        PGresult *r = NULL;
        va_list ap;
        va_start(ap, push_ctx);
        int rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        for (int i = 0; rc == 0 && i < PQntuples(r); i++)
                rc = push(push_ctx, pg_col_i64(r, i, 0), pg_col_double(r, i, 1),
                          pg_col_double(r, i, 2), pg_col_i64(r, i, 3) != 0);
        PQclear(r);
        return rc;
}

static int near_box(void *ctx, double lon0, double lat0, double lon1, double lat1,
                    geo_near_push_fn push, void *push_ctx)
{
        struct near_ctx *c = ctx;
        char sql[400];
        snprintf(sql, sizeof(sql),
                 "SELECT id, lon, lat, is_open FROM shelters WHERE geom && ST_MakeEnvelope($1, $2, "
                 "$3, $4, 6668) AND %s = 1 AND kind IN ('emergency', 'both') ORDER BY id",
                 hazard_cols[c->hz]);
        return near_rows(c->b, sql, "dddd", push, push_ctx, lon0, lat0, lon1, lat1);
}

static int near_open(void *ctx, geo_near_push_fn push, void *push_ctx)
{
        struct near_ctx *c = ctx;
        char sql[300];
        snprintf(sql, sizeof(sql),
                 "SELECT id, lon, lat, is_open FROM shelters WHERE is_open = 1 AND %s = 1 AND kind "
                 "IN ('emergency', 'both') ORDER BY id",
                 hazard_cols[c->hz]);
        return near_rows(c->b, sql, "", push, push_ctx);
}

static int near_fill(void *ctx, int64_t id, struct geo_shelter_hit *h)
{
        struct near_ctx *c = ctx;
        PGresult *r = NULL;
        int rc = pg_q(c->b, &r,
                      "SELECT s.common_id, s.name, s.address, s.lon, s.lat, s.is_open, s.capacity, "
                      "s.occupancy, s.linked_id, l.name FROM shelters s LEFT JOIN shelters l ON "
                      "l.id = s.linked_id WHERE s.id = $1",
                      "i", id);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 0) {
                PQclear(r);
                return -ENOENT;
        }
        h->common_id = pg_col_strdup(r, 0, 0);
        h->name = pg_col_strdup(r, 0, 1);
        h->address = pg_col_strdup(r, 0, 2);
        h->lon = pg_col_double(r, 0, 3);
        h->lat = pg_col_double(r, 0, 4);
        h->open = pg_col_i64(r, 0, 5) != 0;
        h->capacity = pg_col_null(r, 0, 6) ? -1 : pg_col_i64(r, 0, 6);
        h->occupancy = pg_col_null(r, 0, 7) ? -1 : pg_col_i64(r, 0, 7);
        h->linked_id = pg_col_i64(r, 0, 8);
        h->linked_name = pg_col_strdup(r, 0, 9);
        PQclear(r);
        return h->common_id && h->name ? 0 : -ENOMEM;
}

int pg_geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard hz, size_t n,
                         struct geo_shelter_list *out)
{
        static const struct geo_near_ops ops = {near_box, near_open, near_fill};
        memset(out, 0, sizeof(*out));
        if (!geo_coords_ok(lon, lat) || (int)hz < 0 || hz >= HAZARD_COUNT || n < 1 || n > 50)
                return -EINVAL;
        struct near_ctx c = {PG(st), hz};
        /* A snapshot for the whole search: the boxes and the open ones
         * agree with each other. */
        int rc = pg_tx_begin(c.b);
        if (rc < 0)
                return rc;
        rc = geo_near_run(lon, lat, n, &ops, &c, out);
        return pg_tx_end(c.b, rc);
}

/* ---- Addresses ---------------------------------------------------------- */

#define ADDR_COLUMNS "a.id, a.code, a.pref, a.city, a.town, a.lon, a.lat, a.district_id"

static int address_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct geo_address *a = elem;
        a->id = pg_col_i64(r, i, 0);
        a->code = pg_col_strdup(r, i, 1);
        a->pref = pg_col_strdup(r, i, 2);
        a->city = pg_col_strdup(r, i, 3);
        a->town = pg_col_strdup(r, i, 4);
        a->lon = pg_col_double(r, i, 5);
        a->lat = pg_col_double(r, i, 6);
        a->district_id = pg_col_i64(r, i, 7);
        return geo_address_label(a);
}

static int address_rows(struct pg *b, struct geo_address_list *out, const char *sql,
                        const char *fmt, ...)
{
        PGresult *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        int rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), address_fill, NULL);
        return rc;
}

static int search_key(void *ctx, const char *key, size_t limit, struct geo_address_list *out)
{
        struct pg *b = ctx;
        if (geo_utf8_chars(key) >= 3) {
                /* A substring through the trigram index (SQLite's fts5
                 * trigram table, which also ignores ASCII case). */
                char like[1400];
                size_t o = 0;
                like[o++] = '%';
                for (const char *p = key; *p && o < sizeof(like) - 3; p++) {
                        if (*p == '%' || *p == '_' || *p == '\\')
                                like[o++] = '\\';
                        like[o++] = *p;
                }
                like[o++] = '%';
                like[o] = '\0';
                return address_rows(b, out,
                                    "SELECT " ADDR_COLUMNS " FROM addresses a WHERE a.key ILIKE $1 "
                                    "ORDER BY a.key = $2 DESC, length(a.key), a.code COLLATE "
                                    "\"C\" LIMIT $3",
                                    "tti", like, key, (int64_t)limit);
        }
        /* One or two characters: a prefix of the name. */
        return address_rows(b, out,
                            "SELECT " ADDR_COLUMNS
                            " FROM addresses a WHERE starts_with(a.town_key, "
                            "$1) ORDER BY length(a.town_key), a.code COLLATE \"C\" LIMIT $2",
                            "ti", key, (int64_t)limit);
}

int pg_geo_address_search(struct store *st, const char *text, size_t limit,
                          struct geo_address_list *out)
{
        return geo_address_search_run(text, limit, search_key, PG(st), out);
}

static int pick_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct geo_pick *p = elem;
        p->code = pg_col_strdup(r, i, 0);
        p->name = pg_col_strdup(r, i, 1);
        p->kind = pg_col_strdup(r, i, 2);
        p->n_towns = pg_col_i64(r, i, 3);
        p->id = pg_col_i64(r, i, 4);
        if (!pg_col_null(r, i, 5) && !(p->area_code = pg_col_strdup(r, i, 5)))
                return -ENOMEM;
        return p->code && p->name && p->kind ? 0 : -ENOMEM;
}

static int pick_rows(struct pg *b, struct geo_pick_list *out, const char *sql)
{
        PGresult *r = NULL;
        int rc = pg_q(b, &r, sql, "");
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), pick_fill, NULL);
        return rc;
}

int pg_geo_picker_districts(struct store *st, struct geo_pick_list *out)
{
        struct pg *b = PG(st);
        memset(out, 0, sizeof(*out));
        int rc = pick_rows(b, out,
                           "SELECT d.code, d.name, d.kind, (SELECT count(*) FROM addresses a WHERE "
                           "a.district_id = d.id), d.id, d.area_code FROM districts d ORDER BY "
                           "d.kind COLLATE \"C\", d.code COLLATE \"C\"");
        if (rc == 0 && out->n == 0)
                rc = pick_rows(b, out,
                               "SELECT 'town:' || town_base, town_base, 'town', count(*), 0, NULL "
                               "FROM addresses GROUP BY town_base ORDER BY min(code COLLATE "
                               "\"C\")");
        if (rc < 0)
                geo_pick_list_free(out);
        return rc;
}

int pg_geo_picker_towns(struct store *st, const char *district_code, struct geo_address_list *out)
{
        struct pg *b = PG(st);
        memset(out, 0, sizeof(*out));
        if (!district_code || strlen(district_code) > 200)
                return -EINVAL;
        int rc;
        /* NULLS FIRST: a town without 丁目 before its 丁目, as SQLite sorts. */
        if (strncmp(district_code, "town:", 5) == 0)
                rc = address_rows(b, out,
                                  "SELECT " ADDR_COLUMNS " FROM addresses a WHERE a.town_base = $1 "
                                  "ORDER BY a.chome NULLS FIRST, a.code COLLATE \"C\"",
                                  "t", district_code + 5);
        else
                rc = address_rows(b, out,
                                  "SELECT " ADDR_COLUMNS " FROM addresses a WHERE a.district_id = "
                                  "(SELECT id FROM districts WHERE code = $1) ORDER BY a.town_base "
                                  "COLLATE \"C\", a.chome NULLS FIRST, a.code COLLATE \"C\"",
                                  "t", district_code);
        if (rc < 0)
                geo_address_list_free(out);
        return rc;
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

/* One address as an object of the batch's JSON array. */
static void address_json(struct json_writer *w, const struct geo_address_in *a,
                         const struct geo_address_keys *k)
{
        json_obj_begin(w);
        json_key(w, "code");
        json_str(w, a->code);
        json_key(w, "pref");
        json_str(w, a->pref);
        json_key(w, "city");
        json_str(w, a->city);
        json_key(w, "lg");
        json_str(w, a->lg_code);
        json_key(w, "town");
        json_str(w, a->town);
        json_key(w, "base");
        json_str(w, k->base);
        json_key(w, "chome");
        if (k->chome >= 0)
                json_int(w, k->chome);
        else
                json_null_value(w);
        json_key(w, "key");
        json_str(w, k->key);
        json_key(w, "tkey");
        json_str(w, k->town_key);
        /* Coordinates exactly (%.17g round-trips), as SQLite stores them. */
        char num[40];
        json_key(w, "lon");
        snprintf(num, sizeof(num), "%.17g", a->lon);
        json_raw(w, num);
        json_key(w, "lat");
        snprintf(num, sizeof(num), "%.17g", a->lat);
        json_raw(w, num);
        json_key(w, "ver");
        json_str(w, a->version);
        json_obj_end(w);
}

/* The whole batch in one INSERT from a JSON array; of two rows with one
 * code the later is kept (one statement cannot update a row twice). */
int pg_geo_addresses_upsert(struct store *st, const struct geo_address_in *v, size_t n)
{
        struct pg *b = PG(st);
        struct geo_address_keys k;
        struct buf arr = BUF_INIT(PG_BATCH_MAX);
        struct json_writer w;
        json_init(&w, &arr);
        json_arr_begin(&w);
        for (size_t i = 0; i < n; i++) {
                if (!geo_coords_ok(v[i].lon, v[i].lat) || geo_address_keys(&v[i], &k) < 0) {
                        buf_free(&arr);
                        return -EINVAL;
                }
                address_json(&w, &v[i], &k);
        }
        json_arr_end(&w);
        int rc = json_error(&w) < 0 || !arr.data ? -ENOMEM : pg_tx_begin(b);
        if (rc == 0) {
                rc = pg_q(
                    b, NULL,
                    "INSERT INTO addresses (code, pref, city, lg_code, town, town_base, "
                    "chome, key, town_key, lon, lat, geom, version, updated_at) SELECT d.code, "
                    "d.pref, d.city, d.lg, d.town, d.base, d.chome, d.key, d.tkey, d.lon, "
                    "d.lat, ST_SetSRID(ST_MakePoint(d.lon, d.lat), 6668), d.ver, $1 FROM "
                    "(SELECT DISTINCT ON (x.code) * FROM ROWS FROM "
                    "(json_to_recordset($2::json) AS (code text, pref text, city text, lg "
                    "text, town text, base text, chome bigint, key text, tkey text, lon "
                    "float8, lat float8, ver text)) WITH ORDINALITY AS x(code, pref, city, "
                    "lg, town, base, chome, key, tkey, lon, lat, ver, o) ORDER BY x.code, "
                    "x.o DESC) d ORDER BY d.o ON CONFLICT (code) DO "
                    "UPDATE SET pref = EXCLUDED.pref, city = EXCLUDED.city, lg_code = "
                    "EXCLUDED.lg_code, town = EXCLUDED.town, town_base = "
                    "EXCLUDED.town_base, chome = EXCLUDED.chome, key = EXCLUDED.key, "
                    "town_key = EXCLUDED.town_key, lon = EXCLUDED.lon, lat = EXCLUDED.lat, "
                    "geom = EXCLUDED.geom, version = EXCLUDED.version, updated_at = "
                    "EXCLUDED.updated_at",
                    "it", pg_now(), arr.data);
                rc = pg_tx_end(b, rc);
        }
        buf_free(&arr);
        return rc;
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
