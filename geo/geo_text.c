/* Address text: UTF-8 checks and the normalised search key. */
#include "geo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Decodes one code point at s[*i]; -1 on invalid UTF-8. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
        unsigned char c = s[*i];
        long cp;
        size_t n;
        if (c < 0x80) {
                (*i)++;
                return c;
        } else if (c >= 0xC2 && c <= 0xDF) {
                cp = c & 0x1F;
                n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
                cp = c & 0x0F;
                n = 2;
        } else if (c >= 0xF0 && c <= 0xF4) {
                cp = c & 0x07;
                n = 3;
        } else {
                return -1;
        }
        if (len - *i < n + 1)
                return -1;
        for (size_t k = 1; k <= n; k++) {
                unsigned char d = s[*i + k];
                if ((d & 0xC0) != 0x80)
                        return -1;
                cp = (cp << 6) | (d & 0x3F);
        }
        /* Overlongs, surrogates and code points past U+10FFFF. */
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
                return -1;
        *i += n + 1;
        return cp;
}

bool geo_utf8_valid(const char *s, size_t len)
{
        size_t i = 0;
        while (i < len)
                if (utf8_next((const unsigned char *)s, len, &i) < 0)
                        return false;
        return true;
}

static int put_cp(char *out, size_t len, size_t *o, long cp)
{
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) {
                b[0] = (unsigned char)cp;
                n = 1;
        } else if (cp < 0x800) {
                b[0] = (unsigned char)(0xC0 | (cp >> 6));
                b[1] = (unsigned char)(0x80 | (cp & 0x3F));
                n = 2;
        } else if (cp < 0x10000) {
                b[0] = (unsigned char)(0xE0 | (cp >> 12));
                b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                b[2] = (unsigned char)(0x80 | (cp & 0x3F));
                n = 3;
        } else {
                b[0] = (unsigned char)(0xF0 | (cp >> 18));
                b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                b[3] = (unsigned char)(0x80 | (cp & 0x3F));
                n = 4;
        }
        if (*o + n >= len)
                return -EINVAL;
        memcpy(out + *o, b, n);
        *o += n;
        return 0;
}

static int kanji_digit(long cp)
{
        static const long digits[] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB,
                                      0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D};
        for (int d = 0; d < 10; d++)
                if (digits[d] == cp)
                        return d;
        if (cp == 0x96F6) /* 零 */
                return 0;
        return -1;
}

#define CP_TEN      0x5341 /* 十 */
#define CP_CHO      0x4E01 /* 丁 */
#define CP_ME       0x76EE /* 目 */
#define CP_SMALL_KE 0x30F6

/* Value of a run of kanji numerals (一, 十二, 二十三, 一〇); -1 if none. */
static long kanji_value(const long *cps, size_t n)
{
        long v = 0, cur = -1;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
                if (cps[i] == CP_TEN) {
                        v += (cur < 0 ? 1 : cur) * 10;
                        cur = -1;
                        any = true;
                        continue;
                }
                int d = kanji_digit(cps[i]);
                if (d < 0)
                        return -1;
                cur = cur < 0 ? d : cur * 10 + d;
                any = true;
        }
        if (!any)
                return -1;
        return v + (cur < 0 ? 0 : cur);
}

static bool is_kanji_num(long cp)
{
        return cp == CP_TEN || kanji_digit(cp) >= 0;
}

int geo_normalize(const char *in, char *out, size_t len)
{
        if (!in || !out || len == 0)
                return -EINVAL;
        size_t ilen = strlen(in);
        const unsigned char *s = (const unsigned char *)in;
        /* Decode everything first: 丁目 conversion needs look-ahead. */
        long cps[512];
        size_t n = 0, i = 0;
        while (i < ilen) {
                long cp = utf8_next(s, ilen, &i);
                if (cp < 0 || n == sizeof(cps) / sizeof(cps[0]))
                        return -EINVAL;
                cps[n++] = cp;
        }
        size_t o = 0;
        for (size_t k = 0; k < n; k++) {
                long cp = cps[k];
                if (is_kanji_num(cp)) {
                        size_t e = k;
                        while (e < n && is_kanji_num(cps[e]))
                                e++;
                        if (e + 1 < n && cps[e] == CP_CHO && cps[e + 1] == CP_ME) {
                                long v = kanji_value(cps + k, e - k);
                                if (v >= 0) {
                                        char num[24];
                                        int l = 0;
                                        long t = v;
                                        char rev[24];
                                        do {
                                                rev[l++] = (char)('0' + t % 10);
                                                t /= 10;
                                        } while (t && l < 20);
                                        for (int q = 0; q < l; q++)
                                                num[q] = rev[l - 1 - q];
                                        for (int q = 0; q < l; q++)
                                                if (put_cp(out, len, &o, num[q]) < 0)
                                                        return -EINVAL;
                                        k = e - 1;
                                        continue;
                                }
                        }
                }
                if (cp >= 0xFF01 && cp <= 0xFF5E)
                        cp -= 0xFEE0; /* full-width ASCII */
                if (cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 || cp == 0x2014 ||
                    cp == 0x2212)
                        cp = '-';
                if (cp == ' ' || cp == '\t' || cp == 0x3000 || cp == '\r' || cp == '\n')
                        continue;
                if (cp >= 'A' && cp <= 'Z')
                        cp += 'a' - 'A';
                /* ヶ, ケ and け are written interchangeably in place names. */
                if (cp == CP_SMALL_KE || cp == 0x3096)
                        cp = 0x3051;
                if (cp >= 0x30A1 && cp <= 0x30F6)
                        cp -= 0x60; /* katakana to hiragana */
                if (put_cp(out, len, &o, cp) < 0)
                        return -EINVAL;
        }
        out[o] = '\0';
        return (int)o;
}
/* Splits "本町一丁目" into the base "本町" and 1; no 丁目: the whole name. */
static void town_split(const char *town, char *base, size_t blen, int64_t *chome)
{
        static const char cho[] = "丁目";
        size_t l = strlen(town), cl = sizeof(cho) - 1;
        *chome = -1;
        snprintf(base, blen, "%s", town);
        if (l <= cl || strcmp(town + l - cl, cho) != 0)
                return;
        char norm[256];
        if (geo_normalize(town, norm, sizeof(norm)) < 0)
                return;
        /* The normalised name ends in digits + 丁目. */
        size_t nl = strlen(norm);
        if (nl <= cl)
                return;
        size_t e = nl - cl, k = e;
        while (k > 0 && norm[k - 1] >= '0' && norm[k - 1] <= '9')
                k--;
        if (k == e)
                return;
        int64_t v = 0;
        for (size_t i = k; i < e; i++)
                v = v * 10 + (norm[i] - '0');
        *chome = v;
        /* Cut the original before its number: walk back over digits of any
         * width and kanji numerals. */
        size_t end = l - cl;
        while (end > 0) {
                size_t st = end - 1;
                while (st > 0 && ((unsigned char)town[st] & 0xC0) == 0x80)
                        st--;
                char one[8];
                size_t ol = end - st;
                if (ol >= sizeof(one))
                        break;
                memcpy(one, town + st, ol);
                one[ol] = '\0';
                bool digit = (ol == 1 && one[0] >= '0' && one[0] <= '9') ||
                             strstr("〇一二三四五六七八九十０１２３４５６７８９", one) != NULL;
                if (!digit)
                        break;
                end = st;
        }
        if (end < blen)
                base[end] = '\0';
}

int geo_address_keys(const struct geo_address_in *a, struct geo_address_keys *k)
{
        if (!a || !a->code || !a->pref || !a->city || !a->lg_code || !a->town)
                return -EINVAL;
        char full[600];
        snprintf(full, sizeof(full), "%s%s%s", a->pref, a->city, a->town);
        if (geo_normalize(full, k->key, sizeof(k->key)) < 0 ||
            geo_normalize(a->town, k->town_key, sizeof(k->town_key)) < 0)
                return -EINVAL;
        town_split(a->town, k->base, sizeof(k->base), &k->chome);
        return 0;
}
