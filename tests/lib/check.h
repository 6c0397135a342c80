/* A very small test harness: each test program runs its checks, prints
 * every failure with file and line, and exits non-zero if any failed.
 * meson counts each program as one test. */
#ifndef SONAE_CHECK_H
#define SONAE_CHECK_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_count;
static int check_failures;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                check_count++;                                                                     \
                if (!(cond)) {                                                                     \
                        check_failures++;                                                          \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
                }                                                                                  \
        } while (0)

#define CHECK_INT(got, want)                                                                       \
        do {                                                                                       \
                long long g_ = (long long)(got), w_ = (long long)(want);                           \
                check_count++;                                                                     \
                if (g_ != w_) {                                                                    \
                        check_failures++;                                                          \
                        fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__,  \
                                #got, g_, w_);                                                     \
                }                                                                                  \
        } while (0)

#define CHECK_STR(got, want)                                                                       \
        do {                                                                                       \
                const char *g_ = (got), *w_ = (want);                                              \
                check_count++;                                                                     \
                if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) {                 \
                        check_failures++;                                                          \
                        fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,        \
                                __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
                }                                                                                  \
        } while (0)

#define CHECK_NEAR(got, want, eps)                                                                 \
        do {                                                                                       \
                double g_ = (got), w_ = (want);                                                    \
                check_count++;                                                                     \
                if (!(fabs(g_ - w_) <= (eps))) {                                                   \
                        check_failures++;                                                          \
                        fprintf(stderr, "%s:%d: %s is %.9g, expected %.9g\n", __FILE__, __LINE__,  \
                                #got, g_, w_);                                                     \
                }                                                                                  \
        } while (0)

/* Ends main(): prints the tally and gives the exit code.  A program that ran
 * no check fails, so an emptied test cannot pass. */
static inline int check_done(const char *name)
{
        printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
        return check_failures || check_count == 0 ? 1 : 0;
}

/* The folder of the shared fixtures (SONAE_FIXTURES, set by meson). */
static inline const char *check_fixtures(void)
{
        const char *d = getenv("SONAE_FIXTURES");
        return d && d[0] ? d : "../shared/fixtures";
}

/* SONAE_TIME_SCALE multiplies every time limit (>= 3 under sanitizers). */
static inline double check_time_scale(void)
{
        const char *s = getenv("SONAE_TIME_SCALE");
        double v = s ? strtod(s, NULL) : 1.0;
        return v >= 1.0 ? v : 1.0;
}

#endif
