#include "fw_json.h"

#include <errno.h>
#include <string.h>

void fwj_init(struct fwj *j, const char *p, size_t len)
{
        j->p = p;
        j->len = p ? len : 0;
        j->pos = 0;
        j->why = NULL;
}

static int fail(struct fwj *j, const char *why, int err)
{
        if (!j->why)
                j->why = why;
        return err;
}

char fwj_peek(struct fwj *j)
{
        while (j->pos < j->len) {
                char c = j->p[j->pos];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                        return c;
                j->pos++;
        }
        return 0;
}

int fwj_expect(struct fwj *j, char c)
{
        if (fwj_peek(j) != c || j->pos >= j->len)
                return fail(j, "unexpected character", -EINVAL);
        j->pos++;
        return 0;
}

int fwj_accept(struct fwj *j, char c)
{
        if (fwj_peek(j) == c && j->pos < j->len) {
                j->pos++;
                return 1;
        }
        return 0;
}

static int hex4(struct fwj *j, uint32_t *v)
{
        uint32_t x = 0;
        if (j->len - j->pos < 4)
                return fail(j, "truncated \\u escape", -EINVAL);
        for (int i = 0; i < 4; i++) {
                char c = j->p[j->pos++];
                x <<= 4;
                if (c >= '0' && c <= '9')
                        x |= (uint32_t)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        x |= (uint32_t)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        x |= (uint32_t)(c - 'A' + 10);
                else
                        return fail(j, "bad \\u escape", -EINVAL);
        }
        *v = x;
        return 0;
}

/* Stores one byte; past the cap it only counts, so that the whole string
 * is still consumed and the caller may go on after -ENAMETOOLONG. */
static int put(struct fwj *j, char *out, size_t cap, size_t *n, char c)
{
        (void)j;
        if (*n + 1 < cap)
                out[*n] = c;
        (*n)++;
        return 0;
}

int fwj_string(struct fwj *j, char *out, size_t cap)
{
        size_t n = 0;
        int r;
        if (cap == 0)
                return fail(j, "string too long", -ENAMETOOLONG);
        out[0] = '\0';
        r = fwj_expect(j, '"');
        if (r < 0)
                return fail(j, "expected a string", r);
        while (j->pos < j->len) {
                unsigned char c = (unsigned char)j->p[j->pos++];
                if (c == '"') {
                        if (n + 1 > cap) {
                                out[cap - 1] = '\0';
                                return fail(j, "string too long", -ENAMETOOLONG);
                        }
                        out[n] = '\0';
                        return 0;
                }
                if (c < 0x20)
                        return fail(j, "control character in string", -EINVAL);
                if (c != '\\') {
                        r = put(j, out, cap, &n, (char)c);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (j->pos >= j->len)
                        break;
                c = (unsigned char)j->p[j->pos++];
                switch (c) {
                case '"':
                case '\\':
                case '/':
                        r = put(j, out, cap, &n, (char)c);
                        break;
                case 'b':
                        r = put(j, out, cap, &n, '\b');
                        break;
                case 'f':
                        r = put(j, out, cap, &n, '\f');
                        break;
                case 'n':
                        r = put(j, out, cap, &n, '\n');
                        break;
                case 'r':
                        r = put(j, out, cap, &n, '\r');
                        break;
                case 't':
                        r = put(j, out, cap, &n, '\t');
                        break;
                case 'u': {
                        uint32_t u;
                        r = hex4(j, &u);
                        if (r < 0)
                                return r;
                        if (u >= 0xD800 && u <= 0xDBFF) {
                                uint32_t lo;
                                if (j->len - j->pos < 2 || j->p[j->pos] != '\\' ||
                                    j->p[j->pos + 1] != 'u')
                                        return fail(j, "lone surrogate", -EINVAL);
                                j->pos += 2;
                                r = hex4(j, &lo);
                                if (r < 0)
                                        return r;
                                if (lo < 0xDC00 || lo > 0xDFFF)
                                        return fail(j, "lone surrogate", -EINVAL);
                                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        } else if (u >= 0xDC00 && u <= 0xDFFF) {
                                return fail(j, "lone surrogate", -EINVAL);
                        }
                        if (u == 0)
                                return fail(j, "NUL in string", -EINVAL);
                        if (u < 0x80) {
                                r = put(j, out, cap, &n, (char)u);
                        } else if (u < 0x800) {
                                r = put(j, out, cap, &n, (char)(0xC0 | (u >> 6)));
                                if (!r)
                                        r = put(j, out, cap, &n, (char)(0x80 | (u & 0x3F)));
                        } else if (u < 0x10000) {
                                r = put(j, out, cap, &n, (char)(0xE0 | (u >> 12)));
                                if (!r)
                                        r = put(j, out, cap, &n, (char)(0x80 | ((u >> 6) & 0x3F)));
                                if (!r)
                                        r = put(j, out, cap, &n, (char)(0x80 | (u & 0x3F)));
                        } else {
                                r = put(j, out, cap, &n, (char)(0xF0 | (u >> 18)));
                                if (!r)
                                        r = put(j, out, cap, &n, (char)(0x80 | ((u >> 12) & 0x3F)));
                                if (!r)
                                        r = put(j, out, cap, &n, (char)(0x80 | ((u >> 6) & 0x3F)));
                                if (!r)
                                        r = put(j, out, cap, &n, (char)(0x80 | (u & 0x3F)));
                        }
                        break;
                }
                default:
                        return fail(j, "bad escape", -EINVAL);
                }
                if (r < 0)
                        return r;
        }
        return fail(j, "unterminated string", -EINVAL);
}

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

int fwj_number(struct fwj *j, int64_t *micro)
{
        uint64_t mant = 0;
        int exp10 = 0, neg = 0, digits = 0, frac_digits = 0;
        char c = fwj_peek(j);
        if (c == '-') {
                neg = 1;
                j->pos++;
        }
        if (j->pos >= j->len || !is_digit(j->p[j->pos]))
                return fail(j, "expected a number", -EINVAL);
        if (j->p[j->pos] == '0' && j->pos + 1 < j->len && is_digit(j->p[j->pos + 1]))
                return fail(j, "leading zero", -EINVAL);
        /* Significant digits beyond 18 cannot change a value that must fit
         * in micro-units anyway: before the point they overflow, after it
         * they are below the resolution and are truncated. */
        while (j->pos < j->len && is_digit(j->p[j->pos])) {
                if (digits < 18) {
                        mant = mant * 10 + (uint64_t)(j->p[j->pos] - '0');
                        if (mant)
                                digits++;
                } else {
                        exp10++;
                }
                j->pos++;
        }
        if (j->pos < j->len && j->p[j->pos] == '.') {
                j->pos++;
                if (j->pos >= j->len || !is_digit(j->p[j->pos]))
                        return fail(j, "bad fraction", -EINVAL);
                while (j->pos < j->len && is_digit(j->p[j->pos])) {
                        if (digits < 18) {
                                mant = mant * 10 + (uint64_t)(j->p[j->pos] - '0');
                                exp10--;
                                if (mant)
                                        digits++;
                        }
                        frac_digits++;
                        j->pos++;
                }
        }
        (void)frac_digits;
        if (j->pos < j->len && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
                int eneg = 0, e = 0, ed = 0;
                j->pos++;
                if (j->pos < j->len && (j->p[j->pos] == '+' || j->p[j->pos] == '-')) {
                        eneg = j->p[j->pos] == '-';
                        j->pos++;
                }
                while (j->pos < j->len && is_digit(j->p[j->pos])) {
                        if (e < 10000)
                                e = e * 10 + (j->p[j->pos] - '0');
                        ed++;
                        j->pos++;
                }
                if (!ed)
                        return fail(j, "bad exponent", -EINVAL);
                exp10 += eneg ? -e : e;
        }
        exp10 += 6;
        if (mant == 0) {
                *micro = 0;
                return 0;
        }
        if (exp10 > 0) {
                for (int i = 0; i < exp10; i++) {
                        if (mant > (uint64_t)FWJ_NUM_MAX / 10)
                                return fail(j, "number out of range", -ERANGE);
                        mant *= 10;
                }
        } else if (exp10 < 0) {
                int drop = -exp10;
                uint64_t rem = 0, div = 1;
                if (drop > 19) {
                        mant = 0;
                } else {
                        for (int i = 0; i < drop; i++)
                                div *= 10;
                        rem = mant % div;
                        mant /= div;
                        /* Rounds half away from zero, the same on every target. */
                        if (rem * 2 >= div)
                                mant++;
                }
        }
        if (mant > (uint64_t)FWJ_NUM_MAX)
                return fail(j, "number out of range", -ERANGE);
        *micro = neg ? -(int64_t)mant : (int64_t)mant;
        return 0;
}

static int literal(struct fwj *j, const char *w)
{
        size_t n = strlen(w);
        if (j->len - j->pos < n || memcmp(j->p + j->pos, w, n) != 0)
                return fail(j, "bad literal", -EINVAL);
        j->pos += n;
        return 0;
}

int fwj_bool(struct fwj *j, int *v)
{
        char c = fwj_peek(j);
        if (c == 't') {
                *v = 1;
                return literal(j, "true");
        }
        if (c == 'f') {
                *v = 0;
                return literal(j, "false");
        }
        return fail(j, "expected true or false", -EINVAL);
}

/* Skips a value without recursion: a depth counter and a bracket stack
 * of FWJ_MAX_DEPTH entries.  Every iteration consumes input. */
int fwj_skip(struct fwj *j)
{
        char stack[FWJ_MAX_DEPTH];
        int depth = 0, r;
        char tmp[2];
        size_t steps;
        /* Every pass consumes at least one byte, so len + 1 passes bound it. */
        for (steps = 0; steps <= j->len; steps++) {
                char c = fwj_peek(j);
                if (c == '{' || c == '[') {
                        if (depth >= FWJ_MAX_DEPTH)
                                return fail(j, "nested too deep", -EINVAL);
                        stack[depth++] = c == '{' ? '}' : ']';
                        j->pos++;
                        if (fwj_accept(j, stack[depth - 1])) {
                                depth--;
                                goto after_value;
                        }
                        if (c == '{')
                                goto key;
                        continue;
                }
                if (c == '"') {
                        /* The content is not needed: scan to the closing quote. */
                        size_t n = 0;
                        j->pos++;
                        for (;;) {
                                if (j->pos >= j->len)
                                        return fail(j, "unterminated string", -EINVAL);
                                char s = j->p[j->pos++];
                                if ((unsigned char)s < 0x20)
                                        return fail(j, "control character in string", -EINVAL);
                                if (s == '\\') {
                                        if (j->pos >= j->len)
                                                return fail(j, "unterminated string", -EINVAL);
                                        j->pos++;
                                } else if (s == '"') {
                                        break;
                                }
                                n++;
                        }
                        (void)n;
                } else if (c == '-' || is_digit(c)) {
                        int64_t v;
                        r = fwj_number(j, &v);
                        /* A number too large for micro-units is still valid JSON. */
                        if (r < 0 && r != -ERANGE)
                                return r;
                        if (r == -ERANGE)
                                j->why = NULL;
                } else if (c == 't') {
                        r = literal(j, "true");
                        if (r < 0)
                                return r;
                } else if (c == 'f') {
                        r = literal(j, "false");
                        if (r < 0)
                                return r;
                } else if (c == 'n') {
                        r = literal(j, "null");
                        if (r < 0)
                                return r;
                } else {
                        return fail(j, "expected a value", -EINVAL);
                }
        after_value:
                if (depth == 0)
                        return 0;
                if (fwj_accept(j, ',')) {
                        if (stack[depth - 1] == '}')
                                goto key;
                        continue;
                }
                r = fwj_expect(j, stack[depth - 1]);
                if (r < 0)
                        return fail(j, "unclosed container", r);
                depth--;
                goto after_value;
        key:
                r = fwj_string(j, tmp, sizeof(tmp));
                if (r == -ENAMETOOLONG) {
                        /* Keys are skipped, not kept; the string was consumed. */
                        j->why = NULL;
                } else if (r < 0) {
                        return r;
                }
                r = fwj_expect(j, ':');
                if (r < 0)
                        return r;
        }
        return fail(j, "unterminated value", -EINVAL);
}

int fwj_end(struct fwj *j)
{
        if (fwj_peek(j) != 0 || j->pos < j->len)
                return fail(j, "trailing data", -EINVAL);
        return 0;
}
