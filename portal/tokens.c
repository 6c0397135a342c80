#include "tokens.h"
#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int token_new(char out[TOKEN_CHARS + 1])
{
        unsigned char raw[32];
        if (sodium_init() < 0)
                return -EIO;
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(out, TOKEN_CHARS + 1, raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_memzero(raw, sizeof(raw));
        return 0;
}

bool token_valid(const char *s)
{
        if (!s || strlen(s) != TOKEN_CHARS)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                        return false;
        return true;
}

int token_hash(const char *token, const char *purpose, unsigned char out[TOKEN_HASH_LEN])
{
        unsigned char key[crypto_generichash_KEYBYTES];
        if (sodium_init() < 0)
                return -EIO;
        /* The purpose, zero-padded, is the key: a display token's hash never
         * matches a timeline's. */
        memset(key, 0, sizeof(key));
        memcpy(key, purpose, strnlen(purpose, sizeof(key)));
        return crypto_generichash(out, TOKEN_HASH_LEN, (const unsigned char *)token, strlen(token),
                                  key, sizeof(key)) == 0
                   ? 0
                   : -EIO;
}

void token_hex(const unsigned char h[TOKEN_HASH_LEN], char out[2 * TOKEN_HASH_LEN + 1])
{
        sodium_bin2hex(out, 2 * TOKEN_HASH_LEN + 1, h, TOKEN_HASH_LEN);
}

int display_tokens_path(const struct sonae_config *cfg, char *out, size_t cap)
{
        const char *dir = cfg->data.dir && cfg->data.dir[0] ? cfg->data.dir : "data";
        int n = snprintf(out, cap, "%s/display-tokens", dir);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

bool display_token_check(const char *path, const char *token, char *name, size_t cap)
{
        unsigned char h[TOKEN_HASH_LEN];
        char hex[2 * TOKEN_HASH_LEN + 1], line[256];
        bool found = false;
        if (!token_valid(token) || token_hash(token, "display", h) < 0)
                return false;
        token_hex(h, hex);
        FILE *f = fopen(path, "r");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f)) {
                char *sp = strchr(line, ' ');
                if (!sp || line[0] == '#')
                        continue;
                *sp = 0;
                char *hx = sp + 1;
                hx[strcspn(hx, " \r\n")] = 0;
                if (strlen(hx) == 2 * TOKEN_HASH_LEN &&
                    sodium_memcmp(hx, hex, 2 * TOKEN_HASH_LEN) == 0) {
                        found = true;
                        if (name)
                                snprintf(name, cap, "%s", line);
                }
        }
        fclose(f);
        return found;
}
