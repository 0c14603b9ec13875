"""Random states, devices, parameter validation and persistence helpers."""

import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch

from crsbi.core import (
    check_finite,
    check_interval,
    check_option,
    check_random_state,
    check_shape,
    load,
    resolve_device,
    save,
    spawn_seeds,
    torch_seed,
)
from crsbi.core.neural import NeuralRegressor


def test_check_random_state():
    assert check_random_state(3).random() == check_random_state(3).random()
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    seq = np.random.SeedSequence(5)
    assert check_random_state(seq).random() == np.random.default_rng(5).random()
    assert isinstance(check_random_state(None), np.random.Generator)
    for bad, error in [(-1, ValueError), (True, TypeError), (1.5, TypeError), ("0", TypeError)]:
        with pytest.raises(error):
            check_random_state(bad)


def test_spawn_seeds_do_not_depend_on_how_many_are_drawn():
    few = [np.random.default_rng(s).random() for s in spawn_seeds(42, 3)]
    many = [np.random.default_rng(s).random() for s in spawn_seeds(42, 10)]
    assert few == many[:3]
    assert len(set(many)) == 10
    assert spawn_seeds(0, 0) == []
    with pytest.raises(ValueError, match="non-negative integer"):
        spawn_seeds(0, -1)


def test_torch_seed_range():
    seeds = [torch_seed(np.random.default_rng(i)) for i in range(50)]
    assert all(0 <= s < 2**63 - 1 for s in seeds)
    torch.manual_seed(max(seeds))  # accepted by torch


def test_check_interval_messages():
    assert check_interval(1, "n", "X", kind=int, low=1) == 1
    assert check_interval(None, "p", "X", kind=int, low=1, allow_none=True) is None
    with pytest.raises(
        ValueError,
        match=r"The 'alpha' parameter of X must be a float in \(0, 1\]. "
        r"Got -3 instead.",
    ):
        check_interval(-3, "alpha", "X", low=0, high=1, closed="right")
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        check_interval(1.0, "f", "X", low=0, high=1, closed="left")
    with pytest.raises(ValueError):
        check_interval(np.nan, "f", "X", low=0)
    with pytest.raises(TypeError, match="an int"):
        check_interval(2.0, "n", "X", kind=int, low=0)
    with pytest.raises(TypeError):
        check_interval(True, "n", "X", kind=int, low=0)
    assert check_interval(np.inf, "f", "X", low=0) == np.inf


def test_check_option():
    assert check_option("a", "mode", "X", ["a", "b"]) == "a"
    with pytest.raises(ValueError, match=r"must be one of \{'a', 'b'\}. Got 'c' instead"):
        check_option("c", "mode", "X", ["a", "b"])


def test_check_finite_and_shape():
    x = np.ones((2, 3))
    assert check_finite(x) is x
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN, 0 inf; first at index \(1, 2\)"):
        check_finite(x, "maps")
    assert check_shape(np.zeros((4, 3)), (None, 3)).shape == (4, 3)
    with pytest.raises(ValueError, match=r"must have shape \(n, 12\); got an array of shape"):
        check_shape(np.zeros((4, 3)), (None, 12), "sky maps")
    with pytest.raises(ValueError, match=r"\(n,\)"):
        check_shape(np.zeros((4, 3)), (None,))


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device(torch.device("cpu")) == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("quantum")
    with pytest.raises(TypeError):
        resolve_device(3)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_save_load_checks(tmp_path, rng):
    X = rng.normal(size=(40, 2))
    reg = NeuralRegressor(max_epochs=2, random_state=0, verbose=0).fit(X, X[:, 0])
    path = tmp_path / "reg.joblib"
    save(reg, path)
    assert not (tmp_path / "reg.joblib.tmp").exists()
    assert np.array_equal(load(path).predict(X), reg.predict(X))
    with pytest.raises(FileNotFoundError, match="No saved estimator"):
        load(tmp_path / "missing.joblib")
    joblib.dump({"something": "else"}, tmp_path / "other.joblib")
    with pytest.raises(ValueError, match="not a file written by crsbi"):
        load(tmp_path / "other.joblib")


def test_load_warns_on_version_mismatch(tmp_path):
    joblib.dump(
        {"format": "crsbi-estimator", "crsbi_version": "0.0.1", "estimator": NeuralRegressor()},
        tmp_path / "old.joblib",
    )
    with pytest.warns(UserWarning, match="saved by crsbi 0.0.1"):
        load(tmp_path / "old.joblib")


def test_load_docstrings_warn_that_loading_runs_code():
    import inspect

    from crsbi import load as top_level_load
    from crsbi.core.persistence import PersistenceMixin

    assert top_level_load is load
    for function in (load, PersistenceMixin.load):
        doc = inspect.getdoc(function)
        assert "Warnings\n--------" in doc
        assert "runs code" in doc
        assert "trusted sources" in doc


RACE_SCRIPT = """
import pathlib, sys
from crsbi.core.imports import import_arviz

calls = []
original = pathlib.Path.replace

def lose_the_race(self, target):
    # the first replace of arviz's stamp file fails as when another process renamed
    # the shared temporary file first; that process has written the stamp
    if not calls and str(target).endswith("daily_warning"):
        calls.append(target)
        original(self, target)
        raise FileNotFoundError(2, "No such file or directory", str(self))
    return original(self, target)

pathlib.Path.replace = lose_the_race
arviz = import_arviz()
print(arviz.__name__, hasattr(arviz, "InferenceData"), bool(calls))
"""


def test_import_arviz_survives_the_daily_stamp_race(tmp_path):
    # a fresh cache directory: arviz writes its daily stamp during this import
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", RACE_SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    if result.stdout.split()[-1] == "False":
        pytest.skip("this arviz writes no daily stamp at import: no race to survive")
    assert result.stdout.split() == ["arviz", "True", "True"]
    assert (tmp_path / "arviz" / "daily_warning").exists()
