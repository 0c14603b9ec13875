"""The crsbi command line and the demo registry."""

import os
import subprocess
import sys

import pytest

from crsbi import __version__
from crsbi.cli import main
from crsbi.demos import available_steps, register, run_demo


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


def test_training_core_demo_reaches_the_noise_ceiling(tmp_path, capsys):
    (result,) = run_demo(["training-core"], output_dir=tmp_path, verbose=0, echo=lambda line: None)
    figures = result.figures
    # with noise sigma the best possible R^2 is 1 - sigma^2 / Var(y)
    assert (
        figures["noise ceiling R^2"] - 0.03
        < figures["test R^2"]
        <= figures["noise ceiling R^2"] + 0.02
    )
    assert (tmp_path / "training_core_history.png").stat().st_size > 1000


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
    figures = {}
    for line in out.splitlines():
        key, _, value = line.strip().rpartition("  ")
        figures[key.strip()] = value.strip()
    assert float(figures["test R^2"]) > 0.9
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
