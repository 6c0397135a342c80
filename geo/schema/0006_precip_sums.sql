-- 0006: the AMeDAS 3-hour and 24-hour precipitation sums become quantities
-- (precip_3h_mm, precip_24h_mm; docs/contracts.md).  SQLite cannot widen a
-- CHECK in place, so the two tables that hold any quantity are rebuilt and
-- their rows copied.  stations.quantity keeps its list: it names a
-- station's main quantity (the 10-minute value for a rain station), which
-- a running sum never is.
CREATE TABLE observations_0006 (
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  quantity TEXT NOT NULL CHECK (CASE quantity WHEN 'water_level_m' THEN 1 WHEN 'precip_10m_mm' THEN 1 WHEN 'precip_1h_mm' THEN 1 WHEN 'precip_3h_mm' THEN 1 WHEN 'precip_24h_mm' THEN 1 WHEN 'distance_m' THEN 1 WHEN 'battery_v' THEN 1 WHEN 'rssi_dbm' THEN 1 WHEN 'temp_c' THEN 1 ELSE 0 END),
  observed_at INTEGER NOT NULL CHECK (observed_at > 0),
  value REAL NOT NULL CHECK (typeof(value) = 'real' AND value BETWEEN -1e9 AND 1e9),
  quality INTEGER NOT NULL DEFAULT 0 CHECK (quality BETWEEN 0 AND 65535),
  PRIMARY KEY (station_id, quantity, observed_at)
) WITHOUT ROWID;
INSERT INTO observations_0006 (station_id, quantity, observed_at, value, quality)
  SELECT station_id, quantity, observed_at, value, quality FROM observations;
DROP TABLE observations;
ALTER TABLE observations_0006 RENAME TO observations;

CREATE TABLE station_latest_0006 (
  station_id INTEGER NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
  quantity TEXT NOT NULL CHECK (CASE quantity WHEN 'water_level_m' THEN 1 WHEN 'precip_10m_mm' THEN 1 WHEN 'precip_1h_mm' THEN 1 WHEN 'precip_3h_mm' THEN 1 WHEN 'precip_24h_mm' THEN 1 WHEN 'distance_m' THEN 1 WHEN 'battery_v' THEN 1 WHEN 'rssi_dbm' THEN 1 WHEN 'temp_c' THEN 1 ELSE 0 END),
  observed_at INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (station_id, quantity)
) WITHOUT ROWID;
INSERT INTO station_latest_0006 (station_id, quantity, observed_at, value)
  SELECT station_id, quantity, observed_at, value FROM station_latest;
DROP TABLE station_latest;
ALTER TABLE station_latest_0006 RENAME TO station_latest;
