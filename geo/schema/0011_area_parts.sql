-- 0011: nothing on SpatiaLite.  The PostGIS backend cuts the area polygons
-- into small parts for its point lookups (area_parts); SpatiaLite's reader
-- keeps each large polygon prepared in memory instead (sl_geo.c), so this
-- number only keeps the two backends' migrations in step.
SELECT 1;
