"""Shared helper for benchmark scripts: print a table and write JSON + Markdown results.

Scripts live in ``benchmarks/<domain>/`` and write to ``benchmarks/results/<domain>/``.
A script puts ``benchmarks/`` on ``sys.path`` and asks for its results folder::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report
    from _report import results_dir, write_report

    RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/
    write_report("bench_x", rows, results=RESULTS)

After the table, ``write_report`` prints (and adds to the ``.md``) the verdict of every headline
figure of the papers that ``benchmarks/headlines.py`` registers for that result, or
``no registered headline``.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
#: Root of the result files, one subfolder per domain.
RESULTS_ROOT = BENCHMARKS / "results"
#: Simulations and fitted networks shared between scripts (git-ignored).
CACHE_DIR = BENCHMARKS / ".cache"


def results_dir(script: str | Path) -> Path:
    """``benchmarks/results/<domain>/`` for the script at ``script`` (its folder's name)."""
    return RESULTS_ROOT / Path(script).resolve().parent.name


def write_report(name: str, rows: list[dict[str, Any]], *, results: Path, notes: str = "") -> Path:
    """Print ``rows`` as a table and write ``<results>/<name>.json`` and ``.md``.

    The verdicts of the headlines registered for ``<domain>/<name>`` in
    ``benchmarks/headlines.py`` follow the table, on screen and in the ``.md``.
    """
    results.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0])
    cells = [[_fmt(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    header = "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    table = "\n".join([header, rule, *body])
    print(table)
    meta = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }
    (results / f"{name}.json").write_text(
        json.dumps({**meta, "rows": rows, "notes": notes}, indent=2)
    )
    verdicts = headline_verdicts(
        results.name, name, json.loads((results / f"{name}.json").read_text())
    )
    print("\n".join(verdicts))
    md = f"# {name}\n\n{meta['date']}, {meta['machine']}, Python {meta['python']}\n\n{table}\n"
    if notes:
        md += f"\n{notes}\n"
    md += "\n**Headline verdicts** (`benchmarks/headlines.py`):\n\n"
    md += "\n".join(f"- {line}" for line in verdicts) + "\n"
    (results / f"{name}.md").write_text(md)
    return results / f"{name}.md"


def _headlines() -> ModuleType:
    """``benchmarks/headlines.py``, imported by path (scripts need not have it on sys.path)."""
    module = sys.modules.get("crsbi_benchmark_headlines")
    if module is None:
        spec = importlib.util.spec_from_file_location(
            "crsbi_benchmark_headlines", BENCHMARKS / "headlines.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while defining
        spec.loader.exec_module(module)
    return module


def headline_verdicts(domain: str, name: str, data: dict[str, Any] | None = None) -> list[str]:
    """Verdict lines of the headlines registered for ``results/<domain>/<name>``.

    ``data`` is the result (as written to its JSON file); by default the file is read.
    """
    try:
        headlines = _headlines()
        registered = headlines.headlines_for(domain, name)
        if not registered:
            return ["no registered headline"]
        return [headlines.verdict_line(headlines.judge(h, data)) for h in registered]
    except Exception as error:  # a long run must still write its report
        return [f"headline verdicts unavailable: {error!r}"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
