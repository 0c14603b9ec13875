"""Galactic magnetic lenses by back-tracking, and source images through them.

A lens maps extragalactic arrival directions to the directions observed at the Earth, one
rigidity ``R = E / Z`` at a time. :func:`build_lens` launches anti-particles from the Earth
(the Sun's position of the field model, Galactocentric ``(-8.5, 0, 0)`` kpc) in the centres
of the pixels of a HEALPix grid of ``ray_nside`` (NESTED, Galactic coordinates), integrates
them through the field (regular model plus an optional turbulent component) until they
leave the Galactocentric sphere of radius ``r_max_kpc``, and stores the exit directions.
By Liouville's theorem an isotropic extragalactic flux stays isotropic, so the observed
flux in a direction equals the extragalactic flux in the direction its back-tracked ray
leaves the Galaxy: the lens is the list of those exit directions, and

- the *lens matrix* at rigidity ``R_k`` (:meth:`GalacticLens.matrix`) is the sparse
  ``(npix, npix)`` matrix ``M[j, i]`` = share of the rays of observed pixel ``i`` that
  leave through extragalactic pixel ``j``, so an extragalactic map ``f_j`` is observed
  as ``f_obs = M.T @ f``;
- the *magnification* of extragalactic direction ``j`` is ``sum_i M[j, i]`` (mean 1 over
  the sphere); directions with none are *blind*;
- the *image* of a point source (:meth:`GalacticLens.image`) weights each ray by a narrow
  von Mises-Fisher kernel around the source in the extragalactic sky (width at least the
  ray spacing, so no image falls between rays), which is the observed intensity of a
  source of that angular size.

Each rigidity is one unit of work, written atomically to ``cache_dir`` under a
fingerprint of the whole configuration as soon as it is done: an interrupted build loses
at most the rigidity in flight and a rerun with the same configuration reads what is
stored. The integrator is deterministic (no random numbers once the turbulent waves are
drawn from ``random_state``); results are identical on one machine and agree to rounding
across CPUs, which chaotic low-rigidity orbits can amplify into different exit directions
of individual rays (the lens statistics do not change).

:class:`LensDeflection` plugs a lens into :func:`crsbi.uhecr.sky.simulate_sky_maps` and
:func:`~crsbi.uhecr.sky.simulate_events`: each source event of rigidity ``R`` lands in an
observed direction drawn from the source image at the two grid rigidities bracketing
``R`` (chosen at random with linear weights in lg R), and is kept with probability equal
to the source's magnification at ``R`` over its largest magnification, so the observed
composition and energy spectrum are those the lens lets through.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.uhecr._exposure import _angles, _unit_vectors, check_nside

__all__ = [
    "GalacticLens",
    "LensDeflection",
    "TurbulentField",
    "build_lens",
    "default_rigidities",
]

_OWNER = "build_lens"
#: Sun's Galactocentric position of the field models [kpc].
EARTH_KPC = (-8.5, 0.0, 0.0)


def default_rigidities(n: int = 20, lg_min: float = 18.0, lg_max: float = 20.5) -> np.ndarray:
    """Log-spaced rigidities [EV] of a lens grid: ``n`` values of lg(R / V) in [lg_min, lg_max].

    The default 1 .. 316 EV covers iron above ~30 EeV and protons up to the flux
    suppression.

    Examples
    --------
    >>> from crsbi.uhecr.lens import default_rigidities
    >>> default_rigidities(3, 18.0, 20.0).tolist()
    [1.0, 10.0, 100.0]
    """
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ValueError(f"n must be an int >= 1. Got {n!r}.")
    if not (np.isfinite(lg_min) and np.isfinite(lg_max) and lg_max >= lg_min):
        raise ValueError(f"Need finite lg_min <= lg_max. Got {lg_min!r}, {lg_max!r}.")
    return 10.0 ** (np.linspace(lg_min, lg_max, n) - 18.0)


@dataclass(frozen=True)
class TurbulentField:
    """Turbulent Galactic field: isotropic Kolmogorov plane waves times an rms envelope.

    The waves follow the ``"isotropic"`` model of the particle simulator's turbulence
    (Giacalone & Jokipii 1999, :meth:`waves`: ``n_waves`` log-spaced wave numbers, random
    directions, amplitudes from the 3-D Kolmogorov spectrum with bend-over scale
    ``coherence_kpc``), normalised to unit rms and multiplied by the rms profile

        b(r, z) = b_disk min(1, r_disk / r) exp(-z^2 / 2 h_disk^2)
                  + b_halo exp(-r / r_halo) exp(-z^2 / 2 h_halo^2)

    (zero beyond ``r_max_kpc``). The defaults follow the random-field fit of Jansson &
    Farrar (2012, ApJL 761, L11): halo 4.68 microgauss, r0 = 10.97 kpc, z0 = 2.84 kpc; a
    disk of 7.63 microgauss (their interarm value; the arm values, up to 37 microgauss in
    one arm, are averaged out) falling as 5 kpc / r with z0 = 0.61 kpc. The envelope makes
    the field slightly compressible where it varies (on kpc scales, much larger than the
    ~0.1 kpc coherence length). ``scale`` multiplies everything (0 switches it off);
    Planck 2016 (A&A 596, A103) argue for weaker random fields than JF12.

    Examples
    --------
    >>> from crsbi.uhecr.lens import TurbulentField
    >>> TurbulentField(scale=0.5).b_halo_ug
    4.68
    """

    scale: float = 1.0
    coherence_kpc: float = 0.1
    n_waves: int = 64
    b_disk_ug: float = 7.63
    r_disk_kpc: float = 5.0
    h_disk_kpc: float = 0.61
    b_halo_ug: float = 4.68
    r_halo_kpc: float = 10.97
    h_halo_kpc: float = 2.84

    def __post_init__(self) -> None:
        for name in ("scale", "b_disk_ug", "b_halo_ug"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"TurbulentField {name} must be a finite number >= 0. Got {value!r}."
                )
        for name in ("coherence_kpc", "r_disk_kpc", "h_disk_kpc", "r_halo_kpc", "h_halo_kpc"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(
                    f"TurbulentField {name} must be a finite number > 0. Got {value!r}."
                )
        if not (isinstance(self.n_waves, int | np.integer) and self.n_waves >= 1):
            raise ValueError(f"TurbulentField n_waves must be an int >= 1. Got {self.n_waves!r}.")

    def envelope(self, r_max_kpc: float) -> np.ndarray:
        """Envelope parameters of the compiled kernel (scaled by ``scale``)."""
        return np.array(
            [
                self.scale * self.b_disk_ug,
                self.r_disk_kpc,
                self.h_disk_kpc,
                self.scale * self.b_halo_ug,
                self.r_halo_kpc,
                self.h_halo_kpc,
                float(r_max_kpc),
            ]
        )

    def waves(self, random_state: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit-rms wave vectors [1/kpc], amplitudes and phases of one realisation.

        The isotropic model of Giacalone & Jokipii (1999), as ``model="isotropic"`` of
        :func:`crsbi.particles.turbulence.draw_waves` (which a domain subpackage may not
        import): ``k L`` log-spaced over [1e-2, 10], random directions and phases,
        polarisation uniform in the plane perpendicular to ``k`` (so every wave is
        divergence-free), ``|e_n|^2`` proportional to ``G(k_n) dk_n`` with the Kolmogorov
        shell spectrum ``G(k) = k^2 / (1 + (k L)^(11/3))``, normalised to
        ``sum |e_n|^2 / 2 = 1``.
        """
        from crsbi.uhecr._sources import _tangent_basis

        rng = check_random_state(random_state)
        n = int(self.n_waves)
        scale = float(self.coherence_kpc)
        k = np.logspace(-2.0, 1.0, n) / scale
        dk = np.gradient(k) if n > 1 else np.ones(1)
        power = k**2 / (1.0 + (k * scale) ** (5.0 / 3.0 + 2.0)) * dk
        direction = rng.normal(size=(n, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        e1, e2 = _tangent_basis(direction)
        angle = 2 * np.pi * rng.random(n)
        polarisation = np.cos(angle)[:, None] * e1 + np.sin(angle)[:, None] * e2
        amplitude = np.sqrt(2.0 * power / power.sum())[:, None] * polarisation
        phase = 2 * np.pi * rng.random(n)
        return (
            np.ascontiguousarray(k[:, None] * direction),
            np.ascontiguousarray(amplitude),
            np.ascontiguousarray(phase),
        )

    def rms(self, positions: np.ndarray, r_max_kpc: float = 20.0) -> np.ndarray:
        """Rms turbulent field [microgauss] at Galactocentric ``positions`` (..., 3) [kpc]."""
        from crsbi.uhecr._backtrack import turbulent_envelope

        env = self.envelope(r_max_kpc)
        flat = np.asarray(positions, float).reshape(-1, 3)
        out = np.array([turbulent_envelope(p[0], p[1], p[2], env) for p in flat])
        return out.reshape(np.shape(positions)[:-1])


def _check_field(model: object) -> Any:
    if isinstance(model, str):
        from crsbi.uhecr.gmf import galactic_field

        return galactic_field(model)
    if not (hasattr(model, "kernel") and hasattr(model, "params")):
        raise ValueError(
            f"The 'field' parameter of {_OWNER} must be a field name (e.g. 'jf12') or a "
            "Galactic field model with 'kernel' and 'params' (crsbi.uhecr.gmf). "
            f"Got {model!r} instead."
        )
    return model


def _check_rigidities(rigidities: object) -> np.ndarray:
    values = np.asarray(rigidities, dtype=float)
    if values.ndim != 1 or values.size < 1:
        raise ValueError(
            f"The 'rigidities_ev' parameter of {_OWNER} must be a 1-D array of rigidities "
            f"[EV]. Got shape {values.shape}."
        )
    if not np.all(np.isfinite(values) & (values > 0)) or np.any(np.diff(values) <= 0):
        raise ValueError(
            f"The 'rigidities_ev' parameter of {_OWNER} must hold finite rigidities > 0 [EV] "
            f"in increasing order. Got {values.tolist()}."
        )
    return values


def _positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"The {name!r} parameter of {_OWNER} must be a number. Got {value!r}.")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(
            f"The {name!r} parameter of {_OWNER} must be finite and > 0. Got {value!r}."
        )
    return float(value)


@dataclass
class GalacticLens:
    """Back-tracked exit directions of a grid of rays, per rigidity (see the module notes).

    Attributes
    ----------
    rigidities_ev : numpy.ndarray, shape (n_rigidities,)
        Grid rigidities [EV], increasing.
    nside : int
        HEALPix resolution of the observed and extragalactic maps (NESTED, Galactic).
    ray_nside : int
        Resolution of the ray grid (a multiple of ``nside``): ``(ray_nside / nside)**2``
        rays per pixel.
    exit_directions : numpy.ndarray of float32, shape (n_rigidities, n_rays, 3)
        Extragalactic direction of each ray (NaN for rays trapped longer than
        ``max_length_kpc``); ray ``m`` is the centre of NESTED pixel ``m`` of ``ray_nside``.
    path_length_kpc : numpy.ndarray of float32, shape (n_rigidities, n_rays)
        Path length of each ray to the edge [kpc].
    field_name : str
        Name of the field model.
    config : dict
        Everything that defines the lens (field, turbulence, steps, grid).

    Examples
    --------
    >>> from crsbi.uhecr.lens import build_lens
    >>> lens = build_lens("jf12", rigidities_ev=[60.0], nside=2, verbose=0)
    >>> lens.n_rays, lens.magnification(0).shape, round(float(lens.magnification(0).mean()), 6)
    (192, (48,), 1.0)
    """

    rigidities_ev: np.ndarray
    nside: int
    ray_nside: int
    exit_directions: np.ndarray
    path_length_kpc: np.ndarray
    field_name: str
    config: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ray_vectors: np.ndarray | None = None

    # ------------------------------------------------------------------ geometry
    @property
    def n_rays(self) -> int:
        """Rays per rigidity."""
        return int(self.exit_directions.shape[1])

    @property
    def ray_vectors(self) -> np.ndarray:
        """Observed direction of each ray, shape (n_rays, 3) (NESTED pixel centres)."""
        if self._ray_vectors is None:
            import healpy

            vec = healpy.pix2vec(self.ray_nside, np.arange(self.n_rays), nest=True)
            self._ray_vectors = np.stack(vec, axis=-1)
        return self._ray_vectors

    @property
    def ray_spacing_deg(self) -> float:
        """Typical angular distance between neighbouring rays [deg]."""
        return float(np.degrees(np.sqrt(4 * np.pi / self.n_rays)))

    def _index(self, rigidity_ev: float) -> int:
        values = self.rigidities_ev
        k = int(np.argmin(np.abs(np.log(values) - np.log(float(rigidity_ev)))))
        if not np.isclose(values[k], rigidity_ev, rtol=1e-6):
            raise ValueError(
                f"Rigidity {rigidity_ev!r} EV is not on the lens grid {values.round(4).tolist()}."
            )
        return k

    def deflection_deg(self, k: int) -> np.ndarray:
        """Angle between observed and extragalactic direction of every ray at grid index ``k``."""
        cos = np.sum(self.ray_vectors * self.exit_directions[k], axis=1)
        return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))

    def exit_pixels(self, k: int) -> np.ndarray:
        """Extragalactic NESTED pixel (``nside``) of each ray at grid index ``k``; -1: trapped."""
        import healpy

        direction = self.exit_directions[k].astype(float)
        ok = np.all(np.isfinite(direction), axis=1)
        pix = np.full(self.n_rays, -1, dtype=np.int64)
        pix[ok] = healpy.vec2pix(self.nside, *direction[ok].T, nest=True)
        return pix

    def matrix(self, k: int):
        """Sparse lens matrix (scipy CSR, shape (npix, npix)) at grid index ``k``.

        ``M[j, i]`` is the share of the rays of observed pixel ``i`` that leave the Galaxy
        through extragalactic pixel ``j``; an extragalactic map ``f`` is observed as
        ``M.T @ f``.
        """
        from scipy import sparse

        npix = 12 * self.nside**2
        per_pixel = self.n_rays // npix
        exit_pix = self.exit_pixels(k)
        observed = np.arange(self.n_rays) // per_pixel
        ok = exit_pix >= 0
        weights = np.full(int(ok.sum()), 1.0 / per_pixel)
        return sparse.csr_matrix((weights, (exit_pix[ok], observed[ok])), shape=(npix, npix))

    def magnification(self, k: int) -> np.ndarray:
        """Magnification of each extragalactic pixel at grid index ``k`` (mean 1; 0: blind)."""
        npix = 12 * self.nside**2
        exit_pix = self.exit_pixels(k)
        counts = np.bincount(exit_pix[exit_pix >= 0], minlength=npix)
        return counts * npix / self.n_rays

    # ------------------------------------------------------------------ images
    def ray_weights(self, direction: np.ndarray, k: int, smoothing_deg: float | None = None):
        """Weight of each ray for a point source in unit ``direction`` at grid index ``k``.

        A von Mises-Fisher kernel of width ``smoothing_deg`` (default: the ray spacing) on
        the angle between the ray's exit direction and the source. Summed over the rays and
        divided by the kernel's integral over rays of an undeflected sky it is the
        source's magnification.
        """
        sigma = np.radians(self.ray_spacing_deg if smoothing_deg is None else smoothing_deg)
        kappa = 1.0 / sigma**2
        exit_dirs = self.exit_directions[k].astype(float)
        cos = exit_dirs @ np.asarray(direction, float)
        with np.errstate(invalid="ignore"):
            weights = np.exp(kappa * (cos - 1.0))
        return np.where(np.isfinite(weights), weights, 0.0)

    def image(
        self,
        l_deg: float,
        b_deg: float,
        rigidity_ev: float,
        smoothing_deg: float | None = None,
    ) -> np.ndarray:
        """Observed map (NESTED, ``nside``) of a point source at Galactic (l, b) [deg].

        Normalised to the source's magnification: an undeflected source sums to 1.
        """
        k = self._index(rigidity_ev)
        direction = _unit_vectors(np.array([l_deg]), np.array([b_deg]))[0]
        weights = self.ray_weights(direction, k, smoothing_deg)
        straight = self.ray_weights_undeflected(direction, smoothing_deg)
        npix = 12 * self.nside**2
        per_pixel = self.n_rays // npix
        return weights.reshape(npix, per_pixel).sum(axis=1) / straight

    def ray_weights_undeflected(self, direction: np.ndarray, smoothing_deg: float | None) -> float:
        """Sum of the kernel weights of the rays themselves (the no-field normalisation)."""
        sigma = np.radians(self.ray_spacing_deg if smoothing_deg is None else smoothing_deg)
        cos = self.ray_vectors @ np.asarray(direction, float)
        return float(np.exp((cos - 1.0) / sigma**2).sum())

    def save(self, path: str | Path) -> None:
        """Write the lens to an ``.npz`` file."""
        import json

        np.savez_compressed(
            path,
            rigidities_ev=self.rigidities_ev,
            nside=self.nside,
            ray_nside=self.ray_nside,
            exit_directions=self.exit_directions,
            path_length_kpc=self.path_length_kpc,
            field_name=self.field_name,
            config=json.dumps(self.config, sort_keys=True, default=str),
        )

    @classmethod
    def load(cls, path: str | Path) -> GalacticLens:
        """Read a lens written by :meth:`save`."""
        import json

        with np.load(path, allow_pickle=False) as data:
            return cls(
                rigidities_ev=data["rigidities_ev"],
                nside=int(data["nside"]),
                ray_nside=int(data["ray_nside"]),
                exit_directions=data["exit_directions"],
                path_length_kpc=data["path_length_kpc"],
                field_name=str(data["field_name"]),
                config=json.loads(str(data["config"])),
            )


def _cache_file(cache_dir: Path, key: str, rigidity_ev: float) -> Path:
    return cache_dir / key / f"R{rigidity_ev:.6e}.npz"


def build_lens(
    field: object = "jf12",
    *,
    rigidities_ev: Any = None,
    nside: int = 32,
    rays_per_pixel: int = 4,
    turbulence: TurbulentField | None = None,
    r_max_kpc: float | None = None,
    step_max_kpc: float = 0.05,
    step_angle: float = 0.05,
    max_length_kpc: float = 500.0,
    cache_dir: str | Path | None = None,
    random_state: Any = 0,
    verbose: int = 1,
) -> GalacticLens:
    """Build a Galactic lens by back-tracking anti-particles from the Earth (module notes).

    Parameters
    ----------
    field : str or Galactic field model, default="jf12"
        Regular field: a name of :func:`crsbi.uhecr.gmf.galactic_field` or a model with
        ``kernel`` and ``params``.
    rigidities_ev : array_like or None
        Increasing rigidities [EV]; ``None``: :func:`default_rigidities` (20 values, 1-316 EV).
    nside : int, default=32
        HEALPix resolution of the lens maps (a power of two).
    rays_per_pixel : int, default=4
        Rays per pixel: 1, 4, 16, ... (a power of 4).
    turbulence : TurbulentField or None, default=None
        Turbulent component added to the regular field (one realisation drawn from
        ``random_state``).
    r_max_kpc : float or None
        Galactocentric radius where tracks end [kpc]; ``None``: the model's ``r_max_kpc``
        (20 kpc for JF12), or 20.
    step_max_kpc : float, default=0.05
        Largest step [kpc] (with turbulence: use <= coherence_kpc / 4).
    step_angle : float, default=0.05
        Largest gyration angle per step [rad].
    max_length_kpc : float, default=500
        Path length after which a ray counts as trapped [kpc].
    cache_dir : str, Path or None
        Directory for the per-rigidity results (resumable); ``None``: no cache.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the turbulent waves (unused without turbulence).
    verbose : int, default=1
        tqdm progress over rigidities when > 0.

    Returns
    -------
    GalacticLens

    Examples
    --------
    >>> from crsbi.uhecr.lens import build_lens
    >>> lens = build_lens("jf12", rigidities_ev=[100.0], nside=1, rays_per_pixel=4, verbose=0)
    >>> lens.exit_directions.shape
    (1, 48, 3)
    """
    from crsbi.core.persistence import atomic_write_bytes, config_fingerprint
    from crsbi.uhecr._backtrack import backtrack_kernel

    model = _check_field(field)
    nside = check_nside(nside, owner=_OWNER)
    rigidities = _check_rigidities(default_rigidities() if rigidities_ev is None else rigidities_ev)
    if not (isinstance(rays_per_pixel, int | np.integer) and rays_per_pixel >= 1):
        raise ValueError(
            f"The 'rays_per_pixel' parameter of {_OWNER} must be an int >= 1. "
            f"Got {rays_per_pixel!r}."
        )
    factor = round(float(np.sqrt(rays_per_pixel)))
    if factor * factor != rays_per_pixel or factor & (factor - 1):
        raise ValueError(
            f"The 'rays_per_pixel' parameter of {_OWNER} must be a power of 4 (1, 4, 16, ...). "
            f"Got {rays_per_pixel}."
        )
    if turbulence is not None and not isinstance(turbulence, TurbulentField):
        raise ValueError(
            f"The 'turbulence' parameter of {_OWNER} must be a TurbulentField or None. "
            f"Got {turbulence!r}."
        )
    r_max = _positive(
        getattr(model, "r_max_kpc", 20.0) if r_max_kpc is None else r_max_kpc, "r_max_kpc"
    )
    step_max = _positive(step_max_kpc, "step_max_kpc")
    angle = _positive(step_angle, "step_angle")
    max_length = _positive(max_length_kpc, "max_length_kpc")
    earth = np.array(EARTH_KPC)
    if np.linalg.norm(earth) >= r_max:
        raise ValueError(f"r_max_kpc = {r_max} must exceed the Earth's distance 8.5 kpc.")

    ray_nside = nside * factor
    import healpy

    n_rays = 12 * ray_nside**2
    rays = np.ascontiguousarray(
        np.stack(healpy.pix2vec(ray_nside, np.arange(n_rays), nest=True), -1)
    )
    if turbulence is None or turbulence.scale == 0:
        k = np.zeros((0, 3))
        e = np.zeros((0, 3))
        alpha = np.zeros(0)
        env = np.zeros(7)
        turb_config = None
    else:
        k, e, alpha = turbulence.waves(check_random_state(random_state))
        env = turbulence.envelope(r_max)
        turb_config = {name: getattr(turbulence, name) for name in turbulence.__dataclass_fields__}
    name = str(getattr(model, "name", type(model).__name__))
    params = np.ascontiguousarray(np.asarray(model.params, dtype=float))
    config = {
        "field": name,
        "field_params": params.tolist(),
        "nside": nside,
        "ray_nside": ray_nside,
        "turbulence": turb_config,
        "waves": None if turb_config is None else float(np.sum(k) + np.sum(e) + np.sum(alpha)),
        "r_max_kpc": r_max,
        "step_max_kpc": step_max,
        "step_angle": angle,
        "max_length_kpc": max_length,
        "earth_kpc": list(EARTH_KPC),
    }
    key = config_fingerprint(config)[:16]
    cache = None if cache_dir is None else Path(cache_dir)
    exits = np.empty((rigidities.size, n_rays, 3), dtype=np.float32)
    lengths = np.empty((rigidities.size, n_rays), dtype=np.float32)
    indices = range(rigidities.size)
    if verbose:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc=f"lens {name}", unit="rigidity")
    for index in indices:
        rigidity = float(rigidities[index])
        path = None if cache is None else _cache_file(cache, key, rigidity)
        if path is not None and path.exists():
            with np.load(path) as stored:
                exits[index] = stored["exit_directions"]
                lengths[index] = stored["path_length_kpc"]
            continue
        out = np.empty((n_rays, 4))
        start = time.perf_counter()
        backtrack_kernel(
            model.kernel, params, k, e, alpha, env, rays, rigidity, earth, r_max, step_max,
            angle, max_length, out,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        exits[index] = out[:, :3]
        lengths[index] = out[:, 3]
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.savez(
                buffer,
                exit_directions=exits[index],
                path_length_kpc=lengths[index],
                seconds=elapsed,
            )
            atomic_write_bytes(path, buffer.getvalue())
    return GalacticLens(
        rigidities_ev=rigidities,
        nside=nside,
        ray_nside=ray_nside,
        exit_directions=exits,
        path_length_kpc=lengths,
        field_name=name,
        config=config,
    )


class LensDeflection:
    """Deflection of source events through a :class:`GalacticLens` (for the sky simulators).

    A callable ``(l_deg, b_deg, charge, energy_eev, rng) -> (l_deg, b_deg)`` like
    :class:`crsbi.uhecr.sky.Deflection`: each event of rigidity ``R = E / Z`` [EV] is
    assigned the grid rigidity below or above ``R`` (at random, linear weights in lg R;
    clamped to the grid's ends), then an observed ray drawn with the source image's
    weights there (:meth:`GalacticLens.ray_weights`). Events are kept with probability
    ``magnification(R) / max magnification`` of the source; the others come back as NaN,
    which the simulators drop, so the observed composition follows the lens.

    Parameters
    ----------
    lens : GalacticLens
        The lens.
    smoothing_deg : float or None, default=None
        Width of the source kernel in the extragalactic sky [deg] (default: the ray
        spacing).
    smearing_deg_eev : float, default=0.0
        Extra von Mises-Fisher smearing [deg EeV]: ``smearing_deg_eev * Z / E`` degrees at
        energy ``E`` [EeV], for a turbulent field not in the lens.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.lens import LensDeflection, build_lens
    >>> lens = build_lens("jf12", rigidities_ev=[30.0, 100.0], nside=2, verbose=0)
    >>> deflect = LensDeflection(lens)
    >>> l, b = deflect(np.full(5, 309.5), np.full(5, 19.4), np.ones(5), np.full(5, 60.0),
    ...                np.random.default_rng(0))
    >>> l.shape
    (5,)
    """

    def __init__(
        self,
        lens: GalacticLens,
        smoothing_deg: float | None = None,
        smearing_deg_eev: float = 0.0,
    ) -> None:
        if not isinstance(lens, GalacticLens):
            raise ValueError(f"LensDeflection needs a GalacticLens. Got {lens!r}.")
        if smoothing_deg is not None and not (np.isfinite(smoothing_deg) and smoothing_deg > 0):
            raise ValueError(f"smoothing_deg must be None or finite > 0. Got {smoothing_deg!r}.")
        if not (np.isfinite(smearing_deg_eev) and smearing_deg_eev >= 0):
            raise ValueError(f"smearing_deg_eev must be finite >= 0. Got {smearing_deg_eev!r}.")
        self.lens = lens
        self.smoothing_deg = smoothing_deg
        self.smearing_deg_eev = float(smearing_deg_eev)
        self._tables: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}

    def __repr__(self) -> str:
        return (
            f"LensDeflection({self.lens.field_name}, nside={self.lens.nside}, "
            f"smoothing_deg={self.smoothing_deg}, smearing_deg_eev={self.smearing_deg_eev})"
        )

    def tables(self, l_deg: float, b_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative ray weights (n_rigidities, n_rays) and acceptance (n_rigidities,)."""
        key = (round(float(l_deg), 9), round(float(b_deg), 9))
        if key not in self._tables:
            lens = self.lens
            direction = _unit_vectors(np.array([l_deg]), np.array([b_deg]))[0]
            straight = lens.ray_weights_undeflected(direction, self.smoothing_deg)
            cdf = np.empty((lens.rigidities_ev.size, lens.n_rays))
            magnification = np.empty(lens.rigidities_ev.size)
            for k in range(lens.rigidities_ev.size):
                weights = lens.ray_weights(direction, k, self.smoothing_deg)
                cdf[k] = np.cumsum(weights)
                magnification[k] = cdf[k, -1] / straight
            if magnification.max() <= 0:
                raise ValueError(
                    f"The source at (l, b) = ({l_deg}, {b_deg}) deg is in a blind region of the "
                    f"{lens.field_name} lens at every rigidity: no event reaches the Earth."
                )
            with np.errstate(invalid="ignore", divide="ignore"):
                cdf /= cdf[:, -1:]
            self._tables[key] = (cdf, magnification / magnification.max())
        return self._tables[key]

    def __call__(
        self,
        l_deg: np.ndarray,
        b_deg: np.ndarray,
        charge: np.ndarray,
        energy_eev: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Observed (l, b) [deg] of events from ``(l_deg, b_deg)``; NaN for rejected events."""
        l_deg = np.asarray(l_deg, float)
        b_deg = np.asarray(b_deg, float)
        rigidity = np.asarray(energy_eev, float) / np.asarray(charge, float)
        n = l_deg.size
        out_l = np.full(n, np.nan)
        out_b = np.full(n, np.nan)
        lg_grid = np.log10(self.lens.rigidities_ev)
        lg_r = np.clip(np.log10(rigidity), lg_grid[0], lg_grid[-1])
        upper = np.clip(np.searchsorted(lg_grid, lg_r, side="left"), 0, lg_grid.size - 1)
        lower = np.maximum(upper - 1, 0)
        span = lg_grid[upper] - lg_grid[lower]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0, (lg_r - lg_grid[lower]) / span, 0.0)
        k = np.where(rng.random(n) < frac, upper, lower)
        u = rng.random(n)
        pick = rng.random(n)
        # one table per distinct source direction (the simulators use one source)
        pairs = np.stack([l_deg, b_deg], axis=1)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        rays = np.zeros(n, dtype=np.int64)
        keep = np.zeros(n, dtype=bool)
        for s, (l_src, b_src) in enumerate(unique):
            members = np.flatnonzero(inverse.ravel() == s)
            cdf, acceptance = self.tables(l_src, b_src)
            kk = k[members]
            keep[members] = pick[members] < acceptance[kk]
            for level in np.unique(kk):
                sel = members[kk == level]
                rays[sel] = np.minimum(
                    np.searchsorted(cdf[level], u[sel], side="right"), self.lens.n_rays - 1
                )
        vectors = self.lens.ray_vectors[rays]
        if self.smearing_deg_eev > 0:
            from crsbi.uhecr._sources import sample_von_mises_fisher

            sigma = np.radians(self.smearing_deg_eev) / np.maximum(rigidity, 1e-12)
            vectors = sample_von_mises_fisher(vectors, 1.0 / sigma**2, rng)
        lon, lat = _angles(vectors)
        out_l[keep] = lon[keep]
        out_b[keep] = lat[keep]
        return out_l, out_b
