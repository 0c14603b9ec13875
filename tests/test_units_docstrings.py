"""Physical parameters of the public domain API state their unit (issue 29, item 5).

For a curated list of parameter names that always denote a physical quantity, every entry
of a numpydoc ``Parameters`` (or ``Other Parameters``) section in the public API of
``crsbi.uhecr``, ``crsbi.propagation``, ``crsbi.particles`` and ``crsbi.maps`` must give
its unit in brackets (``Energy [EeV].``, ``[:math:`mc^2`]``) or say ``dimensionless`` /
``code units``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from numpydoc import docscrape  # a dev dependency: the test must not skip

ROOT = Path(__file__).resolve().parents[1] / "crsbi"
PACKAGES = ("uhecr", "propagation", "particles", "maps")
#: modules left out: package re-exports, and a module still being written
SKIP = {"__init__.py", "spectra_posterior.py"}

#: Parameter names that denote a physical quantity wherever they appear.
PHYSICAL = frozenset(
    {
        # energies, rigidities, potentials
        "energy",
        "energy_eev",
        "min_energy_eev",
        "energy_thresholds",
        "pivot_energy",
        "rigidity",
        "rigidities_ev",
        "lg_e_min",
        "lg_rigidity_cutoff",
        "channel_width",
        "energy_resolution",
        "phi",
        "T",
        # angles and directions
        "l_deg",
        "b_deg",
        "ra_deg",
        "dec_deg",
        "lon_deg",
        "lat_deg",
        "latitude_deg",
        "max_zenith_deg",
        "radius_deg",
        "radii_deg",
        "smearing_deg_eev",
        "shift_deg_eev",
        "smoothing_deg",
        # distances and lengths
        "distance_mpc",
        "r_max_kpc",
        "max_length_kpc",
        "step_max_kpc",
        "box_size",
        "lambda_par",
        "lambda_perp",
        "positions",
        # fields, speeds, times, transport
        "b",
        "momenta",
        "speed",
        "sound_speed",
        "d_par",
        "kappa",
        "dt",
        "t_end",
        "correlation_time",
        "cr_energy",
        "mach",
        "t_end_eddy",
        "snapshot_every",
        "saturation_eddy",
        # spectral shapes
        "spectral_index",
        "isotropic_index",
        "k_cutoff",
    }
)

#: A unit in brackets: ``[deg]``, ``[km^2 sr yr]``, ``[:math:`\rho_{L0}`]``; not an interval
#: such as ``[-90, 90]`` or ``[0, 1]``.
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_INTERVAL = re.compile(r"^\s*[-+]?(\d[\d.]*|\.\d+|inf)\s*,")
_WORDS = re.compile(r"dimensionless|code units?", re.IGNORECASE)


def has_unit(text: str) -> bool:
    """Whether ``text`` names a unit in brackets or says dimensionless / code units."""
    if _WORDS.search(text):
        return True
    return any(
        re.search(r"[A-Za-z\\]", inner) and not _INTERVAL.match(inner)
        for inner in _BRACKET.findall(text)
    )


def _public_objects():
    seen = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.name in SKIP:
                continue
            name = f"crsbi.{package}.{path.stem}"
            module = importlib.import_module(name)
            for attr in getattr(module, "__all__", ()):
                obj = getattr(module, attr)
                if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                    continue
                if obj.__module__ != name:
                    continue  # a re-export: checked where it is defined
                qualname = f"{name}.{obj.__qualname__}"
                seen[qualname] = obj
                if inspect.isclass(obj):
                    for member_name, member in vars(obj).items():
                        func = getattr(member, "__func__", member)
                        if inspect.isfunction(func) and (
                            not member_name.startswith("_") or member_name == "__init__"
                        ):
                            seen[f"{qualname}.{member_name}"] = func
    return seen


def _physical_entries():
    """``(object, names, type, description)`` of every curated Parameters entry."""
    entries = []
    for qualname, obj in sorted(_public_objects().items()):
        doc = inspect.getdoc(obj)
        if not doc:
            continue
        parsed = docscrape.NumpyDocString(doc)
        for section in ("Parameters", "Other Parameters"):
            for param in parsed[section]:
                names = {n.strip().lstrip("*") for n in param.name.split(",")}
                if names & PHYSICAL:
                    entries.append((qualname, param.name, param.type, " ".join(param.desc)))
    return entries


ENTRIES = _physical_entries()


def test_unit_detector():
    assert has_unit("Energy [EeV].")
    assert has_unit("Kinetic energy [:math:`mc^2`], > 0.")
    assert has_unit("Spectral index (dimensionless).")
    assert has_unit("Concentration [1/rad^2].")
    assert has_unit("Duration in L / c_s (code units).")
    assert not has_unit("Latitude in [-90, 90].")
    assert not has_unit("Fraction in [0, 1] of the events.")
    assert not has_unit("Rms field in [0, :data:`MAX_B` = 10].")
    assert not has_unit("Time step in 1/omega_c.")


def test_the_curated_names_are_documented():
    # the list is not stale: most curated names occur in some public Parameters section
    found = {n.strip().lstrip("*") for _, name, _, _ in ENTRIES for n in name.split(",")}
    assert len(found & PHYSICAL) >= 0.8 * len(PHYSICAL), sorted(PHYSICAL - found)
    assert len(ENTRIES) >= 50


@pytest.mark.parametrize(
    ("qualname", "name", "type_", "desc"),
    ENTRIES,
    ids=[f"{q}:{n}" for q, n, _, _ in ENTRIES],
)
def test_physical_parameter_states_its_unit(qualname, name, type_, desc):
    assert has_unit(f"{type_} {desc}"), (
        f"{qualname}: parameter {name!r} is physical but its description gives no unit in "
        f"brackets (e.g. '[deg]', '[EeV]') and does not say 'dimensionless' or 'code units': "
        f"{desc!r}"
    )
