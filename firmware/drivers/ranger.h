/* The distance sensor driver's interface (implemented by issue 10's
 * MaxBotix-style UART driver on hal_uart; the QEMU port simulates it). */
#ifndef SONAE_DRIVER_RANGER_H
#define SONAE_DRIVER_RANGER_H

#include <stdint.h>

/* Powers the sensor, reads up to n ranges in millimetres into mm (codes
 * such as "no target" included as the sensor sends them), powers it off.
 * Returns the count read (0..n) or a negative code; never waits past
 * timeout_ms. */
int ranger_burst(int32_t *mm, unsigned n, uint32_t timeout_ms);

#endif
