/* The parts of the geo lookups (geo.h) that belong to no backend: how an
 * answer is put together from what a backend's queries found, and the
 * search for the nearest shelters.  Internal to geo/: both backends call
 * them, so the answers are the same whichever store holds the data. */
#ifndef SONAE_GEO_RULES_H
#define SONAE_GEO_RULES_H

#include "geo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longitude and latitude finite and in range. */
bool geo_coords_ok(double lon, double lat);

/* Adds an area code to a->areas unless it is there (copied). */
int geo_answer_add_area(struct geo_hazard_answer *a, const char *code);

/* One split code of the answer's city (area_codes.split_of), and whether
 * a polygon of it is stored. */
struct geo_split {
        const char *code, *name;
        bool has_geom;
};
/* The 土砂災害 split rule when no split polygon covers the point: with one
 * split lacking a polygon the point lies in that one; else every split
 * counts, split_unresolved is set and note_ja says so.  At most 8 splits
 * are read. */
int geo_answer_splits(struct geo_hazard_answer *a, const struct geo_split *s, size_t n);

/* A hazard layer's class at the point: the worst (highest rank) per layer
 * is kept.  Strings are copied. */
struct geo_hit_in {
        const char *layer, *version, *title, *hazard, *class_, *label_ja;
        int rank;
};
int geo_answer_hit(struct geo_hazard_answer *a, const struct geo_hit_in *h);
/* Orders the hits by layer name (byte order), for stable answers. */
void geo_answer_sort_hits(struct geo_hazard_answer *a);
/* Raises *level to lv (1-5) when higher; *exercise is set when a drill's
 * level is taken. */
void geo_take_level(int *level, bool *exercise, int lv, bool ex);

/* The steps of geo_hazard_at(), each filling its part of the answer. */
struct geo_hazard_ops {
        int (*areas)(void *ctx, double lon, double lat, struct geo_hazard_answer *a);
        int (*district)(void *ctx, double lon, double lat, struct geo_hazard_answer *a);
        int (*layers)(void *ctx, double lon, double lat, struct geo_hazard_answer *a);
        int (*levels)(void *ctx, int view, struct geo_hazard_answer *a);
};
/* geo_hazard_at() over a backend's steps: the checks, the steps in turn,
 * the answer freed on failure. */
int geo_hazard_at_run(double lon, double lat, int view, const struct geo_hazard_ops *ops, void *ctx,
                      struct geo_hazard_answer *out);

/* ---- shelters_near ------------------------------------------------------ */

/* Hands one candidate shelter to the search. */
typedef int (*geo_near_push_fn)(void *push_ctx, int64_t id, double lon, double lat, bool open);
struct geo_near_ops {
        /* Every suitable 指定緊急避難場所 whose point lies in the box. */
        int (*box)(void *ctx, double lon0, double lat0, double lon1, double lat1,
                   geo_near_push_fn push, void *push_ctx);
        /* Every suitable one that is open, wherever it is. */
        int (*open)(void *ctx, geo_near_push_fn push, void *push_ctx);
        /* The hit's fields other than id, distance_m and bearing_deg. */
        int (*fill)(void *ctx, int64_t id, struct geo_shelter_hit *h);
};
/* The search's boxes: the first of radius GEO_NEAR_R0_M, each next one
 * of twice the radius; box is lon0, lat0, lon1, lat1 of the one of
 * radius r_m around the point (a backend may fetch the first few at once). */
#define GEO_NEAR_R0_M 1000.0
void geo_near_box(double lon, double lat, double r_m, double box[4]);
/* The search of geo_shelters_near() (arguments checked by the caller):
 * distances and bearings on the GRS80 ellipsoid (geographiclib). */
int geo_near_run(double lon, double lat, size_t n, const struct geo_near_ops *ops, void *ctx,
                 struct geo_shelter_list *out);

/* ---- Addresses ----------------------------------------------------------- */

/* The search of geo_address_search() (arguments checked here): search
 * runs one normalised key, filling out; it is tried with the whole text,
 * then as a 町丁目 ("本町1-2-3" → "本町1丁目"), then cut at the first digit. */
int geo_address_search_run(const char *text, size_t limit,
                           int (*search)(void *ctx, const char *key, size_t limit,
                                         struct geo_address_list *out),
                           void *ctx, struct geo_address_list *out);
/* The label of an address row ("山形県鶴岡市本町一丁目"), from its pref,
 * city and town, malloc'd into a->label. */
int geo_address_label(struct geo_address *a);
/* Code points in a UTF-8 string. */
size_t geo_utf8_chars(const char *s);

#endif
