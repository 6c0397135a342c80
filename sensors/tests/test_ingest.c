/* The ingest core against a real SpatiaLite store, with packs made by the
 * firmware's own encoder: server levels from versioned calibrations, the
 * quality flags, duplicates, malformed messages that leave other devices
 * alone, gaps and resend requests, a reflash, and health from arrivals.
 * MQTT itself is tested by tests/integration/test_ingest_*.py. */
#include "check.h"
#include "ingest.h"
#include "log.h"
#include "senml.h"
#include "store.h"
#include "store_devices.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1763900000LL

static char last_topic[128], last_down[512];
static int n_down;

static int on_publish(void *ctx, const char *topic, const char *payload)
{
        (void)ctx;
        snprintf(last_topic, sizeof(last_topic), "%s", topic);
        snprintf(last_down, sizeof(last_down), "%s", payload);
        n_down++;
        return 0;
}

struct rd {
        int64_t t;
        uint32_t seq;
        double dist, level;
};

static size_t make_pack(char *buf, size_t cap, const char *dev, uint32_t epoch, const struct rd *v,
                        size_t n)
{
        struct senml_enc e;
        size_t len = 0;

        CHECK_INT(senml_enc_begin(&e, buf, cap, dev, v[0].t, epoch), 0);
        for (size_t i = 0; i < n; i++) {
                struct senml_reading r = {0};
                r.t = v[i].t;
                r.seq = v[i].seq;
                r.has = SENML_HAS_DIST | SENML_HAS_LEVEL | SENML_HAS_BATT;
                r.dist_u = (int64_t)(v[i].dist * 1e6 + (v[i].dist >= 0 ? 0.5 : -0.5));
                r.level_u = (int64_t)(v[i].level * 1e6 + 0.5);
                r.batt_u = 3600000;
                CHECK_INT(senml_enc_add(&e, &r), 0);
        }
        CHECK_INT(senml_enc_finish(&e, &len), 0);
        return len;
}

static int send(struct ingest *in, const char *dev, uint32_t epoch, const struct rd *v, size_t n,
                int64_t now)
{
        char buf[SENML_MAX_PACK + 1], topic[96];
        size_t len = make_pack(buf, sizeof(buf), dev, epoch, v, n);

        snprintf(topic, sizeof(topic), "sonae/v1/nodes/%s/up", dev);
        return ingest_message(in, topic, buf, len, false, now);
}

static int raw(struct ingest *in, const char *dev, const char *payload, int64_t now)
{
        char topic[96];
        snprintf(topic, sizeof(topic), "sonae/v1/nodes/%s/up", dev);
        return ingest_message(in, topic, payload, strlen(payload), false, now);
}

static int64_t add_device(struct store *st, const char *dev, const char *station, double mount,
                          int64_t interval)
{
        struct store_station s = {0};
        struct store_device d = {0};
        struct store_calibration c = {0, mount, NAN, NULL};
        int64_t sid = 0, did = 0;

        s.kind = "sensor";
        s.source = "sensors";
        s.external_id = station;
        s.name = station;
        s.quantity = "water_level_m";
        s.lon = 139.83;
        s.lat = 38.73;
        s.thr.standby = s.thr.caution = s.thr.evacuation = s.thr.danger = s.thr.flood =
            s.thr.start = NAN;
        s.expected_interval_s = interval;
        CHECK_INT(store_station_upsert(st, &s, &sid), 0);
        d.device = dev;
        d.station_id = sid;
        d.enabled = true;
        CHECK_INT(store_device_add(st, &d, &did), 0);
        CHECK_INT(store_calibration_add(st, did, &c), 0);
        return did;
}

/* The stored water_level_m observation of a station at t, and its flags. */
static double level_at(struct store *st, int64_t station, int64_t t, unsigned *q)
{
        struct store_obs_list l = {0};
        double v = NAN;

        CHECK_INT(store_observations_range(st, station, "water_level_m", t, t + 1, 0, &l), 0);
        if (l.n == 1) {
                v = l.v[0].value;
                if (q)
                        *q = l.v[0].quality;
        }
        store_obs_list_free(&l);
        return v;
}

static int64_t station_of(struct store *st, const char *ext)
{
        int64_t id = 0;
        CHECK_INT(store_station_find(st, "sensors", ext, &id), 0);
        return id;
}

static int64_t readings_of(struct store *st, int64_t did)
{
        int64_t n = -1;
        CHECK_INT(store_readings_count(st, did, &n), 0);
        return n;
}

static size_t open_gaps(struct store *st, int64_t did)
{
        struct store_gap_list l = {0};
        size_t n;
        CHECK_INT(store_gaps_open_list(st, did, &l), 0);
        n = l.n;
        store_gap_list_free(&l);
        return n;
}

static const char *health_of(struct store *st, const char *dev, char *buf, size_t cap)
{
        struct store_device d = {0};
        CHECK_INT(store_device_get(st, dev, &d), 0);
        snprintf(buf, cap, "%s", d.health ? d.health : "?");
        store_device_free(&d);
        return buf;
}

int main(void)
{
        char path[] = "/tmp/sonae-ingest-XXXXXX";
        char dbpath[256], h[16];
        struct store_options so = {0};
        struct store *st = NULL;
        struct ingest *in = NULL;
        struct ingest_options o = {.qc = qc_default_params, .publish = on_publish};
        struct ingest_stats s;
        int64_t a, b, c, sa, sb;
        unsigned q = 0;

        if (!mkdtemp(path))
                return 1;
        snprintf(dbpath, sizeof(dbpath), "%s/sonae.db", path);
        so.path = dbpath;
        CHECK_INT(store_open(&so, &st), 0);
        if (!st)
                return check_done("sensors-ingest");
        a = add_device(st, "dev-a", "st-a", 5.0, 600);
        b = add_device(st, "dev-b", "st-b", 4.0, 60);
        CHECK(b > 0);
        c = add_device(st, "dev-c", "st-c", 3.0, 600);
        sa = station_of(st, "st-a");
        sb = station_of(st, "st-b");

        CHECK_INT(ingest_open(st, &o, T0, &in), 0);

        /* Server level = mount height - distance; the node's level is only
         * a diagnostic (here deliberately wrong: 9.9). */
        {
                struct rd v[3] = {
                    {T0, 0, 1.25, 9.9}, {T0 + 600, 1, 1.20, 9.9}, {T0 + 1200, 2, 1.15, 9.9}};
                CHECK_INT(send(in, "dev-a", 1, v, 3, T0 + 1200), 0);
                CHECK_NEAR(level_at(st, sa, T0, &q), 3.75, 1e-9);
                CHECK_INT(q, 0);
                CHECK_NEAR(level_at(st, sa, T0 + 1200, NULL), 3.85, 1e-9);
                CHECK_INT(readings_of(st, a), 3);
                CHECK_STR(health_of(st, "dev-a", h, sizeof(h)), "online");
        }
        /* Duplicates (a redelivery) are harmless. */
        {
                struct rd v[1] = {{T0 + 1200, 2, 1.15, 9.9}};
                CHECK_INT(send(in, "dev-a", 1, v, 1, T0 + 1210), 0);
                CHECK_INT(readings_of(st, a), 3);
                ingest_get_stats(in, &s);
                CHECK_INT(s.duplicates, 1);
        }
        /* A new calibration from T0 + 1800 on: readings after it use it,
         * one measured before it (arriving late) uses the old one. */
        {
                struct store_calibration cal = {T0 + 1800, 5.5, 4.3, NULL};
                struct rd v[2] = {{T0 + 1800, 3, 1.20, 0}, {T0 + 2400, 4, 1.20, 0}};
                CHECK_INT(store_calibration_add(st, a, &cal), 0);
                CHECK_INT(send(in, "dev-a", 1, v, 2, T0 + 2400), 0);
                CHECK_NEAR(level_at(st, sa, T0 + 1800, NULL), 4.30, 1e-9);
                CHECK_NEAR(level_at(st, sa, T0 + 600, NULL), 3.80, 1e-9);
        }
        /* Flags: out of range, a spike, an implausible rate, a future clock. */
        {
                struct rd range[1] = {{T0 + 3000, 5, 20.0, 0}};
                struct rd spike[1] = {{T0 + 3600, 6, 0.10, 0}};
                struct rd back[1] = {{T0 + 4200, 7, 1.21, 0}};
                struct rd future[1] = {{T0 + 4200 + 3600, 8, 1.21, 0}};
                CHECK_INT(send(in, "dev-a", 1, range, 1, T0 + 3000), 0);
                CHECK(level_at(st, sa, T0 + 3000, &q) < 0);
                CHECK(q & STORE_Q_RANGE);
                CHECK_INT(send(in, "dev-a", 1, spike, 1, T0 + 3600), 0);
                level_at(st, sa, T0 + 3600, &q);
                CHECK(q & STORE_Q_SPIKE);
                CHECK(q & STORE_Q_RATE);
                CHECK_INT(send(in, "dev-a", 1, back, 1, T0 + 4200), 0);
                level_at(st, sa, T0 + 4200, &q);
                CHECK_INT(q, 0); /* the spike did not enter the history */
                /* Clock: kept as a reading with its receive time, flagged, and
                 * no observation at a time that has not come. */
                CHECK_INT(send(in, "dev-a", 1, future, 1, T0 + 4200), 0);
                CHECK_INT(readings_of(st, a), 9);
                CHECK(isnan(level_at(st, sa, T0 + 4200 + 3600, NULL)));
        }
        /* Flatline: twelve identical levels in a row. */
        {
                struct rd v[12];
                for (int i = 0; i < 12; i++)
                        v[i] = (struct rd){T0 + i * 60, (uint32_t)i, 2.0, 0};
                CHECK_INT(send(in, "dev-b", 1, v, 12, T0 + 720), 0);
                level_at(st, sb, T0 + 11 * 60, &q);
                CHECK(q & STORE_Q_FLATLINE);
                level_at(st, sb, T0 + 10 * 60, &q);
                CHECK(!(q & STORE_Q_FLATLINE));
        }
        /* Malformed messages: counted, dropped, and the device's next good
         * message and other devices are unaffected. */
        {
                struct rd ok[1] = {{T0 + 100, 0, 1.0, 0}};
                char big[SENML_MAX_PACK + 100];
                memset(big, ' ', sizeof(big));
                big[0] = '[';
                big[sizeof(big) - 2] = ']';
                big[sizeof(big) - 1] = 0;
                ingest_get_stats(in, &s);
                uint64_t m0 = s.malformed;
                CHECK_INT(raw(in, "dev-c", "not json", T0 + 100), 0);
                CHECK_INT(raw(in, "dev-c", big, T0 + 100), 0);
                CHECK_INT(raw(in, "dev-c",
                              "[{\"bn\":\"urn:dev:sonae:dev-c:\",\"bt\":1763900000,\"n\":"
                              "\"epoch\",\"v\":1},{\"n\":\"seq\",\"t\":0,\"v\":0},{\"n\":\"dist\","
                              "\"u\":\"cm\",\"t\":0,\"v\":120}]",
                              T0 + 100),
                          0);
                /* A pack naming another device than its topic. */
                CHECK_INT(send(in, "dev-c", 1, ok, 1, T0 + 100), 0);
                {
                        char buf[SENML_MAX_PACK + 1];
                        size_t len = make_pack(buf, sizeof(buf), "dev-b", 1, ok, 1);
                        CHECK_INT(
                            ingest_message(in, "sonae/v1/nodes/dev-c/up", buf, len, false, T0), 0);
                }
                CHECK_INT(raw(in, "no-such-dev", "[]", T0 + 100), 0);
                ingest_get_stats(in, &s);
                CHECK_INT(s.malformed - m0, 5);
                CHECK_INT(readings_of(st, c), 1);
        }
        /* A gap in seq: recorded, a resend asked for in the retained down,
         * and cleared when the missing readings arrive. */
        {
                struct rd first[1] = {{T0 + 5000, 9, 1.2, 0}};
                struct rd jump[1] = {{T0 + 5000 + 7 * 600, 16, 1.2, 0}};
                struct rd fill[6];
                int n0 = n_down;
                for (int i = 0; i < 6; i++)
                        fill[i] =
                            (struct rd){T0 + 5000 + (i + 1) * 600, (uint32_t)(10 + i), 1.2, 0};
                CHECK_INT(send(in, "dev-a", 1, first, 1, T0 + 5000), 0);
                CHECK_INT(n_down, n0);
                CHECK_INT(open_gaps(st, a), 0);
                CHECK_INT(send(in, "dev-a", 1, jump, 1, T0 + 9200), 0);
                CHECK_INT(open_gaps(st, a), 1);
                CHECK_INT(n_down, n0 + 1);
                CHECK_STR(last_topic, "sonae/v1/nodes/dev-a/down");
                CHECK(strstr(last_down, "\"from\":10,\"to\":15") != NULL);
                CHECK(strstr(last_down, "\"epoch\":1") != NULL);
                /* Partly filled: the request stays as it is. */
                CHECK_INT(send(in, "dev-a", 1, fill, 2, T0 + 9300), 0);
                CHECK_INT(n_down, n0 + 1);
                CHECK_INT(open_gaps(st, a), 1);
                CHECK_INT(send(in, "dev-a", 1, fill + 2, 4, T0 + 9400), 0);
                CHECK_INT(open_gaps(st, a), 0);
                CHECK_INT(n_down, n0 + 2);
                CHECK_STR(last_down, "{}");
                CHECK_INT(readings_of(st, a), 17);
        }
        /* A restart with an open gap asks again under a new id. */
        {
                struct rd jump[1] = {{T0 + 12000, 20, 1.2, 0}};
                char first_id[sizeof(last_down)];
                char *logtext = NULL;
                size_t loglen = 0;
                FILE *logf;
                CHECK_INT(send(in, "dev-a", 1, jump, 1, T0 + 12000), 0);
                /* An open gap older than gap_alert (default 3600 s) is logged
                 * once as a warning. */
                logf = open_memstream(&logtext, &loglen);
                log_set_stream(logf);
                CHECK_INT(ingest_tick(in, T0 + 12000 + 3599), 0);
                fflush(logf);
                CHECK(loglen == 0 || !strstr(logtext, "still open"));
                CHECK_INT(ingest_tick(in, T0 + 12000 + 3601), 0);
                CHECK_INT(ingest_tick(in, T0 + 12000 + 3700), 0);
                fflush(logf);
                CHECK(logtext && strstr(logtext, "gap 17..19 of epoch 1 still open after 3601 s"));
                log_set_stream(NULL);
                fclose(logf);
                {
                        int times = 0;
                        for (const char *p = logtext; (p = strstr(p, "still open")); p++)
                                times++;
                        CHECK_INT(times, 1);
                }
                free(logtext);
                CHECK(strstr(last_down, "\"from\":17,\"to\":19") != NULL);
                snprintf(first_id, sizeof(first_id), "%s", last_down);
                ingest_close(in);
                in = NULL;
                CHECK_INT(ingest_open(st, &o, T0 + 12001, &in), 0);
                CHECK(strstr(last_down, "\"from\":17,\"to\":19") != NULL);
                CHECK(strcmp(first_id, last_down) != 0);
                struct rd fill[3] = {
                    {T0 + 11000, 17, 1.2, 0}, {T0 + 11200, 18, 1.2, 0}, {T0 + 11400, 19, 1.2, 0}};
                CHECK_INT(send(in, "dev-a", 1, fill, 3, T0 + 12100), 0);
                CHECK_INT(open_gaps(st, a), 0);
                CHECK_STR(last_down, "{}");
        }
        /* A reflashed node: new epoch, seq from 0; nothing discarded, no gap. */
        {
                struct rd v[2] = {{T0 + 13000, 0, 1.2, 0}, {T0 + 13600, 1, 1.2, 0}};
                int64_t before = readings_of(st, a);
                CHECK_INT(send(in, "dev-a", 2, v, 2, T0 + 13600), 0);
                CHECK_INT(readings_of(st, a), before + 2);
                CHECK_INT(open_gaps(st, a), 0);
        }
        /* Health from arrivals: dev-b (60 s interval) is offline after
         * 3 x 60 s without anything, once; online again on the next reading.
         * (The ticks above at T0 + 15600 have made it offline already.) */
        {
                const int64_t hb = T0 + 20000;
                int64_t ev0 = 0, ev1 = 0, ev2 = 0;
                struct rd v1[1] = {{hb, 12, 2.1, 0}}, v2[1] = {{hb + 500, 13, 2.1, 0}};
                CHECK_STR(health_of(st, "dev-b", h, sizeof(h)), "offline");
                CHECK_INT(send(in, "dev-b", 1, v1, 1, hb), 0);
                CHECK_STR(health_of(st, "dev-b", h, sizeof(h)), "online");
                CHECK_INT(store_events_last_id(st, &ev0), 0);
                CHECK_INT(ingest_tick(in, hb + 170), 0);
                CHECK_STR(health_of(st, "dev-b", h, sizeof(h)), "online");
                CHECK_INT(ingest_tick(in, hb + 181), 0);
                CHECK_STR(health_of(st, "dev-b", h, sizeof(h)), "offline");
                CHECK_INT(ingest_tick(in, hb + 400), 0);
                CHECK_INT(store_events_last_id(st, &ev1), 0);
                {
                        struct store_event_list el = {0};
                        int health_events = 0;
                        CHECK_INT(store_events_after(st, ev0, 0, false, &el), 0);
                        for (size_t i = 0; i < el.n; i++)
                                if (strcmp(el.v[i].type, "device.health") == 0 &&
                                    strcmp(el.v[i].subject, "devices/dev-b") == 0) {
                                        health_events++;
                                        CHECK(!el.v[i].is_public);
                                }
                        store_event_list_free(&el);
                        CHECK_INT(health_events, 1);
                }
                CHECK_INT(send(in, "dev-b", 1, v2, 1, hb + 500), 0);
                CHECK_STR(health_of(st, "dev-b", h, sizeof(h)), "online");
                CHECK_INT(store_events_last_id(st, &ev2), 0);
                CHECK(ev2 > ev1);
        }
        /* A status message: fw, battery and signal recorded. */
        {
                const char *stat =
                    "{\"state\":\"online\",\"fw\":\"1.2.3\",\"uptime_s\":5,"
                    "\"batt_v\":3.55,\"rssi_dbm\":-91,\"queue\":0,\"time_valid\":true}";
                struct store_device d = {0};
                CHECK_INT(ingest_message(in, "sonae/v1/nodes/dev-c/status", stat, strlen(stat),
                                         false, T0 + 3000),
                          0);
                CHECK_INT(store_device_get(st, "dev-c", &d), 0);
                CHECK_STR(d.fw, "1.2.3");
                CHECK_NEAR(d.batt_v, 3.55, 1e-9);
                CHECK_NEAR(d.rssi_dbm, -91, 1e-9);
                store_device_free(&d);
        }
        /* A retained status replayed by the broker is no arrival. */
        {
                const char *stat = "{\"state\":\"online\",\"fw\":\"0.9\",\"batt_v\":3.3}";
                struct store_device d = {0};
                add_device(st, "dev-d", "st-d", 3.0, 600);
                CHECK_INT(ingest_message(in, "sonae/v1/nodes/dev-d/status", stat, strlen(stat),
                                         true, T0 + 3000),
                          0);
                CHECK_INT(store_device_get(st, "dev-d", &d), 0);
                CHECK_STR(d.health, "unknown");
                CHECK_STR(d.fw, "0.9");
                store_device_free(&d);
                CHECK_INT(ingest_message(in, "sonae/v1/nodes/dev-d/status", stat, strlen(stat),
                                         false, T0 + 3000),
                          0);
                CHECK_STR(health_of(st, "dev-d", h, sizeof(h)), "online");
        }
        /* The down's settings (written by `sonae device set`) are kept
         * beside a resend request; an old request in it is not. */
        {
                const char *down = "{\"measure_s\":300,\"start_level_m\":1.5,\"resend\":{\"id\":"
                                   "\"old\",\"from\":1,\"to\":2}}";
                struct rd v[1] = {{T0 + 4000, 5, 1.0, 0}};
                CHECK_INT(ingest_message(in, "sonae/v1/nodes/dev-c/down", down, strlen(down), true,
                                         T0 + 4000),
                          0);
                CHECK_INT(send(in, "dev-c", 1, v, 1, T0 + 4000), 0);
                CHECK_STR(last_topic, "sonae/v1/nodes/dev-c/down");
                CHECK(strstr(last_down, "\"measure_s\":300") != NULL);
                CHECK(strstr(last_down, "\"start_level_m\":1.5") != NULL);
                CHECK(strstr(last_down, "\"from\":1,\"to\":4") != NULL);
                CHECK(strstr(last_down, "old") == NULL);
        }
        /* Partitioning across instances: FNV-1a 32 against its published
         * test vectors, so a change of hash (which would move devices
         * between running instances) fails here.  Then two instances of
         * two on one store: dev-p1 hashes to 0, dev-p2 to 1; each stores
         * only its own and ignores (acknowledges) the other's, and an
         * index not below the count is refused. */
        {
                struct ingest *i0 = NULL, *i1 = NULL, *bad = NULL;
                struct ingest_options po = o;
                int64_t p1 = add_device(st, "dev-p1", "st-p1", 5.0, 600);
                int64_t p2 = add_device(st, "dev-p2", "st-p2", 5.0, 600);
                struct rd v[2] = {{T0 + 5000, 0, 1.0, 0}, {T0 + 5600, 1, 1.0, 0}};
                const char *down = "{\"measure_s\":300}";
                int before;

                CHECK_INT(ingest_device_hash(""), 0x811c9dc5u);
                CHECK_INT(ingest_device_hash("a"), 0xe40c292cu);
                CHECK_INT(ingest_device_hash("foobar"), 0xbf9cf968u);
                CHECK_INT(ingest_device_hash("dev-p1") % 2, 0);
                CHECK_INT(ingest_device_hash("dev-p2") % 2, 1);
                CHECK(ingest_owns(in, "dev-p1") && ingest_owns(in, "dev-p2"));

                po.instance_count = 2;
                po.instance_index = 2;
                CHECK_INT(ingest_open(st, &po, T0 + 5000, &bad), -EINVAL);
                CHECK(bad == NULL);
                po.instance_index = 0;
                CHECK_INT(ingest_open(st, &po, T0 + 5000, &i0), 0);
                po.instance_index = 1;
                CHECK_INT(ingest_open(st, &po, T0 + 5000, &i1), 0);
                CHECK(ingest_owns(i0, "dev-p1") && !ingest_owns(i0, "dev-p2"));
                CHECK(!ingest_owns(i1, "dev-p1") && ingest_owns(i1, "dev-p2"));

                /* The other instance's device: acknowledged, nothing stored,
                 * counted apart; its down is not answered either. */
                before = n_down;
                CHECK_INT(send(i0, "dev-p2", 1, v, 2, T0 + 5600), 0);
                CHECK_INT(readings_of(st, p2), 0);
                CHECK_INT(ingest_message(i0, "sonae/v1/nodes/dev-p2/down", down, strlen(down), true,
                                         T0 + 5600),
                          0);
                CHECK_INT(n_down, before);
                ingest_get_stats(i0, &s);
                CHECK_INT(s.others, 1);
                CHECK_INT(s.messages, 0);
                CHECK_INT(s.readings, 0);
                /* Its own instance stores it. */
                CHECK_INT(send(i1, "dev-p2", 1, v, 2, T0 + 5600), 0);
                CHECK_INT(readings_of(st, p2), 2);
                CHECK_INT(send(i0, "dev-p1", 1, v, 2, T0 + 5600), 0);
                CHECK_INT(send(i1, "dev-p1", 1, v, 2, T0 + 5600), 0);
                CHECK_INT(readings_of(st, p1), 2);
                ingest_get_stats(i1, &s);
                CHECK_INT(s.readings, 2);
                CHECK_INT(s.others, 1);
                /* Health and offline transitions are the owner's: after an
                 * hour of silence only instance 0's tick marks dev-p1
                 * offline, and instance 1's tick leaves it alone. */
                CHECK_INT(ingest_tick(i1, T0 + 5600 + 3 * 600 + 1), 0);
                CHECK_STR(health_of(st, "dev-p1", h, sizeof(h)), "online");
                CHECK_INT(ingest_tick(i0, T0 + 5600 + 3 * 600 + 1), 0);
                CHECK_STR(health_of(st, "dev-p1", h, sizeof(h)), "offline");
                ingest_close(i0);
                ingest_close(i1);
        }
        /* Topics. */
        {
                char dev[64], kind = 0;
                CHECK_INT(ingest_topic_parse("sonae/v1/nodes/br-1/up", dev, sizeof(dev), &kind), 0);
                CHECK_STR(dev, "br-1");
                CHECK_INT(kind, 'u');
                CHECK_INT(ingest_topic_parse("sonae/v1/nodes/br-1/down", dev, sizeof(dev), &kind),
                          0);
                CHECK_INT(kind, 'd');
                CHECK_INT(ingest_topic_parse("sonae/v1/nodes/br-1/other", dev, sizeof(dev), &kind),
                          -EINVAL);
                CHECK_INT(ingest_topic_parse("sonae/v1/nodes//up", dev, sizeof(dev), &kind),
                          -EINVAL);
                CHECK_INT(ingest_topic_parse("sonae/v1/nodes/a/b/up", dev, sizeof(dev), &kind),
                          -EINVAL);
        }

        ingest_close(in);
        store_close(st);
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", path);
        }
        return check_done("sensors-ingest");
}
