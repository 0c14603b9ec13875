"""Simulation campaigns: determinism, resumption, kill safety, failures, backends."""

import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import textwrap
import time
from functools import partial
from pathlib import Path

import h5py
import numpy as np
import pytest

from crsbi.core import _campaign_store as store
from crsbi.core import spawn_seeds
from crsbi.core.campaign import (
    BoxPrior,
    Campaign,
    CampaignResult,
    SimulationStatus,
    consolidate_campaign,
    load_campaign,
    run_campaign,
)
from crsbi.inference import simulate_gaussian_linear

FIELDS = ("index", "theta", "x", "seed", "status", "message")
MATRIX = [[1.0, 0.5, 0.0], [0.0, 1.0, -2.0]]
SIMULATOR = partial(simulate_gaussian_linear, matrix=MATRIX, noise_std=0.1)
PRIOR = BoxPrior([-1.0, -1.0, 0.0], [1.0, 1.0, 2.0])


def _campaign(path, **kwargs):
    options = {
        "prior": PRIOR,
        "n_simulations": 45,
        "chunk_size": 8,
        "random_state": 11,
        "verbose": 0,
    }
    options.update(kwargs)
    return Campaign(options.pop("simulator", SIMULATOR), path, **options)


def _head(result: CampaignResult, n: int) -> CampaignResult:
    arrays = {name: getattr(result, name)[:n] for name in FIELDS}
    return CampaignResult(**arrays, manifest=result.manifest)


def _seeds(seed, n):
    return [child.generate_state(1, np.uint64)[0] for child in spawn_seeds(seed, n)]


def _assert_identical(a: CampaignResult, b: CampaignResult) -> None:
    """Bit-for-bit equality of every stored array (NaN patterns included)."""
    for name in FIELDS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.shape == right.shape, name
        if name == "message":
            assert left.tolist() == right.tolist()
        else:
            assert left.dtype == right.dtype, name
            assert left.tobytes() == right.tobytes(), name


# ------------------------------------------------------------------------------ simulators


def flaky_simulator(theta, *, random_state=None):
    """Fails for theta[0] > 0.6, returns NaN for theta[1] < -0.6, else Gaussian linear."""
    if theta[0] > 0.6:
        raise RuntimeError(f"solver diverged at theta[0]={theta[0]:.3f}")
    x = SIMULATOR(theta, random_state=random_state)
    if theta[1] < -0.6:
        x[0] = np.nan
    return x


def ragged_simulator(theta, *, random_state=None):
    """Breaks the protocol: a longer output when theta[0] > 0.5, a 2-D one when theta[0] < -0.8."""
    x = SIMULATOR(theta, random_state=random_state)
    if theta[0] > 0.5:
        return np.concatenate([x, x])
    if theta[0] < -0.8:
        return x[None, :]
    return x


def theta_mutating_simulator(theta, *, random_state=None):
    x = SIMULATOR(theta, random_state=random_state)
    theta[:] = 0.0
    return x


class AttributeSimulator:
    """A simulator object configured through public attributes (no ``get_params``)."""

    def __init__(self, noise=0.1, matrix=MATRIX):
        self.noise = noise
        self.matrix = np.asarray(matrix, dtype=float)
        self._n_calls = 0  # runtime state, private: not part of the configuration

    def __call__(self, theta, *, random_state=None):
        self._n_calls += 1
        return simulate_gaussian_linear(
            theta, matrix=self.matrix, noise_std=self.noise, random_state=random_state
        )


class ParamsSimulator(AttributeSimulator):
    """The same, configured through an estimator-style ``get_params``."""

    def get_params(self, deep=True):
        return {"matrix": self.matrix, "noise": self.noise}


# ------------------------------------------------------------------------------ prior


def test_box_prior_samples_uniformly_inside_the_box():
    prior = BoxPrior([0.0, -2.0], [1.0, 2.0])
    draws = prior.sample(20_000, random_state=0)
    assert draws.shape == (20_000, 2)
    assert np.all(draws >= prior.low) and np.all(draws <= prior.high)
    # uniform: mean (low + high) / 2, std (high - low) / sqrt(12); 5 standard errors
    n = len(draws)
    width = prior.high - prior.low
    assert np.all(np.abs(draws.mean(0) - [0.5, 0.0]) < 5 * width / np.sqrt(12 * n))
    np.testing.assert_allclose(draws.std(0), width / np.sqrt(12), rtol=0.02)
    np.testing.assert_array_equal(draws, prior.sample(20_000, random_state=0))
    assert prior.log_prob([0.5, 0.0]) == pytest.approx(-np.log(4.0))
    np.testing.assert_array_equal(
        prior.log_prob([[0.5, 0.0], [1.5, 0.0], [0.5, -2.5]]), [-np.log(4.0), -np.inf, -np.inf]
    )
    assert prior.n_params == 2
    assert "BoxPrior(low=[0.0, -2.0]" in repr(prior)


@pytest.mark.parametrize(
    ("low", "high", "match"),
    [
        ([0.0, 1.0], [1.0, 1.0], "low < high"),
        ([0.0], [1.0, 2.0], "same shape"),
        ([np.nan], [1.0], "NaN"),
    ],
)
def test_box_prior_rejects_bad_bounds(low, high, match):
    with pytest.raises(ValueError, match=match):
        BoxPrior(low, high)


def test_box_prior_log_prob_checks_shape():
    with pytest.raises(ValueError, match=r"\(2,\) or \(n, 2\)"):
        BoxPrior([0, 0], [1, 1]).log_prob([0.5, 0.5, 0.5])


# ------------------------------------------------------------------------------ determinism


def test_seeds_theta_and_x_derive_from_the_per_sample_seed(tmp_path):
    campaign = _campaign(tmp_path)
    campaign.run()
    result = campaign.load()
    n = 45
    np.testing.assert_array_equal(result.seed, _seeds(11, n))
    assert result.seed.dtype == np.uint64
    assert len(set(result.seed.tolist())) == n
    for i in (0, 17, 44):
        seed = int(result.seed[i])
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        np.testing.assert_array_equal(result.theta[i], PRIOR.sample(1, random_state=rng)[0])
        # one sample is reproduced from its stored theta and seed alone
        np.testing.assert_array_equal(result.x[i], SIMULATOR(result.theta[i], random_state=seed))


def test_gaussian_linear_outputs_have_the_right_mean_and_noise(tmp_path):
    result = run_campaign(
        SIMULATOR,
        tmp_path,
        prior=PRIOR,
        n_simulations=3000,
        chunk_size=500,
        random_state=5,
        verbose=0,
    )
    assert result.theta.shape == (3000, 3) and result.x.shape == (3000, 2)
    assert np.all(result.theta >= PRIOR.low) and np.all(result.theta <= PRIOR.high)
    residual = result.x - result.theta @ np.asarray(MATRIX).T
    # mean 0 within 5 standard errors (0.1 / sqrt(3000)); std 0.1 within 5% (its standard
    # error is about 1.3%); noise independent of theta and between observables
    assert np.all(np.abs(residual.mean(0)) < 5 * 0.1 / np.sqrt(3000))
    np.testing.assert_allclose(residual.std(0), 0.1, rtol=0.05)
    correlations = np.corrcoef(np.column_stack([residual, result.theta]), rowvar=False)
    off_diagonal = correlations[np.triu_indices_from(correlations, k=1)]
    assert np.all(np.abs(off_diagonal[:5]) < 5 / np.sqrt(3000))
    # theta is uniform in the box: mean at the centre within 5 standard errors
    centre = (PRIOR.low + PRIOR.high) / 2
    assert np.all(np.abs(result.theta.mean(0) - centre) < 5 * 2 / np.sqrt(12 * 3000))


def test_results_do_not_depend_on_n_jobs_backend_or_chunk_size(tmp_path):
    reference = _campaign(tmp_path / "sequential", n_jobs=1)
    reference.run()
    expected = reference.load(include_failed=True)
    for name, options in {
        "loky": {"n_jobs": 2, "backend": "loky"},
        "threading": {"n_jobs": 2, "backend": "threading"},
        "multiprocessing": {"n_jobs": 2, "backend": "multiprocessing", "chunk_size": 4},
        "chunk_size": {"n_jobs": 1, "chunk_size": 7},
    }.items():
        campaign = _campaign(tmp_path / name, **options)
        summary = campaign.run()
        assert summary.n_done == 45 and summary.complete, name
        _assert_identical(campaign.load(include_failed=True), expected)


def test_dask_cluster_gives_the_same_samples(tmp_path):
    distributed = pytest.importorskip("distributed")
    _campaign(tmp_path / "local").run()
    expected = load_campaign(tmp_path / "local")
    with pytest.raises(ValueError, match="needs a Dask cluster"):
        _campaign(tmp_path / "no_client", backend="dask").run()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        # through an address, as from a laptop to a cluster
        by_address = _campaign(
            tmp_path / "address", backend="dask", scheduler_address=cluster.scheduler_address
        )
        summary = by_address.run()
        assert summary.complete and summary.n_run == 45
        _assert_identical(by_address.load(), expected)
        # through the default client, resuming a campaign half done locally
        half = _campaign(tmp_path / "default_client")
        half.run(max_chunks=3)
        with distributed.Client(cluster):
            resumed = _campaign(tmp_path / "default_client", backend="dask")
            assert resumed.run().n_run == 45 - 3 * 8
        _assert_identical(resumed.load(), expected)


# ------------------------------------------------------------------------------ resumption


def test_resume_after_partial_runs_and_lost_chunks(tmp_path):
    reference = _campaign(tmp_path / "reference")
    reference.run()
    expected = reference.load(include_failed=True)

    campaign = _campaign(tmp_path / "resumed")
    first = campaign.run(max_chunks=2)
    assert (first.n_done, first.n_pending, first.n_chunks_done, first.n_chunks) == (16, 29, 2, 6)
    partial_result = campaign.load()
    np.testing.assert_array_equal(partial_result.index, np.arange(16))
    _assert_identical(partial_result, _head(expected, 16))

    # chunks completed out of order, a lost middle chunk and leftovers of a killed run
    campaign.run(max_chunks=3)
    chunks = tmp_path / "resumed" / "chunks"
    (chunks / "chunk_000003.h5").unlink()
    (chunks / ".chunk_000005.h5.123-abc.tmp").write_bytes(b"half a chunk")
    (tmp_path / "resumed" / ".manifest.json.9-x.tmp").write_bytes(b"{")
    summary = campaign.summary()
    assert summary.n_done == 32 and summary.n_pending == 13 and summary.n_run == 0
    final = campaign.run()
    assert final.n_run == 13 and final.complete and final.throughput > 0
    assert not list((tmp_path / "resumed").rglob("*.tmp"))
    _assert_identical(campaign.load(include_failed=True), expected)
    assert campaign.run().n_run == 0


def test_random_state_none_records_fresh_entropy_and_resumes_with_it(tmp_path):
    first = _campaign(tmp_path / "a", random_state=None)
    first.run(max_chunks=1)
    seed = json.loads((tmp_path / "a" / "manifest.json").read_text())["seed"]
    assert isinstance(seed, int) and seed > 2**64  # 128 bits of OS entropy
    first.run()
    explicit = _campaign(tmp_path / "b", random_state=seed)
    explicit.run()
    _assert_identical(first.load(), explicit.load())
    other = _campaign(tmp_path / "c", random_state=None)
    other.run()
    assert not np.array_equal(other.load().seed, first.load().seed)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"chunk_size": 4}, "chunk_size"),
        ({"n_simulations": 50}, "n_simulations"),
        ({"random_state": 12}, "seed"),
        ({"prior": BoxPrior([-1.0, -1.0, 0.0], [1.0, 1.0, 3.0])}, "prior"),
        ({"simulator": partial(simulate_gaussian_linear, matrix=MATRIX, noise_std=0.2)}, "sim"),
        ({"simulator": flaky_simulator}, "simulator"),
    ],
)
def test_a_different_configuration_on_the_same_directory_raises(tmp_path, change, key):
    _campaign(tmp_path).run(max_chunks=1)
    changed = _campaign(tmp_path, **change)
    for verb in (changed.run, changed.load, changed.summary):
        with pytest.raises(ValueError, match=f"different configuration(.|\n)*{key}"):
            verb()
    # the store is untouched and still resumes with the original configuration
    assert _campaign(tmp_path).run().n_done == 45


SHIFTED_MATRIX = np.asarray(MATRIX) + np.array([[0.0, 0.0, 0.0], [0.0, 1e-12, 0.0]])


@pytest.mark.parametrize(
    ("simulator", "changed", "difference"),
    [
        (
            AttributeSimulator(noise=0.1),
            AttributeSimulator(noise=5.0),
            r"simulator\.attributes\.noise: 0\.1 there, 5\.0 here",
        ),
        (
            AttributeSimulator(),
            AttributeSimulator(matrix=SHIFTED_MATRIX),
            r"simulator\.attributes\.matrix\.array\.sha256: '[0-9a-f]+' there",
        ),
        (
            ParamsSimulator(noise=0.1),
            ParamsSimulator(noise=5.0),
            r"simulator\.params\.noise: 0\.1 there, 5\.0 here",
        ),
        (
            partial(simulate_gaussian_linear, matrix=np.asarray(MATRIX)),
            partial(simulate_gaussian_linear, matrix=SHIFTED_MATRIX),
            r"simulator\.keywords\.matrix\.array\.sha256",
        ),
    ],
)
def test_resuming_with_another_simulator_configuration_raises(
    tmp_path, simulator, changed, difference
):
    _campaign(tmp_path, simulator=simulator).run(max_chunks=1)
    # the same configuration resumes: another instance, or a copy that went through pickle
    copy = pickle.loads(pickle.dumps(simulator))  # noqa: S301 - our own object
    for same in (copy, simulator):
        assert _campaign(tmp_path, simulator=same).run(max_chunks=1).n_run == 8
    for verb in ("run", "load", "summary"):
        with pytest.raises(ValueError, match=f"different configuration(.|\n)*{difference}"):
            getattr(_campaign(tmp_path, simulator=changed), verb)()
    assert _campaign(tmp_path, simulator=simulator).run().n_done == 45


@pytest.fixture(scope="module")
def diffusion_training_set():
    rng = np.random.default_rng(0)
    X = rng.uniform([0.1, 0.1, 0.2], [10, 1, 20], size=(64, 3))  # T, b, lambda_perp
    return X, X[:, 1] ** 2 * X[:, 2]


def test_surrogate_simulator_configuration_and_weights_are_fingerprinted(
    tmp_path, diffusion_training_set
):
    from crsbi.particles.surrogate import DiffusionSurrogate, SurrogateSimulator

    X, y = diffusion_training_set
    surrogate = DiffusionSurrogate(hidden_sizes=(4,), max_epochs=2, random_state=0, verbose=0)
    surrogate.fit(X, y)
    energies = [0.1, 1.0, 10.0]

    def campaign(simulator):
        return Campaign(
            simulator,
            tmp_path,
            prior=BoxPrior([0.1, -1.0], [1.0, 1.0]),
            n_simulations=8,
            chunk_size=4,
            random_state=0,
            verbose=0,
        )

    campaign(SurrogateSimulator(surrogate, energies, noise_dex=0.05)).run(max_chunks=1)
    # a saved and loaded surrogate (fitted weights moved through pickle) is the same one
    loaded = pickle.loads(pickle.dumps(surrogate))  # noqa: S301 - our own object
    assert campaign(SurrogateSimulator(loaded, energies)).summary().n_done == 4
    noisier = campaign(SurrogateSimulator(surrogate, energies, noise_dex=5.0))
    with pytest.raises(
        ValueError,
        match=r"different configuration(.|\n)*simulator\.attributes\.noise_dex: 0\.05 there, "
        r"5\.0 here",
    ):
        noisier.run()
    # the same hyperparameters fitted to other data: only the weights differ
    refitted = DiffusionSurrogate(**surrogate.get_params()).fit(X[:48], y[:48])
    with pytest.raises(
        ValueError, match=r"different configuration(.|\n)*simulator\.attributes\.surrogate\.fitted"
    ):
        campaign(SurrogateSimulator(refitted, energies)).run()
    assert campaign(SurrogateSimulator(loaded, energies)).run().n_done == 8


def test_an_edited_manifest_is_refused(tmp_path):
    _campaign(tmp_path).run(max_chunks=1)
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    assert manifest["fingerprint"] == store.fingerprint(11, manifest["config"])
    manifest["seed"] = 12  # e.g. a flipped bit: chunks of two seeds would be mixed
    path.write_text(json.dumps(manifest))
    for verb in (_campaign(tmp_path, random_state=None).run, lambda: load_campaign(tmp_path)):
        with pytest.raises(ValueError, match=r"manifest\.json is damaged or was edited"):
            verb()


def test_n_jobs_backend_and_verbose_may_change_between_runs(tmp_path):
    _campaign(tmp_path, n_jobs=1).run(max_chunks=1)
    summary = _campaign(tmp_path, n_jobs=2, backend="threading", verbose=1).run()
    assert summary.complete


def test_explicit_theta(tmp_path):
    theta = np.random.default_rng(3).normal(size=(20, 3))
    campaign = _campaign(tmp_path, prior=None, n_simulations=None, theta=theta, chunk_size=6)
    campaign.run()
    result = campaign.load()
    np.testing.assert_array_equal(result.theta, theta)
    np.testing.assert_array_equal(result.seed, _seeds(11, 20))
    for i in (0, 19):
        np.testing.assert_array_equal(
            result.x[i], SIMULATOR(theta[i], random_state=int(result.seed[i]))
        )
    shifted = theta.copy()
    shifted[4, 1] += 1e-12
    with pytest.raises(ValueError, match="theta"):
        _campaign(tmp_path, prior=None, n_simulations=None, theta=shifted, chunk_size=6).run()


def test_simulator_cannot_alter_the_stored_theta(tmp_path):
    campaign = _campaign(tmp_path, simulator=theta_mutating_simulator)
    campaign.run()
    result = campaign.load()
    assert np.all(result.theta[:, 2] > 0)  # prior draws in (0, 2), not the zeros written
    reference = _campaign(tmp_path / "ref")
    reference.run()
    _assert_identical(result, reference.load())


# ------------------------------------------------------------------------------ failures


def test_failures_are_recorded_and_left_out_of_training_data(tmp_path):
    campaign = _campaign(tmp_path, simulator=flaky_simulator, n_simulations=200, chunk_size=32)
    summary = campaign.run()
    everything = campaign.load(include_failed=True)
    theta = everything.theta
    raises, non_finite = theta[:, 0] > 0.6, (theta[:, 0] <= 0.6) & (theta[:, 1] < -0.6)
    assert raises.sum() > 10 and non_finite.sum() > 10  # both kinds occur at this seed
    np.testing.assert_array_equal(everything.status[raises], SimulationStatus.SIMULATOR_ERROR)
    np.testing.assert_array_equal(everything.status[non_finite], SimulationStatus.NON_FINITE)
    ok = ~(raises | non_finite)
    np.testing.assert_array_equal(everything.status[ok], SimulationStatus.OK)
    assert all(
        m.startswith("RuntimeError: solver diverged at theta[0]=")
        for m in everything.message[raises]
    )
    assert all("test_campaign.py" in m for m in everything.message[raises])
    assert all(
        m == "output has 1 NaN and 0 infinite values among 2"
        for m in everything.message[non_finite]
    )
    assert set(everything.message[ok]) == {""}
    assert np.all(np.isnan(everything.x[raises]))
    assert np.all(np.isnan(everything.x[non_finite][:, 0]))  # kept for inspection
    # failures keep their parameters and seeds, and successes match the plain simulator
    reference = _campaign(tmp_path / "reference", n_simulations=200, chunk_size=32)
    reference.run()
    expected = reference.load()
    np.testing.assert_array_equal(theta, expected.theta)
    np.testing.assert_array_equal(everything.seed, expected.seed)
    np.testing.assert_array_equal(everything.x[ok], expected.x[ok])

    training = campaign.load()
    assert len(training) == ok.sum()
    assert np.all(np.isfinite(training.x)) and np.all(training.status == 0)
    np.testing.assert_array_equal(training.index, np.flatnonzero(ok))
    assert summary.n_failed == (~ok).sum() and summary.n_succeeded == ok.sum()
    assert summary.failures == {
        "SIMULATOR_ERROR": int(raises.sum()),
        "NON_FINITE": int(non_finite.sum()),
    }


def test_outputs_breaking_the_protocol_are_invalid(tmp_path):
    # rows: regular, too long (theta0 > 0.5), 2-D (theta0 < -0.8), regular, ...
    first = np.tile([[0.0], [0.9], [-0.9], [0.1]], (5, 1))
    theta = np.column_stack([first, np.zeros((20, 2))])
    campaign = _campaign(
        tmp_path, simulator=ragged_simulator, prior=None, n_simulations=None, theta=theta
    )
    campaign.run()
    result = campaign.load(include_failed=True)
    long_, flat = theta[:, 0] > 0.5, theta[:, 0] < -0.8
    # the first successful output (sample 0) fixes the length to 2
    assert result.x.shape == (20, 2)
    np.testing.assert_array_equal(result.status[long_], SimulationStatus.INVALID_OUTPUT)
    np.testing.assert_array_equal(result.status[flat], SimulationStatus.INVALID_OUTPUT)
    np.testing.assert_array_equal(result.status[~(long_ | flat)], SimulationStatus.OK)
    assert "expected an output of length 2" in result.message[1]
    assert "got length 4" in result.message[1]
    assert "got shape (1, 2)" in result.message[2]
    assert np.all(np.isnan(result.x[long_ | flat]))
    assert len(campaign.load()) == 10


def test_chunks_stored_before_the_first_success_are_padded(tmp_path):
    # every sample of chunk 0 raises; later chunks succeed
    theta = np.column_stack([np.r_[np.full(8, 0.9), np.zeros(8)], np.zeros((16, 2))])
    campaign = _campaign(
        tmp_path, simulator=flaky_simulator, prior=None, n_simulations=None, theta=theta
    )
    campaign.run(max_chunks=1)
    assert campaign.load(include_failed=True).x.shape == (8, 0)
    campaign.run()
    result = campaign.load(include_failed=True)
    assert result.x.shape == (16, 2)
    assert np.all(np.isnan(result.x[:8])) and np.all(np.isfinite(result.x[8:]))


# ------------------------------------------------------------------------------ storage


def test_consolidate_round_trip(tmp_path):
    campaign = _campaign(tmp_path / "campaign", simulator=flaky_simulator)
    campaign.run(max_chunks=2)
    with pytest.raises(ValueError, match="pending samples"):
        campaign.consolidate(tmp_path / "all.h5")
    assert not (tmp_path / "all.h5").exists()
    consolidate_campaign(tmp_path / "campaign", tmp_path / "partial.h5", allow_incomplete=True)
    assert len(load_campaign(tmp_path / "partial.h5", include_failed=True)) == 16
    campaign.run()
    out = campaign.consolidate(tmp_path / "all.h5")
    assert out == tmp_path / "all.h5"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    for include_failed in (False, True):
        _assert_identical(
            load_campaign(out, include_failed=include_failed),
            load_campaign(tmp_path / "campaign", include_failed=include_failed),
        )
    with h5py.File(out, "r") as file:
        assert set(file) == set(FIELDS)
        assert json.loads(file.attrs["manifest"])["config"]["n_simulations"] == 45


def test_manifest_records_the_configuration(tmp_path):
    _campaign(tmp_path).run(max_chunks=1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    config = manifest["config"]
    assert manifest["seed"] == 11 and manifest["format"] == "crsbi-campaign"
    assert (config["n_simulations"], config["chunk_size"], config["n_chunks"]) == (45, 8, 6)
    assert config["theta_dim"] == 3 and config["theta"] is None
    assert config["simulator"]["partial"] == {
        "callable": "crsbi.inference.gaussian_linear.simulate_gaussian_linear"
    }
    assert config["prior"]["object"] == "crsbi.core.campaign.BoxPrior"
    assert "crsbi_version" in manifest


def test_a_second_concurrent_run_is_refused(tmp_path):
    import fcntl

    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".lock", "w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RuntimeError, match="Another process is running"):
            _campaign(tmp_path).run()
    assert _campaign(tmp_path).run().complete


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No campaign"):
        load_campaign(tmp_path)
    with pytest.raises(FileNotFoundError, match="No campaign"):
        _campaign(tmp_path).load()
    assert _campaign(tmp_path).summary().n_pending == 45
    (tmp_path / "manifest.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match=r"not written by crsbi\.core\.campaign"):
        load_campaign(tmp_path)


def test_chunks_without_a_manifest_are_not_adopted(tmp_path):
    _campaign(tmp_path).run(max_chunks=2)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(ValueError, match=r"2 chunk files but no manifest\.json"):
        _campaign(tmp_path, chunk_size=4).run()


def _overwrite(path, offset, data):
    """Damage a file in place, as a disk or a faulty copy would."""
    with open(path, "r+b") as file:
        file.seek(offset)
        file.write(data)


INF = struct.pack("<d", np.inf)


@pytest.mark.parametrize("where", ["middle", "x", "header"])
def test_a_corrupted_chunk_is_refused_by_name(tmp_path, where):
    reference = _campaign(tmp_path / "reference")
    reference.run()
    campaign = _campaign(tmp_path / "campaign")
    campaign.run(max_chunks=3)
    path = tmp_path / "campaign" / "chunks" / "chunk_000001.h5"
    data = path.read_bytes()
    offset = {
        "middle": len(data) // 2,
        "x": data.find(campaign.load().x[8].tobytes()),  # the first sample of chunk 1
        "header": 20,  # inside the stored digest
    }[where]
    assert offset > 0
    _overwrite(path, offset, INF)
    message = (
        r"chunk_000001\.h5 is damaged: its bytes do not match the SHA-256 checksum(.|\n)*"
        r"Delete \S*chunk_000001\.h5 and run the campaign again"
    )
    for verb in (campaign.load, campaign.summary, lambda: load_campaign(tmp_path / "campaign")):
        with pytest.raises(ValueError, match=message):
            verb()
    # the remedy: delete the chunk, run again; it comes back identical
    path.unlink()
    assert campaign.run().n_run == 45 - 16
    _assert_identical(campaign.load(include_failed=True), reference.load(include_failed=True))


def test_every_damaged_chunk_is_named_at_once(tmp_path):
    campaign = _campaign(tmp_path)
    campaign.run()
    for chunk in (0, 4):
        path = tmp_path / "chunks" / f"chunk_{chunk:06d}.h5"
        _overwrite(path, path.stat().st_size // 2, INF)
    with pytest.raises(ValueError, match=r"2 chunk files of .* are damaged") as error:
        load_campaign(tmp_path)
    assert "chunk_000000.h5 is damaged" in str(error.value)
    assert "chunk_000004.h5 is damaged" in str(error.value)


def test_a_corrupted_consolidated_file_is_refused(tmp_path):
    campaign = _campaign(tmp_path / "campaign")
    campaign.run()
    out = campaign.consolidate(tmp_path / "all.h5")
    _overwrite(out, out.stat().st_size // 2, INF)
    with pytest.raises(ValueError, match=r"all\.h5 is damaged(.|\n)*consolidate_campaign"):
        load_campaign(out)


def _strip_checksum(path):
    """Write a chunk file again as crsbi did before checksums: plain HDF5, no user block."""
    arrays = store.read_chunk(path)
    attrs = arrays.pop("attrs")
    with h5py.File(path, "w") as file:
        store._to_hdf5(file, arrays)
        file.attrs.update(attrs)


def _rewrite_as_format_1(root):
    """Turn a store into one written by crsbi before checksums and attribute fingerprints."""
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["format_version"] = 1
    del manifest["fingerprint"]
    manifest["config"] = store._legacy_description(manifest["config"])
    (root / "manifest.json").write_text(json.dumps(manifest))
    for path in store.completed_chunks(root).values():
        _strip_checksum(path)


def test_stores_of_format_version_1_are_read_and_resumed(tmp_path):
    reference = _campaign(tmp_path / "reference", simulator=AttributeSimulator())
    reference.run()
    campaign = _campaign(tmp_path / "old", simulator=AttributeSimulator())
    campaign.run(max_chunks=2)
    _rewrite_as_format_1(tmp_path / "old")
    with pytest.warns(UserWarning, match="recorded only the class and repr"):
        assert campaign.run().n_run == 45 - 16
    with pytest.warns(UserWarning, match="recorded only the class and repr"):
        _assert_identical(campaign.load(include_failed=True), reference.load(include_failed=True))
    # a chunk without a checksum does not belong in a store of format version 2
    _strip_checksum(tmp_path / "reference" / "chunks" / "chunk_000002.h5")
    with pytest.raises(ValueError, match=r"chunk_000002\.h5 carries no checksum"):
        reference.load()


def test_a_damaged_chunk_is_reported_by_name(tmp_path):
    campaign = _campaign(tmp_path)
    campaign.run(max_chunks=2)
    (tmp_path / "chunks" / "chunk_000001.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=r"chunk_000001\.h5 is not a readable HDF5 file"):
        campaign.load()


# ------------------------------------------------------------------------------ summary, progress


def test_summary_and_progress_bar(tmp_path, capsys):
    summary = _campaign(tmp_path / "quiet", verbose=0).run()
    assert capsys.readouterr().err == ""
    assert summary.n_run == 45 and summary.elapsed_s > 0
    assert summary.throughput == pytest.approx(45 / summary.elapsed_s)
    assert summary.simulator_time_s > 0
    as_dict = summary.as_dict()
    json.dumps(as_dict)
    assert as_dict["n_done"] == 45 and as_dict["n_failed"] == 0 and as_dict["complete"]
    assert "45/45 simulations stored (0 failed, 0 pending)" in str(summary)

    _campaign(tmp_path / "loud", verbose=1).run()
    assert "campaign loud" in capsys.readouterr().err

    idle = _campaign(tmp_path / "quiet").summary()
    assert idle.n_run == 0 and np.isnan(idle.throughput) and idle.n_done == 45


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prior": None}, ValueError, "exactly one source of parameters"),
        ({"theta": np.zeros((4, 3))}, ValueError, "exactly one source of parameters"),
        ({"n_simulations": None}, ValueError, "n_simulations must be given"),
        ({"n_simulations": 0}, ValueError, "'n_simulations' parameter of Campaign"),
        ({"chunk_size": 0}, ValueError, "'chunk_size' parameter of Campaign must be an int"),
        ({"chunk_size": 2.5}, TypeError, "'chunk_size' parameter"),
        ({"backend": "mpi"}, ValueError, "'backend' parameter of Campaign must be one of"),
        ({"n_jobs": 0}, ValueError, "'n_jobs' parameter"),
        ({"backend": "dask", "n_jobs": 2}, ValueError, "n_jobs must be None or -1"),
        ({"scheduler_address": "tcp://127.0.0.1:1"}, ValueError, "only with backend='dask'"),
        ({"random_state": np.random.default_rng(0)}, TypeError, "Generator"),
        ({"random_state": -1}, ValueError, "non-negative int"),
        ({"verbose": -1}, ValueError, "'verbose' parameter"),
        ({"simulator": "simulate"}, TypeError, "simulator must be a callable"),
        ({"prior": object()}, TypeError, r"sample\(n, random_state=generator\)"),
        ({"prior": lambda: None}, TypeError, "sample"),
    ],
)
def test_invalid_parameters(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        _campaign(tmp_path, **kwargs).run()
    assert not (tmp_path / "manifest.json").exists()


class _WrongShapePrior:
    def sample(self, n, random_state=None):
        return np.zeros(n)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"theta": np.zeros(5)}, r"shape \(n_simulations, n_params\)"),
        ({"theta": np.full((3, 2), np.nan)}, "NaN"),
        ({"theta": np.zeros((3, 2)), "n_simulations": 4}, "does not match theta"),
        ({"prior": _WrongShapePrior()}, r"shape \(n, n_params\)"),
    ],
)
def test_invalid_parameter_arrays(tmp_path, kwargs, match):
    options = {"prior": None, "n_simulations": None} if "theta" in kwargs else {}
    with pytest.raises(ValueError, match=match):
        _campaign(tmp_path, **{**options, **kwargs}).run()


# ------------------------------------------------------------------------------ kill -9

KILL_SCRIPT = textwrap.dedent(
    """
    import glob, os, sys, time
    from functools import partial

    from crsbi.core.campaign import BoxPrior, Campaign
    from crsbi.inference import simulate_gaussian_linear


    def slow_gaussian(theta, *, random_state=None, delay=0.0):
        hold = os.environ.get("HOLD_AT_CHUNKS")
        if hold and len(glob.glob(os.path.join(sys.argv[1], "chunks", "chunk_*.h5"))) >= int(hold):
            time.sleep(60)  # never store more than HOLD_AT_CHUNKS chunks, however late the kill
        time.sleep(delay)
        return simulate_gaussian_linear(theta, noise_std=0.1, random_state=random_state)


    if __name__ == "__main__":
        if os.environ.get("HANG_BEFORE_RENAME"):
            # stop between writing a chunk's temporary file and renaming it into place
            real_replace = os.replace

            def hanging_replace(source, destination):
                if str(destination).endswith(".h5"):
                    print("RENAMING", flush=True)
                    time.sleep(60)
                real_replace(source, destination)

            os.replace = hanging_replace
        campaign = Campaign(
            partial(slow_gaussian, delay=0.005),
            sys.argv[1],
            prior=BoxPrior([-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]),
            n_simulations=60,
            chunk_size=4,
            random_state=7,
            verbose=0,
        )
        print("STARTED", flush=True)
        campaign.run()
        print("DONE", flush=True)
    """
)
KILL_N, KILL_CHUNK = 60, 4


def _launch(script, path, **env):
    return subprocess.Popen(
        [sys.executable, str(script), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _wait_for_line(proc, expected, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if line.strip() == expected:
                return
            if line == "":
                break
    pytest.fail(f"no {expected!r} from the campaign process: {proc.stderr.read()}")


def _kill(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def _check_store(path, previously_done):
    """The store opens cleanly after a kill, and kept every chunk it had."""
    result = load_campaign(path, include_failed=True)
    done = len(result)
    assert done >= previously_done
    assert done % KILL_CHUNK == 0 or done == KILL_N
    np.testing.assert_array_equal(result.index, np.arange(done))  # n_jobs=1: a prefix
    assert np.all(result.status == SimulationStatus.OK)
    for chunk_file in (path / "chunks").glob("chunk_*.h5"):
        with h5py.File(chunk_file, "r") as file:
            assert len(file["x"]) == KILL_CHUNK
    return done


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_minus_nine_at_any_moment_then_resume_is_bit_identical(tmp_path):
    script = tmp_path / "campaign_script.py"
    script.write_text(KILL_SCRIPT)
    path = tmp_path / "killed"
    rng = np.random.default_rng(2024)
    done, partial_kills = 0, 0

    # 1. during start-up or the first chunks, at a random moment (at most 2 chunks get stored)
    proc = _launch(script, path, HOLD_AT_CHUNKS="2")
    time.sleep(rng.uniform(0.0, 0.8))
    _kill(proc)
    if (path / "manifest.json").exists():
        done = _check_store(path, done)

    # 2. after k chunks are stored, plus a random fraction of a chunk's time; the process holds
    #    once k + 1 chunks are stored, so a starved test process (loaded CI machine) cannot let the
    #    campaign run to completion before the kill
    for k in (2, 4, 7):
        proc = _launch(script, path, HOLD_AT_CHUNKS=str(k + 1))
        deadline = time.monotonic() + 30
        while len(store.completed_chunks(path)) < k and proc.poll() is None:
            assert time.monotonic() < deadline, "the campaign made no progress"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.02))
        _kill(proc)
        done = _check_store(path, done)
        partial_kills += 0 < done < KILL_N

    # 3. in the middle of a chunk write: its temporary file exists, the rename has not happened
    proc = _launch(script, path, HANG_BEFORE_RENAME="1")
    _wait_for_line(proc, "STARTED")
    _wait_for_line(proc, "RENAMING")
    _kill(proc)
    leftovers = list((path / "chunks").glob(".*.tmp"))
    assert len(leftovers) == 1
    done_before = done
    done = _check_store(path, done)
    assert done == done_before  # the chunk in flight is lost, nothing else
    partial_kills += 0 < done < KILL_N
    assert partial_kills >= 3  # the kills did land mid-campaign

    # 4. resume to completion
    proc = _launch(script, path)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "DONE" in stdout
    assert not list(path.rglob("*.tmp"))

    reference = Campaign(
        partial(simulate_gaussian_linear, noise_std=0.1),
        tmp_path / "reference",
        prior=BoxPrior([-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]),
        n_simulations=KILL_N,
        chunk_size=KILL_CHUNK,
        random_state=7,
        verbose=0,
    )
    reference.run()
    _assert_identical(load_campaign(path, include_failed=True), reference.load(include_failed=True))


ORPHAN_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from functools import partial

    from crsbi.core.campaign import BoxPrior, Campaign
    from crsbi.inference import simulate_gaussian_linear


    def recording_gaussian(theta, *, random_state=None, pid_dir=""):
        open(os.path.join(pid_dir, str(os.getpid())), "a").close()
        time.sleep(0.02)
        return simulate_gaussian_linear(theta, noise_std=0.1, random_state=random_state)


    if __name__ == "__main__":
        Campaign(
            partial(recording_gaussian, pid_dir=sys.argv[2]),
            sys.argv[1],
            prior=BoxPrior([-1.0], [1.0]),
            n_simulations=100_000,
            chunk_size=4,
            n_jobs=2,
            random_state=3,
            verbose=0,
        ).run()
    """
)


def _children(pid):
    """Processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid):
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc (Linux)")
def test_kill_minus_nine_leaves_no_worker_behind(tmp_path):
    script = tmp_path / "orphans.py"
    script.write_text(ORPHAN_SCRIPT)
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    with open(tmp_path / "stderr.txt", "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "campaign"), str(pid_dir)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    spawned = set()
    try:
        deadline = time.monotonic() + 60
        workers = set()
        while len(workers) < 2:  # both workers are simulating
            assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "the campaign's workers did not start"
            time.sleep(0.05)
            workers = {int(path.name) for path in pid_dir.iterdir()} - {proc.pid}
        spawned = workers | _children(proc.pid)  # with loky's resource tracker
        assert workers <= _children(proc.pid)
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in spawned) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = {pid for pid in spawned if _running(pid)}
        assert not survivors, f"processes left running after kill -9 of the campaign: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pid in spawned:  # never leave the test's own processes behind
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
