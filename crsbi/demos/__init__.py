"""Registry of ``crsbi demo`` steps.

Each part of crsbi contributes a short end-to-end step. A step is a function that
takes a :class:`DemoContext` and returns a dict of headline figures; it registers
itself with :func:`register`, and its module is listed in ``STEP_MODULES`` so that
the registry can import it.

Examples
--------
>>> from crsbi.demos import available_steps
>>> [step.name for step in available_steps()][:1]
['training-core']
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "STEP_MODULES",
    "DemoContext",
    "DemoResult",
    "DemoStep",
    "available_steps",
    "register",
    "run_demo",
    "write_report",
]

#: Name of the report that :func:`run_demo` writes into its output directory.
REPORT_NAME = "report.md"

#: Modules that define demo steps; importing one registers its steps.
STEP_MODULES: tuple[str, ...] = (
    "crsbi.demos.core",
    "crsbi.demos.inference",
    "crsbi.demos.surrogate",
    "crsbi.demos.inversion",
    "crsbi.demos.classification",
    "crsbi.demos.anisotropy",
    "crsbi.demos.generative",
)


@dataclass(frozen=True)
class DemoContext:
    """What a demo step gets: where to write, how to seed, how much to print.

    Examples
    --------
    >>> from pathlib import Path
    >>> DemoContext(output_dir=Path("out"), verbose=0).random_state
    0
    """

    output_dir: Path
    random_state: int = 0
    verbose: int = 1


@dataclass(frozen=True)
class DemoStep:
    """A registered demo step.

    Examples
    --------
    >>> from crsbi.demos import available_steps
    >>> step = available_steps()[0]
    >>> step.name, callable(step.function)
    ('training-core', True)
    """

    name: str
    description: str
    function: Callable[[DemoContext], dict[str, Any]]
    order: int = 100


@dataclass
class DemoResult:
    """Outcome of one step: its headline figures and its wall time in seconds.

    Examples
    --------
    >>> DemoResult("step", {"R^2": 0.98}, seconds=1.5).figures["R^2"]
    0.98
    """

    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    description: str = ""
    files: list[str] = field(default_factory=list)


_REGISTRY: dict[str, DemoStep] = {}


def register(
    name: str, *, description: str, order: int = 100
) -> Callable[[Callable[[DemoContext], dict[str, Any]]], Callable[[DemoContext], dict[str, Any]]]:
    """Register a demo step under ``name`` (decorator).

    Parameters
    ----------
    name : str
        Step name, as given to ``crsbi demo --steps``.
    description : str
        One line shown by ``crsbi demo --list``.
    order : int, default=100
        Steps run in increasing order.

    Returns
    -------
    callable
        Decorator returning the function unchanged.

    Examples
    --------
    In a module listed in ``STEP_MODULES``::

        from crsbi.demos import DemoContext, register

        @register("my-part", description="one line shown by --list", order=50)
        def my_part(context: DemoContext) -> dict:
            ...  # write plots under context.output_dir, seed with context.random_state
            return {"headline figure": 0.95}
    """

    def decorator(function: Callable[[DemoContext], dict[str, Any]]):
        if name in _REGISTRY and _REGISTRY[name].function is not function:
            raise ValueError(f"A demo step named {name!r} is already registered.")
        _REGISTRY[name] = DemoStep(name, description, function, order)
        return function

    return decorator


def available_steps() -> list[DemoStep]:
    """All registered steps, in running order.

    Examples
    --------
    >>> from crsbi.demos import available_steps
    >>> "surrogate" in [step.name for step in available_steps()]
    True
    """
    for module in STEP_MODULES:
        importlib.import_module(module)
    return sorted(_REGISTRY.values(), key=lambda step: (step.order, step.name))


def run_demo(
    steps: Sequence[str] | None = None,
    *,
    output_dir: str | Path = "crsbi-demo",
    random_state: int = 0,
    verbose: int = 1,
    echo: Callable[[str], None] = print,
) -> list[DemoResult]:
    """Run demo steps and report their headline figures.

    Parameters
    ----------
    steps : sequence of str or None
        Names of the steps to run; ``None`` runs them all.
    output_dir : str or pathlib.Path, default="crsbi-demo"
        Where steps write plots and tables (created if missing).
    random_state : int, default=0
        Seed handed to every step.
    verbose : int, default=1
        ``0`` silences progress bars.
    echo : callable, default=print
        Where report lines go.

    Returns
    -------
    list of DemoResult
        One per step, in running order. A Markdown report with every step's figures and
        plots is written to ``output_dir / "report.md"`` (see :func:`write_report`).

    Raises
    ------
    ValueError
        If a requested step does not exist.

    Examples
    --------
    From Python rather than the command line (``crsbi demo --steps training-core``)::

        from crsbi.demos import run_demo

        results = run_demo(["training-core"], output_dir="out", verbose=0)
        results[0].figures        # headline numbers; out/report.md has the plots
    """
    known = {step.name: step for step in available_steps()}
    if steps is None:
        selected = list(known.values())
    else:
        unknown = [name for name in steps if name not in known]
        if unknown:
            raise ValueError(f"Unknown demo step(s) {unknown}; available: {sorted(known)}.")
        selected = [known[name] for name in steps]
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    context = DemoContext(output_dir=output, random_state=random_state, verbose=verbose)
    results = []
    for step in selected:
        echo(f"== {step.name}: {step.description}")
        before = {p: p.stat().st_mtime_ns for p in output.iterdir()}
        start = time.perf_counter()
        figures = step.function(context)
        seconds = time.perf_counter() - start
        written = sorted(
            p.name
            for p in output.iterdir()
            if p.is_file() and p.name != REPORT_NAME and before.get(p) != p.stat().st_mtime_ns
        )
        result = DemoResult(step.name, figures, seconds, step.description, written)
        for key, value in figures.items():
            echo(f"   {key:<32} {_format(value)}")
        echo(f"   {'time [s]':<32} {result.seconds:.1f}")
        results.append(result)
    report = write_report(results, output)
    echo(f"report with all figures: {report}")
    return results


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_report(results: Sequence[DemoResult], output_dir: str | Path) -> Path:
    """Write a Markdown report of demo results, with their plots, into ``output_dir``.

    Parameters
    ----------
    results : sequence of DemoResult
        Step outcomes, as returned by :func:`run_demo`.
    output_dir : str or pathlib.Path
        Folder that holds the steps' files; the report links them by relative path.

    Returns
    -------
    pathlib.Path
        Path of the report (``output_dir / "report.md"``).

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.demos import DemoResult, write_report
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_report([DemoResult("step", {"R^2": 0.98}, 1.5)], folder)
    ...     print(path.read_text().splitlines()[0])
    # crsbi demo report
    """
    output = Path(output_dir)
    lines = ["# crsbi demo report", ""]
    lines += [
        f"{len(results)} step(s), {sum(r.seconds for r in results):.1f} s in all. "
        "Figures are the steps' headline numbers; plots follow each table.",
        "",
    ]
    for result in results:
        lines += [f"## {result.name}", ""]
        if result.description:
            lines += [result.description, ""]
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {key} | {_format(value)} |" for key, value in result.figures.items()]
        lines += [f"| time [s] | {result.seconds:.1f} |", ""]
        for name in result.files:
            if name.lower().endswith((".png", ".svg", ".jpg")):
                lines += [f"![{name}]({name})", ""]
            else:
                lines += [f"- [{name}]({name})", ""]
    path = output / REPORT_NAME
    path.write_text("\n".join(lines))
    return path
