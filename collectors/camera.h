/* The camera source's pure parts, for tests: the 川の防災情報 camera master,
 * the state rule and the retention cut.  The source itself is
 * collectors/sources/camera.c; JPEG checks are in camera_jpeg.h. */
#ifndef SONAE_CAMERA_H
#define SONAE_CAMERA_H

#include <stddef.h>
#include <stdint.h>

/* One camera, from a master document or from the config. */
struct camera_info {
        char id[64];          /* sysCamId: the station's external id */
        char name[256];       /* name (the observatory's name) */
        char river[256];      /* rvrNm; "" when none */
        double lat, lon;      /* NAN when absent */
        char image_url[1024]; /* currProvUrl (then currentUrl, normProvUrl) */
        char gauge_id[64];    /* obsFcd: the linked gauge; "" when none */
};

/* Reads a 川の防災情報 camera master (obs/scam/{id}.json, {"obsInfo":{...}}).
 * Returns 0, or -EBADMSG when the document is not such a master or lacks
 * an id, a name, a point or a still URL (why says which). */
int camera_master_parse(const char *body, size_t len, struct camera_info *out, char *why,
                        size_t why_len);

/* The state of a camera at now: "unknown" before any image; "frozen" when
 * the camera has answered with the same picture for frozen_after seconds
 * (last_answer_at - last_change_at; 0: never frozen) and still answers
 * (last_answer_at within stale_after);
 * "stale" when no new picture came for stale_after seconds; else "ok".
 * last_change_at is when the newest distinct picture was taken in,
 * last_answer_at when the camera last answered with a valid picture, new
 * or the same (a 304 counts). */
const char *camera_state_decide(int64_t now, int64_t last_change_at, int64_t last_answer_at,
                                int64_t stale_after, int64_t frozen_after);

/* History newest first: captured_at[i] and size[i] (bytes on disk).  Returns
 * the index of the first picture to remove: every picture from there on is
 * older than max_age at now, or lies beyond max_bytes counted from the
 * newest.  The newest picture (index 0) is never removed; n when nothing is. */
size_t camera_retention_cut(const int64_t *captured_at, const int64_t *size, size_t n, int64_t now,
                            int64_t max_age, int64_t max_bytes);

#endif
