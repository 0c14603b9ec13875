"""Regular Galactic magnetic field (GMF) models for back-tracking UHECRs.

Models
------
:class:`JF12Field`
    Jansson & Farrar (2012a), ApJ 757, 14 (arXiv:1204.3662), regular field: a disk of
    eight logarithmic spiral arms and a molecular ring, a toroidal halo and an
    out-of-plane "X-field". ``variant="planck"`` is the Planck-tuned "JF12b" variant of
    Planck Collaboration Int. XLII (2016), A&A 596, A103.
:class:`PT11Field`
    Pshirkov, Tinyakov, Kronberg & Newton-McGee (2011), ApJ 738, 192 (arXiv:1103.0814),
    bisymmetric (BSS) or axisymmetric (ASS) disk plus the double toroidal halo.

Conventions
-----------
Galactocentric right-handed Cartesian coordinates in kpc, the Sun at ``(-8.5, 0, 0)``,
``z`` towards Galactic north. A direction ``(l, b)`` seen from the Sun is
``(cos b cos l, cos b sin l, sin b)`` (``l = 0`` towards the Galactic centre). Fields in
microgauss. The signs are those of the papers as implemented in CRPropa 3
(``JF12Field``, ``PlanckJF12bField``, ``PT11Field``): the local JF12 disk field points
to ``l = 90 - 11.5 = 78.5 deg`` (clockwise seen from the north Galactic pole, the disk
amplitude at the Sun being ``b5 < 0``); the local PT11 disk field points to
``l = 90 + p`` (85 deg for ASS, 84 deg for BSS, also clockwise). Both halos are
counter-clockwise (seen from the north) above the plane, clockwise below.

Every model has a numba kernel ``kernel(x, y, z, params) -> (bx, by, bz)`` on float
scalars with a float64 parameter vector, which allocates nothing, so an integrator can
take the kernel as an argument of its own ``@njit`` loop::

    @njit
    def push(kernel, params, x, y, z):
        bx, by, bz = kernel(x, y, z, params)
        ...

    push(model.kernel, model.params, -8.5, 0.0, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
from numba import njit

__all__ = [
    "GALACTIC_FIELDS",
    "GalacticField",
    "JF12Field",
    "PT11Field",
    "galactic_field",
    "jf12_kernel",
    "pt11_kernel",
]


# --------------------------------------------------------------------------------------
# JF12
# --------------------------------------------------------------------------------------

# Indices into the JF12 parameter vector (see JF12Field.params).
_J_BRING, _J_HDISK, _J_WDISK = 0, 1, 2
_J_B = 3  # b1 .. b8 at 3 .. 10
_J_R = 11  # r1 .. r8 at 11 .. 18
_J_BN, _J_BS, _J_RN, _J_RS, _J_WH, _J_Z0 = 19, 20, 21, 22, 23, 24
_J_BX, _J_RXC, _J_RX = 25, 26, 27
_J_SINP, _J_COSP, _J_TANP = 28, 29, 30
_J_SINX, _J_COSX, _J_TANX = 31, 32, 33
_J_RIN, _J_RMAX, _J_RRING_IN, _J_RRING_OUT = 34, 35, 36, 37
_J_SIZE = 38


@njit(cache=True)
def _logistic(x: float, x0: float, w: float) -> float:  # pragma: no cover - compiled
    """JF12 transition ``L(x; x0, w) = 1 / (1 + exp(-2 (|x| - x0) / w))``."""
    return 1.0 / (1.0 + math.exp(-2.0 * (abs(x) - x0) / w))


@njit(cache=True)
def jf12_kernel(
    x: float, y: float, z: float, p: np.ndarray
) -> tuple[float, float, float]:  # pragma: no cover
    """JF12 regular field [microgauss] at galactocentric ``(x, y, z)`` [kpc].

    Parameters
    ----------
    x, y, z : float
        Position [kpc].
    p : numpy.ndarray of float64
        Parameter vector of :attr:`JF12Field.params`.

    Returns
    -------
    tuple of float
        ``(bx, by, bz)`` [microgauss]; zero within ``r_in`` of the Galactic centre
        and from ``r_max`` on.
    """
    r2 = x * x + y * y
    d2 = r2 + z * z
    if d2 <= p[_J_RIN] * p[_J_RIN] or d2 >= p[_J_RMAX] * p[_J_RMAX]:
        return 0.0, 0.0, 0.0
    r = math.sqrt(r2)
    if r > 0.0:
        cphi = x / r
        sphi = y / r
        phi = math.atan2(y, x)
    else:
        cphi = 1.0
        sphi = 0.0
        phi = 0.0
    az = abs(z)
    lf_disk = _logistic(z, p[_J_HDISK], p[_J_WDISK])
    bx = 0.0
    by = 0.0
    bz = 0.0

    # disk: molecular ring (purely azimuthal) and 8 logarithmic spiral arms
    if r > p[_J_RRING_IN]:
        if r < p[_J_RRING_OUT]:
            bmag = p[_J_BRING] * (p[_J_RRING_OUT] / r) * (1.0 - lf_disk)
            bx -= bmag * sphi
            by += bmag * cphi
        else:
            # radius at which the spiral through (r, phi) crosses the negative x-axis,
            # reduced to the winding [r8 exp(-2 pi tan p), r8)
            tanp = p[_J_TANP]
            r8 = p[_J_R + 7]
            r_negx = r * math.exp((math.pi - phi) * tanp)
            wind = math.exp(2.0 * math.pi * tanp)
            while r_negx >= r8:
                r_negx /= wind
            while r_negx * wind < r8:
                r_negx *= wind
            b_arm = p[_J_B + 7]
            for i in range(8):
                if r_negx < p[_J_R + i]:
                    b_arm = p[_J_B + i]
                    break
            bmag = b_arm * (p[_J_RRING_OUT] / r) * (1.0 - lf_disk)
            sinp = p[_J_SINP]
            cosp = p[_J_COSP]
            bx += bmag * (sinp * cphi - cosp * sphi)
            by += bmag * (sinp * sphi + cosp * cphi)

    # toroidal halo
    if z >= 0.0:
        bh = p[_J_BN] * (1.0 - _logistic(r, p[_J_RN], p[_J_WH]))
    else:
        bh = p[_J_BS] * (1.0 - _logistic(r, p[_J_RS], p[_J_WH]))
    bh *= math.exp(-az / p[_J_Z0]) * lf_disk
    bx -= bh * sphi
    by += bh * cphi

    # X-field (poloidal, out of plane)
    rxc = p[_J_RXC]
    rc = rxc + az / p[_J_TANX]
    if r < rc:
        # varying elevation angle
        rp = r * rxc / rc
        q = rxc / rc
        bmag = p[_J_BX] * math.exp(-rp / p[_J_RX]) * q * q
        dr = r - rp
        norm = math.sqrt(dr * dr + az * az)
        if norm > 0.0:
            sin_t = az / norm
            cos_t = dr / norm
        else:
            sin_t = 1.0
            cos_t = 0.0
    else:
        # constant elevation angle theta_X0
        rp = r - az / p[_J_TANX]
        bmag = p[_J_BX] * math.exp(-rp / p[_J_RX]) * rp / r
        sin_t = p[_J_SINX]
        cos_t = p[_J_COSX]
    brad = bmag * cos_t if z >= 0.0 else -bmag * cos_t
    bx += brad * cphi
    by += brad * sphi
    bz += bmag * sin_t
    return bx, by, bz


# --------------------------------------------------------------------------------------
# PT11
# --------------------------------------------------------------------------------------

_P_SINP, _P_COSP, _P_COTP, _P_PHI, _P_COSPHI = 0, 1, 2, 3, 4
_P_RSUN, _P_RC, _P_Z0D, _P_B0D, _P_ASS = 5, 6, 7, 8, 9
_P_Z0H, _P_R0H, _P_BHN, _P_BHS, _P_Z11, _P_Z12 = 10, 11, 12, 13, 14, 15
_P_RMAX = 16
_P_SIZE = 17


@njit(cache=True)
def pt11_kernel(
    x: float, y: float, z: float, p: np.ndarray
) -> tuple[float, float, float]:  # pragma: no cover
    """PT11 regular field [microgauss] at galactocentric ``(x, y, z)`` [kpc].

    Parameters
    ----------
    x, y, z : float
        Position [kpc].
    p : numpy.ndarray of float64
        Parameter vector of :attr:`PT11Field.params`.

    Returns
    -------
    tuple of float
        ``(bx, by, bz)`` [microgauss]; zero on the z-axis and from ``r_max`` (galactocentric) on.
    """
    r2 = x * x + y * y
    if r2 == 0.0 or r2 + z * z >= p[_P_RMAX] * p[_P_RMAX]:
        return 0.0, 0.0, 0.0
    r = math.sqrt(r2)
    cphi = x / r
    sphi = y / r
    az = abs(z)

    # disk: B(r) cos(theta - cot(p) ln(r / R_sun) + Phi) exp(-|z| / z0) along the spiral,
    # theta = pi - phi the paper's azimuth (Sun at theta = 0, measured clockwise)
    theta = math.atan2(y, -x)
    c = math.cos(theta - p[_P_COTP] * math.log(r / p[_P_RSUN]) + p[_P_PHI])
    if p[_P_ASS] != 0.0:
        c = abs(c)
    bmag = p[_P_B0D] * p[_P_RSUN] / max(r, p[_P_RC]) / p[_P_COSPHI] * math.exp(-az / p[_P_Z0D])
    bmag *= c
    sinp = p[_P_SINP]
    cosp = p[_P_COSP]
    # direction sin(p) e_r - cos(p) e_phi
    bx = bmag * (sinp * cphi + cosp * sphi)
    by = bmag * (sinp * sphi - cosp * cphi)

    # halo: toroidal, opposite directions north and south
    bh = p[_P_BHN] if z > 0.0 else -p[_P_BHS]
    z1 = p[_P_Z11] if az < p[_P_Z0H] else p[_P_Z12]
    s = (az - p[_P_Z0H]) / z1
    rr = r / p[_P_R0H]
    bh *= rr * math.exp(1.0 - rr) / (1.0 + s * s)
    bx -= bh * sphi
    by += bh * cphi
    return bx, by, 0.0


# --------------------------------------------------------------------------------------
# Python API
# --------------------------------------------------------------------------------------


@njit(cache=True)
def _evaluate(kernel, params, xyz, out):  # pragma: no cover - compiled
    """``out[i] = kernel(*xyz[i], params)`` for rows of ``xyz`` (n, 3)."""
    for i in range(xyz.shape[0]):
        bx, by, bz = kernel(xyz[i, 0], xyz[i, 1], xyz[i, 2], params)
        out[i, 0] = bx
        out[i, 1] = by
        out[i, 2] = bz


class GalacticField:
    """Base of the regular Galactic magnetic field models.

    Subclasses provide ``name`` (str), ``r_max_kpc`` (radius of the galactocentric
    sphere outside which the field is zero), :attr:`kernel` and :attr:`params`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.gmf import GalacticField, galactic_field
    >>> field = galactic_field("jf12")
    >>> isinstance(field, GalacticField), field(np.zeros((2, 3))).shape
    (True, (2, 3))
    """

    name: str
    r_max_kpc: float
    _kernel: ClassVar = None

    @property
    def kernel(self):
        """Numba kernel ``kernel(x, y, z, params) -> (bx, by, bz)`` (kpc in, microgauss out)."""
        return type(self)._kernel

    @property
    def params(self) -> np.ndarray:
        """Parameter vector of :attr:`kernel` (float64, 1-D)."""
        raise NotImplementedError

    def __call__(self, positions: np.ndarray) -> np.ndarray:
        """Field at galactocentric positions.

        Parameters
        ----------
        positions : array_like of float, shape (..., 3)
            Galactocentric Cartesian positions [kpc].

        Returns
        -------
        numpy.ndarray of float64, shape (..., 3)
            Field [microgauss].

        Raises
        ------
        ValueError
            If ``positions`` is not a real array of shape (..., 3) with finite values.
        """
        try:
            pos = np.asarray(positions, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"positions must be a real array of shape (..., 3) in kpc. Got {positions!r}."
            ) from err
        if pos.ndim == 0 or pos.shape[-1] != 3:
            raise ValueError(
                f"positions must have shape (..., 3) (x, y, z in kpc). Got shape {pos.shape}."
            )
        if not np.all(np.isfinite(pos)):
            raise ValueError("positions must be finite. Got NaN or infinite values.")
        flat = np.ascontiguousarray(pos.reshape(-1, 3))
        out = np.empty_like(flat)
        _evaluate(self.kernel, self.params, flat, out)
        return out.reshape(pos.shape)


#: Published JF12 regular-field parameters (Jansson & Farrar 2012a, Table 1).
_JF12_DEFAULTS: dict[str, object] = {
    "b_arms": (0.1, 3.0, -0.9, -0.8, -2.0, -4.2, 0.0, 2.7),
    "r_arms": (5.1, 6.3, 7.1, 8.3, 9.8, 11.4, 12.7, 15.5),
    "pitch_deg": 11.5,
    "b_ring": 0.1,
    "h_disk": 0.40,
    "w_disk": 0.27,
    "b_north": 1.4,
    "b_south": -1.1,
    "r_north": 9.22,
    "r_south": 17.0,
    "w_halo": 0.20,
    "z0_halo": 5.3,
    "b_x": 4.6,
    "theta_x0_deg": 49.0,
    "r_xc": 4.8,
    "r_x": 2.9,
}
#: Changes of the Planck-tuned JF12 ("JF12b", Planck Int. XLII 2016, as in CRPropa's
#: ``PlanckJF12bField``): b6 -4.2 -> -3.5 and B_X 4.6 -> 1.8 microgauss.
_JF12_PLANCK: dict[str, object] = {
    "b_arms": (0.1, 3.0, -0.9, -0.8, -2.0, -3.5, 0.0, 2.7),
    "b_x": 1.8,
}


def _check_positive(obj: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number. Got {value!r}.")


def _check_finite(obj: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number. Got {value!r}.")


@dataclass(frozen=True)
class JF12Field(GalacticField):
    """Jansson & Farrar (2012) regular Galactic magnetic field.

    Parameters left at ``None`` take the value of ``variant``. Defaults (JF12 paper,
    ApJ 757, 14, Table 1 and Sect. 5; identical to CRPropa's ``JF12Field``):

    - disk: ``b_arms`` = b1 .. b8 = (0.1, 3.0, -0.9, -0.8, -2.0, -4.2, 0.0, 2.7) microgauss
      at r = 5 kpc (the field falls as 5 kpc / r); b8 is not fitted but fixed by
      conservation of the magnetic flux through a cylinder, the published 2.7;
      ``r_arms`` = (5.1, 6.3, 7.1, 8.3, 9.8, 11.4, 12.7, 15.5) kpc, the arm boundaries
      on the negative x-axis; ``pitch_deg`` = 11.5; molecular ring (3 .. 5 kpc, purely
      azimuthal) ``b_ring`` = 0.1; disk-halo transition ``h_disk`` = 0.40 kpc,
      ``w_disk`` = 0.27 kpc;
    - toroidal halo: ``b_north`` = 1.4, ``b_south`` = -1.1 microgauss, ``r_north`` =
      9.22 kpc, ``r_south`` = 17 kpc (the paper gives the bound r_s > 16.7 kpc; 17 as in
      CRPropa), ``w_halo`` = 0.20 kpc, ``z0_halo`` = 5.3 kpc;
    - X-field: ``b_x`` = 4.6 microgauss, ``theta_x0_deg`` = 49, ``r_xc`` = 4.8 kpc,
      ``r_x`` = 2.9 kpc.

    ``variant="planck"``: the Planck-tuned JF12 of Planck Int. XLII (2016, A&A 596, A103,
    "JF12b"), parameters as in CRPropa's ``PlanckJF12bField``: b6 = -3.5 microgauss and
    ``b_x`` = 1.8 microgauss, everything else as JF12 (b8 kept at 2.7).

    The field is zero within ``r_in_kpc`` = 1 kpc of the Galactic centre and outside the
    galactocentric sphere of radius ``r_max_kpc`` = 20 kpc. Only the regular field is
    modelled (no striated or turbulent parts). Every component is divergence-free
    inside its region; the piecewise boundaries (arm boundaries, r = 3 and 5 kpc, the
    X-field's ``r = r_xc + |z| / tan theta_x0`` surface, the 1 and 20 kpc spheres) are
    not.

    Examples
    --------
    >>> from crsbi.uhecr.gmf import JF12Field
    >>> b = JF12Field()([[-8.5, 0.0, 0.0]])
    >>> b.shape
    (1, 3)
    >>> round(float(b[0, 1]), 2)  # towards l = 90 deg (clockwise seen from the north)
    1.03
    """

    variant: str = "jf12"
    b_arms: tuple[float, ...] | None = None
    r_arms: tuple[float, ...] | None = None
    pitch_deg: float | None = None
    b_ring: float | None = None
    h_disk: float | None = None
    w_disk: float | None = None
    b_north: float | None = None
    b_south: float | None = None
    r_north: float | None = None
    r_south: float | None = None
    w_halo: float | None = None
    z0_halo: float | None = None
    b_x: float | None = None
    theta_x0_deg: float | None = None
    r_xc: float | None = None
    r_x: float | None = None
    r_in_kpc: float = 1.0
    r_max_kpc: float = 20.0

    _kernel: ClassVar = jf12_kernel

    def __post_init__(self) -> None:
        if self.variant not in ("jf12", "planck"):
            raise ValueError(f"variant must be 'jf12' or 'planck'. Got {self.variant!r}.")
        values = dict(_JF12_DEFAULTS)
        if self.variant == "planck":
            values.update(_JF12_PLANCK)
        for f in fields(self):
            if f.name in values and getattr(self, f.name) is None:
                object.__setattr__(self, f.name, values[f.name])
        for name in ("b_arms", "r_arms"):
            value = tuple(float(v) for v in getattr(self, name))
            if len(value) != 8 or not np.all(np.isfinite(value)):
                raise ValueError(f"{name} must hold 8 finite numbers. Got {value!r}.")
            object.__setattr__(self, name, value)
        if np.any(np.diff(self.r_arms) <= 0):
            raise ValueError(f"r_arms must increase. Got {self.r_arms!r}.")
        _check_finite(self, ("b_ring", "b_north", "b_south", "b_x"))
        _check_positive(
            self,
            ("h_disk", "w_disk", "r_north", "r_south", "w_halo", "z0_halo", "r_xc", "r_x"),
        )
        _check_positive(self, ("r_max_kpc",))
        if not (0 < self.pitch_deg < 90 and 0 < self.theta_x0_deg < 90):
            raise ValueError(
                "pitch_deg and theta_x0_deg must lie in (0, 90). "
                f"Got {self.pitch_deg!r} and {self.theta_x0_deg!r}."
            )
        if not (0 <= self.r_in_kpc < self.r_max_kpc):
            raise ValueError(
                f"need 0 <= r_in_kpc < r_max_kpc. Got {self.r_in_kpc!r}, {self.r_max_kpc!r}."
            )

    @property
    def name(self) -> str:
        """``"jf12"`` or ``"jf12_planck"``."""
        return "jf12" if self.variant == "jf12" else "jf12_planck"

    @property
    def params(self) -> np.ndarray:
        """Kernel parameters (float64, 1-D, length 38).

        Layout: ``b_ring, h_disk, w_disk, b1..b8, r1..r8, b_north, b_south, r_north,
        r_south, w_halo, z0_halo, b_x, r_xc, r_x, sin p, cos p, tan p, sin theta_x0,
        cos theta_x0, tan theta_x0, r_in, r_max, 3, 5`` (the molecular ring's radii).
        """
        p = np.empty(_J_SIZE)
        p[_J_BRING], p[_J_HDISK], p[_J_WDISK] = self.b_ring, self.h_disk, self.w_disk
        p[_J_B : _J_B + 8] = self.b_arms
        p[_J_R : _J_R + 8] = self.r_arms
        p[_J_BN], p[_J_BS] = self.b_north, self.b_south
        p[_J_RN], p[_J_RS], p[_J_WH], p[_J_Z0] = (
            self.r_north,
            self.r_south,
            self.w_halo,
            self.z0_halo,
        )
        p[_J_BX], p[_J_RXC], p[_J_RX] = self.b_x, self.r_xc, self.r_x
        pitch = np.deg2rad(self.pitch_deg)
        p[_J_SINP], p[_J_COSP], p[_J_TANP] = np.sin(pitch), np.cos(pitch), np.tan(pitch)
        tx = np.deg2rad(self.theta_x0_deg)
        p[_J_SINX], p[_J_COSX], p[_J_TANX] = np.sin(tx), np.cos(tx), np.tan(tx)
        p[_J_RIN], p[_J_RMAX] = self.r_in_kpc, self.r_max_kpc
        p[_J_RRING_IN], p[_J_RRING_OUT] = 3.0, 5.0
        return p


#: Published PT11 parameters (Pshirkov et al. 2011, Table 3; as in CRPropa's PT11Field).
_PT11_DEFAULTS: dict[str, dict[str, float]] = {
    "ass": {"pitch_deg": -5.0, "b_halo_south": 2.0},
    "bss": {"pitch_deg": -6.0, "b_halo_south": 4.0},
}


@dataclass(frozen=True)
class PT11Field(GalacticField):
    """Pshirkov, Tinyakov, Kronberg & Newton-McGee (2011) regular Galactic field.

    Parameters left at ``None`` take the value of the ``disk`` variant. Defaults
    (PT11 paper, ApJ 738, 192, Table 3 best fits; identical to CRPropa's ``PT11Field``):

    - disk ``B(r) cos(theta - ln(r / R_sun) / tan p + Phi) exp(-|z| / z0)`` with
      ``Phi = ln(1 + d / R_sun) / tan p - pi / 2``, ``B(r) = B0 R_sun / (max(r, R_c)
      cos Phi)``, ``theta`` the azimuth measured clockwise from the Sun's direction; for
      ``disk="ass"`` the cosine is replaced by its absolute value. ``pitch_deg`` = -6
      (BSS) or -5 (ASS), ``d`` = -0.6 kpc (first field reversal, towards the Galactic
      centre), ``r_sun`` = 8.5 kpc, ``r_c`` = 5 kpc, ``z0_disk`` = 1 kpc, ``b0_disk`` =
      2 microgauss (the disk field at the Sun);
    - halo ``B_phi = B0_H r / R0 exp(1 - r / R0) / (1 + ((|z| - z0_H) / z1)^2)`` with
      ``z0_halo`` = 1.3 kpc, ``r0_halo`` = 8 kpc, ``z1`` = 0.25 kpc for ``|z| < z0_H`` and
      0.4 kpc above, ``b_halo_north`` = 4 microgauss, ``b_halo_south`` = 4 (BSS) or 2
      (ASS) microgauss, counter-clockwise (seen from the north) above the plane and
      clockwise below.

    The model has no natural edge; like JF12 it is set to zero outside the
    galactocentric sphere of radius ``r_max_kpc`` = 20 kpc (CRPropa does not truncate).
    The halo and the disk at ``r > R_c`` are divergence-free; the disk inside ``R_c``
    (constant amplitude instead of 1 / r) is not.

    Examples
    --------
    >>> from crsbi.uhecr.gmf import PT11Field
    >>> b = PT11Field(disk="bss", b_halo_north=0.0, b_halo_south=0.0)([-8.5, 0.0, 0.0])
    >>> round(float(np.hypot(b[0], b[1])), 6)  # B0 at the Sun
    2.0
    """

    disk: str = "bss"
    pitch_deg: float | None = None
    d: float = -0.6
    r_sun: float = 8.5
    r_c: float = 5.0
    z0_disk: float = 1.0
    b0_disk: float = 2.0
    z0_halo: float = 1.3
    r0_halo: float = 8.0
    b_halo_north: float = 4.0
    b_halo_south: float | None = None
    z1_halo_inner: float = 0.25
    z1_halo_outer: float = 0.4
    r_max_kpc: float = 20.0

    _kernel: ClassVar = pt11_kernel

    def __post_init__(self) -> None:
        if self.disk not in _PT11_DEFAULTS:
            raise ValueError(f"disk must be 'bss' or 'ass'. Got {self.disk!r}.")
        for name, value in _PT11_DEFAULTS[self.disk].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        _check_finite(self, ("d", "b0_disk", "b_halo_north", "b_halo_south"))
        _check_positive(
            self,
            ("r_sun", "r_c", "z0_disk", "z0_halo", "r0_halo", "z1_halo_inner", "z1_halo_outer"),
        )
        _check_positive(self, ("r_max_kpc",))
        if not (-90 < self.pitch_deg < 90 and self.pitch_deg != 0):
            raise ValueError(f"pitch_deg must lie in (-90, 90) \\ {{0}}. Got {self.pitch_deg!r}.")
        if not self.d > -self.r_sun:
            raise ValueError(f"d must exceed -r_sun. Got {self.d!r}.")

    @property
    def name(self) -> str:
        """``"pt11_bss"`` or ``"pt11_ass"``."""
        return f"pt11_{self.disk}"

    @property
    def params(self) -> np.ndarray:
        """Kernel parameters (float64, 1-D, length 17).

        Layout: ``sin p, cos p, cot p, Phi, cos Phi, r_sun, r_c, z0_disk, b0_disk,
        is_ass, z0_halo, r0_halo, b_halo_north, b_halo_south, z1_inner, z1_outer, r_max``.
        """
        pitch = np.deg2rad(self.pitch_deg)
        cot = 1.0 / np.tan(pitch)
        phi = cot * np.log1p(self.d / self.r_sun) - np.pi / 2
        return np.array(
            [
                np.sin(pitch),
                np.cos(pitch),
                cot,
                phi,
                np.cos(phi),
                self.r_sun,
                self.r_c,
                self.z0_disk,
                self.b0_disk,
                1.0 if self.disk == "ass" else 0.0,
                self.z0_halo,
                self.r0_halo,
                self.b_halo_north,
                self.b_halo_south,
                self.z1_halo_inner,
                self.z1_halo_outer,
                self.r_max_kpc,
            ],
            dtype=np.float64,
        )


#: Names accepted by :func:`galactic_field`.
GALACTIC_FIELDS: tuple[str, ...] = ("jf12", "jf12_planck", "pt11_bss", "pt11_ass")


def galactic_field(name: str) -> GalacticField:
    """Galactic field model from its name.

    Parameters
    ----------
    name : str
        One of :data:`GALACTIC_FIELDS`: ``"jf12"``, ``"jf12_planck"``, ``"pt11_bss"``,
        ``"pt11_ass"``.

    Returns
    -------
    GalacticField
        The model with its published parameters.

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from crsbi.uhecr.gmf import galactic_field
    >>> galactic_field("pt11_ass").name
    'pt11_ass'
    """
    if name == "jf12":
        return JF12Field()
    if name == "jf12_planck":
        return JF12Field(variant="planck")
    if name == "pt11_bss":
        return PT11Field(disk="bss")
    if name == "pt11_ass":
        return PT11Field(disk="ass")
    raise ValueError(f"unknown Galactic field {name!r}. Expected one of {GALACTIC_FIELDS}.")
