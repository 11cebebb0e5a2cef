"""HTML → PDF with WeasyPrint, for A4/A5 documents and the 80 mm receipt page.

The templates name a CJK font: first ``PRINT_FONT`` ("Noto Sans CJK SC Print", a GB 2312 subset of Noto
Sans CJK SC built at install time, see printing/print_fonts.py), then the full system font
(Noto Sans CJK SC, from Debian's fonts-noto-cjk) for any character the subset lacks. WeasyPrint
does not fall back to a CJK font by itself, and Chinese would come out as boxes.
``cjk_font_available`` lets a caller say so plainly instead.

Each thread renders with one font configuration (fontconfig + Pango's font map) and one parsed
``@font-face`` stylesheet for its whole life instead of new ones per PDF. Measured on an A5
invoice: a new configuration per PDF cost ~20 ms and left ~0.3 MB of native memory behind per PDF
(fontconfig/Pango, not Python objects: tracemalloc saw +0.1 MB over 50 PDFs while RSS grew 18 MB);
kept, RSS stays flat.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import threading

CJK_FONT = "Noto Sans CJK SC"
PRINT_FONT = "Noto Sans CJK SC Print"  # printing/print_fonts.FAMILY; the templates name it before CJK_FONT


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of ``html``: made by ``pos serve``'s PDF renderer when there is one (``POS_PDF_SOCKET``,
    printing/pdf_service.py: the web workers then never load WeasyPrint), else here."""
    path = os.environ.get("POS_PDF_SOCKET")
    if path:
        from .pdf_service import render_remote

        pdf = render_remote(path, html, base_url)
        if pdf is not None:
            return pdf
    return html_to_pdf_here(html, base_url)


def html_to_pdf_here(html: str, base_url: str | None = None) -> bytes:
    """The PDF of ``html``, made in this process."""
    from weasyprint import HTML

    font_config, stylesheets = _renderer()
    return HTML(string=html, base_url=base_url).write_pdf(font_config=font_config, stylesheets=stylesheets)


_local = threading.local()  # WeasyPrint's font objects are not shared between threads: one set per thread


def _renderer():
    """This thread's font configuration and the ``@font-face`` rules of the print font (none when it is not
    built: the templates' next family, the system's Noto Sans CJK SC, is used)."""
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from .print_fonts import FAMILY, built_fonts

        font_config = FontConfiguration()
        rules = "".join(f'@font-face {{ font-family: "{FAMILY}"; src: url("{path.as_uri()}"); '
                        f"font-weight: {weight}; font-style: normal; }}\n"
                        for weight, path in built_fonts().items())
        stylesheets = [CSS(string=rules, font_config=font_config)] if rules else []
        if folder := getattr(font_config, "_folder", None):  # its copy of the fonts, which __del__ may never
            atexit.register(shutil.rmtree, folder, True)      # remove in a worker that lives to the end
        renderer = _local.renderer = (font_config, stylesheets)
    return renderer


def release_memory() -> None:
    """Give the heap that rendering a PDF freed back to the system (glibc keeps it otherwise). Call it once the
    PDF has been sent (``response.call_on_close``).

    This used to run a full ``gc.collect()`` first: with the 20 MB system font subset on every PDF and a new
    font configuration each time, a process grew 140 → 825 MB over 20 PDFs without it. With the print font
    and one font configuration per thread (above) it is not needed: an A5 invoice rendered 300 times in one
    process stays at ~68 MB with ``malloc_trim`` alone (~72 MB with nothing at all, ~61 MB with the full
    collection too), and one with a rare character that pulls in the system font, 100 times, at ~89 MB. The
    full collection cost 45–90 ms per PDF with the GIL held, stalling the worker's other threads; the trim
    costs under 1 ms."""
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
