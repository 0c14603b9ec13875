"""Locating the reference data directory."""

from pathlib import Path

import pytest

from crsbi.datasets import _paths, data_dir


def test_env_var_takes_precedence(tmp_path, monkeypatch):
    (tmp_path / "spectra").mkdir()
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path.resolve()
    assert data_dir("spectra") == tmp_path.resolve() / "spectra"
    with pytest.raises(FileNotFoundError, match="does not exist in the crsbi data directory"):
        data_dir("uhecr")


def test_env_var_pointing_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="CRSBI_DATA_DIR is set to"):
        data_dir()


def test_error_names_both_places_when_nothing_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("CRSBI_DATA_DIR", raising=False)
    monkeypatch.setattr(_paths, "_REPO_ROOT", tmp_path / "repo")
    work = tmp_path / "elsewhere" / "cwd"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with pytest.raises(FileNotFoundError) as info:
        data_dir()
    message = str(info.value)
    assert "CRSBI_DATA_DIR" in message
    assert "../shared/data" in message
    assert str(tmp_path / "shared" / "data") in message


def test_default_finds_shared_data_beside_the_repository(monkeypatch):
    # the layout the project and CI use: <parent>/<repo> and <parent>/shared/data
    monkeypatch.delenv("CRSBI_DATA_DIR", raising=False)
    expected = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not expected.is_dir():
        pytest.skip(f"no shared data directory at {expected}")
    assert data_dir() == expected
    assert (data_dir("spectra/ams02") / "AMS-02_B_C_rigidity.txt").is_file()
