"""Random-number handling: one ``random_state`` argument, explicit generators."""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator

import numpy as np

__all__ = ["check_random_state", "seeded_torch", "spawn_seeds", "torch_seed"]

RandomStateLike = None | int | np.integer | np.random.Generator | np.random.SeedSequence


def check_random_state(random_state: RandomStateLike) -> np.random.Generator:
    """Turn a ``random_state`` argument into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` draws fresh entropy from the operating system; an integer or a
        ``SeedSequence`` seeds a new PCG64 generator; a ``Generator`` is returned
        as it is (so the caller's stream advances).

    Returns
    -------
    numpy.random.Generator
        The generator to draw from. The global NumPy RNG is never used.

    Examples
    --------
    >>> from crsbi.core import check_random_state
    >>> float(check_random_state(0).random()) == float(check_random_state(0).random())
    True
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative integer, None or a numpy Generator. "
                f"Got {random_state} instead."
            )
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        raise TypeError(
            "random_state must be None, a non-negative int or a numpy.random.Generator; "
            "legacy numpy.random.RandomState objects are not accepted. "
            "Use numpy.random.default_rng(seed) instead."
        )
    raise TypeError(
        "random_state must be None, a non-negative int, a numpy.random.SeedSequence or a "
        f"numpy.random.Generator. Got {random_state!r} of type {type(random_state).__name__}."
    )


def torch_seed(rng: np.random.Generator) -> int:
    """Draw a 63-bit integer seed for :func:`torch.manual_seed` from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Generator the seed is drawn from (its stream advances by one draw).

    Returns
    -------
    int
        A seed in ``[0, 2**63 - 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.core import torch_seed
    >>> torch_seed(np.random.default_rng(0)) == torch_seed(np.random.default_rng(0))
    True
    """
    return int(rng.integers(0, 2**63 - 1, dtype=np.int64))


def spawn_seeds(random_state: RandomStateLike, n: int) -> list[np.random.SeedSequence]:
    """Derive ``n`` independent seed sequences for parallel work.

    The ``i``-th child depends only on ``random_state`` and ``i``, never on how the
    work is split between processes, so results do not depend on ``n_jobs``.

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Root of the seed tree. A ``Generator`` contributes one draw as the root entropy.
    n : int
        Number of children, ``n >= 0``.

    Returns
    -------
    list of numpy.random.SeedSequence
        Independent children, one per task.

    Examples
    --------
    >>> from crsbi.core import spawn_seeds
    >>> a = spawn_seeds(1, 3)
    >>> b = spawn_seeds(1, 5)
    >>> a[2].entropy == b[2].entropy and a[2].spawn_key == b[2].spawn_key
    True
    """
    if not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be a non-negative integer. Got {n!r} instead.")
    if isinstance(random_state, np.random.SeedSequence):
        root = random_state
    elif isinstance(random_state, np.random.Generator):
        root = np.random.SeedSequence(int(random_state.integers(0, 2**63 - 1)))
    elif random_state is None:
        root = np.random.SeedSequence()
    else:
        check_random_state(random_state)  # validates type and sign
        root = np.random.SeedSequence(int(random_state))
    return root.spawn(int(n))


@contextlib.contextmanager
def seeded_torch(seed: int, device: str = "cpu") -> Iterator[None]:
    """Run a block with torch's global generators forked and seeded with ``seed``.

    The caller's torch random state is restored when the block ends, so library
    code never disturbs the user's global stream.

    Parameters
    ----------
    seed : int
        Seed for :func:`torch.manual_seed` inside the block.
    device : str, default="cpu"
        Device whose generator is forked too when it is a CUDA device.

    Examples
    --------
    >>> import torch
    >>> from crsbi.core import seeded_torch
    >>> with seeded_torch(1):
    ...     a = torch.rand(2)
    >>> with seeded_torch(1):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    import torch

    parsed = torch.device(device)
    fork_devices = [parsed.index or 0] if parsed.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        yield
