/* The distance sensor driver: MaxBotix-style ASCII ranges ("R1234\r", in
 * millimetres) on the sensor UART, sensor powered by HAL_PIN_SENSOR_PWR
 * for the burst only.  Anything that is not a whole range line (the
 * power-up banner, noise on a wet cable, a line cut by a power dip) is
 * dropped; every wait has a deadline. */
#include "ranger.h"
#include "hal.h"
#include "ranger_conf.h"

#include <errno.h>

struct rparse {
        int in;        /* inside an 'R' line */
        unsigned ndig; /* digits seen so far */
        int32_t value;
};

/* Feeds one byte; returns 1 with *mm set when a whole range ends. */
static int rparse_byte(struct rparse *p, uint8_t c, int32_t *mm)
{
        if (c == 'R') {
                /* A new line starts: any partial one before it is lost. */
                p->in = 1;
                p->ndig = 0;
                p->value = 0;
                return 0;
        }
        if (!p->in)
                return 0;
        if (c >= '0' && c <= '9') {
                if (p->ndig >= RANGER_DIGITS) {
                        p->in = 0; /* too long: not a range */
                        return 0;
                }
                p->value = p->value * 10 + (int32_t)(c - '0');
                p->ndig++;
                return 0;
        }
        p->in = 0;
        if (c == '\r' && p->ndig == RANGER_DIGITS) {
                *mm = p->value;
                return 1;
        }
        return 0;
}

int ranger_burst(int32_t *mm, unsigned n, uint32_t timeout_ms)
{
        struct rparse p = {0, 0, 0};
        uint64_t start = hal_time_ms(), deadline = start + timeout_ms, last;
        unsigned got = 0, skip = RANGER_SKIP;
        int rc = 0;

        if (!mm && n)
                return -EINVAL;
        rc = hal_uart_open(HAL_UART_SENSOR, RANGER_BAUD);
        if (rc < 0)
                return rc;
        hal_gpio_set(HAL_PIN_SENSOR_PWR, 1);
        /* The banner and the first range come within RANGER_BOOT_MS; the
         * silence timer starts after it. */
        last = start + RANGER_BOOT_MS;
        while (got < n) {
                uint8_t buf[32];
                uint64_t t = hal_time_ms(), until;
                int k, i;
                if (t >= deadline)
                        break;
                if (t > last && t - last >= RANGER_SILENCE_MS)
                        break;
                until = last + RANGER_SILENCE_MS;
                if (until > deadline)
                        until = deadline;
                k = hal_uart_read(HAL_UART_SENSOR, buf, sizeof(buf),
                                  until > t ? (uint32_t)(until - t) : 1u);
                if (k < 0) {
                        rc = k;
                        break;
                }
                for (i = 0; i < k && got < n; i++) {
                        int32_t v;
                        if (!rparse_byte(&p, buf[i], &v))
                                continue;
                        last = hal_time_ms();
                        if (skip) {
                                skip--;
                                continue;
                        }
                        mm[got++] = v;
                }
        }
        hal_gpio_set(HAL_PIN_SENSOR_PWR, 0);
        if (got == 0 && rc < 0)
                return rc;
        return (int)got;
}
