/* Parameters of the MaxBotix-style distance sensor driver (ranger.c).
 * Every one is a default a board can override with -D (the port's
 * meson.build) without touching shared code. */
#ifndef SONAE_RANGER_CONF_H
#define SONAE_RANGER_CONF_H

/* The HRXL-MaxSonar-WR (MB7389) serial output: 9600 baud, 8N1, RS232
 * levels inverted or TTL depending on the pin used. */
#ifndef RANGER_BAUD
#define RANGER_BAUD 9600
#endif
/* Digits after the 'R': 4 for the 5 m and 10 m HRXL models (millimetres). */
#ifndef RANGER_DIGITS
#define RANGER_DIGITS 4
#endif
/* After power-up the sensor prints a banner and needs about 160 ms before
 * its first range; ranges arrive about 6 times a second. */
#ifndef RANGER_BOOT_MS
#define RANGER_BOOT_MS 250
#endif
/* The first ranges after power-up are taken before the sensor's own
 * filter has settled: skip this many. */
#ifndef RANGER_SKIP
#define RANGER_SKIP 1
#endif
/* No complete range for this long: the line is dead or drowned; give up. */
#ifndef RANGER_SILENCE_MS
#define RANGER_SILENCE_MS 1000
#endif

#endif
