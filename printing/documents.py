"""A receipt as plain data: a list of blocks, laid out in columns.

Paper: 58 mm = 32 columns, 80 mm = 48 columns (font A). A Chinese character
takes two columns, so tables stay aligned. The same layout feeds the ESC/POS
renderer and the on-screen preview. Nothing here knows about printers or the app.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache

COLUMNS = {58: 32, 80: 48}


# ------------------------------------------------------------------ blocks
@dataclass
class Title:
    text: str
    kind: str = "title"


@dataclass
class Text:
    text: str
    align: str = "left"  # left | center | right
    bold: bool = False
    double: bool = False  # double width and height
    kind: str = "text"


@dataclass
class KeyValue:
    key: str
    value: str
    bold: bool = False
    double: bool = False
    kind: str = "kv"


@dataclass
class Column:
    title: str
    width: int  # share of the line (weights), the last column takes what is left
    align: str = "left"


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[str]]
    header: bool = True
    kind: str = "table"


@dataclass
class Separator:
    char: str = "-"
    kind: str = "separator"


@dataclass
class QR:
    data: str
    size: int = 6
    kind: str = "qr"


@dataclass
class Barcode:
    data: str
    symbology: str = "CODE128"
    kind: str = "barcode"


@dataclass
class Stamp:
    """A boxed block, e.g. the payment stamp 收款专用章 with the cashier and the time."""

    lines: list[str]
    kind: str = "stamp"


@dataclass
class SignatureLine:
    label: str
    kind: str = "signature"


@dataclass
class Feed:
    lines: int = 1
    kind: str = "feed"


@dataclass
class Cut:
    kind: str = "cut"


@dataclass
class DrawerPulse:
    pin: int = 2
    kind: str = "drawer"


#: block kind (as stored in a print job's JSON) → its class
BLOCKS: dict[str, type] = {
    cls.__dataclass_fields__["kind"].default: cls
    for cls in (Title, Text, KeyValue, Table, Separator, QR, Barcode, Stamp, SignatureLine, Feed, Cut, DrawerPulse)
}


@dataclass
class Document:
    """What to print. ``copy_label`` names the copy (财务联 …); ``reprint`` > 0 marks 重印/COPY."""

    blocks: list = field(default_factory=list)
    copy_label: str = ""
    reprint: int = 0

    def to_dict(self) -> dict:
        return {"blocks": [asdict(b) for b in self.blocks], "copy_label": self.copy_label, "reprint": self.reprint}

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        blocks = []
        for raw in data.get("blocks", []):
            raw = dict(raw)
            kind = raw.get("kind")
            block_cls = BLOCKS[kind]
            if block_cls is Table:
                raw["columns"] = [Column(**c) for c in raw["columns"]]
            blocks.append(block_cls(**raw))
        return cls(blocks=blocks, copy_label=data.get("copy_label", ""), reprint=int(data.get("reprint", 0)))


# ------------------------------------------------------------------ text the printer gets
#: whitespace controls become a space; every other control or format character is dropped
_SPACES = frozenset("\t\n\v\f\r\x85\u2028\u2029")


@lru_cache(maxsize=4096)
def _printable(ch: str) -> str:
    """One character as it is printed: '' (dropped), ' ', '?' (no glyph on a GBK printer) or itself."""
    if ch in _SPACES:
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf"):  # C0/C1 controls (ESC @, GS V, DLE DC4 …), bidi and zero-width marks
        return ""
    if ch == "\u00a5":  # ¥ → ￥: GB printers print U+FFE5; U+00A5 is 4 bytes in GB18030
        return "\uffe5"
    if category in ("Co", "Cs", "Cn"):  # private use (GBK's user areas print garbage), lone surrogates
        return "?"
    try:
        encoded = ch.encode("gbk")
    except UnicodeEncodeError:
        return "?"
    if len(encoded) == 1:
        return ch if 0x20 <= encoded[0] < 0x7F else ""
    lead, trail = encoded
    return ch if 0x81 <= lead <= 0xFE and 0x40 <= trail <= 0xFE and trail != 0x7F else "?"


@lru_cache(maxsize=8192)
def _clean(text: str) -> str:
    return "".join(_printable(ch) for ch in unicodedata.normalize("NFC", text))


def clean(text: str) -> str:
    """Text as the printer will get it: composed (NFC); control characters removed (a name or
    address holding ``ESC @``, ``GS V``, ``DLE DC4`` or ``ESC p`` must not reset the printer, cut
    the paper or open the drawer: the library emits its own commands, never the text's); ``¥``
    printed as ``￥``; a character a GBK printer font lacks shown as ``?``."""
    if not text:
        return ""
    text = str(text)
    if text.isascii() and text.isprintable():
        return text  # the usual case: nothing to drop or replace
    return _clean(text)


# ------------------------------------------------------------------ widths
@lru_cache(maxsize=8192)
def char_width(ch: str) -> int:
    """Columns a (clean) character takes: the bytes the printer gets for it in GBK/GB18030 —
    a character sent as two bytes prints double width, including the ones Unicode calls
    "ambiguous" (× – — “ ” … · ± ÷ → ≥ §)."""
    printed = _printable(ch)
    return sum(len(c.encode("gbk")) for c in printed)


def text_width(text: str) -> int:
    if text.isascii() and text.isprintable():
        return len(text)
    return _width(text)


@lru_cache(maxsize=8192)
def _width(text: str) -> int:
    return sum(char_width(ch) for ch in clean(text))


#: what is never broken over two lines: an amount (￥1,234.50, -￥5.00, 12.5%), a number,
#: a word or code in Latin letters (V20261122-0007, BCD-540WDPZU1)
_ATOM = re.compile(r"[-+]?[￥$]?[-+]?\d[\d,.:/\-]*%?|[A-Za-z0-9][A-Za-z0-9_\-./#@:+]*|.", re.S)


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most ``width`` columns: never inside a character, an amount,
    a number or a Latin word (only one longer than the whole line is cut)."""
    width = max(width, 2)
    out: list[str] = []
    for paragraph in (text or "").replace("\r\n", "\n").split("\n"):
        paragraph = clean(paragraph)
        line, used = "", 0
        for atom in _ATOM.findall(paragraph):
            w = text_width(atom)
            if used + w > width and line:
                out.append(line.rstrip())
                line, used = "", 0
                if atom == " ":
                    continue
            if w > width:  # longer than a line: cut by character
                for ch in atom:
                    cw = char_width(ch)
                    if used + cw > width:
                        out.append(line)
                        line, used = "", 0
                    line += ch
                    used += cw
                continue
            line += atom
            used += w
        out.append(line.rstrip())
    return out


def fit(text: str, width: int, align: str = "left") -> str:
    """Pad (or cut) one line to exactly ``width`` columns."""
    cut, used = "", 0
    for ch in clean(text):
        w = char_width(ch)
        if used + w > width:
            break
        cut += ch
        used += w
    space = width - used
    if align == "right":
        return " " * space + cut
    if align == "center":
        left = space // 2
        return " " * left + cut + " " * (space - left)
    return cut + " " * space


# ------------------------------------------------------------------ layout
@dataclass
class Line:
    """One printed line (or a non-text action) after layout."""

    kind: str  # text | qr | barcode | cut | drawer | feed
    text: str = ""
    bold: bool = False
    double: bool = False
    align: str = "left"
    data: str = ""
    size: int = 0


def _columns_for(table: Table, width: int) -> list[int]:
    """Columns after the first get the width of their widest cell (amounts are never
    broken); the first column (the product name) takes the rest and wraps. When that
    leaves it too narrow, the widths follow the columns' weights instead."""
    gaps = len(table.columns) - 1
    usable = width - gaps
    rows = ([[c.title for c in table.columns]] if table.header else []) + table.rows
    natural = [max((text_width(str(r[i])) for r in rows if i < len(r)), default=2)
               for i in range(len(table.columns))]
    rest = natural[1:]
    if usable - sum(rest) >= max(8, usable // 3):
        return [usable - sum(rest), *rest]
    weights = [max(c.width, 1) for c in table.columns]
    widths = [max(2, usable * w // sum(weights)) for w in weights]
    widths[0] = max(2, usable - sum(widths[1:]))
    return widths


def _table_lines(table: Table, width: int) -> list[Line]:
    widths = _columns_for(table, width)
    lines: list[Line] = []
    rows = ([[c.title for c in table.columns]] if table.header else []) + table.rows
    for index, row in enumerate(rows):
        cells = [wrap(str(cell), w) for cell, w in zip(row, widths, strict=False)]
        height = max(len(c) for c in cells) if cells else 1
        for n in range(height):
            parts = []
            for cell, w, col in zip(cells, widths, table.columns, strict=False):
                parts.append(fit(cell[n] if n < len(cell) else "", w, col.align))
            lines.append(Line("text", " ".join(parts).rstrip(), bold=table.header and index == 0))
        if table.header and index == 0:
            lines.append(Line("text", "-" * width))
    return lines


def layout(document: Document, paper_mm: int = 80) -> list[Line]:
    """The document as lines of exactly the paper's columns (and actions)."""
    width = COLUMNS.get(paper_mm, 48)
    lines: list[Line] = []
    if document.reprint:
        lines.append(Line("text", fit(f"** 重印 COPY {document.reprint} **", width, "center"), bold=True))
    if document.copy_label:
        lines.append(Line("text", fit(f"[{document.copy_label}]", width, "right")))
    for block in document.blocks:
        if isinstance(block, Title):
            # centred by padding only (the printer stays left-aligned: ESC a 1 on top of the
            # padding would centre it twice)
            for part in wrap(block.text, width // 2):
                lines.append(Line("text", fit(part, width // 2, "center").rstrip(), bold=True, double=True))
        elif isinstance(block, Text):
            usable = width // 2 if block.double else width
            for part in wrap(block.text, usable):
                if block.align in ("center", "right"):
                    part = fit(part, usable, block.align).rstrip()
                lines.append(Line("text", part, bold=block.bold, double=block.double))
        elif isinstance(block, KeyValue):
            key, value, double = clean(block.key), clean(block.value), block.double
            key_w, value_w = text_width(key), text_width(value)
            if double and key_w + 1 + value_w > width // 2:
                double = False  # too wide to enlarge: normal size rather than an amount split in two
            usable = width // 2 if double else width
            if key_w + 1 + value_w <= usable:
                lines.append(Line("text", key + fit(value, usable - key_w, "right"), bold=block.bold,
                                  double=double))
            else:
                for part in wrap(key, usable):
                    lines.append(Line("text", part, bold=block.bold, double=double))
                for part in wrap(value, usable):
                    lines.append(Line("text", fit(part, usable, "right"), bold=block.bold, double=double))
        elif isinstance(block, Table):
            lines.extend(_table_lines(block, width))
        elif isinstance(block, Separator):
            char = block.char if len(block.char) == 1 and char_width(block.char) == 1 else "-"
            lines.append(Line("text", char * width))
        elif isinstance(block, QR):
            lines.append(Line("qr", data=clean(block.data), size=block.size, align="center"))
        elif isinstance(block, Barcode):
            lines.append(Line("barcode", data=clean(block.data), align="center"))
        elif isinstance(block, Stamp):
            inner = min(width - 4, max((text_width(s) for s in block.lines), default=0) + 2)
            lines.append(Line("text", fit("+" + "-" * inner + "+", width, "center")))
            for s in block.lines:
                for part in wrap(s, inner):
                    lines.append(Line("text", fit("|" + fit(part, inner, "center") + "|", width, "center"), bold=True))
            lines.append(Line("text", fit("+" + "-" * inner + "+", width, "center")))
        elif isinstance(block, SignatureLine):
            *first, label = wrap(block.label + "：", width - 4)
            lines.append(Line("feed"))
            lines.extend(Line("text", part) for part in first)
            lines.append(Line("text", label + "_" * (width - text_width(label))))
        elif isinstance(block, Feed):
            lines.extend(Line("feed") for _ in range(max(1, block.lines)))
        elif isinstance(block, Cut):
            lines.append(Line("cut"))
        elif isinstance(block, DrawerPulse):
            lines.append(Line("drawer", size=block.pin))
    return lines


def preview_text(document: Document, paper_mm: int = 80) -> str:
    """The document as it would print, in plain monospace text ([QR …] for codes)."""
    out = []
    for line in layout(document, paper_mm):
        if line.kind == "text":
            out.append(line.text)
        elif line.kind == "feed":
            out.append("")
        elif line.kind == "qr":
            out.append(f"[QR {line.data}]")
        elif line.kind == "barcode":
            out.append(f"[||| {line.data} |||]")
        elif line.kind == "cut":
            out.append("- - - - - - - - ✂ - - - - - - - -")
        elif line.kind == "drawer":
            out.append("[钱箱 drawer]")
    return "\n".join(out)
