/* The firmware core's test harness.  The same test sources run natively
 * (meson test in the root project) and on the Cortex-M3 under QEMU, where
 * printf goes out by semihosting and main's return value becomes QEMU's
 * exit code.  It therefore uses only printf and integer arithmetic: no
 * getenv, no files, no floating point.  Each program ends with
 * fwt_done(), which prints "NAME: N checks, F failed" on both targets so
 * the stage script can compare the two runs check for check. */
#ifndef SONAE_FW_TEST_H
#define SONAE_FW_TEST_H

#include <stdio.h>
#include <string.h>

static int fwt_count;
static int fwt_failures;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                fwt_count++;                                                                       \
                if (!(cond)) {                                                                     \
                        fwt_failures++;                                                            \
                        printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);            \
                }                                                                                  \
        } while (0)

/* Compares as long (32 bits on the target): the values the tests compare
 * this way are small; 64-bit quantities go through CHECK_I64. */
#define CHECK_INT(got, want)                                                                       \
        do {                                                                                       \
                long g_ = (long)(got), w_ = (long)(want);                                          \
                fwt_count++;                                                                       \
                if (g_ != w_) {                                                                    \
                        fwt_failures++;                                                            \
                        printf("%s:%d: %s is %ld, expected %ld\n", __FILE__, __LINE__, #got, g_,   \
                               w_);                                                                \
                }                                                                                  \
        } while (0)

#define CHECK_I64(got, want)                                                                       \
        do {                                                                                       \
                long long g_ = (long long)(got), w_ = (long long)(want);                           \
                fwt_count++;                                                                       \
                if (g_ != w_) {                                                                    \
                        fwt_failures++;                                                            \
                        printf("%s:%d: %s is %ld%09ld, expected %ld%09ld\n", __FILE__, __LINE__,   \
                               #got, (long)(g_ / 1000000000), (long)(g_ % 1000000000),             \
                               (long)(w_ / 1000000000), (long)(w_ % 1000000000));                  \
                }                                                                                  \
        } while (0)

#define CHECK_STR(got, want)                                                                       \
        do {                                                                                       \
                const char *g_ = (got), *w_ = (want);                                              \
                fwt_count++;                                                                       \
                if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) {                 \
                        fwt_failures++;                                                            \
                        printf("%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got, \
                               g_ ? g_ : "(null)", w_ ? w_ : "(null)");                            \
                }                                                                                  \
        } while (0)

/* A deterministic generator (a 32-bit LCG, Numerical Recipes constants) so
 * that "noise" is the same series on the host and on the target. */
static unsigned long fwt_seed = 12345;
static inline long fwt_rand(long lo, long hi)
{
        fwt_seed = (fwt_seed * 1664525ul + 1013904223ul) & 0xFFFFFFFFul;
        return lo + (long)((fwt_seed >> 8) % (unsigned long)(hi - lo + 1));
}

/* Ends main(): a program that ran no check fails, so an emptied test
 * cannot pass. */
static inline int fwt_done(const char *name)
{
        printf("%s: %d checks, %d failed\n", name, fwt_count, fwt_failures);
        return fwt_failures || fwt_count == 0 ? 1 : 0;
}

#endif
