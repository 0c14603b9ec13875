"""Ultra-high-energy cosmic-ray data: the Auger 2022 event list and propagated source spectra.

Both files live in ``data_dir("uhecr")`` (see ``../shared/data/README.md``) and are read in
place: the Kalashev et al. spectra are taken from the ``.tbz2`` archive with :mod:`tarfile`
and :mod:`gzip`, without extracting anything.
"""

from __future__ import annotations

import functools
import gzip
import tarfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crsbi.core.data import data_file

__all__ = [
    "AUGER2022_FILE",
    "KALASHEV2019_FILE",
    "AugerEvents",
    "KalashevSpectra",
    "kalashev2019_distances",
    "load_auger2022",
    "load_kalashev2019_spectra",
]

AUGER2022_FILE = "AugerApJS2022_Yr_JD_UTC_Th_Ph_RA_Dec_E_Expo.dat"
KALASHEV2019_FILE = "kalashev2019_spectra_1s.tbz2"


@dataclass
class AugerEvents:
    """Events of the Pierre Auger Observatory public list (Abreu et al. 2022, ApJ 935, 170).

    Every array has shape ``(n_events,)``.

    Attributes
    ----------
    year, day : numpy.ndarray of int
        Year and day of the year of the event.
    utc : numpy.ndarray of int
        Unix time [s].
    zenith_deg, azimuth_deg : numpy.ndarray
        Local arrival direction [deg].
    ra_deg, dec_deg : numpy.ndarray
        J2000 equatorial arrival direction [deg].
    l_deg, b_deg : numpy.ndarray
        Galactic arrival direction [deg].
    energy_eev : numpy.ndarray
        Reconstructed energy [EeV].
    cumulative_exposure : numpy.ndarray
        Exposure accumulated up to the event [km^2 sr yr].
    total_exposure : float
        Exposure of the whole data set [km^2 sr yr] (121 420 for the full list).
    latitude_deg : float
        Site latitude [deg].
    max_zenith_deg : float
        Zenith cut of the list [deg].

    Examples
    --------
    >>> from crsbi.uhecr import load_auger2022
    >>> events = load_auger2022(min_energy_eev=56)
    >>> bool(events.energy_eev.min() >= 56), events.total_exposure
    (True, 121420.0)
    """

    year: np.ndarray
    day: np.ndarray
    utc: np.ndarray
    zenith_deg: np.ndarray
    azimuth_deg: np.ndarray
    ra_deg: np.ndarray
    dec_deg: np.ndarray
    energy_eev: np.ndarray
    cumulative_exposure: np.ndarray
    l_deg: np.ndarray
    b_deg: np.ndarray
    total_exposure: float
    latitude_deg: float = -35.2
    max_zenith_deg: float = 80.0

    def __len__(self) -> int:
        return int(self.energy_eev.size)

    def to_skycoord(self, frame: str = "icrs") -> object:
        """Arrival directions as an astropy ``SkyCoord`` (astropy imported lazily).

        Built from the measured ``ra_deg, dec_deg`` (ICRS) and converted by astropy.

        Parameters
        ----------
        frame : {"icrs", "galactic"}, default="icrs"
            Frame of the returned coordinates.

        Returns
        -------
        astropy.coordinates.SkyCoord
            Shape ``(n_events,)``.

        Examples
        --------
        >>> from crsbi.uhecr import load_auger2022
        >>> events = load_auger2022(min_energy_eev=56)
        >>> coords = events.to_skycoord("galactic")
        >>> from crsbi.uhecr.sky import to_skycoord
        >>> ours = to_skycoord(events.l_deg, events.b_deg)  # NumPy conversion of load_auger2022
        >>> bool(coords.separation(ours).deg.max() < 1e-6)
        True
        """
        from crsbi.uhecr._exposure import _check_frame, to_skycoord

        frame = _check_frame(frame, "AugerEvents.to_skycoord")
        return to_skycoord(self.ra_deg, self.dec_deg, frame="icrs").transform_to(frame)

    def select(self, mask: np.ndarray) -> AugerEvents:
        """Return the events where the boolean ``mask`` of shape ``(n_events,)`` is True."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.energy_eev.shape:
            raise ValueError(
                f"mask must be a boolean array of shape {self.energy_eev.shape}. "
                f"Got shape {mask.shape}."
            )
        kept = {
            name: getattr(self, name)[mask]
            for name in self.__dataclass_fields__
            if isinstance(getattr(self, name), np.ndarray)
        }
        return AugerEvents(
            **kept,
            total_exposure=self.total_exposure,
            latitude_deg=self.latitude_deg,
            max_zenith_deg=self.max_zenith_deg,
        )


def load_auger2022(min_energy_eev: float | None = None, *, path: str | Path | None = None):
    """Load the Auger 2022 list of 2635 events with E >= 32 EeV and zenith <= 80 deg.

    Parameters
    ----------
    min_energy_eev : float or None
        Keep only events with reconstructed energy >= this value [EeV] (e.g. 56 for the
        Kalashev et al. analysis); ``None`` keeps all.
    path : str, pathlib.Path or None
        File to read; by default ``data_dir("uhecr") / AUGER2022_FILE``.

    Returns
    -------
    AugerEvents
        Columns as arrays plus Galactic coordinates; ``total_exposure`` is that of the whole
        list (the energy cut does not change it).

    Raises
    ------
    FileNotFoundError
        When the file is missing.
    ValueError
        On a bad ``min_energy_eev`` or a corrupt list: not 9 columns, NaN/inf or
        out-of-range coordinates (RA outside [0, 360], Dec outside [-90, 90], zenith outside
        [0, 90] deg), energies <= 0 or negative exposures.

    Warns
    -----
    UserWarning
        When ``min_energy_eev`` lies below the smallest energy of the list (32 EeV for the
        Auger 2022 list): the list is not complete there, the cut keeps every event.

    Examples
    --------
    >>> from crsbi.uhecr.data import load_auger2022
    >>> events = load_auger2022()
    >>> len(events), events.total_exposure
    (2635, 121420.0)
    """
    from crsbi.uhecr._binning import check_coordinates, check_energies
    from crsbi.uhecr._exposure import equatorial_to_galactic

    if min_energy_eev is not None and (
        isinstance(min_energy_eev, bool)
        or not isinstance(min_energy_eev, int | float | np.integer | np.floating)
        or not np.isfinite(min_energy_eev)
        or min_energy_eev < 0
    ):
        raise ValueError(
            f"min_energy_eev must be None or a non-negative number of EeV. Got {min_energy_eev!r}."
        )
    if path is None:
        path = data_file("uhecr", AUGER2022_FILE)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Auger event list not found at {path}.")
    table = np.loadtxt(path, comments="#", ndmin=2)
    if table.shape[1] != 9:
        raise ValueError(
            f"{path} should have 9 columns (Yr JD UTC Th Ph RA Dec E Expo). Got {table.shape[1]}."
        )
    owner = f"load_auger2022 ({path.name})"
    ra_deg, dec_deg = check_coordinates(table[:, 5], table[:, 6], names=("RA", "Dec"), owner=owner)
    energy = check_energies(table[:, 7], owner=owner)
    for column, name, low, high in ((3, "zenith", 0.0, 90.0), (4, "azimuth", -np.inf, np.inf)):
        values = table[:, column]
        bad = ~np.isfinite(values) | (values < low) | (values > high)
        if bad.any():
            raise ValueError(
                f"The {name} column of {owner} must hold finite angles in [{low:g}, {high:g}] "
                f"deg. Got {int(bad.sum())} invalid values, e.g. {float(values[bad][0])!r}."
            )
    exposure = table[:, 8]
    if not np.all(np.isfinite(exposure)) or np.any(exposure < 0):
        raise ValueError(
            f"The cumulative exposure column of {owner} must hold finite values >= 0 [km^2 sr yr]."
        )
    l_deg, b_deg = equatorial_to_galactic(ra_deg, dec_deg)
    events = AugerEvents(
        year=table[:, 0].astype(int),
        day=table[:, 1].astype(int),
        utc=table[:, 2].astype(np.int64),
        zenith_deg=table[:, 3],
        azimuth_deg=table[:, 4],
        ra_deg=ra_deg,
        dec_deg=dec_deg,
        energy_eev=energy,
        cumulative_exposure=exposure,
        l_deg=l_deg,
        b_deg=b_deg,
        total_exposure=float(exposure.max()) if exposure.size else 0.0,
    )
    if min_energy_eev is not None:
        if energy.size and min_energy_eev < energy.min():
            warnings.warn(
                f"min_energy_eev={min_energy_eev!r} lies below the smallest energy of the list "
                f"({energy.min():.4g} EeV): the list is not complete below it, so the cut keeps "
                "every event but the sample is not all events above min_energy_eev.",
                UserWarning,
                stacklevel=2,
            )
        events = events.select(events.energy_eev >= min_energy_eev)
    return events


@dataclass(frozen=True)
class KalashevSpectra:
    """Propagated spectra of nuclei from one source (Kalashev, Pshirkov, Zotov 2019).

    Attributes
    ----------
    distance_mpc : float
        Source distance [Mpc].
    energy_ev : numpy.ndarray, shape (n_energies,)
        Energy grid [eV], logarithmic with 20 points per decade from 1e18 eV.
    e2_flux : numpy.ndarray, shape (n_energies, 56)
        ``E^2 J(E)`` [eV / (s cm^2 sr), arbitrary normalisation] of mass number
        ``A = 1 .. 56`` at Earth (column ``A - 1``).
    mass_numbers : numpy.ndarray of int, shape (56,)
        ``1 .. 56``.

    Examples
    --------
    >>> from crsbi.uhecr import load_kalashev2019_spectra
    >>> spectra = load_kalashev2019_spectra(3.5)
    >>> spectra.e2_flux.shape[1]  # mass numbers A = 1..56
    56
    """

    distance_mpc: float
    energy_ev: np.ndarray
    e2_flux: np.ndarray
    mass_numbers: np.ndarray = field(default_factory=lambda: np.arange(1, 57))


def _archive_path(path: str | Path | None) -> Path:
    path = data_file("uhecr", KALASHEV2019_FILE) if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Kalashev et al. spectra archive not found at {path}.")
    return path


@functools.lru_cache(maxsize=4)
def _read_archive(path: Path) -> dict[float, np.ndarray]:
    tables: dict[float, np.ndarray] = {}
    with tarfile.open(path, "r:bz2") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.endswith(".gz"):
                continue
            distance = float(Path(member.name).name[: -len(".gz")])
            handle = archive.extractfile(member)
            if handle is None:  # pragma: no cover - regular files always have a handle
                continue
            text = gzip.decompress(handle.read()).decode()
            rows = [line.split() for line in text.splitlines() if line and line[0] != "#"]
            tables[distance] = np.array(rows, dtype=float)
    return tables


def kalashev2019_distances(*, path: str | Path | None = None) -> np.ndarray:
    """Source distances [Mpc] tabulated in the Kalashev et al. archive (0.5 .. 25 Mpc).

    Parameters
    ----------
    path : str, pathlib.Path or None
        Archive to read; by default ``data_dir("uhecr") / KALASHEV2019_FILE``.

    Returns
    -------
    numpy.ndarray
        Sorted distances [Mpc].

    Examples
    --------
    >>> from crsbi.uhecr.data import kalashev2019_distances
    >>> kalashev2019_distances()[:3]
    array([0.5, 1. , 1.5])
    """
    return np.array(sorted(_read_archive(_archive_path(path))))


def load_kalashev2019_spectra(
    distance_mpc: float, *, path: str | Path | None = None
) -> KalashevSpectra:
    """Spectra at Earth of nuclei A = 1..56 from a source at ``distance_mpc``.

    Between tabulated distances the ``E^2 J`` values are interpolated linearly in distance.

    Parameters
    ----------
    distance_mpc : float
        Source distance [Mpc], within the tabulated 0.5 .. 25 Mpc.
    path : str, pathlib.Path or None
        Archive to read; by default ``data_dir("uhecr") / KALASHEV2019_FILE``.

    Returns
    -------
    KalashevSpectra
        Energy grid and ``E^2 J`` per mass number.

    Examples
    --------
    >>> from crsbi.uhecr.data import load_kalashev2019_spectra
    >>> spectra = load_kalashev2019_spectra(3.5)
    >>> spectra.e2_flux.shape[1]
    56
    """
    tables = _read_archive(_archive_path(path))
    distances = np.array(sorted(tables))
    distance = float(distance_mpc)
    if not distances[0] <= distance <= distances[-1]:
        raise ValueError(
            f"distance_mpc must be within the tabulated {distances[0]:g} .. {distances[-1]:g} "
            f"Mpc. Got {distance_mpc!r}."
        )
    upper = int(np.searchsorted(distances, distance))
    if distances[upper] == distance:
        table = tables[distances[upper]]
    else:
        d0, d1 = distances[upper - 1], distances[upper]
        weight = (distance - d0) / (d1 - d0)
        table = (1 - weight) * tables[d0] + weight * tables[d1]
    return KalashevSpectra(
        distance_mpc=distance, energy_ev=table[:, 0].copy(), e2_flux=table[:, 1:57].copy()
    )
