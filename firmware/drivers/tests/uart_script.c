#include "uart_script.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define US_RX_MAX 48 /* says scheduled ahead of the next expected write */

static uint64_t now_ms;
static const struct us_step *script;
static unsigned pos;
static enum hal_uart_port us_port;
static int open_code;
static unsigned errors;
static uint32_t exp_off; /* bytes of the current expected step matched */
static char last_write[128];

static struct {
        const struct us_step *s;
        uint64_t at;
        uint32_t off;
} rx[US_RX_MAX];
static unsigned rx_head, rx_n;

static int pin_state[3];
static unsigned pin_rise[3];
static uint64_t pin_on_at[3], pin_pulse[3];

static uint32_t step_len(const struct us_step *s)
{
        return s->len ? s->len : (uint32_t)strlen(s->text);
}

/* Schedules the says up to the next expected write, from base time t. */
static void schedule(uint64_t t)
{
        while (script && script[pos].kind == US_K_SAY && rx_n < US_RX_MAX) {
                unsigned k = (rx_head + rx_n) % US_RX_MAX;
                t += script[pos].delay_ms;
                rx[k].s = &script[pos];
                rx[k].at = t;
                rx[k].off = 0;
                rx_n++;
                pos++;
        }
}

void us_start(enum hal_uart_port port, const struct us_step *steps)
{
        script = steps;
        pos = 0;
        us_port = port;
        rx_head = rx_n = 0;
        exp_off = 0;
        errors = 0;
        open_code = 0;
        memset(pin_state, 0, sizeof(pin_state));
        memset(pin_rise, 0, sizeof(pin_rise));
        memset(pin_pulse, 0, sizeof(pin_pulse));
        last_write[0] = '\0';
        schedule(now_ms);
}

void us_open_fails(int code)
{
        open_code = code;
}

unsigned us_errors(void)
{
        return errors;
}

int us_finished(void)
{
        return rx_n == 0 && script && script[pos].kind == US_K_END;
}

int us_pin(enum hal_pin pin)
{
        return pin_state[pin];
}

unsigned us_pin_rises(enum hal_pin pin)
{
        return pin_rise[pin];
}

uint64_t us_pin_last_pulse_ms(enum hal_pin pin)
{
        return pin_pulse[pin];
}

void us_advance(uint64_t ms)
{
        now_ms += ms;
}

const char *us_last_write(void)
{
        return last_write;
}

uint64_t hal_time_ms(void)
{
        return now_ms;
}

void hal_sleep_until(uint64_t deadline_ms)
{
        if (deadline_ms > now_ms)
                now_ms = deadline_ms;
}

void hal_gpio_set(enum hal_pin pin, int on)
{
        on = on != 0;
        if (on && !pin_state[pin]) {
                pin_rise[pin]++;
                pin_on_at[pin] = now_ms;
        }
        if (!on && pin_state[pin])
                pin_pulse[pin] = now_ms - pin_on_at[pin];
        pin_state[pin] = on;
}

int hal_gpio_get(enum hal_pin pin)
{
        return pin_state[pin];
}

int hal_uart_open(enum hal_uart_port port, uint32_t baud)
{
        (void)baud;
        if (port != us_port)
                return -ENODEV;
        return open_code;
}

int hal_uart_write(enum hal_uart_port port, const void *buf, size_t len, uint32_t timeout_ms)
{
        const uint8_t *b = buf;
        size_t i;
        (void)timeout_ms;
        if (port != us_port)
                return -ENODEV;
        {
                size_t l = len < sizeof(last_write) - 1 ? len : sizeof(last_write) - 1;
                memcpy(last_write, buf, l);
                last_write[l] = '\0';
        }
        for (i = 0; i < len; i++) {
                const struct us_step *s = script ? &script[pos] : NULL;
                if (!s || s->kind != US_K_EXPECT) {
                        errors++;
                        printf("uart_script: unexpected write \"%s\" (step %u)\n", last_write, pos);
                        return (int)len;
                }
                if ((uint8_t)s->text[exp_off] != b[i]) {
                        errors++;
                        printf("uart_script: wrote \"%s\", expected \"%s\" (step %u)\n", last_write,
                               s->text, pos);
                        /* Skip the step so one mistake is one failure. */
                        exp_off = 0;
                        pos++;
                        schedule(now_ms);
                        return (int)len;
                }
                if (++exp_off == step_len(s)) {
                        exp_off = 0;
                        pos++;
                        schedule(now_ms);
                }
        }
        return (int)len;
}

int hal_uart_read(enum hal_uart_port port, void *buf, size_t len, uint32_t timeout_ms)
{
        uint8_t *b = buf;
        size_t n = 0;
        if (port != us_port)
                return -ENODEV;
        if (rx_n == 0 || rx[rx_head].at > now_ms + timeout_ms) {
                now_ms += timeout_ms;
                return 0;
        }
        if (rx[rx_head].at > now_ms)
                now_ms = rx[rx_head].at;
        /* Everything that has arrived by now, in order. */
        while (n < len && rx_n && rx[rx_head].at <= now_ms) {
                const struct us_step *s = rx[rx_head].s;
                uint32_t l = step_len(s), k = l - rx[rx_head].off;
                if (k > len - n)
                        k = (uint32_t)(len - n);
                memcpy(b + n, s->text + rx[rx_head].off, k);
                n += k;
                rx[rx_head].off += k;
                if (rx[rx_head].off == l) {
                        rx_head = (rx_head + 1) % US_RX_MAX;
                        rx_n--;
                        schedule(rx_n ? rx[(rx_head + rx_n - 1) % US_RX_MAX].at : now_ms);
                }
        }
        return (int)n;
}
