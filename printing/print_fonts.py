"""The print font: a subset of Noto Sans CJK SC (Regular and Bold) built once at install time.

WeasyPrint embeds every font it uses, subset to the glyphs the document needs. Subsetting the
system's Noto Sans CJK SC — a ~20 MB CFF collection (TTC) of 65,535 glyphs — took about a quarter
of an A5 invoice's render time, made a ~300 KB PDF, and copied the whole 20 MB file into Python
for each weight of each PDF. The font built here holds GB 2312 (6,763 hanzi and its 682
symbols), ASCII, Latin-1, the general and CJK punctuation, the full-width forms and every
character the print templates write — about 7,900 glyphs, ~1.6 MB per weight, its CFF already
desubroutinized (WeasyPrint asks HarfBuzz to desubroutinize when it subsets).

The print templates name it first and the full system font after it
(``font-family: "Noto Sans CJK SC Print", "Noto Sans CJK SC", …``): a character outside the subset (a
rare character in a customer's name, 喆, 堃, 𠮷) still prints, from the system font.

``python -m printing.print_fonts [DIR]`` (run by ``make run`` / ``make test``) builds the fonts
into DIR, by default ``<venv>/share/pos-print-fonts``; it does nothing when they are up to date
(same sources, same character set, same builder), and builds nothing — saying so — when the
Debian package fonts-noto-cjk is missing: PDFs then use the system font, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

FAMILY = "Noto Sans CJK SC Print"
SOURCE_FAMILY = "Noto Sans CJK SC"
WEIGHTS = {"Regular": "normal", "Bold": "bold"}  # file style → CSS font-weight
BUILDER_VERSION = 1  # bump when the subsetting options change: the fonts are rebuilt
MANIFEST = "manifest.json"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "print"
DEBIAN_DIR = Path("/usr/share/fonts/opentype/noto")


def font_dir() -> Path:
    """Where the built fonts live: $POS_PRINT_FONTS, else <the running environment>/share/pos-print-fonts."""
    return Path(os.environ.get("POS_PRINT_FONTS") or Path(sys.prefix) / "share" / "pos-print-fonts")


def built_fonts(folder: Path | None = None) -> dict[str, Path]:
    """The built fonts by CSS weight ({"normal": path, "bold": path}), or {} when they are not (all) there."""
    folder = folder or font_dir()
    fonts = {weight: folder / f"{_file_stem(style)}.otf" for style, weight in WEIGHTS.items()}
    return fonts if all(path.is_file() for path in fonts.values()) else {}


def _file_stem(style: str) -> str:
    return f"NotoSansCJKSC-Print-{style}"


def charset() -> set[int]:
    """GB 2312, ASCII, Latin-1, punctuation, full-width forms and what the print templates write."""
    chars: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    for start, end in ((0x20, 0x7E), (0xA0, 0xFF),  # ASCII, Latin-1 (¥ × ÷ ·)
                       (0x2010, 0x206F),  # general punctuation (– — ‘’ “” … ‰ ※)
                       (0x2100, 0x218F), (0x2190, 0x21FF),  # letterlike (℃ №), number forms, arrows
                       (0x2460, 0x24FF), (0x2500, 0x257F),  # enclosed numbers (①), box drawing
                       (0x3000, 0x303F),  # CJK symbols and punctuation (、。「」【】〇)
                       (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6)):  # full-width forms (，：（）￥)
        chars.update(range(start, end + 1))
    for template in sorted(TEMPLATES.glob("*.html")):
        chars.update(ord(c) for c in template.read_text(encoding="utf-8") if ord(c) > 0x7F)
    return chars


def find_sources() -> dict[str, tuple[Path, int]]:
    """The system's Noto Sans CJK SC files and face numbers by style, via fontconfig ({} when missing)."""
    sources: dict[str, tuple[Path, int]] = {}
    for style in WEIGHTS:
        found = None
        if shutil.which("fc-match"):
            out = subprocess.run(["fc-match", "-f", "%{family}\n%{style}\n%{file}\n%{index}",
                                  f"{SOURCE_FAMILY}:style={style}"],
                                 capture_output=True, text=True, timeout=30).stdout.split("\n")
            if len(out) == 4 and SOURCE_FAMILY in out[0].split(",") and style in out[1].split(","):
                found = (Path(out[2]), int(out[3]))
        if found is None:  # no fontconfig: Debian's path, the SC face found by its name
            path = DEBIAN_DIR / f"NotoSansCJK-{style}.ttc"
            if path.is_file():
                found = (path, _face_index(path))
        if found is None or found[1] < 0:
            return {}
        sources[style] = found
    return sources


def _face_index(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    for index, font in enumerate(TTCollection(str(path), lazy=True)):
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return index
    return -1


def _subset(source: str, index: int, chars: list[int], target: str) -> str:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["kern"]  # not the vertical, Japanese or Korean forms: half the glyphs
    options.name_IDs = ["*"]  # keep the copyright and the licence (SIL OFL)
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True  # WeasyPrint desubroutinizes on every PDF otherwise
    options.drop_tables += ["BASE", "JSTF", "DSIG", "VORG", "vhea", "vmtx"]
    font = TTFont(source, fontNumber=index, recalcTimestamp=False)  # the same bytes on every build
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    partial = target + ".part"
    font.save(partial)
    os.replace(partial, target)  # never a half-written font where WeasyPrint looks
    return target


def build(folder: Path | None = None, *, force: bool = False) -> str:
    """Build the fonts into ``folder`` unless they are up to date; returns what happened, in a sentence."""
    folder = folder or font_dir()
    sources = find_sources()
    if not sources:
        return (f"{SOURCE_FAMILY} not found (Debian package fonts-noto-cjk): print font not built; "
                "PDFs use the system font")
    chars = sorted(charset())
    wanted = {
        "builder": BUILDER_VERSION,
        "charset_sha256": hashlib.sha256(json.dumps(chars).encode()).hexdigest(),
        "sources": {style: {"file": str(path), "index": index, "size": path.stat().st_size,
                            "mtime": int(path.stat().st_mtime)} for style, (path, index) in sources.items()},
    }
    manifest = folder / MANIFEST
    if not force and built_fonts(folder) and manifest.is_file():
        try:
            if json.loads(manifest.read_text()) == wanted:
                return f"print font up to date in {folder}"
        except ValueError:
            pass
    folder.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        jobs = [pool.submit(_subset, str(path), index, chars, str(folder / f"{_file_stem(style)}.otf"))
                for style, (path, index) in sources.items()]
        for job in jobs:
            job.result()
    manifest.write_text(json.dumps(wanted, indent=1))
    return (f"print font built in {folder}: {len(chars)} characters, {len(sources)} weights, "
            f"{time.monotonic() - started:.1f} s")


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--force"]
    print(build(Path(args[0]) if args else None, force="--force" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
