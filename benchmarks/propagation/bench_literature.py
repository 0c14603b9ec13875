"""crsbi's 1D model against published fits: USINE 1D (AMS-02 B/C) and the paper's GALPROP point.

Two questions of issue 25, answered on the AMS-02 B/C ratio (67 rigidity points, stat and
sys in quadrature unless ``--sys-corr``), sources fitted to the AMS-02 C and O fluxes
(``bench_predictive.SourceFit``) and held:

1. **Same model family.** USINE's 1D thin-disc/diffusive-halo model (Genolini et al. 2019,
   PRD 99 123028, "G19"; Weinrich et al. 2020, A&A 639 A131, "W20") is the model crsbi
   solves. B/C fixes ``K/L``, so the halo is held at the published ``L`` and the fits give
   ``delta``, ``K10 = K(10 GV)`` [kpc^2/Myr] and ``v_A``: the SLIM-like model (no
   reacceleration, ``eta = 1``, low and high breaks), the BIG-like one (SLIM plus ``v_A``)
   and crsbi's own power law (``eta``, ``v_A`` free). Uncertainties: 1 sd from the Hessian of
   chi^2 at the optimum (``n/a`` where the optimum sits on a bound). The force-field
   potential has a Gaussian prior, 0.7 +- 0.1 GV (B/C alone pushes it to any box edge).
2. **GALPROP mapping.** The paper's GALPROP best fit (Tsai et al. 2022: ``D0 = 3.25e28
   cm^2/s`` at 4 GV, ``delta = 0.478``, ``v_A = 34.9 km/s``, ``z_h = 4 kpc``) put into crsbi
   with only ``eta`` and ``phi`` fitted, then freeing ``D0``, then ``v_A``: what crsbi needs
   to reproduce B/C at GALPROP's ``delta`` and ``z_h``, as a measured ratio.

Usage::

    python benchmarks/propagation/bench_literature.py            # ~5 min on one core
    python benchmarks/propagation/bench_literature.py --sys-corr 0.1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report
sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling benchmarks

import numpy as np
from _report import results_dir, write_report
from bench_diffusion_breaks import Reduced, fit
from bench_predictive import _sources

from crsbi.propagation import PARAM_NAMES, SpectraLikelihood, load_ams02

RESULTS = results_dir(__file__)
KPC2_PER_MYR = 3.017e29  # cm^2/s
LOW_BREAK = ("low_break_rigidity", "low_break_slope")
GALPROP = {"D0": 3.25, "delta": 0.478, "v_A": 34.9, "z_h": 4.0}
#: Gaussian prior on the force-field potential [GV] (G19 treats phi as a nuisance with a
#: prior too): B/C alone pushes a free phi to the edges of any box
PHI_PRIOR = (0.7, 0.1)


class Penalised(Reduced):
    """chi^2 plus the Gaussian phi prior of :data:`PHI_PRIOR` (chi^2 of the fit)."""

    def chi2(self, theta: np.ndarray) -> float:
        full = self.full(theta)
        phi = full[self.like.names.index("phi")]
        return super().chi2(theta) + ((phi - PHI_PRIOR[0]) / PHI_PRIOR[1]) ** 2


#: row -> (model, free nuisances, fitted, fixed, published reference text)
FITS = {
    "SLIM-like, L = 10 kpc": (
        "break", ("phi", *LOW_BREAK), ("D0", "delta"), {"eta": 1.0, "v_A": 0.0, "z_h": 10.0},
        "G19 (all models, 1 sd, L = 10 kpc): delta 0.43-0.53, K10 0.26-0.36, Delta_h ~ 0.2",
    ),
    "BIG-like, L = 10 kpc": (
        "break", ("phi", *LOW_BREAK), ("D0", "delta", "v_A"), {"eta": 1.0, "z_h": 10.0},
        "G19 as above",
    ),
    "crsbi power law, L = 10 kpc": (
        "paper", ("phi",), ("D0", "delta", "eta", "v_A"), {"z_h": 10.0},
        "G19 as above (no high break)",
    ),
    "SLIM-like, L = 5 kpc": (
        "break", ("phi", *LOW_BREAK), ("D0", "delta"), {"eta": 1.0, "v_A": 0.0, "z_h": 5.0},
        "W20 (B/C, Li/C, Be/C; L = 5 kpc): delta 0.50 +- 0.03",
    ),
    "GALPROP point (eta, phi fitted)": (
        "paper", ("phi",), ("eta",), GALPROP,
        "Tsai et al. 2022 GALPROP best fit",
    ),
    "GALPROP point, D0 free": (
        "paper", ("phi",), ("D0", "eta"), {k: v for k, v in GALPROP.items() if k != "D0"},
        "D0 / D0_GALPROP needed at GALPROP's delta, z_h",
    ),
    "GALPROP point, D0 and v_A free": (
        "paper", ("phi",), ("D0", "eta", "v_A"), {"delta": 0.478, "z_h": 4.0},
        "v_A needed at GALPROP's delta, z_h",
    ),
}  # fmt: skip


def _hessian_sd(reduced: Reduced, theta: np.ndarray, step: float = 2e-3) -> np.ndarray:
    """1-sd errors from the finite-difference Hessian of chi^2 (NaN where not defined)."""
    scale = reduced.high - reduced.low
    u0 = (theta - reduced.low) / scale
    n = len(u0)
    if np.any(u0 < 2 * step) or np.any(u0 > 1 - 2 * step):
        inside = (u0 > 2 * step) & (u0 < 1 - 2 * step)
    else:
        inside = np.ones(n, bool)
    idx = np.flatnonzero(inside)

    def f(u: np.ndarray) -> float:
        return reduced.chi2(reduced.low + u * scale)

    h = np.zeros((len(idx), len(idx)))
    f0 = f(u0)
    for a, i in enumerate(idx):
        for b, j in enumerate(idx[a:], start=a):
            ei, ej = np.eye(n)[i] * step, np.eye(n)[j] * step
            if i == j:
                h[a, a] = (f(u0 + ei) - 2 * f0 + f(u0 - ei)) / step**2
            else:
                h[a, b] = h[b, a] = (
                    f(u0 + ei + ej) - f(u0 + ei - ej) - f(u0 - ei + ej) + f(u0 - ei - ej)
                ) / (4 * step**2)
    sd = np.full(n, np.nan)
    try:
        cov = np.linalg.inv(0.5 * h)  # chi^2 = -2 log L
    except np.linalg.LinAlgError:
        return sd
    if np.all(np.diag(cov) > 0):
        sd[idx] = np.sqrt(np.diag(cov)) * scale[idx]
    return sd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="random starts per fit")
    parser.add_argument("--max-evals", type=int, default=3000, help="per Powell run")
    parser.add_argument("--sys-corr", type=float, default=None, help="decades, or none")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    bc = load_ams02("B/C")
    base, abundances = _sources()
    fixed_sources = dict(zip(PARAM_NAMES, base.tolist(), strict=True))
    guess = {
        **fixed_sources,
        "phi": 0.7,
        "break_rigidity": 150.0,
        "break_delta": 0.15,
        "low_break_rigidity": 5.0,
        "low_break_slope": 0.0,
    }
    rows, fitted_values = [], {}
    t0 = time.perf_counter()
    for name, (model, free, transport, fixed, reference) in FITS.items():
        like = SpectraLikelihood(
            [bc], model=model, free=free, sys_correlation_length=args.sys_corr, **abundances
        )
        fixed_all = {**guess, **fixed}
        fitted = (*transport, *like.names[len(PARAM_NAMES) :])
        reduced = Penalised(like, fixed_all, fitted)
        starts = [np.array([fixed_all[n] for n in fitted])]
        starts += [rng.uniform(reduced.low, reduced.high) for _ in range(args.starts)]
        theta, _ = fit(reduced, starts, args.max_evals)
        sd = _hessian_sd(reduced, theta)
        chi2 = like.chi2(reduced.full(theta))  # data only, without the phi prior
        values = {**fixed_all, **dict(zip(fitted, theta.tolist(), strict=True))}
        errors = dict(zip(fitted, sd.tolist(), strict=True))
        k10 = values["D0"] * 1e28 * 2.5 ** values["delta"] / KPC2_PER_MYR  # beta ~ 1 at 10 GV
        # K10 error by the delta method from D0 and delta alone (correlation neglected)
        rel = np.hypot(errors.get("D0", 0.0) / values["D0"], np.log(2.5) * errors.get("delta", 0.0))
        model_bc = like.predict(reduced.full(theta))
        row = {
            "fit": name,
            "free": len(fitted),
            "chi2/pt": chi2 / len(bc.y),
            "mean data/model - 1": float(np.mean(bc.y / model_bc - 1)),
            "delta": _pm(values["delta"], errors.get("delta")),
            "K10 [kpc^2/Myr]": _pm(k10, k10 * rel if np.isfinite(rel) else None),
            "K10/L [kpc/Myr]": k10 / values["z_h"],
            "D0 [1e28 cm^2/s @ 4 GV]": _pm(values["D0"], errors.get("D0")),
            "eta": values["eta"],
            "v_A [km/s]": _pm(values["v_A"], errors.get("v_A")),
            "z_h [kpc]": values["z_h"],
            "phi [GV]": values["phi"],
            "R_b [GV]": values["break_rigidity"] if model == "break" else None,
            "Delta_h": values["break_delta"] if model == "break" else None,
            "R_l [GV]": values["low_break_rigidity"] if "low_break_rigidity" in free else None,
            "delta_l": values["low_break_slope"] if "low_break_slope" in free else None,
            "published": reference,
        }
        rows.append(row)
        fitted_values[name] = {n: values[n] for n in fitted}
        print(f"{name}: chi2/pt {chi2 / len(bc.y):.3f} {fitted_values[name]}", flush=True)
    wall = time.perf_counter() - t0
    galprop = [r for r in rows if r["fit"].startswith("GALPROP")]
    d0_ratio = fitted_values["GALPROP point, D0 free"]["D0"] / GALPROP["D0"]
    notes = (
        f"AMS-02 B/C, {len(bc.y)} points; errors stat (+) sys"
        + (
            f", sys correlated over {args.sys_corr} decades"
            if args.sys_corr
            else ", no correlations"
        )
        + "; sources and C, O abundances fitted to AMS-02 C and O fluxes (bench_predictive) and "
        f"held; phi with a Gaussian prior {PHI_PRIOR[0]} +- {PHI_PRIOR[1]} GV. Powell fits, "
        f"{args.starts} random starts + the default, <= {args.max_evals} "
        f"evaluations per run, {wall:.0f} s. K10 = D0 (10/4)^delta [beta = 1]; "
        f"1 kpc^2/Myr = {KPC2_PER_MYR:.4g} cm^2/s.\n\n"
        f"GALPROP mapping: at GALPROP's delta = 0.478 and z_h = 4 kpc crsbi needs D0 = "
        f"{d0_ratio:.3f} x 3.25e28 cm^2/s (chi^2/pt {galprop[0]['chi2/pt']:.2f} -> "
        f"{galprop[1]['chi2/pt']:.2f}); at equal D0, delta and z_h crsbi's 1D thin disc gives "
        f"{d0_ratio:.2f} times the high-rigidity grammage (X ~ L / K) of GALPROP's 2D model. "
        f"Fitted values: {json.dumps(fitted_values)}. Command: `python "
        f"benchmarks/propagation/bench_literature.py --starts {args.starts} --max-evals "
        f"{args.max_evals} --sys-corr {args.sys_corr} --seed {args.seed}`."
    )
    suffix = f"_corr{args.sys_corr:g}" if args.sys_corr else ""
    write_report(f"literature{suffix}", rows, results=RESULTS, notes=notes)


def _pm(value: float, error: float | None) -> str:
    if error is None or not np.isfinite(error) or error == 0:
        return f"{value:.4g}"
    return f"{value:.4g} +- {error:.2g}"


if __name__ == "__main__":
    main()
