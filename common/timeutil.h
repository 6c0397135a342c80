/* Time for Sonae: UTC in the store, ISO-8601 with +09:00 at every API and
 * CSV, JST in most Japanese sources.  All wall-clock reads go through
 * time_now_ms() so tests have one seam to override. */
#ifndef SONAE_TIMEUTIL_H
#define SONAE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define JST_OFFSET_S (9 * 3600)

/* Wall clock in milliseconds since the Unix epoch (UTC). */
int64_t time_now_ms(void);
/* Monotonic clock in milliseconds, for deadlines and intervals. */
int64_t time_mono_ms(void);

/* The test seam: when fn is set, time_now_ms() returns fn().  NULL restores
 * the real clock.  Not thread-safe; set it before starting threads. */
typedef int64_t (*time_now_fn)(void);
void time_set_override(time_now_fn fn);

/* Parses ISO-8601 / RFC 3339 date-times: "2024-07-25T14:16:50+09:00",
 * "...Z", "...+0900", fractional seconds; a missing offset is an error unless
 * default_offset_s is not INT32_MIN, in which case it is used (JST sources
 * write local times).  Returns 0 and UTC seconds, or -EINVAL. */
int time_parse_iso8601(const char *s, int32_t default_offset_s, int64_t *utc_s);

/* Formats UTC seconds as ISO-8601 at the given offset: "2024-07-25T14:16:50+09:00"
 * (or "Z" for offset 0 when use_z).  buf needs 26 bytes; returns 0 or -ENOSPC. */
int time_format_iso8601(int64_t utc_s, int32_t offset_s, int use_z, char *buf, size_t len);
/* The API form: JST with +09:00. */
int time_format_jst(int64_t utc_s, char *buf, size_t len);

/* Days-from-civil without the C library's time zone state. */
int64_t time_from_civil(int year, int month, int day, int hour, int min, int sec);

/* HTTP dates (RFC 9110 IMF-fixdate), for If-Modified-Since: buf needs 30 bytes. */
int time_format_http(int64_t utc_s, char *buf, size_t len);
int time_parse_http(const char *s, int64_t *utc_s);

#endif
