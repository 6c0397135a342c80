/* Measurement: median and outlier rejection on noisy echo bursts, the
 * speed-of-sound correction, and a sunny day's drift. */
#include "fw_measure.h"
#include "fw_test.h"

static void test_sound(void)
{
        CHECK_INT(fw_isqrt64(0), 0);
        CHECK_INT(fw_isqrt64(99), 9);
        CHECK_INT(fw_isqrt64(100), 10);
        CHECK_INT(fw_isqrt64(0xFFFFFFFFFFFFFFFFull), 0xFFFFFFFFu);
        /* At the reference temperature nothing changes. */
        CHECK_INT(fw_sound_correct(3000, FW_SOUND_REF_CC), 3000);
        /* sqrt((273.15 + 35) / 293.15) = 1.025262: 3000 mm -> 3075.8 mm. */
        CHECK_INT(fw_sound_correct(3000, 3500), 3076);
        /* sqrt((273.15 - 10) / 293.15) = 0.947438: 3000 -> 2842.3 mm. */
        CHECK_INT(fw_sound_correct(3000, -1000), 2842);
        /* A broken probe cannot push the correction past -40..60 °C. */
        CHECK_INT(fw_sound_correct(3000, 20000), fw_sound_correct(3000, FW_TEMP_MAX_CC));
}

/* What a sensor calibrated at 20 °C reports for a true distance when the
 * air is at temp_cc, plus noise and, now and then, a false echo. */
static int32_t echo(int32_t true_mm, int32_t temp_cc, int noise_mm)
{
        /* Inverse of fw_sound_correct to within a millimetre. */
        int32_t raw = true_mm, k;
        for (k = 0; k < 4; k++)
                raw += true_mm - fw_sound_correct(raw, temp_cc);
        return raw + (int32_t)fwt_rand(-noise_mm, noise_mm);
}

static void test_filter(void)
{
        struct fw_measurement m;
        int32_t e[FW_ECHO_MAX];
        unsigned i;
        int worst = 0, bursts;
        long sum_err = 0;

        /* Clean burst. */
        for (i = 0; i < 9; i++)
                e[i] = 2500;
        fw_measure_compute(e, 9, FW_SOUND_REF_CC, 4000, &m);
        CHECK_INT(m.valid, 1);
        CHECK_INT(m.dist_mm, 2500);
        CHECK_INT(m.level_mm, 1500);
        CHECK_INT(m.used, 9);

        /* Spiders, rain and a floating branch: three false echoes among nine,
         * plus the sensor's "no target" and "too close" codes. */
        int32_t noisy[11] = {2503, 2497, 870, 2501, 9999, 2499, 4012, 2502, 300, 1900, 2500};
        fw_measure_compute(noisy, 11, FW_SOUND_REF_CC, 4000, &m);
        CHECK_INT(m.valid, 1);
        CHECK_INT(m.dist_mm, 2500);
        CHECK_INT(m.used, 6);
        CHECK_INT(m.rejected, 5);

        /* Two surfaces with no majority: no measurement rather than a mean. */
        int32_t split[6] = {1000, 1002, 1001, 2500, 2502, 2501};
        fw_measure_compute(split, 6, FW_SOUND_REF_CC, 4000, &m);
        CHECK_INT(m.valid, 0);
        /* Too few echoes. */
        fw_measure_compute(split, 2, FW_SOUND_REF_CC, 4000, &m);
        CHECK_INT(m.valid, 0);
        /* All codes: a drowned or blocked sensor. */
        for (i = 0; i < 9; i++)
                e[i] = 9999;
        fw_measure_compute(e, 9, FW_SOUND_REF_CC, 4000, &m);
        CHECK_INT(m.valid, 0);
        CHECK_INT(m.rejected, 9);
        /* More echoes than FW_ECHO_MAX are cut, not overrun. */
        int32_t many[20];
        for (i = 0; i < 20; i++)
                many[i] = 1234;
        fw_measure_compute(many, 20, FW_SOUND_REF_CC, 4000, &m);
        CHECK_INT(m.used, FW_ECHO_MAX);

        /* 200 noisy bursts (±15 mm, 2 false echoes anywhere in 0.4..5 m among 9). */
        for (bursts = 0; bursts < 200; bursts++) {
                for (i = 0; i < 9; i++)
                        e[i] = echo(2000, FW_SOUND_REF_CC, 15);
                /* One call per statement: the order of evaluation inside a
                 * statement differs between compilers, the series must not. */
                for (i = 0; i < 2; i++) {
                        long at = fwt_rand(0, 8);
                        e[at] = (int32_t)fwt_rand(400, 5000);
                }
                fw_measure_compute(e, 9, FW_SOUND_REF_CC, 4000, &m);
                if (!m.valid) {
                        printf("burst %d invalid\n", bursts);
                        worst = 9999;
                        continue;
                }
                sum_err += m.dist_mm > 2000 ? m.dist_mm - 2000 : 2000 - m.dist_mm;
                if (m.dist_mm - 2000 > worst)
                        worst = m.dist_mm - 2000;
                if (2000 - m.dist_mm > worst)
                        worst = 2000 - m.dist_mm;
        }
        printf("over 200 noisy bursts: worst %d mm, mean %ld um\n", worst, sum_err * 1000 / 200);
        /* Never worse than the noise, however far off the false echoes are. */
        CHECK(worst <= 15);
        CHECK(sum_err * 1000 / 200 <= 5000);
}

/* A sunny day over still water 3.2 m below the sensor.  The air in the
 * sound path follows a daily cycle of 8..30 °C; the probe in the housing
 * reads the air plus sun heating that comes and goes with every cloud
 * (0..+12 °C, changing every 10 minutes).  Without correction the reported
 * distance swings with the air (the drift FloodNet users saw); with the
 * correction from the low-passed probe the level stays flat to within a
 * few centimetres, and far flatter than with the raw probe. */
static void test_sun_drift(void)
{
        struct fw_temp_filter f;
        struct fw_measurement m;
        int32_t e[9];
        int64_t t;
        int32_t raw_lo = 99999, raw_hi = 0, filt_lo = 99999, filt_hi = 0, naive_lo = 99999,
                naive_hi = 0;
        fw_temp_filter_init(&f);
        for (t = 0; t < 86400; t += 600) {
                /* A triangle daily cycle: 8 °C at 04:00, 30 °C at 14:00. */
                int64_t h = (t / 60) % 1440;
                int32_t air = h < 240   ? 800
                              : h < 840 ? 800 + (int32_t)((h - 240) * 2200 / 600)
                                        : (int32_t)(3000 - (h - 840) * 2200 / 600);
                int sunny = h > 420 && h < 1020;
                int32_t probe = air + (sunny ? (int32_t)fwt_rand(0, 1200) : 0);
                int32_t est = fw_temp_filter_feed(&f, t, probe, 1);
                unsigned i;
                if (air < 800)
                        air = 800;
                for (i = 0; i < 9; i++)
                        e[i] = echo(3200, air, 6);
                fw_measure_compute(e, 9, est, 5000, &m);
                CHECK(m.valid);
                if (m.raw_mm < raw_lo)
                        raw_lo = m.raw_mm;
                if (m.raw_mm > raw_hi)
                        raw_hi = m.raw_mm;
                if (m.dist_mm < filt_lo)
                        filt_lo = m.dist_mm;
                if (m.dist_mm > filt_hi)
                        filt_hi = m.dist_mm;
                fw_measure_compute(e, 9, probe, 5000, &m);
                if (m.dist_mm < naive_lo)
                        naive_lo = m.dist_mm;
                if (m.dist_mm > naive_hi)
                        naive_hi = m.dist_mm;
        }
        printf("sun drift over a day: uncorrected %ld mm, raw probe %ld mm, filtered %ld mm\n",
               (long)(raw_hi - raw_lo), (long)(naive_hi - naive_lo), (long)(filt_hi - filt_lo));
        /* The uncorrected range swings by more than 10 cm over the day. */
        CHECK(raw_hi - raw_lo > 100);
        /* Corrected with the filtered probe: flat to within 45 mm. */
        CHECK(filt_hi - filt_lo <= 45);
        /* ...and flatter than correcting with the flickering probe. */
        CHECK(filt_hi - filt_lo < naive_hi - naive_lo);

        /* Implausible probe readings are ignored. */
        int32_t before = f.est_cc;
        CHECK_INT(fw_temp_filter_feed(&f, 86400, 12000, 1), before);
        CHECK_INT(fw_temp_filter_feed(&f, 86400, 1500, 0), before);
}

int main(void)
{
        test_sound();
        test_filter();
        test_sun_drift();
        return fwt_done("measure");
}
