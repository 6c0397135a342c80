#include "fw_uplink.h"

#include <errno.h>
#include <string.h>

void fw_uplink_reading(const struct fwq_rec *r, int64_t utc, struct senml_reading *out)
{
        memset(out, 0, sizeof(*out));
        out->t = utc;
        out->seq = r->seq;
        if (r->flags & FWQ_VALID) {
                out->has |= SENML_HAS_DIST | SENML_HAS_LEVEL;
                out->dist_u = (int64_t)r->dist_mm * 1000;
                out->level_u = (int64_t)r->level_mm * 1000;
        }
        if (r->flags & FWQ_HAS_TEMP) {
                out->has |= SENML_HAS_TEMP;
                out->temp_u = (int64_t)r->temp_cc * 10000;
        }
        if (r->flags & FWQ_HAS_BATT) {
                out->has |= SENML_HAS_BATT;
                out->batt_u = (int64_t)r->batt_mv * 1000;
        }
        if (r->flags & FWQ_HAS_RSSI) {
                out->has |= SENML_HAS_RSSI;
                out->rssi_u = (int64_t)r->rssi_dbm * 1000000;
        }
}

/* Adds record r to the pack, starting it when empty.  Returns 0 when
 * added, 1 when the pack is full or would mix epochs (the record stays
 * for the next pack), or an error. */
static int add(struct senml_enc *e, int *started, uint32_t *epoch, const struct fwq_rec *r,
               int64_t utc, const char *device, char *buf, size_t cap)
{
        struct senml_reading rd;
        int rc;
        if (!*started) {
                rc = senml_enc_begin(e, buf, cap, device, utc, r->epoch);
                if (rc < 0)
                        return rc;
                *started = 1;
                *epoch = r->epoch;
        } else if (r->epoch != *epoch) {
                return 1;
        }
        fw_uplink_reading(r, utc, &rd);
        rc = senml_enc_add(e, &rd);
        if (rc == -ENOSPC)
                return 1;
        return rc;
}

static int finish(struct senml_enc *e, int started, struct fw_uplink_pack *p)
{
        if (!started || p->readings == 0) {
                p->len = 0;
                return 0;
        }
        return senml_enc_finish(e, &p->len);
}

int fw_uplink_build(const struct fwq *q, const struct fw_time *t, const char *device, char *buf,
                    size_t cap, struct fw_uplink_pack *p)
{
        struct senml_enc e;
        struct fwq_rec r;
        uint32_t wc, first = fwq_first_unsent(q), epoch = 0;
        int started = 0, rc;

        memset(p, 0, sizeof(*p));
        if (first >= q->head_wc)
                return -ENODATA;
        p->first_wc = first;
        p->last_wc = first - 1;
        /* At most the queue's slots; in practice the pack fills first. */
        for (wc = first; wc < q->head_wc; wc++) {
                int64_t utc;
                rc = fwq_read(q, wc, &r);
                if (rc == -EIO) {
                        p->skipped++;
                        p->last_wc = wc;
                        continue;
                }
                if (rc < 0)
                        return rc;
                rc = fwq_stamp(q, &r, t, &utc);
                if (rc == -ESRCH) {
                        p->skipped++;
                        p->last_wc = wc;
                        continue;
                }
                if (rc == -EAGAIN) {
                        if (p->readings == 0 && p->skipped == 0)
                                return -EAGAIN;
                        break;
                }
                rc = add(&e, &started, &epoch, &r, utc, device, buf, cap);
                if (rc < 0)
                        return rc;
                if (rc == 1)
                        break;
                p->readings++;
                p->last_wc = wc;
        }
        return finish(&e, started, p);
}

void fw_resend_start(struct fw_resend *rs, const struct fwq *q, uint32_t from, uint32_t to,
                     int any_epoch, uint32_t epoch)
{
        rs->from = from;
        rs->to = to;
        rs->any_epoch = any_epoch;
        rs->epoch = epoch;
        rs->cursor_wc = q->oldest_wc;
}

int fw_resend_build(struct fw_resend *rs, const struct fwq *q, const struct fw_time *t,
                    const char *device, char *buf, size_t cap, struct fw_uplink_pack *p)
{
        struct senml_enc e;
        struct fwq_rec r;
        uint32_t wc, epoch = 0;
        int started = 0, rc;

        memset(p, 0, sizeof(*p));
        if (rs->cursor_wc < q->oldest_wc)
                rs->cursor_wc = q->oldest_wc;
        p->first_wc = rs->cursor_wc;
        /* Only the acknowledged history: unsent readings go out anyway. */
        for (wc = rs->cursor_wc; wc <= q->ack_wc && wc < q->head_wc; wc++) {
                int64_t utc;
                rc = fwq_read(q, wc, &r);
                if (rc == 0 && (r.seq < rs->from || r.seq > rs->to ||
                                (!rs->any_epoch && r.epoch != rs->epoch)))
                        rc = -ENOENT;
                if (rc == 0)
                        rc = fwq_stamp(q, &r, t, &utc);
                if (rc < 0) {
                        if (rc != -EIO && rc != -ENOENT && rc != -ESRCH && rc != -EAGAIN)
                                return rc;
                        rs->cursor_wc = wc + 1;
                        continue;
                }
                rc = add(&e, &started, &epoch, &r, utc, device, buf, cap);
                if (rc < 0)
                        return rc;
                if (rc == 1)
                        break;
                p->readings++;
                p->last_wc = wc;
                rs->cursor_wc = wc + 1;
        }
        if (p->readings == 0)
                return -ENODATA;
        return finish(&e, started, p);
}
