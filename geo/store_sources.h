/* The store: what the collectors write besides observations — source
 * health, raw documents, JMA alerts and what is in force per area, areas,
 * camera images.  Conventions (errors, times, ownership) as in store.h:
 * inputs are borrowed for the call, output lists own their rows and
 * strings and are freed with their _free function (NULL accepted). */
#ifndef SONAE_STORE_SOURCES_H
#define SONAE_STORE_SOURCES_H

#include "store.h"

/* ---- Source health ----------------------------------------------------- */

/* state: "ok" | "degraded" | "failing" | "unknown".  Records the source's
 * health (last_ok_at when ok, last error otherwise) and emits
 * `source.health` (public = 0; exercise for a drill's source, so it reaches
 * only exercise channels) when the state changes.  error may be NULL; it is
 * a short reason, never a feed body. */
int store_source_health_set(struct store *st, const char *name, const char *state,
                            const char *error, bool exercise);

struct store_source_status {
        const char *name, *state, *last_error;
        int64_t last_ok_at, last_error_at, updated_at; /* 0 when never */
        bool exercise; /* a running drill's own source (its stations', or drill-jma) */
};
struct store_source_status_list {
        struct store_source_status *v;
        size_t n;
};
int store_source_status_list(struct store *st, struct store_source_status_list *out);
void store_source_status_list_free(struct store_source_status_list *l);

/* ---- Raw documents ----------------------------------------------------- */

/* Stores a fetched document unless the same URL with the same content
 * (SHA-256, computed here) is already stored.  *id gets the row's id and
 * *is_new (may be NULL) whether it was added. */
int store_raw_document_put(struct store *st, const char *source, const char *url,
                           const char *content_type, const void *body, size_t len,
                           int64_t fetched_at, int64_t *id, bool *is_new);
/* Whether any document was stored for url (collectors never fetch a JMA
 * URL twice): 0 and *id, or -ENOENT. */
int store_raw_document_find(struct store *st, const char *url, int64_t *id);
/* The body of a document; *body (caller frees) and *len. */
int store_raw_document_body(struct store *st, int64_t id, void **body, size_t *len);

/* ---- JMA alerts -------------------------------------------------------- */

/* One normalised alert: a kind (警報・注意報 code and name) for one area
 * from one telegram. */
struct store_alert {
        int64_t id;                   /* set by the store */
        int64_t document_id;          /* raw_documents id, or 0 */
        const char *office;           /* EditorialOffice: "山形地方気象台" */
        const char *title;            /* "山形県気象警報・注意報" */
        const char *info_type;        /* 発表 | 訂正 | 取消 */
        const char *report_status;    /* 通常 | 訓練 | 試験 (Control/Status) */
        const char *event_id;         /* may be NULL */
        int serial;                   /* -1 when none */
        int64_t report_at;            /* Head/ReportDateTime */
        const char *area_code;        /* 7 digits: "0620300" */
        const char *area_name;        /* "鶴岡市" */
        const char *kind_code;        /* "03" (大雨警報), ... */
        const char *kind_name;        /* "大雨警報" */
        const char *status;           /* 発表 | 継続 | 解除 | 特別警報から警報 ... */
        int level;                    /* 警戒レベル or LEVEL_NONE */
        int64_t valid_from, valid_to; /* 0 when none */
};

/* Adds an alert to the history; idempotent on (document, area, kind): a
 * repeat returns the existing id.  exercise follows report_status 訓練. */
int store_alert_add(struct store *st, const struct store_alert *a, int64_t *id);

struct store_alert_list {
        struct store_alert *v;
        size_t n;
};
/* History for one area (NULL: all), report_at in [from, to), newest first,
 * at most limit (0: 1000). */
int store_alerts_list(struct store *st, const char *area_code, int64_t from, int64_t to,
                      size_t limit, struct store_alert_list *out);
void store_alert_list_free(struct store_alert_list *l);

/* A kind in force in an area (CONTRACTS.md area status `kinds`). */
struct store_area_kind {
        const char *code, *name, *status;
        int level;
        int64_t issued_at;
        int64_t alert_id; /* 0 when none */
};

/* Replaces what JMA has in force in one area (real data, or drill data
 * when exercise) by kinds[0..n), computed by the JMA collector.  When the
 * set differs, emits `alert.changed`; when the area's level (the highest
 * of its kinds) changes, `area.level`. */
int store_area_set_in_force(struct store *st, const char *area_code, const char *area_name,
                            bool exercise, const struct store_area_kind *kinds, size_t n);

/* The city's order in force in an area (CONTRACTS.md `order`). */
struct store_area_order {
        int64_t id; /* 0 when no order is in force */
        int level;
        const char *name_ja; /* static: 高齢者等避難 | 避難指示 | 緊急安全確保 */
        int64_t issued_at;
        int64_t district_id; /* 0: for the whole area; else the district it names */
};

struct store_area_status {
        const char *area_code, *area_name;
        int level; /* LEVEL_NONE when nothing is in force */
        bool exercise;
        struct store_area_kind *kinds;
        size_t n_kinds;
        struct store_area_order order; /* the highest in force anywhere in the area */
        /* Every order in force in the area, highest first (order is the
         * first): a resident's page keeps those of the area as a whole and
         * of the home's own district, never another district's. */
        struct store_area_order *orders;
        size_t n_orders;
        int64_t updated_at;
};
struct store_area_status_list {
        struct store_area_status *v;
        size_t n;
};
/* Which drill data (rows marked exercise) a reader sees beside the real
 * ones: none, all of them (staff in drill or demo mode), or, on public
 * endpoints, only those of areas named by a running --public drill (the
 * store's view public_drill_areas; every exercise row when the store is
 * opened with all_exercise, the demo's). */
enum store_exercise_view {
        STORE_VIEW_REAL = 0,
        STORE_VIEW_ALL = 1,
        STORE_VIEW_PUBLIC = 2,
};
/* Status of every area that has a status row or an order in force; real
 * data, and the drill rows that view admits (drill rows are marked exercise
 * and never merged into real ones). */
int store_area_status_list(struct store *st, int view, struct store_area_status_list *out);
void store_area_status_list_free(struct store_area_status_list *l);

/* ---- Areas ------------------------------------------------------------- */

struct store_area {
        const char *code; /* 7-digit JMA code */
        const char *name;
        const char *kind;         /* pref | region | city | city_split */
        const char *parent_code;  /* may be NULL */
        const char *lg_code;      /* 全国地方公共団体コード (6 digits), may be NULL */
        const char *town_code;    /* k.river townCode (5 digits), may be NULL */
        const unsigned char *wkb; /* polygon or multipolygon, EPSG:6668; may be NULL */
        size_t wkb_len;
        const char *wkt; /* alternative to wkb */
};
int store_area_upsert(struct store *st, const struct store_area *a);
/* Name of an area by code; *name (caller frees). */
int store_area_name(struct store *st, const char *code, char **name);
/* One ring of an area's polygon: lon,lat pairs (EPSG:6668), closed as
 * stored (the last point repeats the first). */
struct store_ring {
        double *lonlat; /* owned by the list: 2 * n doubles */
        size_t n;       /* points */
};
struct store_area_rings {
        struct store_ring *v;
        size_t n;
};
/* The outer ring of every polygon of an area's geometry (holes are left
 * out: CAP, the reader this is for, has none), largest polygon first, at
 * most max_points points in all (0: no limit; -EFBIG past it).  -ENOENT
 * for an unknown code or an area without geometry. */
int store_area_rings(struct store *st, const char *code, size_t max_points,
                     struct store_area_rings *out);
void store_area_rings_free(struct store_area_rings *r);
/* A district's (地区・学校区) outer rings as store_area_rings, with its
 * name and the JMA code of the area it lies in (*name, *area_code: caller
 * frees; *area_code NULL when none).  A district without geometry gives
 * no rings and 0; an unknown id is -ENOENT. */
int store_district_rings(struct store *st, int64_t district_id, size_t max_points,
                         struct store_area_rings *out, char **name, char **area_code);
/* An area's whole geometry (holes kept) as GeoJSON text, simplified with
 * tol degrees (0: as stored; topology preserved), coordinates to 6
 * decimals; bbox (may be NULL) gets minlon, minlat, maxlon, maxlat.
 * *geojson (caller frees).  -ENOENT for an unknown code or an area without
 * geometry. */
int store_area_geojson(struct store *st, const char *code, double tol, char **geojson,
                       double bbox[4]);
/* The areas of kind city or city_split that have a geometry, simplified by
 * tolerance (degrees; 0 keeps it as stored), as GeoJSON for maps.  The
 * list owns its strings (store_area_shape_list_free). */
struct store_area_shape {
        const char *code, *name, *kind;
        char *geojson;
};
struct store_area_shape_list {
        struct store_area_shape *v;
        size_t n;
};
int store_area_shapes(struct store *st, double tolerance, struct store_area_shape_list *out);
void store_area_shape_list_free(struct store_area_shape_list *l);

/* ---- Camera images ----------------------------------------------------- */

struct store_camera_image {
        int64_t id;
        int64_t station_id; /* a station of kind camera */
        int64_t captured_at, fetched_at;
        const char *path;       /* relative to [data] dir */
        const char *thumb_path; /* may be NULL */
        int64_t bytes;
        int width, height;
        const char *sha256; /* 64 lowercase hex digits */
};
/* Adds an image and emits `camera.image`; idempotent on (station,
 * captured_at). */
int store_camera_image_add(struct store *st, const struct store_camera_image *img, int64_t *id);
struct store_camera_image_list {
        struct store_camera_image *v;
        size_t n;
};
/* Images of a camera, newest first, captured_at in [from, to), at most
 * limit (0: 1000). */
int store_camera_images_list(struct store *st, int64_t station_id, int64_t from, int64_t to,
                             size_t limit, struct store_camera_image_list *out);
/* One image of a camera by its id: out holds one row, or -ENOENT (also
 * when the image belongs to another station). */
int store_camera_image_get(struct store *st, int64_t station_id, int64_t image_id,
                           struct store_camera_image_list *out);
/* Removes the rows of images captured before `before` and hands their
 * paths to the caller to delete (out lists what was removed). */
int store_camera_images_prune(struct store *st, int64_t station_id, int64_t before,
                              struct store_camera_image_list *out);
void store_camera_image_list_free(struct store_camera_image_list *l);
/* state: "ok" | "stale" | "frozen" | "unknown"; emits `camera.state` on
 * change. */
int store_camera_set_state(struct store *st, int64_t station_id, const char *state);
/* Current state; "unknown" when never set.  *state is static. */
int store_camera_get_state(struct store *st, int64_t station_id, const char **state);
/* Links a camera to the gauge it looks at, named by the gauge's source and
 * external id (the gauge need not be in the store yet); gauge_source NULL
 * removes the link.  -EINVAL when camera_id is not a camera. */
int store_camera_link_gauge(struct store *st, int64_t camera_id, const char *gauge_source,
                            const char *gauge_external_id);
/* The station id of the gauge linked to a camera: -ENOENT when there is no
 * link or the gauge is not in the store (yet). */
int store_camera_gauge(struct store *st, int64_t camera_id, int64_t *gauge_id);

/* ---- JMA telegram ledger ------------------------------------------------ */

/* One telegram URL the JMA collector decided to fetch (docs/sources/jma.md):
 * state "pending" (not fetched yet, or failed fewer than the allowed
 * times), "done" (fetched once, valid; never fetched again), "lost" (given
 * up after repeated failures), "gone" (the server answered 404) or
 * "refused" (a complete answer that is not a valid telegram).  The series
 * fields are set for done telegrams. */
struct store_jma_telegram {
        const char *url;    /* the feed entry's link/@href */
        const char *feed;   /* "extra", "eqvol", ... */
        const char *title;  /* entry title = Control/Title */
        const char *office; /* entry author, then Control/EditorialOffice */
        const char *state;
        int attempts;
        const char *last_error;            /* may be NULL */
        int64_t first_seen_at, updated_at; /* updated_at: set by the store */
        int64_t document_id;               /* raw_documents id, 0 when none */
        const char *report_status;         /* 通常 | 訓練 | 試験, NULL before done */
        const char *info_type;             /* 発表 | 訂正 | 取消 */
        const char *event_id;              /* NULL when none */
        int serial;                        /* -1 when none */
        int64_t datetime;                  /* Control/DateTime, 0 before done */
};
struct store_jma_telegram_list {
        struct store_jma_telegram *v;
        size_t n;
};
/* Inserts or replaces the row of t->url (first_seen_at of an existing row
 * is kept). */
int store_jma_telegram_put(struct store *st, const struct store_jma_telegram *t);
/* The row of url in out (one row), or -ENOENT. */
int store_jma_telegram_get(struct store *st, const char *url, struct store_jma_telegram_list *out);
/* Every done telegram with datetime >= since, ordered by office, title,
 * report_status, event_id, datetime, serial: the series the in-force
 * computation walks. */
int store_jma_telegrams_done(struct store *st, int64_t since, struct store_jma_telegram_list *out);
/* How many rows are in each state ("pending", "done", ...): *n of state. */
int store_jma_telegrams_count(struct store *st, const char *state, int64_t *n);
void store_jma_telegram_list_free(struct store_jma_telegram_list *l);

#endif
