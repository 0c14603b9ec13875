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
    from sbi.diagnostics.sbc import check_uniformity_frequentist
    from sbi.inference import NPE
    from sbi.inference.posteriors.ensemble_posterior import EnsemblePosterior
    from sbi.neural_nets import posterior_nn
    from sbi.utils import BoxUniform, within_support
    from sbi.utils.metrics import c2st

__all__ = [
    "NPE",
    "BoxUniform",
    "EnsemblePosterior",
    "NullTracker",
    "c2st",
    "check_sbc",
    "check_tarp",
    "check_uniformity_frequentist",
    "posterior_nn",
    "run_sbc",
    "run_tarp",
    "within_support",
]


class NullTracker:
    """An sbi training tracker that records nothing.

    Without a tracker, sbi's trainers open a TensorBoard writer under
    ``./sbi-logs`` at every construction; crsbi keeps the per-epoch losses in the
    estimator's ``history_`` instead and passes this tracker.
    """

    log_dir = None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Ignore one metric."""

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        """Ignore several metrics."""

    def log_params(self, params: dict) -> None:
        """Ignore hyper-parameters."""

    def add_figure(self, name: str, figure: object, step: int | None = None) -> None:
        """Ignore a figure."""

    def flush(self) -> None:
        """Nothing to flush."""
