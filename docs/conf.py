"""Sphinx configuration of the crsbi documentation (``make docs``)."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import crsbi  # noqa: E402

sys.path.insert(0, str(DOCS))
from _report import write_results_page  # noqa: E402

project = "crsbi"
author = "crsbi developers"
copyright = "2026, crsbi developers"
version = release = crsbi.__version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]

html_theme = "pydata_sphinx_theme"
html_title = f"crsbi {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
exclude_patterns = ["_build", "conf.py", "_report.py", "results/*.json", "jupyter_execute"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".py": "myst-nb"}

# API pages: one per public name, written by autosummary from docs/api.rst
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc shows the documented types
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Tutorials: the jupytext percent scripts in tutorials/ are copied here, executed in quick
# mode and rendered with their plots.
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = os.environ.get("CRSBI_DOCS_EXECUTE", "cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
templates_path = ["_templates"]
suppress_warnings = ["mystnb.unknown_mime_type"]


#: Public packages whose ``__all__`` makes up the API reference.
API_PACKAGES = [
    "crsbi",
    "crsbi.core",
    "crsbi.inference",
    "crsbi.propagation",
    "crsbi.uhecr",
    "crsbi.maps",
    "crsbi.particles",
    "crsbi.demos",
    "crsbi.pretrained",
]


def _write_api_page() -> None:
    """Write ``api.rst``: an autosummary table per package, from its ``__all__``."""
    lines = [
        "API reference",
        "=============",
        "",
        "Every public name, grouped by package (generated from each package's ``__all__``).",
        "",
    ]
    documented: set[str] = set()
    for name in API_PACKAGES:
        module = importlib.import_module(name)
        public = [n for n in getattr(module, "__all__", []) if not n.startswith("_")]
        entries = []
        for attr in sorted(public):
            obj = getattr(module, attr)
            if not callable(obj) or getattr(obj, "__module__", "") is None:
                continue
            home = f"{obj.__module__}.{obj.__qualname__}" if hasattr(obj, "__qualname__") else ""
            if home in documented:
                continue
            documented.add(home)
            entries.append(f"   {attr}")
        if not entries:
            continue
        lines += [
            f"``{name}``",
            "-" * (len(name) + 4),
            "",
            f".. automodule:: {name}",
            "   :no-members:",
            "",
            f".. currentmodule:: {name}",
            "",
            ".. autosummary::",
            "   :toctree: generated",
            "",
            *entries,
            "",
        ]
    (DOCS / "api.rst").write_text("\n".join(lines))


def _copy_tutorials() -> None:
    """Copy ``tutorials/*.py`` into ``docs/tutorials/`` so Sphinx executes and renders them."""
    target = DOCS / "tutorials"
    target.mkdir(exist_ok=True)
    for script in sorted((ROOT / "tutorials").glob("[0-9]*.py")):
        destination = target / script.name
        if not destination.exists() or destination.read_bytes() != script.read_bytes():
            shutil.copyfile(script, destination)


_write_api_page()
_copy_tutorials()
write_results_page()


def _skip_member(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated metadata-routing setters (``set_*_request``)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
