"""TOML configuration files of the command line: schema checks and their messages."""

from pathlib import Path

import pytest

from crsbi.core.config import (
    REQUIRED,
    SCHEMAS,
    ConfigKey,
    load_config,
    read_toml,
    validate_table,
)

SIMULATE = """
[simulate]
simulator = "galactic"
output = "runs/a"
n_simulations = 100
"""


def _write(folder, text, name="run.toml"):
    path = Path(folder) / name
    path.write_text(text)
    return path


def _error(path, section):
    with pytest.raises(ValueError) as info:
        load_config(path, section)
    return str(info.value)


# --------------------------------------------------------------------------- ConfigKey


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (ConfigKey("n", "int", low=1), 3, 3),
        (ConfigKey("x", "float", low=0.0), 2, 2.0),  # an integer is a number
        (ConfigKey("flag", "bool"), False, False),
        (ConfigKey("name", "str", choices=("a", "b")), "b", "b"),
        (ConfigKey("bounds", "pair"), [1, 2.5], (1.0, 2.5)),
        (ConfigKey("levels", "float_list", low=0, high=1), [0.5, 1], [0.5, 1.0]),
        (ConfigKey("table", "table"), {"a": 1}, {"a": 1}),
        (ConfigKey("anything", "any"), [1, "a"], [1, "a"]),
        (ConfigKey("jobs", "int", low=-1, exclude=(0,)), -1, -1),
    ],
)
def test_valid_values_are_returned_converted(key, value, expected):
    out = key.check(value, "s")
    assert out == expected
    assert type(out) is type(expected)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (ConfigKey("n", "int", low=1), "ten", '[s] n must be an integer >= 1; got "ten"'),
        (ConfigKey("n", "int", low=1), 0, "[s] n must be an integer >= 1; got 0"),
        (ConfigKey("n", "int", low=1), 2.0, "[s] n must be an integer >= 1; got 2.0"),
        (ConfigKey("n", "int", low=1), True, "[s] n must be an integer >= 1; got true"),
        (
            ConfigKey("a", "float", low=0, high=1, closed="neither"),
            1.0,
            "[s] a must be a number in (0, 1); got 1.0",
        ),
        (ConfigKey("a", "float", low=0), float("inf"), "[s] a must be a number >= 0; got inf"),
        (ConfigKey("a", "float", low=0), float("nan"), "[s] a must be a number >= 0; got nan"),
        (ConfigKey("a", "float", high=2, closed="left"), 2, "[s] a must be a number < 2; got 2"),
        (ConfigKey("flag", "bool"), 1, "[s] flag must be true or false; got 1"),
        (
            ConfigKey("name", "str", choices=("a", "b")),
            "c",
            '[s] name must be one of "a", "b"; got "c"',
        ),
        (ConfigKey("v", "int", choices=(0, 1)), 2, "[s] v must be one of 0, 1; got 2"),
        (ConfigKey("out", "path"), "  ", '[s] out must be a path (a non-empty string); got "  "'),
        (ConfigKey("out", "path"), 3, "[s] out must be a path (a non-empty string); got 3"),
        (ConfigKey("t", "table"), [1], "[s] t must be a table; got [1]"),
        (
            ConfigKey("b", "pair"),
            [2, 1],
            "[s] b must be a pair [low, high] of finite numbers with low < high; got [2, 1]",
        ),
        (ConfigKey("b", "pair"), [1, 2, 3], "with low < high; got [1, 2, 3]"),
        (ConfigKey("b", "pair"), ["1", 2], 'with low < high; got ["1", 2]'),
        (
            ConfigKey("l", "float_list", low=0, high=1, closed="neither"),
            [0.5, 1.5],
            "[s] l must be a non-empty list of numbers, each in (0, 1); got [0.5, 1.5]",
        ),
        (ConfigKey("l", "float_list"), [], "[s] l must be a non-empty list of numbers; got []"),
        (
            ConfigKey("jobs", "int", low=-1, exclude=(0,), expected="-1 or >= 1"),
            0,
            "[s] jobs must be -1 or >= 1; got 0",
        ),
    ],
)
def test_invalid_values_name_section_key_and_value(key, value, message):
    with pytest.raises(ValueError) as info:
        key.check(value, "s")
    assert message in str(info.value)
    assert str(info.value).startswith(f"[s] {key.name} ")


def test_paths_are_relative_to_the_base_folder(tmp_path):
    key = ConfigKey("out", "path")
    assert key.check("runs/a", "s", base_dir=tmp_path) == tmp_path / "runs" / "a"
    assert key.check("/abs/b", "s", base_dir=tmp_path) == Path("/abs/b")
    assert key.check("~/c", "s", base_dir=tmp_path) == Path.home() / "c"


def test_a_key_checks_its_own_definition():
    with pytest.raises(ValueError, match="kind must be one of"):
        ConfigKey("x", "integer")
    with pytest.raises(ValueError, match="closed must be one of"):
        ConfigKey("x", "int", closed="open")
    assert ConfigKey("x", "int").required
    assert not ConfigKey("x", "int", default=None).required
    assert repr(REQUIRED) == "REQUIRED"


# ----------------------------------------------------------------------- validate_table


def test_validate_table_fills_defaults_with_fresh_copies():
    keys = [ConfigKey("n", "int"), ConfigKey("opts", "table", default={})]
    first = validate_table({"n": 1}, keys, "s")
    assert first == {"n": 1, "opts": {}}
    first["opts"]["changed"] = True
    assert validate_table({"n": 2}, keys, "s")["opts"] == {}


def test_validate_table_unknown_key_suggests_the_closest():
    keys = [ConfigKey("n_simulations", "int"), ConfigKey("seed", "int", default=0)]
    with pytest.raises(ValueError) as info:
        validate_table({"n_simulation": 3}, keys, "simulate")
    assert str(info.value) == (
        '[simulate] unknown key "n_simulation" (did you mean "n_simulations"?); '
        "allowed keys: n_simulations, seed"
    )
    with pytest.raises(ValueError, match=r'unknown key "zzz"; allowed keys: n_simulations, seed$'):
        validate_table({"zzz": 3, "n_simulations": 1}, keys, "simulate")


def test_validate_table_missing_required_key():
    with pytest.raises(ValueError) as info:
        validate_table({}, [ConfigKey("n_simulations", "int", low=1)], "simulate")
    assert str(info.value) == "[simulate] n_simulations is required (an integer >= 1)"


def test_validate_table_rejects_a_non_table():
    with pytest.raises(ValueError, match=r"\[simulate.prior\] must be a table; got 3"):
        validate_table(3, [], "simulate.prior")


# ---------------------------------------------------------------------- files, sections


def test_read_toml_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_toml(tmp_path / "missing.toml")
    with pytest.raises(FileNotFoundError, match="is a directory"):
        read_toml(tmp_path)
    bad = _write(tmp_path, "[simulate]\nn_simulations = \n")
    with pytest.raises(ValueError, match=r"is not valid TOML: .*line 2"):
        read_toml(bad)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[simulate]")
    with pytest.raises(ValueError, match="not valid TOML"):
        read_toml(binary)


def test_load_config_resolves_paths_and_fills_defaults(tmp_path):
    path = _write(tmp_path, SIMULATE)
    config = load_config(path, "simulate")
    assert config == {
        "simulator": "galactic",
        "output": tmp_path.resolve() / "runs" / "a",
        "n_simulations": 100,
        "seed": 0,
        "chunk_size": 64,
        "n_jobs": 1,
        "verbose": 1,
        "prior": {},
        "options": {},
    }
    assert set(config) == {key.name for key in SCHEMAS["simulate"]}


def test_load_config_reads_nested_tables(tmp_path):
    text = SIMULATE + '[simulate.prior]\nD0 = [2, 3]\n[simulate.options]\nmodel = "break"\n'
    config = load_config(_write(tmp_path, text), "simulate")
    assert config["prior"] == {"D0": [2, 3]}
    assert config["options"] == {"model": "break"}


def test_the_message_of_the_issue(tmp_path):
    path = _write(tmp_path, SIMULATE.replace("100", '"ten"'))
    assert _error(path, "simulate") == (
        '[simulate] n_simulations must be an integer >= 1; got "ten"'
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('simulator = "galactc"', '[simulate] simulator must be one of "galactic", "diffusion"'),
        ("seed = -1", "[simulate] seed must be an integer >= 0; got -1"),
        ("chunk_size = 0", "[simulate] chunk_size must be an integer >= 1; got 0"),
        ("n_jobs = 0", "[simulate] n_jobs must be an integer >= 1, or -1 for all cores; got 0"),
        ("verbose = 2", "[simulate] verbose must be one of 0, 1; got 2"),
        ("prior = 3", "[simulate] prior must be a table; got 3"),
        ("n_simualtions = 3", '[simulate] unknown key "n_simualtions" (did you mean'),
    ],
)
def test_each_simulate_key_is_checked(tmp_path, line, message):
    key = line.split()[0]
    text = "\n".join(row for row in SIMULATE.splitlines() if not row.startswith(f"{key} "))
    assert message in _error(_write(tmp_path, text + "\n" + line + "\n"), "simulate")


@pytest.mark.parametrize(
    ("section", "text", "message"),
    [
        ("train", '[train]\noutput = "m.joblib"\nfeatures = "log"\n', "[train] features must be"),
        ("train", '[train]\noutput = "m"\ntest_fraction = 1\n', "[train] test_fraction must be a"),
        ("train", "[train]\nseed = 0\n", "[train] output is required"),
        ("train", '[train]\noutput = "m"\nparams = 1\n', "[train] params must be a table"),
        (
            "calibrate",
            '[calibrate]\noutput = "h"\nn_simulations = 9\nseed = 1\n',
            "[calibrate] n_simulations must be an integer >= 10; got 9",
        ),
        (
            "calibrate",
            '[calibrate]\noutput = "h"\nn_simulations = 10\nseed = 1\nalpha = 0\n',
            "[calibrate] alpha must be a number in (0, 1); got 0",
        ),
        (
            "calibrate",
            '[calibrate]\noutput = "h"\nn_simulations = 10\nseed = 1\nlevels = [0.5, 1]\n',
            "[calibrate] levels must be a non-empty list of numbers, each in (0, 1)",
        ),
        (
            "calibrate",
            '[calibrate]\noutput = "h"\nn_simulations = 10\nseed = 1\nc2st = "no"\n',
            '[calibrate] c2st must be true or false; got "no"',
        ),
        ("calibrate", '[calibrate]\noutput = "h"\nn_simulations = 10\n', "[calibrate] seed is"),
    ],
)
def test_train_and_calibrate_keys_are_checked(tmp_path, section, text, message):
    assert message in _error(_write(tmp_path, text), section)


def test_sections_must_exist_and_be_known(tmp_path):
    path = _write(tmp_path, SIMULATE)
    message = _error(path, "train")
    assert message == f"{path} has no [train] section (sections found: [simulate])"
    path = _write(tmp_path, SIMULATE + "[trian]\nseed = 1\n")
    assert "unknown section [trian] (did you mean [train]?)" in _error(path, "simulate")
    path = _write(tmp_path, "seed = 1\n" + SIMULATE)
    assert 'key "seed" lies outside any section' in _error(path, "simulate")
    with pytest.raises(ValueError, match="section must be one of"):
        load_config(path, "infer")


def test_every_schema_key_has_a_description_and_help():
    for section, keys in SCHEMAS.items():
        names = [key.name for key in keys]
        assert len(names) == len(set(names)), section
        for key in keys:
            assert key.describe()
            assert key.help, f"[{section}] {key.name}"
