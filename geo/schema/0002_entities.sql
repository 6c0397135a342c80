-- 0002: every other entity of ARCHITECTURE.md, each in its own typed table.
-- Times are UTC seconds; levels 1-5 or NULL; booleans 0/1.

-- Sources (collectors' feeds) and their health, for source.health and
-- the freshness metrics.
CREATE TABLE source_status (
  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
  state TEXT NOT NULL CHECK (CASE state WHEN 'ok' THEN 1 WHEN 'degraded' THEN 1 WHEN 'failing' THEN 1 WHEN 'unknown' THEN 1 ELSE 0 END),
  last_ok_at INTEGER,
  last_error_at INTEGER,
  last_error TEXT CHECK (last_error IS NULL OR length(last_error) <= 512),
  updated_at INTEGER NOT NULL
);

-- JMA areas (7-digit codes, incl. the 土砂災害 split codes) and their
-- polygons; the code mapping to 全国地方公共団体コード and k.river townCode.
CREATE TABLE areas (
  code TEXT PRIMARY KEY CHECK (length(code) = 7 AND code NOT GLOB '*[^0-9]*'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  kind TEXT NOT NULL DEFAULT 'city' CHECK (CASE kind WHEN 'pref' THEN 1 WHEN 'region' THEN 1 WHEN 'city' THEN 1 WHEN 'city_split' THEN 1 ELSE 0 END),
  parent_code TEXT CHECK (parent_code IS NULL OR length(parent_code) = 7),
  lg_code TEXT CHECK (lg_code IS NULL OR (length(lg_code) = 6 AND lg_code NOT GLOB '*[^0-9]*')),
  town_code TEXT CHECK (town_code IS NULL OR (length(town_code) = 5
    AND town_code NOT GLOB '*[^0-9]*')),
  updated_at INTEGER NOT NULL
);
SELECT AddGeometryColumn('areas', 'geom', 6668, 'MULTIPOLYGON', 'XY', 0);
SELECT CreateSpatialIndex('areas', 'geom');

CREATE TABLE districts (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  kind TEXT NOT NULL CHECK (CASE kind WHEN 'district' THEN 1 WHEN 'school' THEN 1 WHEN 'community' THEN 1 WHEN 'town' THEN 1 ELSE 0 END),
  area_code TEXT REFERENCES areas (code),
  updated_at INTEGER NOT NULL
);
SELECT AddGeometryColumn('districts', 'geom', 6668, 'MULTIPOLYGON', 'XY', 0);
SELECT CreateSpatialIndex('districts', 'geom');

-- Raw documents kept for audit, deduplicated by URL and content hash.
CREATE TABLE raw_documents (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  url TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  content_type TEXT,
  body BLOB NOT NULL,
  bytes INTEGER NOT NULL CHECK (bytes >= 0),
  fetched_at INTEGER NOT NULL,
  UNIQUE (url, sha256)
);
CREATE INDEX raw_documents_sha256 ON raw_documents (sha256);

-- JMA alerts, normalised: one row per document, area and kind.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  document_id INTEGER REFERENCES raw_documents (id),
  office TEXT NOT NULL CHECK (length(office) BETWEEN 1 AND 128),
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 256),
  info_type TEXT NOT NULL CHECK (CASE info_type WHEN '発表' THEN 1 WHEN '訂正' THEN 1 WHEN '取消' THEN 1 ELSE 0 END),
  report_status TEXT NOT NULL CHECK (CASE report_status WHEN '通常' THEN 1 WHEN '訓練' THEN 1 WHEN '試験' THEN 1 ELSE 0 END),
  exercise INTEGER NOT NULL CHECK ((exercise = 0 OR exercise = 1)),
  event_id TEXT,
  serial INTEGER CHECK (serial IS NULL OR serial >= 0),
  report_at INTEGER NOT NULL,
  area_code TEXT NOT NULL CHECK (length(area_code) = 7 AND area_code NOT GLOB '*[^0-9]*'),
  area_name TEXT NOT NULL,
  kind_code TEXT NOT NULL CHECK (length(kind_code) BETWEEN 1 AND 16),
  kind_name TEXT NOT NULL CHECK (length(kind_name) BETWEEN 1 AND 128),
  status TEXT NOT NULL CHECK (length(status) BETWEEN 1 AND 32),
  level INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 5),
  valid_from INTEGER,
  valid_to INTEGER,
  CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from),
  CHECK ((report_status = '訓練') = (exercise = 1)),
  UNIQUE (document_id, area_code, kind_code)
);
CREATE INDEX alerts_area ON alerts (area_code, report_at);

-- What JMA has in force now per area (written by the JMA collector).
CREATE TABLE area_kinds_in_force (
  area_code TEXT NOT NULL CHECK (length(area_code) = 7 AND area_code NOT GLOB '*[^0-9]*'),
  exercise INTEGER NOT NULL CHECK ((exercise = 0 OR exercise = 1)),
  kind_code TEXT NOT NULL CHECK (length(kind_code) BETWEEN 1 AND 16),
  kind_name TEXT NOT NULL,
  status TEXT NOT NULL,
  level INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 5),
  issued_at INTEGER NOT NULL,
  alert_id INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
  PRIMARY KEY (area_code, exercise, kind_code)
) WITHOUT ROWID;

CREATE TABLE area_status (
  area_code TEXT NOT NULL CHECK (length(area_code) = 7 AND area_code NOT GLOB '*[^0-9]*'),
  exercise INTEGER NOT NULL CHECK ((exercise = 0 OR exercise = 1)),
  area_name TEXT NOT NULL,
  level INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 5),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (area_code, exercise)
) WITHOUT ROWID;

-- The city's own sensor nodes.
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  device TEXT NOT NULL UNIQUE CHECK (length(device) BETWEEN 1 AND 64
    AND device NOT GLOB '*[^A-Za-z0-9_-]*'),
  station_id INTEGER REFERENCES stations (id) ON DELETE SET NULL,
  secret_hash TEXT,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK ((enabled = 0 OR enabled = 1)),
  health TEXT NOT NULL DEFAULT 'unknown' CHECK (CASE health WHEN 'online' THEN 1 WHEN 'offline' THEN 1 WHEN 'unknown' THEN 1 ELSE 0 END),
  last_seen_at INTEGER,
  fw TEXT,
  batt_v REAL,
  rssi_dbm REAL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Calibration history: the one in force at a time is the newest with
-- valid_from <= that time.
CREATE TABLE device_calibrations (
  id INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  valid_from INTEGER NOT NULL,
  mount_height_m REAL NOT NULL CHECK (mount_height_m BETWEEN -100 AND 1000),
  reference_level_m REAL,
  note TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (device_id, valid_from)
);

-- Raw sensor readings, idempotent on (device, epoch, seq); no geometry.
CREATE TABLE readings (
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  measured_at INTEGER NOT NULL CHECK (measured_at > 0),
  received_at INTEGER NOT NULL,
  dist_m REAL,
  level_m REAL,
  temp_c REAL,
  batt_v REAL,
  rssi_dbm REAL,
  quality INTEGER NOT NULL DEFAULT 0 CHECK (quality BETWEEN 0 AND 65535),
  PRIMARY KEY (device_id, epoch, seq)
) WITHOUT ROWID;

CREATE TABLE reading_gaps (
  id INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  from_seq INTEGER NOT NULL CHECK (from_seq >= 0),
  to_seq INTEGER NOT NULL,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER,
  CHECK (to_seq >= from_seq),
  UNIQUE (device_id, epoch, from_seq)
);

-- River camera stills: files under [data] dir, metadata here.
CREATE TABLE camera_images (
  id INTEGER PRIMARY KEY,
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  captured_at INTEGER NOT NULL,
  fetched_at INTEGER NOT NULL,
  path TEXT NOT NULL CHECK (length(path) BETWEEN 1 AND 512 AND path NOT LIKE '/%'
    AND path NOT LIKE '%..%'),
  thumb_path TEXT CHECK (thumb_path IS NULL OR (length(thumb_path) <= 512
    AND thumb_path NOT LIKE '/%' AND thumb_path NOT LIKE '%..%')),
  bytes INTEGER NOT NULL CHECK (bytes > 0),
  width INTEGER NOT NULL CHECK (width > 0),
  height INTEGER NOT NULL CHECK (height > 0),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  UNIQUE (station_id, captured_at)
);

CREATE TABLE camera_status (
  station_id INTEGER PRIMARY KEY REFERENCES stations (id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (CASE state WHEN 'ok' THEN 1 WHEN 'stale' THEN 1 WHEN 'frozen' THEN 1 WHEN 'unknown' THEN 1 ELSE 0 END),
  since INTEGER NOT NULL
);

-- Shelters: 指定緊急避難場所 (emergency, with hazard suitability) and
-- 指定避難所 (evacuation, where to stay), linked; status from staff.
CREATE TABLE shelters (
  id INTEGER PRIMARY KEY,
  common_id TEXT NOT NULL UNIQUE CHECK (length(common_id) BETWEEN 1 AND 64),
  kind TEXT NOT NULL CHECK (CASE kind WHEN 'emergency' THEN 1 WHEN 'evacuation' THEN 1 WHEN 'both' THEN 1 ELSE 0 END),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
  address TEXT,
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  flood INTEGER NOT NULL DEFAULT 0 CHECK ((flood = 0 OR flood = 1)),
  landslide INTEGER NOT NULL DEFAULT 0 CHECK ((landslide = 0 OR landslide = 1)),
  storm_surge INTEGER NOT NULL DEFAULT 0 CHECK ((storm_surge = 0 OR storm_surge = 1)),
  earthquake INTEGER NOT NULL DEFAULT 0 CHECK ((earthquake = 0 OR earthquake = 1)),
  tsunami INTEGER NOT NULL DEFAULT 0 CHECK ((tsunami = 0 OR tsunami = 1)),
  fire INTEGER NOT NULL DEFAULT 0 CHECK ((fire = 0 OR fire = 1)),
  inland_flood INTEGER NOT NULL DEFAULT 0 CHECK ((inland_flood = 0 OR inland_flood = 1)),
  volcano INTEGER NOT NULL DEFAULT 0 CHECK ((volcano = 0 OR volcano = 1)),
  capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
  linked_id INTEGER REFERENCES shelters (id) ON DELETE SET NULL,
  district_id INTEGER REFERENCES districts (id) ON DELETE SET NULL,
  is_open INTEGER NOT NULL DEFAULT 0 CHECK ((is_open = 0 OR is_open = 1)),
  occupancy INTEGER CHECK (occupancy IS NULL OR occupancy >= 0),
  needs TEXT CHECK (needs IS NULL OR length(needs) <= 2000),
  status_updated_at INTEGER,
  updated_at INTEGER NOT NULL
);
SELECT AddGeometryColumn('shelters', 'geom', 6668, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('shelters', 'geom');

-- Hazard layers (洪水浸水想定, 土砂災害警戒区域, ...), versioned: an edition is
-- imported inactive beside the current one and switched in one statement.
CREATE TABLE hazard_layers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  version TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
  hazard TEXT NOT NULL CHECK (CASE hazard WHEN 'flood' THEN 1 WHEN 'landslide' THEN 1 WHEN 'storm_surge' THEN 1 WHEN 'tsunami' THEN 1 WHEN 'inland_flood' THEN 1 WHEN 'earthquake' THEN 1 WHEN 'fire' THEN 1 WHEN 'volcano' THEN 1 ELSE 0 END),
  title TEXT NOT NULL,
  attribution TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0 CHECK ((active = 0 OR active = 1)),
  imported_at INTEGER NOT NULL,
  UNIQUE (name, version)
);
CREATE UNIQUE INDEX hazard_layers_one_active ON hazard_layers (name) WHERE active = 1;

CREATE TABLE hazard_features (
  id INTEGER PRIMARY KEY,
  layer_id INTEGER NOT NULL REFERENCES hazard_layers (id) ON DELETE CASCADE,
  class TEXT NOT NULL CHECK (length(class) BETWEEN 1 AND 64),
  label_ja TEXT NOT NULL CHECK (length(label_ja) BETWEEN 1 AND 128),
  rank INTEGER NOT NULL DEFAULT 0
);
SELECT AddGeometryColumn('hazard_features', 'geom', 6668, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('hazard_features', 'geom');
CREATE INDEX hazard_features_layer ON hazard_features (layer_id);

-- Staff accounts.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64
    AND name NOT GLOB '*[^A-Za-z0-9._@-]*'),
  display_name TEXT,
  role TEXT NOT NULL CHECK (CASE role WHEN 'viewer' THEN 1 WHEN 'editor' THEN 1 WHEN 'admin' THEN 1 WHEN 'shelter_operator' THEN 1 ELSE 0 END),
  password_hash TEXT NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 512),
  disabled INTEGER NOT NULL DEFAULT 0 CHECK ((disabled = 0 OR disabled = 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE user_shelters (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  shelter_id INTEGER NOT NULL REFERENCES shelters (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, shelter_id)
) WITHOUT ROWID;

-- Append-only: who did what, when, before and after.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users (id),
  actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
  action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
  object TEXT NOT NULL CHECK (length(object) BETWEEN 1 AND 256),
  before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
  after_json TEXT CHECK (after_json IS NULL OR json_valid(after_json))
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Field reports registered on the map.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  category TEXT NOT NULL CHECK (length(category) BETWEEN 1 AND 64),
  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
  text TEXT NOT NULL CHECK (length(text) <= 4000),
  status TEXT NOT NULL DEFAULT 'new' CHECK (CASE status WHEN 'new' THEN 1 WHEN 'confirmed' THEN 1 WHEN 'handled' THEN 1 ELSE 0 END),
  public INTEGER NOT NULL DEFAULT 0 CHECK ((public = 0 OR public = 1)),
  exercise INTEGER NOT NULL DEFAULT 0 CHECK ((exercise = 0 OR exercise = 1)),
  user_id INTEGER REFERENCES users (id)
);
SELECT AddGeometryColumn('reports', 'geom', 6668, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('reports', 'geom');

CREATE TABLE report_photos (
  id INTEGER PRIMARY KEY,
  report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  path TEXT NOT NULL CHECK (length(path) BETWEEN 1 AND 512 AND path NOT LIKE '/%'
    AND path NOT LIKE '%..%'),
  content_type TEXT NOT NULL CHECK (CASE content_type WHEN 'image/jpeg' THEN 1 WHEN 'image/png' THEN 1 ELSE 0 END),
  bytes INTEGER NOT NULL CHECK (bytes > 0),
  created_at INTEGER NOT NULL
);
CREATE TRIGGER report_photos_max3 BEFORE INSERT ON report_photos
WHEN (SELECT count(*) FROM report_photos WHERE report_id = NEW.report_id) >= 3
BEGIN
  SELECT RAISE(ABORT, 'at most 3 photos per report');
END;

-- The city's evacuation orders (避難情報 L3-L5), by area or district.
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  level INTEGER NOT NULL CHECK (level BETWEEN 3 AND 5),
  hazard TEXT NOT NULL CHECK (CASE hazard WHEN 'flood' THEN 1 WHEN 'landslide' THEN 1 WHEN 'storm_surge' THEN 1 WHEN 'tsunami' THEN 1 WHEN 'inland_flood' THEN 1 WHEN 'earthquake' THEN 1 WHEN 'fire' THEN 1 WHEN 'volcano' THEN 1 WHEN 'other' THEN 1 ELSE 0 END),
  area_code TEXT CHECK (area_code IS NULL OR (length(area_code) = 7
    AND area_code NOT GLOB '*[^0-9]*')),
  district_id INTEGER REFERENCES districts (id),
  reason TEXT CHECK (reason IS NULL OR length(reason) <= 2000),
  issued_at INTEGER NOT NULL,
  lifted_at INTEGER,
  exercise INTEGER NOT NULL DEFAULT 0 CHECK ((exercise = 0 OR exercise = 1)),
  user_id INTEGER REFERENCES users (id),
  CHECK (area_code IS NOT NULL OR district_id IS NOT NULL),
  CHECK (lifted_at IS NULL OR lifted_at >= issued_at)
);
CREATE INDEX orders_in_force ON orders (lifted_at, area_code);

CREATE TABLE notices (
  id INTEGER PRIMARY KEY,
  category TEXT NOT NULL CHECK (CASE category WHEN 'shelter_open' THEN 1 WHEN 'road_closed' THEN 1 WHEN 'water_supply' THEN 1 WHEN 'power' THEN 1 WHEN 'info' THEN 1 WHEN 'other' THEN 1 ELSE 0 END),
  area_code TEXT CHECK (area_code IS NULL OR (length(area_code) = 7
    AND area_code NOT GLOB '*[^0-9]*')),
  district_id INTEGER REFERENCES districts (id),
  title_ja TEXT NOT NULL CHECK (length(title_ja) BETWEEN 1 AND 256),
  text_ja TEXT NOT NULL CHECK (length(text_ja) BETWEEN 1 AND 8000),
  valid_from INTEGER NOT NULL,
  valid_to INTEGER,
  public INTEGER NOT NULL DEFAULT 1 CHECK ((public = 0 OR public = 1)),
  exercise INTEGER NOT NULL DEFAULT 0 CHECK ((exercise = 0 OR exercise = 1)),
  user_id INTEGER REFERENCES users (id),
  created_at INTEGER NOT NULL,
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);

-- 重点確認箇所: staff-defined points or polygons with linked stations.
CREATE TABLE watch_points (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
  note TEXT CHECK (note IS NULL OR length(note) <= 4000),
  checklist TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checklist)
    AND json_type(checklist) = 'array'),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
SELECT AddGeometryColumn('watch_points', 'geom', 6668, 'GEOMETRY', 'XY', 1);
SELECT CreateSpatialIndex('watch_points', 'geom');

CREATE TABLE watch_point_stations (
  watch_point_id INTEGER NOT NULL REFERENCES watch_points (id) ON DELETE CASCADE,
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  PRIMARY KEY (watch_point_id, station_id)
) WITHOUT ROWID;

-- マイ・タイムライン: ciphertext and metadata only.  The key derives from
-- the resident's token, of which only a hash is kept.
CREATE TABLE timelines (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE CHECK (typeof(token_hash) = 'blob'
    AND length(token_hash) = 32),
  district_id INTEGER REFERENCES districts (id) ON DELETE SET NULL,
  levels_mask INTEGER NOT NULL CHECK (levels_mask BETWEEN 0 AND 62 AND (levels_mask & 1) = 0),
  nonce BLOB NOT NULL CHECK (typeof(nonce) = 'blob' AND length(nonce) BETWEEN 12 AND 32),
  ciphertext BLOB NOT NULL CHECK (typeof(ciphertext) = 'blob'
    AND length(ciphertext) BETWEEN 16 AND 65536),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX timelines_updated ON timelines (updated_at);

-- Notification rules (who is told of what) and the outgoing queue.
CREATE TABLE notify_rules (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL CHECK (length(channel) BETWEEN 1 AND 64),
  target TEXT NOT NULL CHECK (length(target) BETWEEN 1 AND 2048),
  area_code TEXT CHECK (area_code IS NULL OR length(area_code) = 7),
  district_id INTEGER REFERENCES districts (id) ON DELETE CASCADE,
  min_level INTEGER NOT NULL DEFAULT 3 CHECK (min_level BETWEEN 1 AND 5),
  event_types TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(event_types)
    AND json_type(event_types) = 'array'),
  staff INTEGER NOT NULL DEFAULT 0 CHECK ((staff = 0 OR staff = 1)),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK ((enabled = 0 OR enabled = 1)),
  created_at INTEGER NOT NULL
);

CREATE TABLE notify_queue (
  id INTEGER PRIMARY KEY,
  rule_id INTEGER NOT NULL REFERENCES notify_rules (id) ON DELETE CASCADE,
  event_id INTEGER NOT NULL REFERENCES events (id),
  state TEXT NOT NULL DEFAULT 'pending' CHECK (CASE state WHEN 'pending' THEN 1 WHEN 'sent' THEN 1 WHEN 'failed' THEN 1 WHEN 'dead' THEN 1 ELSE 0 END),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_try_at INTEGER NOT NULL,
  last_error TEXT CHECK (last_error IS NULL OR length(last_error) <= 512),
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  UNIQUE (rule_id, event_id)
);
CREATE INDEX notify_queue_due ON notify_queue (state, next_try_at);
