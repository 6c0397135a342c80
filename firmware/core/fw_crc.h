/* CRC-32 (IEEE 802.3, reflected, as zlib computes it), bitwise: no table,
 * so no 1 KB of flash for the few hundred bytes the node checks. */
#ifndef SONAE_FW_CRC_H
#define SONAE_FW_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t fw_crc32(const void *data, size_t len);

#endif
