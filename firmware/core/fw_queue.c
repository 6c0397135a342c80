#include "fw_queue.h"
#include "fw_crc.h"

#include <errno.h>
#include <string.h>

#define MAGIC   0x314e5153u /* "SQN1" */
#define VERSION 1u

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
               ((uint32_t)p[3] << 24);
}

uint32_t fwq_capacity(uint32_t size)
{
        return size > FWQ_DATA_OFF ? (size - FWQ_DATA_OFF) / FWQ_REC_SIZE : 0;
}

static uint32_t slot_off(const struct fwq *q, uint32_t wc)
{
        return FWQ_DATA_OFF + (wc % q->slots) * FWQ_REC_SIZE;
}

static void rec_pack(const struct fwq_rec *r, uint8_t *b)
{
        memset(b, 0, FWQ_REC_SIZE);
        put32(b + 0, r->wc);
        put32(b + 4, r->epoch);
        put32(b + 8, r->seq);
        put32(b + 12, r->time);
        put32(b + 16, (uint32_t)r->dist_mm);
        put32(b + 20, (uint32_t)r->level_mm);
        put32(b + 24, r->dropped);
        b[28] = (uint8_t)(uint16_t)r->temp_cc;
        b[29] = (uint8_t)((uint16_t)r->temp_cc >> 8);
        b[30] = (uint8_t)r->batt_mv;
        b[31] = (uint8_t)(r->batt_mv >> 8);
        b[32] = (uint8_t)r->rssi_dbm;
        b[33] = r->flags;
        put32(b + 36, fw_crc32(b, 36));
}

/* 0 when the bytes hold a record of slot index idx. */
static int rec_unpack(const struct fwq *q, const uint8_t *b, uint32_t idx, struct fwq_rec *r)
{
        if (get32(b + 36) != fw_crc32(b, 36))
                return -EIO;
        r->wc = get32(b + 0);
        if (r->wc == 0 || r->wc % q->slots != idx)
                return -EIO;
        r->epoch = get32(b + 4);
        r->seq = get32(b + 8);
        r->time = get32(b + 12);
        r->dist_mm = (int32_t)get32(b + 16);
        r->level_mm = (int32_t)get32(b + 20);
        r->dropped = get32(b + 24);
        r->temp_cc = (int16_t)(uint16_t)(b[28] | (b[29] << 8));
        r->batt_mv = (uint16_t)(b[30] | (b[31] << 8));
        r->rssi_dbm = (int8_t)b[32];
        r->flags = b[33];
        return 0;
}

static int read_slot(const struct fwq *q, uint32_t idx, struct fwq_rec *r)
{
        uint8_t b[FWQ_REC_SIZE];
        int rc = q->nvm->read(q->nvm->ctx, FWQ_DATA_OFF + idx * FWQ_REC_SIZE, b, FWQ_REC_SIZE);
        if (rc < 0)
                return rc;
        return rec_unpack(q, b, idx, r);
}

static int hdr_write(struct fwq *q)
{
        uint8_t b[FWQ_HDR_SIZE];
        unsigned i;
        memset(b, 0, sizeof(b));
        q->gen++;
        put32(b + 0, MAGIC);
        put32(b + 4, VERSION);
        put32(b + 8, q->gen);
        put32(b + 12, q->epoch);
        put32(b + 16, q->ack_wc);
        for (i = 0; i < FWQ_RESEND_IDS; i++)
                put32(b + 20 + 4 * i, q->resend[i]);
        for (i = 0; i < FWQ_ANCHORS; i++) {
                put32(b + 36 + 4 * i, q->anchor_epoch[i]);
                put32(b + 44 + 8 * i, (uint32_t)(uint64_t)q->anchor_off[i]);
                put32(b + 48 + 8 * i, (uint32_t)((uint64_t)q->anchor_off[i] >> 32));
        }
        put32(b + 60, fw_crc32(b, 60));
        return q->nvm->write(q->nvm->ctx, (q->gen % 2) * FWQ_HDR_SIZE, b, FWQ_HDR_SIZE);
}

/* Reads header slot i into q when valid; returns its generation or -EIO. */
static int hdr_read(struct fwq *q, unsigned i, uint32_t *gen)
{
        uint8_t b[FWQ_HDR_SIZE];
        unsigned k;
        int rc = q->nvm->read(q->nvm->ctx, i * FWQ_HDR_SIZE, b, FWQ_HDR_SIZE);
        if (rc < 0)
                return rc;
        if (get32(b + 0) != MAGIC || get32(b + 4) != VERSION || get32(b + 60) != fw_crc32(b, 60))
                return -EIO;
        *gen = get32(b + 8);
        q->epoch = get32(b + 12);
        q->ack_wc = get32(b + 16);
        for (k = 0; k < FWQ_RESEND_IDS; k++)
                q->resend[k] = get32(b + 20 + 4 * k);
        for (k = 0; k < FWQ_ANCHORS; k++) {
                q->anchor_epoch[k] = get32(b + 36 + 4 * k);
                q->anchor_off[k] = (int64_t)((uint64_t)get32(b + 44 + 8 * k) |
                                             ((uint64_t)get32(b + 48 + 8 * k) << 32));
        }
        return 0;
}

int fwq_open(struct fwq *q, const struct fwq_nvm *nvm)
{
        struct fwq_rec r;
        uint32_t gen_a = 0, gen_b = 0, newest = 0, i, k;
        int ok_a, ok_b, rc;

        memset(q, 0, sizeof(*q));
        q->nvm = nvm;
        q->slots = fwq_capacity(nvm->size);
        if (q->slots < FWQ_MIN_SLOTS)
                return -ENOSPC;

        /* The header with the newer generation wins; read the winner last
         * so that its fields are the ones left in q. */
        ok_a = hdr_read(q, 0, &gen_a) == 0;
        ok_b = hdr_read(q, 1, &gen_b) == 0;
        if (ok_a && ok_b) {
                if ((int32_t)(gen_a - gen_b) > 0)
                        hdr_read(q, 0, &gen_a);
                q->gen = (int32_t)(gen_a - gen_b) > 0 ? gen_a : gen_b;
        } else if (ok_a) {
                hdr_read(q, 0, &gen_a);
                q->gen = gen_a;
        } else if (ok_b) {
                q->gen = gen_b;
        } else {
                /* A blank or wholly damaged NVM: start over. */
                memset(q->resend, 0, sizeof(q->resend));
                memset(q->anchor_epoch, 0, sizeof(q->anchor_epoch));
                memset(q->anchor_off, 0, sizeof(q->anchor_off));
                q->epoch = 0;
                q->ack_wc = 0;
                q->gen = 0;
        }

        /* Pass 1: the newest valid record. */
        for (i = 0; i < q->slots; i++) {
                rc = read_slot(q, i, &r);
                if (rc == -EIO) {
                        continue;
                } else if (rc < 0) {
                        return rc;
                }
                if (r.wc > newest) {
                        newest = r.wc;
                        q->dropped = r.dropped;
                }
        }
        /* Pass 2: the run of records behind it.  A damaged slot inside the
         * run (a bit flipped in the FRAM) does not hide the older readings
         * behind it: it is stepped over, and reading it later gives -EIO.
         * The run ends at a valid record of another wc (older than the
         * ring) or when the ring is walked through. */
        q->head_wc = newest + 1;
        q->oldest_wc = q->head_wc;
        for (k = 0; k < q->slots && newest > k; k++) {
                uint32_t wc = newest - k;
                rc = read_slot(q, wc % q->slots, &r);
                if (rc < 0 && rc != -EIO)
                        return rc;
                if (rc == 0 && r.wc != wc)
                        break;
                if (rc == 0)
                        q->oldest_wc = wc;
        }
        /* Damaged slots: every slot that is neither in the run nor blank. */
        for (i = 0; i < q->slots; i++) {
                uint8_t b[FWQ_REC_SIZE];
                uint32_t n;
                int blank = 1;
                rc = q->nvm->read(q->nvm->ctx, FWQ_DATA_OFF + i * FWQ_REC_SIZE, b, sizeof(b));
                if (rc < 0)
                        return rc;
                for (n = 0; n < sizeof(b); n++)
                        if (b[n] != 0 && b[n] != 0xFF)
                                blank = 0;
                if (!blank && rec_unpack(q, b, i, &r) < 0)
                        q->torn++;
        }
        if (q->ack_wc >= q->head_wc)
                q->ack_wc = q->head_wc - 1;
        q->epoch++;
        q->seq_next = 0;
        return hdr_write(q);
}

uint32_t fwq_first_unsent(const struct fwq *q)
{
        return q->ack_wc + 1 > q->oldest_wc ? q->ack_wc + 1 : q->oldest_wc;
}

uint32_t fwq_unsent(const struct fwq *q)
{
        return q->head_wc - fwq_first_unsent(q);
}

int fwq_push(struct fwq *q, struct fwq_rec *rec)
{
        uint8_t b[FWQ_REC_SIZE];
        int rc;
        if (q->head_wc - q->oldest_wc >= q->slots) {
                /* The slot to write holds the oldest record. */
                if (q->oldest_wc > q->ack_wc)
                        q->dropped++;
                q->oldest_wc++;
        }
        rec->wc = q->head_wc;
        rec->epoch = q->epoch;
        rec->seq = q->seq_next;
        rec->dropped = q->dropped;
        rec_pack(rec, b);
        rc = q->nvm->write(q->nvm->ctx, slot_off(q, rec->wc), b, FWQ_REC_SIZE);
        if (rc < 0)
                return rc;
        q->head_wc++;
        q->seq_next++;
        return 0;
}

int fwq_read(const struct fwq *q, uint32_t wc, struct fwq_rec *rec)
{
        int rc;
        if (wc < q->oldest_wc || wc >= q->head_wc)
                return -ENOENT;
        rc = read_slot(q, wc % q->slots, rec);
        if (rc < 0)
                return rc;
        return rec->wc == wc ? 0 : -EIO;
}

int fwq_ack(struct fwq *q, uint32_t wc)
{
        if (wc >= q->head_wc)
                wc = q->head_wc - 1;
        if (wc <= q->ack_wc)
                return 0;
        q->ack_wc = wc;
        return hdr_write(q);
}

int fwq_resend_served(const struct fwq *q, uint32_t hash)
{
        unsigned i;
        for (i = 0; i < FWQ_RESEND_IDS; i++)
                if (q->resend[i] == hash)
                        return 1;
        return 0;
}

int fwq_resend_mark(struct fwq *q, uint32_t hash)
{
        if (fwq_resend_served(q, hash))
                return 0;
        memmove(q->resend + 1, q->resend, sizeof(q->resend[0]) * (FWQ_RESEND_IDS - 1));
        q->resend[0] = hash;
        return hdr_write(q);
}

int fwq_anchor_set(struct fwq *q, uint32_t epoch, int64_t offset)
{
        if (q->anchor_epoch[0] == epoch) {
                if (q->anchor_off[0] == offset)
                        return 0;
        } else {
                q->anchor_epoch[1] = q->anchor_epoch[0];
                q->anchor_off[1] = q->anchor_off[0];
                q->anchor_epoch[0] = epoch;
        }
        q->anchor_off[0] = offset;
        return hdr_write(q);
}

int fwq_stamp(const struct fwq *q, const struct fwq_rec *rec, const struct fw_time *t, int64_t *utc)
{
        unsigned i;
        if (!(rec->flags & FWQ_REL)) {
                *utc = rec->time;
                return 0;
        }
        if (rec->epoch == q->epoch)
                return fw_time_utc(t, rec->time, utc);
        for (i = 0; i < FWQ_ANCHORS; i++) {
                if (q->anchor_epoch[i] == rec->epoch && rec->epoch != 0) {
                        *utc = (int64_t)rec->time + q->anchor_off[i];
                        return 0;
                }
        }
        return -ESRCH;
}
