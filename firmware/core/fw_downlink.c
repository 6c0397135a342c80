#include "fw_downlink.h"
#include "fw_json.h"

#include <errno.h>
#include <string.h>

uint32_t fw_resend_id_hash(const char *id)
{
        uint32_t h = 2166136261u;
        size_t i;
        for (i = 0; i < FW_RESEND_ID_MAX && id[i]; i++) {
                h ^= (uint8_t)id[i];
                h *= 16777619u;
        }
        /* Zero marks an empty slot in NVM. */
        return h ? h : 1;
}

static int reject(struct fw_downlink *out, const char *why, int err)
{
        if (!out->why)
                out->why = why;
        return err;
}

/* A whole number in [lo, hi]. */
static int read_uint(struct fwj *j, uint32_t lo, uint32_t hi, uint32_t *v)
{
        int64_t m;
        int r = fwj_number(j, &m);
        if (r < 0)
                return r;
        if (m % FWJ_MICRO != 0)
                return -EINVAL;
        m /= FWJ_MICRO;
        if (m < (int64_t)lo || m > (int64_t)hi)
                return -ERANGE;
        *v = (uint32_t)m;
        return 0;
}

/* Metres to whole millimetres, rounded half away from zero. */
static int read_mm(struct fwj *j, int32_t lo, int32_t hi, int32_t *v)
{
        int64_t m;
        int r = fwj_number(j, &m);
        if (r < 0)
                return r;
        m = (m >= 0 ? m + 500 : m - 500) / 1000;
        if (m < lo || m > hi)
                return -ERANGE;
        *v = (int32_t)m;
        return 0;
}

static int read_resend(struct fwj *j, struct fw_downlink *out)
{
        char key[12];
        unsigned seen = 0, k;
        int r;
        if (fwj_peek(j) == 'n') {
                /* "resend": null is how the server clears a closed gap. */
                return fwj_skip(j);
        }
        r = fwj_expect(j, '{');
        if (r < 0)
                return reject(out, "resend must be an object", r);
        if (fwj_accept(j, '}'))
                return reject(out, "empty resend", -EINVAL);
        for (k = 0; k < 8; k++) {
                unsigned f;
                r = fwj_string(j, key, sizeof(key));
                if (r == -ENAMETOOLONG)
                        return reject(out, "unknown key in resend", -EINVAL);
                if (r < 0 || (r = fwj_expect(j, ':')) < 0)
                        return reject(out, "malformed resend", r);
                if (strcmp(key, "id") == 0) {
                        f = 1;
                        if (fwj_peek(j) == '"') {
                                r = fwj_string(j, out->resend_id, sizeof(out->resend_id));
                                if (r == -ENAMETOOLONG)
                                        return reject(out, "resend id longer than 32 bytes",
                                                      -EINVAL);
                                if (!r && !out->resend_id[0])
                                        return reject(out, "empty resend id", -EINVAL);
                        } else {
                                /* A numeric id is kept in its decimal form. */
                                uint32_t n;
                                char tmp[12];
                                int len = 0;
                                r = read_uint(j, 0, 4294967295u, &n);
                                if (!r) {
                                        do {
                                                tmp[len++] = (char)('0' + n % 10);
                                                n /= 10;
                                        } while (n && len < 11);
                                        for (int i = 0; i < len; i++)
                                                out->resend_id[i] = tmp[len - 1 - i];
                                        out->resend_id[len] = '\0';
                                }
                        }
                } else if (strcmp(key, "from") == 0) {
                        f = 2;
                        r = read_uint(j, 0, 4294967295u, &out->resend_from);
                } else if (strcmp(key, "to") == 0) {
                        f = 4;
                        r = read_uint(j, 0, 4294967295u, &out->resend_to);
                } else if (strcmp(key, "epoch") == 0) {
                        f = 8;
                        r = read_uint(j, 0, 4294967295u, &out->resend_epoch);
                } else {
                        return reject(out, "unknown key in resend", -EINVAL);
                }
                if (r < 0)
                        return reject(out, "bad value in resend", r);
                if (seen & f)
                        return reject(out, "repeated key in resend", -EINVAL);
                seen |= f;
                if (fwj_accept(j, ','))
                        continue;
                r = fwj_expect(j, '}');
                if (r < 0)
                        return reject(out, "malformed resend", r);
                if ((seen & 7) != 7)
                        return reject(out, "resend needs id, from and to", -EINVAL);
                if (out->resend_from > out->resend_to ||
                    out->resend_to - out->resend_from >= FW_RESEND_SPAN)
                        return reject(out, "resend range reversed or too wide", -ERANGE);
                out->has |= FW_DOWN_RESEND | ((seen & 8) ? FW_DOWN_RESEND_EPOCH : 0);
                return 0;
        }
        return reject(out, "too many keys in resend", -EINVAL);
}

enum key_bit {
        K_MEASURE = 1u << 0,
        K_HEARTBEAT = 1u << 1,
        K_FLOOD = 1u << 2,
        K_START = 1u << 3,
        K_RISE = 1u << 4,
        K_TIME = 1u << 5,
        K_RESEND = 1u << 6,
};

static int parse(const char *msg, size_t len, struct fw_downlink *out, int base_ok)
{
        struct fwj j;
        char key[20];
        unsigned seen = 0, k;
        int r;

        if (!msg || len == 0)
                return reject(out, "empty message", -EINVAL);
        if (len > FW_DOWN_MAX)
                return reject(out, "message larger than 1024 bytes", -EMSGSIZE);
        fwj_init(&j, msg, len);
        r = fwj_expect(&j, '{');
        if (r < 0)
                return reject(out, "not a JSON object", r);
        if (fwj_accept(&j, '}'))
                goto done;
        for (k = 0; k < 32; k++) {
                unsigned f = 0;
                uint32_t u = 0;
                r = fwj_string(&j, key, sizeof(key));
                if (r < 0 && r != -ENAMETOOLONG)
                        return reject(out, "malformed key", r);
                if (r == -ENAMETOOLONG)
                        key[0] = '\0'; /* longer than any key we know */
                r = fwj_expect(&j, ':');
                if (r < 0)
                        return reject(out, "expected ':'", r);
                if (strcmp(key, "measure_s") == 0) {
                        f = K_MEASURE;
                        r = read_uint(&j, FW_MEASURE_S_MIN, FW_MEASURE_S_MAX, &u);
                        out->settings.measure_s = u;
                } else if (strcmp(key, "heartbeat_s") == 0) {
                        f = K_HEARTBEAT;
                        r = read_uint(&j, FW_HEARTBEAT_S_MIN, FW_HEARTBEAT_S_MAX, &u);
                        out->settings.heartbeat_s = u;
                } else if (strcmp(key, "flood_s") == 0) {
                        f = K_FLOOD;
                        r = read_uint(&j, FW_FLOOD_S_MIN, FW_FLOOD_S_MAX, &u);
                        out->settings.flood_s = u;
                } else if (strcmp(key, "start_level_m") == 0) {
                        f = K_START;
                        r = read_mm(&j, FW_START_LEVEL_MM_MIN, FW_START_LEVEL_MM_MAX,
                                    &out->settings.start_level_mm);
                } else if (strcmp(key, "rise_m_per_h") == 0) {
                        f = K_RISE;
                        r = read_mm(&j, FW_RISE_MM_H_MIN, FW_RISE_MM_H_MAX,
                                    &out->settings.rise_mm_per_h);
                } else if (strcmp(key, "time") == 0) {
                        f = K_TIME;
                        /* 2017-07-14 .. 2106: a clock hint can never be older
                         * than this code or beyond 32-bit seconds. */
                        r = read_uint(&j, 1500000000u, 4294967295u, &u);
                        out->time = u;
                } else if (strcmp(key, "resend") == 0) {
                        f = K_RESEND;
                        r = read_resend(&j, out);
                } else {
                        r = fwj_skip(&j);
                }
                if (r == -ERANGE)
                        return reject(out, "value out of range", r);
                if (r < 0)
                        return reject(out, j.why ? j.why : "bad value", r);
                if (seen & f)
                        return reject(out, "repeated key", -EINVAL);
                seen |= f;
                if (fwj_accept(&j, ','))
                        continue;
                r = fwj_expect(&j, '}');
                if (r < 0)
                        return reject(out, "expected ',' or '}'", r);
                goto done;
        }
        return reject(out, "too many keys", -EINVAL);
done:
        r = fwj_end(&j);
        if (r < 0)
                return reject(out, "data after the object", r);
        /* Every key was checked against its range as it was read; the
         * whole is checked again unless the provisioning itself set values
         * outside the downlink's ranges (then a message that sets nothing
         * must still be accepted, and each key it sets was checked). */
        r = base_ok ? fw_settings_check(&out->settings) : 0;
        if (r < 0)
                return reject(out, "settings out of range", r);
        if (seen & (K_MEASURE | K_HEARTBEAT | K_FLOOD | K_START | K_RISE))
                out->has |= FW_DOWN_SETTINGS;
        if (seen & K_TIME)
                out->has |= FW_DOWN_TIME;
        return 0;
}

int fw_downlink_parse(const char *msg, size_t len, const struct fw_settings *cur,
                      struct fw_downlink *out)
{
        int r;
        memset(out, 0, sizeof(*out));
        out->settings = *cur;
        r = parse(msg, len, out, fw_settings_check(cur) == 0);
        if (r < 0) {
                /* Rejected whole: leave nothing of it behind. */
                const char *why = out->why;
                memset(out, 0, sizeof(*out));
                out->settings = *cur;
                out->why = why;
        }
        return r;
}
