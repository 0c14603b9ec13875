"""The ``crsbi`` command line: ``crsbi --version | info | demo``."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from importlib import metadata

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crsbi",
        description="Machine learning and simulation-based inference on cosmic-ray transport.",
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
        0 on success, 1 on an error (reported on one line of stderr), 2 on a usage error.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except (ValueError, TypeError, FileNotFoundError, FloatingPointError, OSError) as exc:
        message = " ".join(str(exc).split())
        print(f"crsbi: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crsbi: interrupted", file=sys.stderr)
        return 130
