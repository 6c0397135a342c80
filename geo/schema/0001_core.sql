-- 0001: spatial metadata, stations, observations, latest state, events.
-- Times are UTC seconds since the Unix epoch.  Levels are 1-5 or NULL.
SELECT InitSpatialMetadata(0, 'NONE');
SELECT InsertEpsgSrid(6668);

CREATE TABLE stations (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('gauge', 'sensor', 'camera', 'rain')),
  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  external_id TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 128),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
  river TEXT CHECK (river IS NULL OR length(river) <= 256),
  area_code TEXT CHECK (area_code IS NULL OR (length(area_code) = 7 AND area_code GLOB '[0-9]*')),
  quantity TEXT CHECK (quantity IS NULL OR quantity IN ('water_level_m', 'precip_10m_mm',
    'precip_1h_mm', 'distance_m', 'battery_v', 'rssi_dbm', 'temp_c')),
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
  quantity TEXT NOT NULL CHECK (quantity IN ('water_level_m', 'precip_10m_mm', 'precip_1h_mm',
    'distance_m', 'battery_v', 'rssi_dbm', 'temp_c')),
  observed_at INTEGER NOT NULL CHECK (observed_at > 0),
  value REAL NOT NULL CHECK (typeof(value) = 'real' AND value BETWEEN -1e9 AND 1e9),
  quality INTEGER NOT NULL DEFAULT 0 CHECK (quality BETWEEN 0 AND 65535),
  PRIMARY KEY (station_id, quantity, observed_at)
) WITHOUT ROWID;

-- The latest value of every quantity of every station.
CREATE TABLE station_latest (
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  quantity TEXT NOT NULL CHECK (quantity IN ('water_level_m', 'precip_10m_mm', 'precip_1h_mm',
    'distance_m', 'battery_v', 'rssi_dbm', 'temp_c')),
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
  state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('ok', 'below_start', 'watch', 'stale',
    'offline', 'unknown')),
  rate_m_per_h REAL,
  last_observed_at INTEGER,
  changed_at INTEGER NOT NULL
);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('alert.changed', 'area.level', 'station.level',
    'station.state', 'station.observations', 'camera.image', 'camera.state', 'report.created',
    'report.updated', 'shelter.updated', 'order.issued', 'order.lifted', 'notice.published',
    'device.health', 'source.health')),
  subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),
  level INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 5),
  public INTEGER NOT NULL CHECK (public IN (0, 1)),
  exercise INTEGER NOT NULL DEFAULT 0 CHECK (exercise IN (0, 1)),
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
);
CREATE INDEX events_public ON events (public, id);
