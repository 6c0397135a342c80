/* The MQTT 3.1.1 codec: exact bytes of what the node sends (checked
 * against the specification's examples and field layouts), decoding of
 * what a broker sends, strict framing bounds, malformed packets, and QoS 1
 * tracking with retransmission. */
#include "fw_test.h"
#include "mqtt_codec.h"

#include <errno.h>

static uint8_t buf[512];

static void test_encode(void)
{
        struct mqtt_connect c;
        int n;
        memset(&c, 0, sizeof(c));
        c.client_id = "br-001";
        c.username = "br-001";
        c.password = (const uint8_t *)"pw";
        c.password_len = 2;
        c.will_topic = "sonae/v1/nodes/br-001/status";
        c.will_msg = (const uint8_t *)"{\"state\":\"offline\"}";
        c.will_len = 19;
        c.will_qos = 1;
        c.will_retain = 1;
        c.keepalive_s = 300;
        n = mqtt_enc_connect(buf, sizeof(buf), &c);
        /* 10 (variable header) + 8 (client id) + 30 + 21 (will) + 8 + 4. */
        CHECK_INT(n, 2 + 10 + 8 + 30 + 21 + 8 + 4);
        CHECK_INT(buf[0], 0x10);
        CHECK_INT(buf[1], n - 2);
        CHECK(memcmp(buf + 2, "\0\4MQTT\4", 7) == 0);
        /* user, password, will retain, will QoS 1, will flag; not clean. */
        CHECK_INT(buf[9], 0x80 | 0x40 | 0x20 | 0x08 | 0x04);
        CHECK_INT(buf[10], 1);
        CHECK_INT(buf[11], 44);
        CHECK(memcmp(buf + 12, "\0\6br-001", 8) == 0);
        CHECK(memcmp(buf + 20, "\0\34sonae/v1/nodes/br-001/status", 30) == 0);
        CHECK(memcmp(buf + n - 4, "\0\2pw", 4) == 0);
        /* Bad connects. */
        c.will_qos = 2;
        CHECK_INT(mqtt_enc_connect(buf, sizeof(buf), &c), -EINVAL);
        c.will_qos = 1;
        c.will_topic = "a/#";
        CHECK_INT(mqtt_enc_connect(buf, sizeof(buf), &c), -EINVAL);
        c.will_topic = NULL;
        c.client_id = "";
        CHECK_INT(mqtt_enc_connect(buf, sizeof(buf), &c), -EINVAL);
        c.client_id = "x";
        c.username = NULL;
        CHECK_INT(mqtt_enc_connect(buf, sizeof(buf), &c), -EINVAL);
        c.password = NULL;
        CHECK_INT(mqtt_enc_connect(buf, 5, &c), -ENOSPC);

        /* PUBLISH QoS 1, DUP on a resend. */
        n = mqtt_enc_publish(buf, sizeof(buf), "a/b", (const uint8_t *)"hi", 2, 1, 0, 1, 0x1234);
        CHECK_INT(n, 2 + 2 + 3 + 2 + 2);
        CHECK_INT(buf[0], 0x3A);
        CHECK_INT(buf[1], 9);
        CHECK(memcmp(buf + 2, "\0\3a/b\x12\x34hi", 9) == 0);
        CHECK_INT(mqtt_enc_publish(buf, sizeof(buf), "a/b", NULL, 0, 1, 0, 0, 0), -EINVAL);
        CHECK_INT(mqtt_enc_publish(buf, sizeof(buf), "a/+", NULL, 0, 0, 0, 0, 0), -EINVAL);
        CHECK_INT(mqtt_enc_publish(buf, sizeof(buf), "a", NULL, 0, 0, 0, 1, 0), -EINVAL);
        CHECK_INT(mqtt_enc_publish(buf, sizeof(buf), "a", NULL, 0, 2, 0, 0, 1), -EINVAL);
        /* A 4 KB pack needs a two-byte remaining length. */
        static uint8_t big[4200];
        static uint8_t payload[4096];
        memset(payload, 'x', sizeof(payload));
        n = mqtt_enc_publish(big, sizeof(big), "sonae/v1/nodes/br-001/up", payload, 4096, 1, 0, 0,
                             7);
        CHECK_INT(n, 1 + 2 + 2 + 24 + 2 + 4096);
        CHECK_INT(big[1], (4124 % 128) | 0x80);
        CHECK_INT(big[2], 4124 / 128);
        /* The header alone, for a payload encoded in place behind it. */
        CHECK_INT(mqtt_publish_head_len("sonae/v1/nodes/br-001/up", 4096, 1), 1 + 2 + 2 + 24 + 2);
        CHECK_INT(
            mqtt_enc_publish_head(buf, sizeof(buf), "sonae/v1/nodes/br-001/up", 4096, 1, 0, 0, 7),
            1 + 2 + 2 + 24 + 2);
        CHECK(memcmp(buf, big, 31) == 0);
        CHECK_INT(mqtt_enc_publish(big, 4000, "t", payload, 4096, 0, 0, 0, 0), -ENOSPC);

        n = mqtt_enc_subscribe(buf, sizeof(buf), 2, "sonae/v1/nodes/br-001/down", 1);
        CHECK_INT(buf[0], 0x82);
        CHECK_INT(n, 2 + 2 + 2 + 26 + 1);
        CHECK_INT(buf[n - 1], 1);
        CHECK_INT(mqtt_enc_subscribe(buf, sizeof(buf), 0, "a", 1), -EINVAL);
        CHECK_INT(mqtt_enc_pingreq(buf, sizeof(buf)), 2);
        CHECK(buf[0] == 0xC0 && buf[1] == 0);
        CHECK_INT(mqtt_enc_disconnect(buf, sizeof(buf)), 2);
        CHECK(buf[0] == 0xE0 && buf[1] == 0);
        CHECK_INT(mqtt_enc_puback(buf, sizeof(buf), 9), 4);
        CHECK(memcmp(buf, "\x40\x02\x00\x09", 4) == 0);
        CHECK_INT(mqtt_enc_pingreq(buf, 1), -ENOSPC);
}

static void test_decode(void)
{
        struct mqtt_packet p;
        size_t fl;
        static const uint8_t connack[] = {0x20, 2, 0, 0};
        static const uint8_t connack_bad[] = {0x20, 2, 0, 5};
        CHECK_INT(mqtt_decode(connack, 4, &p), 0);
        CHECK_INT(p.type, MQTT_CONNACK);
        CHECK_INT(p.return_code, 0);
        CHECK_INT(mqtt_decode(connack_bad, 4, &p), 0);
        CHECK_INT(p.return_code, 5); /* not authorised: decoded, the caller decides */

        /* A retained QoS 1 downlink. */
        static const uint8_t pub[] = {0x33, 13, 0,  5,   'a', '/', 'd', 'o',
                                      'w',  0,  42, '{', '}', ' ', ' '};
        CHECK_INT(mqtt_frame(pub, sizeof(pub), 256, &fl), 0);
        CHECK_INT(fl, 15);
        CHECK_INT(mqtt_decode(pub, fl, &p), 0);
        CHECK_INT(p.type, MQTT_PUBLISH);
        CHECK_INT(p.qos, 1);
        CHECK_INT(p.retain, 1);
        CHECK_INT(p.packet_id, 42);
        CHECK_INT(p.topic_len, 5);
        CHECK(memcmp(p.topic, "a/dow", 5) == 0);
        CHECK_INT(p.payload_len, 4);

        static const uint8_t puback[] = {0x40, 2, 0x12, 0x34};
        CHECK_INT(mqtt_decode(puback, 4, &p), 0);
        CHECK_INT(p.packet_id, 0x1234);
        static const uint8_t suback[] = {0x90, 3, 0, 2, 1};
        CHECK_INT(mqtt_decode(suback, 5, &p), 0);
        CHECK_INT(p.granted, 1);
        static const uint8_t pingresp[] = {0xD0, 0};
        CHECK_INT(mqtt_decode(pingresp, 2, &p), 0);
        CHECK_INT(p.type, MQTT_PINGRESP);
}

struct bad {
        const char *what;
        uint8_t b[12];
        unsigned len;
};

static const struct bad bads[] = {
    {"CONNACK with reserved flags", {0x21, 2, 0, 0}, 4},
    {"CONNACK too long", {0x20, 3, 0, 0, 0}, 5},
    {"CONNACK unknown return code", {0x20, 2, 0, 6}, 4},
    {"CONNACK session present with a refusal", {0x20, 2, 1, 5}, 4},
    {"PUBACK with packet id 0", {0x40, 2, 0, 0}, 4},
    {"PUBACK too short", {0x40, 1, 0}, 3},
    {"SUBACK bad return code", {0x90, 3, 0, 1, 3}, 5},
    {"PINGRESP with a body", {0xD0, 1, 0}, 3},
    {"PUBLISH QoS 3", {0x36, 4, 0, 1, 'a', 0}, 6},
    {"PUBLISH DUP at QoS 0", {0x38, 3, 0, 1, 'a'}, 5},
    {"PUBLISH topic past the end", {0x30, 3, 0, 9, 'a'}, 5},
    {"PUBLISH empty topic", {0x30, 2, 0, 0}, 4},
    {"PUBLISH wildcard topic", {0x30, 3, 0, 1, '#'}, 5},
    {"PUBLISH NUL in topic", {0x30, 3, 0, 1, 0}, 5},
    {"PUBLISH QoS 1 without id", {0x32, 3, 0, 1, 'a'}, 5},
    {"PUBLISH QoS 1 id 0", {0x32, 5, 0, 1, 'a', 0, 0}, 7},
    {"CONNECT sent to a client", {0x10, 0}, 2},
    {"SUBSCRIBE sent to a client", {0x82, 0}, 2},
    {"reserved type 0", {0x00, 0}, 2},
    {"reserved type 15", {0xF0, 0}, 2},
    {"length says more than there is", {0x40, 3, 0, 1}, 4},
    {"length says less than there is", {0x40, 1, 0, 1}, 4},
};

static void test_malformed(void)
{
        struct mqtt_packet p;
        unsigned i;
        size_t fl = 0;
        for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
                int r = mqtt_decode(bads[i].b, bads[i].len, &p);
                if (r != -EPROTO)
                        printf("case \"%s\": got %d\n", bads[i].what, r);
                CHECK_INT(r, -EPROTO);
        }
        /* Framing: incomplete, too long for our buffer, five length bytes,
         * non-minimal lengths. */
        static const uint8_t part[] = {0x30, 0x80};
        CHECK_INT(mqtt_frame(part, 2, 256, &fl), -EAGAIN);
        CHECK_INT(mqtt_frame(part, 1, 256, &fl), -EAGAIN);
        static const uint8_t huge[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F};
        CHECK_INT(mqtt_frame(huge, 5, 4200, &fl), -EMSGSIZE);
        static const uint8_t five[] = {0x30, 0x80, 0x80, 0x80, 0x80, 0x01};
        CHECK_INT(mqtt_frame(five, 6, 4200, &fl), -EPROTO);
        static const uint8_t nonmin[] = {0x40, 0x82, 0x00, 0, 1};
        CHECK_INT(mqtt_frame(nonmin, 5, 4200, &fl), -EPROTO);
        static const uint8_t two[] = {0xD0, 0, 0x40, 2, 0, 1};
        CHECK_INT(mqtt_frame(two, 6, 4200, &fl), 0);
        CHECK_INT(fl, 2); /* the first of two packets in one read */
        static const uint8_t exact[] = {0x40, 2, 0, 1};
        CHECK_INT(mqtt_frame(exact, 4, 4, &fl), 0);
        CHECK_INT(mqtt_frame(exact, 4, 3, &fl), -EMSGSIZE);
}

static void test_inflight(void)
{
        struct mqtt_inflight f;
        uint16_t id = 0, id2 = 0, due_id = 0;
        uint32_t tag = 0;
        unsigned i;
        mqtt_inflight_init(&f);
        CHECK_INT(mqtt_inflight_add(&f, 100, 11, &id), 0);
        CHECK(id != 0);
        CHECK_INT(mqtt_inflight_add(&f, 100, 12, &id2), 0);
        CHECK(id2 != id);
        CHECK_INT(mqtt_inflight_count(&f), 2);
        /* Nothing due before the timeout. */
        CHECK_INT(mqtt_inflight_due(&f, 119, 20, &due_id, &tag), 0);
        /* Due: resend (with DUP) and the clock restarts. */
        CHECK_INT(mqtt_inflight_due(&f, 120, 20, &due_id, &tag), 1);
        CHECK_INT(due_id, id);
        CHECK_INT(tag, 11);
        CHECK_INT(mqtt_inflight_ack(&f, id2, &tag), 0);
        CHECK_INT(tag, 12);
        CHECK_INT(mqtt_inflight_ack(&f, id2, &tag), -ENOENT); /* duplicate PUBACK */
        CHECK_INT(mqtt_inflight_ack(&f, 0, &tag), -ENOENT);
        CHECK_INT(mqtt_inflight_due(&f, 130, 20, &due_id, &tag), 0);
        CHECK_INT(mqtt_inflight_due(&f, 140, 20, &due_id, &tag), 1);
        /* Third try used up: the connection is given up. */
        CHECK_INT(mqtt_inflight_due(&f, 160, 20, &due_id, &tag), -ETIMEDOUT);
        mqtt_inflight_ack(&f, id, NULL);
        /* Full table, then ids wrap past 65535 without ever giving 0. */
        for (i = 0; i < MQTT_INFLIGHT_MAX; i++)
                CHECK_INT(mqtt_inflight_add(&f, 0, i, &id), 0);
        CHECK_INT(mqtt_inflight_add(&f, 0, 99, &id), -EBUSY);
        mqtt_inflight_init(&f);
        f.next_id = 65534;
        int ok = 1;
        for (i = 0; i < 6; i++) {
                if (mqtt_inflight_add(&f, 0, i, &id) != 0 || id == 0)
                        ok = 0;
                mqtt_inflight_ack(&f, id, NULL);
        }
        CHECK(ok);
}

int main(void)
{
        test_encode();
        test_decode();
        test_malformed();
        test_inflight();
        return fwt_done("mqtt");
}
