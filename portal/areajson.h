/* JSON of an area's status (docs/contracts.md: area_code, area_name, level,
 * exercise, kinds [{code, name, status, level, issued_at}], order {level,
 * name_ja, issued_at} | null, updated_at), of a notice and of an alert
 * row; shared by status, alerts and the OGC alerts collection. */
#ifndef SONAE_PORTAL_AREAJSON_H
#define SONAE_PORTAL_AREAJSON_H

struct json_writer;
struct store_area_status;
struct store_notice;
struct store_alert;

void area_status_json(struct json_writer *w, const struct store_area_status *a);
void notice_json(struct json_writer *w, const struct store_notice *n);
void alert_json(struct json_writer *w, const struct store_alert *a);
/* A level 1-5, or null. */
void json_level_or_null(struct json_writer *w, int level);

#endif
