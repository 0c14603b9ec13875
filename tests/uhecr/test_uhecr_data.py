"""Tests of the UHECR data loaders (Auger 2022 events, Kalashev et al. 2019 spectra)."""

import numpy as np
import pytest

from crsbi.uhecr.data import kalashev2019_distances, load_auger2022, load_kalashev2019_spectra
from crsbi.uhecr.sky import galactic_to_equatorial


def test_auger_list_matches_readme():
    events = load_auger2022()
    assert len(events) == 2635
    assert events.energy_eev.min() >= 32.0
    assert events.zenith_deg.max() <= 80.0
    assert events.total_exposure == pytest.approx(121420.0)
    assert np.all(np.diff(events.cumulative_exposure) >= 0)
    assert events.year.min() == 2004 and events.year.max() == 2020
    # field of view of a site at -35.2 deg with zenith <= 80 deg: dec <= 44.8 deg
    assert events.dec_deg.max() <= -35.2 + 80.0


def test_auger_galactic_coordinates_consistent():
    events = load_auger2022()
    ra, dec = galactic_to_equatorial(events.l_deg, events.b_deg)
    np.testing.assert_allclose(dec, events.dec_deg, atol=1e-8)
    np.testing.assert_allclose((ra - events.ra_deg + 180) % 360 - 180, 0, atol=1e-8)


def test_auger_energy_cut():
    events = load_auger2022(56.0)
    assert 0 < len(events) < 2635
    assert events.energy_eev.min() >= 56.0
    assert events.total_exposure == pytest.approx(121420.0)
    with pytest.raises(ValueError, match="min_energy_eev"):
        load_auger2022(-1.0)


def test_missing_files_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="Auger"):
        load_auger2022(path=tmp_path / "missing.dat")
    with pytest.raises(FileNotFoundError, match="Kalashev"):
        load_kalashev2019_spectra(3.5, path=tmp_path / "missing.tbz2")


def test_kalashev_grid():
    distances = kalashev2019_distances()
    np.testing.assert_allclose(distances, np.arange(0.5, 25.01, 0.5))
    spectra = load_kalashev2019_spectra(3.5)
    assert spectra.e2_flux.shape == (spectra.energy_ev.size, 56)
    assert spectra.energy_ev[0] == pytest.approx(1e18)
    np.testing.assert_allclose(np.diff(np.log10(spectra.energy_ev)), 0.05, atol=1e-4)
    assert np.all(spectra.e2_flux >= 0)


def test_kalashev_interpolation_and_physics():
    near, far = load_kalashev2019_spectra(3.0), load_kalashev2019_spectra(3.5)
    mid = load_kalashev2019_spectra(3.25)
    np.testing.assert_allclose(mid.e2_flux, 0.5 * (near.e2_flux + far.e2_flux))
    # energy losses (photodisintegration, pion production) deplete the highest energies
    # with distance: the share of E >= 100 EeV among E >= 10 EeV decreases monotonically
    shares = []
    for distance in (1.0, 5.0, 10.0, 20.0):
        spectra = load_kalashev2019_spectra(distance)
        counts = (spectra.e2_flux / spectra.energy_ev[:, None]).sum(axis=1)
        high = counts[spectra.energy_ev >= 1e20].sum()
        shares.append(high / counts[spectra.energy_ev >= 1e19].sum())
    assert np.all(np.diff(shares) < 0)
    with pytest.raises(ValueError, match="distance_mpc"):
        load_kalashev2019_spectra(30.0)


def test_auger_events_bin_like_the_simulator():
    """The list above 56 EeV bins without loss; the full list loses the events below the cut
    (with a warning), as simulated maps hold only events above it."""
    import warnings

    from crsbi.uhecr.sky import events_to_maps

    above = load_auger2022(56.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        maps = events_to_maps(
            above.l_deg, above.b_deg, above.energy_eev, nside=16, n_channels=3, exposure="auger"
        )
    assert maps.sum() == pytest.approx(len(above), abs=1e-3)
    full = load_auger2022()
    n_below = int(np.sum(full.energy_eev < 56.0))
    with pytest.warns(UserWarning, match=f"dropped {n_below} of {len(full)} events below"):
        maps_full = events_to_maps(full.l_deg, full.b_deg, full.energy_eev, nside=16, n_channels=3)
    np.testing.assert_allclose(maps_full, maps, atol=1e-5)
    # at nside 8 one event sits in a pixel whose centre is outside the field of view: the
    # pixel-averaged exposure still covers it (null maps can put events there too)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events_to_maps(
            above.l_deg, above.b_deg, above.energy_eev, nside=8, n_channels=1, exposure="auger"
        )
