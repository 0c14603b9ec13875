"""Tests of the turbulence diagnostics (spectra, PDFs, Mach number, budget) and their plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from crsbi.maps.crfluid import simulate_crfluid
from crsbi.maps.plotting import plot_crfluid_maps, plot_crfluid_spectra, plot_mach_history
from crsbi.maps.statistics import (
    density_pdf,
    density_spectrum,
    energy_budget,
    kinetic_energy_spectrum,
    rms_mach,
)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def _gaussian_field(rng, n, slope):
    """Random 2-D field with |a_k|^2 ~ |k|^slope on 1 <= |n| < n/2 (band-limited)."""
    freq = np.fft.fftfreq(n, 1 / n)
    kx, ky = np.meshgrid(freq, freq, indexing="ij")
    k = np.hypot(kx, ky)
    amp = np.where((k >= 1) & (k < n // 2), np.maximum(k, 1) ** (slope / 2), 0.0)
    noise = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return np.fft.ifft2(amp * noise).real


def test_density_spectrum_parseval_and_power_law(rng):
    n = 64
    fields = np.stack([1 + 0.05 * _gaussian_field(rng, n, -3.0) for _ in range(8)])
    k, power = density_spectrum(fields, box_size=2.0, compensated=False)
    assert k.shape == (n // 2,)
    np.testing.assert_allclose(k, np.pi * np.arange(1, n // 2 + 1))
    # Parseval (band-limited: no corner modes lost): shell sums add up to the variance
    assert power.sum() == pytest.approx(fields.var(axis=(1, 2)).mean(), rel=1e-10)
    # 2-D shells hold ~2 pi n modes: |a_k|^2 ~ k^-3 gives P(k) ~ k^-2 and k^2 P flat
    inner = slice(3, 24)
    slope = np.polyfit(np.log(k[inner]), np.log(power[inner]), 1)[0]
    assert slope == pytest.approx(-2.0, abs=0.15)  # 40 seeds: -2.016 +- 0.030
    _, compensated = density_spectrum(fields, box_size=2.0)
    np.testing.assert_allclose(compensated, k**2 * power)


def test_kinetic_energy_spectrum_sums_to_kinetic_energy(rng):
    n = 32
    rho = 1 + 0.1 * _gaussian_field(rng, n, -2.0) / 0.3
    rho = np.clip(rho, 0.5, None)
    vel = np.stack([_gaussian_field(rng, n, -4.0), _gaussian_field(rng, n, -4.0)])
    _, energy = kinetic_energy_spectrum(rho, vel)
    w = np.sqrt(rho) * vel
    mean_flow = 0.5 * np.sum(w.mean(axis=(1, 2)) ** 2)
    total = 0.5 * np.mean(np.sum(rho * vel**2, axis=0)) - mean_flow
    # sqrt(rho) v is not band-limited: allow for the dropped corner modes
    assert energy.sum() == pytest.approx(total, rel=0.02)
    assert energy.sum() <= total * (1 + 1e-12)
    with pytest.raises(ValueError, match="velocity must have shape"):
        kinetic_energy_spectrum(rho, vel[:1])


def test_density_pdf_of_a_lognormal(rng):
    sigma = 0.3
    rho = np.exp(rng.normal(0.0, sigma, 200_000))
    s, pdf = density_pdf(rho, bins=80)
    width = s[1] - s[0]
    assert pdf.sum() * width == pytest.approx(1.0)
    mean = np.sum(s * pdf) * width
    std = np.sqrt(np.sum((s - mean) ** 2 * pdf) * width)
    # s = ln(rho / <rho>) has mean -sigma^2 / 2 for a lognormal, and std sigma
    assert mean == pytest.approx(-(sigma**2) / 2, abs=0.005)
    assert std == pytest.approx(sigma, rel=0.02)
    with pytest.raises(ValueError, match="positive"):
        density_pdf(np.array([1.0, -1.0]))


def test_rms_mach_single_and_stacked():
    v = np.zeros((2, 4, 4))
    v[0] = 0.6
    v[1, :2] = 0.8
    expected = np.sqrt(0.36 + 0.5 * 0.64)
    assert rms_mach(v) == pytest.approx(expected)
    assert rms_mach(v, sound_speed=2.0) == pytest.approx(expected / 2)
    np.testing.assert_allclose(rms_mach(np.stack([v, 2 * v])), [expected, 2 * expected])
    with pytest.raises(ValueError, match="velocity"):
        rms_mach(np.zeros(4))


def test_energy_budget_of_a_run():
    res = simulate_crfluid(
        preset="CR_withStreaming",
        resolution=16,
        t_end_eddy=0.2,
        snapshot_every=0.2,
        random_state=0,
        verbose=0,
    )
    budget = energy_budget(res.diagnostics)
    assert abs(budget["cr_closure"]) < 1e-10 * res.diagnostics["cr_energy"][0]
    assert budget["isothermal_sink"] == pytest.approx(
        budget["gas_dissipation"] + budget["streaming_heating"]
    )
    # injected energy per eddy time = epsilon * V * t_eddy
    expected = res.params["injection_rate"] * 4.0 * res.params["eddy_time"]
    assert budget["injection_rate"] == pytest.approx(expected, rel=1e-10)
    # gas side: Delta(K + Phi) = injected - cr_gain - D_gas
    assert budget["delta_gas"] == pytest.approx(
        budget["injected"] - budget["cr_gain"] - budget["gas_dissipation"], abs=1e-12
    )
    with pytest.raises(ValueError, match="lack the keys"):
        energy_budget({"time": [0, 1]})


def test_plots(rng):
    maps = {"A": 1 + 0.1 * rng.random((2, 16, 16)), "B": 1 + 0.1 * rng.random((2, 16, 16))}
    axes = plot_crfluid_maps(maps)
    assert len(axes) == 2 and axes[0].get_title() == "A"
    ax = plot_crfluid_spectra(maps)
    assert len(ax.get_lines()) == 2
    res = simulate_crfluid(
        preset="MHD", resolution=8, t_end_eddy=0.05, snapshot_every=0.05, random_state=0, verbose=0
    )
    ax = plot_mach_history({"MHD": res})
    assert len(ax.get_lines()) == 1
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_crfluid_spectra({})
    with pytest.raises(ValueError, match="shape"):
        plot_crfluid_maps({"A": np.ones((2, 2, 4, 4))})
    plt.close("all")
