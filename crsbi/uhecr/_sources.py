"""UHECR sources: catalogue, mass composition and energy at Earth, Galactic deflection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_DEFLECTION",
    "SOURCES",
    "CompositionTable",
    "Deflection",
    "PowerLawComposition",
    "Source",
    "charge_of_mass",
    "check_composition",
    "check_source",
    "composition_table",
    "sample_von_mises_fisher",
]

#: Charge Z of the most stable (most abundant) isobar of each mass number A = 1 .. 56
#: (for the unstable A = 5 and 8 the lighter neighbour's element, He and Be).
_CHARGE_OF_MASS = np.array(
    [
        *(1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 10, 11, 12, 12, 12),
        *(13, 14, 14, 14, 15, 16, 16, 16, 17, 18, 17, 18, 19, 20, 19, 20, 20, 20, 21, 22, 22),
        *(22, 22, 22, 23, 24, 24, 26, 25, 26),
    ]
)


def charge_of_mass(mass_number: np.ndarray) -> np.ndarray:
    """Charge of the most stable isobar of mass number ``A`` in 1 .. 56 (e.g. 56 -> 26).

    Parameters
    ----------
    mass_number : array_like of int
        Mass numbers in 1 .. 56.

    Returns
    -------
    numpy.ndarray of int
        Charges ``Z``, same shape.

    Examples
    --------
    >>> from crsbi.uhecr.sky import charge_of_mass
    >>> charge_of_mass([1, 4, 14, 28, 56]).tolist()
    [1, 2, 7, 14, 26]
    """
    mass = np.asarray(mass_number)
    if mass.size and (mass.min() < 1 or mass.max() > 56):
        raise ValueError(f"mass numbers must lie in 1 .. 56. Got {mass.min()} .. {mass.max()}.")
    return _CHARGE_OF_MASS[mass.astype(int) - 1]


@dataclass(frozen=True)
class Source:
    """A point source of UHECRs.

    Parameters
    ----------
    name : str
        Label.
    l_deg, b_deg : float
        Galactic longitude and latitude [deg].
    distance_mpc : float
        Distance [Mpc]; selects the propagated spectrum of the ``"kalashev2019"`` composition
        (tabulated for 0.5 .. 25 Mpc).

    See Also
    --------
    Source.from_skycoord : a source at an astropy ``SkyCoord`` (any frame).

    Examples
    --------
    >>> from crsbi.uhecr.sky import Source
    >>> Source("my source", l_deg=10.0, b_deg=-5.0, distance_mpc=4.0).b_deg
    -5.0
    """

    name: str
    l_deg: float
    b_deg: float
    distance_mpc: float

    def __post_init__(self) -> None:
        if not -90.0 <= float(self.b_deg) <= 90.0:
            raise ValueError(f"Source b_deg must be in [-90, 90] deg. Got {self.b_deg!r}.")
        if not np.isfinite(self.l_deg):
            raise ValueError(f"Source l_deg must be finite. Got {self.l_deg!r}.")
        if not float(self.distance_mpc) > 0:
            raise ValueError(f"Source distance_mpc must be > 0. Got {self.distance_mpc!r}.")

    @classmethod
    def from_skycoord(cls, name: str, coord: object, distance_mpc: float) -> Source:
        """Make a source at the direction of an astropy ``SkyCoord`` (astropy imported lazily).

        Parameters
        ----------
        name : str
            Label.
        coord : astropy.coordinates.SkyCoord
            One direction in any celestial frame (e.g. ICRS ``ra, dec``); converted to
            Galactic ``l, b`` by astropy.
        distance_mpc : float
            Distance [Mpc].

        Returns
        -------
        Source
            With ``l_deg, b_deg`` the Galactic coordinates of ``coord`` [deg].

        Raises
        ------
        TypeError
            When ``coord`` is not an astropy coordinate.
        ValueError
            When ``coord`` holds more than one direction.

        Examples
        --------
        >>> from astropy.coordinates import SkyCoord
        >>> from crsbi.uhecr.sky import Source
        >>> cen_a = SkyCoord(201.365063, -43.019112, unit="deg", frame="icrs")  # NGC 5128
        >>> src = Source.from_skycoord("CenA", cen_a, distance_mpc=3.5)
        >>> round(src.l_deg, 2), round(src.b_deg, 2)
        (309.52, 19.42)
        """
        from crsbi.uhecr._exposure import from_skycoord

        l_deg, b_deg = from_skycoord(coord, frame="galactic")
        if np.ndim(l_deg) != 0:
            raise ValueError(
                "Source.from_skycoord needs a single direction. Got a SkyCoord of shape "
                f"{np.shape(l_deg)}."
            )
        return cls(name, float(l_deg), float(b_deg), distance_mpc)

    def to_skycoord(self, frame: str = "galactic") -> object:
        """Return the source direction as an astropy ``SkyCoord`` (astropy imported lazily).

        Parameters
        ----------
        frame : {"galactic", "icrs"}, default="galactic"
            Frame of the returned coordinate.

        Returns
        -------
        astropy.coordinates.SkyCoord
            A scalar coordinate at ``(l_deg, b_deg)`` [deg], converted to ``frame``.

        Examples
        --------
        >>> from crsbi.uhecr.sky import SOURCES
        >>> icrs = SOURCES["CenA"].to_skycoord("icrs")
        >>> round(float(icrs.ra.deg), 2), round(float(icrs.dec.deg), 2)
        (201.37, -43.02)
        """
        from crsbi.uhecr._exposure import _check_frame, to_skycoord

        frame = _check_frame(frame, "Source.to_skycoord")
        return to_skycoord(self.l_deg, self.b_deg, frame="galactic").transform_to(frame)


#: The five nearby candidate sources of Kalashev, Pshirkov & Zotov (2020), Galactic coordinates.
SOURCES: dict[str, Source] = {
    "CenA": Source("CenA", 309.52, 19.42, 3.5),
    "M82": Source("M82", 141.41, 40.57, 3.5),
    "NGC253": Source("NGC253", 97.36, -87.96, 3.5),
    "M87": Source("M87", 283.78, 74.49, 18.5),
    "FornaxA": Source("FornaxA", 240.16, -56.69, 20.0),
}


def check_source(source: object) -> Source:
    """Return a :class:`Source` from a catalogue name or a ``Source``.

    Parameters
    ----------
    source : str or Source
        A key of ``SOURCES`` (``"CenA"``, ``"M82"``, ``"NGC253"``, ``"M87"``, ``"FornaxA"``)
        or a :class:`Source`.

    Returns
    -------
    Source
        The source.

    Raises
    ------
    ValueError
        For an unknown name or another type.

    Examples
    --------
    >>> from crsbi.uhecr.sky import check_source
    >>> check_source("CenA").distance_mpc
    3.5
    """
    if isinstance(source, Source):
        return source
    if isinstance(source, str) and source in SOURCES:
        return SOURCES[source]
    raise ValueError(
        f"The 'source' parameter must be one of {sorted(SOURCES)} or a Source instance. "
        f"Got {source!r} instead."
    )


@dataclass(frozen=True)
class CompositionTable:
    """Joint distribution of (energy, mass number) on a logarithmic energy grid.

    Attributes
    ----------
    lg_energy : numpy.ndarray, shape (n_energies,)
        Bin centres, lg(E / eV) [dimensionless; E in eV], equally spaced by ``lg_step``.
    lg_step : float
        Bin width in lg E [dex].
    mass_numbers, charges : numpy.ndarray of int, shape (n_species,)
        Species.
    counts : numpy.ndarray, shape (n_energies, n_species)
        Relative number of events per bin (any normalisation).
    """

    lg_energy: np.ndarray
    lg_step: float
    mass_numbers: np.ndarray
    charges: np.ndarray
    counts: np.ndarray

    def sample(
        self, n: int, lg_e_low: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw ``n`` events with lg E >= ``lg_e_low``: (lg E [eV], Z, A), each shape (n,)."""
        upper_edge = self.lg_energy + 0.5 * self.lg_step
        lower_edge = self.lg_energy - 0.5 * self.lg_step
        # fraction of each bin above the cut (log-uniform within a bin)
        kept = np.clip((upper_edge - lg_e_low) / self.lg_step, 0.0, 1.0)
        weights = (self.counts * kept[:, None]).ravel()
        total = weights.sum()
        if not total > 0:
            raise ValueError(
                f"The composition has no events above lg(E/eV) = {lg_e_low:.3f} "
                f"(its grid ends at {upper_edge[-1]:.3f})."
            )
        cells = rng.choice(weights.size, size=n, p=weights / total)
        energy_bin, species = np.divmod(cells, self.counts.shape[1])
        low = np.maximum(lower_edge[energy_bin], lg_e_low)
        lg_e = low + rng.random(n) * (upper_edge[energy_bin] - low)
        return lg_e, self.charges[species], self.mass_numbers[species]


@dataclass(frozen=True)
class PowerLawComposition:
    """Mixed composition with a power law and a rigidity cut-off, at Earth.

    ``dN/dE_i = f_i E^-spectral_index exp(-E / (Z_i R_cut))`` for each species ``i`` with
    mass number ``A_i``, charge ``Z_i`` and weight ``f_i`` (fraction of the flux at
    ``E = R_cut``, before the cut-off factor).

    Parameters
    ----------
    spectral_index : float, default=2.0
        Spectral index at Earth (dimensionless).
    lg_rigidity_cutoff : float, default=19.0
        lg(R_cut / V) [dimensionless; R_cut in V], so the cut-off energy is
        ``Z * 10**19.0 eV`` (10 EeV for protons, 260 EeV for iron).
    species : tuple of (A, Z, fraction), default=p, He, N, Si, Fe
        Mass number, charge and weight of each species; the defaults (0.2, 0.2, 0.3, 0.2,
        0.1) are a toy mixture, heavy above 56 EeV as Auger's composition fits suggest.

    Examples
    --------
    >>> from crsbi.uhecr.sky import PowerLawComposition
    >>> PowerLawComposition(species=((1, 1, 1.0),)).table().charges.tolist()
    [1]
    """

    spectral_index: float = 2.0
    lg_rigidity_cutoff: float = 19.0
    species: tuple[tuple[int, int, float], ...] = (
        (1, 1, 0.2),
        (4, 2, 0.2),
        (14, 7, 0.3),
        (28, 14, 0.2),
        (56, 26, 0.1),
    )

    def table(self, lg_e_min: float = 18.0, lg_e_max: float = 22.0) -> CompositionTable:
        """Tabulate the composition in bins of 0.01 in lg E between the given limits."""
        species = np.asarray(self.species, dtype=float).reshape(-1, 3)
        if species.size == 0 or np.any(species[:, 2] < 0) or species[:, 2].sum() <= 0:
            raise ValueError(
                "PowerLawComposition species must be (A, Z, fraction) triples with "
                f"non-negative fractions summing to > 0. Got {self.species!r}."
            )
        if np.any(species[:, 1] < 1) or np.any(species[:, 0] < species[:, 1]):
            raise ValueError(f"Each species needs 1 <= Z <= A. Got {self.species!r}.")
        step = 0.01
        lg_e = np.arange(lg_e_min + step / 2, lg_e_max, step)
        energy = 10.0**lg_e
        cutoff = species[:, 1] * 10.0**self.lg_rigidity_cutoff
        # events per bin of width d lg E: E dN/dE (up to a constant)
        counts = (
            species[:, 2]
            * (energy[:, None] / 10.0**self.lg_rigidity_cutoff) ** (1.0 - self.spectral_index)
            * np.exp(-energy[:, None] / cutoff)
        )
        return CompositionTable(
            lg_e, step, species[:, 0].astype(int), species[:, 1].astype(int), counts
        )


def check_composition(composition: object) -> object:
    """Check the type of a ``composition`` argument without loading any data."""
    if isinstance(composition, CompositionTable | PowerLawComposition) or (
        isinstance(composition, str) and composition in ("kalashev2019", "mixed")
    ):
        return composition
    raise ValueError(
        "The 'composition' parameter must be 'kalashev2019', 'mixed', a PowerLawComposition or "
        f"a CompositionTable. Got {composition!r} instead."
    )


def composition_table(composition: object, source: Source) -> CompositionTable:
    """Resolve a ``composition`` argument into a :class:`CompositionTable` for ``source``."""
    composition = check_composition(composition)
    if isinstance(composition, CompositionTable):
        return composition
    if isinstance(composition, PowerLawComposition):
        return composition.table()
    if composition == "mixed":
        return PowerLawComposition().table()
    return _kalashev_table(float(source.distance_mpc))


_KALASHEV_CACHE: dict[float, CompositionTable] = {}


def _kalashev_table(distance_mpc: float) -> CompositionTable:
    if distance_mpc not in _KALASHEV_CACHE:
        from crsbi.uhecr.data import load_kalashev2019_spectra

        spectra = load_kalashev2019_spectra(distance_mpc)
        lg_e = np.log10(spectra.energy_ev)
        # events per bin of constant width in lg E: E dN/dE = (E^2 J) / E
        counts = np.clip(spectra.e2_flux, 0.0, None) / spectra.energy_ev[:, None]
        _KALASHEV_CACHE[distance_mpc] = CompositionTable(
            lg_energy=lg_e,
            lg_step=float(np.median(np.diff(lg_e))),
            mass_numbers=spectra.mass_numbers,
            charges=charge_of_mass(spectra.mass_numbers),
            counts=counts,
        )
    return _KALASHEV_CACHE[distance_mpc]


def sample_von_mises_fisher(
    mean: np.ndarray, kappa: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw unit vectors from von Mises-Fisher distributions on the sphere.

    Parameters
    ----------
    mean : numpy.ndarray, shape (n, 3)
        Unit mean directions (dimensionless Cartesian vectors).
    kappa : numpy.ndarray, shape (n,)
        Concentrations [1/rad^2] (>= 0); for large ``kappa`` the angular spread per axis is
        ``1 / sqrt(kappa)`` radians; ``kappa = 0`` is isotropic, ``inf`` returns ``mean``.
    rng : numpy.random.Generator
        Random generator.

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        Unit vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.sky import sample_von_mises_fisher
    >>> v = sample_von_mises_fisher(np.array([[0.0, 0.0, 1.0]]), np.array([1e6]),
    ...                             np.random.default_rng(0))
    >>> bool(v[0, 2] > 0.99)
    True
    """
    n = mean.shape[0]
    kappa = np.asarray(kappa, dtype=float)
    u = rng.random(n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # w = cos(angle) = 1 + log(u + (1 - u) exp(-2 kappa)) / kappa, written stably
        w = 1.0 + np.log(u + (1.0 - u) * np.exp(-2.0 * kappa)) / kappa
    w = np.where(kappa < 1e-8, 2.0 * u - 1.0, w)
    w = np.where(np.isinf(kappa), 1.0, np.clip(w, -1.0, 1.0))
    phi = 2.0 * np.pi * rng.random(n)
    e1, e2 = _tangent_basis(mean)
    sin_angle = np.sqrt(np.clip(1.0 - w**2, 0.0, None))
    return (
        w[:, None] * mean
        + (sin_angle * np.cos(phi))[:, None] * e1
        + (sin_angle * np.sin(phi))[:, None] * e2
    )


def _tangent_basis(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    helper = np.where(
        (np.abs(vectors[:, 2]) < 0.9)[:, None], np.array([0.0, 0.0, 1.0]), np.array([1.0, 0, 0])
    )
    e1 = np.cross(helper, vectors)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    return e1, np.cross(vectors, e1)


@dataclass(frozen=True)
class Deflection:
    """Toy Galactic deflection: a coherent shift plus von Mises-Fisher smearing, both ~ Z/E.

    An event of charge ``Z`` and energy ``E`` [EeV] from a source at direction ``n`` is moved
    along the great circle with position angle ``position_angle_deg`` by
    ``shift_deg_eev * Z / E`` degrees (regular field), then scattered by a von Mises-Fisher
    distribution of concentration ``1 / sigma**2`` with ``sigma = smearing_deg_eev * Z / E``
    (turbulent field; mean scattering angle ``~ sigma sqrt(pi / 2)`` when small).

    Parameters
    ----------
    shift_deg_eev : float, default=200.0
        Coherent deflection [deg EeV] (protons: 200 deg EeV / 56 EeV = 3.6 deg; JF12-like
        magnitudes are 100-300 deg EeV).
    smearing_deg_eev : float, default=60.0
        Random deflection scale [deg EeV] (40-80 deg EeV in turbulent-field models).
    position_angle_deg : float or None, default=None
        Direction of the shift at the source, measured from Galactic north (increasing b)
        through increasing l [deg]. ``None`` shifts towards the Galactic plane (south for
        sources at b > 0, north for b < 0), as an antisymmetric toroidal halo field would.

    Examples
    --------
    >>> from crsbi.uhecr.sky import Deflection
    >>> Deflection(shift_deg_eev=0.0, smearing_deg_eev=30.0).smearing_deg_eev
    30.0
    """

    shift_deg_eev: float = 200.0
    smearing_deg_eev: float = 60.0
    position_angle_deg: float | None = None

    def __post_init__(self) -> None:
        for name in ("shift_deg_eev", "smearing_deg_eev"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"Deflection {name} must be a finite number >= 0. Got {value!r}.")

    def __call__(
        self,
        l_deg: np.ndarray,
        b_deg: np.ndarray,
        charge: np.ndarray,
        energy_eev: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Deflect events from directions ``(l_deg, b_deg)``; returns arrival (l, b) [deg]."""
        from crsbi.uhecr._exposure import _angles, _unit_vectors

        rigidity_ratio = np.asarray(charge, float) / np.asarray(energy_eev, float)
        l_deg, b_deg = np.broadcast_arrays(np.asarray(l_deg, float), np.asarray(b_deg, float))
        direction = _unit_vectors(l_deg, b_deg).reshape(-1, 3)
        lon, lat = np.radians(l_deg).ravel(), np.radians(b_deg).ravel()
        if self.shift_deg_eev > 0:
            north = np.stack(
                [-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], axis=-1
            )
            east = np.stack([-np.sin(lon), np.cos(lon), np.zeros_like(lon)], axis=-1)
            if self.position_angle_deg is None:
                angle = np.where(lat > 0, np.pi, 0.0)
            else:
                angle = np.full(lon.shape, np.radians(self.position_angle_deg))
            tangent = np.cos(angle)[:, None] * north + np.sin(angle)[:, None] * east
            shift = np.radians(self.shift_deg_eev) * rigidity_ratio.ravel()
            direction = np.cos(shift)[:, None] * direction + np.sin(shift)[:, None] * tangent
        if self.smearing_deg_eev > 0:
            sigma = np.radians(self.smearing_deg_eev) * rigidity_ratio.ravel()
            with np.errstate(divide="ignore"):
                kappa = 1.0 / sigma**2
            direction = sample_von_mises_fisher(direction, kappa, rng)
        new_l, new_b = _angles(direction)
        return new_l.reshape(l_deg.shape), new_b.reshape(l_deg.shape)


#: The default deflection model of :func:`crsbi.uhecr.sky.simulate_sky_maps`.
DEFAULT_DEFLECTION = Deflection()

DeflectionLike = Deflection | Callable[..., tuple[np.ndarray, np.ndarray]] | None
