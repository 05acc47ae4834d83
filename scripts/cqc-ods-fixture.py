#!/usr/bin/env python3
"""Writes crates/pcn-import/tests/fixtures/cqc-2024-11/01_November_2024_HSCA_Active_Locations.ods:
a small CQC "HSCA Active Locations" workbook in the layout CQC publishes (the
header recorded in shared/data/README.md, sheet "HSCA Active Locations") as
LibreOffice writes an OpenDocument spreadsheet, with what a hand-written
fixture leaves out:

- the header row padded with empty, styled cells to the sheet's full width
  (1,024 columns), and column definitions with styles;
- a cover sheet before the data sheet;
- adjacent equal cells written once with table:number-columns-repeated
  ("-" under Brand ID and Brand Name; "Y" under two service columns);
- dates as office:value-type="date", numbers as office:value-type="float";
- spaces as <text:s/> and a name split across <text:span>s;
- trailing empty styled rows written once with table:number-rows-repeated
  (1,048,550 of them, as LibreOffice pads a sheet to its last row).

Run: python3 scripts/cqc-ods-fixture.py (from the repository root).
"""
import os
import re
import zipfile
from xml.sax.saxutils import escape

WIDTH = 1024
HEADER = [
    "Location ID", "Location ODS Code", "Location Name", "Care home?", "Location Type/Sector",
    "Location Inspection Directorate", "Location Primary Inspection Category",
    "Location Latest Overall Rating", "Publication Date", "Dormant (Y/N)", "Care homes beds",
    "Location Region", "Location Local Authority", "Location ONSPD CCG Code", "Location ONSPD CCG",
    "Location Commissioning CCG Code", "Location Commissioning CCG Name", "Location Street Address",
    "Location Address Line 2", "Location City", "Location County", "Location Postal Code",
    "Location Latitude", "Location Longitude", "Location Parliamentary Constituency",
    "Location HSCA start date", "Brand ID", "Brand Name", "Provider ID", "Provider Name",
    "Regulated activity - Accommodation for persons who require nursing or personal care",
    "Regulated activity - Treatment of disease, disorder or injury",
    "Service type - Care home service with nursing", "Service type - Care home service without nursing",
    "Service type - Doctors consultation service",
    "Service user band - Older People", "Service user band - Dementia",
]


def s(text):
    """A string cell; runs of spaces as <text:s/>, as LibreOffice writes them."""
    body = escape(text).replace("  ", ' <text:s text:c="1"/>')
    return f'<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{body}</text:p></table:table-cell>'


def spans(*parts):
    inner = "".join(f'<text:span text:style-name="T1">{escape(p)}</text:span>' for p in parts)
    return f'<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{inner}</text:p></table:table-cell>'


def f(value):
    return f'<table:table-cell office:value-type="float" office:value="{value}" calcext:value-type="float"><text:p>{value}</text:p></table:table-cell>'


def d(value):
    day, month, year = value[8:], value[5:7], value[:4]
    return (f'<table:table-cell table:style-name="ce2" office:value-type="date" office:date-value="{value}" '
            f'calcext:value-type="date"><text:p>{day}/{month}/{year}</text:p></table:table-cell>')


def rep(cell_xml, n):
    return cell_xml.replace("<table:table-cell ", f'<table:table-cell table:number-columns-repeated="{n}" ', 1)


def empty(n=1):
    return f'<table:table-cell table:number-columns-repeated="{n}"/>' if n > 1 else "<table:table-cell/>"


def pad(used):
    return f'<table:table-cell table:style-name="ce1" table:number-columns-repeated="{WIDTH - used}"/>'


def width(cells):
    """Columns the cells cover, counting repeats."""
    n = 0
    for cell in cells:
        m = re.match(r'<table:table-cell[^>]*?number-columns-repeated="(\d+)"', cell)
        n += int(m.group(1)) if m else 1
    return n


def row(cells):
    assert width(cells) == len(HEADER), width(cells)
    return f'<table:table-row table:style-name="ro1">{"".join(cells)}{pad(len(HEADER))}</table:table-row>'


def home(lid, ods, name_cell, care, sector, rating, dormant, beds, la, street, city, postcode, lat, lon,
         start, provider_id, provider, nursing, without, gp, older, dementia):
    cells = [s(lid), s(ods) if ods else empty(), name_cell, s(care), s(sector), s("Adult social care"),
             s("Residential social care"), s(rating), d("2024-10-14"), s(dormant),
             f(beds) if beds is not None else empty(), s("North East"), s(la), s("E38000247"),
             s("NHS North East and North Cumbria ICB - 16C"), s("16C"),
             s("NHS North East and North Cumbria ICB - 16C"), s(street), empty(), s(city), empty(),
             s(postcode), f(lat) if lat else empty(), f(lon) if lon else empty(), s("Stockton North"), d(start),
             rep(s("-"), 2), s(provider_id), s(provider)]
    # Regulated activities: accommodation (Y) and treatment (blank).
    cells += [s("Y"), empty()]
    services = [nursing, without, gp]
    cells += [s(v) if v else empty() for v in services]
    if older and dementia:
        cells.append(rep(s("Y"), 2))
    else:
        cells += [s(older) if older else empty(), s(dementia) if dementia else empty()]
    return row(cells)


rows = [
    row([s(h) for h in HEADER]),
    home("1-101234567", "VNX12", s("Oak Lodge Care Home"), "Y", "Social Care Org", "Good", "N", 40,
         "Stockton-on-Tees", "12 Oxbridge  Lane", "Stockton-on-Tees", "TS18 4AB", "54.55912", "-1.33007",
         "2011-03-01", "1-100000001", "Oak Care Ltd", "Y", "", "", "Y", "Y"),
    home("1-102345678", "", spans("Elm ", "House"), "Y", "Social Care Org", "Requires improvement", "N", 62,
         "Stockton-on-Tees", "3 Norton Road", "Stockton-on-Tees", "TS20 2AA", "54.58233", "-1.31255",
         "2015-06-22", "1-100000002", "Elm Homes Ltd", "", "Y", "", "Y", ""),
    home("1-103456789", "", s("Tees Medical Centre"), "N", "Primary Medical Services", "Good", "N", None,
         "Stockton-on-Tees", "1 High Street", "Stockton-on-Tees", "TS18 1AA", "54.5640", "-1.3120",
         "2013-04-01", "1-100000003", "Tees GP Partnership", "", "", "Y", "", ""),
    home("1-104567890", "", s("Willow Court"), "Y", "Social Care Org", "Inadequate", "Y", 25,
         "Darlington", "8 Grange Road", "Darlington", "DL1 5NR", "", "",
         "2019-09-09", "1-100000004", "Willow Care", "", "Y", "", "Y", "Y"),
    home("1-105678901", "", s("Birch View"), "Y", "Social Care Org", "Good", "N", None,
         "Darlington", "2 Yarm Road", "Darlington", "DL1 4AA", "54.52", "-1.53",
         "2020-01-06", "1-100000005", "Birch Care", "", "Y", "", "Y", ""),
]
trailing = (f'<table:table-row table:style-name="ro1" table:number-rows-repeated="1048550">'
            f'<table:table-cell table:style-name="ce1" table:number-columns-repeated="{WIDTH}"/></table:table-row>')

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
      'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"')
styles = ('<office:automatic-styles>'
          '<style:style style:name="co1" style:family="table-column"><style:table-column-properties style:column-width="0.889in"/></style:style>'
          '<style:style style:name="ro1" style:family="table-row"><style:table-row-properties style:row-height="0.178in"/></style:style>'
          '<style:style style:name="ta1" style:family="table" style:master-page-name="Default"><style:table-properties table:display="true"/></style:style>'
          '<number:date-style style:name="N37"><number:day number:style="long"/><number:text>/</number:text>'
          '<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>'
          '<style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Default"/>'
          '<style:style style:name="ce2" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N37"/>'
          '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>'
          '</office:automatic-styles>')
cover = ('<table:table table:name="Cover" table:style-name="ta1"><table:table-column table:style-name="co1"/>'
         '<table:table-row table:style-name="ro1">' + s("HSCA Active Locations: 1 November 2024") + '</table:table-row>'
         '<table:table-row table:style-name="ro1">' + s("Care Quality Commission. Locations registered under the Health and Social Care Act 2008.") + '</table:table-row>'
         '</table:table>')
data = ('<table:table table:name="HSCA Active Locations" table:style-name="ta1">'
        f'<table:table-column table:style-name="co1" table:number-columns-repeated="{len(HEADER)}" table:default-cell-style-name="Default"/>'
        f'<table:table-column table:style-name="co1" table:number-columns-repeated="{WIDTH - len(HEADER)}" table:default-cell-style-name="ce1"/>'
        + "".join(rows) + trailing + '</table:table>')
content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {NS} office:version="1.3">'
           f'{styles}<office:body><office:spreadsheet>{cover}{data}</office:spreadsheet></office:body></office:document-content>')
manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>')
meta = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3"><office:meta>'
        '<meta:generator>LibreOffice/7.4</meta:generator></office:meta></office:document-meta>')

out = "crates/pcn-import/tests/fixtures/cqc-2024-11/01_November_2024_HSCA_Active_Locations.ods"
os.makedirs(os.path.dirname(out), exist_ok=True)
with zipfile.ZipFile(out, "w") as z:
    z.writestr(zipfile.ZipInfo("mimetype", (1980, 1, 1, 0, 0, 0)), "application/vnd.oasis.opendocument.spreadsheet",
               compress_type=zipfile.ZIP_STORED)
    for name, body in [("META-INF/manifest.xml", manifest), ("meta.xml", meta), ("content.xml", content)]:
        z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), body, compress_type=zipfile.ZIP_DEFLATED)
print(out, os.path.getsize(out), "bytes")
