"""TransportClassifier benchmark: Table 2 (full and flattened power), interpretation, throughput.

Data:
* ``crfluid``: density maps of the 2-D CR-fluid simulator (``crsbi.maps.crfluid_dataset``), five
  transport classes, train and test from *independent runs* (different forcing seeds), tiles
  of ``--tile`` px, log10 + (flattened) + histogram equalisation as in Bustard and Wu (2024).
* ``synthetic``: log-normal toy maps whose five classes differ only in the power-spectrum
  slope (no simulator needed); with flattened spectra these are Gaussian fields with random
  phases, so flattened accuracy must fall to chance: a null check of the pipeline.

Also: the Gaussian-filter experiment, saliency maps, average k^2 P(k) per class, the
projection-depth and leakage experiments on synthetic 3-D cubes, and training/inference
throughput of the paper's 29,749-parameter CNN on 128 x 128 tiles.

    python benchmarks/maps/bench_classifier.py --quick            # a few minutes on 1-2 cores
    python benchmarks/maps/bench_classifier.py --data crfluid --runs 8 --t-end 14   # cached runs
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from _report import CACHE_DIR, results_dir, write_report

from crsbi.maps import (
    TransportClassifier,
    TransportCNN,
    buffered_split,
    classification_table,
    count_parameters,
    cube_to_tiles,
    equalize_histogram,
    log_images,
    make_spectral_cubes,
    make_spectral_images,
    make_transport_dataset,
    plot_class_power_spectra,
    plot_confusion_matrix,
    plot_probability_vs_sigma,
    plot_projection_depth,
    plot_saliency_maps,
    preprocess_tiles,
    radial_power_spectrum,
)
from crsbi.maps.interpretation import (
    gaussian_filter_experiment,
    leakage_experiment,
    projection_depth_experiment,
    saliency_maps,
)

CACHE = CACHE_DIR  # git-ignored simulation stores
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/
TOY_SLOPES = {f"slope{s:+.1f}": s for s in (-4.0, -3.5, -3.0, -2.5, -2.0)}


def preprocess(density_tiles: np.ndarray, flatten: bool) -> np.ndarray:
    """log10 -> (flatten) -> equalise, per tile."""
    return preprocess_tiles(density_tiles, "flattened" if flatten else "full")


def crfluid_data(args):
    """Density tiles of the simulator's maps, split by run (independent forcing seeds)."""
    store = args.store or CACHE / f"transport/r{args.resolution}_t{args.t_end:g}_n{args.runs}"
    data = make_transport_dataset(
        store,
        n_runs_per_class=args.runs,
        n_test_runs=args.test_runs,
        tile_size=args.tile,
        train_shifts=args.shifts,
        variant="density",
        resolution=args.resolution,
        t_end_eddy=args.t_end,
        snapshot_every=1.0,
        saturation_eddy=3.0,
        random_state=0,
        n_jobs=args.n_jobs,
        verbose=1,
    )
    n_snap = len(np.unique(data.time_test))
    info = (
        f"2-D CR-fluid simulator (`make_transport_dataset`), {args.resolution}^2, "
        f"{args.runs} runs per class (run i of every class shares forcing seed i; the last "
        f"{args.test_runs} of each class held out), {n_snap} snapshots per run (every eddy "
        f"time from 3 to {args.t_end:g} eddy times), {args.tile}^2 tiles (all kept), training "
        f"maps re-tiled at {args.shifts}^2 periodic offsets"
    )
    return data.X_train, data.y_train, data.X_test, data.y_test, info


def spectrum_baseline(X, y, X_test, y_test, flatten):
    """Logistic regression on the log radial power spectrum of the preprocessed tiles."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def features(tiles):
        images = preprocess(tiles, flatten)
        return np.stack([np.log10(radial_power_spectrum(a)[1][1:] + 1e-12) for a in images])

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    model.fit(features(X), y)
    return classification_table(y_test, model.predict(features(X_test)), labels=model.classes_)


def synthetic_data(args, rng):
    n_train, n_test = args.n_toy, args.n_toy // 2
    X, y = make_spectral_images(
        n_train, slopes=TOY_SLOPES, size=args.tile, log=False, equalize=False, random_state=rng
    )
    X_test, y_test = make_spectral_images(
        n_test, slopes=TOY_SLOPES, size=args.tile, log=False, equalize=False, random_state=rng
    )
    info = f"log-normal toy maps, 5 spectral slopes, {n_train}/{n_test} per class, {args.tile}^2"
    return X, y, X_test, y_test, info


def train(X, y, args, lr, seed=0):
    model = TransportClassifier(
        lr=lr,
        max_epochs=args.epochs,
        patience=args.patience,
        validation_fraction=0.15,
        device=args.device,
        random_state=seed,
        verbose=0,
    )
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def throughput(args):
    """Training and inference images/s of the paper's CNN on 128 x 128 tiles."""
    rng = np.random.default_rng(0)
    X = rng.random((args.n_throughput, 128, 128)).astype(np.float32)
    y = np.repeat(np.arange(5), args.n_throughput // 5 + 1)[: args.n_throughput]
    model = TransportClassifier(
        max_epochs=2, patience=None, validation_fraction=0.0, device=args.device, verbose=0
    )
    model.fit(X, y)
    per_epoch = min(r["duration"] for r in model.history_)
    start = time.perf_counter()
    model.predict_proba(X)
    infer = time.perf_counter() - start
    return {
        "device": model.device_,
        "torch threads": torch.get_num_threads(),
        "train images/s": args.n_throughput / per_epoch,
        "inference images/s": args.n_throughput / infer,
        "parameters": count_parameters(model.network_),
    }


def _map_summary(x):
    """Hand-made summary of flattened square maps: rms of log10 rho, log10 P(k) at n=1..8."""
    x = np.asarray(x, dtype=float)
    side = x.shape[1] if x.ndim == 3 else int(np.sqrt(x.shape[1]))
    logs = np.log10(x.reshape(len(x), side, side))
    spectra = np.stack([radial_power_spectrum(a)[1][1:9] for a in logs])
    return np.column_stack([logs.std(axis=(1, 2)), np.log10(spectra + 1e-30)])


def summary_posterior(args):
    """Baseline: NPE on a hand-made summary (no CNN), to gauge the information in the maps."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from crsbi import PosteriorEstimator

    npe = PosteriorEstimator(
        prior_low=-2.0,
        prior_high=1.0,
        hidden_features=32,
        num_transforms=3,
        batch_size=32,
        max_epochs=args.epochs * 5,
        patience=30,
        param_names=["log10_kappa"],
        random_state=0,
        verbose=0,
    )
    return Pipeline([("preprocess", FunctionTransformer(_map_summary)), ("npe", npe)])


def kappa_posterior(args) -> None:
    """NPE of log10 kappa from one density map (CNN embedding), with a calibration report."""
    from crsbi import run_calibration
    from crsbi.maps import make_kappa_dataset, make_kappa_posterior

    store = args.store or CACHE / f"kappa/r{args.resolution}_t{args.t_end:g}_n{args.n_kappa}"
    data = make_kappa_dataset(
        store,
        args.n_kappa,
        resolution=args.resolution,
        t_end_eddy=args.t_end,
        random_state=0,
        n_jobs=args.n_jobs,
        verbose=1,
    )
    runs = np.unique(data.run)
    test_runs = runs[int(0.8 * len(runs)) :]
    train = ~np.isin(data.run, test_runs)
    # one map per held-out run (the last snapshot): independent (theta, x) pairs for SBC
    last = data.time == data.time.max()
    test = ~train & last
    rows, lines = [], []
    fig, axes = plt.subplots(
        1, len(args.kappa_variants), figsize=(4.5 * len(args.kappa_variants), 4)
    )
    axes = np.atleast_1d(axes)
    for k, variant in enumerate(args.kappa_variants):
        pipe = (
            summary_posterior(args)
            if variant == "summary"
            else make_kappa_posterior(
                variant=variant,
                batch_size=32,
                max_epochs=args.epochs * 5,
                patience=30,
                random_state=0,
            )
        )
        # symmetries of the periodic box as augmentation: flips along and across the guide
        # field and a half-box roll (4x the training maps)
        maps = data.images[train]
        augmented = np.concatenate(
            [maps, maps[:, ::-1], maps[:, :, ::-1], np.roll(maps, maps.shape[1] // 2, axis=(1, 2))]
        )
        start = time.perf_counter()
        pipe.fit(augmented, np.tile(data.log10_kappa[train], 4))
        seconds = time.perf_counter() - start
        x_test = data.images[test].reshape(int(test.sum()), -1)
        theta_test = data.log10_kappa[test]
        draws = np.stack([pipe[-1].sample(row, 500) for row in pipe[:-1].transform(x_test)])
        mean, std = draws[..., 0].mean(axis=1), draws[..., 0].std(axis=1)
        report = run_calibration(
            pipe, theta_test, x_test, n_posterior_samples=500, c2st=False, random_state=0
        )
        rmse = float(np.sqrt(np.mean((mean - theta_test) ** 2)))
        row = {
            "variant": variant,
            "train maps": int(train.sum()),
            "epochs": int(pipe[-1].n_iter_),
            "test maps": int(test.sum()),
            "RMSE dex": rmse,
            "prior RMSE dex": float(3.0 / np.sqrt(12.0)),
            "mean posterior std dex": float(std.mean()),
            "SBC KS p": float(report.sbc_ks_pvalues[0]),
            "TARP ATC": float(report.tarp_atc),
            **{
                f"HPD {100 * lv:.0f}%": float(c)
                for lv, c in zip(report.levels, report.hpd_coverage, strict=True)
            },
            "fit s": seconds,
        }
        rows.append(row)
        print(row)
        ax = axes[k]
        ax.errorbar(theta_test, mean, yerr=std, fmt="o", ms=3, alpha=0.7, label=variant)
    for ax in axes:
        ax.plot([-2, 1], [-2, 1], "k--", lw=1)
        ax.set_xlabel("true log10 kappa")
        ax.set_ylabel("posterior mean +- std")
        ax.legend()
    fig.savefig(RESULTS / "bench_classifier_kappa_posterior.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    lines += [
        f"Data: `make_kappa_dataset`, {args.n_kappa} runs at {args.resolution}^2, log10 kappa "
        "~ U(-2, 1) (kappa in L c_s), eta = 1, no streaming, snapshots every eddy time from 3 "
        f"to {args.t_end:g} eddy times; runs split 80/20; training on every snapshot of the "
        "training runs, testing on the last snapshot of each held-out run.",
        "Posterior: `make_kappa_posterior` (TransportCNN embedding, 8 features, MAF, batch 32, "
        "patience 30), trained on the training maps plus their x-flip, y-flip and half-box "
        "roll (4x). `summary`: the same NPE without CNN on a hand-made summary (rms of log10 "
        "rho and log10 P(k) at n = 1..8), a gauge of the information in the maps.",
        f"Command: `python benchmarks/maps/bench_classifier.py {' '.join(_argv())}`.",
    ]
    write_report("classifier_kappa_posterior", rows, notes="\n".join(lines), results=RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("crfluid", "synthetic", "kappa"), default="synthetic")
    parser.add_argument("--n-kappa", type=int, default=160, help="runs of --data kappa")
    parser.add_argument("--kappa-variants", nargs="+", default=["log", "full", "summary"])
    parser.add_argument("--store", default=None, help="default: benchmarks/.cache/transport/...")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--test-runs", type=int, default=2)
    parser.add_argument("--shifts", type=int, default=2)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--t-end", type=float, default=14.0)
    parser.add_argument("--tile", type=int, default=32)
    parser.add_argument("--n-toy", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--cube", type=int, default=64)
    parser.add_argument("--n-throughput", type=int, default=512)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="smaller toy sets and cubes")
    args = parser.parse_args()
    if args.quick:
        args.n_toy, args.cube, args.n_throughput = 120, 48, 256
    if args.data == "kappa":
        kappa_posterior(args)
        return
    rng = np.random.default_rng(0)
    assert count_parameters(TransportCNN(n_classes=5)) == 29_749

    if args.data == "crfluid":
        X, y, X_test, y_test, info = crfluid_data(args)
    else:
        X, y, X_test, y_test, info = synthetic_data(args, rng)
    print(info, "| train", X.shape, "test", X_test.shape)

    rows, tables, models, baselines = [], {}, {}, {}
    for variant, flatten, lr in (("full", False, 1e-3), ("flattened", True, 5e-4)):
        model, seconds = train(preprocess(X, flatten), y, args, lr)
        pred = model.predict(preprocess(X_test, flatten))
        table = classification_table(y_test, pred, labels=model.classes_)
        tables[variant], models[variant] = table, model
        baselines[variant] = spectrum_baseline(X, y, X_test, y_test, flatten)
        for i, label in enumerate(table.labels):
            rows.append(
                {
                    "data": args.data,
                    "variant": variant,
                    "class": str(label),
                    "accuracy %": 100 * table.accuracy[i],
                    "precision %": 100 * table.precision[i],
                    "recall %": 100 * table.recall[i],
                    "F1 %": 100 * table.f1[i],
                    "support": int(table.support[i]),
                }
            )
        print(
            f"{variant}: overall {table.overall_accuracy:.3f}, {model.n_iter_} epochs, "
            f"{seconds:.0f} s; power-spectrum baseline "
            f"{baselines[variant].overall_accuracy:.3f}"
        )
        ax = plot_confusion_matrix(y_test, pred, labels=model.classes_)
        ax.set_title(f"{args.data}, {variant} power")
        ax.figure.savefig(
            RESULTS / f"bench_classifier_{args.data}_{variant}_confusion.png",
            dpi=100,
            bbox_inches="tight",
        )
        plt.close(ax.figure)

    full = models["full"]
    classes = list(full.classes_)
    # k^2 P(k) per class (log10 density tiles)
    ax = plot_class_power_spectra(log_images(X_test), y_test)
    ax.set_title(f"{args.data}: mean k^2 P(k) of log10 density tiles")
    ax.figure.savefig(
        RESULTS / f"bench_classifier_{args.data}_spectra.png", dpi=100, bbox_inches="tight"
    )
    plt.close(ax.figure)
    # saliency: one test tile per class
    picks = [int(np.flatnonzero(y_test == c)[0]) for c in classes]
    images = preprocess(X_test[picks], False)
    maps = saliency_maps(full, images, target=np.asarray(classes), sigma=4.0)
    axes = plot_saliency_maps(images, maps, titles=classes)
    axes[0, 0].figure.savefig(
        RESULTS / f"bench_classifier_{args.data}_saliency.png", dpi=100, bbox_inches="tight"
    )
    plt.close(axes[0, 0].figure)
    # Gaussian filter on the least smooth class (MHD / shallowest slope)
    rough = "MHD" if "MHD" in classes else classes[-1] if args.data == "crfluid" else "slope-2.0"
    smooth = "CR_Diff_Fiducial" if "CR_Diff_Fiducial" in classes else "slope-4.0"
    log_rough = log_images(X_test[y_test == rough])
    filt = gaussian_filter_experiment(
        full, log_rough, sigmas=[0, 1, 2, 4, 8], preprocess=equalize_histogram
    )
    ax = plot_probability_vs_sigma(filt, fraction=True)
    ax.set_title(f"{args.data}: {rough} test tiles, blurred")
    ax.figure.savefig(
        RESULTS / f"bench_classifier_{args.data}_filter.png", dpi=100, bbox_inches="tight"
    )
    plt.close(ax.figure)
    filter_line = ", ".join(
        f"sigma={s:g}: {100 * f:.0f}%"
        for s, f in zip(filt.sigmas, filt.predicted_fraction[:, classes.index(smooth)], strict=True)
    )

    # projection depth and leakage on synthetic 3-D cubes (the 2-D simulator has no depth)
    cube_slopes = {"steep": -4.5, "medium": -3.75, "shallow": -3.0}
    cubes, labels = make_spectral_cubes(slopes=cube_slopes, size=args.cube, random_state=1)
    regions = buffered_split(args.cube, widths=(0.25, 0.5), buffer=0.125, names=("train", "test"))
    tile = args.cube // 3
    Xc, yc = [], []
    for cube, label in zip(cubes, labels, strict=True):
        t = cube_to_tiles(cube, regions=regions, tile_size=tile, keep_fraction=1.0)["train"]
        Xc.append(t)
        yc += [label] * len(t)
    cube_model = TransportClassifier(
        lr=1e-3, max_epochs=args.epochs, patience=args.patience, random_state=0, verbose=0
    ).fit(np.concatenate(Xc), yc)
    depth = projection_depth_experiment(
        cube_model, cubes, labels, depths=[1, 4, 8, 16], regions=regions, tile_size=tile
    )
    ax = plot_projection_depth(depth)
    ax.set_title(f"synthetic {args.cube}^3 cubes: slice-trained model")
    ax.figure.savefig(
        RESULTS / "bench_classifier_projection_depth.png", dpi=100, bbox_inches="tight"
    )
    plt.close(ax.figure)
    # leakage: two classes with the SAME spectrum -> only memorisation can beat chance
    same, same_labels = make_spectral_cubes(
        slopes={"run_a": -3.5, "run_b": -3.5}, size=args.cube, random_state=2
    )
    leak = leakage_experiment(
        TransportClassifier(
            lr=1e-3, max_epochs=args.epochs, patience=args.patience, random_state=0, verbose=0
        ),
        same,
        same_labels,
        tile_size=tile,
        keep_fraction=1.0,
        random_state=0,
    )

    speed = throughput(args)
    notes = "\n".join(
        [
            f"Data: {info}.",
            f"Command: `python benchmarks/maps/bench_classifier.py {' '.join(_argv())}`.",
            "",
            "Overall test accuracy: "
            + ", ".join(f"{k} {100 * t.overall_accuracy:.1f}%" for k, t in tables.items())
            + f" (chance {100 / len(classes):.0f}%).",
            "Baseline on the same split (logistic regression on the log radial power spectrum of "
            "each preprocessed tile): "
            + ", ".join(
                f"{k} {100 * t.overall_accuracy:.1f}% overall, per-class accuracy "
                + "/".join(f"{100 * a:.0f}" for a in t.accuracy)
                for k, t in baselines.items()
            )
            + f" ({', '.join(map(str, classes))}).",
            "",
            "### Table 2, full power",
            tables["full"].to_markdown(),
            "",
            "### Table 2, flattened power",
            tables["flattened"].to_markdown(),
            "",
            f"Gaussian filter ({rough} test tiles, blurred in log10 density then re-equalised): "
            f"fraction predicted {smooth}: {filter_line}.",
            "",
            "Projection depth (synthetic cubes, "
            f"{args.cube}^3, {tile}^2 tiles, slice-trained): "
            + ", ".join(
                f"d={d}: {100 * a:.0f}%" for d, a in zip(depth.depths, depth.accuracy, strict=True)
            )
            + f" (chance {100 / 3:.0f}%).",
            "",
            "Leakage (two cubes with identical spectra, so chance = 50% is the honest answer): "
            f"buffered split {100 * leak.buffered_accuracy:.0f}%, random slice split "
            f"{100 * leak.random_accuracy:.0f}% ({leak.n_train} train / {leak.n_test} test tiles).",
            "",
            "Throughput (paper CNN, 128^2 tiles, batch 64): " + json.dumps(speed, default=str),
        ]
    )
    write_report(f"classifier_{args.data}", rows, notes=notes, results=RESULTS)


def _argv() -> list[str]:
    import sys

    return sys.argv[1:]


if __name__ == "__main__":
    main()
