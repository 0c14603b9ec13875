"""Build the shipped model ``ams02-bc-break``: AMS-02 B/C posterior, broken diffusion.

A :class:`crsbi.propagation.SpectraPosterior` (NPE, an ensemble of masked autoregressive
flows on the whitened principal components of B/C) of the eight parameters ``D0, delta,
eta, v_A, z_h, phi, log10_break_rigidity, break_delta``, with the source spectrum fixed at
the B/C best fit of ``benchmarks/results/propagation/bench_galactic.json`` and ``phi`` in
(0.2, 1.2) GV: the setting of
round 1 of ``bench_inversion_ams02.py --model break --features pca``, whose emcee chain on
the same likelihood and prior is the reference posterior here.

The card records: calibration on held-out simulations (SBC, TARP, 90 % HPD coverage);
the NPE marginals against that emcee chain, in units of the emcee standard deviation;
importance sampling of the NPE draws with the exact Gaussian likelihood (effective sample
size: 1 would be a perfect posterior); and the posterior predictive check of the AMS-02
B/C points.

Run: ``python benchmarks/pretrained/build_ams02_posterior.py`` (about 15 minutes on 2
cores), ``--verbose 0`` for no progress bars.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cards import write_model

from crsbi.propagation import PARAM_NAMES, SpectraPosterior, load_ams02

NAME = "ams02-bc-break"
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "propagation"
SOURCES = ("nu1", "nu2", "nu3", "log10_Rbr1", "log10_Rbr2")
#: Prior box of the force-field potential [GV], as in bench_inversion_ams02 (whose emcee chain
#: is the reference): the AMS-02 B/C alone hardly constrains phi, so its prior matters.
PHI_BOUNDS = (0.2, 1.2)


def best_fit_sources() -> dict[str, float]:
    """Source parameters of the B/C best fit recorded by bench_galactic."""
    notes = json.loads((RESULTS / "bench_galactic.json").read_text())["notes"]
    text = notes.split("Best-fit parameters: ")[1].split("\n")[0]
    best = ast.literal_eval(text)["B/C"]
    return {name: round(float(best[name]), 4) for name in SOURCES}


def emcee_reference() -> dict[str, dict[str, float]]:
    """emcee mean and std per parameter from bench_inversion_ams02 --model break (its table)."""
    out: dict[str, dict[str, float]] = {}
    for line in (RESULTS / "inversion_ams02_break.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1] in ("mean", "std"):
            out.setdefault(cells[0], {})[cells[1]] = float(cells[2])
    return out


def _versus(draws: np.ndarray, names: list[str], emcee: dict) -> tuple[dict, dict]:
    """(mean - emcee mean) / emcee std and std / emcee std per parameter."""
    mean, std = draws.mean(axis=0), draws.std(axis=0)
    shift = {
        n: round((mean[i] - emcee[n]["mean"]) / emcee[n]["std"], 3) for i, n in enumerate(names)
    }
    width = {n: round(std[i] / emcee[n]["std"], 3) for i, n in enumerate(names)}
    return shift, width


def calibration_evidence(posterior: SpectraPosterior, n_jobs: int) -> dict:
    """The card's calibration entry: held-out coverage, and the AMS-02 posterior vs emcee."""
    names = posterior.param_names_
    emcee = emcee_reference()
    start = time.perf_counter()
    draws = posterior.sample(4000, random_state=1)
    sample_s = time.perf_counter() - start
    shift, width = _versus(draws, names, emcee)
    start = time.perf_counter()
    corrected, ess = posterior.importance_sample(
        2000, n_proposals=4000, n_jobs=n_jobs, random_state=1
    )
    importance_s = time.perf_counter() - start
    shift_is, width_is = _versus(corrected, names, emcee)
    check = posterior.predictive(draws, n_draws=200, random_state=2)
    chi2_points = float(
        np.min([posterior.likelihood_.chi2(t) for t in posterior.full_parameters(draws[:500])])
    )
    cal = posterior.calibration_
    return {
        "held-out simulations": posterior.n_calibration,
        "calibrated at alpha = 0.01 (SBC KS, TARP, HPD)": bool(cal.is_calibrated(0.01)),
        "SBC KS p-values": {
            n: round(float(p), 4) for n, p in zip(names, cal.sbc_ks_pvalues, strict=True)
        },
        "TARP ATC": round(float(cal.tarp_atc), 4),
        "HPD coverage (nominal: empirical)": {
            f"{k:g}": round(float(v), 3) for k, v in zip(cal.levels, cal.hpd_coverage, strict=True)
        },
        "HPD credibility KS p": round(float(cal.hpd_ks_pvalue), 4),
        "AMS-02: NPE mean - emcee mean, in emcee std": shift,
        "AMS-02: NPE std / emcee std": width,
        "AMS-02: 4000 NPE draws [s]": round(sample_s, 3),
        "AMS-02: importance_sample (4000 proposals, exact likelihood): ESS": round(ess, 1),
        "AMS-02: importance_sample [s]": round(importance_s, 1),
        "AMS-02: importance_sample mean - emcee mean, in emcee std": shift_is,
        "AMS-02: importance_sample std / emcee std": width_is,
        "AMS-02: smallest chi^2 over 500 draws (67 points)": round(chi2_points, 2),
        "AMS-02: points inside the replicated-data bands": {
            str(k): round(float(v), 3) for k, v in check.coverage.items()
        },
        "emcee reference (mean, std)": {n: [emcee[n]["mean"], emcee[n]["std"]] for n in names},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-simulations", type=int, default=50000)
    parser.add_argument("--n-calibration", type=int, default=300)
    parser.add_argument("--n-ensemble", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument(
        "--card-only",
        action="store_true",
        help="recompute the card's calibration evidence on the shipped model (no training)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.card_only:
        from crsbi import pretrained

        card = pretrained.card(NAME)
        card["calibration"] = calibration_evidence(pretrained.load(NAME), args.n_jobs)
        (pretrained.MODEL_DIR / f"{NAME}.json").write_text(json.dumps(card, indent=1) + "\n")
        print(json.dumps(card["calibration"], indent=1))
        return
    bc = load_ams02("B/C")
    fixed = best_fit_sources()
    npe_params = {"n_ensemble": args.n_ensemble, "patience": 20, "max_epochs": 300}
    start = time.perf_counter()
    posterior = SpectraPosterior(
        model="break",
        fixed=fixed,
        bounds={"phi": PHI_BOUNDS},
        n_simulations=args.n_simulations,
        n_calibration=args.n_calibration,
        npe_params=npe_params,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        verbose=args.verbose,
    ).fit(bc)
    build_s = time.perf_counter() - start
    names = posterior.param_names_

    calibration = calibration_evidence(posterior, args.n_jobs)
    training = {
        "estimator": "SpectraPosterior",
        "params": {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in posterior.get_params().items()
            if k not in ("verbose",)
        },
        "principal components kept": posterior.n_components_,
        "failed simulations": posterior.n_failed_,
        "simulate [s]": round(posterior.simulate_seconds_, 1),
        "train [s]": round(posterior.train_seconds_, 1),
        "build incl. calibration [s]": round(build_s, 1),
        "machine": "2 shared CPU cores, torch 1 thread",
    }
    std = posterior.sample(2000, random_state=0).std(axis=0)
    reference = {
        "description": "mean and std of 2000 posterior draws given AMS-02 B/C (seed 0)",
        "method": "sample",
        "kwargs": {"n_samples": 2000, "random_state": 0},
        "reduce": "mean_std",
        "rtol": 0.0,
        # 0.1 posterior std: ~4.5 sigma of the Monte Carlo error of a completely different
        # set of 2000 draws (a flipped accept/reject decision on another CPU re-draws some)
        "atol": [round(0.1 * float(s), 6) for s in np.concatenate([std, 0.5 * std])],
    }
    card = write_model(
        posterior,
        NAME,
        title="AMS-02 B/C posterior of the broken-diffusion propagation model (NPE)",
        estimator_path="crsbi.propagation.SpectraPosterior",
        command=f"python benchmarks/pretrained/build_ams02_posterior.py --seed {args.seed}",
        training=training,
        data=(
            "AMS-02 B/C versus rigidity, 67 points 1.9 GV - 2.6 TV (PRL 117, 231102 (2016); "
            "Phys. Rep. 894 (2021)), data directory file spectra/ams02/AMS-02_B_C_rigidity.txt; "
            "errors stat and sys in quadrature, independent. Source parameters fixed: "
            f"{fixed} (bench_galactic B/C best fit). Prior uniform: "
            + ", ".join(
                f"{n} in [{lo:.4g}, {hi:.4g}]"
                for n, lo, hi in zip(
                    names, posterior.prior_low_, posterior.prior_high_, strict=True
                )
            )
            + f". Other galactic parameters: {list(PARAM_NAMES)} defaults of simulate_galactic."
        ),
        calibration=calibration,
        reference=reference,
        notes=(
            "Amortised over data measured at the AMS-02 B/C rigidities: a new data set at the "
            "same points gets its posterior without retraining. The emcee reference is the "
            "chain of benchmarks/results/propagation/inversion_ams02_break.json (same "
            "likelihood, prior and data)."
        ),
    )
    print(json.dumps(card["calibration"], indent=1))


if __name__ == "__main__":
    main()
