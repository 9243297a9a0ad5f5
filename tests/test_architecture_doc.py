"""docs/ARCHITECTURE.md stays true to the package: its tree, the paths it names and its day plan."""

from __future__ import annotations

import re
from pathlib import Path

from sim.engine.describe import every_lever_plan

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"
DOC = ROOT / "docs" / "ARCHITECTURE.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _subpackages() -> list[str]:
    """Every sub-package of ``sim/`` (a folder with an ``__init__.py``), e.g. ``studies/research``."""
    return sorted(p.parent.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("__init__.py")
                  if p.parent != PACKAGE)


def _tree(text: str) -> set[str]:
    """The paths the doc's package tree lists: a line at the margin is a path (a folder ends in
    ``/``), an indented line a module of the folder above it."""
    block = re.search(r"<!-- tree:begin -->\n```text\n(.*?)```\n<!-- tree:end -->", text, flags=re.S)
    assert block, "docs/ARCHITECTURE.md has no package tree block"
    paths, folder = set(), None
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        name = line.split()[0]
        if line.startswith(" "):
            assert folder, f"a module outside any folder: {line!r}"
            paths.add(folder + name)
        else:
            paths.add(name)
            folder = name if name.endswith("/") else None
    return paths


def test_every_subpackage_is_named():
    text = _text()
    missing = [rel for rel in _subpackages() if f"sim/{rel}/" not in text]
    assert not missing, f"sub-packages not named in docs/ARCHITECTURE.md: {missing}"


def test_every_module_path_named_exists():
    named = set(re.findall(r"(?<![\w/.])sim/[\w/]+\.py\b", _text()))
    assert named, "docs/ARCHITECTURE.md names no module path"
    missing = sorted(path for path in named if not (ROOT / path).is_file())
    assert not missing, f"docs/ARCHITECTURE.md names modules that do not exist: {missing}"


def test_the_tree_lists_every_module_on_disk():
    on_disk = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")
               if not (p.name == "__init__.py" and p.parent != PACKAGE)}
    on_disk |= {f"sim/{rel}/" for rel in _subpackages()}
    listed = _tree(_text())
    assert listed == on_disk, (f"docs/ARCHITECTURE.md's tree is stale: missing {sorted(on_disk - listed)}, "
                               f"gone {sorted(listed - on_disk)}")


def test_the_doc_shows_the_generated_plan():
    block = re.search(r"<!-- plan:begin -->\n```text\n(.*?)```\n<!-- plan:end -->", _text(), flags=re.S)
    assert block, "docs/ARCHITECTURE.md has no generated plan block"
    assert block.group(1).rstrip("\n") == str(every_lever_plan()), (
        "docs/ARCHITECTURE.md's day plan is stale: regenerate it with `python -m sim.engine.describe`")
