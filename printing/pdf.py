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


def release_memory() -> None:
    """Give back what rendering a CJK PDF took. Subsetting the CJK font (fontTools, inside
    WeasyPrint) builds hundreds of MB of objects in reference cycles; they are garbage after the
    PDF is written but wait for a full collection, and glibc keeps the freed heap in the process.
    Measured: an A5 invoice rendered again and again grew a process 140 → 825 MB after 20 PDFs;
    with a full collection and ``malloc_trim`` after each it stays at 60–70 MB. Call it once the
    PDF has been sent (``response.call_on_close``)."""
    import gc

    gc.collect()
    _malloc_trim()


def _malloc_trim() -> None:
    global _trim
    if _trim is None:
        import ctypes
        import ctypes.util

        try:
            _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to trim
            _trim = False
    if _trim:
        _trim(0)


_trim = None


def cjk_font_available() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=10).stdout
    return CJK_FONT in out
