/* The OGC API collections over the store: "stations" now; alerts,
 * shelters and hazard layers join here as the store gains them. */
#include "collections.h"
#include "json.h"
#include "ogc.h"
#include "portal.h"
#include "stationjson.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <stdlib.h>

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
        for (size_t i = 0; i < l.n; i++) {
                if (!station_matches(&l.v[i], q))
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
        char *end = NULL;
        long long v = strtoll(id, &end, 10);
        if (!*id || *end || v <= 0)
                return -ENOENT;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return -EAGAIN;
        struct store_latest_list l = {0};
        int rc = store_latest_get(st, v, time_now_ms() / 1000, &l);
        portal_store_release(app, st);
        if (rc == 0 && l.n == 0)
                rc = -ENOENT;
        if (rc == 0)
                station_feature(w, &l.v[0]);
        store_latest_list_free(&l);
        return rc;
}

int portal_collections_register(struct portal_app *app)
{
        static struct ogc_collection stations = {
            .id = "stations",
            .title = "観測所 (水位計・雨量計・カメラ・センサー)",
            .description = "Every station with its latest value, 警戒レベル and state. "
                           "出典: 国土交通省, 気象庁",
            .extent = {122.9, 20.4, 154.0, 45.6},
            .items = stations_items,
            .item = stations_item,
        };
        stations.ctx = app;
        return portal_app_add_collection(app, &stations);
}
