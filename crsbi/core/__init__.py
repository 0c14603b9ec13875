"""Shared core of crsbi, imported by every other subpackage and importing none of them.

The neural-estimator base and training loop, network building blocks, simulation campaigns and
their store, input validation, seeding, persistence, data paths and generic plots
(docs/architecture.md).
"""

from __future__ import annotations

from crsbi.core.lazy import lazy_exports

__all__ = [
    "DATA_ENV_VAR",
    "MLP",
    "BoxPrior",
    "Campaign",
    "CampaignResult",
    "CampaignSummary",
    "DataLocation",
    "NeuralClassifier",
    "NeuralRegressor",
    "SimulationStatus",
    "Target",
    "activation_layer",
    "atomic_write_bytes",
    "check_finite",
    "check_interval",
    "check_option",
    "check_random_state",
    "check_shape",
    "config_fingerprint",
    "consolidate_campaign",
    "data_dir",
    "data_file",
    "evaluate",
    "import_arviz",
    "load",
    "load_campaign",
    "load_config",
    "locate_data_dir",
    "plot_coverage",
    "plot_history",
    "plot_predicted_vs_simulated",
    "plot_sbc_ranks",
    "plot_surrogate_slice",
    "prediction_network",
    "resolve_device",
    "run_campaign",
    "save",
    "seeded_torch",
    "spawn_seeds",
    "torch_seed",
]

# public name -> module that defines it (imported on first access)
_LAZY = {
    "load_config": "crsbi.core.config",
    "evaluate": "crsbi.core.verdict",
    "Target": "crsbi.core.verdict",
    "prediction_network": "crsbi.core.base",
    "BoxPrior": "crsbi.core.campaign",
    "Campaign": "crsbi.core.campaign",
    "CampaignResult": "crsbi.core.campaign",
    "CampaignSummary": "crsbi.core.campaign",
    "SimulationStatus": "crsbi.core.campaign",
    "consolidate_campaign": "crsbi.core.campaign",
    "load_campaign": "crsbi.core.campaign",
    "run_campaign": "crsbi.core.campaign",
    "DATA_ENV_VAR": "crsbi.core.data",
    "DataLocation": "crsbi.core.data",
    "data_dir": "crsbi.core.data",
    "data_file": "crsbi.core.data",
    "locate_data_dir": "crsbi.core.data",
    "resolve_device": "crsbi.core.device",
    "import_arviz": "crsbi.core.imports",
    "NeuralClassifier": "crsbi.core.neural",
    "NeuralRegressor": "crsbi.core.neural",
    "MLP": "crsbi.core.nn",
    "activation_layer": "crsbi.core.nn",
    "atomic_write_bytes": "crsbi.core.persistence",
    "config_fingerprint": "crsbi.core.persistence",
    "load": "crsbi.core.persistence",
    "save": "crsbi.core.persistence",
    "plot_history": "crsbi.core.plotting",
    "plot_predicted_vs_simulated": "crsbi.core.plotting",
    "check_random_state": "crsbi.core.random",
    "seeded_torch": "crsbi.core.random",
    "spawn_seeds": "crsbi.core.random",
    "torch_seed": "crsbi.core.random",
    "check_finite": "crsbi.core.validation",
    "check_interval": "crsbi.core.validation",
    "check_option": "crsbi.core.validation",
    "check_shape": "crsbi.core.validation",
    "plot_coverage": "crsbi.inference.plotting",
    "plot_sbc_ranks": "crsbi.inference.plotting",
    "plot_surrogate_slice": "crsbi.particles.plotting",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
