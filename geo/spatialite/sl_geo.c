/* The SpatiaLite backend: geo lookups (geo/geo.h).  Candidates come from
 * the R*Tree of each geometry column (idx_TABLE_geom); the exact test is a
 * point-in-polygon on the stored SpatiaLite blob, boundary included, so no
 * query converts geometries or scans a table. */
#include "sl.h"

#include "../geo.h"
#include "../geo_rules.h"
#include "timeutil.h"

#include <errno.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Point in polygon on the SpatiaLite blob ---------------------------- */

/* A point this close to an edge (degrees, about 0.1 mm) is on it. */
#define EDGE_EPS 1e-9

struct blob_rd {
        const unsigned char *p;
        size_t n, pos;
        bool little;
        bool bad;
};

static uint32_t rd_u32(struct blob_rd *r)
{
        if (r->pos + 4 > r->n) {
                r->bad = true;
                return 0;
        }
        const unsigned char *q = r->p + r->pos;
        r->pos += 4;
        return r->little ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                               (uint32_t)q[3] << 24
                         : (uint32_t)q[3] | (uint32_t)q[2] << 8 | (uint32_t)q[1] << 16 |
                               (uint32_t)q[0] << 24;
}

static double rd_f64(struct blob_rd *r)
{
        if (r->pos + 8 > r->n) {
                r->bad = true;
                return 0;
        }
        uint64_t u;
        memcpy(&u, r->p + r->pos, 8);
        r->pos += 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (!r->little)
                u = __builtin_bswap64(u);
#else
        if (r->little)
                u = __builtin_bswap64(u);
#endif
        double d;
        memcpy(&d, &u, sizeof(d));
        return d;
}

/* One polygon body (rings of XY points): sets *inside (even-odd over all
 * rings) or *edge. */
static void rd_polygon(struct blob_rd *r, double x, double y, bool *inside, bool *edge)
{
        uint32_t nrings = rd_u32(r);
        bool c = false;
        for (uint32_t k = 0; k < nrings && !r->bad; k++) {
                uint32_t np = rd_u32(r);
                if (r->bad || np > (r->n - r->pos) / 16) {
                        r->bad = true;
                        return;
                }
                double ax = 0, ay = 0;
                for (uint32_t i = 0; i < np; i++) {
                        double bx = rd_f64(r), by = rd_f64(r);
                        if (i > 0 && !*edge) {
                                double minx = ax < bx ? ax : bx, maxx = ax < bx ? bx : ax;
                                double miny = ay < by ? ay : by, maxy = ay < by ? by : ay;
                                if (x >= minx - EDGE_EPS && x <= maxx + EDGE_EPS &&
                                    y >= miny - EDGE_EPS && y <= maxy + EDGE_EPS) {
                                        double cr = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
                                        double l = hypot(bx - ax, by - ay);
                                        if (fabs(cr) <= EDGE_EPS * (l > 0 ? l : 1))
                                                *edge = true;
                                }
                                if ((ay > y) != (by > y)) {
                                        double xi = ax + (y - ay) * (bx - ax) / (by - ay);
                                        if (x < xi)
                                                c = !c;
                                }
                        }
                        ax = bx;
                        ay = by;
                }
        }
        if (c)
                *inside = true;
}

/* 1 when the (multi)polygon blob covers (x, y), 0 when not, -1 when the
 * blob is not an uncompressed XY polygon the reader knows. */
static int blob_covers(const void *blob, size_t n, double x, double y)
{
        const unsigned char *p = blob;
        if (!p || n < 45 || p[0] != 0x00 || p[38] != 0x7C || p[n - 1] != 0xFE)
                return -1;
        struct blob_rd r = {.p = p, .n = n - 1, .pos = 39, .little = p[1] == 0x01};
        r.pos = 6;
        double minx = rd_f64(&r), miny = rd_f64(&r), maxx = rd_f64(&r), maxy = rd_f64(&r);
        if (x < minx - EDGE_EPS || x > maxx + EDGE_EPS || y < miny - EDGE_EPS ||
            y > maxy + EDGE_EPS)
                return 0;
        r.pos = 39;
        uint32_t type = rd_u32(&r);
        bool edge = false;
        if (type == 3) {
                bool inside = false;
                rd_polygon(&r, x, y, &inside, &edge);
                return r.bad ? -1 : (inside || edge);
        }
        if (type != 6)
                return -1;
        uint32_t ne = rd_u32(&r);
        for (uint32_t e = 0; e < ne && !r.bad; e++) {
                if (r.pos >= r.n || r.p[r.pos] != 0x69) {
                        r.bad = true;
                        break;
                }
                r.pos++;
                if (rd_u32(&r) != 3) {
                        r.bad = true;
                        break;
                }
                bool inside = false;
                rd_polygon(&r, x, y, &inside, &edge);
                if (!r.bad && (inside || edge))
                        return 1;
        }
        return r.bad ? -1 : 0;
}

/* ---- Outer rings of an area ---------------------------------------------- */

/* Reads one polygon body: keeps its first (outer) ring, skips the holes. */
static int rd_outer(struct blob_rd *r, struct store_area_rings *out, size_t *total, size_t max)
{
        uint32_t nrings = rd_u32(r);
        for (uint32_t k = 0; k < nrings && !r->bad; k++) {
                uint32_t np = rd_u32(r);
                if (r->bad || np > (r->n - r->pos) / 16) {
                        r->bad = true;
                        break;
                }
                if (k > 0) {
                        r->pos += (size_t)np * 16;
                        continue;
                }
                *total += np;
                if (max && *total > max)
                        return -EFBIG;
                struct store_ring *v = realloc(out->v, (out->n + 1) * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                out->v = v;
                struct store_ring *ring = &v[out->n];
                ring->n = 0;
                ring->lonlat = malloc(((size_t)np + 1) * 2 * sizeof(double));
                if (!ring->lonlat)
                        return -ENOMEM;
                out->n++;
                for (uint32_t i = 0; i < np; i++) {
                        ring->lonlat[2 * i] = rd_f64(r);
                        ring->lonlat[2 * i + 1] = rd_f64(r);
                }
                ring->n = np;
        }
        return r->bad ? -EBADMSG : 0;
}

int sl_area_geojson(struct store *st, const char *code, double tol, char **geojson, double bbox[4])
{
        struct sl *b = SL(st);
        *geojson = NULL;
        if (!code || !(tol >= 0 && tol < 1))
                return -EINVAL;
        int rc = 0;
        sqlite3_stmt *s = sl_row(b, &rc,
                                 "SELECT AsGeoJSON(CASE WHEN ?2 > 0 THEN "
                                 "SimplifyPreserveTopology(geom, ?2) ELSE geom END, 6), "
                                 "MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) "
                                 "FROM areas WHERE code = ?1 AND geom IS NOT NULL",
                                 "td", code, tol);
        if (!s)
                return rc;
        *geojson = sl_col_strdup(s, 0);
        if (bbox)
                for (int i = 0; i < 4; i++)
                        bbox[i] = sqlite3_column_double(s, 1 + i);
        rc = *geojson ? 0 : sqlite3_column_type(s, 0) == SQLITE_NULL ? -ENOENT : -ENOMEM;
        sqlite3_reset(s);
        return rc;
}

/* The outer rings of the (multi)polygon blob in column col of s. */
static int rings_of(sqlite3_stmt *s, int col, size_t max_points, struct store_area_rings *out)
{
        const unsigned char *p = sqlite3_column_blob(s, col);
        int len = sqlite3_column_bytes(s, col);
        size_t n = len > 0 ? (size_t)len : 0;
        if (!p || n < 45 || p[0] != 0x00 || p[38] != 0x7C || p[n - 1] != 0xFE)
                return -EBADMSG;
        struct blob_rd r = {.p = p, .n = n - 1, .pos = 39, .little = p[1] == 0x01};
        uint32_t type = rd_u32(&r), nparts = 1;
        size_t total = 0;
        int rc = 0;
        if (type == 6)
                nparts = rd_u32(&r);
        else if (type != 3)
                rc = -EBADMSG;
        for (uint32_t part = 0; rc == 0 && part < nparts && !r.bad; part++) {
                if (type == 6) {
                        if (r.pos >= r.n || r.p[r.pos] != 0x69 || (r.pos++, rd_u32(&r) != 3)) {
                                rc = -EBADMSG;
                                break;
                        }
                }
                rc = rd_outer(&r, out, &total, max_points);
        }
        if (rc == 0 && r.bad)
                rc = -EBADMSG;
        if (rc < 0) {
                store_area_rings_free(out);
                return rc;
        }
        store_area_rings_sort(out);
        return out->n ? 0 : -ENOENT;
}

int sl_area_rings(struct store *st, const char *code, size_t max_points,
                  struct store_area_rings *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        if (!code)
                return -EINVAL;
        int rc = 0;
        sqlite3_stmt *s =
            sl_row(b, &rc, "SELECT geom FROM areas WHERE code = ? AND geom IS NOT NULL", "t", code);
        if (!s)
                return rc;
        rc = rings_of(s, 0, max_points, out);
        sqlite3_reset(s);
        return rc;
}

int sl_district_rings(struct store *st, int64_t district_id, size_t max_points,
                      struct store_area_rings *out, char **name, char **area_code)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        *name = *area_code = NULL;
        int rc = 0;
        sqlite3_stmt *s = sl_row(b, &rc, "SELECT name, area_code, geom FROM districts WHERE id = ?",
                                 "i", district_id);
        if (!s)
                return rc;
        *name = sl_col_strdup(s, 0);
        *area_code = sl_col_strdup(s, 1);
        rc = !*name                                     ? -ENOMEM
             : sqlite3_column_type(s, 2) == SQLITE_NULL ? 0
                                                        : rings_of(s, 2, max_points, out);
        sqlite3_reset(s);
        if (rc < 0 && rc != -ENOENT) {
                free(*name);
                free(*area_code);
                *name = *area_code = NULL;
        }
        return rc == -ENOENT ? 0 : rc;
}

/* ---- Prepared large polygons -------------------------------------------- */

/* A polygon of many vertices (a city boundary, a river's whole flood
 * area) is kept per handle as its edges bucketed into horizontal bands:
 * a point test reads only the edges of its band.  Keyed by table tag and
 * rowid, checked against the blob's length and the row's stamp (updated_at,
 * or the layer's import time and id), so a re-imported geometry is
 * prepared again.  The query reads a large blob only to prepare it: its
 * pages are not loaded again while the prepared form is cached. */
#define PREP_MIN_BYTES 16384 /* about 1,000 vertices */
#define PREP_SLOTS     32
#define PREP_MAX_EDGES 1000000 /* about 40 MB per handle */

struct prep {
        int tag;
        int64_t rowid;
        size_t len;
        int64_t stamp;
        uint64_t used;
        double miny, band_h;
        size_t n_edges;
        double *e; /* x1 y1 x2 y2 per edge */
        uint32_t nb;
        uint32_t *start; /* nb + 1 offsets into idx */
        uint32_t *idx;
};

struct prep_cache {
        struct prep *slot[PREP_SLOTS];
        uint64_t tick;
        size_t edges;
};

static void prep_free(struct prep *p)
{
        if (!p)
                return;
        free(p->e);
        free(p->start);
        free(p->idx);
        free(p);
}

void sl_geo_cache_free(struct sl *b)
{
        struct prep_cache *c = b->geo_cache;
        if (!c)
                return;
        for (int i = 0; i < PREP_SLOTS; i++)
                prep_free(c->slot[i]);
        free(c);
        b->geo_cache = NULL;
}

/* Reads every ring's edges; NULL when the blob is not a plain XY
 * (multi)polygon. */
static struct prep *prep_build(const unsigned char *p, size_t n)
{
        if (n < 45 || p[0] != 0x00 || p[38] != 0x7C || p[n - 1] != 0xFE)
                return NULL;
        struct blob_rd r = {.p = p, .n = n - 1, .pos = 39, .little = p[1] == 0x01};
        uint32_t type = rd_u32(&r), nparts = 1;
        if (type == 6)
                nparts = rd_u32(&r);
        else if (type != 3)
                return NULL;
        struct prep *pp = calloc(1, sizeof(*pp));
        size_t cap = (n / 16) + 4;
        if (!pp || !(pp->e = malloc(cap * 4 * sizeof(double)))) {
                prep_free(pp);
                return NULL;
        }
        double miny = INFINITY, maxy = -INFINITY;
        for (uint32_t part = 0; part < nparts && !r.bad; part++) {
                if (type == 6) {
                        if (r.pos >= r.n || r.p[r.pos] != 0x69) {
                                r.bad = true;
                                break;
                        }
                        r.pos++;
                        if (rd_u32(&r) != 3) {
                                r.bad = true;
                                break;
                        }
                }
                uint32_t nrings = rd_u32(&r);
                for (uint32_t k = 0; k < nrings && !r.bad; k++) {
                        uint32_t np = rd_u32(&r);
                        if (r.bad || np > (r.n - r.pos) / 16) {
                                r.bad = true;
                                break;
                        }
                        double ax = 0, ay = 0;
                        for (uint32_t i = 0; i < np; i++) {
                                double bx = rd_f64(&r), by = rd_f64(&r);
                                if (i > 0 && pp->n_edges < cap) {
                                        double *e = pp->e + 4 * pp->n_edges++;
                                        e[0] = ax;
                                        e[1] = ay;
                                        e[2] = bx;
                                        e[3] = by;
                                }
                                miny = by < miny ? by : miny;
                                maxy = by > maxy ? by : maxy;
                                ax = bx;
                                ay = by;
                        }
                }
        }
        if (r.bad || pp->n_edges == 0) {
                prep_free(pp);
                return NULL;
        }
        size_t nb = pp->n_edges / 8;
        pp->nb = (uint32_t)(nb < 16 ? 16 : nb > 8192 ? 8192 : nb);
        pp->miny = miny - EDGE_EPS;
        pp->band_h = (maxy - miny + 2 * EDGE_EPS) / pp->nb;
        if (!(pp->band_h > 0))
                pp->band_h = 1;
        pp->start = calloc(pp->nb + 1, sizeof(uint32_t));
        if (!pp->start) {
                prep_free(pp);
                return NULL;
        }
        /* Two passes: count per band, then fill. */
        for (int pass = 0; pass < 2; pass++) {
                uint32_t *fill = NULL;
                if (pass == 1) {
                        for (uint32_t i = 1; i <= pp->nb; i++)
                                pp->start[i] += pp->start[i - 1];
                        pp->idx = malloc((pp->start[pp->nb] + 1) * sizeof(uint32_t));
                        fill = calloc(pp->nb, sizeof(uint32_t));
                        if (!pp->idx || !fill) {
                                free(fill);
                                prep_free(pp);
                                return NULL;
                        }
                }
                for (size_t i = 0; i < pp->n_edges; i++) {
                        const double *e = pp->e + 4 * i;
                        double lo = e[1] < e[3] ? e[1] : e[3], hi = e[1] < e[3] ? e[3] : e[1];
                        long b0 = (long)floor((lo - EDGE_EPS - pp->miny) / pp->band_h);
                        long b1 = (long)floor((hi + EDGE_EPS - pp->miny) / pp->band_h);
                        b0 = b0 < 0 ? 0 : b0;
                        b1 = b1 >= (long)pp->nb ? (long)pp->nb - 1 : b1;
                        for (long k = b0; k <= b1; k++) {
                                if (pass == 0)
                                        pp->start[k + 1]++;
                                else
                                        pp->idx[pp->start[k] + fill[k]++] = (uint32_t)i;
                        }
                }
                free(fill);
        }
        return pp;
}

static int prep_covers(const struct prep *pp, double x, double y)
{
        long k = (long)floor((y - pp->miny) / pp->band_h);
        if (k < 0 || k >= (long)pp->nb)
                return 0;
        bool c = false;
        for (uint32_t j = pp->start[k]; j < pp->start[k + 1]; j++) {
                const double *e = pp->e + 4 * pp->idx[j];
                double ax = e[0], ay = e[1], bx = e[2], by = e[3];
                double minx = ax < bx ? ax : bx, maxx = ax < bx ? bx : ax;
                double miny = ay < by ? ay : by, maxy = ay < by ? by : ay;
                if (x >= minx - EDGE_EPS && x <= maxx + EDGE_EPS && y >= miny - EDGE_EPS &&
                    y <= maxy + EDGE_EPS) {
                        double cr = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
                        double l = hypot(bx - ax, by - ay);
                        if (fabs(cr) <= EDGE_EPS * (l > 0 ? l : 1))
                                return 1;
                }
                if ((ay > y) != (by > y)) {
                        double xi = ax + (y - ay) * (bx - ax) / (by - ay);
                        if (x < xi)
                                c = !c;
                }
        }
        return c;
}

static struct prep *prep_find(struct sl *b, int tag, int64_t rowid, size_t n, int64_t stamp,
                              int *victim)
{
        struct prep_cache *c = b->geo_cache;
        if (!c && !(c = b->geo_cache = calloc(1, sizeof(*c))))
                return NULL;
        c->tick++;
        *victim = 0;
        for (int i = 0; i < PREP_SLOTS; i++) {
                struct prep *p = c->slot[i];
                if (p && p->tag == tag && p->rowid == rowid && p->len == n && p->stamp == stamp) {
                        p->used = c->tick;
                        return p;
                }
                if (!p || (c->slot[*victim] && p->used < c->slot[*victim]->used))
                        *victim = i;
        }
        return NULL;
}

static const struct prep *prep_put(struct sl *b, struct prep *p, int victim)
{
        struct prep_cache *c = b->geo_cache;
        if (!c) {
                prep_free(p);
                return NULL;
        }
        /* Evict the least recently used until the new one fits. */
        while (c->edges + p->n_edges > PREP_MAX_EDGES) {
                int lru = -1;
                for (int i = 0; i < PREP_SLOTS; i++)
                        if (c->slot[i] && (lru < 0 || c->slot[i]->used < c->slot[lru]->used))
                                lru = i;
                if (lru < 0)
                        break;
                c->edges -= c->slot[lru]->n_edges;
                prep_free(c->slot[lru]);
                c->slot[lru] = NULL;
                victim = lru;
        }
        if (c->slot[victim]) {
                c->edges -= c->slot[victim]->n_edges;
                prep_free(c->slot[victim]);
        }
        p->used = c->tick;
        c->slot[victim] = p;
        c->edges += p->n_edges;
        return p;
}

enum { TAG_AREA = 1, TAG_DISTRICT, TAG_HAZARD };

/* The geometry columns of a candidate query: the blob when small (a large
 * one stays unread while its prepared form is cached), its length, its
 * stamp and its rowid. */
#define GEOM_COLS(t, stamp)                                                                        \
        "CASE WHEN length(" t ".geom) < 16384 THEN " t ".geom END, length(" t ".geom), " stamp     \
        ", " t ".ROWID"

static const char *const blob_sql[] = {
    NULL,
    "SELECT geom FROM areas WHERE ROWID = ?",
    "SELECT geom FROM districts WHERE ROWID = ?",
    "SELECT geom FROM hazard_features WHERE ROWID = ?",
};

/* SpatiaLite's own test, for a geometry class our reader does not know
 * (compressed, XYZ). */
static int covers_sql(struct sl *b, const void *g, int n, double x, double y)
{
        sqlite3_stmt *q = NULL;
        int out = 0;
        if (sqlite3_prepare_v2(b->db, "SELECT ST_Covers(?, MakePoint(?, ?, 6668))", -1, &q, NULL) !=
            SQLITE_OK)
                return 0;
        sqlite3_bind_blob(q, 1, g, n, SQLITE_TRANSIENT);
        sqlite3_bind_double(q, 2, x);
        sqlite3_bind_double(q, 3, y);
        if (sqlite3_step(q) == SQLITE_ROW)
                out = sqlite3_column_int(q, 0) == 1;
        sqlite3_finalize(q);
        return out;
}

/* The exact test of one candidate whose GEOM_COLS start at col: prepared
 * for large polygons, else a direct read of the blob. */
static int covers_col(struct sl *b, sqlite3_stmt *s, int col, int tag, double x, double y)
{
        int64_t len = sqlite3_column_int64(s, col + 1);
        int64_t stamp = sqlite3_column_int64(s, col + 2);
        int64_t rowid = sqlite3_column_int64(s, col + 3);
        if (sqlite3_column_type(s, col) == SQLITE_BLOB) {
                const void *g = sqlite3_column_blob(s, col);
                int n = sqlite3_column_bytes(s, col);
                int c = blob_covers(g, n > 0 ? (size_t)n : 0, x, y);
                return c >= 0 ? c : covers_sql(b, g, n, x, y);
        }
        if (len < 45)
                return 0;
        int victim = 0;
        const struct prep *pp = prep_find(b, tag, rowid, (size_t)len, stamp, &victim);
        if (pp)
                return prep_covers(pp, x, y);
        /* First use: read the blob once (its own statement, since the
         * candidate query is still stepping). */
        int rc = 0, out = 0;
        sqlite3_stmt *q = sl_row(b, &rc, blob_sql[tag], "i", rowid);
        if (!q)
                return 0;
        const unsigned char *g = sqlite3_column_blob(q, 0);
        int n = sqlite3_column_bytes(q, 0);
        struct prep *p = g ? prep_build(g, (size_t)n) : NULL;
        if (p) {
                p->tag = tag;
                p->rowid = rowid;
                p->len = (size_t)n;
                p->stamp = stamp;
                pp = prep_put(b, p, victim);
                out = pp ? prep_covers(pp, x, y) : 0;
        } else if (g) {
                int c = blob_covers(g, (size_t)n, x, y);
                out = c >= 0 ? c : covers_sql(b, g, n, x, y);
        }
        sqlite3_reset(q);
        return out;
}

/* ---- hazard_at ---------------------------------------------------------- */

static int hazard_areas(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct sl *b = ctx;
        int rc = 0;
        bool split_found = false;
        sqlite3_stmt *s = sl_query(
            b,
            "SELECT a.code, a.name, a.kind, a.parent_code, a.lg_code, "
            "a.town_code, " GEOM_COLS(
                "a", "a.updated_at") " FROM idx_areas_geom r JOIN "
                                     "areas a ON "
                                     "a.ROWID = r.pkid WHERE r.xmin <= ?1 AND r.xmax >= ?1 AND "
                                     "r.ymin <= ?2 AND r.ymax >= ?2 ORDER BY a.code",
            &rc, "dd", lon, lat);
        if (!s)
                return rc;
        int r;
        while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
                if (!covers_col(b, s, 6, TAG_AREA, lon, lat))
                        continue;
                const char *code = (const char *)sqlite3_column_text(s, 0);
                const char *kind = (const char *)sqlite3_column_text(s, 2);
                if (kind && strcmp(kind, "city_split") == 0) {
                        split_found = true;
                        rc = geo_answer_add_area(a, code);
                        continue;
                }
                if (kind && strcmp(kind, "city") != 0)
                        continue;
                if (!a->area_code) {
                        a->area_code = sl_col_strdup(s, 0);
                        a->area_name = sl_col_strdup(s, 1);
                        a->lg_code = sl_col_strdup(s, 4);
                        a->town_code = sl_col_strdup(s, 5);
                }
                rc = geo_answer_add_area(a, code);
        }
        sqlite3_reset(s);
        if (rc < 0 || !a->area_code)
                return rc;
        /* The code table knows the other code systems and the splits. */
        s = sl_query(b, "SELECT lg_code, town_code FROM area_codes WHERE code = ?", &rc, "t",
                     a->area_code);
        if (!s)
                return rc;
        if (sqlite3_step(s) == SQLITE_ROW) {
                if (!a->lg_code)
                        a->lg_code = sl_col_strdup(s, 0);
                if (!a->town_code)
                        a->town_code = sl_col_strdup(s, 1);
        }
        sqlite3_reset(s);
        if (split_found)
                return 0;
        /* No split polygon covers the point.  If every split but one has a
         * polygon, the point lies in the one without; otherwise all splits
         * count and the higher level is shown. */
        s = sl_query(b,
                     "SELECT c.code, c.name, (SELECT count(*) FROM areas a WHERE a.code = c.code "
                     "AND a.geom IS NOT NULL) FROM area_codes c WHERE c.split_of = ? ORDER BY "
                     "c.code",
                     &rc, "t", a->area_code);
        if (!s)
                return rc;
        struct geo_split splits[8];
        char codes[8][8], names[8][400];
        size_t nsplit = 0;
        while (nsplit < 8 && sqlite3_step(s) == SQLITE_ROW) {
                const char *code = (const char *)sqlite3_column_text(s, 0);
                const char *nm = (const char *)sqlite3_column_text(s, 1);
                if (!code || strlen(code) != 7)
                        continue;
                /* A step frees the row's texts: copies. */
                snprintf(codes[nsplit], sizeof(codes[nsplit]), "%s", code);
                snprintf(names[nsplit], sizeof(names[nsplit]), "%s", nm ? nm : "");
                splits[nsplit] =
                    (struct geo_split){codes[nsplit], names[nsplit], sqlite3_column_int(s, 2) != 0};
                nsplit++;
        }
        rc = geo_answer_splits(a, splits, nsplit);
        sqlite3_reset(s);
        return rc;
}

static int hazard_district(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct sl *b = ctx;
        int rc = 0;
        sqlite3_stmt *s = sl_query(
            b,
            "SELECT d.id, d.code, d.name, " GEOM_COLS(
                "d", "d.updated_at") " FROM "
                                     "idx_districts_geom r "
                                     "JOIN districts d ON d.id = r.pkid WHERE r.xmin <= ?1 AND "
                                     "r.xmax >= ?1 AND r.ymin <= ?2 AND r.ymax >= ?2 ORDER BY d.id",
            &rc, "dd", lon, lat);
        if (!s)
                return rc;
        while (sqlite3_step(s) == SQLITE_ROW) {
                if (!covers_col(b, s, 3, TAG_DISTRICT, lon, lat))
                        continue;
                a->district_id = sqlite3_column_int64(s, 0);
                a->district_code = sl_col_strdup(s, 1);
                a->district_name = sl_col_strdup(s, 2);
                if (!a->district_code || !a->district_name)
                        rc = -ENOMEM;
                break;
        }
        sqlite3_reset(s);
        return rc;
}

static int hazard_layers_at(void *ctx, double lon, double lat, struct geo_hazard_answer *a)
{
        struct sl *b = ctx;
        int rc = 0;
        sqlite3_stmt *s = sl_query(
            b,
            "SELECT l.name, l.version, l.title, l.hazard, f.class, f.label_ja, f.rank, " GEOM_COLS(
                "f",
                "l.imported_at * 65536 + l.id") " "
                                                "FROM idx_hazard_features_geom r JOIN "
                                                "hazard_features f ON f.id = r.pkid JOIN "
                                                "hazard_layers l ON l.id = f.layer_id WHERE r.xmin "
                                                "<= ?1 AND r.xmax >= ?1 AND "
                                                "r.ymin <= ?2 AND r.ymax >= ?2 AND l.active = 1",
            &rc, "dd", lon, lat);
        if (!s)
                return rc;
        while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
                if (!covers_col(b, s, 7, TAG_HAZARD, lon, lat))
                        continue;
                struct geo_hit_in h = {(const char *)sqlite3_column_text(s, 0),
                                       (const char *)sqlite3_column_text(s, 1),
                                       (const char *)sqlite3_column_text(s, 2),
                                       (const char *)sqlite3_column_text(s, 3),
                                       (const char *)sqlite3_column_text(s, 4),
                                       (const char *)sqlite3_column_text(s, 5),
                                       sqlite3_column_int(s, 6)};
                rc = geo_answer_hit(a, &h);
        }
        sqlite3_reset(s);
        /* A stable order for callers: by layer name. */
        geo_answer_sort_hits(a);
        return rc;
}

static int hazard_levels(void *ctx, int view, struct geo_hazard_answer *a)
{
        struct sl *b = ctx;
        int rc = 0;
        view = sl_view(b, view);
        int64_t now = sl_now();
        for (size_t i = 0; i < a->n_areas && rc == 0; i++) {
                sqlite3_stmt *s = sl_query(b,
                                           "SELECT level, exercise FROM area_status WHERE "
                                           "area_code = ?1 AND (exercise = 0 OR ?2 = 1 OR (?2 = "
                                           "2 AND ?1 IN (SELECT area_code FROM "
                                           "public_drill_areas)))",
                                           &rc, "ti", a->areas[i], (int64_t)view);
                if (!s)
                        return rc;
                while (sqlite3_step(s) == SQLITE_ROW)
                        if (sqlite3_column_type(s, 0) != SQLITE_NULL)
                                geo_take_level(&a->jma_level, &a->exercise,
                                               sqlite3_column_int(s, 0), sqlite3_column_int(s, 1));
                sqlite3_reset(s);
        }
        if (a->area_code) {
                sqlite3_stmt *s = sl_query(
                    b,
                    "SELECT s.kind, s.expected_interval_s, t.level, t.state, t.last_observed_at, "
                    "s.exercise FROM stations s JOIN station_status t ON t.station_id = s.id "
                    "WHERE s.area_code = ?1 AND s.kind IN ('gauge', 'sensor') AND (s.exercise = "
                    "0 OR ?2 = 1 OR (?2 = 2 AND s.id IN (SELECT id FROM public_drill_stations)))",
                    &rc, "ti", a->area_code, (int64_t)view);
                if (!s)
                        return rc;
                while (sqlite3_step(s) == SQLITE_ROW) {
                        enum station_state stored = STATE_UNKNOWN;
                        station_state_parse((const char *)sqlite3_column_text(s, 3), &stored);
                        enum station_state eff =
                            store_effective_state(stored, (const char *)sqlite3_column_text(s, 0),
                                                  sqlite3_column_int64(s, 4),
                                                  sqlite3_column_int64(s, 1), b->base.grace, now);
                        if (station_state_is_unknown(eff) ||
                            sqlite3_column_type(s, 2) == SQLITE_NULL)
                                continue;
                        /* A drill's gauge counts only where its drill is
                         * seen, and marks the answer exercise. */
                        geo_take_level(&a->river_level, &a->exercise, sqlite3_column_int(s, 2),
                                       sqlite3_column_int(s, 5));
                }
                sqlite3_reset(s);
        }
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT id, level, exercise FROM orders WHERE lifted_at IS "
                                   "NULL AND (area_code = ?1 OR (district_id = ?2 AND ?2 IS NOT "
                                   "NULL)) AND (exercise = 0 OR ?3 = 1 OR (?3 = 2 AND ?1 IN "
                                   "(SELECT area_code FROM public_drill_areas)))",
                                   &rc, "tIi", a->area_code, a->district_id, (int64_t)view);
        if (!s)
                return rc;
        while (sqlite3_step(s) == SQLITE_ROW) {
                int lv = sqlite3_column_int(s, 1);
                if (a->order_level == LEVEL_NONE || lv > a->order_level) {
                        geo_take_level(&a->order_level, &a->exercise, lv, sqlite3_column_int(s, 2));
                        a->order_id = sqlite3_column_int64(s, 0);
                }
        }
        sqlite3_reset(s);
        a->order_name_ja =
            a->order_level == LEVEL_NONE ? NULL : level_order_name_ja(a->order_level);
        return 0;
}

int sl_geo_hazard_at(struct store *st, double lon, double lat, int view,
                     struct geo_hazard_answer *out)
{
        static const struct geo_hazard_ops ops = {hazard_areas, hazard_district, hazard_layers_at,
                                                  hazard_levels};
        return geo_hazard_at_run(lon, lat, view, &ops, SL(st), out);
}

/* ---- shelters_near ------------------------------------------------------ */

/* SQL per hazard column: the suitable emergency shelters in a box. */
#define NEAR_SQL(col)                                                                              \
        "SELECT s.id, s.lon, s.lat, s.is_open FROM idx_shelters_geom r JOIN shelters s ON s.id = " \
        "r.pkid WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4 AND r.ymax >= ?2 AND "        \
        "s." col " = 1 AND s.kind IN ('emergency', 'both')"
#define OPEN_SQL(col)                                                                              \
        "SELECT id, lon, lat, is_open FROM shelters WHERE is_open = 1 AND " col " = 1 AND "        \
        "kind IN ('emergency', 'both')"

static const char *const near_sql[HAZARD_COUNT] = {
    NEAR_SQL("flood"),   NEAR_SQL("landslide"), NEAR_SQL("storm_surge"),  NEAR_SQL("earthquake"),
    NEAR_SQL("tsunami"), NEAR_SQL("fire"),      NEAR_SQL("inland_flood"), NEAR_SQL("volcano"),
};
static const char *const open_sql[HAZARD_COUNT] = {
    OPEN_SQL("flood"),   OPEN_SQL("landslide"), OPEN_SQL("storm_surge"),  OPEN_SQL("earthquake"),
    OPEN_SQL("tsunami"), OPEN_SQL("fire"),      OPEN_SQL("inland_flood"), OPEN_SQL("volcano"),
};

struct near_ctx {
        struct sl *b;
        enum store_hazard hz;
};

static int near_rows(sqlite3_stmt *s, geo_near_push_fn push, void *push_ctx)
{
        int rc = 0;
        while (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
                rc = push(push_ctx, sqlite3_column_int64(s, 0), sqlite3_column_double(s, 1),
                          sqlite3_column_double(s, 2), sqlite3_column_int(s, 3) != 0);
        sqlite3_reset(s);
        return rc;
}

static int near_box(void *ctx, double lon0, double lat0, double lon1, double lat1,
                    geo_near_push_fn push, void *push_ctx)
{
        struct near_ctx *c = ctx;
        int rc = 0;
        sqlite3_stmt *s = sl_query(c->b, near_sql[c->hz], &rc, "dddd", lon0, lat0, lon1, lat1);
        return s ? near_rows(s, push, push_ctx) : rc;
}

static int near_open(void *ctx, geo_near_push_fn push, void *push_ctx)
{
        struct near_ctx *c = ctx;
        int rc = 0;
        sqlite3_stmt *s = sl_query(c->b, open_sql[c->hz], &rc, "");
        return s ? near_rows(s, push, push_ctx) : rc;
}

static int near_fill(void *ctx, int64_t id, struct geo_shelter_hit *h)
{
        struct near_ctx *c = ctx;
        int rc = 0;
        sqlite3_stmt *s = sl_row(c->b, &rc,
                                 "SELECT s.common_id, s.name, s.address, s.lon, s.lat, s.is_open, "
                                 "s.capacity, s.occupancy, s.linked_id, l.name FROM shelters s "
                                 "LEFT JOIN shelters l ON l.id = s.linked_id WHERE s.id = ?",
                                 "i", id);
        if (!s)
                return rc;
        h->common_id = sl_col_strdup(s, 0);
        h->name = sl_col_strdup(s, 1);
        h->address = sl_col_strdup(s, 2);
        h->lon = sqlite3_column_double(s, 3);
        h->lat = sqlite3_column_double(s, 4);
        h->open = sqlite3_column_int(s, 5) != 0;
        h->capacity = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 6);
        h->occupancy = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 7);
        h->linked_id = sqlite3_column_int64(s, 8);
        h->linked_name = sl_col_strdup(s, 9);
        sqlite3_reset(s);
        return h->common_id && h->name ? 0 : -ENOMEM;
}

int sl_geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard hz, size_t n,
                         struct geo_shelter_list *out)
{
        static const struct geo_near_ops ops = {near_box, near_open, near_fill};
        memset(out, 0, sizeof(*out));
        if (!geo_coords_ok(lon, lat) || (int)hz < 0 || hz >= HAZARD_COUNT || n < 1 || n > 50)
                return -EINVAL;
        struct near_ctx c = {SL(st), hz};
        return geo_near_run(lon, lat, n, &ops, &c, out);
}

/* ---- Addresses ---------------------------------------------------------- */

#define ADDR_COLUMNS "a.id, a.code, a.pref, a.city, a.town, a.lon, a.lat, a.district_id"

static int address_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        (void)ctx;
        struct geo_address *a = elem;
        a->id = sqlite3_column_int64(s, 0);
        a->code = sl_col_strdup(s, 1);
        a->pref = sl_col_strdup(s, 2);
        a->city = sl_col_strdup(s, 3);
        a->town = sl_col_strdup(s, 4);
        a->lon = sqlite3_column_double(s, 5);
        a->lat = sqlite3_column_double(s, 6);
        a->district_id = sqlite3_column_int64(s, 7);
        return geo_address_label(a);
}

static int search_key(void *ctx, const char *key, size_t limit, struct geo_address_list *out)
{
        struct sl *b = ctx;
        if (geo_utf8_chars(key) >= 3) {
                /* FTS5 trigram: the key as one quoted phrase. */
                char q[700];
                size_t o = 0;
                q[o++] = '"';
                for (const char *p = key; *p && o < sizeof(q) - 3; p++) {
                        if (*p == '"')
                                q[o++] = '"';
                        q[o++] = *p;
                }
                q[o++] = '"';
                q[o] = '\0';
                return sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), address_fill, NULL,
                               "SELECT " ADDR_COLUMNS " FROM addresses_fts f JOIN addresses a ON "
                               "a.id = f.rowid WHERE addresses_fts MATCH ?1 ORDER BY a.key = "
                               "?2 DESC, length(a.key), a.code LIMIT ?3",
                               "tti", q, key, (int64_t)limit);
        }
        /* One or two characters: a prefix of the name, through its index. */
        char hi[260];
        snprintf(hi, sizeof(hi), "%s\xf4\x8f\xbf\xbf", key);
        return sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), address_fill, NULL,
                       "SELECT " ADDR_COLUMNS " FROM addresses a WHERE a.town_key >= ?1 AND "
                       "a.town_key < ?2 ORDER BY length(a.town_key), a.code LIMIT ?3",
                       "tti", key, hi, (int64_t)limit);
}

int sl_geo_address_search(struct store *st, const char *text, size_t limit,
                          struct geo_address_list *out)
{
        return geo_address_search_run(text, limit, search_key, SL(st), out);
}

static int pick_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        (void)ctx;
        struct geo_pick *p = elem;
        p->code = sl_col_strdup(s, 0);
        p->name = sl_col_strdup(s, 1);
        p->kind = sl_col_strdup(s, 2);
        p->n_towns = sqlite3_column_int64(s, 3);
        p->id = sqlite3_column_int64(s, 4);
        if (sqlite3_column_type(s, 5) != SQLITE_NULL && !(p->area_code = sl_col_strdup(s, 5)))
                return -ENOMEM;
        return p->code && p->name && p->kind ? 0 : -ENOMEM;
}

int sl_geo_picker_districts(struct store *st, struct geo_pick_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), pick_fill, NULL,
                         "SELECT d.code, d.name, d.kind, (SELECT count(*) FROM addresses a "
                         "WHERE a.district_id = d.id), d.id, d.area_code FROM districts d ORDER "
                         "BY d.kind, d.code",
                         "");
        if (rc == 0 && out->n == 0)
                rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), pick_fill, NULL,
                             "SELECT 'town:' || town_base, town_base, 'town', count(*), 0, NULL "
                             "FROM addresses GROUP BY town_base ORDER BY min(code)",
                             "");
        if (rc < 0)
                geo_pick_list_free(out);
        return rc;
}

int sl_geo_picker_towns(struct store *st, const char *district_code, struct geo_address_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        if (!district_code || strlen(district_code) > 200)
                return -EINVAL;
        int rc;
        if (strncmp(district_code, "town:", 5) == 0)
                rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), address_fill, NULL,
                             "SELECT " ADDR_COLUMNS " FROM addresses a WHERE a.town_base = ? "
                             "ORDER BY a.chome, a.code",
                             "t", district_code + 5);
        else
                rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), address_fill, NULL,
                             "SELECT " ADDR_COLUMNS " FROM addresses a WHERE a.district_id = "
                             "(SELECT id FROM districts WHERE code = ?) ORDER BY a.town_base, "
                             "a.chome, a.code",
                             "t", district_code);
        if (rc < 0)
                geo_address_list_free(out);
        return rc;
}

/* ---- Import support ----------------------------------------------------- */

int sl_geo_area_code_upsert(struct store *st, const struct geo_area_code *c)
{
        struct sl *b = SL(st);
        if (!c || !c->code || !c->name)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO area_codes (code, name, full_name, class15_code, lg_code, "
                    "town_code, split_of, used_warning, used_landslide, used_flood_forecast) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (code) DO "
                    "UPDATE SET name = ?2, full_name = ?3, class15_code = ?4, lg_code = ?5, "
                    "town_code = ?6, split_of = ?7, used_warning = ?8, used_landslide = ?9, "
                    "used_flood_forecast = ?10",
                    "tttttttbbb", c->code, c->name, c->full_name, c->class15_code, c->lg_code,
                    c->town_code, c->split_of, (int)c->used_warning, (int)c->used_landslide,
                    (int)c->used_flood_forecast);
        return sl_tx_end(b, rc);
}

int sl_geo_addresses_upsert(struct store *st, const struct geo_address_in *v, size_t n)
{
        struct sl *b = SL(st);
        struct geo_address_keys k;
        for (size_t i = 0; i < n; i++)
                if (!geo_coords_ok(v[i].lon, v[i].lat) || geo_address_keys(&v[i], &k) < 0)
                        return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t now = sl_now();
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct geo_address_in *a = &v[i];
                geo_address_keys(a, &k);
                rc = sl_run(b,
                            "INSERT INTO addresses (code, pref, city, lg_code, town, town_base, "
                            "chome, key, town_key, lon, lat, geom, version, updated_at) VALUES "
                            "(?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, -1), ?8, ?9, ?10, ?11, "
                            "MakePoint(?10, ?11, 6668), ?12, ?13) ON CONFLICT (code) DO UPDATE SET "
                            "pref = ?2, city = ?3, lg_code = ?4, town = ?5, town_base = ?6, chome "
                            "= nullif(?7, -1), key = ?8, town_key = ?9, lon = ?10, lat = ?11, geom "
                            "= MakePoint(?10, ?11, 6668), version = ?12, updated_at = ?13",
                            "ttttttittddti", a->code, a->pref, a->city, a->lg_code, a->town, k.base,
                            k.chome, k.key, k.town_key, a->lon, a->lat, a->version, now);
        }
        return sl_tx_end(b, rc);
}

int sl_geo_addresses_assign_districts(struct store *st, size_t *n)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "UPDATE addresses SET district_id = (SELECT d.id FROM districts d WHERE d.id "
                    "IN (SELECT pkid FROM idx_districts_geom WHERE xmin <= addresses.lon AND "
                    "xmax >= addresses.lon AND ymin <= addresses.lat AND ymax >= addresses.lat) "
                    "AND ST_Covers(d.geom, addresses.geom) = 1 ORDER BY d.id LIMIT 1)",
                    "");
        int64_t cnt = 0;
        if (rc == 0)
                rc = sl_query_int(b, "SELECT count(*) FROM addresses WHERE district_id IS NOT NULL",
                                  &cnt, "");
        rc = sl_tx_end(b, rc);
        if (rc == 0 && n)
                *n = (size_t)cnt;
        return rc;
}

int sl_geo_count(struct store *st, const char *what, int64_t *n)
{
        const char *sql = geo_count_sql(what);
        return sql ? sl_query_int(SL(st), sql, n, "") : -EINVAL;
}
