/* The node's console (HAL_UART_CONSOLE): provisioning by "prov key=value"
 * lines ended by "prov end" (prov.h), answered "ok" or "error ..." line by
 * line.  Used by every port at boot; on the bridge the installer's laptop
 * sends the lines of the provisioning file. */
#ifndef SONAE_NODE_CONSOLE_H
#define SONAE_NODE_CONSOLE_H

#include <stdint.h>

#include "prov.h"

/* Listens on the console for window_ms (each line received extends it by
 * window_ms, up to 64 lines).  Fills p (caller's) and returns 1 when a
 * complete "prov ... prov end" arrived and passed node_prov_check; 0 when
 * nothing did; a negative code when it was refused (p is then unusable). */
int node_console_prov(struct node_prov *p, uint32_t window_ms);

#endif
