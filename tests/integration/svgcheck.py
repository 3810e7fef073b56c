"""Helpers to check an SVG plot the way a reader sees it: well-formed XML
(xmllint), rendered to a PNG by headless chromium, and the PNG's pixels
decoded here in pure Python (zlib only, no PIL).

    xmllint_ok(path)                       -> None, or AssertionError with
                                              xmllint's complaint
    render_png(svg, png, width, height)    -> None (chromium, 60 s at most)
    png_pixels(path)                       -> Png: .width, .height,
                                              .rgb(x, y) -> (r, g, b)
    count_colour(png, rgb, tol, box=None)  -> pixels within TOL of RGB
                                              (each channel), in BOX
                                              (x0, y0, x1, y1; x1, y1
                                              excluded) or everywhere
    colours(png, box=None)                 -> the set of distinct colours
    plot_layout()                          -> agent/plot.h's SW_PLOT_*
                                              numbers and colours, so a
                                              test computes where things are
                                              drawn from the same constants

Needs Debian's libxml2-utils (xmllint) and chromium (scripts/deps test);
a missing tool fails the test with a message naming the package.
"""

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PLOT_H = Path(__file__).resolve().parents[2] / "agent" / "plot.h"


def _tool(path: str, package: str) -> str:
    p = shutil.which(path)
    if not p:
        pytest.fail(f"{path} is missing: apt-get install {package} (scripts/deps test)",
                    pytrace=False)
    return p


def xmllint_ok(path) -> None:
    """PATH is well-formed XML: `xmllint --noout` says nothing and exits 0."""
    r = subprocess.run([_tool("xmllint", "libxml2-utils"), "--noout", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr, f"xmllint {path}:\n{r.stderr}"


def render_png(svg_path, png_path, width: int, height: int) -> None:
    """Render SVG_PATH at 100 % into a WIDTH x HEIGHT PNG at PNG_PATH with
    headless chromium.  Chromium's stderr is noise (no D-Bus, no GPU) unless
    it fails; then the end of it is in the assertion message."""
    exe = _tool(CHROMIUM, "chromium")
    png_path = Path(png_path)
    if png_path.exists():
        png_path.unlink()
    # A profile of its own: nothing read from or left in $HOME.
    with tempfile.TemporaryDirectory(prefix="svgcheck-chromium-") as prof:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu",
               "--hide-scrollbars", "--force-device-scale-factor=1",
               "--no-first-run", "--disable-extensions", f"--user-data-dir={prof}",
               f"--screenshot={png_path}", f"--window-size={width},{height}",
               Path(svg_path).resolve().as_uri()]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                               env={**os.environ, "HOME": prof})
        except subprocess.TimeoutExpired:
            pytest.fail(f"chromium did not render {svg_path} within 60 s", pytrace=False)
    tail = "\n".join((r.stderr or "").splitlines()[-15:])
    assert r.returncode == 0, f"chromium exited {r.returncode}:\n{tail}"
    assert png_path.exists() and png_path.stat().st_size > 0, \
        f"chromium wrote no {png_path}:\n{tail}"


class Png:
    """A decoded 8-bit PNG: width, height, and the pixels as RGB."""

    def __init__(self, width, height, rows, channels, palette):
        self.width, self.height = width, height
        self._rows, self._ch, self._pal = rows, channels, palette

    def rgb(self, x: int, y: int):
        row, c = self._rows[y], self._ch
        if self._pal is not None:
            return self._pal[row[x]]
        if c <= 2:  # grey, grey + alpha
            g = row[x * c]
            return (g, g, g)
        return tuple(row[x * c:x * c + 3])


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_pixels(path) -> Png:
    """Decode PATH: 8-bit grey, RGB, palette, grey + alpha or RGBA, not
    interlaced (what chromium writes).  Alpha is ignored."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat, palette, hdr = 8, [], None, None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0], \
            f"{path}: bad CRC in {kind!r}"
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert hdr, f"{path}: no IHDR"
    width, height, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and interlace == 0, f"{path}: depth {depth}, interlace {interlace}"
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride, bpp = width * channels, channels
    rows, prev, off = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        off += 1 + stride
        if ftype == 1:    # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif ftype == 2:  # Up
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
        elif ftype == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif ftype == 4:  # Paeth
            for i in range(stride):
                if i >= bpp:
                    line[i] = (line[i] + _paeth(line[i - bpp], prev[i], prev[i - bpp])) & 0xff
                else:
                    line[i] = (line[i] + prev[i]) & 0xff
        else:
            assert ftype == 0, f"{path}: filter type {ftype}"
        rows.append(line)
        prev = line
    return Png(width, height, rows, channels, palette if ctype == 3 else None)


def _box(png: Png, box):
    x0, y0, x1, y1 = box if box else (0, 0, png.width, png.height)
    return (max(0, int(x0)), max(0, int(y0)), min(png.width, int(x1)), min(png.height, int(y1)))


def count_colour(png: Png, rgb, tol: int = 0, box=None) -> int:
    """Pixels whose every channel is within TOL of RGB ((r, g, b) or
    "#rrggbb"), in BOX (x0, y0, x1, y1; x1 and y1 excluded) or the whole
    image."""
    if isinstance(rgb, str):
        rgb = tuple(int(rgb[i:i + 2], 16) for i in (1, 3, 5))
    x0, y0, x1, y1 = _box(png, box)
    n = 0
    for y in range(y0, y1):
        for x in range(x0, x1):
            p = png.rgb(x, y)
            if abs(p[0] - rgb[0]) <= tol and abs(p[1] - rgb[1]) <= tol \
                    and abs(p[2] - rgb[2]) <= tol:
                n += 1
    return n


def colours(png: Png, box=None) -> set:
    """The distinct (r, g, b) colours in BOX or the whole image."""
    x0, y0, x1, y1 = _box(png, box)
    return {png.rgb(x, y) for y in range(y0, y1) for x in range(x0, x1)}


def plot_layout() -> dict:
    """agent/plot.h's layout numbers ({"LEFT": 80, ...}) and colours
    ({"ALARM_FILL": "#f6b3b3", ...}), read from the header itself."""
    out = {}
    for m in re.finditer(r'^#define SW_PLOT_(\w+)\s+("#[0-9a-fA-F]{6}"|\d+\b)',
                         PLOT_H.read_text(), re.M):
        v = m.group(2)
        out[m.group(1)] = v.strip('"') if v.startswith('"') else int(v)
    return out
