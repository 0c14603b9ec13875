"""Disc solution of the 1D thin-disc / diffusive-halo model (private to ``galactic``).

Units: length kpc, time Myr, energy GeV per nucleon, densities in arbitrary units
(the flux normalisation is applied by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.linalg.lapack import dgtsv

from crsbi.propagation.cross_sections import get_cross_sections

M_NUCLEON = 0.9315  # atomic mass unit [GeV]; mass per nucleon used for all isotopes
C_CM_S = 2.99792458e10
MYR_S = 3.15576e13
KPC_CM = 3.0857e21
D28_TO_KPC2_MYR = 1e28 * MYR_S / KPC_CM**2  # 1e28 cm^2/s in kpc^2/Myr
KMS_TO_KPC_MYR = 1e5 * MYR_S / KPC_CM
MB_CM2 = 1e-27
BE10_HALF_LIFE_MYR = 1.387  # Chmeleff et al. 2010; mean life = half-life / ln 2

# (name, Z, A), heaviest first, 10Be before its daughter 10B.
ISOTOPES: tuple[tuple[str, int, int], ...] = (
    ("28Si", 14, 28),
    ("24Mg", 12, 24),
    ("20Ne", 10, 20),
    ("16O", 8, 16),
    ("15N", 7, 15),
    ("14N", 7, 14),
    ("13C", 6, 13),
    ("12C", 6, 12),
    ("11B", 5, 11),
    ("10Be", 4, 10),
    ("10B", 5, 10),
    ("9Be", 4, 9),
    ("7Be", 4, 7),
    ("7Li", 3, 7),
    ("6Li", 3, 6),
)
ELEMENT_Z = {"Li": 3, "Be": 4, "B": 5, "C": 6, "N": 7, "O": 8}

# Source abundances at equal rigidity (10 GV) relative to 16O: the carbon group scales
# with q_C, the rest with q_O. Values close to the AMS-02 / HEAO-3 ratios at high rigidity.
SOURCE_ABUNDANCE = {
    "28Si": 0.16,
    "24Mg": 0.19,
    "20Ne": 0.15,
    "16O": 1.0,
    "14N": 0.06,
    "12C": 0.88,
    "13C": 0.01,
}
CARBON_GROUP = ("12C", "13C")


@dataclass(frozen=True)
class Grid:
    """Solve grid: kinetic energy per nucleon on a log grid with cell interfaces."""

    energy: np.ndarray  # (n,) GeV/n
    edges: np.ndarray  # (n + 1,) GeV/n
    widths: np.ndarray  # (n,)
    dist: np.ndarray  # (n + 1,) spacing of the points either side of each interface
    inner: np.ndarray  # (n + 1,) all interfaces (= edges; outer ones face zero ghost cells)
    output_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


def make_grid(e_min: float, ratio: float, n_out: int, n_sub: int, pad: int) -> Grid:
    """Log grid refining ``e_min * ratio**i`` by ``n_sub``, with ``pad`` extra points per end."""
    k = np.arange(-pad, (n_out - 1) * n_sub + pad + 1)
    log_r = np.log(ratio) / n_sub
    energy = e_min * np.exp(k * log_r)
    edges = e_min * np.exp((np.arange(k[0], k[-1] + 2) - 0.5) * log_r)
    return Grid(
        energy=energy,
        edges=edges,
        widths=np.diff(edges),
        dist=np.diff(e_min * np.exp(np.arange(k[0] - 1, k[-1] + 2) * log_r)),
        inner=edges,
        output_index=pad + n_sub * np.arange(n_out),
    )


def kinematics(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(beta, gamma, momentum per nucleon [GeV/c]) at kinetic energy per nucleon [GeV/n]."""
    total = energy + M_NUCLEON
    p = np.sqrt(energy * (energy + 2.0 * M_NUCLEON))
    return p / total, total / M_NUCLEON, p


def loss_rate(
    energy: np.ndarray, z: int, a: int, n_h: float, n_he: float, n_e: float, t_e: float
) -> np.ndarray:
    """Ionisation + Coulomb energy-loss rate dE/dt [GeV/n per Myr], negative.

    Mannheim & Schlickeiser (1994) forms as used in GALPROP (Strong & Moskalenko 1998);
    He atoms count as two H-like electrons.
    """
    beta, _, _ = kinematics(energy)
    beta0 = 0.01
    n_atoms = n_h + 2.0 * n_he
    ion = (
        -1.82e-7
        * z**2
        * n_atoms
        * (1.0 + 0.0185 * np.log(beta) * (beta > beta0))
        * (2.0 * beta**2 / (beta0**3 + 2.0 * beta**3))
    )
    x_m = 0.0286 * np.sqrt(t_e / 2e6)
    coul = -3.1e-7 * z**2 * n_e * beta**2 / (x_m**3 + beta**3)
    return (ion + coul) * 1e-9 * MYR_S / a  # eV/s per nucleus -> GeV/n per Myr


@dataclass(frozen=True)
class Static:
    """Parameter-independent arrays of one configuration (cached)."""

    grid: Grid
    beta: np.ndarray  # (n,)
    beta_edge: np.ndarray  # (n + 1,)
    p_edge: np.ndarray  # (n + 1,) momentum per nucleon at interfaces
    total_edge: np.ndarray  # (n + 1,) total energy per nucleon at interfaces
    rigidity: np.ndarray  # (n_iso, n) GV
    rigidity_edge: np.ndarray  # (n_iso, n + 1)
    spallation: np.ndarray  # (n_iso, n) 2h * Gamma_inel [kpc/Myr]
    loss_edge: np.ndarray  # (n_iso, n + 1) dE/dt at interfaces [GeV/n/Myr]
    production: np.ndarray  # (n_iso, n_iso, n) daughter, parent: v * sum n sigma [1/Myr]
    source_shape: np.ndarray  # (n_iso, n) dR/dT = (A/Z)/beta
    primary: np.ndarray  # (n_iso,) 0 or 1
    carbon: np.ndarray  # (n_iso,) 1 for the carbon group


@lru_cache(maxsize=16)
def build_static(
    e_min: float,
    ratio: float,
    n_out: int,
    n_sub: int,
    pad: int,
    h: float,
    n_h: float,
    n_he: float,
    n_e: float,
    t_e: float,
    xs_source: str,
    inelastic: str,
    xi_li: float,
    xi_be: float,
    spallation: bool,
    energy_losses: bool,
) -> Static:
    """Cross sections, losses and kinematics on the solve grid (cached by configuration)."""
    grid = make_grid(e_min, ratio, n_out, n_sub, pad)
    e = grid.energy
    beta, _, _ = kinematics(e)
    beta_edge, _, p_edge = kinematics(grid.inner)
    total_edge = grid.inner + M_NUCLEON
    xs = get_cross_sections(xs_source, inelastic)
    n_iso = len(ISOTOPES)
    rate = beta * C_CM_S * MB_CM2 * MYR_S  # v * sigma[mb] * n[cm^-3] -> 1/Myr
    spall = np.zeros((n_iso, e.size))
    prod = np.zeros((n_iso, n_iso, e.size))
    loss = np.zeros((n_iso, grid.inner.size))
    rig = np.zeros((n_iso, e.size))
    rig_edge = np.zeros((n_iso, grid.inner.size))
    shape = np.zeros((n_iso, e.size))
    _, _, p = kinematics(e)
    for i, (_, z, a) in enumerate(ISOTOPES):
        rig[i] = p * a / z
        rig_edge[i] = p_edge * a / z
        shape[i] = (a / z) / beta
        if spallation:
            sig = n_h * xs.inelastic((z, a), e, "H") + n_he * xs.inelastic((z, a), e, "He")
            spall[i] = 2.0 * h * rate * sig
            for j in range(i):
                parent = ISOTOPES[j][1:]
                s = n_h * xs.fragmentation(parent, (z, a), e, "H") + n_he * xs.fragmentation(
                    parent, (z, a), e, "He"
                )
                # xi scales production from heavier elements (not Li -> Li, Be -> Be).
                scale = 1.0 if parent[0] == z else xi_li if z == 3 else xi_be if z == 4 else 1.0
                prod[i, j] = scale * rate * s
        if energy_losses:
            loss[i] = loss_rate(grid.inner, z, a, n_h, n_he, n_e, t_e)
    primary = np.array([SOURCE_ABUNDANCE.get(name, 0.0) for name, _, _ in ISOTOPES])
    carbon = np.array([name in CARBON_GROUP for name, _, _ in ISOTOPES], dtype=float)
    return Static(
        grid,
        beta,
        beta_edge,
        p_edge,
        total_edge,
        rig,
        rig_edge,
        spall,
        loss,
        prod,
        shape,
        primary,
        carbon,
    )


def source_spectrum(
    rigidity: np.ndarray,
    nu1: float,
    nu2: float,
    nu3: float,
    r_br1: float,
    r_br2: float,
    r_ref: float = 10.0,
) -> np.ndarray:
    """Broken power law q(R) [per GV], continuous, equal to 1 at ``r_ref`` GV."""

    def log_q(r: np.ndarray) -> np.ndarray:
        lr = np.log(r)
        l1, l2 = np.log(r_br1), np.log(r_br2)
        return (
            -nu1 * np.minimum(lr, l1)
            - nu2 * (np.clip(lr, l1, l2) - l1)
            - nu3 * (np.maximum(lr, l2) - l2)
        )

    return np.exp(log_q(rigidity) - log_q(np.asarray(r_ref)))


def _sg_weights(b: np.ndarray, c: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scharfetter-Gummel interface weights: flux F = alpha N_i - gamma N_{i+1} for F = bN - cN'."""
    a = c / dist
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        peclet = b / a
        alpha = b / (-np.expm1(-peclet))
        gamma = b / np.expm1(peclet)
    small = np.abs(peclet) < 1e-6
    alpha = np.where(small, a + 0.5 * b, alpha)
    gamma = np.where(small, a - 0.5 * b, gamma)
    zero_c = a <= 0.0
    alpha = np.where(zero_c, np.maximum(b, 0.0), alpha)
    gamma = np.where(zero_c, np.maximum(-b, 0.0), gamma)
    return np.nan_to_num(alpha), np.nan_to_num(gamma)


def break_factor(
    rigidity: np.ndarray, break_rigidity: float, delta_change: float, smoothness: float
) -> np.ndarray:
    """Smooth high-rigidity break of the diffusion coefficient (Genolini et al. 2017).

    ``[1 + (R / R_b)^(Delta / s)]^(-s)``: 1 well below ``R_b``, ``(R / R_b)^-Delta`` well
    above, so ``K ~ R^delta`` turns into ``K ~ R^(delta - Delta)`` over a rigidity range set by
    ``s`` (small ``s``: sharp break). Computed in logs, without overflow.
    """
    x = (delta_change / smoothness) * np.log(rigidity / break_rigidity)
    return np.exp(-smoothness * np.logaddexp(0.0, x))


def low_break_factor(
    rigidity: np.ndarray, break_rigidity: float, slope_change: float, smoothness: float
) -> np.ndarray:
    """Smooth low-rigidity break of the diffusion coefficient (Genolini et al. 2019).

    ``[1 + (R_l / R)^(d / s)]^s`` with ``d = delta - delta_l``: 1 well above ``R_l``,
    ``(R_l / R)^d`` well below, so ``K ~ R^delta`` turns into ``K ~ R^delta_l`` below ``R_l``
    (``d`` of either sign; ``d = 0`` is no break). Computed in logs, without overflow.
    """
    if slope_change == 0.0:
        return np.ones_like(rigidity)
    x = (abs(slope_change) / smoothness) * np.log(break_rigidity / rigidity)
    return np.exp(np.sign(slope_change) * smoothness * np.logaddexp(0.0, x))


def solve_disc(
    static: Static,
    theta: np.ndarray,
    *,
    h: float,
    r0: float,
    q_c: float,
    q_o: float,
    decay: bool,
    reacceleration: bool,
    xi_li: float = 1.0,
    xi_be: float = 1.0,
    diffusion_break: tuple[float, float, float] | None = None,
    low_break: tuple[float, float, float] | None = None,
) -> np.ndarray:
    """Disc densities N0 (n_iso, n) for one parameter vector (PARAM_NAMES order).

    ``xi_li``, ``xi_be`` scale production into Li and Be from heavier elements (use them
    with a ``static`` built with ``xi = 1``; ``build_static`` can also bake them in).
    ``diffusion_break = (R_b [GV], Delta, s)`` multiplies the spatial diffusion coefficient
    by :func:`break_factor` (and the momentum diffusion by its inverse);
    ``low_break = (R_l [GV], delta_l, s_l)`` by :func:`low_break_factor` with
    ``d = delta - delta_l``.
    """
    d0, delta, eta, v_a, z_h, nu1, nu2, nu3, lb1, lb2 = (float(v) for v in theta)
    grid = static.grid
    n_iso, n = static.rigidity.shape
    d0_k = d0 * D28_TO_KPC2_MYR
    kxx = d0_k * static.beta**eta * (static.rigidity / r0) ** delta  # (n_iso, n)
    if diffusion_break is not None:
        kxx = kxx * break_factor(static.rigidity, *diffusion_break)
    if low_break is not None:
        low = (low_break[0], delta - low_break[1], low_break[2])
        kxx = kxx * low_break_factor(static.rigidity, *low)
    v_a_k = v_a * KMS_TO_KPC_MYR
    b = static.loss_edge.copy()
    c = np.zeros_like(b)
    if reacceleration and v_a > 0:
        k_edge = d0_k * static.beta_edge**eta * (static.rigidity_edge / r0) ** delta
        if diffusion_break is not None:
            k_edge = k_edge * break_factor(static.rigidity_edge, *diffusion_break)
        if low_break is not None:
            k_edge = k_edge * low_break_factor(static.rigidity_edge, *low)
        kpp = (
            (4.0 / 3.0)
            * v_a_k**2
            * static.p_edge**2
            / (delta * (4.0 - delta**2) * (4.0 - delta) * k_edge)
        )
        c = static.beta_edge**2 * kpp
        b = b + (1.0 + static.beta_edge**2) * kpp / static.total_edge
    alpha, gamma = _sg_weights(b, c, grid.dist)
    scale = 2.0 * h / grid.widths
    # Cell i: F(i+1/2) - F(i-1/2) with F(k-1/2) = alpha_k N_{k-1} - gamma_k N_k on edge k;
    # the outer edges face empty ghost cells (absorbing boundaries: outflow only).
    diag = static.spallation + scale * (alpha[:, 1:] + gamma[:, :-1])
    upper = -scale[:-1] * gamma[:, 1:-1]  # coefficient of N_{i+1} in row i
    lower = -scale[1:] * alpha[:, 1:-1]  # coefficient of N_{i-1} in row i

    escape = 2.0 * kxx / z_h
    be10 = next(k for k, iso in enumerate(ISOTOPES) if iso[0] == "10Be")
    b10 = next(k for k, iso in enumerate(ISOTOPES) if iso[0] == "10B")
    decay_gain_coef = np.zeros(n)
    if decay:
        gamma_lorentz = 1.0 + grid.energy / M_NUCLEON
        rate = np.log(2.0) / (BE10_HALF_LIFE_MYR * gamma_lorentz)
        k = np.sqrt(rate / kxx[be10])
        kl = np.minimum(k * z_h, 700.0)
        coth = 1.0 / np.tanh(kl)
        escape[be10] = 2.0 * kxx[be10] * k * coth
        decay_gain_coef = 2.0 * kxx[be10] * (k * coth - 1.0 / z_h)

    q = source_spectrum(static.rigidity, nu1, nu2, nu3, 1e-3 * 10**lb1, 1e-3 * 10**lb2)
    weight = static.primary * np.where(static.carbon > 0, q_c, q_o)
    rhs_primary = 2.0 * h * weight[:, None] * q * static.source_shape

    densities = np.zeros((n_iso, n))
    for i in range(n_iso):
        rhs = rhs_primary[i].copy()
        if i:
            z = ISOTOPES[i][1]
            xi = xi_li if z == 3 else xi_be if z == 4 else 1.0
            # xi scales production from heavier elements (not Li -> Li, Be -> Be).
            weight_parent = np.array([1.0 if ISOTOPES[j][1] == z else xi for j in range(i)])
            rhs += (
                2.0
                * h
                * np.einsum("j,jn,jn->n", weight_parent, static.production[i, :i], densities[:i])
            )
        if decay and i == b10:
            rhs += decay_gain_coef * densities[be10]
        if not rhs.any():
            continue
        # LAPACK's tridiagonal solver, as scipy's solve_banded((1, 1), ...) calls it (same
        # bits), without its argument checks (a quarter of a simulation's time)
        *_, densities[i], info = dgtsv(lower[i], diag[i] + escape[i], upper[i], rhs, overwrite_b=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"singular transport matrix for isotope {i} (info {info})")
    return densities
