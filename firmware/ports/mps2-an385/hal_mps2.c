/* The HAL on the MPS2 AN385 as QEMU models it: SysTick for time, WFI for
 * sleep, the CMSDK UART0 for the console port, the CMSDK watchdog, and
 * SSRAM3 standing in for the node's FRAM.  The board has no ADC and no
 * sensor or modem: sim.c stands in for those. */
#include "hal.h"
#include "semihost.h"

#include <errno.h>
#include <string.h>

#define SYST_CSR  (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR  (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR  (*(volatile uint32_t *)0xE000E018u)
#define SYSCLK_HZ 25000000u

#define UART0_DATA  (*(volatile uint32_t *)0x40004000u)
#define UART0_STATE (*(volatile uint32_t *)0x40004004u)
#define UART0_CTRL  (*(volatile uint32_t *)0x40004008u)
#define UART0_BAUD  (*(volatile uint32_t *)0x40004010u)

#define WDOG_LOAD   (*(volatile uint32_t *)0x40008000u)
#define WDOG_CTRL   (*(volatile uint32_t *)0x40008008u)
#define WDOG_INTCLR (*(volatile uint32_t *)0x4000800Cu)
#define WDOG_LOCK   (*(volatile uint32_t *)0x40008C00u)
#define WDOG_UNLOCK 0x1ACCE551u

#define FRAM_SIZE (64u * 1024u)

static volatile uint64_t ticks_ms;
static int tick_started;
static uint8_t fram[FRAM_SIZE] __attribute__((section(".fram")));
static uint32_t wdog_load;
static uint8_t pins;

void SysTick_Handler(void);
void SysTick_Handler(void)
{
        ticks_ms++;
}

static void tick_start(void)
{
        if (tick_started)
                return;
        SYST_RVR = SYSCLK_HZ / 1000u - 1u;
        SYST_CVR = 0;
        SYST_CSR = 7; /* processor clock, interrupt, enable */
        tick_started = 1;
}

uint64_t hal_time_ms(void)
{
        uint64_t a, b;
        tick_start();
        /* A 64-bit counter read on a 32-bit core: read until stable. */
        do {
                a = ticks_ms;
                b = ticks_ms;
        } while (a != b);
        return a;
}

void hal_sleep_until(uint64_t deadline_ms)
{
        tick_start();
        /* Each SysTick interrupt wakes the core: the loop ends by the
         * deadline. */
        while (hal_time_ms() < deadline_ms)
                __asm__ volatile("wfi");
}

void hal_wdt_start(uint32_t timeout_ms)
{
        wdog_load = timeout_ms * (SYSCLK_HZ / 1000u);
        WDOG_LOCK = WDOG_UNLOCK;
        WDOG_LOAD = wdog_load;
        WDOG_CTRL = 3; /* interrupt and reset enable: a second expiry resets */
        WDOG_LOCK = 0;
}

void hal_wdt_kick(void)
{
        WDOG_LOCK = WDOG_UNLOCK;
        WDOG_INTCLR = 1;
        WDOG_LOAD = wdog_load;
        WDOG_LOCK = 0;
}

int hal_uart_open(enum hal_uart_port port, uint32_t baud)
{
        if (port != HAL_UART_CONSOLE || baud == 0)
                return -ENODEV;
        UART0_BAUD = SYSCLK_HZ / baud;
        UART0_CTRL = 3; /* TX and RX enable */
        return 0;
}

int hal_uart_write(enum hal_uart_port port, const void *buf, size_t len, uint32_t timeout_ms)
{
        const uint8_t *p = buf;
        uint64_t deadline = hal_time_ms() + timeout_ms;
        size_t i;
        if (port != HAL_UART_CONSOLE)
                return -ENODEV;
        for (i = 0; i < len; i++) {
                while (UART0_STATE & 1u) { /* TX buffer full */
                        if (hal_time_ms() >= deadline)
                                return -ETIMEDOUT;
                }
                UART0_DATA = p[i];
        }
        return (int)len;
}

int hal_uart_read(enum hal_uart_port port, void *buf, size_t len, uint32_t timeout_ms)
{
        uint8_t *p = buf;
        uint64_t deadline = hal_time_ms() + timeout_ms;
        size_t n = 0;
        if (port != HAL_UART_CONSOLE)
                return -ENODEV;
        while (n < len) {
                if (UART0_STATE & 2u) { /* RX buffer full */
                        p[n++] = (uint8_t)UART0_DATA;
                        continue;
                }
                if (hal_time_ms() >= deadline)
                        break;
        }
        return (int)n;
}

void hal_gpio_set(enum hal_pin pin, int on)
{
        if (on)
                pins |= (uint8_t)(1u << pin);
        else
                pins &= (uint8_t) ~(1u << pin);
}

int hal_gpio_get(enum hal_pin pin)
{
        return (pins >> pin) & 1;
}

uint32_t hal_nvm_size(void)
{
        return FRAM_SIZE;
}

int hal_nvm_read(uint32_t off, void *buf, uint32_t len)
{
        if (off > FRAM_SIZE || len > FRAM_SIZE - off)
                return -EFAULT;
        memcpy(buf, fram + off, len);
        return 0;
}

int hal_nvm_write(uint32_t off, const void *buf, uint32_t len)
{
        if (off > FRAM_SIZE || len > FRAM_SIZE - off)
                return -EFAULT;
        memcpy(fram + off, buf, len);
        return 0;
}

void hal_console_write(const char *s)
{
        semihost_write(s, strlen(s));
}

void hal_exit(int code)
{
        semihost_exit(code);
}
