/* The store's camera additions: the camera-gauge link (migration 0003),
 * read back through a plain SQLite connection and resolved once the gauge
 * exists; and the camera state with its events. */
#include "check.h"
#include "store_sources.h"
#include "storetest.h"

#include <errno.h>
#include <stdint.h>

int main(void)
{
        char path[256];
        storetest_path("camera.db", path, sizeof(path));
        struct store *st = storetest_open(path);
        struct store_station cam = {
            .kind = "camera",
            .source = "cam-uchikawa",
            .external_id = "1",
            .name = "内川 大宝寺橋",
            .lon = 139.827,
            .lat = 38.727,
            .thr = {NAN, NAN, NAN, NAN, NAN, NAN},
            .expected_interval_s = 600,
        };
        int64_t cam_id = 0, gauge_id = 0, got = 0;
        CHECK_INT(store_station_upsert(st, &cam, &cam_id), 0);

        /* Linked before the gauge exists: kept, not resolved yet. */
        CHECK_INT(store_camera_link_gauge(st, cam_id, "kriver-yamagata", "0620300"), 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM camera_gauges WHERE gauge_source = "
                                          "'kriver-yamagata' AND gauge_external_id = '0620300'"),
                  1);
        CHECK_INT(store_camera_gauge(st, cam_id, &got), -ENOENT);

        struct store_station g = {
            .kind = "gauge",
            .source = "kriver-yamagata",
            .external_id = "0620300",
            .name = "内川",
            .lon = 139.82,
            .lat = 38.73,
            .thr = {NAN, NAN, NAN, NAN, NAN, NAN},
            .expected_interval_s = 600,
        };
        CHECK_INT(store_station_upsert(st, &g, &gauge_id), 0);
        CHECK_INT(store_camera_gauge(st, cam_id, &got), 0);
        CHECK(got == gauge_id && got != cam_id);

        /* Relinked, then unlinked. */
        CHECK_INT(store_camera_link_gauge(st, cam_id, "kawabou", "2132000400008"), 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM camera_gauges"), 1);
        CHECK_INT(store_camera_gauge(st, cam_id, &got), -ENOENT);
        CHECK_INT(store_camera_link_gauge(st, cam_id, NULL, NULL), 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM camera_gauges"), 0);

        /* Only cameras have links; an overlong id breaks the constraint. */
        CHECK_INT(store_camera_link_gauge(st, gauge_id, "a", "b"), -EINVAL);
        CHECK_INT(store_camera_link_gauge(st, 99999, "a", "b"), -EINVAL);
        char longid[200];
        memset(longid, '9', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        CHECK_INT(store_camera_link_gauge(st, cam_id, "a", longid), -EINVAL);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM camera_gauges"), 0);

        /* frozen is a camera state; each change is one camera.state event. */
        const char *state = NULL;
        CHECK_INT(store_camera_get_state(st, cam_id, &state), 0);
        CHECK_STR(state, "unknown");
        CHECK_INT(store_camera_set_state(st, cam_id, "frozen"), 0);
        CHECK_INT(store_camera_set_state(st, cam_id, "frozen"), 0);
        CHECK_INT(store_camera_get_state(st, cam_id, &state), 0);
        CHECK_STR(state, "frozen");
        CHECK_INT(store_camera_set_state(st, cam_id, "asleep"), -EINVAL);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events WHERE type = 'camera.state' "
                                          "AND data LIKE '%\"to\":\"frozen\"%'"),
                  1);

        /* A picture vouches for the camera station; without a new one the
         * store's own rule makes it stale after expected_interval x grace,
         * whatever the source does (the daemons' tick writes it). */
        int64_t t0 = 1700000000;
        CHECK_INT(store_station_set_state(st, cam_id, STATE_OK, t0), 0);
        struct store_latest_list ll = {0};
        CHECK_INT(store_latest_get(st, cam_id, t0 + 600, &ll), 0);
        CHECK(ll.n == 1 && ll.v[0].state == STATE_OK);
        store_latest_list_free(&ll);
        CHECK_INT(store_latest_get(st, cam_id, t0 + 600 * 3 + 1, &ll), 0);
        CHECK(ll.n == 1 && ll.v[0].state == STATE_STALE);
        store_latest_list_free(&ll);
        store_close(st);
        storetest_cleanup();
        return check_done("geo-store-camera");
}
