/* Shared by the importers of geo/import/ only. */
#ifndef SONAE_GEO_IMPORT_INT_H
#define SONAE_GEO_IMPORT_INT_H

#include "import.h"

/* The edition of an import: o->version (1-64 bytes) or the import time
 * YYYYMMDDTHHMMSSZ into version; name and version into the report.
 * -EINVAL with the reason in rep->error for a bad name or version. */
int geo_import_edition(const char *name, const struct geo_import_opts *o, char version[65],
                       struct geo_import_report *rep);

/* Vector tiles of a layer (geo/import/tiles.c), zooms 8 (the city) to 16
 * (the street). */
#define GEO_TILES_MIN_ZOOM      8
#define GEO_TILES_MAX_ZOOM      16
#define GEO_TILES_AREA_MAX_ZOOM 12
struct geo_tiler;
/* True when a layer name can name tiles in a URL ([A-Za-z0-9_-], 1-64). */
bool geo_tiles_layer_ok(const char *layer);
/* A tiler for the layer's zooms with string attributes fields[0..n) (at
 * most 8, borrowed until geo_tiler_free()), cutting with GDAL or, where the
 * store's backend cuts tiles itself, handing it the features at the end. */
int geo_tiler_open(struct geo_tiler **t, struct store *st, const char *layer, int min_zoom,
                   int max_zoom, const char *const *fields, size_t n_fields,
                   struct geo_import_report *rep);
/* One feature: WKB in EPSG:6668 and one value per field (NULL: unset). */
int geo_tiler_add(struct geo_tiler *t, const unsigned char *wkb, size_t len,
                  const char *const *values);
/* Cuts the tiles and stores them as the layer's active set of version, in
 * the caller's transaction; rep->tiles counts them. */
int geo_tiler_finish(struct geo_tiler *t, struct store *st, const char *version,
                     struct geo_import_report *rep);
/* The tiles of a store layer ("areas", "districts") from every polygon
 * it holds now, as a new active tile set versioned by the time; inside the
 * caller's transaction. */
int geo_tiles_from_store(struct store *st, const char *layer, struct geo_import_report *rep);
/* Removes the temporary files; accepts NULL. */
void geo_tiler_free(struct geo_tiler *t);

#endif
