"""HTML → PDF with WeasyPrint, for A4/A5 documents and the 80 mm receipt page.

The templates name a CJK font (Noto Sans CJK SC, from Debian's fonts-noto-cjk):
WeasyPrint does not fall back to a CJK font by itself, and Chinese would come out
as boxes. ``cjk_font_available`` lets a caller say so plainly instead.
"""

from __future__ import annotations

import shutil
import subprocess

CJK_FONT = "Noto Sans CJK SC"


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def cjk_font_available() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=10).stdout
    return CJK_FONT in out
