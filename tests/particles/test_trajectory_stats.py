"""Trajectory statistics against analytic helices, straight lines and random walks."""

import numpy as np
import pytest

from crsbi.particles import statistics as st


def helix(alpha, cos_pitch, phases, n_times, steps_per_gyration=100):
    """Unit-speed helices in B0 z: omega = alpha, dt = 2 pi / (N_g alpha)."""
    dt = 2 * np.pi / (steps_per_gyration * alpha)
    t = np.arange(n_times) * dt
    sin_pitch = np.sqrt(1 - np.asarray(cos_pitch) ** 2)
    arg = alpha * t[None, :] + np.asarray(phases)[:, None]
    V = np.stack(
        [
            sin_pitch[:, None] * np.cos(arg),
            sin_pitch[:, None] * np.sin(arg),
            np.broadcast_to(np.asarray(cos_pitch)[:, None], arg.shape),
        ],
        axis=2,
    )
    return V, dt


def test_structure_function_of_helix_is_analytic():
    # equispaced gyro-phases make the ensemble average exact:
    # S2_x + S2_y = 2 v_perp^2 (1 - cos(omega tau)), S2_z = 0
    n = 16
    v_perp = 0.8
    V, dt = helix(32.0, np.full(n, 0.6), 2 * np.pi * np.arange(n) / n, 400)
    lags = np.array([1, 7, 25, 50, 80, 150])
    s2 = st.structure_function(V, lags)
    expected = 2 * v_perp**2 * (1 - np.cos(32.0 * lags * dt))
    np.testing.assert_allclose(s2[:, 0] + s2[:, 1], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s2[:, 2], 0.0, atol=1e-20)
    # zero-lag limit: S2 ~ (omega v_perp tau)^2
    np.testing.assert_allclose(s2[0, :2].sum(), (32.0 * v_perp * dt) ** 2, rtol=1e-3)


def test_curvature_and_torsion_of_helix():
    # kappa = omega v_perp = alpha sin(pitch), |torsion| = omega v_par; Boris-like charge
    # sign (counter-clockwise here) gives a right-handed helix: positive torsion
    alpha = 32.0
    cos_pitch = np.array([0.0, 0.3, 0.6, 0.9, -0.5])
    V, dt = helix(alpha, cos_pitch, np.zeros(5), 300)
    kappa = st.curvature(V, dt)[:, 5:-5]
    tors = st.torsion(V, dt)[:, 5:-5]
    sin_pitch = np.sqrt(1 - cos_pitch**2)
    # central differences: relative error (omega dt)^2 / 6 = 6.6e-4 at 100 steps per turn
    np.testing.assert_allclose(
        kappa, np.broadcast_to((alpha * sin_pitch)[:, None], kappa.shape), rtol=2e-3
    )
    expected = np.broadcast_to((alpha * cos_pitch)[:, None], tors.shape)
    np.testing.assert_allclose(tors, expected, rtol=5e-3, atol=0.02)


def test_mean_curvature_of_isotropic_helices_is_pi_alpha_over_4():
    alpha = 128.0
    n = 2000
    cos_pitch = -1 + (np.arange(n) + 0.5) * 2 / n  # midpoints: uniform in mu
    V, dt = helix(alpha, cos_pitch, np.zeros(n), 20)
    kappa = st.curvature(V, dt)[:, 5:-5]
    assert kappa.mean() == pytest.approx(np.pi * alpha / 4, rel=2e-3)


def test_gyro_centre_of_helix_moves_straight():
    V, dt = helix(32.0, np.array([0.6]), np.array([0.3]), 1500)
    U = st.gyro_centre_velocity(V, 100)
    inner = slice(250, -250)  # 2.5 gyro-periods from the ends
    # Gaussian kernel of FWHM 1.5 periods damps the gyration by exp(-8) = 3.3e-4
    assert np.abs(U[0, inner, :2]).max() < 0.8 * 5e-4
    np.testing.assert_allclose(U[0, inner, 2], 0.6, rtol=1e-10)
    kappa_gc = st.curvature(U, dt)[0, inner]
    assert kappa_gc.max() < 1e-2 * 32.0  # the raw helix has 0.8 * 32


def test_msd_ballistic_and_diffusive(rng):
    lags = np.array([1, 3, 10, 30])
    V = np.tile([0.6, 0.0, 0.8], (2, 200, 1))
    X = st.integrate_positions(V, dt=0.5)
    np.testing.assert_allclose(st.mean_squared_displacement(X, lags).sum(1), (0.5 * lags) ** 2)
    # random walk with unit-variance steps: MSD = tau per component, D = 1/2. The time
    # average over overlapping windows has relative sd ~sqrt(4 tau / 3 T) / sqrt(300) = 1.8 %
    # at tau = 30; 20 seeds: largest relative error of the 12 values 0.029 +- 0.011 (max
    # 0.051, past the former rtol 0.05), so rtol 0.08 (4.6 sd)
    steps = rng.normal(size=(300, 400, 3))
    X = st.integrate_positions(steps, dt=1.0)
    msd = st.mean_squared_displacement(X, lags)
    np.testing.assert_allclose(msd / lags[:, None], 1.0, rtol=0.08)
    np.testing.assert_allclose(st.running_diffusion(X, lags, dt=2.0), 0.25, rtol=0.08)
    slope = np.polyfit(np.log(lags), np.log(msd.sum(1)), 1)[0]
    assert slope == pytest.approx(1.0, abs=0.05)  # 20 seeds: 1.0003 +- 0.0034


def test_flatness_of_gaussian_increments_is_three(rng):
    V = np.cumsum(rng.normal(size=(200, 400, 3)), axis=1)
    F = st.flatness(V, [1, 4, 16])
    # kurtosis standard error sqrt(24 / N), but the overlapping windows of lag 16 are far
    # from N ~ 2e5 independent samples. 20 seeds: largest |F - 3| of the 9 values
    # 0.054 +- 0.015 (max 0.082; the former atol 0.1 was 3 sd), so atol 0.13 (5 sd)
    np.testing.assert_allclose(F, 3.0, atol=0.13)
    # increments of +-1 only: S4 = S2 = 1, F4 = 1
    signs = np.cumsum(rng.choice([-1.0, 1.0], size=(10, 100, 3)), axis=1)
    np.testing.assert_allclose(st.flatness(signs, [1]), 1.0)


def test_increment_pdf_is_normalised_gaussian(rng):
    V = np.cumsum(rng.normal(size=(100, 300, 3)), axis=1)
    x, p = st.increment_pdf(V, 3)
    assert np.sum(p * np.diff(np.linspace(-8, 8, 82))) == pytest.approx(1.0, abs=1e-6)
    gauss = np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
    assert np.max(np.abs(p - gauss)) < 0.02  # 20 seeds: 0.0087 +- 0.0025


def test_angles_round_trip(rng):
    V = rng.normal(size=(5, 7, 3))
    V /= np.linalg.norm(V, axis=2, keepdims=True)
    theta, phi = st.velocity_to_angles(V)
    assert theta.min() >= 0 and theta.max() <= np.pi
    np.testing.assert_allclose(st.angles_to_velocity(theta, phi), V, atol=1e-12)
    W = st.angles_to_velocity(rng.normal(size=100) * 10, rng.normal(size=100) * 10)
    np.testing.assert_allclose(np.linalg.norm(W, axis=-1), 1.0, rtol=0, atol=1e-15)


def test_distance_is_zero_for_identical_and_grows_with_mismatch(rng):
    def ensemble(steps_per_gyration):
        n = 64
        return helix(32.0, rng.uniform(-1, 1, n), rng.uniform(0, 6.3, n), 384, steps_per_gyration)[
            0
        ]

    V = ensemble(100)
    same = st.trajectory_distance(V, V, return_components=True)
    assert all(value == 0 for value in same.values())
    # an independent ensemble of the same process is closer than one gyrating twice as
    # fast per sample (S2 then oscillates at twice the frequency)
    close = st.trajectory_distance(ensemble(100), V, return_components=True)
    far = st.trajectory_distance(ensemble(50), V, return_components=True)
    # 60 seeds: close / far = 0.12 +- 0.06 (max 0.32) in total, 0.04 +- 0.03 (max 0.12) in S2
    assert close["total"] < 0.5 * far["total"]
    assert close["s2"] < 0.2 * far["s2"]


def test_clear_errors():
    with pytest.raises(ValueError, match=r"shape \(n_particles, n_times, 3\)"):
        st.structure_function(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="lags must lie in"):
        st.structure_function(np.zeros((2, 5, 3)), [5])
    with pytest.raises(ValueError, match="integers"):
        st.structure_function(np.zeros((2, 5, 3)), [1.5])
    with pytest.raises(ValueError, match="non-zero"):
        st.velocity_to_angles(np.zeros(3))
    with pytest.raises(ValueError, match="dt"):
        st.curvature(np.ones((2, 5, 3)), dt=0)
    with pytest.raises(ValueError, match=r"NaN|finite"):
        st.flatness(np.full((2, 5, 3), np.nan))
