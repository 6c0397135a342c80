/* The MaxBotix-style range driver (drivers/ranger.c) against scripted
 * sensor transcripts: the HRXL-MaxSonar-WR power-up banner followed by
 * ranges at the sensor's ~6 Hz, then what a bridge does to a serial line:
 * garbage bytes, lines cut by a power dip, lines of the wrong length,
 * ranges split across reads, a sensor that goes silent (drowned cable)
 * and one that never speaks.  Every run must end by its deadline with the
 * sensor powered off. */
#include "fw_test.h"
#include "hal.h"
#include "ranger.h"
#include "ranger_conf.h"
#include "uart_script.h"

#include <errno.h>

/* The banner as the HRXL-MaxSonar-WR prints it at power-up (MaxBotix
 * HRXL-MaxSonar-WR datasheet, "serial output": part number, copyright,
 * firmware line, each ended by a carriage return).  It contains an 'R'
 * and digits, so it tests the line filter too. */
#define BANNER                                                                                     \
        "HRXL-MaxSonar-WRMT\rPN:MB7389\rCopyright 2011-2013\rMaxBotix Inc.\rRoHS 1.8b 0313 "       \
        "TempI\r"

static int32_t mm[16];

static void clear(void)
{
        unsigned i;
        for (i = 0; i < 16; i++)
                mm[i] = -1;
}

/* A healthy sensor: banner, then ranges every 167 ms; the first one is
 * skipped (RANGER_SKIP), nine are kept. */
static void test_normal(void)
{
        static const struct us_step s[] = {
            US_SAY(40, BANNER),     US_SAY(120, "R2961\r"), US_SAY(167, "R2962\r"),
            US_SAY(167, "R2963\r"), US_SAY(167, "R2964\r"), US_SAY(167, "R2965\r"),
            US_SAY(167, "R0300\r"), US_SAY(167, "R9999\r"), US_SAY(167, "R2968\r"),
            US_SAY(167, "R2969\r"), US_SAY(167, "R2970\r"), US_END};
        uint64_t t0 = hal_time_ms();
        int n;
        clear();
        us_start(HAL_UART_SENSOR, s);
        n = ranger_burst(mm, 9, 3000);
        CHECK_INT(n, 9);
        CHECK_INT(mm[0], 2962);
        CHECK_INT(mm[3], 2965);
        CHECK_INT(mm[4], 300); /* codes pass through: the core drops them */
        CHECK_INT(mm[5], 9999);
        CHECK_INT(mm[8], 2970);
        CHECK_INT(mm[9], -1);
        CHECK(us_finished());
        CHECK_INT(us_pin(HAL_PIN_SENSOR_PWR), 0);
        CHECK_INT(us_pin_rises(HAL_PIN_SENSOR_PWR), 1);
        CHECK(hal_time_ms() - t0 < 3000);
        CHECK_INT(us_errors(), 0);
}

/* Garbage between and inside lines: line noise (0x00, 0xFF), a line with
 * a letter in it, five digits, three digits, a space, a lone CR, an LF
 * instead of a CR, "R" twice.  Only whole 4-digit lines count. */
static void test_garbage(void)
{
        static const struct us_step s[] = {US_SAYN(10, "\x00\xff\xfe", 3),
                                           US_SAY(100, "R1111\r"), /* skipped */
                                           US_SAY(50, "R12x4\r"),
                                           US_SAY(50, "R12345\r"),
                                           US_SAY(50, "R123\r"),
                                           US_SAY(50, "R 234\r"),
                                           US_SAY(50, "\r\r"),
                                           US_SAY(50, "R2345\n"),
                                           US_SAY(50, "RR2500\r"),
                                           US_SAYN(50, "\xffR2501\r\x80", 8),
                                           US_SAY(50, "R25R2502\r"),
                                           US_END};
        int n;
        clear();
        us_start(HAL_UART_SENSOR, s);
        n = ranger_burst(mm, 9, 3000);
        CHECK_INT(n, 3);
        CHECK_INT(mm[0], 2500);
        CHECK_INT(mm[1], 2501);
        CHECK_INT(mm[2], 2502);
        CHECK_INT(us_pin(HAL_PIN_SENSOR_PWR), 0);
}

/* Ranges split across reads at every awkward place, and a line cut short
 * by a power dip ("R29" then a fresh line). */
static void test_partial(void)
{
        static const struct us_step s[] = {
            US_SAY(100, "R1000\r"), US_SAY(100, "R"),  US_SAY(30, "2"),    US_SAY(30, "96"),
            US_SAY(30, "3"),        US_SAY(30, "\r"),  US_SAY(100, "R29"), US_SAY(400, "R2"),
            US_SAY(5, "964\rR"),    US_SAY(5, "2965"), US_SAY(160, "\r"),  US_END};
        int n;
        clear();
        us_start(HAL_UART_SENSOR, s);
        n = ranger_burst(mm, 3, 3000);
        CHECK_INT(n, 3);
        CHECK_INT(mm[0], 2963);
        CHECK_INT(mm[1], 2964);
        CHECK_INT(mm[2], 2965);
        CHECK(us_finished());
}

/* A sensor that never speaks (cable cut, sensor dead): the burst ends
 * after the boot time and the silence limit, long before the caller's
 * deadline, with nothing read and the power off. */
static void test_silence(void)
{
        static const struct us_step s[] = {US_END};
        uint64_t t0 = hal_time_ms(), dt;
        int n;
        clear();
        us_start(HAL_UART_SENSOR, s);
        n = ranger_burst(mm, 9, 10000);
        dt = hal_time_ms() - t0;
        CHECK_INT(n, 0);
        CHECK(dt >= RANGER_BOOT_MS + RANGER_SILENCE_MS);
        CHECK(dt <= RANGER_BOOT_MS + RANGER_SILENCE_MS + 50);
        CHECK_INT(us_pin(HAL_PIN_SENSOR_PWR), 0);
        CHECK_INT(mm[0], -1);
}

/* A drowned line: three ranges, then nothing.  What was read is kept. */
static void test_drowned(void)
{
        static const struct us_step s[] = {US_SAY(150, "R3000\r"), US_SAY(167, "R3001\r"),
                                           US_SAY(167, "R3002\r"), US_SAY(167, "R3003\r"), US_END};
        uint64_t t0 = hal_time_ms();
        int n;
        clear();
        us_start(HAL_UART_SENSOR, s);
        n = ranger_burst(mm, 9, 10000);
        CHECK_INT(n, 3);
        CHECK_INT(mm[2], 3003);
        CHECK(hal_time_ms() - t0 < 150 + 3 * 167 + RANGER_SILENCE_MS + 50);
        CHECK_INT(us_pin(HAL_PIN_SENSOR_PWR), 0);
}

/* A slow trickle of ranges (one every 900 ms, inside the silence limit)
 * and endless noise: the caller's deadline ends the burst on time. */
static void test_deadline(void)
{
        static const struct us_step s[] = {US_SAY(100, "R2000\r"),
                                           US_SAY(900, "R2001\r"),
                                           US_SAY(900, "R2002\r"),
                                           US_SAY(900, "R2003\r"),
                                           US_SAY(900, "R2004\r"),
                                           US_SAY(900, "R2005\r"),
                                           US_END};
        static struct us_step noise[130];
        uint64_t t0 = hal_time_ms();
        unsigned i;
        int n;
        clear();
        us_start(HAL_UART_SENSOR, s);
        n = ranger_burst(mm, 9, 3000);
        CHECK_INT(n, 3);
        CHECK_INT(mm[2], 2003);
        CHECK(hal_time_ms() - t0 <= 3000);
        CHECK_INT(us_pin(HAL_PIN_SENSOR_PWR), 0);

        /* 'R1' repeated with no CR, every 20 ms: never a range, and the
         * burst still ends at the silence limit. */
        for (i = 0; i < 129; i++) {
                noise[i].kind = US_K_SAY;
                noise[i].delay_ms = 20;
                noise[i].text = "R1R1R1R1R1";
                noise[i].len = 0;
        }
        noise[129].kind = US_K_END;
        t0 = hal_time_ms();
        us_start(HAL_UART_SENSOR, noise);
        n = ranger_burst(mm, 9, 60000);
        CHECK_INT(n, 0);
        CHECK(hal_time_ms() - t0 <= RANGER_BOOT_MS + RANGER_SILENCE_MS + 50);
        CHECK_INT(us_pin(HAL_PIN_SENSOR_PWR), 0);
}

/* The UART cannot be opened: the error comes back, the sensor is never
 * powered. */
static void test_open_fails(void)
{
        static const struct us_step s[] = {US_END};
        us_start(HAL_UART_SENSOR, s);
        us_open_fails(-EIO);
        CHECK_INT(ranger_burst(mm, 9, 3000), -EIO);
        CHECK_INT(us_pin_rises(HAL_PIN_SENSOR_PWR), 0);
        CHECK_INT(ranger_burst(NULL, 9, 3000), -EINVAL);
}

int main(void)
{
        test_normal();
        test_garbage();
        test_partial();
        test_silence();
        test_drowned();
        test_deadline();
        test_open_fails();
        return fwt_done("drv-ranger");
}
