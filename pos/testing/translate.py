"""For developers: refresh the catalogues and fill in translations, safely from several shells.

    python -m pos.testing.translate my-strings.json

``my-strings.json`` maps each new English message id to its Chinese text
(``{"Choose a unit.": "请选择房源。"}``). Under a file lock (so two developers'
runs do not overwrite each other) it extracts the strings (``make messages``),
updates both catalogues, writes the Chinese for the ids given (only where an id has none yet:
an id with Chinese is used elsewhere — give a new text its own English id; ``--force`` overrides) (English: the id
itself, for every id still empty), compiles the .mo files and prints the ids
that still have no Chinese. Without a file it only refreshes and reports.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "pos" / "translations"
LOCK = Path("/tmp/pos-translations.lock")


def _run(*args: str) -> None:
    subprocess.run(args, cwd=ROOT, check=True)


def refresh() -> None:
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    pot = str(CATALOGUES / "messages.pot")
    _run(pybabel, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "--omit-header", "--sort-output", "-o", pot, ".")
    with open(pot, "rb") as f:
        template = read_po(f)
    for folder in ("zh_Hans_CN", "en"):
        po_path = CATALOGUES / folder / "LC_MESSAGES" / "messages.po"
        with open(po_path, "rb") as f:
            catalog = read_po(f, locale=folder)
        catalog.update(template, no_fuzzy_matching=True)
        with open(po_path, "wb") as f:
            write_po(f, catalog, no_location=True, sort_output=True, width=0)


def fill(chinese: dict[str, str], *, force: bool = False) -> list[str]:
    """Write the Chinese given for ids that have none yet. An id that already has Chinese keeps it
    (another screen uses it: "Unit" is 单位 at the counter, not 房号): give your screen its own,
    more specific English id instead (``_("Unit no.")``). ``force`` changes existing Chinese."""
    missing: list[str] = []
    for folder in ("zh_Hans_CN", "en"):
        po_path = CATALOGUES / folder / "LC_MESSAGES" / "messages.po"
        with open(po_path, "rb") as f:
            catalog = read_po(f, locale=folder)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            current = message.string if isinstance(message.string, str) else message.string[0]
            if folder == "zh_Hans_CN" and key in chinese and current and current != chinese[key] and not force:
                print(f"kept {key!r} = {current!r} (not {chinese[key]!r}): it is used elsewhere; "
                      "give your text a more specific English id")
            elif folder == "zh_Hans_CN" and key in chinese:
                text = chinese[key]
                message.string = text if isinstance(message.id, str) else (text, text)
            elif folder == "en" and not (message.string if isinstance(message.string, str) else message.string[0]):
                message.string = message.id if isinstance(message.id, str) else tuple(message.id)
            message.flags.discard("fuzzy")
            empty = not (message.string if isinstance(message.string, str) else message.string[0])
            if folder == "zh_Hans_CN" and empty:
                missing.append(key)
        # drop obsolete entries so they do not linger
        catalog.obsolete.clear()
        with open(po_path, "wb") as f:
            write_po(f, catalog, no_location=True, sort_output=True, width=0)
        with open(po_path.with_suffix(".mo"), "wb") as f:
            write_mo(f, catalog)
    return missing


def main(argv: list[str]) -> int:
    chinese: dict[str, str] = {}
    force = "--force" in argv
    argv = [a for a in argv if a != "--force"]
    for name in argv:
        chinese.update(json.loads(Path(name).read_text(encoding="utf-8")))
    LOCK.touch(exist_ok=True)
    with open(LOCK) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        refresh()
        missing = fill(chinese, force=force)
    for key in missing:
        print(f"no Chinese yet: {key!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
