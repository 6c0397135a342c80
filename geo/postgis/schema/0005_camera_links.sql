-- 0003: a river camera's optional link to the gauge it looks at.  The gauge
-- is named by its source and external id, not by its row id, so that the
-- link holds before the gauge's own source has written the gauge.
CREATE TABLE camera_gauges (
  camera_id BIGINT PRIMARY KEY REFERENCES stations (id) ON DELETE CASCADE,
  gauge_source TEXT NOT NULL CHECK (length(gauge_source) BETWEEN 1 AND 64),
  gauge_external_id TEXT NOT NULL CHECK (length(gauge_external_id) BETWEEN 1 AND 128)
);
