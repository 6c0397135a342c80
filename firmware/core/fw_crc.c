#include "fw_crc.h"

uint32_t fw_crc32(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint32_t c = 0xFFFFFFFFu;
        size_t i;
        int k;
        for (i = 0; i < len; i++) {
                c ^= p[i];
                for (k = 0; k < 8; k++)
                        c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
        return c ^ 0xFFFFFFFFu;
}
