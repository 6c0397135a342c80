/* What the host port's pieces share: the scenario, the story clock and the
 * files of the state folder. */
#ifndef SONAE_HOST_H
#define SONAE_HOST_H

#include <stdint.h>

#include "scenario.h"

extern struct scenario host_sc;
extern int32_t host_mount_mm;

/* Story seconds now: (real time since the story's start) × scale. */
int64_t host_story_s(void);
/* Opens (creating) the NVM file and the story's start in dir. */
int host_state_open(const char *dir);
/* The broker the modem connects to. */
void host_modem_target(const char *host, uint16_t port);
/* Set by SIGTERM/SIGINT: the main loop ends at its next wake-up. */
extern volatile int host_stop;

#endif
