"""Torch device resolution."""

from __future__ import annotations

__all__ = ["resolve_device"]


def resolve_device(device: str | object = "auto") -> str:
    """Resolve a ``device`` argument into a concrete torch device string.

    Parameters
    ----------
    device : str or torch.device, default="auto"
        ``"auto"`` picks ``"cuda"`` when a CUDA device is available and ``"cpu"``
        otherwise; ``"cpu"``, ``"cuda"``, ``"cuda:N"`` and ``"mps"`` are taken as they are
        once checked to be usable.

    Returns
    -------
    str
        The resolved device, e.g. ``"cpu"`` or ``"cuda:0"``.

    Raises
    ------
    ValueError
        If the string is not a device torch knows, or the device is not available here.

    Examples
    --------
    >>> from crsbi.core import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    import torch

    if device is None:
        device = "auto"
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'auto', 'cpu' or 'cuda:0'. Got {device!r} instead."
        )
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Got {device!r} instead."
        ) from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available here.")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} "
                "CUDA device(s) are visible."
            )
    elif parsed.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ValueError(f"device={device!r} was requested but MPS is not available here.")
    elif parsed.type != "cpu":
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Got {device!r} instead."
        )
    return str(parsed)
