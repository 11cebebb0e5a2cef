"""The QR codes the screens and PDFs draw (pos.qr): full QR symbols, error correction M, drawn
module for module as the symbol has them — read back from the SVG's own path by a decoder."""

import re

import zxingcpp
from PIL import Image, ImageDraw

from pos.qr import BORDER, qr_svg


def raster(svg: str, scale: int = 8) -> Image.Image:
    """The SVG drawn as it says: each ``M x y hN`` a run of N dark modules in row y − 0.5."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in re.findall(r"M(\d+) ([\d.]+)h(\d+)", svg):
        top = int(float(y) - 0.5)
        draw.rectangle([int(x) * scale, top * scale, (int(x) + int(n)) * scale - 1, (top + 1) * scale - 1], fill=0)
    return image


def test_a_voucher_number_is_a_full_qr_code_a_scanner_reads():
    for data in ("V20261127-0025", "QT20261127-0003", "V20261231-9999"):
        svg = str(qr_svg(data))
        assert svg.startswith('<svg role="img" aria-label="QR" viewBox="0 0 25 25" class="qr"')  # version 1: 21 + 2 × 2
        assert "width=" not in svg and "height=" not in svg  # the page's CSS sizes it
        found = zxingcpp.read_barcodes(raster(svg))
        assert [(b.text, b.format, b.ec_level) for b in found] == [(data, zxingcpp.BarcodeFormat.QRCode, "M")]
        assert found[0].symbology_identifier.startswith("]Q")  # a QR code, not a Micro QR


def test_the_quiet_zone_is_left_white_and_the_finder_patterns_are_in_the_corners():
    svg = str(qr_svg("V20261127-0025"))
    runs = [(int(x), float(y), int(n)) for x, y, n in re.findall(r"M(\d+) ([\d.]+)h(\d+)", svg)]
    assert min(x for x, _y, _n in runs) == BORDER and min(y for _x, y, _n in runs) == BORDER + 0.5
    assert max(x + n for x, _y, n in runs) == 21 + BORDER and max(y for _x, y, _n in runs) == 20 + BORDER + 0.5
    first_row = [(x, n) for x, y, n in runs if y == BORDER + 0.5]
    assert first_row[0] == (BORDER, 7) and first_row[-1] == (BORDER + 14, 7)  # the top finder patterns
    assert qr_svg("V20261127-0025") is qr_svg("V20261127-0025")  # remembered
