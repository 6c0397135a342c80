-- 0009: drills (`sonae drill start|stop`).  A drill's 訓練 data are rows
-- marked exercise; whether residents see them is the drill's own choice:
-- only a drill started with --public, and only in its named areas, reaches
-- the public endpoints (the view public_drill_areas).  A drill ends at
-- stopped_at (`sonae drill stop`, which also removes its data).
CREATE TABLE drills (
  id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL CHECK (length(scenario) BETWEEN 1 AND 4096),
  started_at INTEGER NOT NULL,
  stopped_at INTEGER CHECK (stopped_at IS NULL OR stopped_at >= started_at),
  public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1))
);
CREATE INDEX drills_running ON drills (stopped_at);

CREATE TABLE drill_areas (
  drill_id INTEGER NOT NULL REFERENCES drills (id) ON DELETE CASCADE,
  area_code TEXT NOT NULL CHECK (length(area_code) BETWEEN 1 AND 32),
  PRIMARY KEY (drill_id, area_code)
);

CREATE VIEW public_drill_areas AS
  SELECT DISTINCT a.area_code FROM drill_areas a JOIN drills d ON d.id = a.drill_id
  WHERE d.public = 1 AND d.stopped_at IS NULL;
