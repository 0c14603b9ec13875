"""The ``crsbi`` command line.

``crsbi --version | info | demo`` and the configured workflow ``simulate -> train ->
calibrate -> infer`` (TOML files, read by :mod:`crsbi.core.config`), plus ``report``, which
rebuilds the reproduction report of a source checkout. See ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from crsbi._version import __version__

__all__ = ["main"]

_REPORTED_PACKAGES = (
    "numpy",
    "scipy",
    "torch",
    "sbi",
    "scikit-learn",
    "emcee",
    "healpy",
    "numba",
    "arviz",
    "h5py",
)


def _info_lines() -> list[str]:
    """Versions, compute device and data directory, one ``key: value`` per line."""
    lines = [f"crsbi: {__version__}", f"python: {platform.python_version()}"]
    for package in _REPORTED_PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"{package}: {version}")
    try:
        import torch

        from crsbi.core.device import resolve_device

        cuda = (
            f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
            if torch.cuda.is_available()
            else "not available"
        )
        lines.append(f"device (auto): {resolve_device('auto')}")
        lines.append(f"cuda: {cuda}")
        lines.append(f"torch threads: {torch.get_num_threads()}")
    except ImportError:
        lines.append("device (auto): unknown (torch not importable)")
    from crsbi.core.data import data_dir

    try:
        lines.append(f"data directory: {data_dir()}")
    except FileNotFoundError as exc:
        lines.append(f"data directory: not found ({exc})")
    return lines


def _command_info(args: argparse.Namespace) -> int:
    print("\n".join(_info_lines()))
    return 0


def _command_demo(args: argparse.Namespace) -> int:
    from crsbi.demos import available_steps, run_demo

    if args.list:
        for step in available_steps():
            print(f"{step.name:<24} {step.description}")
        return 0
    steps = [s.strip() for s in args.steps.split(",") if s.strip()] if args.steps else None
    print(f"crsbi {__version__} demo (results in {args.output_dir}/)")
    run_demo(
        steps,
        output_dir=args.output_dir,
        random_state=args.random_state,
        verbose=args.verbose,
    )
    print("demo finished")
    return 0


# ------------------------------------------------------------------------- simulators


@dataclass
class _Simulation:
    """A ``[simulate]`` section made concrete: simulator, prior and campaign settings."""

    config: dict[str, Any]
    simulator: Callable[..., Any]
    prior: Any
    param_names: tuple[str, ...]
    low: Any
    high: Any

    def campaign(self, **overrides: Any) -> Any:
        """Build the campaign of this section; ``overrides`` replace ``output``, ``seed``, ..."""
        from crsbi.core.campaign import Campaign

        config = {**self.config, **{k: v for k, v in overrides.items() if v is not None}}
        return Campaign(
            self.simulator,
            config["output"],
            prior=self.prior,
            n_simulations=config["n_simulations"],
            chunk_size=config["chunk_size"],
            n_jobs=config["n_jobs"],
            random_state=config["seed"],
            verbose=config["verbose"],
        )


def _bounds(table: dict[str, Any], defaults: dict[str, tuple[float, float]]) -> Any:
    """``[simulate.prior]`` checked against the simulator's parameters: (low, high) arrays."""
    import numpy as np

    from crsbi.core.config import ConfigKey, validate_table

    keys = [
        ConfigKey(name, "pair", default=tuple(float(v) for v in bounds))
        for name, bounds in defaults.items()
    ]
    bounds = validate_table(table, keys, "simulate.prior")
    low = np.array([bounds[name][0] for name in defaults])
    high = np.array([bounds[name][1] for name in defaults])
    return low, high


def _options_from_signature(
    function: Callable[..., Any], skip: Sequence[str], any_kind: Sequence[str] = ()
) -> list[Any]:
    """One ConfigKey per keyword of ``function``, its type taken from the default value."""
    from crsbi.core.config import ConfigKey

    keys = []
    for name, parameter in inspect.signature(function).parameters.items():
        if name in skip or parameter.kind not in (
            parameter.KEYWORD_ONLY,
            parameter.POSITIONAL_OR_KEYWORD,
        ):
            continue
        default = parameter.default
        if name in any_kind or default is None or default is parameter.empty:
            kind = "any"
        elif isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, int):
            kind = "int"
        elif isinstance(default, float):
            kind = "float"
        elif isinstance(default, str):
            kind = "str"
        else:
            kind = "any"
        keys.append(ConfigKey(name, kind, default=default))
    return keys


def _galactic(config: dict[str, Any]) -> _Simulation:
    from crsbi.core.campaign import BoxPrior
    from crsbi.core.config import ConfigKey, validate_table
    from crsbi.propagation.galactic import (
        MODELS,
        check_galactic_params,
        param_names,
        prior_bounds,
        simulate_galactic_batch,
    )

    options = validate_table(
        config["options"],
        [
            ConfigKey("model", "str", default="paper", choices=MODELS),
            ConfigKey("phi", "float", default=0.0, low=0.0),
        ],
        "simulate.options",
    )
    model = options["model"]
    low, high = _bounds(config["prior"], prior_bounds(model))
    for corner, name in ((low, "low"), (high, "high")):
        try:
            check_galactic_params(corner, model)
        except ValueError as exc:
            raise ValueError(f"[simulate.prior] the {name} bounds are invalid: {exc}") from None
    return _Simulation(
        config=config,
        simulator=partial(simulate_galactic_batch, model=model, phi=options["phi"]),
        prior=BoxPrior(low, high),
        param_names=param_names(model),
        low=low,
        high=high,
    )


def _diffusion(config: dict[str, Any]) -> _Simulation:
    from crsbi.core.config import validate_table
    from crsbi.particles.diffusion_dataset import (
        FEATURES,
        MAX_STEPS_FACTOR,
        PALADE_BOX,
        LogBoxPrior,
        simulate_transport_summary,
    )
    from crsbi.particles.tracing import simulate_diffusion

    keys = _options_from_signature(
        simulate_diffusion, skip=("T", "b", "lambda_perp", "random_state"), any_kind=("mu",)
    )
    given = validate_table(config["options"], keys, "simulate.options")
    options = {name: given[name] for name in config["options"]}
    # the settings of make_diffusion_database: guiding-centre displacement, runs doubled
    # until D_perp converges
    n_steps = int(given["n_steps"])
    options = {
        "displacement": "guiding_centre",
        "max_steps": MAX_STEPS_FACTOR * n_steps,
        "converge_on": "perp",
        **options,
    }
    defaults = {
        name: (float(lo), float(hi)) for name, lo, hi in zip(FEATURES, *PALADE_BOX, strict=True)
    }
    low, high = _bounds(config["prior"], defaults)
    log_columns = (0, 2)  # T and lambda_perp span decades: drawn log-uniformly
    for column in log_columns:
        if low[column] <= 0:
            raise ValueError(
                f"[simulate.prior] {FEATURES[column]} is drawn log-uniformly, so its low bound "
                f"must be > 0; got {low[column]:g}"
            )
    return _Simulation(
        config=config,
        simulator=partial(simulate_transport_summary, **options),
        prior=LogBoxPrior(low, high, log_columns),
        param_names=FEATURES,
        low=low,
        high=high,
    )


def _gaussian_linear(config: dict[str, Any]) -> _Simulation:
    from crsbi.core.campaign import BoxPrior
    from crsbi.core.config import ConfigKey, validate_table
    from crsbi.inference.gaussian_linear import simulate_gaussian_linear

    options = validate_table(
        config["options"],
        [
            ConfigKey("n_params", "int", default=2, low=1),
            ConfigKey("noise_std", "float", default=0.1, low=0.0, closed="neither"),
        ],
        "simulate.options",
    )
    names = tuple(f"theta_{i}" for i in range(options["n_params"]))
    low, high = _bounds(config["prior"], dict.fromkeys(names, (-1.0, 1.0)))
    return _Simulation(
        config=config,
        simulator=partial(simulate_gaussian_linear, noise_std=options["noise_std"]),
        prior=BoxPrior(low, high),
        param_names=names,
        low=low,
        high=high,
    )


#: ``simulator = "..."`` of a ``[simulate]`` section -> what builds it
_SIMULATORS: dict[str, Callable[[dict[str, Any]], _Simulation]] = {
    "galactic": _galactic,
    "diffusion": _diffusion,
    "gaussian_linear": _gaussian_linear,
}


def _simulation(path: Path) -> _Simulation:
    """Read and check the ``[simulate]`` section of ``path``."""
    from crsbi.core.config import load_config

    config = load_config(path, "simulate")
    return _SIMULATORS[config["simulator"]](config)


def _complete_campaign(simulation: _Simulation, command: str, source: Path) -> Any:
    """Load the successful samples of a finished campaign, or raise a clear error."""
    campaign = simulation.campaign(verbose=0)
    output = simulation.config["output"]
    if not (Path(output) / "manifest.json").is_file():
        raise FileNotFoundError(
            f"No campaign at {output}: run `crsbi simulate {source}` before `crsbi {command}`."
        )
    summary = campaign.summary()
    if not summary.complete:
        raise ValueError(
            f"The campaign at {output} has {summary.n_pending} of {summary.n_simulations} "
            f"simulations pending: run `crsbi simulate {source}` again to finish it."
        )
    data = campaign.load()
    if len(data) == 0:
        raise ValueError(f"Every simulation of the campaign at {output} failed.")
    return data


def _report_failures(campaign: Any, summary: Any) -> None:
    if not summary.n_failed:
        return
    from crsbi.core.campaign import SimulationStatus

    every = campaign.load(include_failed=True)
    first = int((every.status != SimulationStatus.OK).argmax())
    counts = ", ".join(f"{name} {count}" for name, count in sorted(summary.failures.items()))
    print(f"failed simulations: {counts}; first (sample {every.index[first]}): ", end="")
    print(" ".join(str(every.message[first]).split())[:300])
    if summary.n_failed == summary.n_done:
        raise ValueError(
            "Every stored simulation failed; check [simulate.options] and [simulate.prior] "
            f"(first failure: {' '.join(str(every.message[first]).split())[:300]})"
        )


def _command_simulate(args: argparse.Namespace) -> int:
    source = Path(args.config)
    simulation = _simulation(source)
    config = simulation.config
    verbose = config["verbose"] if args.verbose is None else args.verbose
    campaign = simulation.campaign(verbose=verbose)
    before = campaign.summary()  # also refuses a directory holding another configuration
    print(
        f"crsbi simulate: {config['n_simulations']} {config['simulator']} simulations of "
        f"{len(simulation.param_names)} parameters ({', '.join(simulation.param_names)}), "
        f"seed {config['seed']}, into {config['output']}"
    )
    if before.n_done:
        print(f"resuming: {before.n_done} already stored")
    try:
        summary = campaign.run(max_chunks=args.max_chunks)
    except KeyboardInterrupt:
        print(
            "crsbi: the finished chunks are stored; run the same command again to resume.",
            file=sys.stderr,
        )
        raise
    print(summary)
    _report_failures(campaign, summary)
    if summary.complete:
        print(f"campaign complete: {config['output']}")
    else:
        print(f"{summary.n_pending} pending: run the same command again to continue")
    return 0


# ------------------------------------------------------------------------------ train

#: Short names accepted by ``[train] estimator``
_ESTIMATORS = {
    "PosteriorEstimator": "crsbi.inference.PosteriorEstimator",
    "NeuralRegressor": "crsbi.core.neural.NeuralRegressor",
}


def _estimator_class(name: str) -> type:
    path = _ESTIMATORS.get(name, name)
    module_name, _, class_name = path.rpartition(".")
    problem = None
    if not path.startswith("crsbi.") or not module_name:
        problem = "is not a crsbi estimator"
    else:
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            problem = "cannot be imported"
        else:
            if not (inspect.isclass(cls) and hasattr(cls, "fit") and hasattr(cls, "get_params")):
                problem = "is not an estimator class (with fit and get_params)"
    if problem:
        short = ", ".join(f'"{short}"' for short in _ESTIMATORS)
        raise ValueError(
            f'[train] estimator "{name}" {problem}; use {short} or the dotted path of a crsbi '
            'estimator class, e.g. "crsbi.inference.PosteriorEstimator"'
        )
    return cls


def _estimator_params(
    cls: type, given: dict[str, Any], simulation: _Simulation, config: dict
) -> dict:
    """``[train.params]`` checked against the estimator's parameters, with CLI defaults."""
    from crsbi.core.config import ConfigKey, validate_table

    defaults = cls().get_params(deep=False)
    keys = []
    for name, default in defaults.items():
        kind = "any"
        if isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, int):
            kind = "int"
        elif isinstance(default, float):
            kind = "float"
        elif isinstance(default, str):
            kind = "str"
        keys.append(ConfigKey(name, kind, default=default))
    params = validate_table(given, keys, "train.params")
    params = {name: params[name] for name in given}
    # what the campaign knows, unless the file says otherwise
    implied = {
        "prior_low": simulation.low.tolist(),
        "prior_high": simulation.high.tolist(),
        "param_names": list(simulation.param_names),
        "random_state": config["seed"],
        "verbose": config["verbose"],
    }
    for name, value in implied.items():
        if name in defaults and name not in params:
            if name.startswith("prior_") and "prior" in params:
                continue
            params[name] = value
    return params


def _score_meaning(estimator: Any) -> str:
    from sklearn.base import is_classifier, is_regressor

    if hasattr(estimator, "to_inference_data"):
        return "mean log posterior density of the true parameters; higher is better"
    if is_regressor(estimator):
        return "R^2 of the parameters; 1 is perfect"
    if is_classifier(estimator):
        return "accuracy"
    return "the estimator's score()"


def _command_train(args: argparse.Namespace) -> int:
    import numpy as np

    from crsbi.core.config import load_config
    from crsbi.core.persistence import save

    source = Path(args.config)
    config = load_config(source, "train")
    campaign_source = config["simulation"] or source
    simulation = _simulation(campaign_source)
    cls = _estimator_class(config["estimator"])
    estimator = cls(**_estimator_params(cls, config["params"], simulation, config))
    data = _complete_campaign(simulation, "train", campaign_source)
    x, theta = np.asarray(data.x, dtype=float), np.asarray(data.theta, dtype=float)
    model: Any = estimator
    if config["features"] == "log10":
        bad = np.flatnonzero(~(x > 0).all(axis=0))
        if bad.size:
            raise ValueError(
                '[train] features = "log10" needs positive simulator outputs; output column '
                f'{bad[0]} has values <= 0. Use features = "none".'
            )
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer

        model = Pipeline([("log10", FunctionTransformer(np.log10)), ("estimator", estimator)])
    n_test = round(config["test_fraction"] * len(x))
    if n_test < 1 or len(x) - n_test < 2:
        raise ValueError(
            f"[train] test_fraction = {config['test_fraction']:g} of {len(x)} simulations leaves "
            f"{n_test} for the score and {len(x) - n_test} for training; each needs more."
        )
    order = np.random.default_rng(config["seed"]).permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    print(
        f"crsbi train: {cls.__name__} on {len(train)} simulations of {simulation.config['output']} "
        f"({n_test} held out), features: {config['features']}"
    )
    started = time.perf_counter()
    model.fit(x[train], theta[train])
    elapsed = time.perf_counter() - started
    score = float(model.score(x[test], theta[test]))
    output = Path(config["output"])
    output.parent.mkdir(parents=True, exist_ok=True)
    save(model, output)
    print(f"training time: {elapsed:.1f} s")
    print(f"held-out score: {score:.4g} ({_score_meaning(estimator)})")
    print(f"saved to {output}")
    return 0


# ------------------------------------------------------------------------------ models


def _pretrained_names() -> list[str]:
    try:
        from crsbi import pretrained

        return list(pretrained.list())
    except (ImportError, OSError, AttributeError):
        return []


def _load_model(spec: str) -> Any:
    """Load a shipped model by name, or a file written by :func:`crsbi.core.save`."""
    from crsbi.core.persistence import load

    path = Path(spec).expanduser()
    if path.is_file():
        return load(path)
    names = _pretrained_names()
    if spec in names:
        from crsbi import pretrained

        return pretrained.load(spec)
    if path.is_dir():
        raise ValueError(
            f"MODEL {spec} is a directory; expected a model file or a shipped model name."
        )
    raise FileNotFoundError(
        f"MODEL {spec!r} is neither a file nor a shipped model; shipped models: "
        f"{', '.join(names) if names else 'none'}."
    )


def _final_step(model: Any) -> Any:
    from sklearn.pipeline import Pipeline

    return model[-1] if isinstance(model, Pipeline) else model


# ------------------------------------------------------------------------------ infer


def _read_vector(path: Path) -> Any:
    """One observation vector from a ``.npy``, ``.txt`` or ``.csv`` file."""
    import numpy as np

    if not path.is_file():
        raise FileNotFoundError(f"DATA file {path} not found.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    elif suffix in (".txt", ".csv"):
        array = np.loadtxt(path, delimiter="," if suffix == ".csv" else None, ndmin=1)
    else:
        raise ValueError(
            f"DATA {path} must be a .npy, .txt or .csv file holding one observation vector "
            "(for this model, which has no read_observation method)."
        )
    array = np.asarray(array, dtype=float)
    if array.ndim > 1 and sum(size > 1 for size in array.shape) > 1:
        raise ValueError(
            f"DATA {path} holds an array of shape {array.shape}; expected one observation "
            "vector (one row or one column)."
        )
    array = array.reshape(-1)
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"DATA {path} must hold a non-empty vector of finite numbers.")
    return array


def _inference_data(model: Any, data: Path, n_samples: int, random_state: int | None) -> Any:
    """Posterior draws of ``model`` for the observation in ``data``, as InferenceData."""
    if callable(getattr(model, "read_observation", None)):
        observation = model.read_observation(data)
        kwargs: dict[str, Any] = {"n_samples": n_samples}
        if random_state is not None:
            kwargs["random_state"] = random_state
        return model.to_inference_data(observation, **kwargs)
    final = _final_step(model)
    if not callable(getattr(final, "to_inference_data", None)):
        raise TypeError(
            f"The model is a {type(final).__name__}, which gives no posterior (no "
            "to_inference_data method); crsbi infer needs a posterior estimator such as "
            "crsbi.inference.PosteriorEstimator."
        )
    x = _read_vector(data)
    if final is not model:
        x = model[:-1].transform(x[None, :])[0]
    method = final.to_inference_data
    if "random_state" in inspect.signature(method).parameters:
        return method(x, n_samples=n_samples, random_state=random_state)
    if random_state is not None and hasattr(final, "sampling_seed_"):
        from crsbi.core.random import check_random_state, torch_seed

        final.sampling_seed_ = torch_seed(check_random_state(random_state))
    return method(x, n_samples=n_samples)


def _draw_matrix(idata: Any) -> tuple[list[str], Any]:
    """Posterior draws as columns (chains and draws pooled), one per scalar parameter."""
    import numpy as np

    names, columns = [], []
    for name, variable in idata.posterior.data_vars.items():
        values = np.asarray(variable.values, dtype=float)
        flat = values.reshape(values.shape[0] * values.shape[1], -1)
        if flat.shape[1] == 1:
            names.append(str(name))
            columns.append(flat[:, 0])
        else:
            for i in range(flat.shape[1]):
                names.append(f"{name}[{i}]")
                columns.append(flat[:, i])
    if not columns:
        raise ValueError("The model returned no posterior variables.")
    return names, np.column_stack(columns)


def _summary_lines(names: list[str], draws: Any) -> list[str]:
    import numpy as np

    width = max(9, *(len(name) for name in names))
    lines = [f"{'parameter':<{width}} {'mean':>11} {'std':>11} {'5%':>11} {'95%':>11}"]
    q05, q95 = np.percentile(draws, [5, 95], axis=0)
    for i, name in enumerate(names):
        column = draws[:, i]
        lines.append(
            f"{name:<{width}} {column.mean():>11.4g} {column.std(ddof=1):>11.4g} "
            f"{q05[i]:>11.4g} {q95[i]:>11.4g}"
        )
    return lines


def _command_infer(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.n_samples < 2:
        raise ValueError(f"--n-samples must be >= 2; got {args.n_samples}.")
    model = _load_model(args.model)
    idata = _inference_data(model, Path(args.data), args.n_samples, args.random_state)
    names, draws = _draw_matrix(idata)
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    netcdf = output / "posterior.nc"
    partial_file = output / "posterior.nc.part"
    idata.to_netcdf(str(partial_file))
    os.replace(partial_file, netcdf)
    figure_path = output / "corner.png"
    _corner_plot(draws, names, figure_path)
    print(f"crsbi infer: {len(draws)} posterior draws of {args.model} for {args.data}")
    print("\n".join(_summary_lines(names, draws)))
    print(f"wrote {netcdf} and {figure_path}")
    print(f"wall time: {time.perf_counter() - started:.1f} s")
    return 0


def _corner_plot(draws: Any, names: list[str], path: Path) -> None:
    from matplotlib.figure import Figure

    from crsbi.propagation.plotting import plot_corner

    size = 1.6 * len(names) + 1
    figure = Figure(figsize=(size, size))
    plot_corner(draws, param_names=names, fig=figure)
    figure.savefig(path, dpi=80 if len(names) > 6 else 100, bbox_inches="tight")


# -------------------------------------------------------------------------- calibrate


def _command_calibrate(args: argparse.Namespace) -> int:
    import numpy as np

    from crsbi.core.config import load_config
    from crsbi.inference.calibration import run_calibration

    source = Path(args.config)
    config = load_config(source, "calibrate")
    simulation = _simulation(config["simulation"] or source)
    training = simulation.config
    if Path(config["output"]).resolve() == Path(training["output"]).resolve():
        raise ValueError(
            f"[calibrate] output must differ from [simulate] output ({training['output']}): "
            "calibration needs held-out simulations, not the training campaign"
        )
    if config["seed"] == training["seed"]:
        raise ValueError(
            f"[calibrate] seed must differ from [simulate] seed (both {config['seed']}): with "
            "the same seed the held-out simulations would repeat the training ones"
        )
    model = _load_model(args.model)
    if callable(getattr(model, "read_observation", None)):
        raise ValueError(
            f"MODEL {args.model} reads its own observations (read_observation), not the "
            "simulator output of a campaign; crsbi calibrate needs a model that takes it, such "
            "as one trained by crsbi train. A shipped model's card holds its calibration "
            "evidence: crsbi.pretrained.card(name)['calibration']."
        )
    final = _final_step(model)
    n_params = getattr(final, "n_params_", None)
    if n_params is not None and n_params != len(simulation.param_names):
        raise ValueError(
            f"The model infers {n_params} parameters but the [simulate] section's "
            f"{training['simulator']} simulator has {len(simulation.param_names)}."
        )
    verbose = config["verbose"] if args.verbose is None else args.verbose
    campaign = simulation.campaign(
        output=config["output"],
        n_simulations=config["n_simulations"],
        seed=config["seed"],
        verbose=verbose,
    )
    print(
        f"crsbi calibrate: {args.model} on {config['n_simulations']} held-out "
        f"{training['simulator']} simulations (seed {config['seed']}) in {config['output']}"
    )
    summary = campaign.run()
    _report_failures(campaign, summary)
    data = campaign.load()
    started = time.perf_counter()
    report = run_calibration(
        model,
        np.asarray(data.theta, dtype=float),
        np.asarray(data.x, dtype=float),
        n_posterior_samples=config["n_posterior_samples"],
        levels=config["levels"],
        param_names=list(simulation.param_names),
        c2st=config["c2st"],
        random_state=config["seed"],
        verbose=0,
    )
    elapsed = time.perf_counter() - started
    print("\n".join(_calibration_lines(report, config["alpha"])))
    print(f"calibration time: {elapsed:.1f} s")
    if config["report"] is not None:
        path = Path(config["report"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report.to_markdown(config["alpha"]) + "\n")
        print(f"wrote {path}")
    return 0


def _calibration_lines(report: Any, alpha: float) -> list[str]:
    width = max(9, *(len(name) for name in report.param_names))
    lines = [
        f"{report.n_rounds} simulations, {report.n_posterior_samples} posterior draws each",
        "SBC rank uniformity (KS p-value per parameter):",
    ]
    for name, p_value in zip(report.param_names, report.sbc_ks_pvalues, strict=True):
        lines.append(f"  {name:<{width}} {p_value:.3g}")
    lines.append("HPD coverage (expected +- 1 s.e.):")
    for level, coverage, error in zip(
        report.levels, report.hpd_coverage, report.hpd_coverage_stderr, strict=True
    ):
        lines.append(f"  level {level:.3g}: {coverage:.3f} (expected {level:.3g} +- {error:.3f})")
    lines.append(f"  HPD credibility KS p-value: {report.hpd_ks_pvalue:.3g}")
    lines.append(
        f"TARP: ATC = {report.tarp_atc:+.3f} (> 0 underconfident, < 0 overconfident), "
        f"KS p-value = {report.tarp_ks_pvalue:.3g}"
    )
    failed = report.failed_tests(alpha)
    n_tests = len(report.p_values)
    if failed:
        verdict = f"FAIL (not calibrated at alpha = {alpha:g}: rejected by {', '.join(failed)})"
    else:
        verdict = f"PASS (calibrated at alpha = {alpha:g}: none of {n_tests} tests rejected)"
    lines.append(f"verdict: {verdict}")
    return lines


# ----------------------------------------------------------------------------- report

_REPORT_SCRIPT = Path("docs") / "_report.py"
#: Where the search for a checkout starts when the current folder is outside one
_PACKAGE_FOLDER = Path(__file__).resolve().parent


def _find_checkout(root: str | None) -> Path:
    """Find the source checkout holding ``docs/_report.py``."""
    if root is not None:
        folder = Path(root).expanduser().resolve()
        if not (folder / _REPORT_SCRIPT).is_file():
            raise FileNotFoundError(
                f"--root {root}: no {_REPORT_SCRIPT} there; point it at a crsbi source checkout."
            )
        return folder
    starts = [Path.cwd().resolve(), _PACKAGE_FOLDER]
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / _REPORT_SCRIPT).is_file():
                return folder
    raise FileNotFoundError(
        f"No crsbi source checkout (a folder with {_REPORT_SCRIPT}) above {starts[0]} or "
        f"{starts[1]}: the report is built from benchmarks/results/ of a checkout, which an "
        "installed package lacks. Run it inside a checkout or pass --root PATH."
    )


def _command_report(args: argparse.Namespace) -> int:
    root = _find_checkout(args.root)
    script = root / _REPORT_SCRIPT
    name = "_crsbi_docs_report"
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:
        raise ValueError(f"Cannot import {script}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it executes
    try:
        spec.loader.exec_module(module)
        write = getattr(module, "write_results_page", None)
        if not callable(write):
            raise ValueError(f"{script} has no function write_results_page().")
        page = write()
    finally:
        sys.modules.pop(name, None)
    print(f"wrote {page}")
    return 0


# ----------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crsbi",
        description="Machine learning and simulation-based inference on cosmic-ray transport.",
        epilog="Workflow: crsbi simulate CONFIG -> crsbi train CONFIG -> crsbi calibrate MODEL "
        "CONFIG -> crsbi infer MODEL DATA. Example configurations: examples/ of the source "
        "checkout; docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"crsbi {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = commands.add_parser("info", help="versions, compute device and data directory")
    info.set_defaults(handler=_command_info)
    demo = commands.add_parser("demo", help="short end-to-end run of every crsbi part")
    demo.add_argument("--steps", help="comma-separated step names (default: all)")
    demo.add_argument("--list", action="store_true", help="list the steps and exit")
    demo.add_argument("--output-dir", default="crsbi-demo", help="where plots are written")
    demo.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    demo.add_argument(
        "--verbose", type=int, default=1, choices=(0, 1), help="0 hides progress bars"
    )
    demo.set_defaults(handler=_command_demo)

    simulate = commands.add_parser(
        "simulate", help="run or resume the simulation campaign of a TOML [simulate] section"
    )
    simulate.add_argument("config", help="TOML file with a [simulate] section")
    simulate.add_argument(
        "--max-chunks",
        type=int,
        default=None,
        help="stop after this many new chunks (run again to continue)",
    )
    simulate.add_argument(
        "--verbose", type=int, choices=(0, 1), default=None, help="0 hides the progress bar"
    )
    simulate.set_defaults(handler=_command_simulate)

    train = commands.add_parser("train", help="train an estimator on a finished campaign")
    train.add_argument("config", help="TOML file with a [train] section")
    train.set_defaults(handler=_command_train)

    infer = commands.add_parser(
        "infer", help="posterior of an observation: NetCDF draws, corner plot, summary"
    )
    infer.add_argument("model", help="shipped model name or a file saved by crsbi.core.save")
    infer.add_argument(
        "data", help="observation: a .npy/.txt/.csv vector, or a file the model reads"
    )
    infer.add_argument("--n-samples", type=int, default=4000, help="posterior draws (4000)")
    infer.add_argument("--random-state", type=int, default=None, help="seed of the draws")
    infer.add_argument(
        "--output-dir", default="crsbi-infer", help="folder of posterior.nc and corner.png"
    )
    infer.set_defaults(handler=_command_infer)

    calibrate = commands.add_parser(
        "calibrate", help="SBC, TARP and HPD coverage of a model on held-out simulations"
    )
    calibrate.add_argument("model", help="shipped model name or a file saved by crsbi.core.save")
    calibrate.add_argument("config", help="TOML file with a [calibrate] section")
    calibrate.add_argument(
        "--verbose", type=int, choices=(0, 1), default=None, help="0 hides the progress bar"
    )
    calibrate.set_defaults(handler=_command_calibrate)

    report = commands.add_parser(
        "report", help="rebuild docs/results.md from benchmarks/results/ (source checkout)"
    )
    report.add_argument(
        "--root", default=None, help="source checkout (default: found above the current folder)"
    )
    report.set_defaults(handler=_command_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crsbi`` command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str or None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        0 on success, 1 on an error (reported on one line of stderr), 2 on a usage error,
        130 when interrupted.

    Examples
    --------
    >>> from crsbi.cli import main
    >>> main(["demo", "--list"])  # doctest: +ELLIPSIS
    training-core ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except (
        ValueError,
        TypeError,
        FileNotFoundError,
        FloatingPointError,
        OSError,
        RuntimeError,
        ImportError,
    ) as exc:
        message = " ".join(str(exc).split())
        print(f"crsbi: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crsbi: interrupted", file=sys.stderr)
        return 130
