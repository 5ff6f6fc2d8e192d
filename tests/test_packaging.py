"""The wheel ships every package: a folder missing from pyproject's list works in the editable
checkout and breaks only for users who install the tool (it happened to ``interviewer.analysis``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> tuple[set[str], dict[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    return set(config["packages"]), config.get("package-dir", {})


def _package_name(folder: Path, mapping: dict[str, str]) -> str:
    rel = folder.relative_to(ROOT)
    for name, source in mapping.items():
        if rel.parts[: len(Path(source).parts)] == Path(source).parts:
            return ".".join([name, *rel.parts[len(Path(source).parts):]])
    return ".".join(rel.parts)


def test_every_folder_that_python_can_import_is_listed() -> None:
    packages, mapping = _declared()
    roots = [ROOT / "interviewer", *(ROOT / source for source in mapping.values())]
    found = set()
    for root in roots:
        for folder in [root, *root.rglob("*")]:
            if not folder.is_dir() or "__pycache__" in folder.parts or folder.name.startswith("."):
                continue
            if folder != root and not any(p.is_file() for p in folder.iterdir()):
                continue
            found.add(_package_name(folder, mapping))
    assert found - packages == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert packages - found == set(), "listed in pyproject.toml but no such folder"
