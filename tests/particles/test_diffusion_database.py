"""Building a diffusion-coefficient database through a campaign."""

import numpy as np

from crsbi.particles.diffusion_dataset import make_diffusion_database, simulate_transport_summary

TINY = {"n_particles": 64, "n_waves": 16, "n_steps": 120}


def test_summary_simulator_output():
    out = simulate_transport_summary([1.0, 0.5, 2.0], random_state=0, **TINY)
    d_perp, d_par, d_err, exponent, change, n_run = out
    assert np.isfinite(change)
    assert out.shape == (6,)
    assert n_run == TINY["n_steps"]  # no max_steps: a fixed-length run
    assert d_perp > 0 and d_par > 0
    # 300 seeds: d_err / d_perp = 0.11 +- 0.03 (max 0.20), exponent 0.79 +- 0.19 (0.27-1.32)
    assert 0 < d_err < d_perp
    assert 0 < exponent < 2.5


def test_database_rows_and_analytic_points(tmp_path):
    db = make_diffusion_database(
        tmp_path / "db", 12, analytic_fraction=0.25, chunk_size=4, verbose=0, **TINY
    )
    assert db.X.shape == (15, 3)
    assert db.analytic.sum() == 3
    # analytic rows: no turbulence, no perpendicular transport
    assert np.all(db.X[db.analytic, 1] == 0)
    assert np.all(db.d_perp[db.analytic] == 0)
    simulated = ~db.analytic
    low, high = np.array([1e-2, 1e-2, 0.2]), np.array([10.0, 1.0, 20.0])
    assert np.all((db.X[simulated] >= low) & (db.X[simulated] <= high))
    assert np.all(db.d_perp[simulated] > 0)
    assert db.diffusive()[db.analytic].all()
    assert db.config["displacement"] == "guiding_centre"
    # converged labels by default: runs doubled up to 8 x n_steps, each either converged
    # (|change| <= tol + 2 err) or at the cap; analytic rows converged and 0 steps
    assert db.config["max_steps"] == 8 * TINY["n_steps"] and db.config["converge_on"] == "perp"
    runs = db.n_steps_run[simulated]
    assert set(runs.tolist()) <= {120, 240, 480, 960}
    assert np.all(db.n_steps_run[db.analytic] == 0) and db.converged()[db.analytic].all()
    assert np.array_equal(db.converged(np.inf), np.ones(len(db.X), bool))
    # running it again resumes the stored campaign: identical rows, nothing recomputed
    again = make_diffusion_database(
        tmp_path / "db", 12, analytic_fraction=0.25, chunk_size=4, verbose=0, **TINY
    )
    np.testing.assert_array_equal(again.X, db.X)
    np.testing.assert_array_equal(again.d_perp, db.d_perp)
