-- 0001: spatial metadata, stations, observations, latest state, events.
-- Times are UTC seconds since the Unix epoch.  Levels are 1-5 or NULL.
-- Enumerations are checked with CASE rather than IN (...): SQLite builds a
-- scratch table for an IN list on every row it checks, which made inserts
-- five times slower.
SELECT InitSpatialMetadata(0, 'NONE');
SELECT InsertEpsgSrid(6668);

CREATE TABLE stations (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (CASE kind WHEN 'gauge' THEN 1 WHEN 'sensor' THEN 1 WHEN 'camera' THEN 1 WHEN 'rain' THEN 1 ELSE 0 END),
  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  external_id TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 128),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
  river TEXT CHECK (river IS NULL OR length(river) <= 256),
  area_code TEXT CHECK (area_code IS NULL OR (length(area_code) = 7 AND area_code NOT GLOB '*[^0-9]*')),
  quantity TEXT CHECK (quantity IS NULL OR CASE quantity WHEN 'water_level_m' THEN 1 WHEN 'precip_10m_mm' THEN 1 WHEN 'precip_1h_mm' THEN 1 WHEN 'distance_m' THEN 1 WHEN 'battery_v' THEN 1 WHEN 'rssi_dbm' THEN 1 WHEN 'temp_c' THEN 1 ELSE 0 END),
  thr_standby REAL,
  thr_caution REAL,
  thr_evacuation REAL,
  thr_danger REAL,
  thr_flood REAL,
  thr_start REAL,
  expected_interval_s INTEGER NOT NULL CHECK (expected_interval_s BETWEEN 10 AND 604800),
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (source, external_id),
  CHECK (thr_caution IS NULL OR thr_danger IS NULL OR thr_caution <= thr_danger),
  CHECK (thr_danger IS NULL OR thr_flood IS NULL OR thr_danger <= thr_flood)
);
SELECT AddGeometryColumn('stations', 'geom', 6668, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('stations', 'geom');

-- Every measured value from any source; no geometry (per-row geometry
-- triggers cut insert speed tenfold).  The key makes re-inserts idempotent.
CREATE TABLE observations (
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  quantity TEXT NOT NULL CHECK (CASE quantity WHEN 'water_level_m' THEN 1 WHEN 'precip_10m_mm' THEN 1 WHEN 'precip_1h_mm' THEN 1 WHEN 'distance_m' THEN 1 WHEN 'battery_v' THEN 1 WHEN 'rssi_dbm' THEN 1 WHEN 'temp_c' THEN 1 ELSE 0 END),
  observed_at INTEGER NOT NULL CHECK (observed_at > 0),
  value REAL NOT NULL CHECK (typeof(value) = 'real' AND value BETWEEN -1e9 AND 1e9),
  quality INTEGER NOT NULL DEFAULT 0 CHECK (quality BETWEEN 0 AND 65535),
  PRIMARY KEY (station_id, quantity, observed_at)
) WITHOUT ROWID;

-- The latest value of every quantity of every station.
CREATE TABLE station_latest (
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  quantity TEXT NOT NULL CHECK (CASE quantity WHEN 'water_level_m' THEN 1 WHEN 'precip_10m_mm' THEN 1 WHEN 'precip_1h_mm' THEN 1 WHEN 'distance_m' THEN 1 WHEN 'battery_v' THEN 1 WHEN 'rssi_dbm' THEN 1 WHEN 'temp_c' THEN 1 ELSE 0 END),
  observed_at INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (station_id, quantity)
) WITHOUT ROWID;

-- The station's latest state: "latest for every station" reads stations
-- joined to this table on its primary key, never the observations.
CREATE TABLE station_status (
  station_id INTEGER PRIMARY KEY REFERENCES stations (id) ON DELETE CASCADE,
  value REAL,
  observed_at INTEGER,
  level INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 5),
  state TEXT NOT NULL DEFAULT 'unknown' CHECK (CASE state WHEN 'ok' THEN 1 WHEN 'below_start' THEN 1 WHEN 'watch' THEN 1 WHEN 'stale' THEN 1 WHEN 'offline' THEN 1 WHEN 'unknown' THEN 1 ELSE 0 END),
  rate_m_per_h REAL,
  last_observed_at INTEGER,
  changed_at INTEGER NOT NULL
);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL CHECK (CASE type WHEN 'alert.changed' THEN 1 WHEN 'area.level' THEN 1 WHEN 'station.level' THEN 1 WHEN 'station.state' THEN 1 WHEN 'station.observations' THEN 1 WHEN 'camera.image' THEN 1 WHEN 'camera.state' THEN 1 WHEN 'report.created' THEN 1 WHEN 'report.updated' THEN 1 WHEN 'shelter.updated' THEN 1 WHEN 'order.issued' THEN 1 WHEN 'order.lifted' THEN 1 WHEN 'notice.published' THEN 1 WHEN 'device.health' THEN 1 WHEN 'source.health' THEN 1 ELSE 0 END),
  subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),
  level INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 5),
  public INTEGER NOT NULL CHECK ((public = 0 OR public = 1)),
  exercise INTEGER NOT NULL DEFAULT 0 CHECK ((exercise = 0 OR exercise = 1)),
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
);
CREATE INDEX events_public ON events (public, id);
