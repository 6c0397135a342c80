/* An MQTT 3.1.1 client codec for the node: encodes CONNECT (with will),
 * PUBLISH (QoS 0 and 1), PUBACK, SUBSCRIBE, PINGREQ and DISCONNECT into
 * caller buffers, frames and decodes what a broker sends (CONNACK, PUBLISH,
 * PUBACK, SUBACK, PINGRESP) with strict bounds on every length, and tracks
 * QoS 1 publications awaiting PUBACK for retransmission.  No I/O and no
 * allocation: the decoded packet points into the caller's buffer. */
#ifndef SONAE_MQTT_CODEC_H
#define SONAE_MQTT_CODEC_H

#include <stddef.h>
#include <stdint.h>

enum mqtt_type {
        MQTT_CONNECT = 1,
        MQTT_CONNACK = 2,
        MQTT_PUBLISH = 3,
        MQTT_PUBACK = 4,
        MQTT_SUBSCRIBE = 8,
        MQTT_SUBACK = 9,
        MQTT_PINGREQ = 12,
        MQTT_PINGRESP = 13,
        MQTT_DISCONNECT = 14,
};

#define MQTT_TOPIC_MAX    128
#define MQTT_CLIENTID_MAX 64

struct mqtt_connect {
        const char *client_id;   /* required, 1..MQTT_CLIENTID_MAX */
        const char *username;    /* optional */
        const uint8_t *password; /* optional, needs username */
        uint16_t password_len;
        const char *will_topic; /* optional */
        const uint8_t *will_msg;
        uint16_t will_len;
        uint8_t will_qos;
        uint8_t will_retain;
        uint8_t clean_session;
        uint16_t keepalive_s;
};

/* The encoders return the packet length, or -ENOSPC (buffer too small)
 * or -EINVAL (a field outside what the protocol allows). */
int mqtt_enc_connect(uint8_t *buf, size_t cap, const struct mqtt_connect *c);
int mqtt_enc_publish(uint8_t *buf, size_t cap, const char *topic, const uint8_t *payload,
                     size_t len, uint8_t qos, uint8_t retain, uint8_t dup, uint16_t packet_id);
/* The PUBLISH header alone (fixed header, topic, packet id) for a payload
 * of len bytes that the caller places right after it: lets a node encode
 * its payload once, in place, instead of copying 4 KB.  Returns the header
 * length or a negative code; mqtt_publish_head_len() gives the length
 * without writing. */
int mqtt_enc_publish_head(uint8_t *buf, size_t cap, const char *topic, size_t len, uint8_t qos,
                          uint8_t retain, uint8_t dup, uint16_t packet_id);
int mqtt_publish_head_len(const char *topic, size_t len, uint8_t qos);
int mqtt_enc_puback(uint8_t *buf, size_t cap, uint16_t packet_id);
int mqtt_enc_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id, const char *filter,
                       uint8_t qos);
int mqtt_enc_pingreq(uint8_t *buf, size_t cap);
int mqtt_enc_disconnect(uint8_t *buf, size_t cap);

/* Finds the first complete packet in a receive buffer: 0 with *frame_len
 * set, -EAGAIN when more bytes are needed, -EMSGSIZE when the packet would
 * exceed max bytes (the connection must be dropped), -EPROTO for a
 * malformed remaining length. */
int mqtt_frame(const uint8_t *buf, size_t len, size_t max, size_t *frame_len);

struct mqtt_packet {
        uint8_t type;
        uint8_t flags;
        uint16_t packet_id;
        /* CONNACK */
        uint8_t session_present;
        uint8_t return_code;
        /* PUBLISH: pointers into the decoded buffer (borrowed) */
        const uint8_t *topic;
        uint16_t topic_len;
        const uint8_t *payload;
        size_t payload_len;
        uint8_t qos, retain, dup;
        /* SUBACK */
        uint8_t granted; /* 0..2, or 0x80 for failure */
};

/* Decodes one complete packet (as framed by mqtt_frame) sent by a broker.
 * -EPROTO for anything 3.1.1 forbids or a client never receives. */
int mqtt_decode(const uint8_t *buf, size_t len, struct mqtt_packet *p);

/* QoS 1 publications awaiting their PUBACK. */
#define MQTT_INFLIGHT_MAX 4
#define MQTT_RETRIES_MAX  3

struct mqtt_inflight {
        struct {
                uint16_t id; /* 0: free */
                uint8_t tries;
                int64_t sent_at;
                uint32_t tag; /* the caller's handle of what was sent */
        } e[MQTT_INFLIGHT_MAX];
        uint16_t next_id;
};

void mqtt_inflight_init(struct mqtt_inflight *f);
/* Takes a free entry and a fresh packet id (never 0, never one in use);
 * -EBUSY when all are taken. */
int mqtt_inflight_add(struct mqtt_inflight *f, int64_t now, uint32_t tag, uint16_t *id);
/* A PUBACK arrived: frees the entry and gives its tag; -ENOENT for an id
 * not in flight (a duplicate PUBACK, ignored). */
int mqtt_inflight_ack(struct mqtt_inflight *f, uint16_t id, uint32_t *tag);
/* An entry unacknowledged for timeout_s: returns 1 and its id and tag
 * (resend it with dup set; its clock restarts), 0 when none is due, or
 * -ETIMEDOUT when one has been sent MQTT_RETRIES_MAX times (the
 * connection is dead; the readings stay queued for the next one). */
int mqtt_inflight_due(struct mqtt_inflight *f, int64_t now, uint32_t timeout_s, uint16_t *id,
                      uint32_t *tag);
unsigned mqtt_inflight_count(const struct mqtt_inflight *f);

#endif
