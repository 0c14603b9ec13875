"""Nuclear cross sections for the Galactic propagation simulator.

Two sources, same interface (:class:`CrossSections`):

``"tables"``
    The public tables in ``<data_dir>/cross_sections`` (see the data README):
    cumulative fragmentation cross sections on hydrogen of Evoli et al. (2019,
    PRD 99, 103023; ``crxsecs_fragmentation_Evoli2019_cumulative_modified.dat``,
    10 MeV/n .. 1 PeV/n) and total inelastic cross sections on hydrogen of
    Tripathi et al. (1999) or CROSEC (``xsecs_total_<set>_0.1_100_1.1.txt``,
    0.1 GeV/n .. 1.2 TeV/n). Values outside a table's energy range are held
    constant at the nearest edge.
``"builtin"``
    A compact parametrisation with published values, used when no data directory
    exists: total inelastic cross sections from the energy-dependent formula of
    Letaw, Silberberg & Tsao (1983, ApJS 51, 271) and energy-independent
    fragmentation cross sections equal to the Evoli et al. (2019) values at
    10 GeV/n. It ignores the low-energy (< 1 GeV/n) structure of the partial cross
    sections (tens of per cent there) and differs from the Tripathi table by ~5-10%.

Cross sections on helium are obtained from those on hydrogen with the geometric
(Bradt-Peters) ratio ``[(A_t^(1/3) + A_p^(1/3) - b) / (1 + A_p^(1/3) - b)]^2`` with
``b = 1``, a common approximation (the measured He/H ratios of Ferrando et al. 1988
are 10-20% lower for light nuclei).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from crsbi.core.data import data_file

__all__ = [
    "CrossSections",
    "get_cross_sections",
    "helium_factor",
    "letaw_inelastic",
    "load_fragmentation_table",
    "load_inelastic_table",
]

Isotope = tuple[int, int]

FRAGMENTATION_FILE = "crxsecs_fragmentation_Evoli2019_cumulative_modified.dat"
INELASTIC_SETS = ("Tripathi99", "CROSEC")

# Evoli et al. (2019) cumulative fragmentation cross sections on H at 10 GeV/n [mb],
# (Z_parent, A_parent) -> {(Z_daughter, A_daughter): sigma}.
_BUILTIN_FRAGMENTATION: dict[Isotope, dict[Isotope, float]] = {
    (14, 28): {
        (8, 16): 21.6,
        (7, 15): 16.4,
        (7, 14): 9.66,
        (6, 13): 10.6,
        (6, 12): 21.9,
        (5, 11): 8.37,
        (5, 10): 2.84,
        (4, 10): 1.46,
        (4, 9): 3.69,
        (4, 7): 5.79,
        (3, 7): 11.4,
        (3, 6): 14.5,
    },
    (12, 24): {
        (8, 16): 32.1,
        (7, 15): 22.4,
        (7, 14): 13.9,
        (6, 13): 17.1,
        (6, 12): 26.2,
        (5, 11): 14.1,
        (5, 10): 6.26,
        (4, 10): 1.65,
        (4, 9): 4.16,
        (4, 7): 6.57,
        (3, 7): 11.4,
        (3, 6): 14.2,
    },
    (10, 20): {
        (8, 16): 39.7,
        (7, 15): 40.0,
        (7, 14): 26.4,
        (6, 13): 18.8,
        (6, 12): 34.3,
        (5, 11): 15.3,
        (5, 10): 6.65,
        (4, 10): 1.86,
        (4, 9): 4.67,
        (4, 7): 7.41,
        (3, 7): 11.4,
        (3, 6): 13.8,
    },
    (8, 16): {
        (7, 15): 60.8,
        (7, 14): 30.1,
        (6, 13): 21.7,
        (6, 12): 33.2,
        (5, 11): 26.8,
        (5, 10): 10.5,
        (4, 10): 3.94,
        (4, 9): 3.39,
        (4, 7): 8.69,
        (3, 7): 10.8,
        (3, 6): 16.7,
    },
    (7, 15): {
        (7, 14): 20.1,
        (6, 13): 46.1,
        (6, 12): 43.8,
        (5, 11): 36.5,
        (5, 10): 13.6,
        (4, 10): 3.4,
        (4, 9): 7.98,
        (4, 7): 5.34,
        (3, 7): 18.6,
        (3, 6): 11.9,
    },
    (7, 14): {
        (6, 13): 16.3,
        (6, 12): 52.0,
        (5, 11): 29.2,
        (5, 10): 10.2,
        (4, 10): 2.63,
        (4, 9): 2.71,
        (4, 7): 12.1,
        (3, 7): 16.2,
        (3, 6): 15.3,
    },
    (6, 13): {
        (6, 12): 56.7,
        (5, 11): 41.6,
        (5, 10): 4.7,
        (4, 10): 6.55,
        (4, 9): 7.52,
        (4, 7): 4.7,
        (3, 7): 22.8,
        (3, 6): 19.6,
    },
    (6, 12): {
        (5, 11): 52.7,
        (5, 10): 18.1,
        (4, 10): 3.99,
        (4, 9): 7.21,
        (4, 7): 9.46,
        (3, 7): 13.7,
        (3, 6): 16.1,
    },
    (5, 11): {(5, 10): 40.9, (4, 10): 12.9, (4, 9): 15.2, (4, 7): 4.56, (3, 7): 27.7, (3, 6): 7.91},
    (5, 10): {(4, 9): 13.9, (4, 7): 21.3, (3, 7): 11.4, (3, 6): 13.4},
    (4, 10): {(4, 9): 36.4, (4, 7): 36.9, (3, 7): 21.8, (3, 6): 12.7},
    (4, 9): {(4, 7): 45.2, (3, 7): 19.6, (3, 6): 14.6},
    (4, 7): {(3, 6): 21.0},
    (3, 7): {(3, 6): 46.0},
}


def _parse_isotope(code: str) -> Isotope:
    """Parse the ``Z.AA`` code of the Evoli table (``6.12`` = 12C, ``4.09`` = 9Be)."""
    z_text, a_text = code.split(".")
    return int(z_text), int(a_text)


def _resolve(path: str | Path | None, name: str) -> Path:
    if path is None:
        return data_file("cross_sections", name)
    path = Path(path)
    if path.is_dir():
        path = path / name
    if not path.is_file():
        raise FileNotFoundError(f"Cross-section table {path} does not exist.")
    return path


@lru_cache(maxsize=4)
def _fragmentation_cached(
    path: str,
) -> dict[tuple[Isotope, Isotope], tuple[np.ndarray, np.ndarray]]:
    table: dict[tuple[Isotope, Isotope], list[tuple[float, float]]] = {}
    with open(path) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 4 or line.lstrip().startswith(("#", '"')):
                continue
            key = (_parse_isotope(parts[0]), _parse_isotope(parts[1]))
            table.setdefault(key, []).append((float(parts[2]), float(parts[3])))
    out = {}
    for key, rows in table.items():
        arr = np.array(sorted(rows))
        out[key] = (arr[:, 0] * 1e-3, arr[:, 1])
    return out


def load_fragmentation_table(
    path: str | Path | None = None,
) -> dict[tuple[Isotope, Isotope], tuple[np.ndarray, np.ndarray]]:
    """Read the Evoli et al. (2019) cumulative fragmentation table (target: hydrogen).

    Parameters
    ----------
    path : str, Path or None
        The ``.dat`` file or the directory holding it; ``None`` uses
        ``data_dir("cross_sections")``.

    Returns
    -------
    dict
        ``{((Z_p, A_p), (Z_f, A_f)): (energy, sigma)}`` with ``energy`` the kinetic
        energy per nucleon [GeV/n], increasing, and ``sigma`` [mb], both of shape (n,).

    Examples
    --------
    >>> table = load_fragmentation_table()
    >>> e, s = table[(6, 12), (5, 11)]
    """
    return _fragmentation_cached(str(_resolve(path, FRAGMENTATION_FILE)))


@lru_cache(maxsize=4)
def _inelastic_cached(path: str) -> dict[Isotope, tuple[np.ndarray, np.ndarray]]:
    out = {}
    with open(path) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 3 or line.lstrip().startswith("#"):
                continue
            values = np.array([float(v) for v in parts[2:]])
            energy = 0.1 * 1.1 ** np.arange(values.size)
            out[int(parts[0]), int(parts[1])] = (energy, values)
    return out


def load_inelastic_table(
    kind: str = "Tripathi99", path: str | Path | None = None
) -> dict[Isotope, tuple[np.ndarray, np.ndarray]]:
    """Read a total inelastic cross-section table on hydrogen.

    Parameters
    ----------
    kind : {"Tripathi99", "CROSEC"}
        Which of the two tables (they differ by ~5%, a systematic).
    path : str, Path or None
        The table file or the directory holding it; ``None`` uses
        ``data_dir("cross_sections")``.

    Returns
    -------
    dict
        ``{(Z, A): (energy, sigma)}``, energy [GeV/n] = ``0.1 * 1.1**i``, sigma [mb].

    Examples
    --------
    >>> table = load_inelastic_table("Tripathi99")
    >>> sorted(table)[:2]
    [(1, 2), (2, 3)]
    """
    if kind not in INELASTIC_SETS:
        raise ValueError(f"kind must be one of {INELASTIC_SETS}; got {kind!r}.")
    return _inelastic_cached(str(_resolve(path, f"xsecs_total_{kind}_0.1_100_1.1.txt")))


def letaw_inelastic(mass_number: float, energy: Any) -> np.ndarray:
    """Total inelastic cross section on hydrogen of Letaw, Silberberg & Tsao (1983).

    ``sigma = 45 A^0.7 [1 + 0.016 sin(5.3 - 2.63 ln A)] [1 - 0.62 exp(-T/0.2) sin(10.9 T^-0.28)]``
    mb, with ``T`` in GeV/n (the energy factor uses MeV/n in the original).

    Parameters
    ----------
    mass_number : float
        Mass number A of the projectile (> 1).
    energy : array-like
        Kinetic energy per nucleon [GeV/n], > 0.

    Returns
    -------
    ndarray
        Cross section [mb], same shape as ``energy``.

    Examples
    --------
    >>> round(float(letaw_inelastic(12, 10.0)), 1)
    252.4
    """
    energy = np.asarray(energy, dtype=float)
    high = 45.0 * mass_number**0.7 * (1.0 + 0.016 * np.sin(5.3 - 2.63 * np.log(mass_number)))
    t_mev = energy * 1e3
    return high * (1.0 - 0.62 * np.exp(-t_mev / 200.0) * np.sin(10.9 * t_mev**-0.28))


def helium_factor(mass_number: float) -> float:
    """Geometric (Bradt-Peters, b = 1) ratio of cross sections on He and on H.

    Parameters
    ----------
    mass_number : float
        Projectile mass number.

    Returns
    -------
    float
        sigma(He) / sigma(H).

    Examples
    --------
    >>> round(helium_factor(12), 2)
    1.58
    """
    a3 = mass_number ** (1.0 / 3.0)
    return float(((4.0 ** (1.0 / 3.0) + a3 - 1.0) / a3) ** 2)


class CrossSections:
    """Total inelastic and cumulative fragmentation cross sections on H and He.

    Parameters
    ----------
    source : {"auto", "tables", "builtin"}, default="auto"
        ``"tables"`` reads the data directory (error if missing), ``"builtin"`` uses
        the compact parametrisation, ``"auto"`` the tables when the data directory
        exists and the parametrisation otherwise.
    inelastic : {"Tripathi99", "CROSEC"}, default="Tripathi99"
        Table for total inelastic cross sections (``"tables"`` only).

    Attributes
    ----------
    source_ : str
        ``"tables"`` or ``"builtin"``, what is actually used.

    Examples
    --------
    >>> xs = CrossSections("builtin")
    >>> round(float(xs.fragmentation((6, 12), (5, 11), 10.0)), 1)
    52.7
    """

    def __init__(self, source: str = "auto", inelastic: str = "Tripathi99") -> None:
        if source not in ("auto", "tables", "builtin"):
            raise ValueError(
                f"source must be 'auto', 'tables' or 'builtin'; got {source!r} instead."
            )
        if inelastic not in INELASTIC_SETS:
            raise ValueError(f"inelastic must be one of {INELASTIC_SETS}; got {inelastic!r}.")
        self.source = source
        self.inelastic_set = inelastic
        self._frag = None
        self._inel = None
        if source in ("auto", "tables"):
            try:
                self._frag = load_fragmentation_table()
                self._inel = load_inelastic_table(inelastic)
                self.source_ = "tables"
            except FileNotFoundError:
                if source == "tables":
                    raise
                self.source_ = "builtin"
        else:
            self.source_ = "builtin"

    def inelastic(self, isotope: Isotope, energy: Any, target: str = "H") -> np.ndarray:
        """Total inelastic cross section [mb] at kinetic energy per nucleon ``energy`` [GeV/n].

        Parameters
        ----------
        isotope : tuple of int
            ``(Z, A)`` of the projectile.
        energy : array-like
            Kinetic energy per nucleon [GeV/n].
        target : {"H", "He"}
            Interstellar target.

        Returns
        -------
        ndarray
            Cross section [mb], same shape as ``energy``.
        """
        energy = np.asarray(energy, dtype=float)
        if self._inel is not None and tuple(isotope) in self._inel:
            e_tab, s_tab = self._inel[tuple(isotope)]
            sigma = np.interp(np.log(energy), np.log(e_tab), s_tab)
        else:
            sigma = letaw_inelastic(isotope[1], np.maximum(energy, 1e-3))
        return sigma * (helium_factor(isotope[1]) if target == "He" else 1.0)

    def fragmentation(
        self, parent: Isotope, daughter: Isotope, energy: Any, target: str = "H"
    ) -> np.ndarray:
        """Cumulative fragmentation cross section parent -> daughter [mb].

        Parameters
        ----------
        parent, daughter : tuple of int
            ``(Z, A)`` of projectile and fragment.
        energy : array-like
            Kinetic energy per nucleon [GeV/n] (straight-ahead: same for both).
        target : {"H", "He"}
            Interstellar target.

        Returns
        -------
        ndarray
            Cross section [mb], same shape as ``energy``; zero for channels not listed.
        """
        energy = np.asarray(energy, dtype=float)
        key = (tuple(parent), tuple(daughter))
        if self._frag is not None:
            if key in self._frag:
                e_tab, s_tab = self._frag[key]
                sigma = np.interp(np.log(energy), np.log(e_tab), s_tab)
            else:
                sigma = np.zeros_like(energy)
        else:
            value = _BUILTIN_FRAGMENTATION.get(key[0], {}).get(key[1], 0.0)
            sigma = np.full_like(energy, value)
        return sigma * (helium_factor(parent[1]) if target == "He" else 1.0)


@lru_cache(maxsize=8)
def get_cross_sections(source: str = "auto", inelastic: str = "Tripathi99") -> CrossSections:
    """Return a cached :class:`CrossSections` instance (tables are read once per process).

    Parameters
    ----------
    source : {"auto", "tables", "builtin"}
        See :class:`CrossSections`.
    inelastic : {"Tripathi99", "CROSEC"}
        Total inelastic table.

    Returns
    -------
    CrossSections

    Examples
    --------
    >>> get_cross_sections("builtin").source_
    'builtin'
    """
    return CrossSections(source, inelastic)
