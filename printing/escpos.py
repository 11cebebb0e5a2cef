"""Document → ESC/POS bytes, through python-escpos's ``Dummy`` printer.

Chinese text is encoded here (GB18030, or GBK for older printers) and sent raw:
python-escpos 3.1 switches to GB18030 only for lines holding a Han character, so
a line of Chinese punctuation alone, or ``¥`` (U+00A5), comes out wrong. Print
``￥`` (U+FFE5). Characters the printer's font cannot show (emoji …) are replaced
by ``?`` — visibly, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass

from escpos.printer import Dummy

from .documents import Document, layout

ESC_INIT = b"\x1b@"
FS_CHINESE_ON = b"\x1c&"  # Chinese (double-byte) character mode
ENCODINGS = ("gb18030", "gbk")


@dataclass
class PrinterProfile:
    """What differs between printers: paper width, QR support, the code page."""

    paper_mm: int = 80
    native_qr: bool = True
    encoding: str = "gb18030"
    escpos_profile: str = "TM-T88III"


def encode_text(text: str, encoding: str = "gb18030") -> bytes:
    """Encode for the printer; characters outside GBK's repertoire (which Chinese
    printer fonts carry) become '?'."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported printer encoding {encoding!r}")
    out = bytearray()
    for ch in text.replace("\u00a5", "\uffe5"):  # ¥ → ￥ (prints on GB printers)
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            ch = "?"
        out += ch.encode(encoding)
    return bytes(out)


def render(document: Document, profile: PrinterProfile | None = None) -> bytes:
    """The bytes to send to the printer."""
    profile = profile or PrinterProfile()
    p = Dummy(profile=profile.escpos_profile)
    p._raw(ESC_INIT + FS_CHINESE_ON)
    for line in layout(document, profile.paper_mm):
        if line.kind == "text":
            p.set(align=line.align if line.align in ("left", "center", "right") else "left", bold=line.bold,
                  double_width=line.double, double_height=line.double, normal_textsize=not line.double)
            p._raw(encode_text(line.text, profile.encoding) + b"\n")
        elif line.kind == "feed":
            p._raw(b"\n")
        elif line.kind == "qr":
            p.set(align="center", normal_textsize=True, bold=False)
            p.qr(line.data, native=profile.native_qr, size=line.size or 6, center=not profile.native_qr)
        elif line.kind == "barcode":
            p.set(align="center", normal_textsize=True, bold=False)
            p.barcode(line.data, "CODE128", function_type="B", check=False)
        elif line.kind == "cut":
            p.cut()
        elif line.kind == "drawer":
            p.cashdraw(line.size or 2)
    p.set(align="left", bold=False, normal_textsize=True)
    return p.output


def decode_text(data: bytes, encoding: str = "gb18030") -> str:
    """Printer bytes back to the text they print (control sequences stripped) — for tests
    and for checking a job by eye."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == 0x1B:  # ESC
            cmd = data[i + 1] if i + 1 < n else 0
            if cmd in (0x40,):  # ESC @
                i += 2
            elif cmd in (0x21, 0x2D, 0x45, 0x47, 0x4D, 0x61, 0x64, 0x74, 0x7B, 0x20, 0x33, 0x72):
                i += 3
            elif cmd == 0x70:  # ESC p m t1 t2
                i += 5
            else:
                i += 2
        elif b == 0x1C:  # FS & / FS .
            i += 2
        elif b == 0x1D:  # GS
            cmd = data[i + 1] if i + 1 < n else 0
            if cmd == 0x28 and i + 4 < n:  # GS ( k pL pH ...
                length = data[i + 3] + data[i + 4] * 256
                i += 5 + length
            elif cmd == 0x56:  # GS V m [n]
                i += 3 if (i + 2 < n and data[i + 2] in (0, 1, 48, 49)) else 4
            elif cmd == 0x6B:  # GS k m n d1..dn
                i += 4 + (data[i + 3] if i + 3 < n else 0)
            elif cmd == 0x76:  # GS v 0 raster image
                width = data[i + 4] + data[i + 5] * 256
                height = data[i + 6] + data[i + 7] * 256
                i += 8 + width * height
            else:
                i += 3
        else:
            out.append(b)
            i += 1
    return out.decode(encoding, errors="replace")
