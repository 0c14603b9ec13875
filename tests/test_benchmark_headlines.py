"""benchmarks/headlines.py: every paper's headlines, judged from the result files."""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name, path):
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


# the name _report.py and docs/_report.py import it under, so all share one module
headlines = _load("crsbi_benchmark_headlines", ROOT / "benchmarks" / "headlines.py")
docs_report = _load("crsbi_docs_report", ROOT / "docs" / "_report.py")


def test_all_five_papers_have_headlines():
    assert len(headlines.PAPERS) == 5
    covered = {h.paper for h in headlines.HEADLINES}
    assert covered == set(headlines.PAPERS)
    for paper in headlines.PAPERS:
        assert sum(h.paper == paper for h in headlines.HEADLINES) >= 2, paper


def test_the_docs_report_names_every_result_file_of_a_headline_domain():
    domains = {paper.domain for paper in docs_report.PAPERS}
    for h in headlines.HEADLINES:
        assert h.domain in domains, h.result


@pytest.mark.parametrize("headline", headlines.HEADLINES, ids=lambda h: h.headline[:60])
def test_each_headline_yields_a_number_or_not_comparable(headline):
    assert headline.path.is_file(), headline.result
    judged = headlines.judge(headline)
    assert judged.verdict.status in ("PASS", "FAIL", "NOT COMPARABLE")
    if judged.verdict.status != "NOT COMPARABLE":
        assert judged.value is not None and math.isfinite(judged.value)
    else:
        assert judged.verdict.reason
    # a registered headline's figure is read from its file, not missing
    assert judged.value is not None, judged.verdict.reason


def test_a_missing_figure_or_file_is_not_comparable(tmp_path):
    headline = headlines.HEADLINES[0]
    judged = headlines.judge(headline, {"rows": [], "notes": ""})
    assert judged.verdict.status == "NOT COMPARABLE"
    assert "figure not found" in judged.verdict.reason
    line = headlines.verdict_line(judged)
    assert line.startswith("NOT COMPARABLE paper ")


def test_number_reads_cells():
    assert headlines.number("22.71 +- 1.17") == 22.71
    assert headlines.number("~88") == 88.0
    assert headlines.number("4.89e+06") == 4.89e6
    assert headlines.number(-0.5) == -0.5
    with pytest.raises(ValueError):
        headlines.number("n/a")


def test_write_report_prints_verdicts_or_no_registered_headline(tmp_path, capsys):
    report = _load("crsbi_benchmark_report", ROOT / "benchmarks" / "_report.py")
    # a result name without headline
    path = report.write_report("bench_x", [{"a": 1.0}], results=tmp_path / "core")
    out = capsys.readouterr().out
    assert "no registered headline" in out
    assert "- no registered headline" in path.read_text()
    # a headline's result name: the verdict comes from the rows just written
    source = ROOT / "benchmarks" / "results" / "particles" / "bench_surrogate_fixed8x.json"
    data = json.loads(source.read_text())
    path = report.write_report(
        "bench_surrogate_fixed8x", data["rows"], results=tmp_path / "particles"
    )
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x.startswith(("PASS ", "FAIL ", "NOT COMPARABLE "))]
    assert len(lines) == len(headlines.headlines_for("particles", "bench_surrogate_fixed8x"))
    assert all(" | crsbi " in x and " | target " in x for x in lines)
    assert lines[0] in path.read_text()


def test_summary_script_and_results_page(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "headlines.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("| paper | headline | paper figure | crsbi figure | target | verdict |")
    assert out.count("\n| ") == len(headlines.HEADLINES)  # one line per headline
    assert "headline verdicts: " in out
    table = docs_report.verdict_table()
    assert "| paper | headline | paper figure | crsbi figure | target | verdict |" in table
    rows = [line for line in table if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(headlines.HEADLINES) + 1
