#include "semihost.h"

#include <stdint.h>

#define SYS_WRITE0           0x04
#define SYS_EXIT_EXTENDED    0x20
#define ADP_APPLICATION_EXIT 0x20026

static int call(int op, const void *arg)
{
        register int r0 __asm__("r0") = op;
        register const void *r1 __asm__("r1") = arg;
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
        return r0;
}

void semihost_write(const char *buf, size_t len)
{
        /* SYS_WRITE0 takes NUL-terminated text: copy in chunks. */
        char chunk[65];
        size_t i = 0;
        while (i < len) {
                size_t n = len - i < 64 ? len - i : 64, k;
                for (k = 0; k < n; k++)
                        chunk[k] = buf[i + k] ? buf[i + k] : ' ';
                chunk[n] = '\0';
                call(SYS_WRITE0, chunk);
                i += n;
        }
}

void semihost_exit(int code)
{
        uint32_t block[2] = {ADP_APPLICATION_EXIT, (uint32_t)code};
        call(SYS_EXIT_EXTENDED, block);
        for (;;)
                __asm__ volatile("wfi");
}
