/* The parts of the HAL the drivers' tests and harnesses do not exercise:
 * watchdog, NVM, ADC, console and exit, as inert stubs. */
#include "hal.h"

#include <errno.h>
#include <stdio.h>

void hal_wdt_start(uint32_t timeout_ms)
{
        (void)timeout_ms;
}

void hal_wdt_kick(void)
{
}

uint32_t hal_nvm_size(void)
{
        return 0;
}

int hal_nvm_read(uint32_t off, void *buf, uint32_t len)
{
        (void)off;
        (void)buf;
        (void)len;
        return -ENODEV;
}

int hal_nvm_write(uint32_t off, const void *buf, uint32_t len)
{
        (void)off;
        (void)buf;
        (void)len;
        return -ENODEV;
}

int hal_adc_read(enum hal_adc_ch ch, int32_t *value)
{
        (void)ch;
        (void)value;
        return -ENODEV;
}

void hal_console_write(const char *s)
{
        printf("%s", s);
}

void hal_exit(int code)
{
        (void)code;
}
