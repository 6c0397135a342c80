/* The node's reporting settings: defaults compiled in, changed only by a
 * downlink that passed every check (fw_downlink.h).  The energy model
 * (firmware/tools/energy.c) reads the same defaults. */
#ifndef SONAE_FW_SETTINGS_H
#define SONAE_FW_SETTINGS_H

#include <stdint.h>

/* Ranges from docs/contracts.md (MQTT, down).  start_level_m and
 * rise_m_per_h carry no range there; these keep a node from being told to
 * stay in flood mode for ever or never to enter it by accident of units. */
#define FW_MEASURE_S_MIN      60
#define FW_MEASURE_S_MAX      3600
#define FW_HEARTBEAT_S_MIN    3600
#define FW_HEARTBEAT_S_MAX    172800
#define FW_FLOOD_S_MIN        60
#define FW_FLOOD_S_MAX        3600
#define FW_START_LEVEL_MM_MIN (-20000)
#define FW_START_LEVEL_MM_MAX 50000
#define FW_RISE_MM_H_MIN      10
#define FW_RISE_MM_H_MAX      10000

struct fw_settings {
        uint32_t measure_s;     /* measure every measure_s, in every mode */
        uint32_t heartbeat_s;   /* normal mode: one batched transmission per heartbeat */
        uint32_t flood_s;       /* flood mode: transmit every flood_s */
        int32_t start_level_mm; /* 観測開始: flood mode at or above this level */
        int32_t rise_mm_per_h;  /* flood mode on a faster rise */
        int32_t mount_mm;       /* sensor face above the level datum (provisioning, not downlink) */
        uint32_t flood_min_s;   /* least time in flood mode (provisioning, not downlink) */
};

/* The compiled-in defaults: a 10-minute measurement, a daily heartbeat,
 * 10-minute reports in flood mode. */
void fw_settings_default(struct fw_settings *s);
/* 0 when every field a downlink can set is inside its range.  The
 * provisioning may set shorter intervals (demonstrations and tests run a
 * story of hours in minutes); a downlink is then checked key by key. */
int fw_settings_check(const struct fw_settings *s);

#endif
