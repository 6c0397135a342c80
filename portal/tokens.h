/* Bearer secrets shared by the portal and the CLI: display tokens for the
 * HQ wall screen and residents' timeline tokens.  A token is 32 random
 * bytes in URL-safe base64 (43 characters, 256 bits); only its BLAKE2b-256
 * hash is ever kept. */
#ifndef SONAE_PORTAL_TOKENS_H
#define SONAE_PORTAL_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_CHARS    43
#define TOKEN_HASH_LEN 32

struct sonae_config;

/* Writes a fresh token and its terminator into out. */
int token_new(char out[TOKEN_CHARS + 1]);
/* Whether s looks like a token (43 URL-safe base64 characters). */
bool token_valid(const char *s);
/* BLAKE2b-256 of the token text, keyed with a purpose ("display",
 * "timeline") so one kind never opens the other. */
int token_hash(const char *token, const char *purpose, unsigned char out[TOKEN_HASH_LEN]);
void token_hex(const unsigned char h[TOKEN_HASH_LEN], char out[2 * TOKEN_HASH_LEN + 1]);
/* [data] dir/display-tokens: one "NAME HASHHEX" line per wall screen. */
int display_tokens_path(const struct sonae_config *cfg, char *out, size_t cap);
/* Whether the token is listed; its name is copied into name (may be NULL).
 * Reads the file on every call so that a revocation applies at once. */
bool display_token_check(const char *path, const char *token, char *name, size_t cap);

#endif
