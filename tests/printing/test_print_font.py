"""The print font (printing/print_fonts.py): PDFs embed the GB 2312 subset, a rare character comes from the full
system font, the PDF stays small, and a missing subset only makes PDFs slower."""

import shutil
import subprocess

import pytest

from printing import print_fonts
from printing.pdf import PRINT_FONT, cjk_font_available, html_to_pdf

pytestmark = pytest.mark.skipif(not (cjk_font_available() and shutil.which("pdffonts")),
                                reason="needs fonts-noto-cjk and poppler-utils (make test installs them)")

PAGE = ('<html lang="zh-CN"><head><style>@page {{ size: A5 landscape; margin: 10mm }}'
        ' body {{ font-family: "Noto Sans CJK SC Print", "Noto Sans CJK SC", sans-serif }}</style></head>'
        "<body><p>购买方：<b>{name}</b>　价税合计（大写）：人民币壹仟壹佰叁拾元整"
        " ￥1,130.00 × 2 – “含税”…</p></body></html>")


def fonts_and_text(pdf: bytes, tmp_path) -> tuple[set[str], str]:
    """The embedded fonts' names without the subset tag (ABCDEF+), and the text without spaces."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()}
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return fonts, words.replace(" ", "").replace("\n", "")


def test_the_print_font_is_built_and_named_like_the_templates_say():
    assert print_fonts.FAMILY == PRINT_FONT
    assert print_fonts.built_fonts(), "the print font is not built: run `make print-fonts`"
    print_fonts.build()  # builds only when a print template brought a new character since `make`
    assert "up to date" in print_fonts.build()  # what make runs each time costs nothing when nothing changed


def test_a_pdf_embeds_the_subset_and_falls_back_for_a_rare_character(tmp_path):
    fonts, words = fonts_and_text(html_to_pdf(PAGE.format(name="周建华")), tmp_path)
    assert fonts == {"Noto-Sans-CJK-SC-Print", "Noto-Sans-CJK-SC-Print-Bold"}, fonts
    assert "购买方：周建华" in words and "人民币壹仟壹佰叁拾元整" in words and "“含税”…" in words
    # 喆 and 堃 (GBK, not GB 2312) are not in the subset: the full system font prints them
    fonts, words = fonts_and_text(html_to_pdf(PAGE.format(name="王喆 李堃")), tmp_path)
    assert fonts == {"Noto-Sans-CJK-SC-Print", "Noto-Sans-CJK-SC-Print-Bold", "Noto-Sans-CJK-SC-Bold"}, fonts
    assert "王喆李堃" in words


def test_the_subset_keeps_a_page_small():
    pdf = html_to_pdf(PAGE.format(name="周建华"))
    assert len(pdf) < 60_000, len(pdf)  # with the full system font: ~180 KB for this page


def test_without_the_built_font_pdfs_use_the_system_font(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("POS_PRINT_FONTS", str(tmp_path / "nothing-here"))
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("pdf", html_to_pdf(PAGE.format(name="周建华"))))
    thread.start()  # a new thread: the renderer (font configuration and @font-face) is made per thread
    thread.join()
    fonts, words = fonts_and_text(out["pdf"], tmp_path)
    assert fonts == {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}, fonts
    assert "购买方：周建华" in words
