"""Locating the reference data directory."""

import logging
from pathlib import Path

import pytest

from crsbi.core import DataLocation, data_dir, data_file, locate_data_dir
from crsbi.core import data as _paths
from crsbi.propagation import load_ams02, load_voyager1

REPO_ROOT = Path(__file__).resolve().parents[1]
VOYAGER = ("spectra", "voyager1", "voyager1_cummings2016_table9_Zgt2.csv")


def _fake_layout(tmp_path: Path) -> Path:
    """<tmp>/repo (the repository and cwd) beside <tmp>/shared/data holding one spectrum file."""
    (tmp_path / "repo").mkdir()
    ams02 = tmp_path / "shared" / "data" / "spectra" / "ams02"
    ams02.mkdir(parents=True)
    (ams02 / "AMS-02_B_C_rigidity.txt").write_text("1 0.3 0.01 0.01 0.01 0.01\n")
    return tmp_path / "shared" / "data"


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


def test_env_var_pointing_nowhere_does_not_fall_back(tmp_path, monkeypatch):
    _fake_layout(tmp_path)
    monkeypatch.setattr(_paths, "_REPO_ROOT", tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="CRSBI_DATA_DIR is set to") as info:
        locate_data_dir()
    assert str(tmp_path / "missing") in str(info.value)


def test_env_var_empty_dir_is_used_exclusively(tmp_path, monkeypatch):
    # ../shared/data exists beside both the repository and the cwd, and holds the file
    _fake_layout(tmp_path)
    monkeypatch.setattr(_paths, "_REPO_ROOT", tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CRSBI_DATA_DIR", str(empty))
    assert locate_data_dir() == DataLocation(empty.resolve(), "env", (empty.resolve(),))
    for call in (lambda: data_dir("spectra"), lambda: load_ams02("B/C")):
        with pytest.raises(FileNotFoundError) as info:
            call()
        message = str(info.value)
        assert "CRSBI_DATA_DIR" in message
        assert str(empty.resolve()) in message
    assert "spectra/ams02/AMS-02_B_C_rigidity.txt" in message


def test_env_var_empty_dir_beats_the_real_shared_data(tmp_path, monkeypatch):
    # the project's layout: cwd = repository root, ../shared/data holds the real files
    if not (REPO_ROOT.parent / "shared" / "data" / "spectra").is_dir():
        pytest.skip(f"no shared data directory beside {REPO_ROOT}")
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="CRSBI_DATA_DIR") as info:
        load_voyager1("C")
    assert str(tmp_path.resolve()) in str(info.value)
    assert "/".join(VOYAGER) in str(info.value)
    with pytest.raises(FileNotFoundError, match="CRSBI_DATA_DIR"):
        data_dir("spectra")


def test_env_var_dir_with_the_file_is_used_and_logged(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(REPO_ROOT)
    csv = tmp_path.joinpath(*VOYAGER)
    csv.parent.mkdir(parents=True)
    # one carbon bin only: the real table has 8, so this proves which file was read
    csv.write_text("Z,Emin_MeVn,Emax_MeVn,J,stat_err,sys_err,counts,TT\n6,100,200,1,0.1,0.1,9,1\n")
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path))
    assert data_file(*VOYAGER) == csv.resolve()
    with caplog.at_level(logging.INFO, logger="crsbi.core.data"):
        carbon = load_voyager1("C")
    assert len(carbon) == 1
    assert carbon.y[0] == pytest.approx(1e3)
    text = caplog.text
    assert "/".join(VOYAGER) in text
    assert str(tmp_path.resolve()) in text
    assert "CRSBI_DATA_DIR" in text


def test_locate_reports_the_source(tmp_path, monkeypatch):
    shared = _fake_layout(tmp_path)
    monkeypatch.delenv("CRSBI_DATA_DIR", raising=False)
    monkeypatch.setattr(_paths, "_REPO_ROOT", tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere" / "cwd"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    location = locate_data_dir()
    assert (location.path, location.source) == (shared, "repository")
    assert location.tried == (shared, tmp_path / "elsewhere" / "shared" / "data")
    assert "beside the repository" in location.describe()

    monkeypatch.setattr(_paths, "_REPO_ROOT", tmp_path / "nowhere" / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    location = locate_data_dir()
    assert (location.path, location.source) == (shared, "cwd")
    assert "beside the working directory" in location.describe()

    monkeypatch.setenv("CRSBI_DATA_DIR", str(elsewhere))
    location = locate_data_dir()
    assert (location.path, location.source) == (elsewhere, "env")
    assert location.describe() == f"{elsewhere} (from CRSBI_DATA_DIR)"

    monkeypatch.setenv("CRSBI_DATA_DIR", "")  # empty counts as unset
    assert locate_data_dir().source == "cwd"


def test_missing_file_in_default_directory_names_it(tmp_path, monkeypatch):
    _fake_layout(tmp_path)
    monkeypatch.delenv("CRSBI_DATA_DIR", raising=False)
    monkeypatch.setattr(_paths, "_REPO_ROOT", tmp_path / "repo")
    with pytest.raises(FileNotFoundError) as info:
        data_file("uhecr", "events.dat")
    message = str(info.value)
    assert "'uhecr/events.dat'" in message
    assert str(tmp_path / "shared" / "data") in message
    assert "CRSBI_DATA_DIR" in message
    with pytest.raises(ValueError, match="needs the path"):
        data_file()


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
    assert str(tmp_path / "elsewhere" / "shared" / "data") in message


def test_default_finds_shared_data_beside_the_repository(monkeypatch):
    # the layout the project and CI use: <parent>/<repo> and <parent>/shared/data
    monkeypatch.delenv("CRSBI_DATA_DIR", raising=False)
    expected = REPO_ROOT.parent / "shared" / "data"
    if not expected.is_dir():
        pytest.skip(f"no shared data directory at {expected}")
    assert data_dir() == expected
    assert (data_dir("spectra/ams02") / "AMS-02_B_C_rigidity.txt").is_file()
    assert locate_data_dir().source == "repository"
