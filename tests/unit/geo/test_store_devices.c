/* The entities sonae-ingestd and the collectors' health need, on every
 * backend: source health, raw documents (deduplicated by URL and hash,
 * bodies byte for byte), the JMA telegram ledger, devices, calibration history, raw readings
 * (idempotent on device, epoch, seq; batched), sequence gaps, and the
 * events written with them.  Registered as geo-store-devices-spatialite
 * and geo-store-devices-postgis. */
#include "check.h"
#include "store_devices.h"
#include "store_sources.h"
#include "storetest.h"

#include <errno.h>

static const char *db;

static long long sql_int(const char *sql)
{
        return storetest_sql_int(db, sql);
}

static long long events_of(const char *type)
{
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE type = '%s'", type);
        return sql_int(sql);
}

static void test_source_health(struct store *st)
{
        /* Source health: an event on each change of state only. */
        long long e0 = events_of("source.health");
        CHECK_INT(store_source_health_set(st, "jma", "ok", NULL, false), 0);
        CHECK_INT(store_source_health_set(st, "jma", "ok", NULL, false), 0);
        CHECK_INT(store_source_health_set(st, "jma", "failing", "HTTP 500", false), 0);
        CHECK_INT(store_source_health_set(st, "jma", "sleepy", NULL, false), -EINVAL);
        CHECK_INT(events_of("source.health"), e0 + 2);
        struct store_source_status_list sl;
        CHECK_INT(store_source_status_list(st, &sl), 0);
        CHECK_INT(sl.n, 1);
        if (sl.n) {
                CHECK_STR(sl.v[0].state, "failing");
                CHECK_STR(sl.v[0].last_error, "HTTP 500");
                CHECK(sl.v[0].last_ok_at > 0);
        }
        store_source_status_list_free(&sl);

        /* The event's data names the change, in the same transaction. */
        CHECK_INT(sql_int("SELECT count(*) FROM events WHERE type = 'source.health' AND "
                          "json_extract(data, '$.error') IS NOT NULL AND public = 0"),
                  1);
        /* A drill's source tells its health as exercise events; the real
         * source's stay real. */
        CHECK_INT(store_source_health_set(st, "drill-jma", "degraded", "GET: timeout", true), 0);
        CHECK_INT(sql_int("SELECT count(*) FROM events WHERE type = 'source.health' AND "
                          "subject = 'sources/drill-jma' AND exercise = 1 AND public = 0"),
                  1);
        CHECK_INT(sql_int("SELECT count(*) FROM events WHERE type = 'source.health' AND "
                          "subject = 'sources/jma' AND exercise = 0"),
                  2);
        /* The list tells the drill's sources from the real ones. */
        CHECK_INT(store_source_status_list(st, &sl), 0);
        CHECK_INT(sl.n, 2);
        for (size_t i = 0; i < sl.n; i++)
                CHECK_INT(sl.v[i].exercise, strcmp(sl.v[i].name, "drill-jma") == 0);
        store_source_status_list_free(&sl);
}

static void test_raw_documents(struct store *st)
{
        /* Raw documents: deduplicated by URL and hash. */
        const char *url = "https://www.data.jma.go.jp/developer/xml/data/x.xml";
        int64_t d1 = 0, d2 = 0, d3 = 0;
        bool is_new = false;
        CHECK_INT(store_raw_document_put(st, "jma", url, "application/xml", "<a/>", 4, 1000, &d1,
                                         &is_new),
                  0);
        CHECK(is_new);
        CHECK_INT(store_raw_document_put(st, "jma", url, "application/xml", "<a/>", 4, 2000, &d2,
                                         &is_new),
                  0);
        CHECK(!is_new);
        CHECK_INT(d2, d1);
        CHECK_INT(store_raw_document_put(st, "jma", url, "application/xml", "<b/>", 4, 3000, &d3,
                                         &is_new),
                  0);
        CHECK(is_new && d3 != d1);
        int64_t found = 0;
        CHECK_INT(store_raw_document_find(st, url, &found), 0);
        CHECK_INT(found, d1);
        CHECK_INT(store_raw_document_find(st, "https://example.invalid/none", &found), -ENOENT);
        void *body = NULL;
        size_t len = 0;
        CHECK_INT(store_raw_document_body(st, d3, &body, &len), 0);
        CHECK_INT(len, 4);
        CHECK(body && memcmp(body, "<b/>", 4) == 0);
        free(body);
        CHECK_INT(sql_int("SELECT count(*) FROM raw_documents WHERE sha256 = "
                          "'0b9d4f0fa1f8b9b8d0b1bd4a8f1f5e8fa26cfe4b4bb4f0b4e6fe7ee3a6e1b5c1'"),
                  0); /* not a made-up hash */
        CHECK_INT(store_raw_document_put(st, "jma", "", NULL, "x", 1, 1000, NULL, NULL), -EINVAL);

        /* A binary body with NUL bytes and every byte value comes back
         * the same. */
        unsigned char bin[256];
        for (int i = 0; i < 256; i++)
                bin[i] = (unsigned char)i;
        int64_t d4 = 0;
        CHECK_INT(store_raw_document_put(st, "camera", "https://x/c.jpg", "image/jpeg", bin,
                                         sizeof(bin), 4000, &d4, &is_new),
                  0);
        CHECK(is_new);
        CHECK_INT(store_raw_document_body(st, d4, &body, &len), 0);
        CHECK_INT(len, sizeof(bin));
        CHECK(body && memcmp(body, bin, sizeof(bin)) == 0);
        free(body);
        CHECK_INT(store_raw_document_body(st, d4 + 1000, &body, &len), -ENOENT);
        CHECK_INT(sql_int("SELECT count(*) FROM raw_documents WHERE bytes = 256 AND sha256 = "
                          "'40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880'"),
                  1); /* SHA-256 of the bytes 0..255 */
}

/* The JMA collector's ledger: one row per telegram URL, first_seen_at
 * kept, done only with its document and time, the done list in one
 * order on both backends (text compared byte by byte). */
static void test_jma_telegrams(struct store *st)
{
        int64_t doc = 0;
        CHECK_INT(store_raw_document_put(st, "jma", "https://x/t1.xml", "application/xml", "<t/>",
                                         4, 1000, &doc, NULL),
                  0);
        struct store_jma_telegram t = {0};
        t.url = "https://x/t1.xml";
        t.feed = "extra";
        t.title = "気象警報・注意報（Ｈ２７）";
        t.office = "山形地方気象台";
        t.state = "pending";
        t.first_seen_at = 5000;
        t.serial = -1;
        CHECK_INT(store_jma_telegram_put(st, &t), 0);
        t.state = "done"; /* done without its document: refused */
        CHECK_INT(store_jma_telegram_put(st, &t), -EINVAL);
        t.document_id = doc;
        t.datetime = 1721900000;
        t.report_status = "通常";
        t.info_type = "発表";
        t.event_id = "20240725093000";
        t.serial = 2;
        t.attempts = 1;
        t.first_seen_at = 9999; /* an existing row keeps its own */
        CHECK_INT(store_jma_telegram_put(st, &t), 0);
        struct store_jma_telegram_list l;
        CHECK_INT(store_jma_telegram_get(st, "https://x/t1.xml", &l), 0);
        CHECK_INT(l.n, 1);
        if (l.n) {
                CHECK_STR(l.v[0].state, "done");
                CHECK_INT(l.v[0].first_seen_at, 5000);
                CHECK_INT(l.v[0].serial, 2);
                CHECK_INT(l.v[0].document_id, doc);
                CHECK_STR(l.v[0].report_status, "通常");
                CHECK(l.v[0].last_error == NULL);
        }
        store_jma_telegram_list_free(&l);
        CHECK_INT(store_jma_telegram_get(st, "https://x/none.xml", &l), -ENOENT);
        /* Two more done telegrams: offices and titles sort by their bytes. */
        const char *offices[] = {"気象庁", "仙台管区気象台"};
        const char *urls[] = {"https://x/t2.xml", "https://x/t3.xml"};
        for (int i = 0; i < 2; i++) {
                t.url = urls[i];
                t.office = offices[i];
                t.serial = -1; /* none */
                CHECK_INT(store_jma_telegram_put(st, &t), 0);
        }
        t.url = "https://x/t4.xml";
        t.state = "lost";
        t.last_error = "HTTP 503";
        CHECK_INT(store_jma_telegram_put(st, &t), 0);
        t.state = "sleeping";
        CHECK_INT(store_jma_telegram_put(st, &t), -EINVAL);
        CHECK_INT(store_jma_telegrams_done(st, 1721900000, &l), 0);
        CHECK_INT(l.n, 3);
        for (size_t i = 1; i < l.n; i++)
                CHECK(strcmp(l.v[i - 1].office, l.v[i].office) <= 0);
        if (l.n == 3)
                CHECK_INT(l.v[0].serial, -1);
        store_jma_telegram_list_free(&l);
        CHECK_INT(store_jma_telegrams_done(st, 1721900001, &l), 0);
        CHECK_INT(l.n, 0);
        store_jma_telegram_list_free(&l);
        int64_t n = 0;
        CHECK_INT(store_jma_telegrams_count(st, "done", &n), 0);
        CHECK_INT(n, 3);
        CHECK_INT(store_jma_telegrams_count(st, "lost", &n), 0);
        CHECK_INT(n, 1);
        CHECK_INT(store_jma_telegrams_count(st, "bogus", &n), -EINVAL);
}

static void test_devices(struct store *st)
{
        struct store_station s = storetest_gauge("node-1", "内川 センサ");
        s.kind = "sensor";
        s.source = "sensors";
        int64_t sid = 0, did = 0;
        CHECK_INT(store_station_upsert(st, &s, &sid), 0);
        struct store_device d = {0};
        d.device = "tsuruoka-001";
        d.station_id = sid;
        d.secret_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
        d.enabled = true;
        CHECK_INT(store_device_add(st, &d, &did), 0);
        CHECK_INT(store_device_add(st, &d, NULL), -EEXIST);
        d.device = "bad/topic";
        CHECK_INT(store_device_add(st, &d, NULL), -EINVAL); /* not an MQTT-safe id */
        d.device = "tsuruoka-001";
        d.enabled = false;
        CHECK_INT(store_device_update(st, &d), 0);
        struct store_device got;
        CHECK_INT(store_device_get(st, "tsuruoka-001", &got), 0);
        CHECK_INT(got.id, did);
        CHECK(!got.enabled);
        CHECK_STR(got.health, "unknown");
        store_device_free(&got);
        CHECK_INT(store_device_get(st, "nobody", &got), -ENOENT);

        long long e0 = events_of("device.health");
        CHECK_INT(store_device_health_set(st, did, "online", 1721890000, "1.2.0", 3.7, -71), 0);
        CHECK_INT(store_device_health_set(st, did, "online", 1721890600, NULL, NAN, NAN), 0);
        CHECK_INT(store_device_health_set(st, did, "offline", 0, NULL, NAN, NAN), 0);
        CHECK_INT(events_of("device.health"), e0 + 2);
        /* A new battery or signal reading is told; the same one again is not. */
        CHECK_INT(store_device_health_set(st, did, "offline", 0, NULL, 3.6, NAN), 0);
        CHECK_INT(events_of("device.health"), e0 + 3);
        CHECK_INT(store_device_health_set(st, did, "offline", 0, NULL, 3.6, NAN), 0);
        CHECK_INT(events_of("device.health"), e0 + 3);
        CHECK_INT(store_device_health_set(st, did, "offline", 0, NULL, 3.7, -71), 0);
        CHECK_INT(events_of("device.health"), e0 + 4);
        CHECK_INT(
            sql_int("SELECT count(*) FROM events WHERE type = 'device.health' AND public = 1"), 0);
        struct store_device_list dl;
        CHECK_INT(store_devices_list(st, &dl), 0);
        CHECK_INT(dl.n, 1);
        if (dl.n) {
                CHECK_STR(dl.v[0].fw, "1.2.0");
                CHECK_NEAR(dl.v[0].batt_v, 3.7, 1e-9);
                CHECK_INT(dl.v[0].last_seen_at, 1721890600);
        }
        store_device_list_free(&dl);

        /* Calibration versions: the one in force at a reading's time. */
        struct store_calibration c1 = {1721800000, 5.20, NAN, "設置時"};
        struct store_calibration c2 = {1721880000, 5.35, 1.10, "量水標で補正"};
        CHECK_INT(store_calibration_add(st, did, &c1), 0);
        CHECK_INT(store_calibration_add(st, did, &c2), 0);
        CHECK_INT(store_calibration_add(st, did, &c2), -EEXIST);
        struct store_calibration at;
        CHECK_INT(store_calibration_at(st, did, 1721850000, &at), 0);
        CHECK_NEAR(at.mount_height_m, 5.20, 1e-9);
        free((char *)at.note);
        CHECK_INT(store_calibration_at(st, did, 1721890000, &at), 0);
        CHECK_NEAR(at.mount_height_m, 5.35, 1e-9);
        CHECK_NEAR(at.reference_level_m, 1.10, 1e-9);
        free((char *)at.note);
        CHECK_INT(store_calibration_at(st, did, 1000, &at), -ENOENT);

        /* Readings: idempotent on (device, epoch, seq); a new epoch after
         * a reflash never collides. */
        struct store_reading r[3];
        for (int i = 0; i < 3; i++)
                r[i] = (struct store_reading){did,
                                              1,
                                              (int64_t)i,
                                              1721890000 + i * 600,
                                              1721890001 + i * 600,
                                              4.1,
                                              1.25,
                                              21.5,
                                              3.7,
                                              -70,
                                              0};
        struct store_obs_result res;
        CHECK_INT(store_readings_add(st, r, 3, &res), 0);
        CHECK_INT(res.inserted, 3);
        CHECK_INT(store_readings_add(st, r, 3, &res), 0);
        CHECK_INT(res.duplicates, 3);
        r[0].epoch = 2; /* reflashed: seq restarts at 0 */
        CHECK_INT(store_readings_add(st, r, 1, &res), 0);
        CHECK_INT(res.inserted, 1);
        int64_t ep = 0, seq = 0, cnt = 0;
        CHECK_INT(store_readings_last(st, did, &ep, &seq), 0);
        CHECK_INT(ep, 2);
        CHECK_INT(seq, 0);
        CHECK_INT(store_readings_count(st, did, &cnt), 0);
        CHECK_INT(cnt, 4);
        r[1].seq = -1;
        CHECK_INT(store_readings_add(st, r, 2, &res), -EINVAL);
        r[1].seq = 7;
        r[1].device_id = did + 100;
        CHECK_INT(store_readings_add(st, r, 2, &res), -EINVAL); /* unknown device */
        CHECK_INT(sql_int("SELECT count(*) FROM readings"), 4);

        int64_t gap = 0, gap2 = 0;
        CHECK_INT(store_gap_open(st, did, 1, 3, 9, &gap), 0);
        CHECK_INT(store_gap_open(st, did, 1, 3, 9, &gap2), 0);
        CHECK_INT(gap, gap2);
        CHECK_INT(store_gap_open(st, did, 1, 20, 10, NULL), -EINVAL); /* to < from */
        struct store_gap_list gl;
        CHECK_INT(store_gaps_open_list(st, 0, &gl), 0);
        CHECK_INT(gl.n, 1);
        store_gap_list_free(&gl);
        CHECK_INT(store_gap_close(st, gap, 1721899999), 0);
        CHECK_INT(store_gap_close(st, gap, 1721899999), -ENOENT);
        CHECK_INT(store_gaps_open_list(st, did, &gl), 0);
        CHECK_INT(gl.n, 0);
        store_gap_list_free(&gl);
}

/* A batch far larger than one statement's worth of rows: all stored once,
 * the second time all counted as duplicates. */
static void test_readings_batch(struct store *st)
{
        struct store_device d = {0};
        int64_t did = 0;
        d.device = "batch-node";
        d.enabled = true;
        CHECK_INT(store_device_add(st, &d, &did), 0);
        enum { N = 5000 };
        struct store_reading *r = calloc(N, sizeof(*r));
        for (int i = 0; i < N; i++)
                r[i] = (struct store_reading){did,
                                              3,
                                              i,
                                              1721000000 + i * 60,
                                              1721000001 + i * 60,
                                              i % 7 ? 3.0 + i * 1e-4 : NAN,
                                              NAN,
                                              20.0,
                                              3.6,
                                              -80,
                                              0};
        struct store_obs_result res;
        CHECK_INT(store_readings_add(st, r, N, &res), 0);
        CHECK_INT(res.inserted, N);
        CHECK_INT(res.duplicates, 0);
        r[N - 1].seq = N; /* one new among the old */
        CHECK_INT(store_readings_add(st, r, N, &res), 0);
        CHECK_INT(res.inserted, 1);
        CHECK_INT(res.duplicates, N - 1);
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM readings WHERE device_id = %lld AND dist_m IS NULL",
                 (long long)did);
        CHECK_INT(sql_int(sql), (N + 6) / 7); /* absent values stay NULL */
        int64_t ep = 0, seq = 0;
        CHECK_INT(store_readings_last(st, did, &ep, &seq), 0);
        CHECK_INT(ep, 3);
        CHECK_INT(seq, N);
        free(r);
}

int main(void)
{
        char path[256];
        db = storetest_path("devices.db", path, sizeof(path));
        struct store *st = storetest_open(db);
        CHECK_STR(store_backend_name(st), storetest_backend());
        test_source_health(st);
        test_raw_documents(st);
        test_jma_telegrams(st);
        test_devices(st);
        test_readings_batch(st);
        char why[200];
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        store_close(st);
        storetest_cleanup();
        return check_done("geo-store-devices");
}
