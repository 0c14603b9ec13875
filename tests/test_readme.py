"""The README's quickstart runs as written, in under 60 s on a CPU."""

from __future__ import annotations

import re
import runpy
import time
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _quickstart() -> str:
    text = README.read_text()
    section = text.split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "no python block under '## Quickstart'"
    return match.group(1)


def test_quickstart_is_ten_lines():
    code = [line for line in _quickstart().splitlines() if line.strip()]
    assert len(code) <= 10


@pytest.mark.slow
def test_quickstart_runs_under_a_minute(tmp_path, monkeypatch, capsys):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    script = tmp_path / "quickstart.py"
    script.write_text(_quickstart())
    runpy.run_path(str(script), run_name="__quickstart__")
    seconds = time.perf_counter() - start
    plt.close("all")
    out = capsys.readouterr().out
    assert seconds < 60, f"quickstart took {seconds:.0f} s"
    assert (tmp_path / "corner.png").stat().st_size > 10_000
    assert (tmp_path / "bc_predictive.png").stat().st_size > 10_000
    share = int(re.search(r"inside the 68 % band: (\d+)%", out).group(1))
    # AMS-02's errors (stat + sys, partly correlated) are conservative: most points lie
    # inside the 68 % band of replicated data; a posterior that missed the data would not
    assert share >= 68
    assert "'delta'" in out and "'D0'" in out


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
