"""The crsbi command line and the demo registry."""

import os
import subprocess
import sys

import pytest

from crsbi import __version__
from crsbi.cli import main
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
    # "   key (padded to 32)  value": keys may be longer than the padding
    figures = {}
    for line in out.splitlines():
        if line.startswith("   "):
            key, _, value = line.strip().rpartition(" ")
            figures[key.strip()] = value
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
