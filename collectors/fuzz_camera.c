/* libFuzzer harness for what the camera source reads from the network: any
 * bytes are either a picture that decodes in full into a thumbnail no wider
 * than asked, which itself decodes to the size announced, or are refused
 * with a reason; and the same bytes as a camera master either describe a
 * complete camera or are refused with a reason. */
#include "camera.h"
#include "camera_jpeg.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cam_jpeg_info ji;
        unsigned char *th = NULL;
        size_t th_len = 0;
        char why[200];
        int rc = cam_jpeg_thumbnail(data, size, 64, 4000000, &ji, &th, &th_len, why, sizeof(why));
        if (rc == 0) {
                if (!th || !th_len || ji.thumb_width < 1 || ji.thumb_width > 64 ||
                    ji.thumb_height < 1 || ji.width < ji.thumb_width)
                        abort();
                struct cam_jpeg_info ti;
                unsigned char *th2 = NULL;
                size_t th2_len = 0;
                if (cam_jpeg_thumbnail(th, th_len, 1024, 4000000, &ti, &th2, &th2_len, why,
                                       sizeof(why)) != 0 ||
                    ti.width != ji.thumb_width || ti.height != ji.thumb_height)
                        abort();
                free(th2);
        } else if (th || (rc != -ENOMEM && !why[0])) {
                abort();
        }
        free(th);

        struct camera_info ci;
        rc = camera_master_parse((const char *)data, size, &ci, why, sizeof(why));
        if (rc == 0 && (!ci.id[0] || !ci.name[0] || !ci.image_url[0] || !isfinite(ci.lat) ||
                        !isfinite(ci.lon)))
                abort();
        if (rc < 0 && !why[0])
                abort();
        return 0;
}
