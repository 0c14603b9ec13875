"""Measured cosmic-ray spectra: AMS-02 Li, Be, B, C, N, O fluxes and ratios, Voyager 1.

Files (see ``<data_dir>/README.md``):

- ``spectra/ams02/AMS-02_<X>_rigidity.txt`` (CRDB exports): fluxes in (m^2 s sr GV)^-1 or
  ratios versus rigidity [GV], with separate statistical and systematic errors
  (AMS collaboration, PRL 119, 251101 (2017); PRL 120, 021101 (2018); Phys. Rep. 894, 1
  (2021)). ``AMS-02_B_C_kineticEnergyPerNucleon.txt`` is B/C versus kinetic energy per
  nucleon (PRL 117, 231102 (2016)).
- ``spectra/ams02_ssdc/*.txt`` (SSDC exports): Li, Be, B, C, O fluxes versus kinetic
  energy per nucleon [GeV/n] in (m^2 s sr GeV/n)^-1 with one combined (stat (+) sys)
  error, stored here in ``stat`` with ``sys = 0``.
- ``spectra/voyager1/voyager1_cummings2016_table9_Zgt2.csv``: local interstellar
  intensities (Cummings et al. 2016, ApJ 831, 18), converted to GeV/n units; outside the
  heliosphere, so ``modulated = False``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from crsbi.core.data import data_file

__all__ = [
    "AMS02_QUANTITIES",
    "Measurement",
    "load_ams02",
    "load_voyager1",
]

#: Quantities available in rigidity from AMS-02 (fluxes and ratios).
AMS02_QUANTITIES: tuple[str, ...] = (
    "Li",
    "Be",
    "B",
    "C",
    "N",
    "O",
    "H",
    "He",
    "B/C",
    "B/O",
    "Be/B",
    "Be/C",
    "Be/O",
    "Li/B",
    "Li/C",
    "Li/O",
    "C/O",
    "N/O",
)
_SSDC_FILES = {
    "Li": "Li_AMS_PRL2018.txt",
    "Be": "Be_AMS_PRL2018.txt",
    "B": "B_AMS_PRL2018.txt",
    "C": "C_AMS_PRL2017.txt",
    "O": "O_AMS_PRL2017.txt",
}
_VOYAGER_Z = {"Li": 3, "Be": 4, "B": 5, "C": 6, "N": 7, "O": 8}


@dataclass(frozen=True)
class Measurement:
    """One measured spectrum or ratio.

    Attributes
    ----------
    quantity : str
        Element (``"B"``) or ratio (``"B/C"``).
    axis : {"rigidity", "energy"}
        ``x`` is rigidity [GV] or kinetic energy per nucleon [GeV/n].
    x : ndarray of shape (n,)
        Bin positions.
    y : ndarray of shape (n,)
        Flux [per (m^2 s sr GV)] or [per (m^2 s sr GeV/n)], or a dimensionless ratio.
    stat, sys : ndarray of shape (n,)
        Statistical and systematic errors (symmetrised: mean of low and high).
    experiment : str
        ``"AMS-02"`` or ``"Voyager 1"``.
    reference : str
        Publication.
    modulated : bool
        Whether solar modulation applies (False outside the heliosphere).
    x_low, x_high : ndarray of shape (n,) or None
        Bin edges where the file gives them.

    Examples
    --------
    >>> from crsbi.propagation import load_ams02
    >>> bc = load_ams02("B/C")
    >>> bc.quantity, bc.axis, bool((bc.stat > 0).all())
    ('B/C', 'rigidity', True)
    """

    quantity: str
    axis: str
    x: np.ndarray
    y: np.ndarray
    stat: np.ndarray
    sys: np.ndarray
    experiment: str
    reference: str
    modulated: bool = True
    x_low: np.ndarray | None = None
    x_high: np.ndarray | None = None

    @property
    def error(self) -> np.ndarray:
        """Total error ``sqrt(stat^2 + sys^2)``, shape (n,)."""
        return np.hypot(self.stat, self.sys)

    @property
    def is_ratio(self) -> bool:
        """Whether the quantity is a ratio of two elements."""
        return "/" in self.quantity

    def __len__(self) -> int:
        """Return the number of points."""
        return int(self.x.size)

    def select(self, x_min: float = 0.0, x_max: float = np.inf) -> Measurement:
        """Return the points with ``x_min <= x <= x_max`` (units of :attr:`axis`).

        Parameters
        ----------
        x_min, x_max : float
            Inclusive range.

        Returns
        -------
        Measurement
        """
        keep = (self.x >= x_min) & (self.x <= x_max)

        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[keep]

        return replace(
            self,
            x=self.x[keep],
            y=self.y[keep],
            stat=self.stat[keep],
            sys=self.sys[keep],
            x_low=cut(self.x_low),
            x_high=cut(self.x_high),
        )


def _spectra_file(path: str | Path | None, *parts: str) -> Path:
    """Return a file of the ``spectra`` directory: under ``path``, else the data directory."""
    if path is None:
        return data_file("spectra", *parts)
    return Path(path).joinpath(*parts)


def _read_columns(path: Path) -> tuple[np.ndarray, dict[str, str]]:
    header: dict[str, str] = {}
    rows = []
    with open(path) as handle:
        for line in handle:
            text = line.strip()
            if not text:
                continue
            if text.startswith("#"):
                if ":" in text:
                    key, _, value = text.lstrip("#").partition(":")
                    header[key.strip()] = value.strip()
                continue
            rows.append([float(v) for v in text.split()])
    return np.array(rows), header


def load_ams02(
    quantity: str, axis: str = "rigidity", *, path: str | Path | None = None
) -> Measurement:
    """Load an AMS-02 flux or ratio.

    Parameters
    ----------
    quantity : str
        One of :data:`AMS02_QUANTITIES` for ``axis="rigidity"``; for ``axis="energy"``
        one of ``Li, Be, B, C, O, B/C``.
    axis : {"rigidity", "energy"}, default="rigidity"
        Rigidity [GV] or kinetic energy per nucleon [GeV/n].
    path : str, Path or None
        The ``spectra`` directory; ``None`` uses ``data_dir("spectra")``.

    Returns
    -------
    Measurement

    Examples
    --------
    >>> bc = load_ams02("B/C")
    >>> bc.axis, len(bc) > 60
    ('rigidity', True)
    """
    if axis == "rigidity":
        if quantity not in AMS02_QUANTITIES:
            raise ValueError(
                f"quantity must be one of {AMS02_QUANTITIES} for axis='rigidity'; got {quantity!r}."
            )
        file = _spectra_file(path, "ams02", f"AMS-02_{quantity.replace('/', '_')}_rigidity.txt")
    elif axis == "energy":
        if quantity == "B/C":
            file = _spectra_file(path, "ams02", "AMS-02_B_C_kineticEnergyPerNucleon.txt")
        elif quantity in _SSDC_FILES:
            file = _spectra_file(path, "ams02_ssdc", _SSDC_FILES[quantity])
            data, header = _read_columns(file)
            return Measurement(
                quantity,
                "energy",
                data[:, 0],
                data[:, 3],
                0.5 * (data[:, 4] + data[:, 5]),
                np.zeros(len(data)),
                "AMS-02",
                header.get("GraphTitle", "AMS-02 (SSDC)"),
            )
        else:
            raise ValueError(
                "quantity must be one of ('Li', 'Be', 'B', 'C', 'O', 'B/C') for "
                f"axis='energy'; got {quantity!r}."
            )
    else:
        raise ValueError(f"axis must be 'rigidity' or 'energy'; got {axis!r}.")
    data, header = _read_columns(file)
    if data.ndim != 2 or data.shape[1] != 6:
        raise ValueError(f"{file} must have 6 columns x y stat_lo stat_hi sys_lo sys_hi.")
    return Measurement(
        quantity,
        axis,
        data[:, 0],
        data[:, 1],
        0.5 * (data[:, 2] + data[:, 3]),
        0.5 * (data[:, 4] + data[:, 5]),
        header.get("Experiment", "AMS-02"),
        header.get("Ref", ""),
    )


def load_voyager1(element: str, *, path: str | Path | None = None) -> Measurement:
    """Load the Voyager 1 local interstellar spectrum of an element (Cummings et al. 2016).

    Parameters
    ----------
    element : {"Li", "Be", "B", "C", "N", "O"}
        Element.
    path : str, Path or None
        The ``spectra`` directory; ``None`` uses ``data_dir("spectra")``.

    Returns
    -------
    Measurement
        ``axis="energy"``, ``x`` the geometric bin centre [GeV/n], flux and errors in
        (m^2 s sr GeV/n)^-1, ``modulated=False``, bin edges in ``x_low``, ``x_high``.

    Examples
    --------
    >>> c = load_voyager1("C")
    >>> c.modulated
    False
    """
    if element not in _VOYAGER_Z:
        raise ValueError(f"element must be one of {tuple(_VOYAGER_Z)}; got {element!r}.")
    file = _spectra_file(path, "voyager1", "voyager1_cummings2016_table9_Zgt2.csv")
    names: list[str] = []
    values = []
    with open(file) as handle:
        for line in handle:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if not names:
                names = [v.strip() for v in text.split(",")]
                continue
            values.append([float(v) for v in text.split(",")])
    table = np.array(values)
    col = {name: table[:, k] for k, name in enumerate(names)}
    keep = np.flatnonzero(col["Z"] == _VOYAGER_Z[element])
    keep = keep[np.argsort(col["Emin_MeVn"][keep] * col["Emax_MeVn"][keep], kind="stable")]
    e_lo, e_hi = col["Emin_MeVn"][keep] * 1e-3, col["Emax_MeVn"][keep] * 1e-3
    return Measurement(
        element,
        "energy",
        np.sqrt(e_lo * e_hi),
        col["J"][keep] * 1e3,
        col["stat_err"][keep] * 1e3,
        col["sys_err"][keep] * 1e3,
        "Voyager 1",
        "Cummings et al. 2016, ApJ 831, 18 (Table 9)",
        modulated=False,
        x_low=e_lo,
        x_high=e_hi,
    )
