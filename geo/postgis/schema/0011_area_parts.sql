-- 0011 (PostgreSQL): the area polygons cut into small parts for the point
-- lookups.  A city's polygon is large (鶴岡市: 574 parts, 31,505 points,
-- 0.5 MB stored out of line): every lookup inside its box read all of it
-- back and measured the distance to every edge.  area_parts holds the same
-- surface as parts of at most 256 points each (ST_Subdivide), with their
-- own GiST index, so a lookup reads and tests the few parts near the point;
-- a point covered by the area is covered by one of its parts, boundary
-- included, and by none otherwise.  A trigger keeps the parts of a row in
-- step with its polygon; deleting an area deletes its parts.
CREATE TABLE area_parts (
  code TEXT NOT NULL REFERENCES areas (code) ON DELETE CASCADE ON UPDATE CASCADE
);
ALTER TABLE area_parts ADD COLUMN geom geometry(MULTIPOLYGON, 6668) NOT NULL;
CREATE INDEX area_parts_geom ON area_parts USING gist (geom);
CREATE INDEX area_parts_code ON area_parts (code);

CREATE FUNCTION area_parts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM area_parts WHERE code = NEW.code;
  INSERT INTO area_parts (code, geom)
    SELECT NEW.code, ST_Multi(p) FROM ST_Subdivide(NEW.geom, 256) AS p
    WHERE NEW.geom IS NOT NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER areas_parts AFTER INSERT OR UPDATE OF geom ON areas
  FOR EACH ROW EXECUTE FUNCTION area_parts_sync();

INSERT INTO area_parts (code, geom)
  SELECT a.code, ST_Multi(p) FROM areas a, ST_Subdivide(a.geom, 256) AS p
  WHERE a.geom IS NOT NULL;
