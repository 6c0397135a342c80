/* What the QEMU board lacks: a battery and thermistor on the ADC, a
 * distance sensor and a modem.  The sensor sees still water 3 m down with
 * a little noise and an occasional false echo; the modem finds no network
 * (QEMU has none), so the node queues its readings as it would on a
 * bridge out of coverage.  Issue 10's drivers replace ranger and modem on
 * real hardware and on the host port. */
#include "hal.h"
#include "modem.h"
#include "ranger.h"

#include <errno.h>

static uint32_t rnd = 1;

static int32_t noise(int32_t span)
{
        rnd = rnd * 1664525u + 1013904223u;
        return (int32_t)((rnd >> 8) % (uint32_t)(2 * span + 1)) - span;
}

int hal_adc_read(enum hal_adc_ch ch, int32_t *value)
{
        if (ch == HAL_ADC_BATTERY) {
                *value = 3600 + noise(5);
                return 0;
        }
        if (ch == HAL_ADC_AIR_TEMP) {
                *value = 1500 + noise(20);
                return 0;
        }
        return -ENODEV;
}

int ranger_burst(int32_t *mm, unsigned n, uint32_t timeout_ms)
{
        unsigned i;
        (void)timeout_ms;
        hal_gpio_set(HAL_PIN_SENSOR_PWR, 1);
        for (i = 0; i < n; i++)
                mm[i] = i == 4 ? 870 : 2963 + noise(4);
        hal_gpio_set(HAL_PIN_SENSOR_PWR, 0);
        return (int)n;
}

int modem_open(const char *host, uint16_t port, int tls, uint32_t timeout_ms)
{
        (void)host;
        (void)port;
        (void)tls;
        (void)timeout_ms;
        return -ENETDOWN;
}

int modem_send(const void *buf, size_t len, uint32_t timeout_ms)
{
        (void)buf;
        (void)len;
        (void)timeout_ms;
        return -ENOTCONN;
}

int modem_recv(void *buf, size_t len, uint32_t timeout_ms)
{
        (void)buf;
        (void)len;
        (void)timeout_ms;
        return -ENOTCONN;
}

void modem_close(void)
{
}

int modem_time(int64_t *utc)
{
        (void)utc;
        return -ENETDOWN;
}

int modem_rssi(int *dbm)
{
        (void)dbm;
        return -ENETDOWN;
}

void modem_sleep(void)
{
}
