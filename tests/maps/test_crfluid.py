"""Tests of the CR-fluid turbulence simulator against linear theory and conservation laws."""

from __future__ import annotations

import numpy as np
import pytest

from crsbi.maps._solver import OUForcing
from crsbi.maps.crfluid import CRFLUID_CLASSES, CRFLUID_PRESETS, evolve_crfluid, simulate_crfluid

K_WAVE = 2 * np.pi  # one wavelength in a unit box


def _dispersion_root(kappa: float, k: float, cs2: float = 1.0, cc2: float = 4.0 / 3.0) -> complex:
    """Right-moving root of w^3 + i kappa k^2 w^2 - k^2 (cs2 + cc2) w - i kappa k^4 cs2 = 0.

    This is w^2 = k^2 [cs2 + cc2 w / (w + i kappa k^2)] (time dependence exp(-i w t)) with the
    denominator cleared; the root with Re w > 0 and the slowest damping is the sound wave.
    """
    roots = np.roots([1.0, 1j * kappa * k**2, -(k**2) * (cs2 + cc2), -1j * kappa * k**4 * cs2])
    roots = roots[roots.real > 1e-9]
    return complex(roots[np.argmax(roots.imag)])


def _run_wave(kappa: float, n: int = 64, amp: float = 1e-4, t_end: float = 2.0, chunks: int = 16):
    """Set up the eigenmode of the root in a unit box (P_c = P_g = 1) and track its amplitude."""
    omega = _dispersion_root(kappa, K_WAVE)
    x = (np.arange(n) + 0.5) / n
    phase = amp * np.exp(1j * K_WAVE * x)
    rho = 1.0 + phase.real
    vel = (omega / K_WAVE * phase).real[None]
    ecr = 3.0 + (4.0 * phase * omega / (omega + 1j * kappa * K_WAVE**2)).real
    times, modes = [0.0], [np.fft.fft(rho - 1.0)[1]]
    for c in range(chunks):
        rho, vel, ecr, _ = evolve_crfluid(
            rho, vel, ecr, t_end=t_end / chunks, box_size=1.0, kappa=kappa
        )
        times.append((c + 1) * t_end / chunks)
        modes.append(np.fft.fft(rho - 1.0)[1])
    times, modes = np.array(times), np.array(modes)
    rate = np.polyfit(times, np.log(np.abs(modes)), 1)[0]
    frequency = -np.polyfit(times, np.unwrap(np.angle(modes)), 1)[0]
    return omega, rate, frequency


@pytest.mark.parametrize("kappa", [0.05, 1.0 / K_WAVE, 0.5, 2.0])
def test_sound_wave_damping_matches_dispersion_relation(kappa):
    # kappa k = 0.31, 1 (maximum damping), 3.1 and 12.6 c_s; 64 cells per wavelength
    omega, rate, frequency = _run_wave(kappa)
    assert omega.imag < 0
    assert rate == pytest.approx(omega.imag, rel=0.05)
    assert frequency == pytest.approx(omega.real, rel=0.01)


def test_advected_crs_stiffen_the_sound_speed():
    # kappa = 0, no streaming: undamped wave at sqrt(c_s^2 + c_c^2) = sqrt(1 + 4/3)
    _, rate, frequency = _run_wave(0.0)
    assert frequency / K_WAVE == pytest.approx(np.sqrt(1.0 + 4.0 / 3.0), rel=0.005)
    assert frequency / K_WAVE > 1.5  # clearly faster than the gas sound speed c_s = 1
    assert abs(rate) < 0.005 * frequency


def test_implicit_diffusion_spreads_a_gaussian_along_x_only():
    # heavy gas (rho = 1e6) so the CR pressure force cannot move it: pure field-aligned diffusion
    n, box, kappa, t = 64, 2.0, 0.5, 0.05
    centres = (np.arange(n) + 0.5) * box / n - box / 2
    x, y = np.meshgrid(centres, centres, indexing="ij")
    sigma0 = 0.1
    profile_y = 1.0 + 0.5 * np.cos(np.pi * y)
    ecr = 1.0 + 0.2 * np.exp(-(x**2) / (2 * sigma0**2)) * profile_y
    rho = np.full((n, n), 1e6)
    # dt = 0.4 dx / c_eff = 0.0125: kappa dt / dx^2 = 6.25, far beyond explicit stability
    _, _, out, _ = evolve_crfluid(rho, np.zeros((2, n, n)), ecr, t_end=t, kappa=kappa)
    sigma_t = np.sqrt(sigma0**2 + 2 * kappa * t)
    # periodic images of the analytic Gaussian
    analytic = sum(
        sigma0 / sigma_t * np.exp(-((x + m * box) ** 2) / (2 * sigma_t**2)) for m in (-1, 0, 1)
    )
    expected = 1.0 + 0.2 * analytic * profile_y
    assert np.max(np.abs(out - expected)) < 0.01 * 0.2
    # y untouched: every x-column keeps its y-profile shape. Isotropic diffusion would damp the
    # cos(pi y) part by exp(-kappa pi^2 t) = 0.78 (22 %); the 0.5 % allowed is the grid
    # dissipation of the hydro step (HLL) acting on the CR energy
    excess = out - 1.0
    np.testing.assert_allclose(
        excess / excess.mean(axis=1, keepdims=True),
        profile_y / profile_y.mean(axis=1, keepdims=True),
        rtol=5e-3,
    )
    # the CR energy is conserved by the implicit solve
    assert out.sum() == pytest.approx(ecr.sum(), rel=1e-10)


def test_mass_conserved_and_budget_closes():
    res = simulate_crfluid(
        preset="CR_withStreaming",
        resolution=32,
        t_end_eddy=0.5,
        snapshot_every=0.25,
        random_state=3,
        verbose=0,
    )
    d = res.diagnostics
    volume = 4.0
    np.testing.assert_allclose(d["mass"], volume, rtol=1e-13, atol=0)
    # injection rate is fixed: exactly epsilon t V
    t_code = d["time"] * res.params["eddy_time"]
    np.testing.assert_allclose(
        d["injected"], res.params["injection_rate"] * t_code * volume, rtol=1e-10, atol=1e-14
    )
    # CR ledger: E_c changes only by the work of the gas (cr_gain) and streaming losses,
    # to round-off (fluxes and the implicit diffusion conserve)
    change = d["cr_energy"] - d["cr_energy"][0]
    np.testing.assert_allclose(
        change, d["cr_gain"] - d["streaming_heating"], atol=1e-11 * d["cr_energy"][0]
    )
    assert d["streaming_heating"][-1] > 0
    # the isothermal sink (grid/shock dissipation) is never negative
    assert np.all(d["gas_dissipation"] >= -1e-12 * d["injected"][-1] - 1e-15)


def test_gas_dissipation_converges_away_in_smooth_flow():
    # early (smooth) flow: the residual injected - cr_gain - Delta(K + Phi_iso) is grid
    # dissipation, so it must shrink as the grid is refined (at least 2x per doubling)
    ratios = []
    for n in (16, 32):
        d = simulate_crfluid(
            preset="CR_Advect",
            resolution=n,
            t_end_eddy=0.5,
            snapshot_every=0.5,
            random_state=1,
            verbose=0,
        ).diagnostics
        ratios.append(d["gas_dissipation"][-1] / d["injected"][-1])
    # 20 forcing seeds: ratios[1] / ratios[0] = 0.34 +- 0.04, ratios[1] = 0.152 +- 0.017
    assert 0 < ratios[1] < 0.5 * ratios[0]
    assert ratios[1] < 0.25


def test_forcing_is_compressive_and_seeded():
    forcing = OUForcing(
        (32, 32), 2.0, correlation_time=1.0, epsilon=1.0, rng=np.random.default_rng(0)
    )
    forcing.advance(0.3)
    acc = forcing.field()  # internal order: acc[0] = a_x, axes (y, x)
    ax_hat = np.fft.fft2(acc[0])
    ay_hat = np.fft.fft2(acc[1])
    ky, kx = np.meshgrid(np.fft.fftfreq(32, 1 / 32), np.fft.fftfreq(32, 1 / 32), indexing="ij")
    curl = kx * ay_hat - ky * ax_hat
    div = kx * ax_hat + ky * ay_hat
    assert np.abs(div).max() > 1.0
    assert np.abs(curl).max() < 1e-12 * np.abs(div).max()
    # modes only in the driving shell 1 < |n| < 3
    power = np.abs(ax_hat) ** 2 + np.abs(ay_hat) ** 2
    shell = np.sqrt(kx**2 + ky**2)
    assert power[(shell <= 1) | (shell >= 3)].max() < 1e-20 * power.max()
    # same seed, same run; another seed, another run
    kwargs = {
        "preset": "CR_Diff_Fiducial",
        "resolution": 16,
        "t_end_eddy": 0.1,
        "snapshot_every": 0.1,
        "verbose": 0,
    }
    a = simulate_crfluid(random_state=7, **kwargs).snapshots["density"]
    b = simulate_crfluid(random_state=7, **kwargs).snapshots["density"]
    c = simulate_crfluid(random_state=8, **kwargs).snapshots["density"]
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-6


def test_presets_outputs_and_layout():
    assert CRFLUID_CLASSES == (
        "MHD",
        "CR_Advect",
        "CR_Diff_Fiducial",
        "CR_Diff100",
        "CR_withStreaming",
    )
    assert CRFLUID_PRESETS["CR_Diff100"]["kappa"] == pytest.approx(
        100 * CRFLUID_PRESETS["CR_Diff_Fiducial"]["kappa"]
    )
    res = simulate_crfluid(
        preset="MHD",
        resolution=16,
        t_end_eddy=0.2,
        snapshot_every=0.1,
        saturation_eddy=0.1,
        random_state=0,
        verbose=0,
        return_fields=("density", "velocity", "cr_energy"),
    )
    assert set(res.snapshots) == {"density", "velocity_x", "velocity_y", "cr_energy"}
    assert res.snapshots["density"].shape == (2, 16, 16)
    np.testing.assert_allclose(res.times, [0.1, 0.2])
    assert np.all(res.snapshots["cr_energy"] == 0)  # no CRs in the MHD class
    assert res.params["kappa"] == 0 and res.params["eta"] == 0
    # params override the preset; array form (kappa, eta, streaming)
    res = simulate_crfluid(
        [0.3, 0.5, 1.0],
        resolution=8,
        ndim=1,
        t_end_eddy=0.05,
        snapshot_every=0.05,
        random_state=0,
        verbose=0,
    )
    assert res.params["kappa"] == 0.3 and res.params["streaming"] is True
    assert res.snapshots["density"].shape == (1, 8)


def test_3d_runs_with_the_same_code():
    res = simulate_crfluid(
        preset="CR_withStreaming",
        resolution=8,
        ndim=3,
        t_end_eddy=0.05,
        snapshot_every=0.05,
        random_state=0,
        verbose=0,
    )
    assert res.snapshots["density"].shape == (1, 8, 8, 8)
    assert res.diagnostics["mass"][-1] == pytest.approx(8.0, rel=1e-13)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"preset": "CR_Fast"}, "preset"),
        ({"resolution": 15}, "even"),
        ({"resolution": 4}, "resolution"),
        ({"ndim": 4}, "ndim"),
        ({"kappa": -1.0}, "kappa"),
        ({"eta": -0.5}, "eta"),
        ({"beta": 0.0}, "beta"),
        ({"mach": 5.0}, "mach"),
        ({"streaming": "yes"}, "streaming"),
        ({"return_fields": ("pressure",)}, "return_fields"),
        ({"params": [1.0]}, "params"),
        ({"params": {"kapa": 1.0}}, "kapa"),
        ({"t_end_eddy": 0.0}, "t_end_eddy"),
        ({"limiter": "superbee"}, "limiter"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        simulate_crfluid(**{"resolution": 8, "verbose": 0, **kwargs})


def test_evolve_rejects_bad_fields():
    with pytest.raises(ValueError, match="velocity"):
        evolve_crfluid(np.ones(8), np.zeros((2, 8)), np.ones(8), t_end=0.1)
    with pytest.raises(ValueError, match="density > 0"):
        evolve_crfluid(-np.ones(8), np.zeros((1, 8)), np.ones(8), t_end=0.1)


def test_results_do_not_depend_on_the_number_of_threads():
    kwargs = {
        "preset": "CR_withStreaming",
        "resolution": 16,
        "t_end_eddy": 0.05,
        "snapshot_every": 0.05,
        "random_state": 4,
        "verbose": 0,
    }
    one = simulate_crfluid(n_threads=1, **kwargs)
    two = simulate_crfluid(n_threads=2, **kwargs)
    np.testing.assert_array_equal(one.snapshots["density"], two.snapshots["density"])
    assert one.diagnostics["cr_gain"][-1] == two.diagnostics["cr_gain"][-1]
