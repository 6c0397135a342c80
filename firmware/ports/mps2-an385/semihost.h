/* Arm semihosting, the QEMU side channel for console output and the exit
 * code (qemu-system-arm -semihosting-config enable=on,target=native). */
#ifndef SONAE_MPS2_SEMIHOST_H
#define SONAE_MPS2_SEMIHOST_H

#include <stddef.h>

void semihost_write(const char *buf, size_t len);
/* SYS_EXIT_EXTENDED: QEMU exits with code.  Never returns. */
void semihost_exit(int code) __attribute__((noreturn));

#endif
