r"""Driven isothermal turbulence with a cosmic-ray fluid, transport along a fixed guide field.

A small numba code in the spirit of the Athena++ CR-MHD boxes of Bustard and Oh (2023), made
to produce gas density maps whose statistics depend on CR transport. It evolves

.. math::

    \partial_t\rho + \nabla\cdot(\rho\mathbf v) &= 0,\\
    \partial_t(\rho\mathbf v) + \nabla\cdot(\rho\mathbf v\mathbf v)
        + \nabla(\rho c_s^2 + P_c) &= \rho\,\mathbf a_{\rm OU},\\
    \partial_t E_c + \nabla\cdot\big[\tfrac43 E_c(\mathbf v + \mathbf v_{\rm st})
        - \kappa\,\hat{\mathbf x}\,\partial_x E_c\big]
        &= (\mathbf v + \mathbf v_{\rm st})\cdot\nabla P_c,

with :math:`P_c = E_c/3` (:math:`\gamma_c = 4/3`), so :math:`\mathbf v\cdot\nabla P_c` plus
the enthalpy flux is the adiabatic term :math:`-P_c\nabla\cdot\mathbf v`.

Approximations
--------------
* **Fixed guide field** :math:`\mathbf B = B_0\hat{\mathbf x}`: magnetic pressure and tension
  are ignored (at :math:`\beta = 10` they are 10 % of the gas pressure); the field only sets
  the direction of diffusion and streaming and the Alfven speed
  :math:`v_A = B_0/\sqrt{4\pi\rho} = c_s\sqrt{2\rho_0/(\beta\rho)}`.
* **Isothermal gas**: streaming heats the gas at the rate
  :math:`-\mathbf v_{\rm st}\cdot\nabla P_c = v_A|\partial_x P_c|`, which the isothermal gas
  radiates at once; it is booked in the energy budget, not in the gas.
* **Streaming** (diffusive form): :math:`\mathbf v_{\rm st} = -v_A
  \tanh(\ell_{\rm st}\partial_x\ln E_c)\hat{\mathbf x}`, so the streaming flux is a
  diffusion flux with :math:`\kappa_{\rm st} = \tfrac43 v_A\ell_{\rm st}\tanh(q)/q`,
  :math:`q = \ell_{\rm st}\partial_x\ln E_c`. :math:`\ell_{\rm st} = 10^4 L`, so only the
  extrema and plateaus (:math:`|\partial_x\ln E_c| < 10^{-4}/L`) are regularised (Sharma et
  al. 2010). Each step solves the nonlinear implicit (backward Euler) problem by Picard
  iterations, so small perturbations flatten in a time proportional to their amplitude, as in
  ideal streaming (tested against its exact solutions; ``benchmarks/maps/bench_streaming.py``).
* **One-moment CRs** (no CR flux equation), no CR-gas collisional losses.

Numerics: HLL fluxes with limited (MC or minmod) linear reconstruction of
:math:`\rho, \mathbf v, E_c` and signal speed :math:`c_{\rm eff}^2 = c_s^2 + \tfrac43P_c/\rho`,
SSP-RK2 in time with a CFL condition; the field-aligned transport is split off (Strang) and
solved implicitly per row along x (diffusion with TR-BDF2, streaming with Picard-iterated
backward Euler) with cyclic tridiagonal solves, so large
:math:`\kappa` costs no small time steps. The forcing is an Ornstein-Uhlenbeck acceleration
field on the modes :math:`1 < |\mathbf n| < 3` (wavelengths :math:`2L/|\mathbf n|`, peaked at
:math:`L`), projected on its compressive (curl-free) part in Fourier space, with correlation
time :math:`L/c_s`; each step it is applied as a momentum kick whose amplitude injects exactly
:math:`\varepsilon\,\Delta t\,V` of kinetic energy, with
:math:`\varepsilon = C\rho_0 (\mathcal M c_s)^3/L` (:math:`C` calibrated so the no-CR run
saturates near the requested Mach number: 0.148 at 64^2 for M = 0.15).

Units: :math:`c_s = 1`, :math:`\rho_0 = 1`, :math:`L = 1` (driving scale); the periodic box has
side :math:`2L`; time in :math:`L/c_s`; one eddy time is :math:`L/(\mathcal M c_s)`;
:math:`\kappa` in :math:`L c_s`; energies per box volume in :math:`\rho_0 c_s^2 L^d`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval, check_option
from crsbi.maps._solver import OUForcing, Solver, injection_rate

__all__ = [
    "CRFLUID_CLASSES",
    "CRFLUID_PRESETS",
    "CRFluidResult",
    "evolve_crfluid",
    "simulate_crfluid",
]

CRFLUID_PRESETS: dict[str, dict[str, Any]] = {
    "MHD": {"eta": 0.0, "kappa": 0.0, "streaming": False},
    "CR_Advect": {"eta": 1.0, "kappa": 0.0, "streaming": False},
    "CR_Diff_Fiducial": {"eta": 1.0, "kappa": 0.1, "streaming": False},
    "CR_Diff100": {"eta": 1.0, "kappa": 10.0, "streaming": False},
    "CR_withStreaming": {"eta": 1.0, "kappa": 0.1, "streaming": True},
}
"""The five transport classes of Bustard and Wu (2024): CR-to-gas pressure ratio ``eta``,
field-aligned diffusion coefficient ``kappa`` in ``L c_s`` (fiducial 0.1: the maximum sound-wave
damping ``kappa k ~ c_s`` sits at ``k ~ 10/L``, inside the inertial range) and streaming."""

CRFLUID_CLASSES: tuple[str, ...] = tuple(CRFLUID_PRESETS)
"""Class names in label order (label ``i`` is ``CRFLUID_CLASSES[i]``)."""

_FIELDS = ("density", "velocity", "cr_energy")
_OWNER = "simulate_crfluid"


@dataclass(eq=False)
class CRFluidResult:
    """Snapshots and diagnostics of one :func:`simulate_crfluid` run.

    Attributes
    ----------
    times : ndarray of shape (n_snap,)
        Snapshot times [eddy times ``L / (M c_s)``].
    snapshots : dict of str to ndarray
        ``"density"`` (in ``rho_0``), and as requested ``"velocity_x"``, ``"velocity_y"``
        (``"velocity_z"``) (in ``c_s``) and ``"cr_energy"`` (in ``rho_0 c_s^2``), each of
        shape (n_snap, N, N) or (n_snap, N, N, N), indexed ``[snap, x, y(, z)]`` with the
        guide field along the first spatial axis.
    diagnostics : dict of str to ndarray
        Time series of shape (n_diag,): ``time`` (eddy times), ``mach`` (rms of ``|v|/c_s``),
        ``mass``, ``kinetic_energy``, ``isothermal_energy`` (``c_s^2 sum rho ln rho dV``),
        ``cr_energy`` and the cumulative budget terms ``injected``, ``cr_gain`` (work done by
        the gas on the CRs, ``int v.grad P_c``), ``streaming_heating`` and
        ``gas_dissipation`` (shock and grid dissipation of kinetic energy, the residual
        ``injected - cr_gain - Delta(kinetic + isothermal)``); the isothermal sink is
        ``streaming_heating + gas_dissipation``. Energies in ``rho_0 c_s^2 L^d``.
        With streaming, ``streaming_iterations`` (mean Picard iterations per row and step of
        the nonlinear streaming solve, cumulative) and ``streaming_unconverged`` (row solves
        that stopped at the iteration cap, cumulative).
    params : dict
        The resolved parameters (preset, kappa, streaming, eta, beta, mach, resolution, ndim,
        injection rate, eddy time, Alfven speed, ...).

    Examples
    --------
    >>> from crsbi.maps import simulate_crfluid
    >>> result = simulate_crfluid(preset="MHD", resolution=16, t_end_eddy=0.1, verbose=0,
    ...                           random_state=0)
    >>> result.snapshots["density"].shape[1:], len(result.times) == len(result.snapshots["density"])
    ((16, 16), True)
    """

    times: np.ndarray
    snapshots: dict[str, np.ndarray]
    diagnostics: dict[str, np.ndarray]
    params: dict[str, Any] = field(default_factory=dict)


def _resolve(
    params: Any, preset: str | None, kappa: Any, streaming: Any, eta: Any, beta: Any, mach: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {"eta": 1.0, "kappa": 0.1, "streaming": False}
    if preset is not None:
        check_option(preset, "preset", _OWNER, CRFLUID_PRESETS)
        values.update(CRFLUID_PRESETS[preset])
    for name, value in (("kappa", kappa), ("streaming", streaming), ("eta", eta)):
        if value is not None:
            values[name] = value
    values["beta"] = beta
    values["mach"] = mach
    if params is not None:
        if isinstance(params, Mapping):
            unknown = set(params) - {"kappa", "streaming", "eta", "beta", "mach"}
            if unknown:
                raise ValueError(
                    f"The 'params' mapping of {_OWNER} accepts the keys kappa, streaming, eta, "
                    f"beta, mach; got unknown keys {sorted(unknown)}."
                )
            values.update(params)
        else:
            theta = np.asarray(params, dtype=float).ravel()
            if theta.shape[0] not in (2, 3):
                raise ValueError(
                    f"The 'params' array of {_OWNER} must have shape (2,) (kappa, eta) or (3,) "
                    f"(kappa, eta, streaming); got shape {np.shape(params)}."
                )
            values["kappa"], values["eta"] = float(theta[0]), float(theta[1])
            if theta.shape[0] == 3:
                values["streaming"] = bool(theta[2] > 0.5)
    check_interval(values["kappa"], "kappa", _OWNER, low=0.0)
    check_interval(values["eta"], "eta", _OWNER, low=0.0, high=100.0)
    check_interval(values["beta"], "beta", _OWNER, low=0.0, closed="right")
    check_interval(values["mach"], "mach", _OWNER, low=0.0, high=2.0, closed="right")
    if not isinstance(values["streaming"], bool | np.bool_):
        raise TypeError(
            f"The 'streaming' parameter of {_OWNER} must be a bool; "
            f"got {values['streaming']!r} instead."
        )
    values["kappa"] = float(values["kappa"])
    values["eta"] = float(values["eta"])
    values["beta"] = float(values["beta"])
    values["mach"] = float(values["mach"])
    values["streaming"] = bool(values["streaming"])
    values["preset"] = preset
    return values


def _check_fields(return_fields: Any) -> tuple[str, ...]:
    if isinstance(return_fields, str):
        return_fields = (return_fields,)
    if not isinstance(return_fields, Sequence) or len(return_fields) == 0:
        raise ValueError(
            f"The 'return_fields' parameter of {_OWNER} must be a non-empty sequence drawn "
            f"from {_FIELDS}; got {return_fields!r} instead."
        )
    for name in return_fields:
        check_option(name, "return_fields", _OWNER, _FIELDS)
    return tuple(dict.fromkeys(return_fields))


def simulate_crfluid(
    params: Any = None,
    *,
    preset: str | None = None,
    resolution: int = 128,
    ndim: int = 2,
    kappa: float | None = None,
    streaming: bool | None = None,
    eta: float | None = None,
    beta: float = 10.0,
    mach: float = 0.15,
    t_end_eddy: float = 10.0,
    snapshot_every: float = 1.0,
    saturation_eddy: float = 3.0,
    random_state: Any = None,
    verbose: int = 1,
    return_fields: Sequence[str] = ("density",),
    limiter: str = "mc",
    cfl: float = 0.4,
    n_threads: int = 1,
) -> CRFluidResult:
    r"""Run one driven CR-fluid turbulence box and return density snapshots after saturation.

    Parameters
    ----------
    params : None, dict or array-like of shape (2,) or (3,)
        Physical parameters overriding the preset and keywords: a dict with keys among
        ``kappa, streaming, eta, beta, mach``, or an array ``(kappa, eta[, streaming])``
        (streaming on when > 0.5), for use as a campaign ``theta``.
    preset : str or None
        One of :data:`CRFLUID_PRESETS` (``"MHD"``, ``"CR_Advect"``, ``"CR_Diff_Fiducial"``,
        ``"CR_Diff100"``, ``"CR_withStreaming"``), setting ``eta``, ``kappa`` and ``streaming``.
    resolution : int, default=128
        Cells per side ``N`` (even, >= 8); the box has side ``2L``.
    ndim : {1, 2, 3}, default=2
        Spatial dimensions.
    kappa : float or None
        Field-aligned CR diffusion coefficient [``L c_s``, code units] (default: preset, else
        0.1).
    streaming : bool or None
        CR streaming at ``v_A`` down the CR pressure gradient (default: preset, else False).
    eta : float or None
        Initial CR-to-gas pressure ratio ``P_c / P_g`` (default: preset, else 1; 0 = no CRs).
    beta : float, default=10.0
        Plasma beta ``P_g / P_B``, which sets ``v_A = c_s sqrt(2 / beta)`` at ``rho_0``.
    mach : float, default=0.15
        Target rms sonic Mach number (dimensionless); sets the eddy time ``L / (M c_s)`` and
        the energy injection rate (fixed, the same for every preset).
    t_end_eddy : float, default=10.0
        Duration [eddy times ``L / (M c_s)``].
    snapshot_every : float, default=1.0
        Snapshot cadence [eddy times], starting at ``min(saturation_eddy, t_end_eddy)``.
    saturation_eddy : float, default=3.0
        Time [eddy times] after which the turbulence is taken as saturated.
    random_state : None, int or numpy.random.Generator
        Seed of the forcing (the only randomness).
    verbose : int, default=1
        0 silences the tqdm progress bar.
    return_fields : sequence of str, default=("density",)
        Fields to snapshot among ``"density"``, ``"velocity"``, ``"cr_energy"``.
    limiter : {"mc", "minmod"}, default="mc"
        Slope limiter of the reconstruction.
    cfl : float, default=0.4
        Courant number of the hydrodynamic step, in (0, 0.5].
    n_threads : int, default=1
        numba threads of the kernels (1 suits parallel campaigns, one run per process).

    Returns
    -------
    CRFluidResult
        Snapshots (n_snap, N, N[, N]) in the ``[x, y(, z)]`` layout, diagnostics and resolved
        parameters.

    Examples
    --------
    >>> from crsbi.maps.crfluid import simulate_crfluid
    >>> res = simulate_crfluid(preset="CR_Diff_Fiducial", resolution=16, t_end_eddy=0.1,
    ...                        snapshot_every=0.05, random_state=0, verbose=0)
    >>> res.snapshots["density"].shape
    (1, 16, 16)
    >>> abs(float(res.diagnostics["mass"][-1]) - 4.0) < 1e-12  # rho_0 (2L)^2
    True
    """
    values = _resolve(params, preset, kappa, streaming, eta, beta, mach)
    check_interval(resolution, "resolution", _OWNER, kind=int, low=8)
    if resolution % 2:
        raise ValueError(f"The 'resolution' parameter of {_OWNER} must be even; got {resolution}.")
    check_option(ndim, "ndim", _OWNER, (1, 2, 3))
    check_interval(t_end_eddy, "t_end_eddy", _OWNER, low=0.0, closed="right")
    check_interval(snapshot_every, "snapshot_every", _OWNER, low=0.0, closed="right")
    check_interval(saturation_eddy, "saturation_eddy", _OWNER, low=0.0)
    check_interval(n_threads, "n_threads", _OWNER, kind=int, low=1)
    check_option(limiter, "limiter", _OWNER, ("mc", "minmod"))
    check_interval(cfl, "cfl", _OWNER, low=0.0, high=0.5, closed="right")
    fields = _check_fields(return_fields)
    rng = check_random_state(random_state)
    n = int(resolution)
    eddy_time = 1.0 / values["mach"]
    box = 2.0
    shape = (n,) * ndim
    solver = Solver(
        np.ones(shape),
        np.zeros((ndim, *shape)),
        np.full(shape, 3.0 * values["eta"]),
        box_size=box,
        kappa=values["kappa"],
        streaming=values["streaming"],
        beta=values["beta"],
        limiter=limiter,
        cfl=cfl,
        n_threads=n_threads,
    )
    epsilon = injection_rate(values["mach"])
    solver.forcing = OUForcing(shape, box, correlation_time=1.0, epsilon=epsilon, rng=rng)
    t_end = float(t_end_eddy) * eddy_time
    start = min(float(saturation_eddy), float(t_end_eddy))
    snap_eddy = np.arange(start, float(t_end_eddy) + 1e-9, float(snapshot_every))
    snap_times = snap_eddy * eddy_time
    diag_every = min(0.05, float(t_end_eddy) / 20) * eddy_time
    tolerance = 1e-9 * eddy_time
    diag_times = np.append(np.arange(diag_every, t_end, diag_every), t_end)
    near = np.abs(diag_times[:, None] - snap_times[None, :]).min(axis=1) < tolerance
    stops = sorted([(t, False) for t in diag_times[~near]] + [(t, True) for t in snap_times])
    snaps: dict[str, list[np.ndarray]] = {}
    diagnostics: list[dict[str, float]] = [solver.diagnostics()]
    with solver.progress(t_end, verbose, f"crfluid {values['preset'] or 'custom'}"):
        for stop, is_snapshot in stops:
            if stop > 0:
                solver.advance_to(stop)
                diagnostics.append(solver.diagnostics())
            if is_snapshot:
                for name, array in solver.fields(fields).items():
                    snaps.setdefault(name, []).append(array)
    series = {key: np.array([d[key] for d in diagnostics]) for key in diagnostics[0]}
    series["time"] = series["time"] / eddy_time
    values.update(
        resolution=n,
        ndim=ndim,
        t_end_eddy=float(t_end_eddy),
        snapshot_every=float(snapshot_every),
        saturation_eddy=float(saturation_eddy),
        eddy_time=eddy_time,
        injection_rate=epsilon,
        alfven_speed=math.sqrt(2.0 / values["beta"]),
        box_size=box,
        correlation_time=1.0,
        limiter=limiter,
        cfl=float(cfl),
        n_steps=solver.n_steps,
    )
    return CRFluidResult(
        times=snap_eddy,
        snapshots={key: np.stack(value) for key, value in snaps.items()},
        diagnostics=series,
        params=values,
    )


def evolve_crfluid(
    density: Any,
    velocity: Any,
    cr_energy: Any,
    *,
    t_end: float,
    box_size: float = 2.0,
    kappa: float = 0.0,
    streaming: bool = False,
    beta: float = 10.0,
    limiter: str = "mc",
    cfl: float = 0.4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    r"""Evolve given fields without forcing (the solver of :func:`simulate_crfluid`).

    Useful for tests against linear theory and for custom initial conditions.

    Parameters
    ----------
    density : array-like of shape (N,), (N, N) or (N, N, N)
        Gas density [``rho_0``, code units], indexed ``[x, y(, z)]``; positive.
    velocity : array-like of shape ``(ndim, *density.shape)``
        Gas velocity components ``(v_x, v_y[, v_z])`` [``c_s``, code units].
    cr_energy : array-like of the shape of ``density``
        CR energy density ``E_c = 3 P_c`` [``rho_0 c_s^2``, code units]; non-negative.
    t_end : float
        Duration [``L / c_s``, code units].
    box_size : float, default=2.0
        Side of the periodic box [``L``, code units].
    kappa, streaming, beta, limiter, cfl
        As in :func:`simulate_crfluid` (kappa [``L c_s``, code units]).

    Returns
    -------
    density, velocity, cr_energy : ndarray
        Fields at ``t_end`` in the input shapes.
    diagnostics : dict of str to float
        The budget terms at ``t_end`` (see :class:`CRFluidResult`), starting from zero.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.crfluid import evolve_crfluid
    >>> x = (np.arange(32) + 0.5) / 16
    >>> rho, v, e, d = evolve_crfluid(1 + 0.01 * np.sin(np.pi * x), np.zeros((1, 32)),
    ...                               np.ones(32), t_end=0.5, kappa=0.1)
    >>> round(float(rho.sum()) / 32, 12)
    1.0
    """
    owner = "evolve_crfluid"
    rho = np.asarray(density, dtype=float)
    if rho.ndim not in (1, 2, 3) or len(set(rho.shape)) != 1 or rho.shape[0] < 4:
        raise ValueError(
            f"The 'density' parameter of {owner} must have shape (N,), (N, N) or (N, N, N) "
            f"with N >= 4; got shape {rho.shape}."
        )
    vel = np.asarray(velocity, dtype=float)
    cre = np.asarray(cr_energy, dtype=float)
    if vel.shape != (rho.ndim, *rho.shape):
        raise ValueError(
            f"The 'velocity' parameter of {owner} must have shape {(rho.ndim, *rho.shape)}; "
            f"got {vel.shape}."
        )
    if cre.shape != rho.shape:
        raise ValueError(
            f"The 'cr_energy' parameter of {owner} must have shape {rho.shape}; got {cre.shape}."
        )
    for name, array in (("density", rho), ("velocity", vel), ("cr_energy", cre)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"The '{name}' parameter of {owner} holds NaN or infinite values.")
    if np.any(rho <= 0) or np.any(cre < 0):
        raise ValueError(f"{owner} needs density > 0 and cr_energy >= 0 everywhere.")
    check_interval(t_end, "t_end", owner, low=0.0)
    check_interval(box_size, "box_size", owner, low=0.0, closed="neither")
    check_interval(kappa, "kappa", owner, low=0.0)
    check_interval(beta, "beta", owner, low=0.0, closed="right")
    if not isinstance(streaming, bool | np.bool_ | numbers.Integral):
        raise TypeError(f"The 'streaming' parameter of {owner} must be a bool; got {streaming!r}.")
    solver = Solver(
        rho,
        vel,
        cre,
        box_size=box_size,
        kappa=kappa,
        streaming=bool(streaming),
        beta=beta,
        limiter=limiter,
        cfl=cfl,
    )
    solver.advance_to(float(t_end))
    out = solver.fields(("density", "velocity", "cr_energy"))
    velocity_out = np.stack([out[f"velocity_{a}"] for a in "xyz"[: rho.ndim]])
    return out["density"], velocity_out, out["cr_energy"], solver.diagnostics()
