/* A scripted UART peer for the drivers' tests: the HAL (hal.h) on a
 * virtual clock, with one UART whose other end follows a transcript.
 *
 * A transcript is a list of steps.  US_SAY(delay, text): the peer sends
 * text delay ms after the previous step (bytes become readable then);
 * US_EXPECT(text): the driver must write exactly text before the steps
 * after it happen (a different write is a failure, reported with both).
 * Reads that find nothing advance the virtual clock to their deadline, so
 * silence costs no real time and every deadline is checked exactly.
 *
 * Plain C99 with printf only, so the same tests run on the host and on the
 * Cortex-M3 under QEMU. */
#ifndef SONAE_UART_SCRIPT_H
#define SONAE_UART_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"

enum us_kind { US_K_SAY = 1, US_K_EXPECT = 2, US_K_END = 0 };

struct us_step {
        enum us_kind kind;
        uint32_t delay_ms;
        const char *text;
        uint32_t len; /* 0: strlen(text) */
};

#define US_SAY(d, t)                                                                               \
        {                                                                                          \
                US_K_SAY, (d), (t), 0                                                              \
        }
#define US_SAYN(d, t, n)                                                                           \
        {                                                                                          \
                US_K_SAY, (d), (t), (n)                                                            \
        }
#define US_EXPECT(t)                                                                               \
        {                                                                                          \
                US_K_EXPECT, 0, (t), 0                                                             \
        }
#define US_EXPECTN(t, n)                                                                           \
        {                                                                                          \
                US_K_EXPECT, 0, (t), (n)                                                           \
        }
#define US_END                                                                                     \
        {                                                                                          \
                US_K_END, 0, 0, 0                                                                  \
        }

/* Starts a transcript on port (borrowed: it must outlive the run). */
void us_start(enum hal_uart_port port, const struct us_step *steps);
/* Makes hal_uart_open fail with code (0: succeeds). */
void us_open_fails(int code);
/* Mismatched writes so far (each printed when it happens). */
unsigned us_errors(void);
/* 1 when every step happened (all said bytes read, all writes seen). */
int us_finished(void);
/* The pin's state, and how many times it went from off to on. */
int us_pin(enum hal_pin pin);
unsigned us_pin_rises(enum hal_pin pin);
/* How long (virtual ms) the pin was last held on; 0 if never. */
uint64_t us_pin_last_pulse_ms(enum hal_pin pin);
/* Sets the virtual clock forward (never back). */
void us_advance(uint64_t ms);
/* Bytes the driver wrote outside any expected step (a mismatch). */
const char *us_last_write(void);

#endif
