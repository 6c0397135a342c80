#include "jsonutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double json_num(const json_t *v)
{
        if (json_is_number(v)) {
                double d = json_number_value(v);
                return isfinite(d) ? d : NAN;
        }
        if (!json_is_string(v))
                return NAN;
        const char *s = json_string_value(v);
        while (*s == ' ')
                s++;
        if (!*s)
                return NAN;
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || errno)
                return NAN;
        while (*end == ' ')
                end++;
        return *end || !isfinite(d) ? NAN : d;
}

const char *json_text(const json_t *v, char *buf, size_t len)
{
        if (json_is_string(v))
                return json_string_value(v);
        if (json_is_integer(v)) {
                snprintf(buf, len, "%lld", (long long)json_integer_value(v));
                return buf;
        }
        if (json_is_real(v)) {
                snprintf(buf, len, "%.15g", json_real_value(v));
                return buf;
        }
        return NULL;
}

json_t *json_path(json_t *root, const char *path)
{
        json_t *cur = root;
        const char *p = path;
        while (cur && p && *p) {
                const char *dot = strchr(p, '.');
                size_t l = dot ? (size_t)(dot - p) : strlen(p);
                char key[128];
                if (l >= sizeof(key))
                        return NULL;
                memcpy(key, p, l);
                key[l] = '\0';
                if (json_is_array(cur)) {
                        char *end;
                        long idx = strtol(key, &end, 10);
                        if (*end || end == key || idx < 0)
                                return NULL;
                        cur = json_array_get(cur, (size_t)idx);
                } else if (json_is_object(cur)) {
                        cur = json_object_get(cur, key);
                } else {
                        return NULL;
                }
                p = dot ? dot + 1 : NULL;
        }
        return cur;
}

json_t *json_load_capped(const char *body, size_t len, char *err, size_t errlen)
{
        json_error_t e;
        json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
        if (!j && err)
                snprintf(err, errlen, "not JSON: %s at line %d", e.text, e.line);
        return j;
}
