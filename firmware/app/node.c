#include "node.h"
#include "fw_downlink.h"
#include "fw_uplink.h"
#include "hal.h"
#include "modem.h"
#include "ranger.h"

#include <errno.h>
#include <string.h>

/* Buffers of the one session that can run at a time.  Static, so the RAM
 * budget shows them in .bss. */
/* The uplink pack is encoded in place at tx + NODE_HEAD, and its PUBLISH
 * header written just in front of it: one 4 KB buffer, not two. */
#define NODE_HEAD (5 + 2 + MQTT_TOPIC_MAX + 2)
static uint8_t tx[NODE_HEAD + SENML_MAX_PACK + 1];
static char *const pack = (char *)tx + NODE_HEAD;
#define PACK_CAP (SENML_MAX_PACK + 1)
static uint8_t rx[NODE_RX_MAX];
static size_t rx_len;

static int nvm_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
        (void)ctx;
        return hal_nvm_read(off, buf, len);
}

static int nvm_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
        (void)ctx;
        return hal_nvm_write(off, buf, len);
}

static void topic(char *out, size_t cap, const char *device, const char *leaf)
{
        size_t n = 0;
        const char *parts[4] = {"sonae/v1/nodes/", device, "/", leaf};
        unsigned i;
        for (i = 0; i < 4; i++) {
                size_t l = strlen(parts[i]);
                if (n + l + 1 > cap)
                        l = cap - n - 1;
                memcpy(out + n, parts[i], l);
                n += l;
        }
        out[n] = '\0';
}

int node_init(struct node *n, const struct node_prov *prov)
{
        int64_t now = (int64_t)(hal_time_ms() / 1000);
        memset(n, 0, sizeof(*n));
        n->prov = *prov;
        fw_settings_default(&n->settings);
        if (prov->mount_mm)
                n->settings.mount_mm = prov->mount_mm;
        if (prov->measure_s)
                n->settings.measure_s = prov->measure_s;
        if (prov->heartbeat_s)
                n->settings.heartbeat_s = prov->heartbeat_s;
        if (prov->flood_s)
                n->settings.flood_s = prov->flood_s;
        if (prov->flood_min_s)
                n->settings.flood_min_s = prov->flood_min_s;
        if (prov->has_start_level)
                n->settings.start_level_mm = prov->start_level_mm;
        n->nvm.ctx = NULL;
        n->nvm.size = hal_nvm_size();
        n->nvm.read = nvm_read;
        n->nvm.write = nvm_write;
        fw_time_init(&n->time);
        fw_report_init(&n->report, now);
        fw_temp_filter_init(&n->temp);
        mqtt_inflight_init(&n->inflight);
        topic(n->topic_up, sizeof(n->topic_up), prov->device, "up");
        topic(n->topic_status, sizeof(n->topic_status), prov->device, "status");
        topic(n->topic_down, sizeof(n->topic_down), prov->device, "down");
        n->next_measure = now;
        return fwq_open(&n->q, &n->nvm);
}

int node_measure(struct node *n, int64_t now)
{
        int32_t echoes[NODE_ECHOES], temp = 0, batt = 0;
        struct fw_measurement m;
        struct fwq_rec r;
        int64_t utc;
        int cnt, temp_ok, batt_ok;

        temp_ok = hal_adc_read(HAL_ADC_AIR_TEMP, &temp) == 0;
        batt_ok = hal_adc_read(HAL_ADC_BATTERY, &batt) == 0;
        temp = fw_temp_filter_feed(&n->temp, now, temp, temp_ok);
        cnt = ranger_burst(echoes, NODE_ECHOES, 3000);
        fw_measure_compute(echoes, cnt > 0 ? (unsigned)cnt : 0, temp, n->settings.mount_mm, &m);

        memset(&r, 0, sizeof(r));
        if (fw_time_utc(&n->time, now, &utc) == 0) {
                r.time = (uint32_t)utc;
        } else {
                r.time = (uint32_t)now;
                r.flags |= FWQ_REL;
        }
        if (m.valid) {
                r.flags |= FWQ_VALID;
                r.dist_mm = m.dist_mm;
                r.level_mm = m.level_mm;
        }
        if (n->temp.init) {
                r.flags |= FWQ_HAS_TEMP;
                r.temp_cc = (int16_t)temp;
        }
        if (batt_ok && batt >= 0 && batt <= 65535) {
                r.flags |= FWQ_HAS_BATT;
                r.batt_mv = (uint16_t)batt;
        }
        if (n->rssi_known) {
                r.flags |= FWQ_HAS_RSSI;
                r.rssi_dbm = (int8_t)n->rssi_dbm;
        }
        fw_report_measured(&n->report, &n->settings, now, m.valid, m.level_mm);
        return fwq_push(&n->q, &r);
}

/* ---- the session ---- */

static int send_all(const uint8_t *buf, int len, uint64_t deadline)
{
        uint64_t t = hal_time_ms();
        if (len < 0)
                return len;
        if (t >= deadline)
                return -ETIMEDOUT;
        return modem_send(buf, (size_t)len, (uint32_t)(deadline - t)) == len ? 0 : -EIO;
}

/* PUBLISH packets too large for rx (a hostile or broken downlink) are
 * read past and acknowledged, not kept: dropping the connection instead
 * would meet the same retained message at every session and silence the
 * node for good. */
static uint32_t rx_oversized;

/* Receives until rx holds at least need bytes. */
static int recv_until(size_t need, uint64_t deadline)
{
        while (rx_len < need) {
                uint64_t t = hal_time_ms();
                int rc;
                if (t >= deadline)
                        return -ETIMEDOUT;
                rc = modem_recv(rx + rx_len, sizeof(rx) - rx_len, (uint32_t)(deadline - t));
                if (rc < 0)
                        return rc;
                rx_len += (size_t)rc;
        }
        return 0;
}

static int skip_oversized(uint64_t deadline)
{
        size_t rem = 0, mul = 1, i, total, need, tl;
        uint16_t id = 0;
        uint8_t qos, ack[4];
        int rc;
        if ((rx[0] >> 4) != MQTT_PUBLISH)
                return -EMSGSIZE;
        for (i = 1; i <= 4 && i < rx_len; i++) {
                rem += (size_t)(rx[i] & 0x7F) * mul;
                mul *= 128;
                if (!(rx[i] & 0x80))
                        break;
        }
        if (i > 4 || i >= rx_len)
                return -EPROTO;
        total = 1 + i + rem;
        qos = (uint8_t)((rx[0] >> 1) & 3);
        /* The topic and packet id sit at the front: wait for them. */
        rc = recv_until(i + 3, deadline);
        if (rc < 0)
                return rc;
        tl = (size_t)rx[i + 1] << 8 | rx[i + 2];
        need = i + 3 + tl + (qos ? 2 : 0);
        if (need > sizeof(rx) || need > total)
                return -EPROTO;
        rc = recv_until(need, deadline);
        if (rc < 0)
                return rc;
        if (qos)
                id = (uint16_t)(rx[i + 3 + tl] << 8 | rx[i + 4 + tl]);
        /* Read past the rest of it, keeping whatever follows. */
        while (rx_len < total) {
                uint64_t t = hal_time_ms();
                total -= rx_len;
                rx_len = 0;
                if (t >= deadline)
                        return -ETIMEDOUT;
                rc = modem_recv(rx, sizeof(rx), (uint32_t)(deadline - t));
                if (rc < 0)
                        return rc;
                rx_len = (size_t)rc;
        }
        memmove(rx, rx + total, rx_len - total);
        rx_len -= total;
        rx_oversized++;
        if (qos == 1) {
                int l = mqtt_enc_puback(ack, sizeof(ack), id);
                uint64_t t = hal_time_ms();
                if (l < 0 || t >= deadline)
                        return -ETIMEDOUT;
                if (modem_send(ack, (size_t)l, (uint32_t)(deadline - t)) != l)
                        return -EIO;
        }
        return 0;
}

/* Receives the next packet into p before deadline. */
static int recv_packet(struct mqtt_packet *p, uint64_t deadline)
{
        unsigned rounds;
        for (rounds = 0; rounds < 1000; rounds++) {
                size_t fl;
                int rc = mqtt_frame(rx, rx_len, sizeof(rx), &fl);
                uint64_t t;
                if (rc == -EMSGSIZE) {
                        rc = skip_oversized(deadline);
                        if (rc < 0)
                                return rc;
                        continue;
                }
                if (rc == 0) {
                        rc = mqtt_decode(rx, fl, p);
                        /* The packet stays in rx until the caller is done:
                         * it is dropped at the next call. */
                        return rc < 0 ? rc : (int)fl;
                }
                if (rc != -EAGAIN)
                        return rc;
                t = hal_time_ms();
                if (t >= deadline)
                        return -ETIMEDOUT;
                rc = modem_recv(rx + rx_len, sizeof(rx) - rx_len, (uint32_t)(deadline - t));
                if (rc < 0)
                        return rc;
                rx_len += (size_t)rc;
        }
        return -ETIMEDOUT;
}

static void consume(int fl)
{
        if (fl > 0 && (size_t)fl <= rx_len) {
                memmove(rx, rx + fl, rx_len - (size_t)fl);
                rx_len -= (size_t)fl;
        }
}

static void apply_downlink(struct node *n, const struct mqtt_packet *p, int64_t now,
                           struct fw_resend *rs, int *resend)
{
        struct fw_downlink d;
        if (fw_downlink_parse((const char *)p->payload, p->payload_len, &n->settings, &d) < 0) {
                n->downlinks_rejected++;
                return;
        }
        n->settings = d.settings;
        if ((d.has & FW_DOWN_TIME) && fw_time_hint(&n->time, now, d.time))
                fwq_anchor_set(&n->q, n->q.epoch, n->time.offset);
        if (d.has & FW_DOWN_RESEND) {
                uint32_t h = fw_resend_id_hash(d.resend_id);
                if (!fwq_resend_served(&n->q, h)) {
                        fw_resend_start(rs, &n->q, d.resend_from, d.resend_to,
                                        !(d.has & FW_DOWN_RESEND_EPOCH), d.resend_epoch);
                        *resend = 1;
                        /* Marked before serving: a reset mid-way must not
                         * serve it again (duplicates would be harmless,
                         * a resend loop would not). */
                        fwq_resend_mark(&n->q, h);
                }
        }
}

/* Publishes pack[0..len) at QoS 1 and waits for its PUBACK, resending with
 * DUP.  Downlinks arriving meanwhile are applied. */
static int64_t now_s(void)
{
        return (int64_t)(hal_time_ms() / 1000);
}

static void ack_downlink(struct node *n, const struct mqtt_packet *p, int64_t now,
                         uint64_t deadline, struct fw_resend *rs, int *resend)
{
        uint8_t ack[4];
        apply_downlink(n, p, now, rs, resend);
        if (p->qos == 1)
                send_all(ack, mqtt_enc_puback(ack, sizeof(ack), p->packet_id), deadline);
}

/* Publishes pack[0..len) at QoS 1 and waits for its PUBACK, resending with
 * DUP after NODE_ACK_S, at most MQTT_RETRIES_MAX times.  Downlinks
 * arriving meanwhile are applied and acknowledged. */
static int publish_acked(struct node *n, size_t len, int64_t now, uint64_t deadline,
                         struct fw_resend *rs, int *resend)
{
        struct mqtt_packet p;
        uint16_t id, due_id;
        uint32_t tag;
        int rc, dup = 0, round;
        mqtt_inflight_init(&n->inflight);
        rc = mqtt_inflight_add(&n->inflight, now_s(), 0, &id);
        if (rc < 0)
                return rc;
        for (round = 0; round <= MQTT_RETRIES_MAX; round++) {
                unsigned k;
                uint8_t head[NODE_HEAD];
                int h = mqtt_enc_publish_head(head, sizeof(head), n->topic_up, len, 1, 0,
                                              (uint8_t)dup, id);
                if (h < 0) {
                        rc = h;
                        goto out;
                }
                memcpy(tx + NODE_HEAD - h, head, (size_t)h);
                rc = send_all(tx + NODE_HEAD - h, h + (int)len, deadline);
                if (rc < 0)
                        goto out;
                for (k = 0; k < 16; k++) {
                        uint64_t wait = hal_time_ms() + NODE_ACK_S * 1000u;
                        rc = recv_packet(&p, wait < deadline ? wait : deadline);
                        if (rc == -ETIMEDOUT)
                                break;
                        if (rc < 0)
                                goto out;
                        consume(rc);
                        if (p.type == MQTT_PUBACK &&
                            mqtt_inflight_ack(&n->inflight, p.packet_id, &tag) == 0) {
                                rc = 0;
                                goto out;
                        }
                        if (p.type == MQTT_PUBLISH)
                                ack_downlink(n, &p, now, deadline, rs, resend);
                }
                if (hal_time_ms() >= deadline) {
                        rc = -ETIMEDOUT;
                        goto out;
                }
                rc = mqtt_inflight_due(&n->inflight, now_s() + NODE_ACK_S, NODE_ACK_S, &due_id,
                                       &tag);
                if (rc < 0)
                        goto out;
                dup = 1;
        }
        rc = -ETIMEDOUT;
out:
        mqtt_inflight_init(&n->inflight);
        return rc;
}

/* Appends s to out (cap bytes, NUL-terminated) or fails. */
static int app(char *out, size_t cap, size_t *k, const char *s)
{
        size_t l = strlen(s);
        if (*k + l >= cap)
                return -ENOSPC;
        memcpy(out + *k, s, l + 1);
        *k += l;
        return 0;
}

/* The status document of docs/contracts.md, written without printf. */
static int publish_status(struct node *n, int64_t now, uint64_t deadline)
{
        char s[200], num[24];
        size_t k = 0;
        int32_t batt = 0;
        int rc;
        rc = app(s, sizeof(s), &k,
                 "{\"state\":\"online\",\"fw\":\"" SONAE_FW_VERSION "\",\"uptime_s\":");
        senml_format_micro(now * 1000000, num, sizeof(num));
        rc |= app(s, sizeof(s), &k, num);
        if (hal_adc_read(HAL_ADC_BATTERY, &batt) == 0) {
                senml_format_micro((int64_t)batt * 1000, num, sizeof(num));
                rc |= app(s, sizeof(s), &k, ",\"batt_v\":");
                rc |= app(s, sizeof(s), &k, num);
        }
        if (n->rssi_known) {
                senml_format_micro((int64_t)n->rssi_dbm * 1000000, num, sizeof(num));
                rc |= app(s, sizeof(s), &k, ",\"rssi_dbm\":");
                rc |= app(s, sizeof(s), &k, num);
        }
        senml_format_micro((int64_t)fwq_unsent(&n->q) * 1000000, num, sizeof(num));
        rc |= app(s, sizeof(s), &k, ",\"queue\":");
        rc |= app(s, sizeof(s), &k, num);
        rc |= app(s, sizeof(s), &k,
                  n->time.valid ? ",\"time_valid\":true}" : ",\"time_valid\":false}");
        if (rc)
                return -ENOSPC;
        return send_all(
            tx,
            mqtt_enc_publish(tx, sizeof(tx), n->topic_status, (const uint8_t *)s, k, 0, 1, 0, 0),
            deadline);
}

int node_session(struct node *n, int64_t now)
{
        static const char will[] = "{\"state\":\"offline\"}";
        struct mqtt_connect c;
        struct mqtt_packet p;
        struct fw_uplink_pack up;
        struct fw_resend rs;
        uint64_t deadline = hal_time_ms() + NODE_SESSION_MS;
        int64_t utc;
        int rc, resend = 0, rssi, waiting = 0;
        unsigned packs;

        memset(&rs, 0, sizeof(rs));
        rx_len = 0;
        n->sessions++;
        rc = modem_open(n->prov.host, n->prov.port, n->prov.tls, NODE_SESSION_MS / 2);
        if (rc < 0)
                goto out_sleep;
        if (modem_time(&utc) == 0 && fw_time_network(&n->time, now, utc))
                fwq_anchor_set(&n->q, n->q.epoch, n->time.offset);
        if (modem_rssi(&rssi) == 0) {
                n->rssi_dbm = rssi;
                n->rssi_known = 1;
        }

        memset(&c, 0, sizeof(c));
        c.client_id = n->prov.device;
        c.username = n->prov.device;
        c.password = (const uint8_t *)n->prov.password;
        c.password_len = (uint16_t)strlen(n->prov.password);
        c.will_topic = n->topic_status;
        c.will_msg = (const uint8_t *)will;
        c.will_len = sizeof(will) - 1;
        c.will_qos = 1;
        c.will_retain = 1;
        c.keepalive_s = (uint16_t)(NODE_SESSION_MS / 1000);
        /* A clean session: the downlink is a retained state, delivered on
         * every SUBSCRIBE; a persistent session would deliver it a second
         * time from the offline queue.  Unacknowledged readings are not
         * lost with the session: they stay in NVM until their PUBACK. */
        c.clean_session = 1;
        rc = send_all(tx, mqtt_enc_connect(tx, sizeof(tx), &c), deadline);
        if (rc < 0)
                goto out;
        rc = recv_packet(&p, deadline);
        if (rc < 0)
                goto out;
        consume(rc);
        if (p.type != MQTT_CONNACK || p.return_code != 0) {
                rc = -ECONNREFUSED;
                goto out;
        }
        rc = send_all(tx, mqtt_enc_subscribe(tx, sizeof(tx), 1, n->topic_down, 1), deadline);
        if (rc < 0)
                goto out;
        /* The SUBACK, and the retained downlink right behind it. */
        {
                uint64_t until = hal_time_ms() + 3000;
                unsigned k;
                for (k = 0; k < 4; k++) {
                        rc = recv_packet(&p, until < deadline ? until : deadline);
                        if (rc < 0)
                                break;
                        consume(rc);
                        if (p.type == MQTT_PUBLISH) {
                                ack_downlink(n, &p, now, deadline, &rs, &resend);
                                break;
                        }
                }
        }
        rc = publish_status(n, now, deadline);
        if (rc < 0)
                goto out;
        for (packs = 0; packs < 64; packs++) {
                rc = fw_uplink_build(&n->q, &n->time, n->prov.device, pack, PACK_CAP, &up);
                if (rc == -ENODATA || rc == -EAGAIN) {
                        /* -EAGAIN: readings wait for a clock this session
                         * did not give; the session counts as failed so it
                         * is retried soon, not a heartbeat later. */
                        waiting = rc == -EAGAIN;
                        rc = 0;
                        break;
                }
                if (rc < 0)
                        goto out;
                if (up.readings) {
                        rc = publish_acked(n, up.len, now, deadline, &rs, &resend);
                        if (rc < 0)
                                goto out;
                }
                rc = fwq_ack(&n->q, up.last_wc);
                if (rc < 0)
                        goto out;
        }
        for (packs = 0; resend && packs < 64; packs++) {
                rc = fw_resend_build(&rs, &n->q, &n->time, n->prov.device, pack, PACK_CAP, &up);
                if (rc == -ENODATA) {
                        rc = 0;
                        break;
                }
                if (rc < 0)
                        goto out;
                rc = publish_acked(n, up.len, now, deadline, &rs, &resend);
                if (rc < 0)
                        goto out;
        }
        send_all(tx, mqtt_enc_disconnect(tx, sizeof(tx)), deadline);
        if (waiting)
                rc = -EAGAIN;
out:
        modem_close();
        n->downlinks_rejected += rx_oversized;
        rx_oversized = 0;
out_sleep:
        modem_sleep();
        if (rc < 0)
                n->sessions_failed++;
        return rc;
}

uint32_t node_step(struct node *n, int64_t now)
{
        uint32_t m_in, t_in;
        if (now >= n->next_measure) {
                node_measure(n, now);
                n->next_measure = now + fw_report_measure_interval(&n->report, &n->settings);
        }
        if (fw_report_tx_due(&n->report, &n->settings, now)) {
                if (node_session(n, now) == 0)
                        fw_report_tx_done(&n->report, now);
                else
                        fw_report_tx_failed(&n->report, &n->settings, now, NODE_RETRY_S);
        }
        m_in = n->next_measure > now ? (uint32_t)(n->next_measure - now) : 0;
        t_in = fw_report_tx_in(&n->report, &n->settings, now);
        return m_in < t_in ? m_in : t_in;
}

void node_run(struct node *n, uint32_t max_steps)
{
        uint32_t steps = 0;
        hal_wdt_start(NODE_WDT_MS);
        for (;;) {
                int64_t now = (int64_t)(hal_time_ms() / 1000);
                uint64_t wake;
                uint32_t in, k;
                hal_wdt_kick();
                in = node_step(n, now);
                if (max_steps && ++steps >= max_steps)
                        return;
                /* Sleep in pieces shorter than the watchdog, feeding it at
                 * each wake-up: a hang anywhere else still resets the node. */
                wake = hal_time_ms() + (uint64_t)in * 1000u;
                for (k = 0; k <= in / (NODE_WDT_MS / 2000u) + 1; k++) {
                        uint64_t t = hal_time_ms(), until;
                        if (t >= wake)
                                break;
                        until = t + NODE_WDT_MS / 2u;
                        hal_sleep_until(until < wake ? until : wake);
                        hal_wdt_kick();
                }
        }
}
