/* The hardware abstraction the node's application and drivers are written
 * against.  Interfaces only: each port (ports/mps2-an385, ports/host, a
 * real board) implements them.  The core (firmware/core) never includes
 * this file.  Every call that waits takes a deadline in milliseconds and
 * returns -ETIMEDOUT when it passes; none blocks for ever. */
#ifndef SONAE_HAL_H
#define SONAE_HAL_H

#include <stddef.h>
#include <stdint.h>

/* ---- time and sleep ---- */
/* Monotonic milliseconds since reset; never goes back. */
uint64_t hal_time_ms(void);
/* Low-power sleep until hal_time_ms() >= deadline_ms (or an interrupt). */
void hal_sleep_until(uint64_t deadline_ms);

/* ---- watchdog ---- */
void hal_wdt_start(uint32_t timeout_ms);
void hal_wdt_kick(void);

/* ---- UART (sensor, modem, console) ---- */
enum hal_uart_port { HAL_UART_CONSOLE = 0, HAL_UART_SENSOR = 1, HAL_UART_MODEM = 2 };
int hal_uart_open(enum hal_uart_port port, uint32_t baud);
/* Writes all of buf or fails; returns len or a negative code. */
int hal_uart_write(enum hal_uart_port port, const void *buf, size_t len, uint32_t timeout_ms);
/* Reads what arrives up to len bytes; returns the count (0 at the
 * deadline) or a negative code. */
int hal_uart_read(enum hal_uart_port port, void *buf, size_t len, uint32_t timeout_ms);

/* ---- GPIO ---- */
enum hal_pin { HAL_PIN_SENSOR_PWR = 0, HAL_PIN_MODEM_PWR = 1, HAL_PIN_MODEM_KEY = 2 };
void hal_gpio_set(enum hal_pin pin, int on);
int hal_gpio_get(enum hal_pin pin);

/* ---- ADC ---- */
enum hal_adc_ch { HAL_ADC_BATTERY = 0, HAL_ADC_AIR_TEMP = 1 };
/* Battery in millivolts; air temperature (a shaded thermistor on the
 * bracket) in 0.01 °C. */
int hal_adc_read(enum hal_adc_ch ch, int32_t *value);

/* ---- NVM (FRAM-like, byte-addressable, survives power loss) ---- */
uint32_t hal_nvm_size(void);
int hal_nvm_read(uint32_t off, void *buf, uint32_t len);
int hal_nvm_write(uint32_t off, const void *buf, uint32_t len);

/* ---- console and end of run (semihosting on QEMU, UART on a board) ---- */
void hal_console_write(const char *s);
/* Ends the program with a code where that means something (QEMU, the
 * host port); a board resets. */
void hal_exit(int code);

#endif
