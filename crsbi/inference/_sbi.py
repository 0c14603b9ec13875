"""The one crsbi module that imports ``sbi``.

``sbi``'s API still moves between releases (``SNPE`` became ``NPE``; diagnostics
moved); everything crsbi needs from it is imported here, so a change is mended once.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # sbi and its dependencies emit import-time deprecation chatter we cannot act on
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", FutureWarning)
    from sbi.diagnostics import check_sbc, check_tarp, run_sbc, run_tarp
    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn
    from sbi.utils import BoxUniform
    from sbi.utils.metrics import c2st

__all__ = [
    "NPE",
    "BoxUniform",
    "c2st",
    "check_sbc",
    "check_tarp",
    "posterior_nn",
    "run_sbc",
    "run_tarp",
]
