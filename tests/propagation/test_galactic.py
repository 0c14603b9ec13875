"""Tests of the 1D thin-disc / diffusive-halo Galactic propagation simulator."""

import itertools

import numpy as np
import pytest

from crsbi.propagation import _solver as solver
from crsbi.propagation.galactic import (
    ELEMENTS,
    FLUX_NORMALISATION,
    PARAM_NAMES,
    PRIOR_BOUNDS,
    check_galactic_params,
    energy_grid,
    force_field,
    param_names,
    prior_bounds,
    simulate_galactic,
    simulate_galactic_batch,
)

THETA = np.array([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
LOW = np.array([PRIOR_BOUNDS[n][0] for n in PARAM_NAMES])
HIGH = np.array([PRIOR_BOUNDS[n][1] for n in PARAM_NAMES])
BARE = {"spallation": False, "energy_losses": False, "reacceleration": False, "decay": False}

# Independent unit conversions for the analytic checks.
KPC = 3.0857e21  # cm
MYR = 3.15576e13  # s
M_U = 0.9315  # GeV, mass per nucleon used by the model


def _broken_power_law(r, nu1, nu2, nu3, rb1, rb2):
    def raw(x):
        x = np.asarray(x, dtype=float)
        return np.where(
            x < rb1,
            (x / rb1) ** -nu1,
            np.where(x < rb2, (x / rb1) ** -nu2, (rb2 / rb1) ** -nu2 * (x / rb2) ** -nu3),
        )

    return raw(r) / raw(10.0)


@pytest.mark.parametrize("isotope", ["16O", "12C", "14N"])
def test_primary_follows_analytic_disc_solution(isotope):
    # No cross sections, no energy terms: N0 = 2 h Q / A with A = 2 K / L.
    theta = np.array([3.0, 0.6, -1.0, 30.0, 7.0, 1.2, 2.5, 2.1, 3.2, 5.7])
    h = 0.1
    spectra = simulate_galactic(theta, h=h, **BARE)
    i = spectra.isotopes.index(isotope)
    name, z, a = solver.ISOTOPES[i]
    e = spectra.energy
    p = np.sqrt(e * (e + 2 * M_U))
    beta = p / (e + M_U)
    r = p * a / z
    d0, delta, eta, _, z_h, nu1, nu2, nu3, l1, l2 = theta
    k = d0 * 1e28 * MYR / KPC**2 * beta**eta * (r / 4.0) ** delta  # kpc^2/Myr
    q = (
        solver.SOURCE_ABUNDANCE[name]
        * _broken_power_law(r, nu1, nu2, nu3, 10**l1 / 1e3, 10**l2 / 1e3)
        * (a / z)
        / beta
    )
    n0 = 2 * h * q / (2 * k / z_h)
    expected = FLUX_NORMALISATION * beta * n0
    np.testing.assert_allclose(spectra.isotope_flux[i], expected, rtol=1e-9)
    # Secondaries vanish without spallation.
    assert np.all(spectra.flux[ELEMENTS.index("B")] == 0)


def test_primary_high_rigidity_slope_is_nu3_plus_delta():
    theta = THETA.copy()
    theta[PARAM_NAMES.index("log10_Rbr2")] = 5.0  # 100 GV
    spectra = simulate_galactic(theta, **BARE)
    r = np.geomspace(1e3, 1e4, 8)
    slope = np.polyfit(np.log(r), np.log(spectra.flux_at_rigidity(r, "O")), 1)[0]
    assert slope == pytest.approx(-(theta[7] + theta[1]), abs=2e-3)


@pytest.mark.parametrize("delta", [0.3, 0.5, 0.8])
def test_boron_to_carbon_falls_as_rigidity_to_minus_delta(delta):
    # Pure-diffusion limit: no reacceleration, no energy losses; at TV rigidities escape
    # dominates spallation and B/C ~ sigma / K ~ R^-delta.
    theta = np.array([8.0, delta, 1.0, 0.0, 4.0, 1.5, 2.4, 2.4, 3.5, 6.9])
    spectra = simulate_galactic(theta, energy_losses=False, reacceleration=False)
    r = np.geomspace(2e3, 2e4, 10)
    ratio = spectra.flux_at_rigidity(r, "B") / spectra.flux_at_rigidity(r, "C")
    slope = np.polyfit(np.log(r), np.log(ratio), 1)[0]
    assert slope == pytest.approx(-delta, abs=0.04)


def test_fluxes_positive_and_finite_over_prior_box():
    corners = LOW + np.array(list(itertools.product([0, 1], repeat=10))) * (HIGH - LOW)
    rng = np.random.default_rng(0)
    inner = rng.uniform(LOW, HIGH, size=(64, 10))
    for phi, thetas in (
        (0.0, np.vstack([corners, inner])),
        (1.2, np.vstack([corners[::16], inner])),
    ):
        flux = simulate_galactic_batch(thetas, phi=phi, verbose=0)
        assert flux.shape == (thetas.shape[0], 5, 84)
        assert np.all(np.isfinite(flux))
        assert np.all(flux > 0)


@pytest.mark.parametrize(
    ("theta", "match"),
    [
        (THETA[:9], "shape"),
        (np.r_[THETA, 1.0], "shape"),
        (np.where(np.arange(10) == 1, np.nan, THETA), "delta"),
        (np.where(np.arange(10) == 0, 0.5, THETA), "D0"),
        (np.where(np.arange(10) == 4, 25.0, THETA), "z_h"),
        (np.where(np.arange(10) == 9, 8.0, THETA), "log10_Rbr2"),
        ("abc", "numeric"),
    ],
)
def test_invalid_parameters_raise(theta, match):
    with pytest.raises(ValueError, match=match):
        simulate_galactic(theta)
    with pytest.raises(ValueError, match=match):
        simulate_galactic_batch(np.atleast_2d(theta) if match != "numeric" else theta)


def test_invalid_config_and_phi():
    with pytest.raises(TypeError, match="Unknown"):
        simulate_galactic(THETA, foo=1)
    with pytest.raises(ValueError, match="n_H"):
        simulate_galactic(THETA, n_H=-1.0)
    with pytest.raises(ValueError, match="phi"):
        simulate_galactic(THETA, phi=-0.1)
    with pytest.raises(ValueError, match="missing"):
        check_galactic_params({"D0": 3.0})


def test_dict_theta_batch_and_campaign_protocol():
    as_dict = dict(zip(PARAM_NAMES, THETA, strict=True))
    single = simulate_galactic(as_dict).flux
    np.testing.assert_array_equal(single, simulate_galactic(THETA).flux)
    batch = simulate_galactic_batch(np.vstack([THETA, THETA]), verbose=0)
    np.testing.assert_array_equal(batch[1], single)
    flat = simulate_galactic_batch(THETA, random_state=3)
    assert flat.shape == (420,)
    np.testing.assert_array_equal(flat.reshape(5, 84), single)
    np.testing.assert_allclose(simulate_galactic(THETA).energy, energy_grid())


def test_force_field_limits():
    e = np.geomspace(1e-3, 1e4, 400)
    lis = e**-2.7 * (1 + 1 / e)
    t = np.geomspace(0.05, 500, 30)
    np.testing.assert_allclose(force_field(t, e, lis, 0.0, 6, 12), t**-2.7 * (1 + 1 / t), rtol=2e-3)
    # J(T) / p^2(T) is conserved along the characteristic T -> T + (Z/A) phi.
    phi, z, a = 0.8, 5, 11
    shift = z / a * phi
    mod = force_field(t, e, lis, phi, z, a)
    p2 = t * (t + 2 * M_U)
    p2_lis = (t + shift) * (t + shift + 2 * M_U)
    lis_at = np.exp(np.interp(np.log(t + shift), np.log(e), np.log(lis)))
    np.testing.assert_allclose(mod / p2, lis_at / p2_lis, rtol=1e-10)
    assert np.all(mod < lis_at)


def test_modulated_output_matches_force_field_of_lis():
    lis = simulate_galactic(THETA)
    mod = simulate_galactic(THETA, phi=0.6)
    i = lis.isotopes.index("12C")
    np.testing.assert_allclose(
        mod.isotope_flux[i],
        force_field(lis.energy, lis.energy_lis, lis.isotope_lis[i], 0.6, 6, 12),
        rtol=1e-12,
    )
    # The rigidity spectrum is the energy spectrum times dT/dR for a single isotope.
    r = np.array([5.0, 50.0])
    c12_only = mod.flux_at_rigidity(r, "C")
    assert np.all(c12_only > 0)


def test_beryllium10_decay_suppresses_low_energies_only():
    with_decay = simulate_galactic(THETA)
    without = simulate_galactic(THETA, decay=False)
    i = with_decay.isotopes.index("10Be")
    low = with_decay.energy < 1.0
    high = with_decay.energy > 1e4
    assert np.all(with_decay.isotope_flux[i, low] < 0.7 * without.isotope_flux[i, low])
    np.testing.assert_allclose(
        with_decay.isotope_flux[i, high], without.isotope_flux[i, high], rtol=0.02
    )
    # The decayed 10Be appears as 10B.
    j = with_decay.isotopes.index("10B")
    assert np.all(with_decay.isotope_flux[j, low] > without.isotope_flux[j, low])


def test_nuisance_normalisations_are_linear():
    base = simulate_galactic(THETA, **BARE)
    twice = simulate_galactic(THETA, q_C=2.0, **BARE)
    c, o = ELEMENTS.index("C"), ELEMENTS.index("O")
    np.testing.assert_allclose(twice.flux[c], 2 * base.flux[c], rtol=1e-12)
    np.testing.assert_allclose(twice.flux[o], base.flux[o], rtol=1e-12)
    xi = simulate_galactic(THETA, xi_Li=1.5, energy_losses=False, reacceleration=False)
    ref = simulate_galactic(THETA, energy_losses=False, reacceleration=False)
    li = ELEMENTS.index("Li")
    # Li is pure secondary and xi_Li scales its production from heavier elements; the
    # Li -> Li channel (7Li -> 6Li) is linear in the Li density, so Li scales exactly.
    np.testing.assert_allclose(xi.flux[li], 1.5 * ref.flux[li], rtol=1e-9)
    be = ELEMENTS.index("Be")
    np.testing.assert_allclose(xi.flux[be], ref.flux[be], rtol=1e-12)


def test_speed_floor():
    import time

    # The floor: <= 50 ms of CPU per parameter set on one core.
    simulate_galactic(THETA)
    start = time.process_time()
    simulate_galactic_batch(np.tile(THETA, (20, 1)), verbose=0)
    assert (time.process_time() - start) / 20 < 0.05


def test_energy_grid_convergence():
    # Discretisation error of the default grid against a 3x finer one (second-order
    # Scharfetter-Gummel fluxes), above 35 MeV/n where data exist.
    rng = np.random.default_rng(1)
    thetas = rng.uniform(LOW, HIGH, size=(6, 10))
    coarse = simulate_galactic_batch(thetas, verbose=0)
    fine = simulate_galactic_batch(thetas, verbose=0, n_sub=24, pad=96)
    assert np.max(np.abs(coarse[:, :, 16:] / fine[:, :, 16:] - 1)) < 0.01
    assert np.max(np.abs(coarse / fine - 1)) < 0.1


def test_runs_as_campaign_simulator(tmp_path):
    from crsbi.core.campaign import BoxPrior, run_campaign

    result = run_campaign(
        simulate_galactic_batch,
        tmp_path / "galactic",
        prior=BoxPrior(LOW, HIGH),
        n_simulations=4,
        chunk_size=2,
        random_state=0,
        verbose=0,
    )
    assert result.x.shape == (4, 420)
    np.testing.assert_allclose(
        result.x[0].reshape(5, 84), simulate_galactic(result.theta[0]).flux, rtol=1e-12
    )


def test_energy_losses_conserve_particles():
    # Finite-volume conservation law with losses only (no spallation, no reacceleration):
    # particles injected = particles escaping to the halo + particles cooled out through
    # the lowest energy edge, to round-off.
    h = 0.1
    static = solver.build_static(
        1e-3, 1.25, 84, 8, 32, h, 0.9, 0.1, 0.033, 1e4, "auto", "Tripathi99", 1.0, 1.0, False, True
    )
    theta = np.array([3.0, 0.5, 1.0, 0.0, 6.0, 1.8, 2.4, 2.3, 3.0, 5.5])
    dens = solver.solve_disc(
        static, theta, h=h, r0=4.0, q_c=1.0, q_o=1.0, decay=False, reacceleration=False
    )
    i = [name for name, _, _ in solver.ISOTOPES].index("16O")
    widths = static.grid.widths
    e = static.grid.energy
    p = np.sqrt(e * (e + 2 * M_U))
    beta = p / (e + M_U)
    rig = p * 16 / 8
    k = 3.0 * 1e28 * MYR / KPC**2 * beta * (rig / 4.0) ** 0.5
    injected = np.sum(
        widths
        * 2
        * h
        * solver.SOURCE_ABUNDANCE["16O"]
        * _broken_power_law(rig, 1.8, 2.4, 2.3, 1.0, 316.227766)
        * 2.0
        / beta
    )
    escaped = np.sum(widths * 2 * k / 6.0 * dens[i])
    cooled = 2 * h * -static.loss_edge[i, 0] * dens[i, 0]
    assert static.loss_edge[i, 0] < 0
    assert escaped + cooled == pytest.approx(injected, rel=1e-9)
    assert cooled / injected > 1e-4  # the loss term is really exercised


def test_break_factor_limits():
    # [1 + (R/R_b)^(Delta/s)]^-s: 1 far below, 2^-s at, (R/R_b)^-Delta far above the break
    rigidity = np.array([1.0, 300.0, 3e5])
    factor = solver.break_factor(rigidity, 300.0, 0.2, 0.05)
    assert factor[0] == pytest.approx(1.0, abs=1e-9)
    assert factor[1] == pytest.approx(2.0**-0.05, rel=1e-12)
    assert factor[2] == pytest.approx(1e3**-0.2, rel=1e-9)
    assert np.all(np.isfinite(solver.break_factor(np.array([1e-30, 1e30]), 300.0, 0.5, 0.01)))


@pytest.mark.parametrize("delta_change", [0.1, 0.2])
def test_diffusion_break_hardens_boron_to_carbon_by_delta_change(delta_change):
    # Pure-diffusion limit as above: B/C ~ 1/K, so above a break where K ~ R^(delta - Delta)
    # the B/C slope is -(delta - Delta); below it nothing changes. Deterministic model.
    theta = np.array([8.0, 0.5, 1.0, 0.0, 4.0, 1.5, 2.4, 2.4, 3.5, 6.9])
    bare = {"energy_losses": False, "reacceleration": False}
    plain = simulate_galactic(theta, **bare)
    broken = simulate_galactic(
        theta, break_rigidity=200.0, break_delta=delta_change, break_smoothness=0.05, **bare
    )

    def bc(spectra, r):
        return spectra.flux_at_rigidity(r, "B") / spectra.flux_at_rigidity(r, "C")

    high = np.geomspace(5e3, 5e4, 10)
    slope_plain = np.polyfit(np.log(high), np.log(bc(plain, high)), 1)[0]
    slope_broken = np.polyfit(np.log(high), np.log(bc(broken, high)), 1)[0]
    assert slope_broken - slope_plain == pytest.approx(delta_change, rel=0.05)
    # below the break B/C changes at most as much as 1/K does (less where spallation,
    # not escape, limits the boron): s (R/R_b)^(Delta/s) < 1e-3 at these rigidities
    low = np.geomspace(3.0, 30.0, 5)
    change = np.abs(bc(broken, low) / bc(plain, low) - 1.0)
    bound = np.abs(1.0 / solver.break_factor(low, 200.0, delta_change, 0.05) - 1.0)
    assert np.all(change <= 1.05 * bound + 1e-12)
    assert change.max() < 1e-3
    # with reacceleration on, the break still hardens B/C and leaves GeV energies alone
    full = simulate_galactic(THETA, break_rigidity=200.0, break_delta=delta_change)
    reference = simulate_galactic(THETA)
    assert np.all(bc(full, high) > bc(reference, high))
    np.testing.assert_allclose(bc(full, low), bc(reference, low), rtol=2e-3)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"break_rigidity": 1e9}, "inside the rigidities of the energy grid"),
        ({"break_rigidity": -5.0}, "break_rigidity must be a finite float"),
        ({"break_rigidity": 300.0, "break_delta": 0.0}, "break_delta"),
        ({"break_rigidity": 300.0, "break_smoothness": 2.0}, "break_smoothness"),
        ({"break_rigidity": "high"}, "break_rigidity must be a float"),
    ],
)
def test_invalid_diffusion_break_raises(config, match):
    with pytest.raises((ValueError, TypeError), match=match):
        simulate_galactic(THETA, **config)


def test_break_model_is_the_paper_model_plus_two_parameters():
    assert param_names("break") == (*PARAM_NAMES, "break_rigidity", "break_delta")
    assert list(prior_bounds("paper")) == list(PARAM_NAMES)
    theta = np.r_[THETA, 300.0, 0.2]
    broken = simulate_galactic(theta, model="break", phi=0.5)
    keyword = simulate_galactic(THETA, phi=0.5, break_rigidity=300.0, break_delta=0.2)
    np.testing.assert_array_equal(broken.flux, keyword.flux)
    thetas = np.array([theta, np.r_[THETA, 1000.0, 0.05]])
    batch = simulate_galactic_batch(thetas, model="break", verbose=0)
    assert batch.shape == (2, 5, 84)
    for row, t in zip(batch, thetas, strict=True):
        np.testing.assert_array_equal(row, simulate_galactic(t, model="break").flux)
    # the dict form takes the model's names
    as_dict = dict(zip(param_names("break"), theta, strict=True))
    np.testing.assert_array_equal(check_galactic_params(as_dict, "break"), theta)


@pytest.mark.parametrize(
    ("theta", "kwargs", "match"),
    [
        (np.r_[THETA, 300.0, 0.2], {}, r"model='paper' must have shape \(10,\).*model='break'"),
        (THETA, {"model": "break"}, r"model='break' must have shape \(12,\)"),
        (np.r_[THETA, 300.0, 0.2], {"model": "broken"}, "model must be one of"),
        (np.r_[THETA, 20.0, 0.2], {"model": "break"}, r"'break_rigidity' must be .* \[50.0"),
        (np.r_[THETA, 300.0, 0.9], {"model": "break"}, r"'break_delta' must be"),
        (
            np.r_[THETA, 300.0, 0.2],
            {"model": "break", "break_rigidity": 300.0},
            "do not also pass them",
        ),
    ],
)
def test_wrong_parameter_vector_for_the_model_raises(theta, kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_galactic(theta, **kwargs)
    if "break_rigidity" not in kwargs:
        with pytest.raises(ValueError, match=match):
            simulate_galactic_batch(np.array([theta, theta]), verbose=0, **kwargs)


def test_low_break_factor_limits():
    # [1 + (R_l/R)^(d/s)]^s: (R_l/R)^d far below, 2^s at, 1 far above R_l; d of either sign
    rigidity = np.array([0.01, 5.0, 5e4])
    for d in (0.8, -0.4):
        factor = solver.low_break_factor(rigidity, 5.0, d, 0.05)
        assert factor[0] == pytest.approx(500.0**d, rel=1e-9)
        assert factor[1] == pytest.approx(2.0 ** (0.05 * np.sign(d)), rel=1e-12)
        assert factor[2] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_array_equal(solver.low_break_factor(rigidity, 5.0, 0.0, 0.05), 1.0)


def test_low_rigidity_break_acts_below_its_rigidity_only():
    # Pure diffusion: B/C = sigma / (escape + spallation) with escape = 2K/z_h, so raising K
    # by f = (R_l/R)^(delta - delta_l) below R_l lowers B/C by a factor between 1/f (escape
    # dominated) and 1 (spallation dominated); far above R_l nothing changes.
    theta = np.array([8.0, 0.5, 1.0, 0.0, 4.0, 1.5, 2.4, 2.4, 3.5, 6.9])
    bare = {"energy_losses": False, "reacceleration": False}
    plain = simulate_galactic(theta, **bare)
    low = {"low_break_rigidity": 5.0, "low_break_slope": -0.5, "low_break_smoothness": 0.05}
    broken = simulate_galactic(theta, **low, **bare)

    def bc(spectra, r):
        return spectra.flux_at_rigidity(r, "B") / spectra.flux_at_rigidity(r, "C")

    r = np.geomspace(1.0, 3.0, 5)
    ratio = bc(broken, r) / bc(plain, r)
    f = solver.low_break_factor(r, 5.0, 0.5 - (-0.5), 0.05)
    assert np.all((ratio >= 1.0 / f * (1 - 1e-6)) & (ratio < 1.0))
    assert ratio[0] < 0.5  # escape dominates enough for the break to show
    high = np.geomspace(200.0, 2e3, 5)
    np.testing.assert_allclose(bc(broken, high), bc(plain, high), rtol=1e-3)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"low_break_rigidity": 1e-9}, "low_break_rigidity must lie inside"),
        ({"low_break_rigidity": 5.0, "low_break_slope": 5.0}, "low_break_slope"),
        ({"low_break_rigidity": 300.0, "break_rigidity": 200.0}, "must lie below"),
    ],
)
def test_invalid_low_break_raises(config, match):
    with pytest.raises(ValueError, match=match):
        simulate_galactic(THETA, **config)
