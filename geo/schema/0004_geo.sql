-- Geo lookups: the code systems of an area, 位置参照情報 addresses with
-- their search keys, and the indexes the queries of geo/geo.h rely on
-- (spatial indexes only, no scans at query time).

-- One row per JMA 7-digit code of the city's area tables (CityCode.csv),
-- with the 全国地方公共団体コード and the k.river townCode it joins.  A
-- split code (0620311/0620312 for 土砂災害警戒情報) names its whole city in
-- split_of; without split polygons a point in the city takes the higher
-- level of its splits.
CREATE TABLE area_codes (
  code TEXT PRIMARY KEY CHECK (length(code) = 7 AND code NOT GLOB '*[^0-9]*'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  full_name TEXT,
  class15_code TEXT CHECK (class15_code IS NULL OR length(class15_code) = 6),
  lg_code TEXT CHECK (lg_code IS NULL OR (length(lg_code) = 6 AND lg_code NOT GLOB '*[^0-9]*')),
  town_code TEXT CHECK (town_code IS NULL OR (length(town_code) = 5
    AND town_code NOT GLOB '*[^0-9]*')),
  split_of TEXT CHECK (split_of IS NULL OR length(split_of) = 7),
  used_warning INTEGER NOT NULL DEFAULT 0 CHECK (used_warning IN (0, 1)),
  used_landslide INTEGER NOT NULL DEFAULT 0 CHECK (used_landslide IN (0, 1)),
  used_flood_forecast INTEGER NOT NULL DEFAULT 0 CHECK (used_flood_forecast IN (0, 1))
) WITHOUT ROWID;
CREATE INDEX area_codes_split ON area_codes (split_of) WHERE split_of IS NOT NULL;
CREATE INDEX area_codes_lg ON area_codes (lg_code);
CREATE INDEX area_codes_town ON area_codes (town_code);

-- 位置参照情報 (大字・町丁目 level): one representative point per 町丁目.
-- key is the normalised search text (half-width digits, arabic 丁目
-- numbers, hiragana); addresses_fts indexes it for substring search.
CREATE TABLE addresses (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 16),
  pref TEXT NOT NULL,
  city TEXT NOT NULL,
  lg_code TEXT NOT NULL CHECK (length(lg_code) = 5),
  town TEXT NOT NULL CHECK (length(town) BETWEEN 1 AND 128),
  town_base TEXT NOT NULL,
  chome INTEGER,
  key TEXT NOT NULL,
  town_key TEXT NOT NULL,
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  district_id INTEGER REFERENCES districts (id) ON DELETE SET NULL,
  version TEXT,
  updated_at INTEGER NOT NULL
);
SELECT AddGeometryColumn('addresses', 'geom', 6668, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('addresses', 'geom');
CREATE INDEX addresses_key ON addresses (key);
CREATE INDEX addresses_town_key ON addresses (town_key);
CREATE INDEX addresses_district ON addresses (district_id, town_base, chome);
CREATE INDEX addresses_base ON addresses (town_base, chome);
CREATE VIRTUAL TABLE addresses_fts USING fts5(key, content='addresses', content_rowid='id',
  tokenize='trigram');
CREATE TRIGGER addresses_ai AFTER INSERT ON addresses BEGIN
  INSERT INTO addresses_fts (rowid, key) VALUES (new.id, new.key);
END;
CREATE TRIGGER addresses_ad AFTER DELETE ON addresses BEGIN
  INSERT INTO addresses_fts (addresses_fts, rowid, key) VALUES ('delete', old.id, old.key);
END;
CREATE TRIGGER addresses_au AFTER UPDATE OF key ON addresses BEGIN
  INSERT INTO addresses_fts (addresses_fts, rowid, key) VALUES ('delete', old.id, old.key);
  INSERT INTO addresses_fts (rowid, key) VALUES (new.id, new.key);
END;

-- Open shelters are few; shelters_near reads them through this index.
CREATE INDEX shelters_open ON shelters (is_open) WHERE is_open = 1;
CREATE INDEX shelters_address ON shelters (address);
CREATE INDEX orders_district ON orders (district_id, lifted_at);
CREATE INDEX stations_area ON stations (area_code);
