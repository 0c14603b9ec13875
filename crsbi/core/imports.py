"""Imports of optional heavy dependencies, made safe for parallel workers."""

from __future__ import annotations

import sys
import warnings
from types import ModuleType


def import_arviz(retries: int = 3) -> ModuleType:
    """Import arviz lazily (it takes about a second), without its import-time notice.

    arviz 0.23 writes a daily stamp file under the user cache directory while it is
    imported, through a temporary file of a fixed name: two processes importing it
    at once (pytest-xdist or joblib workers on a fresh machine) can race, and the
    loser's import fails with ``FileNotFoundError``. By then the winner has written the
    stamp, so the import is tried again.

    Parameters
    ----------
    retries : int, default=3
        Attempts before the error is raised.

    Returns
    -------
    module
        The ``arviz`` module.

    Examples
    --------
    >>> from crsbi.core.imports import import_arviz
    >>> import_arviz().__name__
    'arviz'
    """
    for attempt in range(retries):
        try:
            with warnings.catch_warnings():
                # arviz announces an upcoming refactor with a FutureWarning at import time
                warnings.simplefilter("ignore", FutureWarning)
                import arviz
        except FileNotFoundError:
            # a failed import leaves no usable module behind; drop partial submodules
            for name in [m for m in sys.modules if m == "arviz" or m.startswith("arviz.")]:
                del sys.modules[name]
            if attempt == retries - 1:
                raise
        else:
            return arviz
    raise AssertionError("unreachable")  # pragma: no cover
