"""The demo's fictional city, 若葉川市 (架空), in one place: its codes, its
river, its gauges, its districts and shelters.  make_layers.py writes the
GeoJSON and CSV layers from it; replay.py and the tests read the same
values, so the story and the map never disagree.

Everything here is authored by the Sonae project and is fictional: no real
city, river, gauge, shelter or address is described."""

CITY = "若葉川市"
PREF = "山形県"
AREA_CODE = "0629900"  # JMA 市町村等 code of the fictional city (not a real code)
TOWN_CODE = "06299"  # 市区町村コード (k.river townCode)
OFFICE = "山形地方気象台"
RIVER = "若葉川"
TRIBUTARY = "小沢川"
RIVER_CODE = "8299900001"  # 指定河川洪水予報 河川 code (fictional)
FORECAST_CODE = "829990000100"  # 予報区域 code (fictional)

# The river, upstream (south-east, hills) to downstream (north-west, sea).
RIVER_LINE = [(140.195, 38.505), (140.16, 38.53), (140.12, 38.555), (140.09, 38.575),
              (140.06, 38.59), (140.03, 38.61), (140.005, 38.63)]
TRIBUTARY_LINE = [(140.10, 38.635), (140.097, 38.61), (140.093, 38.59), (140.09, 38.575)]

BOUNDARY = [(140.00, 38.50), (140.10, 38.495), (140.20, 38.50), (140.205, 38.57),
            (140.20, 38.64), (140.10, 38.645), (140.00, 38.64), (139.995, 38.57),
            (140.00, 38.50)]

# Districts: three bands from north to south (code, name, south, north).
DISTRICTS = [("D01", "川北地区", 38.60, 38.65), ("D02", "中央地区", 38.56, 38.60),
             ("D03", "山手地区", 38.49, 38.56)]

# A point in the flood zone, in 中央地区 beside the river: the residents'
# page is checked here.
FLOOD_POINT = (140.075, 38.583)

# The river gauge (川の防災情報 telemeter, kawabou format) and its thresholds.
GAUGE = {"id": "2999900100001", "name": "若葉橋", "lon": 140.088, "lat": 38.5765,
         "standby": 1.60, "caution": 2.30, "evacuation": 2.90, "danger": 3.40, "flood": 4.20}
# 危機管理型水位計 (k.river format): start, danger (危険水位), flood (氾濫開始).
CRISIS = [
    {"code": "0699900001", "name": "若葉川上流（簡易）", "lon": 140.158, "lat": 38.532,
     "start": 1.00, "warn": 2.00, "flad": 2.60},
    {"code": "0699900002", "name": "小沢川（簡易）", "lon": 140.096, "lat": 38.605,
     "start": 0.80, "warn": 1.60, "flad": 2.10},
]
AMEDAS = {"id": "35999", "name": "若葉川", "lat": 38.58, "lon": 140.09}
CAMERA = {"id": "cam-wakaba", "name": "若葉橋カメラ", "lon": 140.0885, "lat": 38.577}

# Shelters (指定緊急避難場所, GSI layout): (id, name, lon, lat, flood, landslide, quake).
SHELTERS = [
    ("E0629900001001", "若葉川市立中央小学校", 140.070, 38.569, "1", "1", "1"),
    ("E0629900001002", "若葉川市中央公民館", 140.102, 38.597, "1", "1", "1"),
    ("E0629900001003", "山手コミュニティセンター", 140.150, 38.545, "", "", "1"),
    ("E0629900001004", "川北中学校", 140.045, 38.628, "1", "1", "1"),
    ("E0629900001005", "若葉川市総合体育館", 140.120, 38.588, "1", "1", "1"),
]
# The shelters the HQ opens in the story.
OPENED = ["若葉川市立中央小学校", "若葉川市総合体育館"]

# Addresses (位置参照情報 大字・町丁目 layout): (code suffix, name, lon, lat).
ADDRESSES = [
    ("0001001", "本町一丁目", 140.076, 38.584), ("0001002", "本町二丁目", 140.080, 38.581),
    ("0001003", "本町三丁目", 140.084, 38.579), ("0002000", "川端町", 140.066, 38.589),
    ("0003000", "若葉町", 140.095, 38.572), ("0004000", "北浜", 140.030, 38.620),
    ("0005000", "桜台", 140.110, 38.595), ("0006000", "山手", 140.150, 38.540),
    ("0007000", "上流沢", 140.170, 38.520), ("0008000", "小沢", 140.097, 38.615),
]

# Roads: (name, [(lon, lat)...]), joining the flood zone to the shelters.
ROADS = [
    ("国道（架空）若葉川線", [(140.00, 38.57), (140.05, 38.575), (140.07, 38.569), (140.10, 38.573),
                       (140.12, 38.588), (140.16, 38.56), (140.20, 38.55)]),
    ("本町通り", [(140.066, 38.589), (140.076, 38.584), (140.084, 38.579), (140.088, 38.5765),
              (140.095, 38.572)]),
    ("中央小通り", [(140.076, 38.584), (140.073, 38.576), (140.070, 38.569)]),
    ("若葉橋通り", [(140.088, 38.5765), (140.102, 38.585), (140.120, 38.588)]),
    ("公民館通り", [(140.102, 38.585), (140.102, 38.597), (140.097, 38.615), (140.10, 38.635)]),
    ("川北線", [(140.066, 38.589), (140.055, 38.605), (140.045, 38.628), (140.03, 38.62)]),
    ("山手線", [(140.12, 38.588), (140.14, 38.565), (140.150, 38.545), (140.17, 38.52)]),
]

# The city's own sensor nodes (host-port simulator; their scenarios: demo/nodes.py):
# (device, station, name, lon, lat, mount height in m above the river bed).
NODES = [
    ("node-1", "wakaba-up", "若葉川上流センサー", 140.150, 38.537, 4.0),
    ("node-2", "wakaba-mid", "若葉川中流センサー", 140.112, 38.560, 4.5),
    ("node-3", "wakaba-bridge", "若葉橋センサー", 140.089, 38.576, 5.0),
    ("node-4", "ozawa", "小沢川センサー", 140.095, 38.600, 3.5),
    ("node-5", "wakaba-low", "若葉川下流センサー", 140.045, 38.603, 5.5),
]
