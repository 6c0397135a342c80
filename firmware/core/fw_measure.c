#include "fw_measure.h"

#include <string.h>

uint32_t fw_isqrt64(uint64_t v)
{
        uint64_t res = 0, bit = (uint64_t)1 << 62;
        int i;
        for (i = 0; i < 32 && bit > v; i++)
                bit >>= 2;
        for (i = 0; i < 32 && bit; i++) {
                if (v >= res + bit) {
                        v -= res + bit;
                        res = (res >> 1) + bit;
                } else {
                        res >>= 1;
                }
                bit >>= 2;
        }
        return (uint32_t)res;
}

/* c(T) = 331.3 m/s * sqrt(1 + T / 273.15 K), so the true distance is the
 * reported one times sqrt((273.15 + T) / (273.15 + Tref)).  Computed in
 * sixteenths of a millimetre and rounded. */
int32_t fw_sound_correct(int32_t raw_mm, int32_t temp_cc)
{
        uint64_t r16, num;
        uint32_t root;
        if (raw_mm <= 0)
                return raw_mm;
        if (temp_cc < FW_TEMP_MIN_CC)
                temp_cc = FW_TEMP_MIN_CC;
        if (temp_cc > FW_TEMP_MAX_CC)
                temp_cc = FW_TEMP_MAX_CC;
        r16 = (uint64_t)raw_mm * 16u;
        num = r16 * r16 * (uint64_t)(27315 + temp_cc) / (uint64_t)(27315 + FW_SOUND_REF_CC);
        root = fw_isqrt64(num);
        return (int32_t)((root + 8u) / 16u);
}

static void sort(int32_t *v, unsigned n)
{
        unsigned i, k;
        for (i = 1; i < n; i++) {
                int32_t x = v[i];
                for (k = i; k > 0 && v[k - 1] > x; k--)
                        v[k] = v[k - 1];
                v[k] = x;
        }
}

/* Median of a sorted array; the mean of the middle two for even n. */
static int32_t median_sorted(const int32_t *v, unsigned n)
{
        if (n % 2)
                return v[n / 2];
        return (int32_t)(((int64_t)v[n / 2 - 1] + v[n / 2]) / 2);
}

void fw_measure_compute(const int32_t *echoes, unsigned n, int32_t temp_cc, int32_t mount_mm,
                        struct fw_measurement *out)
{
        int32_t v[FW_ECHO_MAX], dev[FW_ECHO_MAX], keep[FW_ECHO_MAX];
        unsigned m = 0, k = 0, i;
        int32_t med, mad, limit;

        memset(out, 0, sizeof(*out));
        out->temp_cc = (int16_t)temp_cc;
        if (n > FW_ECHO_MAX)
                n = FW_ECHO_MAX;
        for (i = 0; i < n; i++) {
                if (echoes[i] > FW_RANGE_MIN_MM && echoes[i] < FW_RANGE_MAX_MM)
                        v[m++] = echoes[i];
        }
        out->rejected = (uint8_t)(n - m);
        if (m < 3)
                return;
        sort(v, m);
        med = median_sorted(v, m);
        for (i = 0; i < m; i++)
                dev[i] = v[i] > med ? v[i] - med : med - v[i];
        sort(dev, m);
        mad = median_sorted(dev, m);
        limit = mad * FW_OUTLIER_MAD;
        if (limit < FW_OUTLIER_FLOOR_MM)
                limit = FW_OUTLIER_FLOOR_MM;
        if (limit > FW_OUTLIER_CEIL_MM)
                limit = FW_OUTLIER_CEIL_MM;
        for (i = 0; i < m; i++) {
                int32_t d = v[i] > med ? v[i] - med : med - v[i];
                if (d <= limit)
                        keep[k++] = v[i];
        }
        out->used = (uint8_t)k;
        out->rejected = (uint8_t)(n - k);
        /* A majority of all echoes must agree: two surfaces (debris, a
         * wave crest) splitting the burst make no measurement. */
        if (k < 3 || k * 2 <= n)
                return;
        out->raw_mm = median_sorted(keep, k);
        out->dist_mm = fw_sound_correct(out->raw_mm, temp_cc);
        out->level_mm = mount_mm - out->dist_mm;
        out->valid = 1;
}

void fw_temp_filter_init(struct fw_temp_filter *f)
{
        memset(f, 0, sizeof(*f));
        f->est_cc = FW_SOUND_REF_CC;
}

int32_t fw_temp_filter_feed(struct fw_temp_filter *f, int64_t now, int32_t temp_cc, int ok)
{
        int64_t dt;
        int32_t low;
        unsigned i;
        if (!ok || temp_cc < FW_TEMP_MIN_CC || temp_cc > FW_TEMP_MAX_CC)
                return f->est_cc;
        f->win[f->win_head].t = now;
        f->win[f->win_head].cc = temp_cc;
        f->win_head = (f->win_head + 1) % FW_TEMP_N;
        if (f->win_n < FW_TEMP_N)
                f->win_n++;
        low = temp_cc;
        for (i = 0; i < f->win_n; i++)
                if (now - f->win[i].t <= FW_TEMP_WINDOW_S && f->win[i].cc < low)
                        low = f->win[i].cc;
        temp_cc = low;
        if (!f->init) {
                f->init = 1;
                f->est_cc = temp_cc;
                f->last_t = now;
                return f->est_cc;
        }
        dt = now - f->last_t;
        if (dt < 0)
                dt = 0;
        if (dt > 10 * FW_TEMP_TAU_S)
                dt = 10 * FW_TEMP_TAU_S;
        /* First-order low-pass, discretised as est += (x - est) dt / (tau + dt). */
        f->est_cc += (int32_t)(((int64_t)temp_cc - f->est_cc) * dt / (FW_TEMP_TAU_S + dt));
        f->last_t = now;
        return f->est_cc;
}
