-- 0006 (PostgreSQL): the AMeDAS 3-hour and 24-hour precipitation sums
-- become quantities (precip_3h_mm, precip_24h_mm; docs/contracts.md).
-- PostgreSQL changes a CHECK in place (SQLite's 0006 rebuilds the tables);
-- the rows stay where they are.  stations.quantity keeps its list: it
-- names a station's main quantity, which a running sum never is.
ALTER TABLE observations DROP CONSTRAINT observations_quantity_check,
  ADD CONSTRAINT observations_quantity_check CHECK (quantity IN ('water_level_m',
    'precip_10m_mm', 'precip_1h_mm', 'precip_3h_mm', 'precip_24h_mm', 'distance_m',
    'battery_v', 'rssi_dbm', 'temp_c'));
ALTER TABLE station_latest DROP CONSTRAINT station_latest_quantity_check,
  ADD CONSTRAINT station_latest_quantity_check CHECK (quantity IN ('water_level_m',
    'precip_10m_mm', 'precip_1h_mm', 'precip_3h_mm', 'precip_24h_mm', 'distance_m',
    'battery_v', 'rssi_dbm', 'temp_c'));
