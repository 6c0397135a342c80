/* Vector tiles of an imported layer, made with GDAL's MVT driver: the
 * features go into an MVT dataset in a private temporary folder while the
 * import writes them to the store; at the end GDAL cuts the tiles (XYZ,
 * EPSG:3857, simplified in tile units so each zoom keeps what it can
 * show), and they are stored as a new tile set of the layer in the
 * import's transaction, which replaces the old set.
 *
 * A backend that cuts tiles itself (PostGIS, with ST_AsMVT) gets the
 * features instead: they wait in a spool file in the same folder (an
 * import may read them before its transaction begins), and at the end go
 * to the store in batches, which cuts the set in the import's
 * transaction. */
#include "import_int.h"

#include "store_roads.h"

#include <dirent.h>
#include <errno.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct geo_tiler {
        char dir[512]; /* the temporary folder */
        char out[600]; /* GDAL's output folder inside it */
        char layer[65];
        GDALDatasetH ds;
        OGRLayerH lyr;
        OGRSpatialReferenceH srs;
        const char *const *fields;
        size_t n_fields;
        size_t n_features;
        int min_zoom, max_zoom;
        FILE *spool; /* the backend cuts: the features, in order */
};

/* Removes a folder tree that this file made (names from GDAL only). */
static void rm_tree(const char *path)
{
        DIR *d = opendir(path);
        if (d) {
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                                continue;
                        char p[1024];
                        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
                        struct stat sb;
                        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
                                rm_tree(p);
                        else
                                unlink(p);
                }
                closedir(d);
        }
        rmdir(path);
}

bool geo_tiles_layer_ok(const char *l)
{
        size_t n = l ? strlen(l) : 0;
        if (n < 1 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
                            l[i]))
                        return false;
        return true;
}

void geo_tiler_free(struct geo_tiler *t)
{
        if (!t)
                return;
        if (t->ds)
                GDALClose(t->ds);
        if (t->spool)
                fclose(t->spool);
        if (t->srs)
                OSRDestroySpatialReference(t->srs);
        if (t->dir[0])
                rm_tree(t->dir);
        free(t);
}

int geo_tiler_open(struct geo_tiler **out, struct store *st, const char *layer, int min_zoom,
                   int max_zoom, const char *const *fields, size_t n_fields,
                   struct geo_import_report *rep)
{
        *out = NULL;
        GDALAllRegister();
        bool by_store = store_tiles_cut_by_backend(st);
        GDALDriverH drv = GDALGetDriverByName("MVT");
        if (!drv && !by_store) {
                snprintf(rep->error, sizeof(rep->error),
                         "GDAL に MVT ドライバがありません (GDAL without the MVT driver)");
                return -ENOTSUP;
        }
        struct geo_tiler *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        snprintf(t->layer, sizeof(t->layer), "%s", layer);
        t->min_zoom = min_zoom;
        t->max_zoom = max_zoom;
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !tmp[0] || strlen(tmp) > 400)
                tmp = "/tmp";
        snprintf(t->dir, sizeof(t->dir), "%s/sonae-tiles-XXXXXX", tmp);
        if (!mkdtemp(t->dir)) {
                int e = errno;
                t->dir[0] = 0;
                snprintf(rep->error, sizeof(rep->error), "タイル用の一時フォルダを作れません (%s)",
                         strerror(e));
                geo_tiler_free(t);
                return -e;
        }
        t->srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(t->srs, 6668);
        OSRSetAxisMappingStrategy(t->srs, OAMS_TRADITIONAL_GIS_ORDER);
        t->fields = fields;
        t->n_fields = n_fields;
        if (by_store) {
                snprintf(t->out, sizeof(t->out), "%s/features", t->dir);
                t->spool = fopen(t->out, "w+b");
                if (!t->spool) {
                        int e = errno;
                        snprintf(rep->error, sizeof(rep->error),
                                 "タイル用の一時ファイルを作れません (%s)", strerror(e));
                        geo_tiler_free(t);
                        return -e;
                }
                *out = t;
                return 0;
        }
        snprintf(t->out, sizeof(t->out), "%s/tiles", t->dir);
        char minz[32], maxz[32];
        snprintf(minz, sizeof(minz), "MINZOOM=%d", t->min_zoom);
        snprintf(maxz, sizeof(maxz), "MAXZOOM=%d", t->max_zoom);
        /* Uncompressed: the portal serves the bytes as they are and the
         * HTTP layer compresses. */
        const char *dopts[] = {minz, maxz, "COMPRESS=NO", "SIMPLIFICATION=1", "FORMAT=DIRECTORY",
                               NULL};
        CPLPushErrorHandler(CPLQuietErrorHandler);
        t->ds = GDALCreate(drv, t->out, 0, 0, 0, GDT_Unknown, (char **)dopts);
        CPLPopErrorHandler();
        if (t->ds)
                t->lyr = GDALDatasetCreateLayer(t->ds, layer, t->srs, wkbUnknown, NULL);
        if (!t->ds || !t->lyr) {
                snprintf(rep->error, sizeof(rep->error), "タイルを作れません (MVT: %s)",
                         CPLGetLastErrorMsg());
                geo_tiler_free(t);
                return -EIO;
        }
        for (size_t i = 0; i < n_fields; i++) {
                OGRFieldDefnH f = OGR_Fld_Create(fields[i], OFTString);
                OGR_L_CreateField(t->lyr, f, 1);
                OGR_Fld_Destroy(f);
        }
        *out = t;
        return 0;
}

/* A spool record: the WKB's length and bytes, then per field a length
 * (UINT32_MAX: unset) and the bytes. */
static int spool_put(FILE *f, const void *p, uint32_t len)
{
        if (fwrite(&len, 4, 1, f) != 1 || (len && len != UINT32_MAX && fwrite(p, len, 1, f) != 1))
                return -EIO;
        return 0;
}

static int spool_add(struct geo_tiler *t, const unsigned char *wkb, size_t len,
                     const char *const *values)
{
        if (len > 256u * 1024 * 1024)
                return -EINVAL;
        int rc = spool_put(t->spool, wkb, (uint32_t)len);
        for (size_t i = 0; rc == 0 && i < t->n_fields; i++)
                rc = values[i] ? spool_put(t->spool, values[i], (uint32_t)strlen(values[i]))
                               : spool_put(t->spool, NULL, UINT32_MAX);
        return rc;
}

int geo_tiler_add(struct geo_tiler *t, const unsigned char *wkb, size_t len,
                  const char *const *values)
{
        OGRGeometryH g = NULL;
        if (OGR_G_CreateFromWkb(wkb, t->srs, &g, (int)len) != OGRERR_NONE || !g)
                return -EINVAL;
        if (t->spool) {
                OGR_G_DestroyGeometry(g);
                int rc = spool_add(t, wkb, len, values);
                if (rc == 0)
                        t->n_features++;
                return rc;
        }
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(t->lyr));
        for (size_t i = 0; i < t->n_fields; i++)
                if (values[i])
                        OGR_F_SetFieldString(f, (int)i, values[i]);
        OGR_F_SetGeometryDirectly(f, g);
        int rc = OGR_L_CreateFeature(t->lyr, f) == OGRERR_NONE ? 0 : -EIO;
        OGR_F_Destroy(f);
        if (rc == 0)
                t->n_features++;
        return rc;
}

static bool parse_uint(const char *s, const char *end, int *v)
{
        long n = 0;
        if (s == end)
                return false;
        for (const char *p = s; p < end; p++) {
                if (*p < '0' || *p > '9' || n > 10000000)
                        return false;
                n = n * 10 + (*p - '0');
        }
        *v = (int)n;
        return true;
}

static int read_file(const char *path, void **data, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return -errno;
        struct stat sb;
        if (fstat(fileno(f), &sb) < 0 || sb.st_size <= 0 || sb.st_size > 4194304) {
                fclose(f);
                return -EFBIG;
        }
        *data = malloc((size_t)sb.st_size);
        if (!*data) {
                fclose(f);
                return -ENOMEM;
        }
        *len = fread(*data, 1, (size_t)sb.st_size, f);
        fclose(f);
        return *len == (size_t)sb.st_size ? 0 : -EIO;
}

/* Stores out/{z}/{x}/{y}.pbf into the set. */
static int store_dir(struct geo_tiler *t, struct store *st, int64_t set_id, size_t *n)
{
        int rc = 0;
        for (int z = t->min_zoom; rc == 0 && z <= t->max_zoom; z++) {
                char zd[1024];
                snprintf(zd, sizeof(zd), "%s/%d", t->out, z);
                DIR *dz = opendir(zd);
                if (!dz)
                        continue;
                struct dirent *ex;
                while (rc == 0 && (ex = readdir(dz))) {
                        int x;
                        if (!parse_uint(ex->d_name, ex->d_name + strlen(ex->d_name), &x))
                                continue;
                        char xd[1536];
                        snprintf(xd, sizeof(xd), "%s/%s", zd, ex->d_name);
                        DIR *dx = opendir(xd);
                        if (!dx)
                                continue;
                        struct dirent *ey;
                        while (rc == 0 && (ey = readdir(dx))) {
                                const char *dot = strrchr(ey->d_name, '.');
                                int y;
                                if (!dot || strcmp(dot, ".pbf") != 0 ||
                                    !parse_uint(ey->d_name, dot, &y))
                                        continue;
                                char yp[2048];
                                snprintf(yp, sizeof(yp), "%s/%s", xd, ey->d_name);
                                void *data = NULL;
                                size_t len = 0;
                                rc = read_file(yp, &data, &len);
                                if (rc == 0)
                                        rc = store_tile_put(st, set_id, z, x, y, data, len);
                                free(data);
                                if (rc == 0)
                                        (*n)++;
                        }
                        closedir(dx);
                }
                closedir(dz);
        }
        return rc;
}

/* One spooled field or WKB into *p (grown as needed); *null for unset. */
static int spool_get(FILE *f, char **p, size_t *cap, uint32_t *len, bool *null)
{
        if (fread(len, 4, 1, f) != 1)
                return -EIO;
        *null = *len == UINT32_MAX;
        if (*null)
                return 0;
        if ((size_t)*len + 1 > *cap) {
                char *np = realloc(*p, (size_t)*len + 1);
                if (!np)
                        return -ENOMEM;
                *p = np;
                *cap = (size_t)*len + 1;
        }
        if (*len && fread(*p, *len, 1, f) != 1)
                return -EIO;
        (*p)[*len] = 0;
        return 0;
}

/* Batches of the spooled features to the store: at most this many, or
 * about this many bytes of WKB, per call. */
#define SPOOL_BATCH       1000
#define SPOOL_BATCH_BYTES (16u * 1024 * 1024)
#define SPOOL_MAX_FIELDS  8

static int spool_to_store(struct geo_tiler *t, struct store *st, int64_t set_id)
{
        if (t->n_fields > SPOOL_MAX_FIELDS || fflush(t->spool) != 0 || fseek(t->spool, 0, SEEK_SET))
                return -EIO;
        struct slot {
                char *p[1 + SPOOL_MAX_FIELDS];
                size_t cap[1 + SPOOL_MAX_FIELDS];
                const char *vals[SPOOL_MAX_FIELDS];
        } *sl = calloc(SPOOL_BATCH, sizeof(*sl));
        struct store_tile_feature *fv = calloc(SPOOL_BATCH, sizeof(*fv));
        int rc = sl && fv ? 0 : -ENOMEM;
        for (size_t done = 0; rc == 0 && done < t->n_features;) {
                size_t n = 0, bytes = 0;
                while (rc == 0 && n < SPOOL_BATCH && bytes < SPOOL_BATCH_BYTES &&
                       done + n < t->n_features) {
                        struct slot *x = &sl[n];
                        uint32_t len = 0;
                        bool null = false;
                        rc = spool_get(t->spool, &x->p[0], &x->cap[0], &len, &null);
                        fv[n].wkb = (const unsigned char *)x->p[0];
                        fv[n].wkb_len = len;
                        bytes += len;
                        for (size_t k = 0; rc == 0 && k < t->n_fields; k++) {
                                rc = spool_get(t->spool, &x->p[1 + k], &x->cap[1 + k], &len, &null);
                                x->vals[k] = null ? NULL : x->p[1 + k];
                        }
                        fv[n].values = x->vals;
                        n++;
                }
                if (rc == 0)
                        rc = store_tile_features_add(st, set_id, t->fields, t->n_fields, fv, n);
                done += n;
        }
        for (size_t i = 0; sl && i < SPOOL_BATCH; i++)
                for (size_t k = 0; k <= SPOOL_MAX_FIELDS; k++)
                        free(sl[i].p[k]);
        free(sl);
        free(fv);
        return rc;
}

int geo_tiler_finish(struct geo_tiler *t, struct store *st, const char *version,
                     struct geo_import_report *rep)
{
        /* Closing the dataset is when GDAL cuts the tiles. */
        if (!t->spool) {
                CPLPushErrorHandler(CPLQuietErrorHandler);
                CPLErrorReset();
                GDALClose(t->ds);
                CPLPopErrorHandler();
                t->ds = NULL;
                t->lyr = NULL;
                if (CPLGetLastErrorType() >= CE_Failure) {
                        snprintf(rep->error, sizeof(rep->error), "タイルを作れません (MVT: %s)",
                                 CPLGetLastErrorMsg());
                        return -EIO;
                }
        }
        int64_t set_id = 0;
        int rc = store_tile_set_create(st, t->layer, version, t->min_zoom, t->max_zoom, &set_id);
        size_t n = 0;
        /* Or the backend cuts the set from the spooled features. */
        if (rc == 0 && t->spool && (rc = spool_to_store(t, st, set_id)) == 0)
                rc = store_tile_set_cut(st, set_id, &n);
        else if (rc == 0 && !t->spool)
                rc = store_dir(t, st, set_id, &n);
        if (rc == 0)
                rc = store_tile_set_activate(st, set_id);
        if (rc < 0)
                snprintf(rep->error, sizeof(rep->error), "タイルを保存できません (%s)",
                         store_strerror(rc));
        rep->tiles = n;
        return rc;
}

static int add_polygon(void *ctx, const char *code, const char *name, const char *kind,
                       const unsigned char *wkb, size_t len)
{
        const char *vals[] = {code, name, kind};
        return wkb && len ? geo_tiler_add(ctx, wkb, len, vals) : 0;
}

int geo_tiles_from_store(struct store *st, const char *layer, struct geo_import_report *rep)
{
        static const char *const fields[] = {"code", "name", "kind"};
        struct geo_tiler *t = NULL;
        /* Areas and districts are few large polygons: the map draws them
         * from z12 tiles at any closer zoom (overzoom). */
        int rc = geo_tiler_open(&t, st, layer, GEO_TILES_MIN_ZOOM, GEO_TILES_AREA_MAX_ZOOM, fields,
                                3, rep);
        if (rc < 0)
                return rc;
        rc = store_layer_polygons(st, layer, add_polygon, t);
        if (rc == 0 && t->n_features) {
                /* The import time names the set; a second import within the
                 * same second takes the next free name. */
                char base[32], version[65];
                time_t now = time(NULL);
                struct tm tm;
                gmtime_r(&now, &tm);
                strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
                snprintf(version, sizeof(version), "%s", base);
                char have[65];
                for (int k = 2;
                     store_tile_version(st, layer, have) == 0 && strcmp(have, version) == 0; k++)
                        snprintf(version, sizeof(version), "%s-%d", base, k);
                rc = geo_tiler_finish(t, st, version, rep);
        }
        geo_tiler_free(t);
        return rc;
}
