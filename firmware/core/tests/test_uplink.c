/* Time and packs: readings taken before the clock is known are stamped
 * once it is (also after a reset), downlink time only moves the clock
 * forward, packs never mix epochs, the encoded packs decode to exactly the
 * queued readings, and resend requests are served from the history. */
#include "fw_test.h"
#include "fw_test_nvm.h"
#include "fw_uplink.h"

static struct tnvm nvm;
static struct fwq_nvm io;
static char buf[SENML_MAX_PACK + 1];
static struct senml_pack pack;

#define T0 1763900000

static void push_at(struct fwq *q, const struct fw_time *t, int64_t mono, int32_t dist)
{
        struct fwq_rec r;
        int64_t utc;
        memset(&r, 0, sizeof(r));
        if (fw_time_utc(t, mono, &utc) == 0) {
                r.time = (uint32_t)utc;
        } else {
                r.time = (uint32_t)mono;
                r.flags |= FWQ_REL;
        }
        r.dist_mm = dist;
        r.level_mm = 5000 - dist;
        r.temp_cc = 1250;
        r.batt_mv = 3600;
        r.rssi_dbm = -90;
        r.flags |= FWQ_VALID | FWQ_HAS_TEMP | FWQ_HAS_BATT | FWQ_HAS_RSSI;
        CHECK_INT(fwq_push(q, &r), 0);
}

static void test_time(void)
{
        struct fw_time t;
        int64_t utc;
        fw_time_init(&t);
        CHECK_INT(fw_time_utc(&t, 10, &utc), -EAGAIN);
        /* A downlink time sets an unknown clock. */
        CHECK_INT(fw_time_hint(&t, 100, T0), 1);
        CHECK_INT(fw_time_utc(&t, 160, &utc), 0);
        CHECK_I64(utc, T0 + 60);
        /* An older (retained, stale) downlink time never moves it back. */
        CHECK_INT(fw_time_hint(&t, 200, T0 - 3600), 0);
        fw_time_utc(&t, 200, &utc);
        CHECK_I64(utc, T0 + 100);
        /* Within the slack: no change. */
        CHECK_INT(fw_time_hint(&t, 200, T0 + 102), 0);
        /* A newer one shows our clock is behind: forward. */
        CHECK_INT(fw_time_hint(&t, 200, T0 + 500), 1);
        fw_time_utc(&t, 200, &utc);
        CHECK_I64(utc, T0 + 500);
        /* Network time is trusted both ways. */
        CHECK_INT(fw_time_network(&t, 200, T0 + 150), 1);
        fw_time_utc(&t, 200, &utc);
        CHECK_I64(utc, T0 + 150);
        CHECK_INT(t.source, FW_TIME_NETWORK);
}

static void test_stamping(void)
{
        struct fwq q;
        struct fw_time t;
        struct fw_uplink_pack p;
        unsigned i;
        tnvm_init(&nvm, &io, 16 * 1024);
        fw_time_init(&t);
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p), -ENODATA);
        /* Three readings without a clock (monotonic 60, 660, 1260). */
        for (i = 0; i < 3; i++)
                push_at(&q, &t, 60 + 600 * i, 3000 + (int32_t)i);
        CHECK_INT(fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p), -EAGAIN);
        /* The network gives the time at monotonic 1300: they are stamped. */
        fw_time_network(&t, 1300, T0);
        fwq_anchor_set(&q, q.epoch, t.offset);
        push_at(&q, &t, 1860, 3003);
        CHECK_INT(fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p), 0);
        CHECK_INT(p.readings, 4);
        CHECK_INT(senml_decode(buf, p.len, &pack), 0);
        CHECK_INT(pack.n, 4);
        CHECK_I64(pack.r[0].t, T0 - 1240);
        CHECK_I64(pack.r[2].t, T0 - 40);
        CHECK_I64(pack.r[3].t, T0 + 560);
        CHECK_INT(pack.r[3].seq, 3);
        CHECK_I64(pack.r[1].dist_u, 3001000);
        CHECK_I64(pack.r[1].level_u, 1999000);
        CHECK_I64(pack.r[1].temp_u, 12500000);
        CHECK_I64(pack.r[1].batt_u, 3600000);
        CHECK_I64(pack.r[1].rssi_u, -90000000);
        CHECK_INT(pack.epoch, 1);

        /* A reset before sending: the anchor kept in NVM still places the
         * old boot's readings; the new boot has no time yet. */
        CHECK_INT(fwq_open(&q, &io), 0);
        fw_time_init(&t);
        push_at(&q, &t, 30, 2900);
        CHECK_INT(fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p), 0);
        CHECK_INT(p.readings, 4); /* the pack stops at the epoch change */
        CHECK_INT(senml_decode(buf, p.len, &pack), 0);
        CHECK_I64(pack.r[0].t, T0 - 1240);
        fwq_ack(&q, p.last_wc);
        CHECK_INT(fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p), -EAGAIN);

        /* That boot ends without ever learning the time: its reading can
         * never be placed, is skipped and counted, and does not block the
         * readings after it. */
        CHECK_INT(fwq_open(&q, &io), 0);
        fw_time_network(&t, 0, T0 + 86400);
        push_at(&q, &t, 10, 2800);
        CHECK_INT(fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p), 0);
        CHECK_INT(p.skipped, 1);
        CHECK_INT(p.readings, 1);
        CHECK_INT(senml_decode(buf, p.len, &pack), 0);
        CHECK_INT(pack.epoch, 3);
        CHECK_I64(pack.r[0].t, T0 + 86410);
        CHECK_I64(pack.r[0].dist_u, 2800000);
        fwq_ack(&q, p.last_wc);
        CHECK_INT(fwq_unsent(&q), 0);
}

/* A day of readings goes out as several packs, each within the caps,
 * together exactly the queued readings in order. */
static void test_batches(void)
{
        struct fwq q;
        struct fw_time t;
        struct fw_uplink_pack p;
        uint32_t expect_seq = 0;
        unsigned i, packs = 0, total = 0;
        int ok = 1;
        tnvm_init(&nvm, &io, 64 * 1024);
        fw_time_init(&t);
        fw_time_network(&t, 0, T0);
        fwq_open(&q, &io);
        for (i = 0; i < 144; i++)
                push_at(&q, &t, 600 * (int64_t)i, 3000 - (int32_t)i);
        for (i = 0; i < 20; i++) {
                int rc = fw_uplink_build(&q, &t, "br-001", buf, sizeof(buf), &p);
                unsigned k;
                if (rc == -ENODATA)
                        break;
                CHECK_INT(rc, 0);
                CHECK(p.len <= SENML_MAX_PACK);
                CHECK_INT(senml_decode(buf, p.len, &pack), 0);
                CHECK(pack.n <= SENML_MAX_READINGS);
                for (k = 0; k < pack.n; k++) {
                        if (pack.r[k].seq != expect_seq ||
                            pack.r[k].t != T0 + 600 * (int64_t)expect_seq)
                                ok = 0;
                        expect_seq++;
                }
                total += pack.n;
                packs++;
                fwq_ack(&q, p.last_wc);
        }
        CHECK(ok);
        CHECK_INT(total, 144);
        printf("a day of readings: %u packs\n", packs);
        CHECK(packs >= 3 && packs <= 10);
}

static void test_resend(void)
{
        struct fwq q;
        struct fw_time t;
        struct fw_uplink_pack p;
        struct fw_resend rs;
        unsigned i;
        tnvm_init(&nvm, &io, 64 * 1024);
        fw_time_init(&t);
        fw_time_network(&t, 0, T0);
        fwq_open(&q, &io);
        for (i = 0; i < 100; i++)
                push_at(&q, &t, 600 * (int64_t)i, 3000);
        fwq_ack(&q, q.head_wc - 1);
        /* seq 40..79 of this epoch: one or two packs, all of them. */
        fw_resend_start(&rs, &q, 40, 79, 0, q.epoch);
        unsigned got = 0, rounds = 0;
        uint32_t next = 40;
        int ok = 1;
        while (rounds++ < 10) {
                int rc = fw_resend_build(&rs, &q, &t, "br-001", buf, sizeof(buf), &p);
                unsigned k;
                if (rc == -ENODATA)
                        break;
                CHECK_INT(rc, 0);
                CHECK_INT(senml_decode(buf, p.len, &pack), 0);
                for (k = 0; k < pack.n; k++)
                        if (pack.r[k].seq != next++)
                                ok = 0;
                got += pack.n;
        }
        CHECK(ok);
        CHECK_INT(got, 40);
        /* Another epoch's seq range matches nothing in this one. */
        fw_resend_start(&rs, &q, 0, 10, 0, q.epoch + 5);
        CHECK_INT(fw_resend_build(&rs, &q, &t, "br-001", buf, sizeof(buf), &p), -ENODATA);
        /* Unacknowledged readings are not resent (they go out anyway). */
        push_at(&q, &t, 600 * 100, 3000);
        fw_resend_start(&rs, &q, 100, 100, 1, 0);
        CHECK_INT(fw_resend_build(&rs, &q, &t, "br-001", buf, sizeof(buf), &p), -ENODATA);
}

int main(void)
{
        test_time();
        test_stamping();
        test_batches();
        test_resend();
        return fwt_done("uplink");
}
