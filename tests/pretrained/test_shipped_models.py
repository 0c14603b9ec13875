"""Shipped models built in benchmarks/pretrained/: the Auger Cen A test and the D_perp surrogate.

Each model must load with its hash checked, reproduce its card's reference outputs, carry
a complete card, and still do its physics: calibrated p-values for the anisotropy test,
predictions within the stated error of simulations it never saw for the surrogate.
"""

import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import P_4SIGMA
from scipy import stats

from crsbi import pretrained
from crsbi.pretrained._reference import check_reference

CENA = "auger-cena-anisotropy"
SURROGATE = "diffusion-surrogate"
NAMES = [CENA, SURROGATE]
REQUIRED_KEYS = ("crsbi_version", "command", "training", "data", "calibration", "sha256")
REPO = Path(__file__).resolve().parents[2]


def _has_uhecr_data() -> bool:
    """The Auger 2022 list and the Kalashev composition (simulated maps) are readable."""
    from crsbi.core.data import data_dir
    from crsbi.uhecr.data import AUGER2022_FILE

    try:
        return (data_dir("uhecr") / AUGER2022_FILE).is_file()
    except FileNotFoundError:
        return False


needs_uhecr_data = pytest.mark.skipif(not _has_uhecr_data(), reason="needs the uhecr data")


@pytest.fixture(scope="module")
def cena():
    return pretrained.load(CENA)


@pytest.fixture(scope="module")
def surrogate():
    return pretrained.load(SURROGATE)


@pytest.fixture
def model(request):
    return request.getfixturevalue({CENA: "cena", SURROGATE: "surrogate"}[request.param])


# ---------------------------------------------------------------- files and cards
@pytest.mark.parametrize("name", NAMES)
def test_card_is_complete_and_matches_the_file(name):
    card = pretrained.card(name)
    missing = [key for key in REQUIRED_KEYS if not card.get(key)]
    assert not missing, f"card of {name} lacks {missing}"
    assert card["name"] == name
    path = pretrained.model_path(name)
    assert path.is_file()
    assert pretrained.sha256(path) == card["sha256"]
    assert path.stat().st_size == card["size_bytes"]
    assert path.stat().st_size < 5 * 2**20  # the two models together stay well under 10 MB
    # the command rebuilds the model with a script of benchmarks/pretrained/
    script = card["command"].split()[1]
    assert script.startswith("benchmarks/pretrained/build_")
    if (REPO / "benchmarks").is_dir():  # a source checkout, not an installed package
        assert (REPO / script).is_file()
    assert set(card["reference"]) >= {"method", "args", "outputs", "rtol", "atol"}
    assert card["reference"]["rtol"] >= 1e-6


@pytest.mark.parametrize("model", NAMES, indirect=True)
def test_loads_with_hash_and_reproduces_reference(model, request):
    name = request.node.callspec.params["model"]
    card = pretrained.card(name)
    module, _, cls = card["estimator"].rpartition(".")
    assert isinstance(model, getattr(importlib.import_module(module), cls))
    ok, worst = check_reference(model, card["reference"])
    assert ok, f"{name}: reference outputs off by {worst:.3g} x the tolerance"


# ------------------------------------------------------------ auger-cena-anisotropy
def _auger_maps(n_maps, fraction, seed, n_events=438):
    from crsbi.uhecr import simulate_sky_maps

    return simulate_sky_maps(
        n_maps,
        n_events=n_events,
        source="CenA",
        fraction=fraction,
        nside=8,
        n_channels=15,
        exposure="auger",
        random_state=seed,
    )


@needs_uhecr_data
def test_cena_null_p_values_uniform_and_source_detected(cena):
    card = pretrained.card(CENA)
    assert cena.n_events_ == 438
    assert len(cena.null_statistics_) == card["calibration"]["null_calibration"]["n_null_maps"]
    assert cena.alpha_ == 0.01
    # fresh isotropic maps (seeds the build did not use): p-values uniform
    p = cena.p_value(_auger_maps(50, 0.0, seed=20_261_206))
    jitter = np.random.default_rng(0).uniform(size=len(p)) / (len(cena.null_statistics_) + 1)
    assert stats.kstest(p - jitter, "uniform").pvalue > P_4SIGMA
    # a strongly anisotropic sky (30 % of the events from Cen A) is rejected at alpha = 0.01
    strong = cena.p_value(_auger_maps(1, 0.3, seed=20_261_207))
    assert strong[0] <= 0.01
    # the calibration holds for N = 438 only: other event counts are refused
    with pytest.raises(ValueError, match="event"):
        cena.p_value(_auger_maps(1, 0.0, seed=1, n_events=400))


@needs_uhecr_data
def test_cena_reproduces_the_auger_p_value_of_its_card(cena):
    from crsbi.uhecr import events_to_maps, load_auger2022

    events = load_auger2022(56.0)
    assert len(events) == 438
    data = events_to_maps(events.l_deg, events.b_deg, events.energy_eev, nside=8, n_channels=15)
    p = cena.p_value(data[None])[0]
    assert p == pytest.approx(pretrained.card(CENA)["calibration"]["auger2022_p_value"], abs=1e-12)


# ------------------------------------------------------------ diffusion-surrogate
def test_surrogate_matches_held_out_simulations(surrogate):
    calibration = pretrained.card(SURROGATE)["calibration"]
    sample = calibration["holdout_sample"]
    X, y = np.asarray(sample["X"]), np.asarray(sample["d_perp"])
    assert len(X) >= 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # hold-out rows lie inside the training box
        pred = surrogate.predict(X)
    relative = (pred - y) / y
    stated = calibration["holdout_relative_error"]
    assert stated < 0.1
    # rms over these unseen simulations within the stated hold-out error (which includes
    # the labels' Monte Carlo noise), no single point off by more than 5x it
    assert np.sqrt(np.mean(relative**2)) <= 1.5 * stated
    assert np.max(np.abs(relative)) <= 5 * stated


def test_surrogate_physics_limits(surrogate):
    from crsbi.particles.surrogate import ExtrapolationWarning

    # b = 0: no turbulence, no perpendicular transport, exactly
    T, lam = np.geomspace(0.02, 8, 5), np.geomspace(0.3, 15, 5)
    zero = np.column_stack([T, np.zeros(5), lam])
    assert np.all(surrogate.predict(zero) == 0.0)
    # D_perp grows with the turbulence level b at fixed energy and correlation length
    b = np.linspace(0.05, 1.0, 12)
    for t in (0.03, 0.5, 5.0):
        for lam_perp in (0.5, 5.0):
            grid = np.column_stack([np.full_like(b, t), b, np.full_like(b, lam_perp)])
            assert np.all(np.diff(surrogate.predict(grid)) > 0), (t, lam_perp)
    # outside the training box (card) the surrogate warns
    box = pretrained.card(SURROGATE)["training"]["training_box"]
    assert box["high"][0] == pytest.approx(surrogate.data_max_[0])
    with pytest.warns(ExtrapolationWarning):
        surrogate.predict([[100.0, 0.5, 1.0]])
