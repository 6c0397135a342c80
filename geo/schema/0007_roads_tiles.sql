-- Walking routes and vector tiles (docs/geo.md).
--
-- A road network is a versioned graph like a hazard layer's editions: one
-- active per store, imported beside the current one and made active in the
-- same transaction.  Nodes are the crossings and ends of the lines (with
-- the crossing's name when the data has one), edges
-- the pieces between them, undirected (people walk both ways), with their
-- length on the ellipsoid and the street name when the data has one.
CREATE TABLE road_graphs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  version TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
  source TEXT NOT NULL CHECK (CASE source WHEN 'osm' THEN 1 WHEN 'lines' THEN 1 ELSE 0 END),
  attribution TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0 CHECK ((active = 0 OR active = 1)),
  imported_at INTEGER NOT NULL,
  n_nodes INTEGER NOT NULL DEFAULT 0 CHECK (n_nodes >= 0),
  n_edges INTEGER NOT NULL DEFAULT 0 CHECK (n_edges >= 0),
  UNIQUE (name, version)
);
CREATE UNIQUE INDEX road_graphs_one_active ON road_graphs (active) WHERE active = 1;

CREATE TABLE road_nodes (
  id INTEGER PRIMARY KEY,
  graph_id INTEGER NOT NULL REFERENCES road_graphs (id) ON DELETE CASCADE,
  lon REAL NOT NULL CHECK (lon BETWEEN 120 AND 155),
  lat REAL NOT NULL CHECK (lat BETWEEN 20 AND 46),
  -- A landmark at the crossing (an OSM named node: 交差点名, a signal).
  name TEXT CHECK (name IS NULL OR length(name) BETWEEN 1 AND 128)
);
SELECT AddGeometryColumn('road_nodes', 'geom', 6668, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('road_nodes', 'geom');
CREATE INDEX road_nodes_graph ON road_nodes (graph_id);

CREATE TABLE road_edges (
  id INTEGER PRIMARY KEY,
  graph_id INTEGER NOT NULL REFERENCES road_graphs (id) ON DELETE CASCADE,
  a INTEGER NOT NULL REFERENCES road_nodes (id) ON DELETE CASCADE,
  b INTEGER NOT NULL REFERENCES road_nodes (id) ON DELETE CASCADE,
  length_m REAL NOT NULL CHECK (length_m > 0 AND length_m < 100000),
  name TEXT CHECK (name IS NULL OR length(name) BETWEEN 1 AND 128),
  kind TEXT CHECK (kind IS NULL OR length(kind) BETWEEN 1 AND 32),
  CHECK (a <> b)
);
SELECT AddGeometryColumn('road_edges', 'geom', 6668, 'LINESTRING', 'XY', 1);
SELECT CreateSpatialIndex('road_edges', 'geom');
CREATE INDEX road_edges_graph ON road_edges (graph_id);
CREATE INDEX road_edges_a ON road_edges (a);
CREATE INDEX road_edges_b ON road_edges (b);

-- Mapbox Vector Tiles (XYZ, EPSG:3857) made with GDAL when a layer is
-- imported: one set per (layer, version), one active per layer.  Tiles are
-- stored as GDAL writes them (uncompressed protobuf).
CREATE TABLE tile_sets (
  id INTEGER PRIMARY KEY,
  layer TEXT NOT NULL CHECK (length(layer) BETWEEN 1 AND 64
    AND layer NOT GLOB '*[^A-Za-z0-9_-]*'),
  version TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
  min_zoom INTEGER NOT NULL CHECK (min_zoom BETWEEN 0 AND 22),
  max_zoom INTEGER NOT NULL CHECK (max_zoom BETWEEN 0 AND 22 AND max_zoom >= min_zoom),
  active INTEGER NOT NULL DEFAULT 0 CHECK ((active = 0 OR active = 1)),
  created_at INTEGER NOT NULL,
  UNIQUE (layer, version)
);
CREATE UNIQUE INDEX tile_sets_one_active ON tile_sets (layer) WHERE active = 1;

CREATE TABLE tiles (
  set_id INTEGER NOT NULL REFERENCES tile_sets (id) ON DELETE CASCADE,
  z INTEGER NOT NULL CHECK (z BETWEEN 0 AND 22),
  x INTEGER NOT NULL CHECK (x >= 0 AND x < (1 << z)),
  y INTEGER NOT NULL CHECK (y >= 0 AND y < (1 << z)),
  data BLOB NOT NULL CHECK (length(data) BETWEEN 1 AND 4194304),
  PRIMARY KEY (set_id, z, x, y)
) WITHOUT ROWID;
