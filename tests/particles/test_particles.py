"""Test-particle simulator: Boris invariants, gyration, ballistic limits, consistency, seeds.

Expectations come from analytic mechanics (gyration in a uniform field, free streaming) or
from known transport results, never from the simulator's own earlier output. Statistical
tolerances are stated next to each check.
"""

import numpy as np
import pytest

from crsbi.particles.tracing import (
    PALADE_BOUNDS,
    DiffusionResult,
    field_along,
    initial_momenta,
    simulate_d_perp,
    simulate_diffusion,
    trace_particles,
)
from crsbi.particles.turbulence import draw_waves, evaluate_field


@pytest.mark.parametrize("model", ["palade2d", "isotropic"])
def test_boris_conserves_momentum_magnitude(model, rng):
    waves = draw_waves(8, 48, model=model, b=1.0, lambda_perp=0.5, random_state=rng)
    p0 = initial_momenta(8, 3.0, mu="isotropic", random_state=rng)
    tracks = trace_particles(waves, p0, n_steps=20_000, sample_steps=np.arange(1, 20_001, 500))
    p = np.linalg.norm(tracks.momenta, axis=2)
    np.testing.assert_allclose(p, np.sqrt(4.0**2 - 1.0), rtol=1e-12)  # round-off only
    assert np.ptp(tracks.positions[..., 0]) > 1.0  # the particles did move through the field


def test_gyration_radius_and_period_in_uniform_field():
    energy, mu = 1.5, 0.3
    gamma = 1.0 + energy
    p = np.sqrt(gamma**2 - 1.0)
    p_perp = p * np.sqrt(1.0 - mu**2)
    momenta = np.array([[p_perp, 0.0, p * mu]])
    dt = 2 * np.pi / 400  # Boris phase error (dt / 2 gamma)^2 / 3 ~ 1e-5
    tracks = trace_particles(None, momenta, dt=dt, n_steps=4000)
    x, y = tracks.positions[0, :, 0], tracks.positions[0, :, 1]
    # algebraic circle fit: x^2 + y^2 + D x + E y + F = 0
    design = np.stack([x, y, np.ones_like(x)], axis=1)
    coef = np.linalg.lstsq(design, -(x**2 + y**2), rcond=None)[0]
    centre = -coef[:2] / 2
    radius = np.sqrt(centre @ centre - coef[2])
    assert radius == pytest.approx(p_perp, rel=1e-3)  # r_L = p_perp / B0
    angle = np.unwrap(np.arctan2(y - centre[1], x - centre[0]))
    omega = np.polyfit(tracks.time, angle, 1)[0]
    assert omega == pytest.approx(-1.0 / gamma, rel=1e-3)  # clockwise, period 2 pi gamma
    speed = p / gamma
    np.testing.assert_allclose(tracks.positions[0, :, 2], mu * speed * tracks.time, rtol=1e-12)


def test_no_turbulence_gives_no_perpendicular_diffusion():
    energy, mu = 2.0, 0.5
    res = simulate_diffusion(energy, 0.0, 1.0, mu=mu, n_particles=64, n_steps=2000, random_state=1)
    r_larmor = np.sqrt((1 + energy) ** 2 - 1) * np.sqrt(1 - mu**2)
    assert np.all(res.msd[:, :2] <= (2 * r_larmor) ** 2)  # bounded gyration
    d_perp_t = res.running_diffusion[:, :2].mean(axis=1)
    assert d_perp_t[-1] < 2 * r_larmor**2 / res.time[-1]  # D_perp(t) ~ 1/t -> 0
    assert res.d_perp < 0.01 * r_larmor**2
    assert res.regime_perp == "subdiffusive" and res.regime_par == "ballistic"
    assert not res.is_diffusive


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_guiding_centre_is_at_rest_in_uniform_field(backend):
    momenta = initial_momenta(6, 5.0, mu=0.3, random_state=0)
    tracks = trace_particles(
        None, momenta, sample_steps=np.arange(0, 200, 7), guiding_centre=True, backend=backend
    )  # Palade's dt = 2 pi / 10: 10 steps per gyration
    drift = tracks.positions[:, :, :2] - tracks.positions[:, :1, :2]
    assert np.abs(drift).max() < 1e-12 * np.linalg.norm(momenta, axis=1).max()
    position = trace_particles(None, momenta, sample_steps=[0, 3], backend=backend).positions
    gyration = tracks.positions[:, 0, :2] - position[:, 0, :2]
    p_perp = np.hypot(momenta[:, 0], momenta[:, 1])
    a = np.pi / 10 / 6.0  # dt / (2 gamma)
    np.testing.assert_allclose(np.linalg.norm(gyration, axis=1), p_perp * np.sqrt(1 + a**2))


# Measured spread (benchmarks/particles/bench_seed_spread.py, seeds 0..199, host and generic CPU
# bit-identical): exponent_perp 1.054 +- 0.034, so |exponent - 1| < 0.2 leaves 4.35 sd;
# d_perp_err / d_perp <= 0.021 (asserted < 0.1); the two-run pull has sd 1.03 (honest errors),
# asserted within 4. At the former 400 particles the exponent was 1.05 +- 0.105 and 15 of 200
# seeds failed.
PALADE_TEST = {"n_particles": 4000, "n_waves": 64, "n_steps": 1500}


def test_guiding_centre_and_particle_displacements_agree_when_diffusive():
    # Seed spreads (benchmarks/results/particles/seed_spread_test.md, 40 seeds, columns
    # exponent_gc and gc_ratio): the guiding centres' MSD exponent approaches 1 more slowly,
    # 1.159 +- 0.036 at 1500 steps, so "diffusive" (|exponent - 1| < 0.2) would hold at 1.1 sd
    # only (5 of 40 seeds fail it); |exponent - 1| < 0.35 leaves 5.3 sd. D_gc / D = 0.907 +-
    # 0.003.
    kwargs = {**PALADE_TEST, "random_state": 2}
    particle = simulate_diffusion(1.0, 0.5, 1.0, **kwargs)
    centre = simulate_diffusion(1.0, 0.5, 1.0, displacement="guiding_centre", **kwargs)
    assert particle.regime_perp == "diffusive"
    assert abs(centre.exponent_perp - 1.0) < 0.35
    # same particles: the difference is the bounded gyration term ~ r_L^2 / 2t, small here
    assert centre.d_perp == pytest.approx(particle.d_perp, rel=0.15)
    weak = simulate_diffusion(10.0, 0.0, 1.0, displacement="guiding_centre", **kwargs)
    assert weak.d_perp < 1e-20  # no turbulence: the guiding centres do not move across B0


def test_short_times_are_ballistic_with_fixed_pitch(rng):
    energy, mu = 1.0, 0.5
    n = 2000
    speed = np.sqrt(1 - 1 / (1 + energy) ** 2)
    waves = draw_waves(n, 64, b=0.5, lambda_perp=1.0, random_state=rng)
    p0 = initial_momenta(n, energy, mu=mu, random_state=rng)
    tracks = trace_particles(waves, p0, dt=0.005, n_steps=20)  # t <= 0.1 / omega_c
    msd_z = np.mean(tracks.positions[..., 2] ** 2, axis=0)
    # fixed pitch: dz = mu v t exactly up to O((b t)^2) ~ 3e-3
    np.testing.assert_allclose(msd_z, (mu * speed * tracks.time) ** 2, rtol=1e-2)


def test_short_times_are_ballistic_with_isotropic_directions(rng):
    energy, n = 0.5, 4000
    speed = np.sqrt(1 - 1 / (1 + energy) ** 2)
    waves = draw_waves(n, 32, b=0.5, lambda_perp=1.0, random_state=rng)
    p0 = initial_momenta(n, energy, mu="isotropic", random_state=rng)
    tracks = trace_particles(waves, p0, dt=0.005, n_steps=20)
    msd = np.mean(tracks.positions**2, axis=0) / (speed * tracks.time[:, None]) ** 2
    # each axis: (v t)^2 / 3; standard error of <v_i^2> over 4000 directions is 1.4 %
    np.testing.assert_allclose(msd, 1 / 3, rtol=0.06)
    np.testing.assert_allclose(msd.sum(axis=1), 1.0, rtol=1e-3)  # |dr| = v t


@pytest.mark.parametrize("backend", ["numba", "numba-fast", "torch"])
@pytest.mark.parametrize(("model", "guiding_centre"), [("palade2d", False), ("isotropic", True)])
def test_numba_kernel_matches_numpy_reference(model, guiding_centre, backend, rng):
    waves = draw_waves(4, 24, model=model, b=0.8, lambda_perp=1.0, random_state=rng)
    p0 = initial_momenta(4, 2.0, mu=0.5, random_state=rng)
    x0 = rng.normal(size=(4, 3))
    kwargs = {"positions": x0, "n_steps": 60, "guiding_centre": guiding_centre}
    fast = trace_particles(waves, p0, backend=backend, **kwargs)
    slow = trace_particles(waves, p0, backend="numpy", **kwargs)
    # chaotic trajectories: round-off differences (1e-16) grow ~e-fold per 5 steps
    np.testing.assert_allclose(fast.positions, slow.positions, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.momenta, slow.momenta, rtol=0, atol=1e-10)


@pytest.mark.parametrize(("model", "guiding_centre"), [("palade2d", False), ("isotropic", True)])
@pytest.mark.parametrize("scale", [1.0, 1e5])
def test_single_precision_kernel_follows_the_numpy_reference(model, guiding_centre, scale, rng):
    """float32 phases and sums: the field is right to ~1e-6 b, also far from the origin
    (where a float32 k.x would have lost the phase: the kernel re-centres it in float64).
    70 particles fill one SIMD block and part of another; 25 waves leave a remainder."""
    waves = draw_waves(70, 25, model=model, b=0.8, lambda_perp=1.0, random_state=rng)
    p0 = initial_momenta(70, 2.0, mu=0.5, random_state=rng)
    x0 = rng.normal(size=(70, 3)) * scale
    kwargs = {"positions": x0, "n_steps": 10, "guiding_centre": guiding_centre}
    single = trace_particles(waves, p0, backend="numba-f32", **kwargs)
    slow = trace_particles(waves, p0, backend="numpy", **kwargs)
    # measured: <= 3.0e-5 after 10 steps over 12 seeds x these 4 cases (cosine error 7e-7
    # per wave, then chaos); a wrong phase reference or a lost wave moves them by >= 1e-3
    np.testing.assert_allclose(single.positions, slow.positions, rtol=0, atol=2e-4)
    np.testing.assert_allclose(single.momenta, slow.momenta, rtol=0, atol=2e-4)
    # a float32 phase at |x| = 1e5 would be off by ~k |x| 6e-8 ~ 1e-2 turns: 1e-3 and more


def test_single_precision_coefficients_agree_with_double_precision():
    """Same seeds, both kernels: chaos decorrelates the orbits, so the coefficients agree
    within their statistical errors (4 sigma of two independent runs, conservative here)."""
    kwargs = {"n_particles": 1000, "n_waves": 64, "n_steps": 1500, "random_state": 4}
    double = simulate_diffusion(1.0, 0.5, 1.0, backend="numba", **kwargs)
    single = simulate_diffusion(1.0, 0.5, 1.0, backend="numba-f32", **kwargs)
    for name in ("d_perp", "d_par"):
        a, b = getattr(double, name), getattr(single, name)
        err = np.hypot(getattr(double, name + "_err"), getattr(single, name + "_err"))
        assert abs(a - b) < 4 * err, name


def test_slab_transport_is_quasilinear_and_compound_subdiffusive():
    """Slab turbulence: D_par falls with b (QLT: roughly as b^-2) and the perpendicular
    transport is compound subdiffusion, <dx^2> ~ t^(1/2) (Kota & Jokipii 2000)."""
    kwargs = {
        "turbulence": "slab",
        "mu": "isotropic",
        "n_particles": 2000,
        "n_waves": 96,
        "n_steps": 8000,
        "random_state": 3,
    }
    weak = simulate_diffusion(1.0, 0.6, 1.0, **kwargs)
    strong = simulate_diffusion(1.0, 1.0, 1.0, **kwargs)
    # Spreads over seeds 0..19 at these settings (python benchmarks/particles/bench_seed_spread.py
    # --config slab re-measures them): D_par ratio 3.66 +- 0.16; exponent_par 1.072 +- 0.040
    # (weak) and 1.017 +- 0.052 (strong), so |exponent - 1| < 0.3 leaves >= 5.4 sd;
    # exponent_perp (strong) 0.54 +- 0.061, < 0.85 leaves 5.1 sd. At the former 500 particles
    # 14 of 100 seeds had a non-diffusive parallel regime (seed_spread_slab_500particles_h200).
    assert weak.d_par > strong.d_par + 4 * np.hypot(weak.d_par_err, strong.d_par_err)
    assert 1.5 < weak.d_par / strong.d_par < 6.0  # QLT ratio (1 / 0.6)^2 = 2.8
    assert abs(weak.exponent_par - 1.0) < 0.3 and abs(strong.exponent_par - 1.0) < 0.3
    # MSD exponent 1/2 asymptotically
    assert strong.exponent_perp < 0.85


def test_palade_run_is_diffusive_and_errors_are_honest():
    a = simulate_diffusion(1.0, 0.5, 1.0, random_state=10, **PALADE_TEST)
    b = simulate_diffusion(1.0, 0.5, 1.0, random_state=11, **PALADE_TEST)
    assert a.regime_perp == "diffusive"
    assert abs(a.exponent_perp - 1.0) < 0.2
    # two independent runs agree within their standard errors (4 sigma)
    assert abs(a.d_perp - b.d_perp) < 4 * np.hypot(a.d_perp_err, b.d_perp_err)
    assert a.d_perp_err < 0.1 * a.d_perp
    np.testing.assert_allclose(a.running_diffusion, a.msd / (2 * a.time[:, None]))


_CPU_CHILD = """
import sys
import numpy as np
from crsbi.particles.tracing import field_along, simulate_diffusion
from crsbi.particles.turbulence import draw_waves
out = {}
for turbulence in ("palade2d", "isotropic", "composite"):
    for backend in ("numba", "numba-f32"):
        res = simulate_diffusion(1.0, 0.5, 1.0, n_particles=70, n_waves=37, n_steps=300,
                                 turbulence=turbulence, backend=backend, random_state=3)
        out[turbulence + backend] = res.msd
waves = draw_waves(3, 21, model="isotropic", b=1.0, random_state=0)
x = np.random.default_rng(1).normal(size=(3, 5, 3))
out["field"] = field_along(waves, x)
np.savez(sys.argv[1], **out)
"""


def test_kernels_are_bit_identical_on_a_generic_cpu(tmp_path):
    # the reproducible kernels do not reassociate nor fuse multiply-adds: the same numbers
    # on the host CPU (AVX2 / AVX-512, FMA) and on LLVM's generic x86-64 target (SSE2)
    import os
    import subprocess
    import sys

    runs = {}
    for name, cpu in (("host", None), ("generic", "generic")):
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_NAME"}
        if cpu is not None:
            env["NUMBA_CPU_NAME"] = cpu
        path = tmp_path / f"{name}.npz"
        subprocess.run(
            [sys.executable, "-c", _CPU_CHILD, str(path)], env=env, check=True, timeout=600
        )
        runs[name] = dict(np.load(path))
    for key, value in runs["host"].items():
        np.testing.assert_array_equal(value, runs["generic"][key], err_msg=key)


@pytest.mark.parametrize("backend", ["numba", "numba-f32"])
def test_same_seed_same_result_whatever_the_threads(backend):
    kwargs = {
        "n_particles": 140,
        "n_waves": 16,
        "n_steps": 200,
        "turbulence": "composite",
        "backend": backend,
    }
    a = simulate_diffusion(0.5, 0.7, 2.0, random_state=5, **kwargs)
    b = simulate_diffusion(0.5, 0.7, 2.0, random_state=5, n_threads=1, **kwargs)
    np.testing.assert_array_equal(a.msd, b.msd)
    assert a.d_perp == b.d_perp
    c = simulate_diffusion(0.5, 0.7, 2.0, random_state=6, **kwargs)
    assert c.d_perp != a.d_perp


def test_simulate_d_perp_wrapper():
    config = {"n_particles": 16, "n_waves": 16, "n_steps": 100}
    x = simulate_d_perp(np.array([1.0, 0.5, 2.0]), random_state=0, **config)
    res = simulate_diffusion(1.0, 0.5, 2.0, random_state=0, **config)
    np.testing.assert_allclose(x, np.log10([res.d_perp, res.d_par]))
    linear = simulate_d_perp([1.0, 0.5, 2.0], random_state=0, log10=False, **config)
    np.testing.assert_allclose(10**x, linear)
    batch = simulate_d_perp([[1.0, 0.5, 2.0], [5.0, 0.1, 0.2]], random_state=0, **config)
    assert batch.shape == (2, 2) and np.all(np.isfinite(batch))
    assert PALADE_BOUNDS["lambda_perp"] == (0.2, 20.0)


@pytest.mark.parametrize(
    ("theta", "match"),
    [
        ([0.0, 0.5, 1.0], r"'T' entry must lie in \(0, 10\]"),
        ([11.0, 0.5, 1.0], r"'T' entry"),
        ([1.0, 1.5, 1.0], r"'b' entry must lie in \(0, 1\]"),
        ([1.0, 0.5, 0.1], r"'lambda_perp' entry must lie in \[0.2, 20\]"),
        ([1.0, 0.5], r"shape \(3,\) or \(n_sims, 3\)"),
        ([1.0, np.nan, 1.0], "NaN"),
    ],
)
def test_simulate_d_perp_rejects_bad_theta(theta, match):
    with pytest.raises(ValueError, match=match):
        simulate_d_perp(theta, n_particles=4, n_waves=4, n_steps=10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"T": -1.0}, ValueError, r"'T' parameter of simulate_diffusion .* \(0, inf\)"),
        ({"b": -0.5}, ValueError, r"'b' parameter .* \[0, 10\]"),
        ({"b": 50.0}, ValueError, r"'b' parameter .* \[0, 10\]"),
        # gyro-period at T = 1, b = 0.5: 4 pi / sqrt(1.25) = 11.24; a quarter of it is 2.81
        ({"dt": 1e3}, ValueError, r"'dt' .* at most 0.25 of the gyro-period .* 11.24.*<= 2.81"),
        ({"dt": 2.9}, ValueError, r"'dt' .* <= 2.81"),
        ({"lambda_perp": 0.0}, ValueError, r"'lambda_perp'"),
        ({"mu": 1.5}, ValueError, r"'mu' .* \[-1, 1\] or 'isotropic'"),
        ({"mu": "random"}, ValueError, r"'mu'"),
        ({"turbulence": "mhd"}, ValueError, r"'turbulence' .* one of"),
        ({"amplitudes": "energy"}, ValueError, r"'amplitudes' .* one of"),
        ({"n_particles": 1}, ValueError, r"'n_particles' .* \[2, inf\]"),
        ({"dt": 0.0}, ValueError, r"'dt'"),
        ({"n_samples": 2}, ValueError, r"'n_samples' .* \[3, inf\]"),
        ({"sampling": "cubic"}, ValueError, r"'sampling'"),
        ({"plateau_fraction": 0.0}, ValueError, r"'plateau_fraction' .* \(0, 1\]"),
        ({"n_threads": 0}, ValueError, r"'n_threads'"),
    ],
)
def test_simulate_diffusion_rejects_bad_parameters(kwargs, error, match):
    args = {"T": 1.0, "b": 0.5, "lambda_perp": 1.0, **kwargs}
    positional = [args.pop(k) for k in ("T", "b", "lambda_perp")]
    with pytest.raises(error, match=match):
        simulate_diffusion(*positional, n_particles=args.pop("n_particles", 4), **args)


def test_trace_particles_rejects_bad_input(rng):
    waves = draw_waves(3, 4, random_state=rng)
    with pytest.raises(ValueError, match=r"one realisation per particle \(2\)"):
        trace_particles(waves, np.ones((2, 3)), n_steps=3)
    with pytest.raises(ValueError, match=r"momenta must have shape \(n_particles, 3\)"):
        trace_particles(None, np.ones(3), n_steps=3)
    with pytest.raises(ValueError, match="sample_steps must be"):
        trace_particles(None, np.ones((1, 3)), sample_steps=[3, 2])
    with pytest.raises(ValueError, match="sample_steps must be"):
        trace_particles(None, np.ones((1, 3)), sample_steps=[-1, 2])
    with pytest.raises(ValueError, match="'backend'"):
        trace_particles(None, np.ones((1, 3)), backend="cuda")


def test_result_fields():
    res = simulate_diffusion(1.0, 0.3, 1.0, n_particles=8, n_waves=8, n_steps=64, random_state=0)
    assert isinstance(res, DiffusionResult)
    assert res.msd.shape == res.running_diffusion.shape == (res.time.size, 3)
    assert res.d_perp == pytest.approx(res.diffusion[:2].mean())
    assert res.config["gamma"] == 2.0 and res.config["lambda_par"] == 10.0


@pytest.mark.parametrize("model", ["isotropic", "slab", "palade2d", "composite"])
def test_field_along_matches_the_numpy_field(model, rng):
    waves = draw_waves(3, 48, model=model, b=0.7, random_state=rng)
    x = rng.normal(scale=30.0, size=(3, 40, 3))
    np.testing.assert_allclose(field_along(waves, x), evaluate_field(waves, x), atol=1e-12)


def test_field_along_without_turbulence_and_errors(rng):
    np.testing.assert_array_equal(field_along(None, np.ones((2, 4, 3))), np.zeros((2, 4, 3)))
    waves = draw_waves(2, 8, model="isotropic", b=1.0, random_state=rng)
    with pytest.raises(ValueError, match=r"shape \(n_particles, n_points, 3\)"):
        field_along(waves, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="one realisation per particle"):
        field_along(waves, np.zeros((3, 4, 3)))
    with pytest.raises(ValueError, match="finite"):
        field_along(waves, np.full((2, 4, 3), np.nan))
    with pytest.raises(TypeError, match="WaveSet"):
        field_along("waves", np.zeros((2, 4, 3)))


@pytest.mark.parametrize("backend", ["numba", "numba-f32", "torch"])
def test_extended_run_is_bit_identical_to_a_longer_run(backend):
    """Doubling by continuation (kernel state, Lorentz factors and, in single precision,
    the phase reference carried over) changes nothing: the samples at the common steps of
    a 400-step run are equal bit for bit. 100 steps is not a multiple of the re-centring
    period, so the continuation must restore the reference."""
    config = dict(
        n_particles=90, n_waves=32, random_state=3, displacement="guiding_centre",
        backend=backend,
    )  # fmt: skip
    direct = simulate_diffusion(1.0, 0.5, 1.0, n_steps=400, **config)
    extended = simulate_diffusion(
        1.0, 0.5, 1.0, n_steps=100, max_steps=400, convergence_tol=1e-12, **config
    )
    assert extended.config["n_steps"] == 400 and direct.config["n_steps"] == 400
    common, i, j = np.intersect1d(direct.time, extended.time, return_indices=True)
    assert common.size > 20 and common[-1] == direct.time[-1]
    np.testing.assert_array_equal(direct.msd[i], extended.msd[j])
    # stops at max_steps: another doubling would pass it
    capped = simulate_diffusion(
        1.0, 0.5, 1.0, n_steps=100, max_steps=300, convergence_tol=1e-12, **config
    )
    assert capped.config["n_steps"] == 200


def _summary_of(sq, time):
    from crsbi.particles.tracing import _summarise

    config = {"plateau_fraction": 0.5, "diffusive_tolerance": 0.2, "convergence_tol": 0.03}
    return _summarise(time, sq, config)


def test_convergence_flags_on_known_processes():
    """Brownian motion (D exact at all times) is converged; ballistic motion (D doubles when
    the run doubles) and a bounded one (D halves) are not, and the change says by how much."""
    rng = np.random.default_rng(0)
    n, steps = 4000, np.arange(1, 401)
    time = 0.5 * steps
    increments = rng.standard_normal((n, steps.size, 3)) * np.sqrt(2.0 * 0.5)  # D = 0.5
    brownian = _summary_of(np.cumsum(increments, axis=1) ** 2, time)
    # the paired change of D between t/2 and t: 30 seeds sd 0.016 (max |change| 0.047)
    assert abs(brownian.change_perp) < 0.08 and abs(brownian.change_par) < 0.08
    assert brownian.converged and brownian.change_perp_err < 0.02
    velocity = rng.standard_normal((n, 1, 3))
    ballistic = _summary_of((velocity * time[None, :, None]) ** 2, time)
    # plateau of v^2 t / 2 over [t/2, t] vs [t/4, t/2]: exactly twice
    assert ballistic.change_perp == pytest.approx(1.0, rel=1e-9)
    assert not ballistic.converged_perp and not ballistic.converged_par
    bounded = _summary_of(np.broadcast_to(velocity**2, (n, steps.size, 3)).copy(), time)
    assert bounded.change_par == pytest.approx(-0.5, rel=1e-3) and not bounded.converged


def test_bound_convergence_needs_a_resolved_change():
    """convergence_test="bound": |change| + 2 err <= tol. A Brownian walk (D exact) passes
    only when err is small enough to show it (many walkers), not with few; a ballistic one
    never does."""
    from crsbi.particles.tracing import _summarise

    rng = np.random.default_rng(1)
    time = 0.5 * np.arange(1, 101)
    config = {"plateau_fraction": 0.5, "diffusive_tolerance": 0.2, "convergence_tol": 0.03}

    def walk(n):
        steps = rng.standard_normal((n, time.size, 3)) * np.sqrt(2.0 * 0.5)
        return np.cumsum(steps, axis=1) ** 2

    many, few = walk(40_000), walk(300)
    bound = {**config, "convergence_test": "bound"}
    # 20 seeds: 40000 walkers: err 0.0037, |change| sd 0.0026, so |c| + 2 err <= 0.03
    # leaves > 8 sd; 300 walkers: err 0.045 +- 0.0034, alone above tol / 2 by 8 sd
    assert _summarise(time, many, bound).converged
    few_bound = _summarise(time, few, bound)
    assert few_bound.change_perp_err > 0.015 and not few_bound.converged
    velocity = rng.standard_normal((40_000, 1, 3))
    assert not _summarise(time, (velocity * time[None, :, None]) ** 2, bound).converged
    with pytest.raises(ValueError, match="'convergence_test'"):
        simulate_diffusion(1.0, 0.5, 1.0, n_particles=8, convergence_test="strict")


def test_unconverged_palade_run_is_flagged_and_extended():
    """Issue 28's case (T, b, lambda_perp) = (1, 0.5, 1): D_perp still grows by ~16 % from
    500 to 1000 steps; the run is flagged, and the extended run (same seed, so the same
    first 1000 steps) goes on."""
    config = dict(n_particles=4000, n_waves=50, displacement="guiding_centre", random_state=1)
    short = simulate_diffusion(1.0, 0.5, 1.0, n_steps=1000, **config)
    # 12 seeds: change 0.161 +- 0.018, change - tol - 2 err = 0.094 +- 0.021 (4.5 sd)
    assert short.change_perp > 0.05
    assert not short.converged_perp and not short.converged
    extended = simulate_diffusion(
        1.0, 0.5, 1.0, n_steps=1000, max_steps=4000, converge_on="perp", **config
    )
    assert extended.config["n_steps"] in (2000, 4000)
    assert extended.converged_perp or extended.config["n_steps"] == 4000
    with pytest.raises(ValueError, match="'max_steps'"):
        simulate_diffusion(1.0, 0.5, 1.0, n_steps=500, max_steps=100, **config)
    with pytest.raises(ValueError, match="'converge_on'"):
        simulate_diffusion(1.0, 0.5, 1.0, converge_on="x", **config)
