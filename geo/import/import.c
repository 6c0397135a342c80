/* Importing geodata with GDAL/OGR and PROJ; see import.h. */
#include "import.h"
#include "import_int.h"

#include "geo.h"
#include "store_places.h"
#include "store_roads.h"
#include "store_sources.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <gdal.h>
#include <iconv.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <proj.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILE_BYTES (512u * 1024 * 1024)

static void fail(struct geo_import_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct geo_import_report *r, const char *fmt, ...)
{
        if (r->error[0])
                return; /* the first error is the cause */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->error, sizeof(r->error), fmt, ap);
        va_end(ap);
}

static void warn(struct geo_import_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn(struct geo_import_report *r, const char *fmt, ...)
{
        size_t l = strlen(r->warning);
        if (l + 3 >= sizeof(r->warning))
                return;
        if (l)
                l += (size_t)snprintf(r->warning + l, sizeof(r->warning) - l, "; ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->warning + l, sizeof(r->warning) - l, fmt, ap);
        va_end(ap);
}

static void progress(const struct geo_import_opts *o, size_t done, size_t total)
{
        if (o && o->progress)
                o->progress(o->progress_ctx, done, total);
}

/* ---- Text encodings ------------------------------------------------------ */

/* Converts CP932 (Shift_JIS) to a new UTF-8 string; NULL when the bytes
 * are not CP932. */
static char *cp932_to_utf8(const char *in, size_t len)
{
        iconv_t cd = iconv_open("UTF-8", "CP932");
        if (cd == (iconv_t)-1)
                return NULL;
        size_t cap = len * 3 + 1;
        char *out = malloc(cap);
        if (!out) {
                iconv_close(cd);
                return NULL;
        }
        char *ip = (char *)in, *op = out;
        size_t il = len, ol = cap - 1;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        iconv_close(cd);
        if (r == (size_t)-1 || il != 0) {
                free(out);
                return NULL;
        }
        *op = '\0';
        return out;
}

/* The file as UTF-8 text (BOM dropped): UTF-8 as is, else CP932. */
static int read_text(const char *path, char **text, size_t *len, const char **enc,
                     struct geo_import_report *rep)
{
        *text = NULL;
        struct stat sb;
        FILE *f = fopen(path, "rb");
        if (!f) {
                fail(rep, "%s: ファイルを開けません (%s)", path, strerror(errno));
                return -errno;
        }
        if (fstat(fileno(f), &sb) < 0 || (size_t)sb.st_size > MAX_FILE_BYTES) {
                fclose(f);
                fail(rep, "%s: ファイルが大きすぎます (上限 %u MB)", path, MAX_FILE_BYTES >> 20);
                return -EFBIG;
        }
        size_t n = (size_t)sb.st_size;
        char *buf = malloc(n + 1);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        size_t got = fread(buf, 1, n, f);
        fclose(f);
        if (got != n) {
                free(buf);
                fail(rep, "%s: 読み込みに失敗しました", path);
                return -EIO;
        }
        buf[n] = '\0';
        if (n == 0) {
                free(buf);
                fail(rep, "%s: 空のファイルです (empty file)", path);
                return -ENODATA;
        }
        size_t off = n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        if (memchr(buf, '\0', n)) {
                free(buf);
                fail(rep, "%s: テキストではありません (NUL bytes; UTF-16?)", path);
                return -EILSEQ;
        }
        if (geo_utf8_valid(buf + off, n - off)) {
                memmove(buf, buf + off, n - off + 1);
                *text = buf;
                *len = n - off;
                *enc = "UTF-8";
                return 0;
        }
        char *u = cp932_to_utf8(buf, n);
        free(buf);
        if (!u) {
                fail(rep, "%s: 文字コードが UTF-8 でも Shift_JIS でもありません (wrong encoding)",
                     path);
                return -EILSEQ;
        }
        *text = u;
        *len = strlen(u);
        *enc = "Shift_JIS";
        return 0;
}

/* ---- CSV ----------------------------------------------------------------- */

struct csv {
        char *p, *end;
        char *fields[64];
        size_t n;
        size_t line;
};

/* Splits the next record in place (RFC 4180 quoting); false at the end. */
static bool csv_next(struct csv *c)
{
        c->n = 0;
        if (c->p >= c->end)
                return false;
        c->line++;
        char *w = c->p;
        for (;;) {
                char *start = w;
                bool quoted = false;
                if (*c->p == '"') {
                        quoted = true;
                        c->p++;
                }
                while (c->p < c->end) {
                        if (quoted) {
                                if (*c->p == '"') {
                                        if (c->p + 1 < c->end && c->p[1] == '"') {
                                                *w++ = '"';
                                                c->p += 2;
                                                continue;
                                        }
                                        quoted = false;
                                        c->p++;
                                        continue;
                                }
                                if (*c->p == '\n')
                                        c->line++;
                                *w++ = *c->p++;
                                continue;
                        }
                        if (*c->p == ',' || *c->p == '\n' || *c->p == '\r')
                                break;
                        *w++ = *c->p++;
                }
                char sep = c->p < c->end ? *c->p : '\n';
                *w = '\0';
                if (c->n < sizeof(c->fields) / sizeof(c->fields[0]))
                        c->fields[c->n++] = start;
                if (c->p < c->end)
                        c->p++;
                w = c->p;
                if (sep == ',')
                        continue;
                if (sep == '\r' && c->p < c->end && *c->p == '\n')
                        c->p++;
                break;
        }
        return true;
}

static int csv_col(const struct csv *hdr, const char *name)
{
        for (size_t i = 0; i < hdr->n; i++)
                if (strcmp(hdr->fields[i], name) == 0)
                        return (int)i;
        return -1;
}

/* ---- CRS ----------------------------------------------------------------- */

int geo_transform_point(int from_epsg, int to_epsg, double *x, double *y)
{
        char a[32], b[32];
        snprintf(a, sizeof(a), "EPSG:%d", from_epsg);
        snprintf(b, sizeof(b), "EPSG:%d", to_epsg);
        PJ_CONTEXT *ctx = proj_context_create();
        PJ *p = proj_create_crs_to_crs(ctx, a, b, NULL);
        int rc = -EINVAL;
        if (!p)
                goto out;
        PJ *n = proj_normalize_for_visualization(ctx, p);
        proj_destroy(p);
        if (!n)
                goto out;
        PJ_COORD c = proj_coord(*x, *y, 0, 0);
        PJ_COORD r = proj_trans(n, PJ_FWD, c);
        proj_destroy(n);
        if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL)
                goto out;
        *x = r.xy.x;
        *y = r.xy.y;
        rc = 0;
out:
        proj_context_destroy(ctx);
        return rc;
}

int geo_lg_code_check(const char *code5, char out[7])
{
        static const int w[5] = {6, 5, 4, 3, 2};
        int sum = 0;
        if (!code5 || strlen(code5) != 5)
                return -EINVAL;
        for (int i = 0; i < 5; i++) {
                if (code5[i] < '0' || code5[i] > '9')
                        return -EINVAL;
                sum += (code5[i] - '0') * w[i];
        }
        memcpy(out, code5, 5);
        out[5] = (char)('0' + (11 - sum % 11) % 10);
        out[6] = '\0';
        return 0;
}

/* ---- OGR sources --------------------------------------------------------- */

struct src {
        GDALDatasetH ds;
        OGRLayerH layer;
        OGRFeatureDefnH defn;
        OGRCoordinateTransformationH ct; /* NULL: already EPSG:6668 */
        OGRSpatialReferenceH dst;
        bool recode;     /* Shapefile without .cpg: strings are raw bytes */
        char *strbuf[8]; /* the last strings returned, in rotation */
        unsigned nstr;
        int64_t total;
};

static void src_close(struct src *s)
{
        if (s->ct)
                OCTDestroyCoordinateTransformation(s->ct);
        if (s->dst)
                OSRDestroySpatialReference(s->dst);
        if (s->ds)
                GDALClose(s->ds);
        for (size_t i = 0; i < sizeof(s->strbuf) / sizeof(s->strbuf[0]); i++)
                free(s->strbuf[i]);
        memset(s, 0, sizeof(*s));
}

static bool has_suffix(const char *s, const char *suf)
{
        size_t a = strlen(s), b = strlen(suf);
        return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* The datum of the source, for the accuracy warning. */
static void datum_check(OGRSpatialReferenceH srs, struct geo_import_report *rep)
{
        OGRSpatialReferenceH g = OSRCloneGeogCS(srs);
        if (!g)
                return;
        OSRAutoIdentifyEPSG(g);
        const char *code = OSRGetAuthorityCode(g, NULL);
        const char *dname = OSRGetAttrValue(g, "DATUM", 0);
        int epsg = code ? (int)strtol(code, NULL, 10) : 0;
        bool jgd2000 = epsg == 4612 || (dname && strstr(dname, "2000") && strstr(dname, "Japan"));
        bool tokyo = epsg == 4301 || (dname && strcasestr(dname, "Tokyo"));
        /* PROJ uses GSI's grids when they are installed (PROJ_DATA); the
         * warning says which case applies. */
        bool grid =
            proj_grid_info(jgd2000 ? "touhokutaiheiyouoki2011.gsb" : "tky2jgd.gsb").filename[0] !=
            '\0';
        if ((jgd2000 || tokyo) && grid)
                warn(rep, "入力は %s です: 国土地理院のグリッドで JGD2011 に変換しました",
                     jgd2000 ? "JGD2000" : "旧日本測地系 (Tokyo)");
        else if (jgd2000)
                warn(
                    rep,
                    "入力は JGD2000 です: 国土地理院の補正パラメータなしで変換したため位置の誤差は "
                    "±1 m 以上あります (JGD2000 input, converted without a GSI grid: ±1 m or "
                    "worse)");
        else if (tokyo)
                warn(rep,
                     "入力は旧日本測地系 (Tokyo) です: 近似変換のため位置の誤差は数 m あります "
                     "(Tokyo datum input: converted approximately, several metres)");
        else if (epsg != 6668 && epsg != 4326 && epsg != 4019 && epsg != 4258)
                warn(rep, "入力の測地系 %s (EPSG:%s) を JGD2011 に変換しました",
                     dname ? dname : "?", code ? code : "?");
        OSRDestroySpatialReference(g);
}

static int src_open(struct src *s, const char *path, struct geo_import_report *rep)
{
        memset(s, 0, sizeof(*s));
        struct stat sb;
        if (stat(path, &sb) < 0) {
                fail(rep, "%s: ファイルがありません (%s)", path, strerror(errno));
                return -ENOENT;
        }
        if (sb.st_size == 0) {
                fail(rep, "%s: 空のファイルです (empty file)", path);
                return -ENODATA;
        }
        GDALAllRegister();
        const char *opts[3] = {NULL, NULL, NULL};
        if (has_suffix(path, ".shp") || has_suffix(path, ".dbf")) {
                char cpg[4096];
                snprintf(cpg, sizeof(cpg), "%.*s.cpg", (int)(strlen(path) - 4), path);
                if (stat(cpg, &sb) < 0) {
                        /* No .cpg: read the bytes raw and decide per string
                         * (UTF-8, else Shift_JIS), as GDAL would guess Latin-1. */
                        opts[0] = "ENCODING=";
                        s->recode = true;
                }
        }
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
        s->ds =
            GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, opts[0] ? opts : NULL, NULL);
        CPLPopErrorHandler();
        if (!s->ds) {
                const char *m = CPLGetLastErrorMsg();
                fail(rep, "%s: GDAL で読めない形式です (%s)", path,
                     m && m[0] ? m : "unknown format");
                return -EINVAL;
        }
        if (GDALDatasetGetLayerCount(s->ds) < 1) {
                fail(rep, "%s: レイヤがありません (no layer)", path);
                return -ENODATA;
        }
        s->layer = GDALDatasetGetLayer(s->ds, 0);
        s->defn = OGR_L_GetLayerDefn(s->layer);
        s->total = OGR_L_GetFeatureCount(s->layer, 1);
        if (s->total == 0) {
                fail(rep, "%s: 地物がありません (empty layer)", path);
                return -ENODATA;
        }
        return 0;
}

/* Sets up the transformation to EPSG:6668; geometry layers only. */
static int src_crs(struct src *s, const char *path, struct geo_import_report *rep)
{
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(s->layer);
        if (!srs) {
                fail(rep,
                     "%s: 座標参照系が不明です (unknown CRS: a Shapefile needs its .prj, other "
                     "formats a declared CRS)",
                     path);
                return -EINVAL;
        }
        s->dst = OSRNewSpatialReference(NULL);
        if (OSRImportFromEPSG(s->dst, 6668) != OGRERR_NONE)
                return -EINVAL;
        OSRSetAxisMappingStrategy(s->dst, OAMS_TRADITIONAL_GIS_ORDER);
        OGRSpatialReferenceH src = OSRClone(srs);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        OSRAutoIdentifyEPSG(src);
        const char *code = OSRGetAuthorityCode(src, NULL);
        const char *auth = OSRGetAuthorityName(src, NULL);
        bool is6668 = code && auth && strcmp(auth, "EPSG") == 0 && strcmp(code, "6668") == 0;
        int rc = 0;
        if (!is6668) {
                datum_check(src, rep);
                CPLPushErrorHandler(CPLQuietErrorHandler);
                s->ct = OCTNewCoordinateTransformation(src, s->dst);
                CPLPopErrorHandler();
                if (!s->ct) {
                        fail(rep, "%s: 座標参照系を JGD2011 に変換できません (unknown CRS)", path);
                        rc = -EINVAL;
                }
        }
        OSRDestroySpatialReference(src);
        return rc;
}

/* A string attribute as UTF-8 (NULL when unset or empty); *bad on bytes
 * that are neither UTF-8 nor Shift_JIS.  Each result is a copy that stays
 * valid for the next seven calls (OGR reuses one buffer for numbers). */
static const char *src_str(struct src *s, OGRFeatureH f, const char *field, bool *bad)
{
        int i = OGR_FD_GetFieldIndex(s->defn, field);
        if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i))
                return NULL;
        const char *v = OGR_F_GetFieldAsString(f, i);
        if (!v || !v[0])
                return NULL;
        char *copy;
        if (geo_utf8_valid(v, strlen(v)))
                copy = strdup(v);
        else if (s->recode)
                copy = cp932_to_utf8(v, strlen(v));
        else
                copy = NULL;
        if (!copy) {
                *bad = true;
                return NULL;
        }
        unsigned k = s->nstr++ % (sizeof(s->strbuf) / sizeof(s->strbuf[0]));
        free(s->strbuf[k]);
        s->strbuf[k] = copy;
        return copy;
}

static bool src_has(struct src *s, const char *field)
{
        return OGR_FD_GetFieldIndex(s->defn, field) >= 0;
}

/* The feature's geometry in EPSG:6668 as WKB (caller frees), polygonal or
 * point as wanted; repairs invalid polygons (counted) or fails with the
 * feature id. */
static int src_geom(struct src *s, OGRFeatureH f, bool polygon, unsigned char **wkb, size_t *len,
                    struct geo_import_report *rep)
{
        *wkb = NULL;
        long long fid = (long long)OGR_F_GetFID(f);
        OGRGeometryH g0 = OGR_F_GetGeometryRef(f);
        if (!g0 || OGR_G_IsEmpty(g0)) {
                fail(rep, "地物 %lld: ジオメトリがありません (feature %lld has no geometry)", fid,
                     fid);
                return -EINVAL;
        }
        OGRGeometryH g = OGR_G_Clone(g0);
        int rc = 0;
        OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
        if (polygon && t != wkbPolygon && t != wkbMultiPolygon) {
                fail(rep, "地物 %lld: ポリゴンではありません (%s)", fid, OGRGeometryTypeToName(t));
                rc = -EINVAL;
                goto out;
        }
        if (!polygon && t != wkbPoint) {
                fail(rep, "地物 %lld: 点ではありません (%s)", fid, OGRGeometryTypeToName(t));
                rc = -EINVAL;
                goto out;
        }
        OGR_G_FlattenTo2D(g);
        if (s->ct && OGR_G_Transform(g, s->ct) != OGRERR_NONE) {
                fail(rep, "地物 %lld: 座標を変換できません (transform failed)", fid);
                rc = -EINVAL;
                goto out;
        }
        CPLPushErrorHandler(CPLQuietErrorHandler);
        bool valid = !polygon || OGR_G_IsValid(g);
        CPLPopErrorHandler();
        if (!valid) {
                CPLPushErrorHandler(CPLQuietErrorHandler);
                OGRGeometryH v = OGR_G_MakeValid(g);
                CPLPopErrorHandler();
                OGRGeometryH poly = NULL;
                if (v) {
                        OGRwkbGeometryType vt = wkbFlatten(OGR_G_GetGeometryType(v));
                        if (vt == wkbPolygon || vt == wkbMultiPolygon) {
                                poly = v;
                        } else if (vt == wkbGeometryCollection) {
                                /* Keep the polygonal parts of the repair. */
                                poly = OGR_G_CreateGeometry(wkbMultiPolygon);
                                for (int i = 0; i < OGR_G_GetGeometryCount(v); i++) {
                                        OGRGeometryH p = OGR_G_GetGeometryRef(v, i);
                                        OGRwkbGeometryType pt =
                                            wkbFlatten(OGR_G_GetGeometryType(p));
                                        if (pt == wkbPolygon)
                                                OGR_G_AddGeometry(poly, p);
                                        else if (pt == wkbMultiPolygon)
                                                for (int k = 0; k < OGR_G_GetGeometryCount(p); k++)
                                                        OGR_G_AddGeometry(
                                                            poly, OGR_G_GetGeometryRef(p, k));
                                }
                                OGR_G_DestroyGeometry(v);
                                if (OGR_G_GetGeometryCount(poly) == 0) {
                                        OGR_G_DestroyGeometry(poly);
                                        poly = NULL;
                                }
                        } else {
                                OGR_G_DestroyGeometry(v);
                        }
                }
                CPLPushErrorHandler(CPLQuietErrorHandler);
                bool ok = poly && OGR_G_IsValid(poly) && !OGR_G_IsEmpty(poly);
                CPLPopErrorHandler();
                if (!ok) {
                        if (poly)
                                OGR_G_DestroyGeometry(poly);
                        fail(rep,
                             "地物 %lld: 不正なポリゴンを修復できません (invalid geometry, not "
                             "repairable)",
                             fid);
                        rc = -EINVAL;
                        goto out;
                }
                OGR_G_DestroyGeometry(g);
                g = poly;
                rep->repaired++;
        }
        if (polygon) {
                OGREnvelope e;
                OGR_G_GetEnvelope(g, &e);
                if (e.MinX < 120 || e.MaxX > 155 || e.MinY < 20 || e.MaxY > 46) {
                        fail(rep,
                             "地物 %lld: 座標が日本の範囲外です (%.4f,%.4f; wrong CRS or axis "
                             "order?)",
                             fid, e.MinX, e.MinY);
                        rc = -EINVAL;
                        goto out;
                }
        }
        size_t n = (size_t)OGR_G_WkbSize(g);
        *wkb = malloc(n);
        if (!*wkb) {
                rc = -ENOMEM;
                goto out;
        }
        OGR_G_ExportToWkb(g, wkbNDR, *wkb);
        *len = n;
out:
        OGR_G_DestroyGeometry(g);
        return rc;
}

/* Ends an import's transaction: commits when rc is 0, else rolls back;
 * returns the result. */
static int tx_end(struct store *st, int rc, struct geo_import_report *rep)
{
        if (rc == 0) {
                rc = store_commit(st);
                if (rc < 0)
                        fail(rep, "書き込みに失敗しました (%s)", store_strerror(rc));
        } else {
                store_rollback(st);
        }
        return rc;
}

/* ---- Hazard layers ------------------------------------------------------- */

static const char *const a31_labels[7] = {
    NULL,
    "浸水深 0.5m未満",
    "浸水深 0.5m以上3.0m未満",
    "浸水深 3.0m以上5.0m未満",
    "浸水深 5.0m以上10.0m未満",
    "浸水深 10.0m以上20.0m未満",
    "浸水深 20.0m以上",
};

static const char *a33_phenomenon(const char *v)
{
        if (!v)
                return NULL;
        if (strcmp(v, "1") == 0)
                return "急傾斜地の崩壊";
        if (strcmp(v, "2") == 0)
                return "土石流";
        if (strcmp(v, "3") == 0)
                return "地すべり";
        return NULL;
}

enum hz_schema { HZ_A31_MAX, HZ_A31_PLAN, HZ_A33, HZ_GENERIC };

int geo_import_edition(const char *name, const struct geo_import_opts *o, char version[65],
                       struct geo_import_report *rep)
{
        if ((o->version && (strlen(o->version) > 64 || !o->version[0])) || !name || !name[0] ||
            strlen(name) > 64) {
                fail(rep, "--name / --version は 1-64 バイトです (name and version: 1-64 bytes)");
                return -EINVAL;
        }
        if (o->version) {
                snprintf(version, 65, "%s", o->version);
        } else {
                time_t now = time(NULL);
                struct tm tm;
                gmtime_r(&now, &tm);
                strftime(version, 65, "%Y%m%dT%H%M%SZ", &tm);
        }
        snprintf(rep->layer, sizeof(rep->layer), "%s", name);
        snprintf(rep->version, sizeof(rep->version), "%s", version);
        return 0;
}

/* Features on their way to the store: sent in batches of HZ_BATCH, each
 * one statement on PostGIS. */
#define HZ_BATCH 256
struct hz_slot {
        long long fid;
        char class_[65], label[160];
        int rank;
        unsigned char *wkb;
        size_t wkb_len;
};
struct hz_batch {
        struct hz_slot v[HZ_BATCH];
        size_t n;
};

static void hz_batch_free(struct hz_batch *hb)
{
        if (!hb)
                return;
        for (size_t i = 0; i < hb->n; i++)
                free(hb->v[i].wkb);
        hb->n = 0;
}

/* Takes wkb; the caller flushes a full batch first. */
static void hz_batch_add(struct hz_batch *hb, long long fid, const char *class_, const char *label,
                         int rank, unsigned char *wkb, size_t wkb_len)
{
        struct hz_slot *s = &hb->v[hb->n++];
        s->fid = fid;
        snprintf(s->class_, sizeof(s->class_), "%s", class_);
        snprintf(s->label, sizeof(s->label), "%s", label);
        s->rank = rank;
        s->wkb = wkb;
        s->wkb_len = wkb_len;
}

static int hz_batch_flush(struct store *st, int64_t lid, struct hz_batch *hb,
                          struct geo_import_report *rep)
{
        if (hb->n == 0)
                return 0;
        struct store_hazard_feature f[HZ_BATCH];
        memset(f, 0, sizeof(f));
        for (size_t i = 0; i < hb->n; i++) {
                f[i].class_ = hb->v[i].class_;
                f[i].label_ja = hb->v[i].label;
                f[i].rank = hb->v[i].rank;
                f[i].geom.wkb = hb->v[i].wkb;
                f[i].geom.wkb_len = hb->v[i].wkb_len;
        }
        int rc = store_hazard_features_add(st, lid, f, hb->n);
        if (rc < 0)
                fail(rep, "地物 %lld-%lld: 書き込めません (%s)", hb->v[0].fid, hb->v[hb->n - 1].fid,
                     store_strerror(rc));
        else
                rep->imported += hb->n;
        hz_batch_free(hb);
        return rc;
}

static int import_hazard(struct store *st, const char *path, const struct geo_import_opts *o,
                         struct geo_import_report *rep)
{
        struct geo_tiler *tiler = NULL;
        struct src s;
        int rc = src_open(&s, path, rep);
        if (rc == 0)
                rc = src_crs(&s, path, rep);
        if (rc < 0)
                goto out_close;
        enum hz_schema schema;
        const char *cls, *name, *title;
        enum store_hazard hz = HAZARD_FLOOD;
        if (o->class_attr) {
                schema = HZ_GENERIC;
                cls = o->class_attr;
                name = o->name;
                title = o->title ? o->title : o->name;
                if (!name || !o->hazard || store_hazard_parse(o->hazard, &hz) < 0) {
                        fail(rep,
                             "--class には --name と --hazard "
                             "(flood|landslide|storm_surge|tsunami|inland_flood|...) が必要です");
                        rc = -EINVAL;
                        goto out_close;
                }
        } else if (src_has(&s, "A31a_205")) {
                schema = HZ_A31_MAX;
                cls = "A31a_205";
                name = "A31_flood_max";
                title = "洪水浸水想定区域（想定最大規模）";
        } else if (src_has(&s, "A31a_105")) {
                schema = HZ_A31_PLAN;
                cls = "A31a_105";
                name = "A31_flood_plan";
                title = "洪水浸水想定区域（計画規模）";
        } else if (src_has(&s, "A33_002")) {
                schema = HZ_A33;
                cls = "A33_002";
                name = "A33_landslide";
                title = "土砂災害警戒区域";
                hz = HAZARD_LANDSLIDE;
        } else {
                fail(
                    rep,
                    "%s: 区分の属性がありません (missing attribute: A31a_205, A31a_105 or A33_002; "
                    "for other layers give --class ATTR --hazard KIND --name N)",
                    path);
                rc = -EINVAL;
                goto out_close;
        }
        if (!src_has(&s, cls)) {
                fail(rep, "%s: 属性 %s がありません (missing attribute)", path, cls);
                rc = -EINVAL;
                goto out_close;
        }
        if (o->name)
                name = o->name;
        if (o->title)
                title = o->title;
        char version[65];
        if ((rc = geo_import_edition(name, o, version, rep)) < 0)
                goto out_close;
        /* The layer's vector tiles, made beside the features. */
        static const char *const tile_fields[] = {"class", "label_ja", "rank"};
        if (geo_tiles_layer_ok(name))
                rc = geo_tiler_open(&tiler, st, name, GEO_TILES_MIN_ZOOM, GEO_TILES_MAX_ZOOM,
                                    tile_fields, 3, rep);
        else
                warn(
                    rep,
                    "レイヤ名 %s では地図タイルを作りません (tiles need a name of A-Z a-z 0-9 _ -)",
                    name);
        if (rc < 0)
                goto out_close;

        /* One transaction: the new edition appears, complete and active, or
         * not at all. */
        rc = store_begin(st);
        if (rc < 0) {
                fail(rep, "ストアを書き込めません (%s)", store_strerror(rc));
                goto out_close;
        }
        struct store_hazard_layer l = {0};
        l.name = name;
        l.version = version;
        l.hazard = hz;
        l.title = title;
        l.attribution = hz == HAZARD_LANDSLIDE || schema != HZ_GENERIC
                            ? "国土交通省「国土数値情報」を加工して作成"
                            : "出典: 各管理者の公表データを加工して作成";
        int64_t lid = 0;
        struct store_hazard_layer_list have = {0};
        rc = store_hazard_layers_list(st, &have);
        for (size_t i = 0; rc == 0 && i < have.n; i++)
                if (strcmp(have.v[i].name, name) == 0 && strcmp(have.v[i].version, version) == 0) {
                        fail(rep, "レイヤ %s の版 %s は既にあります (version exists)", name,
                             version);
                        rc = -EEXIST;
                }
        store_hazard_layer_list_free(&have);
        if (rc == 0) {
                rc = store_hazard_layer_create(st, &l, &lid);
                if (rc < 0)
                        fail(rep,
                             "レイヤ %s (版 %s) を作れません: %s (name and version: 1-64 bytes)",
                             name, version, store_strerror(rc));
        }
        struct hz_batch *hb = calloc(1, sizeof(*hb));
        if (!hb)
                rc = -ENOMEM;
        OGR_L_ResetReading(s.layer);
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(s.layer))) {
                long long fid = (long long)OGR_F_GetFID(f);
                bool bad = false;
                const char *v = src_str(&s, f, cls, &bad);
                char clsbuf[65], label[160];
                int rank = 0;
                rep->read++;
                if (bad) {
                        fail(rep,
                             "地物 %lld: 属性 %s の文字コードが不正です (wrong encoding; is the "
                             ".cpg right?)",
                             fid, cls);
                        rc = -EILSEQ;
                } else if (!v) {
                        fail(rep, "地物 %lld: 属性 %s が空です (missing attribute)", fid, cls);
                        rc = -EINVAL;
                }
                if (rc == 0 && (schema == HZ_A31_MAX || schema == HZ_A31_PLAN)) {
                        char *e;
                        long k = strtol(v, &e, 10);
                        if (*e || k < 1 || k > 6) {
                                fail(rep, "地物 %lld: 浸水深ランク %s は 1〜6 ではありません", fid,
                                     v);
                                rc = -EINVAL;
                        } else {
                                rank = (int)k;
                                snprintf(clsbuf, sizeof(clsbuf), "%ld", k);
                                snprintf(label, sizeof(label), "%s", a31_labels[k]);
                        }
                } else if (rc == 0 && schema == HZ_A33) {
                        const char *ph = a33_phenomenon(src_str(&s, f, "A33_001", &bad));
                        char *e;
                        long k = strtol(v, &e, 10);
                        if (*e || k < 1 || k > 4 || !ph) {
                                fail(rep,
                                     "地物 %lld: A33_001 (現象の種類) / A33_002 (区域区分) "
                                     "の値が不正"
                                     "です",
                                     fid);
                                rc = -EINVAL;
                        } else {
                                bool red = k == 2 || k == 4;
                                rank = red ? 2 : 1;
                                snprintf(clsbuf, sizeof(clsbuf), "%s", red ? "red" : "yellow");
                                snprintf(label, sizeof(label), "%s（%s）%s",
                                         red ? "土砂災害特別警戒区域" : "土砂災害警戒区域", ph,
                                         k >= 3 ? "（指定前）" : "");
                        }
                } else if (rc == 0) {
                        snprintf(clsbuf, sizeof(clsbuf), "%.64s", v);
                        snprintf(label, sizeof(label), "%.127s", v);
                        char *e;
                        double d = strtod(v, &e);
                        rank = *e == 0 && isfinite(d) ? (int)d : 1;
                }
                unsigned char *wkb = NULL;
                size_t wlen = 0;
                if (rc == 0)
                        rc = src_geom(&s, f, true, &wkb, &wlen, rep);
                if (rc == 0) {
                        char rank_s[24];
                        snprintf(rank_s, sizeof(rank_s), "%d", rank);
                        const char *vals[] = {clsbuf, label, rank_s};
                        if (tiler && (rc = geo_tiler_add(tiler, wkb, wlen, vals)) < 0)
                                fail(rep, "地物 %lld: タイルに書けません (tile)", fid);
                }
                if (rc == 0) {
                        /* The batch takes the geometry. */
                        hz_batch_add(hb, fid, clsbuf, label, rank, wkb, wlen);
                        wkb = NULL;
                }
                if (rc == 0 && hb->n == HZ_BATCH)
                        rc = hz_batch_flush(st, lid, hb, rep);
                free(wkb);
                OGR_F_Destroy(f);
                if (rep->read % 2000 == 0)
                        progress(o, rep->read, (size_t)(s.total > 0 ? s.total : 0));
        }
        if (rc == 0)
                rc = hz_batch_flush(st, lid, hb, rep);
        hz_batch_free(hb);
        free(hb);
        if (rc == 0 && rep->imported == 0) {
                fail(rep, "%s: 地物がありません (empty layer)", path);
                rc = -ENODATA;
        }
        if (rc == 0 && tiler)
                rc = geo_tiler_finish(tiler, st, version, rep);
        if (rc == 0)
                rc = store_hazard_layer_activate(st, lid);
        rc = tx_end(st, rc, rep);
        if (rc == 0) {
                rep->layer_id = lid;
                progress(o, rep->read, rep->read);
                if (rep->repaired)
                        warn(rep, "不正なポリゴン %zu 件を修復しました (repaired)", rep->repaired);
        }
out_close:
        geo_tiler_free(tiler);
        src_close(&s);
        return rc;
}

/* ---- Shelters ------------------------------------------------------------ */

static const char *const gsi_flags[HAZARD_COUNT] = {
    "洪水",     "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫",
    "火山現象",
};

struct shelter_row {
        char *common_id, *name, *address;
        double lon, lat;
        bool hazards[HAZARD_COUNT];
        bool emergency;
        int64_t capacity;
};

static void shelter_rows_free(struct shelter_row *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].common_id);
                free(v[i].name);
                free(v[i].address);
        }
        free(v);
}

static bool flag_set(const char *v)
{
        return v && (strcmp(v, "1") == 0 || strcmp(v, "○") == 0 || strcmp(v, "◯") == 0 ||
                     strcasecmp(v, "true") == 0);
}

/* Writes shelters and links each 指定緊急避難場所 to the 指定避難所 at the
 * same address (住所同一). */
static int shelters_write(struct store *st, struct shelter_row *v, size_t n,
                          const struct geo_import_opts *o, struct geo_import_report *rep)
{
        struct store_shelter_list cur = {0};
        int rc = store_begin(st);
        if (rc < 0) {
                fail(rep, "ストアを書き込めません (%s)", store_strerror(rc));
                return rc;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
                struct store_shelter s = {0};
                s.common_id = v[i].common_id;
                s.kind = v[i].emergency ? "emergency" : "evacuation";
                s.name = v[i].name;
                s.address = v[i].address;
                s.lon = v[i].lon;
                s.lat = v[i].lat;
                memcpy(s.hazards, v[i].hazards, sizeof(s.hazards));
                s.capacity = v[i].capacity;
                /* Keep an existing link until relinking below. */
                rc = store_shelter_upsert(st, &s, NULL);
                if (rc < 0)
                        fail(rep, "避難所 %s を書き込めません (%s)", v[i].common_id,
                             store_strerror(rc));
                else
                        rep->imported++;
                if (i % 500 == 0)
                        progress(o, i, n);
        }
        if (rc == 0)
                rc = store_shelters_list(st, false, &cur);
        /* Relink every emergency shelter by address: both files may come in
         * either order. */
        for (size_t i = 0; i < cur.n && rc == 0; i++) {
                struct store_shelter *e = &cur.v[i];
                if (strcmp(e->kind, "evacuation") == 0)
                        continue;
                int64_t link = 0;
                for (size_t k = 0; e->address && k < cur.n && !link; k++)
                        if (strcmp(cur.v[k].kind, "evacuation") == 0 && cur.v[k].address &&
                            strcmp(cur.v[k].address, e->address) == 0)
                                link = cur.v[k].id;
                if (link == e->linked_id)
                        continue;
                e->linked_id = link;
                rc = store_shelter_upsert(st, e, NULL);
        }
        for (size_t i = 0; i < cur.n; i++)
                if (strcmp(cur.v[i].kind, "evacuation") != 0 && cur.v[i].linked_id)
                        rep->linked++;
        store_shelter_list_free(&cur);
        rc = tx_end(st, rc, rep);
        progress(o, n, n);
        return rc;
}

static bool looks_unavailable(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return false;
        char buf[2048];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strstr(buf, "\"unavailable\"") != NULL && strstr(buf, "\"features\"") == NULL;
}

static int shelters_gsi(struct store *st, const char *path, const struct geo_import_opts *o,
                        struct geo_import_report *rep)
{
        if (looks_unavailable(path)) {
                fail(rep,
                     "%s: 国土地理院のデータは「公開されていません」という応答です。この自治体の"
                     "避難所データはありません (no data for this municipality)",
                     path);
                return -ENODATA;
        }
        struct src s;
        int rc = src_open(&s, path, rep);
        if (rc == 0)
                rc = src_crs(&s, path, rep);
        struct shelter_row *v = NULL;
        size_t n = 0;
        if (rc < 0)
                goto out;
        if (!src_has(&s, "共通ID") || !src_has(&s, "施設・場所名")) {
                fail(rep, "%s: 共通ID / 施設・場所名 の属性がありません (missing attributes)",
                     path);
                rc = -EINVAL;
                goto out;
        }
        bool emergency = src_has(&s, gsi_flags[0]);
        v = calloc((size_t)(s.total > 0 ? s.total : 1) + 1, sizeof(*v));
        if (!v) {
                rc = -ENOMEM;
                goto out;
        }
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(s.layer))) {
                long long fid = (long long)OGR_F_GetFID(f);
                bool bad = false;
                rep->read++;
                if (n >= (size_t)s.total) {
                        OGR_F_Destroy(f);
                        break;
                }
                struct shelter_row *r = &v[n];
                const char *id = src_str(&s, f, "共通ID", &bad);
                r->common_id = id ? strdup(id) : NULL;
                const char *nm = src_str(&s, f, "施設・場所名", &bad);
                r->name = nm ? strdup(nm) : NULL;
                const char *ad = src_str(&s, f, "住所", &bad);
                r->address = ad ? strdup(ad) : NULL;
                r->emergency = emergency;
                r->capacity = -1;
                for (int h = 0; h < HAZARD_COUNT && emergency; h++)
                        r->hazards[h] = flag_set(src_str(&s, f, gsi_flags[h], &bad));
                n++;
                if (bad) {
                        fail(rep, "地物 %lld: 文字コードが不正です (wrong encoding)", fid);
                        rc = -EILSEQ;
                } else if (!r->common_id || !r->name) {
                        fail(rep,
                             "地物 %lld: 共通ID または 施設・場所名 が空です (missing attribute)",
                             fid);
                        rc = -EINVAL;
                }
                unsigned char *wkb = NULL;
                size_t wlen = 0;
                if (rc == 0)
                        rc = src_geom(&s, f, false, &wkb, &wlen, rep);
                if (rc == 0) {
                        OGRGeometryH g = NULL;
                        OGR_G_CreateFromWkb(wkb, NULL, &g, (int)wlen);
                        r->lon = g ? OGR_G_GetX(g, 0) : NAN;
                        r->lat = g ? OGR_G_GetY(g, 0) : NAN;
                        if (g)
                                OGR_G_DestroyGeometry(g);
                }
                free(wkb);
                OGR_F_Destroy(f);
        }
        if (rc == 0)
                rc = shelters_write(st, v, n, o, rep);
out:
        shelter_rows_free(v, n);
        src_close(&s);
        return rc;
}

/* 自治体標準オープンデータセット 指定緊急避難場所一覧 / 指定避難所一覧 (CSV). */
static int shelters_csv(struct store *st, const char *path, const struct geo_import_opts *o,
                        struct geo_import_report *rep)
{
        char *text = NULL;
        size_t len = 0;
        const char *enc = NULL;
        int rc = read_text(path, &text, &len, &enc, rep);
        if (rc < 0)
                return rc;
        struct csv c = {.p = text, .end = text + len};
        struct csv hdr;
        struct shelter_row *v = NULL;
        size_t n = 0, cap = 0;
        if (!csv_next(&c)) {
                fail(rep, "%s: 空のファイルです (empty file)", path);
                rc = -ENODATA;
                goto out;
        }
        hdr = c;
        int c_lg = csv_col(&hdr, "全国地方公共団体コード");
        int c_id = csv_col(&hdr, "ID");
        int c_common = csv_col(&hdr, "共通ID");
        int c_name = csv_col(&hdr, "名称");
        int c_addr = csv_col(&hdr, "所在地_連結表記");
        if (c_addr < 0)
                c_addr = csv_col(&hdr, "住所");
        int c_lat = csv_col(&hdr, "緯度"), c_lon = csv_col(&hdr, "経度");
        int c_cap = csv_col(&hdr, "想定収容人数");
        if (c_cap < 0)
                c_cap = csv_col(&hdr, "収容人数");
        int c_flag[HAZARD_COUNT];
        bool emergency = false;
        for (int h = 0; h < HAZARD_COUNT; h++) {
                char nm[96];
                snprintf(nm, sizeof(nm), "災害種別_%s", gsi_flags[h]);
                c_flag[h] = csv_col(&hdr, nm);
                emergency |= c_flag[h] >= 0;
        }
        if (c_name < 0 || c_lat < 0 || c_lon < 0 || (c_common < 0 && (c_lg < 0 || c_id < 0))) {
                fail(
                    rep,
                    "%s: 見出しに 名称・緯度・経度 と 共通ID (または 全国地方公共団体コード と ID) "
                    "が必要です (missing columns)",
                    path);
                rc = -EINVAL;
                goto out;
        }
        while (rc == 0 && csv_next(&c)) {
                if (c.n == 1 && !c.fields[0][0])
                        continue; /* blank line */
                rep->read++;
                if (c.n < hdr.n) {
                        fail(rep, "%s:%zu 行: 列が足りません (%zu/%zu)", path, c.line, c.n, hdr.n);
                        rc = -EINVAL;
                        break;
                }
                if (n == cap) {
                        size_t nc = cap ? cap * 2 : 64;
                        struct shelter_row *nv = realloc(v, nc * sizeof(*nv));
                        if (!nv) {
                                rc = -ENOMEM;
                                break;
                        }
                        v = nv;
                        cap = nc;
                }
                struct shelter_row *r = &v[n++];
                memset(r, 0, sizeof(*r));
                char idbuf[80];
                if (c_common >= 0 && c.fields[c_common][0])
                        snprintf(idbuf, sizeof(idbuf), "%.64s", c.fields[c_common]);
                else if (c_lg >= 0 && c_id >= 0)
                        snprintf(idbuf, sizeof(idbuf), "%.20s-%.40s", c.fields[c_lg],
                                 c.fields[c_id]);
                else
                        idbuf[0] = '\0';
                char *e1, *e2;
                r->lat = strtod(c.fields[c_lat], &e1);
                r->lon = strtod(c.fields[c_lon], &e2);
                r->common_id = strdup(idbuf);
                r->name = strdup(c.fields[c_name]);
                r->address = c_addr >= 0 && c.fields[c_addr][0] ? strdup(c.fields[c_addr]) : NULL;
                r->emergency = emergency;
                r->capacity = -1;
                if (c_cap >= 0 && c.fields[c_cap][0]) {
                        char *e3;
                        long long k = strtoll(c.fields[c_cap], &e3, 10);
                        if (*e3 || k < 0) {
                                fail(rep, "%s:%zu 行: 収容人数 %s が数ではありません", path, c.line,
                                     c.fields[c_cap]);
                                rc = -EINVAL;
                        }
                        r->capacity = k;
                }
                for (int h = 0; h < HAZARD_COUNT; h++)
                        r->hazards[h] = c_flag[h] >= 0 && flag_set(c.fields[c_flag[h]]);
                if (rc == 0 && (!idbuf[0] || !c.fields[c_name][0])) {
                        fail(rep, "%s:%zu 行: ID または 名称 が空です (missing attribute)", path,
                             c.line);
                        rc = -EINVAL;
                }
                if (rc == 0 && (*e1 || *e2 || e1 == c.fields[c_lat] || r->lat < 20 || r->lat > 46 ||
                                r->lon < 120 || r->lon > 155)) {
                        fail(rep, "%s:%zu 行: 緯度・経度が不正です (%s, %s)", path, c.line,
                             c.fields[c_lat], c.fields[c_lon]);
                        rc = -EINVAL;
                }
                if (rc == 0 && (!r->common_id || !r->name))
                        rc = -ENOMEM;
        }
        if (rc == 0 && n == 0) {
                fail(rep, "%s: データ行がありません (empty file)", path);
                rc = -ENODATA;
        }
        if (rc == 0)
                rc = shelters_write(st, v, n, o, rep);
out:
        shelter_rows_free(v, n);
        free(text);
        return rc;
}

/* ---- Areas and their codes ----------------------------------------------- */

/* JMA CityCode.csv: the code table (with the 土砂災害 split codes). */
static int area_codes_csv(struct store *st, const char *path, const struct geo_import_opts *o,
                          struct geo_import_report *rep)
{
        char *text = NULL;
        size_t len = 0;
        const char *enc = NULL;
        int rc = read_text(path, &text, &len, &enc, rep);
        if (rc < 0)
                return rc;
        struct csv c = {.p = text, .end = text + len};
        if (!csv_next(&c) || csv_col(&c, "@code") < 0 || c.n < 11) {
                fail(rep, "%s: 気象庁 CityCode.csv の見出し (@code, ...) ではありません", path);
                rc = -EINVAL;
                goto out;
        }
        rc = store_begin(st);
        if (rc < 0)
                goto out;
        /* Columns: @code, full name, @name, kana, class15 code, and the
         * flags 警報・注意報, 竜巻, 高潮, 波浪, 土砂災害警戒情報, 洪水予報. */
        char last_city[8] = "";
        while (rc == 0 && csv_next(&c)) {
                if (c.n < 11 || strlen(c.fields[0]) != 7)
                        continue;
                rep->read++;
                const char *code = c.fields[0];
                if (strspn(code, "0123456789") != 7)
                        continue;
                const char *name = c.fields[2][0] ? c.fields[2] : c.fields[1];
                char town5[6], lg6[7], split_of[8] = "";
                memcpy(town5, code, 5);
                town5[5] = '\0';
                if (strcmp(code + 5, "00") == 0)
                        snprintf(last_city, sizeof(last_city), "%s", code);
                else if (strncmp(code, last_city, 5) == 0 && strcmp(c.fields[9], "1") == 0)
                        snprintf(split_of, sizeof(split_of), "%s", last_city);
                bool city_level = strcmp(code + 5, "00") == 0 || split_of[0];
                if (!city_level || !name[0])
                        continue; /* 区 of a designated city and the like */
                geo_lg_code_check(town5, lg6);
                struct geo_area_code ac = {0};
                ac.code = code;
                ac.name = name;
                ac.full_name = c.fields[1];
                ac.class15_code = strlen(c.fields[4]) == 6 ? c.fields[4] : NULL;
                ac.lg_code = lg6;
                ac.town_code = town5;
                ac.split_of = split_of[0] ? split_of : NULL;
                ac.used_warning = strcmp(c.fields[5], "1") == 0;
                ac.used_landslide = strcmp(c.fields[9], "1") == 0;
                ac.used_flood_forecast = strcmp(c.fields[10], "1") == 0;
                rc = geo_area_code_upsert(st, &ac);
                if (rc < 0)
                        fail(rep, "%s:%zu 行: コード %s を書き込めません (%s)", path, c.line, code,
                             store_strerror(rc));
                else
                        rep->imported++;
                if (rep->read % 500 == 0)
                        progress(o, rep->read, 0);
        }
        if (rc == 0 && rep->imported == 0) {
                fail(rep, "%s: コードがありません (empty)", path);
                rc = -ENODATA;
        }
        rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
out:
        free(text);
        return rc;
}

static int import_areas(struct store *st, const char *path, const struct geo_import_opts *o,
                        struct geo_import_report *rep)
{
        if (has_suffix(path, ".csv"))
                return area_codes_csv(st, path, o, rep);
        struct src s;
        int rc = src_open(&s, path, rep);
        if (rc == 0)
                rc = src_crs(&s, path, rep);
        if (rc < 0)
                goto out;
        /* class20 files carry code/name; class15 (市町村等をまとめた地域)
         * files divisionCode/divisionName, which are skipped below. */
        const char *ca = src_has(&s, "code") ? "code" : "divisionCode";
        const char *na = src_has(&s, "code") ? "name" : "divisionName";
        if (!src_has(&s, ca) || !src_has(&s, na)) {
                fail(rep, "%s: 属性 code / name がありません (missing attributes)", path);
                rc = -EINVAL;
                goto out;
        }
        rc = store_begin(st);
        if (rc < 0)
                goto out;
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(s.layer))) {
                long long fid = (long long)OGR_F_GetFID(f);
                bool bad = false;
                rep->read++;
                const char *code = src_str(&s, f, ca, &bad);
                char codebuf[16], namebuf[130];
                snprintf(codebuf, sizeof(codebuf), "%s", code ? code : "");
                const char *name = src_str(&s, f, na, &bad);
                snprintf(namebuf, sizeof(namebuf), "%s", name ? name : "");
                if (bad) {
                        fail(rep, "地物 %lld: code / name の文字コードが不正です (wrong encoding)",
                             fid);
                        rc = -EILSEQ;
                } else if (!code || !name) {
                        fail(rep, "地物 %lld: code / name が空です (missing attribute)", fid);
                        rc = -EINVAL;
                } else if (strlen(codebuf) != 7 || strspn(codebuf, "0123456789") != 7) {
                        /* 市町村等をまとめた地域 (class15, 6 digits) and above
                         * are not areas of a point's answer. */
                        rep->skipped++;
                        warn(rep, "地域 %s (%s) は市町村等 (7 桁) ではないため取り込みません",
                             codebuf, namebuf);
                        OGR_F_Destroy(f);
                        continue;
                }
                unsigned char *wkb = NULL;
                size_t wlen = 0;
                if (rc == 0)
                        rc = src_geom(&s, f, true, &wkb, &wlen, rep);
                if (rc == 0) {
                        char town5[6], lg6[7];
                        memcpy(town5, codebuf, 5);
                        town5[5] = '\0';
                        geo_lg_code_check(town5, lg6);
                        bool split = strcmp(codebuf + 5, "00") != 0;
                        char parent[8];
                        snprintf(parent, sizeof(parent), "%.5s00", codebuf);
                        struct store_area a = {0};
                        a.code = codebuf;
                        a.name = namebuf;
                        a.kind = split ? "city_split" : "city";
                        a.parent_code = split ? parent : NULL;
                        a.lg_code = lg6;
                        a.town_code = town5;
                        a.wkb = wkb;
                        a.wkb_len = wlen;
                        rc = store_area_upsert(st, &a);
                        if (rc < 0)
                                fail(rep, "地域 %s を書き込めません (%s)", codebuf,
                                     store_strerror(rc));
                        else
                                rep->imported++;
                }
                free(wkb);
                OGR_F_Destroy(f);
        }
        if (rc == 0 && rep->imported == 0 && rep->skipped == 0) {
                fail(rep, "%s: 地物がありません", path);
                rc = -ENODATA;
        }
        /* The map's tiles of every area now in the store. */
        if (rc == 0 && rep->imported)
                rc = geo_tiles_from_store(st, "areas", rep);
        rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
        if (rc == 0)
                progress(o, rep->read, rep->read);
out:
        src_close(&s);
        return rc;
}

/* ---- Districts ----------------------------------------------------------- */

static int import_districts(struct store *st, const char *path, const struct geo_import_opts *o,
                            struct geo_import_report *rep)
{
        const char *kind = o->kind ? o->kind : "district";
        if (strcmp(kind, "district") && strcmp(kind, "school") && strcmp(kind, "community")) {
                fail(rep, "--kind は district | school | community です");
                return -EINVAL;
        }
        const char *ca = o->code_attr ? o->code_attr : "code";
        const char *na = o->name_attr ? o->name_attr : "name";
        struct src s;
        int rc = src_open(&s, path, rep);
        if (rc == 0)
                rc = src_crs(&s, path, rep);
        if (rc < 0)
                goto out;
        if (!src_has(&s, ca) || !src_has(&s, na)) {
                fail(rep,
                     "%s: 属性 %s / %s がありません (missing attributes; --code-attr, "
                     "--name-attr)",
                     path, ca, na);
                rc = -EINVAL;
                goto out;
        }
        rc = store_begin(st);
        if (rc < 0)
                goto out;
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(s.layer))) {
                long long fid = (long long)OGR_F_GetFID(f);
                bool bad = false;
                rep->read++;
                char code[65] = "", name[129] = "";
                const char *v = src_str(&s, f, ca, &bad);
                if (v)
                        snprintf(code, sizeof(code), "%s", v);
                v = src_str(&s, f, na, &bad);
                if (v)
                        snprintf(name, sizeof(name), "%s", v);
                if (bad) {
                        fail(rep, "地物 %lld: %s / %s の文字コードが不正です (wrong encoding)", fid,
                             ca, na);
                        rc = -EILSEQ;
                } else if (!code[0] || !name[0]) {
                        fail(rep, "地物 %lld: %s / %s が空です (missing attribute)", fid, ca, na);
                        rc = -EINVAL;
                }
                unsigned char *wkb = NULL;
                size_t wlen = 0;
                if (rc == 0)
                        rc = src_geom(&s, f, true, &wkb, &wlen, rep);
                if (rc == 0) {
                        struct store_district d = {0};
                        d.code = code;
                        d.name = name;
                        d.kind = kind;
                        d.geom.wkb = wkb;
                        d.geom.wkb_len = wlen;
                        rc = store_district_upsert(st, &d, NULL);
                        if (rc < 0)
                                fail(rep, "地区 %s を書き込めません (%s)", code,
                                     store_strerror(rc));
                        else
                                rep->imported++;
                }
                free(wkb);
                OGR_F_Destroy(f);
        }
        size_t assigned = 0;
        if (rc == 0)
                rc = geo_addresses_assign_districts(st, &assigned);
        if (rc == 0 && rep->imported)
                rc = geo_tiles_from_store(st, "districts", rep);
        rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
        if (rc == 0) {
                rep->linked = assigned;
                progress(o, rep->read, rep->read);
        }
out:
        src_close(&s);
        return rc;
}

/* ---- Addresses (位置参照情報 大字・町丁目) --------------------------------- */

static const char *const isj_cols[] = {
    "都道府県コード", "都道府県名", "市区町村コード", "市区町村名",     "大字町丁目コード",
    "大字町丁目名",   "緯度",       "経度",           "原典資料コード", "大字・字・丁目区分コード",
};

/* Writes the batch of addresses read from lines first..last. */
static int addresses_flush(struct store *st, struct geo_address_in *batch, size_t *nb,
                           const char *path, size_t first, size_t last,
                           struct geo_import_report *rep)
{
        if (*nb == 0)
                return 0;
        int rc = geo_addresses_upsert(st, batch, *nb);
        if (rc < 0)
                fail(rep, "%s:%zu-%zu 行: 書き込めません (%s)", path, first, last,
                     store_strerror(rc));
        else
                rep->imported += *nb;
        *nb = 0;
        return rc;
}

#define ADDRESS_BATCH 1000

static int import_addresses(struct store *st, const char *path, const struct geo_import_opts *o,
                            struct geo_import_report *rep)
{
        struct geo_address_in *batch = NULL;
        size_t nb = 0, first_line = 0;
        char *text = NULL;
        size_t len = 0;
        const char *enc = NULL;
        int rc = read_text(path, &text, &len, &enc, rep);
        if (rc < 0)
                return rc;
        struct csv c = {.p = text, .end = text + len};
        if (!csv_next(&c)) {
                fail(rep, "%s: 空のファイルです", path);
                rc = -ENODATA;
                goto out;
        }
        for (size_t i = 0; i < sizeof(isj_cols) / sizeof(isj_cols[0]); i++) {
                if (i >= c.n || strcmp(c.fields[i], isj_cols[i]) != 0) {
                        fail(
                            rep,
                            "%s: 位置参照情報 (大字・町丁目) の列順ではありません: %zu 列目は「%s」"
                            "のはずです (wrong columns)",
                            path, i + 1, isj_cols[i]);
                        rc = -EINVAL;
                        goto out;
                }
        }
        /* The rows go to the store in batches (their texts point into
         * text, which outlives them). */
        batch = malloc(ADDRESS_BATCH * sizeof(*batch));
        if (!batch) {
                rc = -ENOMEM;
                goto out;
        }
        rc = store_begin(st);
        if (rc < 0)
                goto out;
        while (rc == 0 && csv_next(&c)) {
                if (c.n == 1 && !c.fields[0][0])
                        continue;
                rep->read++;
                if (c.n < 8) {
                        fail(rep, "%s:%zu 行: 列が足りません", path, c.line);
                        rc = -EINVAL;
                        break;
                }
                char *e1, *e2;
                double lat = strtod(c.fields[6], &e1), lon = strtod(c.fields[7], &e2);
                if (*e1 || *e2 || e1 == c.fields[6] || lat < 20 || lat > 46 || lon < 120 ||
                    lon > 155) {
                        fail(rep, "%s:%zu 行: 緯度・経度が不正です (%s, %s)", path, c.line,
                             c.fields[6], c.fields[7]);
                        rc = -EINVAL;
                        break;
                }
                if (!c.fields[4][0] || !c.fields[5][0] || strlen(c.fields[2]) != 5) {
                        fail(rep, "%s:%zu 行: コードまたは名称が空です (missing attribute)", path,
                             c.line);
                        rc = -EINVAL;
                        break;
                }
                struct geo_address_in *a = &batch[nb++];
                memset(a, 0, sizeof(*a));
                a->code = c.fields[4];
                a->pref = c.fields[1];
                a->city = c.fields[3];
                a->lg_code = c.fields[2];
                a->town = c.fields[5];
                a->lon = lon;
                a->lat = lat;
                a->version = o->version;
                if (nb == 1)
                        first_line = c.line;
                if (nb == ADDRESS_BATCH)
                        rc = addresses_flush(st, batch, &nb, path, first_line, c.line, rep);
                if (rep->read % 2000 == 0)
                        progress(o, rep->read, 0);
        }
        if (rc == 0)
                rc = addresses_flush(st, batch, &nb, path, first_line, c.line, rep);
        if (rc == 0 && rep->imported == 0) {
                fail(rep, "%s: データ行がありません (empty file)", path);
                rc = -ENODATA;
        }
        size_t assigned = 0;
        if (rc == 0)
                rc = geo_addresses_assign_districts(st, &assigned);
        rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
        if (rc == 0) {
                rep->linked = assigned;
                if (strcmp(enc, "UTF-8") != 0)
                        warn(rep, "%s から UTF-8 に変換しました", enc);
                progress(o, rep->read, rep->read);
        }
out:
        free(batch);
        free(text);
        return rc;
}

/* ---- Rivers -------------------------------------------------------------- */

/* River lines (国土数値情報 W05 河川, or any line layer): no table of their
 * own, they are the map's "rivers" tile set, versioned like a hazard
 * layer's edition and replaced in one transaction. */
static int import_rivers(struct store *st, const char *path, const struct geo_import_opts *o,
                         struct geo_import_report *rep)
{
        struct geo_tiler *tiler = NULL;
        const char *name = o->name ? o->name : "rivers";
        struct src s;
        int rc = src_open(&s, path, rep);
        /* A file of several layers (W05 GML: the streams and their nodes)
         * is read from its first line layer. */
        for (int i = 0; rc == 0 && i < GDALDatasetGetLayerCount(s.ds); i++) {
                OGRLayerH l = GDALDatasetGetLayer(s.ds, i);
                OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(l));
                if (t == wkbLineString || t == wkbMultiLineString) {
                        s.layer = l;
                        s.defn = OGR_L_GetLayerDefn(l);
                        s.total = OGR_L_GetFeatureCount(l, 1);
                        break;
                }
        }
        if (rc == 0)
                rc = src_crs(&s, path, rep);
        if (rc < 0)
                goto out;
        if (!geo_tiles_layer_ok(name)) {
                fail(rep, "レイヤ名 %s は使えません (a name of A-Z a-z 0-9 _ -, 1-64 bytes)", name);
                rc = -EINVAL;
                goto out;
        }
        /* W05 names its rivers in W05_004 (河川名). */
        const char *na = o->name_attr ? o->name_attr : src_has(&s, "name") ? "name" : "W05_004";
        if (!src_has(&s, na)) {
                fail(rep, "%s: 河川名の属性 %s がありません (missing attribute; --name-attr)", path,
                     na);
                rc = -EINVAL;
                goto out;
        }
        char version[65], have[65];
        if ((rc = geo_import_edition(name, o, version, rep)) < 0)
                goto out;
        if (store_tile_version(st, name, have) == 0 && strcmp(have, version) == 0) {
                fail(rep, "レイヤ %s の版 %s は既にあります (version exists)", name, version);
                rc = -EEXIST;
                goto out;
        }
        static const char *const fields[] = {"name"};
        rc = geo_tiler_open(&tiler, st, name, GEO_TILES_MIN_ZOOM, GEO_TILES_MAX_ZOOM, fields, 1,
                            rep);
        if (rc < 0)
                goto out;
        OGRFeatureH f;
        while (rc == 0 && (f = OGR_L_GetNextFeature(s.layer))) {
                long long fid = (long long)OGR_F_GetFID(f);
                bool bad = false;
                rep->read++;
                char nm[129] = "";
                const char *v = src_str(&s, f, na, &bad);
                if (v)
                        snprintf(nm, sizeof(nm), "%s", v);
                OGRGeometryH g0 = OGR_F_GetGeometryRef(f);
                OGRwkbGeometryType t = g0 ? wkbFlatten(OGR_G_GetGeometryType(g0)) : wkbUnknown;
                OGRGeometryH g = NULL;
                if (bad) {
                        fail(rep, "地物 %lld: %s の文字コードが不正です (wrong encoding)", fid, na);
                        rc = -EILSEQ;
                } else if (!g0 || OGR_G_IsEmpty(g0)) {
                        fail(rep,
                             "地物 %lld: ジオメトリがありません (feature %lld has no geometry)",
                             fid, fid);
                        rc = -EINVAL;
                } else if (t != wkbLineString && t != wkbMultiLineString) {
                        fail(rep, "地物 %lld: 線ではありません (%s; rivers need lines)", fid,
                             OGRGeometryTypeToName(t));
                        rc = -EINVAL;
                } else {
                        g = OGR_G_Clone(g0);
                        OGR_G_FlattenTo2D(g);
                        if (s.ct && OGR_G_Transform(g, s.ct) != OGRERR_NONE) {
                                fail(rep, "地物 %lld: 座標を変換できません (transform failed)",
                                     fid);
                                rc = -EINVAL;
                        }
                }
                if (rc == 0) {
                        OGREnvelope e;
                        OGR_G_GetEnvelope(g, &e);
                        if (!isfinite(e.MinX) || !isfinite(e.MaxY) || e.MinX < 120 ||
                            e.MaxX > 155 || e.MinY < 20 || e.MaxY > 46) {
                                fail(rep,
                                     "地物 %lld: 座標が日本の範囲外です (%.4f,%.4f; wrong CRS or "
                                     "axis order?)",
                                     fid, e.MinX, e.MinY);
                                rc = -EINVAL;
                        }
                }
                if (rc == 0) {
                        size_t n = (size_t)OGR_G_WkbSize(g);
                        unsigned char *wkb = malloc(n);
                        if (!wkb) {
                                rc = -ENOMEM;
                        } else {
                                OGR_G_ExportToWkb(g, wkbNDR, wkb);
                                const char *vals[] = {nm[0] ? nm : NULL};
                                rc = geo_tiler_add(tiler, wkb, n, vals);
                                if (rc < 0)
                                        fail(rep, "地物 %lld: タイルに書けません (tile)", fid);
                                else
                                        rep->imported++;
                        }
                        free(wkb);
                }
                if (g)
                        OGR_G_DestroyGeometry(g);
                OGR_F_Destroy(f);
                if (rep->read % 2000 == 0)
                        progress(o, rep->read, (size_t)(s.total > 0 ? s.total : 0));
        }
        if (rc == 0 && rep->imported == 0) {
                fail(rep, "%s: 地物がありません (empty layer)", path);
                rc = -ENODATA;
        }
        if (rc < 0)
                goto out;
        /* The tiles replace the old set in one transaction. */
        rc = store_begin(st);
        if (rc < 0) {
                fail(rep, "ストアを書き込めません (%s)", store_strerror(rc));
                goto out;
        }
        rc = tx_end(st, geo_tiler_finish(tiler, st, version, rep), rep);
        if (rc == 0)
                progress(o, rep->read, rep->read);
out:
        geo_tiler_free(tiler);
        src_close(&s);
        return rc;
}

int geo_import(struct store *st, const char *kind, const char *path,
               const struct geo_import_opts *opt, struct geo_import_report *rep)
{
        static const struct geo_import_opts none;
        memset(rep, 0, sizeof(*rep));
        if (!opt)
                opt = &none;
        if (!st || !kind || !path) {
                fail(rep, "引数が足りません");
                return -EINVAL;
        }
        if (strcmp(kind, "hazard") == 0)
                return import_hazard(st, path, opt, rep);
        if (strcmp(kind, "shelters") == 0)
                return has_suffix(path, ".csv") ? shelters_csv(st, path, opt, rep)
                                                : shelters_gsi(st, path, opt, rep);
        if (strcmp(kind, "areas") == 0)
                return import_areas(st, path, opt, rep);
        if (strcmp(kind, "districts") == 0)
                return import_districts(st, path, opt, rep);
        if (strcmp(kind, "addresses") == 0)
                return import_addresses(st, path, opt, rep);
        if (strcmp(kind, "roads") == 0)
                return geo_import_roads(st, path, opt, rep);
        if (strcmp(kind, "rivers") == 0)
                return import_rivers(st, path, opt, rep);
        fail(rep,
             "種類 %s は取り込めません (hazard|shelters|areas|districts|addresses|roads|rivers)",
             kind);
        return -EINVAL;
}
