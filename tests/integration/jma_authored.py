"""Authored JMA telegrams and Atom feeds for the collector tests, built on
real telegrams as templates (labelled authored in tests/fixtures/SOURCES.md).

A telegram is a real one from ../shared/fixtures/jma_xml with its Control
(Title, DateTime, Status, EditorialOffice), Head (Title, ReportDateTime,
EventID, InfoType, Serial) and Body/Warning replaced by what a test says;
everything else (namespaces, Head/InfoKind, the element layout JMA uses) is
the template's.  A feed is an Atom document in the layout of the real PULL
feeds of ../shared/fixtures/jma_feed (entry title = Control/Title, author =
発表官署, link/@href = telegram URL, updated in UTC)."""

import datetime
import os
import xml.etree.ElementTree as ET

from sonaetest import FIXTURES

JMX = "http://xml.kishou.go.jp/jmaxml1/"
IB = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/"
METE = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"
ATOM = "http://www.w3.org/2005/Atom"
for prefix, uri in (("jmx", JMX), ("jmx_ib", IB), ("jmx_mete", METE),
                    ("jmx_eb", "http://xml.kishou.go.jp/jmaxml1/elementBasis1/"),
                    ("jmx_add", "http://xml.kishou.go.jp/jmaxml1/addition1/")):
    ET.register_namespace(prefix, uri)

XML = os.path.join(FIXTURES, "jma_xml")
TEMPLATES = {
    # type: (template file, Control/Title, Body/Warning@type)
    "VPWW53": ("operational/20240725040511_0_VPWW54_060000.xml", "気象特別警報・警報・注意報",
               "気象警報・注意報（市町村等）"),
    "VPWW54": ("operational/20240725040511_0_VPWW54_060000.xml", "気象警報・注意報（Ｈ２７）",
               "気象警報・注意報（市町村等）"),
    "VPWW55": ("operational/20260830_fukui_VPWW55_L5_FlEq-18_00_01_260830.xml",
               "気象警報・注意報（Ｒ０６）（大雨）", "気象警報・注意報（市町村等）"),
    "VPWW56": ("official_samples/15_17_01_250630_VPWW56.xml", "気象警報・注意報（Ｒ０６）（土砂）",
               "気象警報・注意報（市町村等）"),
    "VXWW50": ("official_samples/17_01_01_190529_VXWW50.xml", "土砂災害警戒情報", "土砂災害警戒情報"),
    "VXWW50R06": ("official_samples/17_04_01_250630_VXWW50.xml", "土砂災害警戒情報", "土砂災害警戒情報"),
}
YAMAGATA = "山形地方気象台"
HEAD_TITLES = {
    "VPWW53": "山形県気象警報・注意報", "VPWW54": "山形県気象警報・注意報",
    "VPWW55": "山形県大雨警報・注意報", "VPWW56": "山形県土砂災害警報・注意報",
    "VXWW50": "山形県土砂災害警戒情報", "VXWW50R06": "山形県レベル４土砂災害危険警報",
}
JST = datetime.timezone(datetime.timedelta(hours=9))


def utc(s):
    """'2024-07-25T20:00' JST -> aware datetime."""
    return datetime.datetime.fromisoformat(s).replace(tzinfo=JST)


def _set(parent, ns, name, text):
    el = parent.find(f"{{{ns}}}{name}")
    if el is None:
        el = ET.SubElement(parent, f"{{{ns}}}{name}")
    el.text = text


def telegram(kind, when, areas, status="通常", info_type="発表", event_id=None, serial=None,
             head_title=None, office=YAMAGATA):
    """Bytes of an authored telegram.  kind: a TEMPLATES key; when: JST
    datetime (Control/DateTime and ReportDateTime); areas: [(code, name,
    [(kind_code, kind_name, kind_status)])]."""
    path, title, wtype = TEMPLATES[kind]
    tree = ET.parse(os.path.join(XML, path))
    root = tree.getroot()
    control = root.find(f"{{{JMX}}}Control")
    _set(control, JMX, "Title", title)
    _set(control, JMX, "DateTime", when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _set(control, JMX, "Status", status)
    _set(control, JMX, "EditorialOffice", office)
    _set(control, JMX, "PublishingOffice", office)
    head = root.find(f"{{{IB}}}Head")
    _set(head, IB, "Title", head_title or HEAD_TITLES[kind])
    stamp = when.strftime("%Y-%m-%dT%H:%M:00+09:00")
    _set(head, IB, "ReportDateTime", stamp)
    _set(head, IB, "TargetDateTime", stamp)
    _set(head, IB, "InfoType", info_type)
    head.find(f"{{{IB}}}EventID").text = event_id
    head.find(f"{{{IB}}}Serial").text = None if serial is None else str(serial)
    headline = head.find(f"{{{IB}}}Headline")
    headline.find(f"{{{IB}}}Text").text = "（試験用の作成電文）"
    for info in headline.findall(f"{{{IB}}}Information"):
        headline.remove(info)
    body = root.find(f"{{{METE}}}Body")
    warnings = body.findall(f"{{{METE}}}Warning")
    pos = list(body).index(warnings[0])
    for w in warnings:
        body.remove(w)
    w = ET.Element(f"{{{METE}}}Warning", {"type": wtype})
    for code, name, kinds in areas:
        item = ET.SubElement(w, f"{{{METE}}}Item")
        for kc, kn, ks in kinds:
            k = ET.SubElement(item, f"{{{METE}}}Kind")
            ET.SubElement(k, f"{{{METE}}}Name").text = kn
            ET.SubElement(k, f"{{{METE}}}Code").text = kc
            ET.SubElement(k, f"{{{METE}}}Status").text = ks
        area = ET.SubElement(item, f"{{{METE}}}Area")
        ET.SubElement(area, f"{{{METE}}}Name").text = name
        ET.SubElement(area, f"{{{METE}}}Code").text = code
    body.insert(pos, w)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def doc_path(kind, when, serial=0):
    """The PULL-feed file name of a telegram: /data/YYYYMMDDhhmmss_0_TYPE_060000.xml (UTC);
    serial distinguishes two telegrams of one type and second."""
    t = when.astimezone(datetime.timezone.utc) + datetime.timedelta(seconds=serial)
    code = "VXWW50" if kind.startswith("VXWW50") else kind
    return f"/data/{t.strftime('%Y%m%d%H%M%S')}_0_{code}_060000.xml"


def feed(entries, title="高頻度（随時）"):
    """An Atom feed of entries [(title, author, href, updated datetime)], newest first."""
    root = ET.Element(f"{{{ATOM}}}feed", {"lang": "ja"})
    ET.register_namespace("", ATOM)
    ET.SubElement(root, f"{{{ATOM}}}title").text = title
    newest = max((e[3] for e in entries), default=utc("2024-01-01T00:00"))
    ET.SubElement(root, f"{{{ATOM}}}updated").text = newest.astimezone(JST).isoformat()
    ET.SubElement(root, f"{{{ATOM}}}id").text = "urn:sonae-test:feed"
    for t, author, href, updated in sorted(entries, key=lambda e: e[3], reverse=True):
        e = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(e, f"{{{ATOM}}}title").text = t
        ET.SubElement(e, f"{{{ATOM}}}id").text = href
        ET.SubElement(e, f"{{{ATOM}}}updated").text = \
            updated.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        a = ET.SubElement(e, f"{{{ATOM}}}author")
        ET.SubElement(a, f"{{{ATOM}}}name").text = author
        ET.SubElement(e, f"{{{ATOM}}}link", {"type": "application/xml", "href": href})
        ET.SubElement(e, f"{{{ATOM}}}content", {"type": "text"}).text = t
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def rewrite_feed(path, base):
    """A real feed's bytes with the telegram links moved from JMA's host to base."""
    with open(path, "rb") as f:
        data = f.read()
    return data.replace(b"https://www.data.jma.go.jp/developer/xml/", base.encode())


# The real VPOA50 / VPBS50 twins of 2026-08-22 (東京都, EventID with and
# without the leading K), templates of the authored heavy-rain twins.
RAIN_TWINS = {
    "VPOA50": "operational/20260822_tokyo_VPOA50_JPTK202608221709_202608221717.xml",
    "VPBS50": "operational/20260822_tokyo_VPBS50_KJPTK202608221709_202608221717.xml",
}


def rain_twin(kind, when, event_id, pref=("060000", "山形県"), places=(("0620300", "鶴岡市"),),
              status="通常", warning_area=None):
    """Bytes of an authored 記録的短時間大雨 telegram on the real 2026-08-22
    twins: VPOA50 (記録的短時間大雨情報, Body/Warning for the 府県予報区 pref,
    or for warning_area (code, name): a municipality no real VPOA50 names,
    to exercise the twin rule) or VPBS50 (府県気象防災速報, one 雨の実況 Item
    per municipality of places, EventID "K" + event_id).  when: JST datetime."""
    tree = ET.parse(os.path.join(XML, RAIN_TWINS[kind]))
    root = tree.getroot()
    control = root.find(f"{{{JMX}}}Control")
    _set(control, JMX, "DateTime", when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _set(control, JMX, "Status", status)
    head = root.find(f"{{{IB}}}Head")
    stamp = when.strftime("%Y-%m-%dT%H:%M:00+09:00")
    _set(head, IB, "ReportDateTime", stamp)
    _set(head, IB, "TargetDateTime", stamp)
    _set(head, IB, "EventID", ("K" if kind == "VPBS50" else "") + event_id)
    suffix = "気象防災速報（記録的短時間大雨）" if kind == "VPBS50" else "記録的短時間大雨情報"
    _set(head, IB, "Title", pref[1] + suffix)
    head.find(f"{{{IB}}}Headline/{{{IB}}}Text").text = "（試験用の作成電文）"
    for a in head.iter(f"{{{IB}}}Area"):
        a.find(f"{{{IB}}}Name").text, a.find(f"{{{IB}}}Code").text = pref[1], pref[0]
    body = root.find(f"{{{METE}}}Body")
    if kind == "VPOA50":
        code, name = warning_area or pref
        for a in body.iter(f"{{{METE}}}Area"):
            a.find(f"{{{METE}}}Name").text, a.find(f"{{{METE}}}Code").text = name, code
    else:
        mi = body.find(f"{{{METE}}}MeteorologicalInfos/{{{METE}}}MeteorologicalInfo")
        template = mi.find(f"{{{METE}}}Item")
        mi.remove(template)
        for code, name in places:
            item = ET.fromstring(ET.tostring(template))
            area = item.find(f"{{{METE}}}Area")
            area.find(f"{{{METE}}}Name").text, area.find(f"{{{METE}}}Code").text = name, code
            mi.append(item)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
