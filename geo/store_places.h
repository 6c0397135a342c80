/* The store: places — districts, shelters, hazard layers (versioned) and
 * watch points.  Geometries are EPSG:6668, lon/lat, given as WKB (what
 * GDAL's OGR_G_ExportToWkb writes) or WKT.  Conventions as in store.h. */
#ifndef SONAE_STORE_PLACES_H
#define SONAE_STORE_PLACES_H

#include "store.h"

/* A geometry from outside: exactly one of wkb/wkt. */
struct store_geom {
        const unsigned char *wkb;
        size_t wkb_len;
        const char *wkt;
};

/* Hazards of the suitability flags (指定緊急避難場所) and of hazard layers. */
enum store_hazard {
        HAZARD_FLOOD = 0,    /* 洪水 */
        HAZARD_LANDSLIDE,    /* 崖崩れ、土石流及び地滑り */
        HAZARD_STORM_SURGE,  /* 高潮 */
        HAZARD_EARTHQUAKE,   /* 地震 */
        HAZARD_TSUNAMI,      /* 津波 */
        HAZARD_FIRE,         /* 大規模な火事 */
        HAZARD_INLAND_FLOOD, /* 内水氾濫 */
        HAZARD_VOLCANO,      /* 火山現象 */
        HAZARD_COUNT
};
/* "flood", "landslide", ... ; NULL out of range. */
const char *store_hazard_name(enum store_hazard h);
int store_hazard_parse(const char *s, enum store_hazard *out);

/* ---- Districts --------------------------------------------------------- */

struct store_district {
        int64_t id;
        const char *code, *name;
        const char *kind;       /* district | school | community | town */
        const char *area_code;  /* may be NULL */
        struct store_geom geom; /* may be empty */
};
/* Upsert by code. */
int store_district_upsert(struct store *st, const struct store_district *d, int64_t *id);
int store_district_find(struct store *st, const char *code, int64_t *id);

/* ---- Shelters ---------------------------------------------------------- */

struct store_shelter {
        int64_t id;
        const char *common_id; /* 共通ID */
        const char *kind;      /* emergency | evacuation | both */
        const char *name;
        const char *address; /* may be NULL */
        double lon, lat;
        bool hazards[HAZARD_COUNT]; /* suitability per hazard */
        int64_t capacity;           /* -1 when unknown */
        int64_t linked_id;          /* linked 指定避難所, or 0 */
        int64_t district_id;        /* or 0 */
        /* Status, kept across re-imports; written by store_shelter_set_status. */
        bool is_open;
        int64_t occupancy; /* -1 when unknown */
        const char *needs; /* may be NULL */
        int64_t status_updated_at;
};
/* Upsert by common_id; an existing shelter keeps the status and occupancy
 * staff entered. */
int store_shelter_upsert(struct store *st, const struct store_shelter *s, int64_t *id);
/* Sets open/closed, occupancy (-1: unknown) and needs; emits
 * `shelter.updated`. */
int store_shelter_set_status(struct store *st, int64_t id, bool is_open, int64_t occupancy,
                             const char *needs);
struct store_shelter_list {
        struct store_shelter *v;
        size_t n;
};
int store_shelter_get(struct store *st, int64_t id, struct store_shelter_list *out);
/* Every shelter, by id; open_only leaves out closed ones. */
int store_shelters_list(struct store *st, bool open_only, struct store_shelter_list *out);
void store_shelter_list_free(struct store_shelter_list *l);

/* ---- Hazard layers ----------------------------------------------------- */

struct store_hazard_layer {
        int64_t id;
        const char *name;    /* "A31_flood_max" */
        const char *version; /* edition, "2023" */
        enum store_hazard hazard;
        const char *title;       /* "洪水浸水想定区域（想定最大規模）" */
        const char *attribution; /* "国土数値情報（国土交通省）" */
        bool active;
        int64_t imported_at;
        int64_t n_features; /* filled by the list */
};
/* Creates an inactive edition (-EEXIST for an existing name+version). */
int store_hazard_layer_create(struct store *st, const struct store_hazard_layer *l, int64_t *id);
struct store_hazard_feature {
        const char *class_; /* the layer's class value: depth rank, "yellow" */
        const char *label_ja;
        int rank;               /* ordering of classes, higher is worse */
        struct store_geom geom; /* polygon or multipolygon */
};
/* Adds features to an edition (all or nothing). */
int store_hazard_features_add(struct store *st, int64_t layer_id,
                              const struct store_hazard_feature *f, size_t n);
/* Makes this edition the active one of its name, in one transaction. */
int store_hazard_layer_activate(struct store *st, int64_t layer_id);
/* Removes an inactive edition and its features (-EBUSY if active). */
int store_hazard_layer_delete(struct store *st, int64_t layer_id);
struct store_hazard_layer_list {
        struct store_hazard_layer *v;
        size_t n;
};
int store_hazard_layers_list(struct store *st, struct store_hazard_layer_list *out);
void store_hazard_layer_list_free(struct store_hazard_layer_list *l);

/* The areas (features) of the active hazard layers, for maps: each with its
 * layer, class and geometry as GeoJSON (caller frees with the list). */
struct store_hazard_area {
        int64_t id;
        char *layer;       /* "A31_flood_max" */
        char *hazard;      /* store_hazard_name() */
        char *title;       /* the layer's title */
        char *attribution; /* "国土数値情報（国土交通省）" */
        char *class_;
        char *label_ja;
        int rank;
        char *geojson; /* MultiPolygon, CRS84 degrees */
};
struct store_hazard_area_list {
        struct store_hazard_area *v;
        size_t n;
};
/* Areas whose bounding box meets bbox (lon0, lat0, lon1, lat1; NULL for
 * all), by id, skipping offset and returning at most limit. */
int store_hazard_areas(struct store *st, const double *bbox, size_t offset, size_t limit,
                       struct store_hazard_area_list *out);
/* One area of an active layer by id (-ENOENT). */
int store_hazard_area_get(struct store *st, int64_t id, struct store_hazard_area_list *out);
void store_hazard_area_list_free(struct store_hazard_area_list *l);

/* ---- Watch points ------------------------------------------------------ */

struct store_watch_point {
        int64_t id; /* 0 on create */
        const char *name;
        const char *note;           /* may be NULL */
        const char *checklist;      /* JSON array text; NULL: [] */
        struct store_geom geom;     /* point or polygon */
        const int64_t *station_ids; /* linked gauges and cameras */
        size_t n_stations;
};
/* Creates (id 0) or replaces (id > 0) a watch point and its links. */
int store_watch_point_put(struct store *st, const struct store_watch_point *w, int64_t *id);
int store_watch_point_delete(struct store *st, int64_t id);
struct store_watch_point_row {
        int64_t id;
        const char *name, *note, *checklist;
        char *geojson; /* the geometry as GeoJSON */
        int64_t *station_ids;
        size_t n_stations;
};
struct store_watch_point_list {
        struct store_watch_point_row *v;
        size_t n;
};
int store_watch_points_list(struct store *st, struct store_watch_point_list *out);
void store_watch_point_list_free(struct store_watch_point_list *l);

#endif
