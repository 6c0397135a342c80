#include "fw_settings.h"

#include <errno.h>

void fw_settings_default(struct fw_settings *s)
{
        s->measure_s = 600;
        s->heartbeat_s = 86400;
        s->flood_s = 600;
        s->start_level_mm = 1000;
        s->rise_mm_per_h = 300;
        s->mount_mm = 5000;
        s->flood_min_s = 3600;
}

int fw_settings_check(const struct fw_settings *s)
{
        if (s->measure_s < FW_MEASURE_S_MIN || s->measure_s > FW_MEASURE_S_MAX)
                return -ERANGE;
        if (s->heartbeat_s < FW_HEARTBEAT_S_MIN || s->heartbeat_s > FW_HEARTBEAT_S_MAX)
                return -ERANGE;
        if (s->flood_s < FW_FLOOD_S_MIN || s->flood_s > FW_FLOOD_S_MAX)
                return -ERANGE;
        if (s->start_level_mm < FW_START_LEVEL_MM_MIN || s->start_level_mm > FW_START_LEVEL_MM_MAX)
                return -ERANGE;
        if (s->rise_mm_per_h < FW_RISE_MM_H_MIN || s->rise_mm_per_h > FW_RISE_MM_H_MAX)
                return -ERANGE;
        return 0;
}
