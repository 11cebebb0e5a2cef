"""The domains import one way, as /work/shared/DESIGN.md orders them, and rules know no request.

Every module under pos/ is parsed with ``ast`` (nothing is imported), and each import is checked:

- a domain imports only itself and the domains below it in ``ORDER`` (a level may hold two
  domains that use each other: staff and audit); ``printers`` sits beside ``shop`` and is told
  what to print, so it imports nothing above them;
- no domain imports another domain's ``views`` (a screen another domain shows again is in a
  public module, e.g. ``sales.pickup_views``), nor a ``_private`` name of another domain;
- a ``services.py`` (the rules) does not import Flask's request globals;
- the modules every domain uses (money, errors, text, web, forms, …) import no domain.

A new domain takes its place in ``ORDER`` once, here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

POS = Path(__file__).resolve().parents[2] / "pos"

#: lowest first; a domain may import those on its own level and below
ORDER = [
    {"staff", "audit"},
    {"shop", "printers"},
    {"catalog"},
    {"customers"},
    {"sales"},
    {"cashier"},
    {"invoicing"},
    {"delivery"},
    {"property"},
    {"aftersales"},
    {"appraisal"},
    {"reports"},
]
LEVEL = {domain: level for level, group in enumerate(ORDER) for domain in group}
#: printers is told what to print: beside shop, it imports only what is below it, and shop
BESIDE = {"printers": {"staff", "audit", "shop"}, "shop": {"staff", "audit", "shop"}}
#: the wiring imports everything: the app factory, the command line, the demo data, test helpers
WIRING = {"pos", "pos.cli", "pos.demo"}
#: what any module with routes may import: the roles every route declares
EVERY_ROUTE = "pos.staff.permissions."
REQUEST_GLOBALS = {("flask", "request"), ("flask", "session"), ("flask", "g"), ("flask_login", "current_user")}


def module_name(path: Path, root: Path = POS) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path = POS):
    """(line, module imported, names imported from it) for every import in the file."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from .. import sales` imports pos.sales; `from .x import y`, pos.x.y
                yield node.lineno, f"{target}.{alias.name}", [alias.name]


def domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "pos" and parts[1] in LEVEL else None


def problems(root: Path = POS) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        me = module_name(path, root)
        mine = domain(me)
        for line, target, names in imports(path, root):
            where = f"{path.relative_to(root.parent)}:{line}"
            if path.name == "services.py" and tuple(target.rsplit(".", 1)) in REQUEST_GLOBALS:
                found.append(f"{where}: a rule imports the request global {target}")
            other = domain(target)
            if other is None:
                continue
            if mine is None:
                if me not in WIRING and not me.startswith("pos.testing") and not target.startswith(EVERY_ROUTE):
                    found.append(f"{where}: {me} is used by every domain and imports the domain {other}")
                continue
            if other == mine:
                continue
            allowed = BESIDE.get(mine, {d for d, level in LEVEL.items() if level <= LEVEL[mine]})
            if other not in allowed:
                found.append(f"{where}: {mine} imports {target} ({other} is above {mine})")
            if target.split(".")[2:3] == ["views"]:
                found.append(f"{where}: {mine} imports the screens of {other} ({target})")
            if any(n.startswith("_") for n in names):
                found.append(f"{where}: {mine} imports the private {target}")
    return found


def test_every_domain_imports_only_downwards_and_no_rule_reads_the_request():
    assert problems() == []


def test_the_order_names_every_domain():
    packages = {p.name for p in POS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - {"testing", "translations"} <= set(LEVEL), "a new domain takes its place in ORDER"


@pytest.mark.parametrize(("where", "code", "complaint"), [
    ("sales/services.py", "from ..cashier import services as cashier\n", "sales imports pos.cashier"),
    ("catalog/views.py", "from ..sales.services import record_interest\n", "catalog imports pos.sales.services"),
    ("printers/views.py", "from ..cashier.services import current_shift\n", "printers imports pos.cashier"),
    ("delivery/views.py", "from ..sales.pickup_views import _pickup_page\n", "imports the private pos.sales.pickup_"),
    ("cashier/views.py", "from ..sales.views import managers\n", "cashier imports the screens of sales"),
    ("audit/services.py", "from flask import request\n", "a rule imports the request global flask.request"),
    ("money.py", "from .sales.models import Voucher\n", "pos.money is used by every domain"),
])
def test_a_forbidden_import_is_found(tmp_path, where, code, complaint):
    """The check itself: a copy of pos/ with one forbidden import added fails with a clear line."""
    import shutil

    copy = tmp_path / "pos"
    shutil.copytree(POS, copy, ignore=shutil.ignore_patterns("translations", "__pycache__"))
    target = copy / where
    target.write_text(target.read_text(encoding="utf-8") + "\n" + code, encoding="utf-8")
    found = problems(copy)
    assert any(complaint in line for line in found), found
