"""The README's layout map names every package and top-level module of cje/, and nothing that is gone."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout"):]
    return section[section.index("```") + 3:section.index("```", section.index("```") + 3)]


def test_every_package_and_top_level_module_is_on_the_map():
    block = _layout_block()
    cje = ROOT / "cje"
    packages = {p.name for p in cje.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.name for p in cje.glob("*.py") if p.name != "__init__.py"}
    missing = [f"{name}/" for name in sorted(packages) if not re.search(rf"\b{name}/", block)]
    missing += [name for name in sorted(modules) if name not in block]
    assert not missing, f"README layout misses {missing}"


def test_every_directory_on_the_map_exists():
    block = _layout_block()
    named = set(re.findall(r"^\s{2}([a-z_]+)/", block, flags=re.M))
    assert named and all((ROOT / "cje" / name).is_dir() for name in named), named
