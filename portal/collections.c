/* The OGC API collections over the store: "stations", "alerts" (per area,
 * with the area's imported geometry, simplified; null without one),
 * "hazards" (the areas of the active hazard layers) and "shelters". */
#include "collections.h"
#include "areajson.h"
#include "json.h"
#include "ogc.h"
#include "portal.h"
#include "shelterjson.h"
#include "stationjson.h"
#include "store.h"
#include "store_places.h"
#include "store_sources.h"

#include <string.h>
#include "timeutil.h"

#include <errno.h>
#include <stdlib.h>

/* A numeric feature id, or 0 when id is not one. */
static long long feature_id(const char *id)
{
        char *end = NULL;
        long long v = strtoll(id, &end, 10);
        return *id && !*end && v > 0 ? v : 0;
}

static bool station_matches(const struct store_latest *s, const struct ogc_query *q)
{
        if (q->has_bbox && (s->lon < q->bbox[0] || s->lon > q->bbox[2] || s->lat < q->bbox[1] ||
                            s->lat > q->bbox[3]))
                return false;
        /* datetime filters on the time of the latest value. */
        if (q->has_datetime &&
            (s->observed_at == 0 || s->observed_at < q->t0 || s->observed_at > q->t1))
                return false;
        return true;
}

static int stations_items(void *ctx, const struct ogc_query *q, struct json_writer *w,
                          size_t *returned, bool *more, long *matched)
{
        struct portal_app *app = ctx;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_latest_list l = {0};
        int rc = store_latest_all(st, time_now_ms() / 1000, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        size_t seen = 0;
        *returned = 0;
        *more = false;
        int view = portal_app_public_view(app);
        for (size_t i = 0; i < l.n; i++) {
                if (!store_latest_visible(&l.v[i], view) || !station_matches(&l.v[i], q))
                        continue;
                if (seen++ < q->offset)
                        continue;
                if (*returned == q->limit) {
                        *more = true;
                        continue;
                }
                station_feature(w, &l.v[i]);
                (*returned)++;
        }
        *matched = (long)seen;
        store_latest_list_free(&l);
        return 0;
}

static int stations_item(void *ctx, const char *id, struct json_writer *w)
{
        struct portal_app *app = ctx;
        long long v = feature_id(id);
        if (v <= 0)
                return -ENOENT;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_latest_list l = {0};
        int rc = store_latest_get(st, v, time_now_ms() / 1000, &l);
        portal_store_release(app, st);
        if (rc == 0 && (l.n == 0 || !store_latest_visible(&l.v[0], portal_app_public_view(app))))
                rc = -ENOENT;
        if (rc == 0)
                station_feature(w, &l.v[0]);
        store_latest_list_free(&l);
        return rc;
}

static bool shelter_matches(const struct store_shelter *s, const struct ogc_query *q)
{
        return !q->has_bbox || (s->lon >= q->bbox[0] && s->lon <= q->bbox[2] &&
                                s->lat >= q->bbox[1] && s->lat <= q->bbox[3]);
}

static int shelters_items(void *ctx, const struct ogc_query *q, struct json_writer *w,
                          size_t *returned, bool *more, long *matched)
{
        struct portal_app *app = ctx;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_shelter_list l = {0};
        int rc = store_shelters_list(st, false, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        size_t seen = 0;
        *returned = 0;
        *more = false;
        for (size_t i = 0; i < l.n; i++) {
                /* Shelters have no time: datetime does not filter them. */
                if (!shelter_matches(&l.v[i], q))
                        continue;
                if (seen++ < q->offset)
                        continue;
                if (*returned == q->limit) {
                        *more = true;
                        continue;
                }
                shelter_feature(w, &l.v[i]);
                (*returned)++;
        }
        *matched = (long)seen;
        store_shelter_list_free(&l);
        return 0;
}

static int shelters_item(void *ctx, const char *id, struct json_writer *w)
{
        struct portal_app *app = ctx;
        long long v = feature_id(id);
        if (v <= 0)
                return -ENOENT;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_shelter_list l = {0};
        int rc = store_shelter_get(st, v, &l);
        portal_store_release(app, st);
        if (rc == 0 && l.n == 0)
                rc = -ENOENT;
        if (rc == 0)
                shelter_feature(w, &l.v[0]);
        store_shelter_list_free(&l);
        return rc;
}

/* Areas are drawn simplified to about 50 m: a city boundary as stored has
 * tens of thousands of vertices (1 MB of GeoJSON). */
#define AREA_SIMPLIFY_DEG 0.0005

/* An area's status as a Feature, with the area's geometry (imported with
 * `sonae import areas`), or null when none was imported. */
static void area_feature(struct json_writer *w, const struct store_area_status *a,
                         const char *geojson)
{
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Feature");
        json_key(w, "id");
        json_str(w, a->area_code);
        json_key(w, "geometry");
        if (geojson)
                json_raw(w, geojson);
        else
                json_null_value(w);
        json_key(w, "properties");
        area_status_json(w, a);
        json_obj_end(w);
}

/* Whether the area passes the query; *geojson (caller frees) gets its
 * geometry, NULL when it has none (then no bbox selects it). */
static bool area_matches(struct store *st, const struct store_area_status *a,
                         const struct ogc_query *q, char **geojson)
{
        double bb[4];
        *geojson = NULL;
        if (q->has_datetime && (a->updated_at < q->t0 || a->updated_at > q->t1))
                return false;
        if (store_area_geojson(st, a->area_code, AREA_SIMPLIFY_DEG, geojson, bb) < 0)
                return !q->has_bbox;
        if (q->has_bbox && (bb[2] < q->bbox[0] || bb[0] > q->bbox[2] || bb[3] < q->bbox[1] ||
                            bb[1] > q->bbox[3])) {
                free(*geojson);
                *geojson = NULL;
                return false;
        }
        return true;
}

static int alerts_items(void *ctx, const struct ogc_query *q, struct json_writer *w,
                        size_t *returned, bool *more, long *matched)
{
        struct portal_app *app = ctx;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_area_status_list l = {0};
        int rc = store_area_status_list(st, portal_app_public_view(app), &l);
        if (rc < 0) {
                portal_store_release(app, st);
                return rc;
        }
        size_t seen = 0;
        *returned = 0;
        *more = false;
        for (size_t i = 0; i < l.n; i++) {
                char *geojson = NULL;
                if (!area_matches(st, &l.v[i], q, &geojson))
                        continue;
                if (seen++ >= q->offset && *returned < q->limit) {
                        area_feature(w, &l.v[i], geojson);
                        (*returned)++;
                } else if (seen > q->offset) {
                        *more = true;
                }
                free(geojson);
        }
        portal_store_release(app, st);
        *matched = (long)seen;
        store_area_status_list_free(&l);
        return 0;
}

static int alerts_item(void *ctx, const char *id, struct json_writer *w)
{
        struct portal_app *app = ctx;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_area_status_list l = {0};
        int rc = store_area_status_list(st, portal_app_public_view(app), &l);
        if (rc < 0) {
                portal_store_release(app, st);
                return rc;
        }
        rc = -ENOENT;
        for (size_t i = 0; i < l.n; i++)
                if (strcmp(l.v[i].area_code, id) == 0) {
                        char *geojson = NULL;
                        if (store_area_geojson(st, id, AREA_SIMPLIFY_DEG, &geojson, NULL) < 0)
                                geojson = NULL;
                        area_feature(w, &l.v[i], geojson);
                        free(geojson);
                        rc = 0;
                        break;
                }
        portal_store_release(app, st);
        store_area_status_list_free(&l);
        return rc;
}

/* A hazard area (one class of an active hazard layer) as a Feature, its
 * geometry as the store wrote it. */
static void hazard_feature(struct json_writer *w, const struct store_hazard_area *a)
{
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Feature");
        json_key(w, "id");
        json_int(w, a->id);
        json_key(w, "geometry");
        json_raw(w, a->geojson);
        json_key(w, "properties");
        json_obj_begin(w);
        json_key(w, "layer");
        json_str(w, a->layer);
        json_key(w, "class");
        json_str(w, a->class_);
        json_key(w, "label_ja");
        json_str(w, a->label_ja);
        json_key(w, "hazard");
        json_str(w, a->hazard);
        json_key(w, "rank");
        json_int(w, a->rank);
        json_key(w, "title");
        json_str(w, a->title);
        json_key(w, "attribution");
        json_str(w, a->attribution);
        json_obj_end(w);
        json_obj_end(w);
}

/* Hazard areas have no time: datetime does not filter them.  The store
 * pages by itself (geometries are large); one more than the limit says
 * whether there is a next page, and the number matched is not counted. */
static int hazards_items(void *ctx, const struct ogc_query *q, struct json_writer *w,
                         size_t *returned, bool *more, long *matched)
{
        struct portal_app *app = ctx;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_hazard_area_list l = {0};
        int rc = store_hazard_areas(st, q->has_bbox ? q->bbox : NULL, q->offset, q->limit + 1, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        *returned = 0;
        *more = l.n > q->limit;
        for (size_t i = 0; i < l.n && i < q->limit; i++) {
                hazard_feature(w, &l.v[i]);
                (*returned)++;
        }
        *matched = -1;
        store_hazard_area_list_free(&l);
        return 0;
}

static int hazards_item(void *ctx, const char *id, struct json_writer *w)
{
        struct portal_app *app = ctx;
        long long v = feature_id(id);
        if (v <= 0)
                return -ENOENT;
        struct store *st = portal_store_acquire(app);
        struct store_hazard_area_list l = {0};
        int rc = st ? store_hazard_area_get(st, v, &l) : -EAGAIN;
        if (st)
                portal_store_release(app, st);
        if (rc == 0)
                hazard_feature(w, &l.v[0]);
        store_hazard_area_list_free(&l);
        return rc;
}

int portal_collections_register(struct portal_app *app)
{
        static struct ogc_collection alerts = {
            .id = "alerts",
            .title = "警報・注意報と避難情報 (地域ごと)",
            .description = "Per area what JMA has in force and the city's order. 出典: 気象庁",
            .extent = {122.9, 20.4, 154.0, 45.6},
            .items = alerts_items,
            .item = alerts_item,
        };
        static struct ogc_collection shelters = {
            .id = "shelters",
            .title = "指定緊急避難場所・指定避難所",
            .description = "Suitability per hazard, open/closed and occupancy. 出典: 国土地理院",
            .extent = {122.9, 20.4, 154.0, 45.6},
            .items = shelters_items,
            .item = shelters_item,
        };
        static struct ogc_collection stations = {
            .id = "stations",
            .title = "観測所 (水位計・雨量計・カメラ・センサー)",
            .description = "Every station with its latest value, 警戒レベル and state. "
                           "出典: 国土交通省, 気象庁",
            .extent = {122.9, 20.4, 154.0, 45.6},
            .items = stations_items,
            .item = stations_item,
        };
        static struct ogc_collection hazards = {
            .id = "hazards",
            .title = "ハザードマップの区域 (洪水浸水想定区域・土砂災害警戒区域など)",
            .description = "The areas of every active hazard layer: layer, class, label_ja, "
                           "hazard, rank. 出典: 国土数値情報（国土交通省）",
            .extent = {122.9, 20.4, 154.0, 45.6},
            .items = hazards_items,
            .item = hazards_item,
        };
        stations.ctx = app;
        shelters.ctx = app;
        alerts.ctx = app;
        hazards.ctx = app;
        int rc = portal_app_add_collection(app, &stations);
        if (rc == 0)
                rc = portal_app_add_collection(app, &alerts);
        if (rc == 0)
                rc = portal_app_add_collection(app, &hazards);
        return rc < 0 ? rc : portal_app_add_collection(app, &shelters);
}
