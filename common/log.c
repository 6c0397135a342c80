#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define COMPLAIN_FIRST_QUIET_S 60
#define COMPLAIN_MAX_QUIET_S   3600

static const char *log_component = "sonae";
static enum log_level log_threshold = LOG_LVL_INFO;
static FILE *log_stream;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_init(const char *component, enum log_level level)
{
        log_component = component ? component : "sonae";
        log_threshold = level;
}

void log_set_level(enum log_level level)
{
        log_threshold = level;
}

enum log_level log_get_level(void)
{
        return log_threshold;
}

void log_set_stream(FILE *f)
{
        log_stream = f;
}

int log_level_parse(const char *s, enum log_level *out)
{
        for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
                if (strcmp(s, level_names[i]) == 0) {
                        *out = (enum log_level)i;
                        return 0;
                }
        }
        return -EINVAL;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
        if (level > log_threshold)
                return;
        FILE *f = log_stream ? log_stream : stderr;
        char line[2048];
        int n = snprintf(line, sizeof(line), "%s %s: ", level_names[level], log_component);
        if (n < 0)
                return;
        if ((size_t)n < sizeof(line))
                vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        /* One fputs per line so lines from threads do not interleave. */
        size_t len = strlen(line);
        if (len + 1 < sizeof(line)) {
                line[len] = '\n';
                line[len + 1] = '\0';
        }
        fputs(line, f);
        fflush(f);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, fmt, ap);
        va_end(ap);
}

bool log_complain(struct log_complain *c, enum log_level level, const char *fmt, ...)
{
        time_t now = (time_t)(time_now_ms() / 1000);
        c->failures++;
        if (c->failing && c->last != 0 && now - c->last < c->quiet_s)
                return false;
        if (!c->failing)
                c->quiet_s = COMPLAIN_FIRST_QUIET_S;
        else if (c->quiet_s < COMPLAIN_MAX_QUIET_S)
                c->quiet_s =
                    c->quiet_s * 2 > COMPLAIN_MAX_QUIET_S ? COMPLAIN_MAX_QUIET_S : c->quiet_s * 2;
        c->failing = true;
        c->last = now;
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, fmt, ap);
        va_end(ap);
        return true;
}

bool log_recovered(struct log_complain *c, const char *fmt, ...)
{
        if (!c->failing)
                return false;
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_msg(LOG_LVL_INFO, "%s (recovered after %u failures)", msg, c->failures);
        c->failing = false;
        c->failures = 0;
        c->last = 0;
        c->quiet_s = 0;
        return true;
}
