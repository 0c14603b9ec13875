"""Trajectory data sets: helices at the documented alpha, the Lorentz force, campaigns."""

import numpy as np
import pytest

from crsbi.particles.statistics import curvature, velocity_to_angles
from crsbi.particles.trajectory_dataset import (
    load_trajectory_dataset,
    make_trajectory_dataset,
    simulate_trajectories,
)


def test_no_turbulence_gives_helices_of_curvature_alpha_sin_pitch():
    alpha = 32.0
    data = simulate_trajectories(alpha, 64, 200, b=0.0, random_state=0)
    V = data.velocities
    np.testing.assert_allclose(np.linalg.norm(V, axis=2), 1.0, atol=1e-13)
    np.testing.assert_allclose(data.field, np.broadcast_to([0.0, 0.0, 1.0], V.shape))
    # omega = alpha in l0/v units: kappa = alpha sin(pitch); Boris phase error
    # 2 arctan(dt/2) vs dt adds (2 pi / 100)^2 / 12 = 3e-4, central differences 7e-4
    theta, _ = velocity_to_angles(V)
    kappa = curvature(V, data.dt[0])[:, 2:-2]
    np.testing.assert_allclose(kappa, alpha * np.sin(theta[:, 2:-2]), rtol=2e-3, atol=1e-9)
    # isotropic pitch angles: the mean curvature is pi alpha / 4 (std of sin = 0.22), within
    # 4 standard errors; 20 seeds: (mean - pi alpha / 4) / s.e. = -0.16 +- 0.82
    assert kappa.mean() == pytest.approx(np.pi * alpha / 4, abs=4 * 0.22 * alpha / np.sqrt(64))
    # one gyration takes 100 samples: V repeats after 100 steps up to the Boris phase
    # error 100 (dt^3 / 12) = 2.1e-3 rad, dt = 2 pi / 100
    np.testing.assert_allclose(V[:, 100], V[:, 0], atol=2.2e-3)


def test_stored_field_and_velocities_obey_lorentz_force():
    # dV/dt = alpha V x B (B in B0, time in l0/v) for a positive charge; Boris form:
    # V[k] - V[k-1] = alpha dt (V[k] + V[k-1]) / 2 x B(X[k])
    data = simulate_trajectories(32.0, 4, 300, b=1.0, n_waves=64, random_state=1)
    V, B, dt = data.velocities, data.field, data.dt[0]
    lhs = V[:, 1:] - V[:, :-1]
    rhs = 32.0 * dt * np.cross(0.5 * (V[:, 1:] + V[:, :-1]), B[:, 1:])
    np.testing.assert_allclose(lhs, rhs, atol=2e-3 * np.abs(rhs).max())
    assert np.abs(B - [0, 0, 1]).max() > 0.3  # the turbulence is there; 20 seeds: 1.56 +- 0.25
    # positions are integrated from the velocities (exact in the Boris scheme)
    np.testing.assert_allclose(
        data.positions[:, 1:] - data.positions[:, :-1], V[:, :-1] * dt, atol=1e-12
    )


def test_campaign_dataset_is_reproducible_and_resumable(tmp_path):
    kwargs = {"alphas": [16.0, 64.0], "n_particles": 3, "length": 24, "n_waves": 8, "verbose": 0}
    a = make_trajectory_dataset(tmp_path / "a", chunk_size=2, random_state=5, **kwargs)
    b = make_trajectory_dataset(tmp_path / "b", chunk_size=4, random_state=5, **kwargs)
    assert a.velocities.shape == (6, 24, 3)
    np.testing.assert_array_equal(a.alpha, [16.0] * 3 + [64.0] * 3)
    np.testing.assert_array_equal(a.velocities, b.velocities)  # chunking does not matter
    np.testing.assert_allclose(a.dt, 2 * np.pi / (100 * a.alpha))
    again = load_trajectory_dataset(tmp_path / "a")
    np.testing.assert_array_equal(again.field, a.field)
    assert len(a.select(64.0)) == 3
    np.testing.assert_allclose(np.linalg.norm(a.velocities, axis=2), 1.0, atol=1e-12)


def test_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="'alpha' parameter"):
        simulate_trajectories(-1.0, 2, 10)
    with pytest.raises(ValueError, match="'model' parameter"):
        simulate_trajectories(32.0, 2, 10, model="kolmogorov")
    with pytest.raises(ValueError, match="alphas must be"):
        make_trajectory_dataset(tmp_path, alphas=[0.0], n_particles=1, length=8)
    with pytest.raises(FileNotFoundError, match="No campaign"):
        (tmp_path / "empty").mkdir()
        load_trajectory_dataset(tmp_path / "empty")
