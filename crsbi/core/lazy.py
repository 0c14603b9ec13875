"""Lazy attribute loading for package ``__init__`` modules (keeps ``import crsbi`` fast)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, names: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``__getattr__`` and ``__dir__`` for a package whose names load on first access.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict
        Public name -> module that defines it.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)`` to assign in the package's namespace.
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            setattr(sys.modules[package], name, value)  # cache: next access is direct
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
