"""QR codes for screens and PDFs (inline SVG, no image files, no CDN)."""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby

import zxingcpp
from markupsafe import Markup

#: modules of quiet zone drawn around the code (the page's card around it adds more white)
BORDER = 2


@lru_cache(maxsize=256)
def qr_svg(data: str) -> Markup:
    """An inline ``<svg>`` QR code for ``data``: a full QR code (never a Micro QR, which phones' scanners
    often do not read), error correction M as on printed vouchers, a quiet zone of 2 modules. It has a
    ``viewBox`` and no size: the page's CSS sizes it (``.vd-qr svg``, ``.qr svg``).

    The symbol is made by zxing-cpp (its writer is libzint), which chooses the mask pattern as the
    QR standard asks (the one of eight that scores best on the four penalty rules) in C: ≈ 0.2 ms a
    code, where segno, scoring the eight masks in Python, took ≈ 3 ms — a third of the voucher page's
    CPU (issue 19). Drawn here as one path, a stroke a run of dark modules. Remembered for the last 256
    codes all the same (the voucher page, the announcement, the A5 copy and the delivery slip draw the
    same voucher's code)."""
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    rows = memoryview(code.to_image(scale=1, add_quiet_zones=False)).tolist()  # 0 = dark, 255 = light
    runs = []
    for y, row in enumerate(rows):
        x = 0
        for light, modules in groupby(row, key=bool):
            n = len(list(modules))
            if not light:
                runs.append(f"M{x + BORDER} {y + BORDER + 0.5}h{n}")
            x += n
    size = len(rows) + 2 * BORDER
    return Markup(f'<svg role="img" aria-label="QR" viewBox="0 0 {size} {size}" class="qr" '
                  f'xmlns="http://www.w3.org/2000/svg"><path stroke="#000" d="{"".join(runs)}"/></svg>')
