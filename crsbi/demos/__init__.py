"""Registry of ``crsbi demo`` steps.

Each part of crsbi contributes a short end-to-end step. A step is a function that
takes a :class:`DemoContext` and returns a dict of headline figures; it registers
itself with :func:`register`, and its module is listed in ``STEP_MODULES`` so that
the registry can import it. A step may declare targets for some of its figures
(:class:`crsbi.core.verdict.Target`); :func:`run_demo` prints ``PASS``, ``FAIL`` or
``NOT COMPARABLE`` beside each targeted figure and a summary line, and the report has a
verdict column. A failed verdict does not stop the demo: it is a demonstration at tiny
settings, and a ``FAIL`` says so in plain view.

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

from crsbi.core.verdict import NOT_COMPARABLE, Target, Verdict, evaluate, summary_line

__all__ = [
    "STEP_MODULES",
    "DemoContext",
    "DemoResult",
    "DemoStep",
    "available_steps",
    "register",
    "run_demo",
    "step_verdicts",
    "write_report",
]

#: A target for one figure: fixed, or computed from all the step's figures (e.g. a bound
#: relative to a noise floor the step measures itself).
TargetSpec = Target | Callable[[dict[str, Any]], Target]

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
    "crsbi.demos.real_data",
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
    targets: dict[str, TargetSpec] = field(default_factory=dict)


@dataclass
class DemoResult:
    """Outcome of one step: its headline figures, their verdicts and its wall time in seconds.

    ``targets`` and ``verdicts`` are keyed by figure name and hold only the targeted figures.

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
    targets: dict[str, Target] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)


_REGISTRY: dict[str, DemoStep] = {}


def register(
    name: str,
    *,
    description: str,
    order: int = 100,
    targets: dict[str, TargetSpec] | None = None,
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
    targets : dict or None, default=None
        Figure name -> :class:`~crsbi.core.verdict.Target`, or a function of the step's
        figures returning one (for bounds relative to another figure of the step). Each
        targeted figure is printed with its verdict.

    Returns
    -------
    callable
        Decorator returning the function unchanged.

    Examples
    --------
    In a module listed in ``STEP_MODULES``::

        from crsbi.core.verdict import Target
        from crsbi.demos import DemoContext, register

        @register(
            "my-part",
            description="one line shown by --list",
            order=50,
            targets={"headline figure": Target.at_least(0.9, "what it should reach")},
        )
        def my_part(context: DemoContext) -> dict:
            ...  # write plots under context.output_dir, seed with context.random_state
            return {"headline figure": 0.95}
    """

    def decorator(function: Callable[[DemoContext], dict[str, Any]]):
        if name in _REGISTRY and _REGISTRY[name].function is not function:
            raise ValueError(f"A demo step named {name!r} is already registered.")
        _REGISTRY[name] = DemoStep(name, description, function, order, dict(targets or {}))
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
    """Run demo steps and report their headline figures, with a verdict for each targeted one.

    Each targeted figure is printed as ``key  value  | VERDICT (target ...)``, a step's failed
    targets add a ``note:`` line where they have one, and the run ends with a summary line
    (``demo verdicts: 5 PASS, 1 FAIL, 0 NOT COMPARABLE``). A failed verdict does not raise.

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
        targets, verdicts = step_verdicts(step, figures)
        result = DemoResult(
            step.name, figures, seconds, step.description, written, targets, verdicts
        )
        for key, value in figures.items():
            line = f"   {key:<32} {_format(value)}"
            if key in verdicts:
                line = f"{line:<48} | {_verdict_text(targets[key], verdicts[key])}"
            echo(line)
        for key, verdict in verdicts.items():
            if key not in figures:
                echo(f"   {key:<32} (missing) | {_verdict_text(targets[key], verdict)}")
        for key, verdict in verdicts.items():
            if verdict.status != "PASS" and targets[key].note:
                echo(f"     note: {targets[key].note}")
        echo(f"   {'time [s]':<32} {result.seconds:.1f}")
        results.append(result)
    echo(summary_line(_all_verdicts(results), label="demo verdicts"))
    report = write_report(results, output)
    echo(f"report with all figures: {report}")
    return results


def step_verdicts(
    step: DemoStep, figures: dict[str, Any]
) -> tuple[dict[str, Target], dict[str, Verdict]]:
    """Resolve a step's targets against its figures and judge each targeted figure.

    Parameters
    ----------
    step : DemoStep
        The step, with its declared targets.
    figures : dict
        The figures the step returned.

    Returns
    -------
    targets : dict of str to Target
        The resolved targets, keyed by figure name.
    verdicts : dict of str to Verdict
        One per target; ``NOT COMPARABLE`` where the figure is missing or its target cannot
        be computed from the figures.

    Examples
    --------
    >>> from crsbi.core.verdict import Target
    >>> from crsbi.demos import DemoStep, step_verdicts
    >>> step = DemoStep("s", "d", lambda context: {}, targets={
    ...     "error": lambda figures: Target.at_most(2 * figures["floor"], "2x the floor")})
    >>> _, verdicts = step_verdicts(step, {"error": 0.3, "floor": 0.1})
    >>> str(verdicts["error"])
    'FAIL'
    """
    targets: dict[str, Target] = {}
    verdicts: dict[str, Verdict] = {}
    for key, spec in step.targets.items():
        try:
            target = spec if isinstance(spec, Target) else spec(figures)
        except (KeyError, TypeError, ValueError) as error:
            target = Target.incomparable(f"target not computable: {error!r}")
        targets[key] = target
        if key not in figures:
            verdicts[key] = Verdict(NOT_COMPARABLE, "figure missing")
        else:
            verdicts[key] = evaluate(figures[key], target)
    return targets, verdicts


def _all_verdicts(results: Sequence[DemoResult]) -> list[Verdict]:
    return [verdict for result in results for verdict in result.verdicts.values()]


def _verdict_text(target: Target, verdict: Verdict) -> str:
    text = f"{verdict.status} (target {target.text()}"
    if target.description:
        text += f": {target.description}"
    if verdict.status == NOT_COMPARABLE:
        text += f"; {verdict.reason}"
    return text + ")"


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
        "Figures are the steps' headline numbers; plots follow each table. Targeted figures "
        "carry a verdict against a target for the demo's own small settings (the papers' "
        "figures are checked by the benchmarks, `python benchmarks/headlines.py`).",
        "",
        f"**{summary_line(_all_verdicts(results), label='demo verdicts')}**",
        "",
    ]
    for result in results:
        lines += [f"## {result.name}", ""]
        if result.description:
            lines += [result.description, ""]
        lines += ["| figure | value | target | verdict |", "|---|---|---|---|"]
        for key, value in result.figures.items():
            target, verdict = result.targets.get(key), result.verdicts.get(key)
            cells = ["", ""]
            if target is not None and verdict is not None:
                text = target.text()
                if target.description:
                    text += f" ({target.description})"
                cells = [_md(text), _md(_verdict_cell(verdict))]
            lines.append(f"| {_md(key)} | {_md(_format(value))} | {cells[0]} | {cells[1]} |")
        lines += [f"| time [s] | {result.seconds:.1f} | | |", ""]
        notes = [
            result.targets[key].note
            for key, verdict in result.verdicts.items()
            if verdict.status != "PASS" and result.targets[key].note
        ]
        lines += [f"*Note:* {note}\n" for note in notes]
        for name in result.files:
            if name.lower().endswith((".png", ".svg", ".jpg")):
                lines += [f"![{name}]({name})", ""]
            else:
                lines += [f"- [{name}]({name})", ""]
    path = output / REPORT_NAME
    path.write_text("\n".join(lines))
    return path


def _verdict_cell(verdict: Verdict) -> str:
    if verdict.status == "PASS":
        return "PASS"
    return f"**{verdict.status}**" + (
        f" ({verdict.reason})" if verdict.status == NOT_COMPARABLE else ""
    )


def _md(text: str) -> str:
    """Escape pipes for a Markdown table cell."""
    return text.replace("|", "\\|")
