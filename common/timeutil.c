#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static time_now_fn now_override;

void time_set_override(time_now_fn fn)
{
        now_override = fn;
}

int64_t time_now_ms(void)
{
        if (now_override)
                return now_override();
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        y -= m <= 2;
        const int64_t era = (y >= 0 ? y : y - 399) / 400;
        const unsigned yoe = (unsigned)(y - era * 400);
        const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
        z += 719468;
        const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        const unsigned doe = (unsigned)(z - era * 146097);
        const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        const int64_t yy = (int64_t)yoe + era * 400;
        const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        const unsigned mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yy + (*m <= 2));
}

int64_t time_from_civil(int year, int month, int day, int hour, int min, int sec)
{
        return days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 +
               min * 60 + sec;
}

static int digits(const char **p, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                char c = (*p)[i];
                if (c < '0' || c > '9')
                        return -EINVAL;
                v = v * 10 + (c - '0');
        }
        *p += n;
        *out = v;
        return 0;
}

static int days_in_month(int y, int m)
{
        static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dm[m - 1];
}

int time_parse_iso8601(const char *s, int32_t default_offset_s, int64_t *utc_s)
{
        int y, mo, d, h, mi, se = 0;
        const char *p = s;
        if (!s)
                return -EINVAL;
        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
            digits(&p, 2, &d))
                return -EINVAL;
        if (*p != 'T' && *p != ' ')
                return -EINVAL;
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
                return -EINVAL;
        if (*p == ':') {
                p++;
                if (digits(&p, 2, &se))
                        return -EINVAL;
                if (*p == '.' || *p == ',') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        while (*p >= '0' && *p <= '9')
                                p++;
                }
        }
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 24 || mi > 59 ||
            se > 60 || (h == 24 && (mi || se)))
                return -EINVAL;
        int32_t off;
        if (*p == 'Z' || *p == 'z') {
                off = 0;
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, oh, om = 0;
                p++;
                if (digits(&p, 2, &oh))
                        return -EINVAL;
                if (*p == ':')
                        p++;
                if (*p && digits(&p, 2, &om))
                        return -EINVAL;
                if (oh > 14 || om > 59)
                        return -EINVAL;
                off = sign * (oh * 3600 + om * 60);
        } else if (*p == '\0' && default_offset_s != INT32_MIN) {
                off = default_offset_s;
        } else {
                return -EINVAL;
        }
        if (*p != '\0')
                return -EINVAL;
        if (se == 60)
                se = 59; /* a leap second is folded into the second before it */
        *utc_s = time_from_civil(y, mo, d, h, mi, se) - off;
        return 0;
}

int time_format_iso8601(int64_t utc_s, int32_t offset_s, int use_z, char *buf, size_t len)
{
        int64_t local = utc_s + offset_s;
        int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
        int64_t rem = local - days * 86400;
        int y, m, d;
        civil_from_days(days, &y, &m, &d);
        int n;
        if (offset_s == 0 && use_z) {
                n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
                             (int)(rem / 60 % 60), (int)(rem % 60));
        } else {
                int32_t a = offset_s < 0 ? -offset_s : offset_s;
                n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
                             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
                             offset_s < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
        }
        return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int time_format_jst(int64_t utc_s, char *buf, size_t len)
{
        return time_format_iso8601(utc_s, JST_OFFSET_S, 0, buf, len);
}

static const char *const wdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int time_format_http(int64_t utc_s, char *buf, size_t len)
{
        int64_t days = utc_s >= 0 ? utc_s / 86400 : (utc_s - 86399) / 86400;
        int64_t rem = utc_s - days * 86400;
        int y, m, d;
        civil_from_days(days, &y, &m, &d);
        int wd = (int)(((days % 7) + 7) % 7);
        int n =
            snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[wd], d, months[m - 1],
                     y, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
        return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int time_parse_http(const char *s, int64_t *utc_s)
{
        char wd[4], mon[4];
        int d, y, h, mi, se, n = 0;
        if (sscanf(s, "%3s, %d %3s %d %d:%d:%d GMT%n", wd, &d, mon, &y, &h, &mi, &se, &n) != 7 ||
            n == 0 || s[n] != '\0')
                return -EINVAL;
        for (int m = 0; m < 12; m++) {
                if (strcmp(mon, months[m]) == 0) {
                        if (d < 1 || d > days_in_month(y, m + 1) || h > 23 || mi > 59 || se > 60)
                                return -EINVAL;
                        *utc_s = time_from_civil(y, m + 1, d, h, mi, se);
                        return 0;
                }
        }
        return -EINVAL;
}
