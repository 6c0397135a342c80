#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json_writer *w, struct buf *out)
{
        memset(w, 0, sizeof(*w));
        w->out = out;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
        if (w->err)
                return;
        int r = buf_append(w->out, s, n);
        if (r < 0)
                w->err = r;
}

/* Before a value: a comma unless it is the first in its container, or the
 * value of a key (json_key already wrote the separator). */
static void sep(struct json_writer *w)
{
        if (w->need_comma[w->depth])
                put(w, ",", 1);
        w->need_comma[w->depth] = true;
}

void json_key(struct json_writer *w, const char *key)
{
        sep(w);
        if (!w->err) {
                int r = json_escape(w->out, key, strlen(key));
                if (r < 0)
                        w->err = r;
        }
        put(w, ":", 1);
        w->need_comma[w->depth] = false;
}

static void open_c(struct json_writer *w, char c)
{
        sep(w);
        put(w, &c, 1);
        if (w->depth + 1 >= JSON_MAX_DEPTH) {
                w->err = -E2BIG;
                return;
        }
        w->depth++;
        w->need_comma[w->depth] = false;
}

static void close_c(struct json_writer *w, char c)
{
        put(w, &c, 1);
        if (w->depth > 0)
                w->depth--;
        w->need_comma[w->depth] = true;
}

void json_obj_begin(struct json_writer *w)
{
        open_c(w, '{');
}
void json_obj_end(struct json_writer *w)
{
        close_c(w, '}');
}
void json_arr_begin(struct json_writer *w)
{
        open_c(w, '[');
}
void json_arr_end(struct json_writer *w)
{
        close_c(w, ']');
}

int json_escape(struct buf *out, const char *s, size_t len)
{
        int r = buf_putc(out, '"');
        for (size_t i = 0; i < len && r == 0; i++) {
                unsigned char c = (unsigned char)s[i];
                switch (c) {
                case '"':
                        r = buf_puts(out, "\\\"");
                        break;
                case '\\':
                        r = buf_puts(out, "\\\\");
                        break;
                case '\n':
                        r = buf_puts(out, "\\n");
                        break;
                case '\r':
                        r = buf_puts(out, "\\r");
                        break;
                case '\t':
                        r = buf_puts(out, "\\t");
                        break;
                default:
                        if (c < 0x20)
                                r = buf_printf(out, "\\u%04x", c);
                        else
                                r = buf_putc(out, (char)c);
                }
        }
        if (r == 0)
                r = buf_putc(out, '"');
        return r;
}

void json_strn(struct json_writer *w, const char *s, size_t len)
{
        sep(w);
        if (w->err)
                return;
        int r = json_escape(w->out, s, len);
        if (r < 0)
                w->err = r;
}

void json_str(struct json_writer *w, const char *s)
{
        if (!s) {
                json_null_value(w);
                return;
        }
        json_strn(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
        sep(w);
        put(w, tmp, (size_t)n);
}

void json_double(struct json_writer *w, double v)
{
        if (!isfinite(v)) {
                json_null_value(w);
                return;
        }
        char tmp[40];
        /* %.17g round-trips, but sensors and gauges carry at most a few
         * decimals; %.10g keeps 0.1 as 0.1 and still distinguishes mm. */
        int n = snprintf(tmp, sizeof(tmp), "%.10g", v);
        sep(w);
        put(w, tmp, (size_t)n);
}

void json_bool(struct json_writer *w, bool v)
{
        sep(w);
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null_value(struct json_writer *w)
{
        sep(w);
        put(w, "null", 4);
}

void json_raw(struct json_writer *w, const char *json)
{
        sep(w);
        put(w, json, strlen(json));
}

int json_error(const struct json_writer *w)
{
        return w->err;
}
