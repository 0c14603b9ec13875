"""Fast simulators: plain functions ``simulate_x(params, *, random_state=None, **config)``."""

from crsbi.simulators.gaussian_linear import gaussian_linear_posterior, simulate_gaussian_linear

__all__ = ["gaussian_linear_posterior", "simulate_gaussian_linear"]
