"""The shipped-model mechanism (cards, hashes, references) and the AMS-02 B/C posterior."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from crsbi import pretrained
from crsbi.pretrained._reference import check_reference

REQUIRED = (
    "name",
    "title",
    "estimator",
    "file",
    "sha256",
    "size_bytes",
    "crsbi_version",
    "created",
    "command",
    "training",
    "data",
    "calibration",
    "reference",
)


def test_list_names_the_cards():
    names = pretrained.list()
    assert "ams02-bc-break" in names
    assert names == sorted(names)


@pytest.mark.parametrize("name", pretrained.list())
def test_every_shipped_file_matches_its_card(name):
    card = pretrained.card(name)
    missing = [key for key in REQUIRED if key not in card]
    assert not missing
    path = pretrained.model_path(name)
    assert path.stat().st_size == card["size_bytes"]
    assert pretrained.sha256(path) == card["sha256"]
    assert card["command"].startswith("python benchmarks/pretrained/build_")
    assert card["calibration"], "a card without calibration evidence"


def test_all_models_fit_in_20_mb():
    total = sum(p.stat().st_size for p in pretrained.MODEL_DIR.iterdir() if p.is_file())
    assert total <= 20 * 2**20


def test_unknown_name_is_refused_with_the_list():
    with pytest.raises(ValueError, match="ams02-bc-break"):
        pretrained.load("no-such-model")


def test_a_changed_file_is_refused(tmp_path, monkeypatch):
    name = "ams02-bc-break"
    folder = tmp_path / "models"
    folder.mkdir()
    card = pretrained.card(name)
    shutil.copy(pretrained.model_path(name), folder / card["file"])
    (folder / f"{name}.json").write_text(json.dumps(card))
    with open(folder / card["file"], "ab") as handle:
        handle.write(b"\0")
    monkeypatch.setattr(pretrained, "MODEL_DIR", folder)
    with pytest.raises(ValueError, match="SHA-256"):
        pretrained.load(name)
    # without the check it is the user's responsibility; the file is still read
    assert pretrained.load(name, verify=False) is not None


@pytest.fixture(scope="module")
def ams02():
    return pretrained.load("ams02-bc-break")


def test_ams02_reproduces_its_reference_outputs(ams02):
    ok, worst = check_reference(ams02, pretrained.card("ams02-bc-break")["reference"])
    assert ok, f"reference outputs off by {worst:.2f} x their tolerance"


def test_ams02_class_and_parameters(ams02):
    from crsbi.propagation import SpectraPosterior

    card = pretrained.card("ams02-bc-break")
    assert isinstance(ams02, SpectraPosterior)
    assert card["estimator"] == "crsbi.propagation.SpectraPosterior"
    assert ams02.param_names_ == [
        "D0",
        "delta",
        "eta",
        "v_A",
        "z_h",
        "phi",
        "log10_break_rigidity",
        "break_delta",
    ]


@pytest.mark.slow
def test_ams02_posterior_agrees_with_the_emcee_chain(ams02):
    """Same likelihood, prior and data as bench_inversion_ams02 --model break (emcee).

    The emcee chain (25000 x 24 steps, R-hat 1.01) is independent of the network. The raw
    network posterior is an amortised approximation (its card: means within 0.6 emcee sd);
    a posterior a full sd off, or twice too wide or narrow, fails. Corrected with the exact
    likelihood (``importance_sample``), it must match: over seeds 0-2 the means were within
    0.10 sd and the widths 0.94-1.17 of emcee's (ESS ~700 of 4000 proposals: Monte Carlo
    error of a mean ~0.04 sd).
    """
    from crsbi.demos.real_data import EMCEE as emcee

    draws = ams02.sample(4000, random_state=3)
    corrected, ess = ams02.importance_sample(2000, n_proposals=4000, random_state=3)
    assert ess > 200
    for i, name in enumerate(ams02.param_names_):
        mean, std = emcee[name]
        assert abs(draws[:, i].mean() - mean) < 1.0 * std, name
        assert 0.5 < draws[:, i].std() / std < 2.0, name
        assert abs(corrected[:, i].mean() - mean) < 0.25 * std, name
        assert 0.75 < corrected[:, i].std() / std < 1.35, name


def test_ams02_posterior_predicts_the_measured_bc(ams02):
    """The model at the posterior reproduces the 67 B/C points it was conditioned on."""
    draws = ams02.sample(400, random_state=0)
    check = ams02.predictive(draws, n_draws=40, random_state=0)
    # chi^2 per point of the median model, errors stat (+) sys: AMS-02's sys are
    # correlated and conservative, the best fit has chi^2 ~ 16 / 67
    assert check.chi2_per_point < 1.0
    assert check.coverage[0.95] > 0.9


def test_ams02_new_data_at_the_same_points(ams02):
    from crsbi.propagation import load_ams02

    bc = load_ams02("B/C")
    shifted = bc.y * 1.1  # 10 % more secondaries: a longer grammage, a smaller D0
    base = ams02.sample(2000, random_state=0)
    more = ams02.sample(2000, shifted, random_state=0)
    assert more[:, 0].mean() < base[:, 0].mean() - 0.5
    with pytest.raises(ValueError, match="shape"):
        ams02.sample(10, bc.y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        ams02.sample(10, np.full_like(bc.y, np.nan))
    with pytest.raises(ValueError, match="points must be the fitted ones"):
        ams02.sample(10, bc.select(5.0, 100.0))
