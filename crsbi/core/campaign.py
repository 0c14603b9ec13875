"""Resumable, deterministic simulation campaigns, run with joblib locally or on Dask.

A campaign runs a simulator ``simulator(theta, *, random_state)`` (a plain function,
STYLE rule 5) over ``n_simulations`` parameter vectors, drawn from a prior or given,
and stores ``(theta, x, seed, status, message)`` per sample in a directory, one HDF5
file per chunk (see :mod:`crsbi.core._campaign_store` for the layout and why a kill at any
moment loses at most the chunks in flight).

Seeds
-----
Sample ``i`` of a campaign with seed ``s`` gets the integer seed::

    seed_i = SeedSequence(s).spawn(n_simulations)[i].generate_state(1, numpy.uint64)[0]

(equal to ``SeedSequence(s, spawn_key=(i,))``, so it depends on ``s`` and ``i`` only).
Its parameters are drawn from the sample's own stream, independent of the simulator's::

    theta_i = prior.sample(1, random_state=default_rng(SeedSequence(seed_i).spawn(1)[0]))[0]

and its output is ``simulator(theta_i, random_state=seed_i)``. Results are therefore the
same for any ``n_jobs``, backend, chunk size, chunk order or number of restarts, and one
sample is reproduced from its stored ``theta`` and ``seed`` alone.

Integrity
---------
The manifest fingerprints the configuration, the simulator's and prior's parameters
included (``get_params()`` or public attributes, arrays by hash), and every stored file
carries a SHA-256 checksum verified on each read: resuming with another configuration,
or reading a damaged chunk, raises ``ValueError`` instead of mixing or returning wrong
samples.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crsbi.core import _campaign_store as store
from crsbi.core._campaign_store import SimulationStatus
from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval, check_option

__all__ = [
    "BoxPrior",
    "Campaign",
    "CampaignResult",
    "CampaignSummary",
    "SimulationStatus",
    "consolidate_campaign",
    "load_campaign",
    "run_campaign",
]

_BACKENDS = ("loky", "threading", "multiprocessing", "dask")
_PRIOR_PROBE_SEED = 20240601  # fixed: the probe fingerprints the prior, not the campaign


class BoxPrior:
    """Uniform prior on a box: independent uniform bounds ``low[i] <= theta[i] <= high[i]``.

    It follows the campaign prior protocol: ``sample(n, random_state=...)`` returns an
    ``(n, d)`` array and draws from the given generator only.

    Parameters
    ----------
    low, high : array-like of shape (n_params,)
        Finite bounds with ``low < high``, in the units of the parameters.

    Attributes
    ----------
    low, high : ndarray of shape (n_params,)
        The bounds as float arrays.
    n_params : int
        Dimension ``d`` of the box.

    Examples
    --------
    >>> from crsbi.core.campaign import BoxPrior
    >>> prior = BoxPrior([0.0, -1.0], [1.0, 1.0])
    >>> prior.sample(3, random_state=0).shape
    (3, 2)
    >>> float(prior.log_prob([0.5, 0.0])), float(prior.log_prob([2.0, 0.0]))
    (-0.6931471805599453, -inf)
    """

    def __init__(self, low: Any, high: Any) -> None:
        low = np.atleast_1d(np.asarray(low, dtype=float))
        high = np.atleast_1d(np.asarray(high, dtype=float))
        if low.ndim != 1 or low.shape != high.shape:
            raise ValueError(
                "low and high of BoxPrior must be 1-D arrays of the same shape (n_params,); "
                f"got shapes {low.shape} and {high.shape} instead."
            )
        check_finite(low, "low")
        check_finite(high, "high")
        if not np.all(low < high):
            bad = int(np.argmin(low < high))
            raise ValueError(
                f"BoxPrior needs low < high in every dimension; dimension {bad} has "
                f"low={low[bad]!r} and high={high[bad]!r}."
            )
        self.low = low
        self.high = high

    @property
    def n_params(self) -> int:
        """Number of parameters ``d``."""
        return int(self.low.shape[0])

    def sample(self, n: int, random_state: Any = None) -> np.ndarray:
        """Draw ``n`` parameter vectors uniformly in the box.

        Parameters
        ----------
        n : int
            Number of draws, ``n >= 0``.
        random_state : None, int or numpy.random.Generator
            Source of randomness (never the global NumPy RNG).

        Returns
        -------
        ndarray of shape (n, n_params)
            The draws.
        """
        check_interval(n, "n", "BoxPrior.sample", kind=int, low=0)
        rng = check_random_state(random_state)
        return rng.uniform(self.low, self.high, size=(int(n), self.n_params))

    def log_prob(self, theta: Any) -> np.ndarray | float:
        """Log density: ``-sum(log(high - low))`` inside the box, ``-inf`` outside.

        Parameters
        ----------
        theta : array-like of shape (n_params,) or (n, n_params)
            Parameter vectors.

        Returns
        -------
        float or ndarray of shape (n,)
            Log density of each vector (a float for a single vector).
        """
        theta = np.asarray(theta, dtype=float)
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.n_params:
            raise ValueError(
                f"theta must have shape ({self.n_params},) or (n, {self.n_params}); "
                f"got {theta.shape} instead."
            )
        inside = np.all((theta >= self.low) & (theta <= self.high), axis=-1)
        value = np.where(inside, -float(np.sum(np.log(self.high - self.low))), -np.inf)
        return float(value) if theta.ndim == 1 else value

    def __repr__(self) -> str:
        return f"BoxPrior(low={self.low.tolist()!r}, high={self.high.tolist()!r})"


@dataclass(eq=False)
class CampaignResult:
    """Samples of a campaign, in sample-index order.

    Attributes
    ----------
    theta : ndarray of shape (n, n_params)
        Parameters of each sample (also for failed ones).
    x : ndarray of shape (n, n_observables)
        Simulator outputs; NaN rows where no usable output exists.
    seed : ndarray of shape (n,), dtype uint64
        Per-sample seed: ``simulator(theta[i], random_state=int(seed[i]))`` gives ``x[i]``.
    status : ndarray of shape (n,), dtype int8
        :class:`SimulationStatus` codes.
    message : ndarray of shape (n,), dtype object
        Empty for successes, the reason otherwise.
    index : ndarray of shape (n,), dtype int64
        Position of each sample in the campaign (gaps where samples were left out).
    manifest : dict
        Configuration of the campaign (seed, simulator, prior, sizes, crsbi version).

    Examples
    --------
    >>> import tempfile
    >>> from functools import partial
    >>> from crsbi import BoxPrior, Campaign
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     campaign = Campaign(partial(simulate_gaussian_linear, noise_std=0.1), folder,
    ...                         prior=BoxPrior([-1, -1], [1, 1]), n_simulations=8,
    ...                         chunk_size=4, random_state=0, verbose=0)
    ...     _ = campaign.run()
    ...     result = campaign.load()
    >>> len(result), result.theta.shape, result.x.shape
    (8, (8, 2), (8, 2))
    """

    theta: np.ndarray
    x: np.ndarray
    seed: np.ndarray
    status: np.ndarray
    message: np.ndarray
    index: np.ndarray
    manifest: dict = field(repr=False)

    def __len__(self) -> int:
        return int(self.index.shape[0])


@dataclass
class CampaignSummary:
    """Progress of a campaign, as returned by :meth:`Campaign.run` and :meth:`Campaign.summary`.

    Attributes
    ----------
    n_simulations : int
        Size of the campaign.
    n_done : int
        Samples stored (successful or failed).
    n_failed : int
        Stored samples whose status is not ``OK``.
    n_pending : int
        Samples not stored yet, ``n_simulations - n_done``.
    n_chunks, n_chunks_done : int
        Chunks in the campaign, and chunks stored.
    n_run : int
        Samples simulated by this call (0 for :meth:`Campaign.summary`).
    elapsed_s : float
        Wall-clock time of this call, in seconds.
    throughput : float
        ``n_run / elapsed_s``, in simulations per second (NaN when nothing ran).
    simulator_time_s : float
        Worker time spent on the stored chunks, summed over all runs, in seconds.
    failures : dict of str to int
        Stored failures per :class:`SimulationStatus` name.

    Examples
    --------
    >>> import tempfile
    >>> from functools import partial
    >>> from crsbi import BoxPrior, Campaign
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     campaign = Campaign(partial(simulate_gaussian_linear, noise_std=0.1), folder,
    ...                         prior=BoxPrior([-1], [1]), n_simulations=6, chunk_size=3,
    ...                         random_state=0, verbose=0)
    ...     summary = campaign.run(max_chunks=1)
    >>> summary.n_done, summary.n_pending, summary.n_chunks_done
    (3, 3, 1)
    """

    n_simulations: int
    n_done: int
    n_failed: int
    n_pending: int
    n_chunks: int
    n_chunks_done: int
    n_run: int = 0
    elapsed_s: float = 0.0
    throughput: float = math.nan
    simulator_time_s: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def n_succeeded(self) -> int:
        """Stored samples with status ``OK``."""
        return self.n_done - self.n_failed

    @property
    def complete(self) -> bool:
        """Whether every sample is stored."""
        return self.n_pending == 0

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as a plain, JSON-serialisable dictionary."""
        return {**self.__dict__, "failures": dict(self.failures), "complete": self.complete}

    def __str__(self) -> str:
        text = (
            f"{self.n_done}/{self.n_simulations} simulations stored "
            f"({self.n_failed} failed, {self.n_pending} pending)"
        )
        if self.n_run:
            text += (
                f"; ran {self.n_run} in {self.elapsed_s:.2f} s "
                f"({self.throughput:.1f} simulations/s)"
            )
        return text


class Campaign:
    """A resumable, deterministic simulation campaign stored in a directory.

    ``run`` simulates every sample not stored yet, chunk by chunk, in parallel, and
    writes each finished chunk atomically, with a checksum; running the same campaign
    again (after a crash, ``kill -9``, a wall-time limit, or on another machine)
    continues where it stopped. A different configuration on the same directory raises
    ``ValueError``, and so does a change of the simulator's or prior's parameters
    (their ``get_params()``, or else their public attributes, arrays by hash).

    Parameters
    ----------
    simulator : callable
        ``simulator(theta, *, random_state)`` returning a 1-D array of the same length
        for every sample. ``theta`` is a float array of shape (n_params,) and
        ``random_state`` an integer seed. It must be picklable for the process and
        Dask backends: a module-level function, configured with ``functools.partial``.
        Exceptions, NaN or infinite outputs are recorded per sample, not raised. A
        simulator object is fingerprinted by its ``get_params()`` if it has one, else
        by its public attributes: keep runtime state (caches, counters) in private
        ``_attributes``, or resuming sees a changed configuration.
    path : str or os.PathLike
        Campaign directory (created if needed).
    prior : object or None
        Anything with ``sample(n, random_state=generator)`` returning an array of
        shape (n, n_params), such as :class:`BoxPrior`. Exclusive with ``theta``.
    n_simulations : int or None
        Number of samples drawn from ``prior``; with ``theta``, it may be left out.
    theta : array-like of shape (n_simulations, n_params) or None
        Explicit finite parameters, instead of a prior.
    chunk_size : int, default=256
        Samples per chunk: the unit of parallel work, of storage, and of what a kill
        can lose. Choose it so there are many more chunks than workers.
    n_jobs : int or None
        Parallel workers for the local backends (``None`` means 1, ``-1`` all cores).
        With ``backend="dask"`` the cluster sets the parallelism: leave it ``None``
        (or -1).
    backend : {"loky", "threading", "multiprocessing", "dask"}, default="loky"
        joblib backend. ``"dask"`` runs on a ``distributed`` cluster.
    scheduler_address : str or None
        With ``backend="dask"``: address of the scheduler to connect to, e.g.
        ``"tcp://10.0.0.5:8786"``. When ``None`` the current default
        ``distributed.Client`` is used, and its absence is an error.
    random_state : None or int
        Campaign seed. ``None`` draws fresh entropy on the first run and records it in
        the manifest; later runs reuse it. A ``numpy.random.Generator`` is refused: its
        state cannot be recorded for resuming.
    verbose : int, default=1
        0 silences the chunk-level tqdm progress bar.

    See Also
    --------
    run_campaign : Run a campaign and load its successful samples in one call.
    load_campaign : Read a campaign directory or consolidated file without the simulator.

    Examples
    --------
    >>> import tempfile
    >>> from functools import partial
    >>> from crsbi.core.campaign import BoxPrior, Campaign
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> campaign = Campaign(
    ...     partial(simulate_gaussian_linear, noise_std=0.1),
    ...     tempfile.mkdtemp(),
    ...     prior=BoxPrior([-1.0, -1.0], [1.0, 1.0]),
    ...     n_simulations=100,
    ...     chunk_size=25,
    ...     random_state=0,
    ...     verbose=0,
    ... )
    >>> campaign.run().n_done
    100
    >>> result = campaign.load()
    >>> result.theta.shape, result.x.shape
    ((100, 2), (100, 2))
    >>> campaign.run().n_run  # already complete: nothing left to simulate
    0
    """

    def __init__(
        self,
        simulator: Callable[..., Any],
        path: str | os.PathLike,
        *,
        prior: Any = None,
        n_simulations: int | None = None,
        theta: Any = None,
        chunk_size: int = 256,
        n_jobs: int | None = None,
        backend: str = "loky",
        scheduler_address: str | None = None,
        random_state: int | None = None,
        verbose: int = 1,
    ) -> None:
        self.simulator = simulator
        self.path = path
        self.prior = prior
        self.n_simulations = n_simulations
        self.theta = theta
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.backend = backend
        self.scheduler_address = scheduler_address
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ public verbs

    def run(self, *, max_chunks: int | None = None) -> CampaignSummary:
        """Simulate and store every pending chunk (or at most ``max_chunks`` of them).

        Parameters
        ----------
        max_chunks : int or None
            Stop after this many new chunks, e.g. to fit a batch job's wall time;
            ``None`` runs the campaign to completion.

        Returns
        -------
        CampaignSummary
            Counts after the run, with this run's time and throughput.

        Raises
        ------
        ValueError
            If the directory holds a campaign with another configuration, or a stored
            chunk file is damaged (checked once the run is over: the message names the
            file, to delete before running again).
        RuntimeError
            If another process is running this campaign.
        """
        check_interval(max_chunks, "max_chunks", "Campaign.run", kind=int, low=1, allow_none=True)
        plan = self._plan()
        started = time.perf_counter()
        (plan.root / store.CHUNK_DIR).mkdir(parents=True, exist_ok=True)
        n_run = 0
        with store.campaign_lock(plan.root):
            store.remove_temporaries(plan.root)
            manifest = store.open_manifest(plan, create=True)
            checked = store.checksums_required(manifest)
            done = set(store.completed_chunks(plan.root))
            pending = [chunk for chunk in range(plan.n_chunks) if chunk not in done]
            if max_chunks is not None:
                pending = pending[:max_chunks]
            x_dim = store.stored_x_dim(plan.root, sorted(done), require_checksum=checked)
            with (
                _progress_bar(plan, len(done)) as bar,
                closing(store.execute(plan, int(manifest["seed"]), pending)) as outputs,
            ):
                for output in outputs:
                    arrays, attrs, x_dim = store.assemble(output, x_dim)
                    store.write_chunk(plan.root, output["chunk"], arrays, attrs)
                    n_run += len(arrays["index"])
                    bar.update(1)
        elapsed = time.perf_counter() - started
        return _summarize(plan, n_run=n_run, elapsed_s=elapsed, require_checksum=checked)

    def load(self, include_failed: bool = False) -> CampaignResult:
        """Read the stored samples of this campaign, in index order.

        Parameters
        ----------
        include_failed : bool, default=False
            ``False`` returns only successful samples (safe to train on); ``True``
            returns every stored sample with its status and message.

        Returns
        -------
        CampaignResult
            The samples; pending ones are never included.

        Raises
        ------
        ValueError
            If the configuration differs from the stored one, or a chunk file does not
            match its checksum (every damaged file is named).
        """
        plan = self._plan()
        store.open_manifest(plan, create=False)
        return load_campaign(plan.root, include_failed=include_failed)

    def summary(self) -> CampaignSummary:
        """Count stored, failed and pending samples, reading the directory.

        Returns
        -------
        CampaignSummary
            With ``n_run=0``; every sample is pending when nothing was run yet.
        """
        plan = self._plan()
        checked = True
        if (plan.root / store.MANIFEST).is_file():
            checked = store.checksums_required(store.open_manifest(plan, create=False))
        return _summarize(plan, n_run=0, elapsed_s=0.0, require_checksum=checked)

    def consolidate(self, path: str | os.PathLike, *, allow_incomplete: bool = False) -> Path:
        """Write every stored sample into one HDF5 file, atomically.

        Parameters
        ----------
        path : str or os.PathLike
            Output file; it appears only once complete.
        allow_incomplete : bool, default=False
            Whether to write a campaign that still has pending samples.

        Returns
        -------
        pathlib.Path
            ``path``; :func:`load_campaign` reads it.
        """
        plan = self._plan()
        store.open_manifest(plan, create=False)
        return consolidate_campaign(plan.root, path, allow_incomplete=allow_incomplete)

    # ------------------------------------------------------------------ validation

    def _plan(self) -> store.Plan:
        owner = "Campaign"
        if not callable(self.simulator):
            raise TypeError(
                "simulator must be a callable simulator(theta, *, random_state). "
                f"Got {self.simulator!r} instead."
            )
        if not isinstance(self.path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike. Got {self.path!r} instead.")
        check_interval(self.chunk_size, "chunk_size", owner, kind=int, low=1)
        check_interval(self.verbose, "verbose", owner, kind=int, low=0)
        check_option(self.backend, "backend", owner, _BACKENDS)
        n_jobs = _check_n_jobs(self.n_jobs, self.backend)
        if self.scheduler_address is not None:
            if not isinstance(self.scheduler_address, str):
                raise TypeError(
                    "The 'scheduler_address' parameter of Campaign must be a str such as "
                    f"'tcp://host:8786' or None. Got {self.scheduler_address!r} instead."
                )
            if self.backend != "dask":
                raise ValueError(
                    "scheduler_address is used only with backend='dask'; "
                    f"got backend={self.backend!r}."
                )
        seed = _check_seed(self.random_state)
        theta, n_simulations, theta_dim, theta_config = self._parameters()
        chunk_size = int(self.chunk_size)
        n_chunks = -(-n_simulations // chunk_size)
        config = store.normalize(
            {
                "n_simulations": n_simulations,
                "chunk_size": chunk_size,
                "n_chunks": n_chunks,
                "theta_dim": theta_dim,
                "simulator": store.describe(self.simulator),
                **theta_config,
            }
        )
        return store.Plan(
            simulator=self.simulator,
            root=Path(self.path),
            prior=self.prior,
            theta=theta,
            n_simulations=n_simulations,
            chunk_size=chunk_size,
            n_chunks=n_chunks,
            theta_dim=theta_dim,
            seed=seed,
            config=config,
            n_jobs=n_jobs,
            backend=self.backend,
            scheduler_address=self.scheduler_address,
            verbose=int(self.verbose),
        )

    def _parameters(self) -> tuple[np.ndarray | None, int, int, dict[str, Any]]:
        """Validate ``prior`` / ``theta`` / ``n_simulations``."""
        if (self.prior is None) == (self.theta is None):
            raise ValueError(
                "Campaign needs exactly one source of parameters: a prior (with "
                "n_simulations) or an explicit theta array of shape (n_simulations, "
                f"n_params). Got prior={self.prior!r} and theta "
                f"{'given' if self.theta is not None else 'None'}."
            )
        check_interval(
            self.n_simulations, "n_simulations", "Campaign", kind=int, low=1, allow_none=True
        )
        if self.theta is not None:
            theta = np.ascontiguousarray(self.theta, dtype=np.float64)
            if theta.ndim != 2 or theta.shape[0] < 1 or theta.shape[1] < 1:
                raise ValueError(
                    "theta must have shape (n_simulations, n_params) with both sizes >= 1; "
                    f"got an array of shape {theta.shape} instead."
                )
            check_finite(theta, "theta")
            if self.n_simulations is not None and self.n_simulations != theta.shape[0]:
                raise ValueError(
                    f"n_simulations={self.n_simulations} does not match theta, which has "
                    f"{theta.shape[0]} rows; leave n_simulations out when theta is given."
                )
            digest = store.sha256(theta)
            return (
                theta,
                theta.shape[0],
                theta.shape[1],
                {"prior": None, "theta": {"shape": list(theta.shape), "sha256": digest}},
            )
        if self.n_simulations is None:
            raise ValueError("n_simulations must be given with a prior; got None.")
        sample = getattr(self.prior, "sample", None)
        if not callable(sample):
            raise TypeError(
                "prior must have a method sample(n, random_state=generator) returning an "
                f"array of shape (n, n_params), like BoxPrior. Got {self.prior!r} instead."
            )
        probe = np.asarray(
            sample(2, random_state=np.random.default_rng(_PRIOR_PROBE_SEED)), dtype=np.float64
        )
        if probe.ndim != 2 or probe.shape[0] != 2 or probe.shape[1] < 1:
            raise ValueError(
                "prior.sample(n, random_state=generator) must return an array of shape "
                f"(n, n_params); sample(2, ...) returned shape {probe.shape} instead."
            )
        check_finite(probe, "prior.sample(2, ...)")
        return (
            None,
            int(self.n_simulations),
            probe.shape[1],
            # the probe catches a changed prior whose repr does not show its parameters
            {"prior": store.describe(self.prior), "prior_probe": probe.tolist(), "theta": None},
        )


def run_campaign(
    simulator: Callable[..., Any],
    path: str | os.PathLike,
    *,
    include_failed: bool = False,
    **campaign_kwargs: Any,
) -> CampaignResult:
    """Run (or resume) a campaign to completion and load its samples.

    Parameters
    ----------
    simulator : callable
        ``simulator(theta, *, random_state)``, see :class:`Campaign`.
    path : str or os.PathLike
        Campaign directory.
    include_failed : bool, default=False
        Whether the result includes failed samples.
    **campaign_kwargs
        Keyword arguments of :class:`Campaign` (``prior``, ``n_simulations``,
        ``theta``, ``chunk_size``, ``n_jobs``, ``backend``, ``scheduler_address``,
        ``random_state``, ``verbose``).

    Returns
    -------
    CampaignResult
        The stored samples (successful ones only by default).

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.core.campaign import BoxPrior, run_campaign
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> result = run_campaign(
    ...     simulate_gaussian_linear, tempfile.mkdtemp(), prior=BoxPrior([0.0], [1.0]),
    ...     n_simulations=10, chunk_size=5, random_state=1, verbose=0,
    ... )
    >>> len(result), result.x.shape
    (10, (10, 1))
    """
    campaign = Campaign(simulator, path, **campaign_kwargs)
    campaign.run()
    return campaign.load(include_failed=include_failed)


def load_campaign(path: str | os.PathLike, *, include_failed: bool = False) -> CampaignResult:
    """Read a campaign directory, or a file written by :func:`consolidate_campaign`.

    No simulator is needed, so results computed on a cluster can be read anywhere.

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory or consolidated HDF5 file.
    include_failed : bool, default=False
        ``False`` keeps successful samples only; ``True`` keeps every stored sample.

    Returns
    -------
    CampaignResult
        Completed chunks concatenated in index order (pending samples are absent).

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.core.campaign import BoxPrior, Campaign, load_campaign
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> path = tempfile.mkdtemp()
    >>> _ = Campaign(simulate_gaussian_linear, path, prior=BoxPrior([0.0], [1.0]),
    ...              n_simulations=8, chunk_size=4, random_state=0, verbose=0).run()
    >>> load_campaign(path, include_failed=True).status.tolist()
    [0, 0, 0, 0, 0, 0, 0, 0]
    """
    path = Path(path)
    if path.is_file():
        arrays, manifest = store.read_consolidated(path)
    else:
        manifest = store.read_manifest(path)
        arrays = store.read_chunks(path, manifest)
    result = CampaignResult(**arrays, manifest=manifest)
    if include_failed:
        return result
    keep = result.status == SimulationStatus.OK
    return CampaignResult(
        **{name: getattr(result, name)[keep] for name in store.CHUNK_FIELDS}, manifest=manifest
    )


def consolidate_campaign(
    path: str | os.PathLike, output: str | os.PathLike, *, allow_incomplete: bool = False
) -> Path:
    """Write every stored sample of a campaign (failures included) into one HDF5 file.

    The file is written under a temporary name and renamed, so ``output`` is either
    absent or complete. It holds the datasets ``theta``, ``x``, ``seed``, ``status``,
    ``message``, ``index`` and the manifest (as JSON, attribute ``manifest``).

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory.
    output : str or os.PathLike
        HDF5 file to write.
    allow_incomplete : bool, default=False
        Whether pending samples are acceptable.

    Returns
    -------
    pathlib.Path
        ``output``.

    Examples
    --------
    >>> import os, tempfile
    >>> from crsbi.core.campaign import BoxPrior, Campaign, consolidate_campaign, load_campaign
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> path = tempfile.mkdtemp()
    >>> _ = Campaign(simulate_gaussian_linear, path, prior=BoxPrior([0.0], [1.0]),
    ...              n_simulations=6, chunk_size=4, random_state=0, verbose=0).run()
    >>> out = consolidate_campaign(path, os.path.join(path, "all.h5"))
    >>> len(load_campaign(out))
    6
    """
    root = Path(path)
    result = load_campaign(root, include_failed=True)
    n_simulations = result.manifest["config"]["n_simulations"]
    if len(result) != n_simulations and not allow_incomplete:
        raise ValueError(
            f"The campaign at {root} has {n_simulations - len(result)} pending samples of "
            f"{n_simulations}; run it to completion first, or pass allow_incomplete=True."
        )
    output = Path(output)
    arrays = {name: getattr(result, name) for name in store.CHUNK_FIELDS}
    store.write_consolidated(output, arrays, result.manifest)
    return output


# ---------------------------------------------------------------------------- validation


def _check_n_jobs(n_jobs: Any, backend: str) -> int:
    if backend == "dask":
        if n_jobs not in (None, -1) or isinstance(n_jobs, bool):
            raise ValueError(
                "With backend='dask' the cluster's workers set the parallelism: n_jobs must "
                f"be None or -1. Got {n_jobs!r} instead."
            )
        return -1
    if n_jobs is None:
        return 1
    check_interval(n_jobs, "n_jobs", "Campaign", kind=int)
    if n_jobs == 0:
        raise ValueError(
            "The 'n_jobs' parameter of Campaign must be a positive int, a negative int "
            "(-1: all cores) or None. Got 0 instead."
        )
    return int(n_jobs)


def _check_seed(random_state: Any) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, np.random.Generator | np.random.RandomState):
        raise TypeError(
            "The 'random_state' parameter of Campaign must be None or a non-negative int: "
            "the campaign seed is recorded so that runs can resume, which a Generator's "
            f"state does not allow. Got {random_state!r} instead."
        )
    if (
        isinstance(random_state, bool)
        or not isinstance(random_state, numbers.Integral)
        or random_state < 0
    ):
        raise ValueError(
            "The 'random_state' parameter of Campaign must be None or a non-negative int. "
            f"Got {random_state!r} instead."
        )
    return int(random_state)


def _progress_bar(plan: store.Plan, n_chunks_done: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=plan.n_chunks,
        initial=n_chunks_done,
        unit="chunk",
        desc=f"campaign {plan.root.name}",
        disable=plan.verbose == 0,
        leave=False,
    )


# ---------------------------------------------------------------------------- reading


def _summarize(
    plan: store.Plan, *, n_run: int, elapsed_s: float, require_checksum: bool
) -> CampaignSummary:
    n_done = n_chunks_done = 0
    simulator_time = 0.0
    failures: dict[str, int] = {}
    for chunk, path in store.completed_chunks(plan.root).items():
        if chunk >= plan.n_chunks:
            continue
        part = store.read_chunk(path, fields=("status",), require_checksum=require_checksum)
        n_chunks_done += 1
        n_done += len(part["status"])
        simulator_time += float(part["attrs"].get("elapsed_s", 0.0))
        codes, counts = np.unique(part["status"], return_counts=True)
        for code, count in zip(codes, counts, strict=True):
            if code != SimulationStatus.OK:
                name = SimulationStatus(int(code)).name
                failures[name] = failures.get(name, 0) + int(count)
    return CampaignSummary(
        n_simulations=plan.n_simulations,
        n_done=n_done,
        n_failed=sum(failures.values()),
        n_pending=plan.n_simulations - n_done,
        n_chunks=plan.n_chunks,
        n_chunks_done=n_chunks_done,
        n_run=n_run,
        elapsed_s=elapsed_s,
        throughput=n_run / elapsed_s if n_run and elapsed_s > 0 else math.nan,
        simulator_time_s=simulator_time,
        failures=failures,
    )
