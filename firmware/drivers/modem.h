/* The cellular modem driver's interface: a byte-stream transport to the
 * broker plus what the network tells the node (implemented by issue 10's
 * BG95-class AT driver; the QEMU port has no network and says so). */
#ifndef SONAE_DRIVER_MODEM_H
#define SONAE_DRIVER_MODEM_H

#include <stddef.h>
#include <stdint.h>

/* Wakes the modem (from PSM or off), attaches and opens a TCP (tls = 0) or
 * TLS connection.  0 or a negative code (-ENETDOWN, -ETIMEDOUT, ...). */
int modem_open(const char *host, uint16_t port, int tls, uint32_t timeout_ms);
/* Sends all of buf; len or a negative code. */
int modem_send(const void *buf, size_t len, uint32_t timeout_ms);
/* Receives up to len bytes; the count (0 at the deadline) or a negative
 * code (-ECONNRESET when the peer closed). */
int modem_recv(void *buf, size_t len, uint32_t timeout_ms);
void modem_close(void);
/* Network time after attach (UTC seconds) and signal (dBm). */
int modem_time(int64_t *utc);
int modem_rssi(int *dbm);
/* Into power-saving mode until the next session. */
void modem_sleep(void);

#endif
