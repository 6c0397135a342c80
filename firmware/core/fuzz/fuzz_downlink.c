/* libFuzzer harness for the downlink settings parser.  Whatever arrives,
 * the node must end up with settings inside their ranges: either the
 * message's (all checked) or exactly the old ones. */
#include "fw_downlink.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fw_settings cur;
        struct fw_downlink d;
        int r;
        fw_settings_default(&cur);
        r = fw_downlink_parse((const char *)data, size, &cur, &d);
        if (fw_settings_check(&d.settings) != 0)
                abort();
        if (r < 0) {
                if (memcmp(&d.settings, &cur, sizeof(cur)) != 0 || !d.why || d.has)
                        abort();
                return 0;
        }
        if ((d.has & FW_DOWN_RESEND) && (!d.resend_id[0] || d.resend_from > d.resend_to ||
                                         d.resend_to - d.resend_from >= FW_RESEND_SPAN))
                abort();
        if (strlen(d.resend_id) > FW_RESEND_ID_MAX)
                abort();
        return 0;
}
