/* A RAM stand-in for the node's FRAM with power-failure injection: after
 * fail_after more bytes have been written the "power goes": the write in
 * progress stops at that byte (the rest of the target keeps its old
 * contents, as on FRAM) and every later write fails until the test
 * "restores power".  Used by the queue tests on host and target alike. */
#ifndef SONAE_FW_TEST_NVM_H
#define SONAE_FW_TEST_NVM_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fw_queue.h"

#define TNVM_MAX (64 * 1024)

struct tnvm {
        uint8_t mem[TNVM_MAX];
        uint32_t size;
        long fail_after; /* -1: never */
        int dead;
        unsigned long writes;
};

static inline int tnvm_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
        struct tnvm *n = ctx;
        if (off > n->size || len > n->size - off)
                return -EFAULT;
        memcpy(buf, n->mem + off, len);
        return 0;
}

static inline int tnvm_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
        struct tnvm *n = ctx;
        if (off > n->size || len > n->size - off)
                return -EFAULT;
        if (n->dead)
                return -EIO;
        n->writes++;
        if (n->fail_after >= 0 && (long)len > n->fail_after) {
                memcpy(n->mem + off, buf, (size_t)n->fail_after);
                n->dead = 1;
                return -EIO;
        }
        memcpy(n->mem + off, buf, len);
        if (n->fail_after >= 0)
                n->fail_after -= (long)len;
        return 0;
}

static inline void tnvm_init(struct tnvm *n, struct fwq_nvm *io, uint32_t size)
{
        memset(n->mem, 0xFF, sizeof(n->mem));
        n->size = size;
        n->fail_after = -1;
        n->dead = 0;
        n->writes = 0;
        io->ctx = n;
        io->size = size;
        io->read = tnvm_read;
        io->write = tnvm_write;
}

/* Power back on: writes work again. */
static inline void tnvm_restore(struct tnvm *n)
{
        n->fail_after = -1;
        n->dead = 0;
}

#endif
