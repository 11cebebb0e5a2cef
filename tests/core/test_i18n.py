"""Every UI string is translated in zh_CN (the default) and en, and the .mo files are current."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "pos" / "translations"


def ids(catalog):
    return {m.id for m in catalog if m.id}


@pytest.mark.parametrize("folder", ["zh_Hans_CN", "en"])
def test_catalogue_is_complete_and_compiled(folder):
    template = read_po(open(ROOT / "messages.pot", "rb"))
    po = read_po(open(ROOT / folder / "LC_MESSAGES" / "messages.po", "rb"))
    missing = sorted(i for i in ids(template) if not po.get(i) or not po.get(i).string)
    assert missing == []
    assert not [m.id for m in po if m.id and m.fuzzy]
    mo = read_mo(open(ROOT / folder / "LC_MESSAGES" / "messages.mo", "rb"))
    stale = sorted(m.id for m in po if m.id and (mo.get(m.id) is None or mo.get(m.id).string != m.string))
    assert stale == [], "run `make translations`"


def test_template_covers_the_source():
    """The .pot is up to date: extracting again finds no new strings."""
    from babel.messages.extract import extract_from_dir

    root = ROOT.parents[1]
    template = ids(read_po(open(ROOT / "messages.pot", "rb")))
    method_map = [("pos/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - template) == [], "run `make messages` and translate the new strings"
