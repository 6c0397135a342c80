/* The NVM queue: capacity, order, acknowledgement, wrap with drop-oldest
 * and its counter, epochs and seq across resets, and power lost in the
 * middle of every kind of write. */
#include "fw_test.h"
#include "fw_test_nvm.h"

static struct tnvm nvm;
static struct fwq_nvm io;

static int push(struct fwq *q, uint32_t t)
{
        struct fwq_rec r;
        memset(&r, 0, sizeof(r));
        r.time = t;
        r.dist_mm = (int32_t)t;
        r.level_mm = 5000 - (int32_t)t;
        r.flags = FWQ_VALID;
        return fwq_push(q, &r);
}

static void test_basics(void)
{
        struct fwq q;
        struct fwq_rec r;
        uint32_t i;
        /* A 64 KB FRAM holds more than 7 days at 10-minute intervals. */
        CHECK(fwq_capacity(64 * 1024) >= 7 * 144);
        tnvm_init(&nvm, &io, 64 * 1024);
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(q.epoch, 1);
        CHECK_INT(fwq_unsent(&q), 0);
        for (i = 0; i < 10; i++)
                CHECK_INT(push(&q, 1000 + i), 0);
        CHECK_INT(fwq_unsent(&q), 10);
        CHECK_INT(fwq_read(&q, fwq_first_unsent(&q), &r), 0);
        CHECK_INT(r.seq, 0);
        CHECK_INT(r.epoch, 1);
        CHECK_INT(r.time, 1000);

        /* A reset: same readings, a new epoch, seq from 0 again. */
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(q.epoch, 2);
        CHECK_INT(fwq_unsent(&q), 10);
        CHECK_INT(push(&q, 2000), 0);
        CHECK_INT(fwq_read(&q, q.head_wc - 1, &r), 0);
        CHECK_INT(r.epoch, 2);
        CHECK_INT(r.seq, 0);
        CHECK_INT(fwq_read(&q, q.head_wc - 2, &r), 0);
        CHECK_INT(r.epoch, 1);
        CHECK_INT(r.seq, 9);

        /* Acknowledged readings stay acknowledged across a reset. */
        CHECK_INT(fwq_ack(&q, fwq_first_unsent(&q) + 4), 0);
        CHECK_INT(fwq_unsent(&q), 6);
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(q.epoch, 3);
        CHECK_INT(fwq_unsent(&q), 6);
        CHECK_INT(fwq_read(&q, fwq_first_unsent(&q), &r), 0);
        CHECK_INT(r.seq, 5);
        /* An older acknowledgement changes nothing; a wc not yet written
         * acknowledges only what exists. */
        CHECK_INT(fwq_ack(&q, 1), 0);
        CHECK_INT(fwq_unsent(&q), 6);
        CHECK_INT(fwq_read(&q, q.head_wc, &r), -ENOENT);
        CHECK_INT(fwq_ack(&q, q.head_wc + 100), 0);
        CHECK_INT(fwq_unsent(&q), 0);
        CHECK_INT(q.dropped, 0);

        /* Too small an NVM is refused. */
        tnvm_init(&nvm, &io, FWQ_DATA_OFF + 3 * FWQ_REC_SIZE);
        CHECK_INT(fwq_open(&q, &io), -ENOSPC);
}

/* 16 slots: the history of acknowledged readings is overwritten freely;
 * unacknowledged ones only when all 16 are unacknowledged, and then each
 * lost one is counted. */
static void test_wrap(void)
{
        struct fwq q;
        struct fwq_rec r;
        uint32_t i;
        tnvm_init(&nvm, &io, FWQ_DATA_OFF + 16 * FWQ_REC_SIZE);
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(q.slots, 16);
        for (i = 0; i < 16; i++)
                push(&q, i);
        CHECK_INT(fwq_unsent(&q), 16);
        CHECK_INT(q.dropped, 0);
        fwq_ack(&q, q.head_wc - 1);
        /* 16 more over the acknowledged history: nothing dropped. */
        for (i = 16; i < 32; i++)
                push(&q, i);
        CHECK_INT(fwq_unsent(&q), 16);
        CHECK_INT(q.dropped, 0);
        /* Now full of unsent readings: 5 more drop the 5 oldest. */
        for (i = 32; i < 37; i++)
                push(&q, i);
        CHECK_INT(fwq_unsent(&q), 16);
        CHECK_INT(q.dropped, 5);
        CHECK_INT(fwq_read(&q, fwq_first_unsent(&q), &r), 0);
        CHECK_INT(r.time, 21);
        /* The counter and the order survive a reset; it goes out in every
         * record, so the server sees it too. */
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(q.dropped, 5);
        CHECK_INT(fwq_unsent(&q), 16);
        CHECK_INT(fwq_read(&q, q.head_wc - 1, &r), 0);
        CHECK_INT(r.time, 36);
        CHECK_INT(r.dropped, 5);
        for (i = 0; i < 16; i++) {
                CHECK_INT(fwq_read(&q, fwq_first_unsent(&q) + i, &r), 0);
                CHECK_INT(r.time, 21 + i);
        }
        /* The write counter keeps going through many wraps. */
        fwq_ack(&q, q.head_wc - 1);
        for (i = 0; i < 1000; i++)
                push(&q, 100 + i);
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(fwq_read(&q, q.head_wc - 1, &r), 0);
        CHECK_INT(r.time, 1099);
        CHECK_INT(q.dropped, 5 + 1000 - 16);
}

/* Power lost at every byte of a record write, in an empty slot and in a
 * full ring: the queue reopens with every earlier reading, the torn slot
 * is detected and reused. */
static void test_torn_record(void)
{
        struct fwq q;
        struct fwq_rec r;
        long k;
        int ok = 1, torn_seen = 0;
        for (k = 0; k < FWQ_REC_SIZE; k++) {
                uint32_t i;
                tnvm_init(&nvm, &io, FWQ_DATA_OFF + 16 * FWQ_REC_SIZE);
                fwq_open(&q, &io);
                for (i = 0; i < 5; i++)
                        push(&q, i);
                nvm.fail_after = k;
                if (push(&q, 99) == 0)
                        ok = 0;
                tnvm_restore(&nvm);
                if (fwq_open(&q, &io) != 0 || fwq_unsent(&q) != 5)
                        ok = 0;
                torn_seen += q.torn > 0;
                if (fwq_read(&q, q.head_wc - 1, &r) != 0 || r.time != 4)
                        ok = 0;
                /* The slot is written again, cleanly. */
                if (push(&q, 5) != 0 || fwq_open(&q, &io) != 0 || fwq_unsent(&q) != 6 ||
                    q.torn != 0)
                        ok = 0;
        }
        CHECK(ok);
        /* Every tear after the first byte left a detectable slot. */
        CHECK_INT(torn_seen, FWQ_REC_SIZE - 1);

        /* In a full ring the torn slot held the oldest reading, which was
         * being dropped anyway: the other 15 survive in order. */
        for (k = 1; k < FWQ_REC_SIZE; k += 7) {
                uint32_t i;
                tnvm_init(&nvm, &io, FWQ_DATA_OFF + 16 * FWQ_REC_SIZE);
                fwq_open(&q, &io);
                for (i = 0; i < 16; i++)
                        push(&q, i);
                nvm.fail_after = k;
                CHECK(push(&q, 16) < 0);
                tnvm_restore(&nvm);
                CHECK_INT(fwq_open(&q, &io), 0);
                CHECK_INT(fwq_unsent(&q), 15);
                CHECK_INT(fwq_read(&q, fwq_first_unsent(&q), &r), 0);
                CHECK_INT(r.time, 1);
                CHECK_INT(fwq_read(&q, q.head_wc - 1, &r), 0);
                CHECK_INT(r.time, 15);
        }
}

/* A flipped bit in a record in the middle of the queue (FRAM damage):
 * that reading is lost and reported damaged, the ones before and after it
 * are all still there after a reset. */
static void test_bit_flip(void)
{
        struct fwq q;
        struct fwq_rec r;
        uint32_t i, good = 0, bad = 0;
        tnvm_init(&nvm, &io, FWQ_DATA_OFF + 16 * FWQ_REC_SIZE);
        fwq_open(&q, &io);
        for (i = 0; i < 10; i++)
                push(&q, i);
        /* Slot of the fifth reading (wc 5), one byte of its distance. */
        nvm.mem[FWQ_DATA_OFF + 5 * FWQ_REC_SIZE + 17] ^= 0x10;
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(q.torn, 1);
        CHECK_INT(fwq_unsent(&q), 10);
        for (i = 0; i < 10; i++) {
                int rc = fwq_read(&q, fwq_first_unsent(&q) + i, &r);
                if (rc == 0 && r.time == i)
                        good++;
                else if (rc == -EIO && i == 4)
                        bad++;
        }
        CHECK_INT(good, 9);
        CHECK_INT(bad, 1);
        /* The oldest reading itself damaged: the others remain. */
        nvm.mem[FWQ_DATA_OFF + 1 * FWQ_REC_SIZE + 3] ^= 0x01;
        CHECK_INT(fwq_open(&q, &io), 0);
        CHECK_INT(fwq_unsent(&q), 9);
        CHECK_INT(fwq_read(&q, fwq_first_unsent(&q), &r), 0);
        CHECK_INT(r.time, 1);
}

/* Power lost while writing the header (an acknowledgement, a new epoch):
 * the other header copy is used, so at worst readings are sent twice
 * (the server keys them by device, epoch and seq) and never lost, and no
 * epoch is reused for new readings. */
static void test_torn_header(void)
{
        struct fwq q;
        long k;
        uint32_t last_epoch = 0;
        int ok = 1;
        for (k = 0; k < FWQ_HDR_SIZE; k += 3) {
                uint32_t i;
                tnvm_init(&nvm, &io, FWQ_DATA_OFF + 16 * FWQ_REC_SIZE);
                fwq_open(&q, &io);
                for (i = 0; i < 8; i++)
                        push(&q, i);
                fwq_ack(&q, q.head_wc - 5); /* 4 remain */
                nvm.fail_after = k;
                if (fwq_ack(&q, q.head_wc - 1) == 0)
                        ok = 0;
                tnvm_restore(&nvm);
                if (fwq_open(&q, &io) != 0)
                        ok = 0;
                /* Either acknowledgement may have won: never a loss. */
                if (fwq_unsent(&q) != 4)
                        ok = 0;
                if (q.epoch != 2)
                        ok = 0;
                /* Tear the epoch write itself: the reopened epoch is still new. */
                last_epoch = q.epoch;
                nvm.fail_after = k;
                fwq_open(&q, &io);
                tnvm_restore(&nvm);
                fwq_open(&q, &io);
                if (q.epoch <= last_epoch)
                        ok = 0;
        }
        CHECK(ok);
}

/* Random pushes, acknowledgements, resets and power failures: every
 * reading whose push returned 0 and that was not acknowledged is found
 * again, in order, after every reopen. */
static void test_random_power_loss(void)
{
        static uint32_t model[64];
        struct fwq q;
        struct fwq_rec r;
        unsigned n = 0, step, i;
        uint32_t next = 0;
        int ok = 1;
        tnvm_init(&nvm, &io, FWQ_DATA_OFF + 64 * FWQ_REC_SIZE);
        fwq_open(&q, &io);
        for (step = 0; step < 600 && ok; step++) {
                long op = fwt_rand(0, 9);
                if (op < 6 && n < 60) {
                        if (fwt_rand(0, 9) == 0)
                                nvm.fail_after = fwt_rand(0, FWQ_REC_SIZE - 1);
                        if (push(&q, next) == 0)
                                model[n++] = next;
                        next++;
                        if (nvm.dead) {
                                tnvm_restore(&nvm);
                                fwq_open(&q, &io);
                        }
                } else if (op < 8 && n > 0) {
                        unsigned k = (unsigned)fwt_rand(1, (long)n);
                        if (fwq_ack(&q, fwq_first_unsent(&q) + k - 1) == 0) {
                                memmove(model, model + k, (n - k) * sizeof(model[0]));
                                n -= k;
                        }
                } else {
                        fwq_open(&q, &io);
                }
                if (fwq_unsent(&q) != n)
                        ok = 0;
                for (i = 0; i < n && ok; i++)
                        if (fwq_read(&q, fwq_first_unsent(&q) + i, &r) != 0 || r.time != model[i])
                                ok = 0;
        }
        if (!ok)
                printf("random power loss: mismatch at step %u (model %u, queue %lu)\n", step, n,
                       (unsigned long)fwq_unsent(&q));
        CHECK(ok);
        CHECK_INT(q.dropped, 0);
}

static void test_resend_ids(void)
{
        struct fwq q;
        tnvm_init(&nvm, &io, FWQ_DATA_OFF + 16 * FWQ_REC_SIZE);
        fwq_open(&q, &io);
        CHECK_INT(fwq_resend_served(&q, 77), 0);
        CHECK_INT(fwq_resend_mark(&q, 77), 0);
        CHECK_INT(fwq_resend_served(&q, 77), 1);
        /* Survives a reset. */
        fwq_open(&q, &io);
        CHECK_INT(fwq_resend_served(&q, 77), 1);
        /* The last FWQ_RESEND_IDS are kept. */
        fwq_resend_mark(&q, 1);
        fwq_resend_mark(&q, 2);
        fwq_resend_mark(&q, 3);
        CHECK_INT(fwq_resend_served(&q, 77), 1);
        fwq_resend_mark(&q, 4);
        CHECK_INT(fwq_resend_served(&q, 77), 0);
        CHECK_INT(fwq_resend_served(&q, 4), 1);
}

int main(void)
{
        test_basics();
        test_wrap();
        test_torn_record();
        test_bit_flip();
        test_torn_header();
        test_random_power_loss();
        test_resend_ids();
        return fwt_done("queue");
}
