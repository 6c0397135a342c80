/* The Web Push channel: residents who saved their timeline in the browser
 * and allowed notifications.
 *
 * One send is one POST to the subscription's endpoint (the browser
 * vendor's push service), with
 *   - VAPID (RFC 8292): `Authorization: vapid t=JWT, k=PUBLIC`, the JWT
 *     signed with ES256 by the city's P-256 key (aud: the endpoint's
 *     origin, exp: 12 hours, sub: the configured contact);
 *   - the payload encrypted for that browser (RFC 8291): an ephemeral
 *     P-256 key, ECDH with the subscription's p256dh, HKDF-SHA-256 with its
 *     auth secret, AES-128-GCM in the aes128gcm content coding of RFC 8188
 *     (one record, salt and key id in the header).
 * The plaintext is JSON {"title", "body", "type", "level", "exercise",
 * "recovery"} for the page's service worker.  404 or 410 from the push
 * service means the subscription is gone: the send says so
 * (NOTIFY_TARGET_GONE) and the engine deletes the rule.  A push service
 * that times out or refuses connections is not tried again for 30 s (the
 * other subscriptions on it fail at once and are retried with the queue's
 * backoff), so an outage of one vendor never stalls the thread.
 * Endpoints must be https on a host of `endpoint_hosts` (the known push
 * services), so that a subscription cannot make the server post elsewhere.
 * Endpoints and keys are never logged. */
#include "webpush.h"

#include "channel.h"
#include "timeutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define P256_PUB_LEN  65
#define AUTH_LEN      16
#define SALT_LEN      16
#define RECORD_SIZE   4096
#define HEADER_LEN    (SALT_LEN + 4 + 1 + P256_PUB_LEN)
#define PLAINTEXT_MAX (RECORD_SIZE - HEADER_LEN - 16 - 1) /* 3993 (RFC 8291 §4) */
#define JWT_LIFE_S    (12 * 3600)
#define DOWN_S        30 /* a push service that timed out is left alone this long */
#define MAX_DOWN      16

/* A push service (an origin) that did not answer: the sends to it fail at
 * once for DOWN_S, so one vendor's outage costs one timeout per round and
 * not one per subscription, and the residents of the other vendors are
 * still reached. */
struct down {
        char origin[512];
        int64_t until;
};

struct webpush {
        char *vapid_key_file;
        char *subject;
        char *endpoint_hosts;
        char *ca_file;
        int64_t ttl_s;
        int64_t timeout_s;
        int64_t max_subscriptions;
        EVP_PKEY *key;
        char public_b64[96];
        struct down down[MAX_DOWN];
        CURL *curl; /* kept, so connections to a push service are reused */
};

#define OPT(k, t, f, d, lo, hi, req, doc)                                                          \
        {                                                                                          \
                k, t, offsetof(struct webpush, f), d, lo, hi, NULL, req, doc                       \
        }

static const struct conf_option webpush_opts[] = {
    OPT("vapid_key_file", CONF_PATH, vapid_key_file, NULL, 0, 0, true,
        "PEM file of the city's VAPID key (EC P-256 private key)."),
    OPT("subject", CONF_STRING, subject, NULL, 0, 0, true,
        "VAPID contact for the push services: mailto:ADDRESS or an https URL."),
    OPT("endpoint_hosts", CONF_STRING, endpoint_hosts,
        "fcm.googleapis.com .push.services.mozilla.com .push.apple.com .notify.windows.com", 0, 0,
        false,
        "Hosts a subscription's endpoint may name, separated by spaces; a leading dot matches "
        "any subdomain."),
    OPT("ca_file", CONF_PATH, ca_file, NULL, 0, 0, false,
        "CA certificates for the push services; default: the system's."),
    OPT("ttl", CONF_INT, ttl_s, "86400", 0, 2419200, false,
        "Seconds a push service keeps an undelivered message (TTL header)."),
    OPT("timeout", CONF_INT, timeout_s, "10", 1, 120, false, "Seconds one request may take."),
    OPT("max_subscriptions", CONF_INT, max_subscriptions, "200000", 1, 10000000, false,
        "Most subscriptions the public endpoint accepts on this channel."),
    {0},
};

extern const struct notify_channel_type notify_webpush;

/* ---- Encodings -------------------------------------------------------- */

static int b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
        if (cap < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
                return -ENOSPC;
        sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        return 0;
}

/* Decodes exactly want bytes of unpadded base64url (padding tolerated). */
static int b64url_dec(const char *in, unsigned char *out, size_t want)
{
        size_t n = 0;
        const char *end = NULL;
        if (!in || sodium_base642bin(out, want, in, strlen(in), "=", &n, &end,
                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
                return -EINVAL;
        return n == want && end && *end == 0 ? 0 : -EINVAL;
}

/* ---- Keys --------------------------------------------------------------- */

static int pub_octets(EVP_PKEY *k, unsigned char out[P256_PUB_LEN])
{
        size_t n = 0;
        if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
                                            P256_PUB_LEN, &n) != 1 ||
            n != P256_PUB_LEN || out[0] != 0x04)
                return -EINVAL;
        return 0;
}

/* A P-256 public key from its uncompressed point; NULL when it is none. */
static EVP_PKEY *pub_from_octets(const unsigned char *p, size_t n)
{
        EVP_PKEY *k = NULL;
        OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
        OSSL_PARAM *ps = NULL;
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (!b || !c || n != P256_PUB_LEN || p[0] != 0x04 ||
            !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
            !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, p, n) ||
            !(ps = OSSL_PARAM_BLD_to_param(b)) || EVP_PKEY_fromdata_init(c) != 1 ||
            EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, ps) != 1)
                goto out;
        /* fromdata does not promise the point is on the curve: check it. */
        EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
        int ok = chk && EVP_PKEY_public_check(chk) == 1;
        EVP_PKEY_CTX_free(chk);
        if (!ok) {
                EVP_PKEY_free(k);
                k = NULL;
        }
out:
        OSSL_PARAM_free(ps);
        OSSL_PARAM_BLD_free(b);
        EVP_PKEY_CTX_free(c);
        return k;
}

static EVP_PKEY *load_vapid(const char *path)
{
        BIO *bio = BIO_new_file(path, "r");
        EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        char group[32] = "";
        size_t gl = 0;
        if (k && (!EVP_PKEY_is_a(k, "EC") ||
                  EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                 sizeof(group), &gl) != 1 ||
                  (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0))) {
                EVP_PKEY_free(k);
                k = NULL;
        }
        return k;
}

/* ---- Endpoints ---------------------------------------------------------- */

static bool host_allowed(const char *hosts, const char *host)
{
        char *list = strdup(hosts ? hosts : "");
        bool ok = false;
        size_t hl = strlen(host);
        for (char *save = NULL, *h = strtok_r(list, " ,", &save); list && h && !ok;
             h = strtok_r(NULL, " ,", &save)) {
                size_t n = strlen(h);
                if (h[0] == '.')
                        ok = hl > n && strcasecmp(host + hl - n, h) == 0;
                else
                        ok = strcasecmp(host, h) == 0;
        }
        free(list);
        return ok;
}

/* Checks an endpoint and writes its origin (the JWT's aud). */
static int endpoint_origin(const char *hosts, const char *endpoint, char *origin, size_t cap,
                           char *why, size_t why_len)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
        int rc = -EINVAL;
        if (!u)
                return -ENOMEM;
        if (!endpoint || strlen(endpoint) > WEBPUSH_ENDPOINT_MAX ||
            curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                snprintf(why, why_len, "endpoint: not a URL of at most %d characters",
                         WEBPUSH_ENDPOINT_MAX);
                goto out;
        }
        if (strcmp(scheme, "https") != 0) {
                snprintf(why, why_len, "endpoint: https required");
                goto out;
        }
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
                snprintf(why, why_len, "endpoint: no user in the URL");
                goto out;
        }
        if (!host_allowed(hosts, host)) {
                snprintf(why, why_len, "endpoint: not a push service this city accepts");
                goto out;
        }
        /* The origin as RFC 6454 writes it: no default port. */
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && strcmp(port, "443") == 0) {
                curl_free(port);
                port = NULL;
        }
        if ((size_t)snprintf(origin, cap, "https://%s%s%s", host, port ? ":" : "",
                             port ? port : "") >= cap) {
                snprintf(why, why_len, "endpoint: host too long");
                goto out;
        }
        rc = 0;
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_free(user);
        curl_url_cleanup(u);
        return rc;
}

int notify_webpush_subscription(const char *hosts, json_t *sub, char **target, char *why,
                                size_t why_len)
{
        *target = NULL;
        json_t *keys = json_object_get(sub, "keys");
        const char *ep = json_string_value(json_object_get(sub, "endpoint"));
        const char *p256dh = json_string_value(json_object_get(keys, "p256dh"));
        const char *auth = json_string_value(json_object_get(keys, "auth"));
        unsigned char pub[P256_PUB_LEN], sec[AUTH_LEN];
        char origin[512];
        if (!json_is_object(sub) || !ep || !p256dh || !auth) {
                snprintf(why, why_len, "subscription: {endpoint, keys: {p256dh, auth}} required");
                return -EINVAL;
        }
        if (endpoint_origin(hosts, ep, origin, sizeof(origin), why, why_len) < 0)
                return -EINVAL;
        EVP_PKEY *k =
            b64url_dec(p256dh, pub, sizeof(pub)) == 0 ? pub_from_octets(pub, sizeof(pub)) : NULL;
        if (!k) {
                snprintf(why, why_len, "keys.p256dh: not a P-256 public key (65 bytes, base64url)");
                return -EINVAL;
        }
        EVP_PKEY_free(k);
        if (b64url_dec(auth, sec, sizeof(sec)) < 0) {
                snprintf(why, why_len, "keys.auth: 16 bytes of base64url required");
                return -EINVAL;
        }
        /* Stored in canonical form, so the same subscription is one rule. */
        char p[96], a[32];
        b64url(pub, sizeof(pub), p, sizeof(p));
        b64url(sec, sizeof(sec), a, sizeof(a));
        json_t *o = json_pack("{s:s, s:s, s:s}", "endpoint", ep, "p256dh", p, "auth", a);
        *target = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return *target ? 0 : -ENOMEM;
}

char *notify_webpush_target_endpoint(const char *target)
{
        json_t *o = target && target[0] == '{' ? json_loads(target, 0, NULL) : NULL;
        const char *ep = json_string_value(json_object_get(o, "endpoint"));
        char *r = ep && json_is_string(json_object_get(o, "p256dh")) ? strdup(ep) : NULL;
        json_decref(o);
        return r;
}

/* ---- VAPID (RFC 8292) ------------------------------------------------- */

/* ES256 over "header.claims"; writes "header.claims.signature". */
static int vapid_jwt(struct webpush *w, const char *aud, char *out, size_t cap)
{
        char hdr[64], cl[1024], sig64[96];
        const char *h = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
        json_t *c = json_pack("{s:s, s:I, s:s}", "aud", aud, "exp",
                              (json_int_t)(time_now_ms() / 1000 + JWT_LIFE_S), "sub", w->subject);
        char *cj = c ? json_dumps(c, JSON_COMPACT) : NULL;
        json_decref(c);
        int rc = -EIO;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned char der[80], raw[64];
        size_t dl = sizeof(der);
        ECDSA_SIG *es = NULL;
        if (!cj || !md)
                goto out;
        b64url((const unsigned char *)h, strlen(h), hdr, sizeof(hdr));
        if (b64url((unsigned char *)cj, strlen(cj), cl, sizeof(cl)) < 0)
                goto out;
        int n = snprintf(out, cap, "%s.%s", hdr, cl);
        if (n < 0 || (size_t)n >= cap)
                goto out;
        if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, w->key) != 1 ||
            EVP_DigestSign(md, der, &dl, (unsigned char *)out, (size_t)n) != 1)
                goto out;
        /* JWS wants r || s, 32 bytes each, not DER. */
        const unsigned char *dp = der;
        es = d2i_ECDSA_SIG(NULL, &dp, (long)dl);
        const BIGNUM *r = NULL, *s = NULL;
        if (!es)
                goto out;
        ECDSA_SIG_get0(es, &r, &s);
        if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
                goto out;
        b64url(raw, sizeof(raw), sig64, sizeof(sig64));
        if ((size_t)snprintf(out + n, cap - (size_t)n, ".%s", sig64) >= cap - (size_t)n)
                goto out;
        rc = 0;
out:
        ECDSA_SIG_free(es);
        EVP_MD_CTX_free(md);
        free(cj);
        return rc;
}

/* ---- Encryption (RFC 8291, RFC 8188) ---------------------------------- */

static int hkdf(const unsigned char *salt, size_t sl, const unsigned char *ikm, size_t il,
                const unsigned char *info, size_t infl, unsigned char *out, size_t outl)
{
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
        int ok = c && EVP_PKEY_derive_init(c) == 1 &&
                 EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
                 EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)sl) == 1 &&
                 EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)il) == 1 &&
                 EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)infl) == 1 &&
                 EVP_PKEY_derive(c, out, &outl) == 1;
        EVP_PKEY_CTX_free(c);
        return ok ? 0 : -EIO;
}

/* Encrypts pt for the subscription into out (HEADER_LEN + len + 17 bytes). */
static int encrypt_payload(const unsigned char ua_pub[P256_PUB_LEN],
                           const unsigned char auth[AUTH_LEN], const unsigned char *pt, size_t len,
                           unsigned char *out, size_t *out_len)
{
        int rc = -EIO;
        EVP_PKEY *ua = pub_from_octets(ua_pub, P256_PUB_LEN);
        EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        EVP_PKEY_CTX *dc = eph ? EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL) : NULL;
        EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
        unsigned char as_pub[P256_PUB_LEN], ecdh[32], ikm[32], cek[16], nonce[12], salt[SALT_LEN];
        unsigned char info[14 + 2 * P256_PUB_LEN];
        size_t el = sizeof(ecdh);
        if (!ua || !eph || !dc || !cc || pub_octets(eph, as_pub) < 0 ||
            EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, ua) != 1 ||
            EVP_PKEY_derive(dc, ecdh, &el) != 1 || el != sizeof(ecdh) ||
            RAND_bytes(salt, sizeof(salt)) != 1)
                goto out;
        /* IKM = HKDF(auth, ecdh, "WebPush: info" 0x00 ua_public as_public, 32) */
        memcpy(info, "WebPush: info", 14); /* with its NUL */
        memcpy(info + 14, ua_pub, P256_PUB_LEN);
        memcpy(info + 14 + P256_PUB_LEN, as_pub, P256_PUB_LEN);
        static const char cek_info[] = "Content-Encoding: aes128gcm";
        static const char nonce_info[] = "Content-Encoding: nonce";
        if (hkdf(auth, AUTH_LEN, ecdh, sizeof(ecdh), info, sizeof(info), ikm, sizeof(ikm)) < 0 ||
            hkdf(salt, sizeof(salt), ikm, sizeof(ikm), (const unsigned char *)cek_info,
                 sizeof(cek_info), cek, sizeof(cek)) < 0 ||
            hkdf(salt, sizeof(salt), ikm, sizeof(ikm), (const unsigned char *)nonce_info,
                 sizeof(nonce_info), nonce, sizeof(nonce)) < 0)
                goto out;
        /* The aes128gcm header: salt, record size, key id length, key id. */
        unsigned char *p = out;
        memcpy(p, salt, SALT_LEN);
        p += SALT_LEN;
        *p++ = (RECORD_SIZE >> 24) & 0xff;
        *p++ = (RECORD_SIZE >> 16) & 0xff;
        *p++ = (RECORD_SIZE >> 8) & 0xff;
        *p++ = RECORD_SIZE & 0xff;
        *p++ = P256_PUB_LEN;
        memcpy(p, as_pub, P256_PUB_LEN);
        p += P256_PUB_LEN;
        /* One record, the last: the plaintext, then the delimiter 0x02. */
        static const unsigned char delim = 2;
        int n1 = 0, n2 = 0, n3 = 0;
        if (EVP_EncryptInit_ex(cc, EVP_aes_128_gcm(), NULL, cek, nonce) != 1 ||
            EVP_EncryptUpdate(cc, p, &n1, pt, (int)len) != 1 ||
            EVP_EncryptUpdate(cc, p + n1, &n2, &delim, 1) != 1 ||
            EVP_EncryptFinal_ex(cc, p + n1 + n2, &n3) != 1 ||
            EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, p + n1 + n2 + n3) != 1)
                goto out;
        *out_len = (size_t)(p - out) + (size_t)(n1 + n2 + n3) + 16;
        rc = 0;
out:
        OPENSSL_cleanse(ecdh, sizeof(ecdh));
        OPENSSL_cleanse(ikm, sizeof(ikm));
        OPENSSL_cleanse(cek, sizeof(cek));
        EVP_CIPHER_CTX_free(cc);
        EVP_PKEY_CTX_free(dc);
        EVP_PKEY_free(eph);
        EVP_PKEY_free(ua);
        return rc;
}

/* ---- The channel ------------------------------------------------------ */

static void webpush_destroy(void *state)
{
        struct webpush *w = state;
        if (!w)
                return;
        conf_table_free(webpush_opts, w);
        EVP_PKEY_free(w->key);
        if (w->curl)
                curl_easy_cleanup(w->curl);
        free(w);
}

static int webpush_configure(const struct conf_instance *in, const char *cfgdir, const char *file,
                             struct conf_diag *diag, void **state)
{
        struct webpush *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        char section[160];
        snprintf(section, sizeof(section), "notify.%s", in->name);
        int rc =
            conf_apply_table(webpush_opts, w, in->extra, in->n_extra, cfgdir, file, section, diag);
        unsigned char pub[P256_PUB_LEN];
        if (rc == 0 && (!(w->key = load_vapid(w->vapid_key_file)) || pub_octets(w->key, pub) < 0 ||
                        b64url(pub, sizeof(pub), w->public_b64, sizeof(w->public_b64)) < 0)) {
                conf_diag_add(diag, true, file, in->line, section, "vapid_key_file",
                              "cannot read an EC P-256 private key (PEM) from it");
                rc = -EINVAL;
        }
        if (rc == 0 && strncmp(w->subject, "mailto:", 7) != 0 &&
            strncmp(w->subject, "https://", 8) != 0) {
                conf_diag_add(diag, true, file, in->line, section, "subject",
                              "must be mailto:ADDRESS or an https URL (RFC 8292)");
                rc = -EINVAL;
        }
        if (rc < 0) {
                webpush_destroy(w);
                return rc;
        }
        *state = w;
        return 0;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
        (void)p;
        (void)u;
        return s * n;
}

/* The service worker's JSON, cut to fit one record (at a UTF-8 boundary). */
static char *payload(const struct notify_msg *m)
{
        size_t keep = strlen(m->body);
        for (int tries = 0; tries < 8; tries++) {
                char *b = strndup(m->body, keep);
                json_t *o = b ? json_pack("{s:s, s:s, s:s, s:n, s:b, s:b}", "title", m->subject,
                                          "body", b, "type", m->type ? m->type : "", "level",
                                          "exercise", m->exercise, "recovery", m->recovery)
                              : NULL;
                if (o && m->level > 0)
                        json_object_set_new(o, "level", json_integer(m->level));
                char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
                json_decref(o);
                free(b);
                if (!s || strlen(s) <= PLAINTEXT_MAX)
                        return s;
                size_t over = strlen(s) - PLAINTEXT_MAX;
                free(s);
                keep = over + 8 < keep ? keep - over - 8 : 0;
                while (keep > 0 && ((unsigned char)m->body[keep] & 0xC0) == 0x80)
                        keep--;
        }
        return NULL;
}

static struct down *down_find(struct webpush *w, const char *origin)
{
        for (size_t i = 0; i < MAX_DOWN; i++)
                if (strcmp(w->down[i].origin, origin) == 0)
                        return &w->down[i];
        return NULL;
}

static void down_mark(struct webpush *w, const char *origin, int64_t now)
{
        struct down *d = down_find(w, origin);
        for (size_t i = 0; !d && i < MAX_DOWN; i++)
                if (w->down[i].until <= now)
                        d = &w->down[i];
        if (!d)
                return;
        snprintf(d->origin, sizeof(d->origin), "%s", origin);
        d->until = now + DOWN_S;
}

static int webpush_send(void *state, const char *target, const struct notify_msg *m, char *why,
                        size_t why_len)
{
        struct webpush *w = state;
        json_t *t = target ? json_loads(target, 0, NULL) : NULL;
        const char *ep = json_string_value(json_object_get(t, "endpoint"));
        unsigned char ua[P256_PUB_LEN], auth[AUTH_LEN];
        unsigned char body[RECORD_SIZE];
        size_t blen = 0;
        char origin[512], jwt[2048], hdr[2300];
        char *pt = NULL;
        struct curl_slist *h = NULL;
        CURL *c = NULL;
        int rc = -EINVAL;
        if (!ep || b64url_dec(json_string_value(json_object_get(t, "p256dh")), ua, sizeof(ua)) ||
            b64url_dec(json_string_value(json_object_get(t, "auth")), auth, sizeof(auth))) {
                snprintf(why, why_len, "target is not a Web Push subscription");
                goto out;
        }
        if (endpoint_origin(w->endpoint_hosts, ep, origin, sizeof(origin), why, why_len) < 0)
                goto out;
        int64_t now = time_now_ms() / 1000;
        struct down *dn = down_find(w, origin);
        if (dn && dn->until > now) {
                snprintf(why, why_len, "push service did not answer lately; not tried");
                rc = -EAGAIN;
                goto out;
        }
        rc = -EIO;
        if (!(pt = payload(m)) ||
            encrypt_payload(ua, auth, (unsigned char *)pt, strlen(pt), body, &blen) < 0 ||
            vapid_jwt(w, origin, jwt, sizeof(jwt)) < 0) {
                snprintf(why, why_len, "encryption or signing failed");
                goto out;
        }
        snprintf(hdr, sizeof(hdr), "Authorization: vapid t=%s, k=%s", jwt, w->public_b64);
        h = curl_slist_append(h, hdr);
        snprintf(hdr, sizeof(hdr), "TTL: %lld", (long long)w->ttl_s);
        h = curl_slist_append(h, hdr);
        h = curl_slist_append(h, "Content-Encoding: aes128gcm");
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
        h = curl_slist_append(h, m->level >= 4 || (m->type && strncmp(m->type, "order.", 6) == 0)
                                     ? "Urgency: high"
                                     : "Urgency: normal");
        h = curl_slist_append(h, "Expect:");
        if (!w->curl)
                w->curl = curl_easy_init();
        else
                curl_easy_reset(w->curl);
        c = w->curl;
        if (!h || !c) {
                snprintf(why, why_len, "out of memory");
                rc = -ENOMEM;
                goto out;
        }
        curl_easy_setopt(c, CURLOPT_URL, ep);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)w->timeout_s);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)w->timeout_s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "sonae-notify");
        if (w->ca_file)
                curl_easy_setopt(c, CURLOPT_CAINFO, w->ca_file);
        CURLcode cr = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cr == CURLE_OPERATION_TIMEDOUT || cr == CURLE_COULDNT_CONNECT ||
            cr == CURLE_COULDNT_RESOLVE_HOST)
                down_mark(w, origin, now);
        else if (dn)
                memset(dn, 0, sizeof(*dn));
        if (cr != CURLE_OK)
                snprintf(why, why_len, "%s", curl_easy_strerror(cr));
        else if (status >= 200 && status <= 299)
                rc = 0;
        else if (status == 404 || status == 410) {
                snprintf(why, why_len, "subscription gone (HTTP %ld)", status);
                rc = NOTIFY_TARGET_GONE;
        } else
                snprintf(why, why_len, "push service: HTTP %ld", status);
out:
        curl_slist_free_all(h);
        OPENSSL_cleanse(auth, sizeof(auth));
        free(pt);
        json_decref(t);
        return rc;
}

/* ---- The endpoints' settings ------------------------------------------ */

int notify_webpush_settings(const struct sonae_config *cfg, struct webpush_settings *out)
{
        memset(out, 0, sizeof(*out));
        for (size_t i = 0; i < cfg->n_notifiers; i++) {
                const struct conf_instance *in = &cfg->notifiers[i];
                if (!in->enabled || !in->type || strcmp(in->type, "webpush") != 0)
                        continue;
                struct webpush *w = NULL;
                int rc = notify_channel_configure_own(&notify_webpush, cfg, in, (void **)&w);
                if (rc < 0)
                        return rc;
                out->channel = strdup(in->name);
                out->public_key = strdup(w->public_b64);
                out->hosts = strdup(w->endpoint_hosts);
                out->max_subscriptions = w->max_subscriptions;
                webpush_destroy(w);
                if (!out->channel || !out->public_key || !out->hosts) {
                        notify_webpush_settings_free(out);
                        return -ENOMEM;
                }
                return 0;
        }
        return 0;
}

void notify_webpush_settings_free(struct webpush_settings *s)
{
        if (!s)
                return;
        free(s->channel);
        free(s->public_key);
        free(s->hosts);
        memset(s, 0, sizeof(*s));
}

const struct notify_channel_type notify_webpush = {
    .name = "webpush",
    .summary = "Web Push (VAPID, RFC 8291 aes128gcm) to residents' browsers.",
    .options = webpush_opts,
    .configure = webpush_configure,
    .send = webpush_send,
    .destroy = webpush_destroy,
    .per_target_failures = true,
};
