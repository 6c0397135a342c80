/* One invalid row per constraint of the schema is refused.  For each table
 * a valid row is inserted (it must be accepted), then the same row with one
 * column replaced by a value that breaks one rule (NOT NULL, CHECK, foreign
 * key, geometry type); each must fail as a constraint violation.  Unique
 * keys: the valid row twice.  Every attempt runs in a savepoint that is
 * rolled back, so the attempts do not depend on each other.
 *
 * The same tables run against PostGIS's translation of the schema
 * (geo-store-constraints-postgis): the SQL is rewritten for PostgreSQL
 * (pg_sql below), and a refusal is a constraint violation (SQLSTATE class
 * 23) or, where PostgreSQL's types refuse the value before any check
 * does (text in a number, a line in a point column, another SRID, bad
 * JSON), a data exception (class 22). */
#include "check.h"
#include <ctype.h>
#include "storetest.h"

struct col {
        const char *name, *good; /* an SQL expression */
};
struct bad {
        const char *col, *value, *why;
};
struct table {
        const char *name;
        const struct col *cols;
        const struct bad *bads;
        bool unique; /* inserting the good row twice must fail */
};

#define END                                                                                        \
        {                                                                                          \
                NULL, NULL                                                                         \
        }
#define BEND                                                                                       \
        {                                                                                          \
                NULL, NULL, NULL                                                                   \
        }
#define POLY                                                                                       \
        "ST_Multi(GeomFromText('POLYGON((139.7 38.6, 139.9 38.6, 139.9 38.8, 139.7 38.6))', "      \
        "6668))"
#define PT "MakePoint(139.8, 38.7, 6668)"

static const struct col c_stations[] = {{"kind", "'gauge'"},
                                        {"source", "'t'"},
                                        {"external_id", "'x2'"},
                                        {"name", "'n'"},
                                        {"river", "'赤川'"},
                                        {"area_code", "'0620300'"},
                                        {"quantity", "'water_level_m'"},
                                        {"thr_caution", "2.0"},
                                        {"thr_danger", "4.0"},
                                        {"thr_flood", "5.0"},
                                        {"expected_interval_s", "600"},
                                        {"lon", "139.8"},
                                        {"lat", "38.7"},
                                        {"created_at", "1"},
                                        {"updated_at", "1"},
                                        {"geom", PT},
                                        END};
static const struct bad b_stations[] = {
    {"kind", "'satellite'", "kind outside gauge|sensor|camera|rain"},
    {"kind", "NULL", "kind missing"},
    {"source", "''", "empty source"},
    {"external_id", "''", "empty external id"},
    {"name", "''", "empty name"},
    {"area_code", "'06203'", "area code not 7 digits"},
    {"area_code", "'06203OO'", "area code with letters"},
    {"quantity", "'cubits'", "unknown quantity"},
    {"quantity", "'precip_24h_mm'", "a running sum as the main quantity"},
    {"thr_caution", "4.5", "caution above danger"},
    {"thr_flood", "3.0", "danger above flood"},
    {"expected_interval_s", "5", "interval under 10 s"},
    {"expected_interval_s", "700000", "interval over 7 days"},
    {"lon", "181", "longitude out of range"},
    {"lat", "-91", "latitude out of range"},
    {"geom", "NULL", "no point"},
    {"geom", "GeomFromText('LINESTRING(1 2, 3 4)', 6668)", "a line is not a point"},
    {"geom", "MakePoint(139.8, 38.7, 4326)", "wrong SRID"},
    BEND};

/* A quantity of schema 0006, which rebuilt observations and station_latest. */
static const struct col c_obs[] = {{"station_id", "1"},
                                   {"quantity", "'precip_3h_mm'"},
                                   {"observed_at", "1700000000"},
                                   {"value", "1.5"},
                                   {"quality", "0"},
                                   END};
static const struct bad b_obs[] = {{"station_id", "999", "unknown station"},
                                   {"quantity", "'furlongs'", "unknown quantity"},
                                   {"quantity", "'precip_6h_mm'", "a sum outside the contract"},
                                   {"observed_at", "0", "time not positive"},
                                   {"value", "'high'", "value not a number"},
                                   {"value", "NULL", "value missing"},
                                   {"value", "1e12", "value out of range"},
                                   {"quality", "-1", "negative quality flags"},
                                   {"quality", "70000", "quality over 16 bits"},
                                   BEND};

static const struct col c_status[] = {
    {"station_id", "1"}, {"level", "3"}, {"state", "'ok'"}, {"changed_at", "1"}, END};
static const struct bad b_status[] = {{"station_id", "999", "unknown station"},
                                      {"level", "0", "level 0"},
                                      {"level", "6", "level 6"},
                                      {"state", "'safe'", "state outside the contract"},
                                      {"changed_at", "NULL", "changed_at missing"},
                                      BEND};

static const struct col c_latest[] = {{"station_id", "1"},
                                      {"quantity", "'precip_24h_mm'"},
                                      {"observed_at", "1"},
                                      {"value", "3.7"},
                                      END};
static const struct bad b_latest[] = {{"station_id", "999", "unknown station"},
                                      {"quantity", "'x'", "unknown quantity"},
                                      {"value", "NULL", "value missing"},
                                      BEND};

static const struct col c_events[] = {{"at", "1"},
                                      {"type", "'station.level'"},
                                      {"subject", "'stations/1'"},
                                      {"level", "2"},
                                      {"public", "1"},
                                      {"exercise", "0"},
                                      {"data", "'{}'"},
                                      END};
static const struct bad b_events[] = {{"type", "'weather.nice'", "type outside the contract"},
                                      {"subject", "''", "empty subject"},
                                      {"level", "9", "level 9"},
                                      {"public", "2", "public not boolean"},
                                      {"exercise", "-1", "exercise not boolean"},
                                      {"data", "'{nope'", "data not JSON"},
                                      {"at", "NULL", "time missing"},
                                      BEND};

static const struct col c_source[] = {
    {"name", "'kriver'"}, {"state", "'ok'"}, {"updated_at", "1"}, END};
static const struct bad b_source[] = {
    {"state", "'sleepy'", "unknown health state"}, {"name", "''", "empty name"}, BEND};

static const struct col c_areas[] = {{"code", "'0620311'"},    {"name", "'鶴岡市北部'"},
                                     {"kind", "'city_split'"}, {"lg_code", "'062031'"},
                                     {"town_code", "'06203'"}, {"updated_at", "1"},
                                     {"geom", POLY},           END};
static const struct bad b_areas[] = {{"code", "'062031'", "code not 7 digits"},
                                     {"code", "'06203AB'", "code with letters"},
                                     {"kind", "'village'", "unknown area kind"},
                                     {"lg_code", "'62031'", "local government code not 6 digits"},
                                     {"town_code", "'6203'", "townCode not 5 digits"},
                                     {"geom", PT, "a point is not an area"},
                                     BEND};

static const struct col c_districts[] = {{"code", "'d2'"},     {"name", "'中央'"},
                                         {"kind", "'school'"}, {"area_code", "'0620300'"},
                                         {"updated_at", "1"},  END};
static const struct bad b_districts[] = {{"kind", "'ward'", "unknown district kind"},
                                         {"area_code", "'0699999'", "unknown area"},
                                         {"code", "''", "empty code"},
                                         BEND};

#define SHA "'8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4'"
static const struct col c_raw[] = {{"source", "'jma'"},
                                   {"url", "'https://x/y.xml'"},
                                   {"sha256", SHA},
                                   {"body", "x'00'"},
                                   {"bytes", "1"},
                                   {"fetched_at", "1"},
                                   END};
static const struct bad b_raw[] = {{"sha256", "'abc'", "hash not 64 hex digits"},
                                   {"sha256", "upper(" SHA ")", "hash in capitals"},
                                   {"url", "''", "empty URL"},
                                   {"bytes", "-1", "negative size"},
                                   {"body", "NULL", "body missing"},
                                   BEND};

static const struct col c_alerts[] = {{"document_id", "1"},
                                      {"office", "'山形地方気象台'"},
                                      {"title", "'警報'"},
                                      {"info_type", "'発表'"},
                                      {"report_status", "'通常'"},
                                      {"exercise", "0"},
                                      {"serial", "1"},
                                      {"report_at", "1"},
                                      {"area_code", "'0620300'"},
                                      {"area_name", "'鶴岡市'"},
                                      {"kind_code", "'03'"},
                                      {"kind_name", "'大雨警報'"},
                                      {"status", "'発表'"},
                                      {"level", "3"},
                                      {"valid_from", "10"},
                                      {"valid_to", "20"},
                                      END};
static const struct bad b_alerts[] = {{"info_type", "'速報'", "info type outside 発表/訂正/取消"},
                                      {"report_status", "'本番'", "status outside 通常/訓練/試験"},
                                      {"exercise", "1", "exercise flag without 訓練"},
                                      {"serial", "-1", "negative serial"},
                                      {"area_code", "'06203'", "area code not 7 digits"},
                                      {"kind_code", "''", "empty kind code"},
                                      {"level", "6", "level 6"},
                                      {"valid_to", "5", "validity ends before it starts"},
                                      {"document_id", "999", "unknown document"},
                                      BEND};

static const struct col c_devices[] = {{"device", "'node-2'"},
                                       {"station_id", "1"},
                                       {"enabled", "1"},
                                       {"health", "'online'"},
                                       {"created_at", "1"},
                                       {"updated_at", "1"},
                                       END};
static const struct bad b_devices[] = {
    {"device", "'a/b'", "id with a topic separator"}, {"device", "'a+#'", "id with MQTT wildcards"},
    {"health", "'sick'", "unknown health"},           {"enabled", "2", "enabled not boolean"},
    {"station_id", "999", "unknown station"},         BEND};

static const struct col c_cal[] = {
    {"device_id", "1"}, {"valid_from", "5"}, {"mount_height_m", "5.2"}, {"created_at", "1"}, END};
static const struct bad b_cal[] = {{"mount_height_m", "5000", "mount height out of range"},
                                   {"device_id", "999", "unknown device"},
                                   {"mount_height_m", "NULL", "mount height missing"},
                                   BEND};

static const struct col c_readings[] = {
    {"device_id", "1"},   {"epoch", "1"},    {"seq", "7"},     {"measured_at", "1"},
    {"received_at", "1"}, {"dist_m", "4.1"}, {"quality", "0"}, END};
static const struct bad b_readings[] = {{"epoch", "-1", "negative epoch"},
                                        {"seq", "-1", "negative seq"},
                                        {"measured_at", "0", "time not positive"},
                                        {"device_id", "999", "unknown device"},
                                        {"quality", "65536", "quality over 16 bits"},
                                        BEND};

static const struct col c_gaps[] = {{"device_id", "1"}, {"epoch", "1"},     {"from_seq", "3"},
                                    {"to_seq", "9"},    {"opened_at", "1"}, END};
static const struct bad b_gaps[] = {
    {"to_seq", "2", "gap ends before it starts"}, {"from_seq", "-3", "negative seq"}, BEND};

static const struct col c_cam[] = {{"station_id", "2"},
                                   {"captured_at", "100"},
                                   {"fetched_at", "101"},
                                   {"path", "'cameras/2/a.jpg'"},
                                   {"bytes", "10"},
                                   {"width", "640"},
                                   {"height", "480"},
                                   {"sha256", SHA},
                                   END};
static const struct bad b_cam[] = {{"path", "'/etc/passwd'", "absolute path"},
                                   {"path", "'cameras/../../x'", "path leaving the data folder"},
                                   {"thumb_path", "'/tmp/t.jpg'", "absolute thumbnail path"},
                                   {"bytes", "0", "empty image"},
                                   {"width", "0", "zero width"},
                                   {"sha256", "'xyz'", "hash not hex"},
                                   BEND};

static const struct col c_camstate[] = {
    {"station_id", "2"}, {"state", "'frozen'"}, {"since", "1"}, END};
static const struct bad b_camstate[] = {{"state", "'melted'", "unknown camera state"}, BEND};

static const struct col c_shelters[] = {
    {"common_id", "'S2'"}, {"kind", "'emergency'"}, {"name", "'小学校'"}, {"lon", "139.8"},
    {"lat", "38.7"},       {"flood", "1"},          {"capacity", "100"},  {"is_open", "0"},
    {"occupancy", "0"},    {"updated_at", "1"},     {"geom", PT},         END};
static const struct bad b_shelters[] = {{"kind", "'hotel'", "unknown shelter kind"},
                                        {"flood", "2", "hazard flag not boolean"},
                                        {"capacity", "-1", "negative capacity"},
                                        {"occupancy", "-5", "negative occupancy"},
                                        {"is_open", "3", "open not boolean"},
                                        {"lat", "100", "latitude out of range"},
                                        {"linked_id", "999", "unknown linked shelter"},
                                        {"geom", POLY, "an area is not a point"},
                                        BEND};

static const struct col c_layers[] = {{"name", "'A31'"},
                                      {"version", "'2024'"},
                                      {"hazard", "'flood'"},
                                      {"title", "'洪水'"},
                                      {"attribution", "'国土数値情報'"},
                                      {"active", "0"},
                                      {"imported_at", "1"},
                                      END};
static const struct bad b_layers[] = {{"hazard", "'meteor'", "unknown hazard"},
                                      {"active", "2", "active not boolean"},
                                      {"version", "''", "empty version"},
                                      BEND};

static const struct col c_features[] = {
    {"layer_id", "1"}, {"class", "'2'"}, {"label_ja", "'0.5m以上'"},
    {"rank", "2"},     {"geom", POLY},   END};
static const struct bad b_features[] = {{"layer_id", "999", "unknown layer"},
                                        {"class", "''", "empty class"},
                                        {"geom", PT, "a point is not an area"},
                                        {"geom", "NULL", "no geometry"},
                                        BEND};

static const struct col c_users[] = {{"name", "'sato2'"},
                                     {"role", "'editor'"},
                                     {"password_hash", "'$argon2id$x'"},
                                     {"disabled", "0"},
                                     {"created_at", "1"},
                                     {"updated_at", "1"},
                                     END};
static const struct bad b_users[] = {{"role", "'root'", "unknown role"},
                                     {"name", "'a b'", "login with a space"},
                                     {"password_hash", "''", "empty hash"},
                                     {"disabled", "5", "disabled not boolean"},
                                     BEND};

static const struct col c_audit[] = {{"at", "1"},       {"actor", "'cli'"},     {"action", "'x'"},
                                     {"object", "'y'"}, {"after_json", "'{}'"}, END};
static const struct bad b_audit[] = {{"before_json", "'{x'", "before not JSON"},
                                     {"user_id", "999", "unknown user"},
                                     {"actor", "''", "empty actor"},
                                     BEND};

static const struct col c_reports[] = {
    {"created_at", "1"},    {"updated_at", "1"}, {"lon", "139.8"}, {"lat", "38.7"},
    {"category", "'冠水'"}, {"severity", "2"},   {"text", "'x'"},  {"status", "'new'"},
    {"public", "0"},        {"exercise", "0"},   {"geom", PT},     END};
static const struct bad b_reports[] = {
    {"severity", "4", "severity over 3"},  {"status", "'lost'", "unknown status"},
    {"public", "7", "public not boolean"}, {"category", "''", "empty category"},
    {"user_id", "999", "unknown user"},    BEND};

static const struct col c_photos[] = {
    {"report_id", "1"}, {"path", "'reports/1/a.jpg'"}, {"content_type", "'image/jpeg'"},
    {"bytes", "10"},    {"created_at", "1"},           END};
static const struct bad b_photos[] = {{"content_type", "'image/gif'", "not JPEG or PNG"},
                                      {"path", "'../a.jpg'", "path leaving the data folder"},
                                      {"report_id", "999", "unknown report"},
                                      BEND};

static const struct col c_orders[] = {
    {"level", "4"},      {"hazard", "'flood'"}, {"area_code", "'0620300'"},
    {"issued_at", "10"}, {"exercise", "0"},     END};
static const struct bad b_orders[] = {{"level", "2", "level under 3"},
                                      {"level", "6", "level over 5"},
                                      {"hazard", "'meteor'", "unknown hazard"},
                                      {"area_code", "NULL", "neither area nor district"},
                                      {"lifted_at", "5", "lifted before issued"},
                                      {"district_id", "999", "unknown district"},
                                      BEND};

static const struct col c_notices[] = {{"category", "'info'"},
                                       {"area_code", "'0620300'"},
                                       {"title_ja", "'お知らせ'"},
                                       {"text_ja", "'本文'"},
                                       {"valid_from", "10"},
                                       {"valid_to", "20"},
                                       {"public", "1"},
                                       {"exercise", "0"},
                                       {"created_at", "1"},
                                       END};
static const struct bad b_notices[] = {{"category", "'gossip'", "unknown category"},
                                       {"valid_to", "10", "ends when it starts"},
                                       {"title_ja", "''", "empty title"},
                                       {"public", "2", "public not boolean"},
                                       BEND};

static const struct col c_watch[] = {
    {"name", "'アンダーパス'"}, {"checklist", "'[]'"}, {"created_at", "1"},
    {"updated_at", "1"},        {"geom", PT},          END};
static const struct bad b_watch[] = {{"checklist", "'{}'", "checklist not an array"},
                                     {"name", "''", "empty name"},
                                     {"geom", "NULL", "no geometry"},
                                     BEND};

static const struct col c_timelines[] = {{"token_hash", "zeroblob(32)"},
                                         {"levels_mask", "8"},
                                         {"nonce", "zeroblob(24)"},
                                         {"ciphertext", "zeroblob(40)"},
                                         {"created_at", "1"},
                                         {"updated_at", "1"},
                                         END};
static const struct bad b_timelines[] = {{"token_hash", "zeroblob(16)", "hash not 32 bytes"},
                                         {"token_hash", "'a token'", "hash as text"},
                                         {"levels_mask", "64", "levels beyond 5"},
                                         {"levels_mask", "1", "a level 0 bit"},
                                         {"ciphertext", "'plain text'", "plaintext"},
                                         {"nonce", "zeroblob(4)", "short nonce"},
                                         BEND};

static const struct col c_rules[] = {{"channel", "'mail'"}, {"target", "'a@example.jp'"},
                                     {"min_level", "3"},    {"event_types", "'[]'"},
                                     {"staff", "1"},        {"enabled", "1"},
                                     {"created_at", "1"},   END};
static const struct bad b_rules[] = {{"min_level", "0", "level 0"},
                                     {"event_types", "'order.issued'", "types not a JSON array"},
                                     {"target", "''", "empty target"},
                                     BEND};

static const struct col c_queue[] = {{"rule_id", "1"},       {"event_id", "1"},
                                     {"state", "'pending'"}, {"next_try_at", "1"},
                                     {"created_at", "1"},    END};
static const struct bad b_queue[] = {{"state", "'lost'", "unknown queue state"},
                                     {"event_id", "99999", "unknown event"},
                                     {"attempts", "-1", "negative attempts"},
                                     BEND};

static const struct table tables[] = {
    {"stations", c_stations, b_stations, false},
    {"observations", c_obs, b_obs, true},
    {"station_status", c_status, b_status, true},
    {"station_latest", c_latest, b_latest, true},
    {"events", c_events, b_events, false},
    {"source_status", c_source, b_source, true},
    {"areas", c_areas, b_areas, true},
    {"districts", c_districts, b_districts, true},
    {"raw_documents", c_raw, b_raw, true},
    {"alerts", c_alerts, b_alerts, true},
    {"devices", c_devices, b_devices, true},
    {"device_calibrations", c_cal, b_cal, true},
    {"readings", c_readings, b_readings, true},
    {"reading_gaps", c_gaps, b_gaps, true},
    {"camera_images", c_cam, b_cam, true},
    {"camera_status", c_camstate, b_camstate, true},
    {"shelters", c_shelters, b_shelters, true},
    {"hazard_layers", c_layers, b_layers, true},
    {"hazard_features", c_features, b_features, false},
    {"users", c_users, b_users, true},
    {"audit_log", c_audit, b_audit, false},
    {"reports", c_reports, b_reports, false},
    {"report_photos", c_photos, b_photos, false},
    {"orders", c_orders, b_orders, false},
    {"notices", c_notices, b_notices, false},
    {"watch_points", c_watch, b_watch, false},
    {"timelines", c_timelines, b_timelines, true},
    {"notify_rules", c_rules, b_rules, false},
    {"notify_queue", c_queue, b_queue, true},
};

/* The parents the rows above refer to. */
static const char *const parents =
    "INSERT INTO stations (id, kind, source, external_id, name, expected_interval_s, lon, lat, "
    "created_at, updated_at, geom) VALUES (1, 'gauge', 't', 'x1', 'n', 600, 139.8, 38.7, 1, 1, "
    "MakePoint(139.8, 38.7, 6668)), (2, 'camera', 't', 'c1', 'c', 600, 139.8, 38.7, 1, 1, "
    "MakePoint(139.8, 38.7, 6668));"
    "INSERT INTO areas (code, name, updated_at) VALUES ('0620300', '鶴岡市', 1);"
    "INSERT INTO raw_documents (id, source, url, sha256, body, bytes, fetched_at) VALUES (1, "
    "'jma', 'u', " SHA ", x'00', 1, 1);"
    "INSERT INTO devices (id, device, enabled, created_at, updated_at) VALUES (1, 'node-1', 1, "
    "1, 1);"
    "INSERT INTO hazard_layers (id, name, version, hazard, title, attribution, imported_at) "
    "VALUES (1, 'L', 'v', 'flood', 't', 'a', 1);"
    "INSERT INTO reports (id, created_at, updated_at, lon, lat, category, severity, text, geom) "
    "VALUES (1, 1, 1, 139.8, 38.7, 'c', 1, 't', MakePoint(139.8, 38.7, 6668));"
    "INSERT INTO events (id, at, type, subject, public) VALUES (1, 1, 'source.health', 's', 0);"
    "INSERT INTO notify_rules (id, channel, target, created_at) VALUES (1, 'mail', 't', 1);";

/* INSERT of the table's good row with column `col` set to `value` (or
 * added when the good row lacks it); NULL col: the good row. */
static void build(const struct table *t, const char *col, const char *value, char *sql, size_t len)
{
        char names[2048] = "", values[4096] = "";
        size_t n = 0, v = 0;
        bool seen = false;
        for (const struct col *c = t->cols; c->name; c++) {
                const char *val = c->good;
                if (col && strcmp(col, c->name) == 0) {
                        val = value;
                        seen = true;
                }
                n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", c->name);
                v += (size_t)snprintf(values + v, sizeof(values) - v, "%s%s", v ? ", " : "", val);
        }
        if (col && !seen) {
                snprintf(names + n, sizeof(names) - n, ", %s", col);
                snprintf(values + v, sizeof(values) - v, ", %s", value);
        }
        snprintf(sql, len, "INSERT INTO %s (%s) VALUES (%s)", t->name, names, values);
}

/* The connection the checks run on: SQLite, or PostgreSQL. */
static sqlite3 *db;
static PGconn *pg;

/* SpatiaLite's SQL of the tables above for PostgreSQL: MakePoint(x, y, s)
 * becomes ST_SetSRID(ST_MakePoint(x, y), s), GeomFromText ST_GeomFromText,
 * zeroblob(n) n zero bytes, x'HEX' a bytea literal. */
static void pg_sql(const char *in, char *out, size_t len)
{
        size_t o = 0;
        const char *start = in;
        while (*in && o + 64 < len) {
                if (strncmp(in, "MakePoint(", 10) == 0) {
                        const char *a = in + 10, *close = strchr(a, ')');
                        const char *comma = close ? memrchr(a, ',', (size_t)(close - a)) : NULL;
                        if (close && comma) {
                                o += (size_t)snprintf(
                                    out + o, len - o, "ST_SetSRID(ST_MakePoint(%.*s), %.*s)",
                                    (int)(comma - a), a, (int)(close - comma - 1), comma + 1);
                                in = close + 1;
                                continue;
                        }
                }
                if (strncmp(in, "GeomFromText(", 13) == 0) {
                        o += (size_t)snprintf(out + o, len - o, "ST_GeomFromText(");
                        in += 13;
                        continue;
                }
                if (strncmp(in, "zeroblob(", 9) == 0) {
                        const char *close = strchr(in, ')');
                        if (close) {
                                o += (size_t)snprintf(out + o, len - o,
                                                      "decode(repeat('00', %.*s), 'hex')",
                                                      (int)(close - in - 9), in + 9);
                                in = close + 1;
                                continue;
                        }
                }
                /* x'HEX' as a token, not the end of a string ('x', '..x'). */
                bool token = in == start || (!isalnum((unsigned char)in[-1]) && in[-1] != '_' &&
                                             in[-1] != '\'' && in[-1] != '/');
                if (token && in[0] == 'x' && in[1] == '\'') {
                        const char *close = strchr(in + 2, '\'');
                        if (close) {
                                o += (size_t)snprintf(out + o, len - o, "'\\x%.*s'::bytea",
                                                      (int)(close - in - 2), in + 2);
                                in = close + 1;
                                continue;
                        }
                }
                out[o++] = *in++;
        }
        out[o] = '\0';
}

static char pg_errmsg[512];

/* 0, SQLITE_CONSTRAINT when the schema refused the statement, or another
 * SQLite code.  On PostgreSQL every statement runs in its own savepoint,
 * so a refusal does not abort the surrounding transaction. */
static int exec(const char *sql)
{
        if (!pg) {
                int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
                return rc == SQLITE_OK ? 0 : sqlite3_extended_errcode(db);
        }
        /* The test's own savepoints pass as they are: wrapped, releasing
         * x would release them too. */
        if (strncmp(sql, "SAVEPOINT", 9) == 0 || strncmp(sql, "ROLLBACK TO", 11) == 0) {
                PGresult *r = PQexec(pg, sql);
                int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : SQLITE_ERROR;
                PQclear(r);
                return rc;
        }
        static char q[16384];
        pg_sql(sql, q, sizeof(q));
        PGresult *r = PQexec(pg, "SAVEPOINT x");
        PQclear(r);
        r = PQexec(pg, q);
        ExecStatusType st = PQresultStatus(r);
        int rc = 0;
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                snprintf(pg_errmsg, sizeof(pg_errmsg), "%s %s", state ? state : "?",
                         PQerrorMessage(pg));
                rc = state && (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
                         ? SQLITE_CONSTRAINT
                         : SQLITE_ERROR;
        }
        PQclear(r);
        r = PQexec(pg, rc ? "ROLLBACK TO x" : "RELEASE x");
        PQclear(r);
        return rc;
}

static const char *errmsg(void)
{
        return pg ? pg_errmsg : errmsg();
}

int main(void)
{
        char path[256], sql[8192];
        storetest_path("constraints.db", path, sizeof(path));
        store_close(storetest_open(path));
        void *cache = NULL;
        if (storetest_pg()) {
                char dsn[300];
                pg = PQconnectdb(storetest_pg_dsn(path, dsn, sizeof(dsn)));
                CHECK_INT(PQstatus(pg), CONNECTION_OK);
                PQclear(PQexec(pg, "BEGIN"));
        } else {
                CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
                cache = spatialite_alloc_connection();
                spatialite_init_ex(db, cache, 0);
                CHECK_INT(exec("PRAGMA foreign_keys = ON"), 0);
        }
        int rc = exec(parents);
        if (rc)
                fprintf(stderr, "parents: %s\n", errmsg());
        /* The parents' explicit ids do not move PostgreSQL's identity
         * sequences (SQLite's rowid follows max(id)): move them. */
        if (pg && rc == 0)
                rc = exec("DO $$ DECLARE t record; BEGIN FOR t IN SELECT table_name FROM "
                          "information_schema.columns WHERE table_schema = 'public' AND "
                          "column_name = 'id' AND is_identity = 'YES' LOOP EXECUTE "
                          "format('SELECT setval(pg_get_serial_sequence(%L, ''id''), "
                          "coalesce(max(id), 0) + 1, false) FROM %I', t.table_name, "
                          "t.table_name); END LOOP; END $$");
        CHECK_INT(rc, 0);
        int refused = 0;
        for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
                const struct table *t = &tables[i];
                build(t, NULL, NULL, sql, sizeof(sql));
                exec("SAVEPOINT t");
                rc = exec(sql);
                if (rc)
                        fprintf(stderr, "%s: the valid row was refused: %s\n%s\n", t->name,
                                errmsg(), sql);
                CHECK_INT(rc, 0);
                if (t->unique) {
                        rc = exec(sql);
                        if ((rc & 0xff) != SQLITE_CONSTRAINT)
                                fprintf(stderr, "%s: the same row twice was not refused\n",
                                        t->name);
                        CHECK_INT(rc & 0xff, SQLITE_CONSTRAINT);
                }
                exec("ROLLBACK TO t; RELEASE t");
                for (const struct bad *b = t->bads; b->col; b++) {
                        build(t, b->col, b->value, sql, sizeof(sql));
                        exec("SAVEPOINT t");
                        rc = exec(sql);
                        /* SpatiaLite's geometry checks are triggers that
                         * RAISE(ABORT): also constraint errors. */
                        if ((rc & 0xff) != SQLITE_CONSTRAINT)
                                fprintf(stderr, "%s: %s was not refused (%d)\n%s\n", t->name,
                                        b->why, rc, sql);
                        CHECK_INT(rc & 0xff, SQLITE_CONSTRAINT);
                        refused += (rc & 0xff) == SQLITE_CONSTRAINT;
                        exec("ROLLBACK TO t; RELEASE t");
                }
        }
        /* The append-only audit log and the three-photo limit. */
        CHECK_INT(exec("INSERT INTO audit_log (at, actor, action, object) VALUES (1, 'a', "
                       "'b', 'c')"),
                  0);
        CHECK_INT(exec("UPDATE audit_log SET actor = 'z'") & 0xff, SQLITE_CONSTRAINT);
        CHECK_INT(exec("DELETE FROM audit_log") & 0xff, SQLITE_CONSTRAINT);
        for (int i = 0; i < 4; i++) {
                snprintf(sql, sizeof(sql),
                         "INSERT INTO report_photos (report_id, path, content_type, bytes, "
                         "created_at) VALUES (1, 'r/%d.jpg', 'image/png', 1, 1)",
                         i);
                rc = exec(sql) & 0xff;
                if (rc != (i < 3 ? SQLITE_OK : SQLITE_CONSTRAINT))
                        fprintf(stderr, "photo %d: %s\n", i + 1, rc ? errmsg() : "accepted");
                CHECK_INT(rc, i < 3 ? SQLITE_OK : SQLITE_CONSTRAINT);
        }
        /* One active edition per hazard layer name. */
        CHECK_INT(exec("INSERT INTO hazard_layers (name, version, hazard, title, attribution, "
                       "active, imported_at) VALUES ('L', 'v2', 'flood', 't', 'a', 1, 1), "
                       "('L', 'v3', 'flood', 't', 'a', 1, 1)") &
                      0xff,
                  SQLITE_CONSTRAINT);
        printf("%d invalid rows refused\n", refused);
        if (pg) {
                PQclear(PQexec(pg, "ROLLBACK"));
                PQfinish(pg);
        } else {
                sqlite3_close(db);
                spatialite_cleanup_ex(cache);
        }
        storetest_cleanup();
        return check_done("geo-store-constraints");
}
