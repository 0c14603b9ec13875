"""Every public class and function has a numpydoc docstring with an example (issue: docs)."""

import importlib
import inspect
from pathlib import Path

import pytest

# the packages whose __all__ makes up the API reference (docs/conf.py: API_PACKAGES)
PACKAGES = [
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


def _public_objects():
    seen = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return seen


OBJECTS = _public_objects()


def test_api_reference_lists_the_same_packages():
    text = (Path(__file__).resolve().parents[1] / "docs" / "conf.py").read_text()
    for package in PACKAGES:
        assert f'"{package}"' in text


@pytest.mark.parametrize("qualname", sorted(OBJECTS))
def test_public_object_has_numpydoc_docstring_with_example(qualname):
    doc = inspect.getdoc(OBJECTS[qualname]) or ""
    assert doc.strip(), f"{qualname} has no docstring"
    assert "Examples\n--------" in doc, f"{qualname}: docstring lacks an Examples section"
