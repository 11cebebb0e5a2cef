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

from .documents import Document, clean, layout

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
    """Encode for the printer: control characters dropped (only the library emits commands),
    ``¥`` as ``￥``, characters outside GBK's repertoire (which Chinese printer fonts carry) as '?'."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported printer encoding {encoding!r}")
    return clean(text).encode(encoding)


#: character size: GS ! n enlarges every character, Chinese included, in both modes (Epson and
#: the ZJ-58 / TP-80 class); FS ! n is the Chinese-mode size (bit 2 double width, bit 3 double
#: height). ESC ! alone enlarges only single-byte characters on many Chinese printers.
GS_SIZE = b"\x1d!"
FS_CHINESE_SIZE = b"\x1c!"
DOUBLE, NORMAL = 0x11, 0x00
CHINESE_DOUBLE, CHINESE_NORMAL = 0x0C, 0x00
BOLD = b"\x1bE"
ALIGN = b"\x1ba"
ALIGNS = {"left": 0, "center": 1, "right": 2}


class _Style:
    """Emits a style command only when it changes."""

    def __init__(self, printer):
        self.p = printer
        self.bold = self.double = False
        self.align = "left"

    def set(self, *, bold: bool = False, double: bool = False, align: str = "left") -> None:
        if bold != self.bold:
            self.p._raw(BOLD + bytes([1 if bold else 0]))
            self.bold = bold
        if double != self.double:
            self.p._raw(GS_SIZE + bytes([DOUBLE if double else NORMAL])
                        + FS_CHINESE_SIZE + bytes([CHINESE_DOUBLE if double else CHINESE_NORMAL]))
            self.double = double
        if align != self.align:
            self.p._raw(ALIGN + bytes([ALIGNS[align]]))
            self.align = align


def render(document: Document, profile: PrinterProfile | None = None) -> bytes:
    """The bytes to send to the printer. Text lines come out of :func:`layout` already padded to
    the paper (centred titles included), so they are printed left-aligned; only QR codes and
    barcodes are centred by the printer."""
    profile = profile or PrinterProfile()
    p = Dummy(profile=profile.escpos_profile)
    p._raw(ESC_INIT + FS_CHINESE_ON)
    style = _Style(p)
    for line in layout(document, profile.paper_mm):
        if line.kind == "text":
            style.set(bold=line.bold, double=line.double)
            p._raw(encode_text(line.text, profile.encoding) + b"\n")
        elif line.kind == "feed":
            p._raw(b"\n")
        elif line.kind == "qr":
            style.set(align="center")
            p.qr(line.data, native=profile.native_qr, size=line.size or 6, center=False)
            style.set(align="left")
        elif line.kind == "barcode":
            style.set(align="center")
            p.barcode(line.data, "CODE128", function_type="B", check=False)
            style.set(align="left")
        elif line.kind == "cut":
            p.cut()
        elif line.kind == "drawer":
            p.cashdraw(line.size or 2)
    style.set()
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
        elif b == 0x1C:  # FS & / FS . / FS ! n
            i += 3 if (i + 1 < n and data[i + 1] == 0x21) else 2
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


@dataclass
class PrintedLine:
    """One line as a printer would print it: its text bytes and the size they print at."""

    data: bytes
    wide: int = 1  # width multiplier of single-byte (ANK) characters
    chinese_wide: int = 1  # width multiplier of double-byte (Chinese) characters in Chinese mode
    bold: bool = False
    align: int = 0

    @property
    def columns(self) -> int:
        """Columns taken on paper: a byte is a column (a GBK character is two bytes, two columns),
        times the enlargement each kind of character gets."""
        single = sum(1 for b in self.data if b < 0x80)
        return single * self.wide + (len(self.data) - single) * self.chinese_wide


def printed_lines(data: bytes) -> list[PrintedLine]:
    """Printer bytes → the text lines with the character size each prints at, reading the
    commands the way a Chinese ESC/POS printer in Chinese mode does (ESC ! enlarges single-byte
    characters only; GS ! enlarges all; FS ! enlarges Chinese). For tests and checks by eye."""
    lines: list[PrintedLine] = []
    buf = bytearray()
    esc_bang = gs_bang = fs_bang = 0
    bold, align = False, 0
    i, n = 0, len(data)

    def state():
        wide = 2 if (esc_bang & 0x20 or gs_bang & 0xF0) else 1
        if gs_bang & 0xF0:
            wide = (gs_bang >> 4) + 1
        chinese = (gs_bang >> 4) + 1 if gs_bang & 0xF0 else (2 if fs_bang & 0x04 else 1)
        return wide, chinese

    while i < n:
        b = data[i]
        nxt = data[i + 1] if i + 1 < n else -1
        if b == 0x0A:
            wide, chinese = state()
            lines.append(PrintedLine(bytes(buf), wide, chinese, bold, align))
            buf.clear()
            i += 1
        elif b == 0x1B:
            if nxt == 0x21:
                esc_bang = data[i + 2]
            elif nxt == 0x45:
                bold = bool(data[i + 2] & 1)
            elif nxt == 0x61:
                align = data[i + 2] % 48
            elif nxt == 0x40:
                esc_bang = gs_bang = fs_bang = 0
                bold, align = False, 0
            if nxt == 0x40:
                i += 2
            elif nxt == 0x70:
                i += 5
            elif nxt == 0x64 or nxt in (0x2D, 0x47, 0x4D, 0x74, 0x7B, 0x20, 0x33, 0x72, 0x21, 0x45, 0x61, 0x4A):
                i += 3
            else:
                i += 2
        elif b == 0x1C:
            if nxt == 0x21:
                fs_bang = data[i + 2]
                i += 3
            else:
                i += 2
        elif b == 0x1D:
            if nxt == 0x21:
                gs_bang = data[i + 2]
                i += 3
            elif nxt == 0x28 and i + 4 < n:
                i += 5 + data[i + 3] + data[i + 4] * 256
            elif nxt == 0x56:
                i += 3 if (i + 2 < n and data[i + 2] in (0, 1, 48, 49)) else 4
            elif nxt == 0x6B:
                i += 4 + (data[i + 3] if i + 3 < n else 0)
            elif nxt == 0x76:
                width = data[i + 4] + data[i + 5] * 256
                height = data[i + 6] + data[i + 7] * 256
                i += 8 + width * height
            else:
                i += 3
        elif b < 0x20 or b == 0x7F:
            i += 1  # another control byte: not printed
        else:
            buf.append(b)
            i += 1
    if buf:
        wide, chinese = state()
        lines.append(PrintedLine(bytes(buf), wide, chinese, bold, align))
    return lines
