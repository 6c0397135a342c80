#include "mqtt_codec.h"

#include <errno.h>
#include <string.h>

/* 3.1.1 caps the remaining length at four bytes: 268,435,455. */
#define REMAINING_MAX 268435455u

struct wr {
        uint8_t *buf;
        size_t cap, len;
        int err;
};

static void w8(struct wr *w, uint8_t v)
{
        if (w->len >= w->cap) {
                w->err = -ENOSPC;
                return;
        }
        w->buf[w->len++] = v;
}

static void w16(struct wr *w, uint16_t v)
{
        w8(w, (uint8_t)(v >> 8));
        w8(w, (uint8_t)v);
}

static void wbytes(struct wr *w, const void *p, size_t n)
{
        if (n > w->cap - w->len || w->len > w->cap) {
                w->err = -ENOSPC;
                return;
        }
        memcpy(w->buf + w->len, p, n);
        w->len += n;
}

static void wstr(struct wr *w, const void *p, size_t n)
{
        w16(w, (uint16_t)n);
        wbytes(w, p, n);
}

/* The fixed header: type and flags, then the remaining length. */
static void whead(struct wr *w, uint8_t first, size_t rem)
{
        int i;
        w8(w, first);
        for (i = 0; i < 4; i++) {
                uint8_t b = (uint8_t)(rem % 128);
                rem /= 128;
                w8(w, (uint8_t)(rem ? b | 0x80 : b));
                if (!rem)
                        break;
        }
}

static int wdone(struct wr *w)
{
        return w->err ? w->err : (int)w->len;
}

/* A topic we publish or subscribe to: 1..MQTT_TOPIC_MAX bytes, no NUL
 * (strlen sees to that), and no wildcard in a topic name. */
static int topic_ok(const char *t, int filter)
{
        size_t n, i;
        if (!t)
                return 0;
        n = strlen(t);
        if (n == 0 || n > MQTT_TOPIC_MAX)
                return 0;
        for (i = 0; i < n; i++)
                if (!filter && (t[i] == '+' || t[i] == '#'))
                        return 0;
        return 1;
}

int mqtt_enc_connect(uint8_t *buf, size_t cap, const struct mqtt_connect *c)
{
        struct wr w = {buf, cap, 0, 0};
        size_t cid, rem, ulen = 0, wtl = 0;
        uint8_t flags = 0;
        if (!c->client_id)
                return -EINVAL;
        cid = strlen(c->client_id);
        if (cid == 0 || cid > MQTT_CLIENTID_MAX || c->will_qos > 1)
                return -EINVAL;
        if (c->password && !c->username)
                return -EINVAL;
        rem = 10 + 2 + cid;
        if (c->will_topic) {
                if (!topic_ok(c->will_topic, 0))
                        return -EINVAL;
                wtl = strlen(c->will_topic);
                rem += 2 + wtl + 2 + c->will_len;
                flags |= 0x04 | (uint8_t)(c->will_qos << 3) | (c->will_retain ? 0x20 : 0);
        }
        if (c->username) {
                ulen = strlen(c->username);
                if (ulen > 0xFFFF)
                        return -EINVAL;
                rem += 2 + ulen;
                flags |= 0x80;
        }
        if (c->password) {
                rem += 2 + (size_t)c->password_len;
                flags |= 0x40;
        }
        if (c->clean_session)
                flags |= 0x02;
        whead(&w, MQTT_CONNECT << 4, rem);
        wstr(&w, "MQTT", 4);
        w8(&w, 4); /* protocol level 3.1.1 */
        w8(&w, flags);
        w16(&w, c->keepalive_s);
        wstr(&w, c->client_id, cid);
        if (c->will_topic) {
                wstr(&w, c->will_topic, wtl);
                wstr(&w, c->will_msg, c->will_len);
        }
        if (c->username)
                wstr(&w, c->username, ulen);
        if (c->password)
                wstr(&w, c->password, c->password_len);
        return wdone(&w);
}

int mqtt_enc_publish_head(uint8_t *buf, size_t cap, const char *topic, size_t len, uint8_t qos,
                          uint8_t retain, uint8_t dup, uint16_t packet_id)
{
        struct wr w = {buf, cap, 0, 0};
        size_t tl, rem;
        if (!topic_ok(topic, 0) || qos > 1 || (qos && !packet_id) || (dup && !qos))
                return -EINVAL;
        tl = strlen(topic);
        if (len > REMAINING_MAX - 2 - tl - 2)
                return -EINVAL;
        rem = 2 + tl + (qos ? 2 : 0) + len;
        whead(&w, (uint8_t)(MQTT_PUBLISH << 4 | (dup ? 8 : 0) | qos << 1 | (retain ? 1 : 0)), rem);
        wstr(&w, topic, tl);
        if (qos)
                w16(&w, packet_id);
        return wdone(&w);
}

int mqtt_publish_head_len(const char *topic, size_t len, uint8_t qos)
{
        uint8_t tmp[5 + 2 + MQTT_TOPIC_MAX + 2];
        return mqtt_enc_publish_head(tmp, sizeof(tmp), topic, len, qos, 0, qos ? 1 : 0, 1);
}

int mqtt_enc_publish(uint8_t *buf, size_t cap, const char *topic, const uint8_t *payload,
                     size_t len, uint8_t qos, uint8_t retain, uint8_t dup, uint16_t packet_id)
{
        int h;
        if (len && !payload)
                return -EINVAL;
        h = mqtt_enc_publish_head(buf, cap, topic, len, qos, retain, dup, packet_id);
        if (h < 0)
                return h;
        if (len > cap - (size_t)h)
                return -ENOSPC;
        if (len)
                memcpy(buf + h, payload, len);
        return h + (int)len;
}

int mqtt_enc_puback(uint8_t *buf, size_t cap, uint16_t packet_id)
{
        struct wr w = {buf, cap, 0, 0};
        if (!packet_id)
                return -EINVAL;
        whead(&w, MQTT_PUBACK << 4, 2);
        w16(&w, packet_id);
        return wdone(&w);
}

int mqtt_enc_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id, const char *filter,
                       uint8_t qos)
{
        struct wr w = {buf, cap, 0, 0};
        size_t fl;
        if (!packet_id || !topic_ok(filter, 1) || qos > 1)
                return -EINVAL;
        fl = strlen(filter);
        /* SUBSCRIBE's fixed-header flags are 0010 by the specification. */
        whead(&w, MQTT_SUBSCRIBE << 4 | 2, 2 + 2 + fl + 1);
        w16(&w, packet_id);
        wstr(&w, filter, fl);
        w8(&w, qos);
        return wdone(&w);
}

int mqtt_enc_pingreq(uint8_t *buf, size_t cap)
{
        struct wr w = {buf, cap, 0, 0};
        whead(&w, MQTT_PINGREQ << 4, 0);
        return wdone(&w);
}

int mqtt_enc_disconnect(uint8_t *buf, size_t cap)
{
        struct wr w = {buf, cap, 0, 0};
        whead(&w, MQTT_DISCONNECT << 4, 0);
        return wdone(&w);
}

int mqtt_frame(const uint8_t *buf, size_t len, size_t max, size_t *frame_len)
{
        size_t rem = 0, mul = 1, i;
        if (len < 2)
                return -EAGAIN;
        for (i = 1; i <= 4; i++) {
                if (i >= len)
                        return -EAGAIN;
                rem += (size_t)(buf[i] & 0x7F) * mul;
                if (!(buf[i] & 0x80))
                        break;
                if (i == 4)
                        return -EPROTO; /* a fifth length byte */
                mul *= 128;
        }
        /* A multi-byte length with a zero top byte is a non-minimal
         * encoding; 3.1.1 does not forbid it outright, but no broker sends
         * it and it only serves to confuse. */
        if (i > 1 && buf[i] == 0)
                return -EPROTO;
        if (rem > max || 1 + i + rem > max)
                return -EMSGSIZE;
        if (len < 1 + i + rem)
                return -EAGAIN;
        *frame_len = 1 + i + rem;
        return 0;
}

static uint16_t r16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

int mqtt_decode(const uint8_t *buf, size_t len, struct mqtt_packet *p)
{
        size_t flen, hdr, rem, i, tl;
        const uint8_t *b;
        int rc;
        memset(p, 0, sizeof(*p));
        rc = mqtt_frame(buf, len, len, &flen);
        if (rc < 0 || flen != len)
                return -EPROTO;
        for (hdr = 1; hdr < 5 && (buf[hdr] & 0x80); hdr++)
                ;
        hdr++;
        rem = len - hdr;
        b = buf + hdr;
        p->type = buf[0] >> 4;
        p->flags = buf[0] & 0x0F;
        switch (p->type) {
        case MQTT_CONNACK:
                if (p->flags || rem != 2 || (b[0] & 0xFE) || b[1] > 5)
                        return -EPROTO;
                p->session_present = b[0] & 1;
                p->return_code = b[1];
                if (p->return_code && p->session_present)
                        return -EPROTO;
                return 0;
        case MQTT_PUBACK:
                if (p->flags || rem != 2)
                        return -EPROTO;
                p->packet_id = r16(b);
                return p->packet_id ? 0 : -EPROTO;
        case MQTT_SUBACK:
                /* One filter per SUBSCRIBE, so one return code. */
                if (p->flags || rem != 3)
                        return -EPROTO;
                p->packet_id = r16(b);
                p->granted = b[2];
                if (!p->packet_id || (p->granted > 2 && p->granted != 0x80))
                        return -EPROTO;
                return 0;
        case MQTT_PINGRESP:
                return p->flags || rem ? -EPROTO : 0;
        case MQTT_PUBLISH:
                p->dup = (p->flags >> 3) & 1;
                p->qos = (p->flags >> 1) & 3;
                p->retain = p->flags & 1;
                if (p->qos > 2 || (p->qos == 0 && p->dup))
                        return -EPROTO;
                if (rem < 2)
                        return -EPROTO;
                tl = r16(b);
                if (tl == 0 || tl > MQTT_TOPIC_MAX || 2 + tl > rem)
                        return -EPROTO;
                for (i = 0; i < tl; i++)
                        if (b[2 + i] == 0 || b[2 + i] == '+' || b[2 + i] == '#')
                                return -EPROTO;
                p->topic = b + 2;
                p->topic_len = (uint16_t)tl;
                i = 2 + tl;
                if (p->qos) {
                        if (rem < i + 2)
                                return -EPROTO;
                        p->packet_id = r16(b + i);
                        if (!p->packet_id)
                                return -EPROTO;
                        i += 2;
                }
                p->payload = b + i;
                p->payload_len = rem - i;
                return 0;
        default:
                return -EPROTO;
        }
}

void mqtt_inflight_init(struct mqtt_inflight *f)
{
        memset(f, 0, sizeof(*f));
        f->next_id = 1;
}

unsigned mqtt_inflight_count(const struct mqtt_inflight *f)
{
        unsigned i, n = 0;
        for (i = 0; i < MQTT_INFLIGHT_MAX; i++)
                n += f->e[i].id != 0;
        return n;
}

static int id_in_use(const struct mqtt_inflight *f, uint16_t id)
{
        unsigned i;
        for (i = 0; i < MQTT_INFLIGHT_MAX; i++)
                if (f->e[i].id == id)
                        return 1;
        return 0;
}

int mqtt_inflight_add(struct mqtt_inflight *f, int64_t now, uint32_t tag, uint16_t *id)
{
        unsigned i, k;
        for (i = 0; i < MQTT_INFLIGHT_MAX; i++) {
                if (f->e[i].id)
                        continue;
                /* At most MQTT_INFLIGHT_MAX ids are in use, so this finds
                 * a free one within MQTT_INFLIGHT_MAX + 1 steps. */
                for (k = 0; k <= MQTT_INFLIGHT_MAX; k++) {
                        if (f->next_id == 0)
                                f->next_id = 1;
                        if (!id_in_use(f, f->next_id))
                                break;
                        f->next_id++;
                }
                f->e[i].id = f->next_id++;
                f->e[i].tries = 1;
                f->e[i].sent_at = now;
                f->e[i].tag = tag;
                *id = f->e[i].id;
                return 0;
        }
        return -EBUSY;
}

int mqtt_inflight_ack(struct mqtt_inflight *f, uint16_t id, uint32_t *tag)
{
        unsigned i;
        if (!id)
                return -ENOENT;
        for (i = 0; i < MQTT_INFLIGHT_MAX; i++) {
                if (f->e[i].id == id) {
                        if (tag)
                                *tag = f->e[i].tag;
                        memset(&f->e[i], 0, sizeof(f->e[i]));
                        return 0;
                }
        }
        return -ENOENT;
}

int mqtt_inflight_due(struct mqtt_inflight *f, int64_t now, uint32_t timeout_s, uint16_t *id,
                      uint32_t *tag)
{
        unsigned i;
        for (i = 0; i < MQTT_INFLIGHT_MAX; i++) {
                if (!f->e[i].id || now - f->e[i].sent_at < (int64_t)timeout_s)
                        continue;
                if (f->e[i].tries >= MQTT_RETRIES_MAX)
                        return -ETIMEDOUT;
                f->e[i].tries++;
                f->e[i].sent_at = now;
                *id = f->e[i].id;
                *tag = f->e[i].tag;
                return 1;
        }
        return 0;
}
