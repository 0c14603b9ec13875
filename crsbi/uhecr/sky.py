"""UHECR sky maps: isotropic background plus one deflected nearby source (Kalashev et al. 2020).

A map of ``n_events`` events above ``E_min = 10**lg_e_min`` eV (56 EeV by default) holds
``n_source ~ Binomial(n_events, fraction)`` source events and ``n_events - n_source``
isotropic ones, both seen through the experiment's exposure:

- **isotropic events** arrive with probability proportional to the exposure; their
  reconstructed energies follow a power law ``E^-isotropic_index`` above ``E_min`` (5.1, the
  Auger 2020 index above 46 EeV). A power law convolved with a log-normal energy
  resolution is the same power law, so no true energy is needed for them;
- **source events** draw (E, A) from the propagated spectrum at the source distance
  (``composition="kalashev2019"``: Kalashev, Pshirkov & Zotov 2019 tables for A = 1..56,
  Z of the most stable isobar) or a power law with rigidity cut-off
  (:class:`PowerLawComposition`); are deflected according to Z / E (:class:`Deflection`, a
  Galactic field's lens :class:`crsbi.uhecr.lens.LensDeflection`, or a user callable; events
  it returns as NaN, e.g. from a lens's blind regions, are dropped); get a reconstructed
  energy ``lg E_rec = lg E + N(0, sigma_lgE)`` with ``sigma_lgE = energy_resolution / ln 10``;
  are kept when ``E_rec >= E_min`` and accepted with probability equal to the relative
  exposure of their arrival direction.

Maps are in Galactic coordinates, NESTED pixel order, with ``n_channels`` energy channels of
width ``channel_width`` in lg E starting at ``lg_e_min`` (the first channel extends down to
-inf and the last one up to +inf). Each event is spread over the channels with a Gaussian in
lg E of width ``sigma_lgE`` centred on its reconstructed energy, as in the paper, so each
event adds 1 to the sum over channels. The same binning applies to measured events
(:func:`events_to_maps`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.uhecr._binning import LG_E_MIN, _accumulate, _check_count, _check_real, events_to_maps
from crsbi.uhecr._exposure import (
    AUGER,
    EXPOSURES,
    TELESCOPE_ARRAY,
    GroundArray,
    _check_kind,
    check_nside,
    equatorial_to_galactic,
    exposure_map,
    from_skycoord,
    galactic_to_equatorial,
    relative_exposure,
    sommers_exposure,
    to_skycoord,
)
from crsbi.uhecr._sources import (
    DEFAULT_DEFLECTION,
    SOURCES,
    CompositionTable,
    Deflection,
    PowerLawComposition,
    Source,
    charge_of_mass,
    check_composition,
    check_source,
    composition_table,
    sample_von_mises_fisher,
)

__all__ = [
    "AUGER",
    "DEFAULT_DEFLECTION",
    "EXPOSURES",
    "LG_E_MIN",
    "SOURCES",
    "TELESCOPE_ARRAY",
    "CompositionTable",
    "Deflection",
    "GroundArray",
    "PowerLawComposition",
    "SkyEvents",
    "Source",
    "charge_of_mass",
    "check_composition",
    "check_source",
    "equatorial_to_galactic",
    "events_to_maps",
    "exposure_map",
    "from_skycoord",
    "galactic_to_equatorial",
    "relative_exposure",
    "sample_von_mises_fisher",
    "simulate_events",
    "simulate_sky_maps",
    "sommers_exposure",
    "to_skycoord",
]

_OWNER = "simulate_sky_maps"
#: Events per internal chunk of the map simulator (bounds the memory of the channel weights).
_CHUNK_EVENTS = 200_000


@dataclass
class SkyEvents:
    """Simulated events of one sky; every array has shape ``(n_events,)``.

    Attributes
    ----------
    l_deg, b_deg : numpy.ndarray
        Galactic arrival direction [deg].
    energy_eev : numpy.ndarray
        Reconstructed energy [EeV] (all >= ``10**lg_e_min / 1e18``).
    energy_true_eev : numpy.ndarray
        True energy [EeV]; NaN for isotropic events (not simulated, see the module notes).
    charge, mass_number : numpy.ndarray of int
        Z and A of source events; 0 for isotropic events (composition not simulated).
    is_source : numpy.ndarray of bool
        True for source events.

    Examples
    --------
    >>> from crsbi.uhecr import simulate_events
    >>> events = simulate_events(30, source="CenA", fraction=0.5, composition="mixed",
    ...                          random_state=0)
    >>> events.l_deg.shape == events.energy_eev.shape == events.is_source.shape
    True
    """

    l_deg: np.ndarray
    b_deg: np.ndarray
    energy_eev: np.ndarray
    energy_true_eev: np.ndarray
    charge: np.ndarray
    mass_number: np.ndarray
    is_source: np.ndarray

    def __len__(self) -> int:
        return int(self.l_deg.size)


# ----------------------------------------------------------------------------- validation


def _per_map(value: object, name: str, n_maps: int, kind: str) -> np.ndarray:
    """Broadcast a scalar to, or check, an array of shape (n_maps,) of counts or fractions."""
    array = np.asarray(value)
    if array.ndim == 0:
        array = np.full(n_maps, array)
    if array.shape != (n_maps,):
        raise ValueError(
            f"The {name!r} parameter of {_OWNER} must be a scalar or an array of shape "
            f"({n_maps},). Got shape {array.shape}."
        )
    if kind == "count":
        if array.dtype.kind not in "iu" or (array.size and array.min() < 1):
            raise ValueError(
                f"The {name!r} parameter of {_OWNER} must hold ints >= 1. Got {value!r}."
            )
        return array.astype(np.int64)
    if array.dtype.kind not in "iuf" or not np.all((array >= 0) & (array <= 1)):
        raise ValueError(
            f"The {name!r} parameter of {_OWNER} must hold floats in [0, 1]. Got {value!r}."
        )
    return array.astype(float)


def _check_deflection(deflection: object) -> Callable | None:
    if deflection is None or isinstance(deflection, Deflection) or callable(deflection):
        return deflection
    raise ValueError(
        "The 'deflection' parameter must be a Deflection, a callable "
        "(l_deg, b_deg, charge, energy_eev, rng) -> (l_deg, b_deg), or None (no deflection). "
        f"Got {deflection!r} instead."
    )


# ------------------------------------------------------------------------------- sampling


def _isotropic_lg_energy(n: int, lg_e_min: float, index: float, rng) -> np.ndarray:
    """Draw lg E from a power law E^-index above E_min (inverse transform)."""
    return lg_e_min - np.log10(1.0 - rng.random(n)) / (index - 1.0)


def _isotropic_directions(n: int, exposure: object, rng) -> tuple[np.ndarray, np.ndarray]:
    """Continuous isotropic directions accepted with the relative exposure (rejection)."""
    l_out, b_out, have = [], [], 0
    for _ in range(10_000):
        m = max(2 * (n - have), 256)
        l_deg = 360.0 * rng.random(m)
        b_deg = np.degrees(np.arcsin(2.0 * rng.random(m) - 1.0))
        keep = rng.random(m) < relative_exposure(exposure, l_deg, b_deg)
        l_out.append(l_deg[keep])
        b_out.append(b_deg[keep])
        have += int(keep.sum())
        if have >= n:
            break
    return np.concatenate(l_out)[:n], np.concatenate(b_out)[:n]


def _source_events(
    n: int,
    source: Source,
    table: CompositionTable,
    deflection: Callable | None,
    exposure: object,
    lg_e_min: float,
    sigma_lg: float,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Draw ``n`` source events passing the energy cut and the exposure."""
    lg_low = lg_e_min - 4.0 * sigma_lg
    parts: list[dict[str, np.ndarray]] = []
    have, tried, acceptance = 0, 0, 0.5
    while have < n:
        m = int(min(max(1.3 * (n - have) / max(acceptance, 1e-3), 512), 2_000_000))
        lg_true, charge, mass = table.sample(m, lg_low, rng)
        lg_rec = lg_true + sigma_lg * rng.standard_normal(m) if sigma_lg > 0 else lg_true
        l_src, b_src = np.full(m, float(source.l_deg)), np.full(m, float(source.b_deg))
        if deflection is None:
            l_deg, b_deg = l_src, b_src
        else:
            l_deg, b_deg = deflection(l_src, b_src, charge, 10.0 ** (lg_true - 18.0), rng)
            l_deg, b_deg = np.asarray(l_deg, float), np.asarray(b_deg, float)
            if l_deg.shape != (m,) or b_deg.shape != (m,):
                raise ValueError(
                    f"The deflection callable must return two arrays of shape ({m},). "
                    f"Got {l_deg.shape} and {b_deg.shape}."
                )
        # a deflection returns NaN for events it does not let through (a lens's blind
        # regions and demagnification, LensDeflection)
        arrived = np.isfinite(l_deg) & np.isfinite(b_deg)
        l_deg, b_deg = np.where(arrived, l_deg, 0.0), np.where(arrived, b_deg, 0.0)
        accepted = rng.random(m) < relative_exposure(exposure, l_deg, b_deg)
        keep = (lg_rec >= lg_e_min) & arrived & accepted
        tried += m
        have += int(keep.sum())
        acceptance = have / tried
        if (have == 0 and tried >= 200_000) or (have < n and tried >= 20_000_000):
            raise ValueError(
                f"Source {source.name!r} at (l, b) = ({source.l_deg}, {source.b_deg}) deg gives "
                f"(almost) no observable events: {have} of {tried} simulated events passed the "
                f"energy cut lg(E/eV) >= {lg_e_min:.3f} and the exposure {exposure!r}. Choose "
                "a source in "
                "the field of view or another exposure."
            )
        parts.append(
            {
                "l_deg": l_deg[keep],
                "b_deg": b_deg[keep],
                "lg_rec": lg_rec[keep],
                "lg_true": lg_true[keep],
                "charge": charge[keep],
                "mass": mass[keep],
            }
        )
    return {key: np.concatenate([p[key] for p in parts])[:n] for key in parts[0]}


# ----------------------------------------------------------------------------- public API


def _validate(
    n_maps,
    n_events,
    source,
    fraction,
    nside,
    n_channels,
    lg_e_min,
    channel_width,
    energy_resolution,
    exposure,
    composition,
    deflection,
    isotropic_index,
) -> dict:
    n_events = _per_map(n_events, "n_events", n_maps, "count")
    fraction = _per_map(fraction, "fraction", n_maps, "fraction")
    config = {
        "n_events": n_events,
        "fraction": fraction,
        "nside": check_nside(nside, owner=_OWNER),
        "n_channels": _check_count(n_channels, "n_channels", 1),
        "lg_e_min": _check_real(lg_e_min, "lg_e_min", 15.0, 23.0),
        "channel_width": _check_real(channel_width, "channel_width", 0, 5, "right"),
        "sigma_lg": _check_real(energy_resolution, "energy_resolution", 0, 10) / math.log(10),
        "isotropic_index": _check_real(isotropic_index, "isotropic_index", 1, 20, "right"),
        "exposure": exposure,
        "deflection": _check_deflection(deflection),
    }
    model = _check_kind(exposure)
    if isinstance(model, np.ndarray):
        config["exposure"] = np.asarray(model, dtype=float)
    if source is None:
        if np.any(fraction > 0):
            raise ValueError(
                f"The 'fraction' parameter of {_OWNER} is > 0 but source is None: name a source "
                f"({sorted(SOURCES)}) or pass a Source."
            )
        config["source"], config["table"] = None, None
    else:
        config["source"] = check_source(source)
        check_composition(composition)
        # the spectra are only read when source events can occur (isotropic null maps
        # need no data files)
        needed = bool(np.any(fraction > 0))
        config["table"] = composition_table(composition, config["source"]) if needed else None
    return config


def simulate_events(
    n_events: int,
    *,
    source: str | Source | None = None,
    fraction: float = 0.0,
    lg_e_min: float = LG_E_MIN,
    energy_resolution: float = 0.2,
    exposure: object = "uniform",
    composition: object = "kalashev2019",
    deflection: object = DEFAULT_DEFLECTION,
    isotropic_index: float = 5.1,
    random_state: int | np.random.Generator | None = None,
) -> SkyEvents:
    """Simulate the events of one sky: isotropic background plus a fraction from one source.

    The arrival directions are continuous rather than pixelised; otherwise the model is
    that of :func:`simulate_sky_maps`.

    Parameters
    ----------
    n_events : int
        Events above ``E_min``.
    source : str, Source or None, default=None
        Catalogue name or :class:`Source`; ``None`` for an isotropic sky.
    fraction : float, default=0.0
        Expected share of source events in [0, 1] (binomial number).
    lg_e_min : float, default=log10(56e18)
        lg(E_min / eV) [dimensionless; E_min in eV], the cut on reconstructed energies.
    energy_resolution : float, default=0.2
        Relative energy resolution dE/E (dimensionless, log-normal).
    exposure : {"uniform", "auger", "ta"}, GroundArray or numpy.ndarray, default="uniform"
        Exposure model.
    composition : {"kalashev2019", "mixed"}, PowerLawComposition or CompositionTable
        Mass composition and energies of source events.
    deflection : Deflection, callable or None, default=DEFAULT_DEFLECTION
        Galactic deflection of source events (``None``: straight lines).
    isotropic_index : float, default=5.1
        Spectral index of the isotropic background (dimensionless).
    random_state : None, int or numpy.random.Generator
        Seed or generator.

    Returns
    -------
    SkyEvents
        Arrays of shape ``(n_events,)``; source events first.

    Examples
    --------
    >>> from crsbi.uhecr.sky import simulate_events
    >>> events = simulate_events(50, source="CenA", fraction=0.2, composition="mixed",
    ...                          random_state=0)
    >>> len(events), int(events.is_source.sum()) > 0
    (50, True)
    """
    n_events = _check_count(n_events, "n_events", 1)
    config = _validate(
        1,
        n_events,
        source,
        fraction,
        1,
        1,
        lg_e_min,
        0.05,
        energy_resolution,
        exposure,
        composition,
        deflection,
        isotropic_index,
    )
    rng = check_random_state(random_state)
    n_source = int(rng.binomial(n_events, config["fraction"][0]))
    n_iso = n_events - n_source
    lg_iso = _isotropic_lg_energy(n_iso, config["lg_e_min"], config["isotropic_index"], rng)
    l_iso, b_iso = _isotropic_directions(n_iso, config["exposure"], rng)
    keys = ("l_deg", "b_deg", "lg_rec", "lg_true", "charge", "mass")
    src = {key: np.empty(0) for key in keys}
    if n_source:
        src = _source_events(
            n_source,
            config["source"],
            config["table"],
            config["deflection"],
            config["exposure"],
            config["lg_e_min"],
            config["sigma_lg"],
            rng,
        )
    return SkyEvents(
        l_deg=np.concatenate([src["l_deg"], l_iso]),
        b_deg=np.concatenate([src["b_deg"], b_iso]),
        energy_eev=10.0 ** (np.concatenate([src["lg_rec"], lg_iso]) - 18.0),
        energy_true_eev=np.concatenate([10.0 ** (src["lg_true"] - 18.0), np.full(n_iso, np.nan)]),
        charge=np.concatenate([src["charge"], np.zeros(n_iso)]).astype(int),
        mass_number=np.concatenate([src["mass"], np.zeros(n_iso)]).astype(int),
        is_source=np.arange(n_events) < n_source,
    )


def simulate_sky_maps(
    n_maps: int,
    *,
    n_events: int | np.ndarray,
    source: str | Source | None = None,
    fraction: float | np.ndarray = 0.0,
    nside: int = 32,
    n_channels: int = 15,
    lg_e_min: float = LG_E_MIN,
    channel_width: float = 0.05,
    energy_resolution: float = 0.2,
    exposure: object = "uniform",
    composition: object = "kalashev2019",
    deflection: object = DEFAULT_DEFLECTION,
    isotropic_index: float = 5.1,
    random_state: int | np.random.Generator | None = None,
    verbose: int = 0,
) -> np.ndarray:
    """Simulate energy-channel HEALPix count maps of UHECR skies (Galactic, NESTED).

    Parameters
    ----------
    n_maps : int
        Number of maps (>= 1).
    n_events : int or array_like of int, shape (n_maps,)
        Events per map above ``E_min``.
    source : str, Source or None, default=None
        Catalogue name (``"CenA"``, ``"M82"``, ``"NGC253"``, ``"M87"``, ``"FornaxA"``, see
        ``SOURCES``) or a :class:`Source`; ``None`` for purely isotropic maps.
    fraction : float or array_like, shape (n_maps,), default=0.0
        Expected share eta of source events in [0, 1]; the number of source events of a map
        is drawn from ``Binomial(n_events, fraction)``.
    nside : int, default=32
        HEALPix resolution (a power of two).
    n_channels : int, default=15
        Energy channels; 1 gives plain count maps.
    lg_e_min : float, default=log10(56e18)
        lg(E_min / eV) [dimensionless; E_min in eV]: energy cut on reconstructed energies
        and lower edge of channel 0.
    channel_width : float, default=0.05
        Channel width in lg E [dex] (15 channels of 0.05 span 56 .. 315 EeV).
    energy_resolution : float, default=0.2
        Relative energy resolution dE/E (dimensionless); ``sigma_lgE = energy_resolution /
        ln 10`` sets the log-normal scatter of reconstructed energies and the Gaussian
        channel spreading (0 gives exact energies and hard channel boundaries).
    exposure : {"uniform", "auger", "ta"}, GroundArray or numpy.ndarray, default="uniform"
        Exposure model (see :func:`exposure_map`); an array is a NESTED Galactic map.
    composition : {"kalashev2019", "mixed"}, PowerLawComposition or CompositionTable
        Mass composition and energies of source events at Earth: ``"kalashev2019"`` (the
        default: propagated spectra for the source distance, read from
        ``data_dir("uhecr")``), ``"mixed"`` (``PowerLawComposition()`` defaults) or a user
        composition.
    deflection : Deflection, callable or None, default=DEFAULT_DEFLECTION
        Galactic deflection of source events: a :class:`Deflection` (default: coherent shift
        200 deg EeV x Z/E towards the Galactic plane plus von Mises-Fisher smearing
        60 deg EeV x Z/E), a :class:`crsbi.uhecr.lens.LensDeflection` (a Galactic field
        model's lens built by back-tracking, e.g. JF12), a callable ``(l_deg, b_deg, charge,
        energy_eev, rng) -> (l_deg, b_deg)`` on arrays of shape (m,) that returns NaN for
        events that do not reach the Earth, or ``None`` for straight lines.
    isotropic_index : float, default=5.1
        Spectral index of the isotropic background above ``E_min`` (dimensionless, > 1).
    random_state : None, int or numpy.random.Generator
        Seed or generator; the same seed gives the same maps.
    verbose : int, default=0
        Show a tqdm progress bar over chunks of maps when > 0.

    Returns
    -------
    numpy.ndarray of float32, shape (n_maps, n_channels, 12 * nside**2)
        Event counts per channel and pixel; each map sums to its ``n_events``.

    Examples
    --------
    >>> from crsbi.uhecr.sky import simulate_sky_maps
    >>> maps = simulate_sky_maps(4, n_events=100, source="CenA", fraction=0.1, nside=8,
    ...                          composition="mixed", random_state=0)
    >>> maps.shape, round(float(maps[0].sum()))
    ((4, 15, 768), 100)
    """
    n_maps = _check_count(n_maps, "n_maps", 1)
    config = _validate(
        n_maps,
        n_events,
        source,
        fraction,
        nside,
        n_channels,
        lg_e_min,
        channel_width,
        energy_resolution,
        exposure,
        composition,
        deflection,
        isotropic_index,
    )
    rng = check_random_state(random_state)
    nside, n_channels = config["nside"], config["n_channels"]
    npix = 12 * nside**2
    expo = exposure_map(config["exposure"], nside)
    uniform = bool(np.all(expo == expo[0]))
    cumulative = np.cumsum(expo)
    n_per_map = config["n_events"]
    out = np.empty((n_maps, n_channels, npix), dtype=np.float32)  # zeroed per chunk
    per_chunk = max(1, _CHUNK_EVENTS // int(n_per_map.max()))
    starts = range(0, n_maps, per_chunk)
    if verbose:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="sky maps", unit="chunk")
    for start in starts:
        stop = min(start + per_chunk, n_maps)
        counts = n_per_map[start:stop]
        n_src = rng.binomial(counts, config["fraction"][start:stop])
        n_iso = counts - n_src
        total_iso = int(n_iso.sum())
        index = np.repeat(np.arange(stop - start), n_iso)
        if uniform:
            pixels = rng.integers(0, npix, total_iso)
        else:
            pixels = np.searchsorted(cumulative, rng.random(total_iso) * cumulative[-1], "right")
            pixels = np.minimum(pixels, npix - 1)
        lg_e = _isotropic_lg_energy(total_iso, config["lg_e_min"], config["isotropic_index"], rng)
        total_src = int(n_src.sum())
        if total_src:
            import healpy

            src = _source_events(
                total_src,
                config["source"],
                config["table"],
                config["deflection"],
                config["exposure"],
                config["lg_e_min"],
                config["sigma_lg"],
                rng,
            )
            src_pix = healpy.ang2pix(nside, src["l_deg"], src["b_deg"], nest=True, lonlat=True)
            index = np.concatenate([np.repeat(np.arange(stop - start), n_src), index])
            pixels = np.concatenate([src_pix, pixels])
            lg_e = np.concatenate([src["lg_rec"], lg_e])
        _accumulate(
            index,
            pixels,
            lg_e,
            stop - start,
            nside,
            n_channels,
            config["lg_e_min"],
            config["channel_width"],
            config["sigma_lg"],
            out=out[start:stop],
        )
    return out
