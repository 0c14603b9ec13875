"""Small checks shared by the inference modules."""

from __future__ import annotations

from typing import Any

__all__ = ["check_param_names"]


def check_param_names(param_names: Any, n_params: int, owner: str) -> tuple[str, ...]:
    """Validate parameter names; default to ``theta_0, theta_1, ...``.

    Parameters
    ----------
    param_names : sequence of str or None
        Names given by the user.
    n_params : int
        Number of parameters.
    owner : str
        Name of the object the names belong to, used in error messages.

    Returns
    -------
    tuple of str
        ``n_params`` distinct names.
    """
    if param_names is None:
        return tuple(f"theta_{i}" for i in range(n_params))
    if isinstance(param_names, str) or not all(isinstance(n, str) for n in param_names):
        raise TypeError(
            f"The 'param_names' parameter of {owner} must be a sequence of {n_params} strings "
            f"or None. Got {param_names!r} instead."
        )
    names = tuple(param_names)
    if len(names) != n_params or len(set(names)) != n_params:
        raise ValueError(
            f"The 'param_names' parameter of {owner} must hold {n_params} distinct names "
            f"(one per parameter). Got {list(names)} instead."
        )
    return names
