"""The crsbi command line and the demo registry."""

import os
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

from crsbi import __version__, cli
from crsbi.cli import main
from crsbi.core.campaign import load_campaign
from crsbi.demos import available_steps, register


def test_version_via_python_m():
    out = subprocess.run(
        [sys.executable, "-m", "crsbi", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"crsbi {__version__}"


def test_info_lists_versions_device_and_data(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for key in ("crsbi:", "torch:", "sbi:", "scikit-learn:", "device (auto):", "data directory:"):
        assert key in out


def test_info_reports_missing_data(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path / "nope"))
    assert main(["info"]) == 0
    assert "data directory: not found" in capsys.readouterr().out


def test_demo_list(capsys):
    assert main(["demo", "--list"]) == 0
    assert "training-core" in capsys.readouterr().out


def test_unknown_step_is_one_clear_line_and_nonzero(capsys):
    assert main(["demo", "--steps", "no-such-step"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("crsbi: error: Unknown demo step")


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_demo_command_end_to_end(tmp_path):
    # a fresh interpreter, like a user's `crsbi demo` (and not slowed by a long-lived worker)
    result = subprocess.run(
        [sys.executable, "-m", "crsbi", "demo", "--output-dir", str(tmp_path), "--verbose", "0"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        env={**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert "demo finished" in out
    # "   key (padded to 32)  value[  | VERDICT (target ...)]": keys may be longer than the
    # padding; "     note: ..." lines explain a failed verdict
    figures, verdicts = {}, {}
    for line in out.splitlines():
        if line.startswith("   ") and not line.lstrip().startswith("note:"):
            figure, _, verdict = line.partition(" | ")
            key, _, value = figure.strip().rpartition(" ")
            figures[key.strip()] = value
            if verdict:
                verdicts[key.strip()] = verdict.split(" (")[0]
    # every targeted figure carries a verdict, and the summary line counts them
    assert set(verdicts.values()) <= {"PASS", "FAIL", "NOT COMPARABLE"}
    assert len(verdicts) >= 10
    counts = {v: list(verdicts.values()).count(v) for v in ("PASS", "FAIL", "NOT COMPARABLE")}
    summary = f"demo verdicts: {counts['PASS']} PASS, {counts['FAIL']} FAIL, "
    assert summary + f"{counts['NOT COMPARABLE']} NOT COMPARABLE" in out
    # the generative step's tiny training cannot reach the floor: it must say so
    assert verdicts["distance generated vs simulated"] == "FAIL"
    assert "note: the demo trains for 6 epochs" in out
    # training core: with noise sigma the best possible R^2 is 1 - sigma^2 / Var(y)
    ceiling = float(figures["noise ceiling R^2"])
    assert ceiling - 0.03 < float(figures["test R^2"]) <= ceiling + 0.02
    assert (tmp_path / "training_core_history.png").stat().st_size > 1000
    # the Gaussian linear posterior is known: NPE and emcee must both find it
    assert float(figures["NPE mean error [post. sigma]"]) < 0.5
    assert float(figures["emcee mean error [post. sigma]"]) < 0.2
    assert float(figures["NPE vs emcee C2ST (0.5 = same)"]) < 0.65
    assert figures["calibrated (alpha=0.01)"] == "True"
    assert (tmp_path / "inference_coverage.png").is_file()
    report = (tmp_path / "report.md").read_text()
    for name in ("## training-core", "## inference", "## surrogate"):
        assert name in report
    assert "| figure | value | target | verdict |" in report
    assert summary in report
    assert "![inference_coverage.png](inference_coverage.png)" in report
    # surrogate of real (small) test-particle runs: error within ~2.5x the label noise
    assert float(figures["hold-out relative error"]) < 2.5 * float(
        figures["label noise (rms D_err/D)"]
    )
    assert float(figures["speed-up vs this simulator"]) > 1e3
    # classification: three transport classes, chance 1/3
    assert float(figures["test accuracy (chance 1/3)"]) > 0.7
    assert (tmp_path / "classification_confusion_saliency.png").is_file()
    # inversion: the spectral slope delta is learned to better than 10 % from 1500 spectra
    assert float(figures["delta: 68% half-width of rel. error [%]"]) < 10
    assert float(figures["hold-out R^2 (whitened, mean)"]) > 0.3
    assert (tmp_path / "inversion_spectra.png").is_file()
    # anisotropy: 400 fresh null maps at alpha = 0.01 (threshold from 299 maps: 3/300)
    assert float(figures["CNN false-positive rate (alpha 0.01, fresh maps)"]) < 0.04
    assert 0 <= float(figures["CNN power at eta = 0.15"]) <= 1
    assert (tmp_path / "anisotropy_statistic.png").is_file()


def test_registry_rejects_a_second_step_with_the_same_name():
    available_steps()  # imports the step modules, registering "training-core"
    with pytest.raises(ValueError, match="already registered"):
        register("training-core", description="again")(lambda context: {})
    names = [step.name for step in available_steps()]
    assert names == sorted(set(names), key=names.index)  # no duplicates


def test_import_is_light():
    code = "import sys, crsbi; print('torch' in sys.modules, 'sbi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    code = "import crsbi; print(crsbi.NeuralRegressor.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "NeuralRegressor"


def test_every_public_name_resolves():
    import crsbi

    for name in crsbi.__all__:
        assert getattr(crsbi, name) is not None, name


def _fake_step(monkeypatch, figures, targets):
    from crsbi.demos import _REGISTRY, DemoStep

    available_steps()
    step = DemoStep("verdict-fake", "a fake step", lambda context: dict(figures), 999, targets)
    monkeypatch.setitem(_REGISTRY, step.name, step)
    return step


def test_demo_prints_verdicts_and_a_summary_that_counts_them(monkeypatch, tmp_path):
    from crsbi.core.verdict import Target
    from crsbi.demos import run_demo

    figures = {"error": 4.495, "floor": 0.125, "R^2": 0.95, "ok": True, "speed": float("nan")}
    targets = {
        "error": lambda f: Target.at_most(2 * f["floor"], "2x the floor", note="far too short"),
        "R^2": Target.at_least(0.9),
        "ok": Target.equal(True),
        "speed": Target.at_least(1e3),
        "absent": Target.at_most(1.0),
    }
    _fake_step(monkeypatch, figures, targets)
    lines = []
    results = run_demo(["verdict-fake"], output_dir=tmp_path, verbose=0, echo=lines.append)
    out = "\n".join(lines)
    line = {key: next(x for x in lines if x.startswith(f"   {key} ")) for key in figures}
    assert "| FAIL (target <= 0.25: 2x the floor)" in line["error"]
    assert "| PASS (target >= 0.9)" in line["R^2"]
    assert "| PASS" in line["ok"]
    assert "| NOT COMPARABLE" in line["speed"]
    assert " | " not in line["floor"]  # untargeted figures carry no verdict
    assert "figure missing" in out  # a target for a figure the step did not return
    assert "     note: far too short" in lines
    assert "demo verdicts: 2 PASS, 1 FAIL, 2 NOT COMPARABLE" in lines
    verdicts = results[0].verdicts
    assert [str(verdicts[k]) for k in ("error", "R^2", "ok")] == ["FAIL", "PASS", "PASS"]
    report = (tmp_path / "report.md").read_text()
    assert "**demo verdicts: 2 PASS, 1 FAIL, 2 NOT COMPARABLE**" in report
    assert "| error | 4.495 | <= 0.25 (2x the floor) | **FAIL** |" in report
    assert "| floor | 0.125 |  |  |" in report
    assert "*Note:* far too short" in report


def test_a_target_that_cannot_be_computed_is_not_comparable(monkeypatch, tmp_path):
    from crsbi.core.verdict import Target
    from crsbi.demos import run_demo

    targets = {"error": lambda f: Target.at_most(f["no such figure"])}
    _fake_step(monkeypatch, {"error": 1.0}, targets)
    lines = []
    results = run_demo(["verdict-fake"], output_dir=tmp_path, verbose=0, echo=lines.append)
    assert results[0].verdicts["error"].status == "NOT COMPARABLE"
    assert "demo verdicts: 0 PASS, 0 FAIL, 1 NOT COMPARABLE" in lines


def test_every_demo_step_declares_targets():
    for step in available_steps():
        assert step.targets, step.name


# ------------------------------------------------------------ the configured workflow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: a toy with a known answer: x = theta + N(0, 0.1^2), uniform prior on [-1, 1]^2
WORKFLOW = """
[simulate]
simulator = "gaussian_linear"
output = "runs/train"
n_simulations = 600
seed = 1
chunk_size = 100
verbose = 0
[simulate.options]
n_params = 2
noise_std = 0.1

[train]
output = "models/npe.joblib"
test_fraction = 0.1
verbose = 0
[train.params]
hidden_features = 24
num_transforms = 2
batch_size = 64
learning_rate = 2e-3
max_epochs = 80
patience = 10

[calibrate]
output = "runs/heldout"
n_simulations = 100
seed = 2
n_posterior_samples = 200
report = "calibration.md"
verbose = 0
"""


def _run(*argv):
    """``crsbi argv`` in this process: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def _ok(*argv):
    status, out, err = _run(*argv)
    assert status == 0, err
    return out


def _fails(*argv):
    """Run a command that must fail; return its one-line error message."""
    status, _, err = _run(*argv)
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("crsbi: error: ")
    return lines[0][len("crsbi: error: ") :]


def _value(out, prefix):
    line = next(line for line in out.splitlines() if line.startswith(prefix))
    return line[len(prefix) :].split()[0]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Train and sample on one thread: as fast here, and steady on a shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """Simulate (interrupted once) and train the toy workflow, once for this module."""
    folder = tmp_path_factory.mktemp("workflow")
    config = folder / "workflow.toml"
    config.write_text(WORKFLOW)
    first = _ok("simulate", config, "--max-chunks", 2)
    resumed = _ok("simulate", config)
    trained = _ok("train", config)
    return {
        "folder": folder,
        "config": config,
        "model": folder / "models" / "npe.joblib",
        "simulate": (first, resumed),
        "train": trained,
    }


GALACTIC = """
[simulate]
simulator = "galactic"
output = "{output}"
n_simulations = 30
seed = 7
chunk_size = 8
verbose = 0
[simulate.options]
phi = 0.5
[simulate.prior]
D0 = [3.0, 6.0]
"""


def test_simulate_galactic_resumes_to_the_uninterrupted_result(tmp_path):
    interrupted = tmp_path / "interrupted.toml"
    interrupted.write_text(GALACTIC.format(output="runs/a"))
    straight = tmp_path / "straight.toml"
    straight.write_text(GALACTIC.format(output="runs/b"))

    out = _ok("simulate", interrupted, "--max-chunks", 1)
    assert "8/30 simulations stored (0 failed, 22 pending)" in out
    assert "run the same command again to continue" in out
    assert len(load_campaign(tmp_path / "runs" / "a")) == 8
    out = _ok("simulate", interrupted, "--max-chunks", 2)
    assert "resuming: 8 already stored" in out
    out = _ok("simulate", interrupted)
    assert "30/30 simulations stored (0 failed, 0 pending)" in out
    assert "campaign complete" in out
    assert "ran 0" not in _ok("simulate", interrupted)  # complete: nothing left to run
    _ok("simulate", straight)

    resumed = load_campaign(tmp_path / "runs" / "a", include_failed=True)
    reference = load_campaign(tmp_path / "runs" / "b", include_failed=True)
    assert len(resumed) == 30
    for name in ("index", "theta", "x", "seed", "status"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(reference, name))
    assert resumed.x.shape == (30, 5 * 84)
    # the prior: D0 from the file, the other parameters from PRIOR_BOUNDS
    from crsbi.propagation.galactic import PRIOR_BOUNDS

    assert resumed.theta[:, 0].min() >= 3.0 and resumed.theta[:, 0].max() <= 6.0
    assert resumed.theta[:, 0].max() - resumed.theta[:, 0].min() > 1.5
    low, high = PRIOR_BOUNDS["z_h"]
    assert low <= resumed.theta[:, 4].min() and resumed.theta[:, 4].max() <= high
    assert resumed.theta[:, 4].max() - resumed.theta[:, 4].min() > 0.5 * (high - low)

    # the same directory with another configuration is refused, the store left intact
    interrupted.write_text(GALACTIC.format(output="runs/a").replace("phi = 0.5", "phi = 0.6"))
    message = _fails("simulate", interrupted)
    assert "phi" in message
    np.testing.assert_array_equal(load_campaign(tmp_path / "runs" / "a").x, reference.x)


def test_simulate_interrupted_by_ctrl_c_keeps_what_it_stored(tmp_path):
    import signal

    config = tmp_path / "long.toml"
    config.write_text(
        GALACTIC.format(output="runs/long")
        .replace("n_simulations = 30", "n_simulations = 4000")
        .replace("chunk_size = 8", "chunk_size = 50")
    )
    chunks = tmp_path / "runs" / "long" / "chunks"
    process = subprocess.Popen(
        [sys.executable, "-m", "crsbi", "simulate", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    deadline = time.monotonic() + 120
    while len(list(chunks.glob("chunk_*.h5"))) < 2 and process.poll() is None:
        assert time.monotonic() < deadline, "no chunk written in 120 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "run the same command again to resume" in err
    assert err.strip().endswith("crsbi: interrupted")
    stored = load_campaign(tmp_path / "runs" / "long")
    n_chunks = len(stored) // 50
    assert 2 <= n_chunks < 80 and len(stored) == 50 * n_chunks

    # what was stored equals the same chunks of an uninterrupted run, and the run resumes
    reference = tmp_path / "reference.toml"
    reference.write_text(config.read_text().replace("runs/long", "runs/reference"))
    _ok("simulate", reference, "--max-chunks", n_chunks)
    expected = load_campaign(tmp_path / "runs" / "reference")
    np.testing.assert_array_equal(stored.x, expected.x)
    np.testing.assert_array_equal(stored.theta, expected.theta)
    out = _ok("simulate", config, "--max-chunks", 1)
    assert f"resuming: {len(stored)} already stored" in out
    assert f"{len(stored) + 50}/4000 simulations stored" in out


def test_simulate_diffusion_draws_from_the_log_box(tmp_path):
    config = tmp_path / "diffusion.toml"
    config.write_text(
        '[simulate]\nsimulator = "diffusion"\noutput = "runs/d"\nn_simulations = 4\n'
        "chunk_size = 2\nverbose = 0\n[simulate.options]\nn_particles = 40\nn_waves = 16\n"
        "n_steps = 100\n[simulate.prior]\nb = [0.2, 0.5]\n"
    )
    out = _ok("simulate", config)
    assert "4/4 simulations stored (0 failed, 0 pending)" in out
    data = load_campaign(tmp_path / "runs" / "d")
    assert data.x.shape == (4, 6)
    assert np.all((data.theta[:, 1] >= 0.2) & (data.theta[:, 1] <= 0.5))
    assert np.all((data.theta[:, 0] >= 1e-2) & (data.theta[:, 0] <= 10))
    assert np.all(data.x[:, 0] > 0)  # D_perp
    manifest = data.manifest["config"]["simulator"]
    assert "'n_particles': 40" in str(manifest) or '"n_particles": 40' in str(manifest)


def test_simulate_reports_when_every_simulation_fails(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(
        '[simulate]\nsimulator = "diffusion"\noutput = "runs/bad"\nn_simulations = 2\n'
        "chunk_size = 2\nverbose = 0\n[simulate.options]\nn_particles = -5\n"
    )
    message = _fails("simulate", config)
    assert message.startswith("Every stored simulation failed")
    assert "n_particles" in message


def test_simulate_train_round_trip(workflow):
    first, resumed = workflow["simulate"]
    assert "200/600 simulations stored" in first
    assert "resuming: 200 already stored" in resumed
    assert "600/600 simulations stored (0 failed, 0 pending)" in resumed
    out = workflow["train"]
    assert "PosteriorEstimator on 540 simulations" in out
    assert float(_value(out, "training time: ")) > 0
    # mean log posterior density of the truth: the exact posterior (width 0.1 in each of the
    # two parameters) gives -log(2 pi 0.1^2) - 1 = +1.8; the prior, log(1/4) = -1.4
    assert 1.0 < float(_value(out, "held-out score: ")) < 2.2

    from crsbi.core import load
    from crsbi.inference import PosteriorEstimator

    model = load(workflow["model"], expected_type=PosteriorEstimator)
    assert model.param_names_ == ["theta_0", "theta_1"]
    np.testing.assert_array_equal(model.prior_low, [-1.0, -1.0])
    assert model.get_params()["num_transforms"] == 2


def test_train_another_estimator(workflow, tmp_path):
    config = tmp_path / "regressor.toml"
    config.write_text(
        f'[train]\nsimulation = "{workflow["config"]}"\noutput = "reg.joblib"\n'
        'estimator = "crsbi.core.neural.NeuralRegressor"\nverbose = 0\n'
        '[train.params]\nmax_epochs = 30\nlr = 0.01\ndevice = "cpu"\n'
    )
    out = _ok("train", config)
    assert "NeuralRegressor on 480 simulations" in out  # test_fraction 0.2 by default
    assert "(R^2 of the parameters; 1 is perfect)" in out
    # x = theta + noise 0.1 with theta uniform on [-1, 1] (variance 1/3): R^2 near 0.97
    assert float(_value(out, "held-out score: ")) > 0.9

    from crsbi.core import load
    from crsbi.core.neural import NeuralRegressor

    assert load(tmp_path / "reg.joblib", expected_type=NeuralRegressor).max_epochs == 30


def test_calibrate_on_held_out_simulations(workflow):
    folder, config = workflow["folder"], workflow["config"]
    out = _ok("calibrate", workflow["model"], config)
    held_out = load_campaign(folder / "runs" / "heldout")
    assert len(held_out) == 100
    assert not np.isin(held_out.theta[:, 0], load_campaign(folder / "runs" / "train").theta).any()
    # the printed figures and verdict are run_calibration's on the same draws
    from crsbi.core import load
    from crsbi.inference import run_calibration

    report = run_calibration(
        load(workflow["model"]),
        held_out.theta,
        held_out.x,
        n_posterior_samples=200,
        c2st=False,
        random_state=2,
    )
    assert f"  HPD credibility KS p-value: {report.hpd_ks_pvalue:.3g}" in out
    for name, p_value in zip(report.param_names, report.sbc_ks_pvalues, strict=True):
        assert f"  {name:<9} {p_value:.3g}" in out
    verdict = _value(out, "verdict: ")
    assert verdict == ("PASS" if report.is_calibrated(0.01) else "FAIL")
    # NPE on this toy is calibrated (the demo checks the same at alpha = 0.01)
    assert verdict == "PASS", out
    assert "Verdict (alpha = 0.01" in (folder / "calibration.md").read_text()


def test_calibrate_refuses_training_simulations(workflow, tmp_path):
    config = tmp_path / "calibrate.toml"
    base = f'[calibrate]\nsimulation = "{workflow["config"]}"\nn_simulations = 20\n'
    config.write_text(base + f'output = "{workflow["folder"] / "runs" / "train"}"\nseed = 3\n')
    assert "[calibrate] output must differ from [simulate] output" in _fails(
        "calibrate", workflow["model"], config
    )
    config.write_text(base + 'output = "elsewhere"\nseed = 1\n')
    assert "[calibrate] seed must differ from [simulate] seed (both 1)" in _fails(
        "calibrate", workflow["model"], config
    )
    assert not (tmp_path / "elsewhere").exists()


def test_infer_writes_netcdf_and_plot_and_finds_the_truth(workflow, tmp_path):
    import arviz as az

    from crsbi.inference import simulate_gaussian_linear

    truth = np.array([0.6, -0.5])
    observation = simulate_gaussian_linear(truth, noise_std=0.1, random_state=123)
    data = tmp_path / "obs.npy"
    np.save(data, observation)
    out_dir = tmp_path / "out"
    out = _ok("infer", workflow["model"], data, "--n-samples", 800, "--output-dir", out_dir)
    idata = az.from_netcdf(out_dir / "posterior.nc")
    assert list(idata.posterior.data_vars) == ["theta_0", "theta_1"]
    draws = np.column_stack([idata.posterior[n].values.ravel() for n in ("theta_0", "theta_1")])
    assert draws.shape == (800, 2)
    mean = draws.mean(axis=0)
    # the posterior mean is near the truth, far closer than the prior mean (0, 0)
    assert np.linalg.norm(mean - truth) < 0.5 * np.linalg.norm(truth)
    assert np.all(np.abs(mean - observation) < 0.1)
    assert (out_dir / "corner.png").stat().st_size > 5000
    # the printed summary is that of the stored draws
    row = next(line for line in out.splitlines() if line.startswith("theta_0 "))
    printed = [float(v) for v in row.split()[1:]]
    expected = [
        draws[:, 0].mean(),
        draws[:, 0].std(ddof=1),
        *np.percentile(draws[:, 0], [5, 95]),
    ]
    np.testing.assert_allclose(printed, expected, rtol=1e-3)
    assert out.splitlines()[1].split() == ["parameter", "mean", "std", "5%", "95%"]
    assert float(_value(out, "wall time: ")) > 0


def test_infer_reads_text_and_csv_and_seeds_the_draws(workflow, tmp_path):
    import arviz as az

    observation = np.array([0.2, 0.3])
    np.savetxt(tmp_path / "obs.txt", observation)
    (tmp_path / "obs.csv").write_text("0.2,0.3\n")

    def draws(data, *seed):
        out_dir = tmp_path / f"{data}-{'-'.join(map(str, seed))}"
        options = ["--n-samples", 50, "--output-dir", out_dir]
        _ok("infer", workflow["model"], tmp_path / data, *options, *seed)
        return az.from_netcdf(out_dir / "posterior.nc").posterior["theta_0"].values

    from_text = draws("obs.txt")
    np.testing.assert_array_equal(from_text, draws("obs.csv"))
    np.testing.assert_array_equal(
        draws("obs.txt", "--random-state", 5), draws("obs.csv", "--random-state", 5)
    )
    assert not np.array_equal(
        draws("obs.txt", "--random-state", 5), draws("obs.txt", "--random-state", 6)
    )


def test_infer_errors(workflow, tmp_path):
    np.save(tmp_path / "two.npy", np.ones((2, 2)))
    assert "holds an array of shape (2, 2)" in _fails(
        "infer", workflow["model"], tmp_path / "two.npy"
    )
    (tmp_path / "obs.dat").write_text("1 2\n")
    assert "must be a .npy, .txt or .csv file" in _fails(
        "infer", workflow["model"], tmp_path / "obs.dat"
    )
    assert "not found" in _fails("infer", workflow["model"], tmp_path / "missing.npy")
    np.save(tmp_path / "three.npy", np.ones(3))
    assert "got shape (3,)" in _fails("infer", workflow["model"], tmp_path / "three.npy")
    assert "is neither a file nor a shipped model" in _fails("infer", "no-such-model", "x.npy")

    from crsbi.core import save
    from crsbi.core.neural import NeuralRegressor

    save(NeuralRegressor(), tmp_path / "regressor.joblib")
    np.save(tmp_path / "obs.npy", np.ones(2))
    assert "gives no posterior" in _fails(
        "infer", tmp_path / "regressor.joblib", tmp_path / "obs.npy"
    )


class _ObservationPosterior:
    """Stands for a shipped model that reads its own data files (as SpectraPosterior does)."""

    def __init__(self):
        self.param_names_ = ["a", "b"]
        self.calls = []

    def read_observation(self, path):
        self.calls.append(("read", Path(path).name))
        return float(Path(path).read_text())

    def to_inference_data(self, observation, n_samples=10, *, random_state=None):
        import arviz as az

        self.calls.append(("infer", n_samples, random_state))
        rng = np.random.default_rng(random_state)
        draws = observation + rng.normal(size=(1, n_samples, 2))
        return az.from_dict(posterior={"a": draws[..., 0], "b": draws[..., 1]})


def test_infer_by_name_with_a_model_that_reads_its_data(tmp_path, monkeypatch):
    import arviz as az

    from crsbi import pretrained

    fake = _ObservationPosterior()
    monkeypatch.setattr(cli, "_pretrained_names", lambda: ["fake-model"])
    monkeypatch.setattr(pretrained, "load", lambda name: fake if name == "fake-model" else None)
    data = tmp_path / "measured.dat"  # any format: the model reads it
    data.write_text("3.0")
    out = _ok("infer", "fake-model", data, "--n-samples", 300, "--random-state", 4,
              "--output-dir", tmp_path / "out")  # fmt: skip
    assert fake.calls == [("read", "measured.dat"), ("infer", 300, 4)]
    idata = az.from_netcdf(tmp_path / "out" / "posterior.nc")
    assert list(idata.posterior.data_vars) == ["a", "b"]
    assert abs(float(_value(out, "a ")) - 3.0) < 0.3
    assert "is neither a file nor a shipped model; shipped models: fake-model" in _fails(
        "infer", "other-model", data
    )
    config = tmp_path / "calibrate.toml"
    config.write_text(WORKFLOW)
    assert "reads its own observations" in _fails("calibrate", "fake-model", config)
    assert not (tmp_path / "runs").exists()  # refused before simulating anything


@pytest.mark.skipif(
    "ams02-bc-break" not in cli._pretrained_names(),
    reason="the shipped model ams02-bc-break is not there yet",
)
def test_infer_with_the_shipped_ams02_model(tmp_path):
    import arviz as az

    from crsbi.core.data import data_dir

    data = data_dir() / "spectra" / "ams02" / "AMS-02_B_C_rigidity.txt"
    started = time.perf_counter()
    out = _ok("infer", "ams02-bc-break", data, "--output-dir", tmp_path)
    assert time.perf_counter() - started < 60
    idata = az.from_netcdf(tmp_path / "posterior.nc")
    names = list(idata.posterior.data_vars)
    from crsbi import pretrained

    assert names == list(pretrained.load("ams02-bc-break").param_names_)
    assert "D0" in names
    for name in names:
        values = idata.posterior[name].values
        assert values.size == 4000 and np.all(np.isfinite(values))
    assert (tmp_path / "corner.png").is_file()
    for name in names:
        assert any(line.startswith(f"{name} ") for line in out.splitlines())


# ------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('n_simulations = "ten"', '[simulate] n_simulations must be an integer >= 1; got "ten"'),
        ("seeed = 1", '[simulate] unknown key "seeed" (did you mean "seed"?)'),
        ("chunk_size = 0", "[simulate] chunk_size must be an integer >= 1; got 0"),
        ('simulator = "galaxy"', '[simulate] simulator must be one of "galactic"'),
        (
            "[simulate.prior]\nD_0 = [1, 2]",
            '[simulate.prior] unknown key "D_0" (did you mean "D0"?)',
        ),
        ("[simulate.prior]\nD0 = [5, 2]", "[simulate.prior] D0 must be a pair [low, high]"),
        ("[simulate.prior]\nD0 = [-5, 2]", "[simulate.prior] the low bounds are invalid"),
        ("[simulate.options]\nphi = -1", "[simulate.options] phi must be a number >= 0; got -1"),
        ('[simulate.options]\nmodel = "papr"', '[simulate.options] model must be one of "paper"'),
        ("[simulate.options]\nnoise = 1", '[simulate.options] unknown key "noise"; allowed keys'),
    ],
)
def test_simulate_config_errors_name_the_key(tmp_path, text, message):
    base = '[simulate]\nsimulator = "galactic"\noutput = "runs"\nn_simulations = 5\n'
    lines = base.splitlines()
    key = text.split()[0]
    if not key.startswith("["):
        lines = [line for line in lines if not line.startswith(key + " ")]
    config = tmp_path / "bad.toml"
    config.write_text("\n".join([*lines, text]) + "\n")
    assert message in _fails("simulate", config)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'simulator = "diffusion"\n[simulate.options]\nn_particle = 5',
            '"n_particle" (did you mean "n_particles"?)',
        ),
        (
            'simulator = "diffusion"\n[simulate.options]\nn_particles = 5.5',
            "[simulate.options] n_particles must be an integer",
        ),
        (
            'simulator = "diffusion"\n[simulate.prior]\nT = [0, 1]',
            "[simulate.prior] T is drawn log-uniformly",
        ),
        (
            'simulator = "gaussian_linear"\n[simulate.options]\nnoise_std = 0',
            "noise_std must be a number > 0; got 0",
        ),
        (
            'simulator = "gaussian_linear"\n[simulate.prior]\ntheta_2 = [0, 1]',
            'unknown key "theta_2"',
        ),
    ],
)
def test_other_simulators_check_their_options(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(f'[simulate]\noutput = "runs"\nn_simulations = 5\n{text}\n')
    assert message in _fails("simulate", config)


def test_missing_and_broken_config_files(tmp_path):
    assert "not found" in _fails("simulate", tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[simulate\n")
    assert "is not valid TOML" in _fails("simulate", broken)
    only_simulate = tmp_path / "only_simulate.toml"
    only_simulate.write_text("[simulate]\n")
    assert "has no [train] section" in _fails("train", only_simulate)
    assert "[simulate] simulator is required" in _fails("simulate", only_simulate)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[train.params]\nhidden_feature = 3",
            '[train.params] unknown key "hidden_feature" (did you mean "hidden_features"?)',
        ),
        (
            '[train.params]\nhidden_features = "big"',
            '[train.params] hidden_features must be an integer; got "big"',
        ),
        ('estimator = "RandomForest"', '[train] estimator "RandomForest" is not a crsbi estimator'),
        ('estimator = "crsbi.core.config.load_config"', "is not an estimator class"),
        ('estimator = "crsbi.nothing.Here"', "cannot be imported"),
        ('features = "log"', '[train] features must be one of "none", "log10"; got "log"'),
        ('simulation = "missing.toml"', "missing.toml not found"),
    ],
)
def test_train_config_errors_name_the_key(workflow, tmp_path, text, message):
    config = tmp_path / "train.toml"
    head = f'[train]\nsimulation = "{workflow["config"]}"\noutput = "m.joblib"\n'
    if text.startswith("simulation"):
        head = '[train]\noutput = "m.joblib"\n'
    if text.startswith("["):
        config.write_text(head + text + "\n")
    else:
        config.write_text(head.replace("[train]\n", f"[train]\n{text}\n"))
    assert message in _fails("train", config)
    assert not (tmp_path / "m.joblib").exists()


def test_train_needs_a_complete_campaign(tmp_path):
    config = tmp_path / "w.toml"
    config.write_text(WORKFLOW)
    assert "No campaign at" in _fails("train", config)
    _ok("simulate", config, "--max-chunks", 1)
    message = _fails("train", config)
    assert "has 500 of 600 simulations pending" in message
    assert f"crsbi simulate {config}" in message


def test_example_configurations_are_valid():
    from crsbi.core.config import SCHEMAS, load_config, read_toml

    files = sorted(EXAMPLES.glob("*.toml"))
    assert {f.name for f in files} >= {"simulate_galactic.toml", "train_npe.toml", "calibrate.toml"}
    for path in files:
        for section in read_toml(path):
            assert section in SCHEMAS
            config = load_config(path, section)
            simulation = cli._simulation(config.get("simulation") or path)
            if section == "train":
                cls = cli._estimator_class(config["estimator"])
                cls(**cli._estimator_params(cls, config["params"], simulation, config))
        text = path.read_text()
        assert text.count("#") > 10, f"{path.name}: explain every key"


# ------------------------------------------------------------------------- report


REPORT_SCRIPT = """
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Paper:
    title: str


def write_results_page():
    page = DOCS / "results.md"
    page.write_text("# Reproduction report\\n" + Paper("fake").title + "\\n")
    return page
"""


def _fake_checkout(root):
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "_report.py").write_text(REPORT_SCRIPT)
    return root


def test_report_with_root(tmp_path):
    root = _fake_checkout(tmp_path / "checkout")
    out = _ok("report", "--root", root)
    assert out.strip() == f"wrote {root.resolve() / 'docs' / 'results.md'}"
    assert (root / "docs" / "results.md").read_text() == "# Reproduction report\nfake\n"


def test_report_finds_the_checkout_above_the_current_folder(tmp_path, monkeypatch):
    root = _fake_checkout(tmp_path / "checkout")
    inner = root / "benchmarks" / "results"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    _ok("report")
    assert (root / "docs" / "results.md").is_file()


def test_report_without_a_checkout_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_PACKAGE_FOLDER", tmp_path / "site-packages" / "crsbi")
    message = _fails("report")
    assert message.startswith("No crsbi source checkout (a folder with docs/_report.py)")
    assert "--root" in message
    assert "no docs/_report.py there" in _fails("report", "--root", tmp_path)
    broken = _fake_checkout(tmp_path / "broken")
    (broken / "docs" / "_report.py").write_text("VALUE = 1\n")
    assert "has no function write_results_page()" in _fails("report", "--root", broken)
