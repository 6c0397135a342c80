/* Logging for Sonae's daemons and CLI.
 *
 * Only daemons and the CLI log; libraries return errors.  Lines go to stderr
 * (journald picks them up) as "LEVEL component: message".  Never pass feed
 * bodies, residents' positions, addresses or tokens to these functions. */
#ifndef SONAE_LOG_H
#define SONAE_LOG_H

#include <stdbool.h>
#include <stdarg.h>
#include <time.h>

enum log_level {
        LOG_LVL_ERR = 0,
        LOG_LVL_WARN = 1,
        LOG_LVL_INFO = 2,
        LOG_LVL_DEBUG = 3,
};

/* component is borrowed and must outlive all logging (a string literal). */
void log_init(const char *component, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error|warning|info|debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Repeated-failure damping.  A source that fails every minute must not fill
 * the journal: the first failure is logged, then again only after a quiet
 * period that doubles up to max_quiet_s; the first success afterwards logs one
 * "recovered" line.  Zero-initialise, or use LOG_COMPLAIN_INIT. */
struct log_complain {
        time_t last; /* when a line was last written, 0 if never */
        int quiet_s; /* current quiet period */
        unsigned failures;
        bool failing;
};
#define LOG_COMPLAIN_INIT                                                                          \
        {                                                                                          \
                0, 0, 0, false                                                                     \
        }

/* Logs at most once per quiet period; returns true when it wrote a line. */
bool log_complain(struct log_complain *c, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Logs one info line if the state was failing, and resets the state. */
bool log_recovered(struct log_complain *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Where lines go; tests point it at a memory stream.  NULL restores stderr. */
#include <stdio.h>
void log_set_stream(FILE *f);

#endif
