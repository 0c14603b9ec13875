"""The layer rules of docs/architecture.md, checked on the source of every module.

Layers, bottom to top: ``crsbi.core`` -> ``crsbi.inference`` -> the four domains
(``propagation``, ``uhecr``, ``maps``, ``particles``) -> the application (``crsbi/__init__``,
``cli``, ``demos``). A module may import its own subpackage and the layers below it, never a
layer above nor another domain, and never a private module (``_name``) of another subpackage.
Every import counts, also those inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crsbi"
DOMAINS = ("propagation", "uhecr", "maps", "particles")
#: subpackage -> the subpackages it may import (besides itself)
ALLOWED = {
    "core": set(),
    "inference": {"core"},
    **{domain: {"core", "inference"} for domain in DOMAINS},
}
APP = {"__init__", "__main__", "cli", "demos", "pretrained"}
ROOT_MODULES = {"__init__.py", "__main__.py", "cli.py", "_version.py"}
#: third-party packages that one module only may import (STYLE rule 8)
SINGLE_IMPORTER = {"sbi": "crsbi.inference._sbi", "emcee": "crsbi.inference.mcmc"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(path: Path, name: str) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import in a file, relative ones resolved."""
    found = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # ``from crsbi.x import submodule`` imports the submodule too
            found += [
                (node.lineno, f"{base}.{alias.name}")
                for alias in node.names
                if f"{base}.{alias.name}" in MODULES
            ]
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_package_root_holds_only_the_entry_points():
    root = {p.name for p in PACKAGE.glob("*.py")}
    assert root == ROOT_MODULES
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == {*ALLOWED, "demos", "pretrained"}


def _violations(module: str, path: Path) -> list[str]:
    layer = _layer(module)
    errors = []
    for line, target in _imports(path, module):
        top = target.split(".")[0]
        if top in SINGLE_IMPORTER and module != SINGLE_IMPORTER[top]:
            errors.append(f"line {line}: only {SINGLE_IMPORTER[top]} may import {top}")
        if top != "crsbi" or target == "crsbi" or target == "crsbi._version":
            continue
        target_layer = _layer(target)
        if target_layer == layer:
            continue
        private = [p for p in target.split(".")[2:] if p.startswith("_")]
        if private:
            errors.append(f"line {line}: private module {target} of another subpackage")
        if layer in APP:
            continue
        if target_layer not in ALLOWED[layer]:
            errors.append(f"line {line}: {layer} may not import {target}")
    return errors


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    errors = _violations(module, MODULES[module])
    assert not errors, f"{module}:\n" + "\n".join(errors)


def test_the_rules_catch_violations(tmp_path):
    # the checker itself, on a module that breaks each rule once
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import sbi\n"
        "from crsbi.uhecr.sky import simulate_sky_maps\n"
        "def f():\n"
        "    from crsbi.core import _campaign_store\n"
        "from ..inference._sbi import NPE\n"
    )
    errors = _violations("crsbi.maps.bad", bad)
    assert errors == [
        "line 1: only crsbi.inference._sbi may import sbi",
        "line 2: maps may not import crsbi.uhecr.sky",
        "line 5: private module crsbi.inference._sbi of another subpackage",
        "line 4: private module crsbi.core._campaign_store of another subpackage",
    ]
    core = tmp_path / "up.py"
    core.write_text("from crsbi.inference.posterior import PosteriorEstimator\n")
    assert _violations("crsbi.core.up", core) == [
        "line 1: core may not import crsbi.inference.posterior"
    ]


def test_importing_the_subpackages_is_light():
    # every __init__ loads its names lazily: importing the packages pulls in no heavy library
    # and stays far below the 0.3 s budget (about 0.01 s on the development machine)
    code = (
        "import sys, time\n"
        "start = time.perf_counter()\n"
        "import crsbi, crsbi.core, crsbi.inference, crsbi.propagation, crsbi.uhecr\n"
        "import crsbi.maps, crsbi.particles\n"
        "print(time.perf_counter() - start)\n"
        "heavy = ('numpy', 'scipy', 'torch', 'sbi', 'numba', 'emcee', 'healpy', 'matplotlib')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert float(out[0]) < 0.3
    assert out[1] == ""
