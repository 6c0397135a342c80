/* Parameters of the BG95-class modem driver (modem_bg95.c); each a
 * default a board can override with -D.  Timings from the Quectel BG95
 * hardware design and AT commands manual (maximum response times). */
#ifndef SONAE_MODEM_CONF_H
#define SONAE_MODEM_CONF_H

#ifndef MODEM_BAUD
#define MODEM_BAUD 115200
#endif
/* PWRKEY held low this long powers the module on (BG95: ≥ 500 ms). */
#ifndef MODEM_PWRKEY_MS
#define MODEM_PWRKEY_MS 600
#endif
/* From PWRKEY to "RDY" (BG95: about 2.5 s; margin for a cold cell). */
#ifndef MODEM_BOOT_MS
#define MODEM_BOOT_MS 10000
#endif
/* One "AT" probe waits this long for its "OK". */
#ifndef MODEM_PROBE_MS
#define MODEM_PROBE_MS 500
#endif
/* A plain command's answer. */
#ifndef MODEM_CMD_MS
#define MODEM_CMD_MS 5000
#endif
/* Registration is polled (AT+CEREG?) this often. */
#ifndef MODEM_REG_POLL_MS
#define MODEM_REG_POLL_MS 1000
#endif
/* The socket's data is polled (AT+QIRD) at least this often even
 * without a "recv" URC (a URC can be lost in a line error). */
#ifndef MODEM_RX_POLL_MS
#define MODEM_RX_POLL_MS 1000
#endif
/* AT+QISEND takes at most 1460 bytes at a time. */
#ifndef MODEM_SEND_MAX
#define MODEM_SEND_MAX 1460
#endif
/* Bytes asked of AT+QIRD at a time (BG95: up to 1500). */
#ifndef MODEM_READ_MAX
#define MODEM_READ_MAX 1500
#endif
/* Longest line kept from the module. */
#ifndef MODEM_LINE_MAX
#define MODEM_LINE_MAX 128
#endif

#endif
