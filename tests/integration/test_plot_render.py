"""agent/plot's SVG as a reader sees it: tests/tools/plot_sample (built by
`make check` next to the binary, $STREAMWATCH_BIN) writes a known two-panel
plot; it must be well-formed XML (xmllint), keep names with & < > " as text,
and render in headless chromium with the ALARM shading exactly where the
sample's ALARM span is, the INSUFFICIENT_DATA hatching where its span is,
and both still apart in greyscale.

The sample (see tests/tools/plot_sample.c): 2026-11-25 08:00-14:00 UTC.
Panel 0 is ALARM 10:03-11:03 and INSUFFICIENT_DATA 08:00-08:30; panel 1 is
INSUFFICIENT_DATA 12:00-14:00.  Positions come from agent/plot.h's layout
constants (svgcheck.plot_layout())."""

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import svgcheck

SVG_NS = "{http://www.w3.org/2000/svg}"
SPAN_S = 6 * 3600          # the sample's range, seconds
ALARM = (2 * 3600 + 3 * 60, 3 * 3600 + 3 * 60)    # 10:03-11:03, from 08:00
PANEL0_ID = (0, 1800)                                  # 08:00-08:30
PANEL1_ID = (4 * 3600, SPAN_S)                         # 12:00-14:00


def _tool() -> Path:
    b = os.environ.get("STREAMWATCH_BIN")
    if not b:
        pytest.fail("STREAMWATCH_BIN is not set", pytrace=False)
    p = Path(b).resolve().parent / "tests" / "tools" / "plot_sample"
    if not os.access(p, os.X_OK):
        pytest.fail(f"{p} is missing: build it with `make check`", pytrace=False)
    return p


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(svg path, decoded PNG, layout) of the sample, rendered once."""
    d = tmp_path_factory.mktemp("plot")
    svg, png = d / "sample.svg", d / "sample.png"
    subprocess.run([str(_tool()), str(svg)], check=True, timeout=30)
    lay = svgcheck.plot_layout()
    h = lay["HEADER_H"] + 2 * lay["PANEL_H"] + lay["FOOTER_H"]
    svgcheck.render_png(svg, png, lay["WIDTH"], h)
    return svg, svgcheck.png_pixels(png), lay


def _x(lay, s):
    return lay["LEFT"] + s * (lay["RIGHT"] - lay["LEFT"]) / SPAN_S


def _area(lay, panel):
    """(top, bottom) of PANEL's plot area."""
    top = lay["HEADER_H"] + panel * lay["PANEL_H"] + lay["AREA_TOP"]
    return top, top + lay["AREA_H"]


def _lum(p):
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]


def _stddev(vals):
    m = sum(vals) / len(vals)
    return (sum((v - m) ** 2 for v in vals) / len(vals)) ** 0.5


def test_well_formed_and_escaped(sample):
    svg, _, lay = sample
    svgcheck.xmllint_ok(svg)
    root = ET.parse(svg).getroot()
    assert root.tag == SVG_NS + "svg"
    assert root.get("width") == str(lay["WIDTH"])
    assert root.find(SVG_NS + "title").text == 'backtest: sample "day"'
    texts = ["".join(t.itertext()) for t in root.iter(SVG_NS + "text")]
    assert "sample-incoming-high & <friends>" in texts
    assert "IncomingRecords Sum per 60 s > 1000.0 for 3 of 5" in texts
    assert "threshold 1000.0" in texts and "threshold 50.0" in texts
    for lab in ("08:00", "10:00", "14:00", "2026-11-25", "UTC", "ALARM",
                "INSUFFICIENT_DATA", "1500", "2000"):
        assert lab in texts, lab
    # one polyline per run: panel 0 breaks at 12:00-12:30
    polys = root.findall(f".//{SVG_NS}g[@class='series']/{SVG_NS}polyline")
    assert len(polys) == 3


def test_xmllint_rejects_broken_svg(tmp_path):
    """The helper itself: a document that is not well-formed fails."""
    bad = tmp_path / "bad.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>')
    with pytest.raises(AssertionError):
        svgcheck.xmllint_ok(bad)


def test_rendered_not_blank(sample):
    _, png, lay = sample
    assert (png.width, png.height) == (lay["WIDTH"], lay["HEADER_H"] + 2 * lay["PANEL_H"]
                                       + lay["FOOTER_H"])
    white = svgcheck.count_colour(png, (255, 255, 255), 0)
    assert white < 0.9 * png.width * png.height
    assert len(svgcheck.colours(png)) > 50
    # the value line, dark blue, in both plot areas
    for panel in (0, 1):
        top, bottom = _area(lay, panel)
        assert svgcheck.count_colour(png, lay["LINE"], 40,
                                     (lay["LEFT"], top, lay["RIGHT"], bottom)) > 300


def test_alarm_shading_where_the_span_is(sample):
    _, png, lay = sample
    fill = lay["ALARM_FILL"]
    top, bottom = _area(lay, 0)
    x0, x1 = _x(lay, ALARM[0]), _x(lay, ALARM[1])
    # the exact colour in the middle of the span (below the line)
    mid = png.rgb(int((x0 + x1) / 2), bottom - 10)
    assert mid == tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5)), mid
    # most of the span, nothing of it left or right of it or in panel 1
    inside = svgcheck.count_colour(png, fill, 2, (x0 + 2, top + 2, x1 - 2, bottom - 2))
    assert inside > 0.8 * (x1 - x0 - 4) * (lay["AREA_H"] - 4)
    assert svgcheck.count_colour(png, fill, 2, (lay["LEFT"], top, x0 - 2, bottom)) == 0
    assert svgcheck.count_colour(png, fill, 2, (x1 + 2, top, lay["RIGHT"], bottom)) == 0
    top1, bottom1 = _area(lay, 1)
    assert svgcheck.count_colour(png, fill, 2, (lay["LEFT"], top1, lay["RIGHT"], bottom1)) == 0


def test_hatching_where_insufficient_data_is(sample):
    _, png, lay = sample
    hatch = lay["HATCH"]
    for panel, (s0, s1) in ((0, PANEL0_ID), (1, PANEL1_ID)):
        top, bottom = _area(lay, panel)
        box = (_x(lay, s0) + 2, top + 2, _x(lay, s1) - 2, bottom - 2)
        area = (box[2] - box[0]) * (box[3] - box[1])
        # lines about a quarter of the area (0.20 measured), white between
        assert svgcheck.count_colour(png, hatch, 40, box) > 0.12 * area
        assert svgcheck.count_colour(png, (255, 255, 255), 10, box) > 0.4 * area
    # and none where the alarm was OK (panel 1 before 12:00)
    top, bottom = _area(lay, 1)
    assert svgcheck.count_colour(png, hatch, 30,
                                 (lay["LEFT"] + 2, top + 2, _x(lay, 4 * 3600) - 3,
                                  bottom - 2)) == 0


def test_greyscale_keeps_them_apart(sample):
    """Printed in grey, ALARM is a flat mid-light grey and INSUFFICIENT_DATA
    stripes: their mean luminance and spread differ."""
    _, png, lay = sample
    top, bottom = _area(lay, 0)
    x0, x1 = _x(lay, ALARM[0]), _x(lay, ALARM[1])
    alarm = [_lum(png.rgb(x, y)) for x in range(int(x0) + 3, int(x1) - 3)
             for y in range(bottom - 40, bottom - 2)]
    top1, bottom1 = _area(lay, 1)
    hatched = [_lum(png.rgb(x, y)) for x in range(int(_x(lay, 4 * 3600)) + 3, lay["RIGHT"] - 150)
               for y in range(top1 + 40, bottom1 - 40)]
    assert 150 < sum(alarm) / len(alarm) < 235   # visibly grey, not white
    assert _stddev(alarm) < 5                      # and flat
    assert _stddev(hatched) > 30                   # stripes
