/* Geo lookups over the store: what threatens a place, where to go, and
 * finding a place by its address.  What the portal calls for
 * /api/v1/hazard, /api/v1/shelters and /api/v1/addresses.
 *
 * Every query reads through the spatial indexes (R*Tree) and exact tests
 * on the few candidates; none scans a table.  Coordinates are JGD2011
 * (EPSG:6668), longitude first.  Functions return 0 or a negative
 * errno-style code as in store.h (-EINVAL for coordinates out of range or
 * text too long).  Output structs own every string in them; free them with
 * their _free function (which accepts NULL and zeroed structs). */
#ifndef SONAE_GEO_H
#define SONAE_GEO_H

#include "store.h"
#include "store_places.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct geo_route;

/* ---- hazard_at ---------------------------------------------------------- */

/* One active hazard layer covering the point: its worst class there. */
struct geo_hazard_hit {
        char *layer;   /* "A31_flood_max" */
        char *version; /* the active edition */
        char *title;   /* "洪水浸水想定区域（想定最大規模）" */
        char *hazard;  /* store_hazard_name(): "flood", "landslide", ... */
        char *class_;  /* the layer's class: "2", "yellow", ... */
        char *label_ja;
        int rank; /* higher is worse */
};

struct geo_hazard_answer {
        double lon, lat;
        /* JMA codes in force at the point: the 市町村等 code (0620300) and,
         * for 土砂災害警戒情報, its split codes (0620311, 0620312). */
        char **areas;
        size_t n_areas;
        char *area_code; /* the 市町村等 code, or NULL outside every area */
        char *area_name;
        char *lg_code;   /* 全国地方公共団体コード "062031", or NULL */
        char *town_code; /* k.river townCode "06203", or NULL */
        /* True when the city is split for 土砂災害警戒情報 and no split
         * polygon decides the point: the landslide level is the higher of
         * the splits; note_ja says so in words. */
        bool split_unresolved;
        char *note_ja;
        int64_t district_id; /* 0 outside every district */
        char *district_code, *district_name;
        struct geo_hazard_hit *hazards;
        size_t n_hazards;
        /* Levels in force (LEVEL_NONE when none): JMA (the highest of the
         * area's kinds, with the landslide split rule), river (the highest
         * level of the area's gauges and sensors that are not stale), the
         * city's order (the highest in force for the area or district). */
        int jma_level, river_level, order_level;
        const char *order_name_ja; /* static; NULL without an order */
        int64_t order_id;
        bool exercise; /* some level above came from 訓練 data */
};

/* view (enum store_exercise_view): which drill data count beside the real
 * ones. */
int geo_hazard_at(struct store *st, double lon, double lat, int view,
                  struct geo_hazard_answer *out);
void geo_hazard_answer_free(struct geo_hazard_answer *a);

/* ---- shelters_near ------------------------------------------------------ */

struct geo_shelter_hit {
        int64_t id;
        char *common_id, *name, *address;
        double lon, lat;
        double distance_m;  /* straight line on the GRS80 ellipsoid */
        double bearing_deg; /* 0-360 from north; NAN when on the spot */
        bool open;
        int64_t capacity, occupancy; /* -1 when unknown */
        int64_t linked_id;           /* the linked 指定避難所, 0 when none */
        char *linked_name;           /* its name, or NULL */
        struct geo_route *route;     /* geo_shelters_near_walk(): the walk, or NULL */
};
struct geo_shelter_list {
        struct geo_shelter_hit *v;
        size_t n;
};

/* The n (1..50) nearest 指定緊急避難場所 suitable for hazard h: open ones
 * first (the nearest open ones within GEO_SHELTER_MAX_M), then the nearest
 * others; each group by distance. */
#define GEO_SHELTER_MAX_M 50000.0
int geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard h, size_t n,
                      struct geo_shelter_list *out);
void geo_shelter_list_free(struct geo_shelter_list *l);
/* Frees the strings and routes of the hits, not the array. */
void geo_shelter_list_free_items(struct geo_shelter_list *l);

/* ---- Walking routes ------------------------------------------------------ */

/* The default walking speed: 0.8 m/s (2.9 km/h), an elderly person's pace
 * on a wet street at night (docs/geo.md says why). */
#define GEO_WALK_SPEED_DEFAULT 0.8
/* A point farther than this from every road node has no route. */
#define GEO_ROUTE_SNAP_MAX_M 2000.0

struct geo_route_opts {
        double speed_m_s; /* 0.1-3.0; 0 takes GEO_WALK_SPEED_DEFAULT */
        /* Avoid the polygons of this hazard's active layers: edges touching
         * them cost ROUTE_PENALTY times more, so the route goes around
         * them where any way around exists. */
        bool avoid;
        enum store_hazard hazard;
        const char *to_name; /* the destination's name for the words, or NULL */
};

struct geo_route {
        double distance_m;   /* along the roads, the walk to the first road included */
        double walk_s;       /* distance_m at the speed asked */
        double *coords;      /* lon, lat pairs: the point, the roads, the destination */
        size_t n_coords;     /* points */
        char *words_ja;      /* the way in words */
        bool through_hazard; /* no way around: the route crosses the hazard */
        double hazard_m;     /* metres of it on edges touching the hazard */
        char *graph_version;
};

/* The walking route from (lon, lat) to (to_lon, to_lat) over the active
 * road network: -ENODATA without a network, -ENOENT when a point is farther
 * than GEO_ROUTE_SNAP_MAX_M from the roads or no road joins them, -EINVAL
 * for coordinates out of range or a bad speed.  Nothing is logged (the
 * origin is a resident's position). */
int geo_route(struct store *st, double lon, double lat, double to_lon, double to_lat,
              const struct geo_route_opts *o, struct geo_route *out);
void geo_route_free(struct geo_route *r);
/* The route as GeoJSON LineString text (caller frees), or NULL. */
char *geo_route_geojson(const struct geo_route *r);

/* geo_shelters_near(), and with a road network loaded each hit's walking
 * route avoiding the hazard h (hit.route; NULL without a network or when
 * no road leads there) at speed_m_s (0: the default).  With a network the
 * n are chosen from the 2n nearest by straight line and ordered by the
 * walk: open ones first, then those reached without crossing the hazard,
 * then those only through it, then those without a road; each by walking
 * distance. */
int geo_shelters_near_walk(struct store *st, double lon, double lat, enum store_hazard h, size_t n,
                           double speed_m_s, struct geo_shelter_list *out);

/* ---- Addresses ---------------------------------------------------------- */

struct geo_address {
        int64_t id;
        char *code; /* 大字町丁目コード */
        char *pref, *city, *town;
        char *label; /* "山形県鶴岡市本町一丁目" */
        double lon, lat;
        int64_t district_id; /* 0 when none */
};
struct geo_address_list {
        struct geo_address *v;
        size_t n;
};
/* Free-text search (full- or half-width digits, kanji or arabic 丁目
 * numbers, katakana or hiragana); at most limit (1..100) results, best
 * first (exact, then prefix, then substring). Text is capped at 200
 * bytes: longer is -EINVAL. */
int geo_address_search(struct store *st, const char *text, size_t limit,
                       struct geo_address_list *out);
void geo_address_list_free(struct geo_address_list *l);

/* The picker's first list: the districts (地区・学校区・自治会) when any are
 * imported, else the 大字・町 names of the address table as pseudo
 * districts (kind "town", code "town:" + name). */
struct geo_pick {
        char *code, *name, *kind;
        char *area_code; /* the district's JMA area; NULL for a town or none */
        int64_t id;      /* the district's id (orders, notices); 0 for a town */
        int64_t n_towns;
};
struct geo_pick_list {
        struct geo_pick *v;
        size_t n;
};
int geo_picker_districts(struct store *st, struct geo_pick_list *out);
void geo_pick_list_free(struct geo_pick_list *l);
/* The picker's second list: the 町丁目 of one entry of the first. */
int geo_picker_towns(struct store *st, const char *district_code, struct geo_address_list *out);

/* ---- Text ---------------------------------------------------------------- */

/* The search key of an address text: full-width ASCII to half-width, the
 * kanji number before 丁目 to arabic (一丁目 → 1丁目, 十二丁目 → 12丁目),
 * katakana to hiragana, spaces and "-" separators dropped.  Writes at most
 * len - 1 bytes and a NUL; returns the length, or -EINVAL when the input
 * is not UTF-8 or does not fit. */
int geo_normalize(const char *in, char *out, size_t len);
/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool geo_utf8_valid(const char *s, size_t len);

/* ---- Import support (used by geo/import/) ------------------------------- */

struct geo_area_code {
        const char *code, *name, *full_name, *class15_code, *lg_code, *town_code, *split_of;
        bool used_warning, used_landslide, used_flood_forecast;
};
int geo_area_code_upsert(struct store *st, const struct geo_area_code *c);

struct geo_address_in {
        const char *code, *pref, *city, *lg_code, *town;
        double lon, lat;
        const char *version;
};
/* Upserts by code (the normalised key and base name are computed here). */
int geo_address_upsert(struct store *st, const struct geo_address_in *a);
/* Upserts a[0..n) by code in one batch, all or nothing (-EINVAL for any
 * bad row, and nothing of the batch is written); of two rows with one code
 * the later wins. */
int geo_addresses_upsert(struct store *st, const struct geo_address_in *a, size_t n);
/* The columns an address row derives from its text, the same on every
 * backend: the search key of the whole address, the key of its town, the
 * town's base name ("本町一丁目" → "本町") and its 丁目 number (-1 when
 * none).  -EINVAL for a missing field or text that is not UTF-8 or too
 * long. */
struct geo_address_keys {
        char key[700], town_key[300], base[256];
        int64_t chome;
};
int geo_address_keys(const struct geo_address_in *a, struct geo_address_keys *k);
/* Sets every address's district from the district polygons; *n (may be
 * NULL) counts the addresses inside one. */
int geo_addresses_assign_districts(struct store *st, size_t *n);
/* Counts of rows (for import reports and tests). */
int geo_count(struct store *st, const char *what, int64_t *n);

#endif
