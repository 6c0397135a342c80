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

/* The whole lookup in one statement, one round trip and one snapshot:
 * tagged rows (sec, ord, v1..v7, all text) in the order of sl_geo.c's
 * steps.  1: the areas covering the point (one of their parts, 0011, does);
 * 2: the code table's row of the
 * first city among them; 3: that city's split codes; 4: the district;
 * 5: the active layers' features; 6: the JMA levels of the areas and the
 * splits (a superset: hazard_levels takes those of the answer's areas);
 * 7: the city's gauges and sensors; 8: the orders in force.  The drill
 * rows come with whether their drill is public, and admitted() applies
 * the exercise view: a statement with the point as its only parameters
 * is planned once per connection (a generic plan), where the view as a
 * parameter had it planned again on every call. */
#define COVERS_GEOM  COVERS("geom")
#define COVERS_FGEOM COVERS("f.geom")
static const char hazard_sql[] =
    "WITH ar AS MATERIALIZED (SELECT code, name, kind, lg_code, town_code FROM areas"
    " WHERE code IN (SELECT code FROM area_parts WHERE " COVERS_GEOM ")),"
    " c AS (SELECT code FROM ar WHERE kind = 'city' ORDER BY code COLLATE \"C\" LIMIT 1),"
    " sp AS MATERIALIZED (SELECT x.code, x.name, (SELECT count(*) FROM areas a"
    " WHERE a.code = x.code AND a.geom IS NOT NULL) AS n FROM area_codes x"
    " WHERE x.split_of = (SELECT code FROM c)),"
    " d AS MATERIALIZED (SELECT id, code, name FROM districts WHERE " COVERS_GEOM
    " ORDER BY id LIMIT 1)"
    " SELECT 1 AS sec, row_number() OVER (ORDER BY code COLLATE \"C\") AS ord, code, name,"
    " kind, lg_code, town_code, NULL::text, NULL::text FROM ar"
    " UNION ALL SELECT 2, 1, lg_code, town_code, NULL, NULL, NULL, NULL, NULL"
    " FROM area_codes WHERE code = (SELECT code FROM c)"
    " UNION ALL SELECT 3, row_number() OVER (ORDER BY code COLLATE \"C\"), code, name,"
    " n::text, NULL, NULL, NULL, NULL FROM sp"
    " UNION ALL SELECT 4, 1, id::text, code, name, NULL, NULL, NULL, NULL FROM d"
    " UNION ALL SELECT 5, row_number() OVER (ORDER BY f.id), l.name, l.version, l.title,"
    " l.hazard, f.class, f.label_ja, f.rank::text FROM hazard_features f"
    " JOIN hazard_layers l ON l.id = f.layer_id WHERE l.active = 1 AND " COVERS_FGEOM
    " UNION ALL SELECT 6, row_number() OVER (ORDER BY area_code COLLATE \"C\", exercise),"
    " area_code, level::text, exercise::text, (area_code IN (SELECT area_code FROM"
    " public_drill_areas))::int::text, NULL, NULL, NULL FROM area_status"
    " WHERE area_code IN (SELECT code FROM ar UNION SELECT code FROM sp)"
    " UNION ALL SELECT 7, row_number() OVER (ORDER BY s.id), s.kind,"
    " s.expected_interval_s::text, t.level::text, t.state, t.last_observed_at::text,"
    " s.exercise::text, (s.id IN (SELECT id FROM public_drill_stations))::int::text"
    " FROM stations s JOIN station_status t ON t.station_id = s.id"
    " WHERE s.area_code = (SELECT code FROM c) AND s.kind IN ('gauge', 'sensor')"
    " UNION ALL SELECT 8, row_number() OVER (ORDER BY o.id), o.id::text, o.level::text,"
    " o.exercise::text, ((SELECT code FROM c) IN (SELECT area_code FROM"
    " public_drill_areas))::int::text, NULL, NULL, NULL FROM orders o"
    " WHERE o.lifted_at IS NULL"
    " AND (o.area_code = (SELECT code FROM c) OR o.district_id = (SELECT id FROM d))"
    " ORDER BY 1, 2";

struct hazard_ctx {
        struct pg *b;
        int view;
        PGresult *r; /* the statement's rows */
};

/* Row i's section, column v (1-7) of it. */
static int sec_of(const PGresult *r, int i)
{
        return (int)pg_col_i64(r, i, 0);
}
#define V(r, i, v) PQgetvalue(r, i, 1 + (v))

static int hazard_areas(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct hazard_ctx *h = ctx;
        int rc = pg_qp(h->b, &h->r, hazard_sql, "dd", lon, lat);
        if (rc < 0)
                return rc;
        PGresult *r = h->r;
        bool split_found = false;
        int i = 0, n = PQntuples(r);
        for (; i < n && sec_of(r, i) == 1 && rc == 0; i++) {
                const char *code = V(r, i, 1), *kind = V(r, i, 3);
                if (strcmp(kind, "city_split") == 0) {
                        split_found = true;
                        rc = geo_answer_add_area(a, code);
                        continue;
                }
                if (strcmp(kind, "city") != 0)
                        continue;
                if (!a->area_code) {
                        a->area_code = pg_col_strdup(r, i, 2);
                        a->area_name = pg_col_strdup(r, i, 3);
                        a->lg_code = pg_col_strdup(r, i, 5);
                        a->town_code = pg_col_strdup(r, i, 6);
                        if (!a->area_code || !a->area_name)
                                rc = -ENOMEM;
                }
                if (rc == 0)
                        rc = geo_answer_add_area(a, code);
        }
        if (rc < 0 || !a->area_code)
                return rc;
        /* The code table knows the other code systems and the splits. */
        for (; i < n && sec_of(r, i) == 2; i++) {
                if (!a->lg_code)
                        a->lg_code = pg_col_strdup(r, i, 2);
                if (!a->town_code)
                        a->town_code = pg_col_strdup(r, i, 3);
        }
        if (split_found)
                return 0;
        /* No split polygon covers the point: the split rule decides. */
        struct geo_split splits[8];
        size_t nsplit = 0;
        for (; i < n && sec_of(r, i) == 3 && nsplit < 8; i++) {
                if (strlen(V(r, i, 1)) != 7)
                        continue;
                splits[nsplit++] =
                    (struct geo_split){V(r, i, 1), V(r, i, 2), pg_col_i64(r, i, 4) != 0};
        }
        return geo_answer_splits(a, splits, nsplit);
}

static int hazard_district(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        (void)lon;
        (void)lat;
        PGresult *r = ((struct hazard_ctx *)ctx)->r;
        int rc = 0;
        for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
                if (sec_of(r, i) != 4)
                        continue;
                a->district_id = pg_col_i64(r, i, 2);
                a->district_code = pg_col_strdup(r, i, 3);
                a->district_name = pg_col_strdup(r, i, 4);
                if (!a->district_code || !a->district_name)
                        rc = -ENOMEM;
                break;
        }
        return rc;
}

static int hazard_layers_at(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        (void)lon;
        (void)lat;
        PGresult *r = ((struct hazard_ctx *)ctx)->r;
        int rc = 0;
        for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
                if (sec_of(r, i) != 5)
                        continue;
                struct geo_hit_in hit = {V(r, i, 1),
                                         V(r, i, 2),
                                         V(r, i, 3),
                                         V(r, i, 4),
                                         V(r, i, 5),
                                         V(r, i, 6),
                                         (int)pg_col_i64(r, i, 8)};
                rc = geo_answer_hit(a, &hit);
        }
        /* A stable order for callers: by layer name. */
        geo_answer_sort_hits(a);
        return rc;
}

/* A row of the exercise view: real, or a drill's that the view shows
 * (every drill, or a public one). */
static bool admitted(int view, const PGresult *r, int i, int exercise_col, int public_col)
{
        return pg_col_i64(r, i, exercise_col) == 0 || view == STORE_VIEW_ALL ||
               (view == STORE_VIEW_PUBLIC && pg_col_i64(r, i, public_col) != 0);
}

/* The levels in force at the answer's area and district: JMA's (real,
 * and the drill rows the view admits), the river's (gauges and sensors
 * not stale; a drill's only where the view admits it, as in sl_geo.c) and
 * the city's order. */
static int hazard_levels(void *ctx, int view, struct geo_hazard_answer *a)
{
        (void)view; /* in the statement already */
        struct hazard_ctx *h = ctx;
        PGresult *r = h->r;
        int n = PQntuples(r);
        int64_t now = pg_now();
        for (size_t k = 0; k < a->n_areas; k++)
                for (int i = 0; i < n; i++)
                        if (sec_of(r, i) == 6 && strcmp(V(r, i, 1), a->areas[k]) == 0 &&
                            !pg_col_null(r, i, 3) && admitted(h->view, r, i, 4, 5))
                                geo_take_level(&a->jma_level, &a->exercise,
                                               (int)pg_col_i64(r, i, 3), pg_col_i64(r, i, 4) != 0);
        for (int i = 0; i < n; i++) {
                if (sec_of(r, i) != 7 || !a->area_code || !admitted(h->view, r, i, 7, 8))
                        continue;
                enum station_state stored = STATE_UNKNOWN;
                station_state_parse(V(r, i, 4), &stored);
                enum station_state eff =
                    store_effective_state(stored, V(r, i, 1), pg_col_i64(r, i, 6),
                                          pg_col_i64(r, i, 3), h->b->base.grace, now);
                if (station_state_is_unknown(eff) || pg_col_null(r, i, 4))
                        continue;
                /* A drill's gauge counts only where its drill is seen, and
                 * marks the answer exercise. */
                geo_take_level(&a->river_level, &a->exercise, (int)pg_col_i64(r, i, 4),
                               pg_col_i64(r, i, 7) != 0);
        }
        for (int i = 0; i < n; i++) {
                if (sec_of(r, i) != 8 || !admitted(h->view, r, i, 4, 5))
                        continue;
                int lv = (int)pg_col_i64(r, i, 3);
                if (a->order_level == LEVEL_NONE || lv > a->order_level) {
                        geo_take_level(&a->order_level, &a->exercise, lv, pg_col_i64(r, i, 4) != 0);
                        a->order_id = pg_col_i64(r, i, 2);
                }
        }
        a->order_name_ja =
            a->order_level == LEVEL_NONE ? NULL : level_order_name_ja(a->order_level);
        return 0;
}

int pg_geo_hazard_at(struct store *st, double lon, double lat, int view,
                     struct geo_hazard_answer *out)
{
        static const struct geo_hazard_ops ops = {hazard_areas, hazard_district, hazard_layers_at,
                                                  hazard_levels};
        struct hazard_ctx h = {PG(st), store_exercise_view(st, view), NULL};
        int rc = geo_hazard_at_run(lon, lat, view, &ops, &h, out);
        PQclear(h.r);
        return rc;
}

/* ---- shelters_near ------------------------------------------------------ */

/* The hazard's suitability column, by enum store_hazard. */
static const char *const hazard_cols[HAZARD_COUNT] = {
    "flood", "landslide", "storm_surge", "earthquake", "tsunami", "fire", "inland_flood", "volcano",
};

/* The search's first boxes, fetched with the open shelters in one
 * statement; a box past them is a statement of its own. */
#define NEAR_BOXES 4
/* The results kept for the hit's fields (each row carries them). */
#define NEAR_RESULTS 16

/* A row's columns: id, lon, lat, is_open, then the hit's fields from
 * NEAR_FILL on; the prefetch adds the box and the source after them. */
#define NEAR_COLS                                                                                  \
        "s.id, s.lon, s.lat, s.is_open, s.common_id, s.name, s.address, s.capacity, s.occupancy, " \
        "s.linked_id, l.name"
#define NEAR_FILL 4
#define NEAR_K    11 /* the prefetch's first box holding the row (1-based), NULL for open rows */
#define NEAR_KC   12 /* the last of its boxes fetched whole */
#define NEAR_JOIN " FROM shelters s LEFT JOIN shelters l ON l.id = s.linked_id "
#define NEAR_SUIT " = 1 AND s.kind IN ('emergency', 'both')"

struct near_ctx {
        struct pg *b;
        enum store_hazard hz;
        double lon, lat;
        double boxes[NEAR_BOXES][4];
        int kc;        /* boxes 1..kc of the prefetch are whole in pre */
        PGresult *pre; /* the prefetch: its boxes' rows and the open ones */
        PGresult *r[NEAR_RESULTS];
        size_t nr;
};

static int near_keep(struct near_ctx *c, PGresult *r)
{
        if (c->nr == NEAR_RESULTS) {
                PQclear(r);
                return -ENOBUFS;
        }
        c->r[c->nr++] = r;
        return 0;
}

/* One statement for the common case: every suitable shelter in the first
 * boxes with the first box (1-based) holding it, up to the box after the
 * first one holding n (the search rarely needs more, and a dense city
 * sends no more rows than that), and every suitable open one. */
static int near_prefetch(struct near_ctx *c, size_t n)
{
        struct buf a[4];
        for (int j = 0; j < 4; j++)
                a[j] = (struct buf)BUF_INIT(4096);
        int rc = 0;
        for (int k = 0; k < NEAR_BOXES; k++) {
                geo_near_box(c->lon, c->lat, GEO_NEAR_R0_M * (double)(1 << k), c->boxes[k]);
                for (int j = 0; j < 4 && rc == 0; j++)
                        rc = pg_arr_double(&a[j], (size_t)k, c->boxes[k][j]);
        }
        for (int j = 0; j < 4 && rc == 0; j++)
                rc = pg_arr_end(&a[j], NEAR_BOXES);
        char sql[2000];
        const char *col = hazard_cols[c->hz];
        snprintf(sql, sizeof(sql),
                 "WITH b AS MATERIALIZED (SELECT ST_MakeEnvelope(x0, y0, x1, y1, 6668) AS e, k"
                 " FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[])"
                 " WITH ORDINALITY AS b(x0, y0, x1, y1, k)),"
                 " c AS MATERIALIZED (SELECT s.id, (SELECT min(b.k) FROM b WHERE s.geom && b.e)"
                 " AS k FROM shelters s WHERE s.geom && ST_MakeEnvelope($1[%d], $2[%d], $3[%d],"
                 " $4[%d], 6668) AND s.%s" NEAR_SUIT "), "
                 "w AS (SELECT coalesce(min(k) + 1, %d) AS kc FROM (SELECT k, count(*) OVER (ORDER "
                 "BY k) AS cum FROM c) x WHERE cum >= $5) "
                 "SELECT " NEAR_COLS ", c.k, (SELECT kc FROM w) FROM c JOIN shelters s ON s.id = "
                 "c.id LEFT JOIN shelters l ON l.id = s.linked_id WHERE c.k <= (SELECT kc FROM w) "
                 "UNION ALL SELECT " NEAR_COLS ", NULL, (SELECT kc FROM w)" NEAR_JOIN
                 "WHERE s.is_open = 1 AND s.%s" NEAR_SUIT " ORDER BY 12, 1",
                 NEAR_BOXES, NEAR_BOXES, NEAR_BOXES, NEAR_BOXES, col, NEAR_BOXES, col);
        if (rc == 0)
                rc = pg_qp(c->b, &c->pre, sql, "tttti", a[0].data, a[1].data, a[2].data, a[3].data,
                           (int64_t)n);
        for (int j = 0; j < 4; j++)
                buf_free(&a[j]);
        if (rc < 0)
                return rc;
        /* No row: nothing suitable in the boxes, which are then whole. */
        c->kc = PQntuples(c->pre) ? (int)pg_col_i64(c->pre, 0, NEAR_KC) : NEAR_BOXES;
        return 0;
}

static int near_push_rows(const PGresult *r, int max_k, geo_near_push_fn push, void *push_ctx)
{
        int rc = 0;
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
                if (max_k ? pg_col_null(r, i, NEAR_K) || pg_col_i64(r, i, NEAR_K) > max_k
                          : !pg_col_null(r, i, NEAR_K))
                        continue;
                rc = push(push_ctx, pg_col_i64(r, i, 0), pg_col_double(r, i, 1),
                          pg_col_double(r, i, 2), pg_col_i64(r, i, 3) != 0);
        }
        return rc;
}

static int near_box(void *ctx, double lon0, double lat0, double lon1, double lat1,
                    geo_near_push_fn push, void *push_ctx)
{
        struct near_ctx *c = ctx;
        for (int k = 0; k < NEAR_BOXES && k < c->kc; k++)
                if (c->boxes[k][0] == lon0 && c->boxes[k][1] == lat0 && c->boxes[k][2] == lon1 &&
                    c->boxes[k][3] == lat1)
                        return near_push_rows(c->pre, k + 1, push, push_ctx);
        char sql[600];
        snprintf(sql, sizeof(sql),
                 "SELECT " NEAR_COLS ", NULL, NULL" NEAR_JOIN "WHERE s.geom && ST_MakeEnvelope($1, "
                 "$2, $3, $4, 6668) AND s.%s" NEAR_SUIT " ORDER BY s.id",
                 hazard_cols[c->hz]);
        PGresult *r = NULL;
        int rc = pg_qp(c->b, &r, sql, "dddd", lon0, lat0, lon1, lat1);
        if (rc == 0)
                rc = near_keep(c, r);
        for (int i = 0; rc == 0 && i < PQntuples(r); i++)
                rc = push(push_ctx, pg_col_i64(r, i, 0), pg_col_double(r, i, 1),
                          pg_col_double(r, i, 2), pg_col_i64(r, i, 3) != 0);
        return rc;
}

static int near_open(void *ctx, geo_near_push_fn push, void *push_ctx)
{
        struct near_ctx *c = ctx;
        return near_push_rows(c->pre, 0, push, push_ctx);
}

/* The hit's fields from the row that found it. */
static int near_fill(void *ctx, int64_t id, struct geo_shelter_hit *h)
{
        struct near_ctx *c = ctx;
        const PGresult *r = NULL;
        int row = -1;
        for (size_t k = 0; k <= c->nr && row < 0; k++) {
                r = k < c->nr ? c->r[k] : c->pre;
                for (int i = 0; i < PQntuples(r) && row < 0; i++)
                        if (pg_col_i64(r, i, 0) == id)
                                row = i;
        }
        if (row < 0)
                return -ENOENT;
        int f = NEAR_FILL;
        h->common_id = pg_col_strdup(r, row, f);
        h->name = pg_col_strdup(r, row, f + 1);
        h->address = pg_col_strdup(r, row, f + 2);
        h->lon = pg_col_double(r, row, 1);
        h->lat = pg_col_double(r, row, 2);
        h->open = pg_col_i64(r, row, 3) != 0;
        h->capacity = pg_col_null(r, row, f + 3) ? -1 : pg_col_i64(r, row, f + 3);
        h->occupancy = pg_col_null(r, row, f + 4) ? -1 : pg_col_i64(r, row, f + 4);
        h->linked_id = pg_col_i64(r, row, f + 5);
        h->linked_name = pg_col_strdup(r, row, f + 6);
        return h->common_id && h->name ? 0 : -ENOMEM;
}

int pg_geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard hz, size_t n,
                         struct geo_shelter_list *out)
{
        static const struct geo_near_ops ops = {near_box, near_open, near_fill};
        memset(out, 0, sizeof(*out));
        if (!geo_coords_ok(lon, lat) || (int)hz < 0 || hz >= HAZARD_COUNT || n < 1 || n > 50)
                return -EINVAL;
        struct near_ctx c = {.b = PG(st), .hz = hz, .lon = lon, .lat = lat};
        /* The first boxes and the open shelters come from one statement,
         * one snapshot: usually the whole search. */
        int rc = near_prefetch(&c, n);
        if (rc == 0)
                rc = geo_near_run(lon, lat, n, &ops, &c, out);
        PQclear(c.pre);
        for (size_t k = 0; k < c.nr; k++)
                PQclear(c.r[k]);
        return rc;
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
