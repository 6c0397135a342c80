/* The store's core: opening and migrating a file, stations, observations
 * (idempotent, all-or-nothing), latest state with levels, stale/offline,
 * rate of rise, and the events written in the same transaction. */
#include "check.h"
#include "store_sources.h"
#include "storetest.h"
#include "timeutil.h"

#include <errno.h>

static int64_t fake_now_s = 1721900000; /* 2024-07-25 09:33:20 UTC */

static int64_t fake_now(void)
{
        return fake_now_s * 1000;
}

static long long count_events(const char *path, const char *type)
{
        char sql[200];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE type = '%s'", type);
        return storetest_sql_int(path, sql);
}

static void test_open_and_migrate(const char *path)
{
        struct store *st = storetest_open(path);
        int v = -1;
        CHECK_INT(store_schema_version(st, &v), 0);
        /* Both backends reach the same newest migration: a PostGIS
         * translation missing for one number would stop it short. */
        CHECK_INT(v, store_schema_target(st));
        CHECK_INT(store_schema_target(st), store_schema_latest());
        CHECK(store_schema_latest() >= 1);
        CHECK_STR(store_backend_name(st), storetest_backend());
        char why[200];
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        int applied = -1;
        CHECK_INT(store_migrate(st, &applied), 0);
        CHECK_INT(applied, 0); /* nothing left to apply */
        store_close(st);
        /* The pragmas of a fresh connection and the spatial metadata. */
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM spatial_ref_sys WHERE srid = 6668"),
                  1);
        CHECK_INT(storetest_sql_int(path, "SELECT srid FROM geometry_columns WHERE "
                                          "f_table_name = 'stations'"),
                  6668);
        /* Every geometry column in SRID 6668, and a spatial index on the
         * stations' points. */
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM geometry_columns WHERE "
                                          "srid <> 6668"),
                  0);
        if (storetest_pg()) {
                CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM pg_indexes WHERE "
                                                  "tablename = 'stations' AND indexdef LIKE "
                                                  "'%USING gist (geom)%'"),
                          1);
                CHECK_INT(storetest_sql_int(path, "SELECT max(version) FROM schema_migrations"), v);
        } else {
                CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM pragma_journal_mode WHERE "
                                                  "journal_mode = 'wal'"),
                          1);
        }
        /* Reopening an existing store applies nothing and keeps its data. */
        st = storetest_open(path);
        CHECK_INT(store_schema_version(st, &v), 0);
        CHECK_INT(v, store_schema_target(st));
        store_close(st);
        store_close(NULL);

        if (storetest_pg()) {
                /* An unreachable server is -EIO, a missing dsn -EINVAL, and
                 * a database a newer binary migrated -EBADMSG. */
                struct store_options o = {0};
                struct store *bst = (struct store *)&o;
                o.backend = "postgis";
                o.dsn = "host=127.0.0.1 port=1 connect_timeout=2";
                CHECK_INT(store_open(&o, &bst), -EIO);
                CHECK(bst == NULL);
                o.dsn = NULL;
                CHECK_INT(store_open(&o, &bst), -EINVAL);
                char npath[256], dsn[300];
                storetest_path("newer.db", npath, sizeof(npath));
                struct store *nst = storetest_open(npath);
                store_close(nst);
                CHECK(storetest_pg_exec(npath, "INSERT INTO schema_migrations VALUES (999, "
                                               "'future', 0)"));
                o = storetest_options(npath, dsn, sizeof(dsn));
                bst = (struct store *)&o;
                CHECK_INT(store_open(&o, &bst), -EBADMSG);
                CHECK(bst == NULL);
                return;
        }
        /* A file that is not a store is refused with -EBADMSG. */
        char bad[256];
        storetest_path("notastore.db", bad, sizeof(bad));
        FILE *f = fopen(bad, "w");
        fputs("this is not an SQLite file, just some text that is long enough to matter\n", f);
        for (int i = 0; i < 100; i++)
                fputs("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", f);
        fclose(f);
        struct store_options o = {0};
        o.path = bad;
        struct store *bst = (struct store *)&o; /* must be reset to NULL */
        CHECK_INT(store_open(&o, &bst), -EBADMSG);
        CHECK(bst == NULL);
        o.synchronous = "sometimes";
        CHECK_INT(store_open(&o, &bst), -EINVAL);
        o.synchronous = NULL;
        o.backend = "oracle";
        CHECK_INT(store_open(&o, &bst), -EINVAL);
}

static void test_stations(const char *path)
{
        struct store *st = storetest_open(path);
        struct store_station s = storetest_gauge("301011281104020", "熊出");
        int64_t id1 = 0, id2 = 0, id3 = 0;
        CHECK_INT(store_station_upsert(st, &s, &id1), 0);
        CHECK(id1 > 0);
        /* Same key: the same station, updated in place. */
        s.name = "熊出（くまいで）";
        CHECK_INT(store_station_upsert(st, &s, &id2), 0);
        CHECK_INT(id2, id1);
        int64_t found = 0;
        CHECK_INT(store_station_find(st, "kawabou", "301011281104020", &found), 0);
        CHECK_INT(found, id1);
        CHECK_INT(store_station_find(st, "kawabou", "nope", &found), -ENOENT);
        /* Same external id, other source: another station. */
        s.source = "kriver";
        CHECK_INT(store_station_upsert(st, &s, &id3), 0);
        CHECK(id3 != id1);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM stations"), 2);
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM stations WHERE id = %lld AND name = '熊出（くまいで）' "
                 "AND abs(ST_X(geom) - 139.8267) < 1e-9 AND ST_SRID(geom) = 6668",
                 (long long)id1);
        CHECK_INT(storetest_sql_int(path, sql), 1);

        /* One invalid row per rule, each refused with -EINVAL, none stored. */
        struct store_station bad;
        bad = storetest_gauge("b1", "x");
        bad.kind = "satellite";
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b2", "x");
        bad.lat = 95;
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b3", "x");
        bad.lon = NAN;
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b4", "");
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b5", "x");
        bad.expected_interval_s = 1;
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b6", "x");
        bad.area_code = "06203";
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b7", "x");
        bad.thr.caution = 6.0; /* above danger */
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("b8", "x");
        bad.quantity = "furlongs";
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        bad = storetest_gauge("", "x");
        CHECK_INT(store_station_upsert(st, &bad, NULL), -EINVAL);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM stations"), 2);
        store_close(st);
}

static void test_observations(const char *path)
{
        struct store *st = storetest_open(path);
        struct store_station s = storetest_gauge("obs-1", "大宝寺");
        int64_t id = 0;
        CHECK_INT(store_station_upsert(st, &s, &id), 0);
        int64_t t0 = fake_now_s - 3000;
        long long ev0 = storetest_sql_int(path, "SELECT count(*) FROM events");

        /* A batch of 6 values, 10 minutes apart, rising from 1.5 to 2.5 m. */
        struct store_obs obs[6];
        for (int i = 0; i < 6; i++)
                obs[i] = (struct store_obs){id, "water_level_m", t0 + i * 600, 1.5 + 0.2 * i, 0};
        struct store_obs_result res;
        CHECK_INT(store_observations_add(st, obs, 6, &res), 0);
        CHECK_INT(res.inserted, 6);
        CHECK_INT(res.duplicates, 0);
        /* Again: idempotent. */
        CHECK_INT(store_observations_add(st, obs, 6, &res), 0);
        CHECK_INT(res.inserted, 0);
        CHECK_INT(res.duplicates, 6);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM observations"), 6);
        /* One coalesced event for the six rows; none for the duplicates. */
        CHECK_INT(count_events(path, "station.observations"), 1);
        CHECK_INT(storetest_sql_int(path, "SELECT json_extract(data, '$.count') FROM events WHERE "
                                          "type = 'station.observations'"),
                  6);

        struct store_latest_list ll;
        CHECK_INT(store_latest_get(st, id, fake_now_s, &ll), 0);
        CHECK_INT(ll.n, 1);
        if (ll.n == 1) {
                CHECK_NEAR(ll.v[0].value, 2.5, 1e-9);
                CHECK_INT(ll.v[0].observed_at, t0 + 3000);
                CHECK_INT(ll.v[0].level, 2); /* 2.5 m: above 氾濫注意 2.0 */
                CHECK_INT(ll.v[0].state, STATE_OK);
                CHECK_STR(ll.v[0].unit, "m");
                CHECK_STR(ll.v[0].river, "赤川");
                /* From 1.5 m 50 minutes earlier to 2.5 m: 1.2 m/h. */
                CHECK_NEAR(ll.v[0].rate_m_per_h, 1.0 / 3000 * 3600, 1e-9);
        }
        store_latest_list_free(&ll);
        store_latest_list_free(NULL);
        /* The level went from none to 1 to 2: only the newest counts in one
         * batch, so one station.level event (null → 2) and one
         * station.state (unknown → ok). */
        CHECK_INT(count_events(path, "station.level"), 1);
        CHECK_INT(count_events(path, "station.state"), 1);
        CHECK_INT(storetest_sql_int(path, "SELECT level FROM events WHERE type = 'station.level'"),
                  2);

        /* An older value arriving late is stored but does not replace the
         * latest. */
        struct store_obs late = {id, "water_level_m", t0 - 600, 0.5, 0};
        CHECK_INT(store_observations_add(st, &late, 1, &res), 0);
        CHECK_INT(res.inserted, 1);
        CHECK_INT(store_latest_get(st, id, fake_now_s, &ll), 0);
        CHECK_NEAR(ll.n ? ll.v[0].value : 0, 2.5, 1e-9);
        store_latest_list_free(&ll);

        /* All or nothing: a batch with one bad row (unknown quantity, NaN,
         * unknown station) writes nothing and emits nothing. */
        long long n_obs = storetest_sql_int(path, "SELECT count(*) FROM observations");
        long long n_ev = storetest_sql_int(path, "SELECT count(*) FROM events");
        struct store_obs mix[3] = {
            {id, "water_level_m", t0 + 4000, 4.2, 0},
            {id, "cubits", t0 + 4100, 1.0, 0},
            {id, "water_level_m", t0 + 4200, 4.3, 0},
        };
        CHECK_INT(store_observations_add(st, mix, 3, &res), -EINVAL);
        mix[1] = (struct store_obs){id, "water_level_m", t0 + 4100, NAN, 0};
        CHECK_INT(store_observations_add(st, mix, 3, &res), -EINVAL);
        mix[1] = (struct store_obs){id + 1000, "water_level_m", t0 + 4100, 1.0, 0};
        CHECK_INT(store_observations_add(st, mix, 3, &res), -EINVAL);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM observations"), n_obs);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events"), n_ev);

        /* A caller's transaction: two calls, one coalesced event per
         * station per commit; a rollback leaves neither rows nor events. */
        struct store_station s2 = storetest_gauge("obs-2", "羽黒橋");
        int64_t id2 = 0;
        CHECK_INT(store_station_upsert(st, &s2, &id2), 0);
        n_ev = storetest_sql_int(path, "SELECT count(*) FROM events WHERE type = "
                                       "'station.observations'");
        CHECK_INT(store_begin(st), 0);
        struct store_obs a[2] = {{id, "water_level_m", t0 + 3600, 4.5, 0},
                                 {id2, "water_level_m", t0 + 3600, 0.5, 0}};
        struct store_obs b2[2] = {{id, "water_level_m", t0 + 4200, 4.6, 0},
                                  {id2, "battery_v", t0 + 4200, 3.6, 0}};
        CHECK_INT(store_observations_add(st, a, 2, NULL), 0);
        CHECK_INT(store_observations_add(st, b2, 2, NULL), 0);
        CHECK_INT(store_commit(st), 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events WHERE type = "
                                          "'station.observations'"),
                  n_ev + 2); /* one per station for the whole commit */
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT json_extract(data, '$.count') FROM events WHERE type = "
                 "'station.observations' AND subject = 'stations/%lld' ORDER BY id DESC LIMIT 1",
                 (long long)id);
        CHECK_INT(storetest_sql_int(path, sql), 2);
        CHECK_INT(store_latest_get(st, id, fake_now_s, &ll), 0);
        CHECK_INT(ll.n ? ll.v[0].level : -1, 4);
        store_latest_list_free(&ll);

        n_obs = storetest_sql_int(path, "SELECT count(*) FROM observations");
        n_ev = storetest_sql_int(path, "SELECT count(*) FROM events");
        CHECK_INT(store_begin(st), 0);
        struct store_obs c = {id, "water_level_m", t0 + 4800, 5.5, 0};
        CHECK_INT(store_observations_add(st, &c, 1, NULL), 0);
        CHECK_INT(store_rollback(st), 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM observations"), n_obs);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events"), n_ev);
        /* A failed write inside a caller's transaction fails the commit. */
        CHECK_INT(store_begin(st), 0);
        CHECK_INT(store_observations_add(st, &c, 1, NULL), 0);
        /* mix[1] names an unknown station: the insert fails inside the
         * transaction, so the commit rolls everything back. */
        CHECK_INT(store_observations_add(st, mix, 3, NULL), -EINVAL);
        /* The failed group takes no more writes: a later good batch is
         * refused with the first error, not committed on its own. */
        struct store_obs later = {id, "water_level_m", t0 + 9000, 1.0, 0};
        CHECK_INT(store_observations_add(st, &later, 1, NULL), -EINVAL);
        CHECK_INT(store_event_emit(st, "source.health", "sources/x", 0, false, false, NULL),
                  -EINVAL);
        CHECK_INT(store_commit(st), -EINVAL);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM observations"), n_obs);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events"), n_ev);

        struct store_obs_list ol;
        CHECK_INT(store_observations_range(st, id, "water_level_m", t0, t0 + 3001, 0, &ol), 0);
        CHECK_INT(ol.n, 6);
        if (ol.n == 6) {
                CHECK_INT(ol.v[0].observed_at, t0);
                CHECK_NEAR(ol.v[5].value, 2.5, 1e-9);
        }
        store_obs_list_free(&ol);
        CHECK_INT(store_observations_range(st, id, "water_level_m", 0, INT64_MAX, 2, &ol), 0);
        CHECK_INT(ol.n, 2);
        store_obs_list_free(&ol);
        (void)ev0;
        store_close(st);
}

static void test_state_and_events(const char *path)
{
        struct store *st = storetest_open(path);
        struct store_station gs = storetest_gauge("st-1", "睦橋");
        int64_t gid = 0, sid = 0, cid = 0;
        CHECK_INT(store_station_upsert(st, &gs, &gid), 0);
        struct store_station ss = storetest_gauge("node-7", "内川センサ");
        ss.kind = "sensor";
        ss.source = "sensors";
        ss.expected_interval_s = 3600;
        CHECK_INT(store_station_upsert(st, &ss, &sid), 0);
        struct store_station crisis = storetest_gauge("k-1", "危機管理型");
        crisis.source = "kriver";
        level_thresholds_clear(&crisis.thr);
        crisis.thr.start = 1.0;
        crisis.thr.danger = 3.0;
        crisis.thr.flood = 4.0;
        CHECK_INT(store_station_upsert(st, &crisis, &cid), 0);

        /* Never observed: unknown. */
        struct store_latest_list ll;
        CHECK_INT(store_latest_get(st, sid, fake_now_s, &ll), 0);
        CHECK_INT(ll.n ? (int)ll.v[0].state : -1, STATE_UNKNOWN);
        store_latest_list_free(&ll);

        struct store_obs o[3] = {{gid, "water_level_m", fake_now_s - 60, 3.2, 0},
                                 {sid, "water_level_m", fake_now_s - 60, 0.4, 0},
                                 {cid, "water_level_m", fake_now_s - 60, 1.5, 0}};
        CHECK_INT(store_observations_add(st, o, 3, NULL), 0);
        CHECK_INT(store_latest_all(st, fake_now_s, &ll), 0);
        int seen = 0;
        for (size_t i = 0; i < ll.n; i++) {
                if (ll.v[i].id == gid) {
                        CHECK_INT(ll.v[i].level, 3);
                        CHECK_INT(ll.v[i].state, STATE_OK);
                        seen++;
                } else if (ll.v[i].id == cid) {
                        CHECK_INT(ll.v[i].level, LEVEL_NONE);
                        CHECK_INT(ll.v[i].state, STATE_WATCH);
                        seen++;
                }
        }
        CHECK_INT(seen, 2);
        store_latest_list_free(&ll);

        /* expected_interval × grace: the gauge (600 s × 3) is stale after
         * 30 minutes, the sensor (3600 s × 3) offline after 3 hours.  Just
         * before, both are still ok. */
        CHECK_INT(store_effective_state(STATE_OK, "gauge", 1000, 600, 3, 1000 + 1800), STATE_OK);
        CHECK_INT(store_effective_state(STATE_OK, "gauge", 1000, 600, 3, 1000 + 1801), STATE_STALE);
        CHECK_INT(store_effective_state(STATE_OK, "sensor", 1000, 600, 0, 1000 + 1801),
                  STATE_OFFLINE);
        CHECK_INT(store_effective_state(STATE_BELOW_START, "gauge", 1000, 600, 3, 1500),
                  STATE_BELOW_START);
        CHECK_INT(store_effective_state(STATE_OK, "gauge", 0, 600, 3, 1500), STATE_UNKNOWN);

        int64_t later = fake_now_s + 4 * 3600;
        CHECK_INT(store_latest_all(st, later, &ll), 0);
        for (size_t i = 0; i < ll.n; i++) {
                if (ll.v[i].id == gid) {
                        CHECK_INT(ll.v[i].state, STATE_STALE);
                        CHECK_INT(ll.v[i].level, LEVEL_NONE); /* stale is not safe, nor L3 */
                        CHECK_NEAR(ll.v[i].value, 3.2, 1e-9); /* the value is still shown */
                } else if (ll.v[i].id == sid) {
                        CHECK_INT(ll.v[i].state, STATE_OFFLINE);
                }
        }
        store_latest_list_free(&ll);

        /* The sweep writes the transitions once, with events. */
        long long n_state = count_events(path, "station.state");
        size_t changed = 0;
        CHECK_INT(store_stations_refresh_state(st, later, &changed), 0);
        CHECK(changed >= 3);
        CHECK_INT(count_events(path, "station.state"), n_state + (long long)changed);
        CHECK_INT(store_stations_refresh_state(st, later, &changed), 0);
        CHECK_INT(changed, 0);

        /* The crisis gauge drops out of its listing: below_start, and the
         * listing counts as a sign of life. */
        fake_now_s = later;
        CHECK_INT(store_station_set_state(st, cid, STATE_BELOW_START, later), 0);
        CHECK_INT(store_latest_get(st, cid, later + 60, &ll), 0);
        CHECK_INT(ll.n ? (int)ll.v[0].state : -1, STATE_BELOW_START);
        store_latest_list_free(&ll);
        CHECK_INT(store_station_set_state(st, 99999, STATE_BELOW_START, later), -ENOENT);

        /* Data flows again: stale → ok with a station.state event. */
        n_state = count_events(path, "station.state");
        struct store_obs back = {gid, "water_level_m", later - 30, 2.1, 0};
        CHECK_INT(store_observations_add(st, &back, 1, NULL), 0);
        CHECK_INT(count_events(path, "station.state"), n_state + 1);
        CHECK_INT(store_latest_get(st, gid, later, &ll), 0);
        CHECK_INT(ll.n ? (int)ll.v[0].state : -1, STATE_OK);
        CHECK_INT(ll.n ? ll.v[0].level : -1, 2);
        store_latest_list_free(&ll);

        /* Threshold change recomputes the level (2.1 m against caution 2.5). */
        gs.thr.caution = 2.5;
        CHECK_INT(store_station_upsert(st, &gs, NULL), 0);
        CHECK_INT(store_latest_get(st, gid, later, &ll), 0);
        CHECK_INT(ll.n ? ll.v[0].level : -1, 1);
        store_latest_list_free(&ll);

        /* Events read after an id, in order, public only or all. */
        CHECK_INT(store_event_emit(st, "source.health", "sources/kriver", 0, false, false,
                                   "{\"state\":\"failing\"}"),
                  0);
        CHECK_INT(store_event_emit(st, "weather.nice", "x", 0, true, false, NULL), -EINVAL);
        CHECK_INT(store_event_emit(st, "source.health", "x", 0, false, false, "{not json"),
                  -EINVAL);
        int64_t last = 0;
        CHECK_INT(store_events_last_id(st, &last), 0);
        CHECK_INT(last, storetest_sql_int(path, "SELECT max(id) FROM events"));
        struct store_event_list el;
        CHECK_INT(store_events_after(st, 0, 0, false, &el), 0);
        CHECK_INT((long long)el.n, storetest_sql_int(path, "SELECT count(*) FROM events"));
        for (size_t i = 1; i < el.n; i++)
                CHECK(el.v[i].id > el.v[i - 1].id);
        if (el.n) {
                CHECK_STR(el.v[el.n - 1].type, "source.health");
                CHECK(!el.v[el.n - 1].is_public);
        }
        int64_t mid = el.n > 2 ? el.v[1].id : 0;
        store_event_list_free(&el);
        CHECK_INT(store_events_after(st, mid, 0, true, &el), 0);
        CHECK_INT((long long)el.n, storetest_sql_int(path, "SELECT count(*) FROM events WHERE "
                                                           "public = 1 AND id > (SELECT id FROM "
                                                           "events ORDER BY id LIMIT 1 OFFSET 1)"));
        for (size_t i = 0; i < el.n; i++)
                CHECK(el.v[i].is_public && el.v[i].id > mid);
        store_event_list_free(&el);
        CHECK_INT(store_events_after(st, 0, 2, false, &el), 0);
        CHECK_INT(el.n, 2);
        store_event_list_free(&el);
        store_close(st);
}

/* store_events_wait(): on PostGIS a commit that wrote events is heard by
 * another handle with its newest id; a rollback, explicit or forced by a
 * failed write, is not (bad input: a station whose thresholds the schema's
 * check refuses, 氾濫注意 above 氾濫危険, inside the transaction).  SpatiaLite cannot wait and says
 * so. */
static void test_events_wait(const char *path)
{
        struct store *ear = storetest_open(path), *w = storetest_open(path);
        int64_t heard = -1, last = 0;
        if (!storetest_pg()) {
                CHECK_INT(store_events_wait(ear, 10, &heard), -ENOTSUP);
                CHECK_INT(heard, 0);
                store_close(ear);
                store_close(w);
                return;
        }
        /* Nothing written: the wait runs out. */
        CHECK_INT(store_events_wait(ear, 50, &heard), 0);
        CHECK_INT(heard, 0);
        CHECK_INT(store_begin(w), 0);
        CHECK_INT(store_event_emit(w, "source.health", "sources/wait", LEVEL_NONE, false, false,
                                   "{\"source\":\"wait\"}"),
                  0);
        CHECK_INT(store_rollback(w), 0);
        CHECK_INT(store_events_wait(ear, 300, &heard), 0);
        CHECK_INT(heard, 0);
        struct store_station bad = storetest_gauge("wait-bad", "待機");
        bad.thr.caution = 5.0;
        bad.thr.danger = 1.0;
        int64_t id = 0;
        CHECK_INT(store_begin(w), 0);
        CHECK_INT(store_event_emit(w, "source.health", "sources/wait", LEVEL_NONE, false, false,
                                   "{\"source\":\"wait\"}"),
                  0);
        CHECK(store_station_upsert(w, &bad, &id) < 0);
        CHECK(store_commit(w) < 0);
        CHECK_INT(store_events_wait(ear, 300, &heard), 0);
        CHECK_INT(heard, 0);
        /* A commit is heard, with its newest id. */
        CHECK_INT(store_event_emit(w, "source.health", "sources/wait", LEVEL_NONE, false, false,
                                   "{\"source\":\"wait\"}"),
                  0);
        CHECK_INT(store_events_last_id(w, &last), 0);
        CHECK_INT(store_events_wait(ear, 5000, &heard), 0);
        CHECK_INT(heard, last);
        /* Inside a transaction of its own handle it cannot wait. */
        CHECK_INT(store_begin(ear), 0);
        CHECK_INT(store_events_wait(ear, 10, &heard), -EINVAL);
        CHECK_INT(store_rollback(ear), 0);
        store_close(ear);
        store_close(w);
}

/* A store opened with all_exercise (the demo's) marks every event it
 * writes exercise, a source's health too, on either backend. */
static void test_all_exercise(const char *path)
{
        char dsn[300];
        struct store_options o = storetest_options(path, dsn, sizeof(dsn));
        o.all_exercise = true;
        struct store *st = NULL;
        CHECK_INT(store_open(&o, &st), 0);
        if (!st)
                return;
        CHECK_INT(store_event_emit(st, "source.health", "sources/all-ex", LEVEL_NONE, false, false,
                                   "{\"source\":\"all-ex\"}"),
                  0);
        CHECK_INT(store_source_health_set(st, "all-ex-health", "ok", NULL, false), 0);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM events WHERE subject IN "
                                          "('sources/all-ex', 'sources/all-ex-health') AND "
                                          "exercise = 1"),
                  2);
        store_close(st);
}

int main(void)
{
        char path[256];
        time_set_override(fake_now);
        storetest_path("core.db", path, sizeof(path));
        test_open_and_migrate(path);
        test_stations(path);
        test_observations(path);
        test_state_and_events(path);
        test_events_wait(path);
        test_all_exercise(path);
        storetest_cleanup();
        return check_done("geo-store-core");
}
