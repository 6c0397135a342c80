-- 0010 (PostgreSQL): a drill's own readings.  During `sonae drill start`
-- the drill's collector reads the scenario's gauges, rain and camera as
-- sources of its own (drill-kawabou, drill-kriver, drill-amedas,
-- drill-camera): their stations are marked exercise, so their levels and
-- states are 訓練 events and never those of a real station, and `sonae
-- drill stop` deletes them with their observations, status and images
-- (ON DELETE CASCADE).
ALTER TABLE stations ADD COLUMN exercise BIGINT NOT NULL DEFAULT 0 CHECK (exercise IN (0, 1));
CREATE INDEX stations_exercise ON stations (exercise) WHERE exercise = 1;

-- The drill stations residents may see: those of a running --public drill,
-- in its named areas (a station without an area goes with the drill).
CREATE VIEW public_drill_stations AS
  SELECT s.id FROM stations s
  WHERE s.exercise = 1
    AND EXISTS (SELECT 1 FROM drills d WHERE d.public = 1 AND d.stopped_at IS NULL)
    AND (s.area_code IS NULL OR s.area_code IN (SELECT area_code FROM public_drill_areas));
