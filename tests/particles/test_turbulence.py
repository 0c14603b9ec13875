"""Synthetic turbulence: divergence, rms, spectra, field-line random walk, seeds, errors.

The expectations are computed here from the analytic spectra (scipy quadrature), not from
the module's own output. Statistical tolerances are stated next to each check.
"""

import itertools

import numpy as np
import pytest
from conftest import P_4SIGMA
from scipy import integrate, stats

from crsbi.particles.turbulence import (
    TURBULENCE_MODELS,
    WaveSet,
    _realisation_seeds,
    _wave_arrays,
    cascade_levels,
    draw_waves,
    evaluate_field,
    slab_correlation_length,
)

S = 5.0 / 3.0  # Kolmogorov index
Q = 3.0  # Palade's low-k index


@pytest.mark.parametrize("model", TURBULENCE_MODELS)
def test_field_is_divergence_free(model, rng):
    waves = draw_waves(20, 64, model=model, b=0.8, lambda_perp=1.0, random_state=rng)
    x0 = rng.uniform(-30.0, 30.0, size=(20, 8, 3))
    h = 1e-5  # central differences: truncation (k h)^2 ~ 1e-8 for k <= 10
    jacobian = np.empty((20, 8, 3, 3))  # d b_i / d x_j
    for j in range(3):
        step = np.zeros(3)
        step[j] = h
        jacobian[..., j] = (evaluate_field(waves, x0 + step) - evaluate_field(waves, x0 - step)) / (
            2 * h
        )
    divergence = np.trace(jacobian, axis1=2, axis2=3)
    gradient_norm = np.linalg.norm(jacobian, axis=(2, 3))
    assert np.all(np.abs(divergence) <= 1e-6 * gradient_norm)
    assert gradient_norm.mean() > 0.1  # the check is not empty


@pytest.mark.parametrize("model", TURBULENCE_MODELS)
def test_rms_field_matches_request(model, rng):
    b = 0.6
    waves = draw_waves(400, 100, model=model, b=b, lambda_perp=2.0, random_state=rng)
    # points far apart compared with the correlation lengths: nearly independent samples
    x = rng.uniform(-1e4, 1e4, size=(400, 4, 3))
    b2 = np.sum(evaluate_field(waves, x) ** 2, axis=-1).ravel()
    standard_error = b2.std(ddof=1) / np.sqrt(b2.size)
    assert abs(b2.mean() - b**2) < 4 * standard_error  # 4 sigma
    assert standard_error < 0.05 * b**2  # and the test has power


def test_composite_energy_split(rng):
    waves = draw_waves(50, 100, model="composite", b=1.0, random_state=rng)
    slab = np.all(waves.wavevector[..., :2] == 0.0, axis=-1)
    energy_slab = 0.5 * np.sum(waves.amplitude**2 * slab[..., None], axis=(1, 2))
    assert slab.sum(axis=1).tolist() == [20] * 50
    np.testing.assert_allclose(energy_slab, 0.2, rtol=1e-12)  # 20:80 split of b^2 = 1
    np.testing.assert_allclose(waves.rms, 1.0, rtol=1e-12)


def _analytic_cdf(q, s, upper):
    density = lambda x: x**q * (1.0 + x * x) ** (-(s + q) / 2)  # noqa: E731
    norm = integrate.quad(density, 0.0, upper, limit=400)[0]
    grid = np.concatenate([[0.0], np.geomspace(1e-4, upper, 4000)])
    pieces = [integrate.quad(density, a, c, limit=100)[0] for a, c in itertools.pairwise(grid)]
    values = np.concatenate([[0.0], np.cumsum(pieces)]) / norm
    return lambda x: np.interp(x, grid, values)


def test_palade2d_wavevectors_follow_the_spectrum(rng):
    lambda_perp, lambda_par, cutoff = 2.0, 20.0, 10.0
    waves = draw_waves(
        40, 500, b=0.5, lambda_perp=lambda_perp, lambda_par=lambda_par, random_state=rng
    )
    k = waves.wavevector.reshape(-1, 3)
    x = np.hypot(k[:, 0], k[:, 1]) * lambda_perp
    y = np.abs(k[:, 2]) * lambda_par
    assert x.max() <= cutoff and y.max() <= cutoff
    # KS against the analytic marginals of S(k) d^3k; 20 000 draws detect a CDF error ~0.015.
    # True nulls, so P_4SIGMA; 30 seeds: the three p-values look uniform (smallest 0.014)
    assert stats.kstest(x, _analytic_cdf(Q, S, cutoff)).pvalue > P_4SIGMA
    assert stats.kstest(y, _analytic_cdf(0.0, S, cutoff)).pvalue > P_4SIGMA
    # isotropic azimuth, symmetric k_par
    azimuth = np.arctan2(k[:, 1], k[:, 0])
    assert stats.kstest(azimuth, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > P_4SIGMA
    assert abs(np.mean(np.sign(k[:, 2]))) < 4 / np.sqrt(len(k))  # 30 seeds: -0.09 +- 0.72
    # b = z x grad a: amplitudes perpendicular to k and to z
    np.testing.assert_allclose(waves.amplitude[..., 2], 0.0)
    assert waves.max_divergence < 1e-12


def test_pure_2d_limit(rng):
    waves = draw_waves(3, 50, lambda_par=np.inf, random_state=rng)
    np.testing.assert_array_equal(waves.wavevector[..., 2], 0.0)


def test_slab_one_dimensional_spectrum_is_kolmogorov(rng):
    # b_x(z) on a grid resolving k up to the cut-off; Hann-windowed periodograms averaged
    # over realisations; log-log slope well inside the inertial range (k lambda = 20..200).
    waves = draw_waves(
        40, 1000, model="slab", b=1.0, lambda_par=1.0, k_cutoff=600.0, random_state=rng
    )
    n, dz = 2**11, 0.005  # Nyquist 628 > 600; resolution 0.6 << bin widths
    z = np.zeros((n, 3))
    z[:, 2] = np.arange(n) * dz
    field = evaluate_field(waves, z)[..., :2]  # (40, n, 2)
    window = np.hanning(n)[None, :, None]
    power = np.abs(np.fft.rfft(field * window, axis=1)) ** 2
    power = power.mean(axis=(0, 2))
    k = 2 * np.pi * np.fft.rfftfreq(n, dz)
    edges = np.geomspace(20.0, 200.0, 7)
    centres, levels = [], []
    for lo, hi in itertools.pairwise(edges):
        inside = (k >= lo) & (k < hi)
        centres.append(np.sqrt(lo * hi))
        levels.append(power[inside].mean())
    slope = np.polyfit(np.log(centres), np.log(levels), 1)[0]
    expected = -S * np.mean([c**2 / (1 + c**2) for c in centres])  # local slope of G(k)
    assert abs(slope - expected) < 0.15  # scatter of the estimate over seeds: 0.035


def test_isotropic_waves(rng):
    waves = draw_waves(200, 100, model="isotropic", b=1.0, lambda_perp=1.0, random_state=rng)
    k = waves.wavevector
    khat = k / np.linalg.norm(k, axis=-1, keepdims=True)
    # uniform directions: <khat_i> = 0, <khat_i^2> = 1/3 (1e-2 ~ 4 sigma for 20 000 vectors);
    # 30 seeds: largest |<khat_i>| 0.005 +- 0.002, largest |<khat_i^2> - 1/3| 0.0025 +- 0.0012
    assert np.all(np.abs(khat.reshape(-1, 3).mean(axis=0)) < 0.02)
    np.testing.assert_allclose((khat**2).reshape(-1, 3).mean(axis=0), 1 / 3, atol=0.01)
    assert waves.max_divergence < 1e-12
    # Giacalone-Jokipii amplitudes: |e_n|^2 / dk_n follows G(k) ~ k^(-5/3) for k L >> 1
    kmag = np.linalg.norm(k[0], axis=-1)
    e2 = np.sum(waves.amplitude[0] ** 2, axis=-1)
    large = kmag > 2.0
    slope = np.polyfit(np.log(kmag[large]), np.log(e2[large] / kmag[large]), 1)[0]
    assert abs(slope + S) < 0.1  # 0.034 for every seed (the |k| grid is not random)


def test_slab_field_line_random_walk_matches_analytic(rng):
    """D_FL = (b/B0)^2 l_c / 2, l_c the integral correlation length of one b component."""
    b, lambda_par, cutoff = 0.3, 1.0, 10.0
    n_real, length, dz = 2000, 25.0, 0.2  # RK4 step: k dz <= 2, error < 1e-3 on D_FL
    waves = draw_waves(
        n_real, 32, model="slab", b=b, lambda_par=lambda_par, k_cutoff=cutoff, random_state=rng
    )

    def slope(r):  # dx/dz = b_x / B_z, dy/dz = b_y / B_z
        field = evaluate_field(waves, r)
        return np.stack([field[..., 0], field[..., 1], 1.0 + field[..., 2]], -1) / (
            1.0 + field[..., 2:3]
        )

    r = np.zeros((n_real, 1, 3))
    for _ in range(round(length / dz)):  # classical RK4 along z
        k1 = slope(r)
        k2 = slope(r + 0.5 * dz * k1)
        k3 = slope(r + 0.5 * dz * k2)
        k4 = slope(r + dz * k3)
        r = r + dz / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    np.testing.assert_allclose(r[:, 0, 2], length, rtol=1e-12)
    per_line = np.sum(r[:, 0, :2] ** 2, axis=1) / (4 * length)  # (dx^2 + dy^2) / (2 * 2 Z)
    d_sim, error = per_line.mean(), per_line.std(ddof=1) / np.sqrt(n_real)

    # analytic, from the slab spectrum G(k) ∝ (1 + (k lambda)^2)^(-s/2) on |k lambda| <= K
    k = np.linspace(1e-9, cutoff / lambda_par, 400_001)
    g = (1 + (k * lambda_par) ** 2) ** (-S / 2)
    norm = np.trapezoid(g, k)
    l_c = np.pi * 1.0 / (2 * norm)  # pi G(0) / int_{-K}^{K} G
    d_asymptotic = b**2 * l_c / 2

    def d_finite(z_length):  # <dx^2>/(2Z) = b_x^2 int G 2(1 - cos kZ)/k^2 / int G / (2Z)
        kernel = 2 * (1 - np.cos(k * z_length)) / k**2
        return (b**2 / 2) * np.trapezoid(g * kernel, k) / norm / (2 * z_length)

    assert abs(d_sim - d_finite(length)) < 4 * error  # 4 sigma, error ~2.3 %
    assert error < 0.04 * d_sim
    assert d_finite(2000.0) == pytest.approx(d_asymptotic, rel=2e-3)  # Z -> inf limit
    assert slab_correlation_length(lambda_par, k_cutoff=cutoff) == pytest.approx(l_c, rel=1e-6)


def test_slab_correlation_length_closed_form():
    from scipy.special import gamma

    expected = np.sqrt(np.pi) * gamma(S / 2) / gamma((S - 1) / 2)  # ≈ 0.7468
    assert slab_correlation_length(3.0, k_cutoff=np.inf) == pytest.approx(3 * expected, rel=1e-6)


def test_same_seed_same_waves_and_thread_independence(rng):
    import numba

    a = draw_waves(64, 32, model="composite", random_state=7)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        b = draw_waves(64, 32, model="composite", random_state=7)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(a.wavevector, b.wavevector)
    np.testing.assert_array_equal(a.amplitude, b.amplitude)
    np.testing.assert_array_equal(a.phase, b.phase)
    c = draw_waves(64, 32, model="composite", random_state=8)
    assert not np.array_equal(a.wavevector, c.wavevector)


def test_xoshiro_generator_matches_reference():
    from crsbi.particles._kernels import next_uint64, seed_state

    mask = (1 << 64) - 1

    def splitmix(seed):
        z, out = seed, []
        for _ in range(4):
            z = (z + 0x9E3779B97F4A7C15) & mask
            w = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            w = ((w ^ (w >> 27)) * 0x94D049BB133111EB) & mask
            out.append(w ^ (w >> 31))
        return out

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    def step(s):
        result = (rotl((s[1] * 5) & mask, 7) * 9) & mask
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    seed = 2**64 - 12345
    state, ref = seed_state(np.uint64(seed)), splitmix(seed)
    assert [int(v) for v in state] == ref
    assert [int(next_uint64(state)) for _ in range(8)] == [step(ref) for _ in range(8)]


def test_evaluate_field_shapes_and_errors(rng):
    waves = draw_waves(3, 8, random_state=rng)
    assert evaluate_field(waves, np.zeros((3, 5, 3))).shape == (3, 5, 3)
    with pytest.raises(ValueError, match=r"positions must have shape"):
        evaluate_field(waves, np.zeros((2, 5, 3)))
    with pytest.raises(TypeError, match="WaveSet"):
        evaluate_field("waves", np.zeros((5, 3)))
    with pytest.raises(ValueError, match="wavevector must have shape"):
        WaveSet(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": "kolmogorov"}, ValueError, r"'model' parameter of draw_waves must be one of"),
        ({"b": -0.1}, ValueError, r"'b' parameter of draw_waves must be a float in \[0, inf\)"),
        ({"lambda_perp": 0.0}, ValueError, r"'lambda_perp' .* in \(0, inf\)"),
        ({"n_waves": 0}, ValueError, r"'n_waves' .* an int in \[1, inf\]"),
        ({"n_waves": 2.5}, TypeError, r"'n_waves'"),
        ({"model": "slab", "lambda_par": np.inf}, ValueError, "must be finite"),
        ({"model": "composite", "n_waves": 1}, ValueError, ">= 2 for the composite"),
        ({"slab_fraction": 1.0}, ValueError, r"'slab_fraction' .* in \(0, 1\)"),
        ({"spectral_index": 1.0}, ValueError, r"'spectral_index'"),
        (
            {"amplitudes": "energy"},
            ValueError,
            r"'amplitudes' parameter of draw_waves must be one of",
        ),
        ({"intermittency": -0.1}, ValueError, r"'intermittency' .* in \[0, 2\]"),
        ({"intermittency": 2.5}, ValueError, r"'intermittency' .* in \[0, 2\]"),
    ],
)
def test_invalid_parameters(kwargs, error, match):
    kwargs = {"n_waves": 8, **kwargs}
    with pytest.raises(error, match=match):
        draw_waves(2, random_state=0, **kwargs)


def test_field_amplitudes_give_the_sampled_energy_spectrum(rng):
    # Share of b^2 carried by k_perp lambda_perp in [5, 10]: the k^2-weighted spectrum for
    # Palade's equal potentials, the sampled (bend-over) spectrum itself for equal fields.
    # 30 seeds of 40 x 500 waves: 0.6878 +- 0.0047 and 0.2246 +- 0.0031 (analytic 0.6886,
    # 0.2242), so 4-sigma tolerances 0.019 and 0.013.
    cutoff = 10.0
    density = lambda x: x**Q * (1.0 + x * x) ** (-(S + Q) / 2)  # noqa: E731
    weighted = lambda x: x * x * density(x)  # noqa: E731
    expected = {
        "potential": integrate.quad(weighted, 5.0, cutoff)[0]
        / integrate.quad(weighted, 0.0, cutoff)[0],
        "field": integrate.quad(density, 5.0, cutoff)[0] / integrate.quad(density, 0.0, cutoff)[0],
    }
    tolerance = {"potential": 0.019, "field": 0.013}
    for amplitudes in ("potential", "field"):
        waves = draw_waves(40, 500, b=0.5, lambda_perp=2.0, amplitudes=amplitudes, random_state=rng)
        x = np.hypot(waves.wavevector[..., 0], waves.wavevector[..., 1]) * 2.0
        energy = (waves.amplitude**2).sum(axis=-1)
        share = energy[x > 5.0].sum() / energy.sum()
        assert abs(share - expected[amplitudes]) < tolerance[amplitudes], amplitudes
        np.testing.assert_allclose(waves.rms, 0.5, rtol=1e-12)
        assert waves.max_divergence < 1e-12
    # equal fields: every wave carries |e|^2 = 2 b^2 / n_waves, perpendicular to k and z
    np.testing.assert_allclose(energy, 2 * 0.25 / 500, rtol=1e-12)
    np.testing.assert_allclose(waves.amplitude[..., 2], 0.0)


@pytest.mark.parametrize("model", TURBULENCE_MODELS)
def test_cascade_scales_amplitudes_only_and_zero_changes_nothing(model):
    """intermittency multiplies amplitudes by a per-realisation weight; the wave vectors and
    phases are those of the Gaussian field, sigma = 0 is bit-identical to the default, and a
    realisation's weights depend on its seed alone (drawn in chunks or all at once)."""
    kwargs = {"model": model, "b": 0.7, "k_cutoff": 40.0, "random_state": 3}
    plain = draw_waves(50, 64, **kwargs)
    zero = draw_waves(50, 64, intermittency=0.0, **kwargs)
    np.testing.assert_array_equal(zero.amplitude, plain.amplitude)
    cascade = draw_waves(50, 64, intermittency=0.5, **kwargs)
    np.testing.assert_array_equal(cascade.wavevector, plain.wavevector)
    np.testing.assert_array_equal(cascade.phase, plain.phase)
    ratio = np.linalg.norm(cascade.amplitude, axis=2) / np.linalg.norm(plain.amplitude, axis=2)
    assert np.all(ratio > 0) and np.std(np.log(ratio)) > 0.1
    assert cascade.max_divergence < 1e-12  # still e . k = 0 wave by wave
    seeds = _realisation_seeds(5, 40)
    config = {"model": model, "b": 0.7, "lambda_perp": 1.0, "lambda_par": 10.0,
              "k_cutoff": 40.0, "intermittency": 0.5}  # fmt: skip
    whole = _wave_arrays(seeds, 64, **config)
    np.testing.assert_array_equal(_wave_arrays(seeds[10:15], 64, **config), whole[10:15])


def test_cascade_weights_are_log_normal_per_octave():
    """Isotropic waves have fixed |k_j| and |e_j|, so the energy of octave j in realisation
    r over its value without cascade is exactly M_j^2: log M_j^2 is normal with mean
    -2 sigma^2 (j + 1) and variance 4 sigma^2 (j + 1), and the mean energy is kept."""
    sigma, n = 0.3, 4000
    kwargs = {"model": "isotropic", "b": 1.0, "k_cutoff": 40.0, "random_state": 11}
    plain = draw_waves(n, 64, **kwargs)
    cascade = draw_waves(n, 64, intermittency=sigma, **kwargs)
    x = np.linalg.norm(plain.wavevector[0], axis=1)  # lambda_perp = 1
    level = np.clip(np.floor(np.log2(np.maximum(x, 1.0))), 0, cascade_levels(40.0) - 1)
    energy = np.sum(cascade.amplitude**2, axis=2)
    energy0 = np.sum(plain.amplitude**2, axis=2)
    for j in np.unique(level).astype(int):
        sel = level == j
        log_m2 = np.log(energy[:, sel].sum(axis=1) / energy0[:, sel].sum(axis=1))
        mean, var = -2 * sigma**2 * (j + 1), 4 * sigma**2 * (j + 1)
        # sample mean and variance of n normals: standard errors sqrt(var / n), var sqrt(2 / n)
        assert abs(log_m2.mean() - mean) < 4 * np.sqrt(var / n), j
        assert abs(log_m2.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (n - 1)), j
    # <b^2> over realisations is kept: rms^2 of the plain set is exactly 1
    rms2 = cascade.rms**2
    assert abs(rms2.mean() - 1.0) < 4 * rms2.std(ddof=1) / np.sqrt(n)
