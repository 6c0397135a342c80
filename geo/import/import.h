/* Importing official geodata into the store with GDAL and PROJ:
 * hazard layers (国土数値情報 A31 / A33, or any polygon layer with a class
 * attribute), shelters (GSI 指定緊急避難場所・指定避難所, 自治体標準オープン
 * データセット CSV), JMA areas and their code table, districts, and
 * addresses (MLIT 位置参照情報).
 *
 * Everything is stored in JGD2011 (EPSG:6668), longitude first, whatever
 * the input CRS.  An import is one transaction: a failure writes nothing
 * and a hazard layer's current version keeps serving.  Errors come back as
 * a negative errno-style code and one Japanese/English line in
 * report->error; warnings (datum accuracy, repaired geometries) in
 * report->warning.  Nothing here logs: the CLI prints the report. */
#ifndef SONAE_GEO_IMPORT_H
#define SONAE_GEO_IMPORT_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct geo_import_opts {
        const char *name;       /* hazard layer name; default from the schema */
        const char *version;    /* edition; default the import time */
        const char *class_attr; /* hazard: the class attribute of other layers */
        const char *hazard;     /* hazard: flood|landslide|...; with class_attr */
        const char *title;      /* hazard: the layer's title; default from the schema */
        const char *code_attr;  /* districts: code attribute (default "code") */
        const char *name_attr;  /* districts: name attribute (default "name") */
        const char *kind;       /* districts: district|school|community */
        /* Called every few thousand features and at the end; may be NULL. */
        void (*progress)(void *ctx, size_t done, size_t total);
        void *progress_ctx;
};

struct geo_import_report {
        size_t read;     /* features or rows read */
        size_t imported; /* written */
        size_t repaired; /* invalid geometries made valid */
        size_t skipped;  /* left out, with the reason in warning */
        size_t linked;   /* shelters: emergency ↔ evacuation links */
        size_t tiles;    /* vector tiles made for the layer */
        int64_t layer_id;
        char layer[65], version[65];
        char warning[512];
        char error[512];
};

/* kind: hazard | shelters | areas | districts | addresses | roads | rivers.
 * rivers: any line layer (国土数値情報 W05 河川 ...) into the vector tiles
 * of layer opt->name (default "rivers"), versioned by opt->version;
 * opt->name_attr the river name (default "name", else W05_004). */
int geo_import(struct store *st, const char *kind, const char *path,
               const struct geo_import_opts *opt, struct geo_import_report *rep);

/* roads (geo/import/roads.c): a line layer or OSM PBF into the routing
 * graph; opt->name the graph's name (default "roads"), opt->name_attr the
 * street name attribute (default "name").  rep->imported counts edges. */
int geo_import_roads(struct store *st, const char *path, const struct geo_import_opts *opt,
                     struct geo_import_report *rep);

/* Transforms one point between EPSG codes with PROJ, in the traditional GIS
 * order (longitude/easting first) whatever the CRS's axis order. */
int geo_transform_point(int from_epsg, int to_epsg, double *x, double *y);

/* The 全国地方公共団体コード (6 digits, with check digit) of a 5-digit code. */
int geo_lg_code_check(const char *code5, char out[7]);

#endif
