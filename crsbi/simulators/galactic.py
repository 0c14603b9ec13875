"""Semi-analytic Galactic propagation of Li, Be, B, C, N, O (1D thin disc, diffusive halo).

Parameter conventions shared by the simulator and :class:`crsbi.PropagationInverter`
(Tsai, Chung, Yuan, Cheung 2022), in this order:

========== ================================================ ===============
name       meaning                                          prior box
========== ================================================ ===============
D0         diffusion normalisation [1e28 cm^2/s] at R0       1 .. 15
delta      rigidity slope of D_xx = D0 beta^eta (R/R0)^delta 0.2 .. 1.0
eta        low-velocity exponent                             -4 .. 4
v_A        Alfven speed for reacceleration [km/s]            0 .. 60
z_h        halo half-height [kpc]                            1 .. 20
nu1        source index below R_br1                          0 .. 2
nu2        source index between the breaks                   1 .. 4
nu3        source index above R_br2                          1 .. 4
log10_Rbr1 log10 of the first break rigidity [MV]            2 .. 4
log10_Rbr2 log10 of the second break rigidity [MV]           5 .. 7
========== ================================================ ===============

Energies are kinetic energies per nucleon; the paper's grid has 84 logarithmic points
from 1e-3 GeV/n with ratio 1.25 (:func:`energy_grid`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ELEMENTS",
    "PARAM_NAMES",
    "PRIOR_BOUNDS",
    "energy_grid",
]

#: Names of the ten learned parameters, in the order used everywhere.
PARAM_NAMES: tuple[str, ...] = (
    "D0",
    "delta",
    "eta",
    "v_A",
    "z_h",
    "nu1",
    "nu2",
    "nu3",
    "log10_Rbr1",
    "log10_Rbr2",
)

#: Prior box (low, high) of each parameter, in the units of the module docstring.
PRIOR_BOUNDS: dict[str, tuple[float, float]] = {
    "D0": (1.0, 15.0),
    "delta": (0.2, 1.0),
    "eta": (-4.0, 4.0),
    "v_A": (0.0, 60.0),
    "z_h": (1.0, 20.0),
    "nu1": (0.0, 2.0),
    "nu2": (1.0, 4.0),
    "nu3": (1.0, 4.0),
    "log10_Rbr1": (2.0, 4.0),
    "log10_Rbr2": (5.0, 7.0),
}

#: Elements whose fluxes the simulator returns, in this order (axis 1 of its output).
ELEMENTS: tuple[str, ...] = ("Li", "Be", "B", "C", "O")


def energy_grid(n_bins: int = 84, e_min: float = 1e-3, ratio: float = 1.25) -> np.ndarray:
    """Kinetic energy per nucleon grid of Tsai et al. (2022), in GeV/n.

    Parameters
    ----------
    n_bins : int, default=84
        Number of points.
    e_min : float, default=1e-3
        First point [GeV/n].
    ratio : float, default=1.25
        Ratio between neighbouring points.

    Returns
    -------
    ndarray of shape (n_bins,)

    Examples
    --------
    >>> e = energy_grid()
    >>> e.shape, round(float(e[-1]) / 1e5, 2)
    ((84,), 1.1)
    """
    return e_min * ratio ** np.arange(n_bins)
