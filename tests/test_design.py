"""docs/design.md names every module of the package, in its folder, and nothing that is not there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "watcher"
DESIGN = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")


def documented() -> set[str]:
    """Every module the folder table names: `folder/` rows list their modules as `name.py`."""
    names: set[str] = set()
    for line in DESIGN.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not (entry := re.fullmatch(r"`([\w/.]+)`", cells[0])):
            continue
        path = entry.group(1)
        if path.endswith("/"):
            names.add(path + "__init__.py")
            names.update(path + m for m in re.findall(r"`(\w+\.py)`", cells[1]))
        else:
            names.add(path)
    return names


def actual() -> set[str]:
    return {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}


def test_the_design_names_every_module_and_only_those() -> None:
    assert actual() - documented() == set(), "modules missing from docs/design.md"
    assert documented() - actual() == set(), "docs/design.md names modules that do not exist"


def test_every_module_stays_under_about_400_lines() -> None:
    long = {name: n for name in actual() if (n := len((PACKAGE / name).read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}


def test_every_layer_of_the_design_is_a_contract() -> None:
    contracts = (ROOT / ".importlinter").read_text(encoding="utf-8")
    for folder in ("layouts", "news", "french", "pages", "store"):
        assert f"watcher.{folder}\n" in contracts, folder
