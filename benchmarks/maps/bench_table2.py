"""Table 2 of Bustard and Wu (2024) on the CR-fluid simulator, with baselines and error bars.

Data: one resumable campaign per transport class (:func:`crsbi.maps.make_crfluid_dataset`),
``--runs`` independent runs per class (run ``i`` of every class shares forcing seed ``i``),
2-D ``--resolution``^2, density snapshots every eddy time from 3 to ``--t-end`` eddy times, cut
into ``--tile``^2 tiles. Five folds grouped by run: fold ``k`` tests on the runs ``i % 5 == k``
of every class and trains on the others, so train and test never share a forcing seed.

Per fold, on the same tiles:

- **CNN**: :class:`~crsbi.maps.TransportClassifier` on ``log10`` + histogram-equalised tiles
  (the paper's "full" preprocessing);
- **global 5 (raw)**: logistic regression on five global numbers of each ``log10`` tile (std,
  skewness, excess kurtosis, power-spectrum slope, high/low power ratio);
- **global 5 (equalised)**: the same five numbers of the equalised tiles (the CNN's input);
- **spectrum**: logistic regression on the log radial power spectrum of the equalised tiles.

Reported: overall accuracy and one-vs-rest accuracy per class, mean +- standard deviation over
the five folds (each fold's test set is independent runs), beside the paper's overall accuracy.

Run: ``python benchmarks/maps/bench_table2.py [--runs 50] [--t-end 10] [--epochs 30]
[--n-jobs 2]`` (the campaign is cached in ``benchmarks/.cache/table2``; about 40 minutes on 2
cores for 50 runs per class, most of it simulation).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import CACHE_DIR, results_dir, write_report
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crsbi.maps import (
    CRFLUID_CLASSES,
    TransportClassifier,
    classification_table,
    equalize_histogram,
    gaussian_filter_experiment,
    make_crfluid_dataset,
    preprocess_tiles,
    radial_power_spectrum,
    saliency_in_extremes,
    saliency_maps,
)

RESULTS = results_dir(__file__)
PAPER_OVERALL = {"full": 0.88, "flattened": 0.80}  # Bustard and Wu (2024), as quoted in issue 27
N_FOLDS = 5


def load_tiles(args) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Density tiles, class names and run indices of every class campaign."""
    tiles, labels, runs = [], [], []
    for name in CRFLUID_CLASSES:
        start = time.perf_counter()
        data = make_crfluid_dataset(
            CACHE_DIR / "table2" / f"r{args.resolution}_t{args.t_end:g}" / name,
            classes=(name,),
            n_runs_per_class=args.runs,
            resolution=args.resolution,
            t_end_eddy=args.t_end,
            snapshot_every=1.0,
            saturation_eddy=3.0,
            random_state=0,
            n_jobs=args.n_jobs,
            verbose=1,
        )
        print(f"{name}: {len(data.images)} snapshots, {time.perf_counter() - start:.0f} s")
        n, side = len(data.images), args.resolution // args.tile
        cut = data.images[:, : side * args.tile, : side * args.tile]
        blocks = cut.reshape(n, side, args.tile, side, args.tile).transpose(0, 1, 3, 2, 4)
        tiles.append(blocks.reshape(-1, args.tile, args.tile))
        labels.append(np.full(n * side * side, name))
        runs.append(np.repeat(data.run, side * side))
    return np.concatenate(tiles), np.concatenate(labels), np.concatenate(runs)


def global_numbers(images: np.ndarray) -> np.ndarray:
    """Std, skewness, excess kurtosis, spectral slope and high/low power ratio per image."""
    flat = images.reshape(len(images), -1).astype(float)
    out = np.empty((len(images), 5))
    out[:, 0] = flat.std(axis=1)
    out[:, 1] = stats.skew(flat, axis=1)
    out[:, 2] = stats.kurtosis(flat, axis=1)
    for i, image in enumerate(images):
        k, power = radial_power_spectrum(image)
        keep = (k > 0) & (power > 0)
        k, power = k[keep], power[keep]
        out[i, 3] = np.polyfit(np.log(k), np.log(power), 1)[0]
        half = len(k) // 2
        out[i, 4] = np.log(power[half:].sum() / power[:half].sum())
    return out


def log_spectrum(images: np.ndarray) -> np.ndarray:
    return np.stack([np.log10(radial_power_spectrum(a)[1][1:] + 1e-12) for a in images])


def logistic(features, y, features_test):
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    return model.fit(features, y).predict(features_test)


def studies(args, cnn, tiles, y, test, classes) -> list[dict]:
    """Saliency shares, blur and flattened power on fold 0's test runs (the paper's studies)."""
    log10 = preprocess_tiles(tiles, "log")
    full = preprocess_tiles(tiles, "full")
    rows = []
    for label in classes:
        pick = np.flatnonzero(test & (y == label))[:60]
        sal = saliency_maps(cnn, full[pick], target=np.full(len(pick), label), sigma=2.0)
        dense, rare = saliency_in_extremes(sal, log10[pick], fraction=0.1)
        rows.append(
            {
                "study": "saliency share (10 % of pixels; even spread = 10 %)",
                "class": label,
                "densest %": f"{100 * dense.mean():.1f} +- {100 * dense.std(ddof=1):.1f}",
                "most rarefied %": f"{100 * rare.mean():.1f} +- {100 * rare.std(ddof=1):.1f}",
            }
        )
    for label in ("MHD", "CR_Advect"):
        blur = gaussian_filter_experiment(
            cnn,
            log10[test & (y == label)],
            sigmas=(0.0, 1.0, 2.0, 4.0, 8.0),
            preprocess=equalize_histogram,
        )
        share = blur.predicted_fraction[:, list(blur.classes).index("CR_Diff_Fiducial")]
        rows.append(
            {
                "study": "blur: share predicted CR_Diff_Fiducial at sigma = 0, 1, 2, 4, 8 px",
                "class": label,
                "densest %": ", ".join(f"{100 * f:.0f}" for f in share),
            }
        )
    flat = preprocess_tiles(tiles, "flattened")
    model = TransportClassifier(
        lr=5e-4,
        max_epochs=args.epochs,
        patience=args.patience,
        validation_fraction=0.1,
        random_state=0,
        verbose=0,
    ).fit(flat[~test], y[~test])
    cnn_flat = classification_table(y[test], model.predict(flat[test]), labels=classes)
    spectrum = classification_table(
        y[test],
        logistic(log_spectrum(flat[~test]), y[~test], log_spectrum(flat[test])),
        labels=classes,
    )
    for name, table in (("CNN", cnn_flat), ("spectrum logistic", spectrum)):
        rows.append(
            {
                "study": f"flattened power, fold 0: {name} overall accuracy % (paper CNN ~80)",
                "class": "all",
                "densest %": f"{100 * table.overall_accuracy:.1f}",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--t-end", type=float, default=10.0)
    parser.add_argument("--tile", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=8)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--report-name", default="table2")
    parser.add_argument("--studies", action="store_true", help="saliency, blur, flattened power")
    parser.add_argument(
        "--roll",
        action="store_true",
        help="CNN with random periodic shifts (roll_augmentation); needs --tile = --resolution",
    )
    args = parser.parse_args()
    if args.roll and args.tile != args.resolution:
        parser.error("--roll needs whole periodic maps: --tile must equal --resolution")

    tiles, y, runs = load_tiles(args)
    log10 = preprocess_tiles(tiles, "log")
    full = preprocess_tiles(tiles, "full")
    features = {
        "global 5 (raw log10)": global_numbers(log10),
        "global 5 (equalised)": global_numbers(full),
        "spectrum (equalised)": log_spectrum(full),
    }
    print("tiles", tiles.shape, {k: v.shape for k, v in features.items()}, flush=True)
    classes = np.array(CRFLUID_CLASSES)
    results: dict[str, list] = {}
    torch.set_num_threads(2)
    for fold in range(N_FOLDS):
        test = runs % N_FOLDS == fold
        train = ~test
        for name, x in features.items():
            pred = logistic(x[train], y[train], x[test])
            results.setdefault(name, []).append(classification_table(y[test], pred, labels=classes))
        start = time.perf_counter()
        cnn = TransportClassifier(
            lr=1e-3,
            max_epochs=args.epochs,
            patience=args.patience,
            validation_fraction=0.1,
            roll_augmentation=args.roll,
            random_state=fold,
            verbose=0,
        ).fit(full[train], y[train])
        pred = cnn.predict(full[test])
        if fold == 0:
            first = (cnn, test)
        results.setdefault("CNN (equalised)", []).append(
            classification_table(y[test], pred, labels=classes)
        )
        print(
            f"fold {fold}: CNN {results['CNN (equalised)'][-1].overall_accuracy:.3f} "
            f"({cnn.n_iter_} epochs, {time.perf_counter() - start:.0f} s); "
            + ", ".join(f"{k} {v[-1].overall_accuracy:.3f}" for k, v in results.items()),
            flush=True,
        )

    rows = []
    for name, tables in results.items():
        overall = np.array([t.overall_accuracy for t in tables])
        per_class = np.array([t.accuracy for t in tables])
        row = {
            "model": name,
            "overall %": f"{100 * overall.mean():.1f} +- {100 * overall.std(ddof=1):.1f}",
        }
        for i, label in enumerate(classes):
            row[f"{label} %"] = (
                f"{100 * per_class[:, i].mean():.1f} +- {100 * per_class[:, i].std(ddof=1):.1f}"
            )
        rows.append(row)
    rows.append({"model": "paper (Bustard and Wu 2024, full)", "overall %": "~88"})
    # confusion matrices summed over the folds (rows: true class, columns: predicted)
    for name in ("CNN (equalised)", "global 5 (raw log10)"):
        confusion = sum(t.confusion for t in results[name])
        for i, label in enumerate(classes):
            rows.append(
                {
                    "model": f"{name} confusion, true {label}",
                    **{f"{c} %": int(confusion[i, j]) for j, c in enumerate(classes)},
                }
            )
    rows = [{c: row.get(c, "") for c in rows[0]} for row in rows]
    n_test = int((runs % N_FOLDS == 0).sum())
    notes = (
        f"{args.runs} runs per class, {args.resolution}^2, snapshots every eddy time from 3 to "
        f"{args.t_end:g} eddy times, {args.tile}^2 tiles ({len(tiles)} tiles in all, ~{n_test} "
        f"test tiles per fold). Mean +- sd over {N_FOLDS} folds grouped by run (forcing seed): "
        "each fold tests on independent runs. Per-class columns are one-vs-rest accuracies "
        "(chance level 80 % for 'never this class'); the confusion rows count test tiles "
        "(true class per row, predicted class per column, all folds). CNN: "
        "TransportClassifier defaults (AdamW 1e-3, flips"
        + (", random periodic shifts" if args.roll else "")
        + "), "
        f"{args.epochs} epochs at most, patience {args.patience}, 10 % validation split. "
        "Logistic regressions: standardised features, C = 1. "
        f"Command: python benchmarks/maps/bench_table2.py --runs {args.runs} --t-end "
        f"{args.t_end:g} --tile {args.tile} --epochs {args.epochs} --patience {args.patience}"
        + (" --roll" if args.roll else "")
        + "."
    )
    write_report(args.report_name, rows, results=RESULTS, notes=notes)
    if args.studies:
        cnn, test = first
        study_rows = studies(args, cnn, tiles, y, test, classes)
        study_rows = [{c: r.get(c, "") for c in study_rows[0]} for r in study_rows]
        write_report(
            args.report_name + "_studies",
            study_rows,
            results=RESULTS,
            notes="Fold 0 of the run above (test runs i % 5 == 0). Saliency: smoothed input "
            "gradient of the true class logit (sigma 2 px), share on the 10 % densest and 10 % "
            "most rarefied pixels of each map, mean +- sd over up to 60 test maps per class. Blur: "
            "log10 test maps blurred, then equalised. Flattened power: log10, unit Fourier "
            "amplitudes, equalised; CNN with lr 5e-4.",
        )


if __name__ == "__main__":
    main()
