"""JMA 防災情報XML telegrams and PULL Atom feeds, authored by the Sonae
project for the demo and drills.

The layout follows JMA's published telegrams (Control, Head with Headline,
Body/Warning/Item/Kind + Area; 指定河川洪水予報 with its 河川 area and the
浸水想定地区 item) so that the same parser that reads JMA's own telegrams
reads these.  They carry whatever Status the scenario gives (訓練 for the
demo and drills) and say in their Headline that they are authored."""

import datetime
from xml.sax.saxutils import escape

JST = datetime.timezone(datetime.timedelta(hours=9))
UTC = datetime.timezone.utc

# type: (Control/Title, Head/Title suffix, InfoKind, InfoKindVersion, Warning@type)
KINDS = {
    "VPWW53": ("気象特別警報・警報・注意報", "気象特別警報・警報・注意報", "気象警報・注意報", "1.2_0",
               "気象警報・注意報（市町村等）"),
    "VPWW54": ("気象警報・注意報（Ｈ２７）", "気象警報・注意報", "気象警報・注意報", "1.2_0",
               "気象警報・注意報（市町村等）"),
    "VPWW55": ("気象警報・注意報（Ｒ０６）（大雨）", "大雨警報・注意報", "気象警報・注意報", "1.5_0",
               "気象警報・注意報（市町村等）"),
    "VPWW56": ("気象警報・注意報（Ｒ０６）（土砂）", "土砂災害警報・注意報", "気象警報・注意報", "1.5_0",
               "気象警報・注意報（市町村等）"),
    "VXWW50": ("土砂災害警戒情報", "土砂災害警戒情報", "土砂災害警戒情報", "1.0_0", "土砂災害警戒情報"),
    "VXKO": ("指定河川洪水予報", "", "指定河川洪水予報", "1.1_1", "指定河川洪水予報"),
}


def _t(tag, text):
    return f"<{tag}>{escape(text)}</{tag}>"


def telegram(kind, when, office, areas, status="訓練", info_type="発表", serial=1, event_id=None,
             head_title=None, headline=None, river=None):
    """Bytes of a telegram.  kind: a KINDS key; when: aware datetime
    (Control/DateTime, ReportDateTime); areas: [(code, name, [(kind_code,
    kind_name, kind_status)])]; river (VXKO only): (river code, river name,
    forecast area code) of the 指定河川."""
    title, head_suffix, info_kind, version, wtype = KINDS[kind]
    dt = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = when.astimezone(JST).strftime("%Y-%m-%dT%H:%M:00+09:00")
    head_title = head_title or head_suffix
    text = headline or "（訓練・デモ用に作成した電文です）"
    items = []
    if kind == "VXKO":
        rcode, rname, _fcode = river
        for code, name, kinds in areas:
            for kc, kn, ks in kinds:
                items.append(
                    "<Item><Kind>" + _t("Name", kn) + _t("Code", kc) + _t("Status", ks) +
                    "<Property><Type>主文</Type>" + _t("Text", f"{rname}では{kn}を発表しました。") +
                    "</Property></Kind><Areas codeType=\"河川\"><Area>" + _t("Name", rname) +
                    _t("Code", rcode) + "</Area></Areas></Item>")
            items.append(
                "<Item><Kind><Name>浸水想定地区</Name><Code>1</Code><Status>対象地域</Status>"
                "<Property><Type>浸水想定地区</Type><Text>氾濫による浸水が想定される地区</Text></Property>"
                "</Kind><Areas codeType=\"水位周知河川の浸水想定地区\"><Area>" + _t("Name", name) +
                _t("Code", code) + "</Area></Areas></Item>")
    else:
        for code, name, kinds in areas:
            ks_xml = "".join("<Kind>" + _t("Name", kn) + _t("Code", kc) + _t("Status", ks) + "</Kind>"
                             for kc, kn, ks in kinds)
            items.append("<Item>" + ks_xml + "<Area>" + _t("Name", name) + _t("Code", code) +
                         "</Area></Item>")
    eid = event_id if event_id is not None else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Report xmlns="http://xml.kishou.go.jp/jmaxml1/" xmlns:jmx="http://xml.kishou.go.jp/jmaxml1/">\n'
        "<Control>" + _t("Title", title) + _t("DateTime", dt) + _t("Status", status) +
        _t("EditorialOffice", office) + _t("PublishingOffice", office) + "</Control>\n"
        '<Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">' + _t("Title", head_title) +
        _t("ReportDateTime", stamp) + _t("TargetDateTime", stamp) + _t("EventID", eid) +
        _t("InfoType", info_type) + _t("Serial", str(serial)) + _t("InfoKind", info_kind) +
        _t("InfoKindVersion", version) + "<Headline>" + _t("Text", text) + "</Headline></Head>\n"
        '<Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/" '
        'xmlns:jmx_eb="http://xml.kishou.go.jp/jmaxml1/elementBasis1/">'
        f'<Warning type="{wtype}">' + "".join(items) + "</Warning></Body>\n</Report>\n")
    return xml.encode("utf-8")


def doc_name(kind, when, n):
    """The PULL feed file name: YYYYMMDDhhmmss_N_TYPE_060000.xml (UTC)."""
    code = "VXKO50" if kind == "VXKO" else kind
    return f"{when.astimezone(UTC).strftime('%Y%m%d%H%M%S')}_{n}_{code}_060000.xml"


def feed(entries, title="高頻度（随時）"):
    """An Atom feed of entries [(title, author, href, updated)], newest first."""
    entries = sorted(entries, key=lambda e: e[3], reverse=True)
    newest = entries[0][3] if entries else datetime.datetime.now(UTC)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" lang="ja">',
           _t("title", title), "<subtitle>JMAXML publishing feed (Sonae demo replay)</subtitle>",
           _t("updated", newest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
           "<id>urn:sonae:demo:feed</id>"]
    for t, author, href, updated in entries:
        out.append("<entry>" + _t("title", t) + _t("id", href) +
                   _t("updated", updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")) +
                   "<author>" + _t("name", author) + "</author>" +
                   f'<link type="application/xml" href="{escape(href)}"/>' +
                   '<content type="text">' + escape(t) + "</content></entry>")
    out.append("</feed>\n")
    return "".join(out).encode("utf-8")
