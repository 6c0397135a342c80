/* From a burst of echo ranges to one distance and level: median, outlier
 * rejection, speed-of-sound correction for the air temperature, and the
 * level below the sensor's mount height.  Integer arithmetic only, so the
 * host and the Cortex-M3 agree to the millimetre. */
#ifndef SONAE_FW_MEASURE_H
#define SONAE_FW_MEASURE_H

#include <stdint.h>

#define FW_ECHO_MAX 15
/* The sensor reports ranges assuming sound at this temperature (MaxBotix
 * HRXL-class sensors are calibrated for about 20 °C when the internal
 * compensation is off or their own probe is not representative). */
#define FW_SOUND_REF_CC 2000
/* Ranges at or outside these are the sensor's "too close" and "no echo"
 * codes, not distances. */
#define FW_RANGE_MIN_MM 300
#define FW_RANGE_MAX_MM 9998
/* An echo further from the median than FW_OUTLIER_MAD times the median
 * absolute deviation, clamped to FW_OUTLIER_FLOOR_MM..FW_OUTLIER_CEIL_MM,
 * is rejected.  The ceiling makes a burst split between two surfaces
 * (debris and water) fail instead of averaging them. */
#define FW_OUTLIER_FLOOR_MM 30
#define FW_OUTLIER_CEIL_MM  100
#define FW_OUTLIER_MAD      4
/* Temperatures a probe cannot mean: outside them the filter keeps its
 * estimate. */
#define FW_TEMP_MIN_CC (-4000)
#define FW_TEMP_MAX_CC 6000
/* The temperature estimate: the lowest probe reading of the last
 * FW_TEMP_WINDOW_S (sun only ever heats the probe above the air, and each
 * cloud lets it show the air again), low-passed with FW_TEMP_TAU_S. */
#define FW_TEMP_WINDOW_S 2400
#define FW_TEMP_TAU_S    900
#define FW_TEMP_N        8

struct fw_measurement {
        int valid;        /* 1 when enough echoes agreed */
        int32_t dist_mm;  /* corrected distance from the sensor face to the water */
        int32_t level_mm; /* mount height less distance */
        int32_t raw_mm;   /* median of the accepted echoes, uncorrected */
        int16_t temp_cc;  /* temperature used for the correction, 0.01 °C */
        uint8_t used;     /* echoes accepted */
        uint8_t rejected; /* echoes rejected (codes and outliers) */
};

/* The air temperature estimate fed to the correction.  A probe in a
 * sun-heated housing flickers with every passing cloud; the low-pass keeps
 * that flicker out of the level. */
struct fw_temp_filter {
        int init;
        int32_t est_cc;
        int64_t last_t;
        struct {
                int64_t t;
                int32_t cc;
        } win[FW_TEMP_N];
        unsigned win_n, win_head;
};

void fw_temp_filter_init(struct fw_temp_filter *f);
/* Feeds one probe reading at monotonic time now (seconds); returns the
 * estimate.  Implausible readings are ignored. */
int32_t fw_temp_filter_feed(struct fw_temp_filter *f, int64_t now, int32_t temp_cc, int ok);

/* The distance sound travels at temp_cc for a range the sensor reported at
 * FW_SOUND_REF_CC. */
int32_t fw_sound_correct(int32_t raw_mm, int32_t temp_cc);

/* Computes a measurement from n (<= FW_ECHO_MAX) echo ranges.  Needs at
 * least three echoes and a majority of them to agree, else valid = 0.
 * Borrows echoes; never writes to them. */
void fw_measure_compute(const int32_t *echoes, unsigned n, int32_t temp_cc, int32_t mount_mm,
                        struct fw_measurement *out);

/* Integer square root, floor. */
uint32_t fw_isqrt64(uint64_t v);

#endif
