/* libFuzzer harness for the modem driver's parsing of what the module
 * says: the input is everything the module sends, in order, a byte per
 * millisecond of a virtual clock, to a driver that opens a socket, sends,
 * receives, asks for the time and the signal and sleeps.  Whatever it
 * says, every call must return within its deadline (the clock is virtual,
 * so a wait that ignored its deadline would run past it), a receive never
 * returns more than asked, and a time it accepts is a real date. */
#include "hal.h"
#include "modem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in;
static size_t in_len, in_off;
static uint64_t now;

uint64_t hal_time_ms(void)
{
        return now;
}

void hal_sleep_until(uint64_t deadline_ms)
{
        if (deadline_ms > now)
                now = deadline_ms;
}

int hal_uart_open(enum hal_uart_port port, uint32_t baud)
{
        (void)port;
        (void)baud;
        return 0;
}

int hal_uart_write(enum hal_uart_port port, const void *buf, size_t len, uint32_t timeout_ms)
{
        (void)port;
        (void)buf;
        (void)timeout_ms;
        now += 1;
        return (int)len;
}

int hal_uart_read(enum hal_uart_port port, void *buf, size_t len, uint32_t timeout_ms)
{
        size_t k = 0;
        (void)port;
        if (in_off == in_len) {
                now += timeout_ms; /* silence */
                return 0;
        }
        /* Up to 16 bytes at a time, a millisecond each. */
        while (k < len && k < 16 && in_off < in_len && k < timeout_ms + 1) {
                ((uint8_t *)buf)[k++] = in[in_off++];
                now += 1;
        }
        return (int)k;
}

void hal_gpio_set(enum hal_pin pin, int on)
{
        (void)pin;
        (void)on;
}

int hal_gpio_get(enum hal_pin pin)
{
        (void)pin;
        return 0;
}

/* A call given ms must be back by then (plus a millisecond per byte fed
 * and a PWRKEY pulse, which is not cut short). */
#define SLACK_MS (600 + 64)

static void within(uint64_t t0, uint32_t ms)
{
        if (now - t0 > ms + SLACK_MS + in_len)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t buf[64];
        uint64_t t0;
        int64_t utc;
        int dbm, rc;
        in = data;
        in_len = size;
        in_off = 0;
        now = 1000;
        t0 = now;
        rc = modem_open("mqtt.example.jp", 8883, size & 1, 30000);
        within(t0, 30000);
        if (rc == 0) {
                t0 = now;
                modem_send("hello", 5, 5000);
                within(t0, 5000);
                t0 = now;
                rc = modem_recv(buf, sizeof(buf), 5000);
                within(t0, 5000);
                if (rc > (int)sizeof(buf))
                        abort();
        }
        t0 = now;
        if (modem_time(&utc) == 0 && (utc < 1577836800 || utc > 3155760000LL))
                abort(); /* accepted only for 2020..2069 */
        within(t0, 5000);
        t0 = now;
        if (modem_rssi(&dbm) == 0 && (dbm < -113 || dbm > -51))
                abort();
        within(t0, 5000);
        modem_close();
        modem_sleep();
        return 0;
}
