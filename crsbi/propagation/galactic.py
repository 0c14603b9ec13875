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

The broken-diffusion model (``model="break"``, Genolini et al. 2017) appends two
parameters to these ten:

============== ============================================== ===============
break_rigidity rigidity R_b of the high-rigidity break [GV]     50 .. 2000
break_delta    slope change above R_b: D_xx ~ R^(delta - Delta)  0.01 .. 0.6
============== ============================================== ===============

(the smoothness of the break stays the configuration keyword ``break_smoothness``).
:func:`param_names` and :func:`prior_bounds` give the names and box of each model.

Energies are kinetic energies per nucleon; the paper's grid has 84 logarithmic points
from 1e-3 GeV/n with ratio 1.25 (:func:`energy_grid`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crsbi.propagation import _solver as _solver

__all__ = [
    "BREAK_BOUNDS",
    "BREAK_PARAM_NAMES",
    "DEFAULT_CONFIG",
    "ELEMENTS",
    "MODELS",
    "PARAM_NAMES",
    "PRIOR_BOUNDS",
    "GalacticSpectra",
    "check_galactic_params",
    "energy_grid",
    "force_field",
    "param_names",
    "prior_bounds",
    "simulate_galactic",
    "simulate_galactic_batch",
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

#: Parameters the broken-diffusion model (``model="break"``) appends to :data:`PARAM_NAMES`.
BREAK_PARAM_NAMES: tuple[str, ...] = ("break_rigidity", "break_delta")

#: Prior box of the break parameters: R_b [GV] spans the hardening reported above ~200 GV
#: (Genolini et al. 2017; DAMPE and CALET B/C), Delta the published slope changes (~0.1-0.2).
BREAK_BOUNDS: dict[str, tuple[float, float]] = {
    "break_rigidity": (50.0, 2000.0),
    "break_delta": (0.01, 0.6),
}

#: Models of :func:`simulate_galactic`: ``"paper"`` (the ten parameters of Tsai et al. 2022,
#: one power law in rigidity) and ``"break"`` (plus a high-rigidity diffusion break).
MODELS: tuple[str, ...] = ("paper", "break")


def _check_model(model: Any) -> str:
    if not isinstance(model, str) or model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}; got {model!r} instead.")
    return model


def param_names(model: str = "paper") -> tuple[str, ...]:
    """Names of the parameters of a model, in the order of its parameter vector.

    Parameters
    ----------
    model : {"paper", "break"}, default="paper"
        ``"paper"``: :data:`PARAM_NAMES`; ``"break"``: those plus :data:`BREAK_PARAM_NAMES`.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> len(param_names()), param_names("break")[-2:]
    (10, ('break_rigidity', 'break_delta'))
    """
    if _check_model(model) == "break":
        return PARAM_NAMES + BREAK_PARAM_NAMES
    return PARAM_NAMES


def prior_bounds(model: str = "paper") -> dict[str, tuple[float, float]]:
    """Prior box (low, high) of every parameter of a model, in :func:`param_names` order.

    Parameters
    ----------
    model : {"paper", "break"}, default="paper"

    Returns
    -------
    dict of str to (float, float)

    Examples
    --------
    >>> prior_bounds("break")["break_rigidity"]
    (50.0, 2000.0)
    """
    bounds = {**PRIOR_BOUNDS, **BREAK_BOUNDS}
    return {name: bounds[name] for name in param_names(model)}


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
    ((84,), 1.11)
    """
    return e_min * ratio ** np.arange(n_bins)


# ---------------------------------------------------------------------------------------
# Simulator
# ---------------------------------------------------------------------------------------

#: Default physical configuration of :func:`simulate_galactic` (override by keyword).
DEFAULT_CONFIG: dict[str, Any] = {
    "h": 0.1,  # disc half-thickness [kpc]
    "n_H": 0.9,  # disc hydrogen density [cm^-3]
    "n_He": 0.1,  # disc helium density [cm^-3]
    "n_e": 0.033,  # disc free-electron density [cm^-3] (Coulomb losses)
    "T_e": 1e4,  # electron temperature [K]
    "R0": 4.0,  # reference rigidity of D_xx [GV]
    "break_rigidity": None,  # high-rigidity break of D_xx [GV]; None: one power law
    "break_delta": 0.15,  # slope change above the break: D_xx ~ R^(delta - break_delta)
    "break_smoothness": 0.05,  # smoothness s of the break (small: sharp)
    "low_break_rigidity": None,  # low-rigidity break of D_xx [GV]; None: none
    "low_break_slope": 0.0,  # slope delta_l of D_xx below it: D_xx ~ R^delta_l (0: plateau)
    "low_break_smoothness": 0.05,  # smoothness s_l of the low break
    "q_C": 1.0,  # carbon-group source abundance, relative to the default
    "q_O": 1.0,  # O (and N, Ne, Mg, Si) source abundance, relative to the default
    "xi_Li": 1.0,  # scaling of production into Li from heavier elements
    "xi_Be": 1.0,  # scaling of production into Be from heavier elements
    "cross_sections": "auto",  # "auto", "tables" or "builtin"
    "inelastic": "Tripathi99",  # total inelastic table ("Tripathi99" or "CROSEC")
    "spallation": True,  # inelastic losses and secondary production
    "energy_losses": True,  # ionisation and Coulomb losses
    "reacceleration": True,  # momentum diffusion from v_A
    "decay": True,  # 10Be decay (10B gains)
    "n_sub": 8,  # solve-grid points per output-grid interval
    "pad": 32,  # extra solve-grid points beyond each end of the output grid
}

#: Flux normalisation: source density per GV at 10 GV giving roughly the AMS-02 C flux.
FLUX_NORMALISATION = 0.14

_FLOAT_KEYS = ("h", "n_H", "n_He", "n_e", "T_e", "R0", "q_C", "q_O", "xi_Li", "xi_Be")


def _config(config: dict[str, Any]) -> dict[str, Any]:
    unknown = set(config) - set(DEFAULT_CONFIG)
    if unknown:
        raise TypeError(
            f"Unknown galactic configuration keyword(s) {sorted(unknown)}; "
            f"expected some of {sorted(DEFAULT_CONFIG)}."
        )
    out = {**DEFAULT_CONFIG, **config}
    for key in _FLOAT_KEYS:
        value = out[key]
        low = 0.0 if key in ("n_He", "n_e", "q_C", "q_O", "xi_Li", "xi_Be") else None
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{key} must be a float; got {value!r} instead.") from None
        if (
            not np.isfinite(value)
            or (low is not None and value < low)
            or (low is None and value <= 0)
        ):
            bound = ">= 0" if low is not None else "> 0"
            raise ValueError(f"{key} must be a finite float {bound}; got {value!r} instead.")
        out[key] = value
    # each break: (R, shape, smoothness) keys and their half-open intervals (low, high]
    breaks = (
        (
            ("break_rigidity", 0.0, np.inf),
            ("break_delta", 0.0, 1.0),
            ("break_smoothness", 0.0, 1.0),
        ),
        (
            ("low_break_rigidity", 0.0, np.inf),
            ("low_break_slope", -3.0, 3.0),
            ("low_break_smoothness", 0.0, 1.0),
        ),
    )
    for spec in breaks:
        if out[spec[0][0]] is None:
            continue
        for key, low, high in spec:
            try:
                value = float(out[key])
            except (TypeError, ValueError):
                raise TypeError(f"{key} must be a float; got {out[key]!r} instead.") from None
            if not (np.isfinite(value) and low < value <= high):
                raise ValueError(
                    f"{key} must be a finite float in ({low}, {high}]; got {out[key]!r} instead."
                )
            out[key] = value
    if out["low_break_rigidity"] is not None:
        high_break = out["break_rigidity"]
        if high_break is not None and out["low_break_rigidity"] >= high_break:
            raise ValueError(
                f"low_break_rigidity ({out['low_break_rigidity']!r} GV) must lie below "
                f"break_rigidity ({high_break!r} GV)."
            )
    for key in ("n_sub", "pad"):
        if int(out[key]) != out[key] or int(out[key]) < (1 if key == "n_sub" else 2):
            raise ValueError(
                f"{key} must be an integer >= {1 if key == 'n_sub' else 2}; "
                f"got {out[key]!r} instead."
            )
        out[key] = int(out[key])
    return out


def _diffusion_break(
    cfg: dict[str, Any], static: Any, prefix: str = ""
) -> tuple[float, float, float] | None:
    """``(R_b, Delta, s)`` (or ``(R_l, delta_l, s_l)``) of a break, checked against the grid."""
    rigidity = cfg[f"{prefix}break_rigidity"]
    if rigidity is None:
        return None
    output = static.rigidity[:, static.grid.output_index]
    low, high = float(output.min()), float(output.max())
    if not low < rigidity < high:
        raise ValueError(
            f"{prefix}break_rigidity must lie inside the rigidities of the energy grid, "
            f"({low:.3g}, {high:.3g}) GV; got {rigidity!r} instead."
        )
    shape = "slope" if prefix else "delta"
    return rigidity, cfg[f"{prefix}break_{shape}"], cfg[f"{prefix}break_smoothness"]


def check_galactic_params(theta: Any, model: str = "paper") -> np.ndarray:
    """Validate galactic parameters and return them as floats in the model's order.

    Parameters
    ----------
    theta : array-like of shape (n_params,) or (n, n_params), or dict
        Parameters in :func:`param_names` order of ``model``, or a dict keyed by them.
    model : {"paper", "break"}, default="paper"
        ``"paper"``: the 10 :data:`PARAM_NAMES`; ``"break"``: 12, with the diffusion break.

    Returns
    -------
    ndarray of shape (n_params,) or (n, n_params)

    Raises
    ------
    ValueError
        On a wrong length for the model, NaN/inf or a value outside its prior box
        (naming it).

    Examples
    --------
    >>> check_galactic_params([5, 0.5, 1, 20, 5, 1.5, 2.4, 2.3, 3.5, 5.5]).shape
    (10,)
    >>> check_galactic_params([5, 0.5, 1, 20, 5, 1.5, 2.4, 2.3, 3.5, 5.5, 200, 0.15],
    ...                       model="break").shape
    (12,)
    """
    names = param_names(model)
    bounds = prior_bounds(model)
    if isinstance(theta, dict):
        missing = [name for name in names if name not in theta]
        extra = [name for name in theta if name not in names]
        if missing or extra:
            raise ValueError(
                f"theta dict of model={model!r} must have exactly the keys {list(names)}; "
                f"missing {missing}, unexpected {extra}."
            )
        theta = [theta[name] for name in names]
    try:
        arr = np.asarray(theta, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"theta must be numeric; got {theta!r}.") from None
    if arr.ndim not in (1, 2) or arr.shape[-1] != len(names):
        hint = ""
        if arr.ndim in (1, 2) and arr.shape[-1] != len(names):
            other = [m for m in MODELS if len(param_names(m)) == arr.shape[-1]]
            hint = f" (that is the length of model={other[0]!r})" if other else ""
        raise ValueError(
            f"theta of model={model!r} must have shape ({len(names)},) or (n, {len(names)}) "
            f"with parameters {names}; got shape {arr.shape}{hint}."
        )
    flat = arr.reshape(-1, len(names))
    for k, name in enumerate(names):
        low, high = bounds[name]
        column = flat[:, k]
        bad = ~np.isfinite(column) | (column < low) | (column > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Galactic parameter {name!r} must be finite and in [{low}, {high}]; got "
                f"{column[row]!r} (row {row})."
            )
    return arr


def _split_model(params: np.ndarray, model: str, config: dict[str, Any]) -> tuple[np.ndarray, dict]:
    """Split off the model's extra parameters into the simulator configuration."""
    if model == "paper":
        return params, config
    both = [name for name in BREAK_PARAM_NAMES if name in config]
    if both:
        raise ValueError(
            f"{both} are parameters of model='break' (the last entries of theta); do not "
            "also pass them as configuration keywords."
        )
    extra = dict(zip(BREAK_PARAM_NAMES, params[..., len(PARAM_NAMES) :].T, strict=True))
    return params[..., : len(PARAM_NAMES)], {**config, **extra}


def force_field(
    energy: Any,
    energy_lis: np.ndarray,
    flux_lis: np.ndarray,
    phi: float,
    charge: int,
    mass_number: int,
) -> np.ndarray:
    """Force-field solar modulation (Gleeson & Axford 1968) of a tabulated LIS.

    ``J(T) = J_LIS(T + Phi) T (T + 2m) / [(T + Phi)(T + Phi + 2m)]`` with
    ``Phi = (Z/A) phi`` per nucleon; ``J_LIS`` is interpolated linearly in log-log.

    Parameters
    ----------
    energy : array-like of shape (m,)
        Kinetic energies per nucleon at Earth [GeV/n], > 0.
    energy_lis, flux_lis : ndarray of shape (n,)
        Tabulated local interstellar spectrum: increasing energies [GeV/n] and flux > 0
        [per (m^2 s sr GeV/n)].
    phi : float
        Modulation potential [GV], >= 0 (0 gives the LIS).
    charge, mass_number : int
        Z and A of the isotope.

    Returns
    -------
    ndarray of shape (m,)
        Modulated flux [per (m^2 s sr GeV/n)]; zero beyond the tabulated range.

    Examples
    --------
    >>> e = np.geomspace(0.1, 100, 50)
    >>> j = force_field([1.0, 10.0], e, e**-2.7, 0.0, 6, 12)
    >>> np.allclose(j, [1.0, 10.0**-2.7], rtol=1e-6)
    True
    """
    energy = np.asarray(energy, dtype=float)
    if not np.isfinite(phi) or phi < 0:
        raise ValueError(f"phi must be a finite potential >= 0 [GV]; got {phi!r}.")
    shift = charge / mass_number * phi
    e_lis = energy + shift
    m = _solver.M_NUCLEON
    with np.errstate(divide="ignore"):
        log_j = np.interp(
            np.log(e_lis),
            np.log(energy_lis),
            np.log(np.maximum(flux_lis, 1e-300)),
            left=-np.inf,
            right=-np.inf,
        )
    factor = energy * (energy + 2 * m) / (e_lis * (e_lis + 2 * m))
    return np.exp(log_j) * factor


@dataclass(frozen=True)
class GalacticSpectra:
    """Spectra from :func:`simulate_galactic`.

    Attributes
    ----------
    energy : ndarray of shape (n_E,)
        Kinetic energy per nucleon [GeV/n].
    flux : ndarray of shape (5, n_E)
        Element fluxes (sum of isotopes) of :data:`ELEMENTS` at ``energy``, modulated with
        ``phi`` [per (m^2 s sr GeV/n)].
    isotopes : tuple of str
        Isotope names (``"10Be"`` ...), heaviest first.
    isotope_flux : ndarray of shape (n_iso, n_E)
        Isotope fluxes at ``energy`` with modulation ``phi``.
    phi : float
        Modulation potential of ``flux`` [GV].
    energy_lis : ndarray of shape (n_solve,)
        Solve-grid energies [GeV/n].
    isotope_lis : ndarray of shape (n_iso, n_solve)
        Local interstellar isotope fluxes on the solve grid.
    charges, mass_numbers : tuple of int
        Z and A of each isotope.

    Examples
    --------
    >>> from crsbi.propagation import simulate_galactic
    >>> theta = [5.0, 0.45, 1.0, 20.0, 5.0, 1.0, 2.3, 2.4, 3.0, 5.5]
    >>> spectra = simulate_galactic(theta, phi=0.6)
    >>> spectra.flux.shape, bool((spectra.flux_at([10.0]) > 0).all())
    ((5, 84), True)
    """

    energy: np.ndarray
    flux: np.ndarray
    isotopes: tuple[str, ...]
    isotope_flux: np.ndarray
    phi: float
    energy_lis: np.ndarray
    isotope_lis: np.ndarray
    charges: tuple[int, ...]
    mass_numbers: tuple[int, ...]

    def _element_rows(self, element: str) -> list[int]:
        if element not in _solver.ELEMENT_Z:
            raise ValueError(f"element must be one of {tuple(_solver.ELEMENT_Z)}; got {element!r}.")
        z = _solver.ELEMENT_Z[element]
        return [i for i, charge in enumerate(self.charges) if charge == z]

    def isotope_flux_at(self, energy: Any, phi: float | None = None) -> np.ndarray:
        """Isotope fluxes at kinetic energies per nucleon ``energy`` [GeV/n].

        Parameters
        ----------
        energy : array-like of shape (m,)
            Kinetic energy per nucleon [GeV/n].
        phi : float or None
            Modulation potential [GV]; ``None`` uses :attr:`phi`.

        Returns
        -------
        ndarray of shape (n_iso, m)
            Flux [per (m^2 s sr GeV/n)].
        """
        phi = self.phi if phi is None else float(phi)
        energy = np.atleast_1d(np.asarray(energy, dtype=float))
        return np.array(
            [
                force_field(energy, self.energy_lis, self.isotope_lis[i], phi, z, a)
                for i, (z, a) in enumerate(zip(self.charges, self.mass_numbers, strict=True))
            ]
        )

    def flux_at(
        self, energy: Any, element: str | None = None, phi: float | None = None
    ) -> np.ndarray:
        """Element flux versus kinetic energy per nucleon [per (m^2 s sr GeV/n)].

        Parameters
        ----------
        energy : array-like of shape (m,)
            Kinetic energy per nucleon [GeV/n].
        element : str or None
            One of ``Li, Be, B, C, N, O``; ``None`` returns all :data:`ELEMENTS`.
        phi : float or None
            Modulation potential [GV]; ``None`` uses :attr:`phi`.

        Returns
        -------
        ndarray of shape (m,) or (5, m)
        """
        iso = self.isotope_flux_at(energy, phi)
        if element is not None:
            return iso[self._element_rows(element)].sum(axis=0)
        return np.array([iso[self._element_rows(el)].sum(axis=0) for el in ELEMENTS])

    def flux_at_rigidity(
        self, rigidity: Any, element: str | None = None, phi: float | None = None
    ) -> np.ndarray:
        """Element flux versus rigidity [per (m^2 s sr GV)], isotopes summed at equal R.

        Parameters
        ----------
        rigidity : array-like of shape (m,)
            Rigidity [GV], > 0.
        element : str or None
            One of ``Li, Be, B, C, N, O``; ``None`` returns all :data:`ELEMENTS`.
        phi : float or None
            Modulation potential [GV]; ``None`` uses :attr:`phi`.

        Returns
        -------
        ndarray of shape (m,) or (5, m)
        """
        rigidity = np.atleast_1d(np.asarray(rigidity, dtype=float))
        phi = self.phi if phi is None else float(phi)
        m = _solver.M_NUCLEON

        def one(el: str) -> np.ndarray:
            total = np.zeros_like(rigidity)
            for i in self._element_rows(el):
                z, a = self.charges[i], self.mass_numbers[i]
                p = rigidity * z / a
                t = np.sqrt(p**2 + m**2) - m
                beta = p / (t + m)
                j = force_field(t, self.energy_lis, self.isotope_lis[i], phi, z, a)
                total += j * beta * z / a  # dT/dR = (Z/A) beta
            return total

        if element is not None:
            return one(element)
        return np.array([one(el) for el in ELEMENTS])


def simulate_galactic(
    theta: Any, *, model: str = "paper", phi: float = 0.0, energies: Any = None, **config: Any
) -> GalacticSpectra:
    """Li, Be, B, C, O spectra of the 1D thin-disc / diffusive-halo model.

    Each isotope (28Si, 24Mg, 20Ne, 16O, 15N, 14N, 13C, 12C, 11B, 10Be, 10B, 9Be, 7Be,
    7Li, 6Li; heaviest first) is solved in the disc on a log grid of kinetic energy per
    nucleon, ``A N + 2h d/dE [b N - c dN/dE] = 2h q``, with ``A = 2 K / z_h + 2 h Gamma_inel``
    (``2 K k coth(k z_h)`` for 10Be, ``k^2 = Gamma_decay / K``), ionisation, Coulomb and
    reacceleration terms, and secondary sources from heavier isotopes (straight-ahead).
    ``K = D0 beta^eta (R/R0)^delta`` and ``K_pp = 4 v_A^2 p^2 / [3 delta (4 - delta^2)
    (4 - delta) K]`` (Seo & Ptuskin 1994). With ``break_rigidity`` set, ``K`` is multiplied
    by ``[1 + (R/R_b)^(Delta/s)]^(-s)`` (Genolini et al. 2017): a hardening of the
    secondary-to-primary ratios above ``R_b``. With ``low_break_rigidity`` set, ``K`` is also
    multiplied by ``[1 + (R_l/R)^((delta - delta_l)/s_l)]^s_l``: ``K ~ R^delta_l`` below ``R_l``
    (Genolini et al. 2019). See ``docs/galactic.md``.

    Parameters
    ----------
    theta : array-like of shape (10,) or (12,), or dict
        Parameters in :func:`param_names` order of ``model`` (units of the module docstring).
    model : {"paper", "break"}, default="paper"
        ``"paper"``: the ten parameters of Tsai et al. (2022), one power law in rigidity
        (a break can still be fixed by the ``break_*`` keywords); ``"break"``: twelve, the
        last two ``break_rigidity`` [GV] and ``break_delta`` of the diffusion break.
    phi : float, default=0.0
        Force-field modulation potential [GV] applied to ``flux`` (0 gives the LIS).
    energies : array-like of shape (n_E,) or None
        Output kinetic energies per nucleon [GeV/n]; ``None`` gives :func:`energy_grid`.
    **config
        Keywords of :data:`DEFAULT_CONFIG`: gas (``h``, ``n_H``, ``n_He``, ``n_e``, ``T_e``),
        ``R0`` [GV], an optional high-rigidity diffusion break (``break_rigidity`` [GV],
        inside the grid's rigidities; ``break_delta`` in (0, 1]; ``break_smoothness`` in
        (0, 1]), an optional low-rigidity break (``low_break_rigidity`` [GV], below
        ``break_rigidity``; ``low_break_slope`` delta_l in (-3, 3]; ``low_break_smoothness``
        in (0, 1]), nuisance normalisations ``q_C``, ``q_O``, ``xi_Li``, ``xi_Be``, cross
        sections (``cross_sections``, ``inelastic``), switches (``spallation``,
        ``energy_losses``, ``reacceleration``, ``decay``) and grid (``n_sub``, ``pad``).

    Returns
    -------
    GalacticSpectra

    Examples
    --------
    >>> theta = [5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]
    >>> spectra = simulate_galactic(theta, phi=0.7)
    >>> spectra.flux.shape
    (5, 84)
    >>> bool(0.1 < spectra.flux_at([10.0], "B")[0] / spectra.flux_at([10.0], "C")[0] < 0.3)
    True
    >>> broken = simulate_galactic(theta + [200.0, 0.15], model="break")
    >>> bool(broken.flux_at([1e3], "B")[0] > spectra.flux_at([1e3], "B")[0])
    True
    """
    params = check_galactic_params(theta, model)
    if params.ndim != 1:
        raise ValueError(
            f"simulate_galactic takes one parameter vector of shape ({params.shape[-1]},); got "
            f"{params.shape}. Use simulate_galactic_batch for several."
        )
    params, config = _split_model(params, model, config)
    if not np.isfinite(phi) or phi < 0:
        raise ValueError(f"phi must be a finite potential >= 0 [GV]; got {phi!r}.")
    cfg = _config(config)
    static = _solver.build_static(
        1e-3,
        1.25,
        84,
        cfg["n_sub"],
        cfg["pad"],
        cfg["h"],
        cfg["n_H"],
        cfg["n_He"],
        cfg["n_e"],
        cfg["T_e"],
        cfg["cross_sections"],
        cfg["inelastic"],
        1.0,  # xi_Li and xi_Be are applied in solve_disc (no cache rebuild per value)
        1.0,
        bool(cfg["spallation"]),
        bool(cfg["energy_losses"]),
    )
    densities = _solver.solve_disc(
        static,
        params,
        h=cfg["h"],
        r0=cfg["R0"],
        q_c=cfg["q_C"],
        q_o=cfg["q_O"],
        decay=bool(cfg["decay"]),
        reacceleration=bool(cfg["reacceleration"]),
        xi_li=cfg["xi_Li"],
        xi_be=cfg["xi_Be"],
        diffusion_break=_diffusion_break(cfg, static),
        low_break=_diffusion_break(cfg, static, "low_"),
    )
    lis = FLUX_NORMALISATION * static.beta * densities
    names = tuple(name for name, _, _ in _solver.ISOTOPES)
    charges = tuple(z for _, z, _ in _solver.ISOTOPES)
    masses = tuple(a for _, _, a in _solver.ISOTOPES)
    grid = static.grid
    if energies is None and phi == 0.0:
        energy = grid.energy[grid.output_index]
        iso = lis[:, grid.output_index]
        spectra = GalacticSpectra(
            energy, np.zeros((5, 84)), names, iso, 0.0, grid.energy, lis, charges, masses
        )
    else:
        energy = (
            energy_grid() if energies is None else np.atleast_1d(np.asarray(energies, dtype=float))
        )
        if energy.ndim != 1 or not np.all(energy > 0):
            raise ValueError("energies must be a 1-D array of positive kinetic energies [GeV/n].")
        partial = GalacticSpectra(
            energy, np.zeros(0), names, np.zeros(0), float(phi), grid.energy, lis, charges, masses
        )
        spectra = GalacticSpectra(
            energy,
            np.zeros(0),
            names,
            partial.isotope_flux_at(energy),
            float(phi),
            grid.energy,
            lis,
            charges,
            masses,
        )
    flux = np.array(
        [
            spectra.isotope_flux[
                [i for i, z in enumerate(charges) if z == _solver.ELEMENT_Z[el]]
            ].sum(axis=0)
            for el in ELEMENTS
        ]
    )
    return GalacticSpectra(
        spectra.energy,
        flux,
        names,
        spectra.isotope_flux,
        spectra.phi,
        grid.energy,
        lis,
        charges,
        masses,
    )


def _one(theta: np.ndarray, model: str, phi: float, config: dict[str, Any]) -> np.ndarray:
    return simulate_galactic(theta, model=model, phi=phi, **config).flux


def simulate_galactic_batch(
    thetas: Any,
    *,
    model: str = "paper",
    phi: float = 0.0,
    random_state: Any = None,
    n_jobs: int | None = 1,
    verbose: int = 1,
    **config: Any,
) -> np.ndarray:
    """Fluxes of Li, Be, B, C, O on the 84-point grid for many parameter vectors.

    Parameters
    ----------
    thetas : array-like of shape (n, n_params) or (n_params,)
        Parameters in :func:`param_names` order of ``model`` (10 or 12).
    model : {"paper", "break"}, default="paper"
        As for :func:`simulate_galactic`.
    phi : float, default=0.0
        Force-field modulation potential [GV].
    random_state : None, int or numpy.random.Generator
        Accepted for the campaign protocol ``simulator(theta, *, random_state)``; the model
        is deterministic, so it has no effect.
    n_jobs : int or None, default=1
        Parallel workers (joblib processes) for ``n > 1``; results do not depend on it.
    verbose : int, default=1
        Show a tqdm progress bar for batches larger than one (0 silences it).
    **config
        As for :func:`simulate_galactic`.

    Returns
    -------
    ndarray of shape (n, 5, 84), or (420,) for a single 1-D ``theta``
        Fluxes [per (m^2 s sr GeV/n)] at :func:`energy_grid` in :data:`ELEMENTS` order. A
        1-D ``theta`` gives the flattened (5 * 84,) vector, as campaigns expect.

    Examples
    --------
    >>> theta = [5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]
    >>> simulate_galactic_batch([theta, theta], verbose=0).shape
    (2, 5, 84)
    >>> simulate_galactic_batch(theta, random_state=0).shape
    (420,)
    """
    params = check_galactic_params(thetas, model)
    _split_model(params, model, config)  # break keywords given twice raise here
    _config(config)
    if params.ndim == 1:
        return simulate_galactic(params, model=model, phi=phi, **config).flux.ravel()
    n = params.shape[0]
    if n_jobs is not None and n_jobs != 1 and n > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(_one)(t, model, phi, config) for t in params)
        return np.asarray(results).reshape(n, len(ELEMENTS), -1)
    from tqdm.auto import tqdm

    out = np.empty((n, len(ELEMENTS), 84))
    for i in tqdm(range(n), disable=verbose == 0 or n < 2, desc="galactic"):
        out[i] = _one(params[i], model, phi, config)
    return out
