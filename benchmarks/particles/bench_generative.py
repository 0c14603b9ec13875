"""TrajectoryGenerator: generated versus simulated trajectory statistics (Martin, Lübke et al.).

Simulates test-particle trajectories at one coupling alpha = l0 / r_g (isotropic
turbulence, b = 1, 100 steps per gyration) through a resumable campaign, trains the
diffusion model (1D U-Net + DDPM) on them within a wall-clock budget, generates fresh series
with DDIM and compares with an independent simulated set:

- F4(tau) relative error for tau >= 0.1 gyro-period (paper target: within 10 %);
- MSD relative error at the longest lag (10 gyro-periods when the series are long enough);
- running diffusion coefficients along and across B0 (D_zz and (D_xx + D_yy) / 2 =
  MSD / 2 tau) at that lag, generated against simulated: the generator used for transport;
- slopes of the gyro-centre curvature PDF at small and large curvature (paper: 1, -2.5);
- the summary distance of crsbi.particles.statistics, next to its noise floor (two
  independent simulated sets);
- trajectories per second: simulator, DDIM and the full ancestral sampler.

Run: ``python benchmarks/particles/bench_generative.py [--alpha 32] [--length 1024] [--stride 4]``;
on a GPU add ``--device cuda`` (results then named ``*_gpu``; a length other than 1024
adds ``_L<length>``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numba
import numpy as np
import torch
from _report import CACHE_DIR, results_dir, write_report

from crsbi.core import load, save
from crsbi.particles import (
    curvature,
    flatness,
    gyro_centre_velocity,
    integrate_positions,
    make_trajectory_dataset,
    mean_squared_displacement,
    plot_trajectory_statistics,
    running_diffusion,
    simulate_trajectories,
    trajectory_distance,
)
from crsbi.particles.generator import TrajectoryGenerator, _spline_restore

CACHE = CACHE_DIR
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/


def curvature_slopes(V: np.ndarray, dt: float, spg: float) -> tuple[float, float]:
    """Log-log slopes of p(kappa) below its 10 % and above its 90 % quantile."""
    crop = min(2 * int(spg), V.shape[1] // 4)  # the filter feels the ends within ~2 T_g
    kappa = curvature(gyro_centre_velocity(V, spg), dt)[:, crop:-crop].ravel()
    kappa = kappa[np.isfinite(kappa) & (kappa > 0)]
    edges = np.geomspace(np.quantile(kappa, 0.001), np.quantile(kappa, 0.999), 41)
    density, edges = np.histogram(kappa, bins=edges, density=True)
    centres = np.sqrt(edges[1:] * edges[:-1])

    def slope(lo: float, hi: float) -> float:
        sel = (centres >= np.quantile(kappa, lo)) & (centres <= np.quantile(kappa, hi))
        sel &= density > 0
        if sel.sum() < 3:
            return float("nan")
        return float(np.polyfit(np.log(centres[sel]), np.log(density[sel]), 1)[0])

    return slope(0.002, 0.1), slope(0.9, 0.998)


def rotated_copies(
    V: np.ndarray, alpha: np.ndarray, copies: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The series plus ``copies - 1`` copies rotated by random angles about z (= B0).

    Turbulence statistically axisymmetric about the guide field makes every such rotation
    an equally likely trajectory: a free enlargement of the training set.
    """
    rng = np.random.default_rng(seed)
    out = [V]
    for _ in range(copies - 1):
        angle = rng.uniform(0.0, 2.0 * np.pi, len(V))[:, None]
        c, s = np.cos(angle), np.sin(angle)
        out.append(
            np.stack([c * V[..., 0] - s * V[..., 1], s * V[..., 0] + c * V[..., 1], V[..., 2]], -1)
        )
    return np.concatenate(out), np.tile(alpha, copies)


def spline_resampled(V: np.ndarray, stride: int) -> np.ndarray:
    """Every ``stride``-th sample, cubic-spline interpolated back and normalised.

    The information the strided model is given: its statistics, next to the full series,
    show what the striding alone costs.
    """
    W = _spline_restore(np.swapaxes(V[:, ::stride], 1, 2), stride, V.shape[1])
    W = np.swapaxes(W, 1, 2)
    return W / np.linalg.norm(W, axis=2, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--n-train", type=int, default=512)
    parser.add_argument("--n-ref", type=int, default=128)
    parser.add_argument("--n-waves", type=int, default=256)
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--n-levels", type=int, default=4)
    parser.add_argument("--max-epochs", type=int, default=400)
    parser.add_argument("--train-seconds", type=float, default=540.0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--ddim-steps", type=int, default=50)
    parser.add_argument("--representation", default="cartesian", choices=["cartesian", "angles"])
    parser.add_argument("--stride", type=int, default=4, help="model every stride-th sample")
    parser.add_argument("--schedule", default="linear", choices=["linear", "cosine"])
    parser.add_argument("--prediction", default="epsilon", choices=["epsilon", "v"])
    parser.add_argument("--ema", type=float, default=0.999, help="EMA decay of the weights")
    parser.add_argument(
        "--rotations",
        type=int,
        default=8,
        help="training copies rotated about B0 (z), a symmetry of the turbulence",
    )
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument(
        "--device", default="cpu", help="torch device for training and sampling ('cuda' on a GPU)"
    )
    parser.add_argument(
        "--train-alphas",
        type=float,
        nargs="+",
        default=None,
        help="train one model conditioned on these alphas and test it at --alpha",
    )
    parser.add_argument(
        "--sampler-study", type=int, default=0, metavar="N",
        help="also sample with DDIM at 4x the steps and with the full ancestral chain "
        "(first N series; results named *_samplers)",
    )  # fmt: skip
    parser.add_argument(
        "--tag", default="", help="appended to the results' name (keeps other runs' results)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spg = 100
    alpha = args.alpha
    dt = 2 * np.pi / (spg * alpha)

    conditional = args.train_alphas is not None
    train_alphas = args.train_alphas if conditional else [alpha]
    name = "bench_generative_conditional" if conditional else "bench_generative"
    if not conditional and alpha != 32.0:  # the alpha = 32 run keeps its historical name
        name += f"_alpha{alpha:g}"
    if (args.schedule, args.prediction) != ("linear", "epsilon"):
        name += f"_{args.schedule}_{args.prediction}"
    if args.length != 1024:
        name += f"_L{args.length}"
    if args.device != "cpu":
        name += "_gpu"
    if args.sampler_study:
        name += "_samplers"
    if args.tag:
        name += f"_{args.tag}"
    hardware = (
        f"{args.threads} CPU thread(s)"
        if args.device == "cpu"
        else f"{torch.cuda.get_device_name(torch.device(args.device))} ({args.device})"
    )
    alpha_tag = "-".join(f"{a:g}" for a in train_alphas)
    t0 = time.perf_counter()
    train = make_trajectory_dataset(
        CACHE / f"trajectories_a{alpha_tag}_{args.n_train}_{args.length}_{args.n_waves}",
        alphas=train_alphas,
        n_particles=args.n_train,
        length=args.length,
        n_waves=args.n_waves,
        n_jobs=args.n_jobs,
        random_state=0,
        verbose=0,
    )
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = simulate_trajectories(
        alpha,
        args.n_ref,
        args.length,
        n_waves=args.n_waves,
        include_field=False,
        random_state=12345,
    )
    simulate_s = time.perf_counter() - t0

    tag = (
        f"generator_a{alpha_tag}_{args.n_train}_{args.length}_{args.base_channels}_"
        f"{args.n_levels}_{args.train_seconds:g}_{args.lr:g}_{args.batch_size}_"
        f"{args.representation}_{args.stride}_{args.ema:g}_{args.rotations}"
        + ("" if args.schedule == "linear" else f"_{args.schedule}")
        + ("" if args.prediction == "epsilon" else f"_{args.prediction}")
        + ("" if args.device == "cpu" else f"_{args.device}")
        + ".pkl"
    )
    started = time.perf_counter()

    def budget(record, module):
        return time.perf_counter() - started > args.train_seconds

    V_fit, y_fit = rotated_copies(train.velocities, train.alpha, args.rotations, seed=0)
    model = None
    if (CACHE / tag).exists():
        model = load(CACHE / tag)
    model = model or TrajectoryGenerator(
        module_kwargs={
            "base_channels": args.base_channels,
            "n_levels": args.n_levels,
            "attention_levels": 2,
        },
        representation=args.representation,
        schedule=args.schedule,
        prediction=args.prediction,
        stride=args.stride,
        ema_decay=args.ema,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=args.max_epochs,
        callbacks=[budget],
        device=args.device,
        random_state=0,
        verbose=0,
    ).fit(V_fit, y_fit if conditional else None)
    model.set_params(callbacks=None)  # the budget closure cannot be pickled
    save(model, CACHE / tag)
    train_s = sum(h["duration"] for h in model.history_)
    print(f"data {build_s:.0f} s + {simulate_s:.0f} s, training {train_s:.0f} s", flush=True)
    n_params = sum(p.numel() for p in model.module_.parameters())

    label = alpha if conditional else None
    if args.device != "cpu":  # first CUDA calls (kernel selection) are not sampling speed
        model.sample(2, label, sampler="ddim", n_steps=5, random_state=0)
    t0 = time.perf_counter()
    V_gen = model.sample(
        args.n_ref, label, sampler="ddim", n_steps=args.ddim_steps, clip=False, random_state=1
    )
    ddim_s = time.perf_counter() - t0
    V_smooth = model.sample(
        args.n_ref,
        label,
        sampler="ddim",
        n_steps=args.ddim_steps,
        smooth=True,
        clip=False,
        random_state=1,
    )
    V_clip = model.sample(
        args.n_ref, label, sampler="ddim", n_steps=args.ddim_steps, clip=True, random_state=1
    )
    n_anc = 2
    t0 = time.perf_counter()
    model.sample(n_anc, label, sampler="ancestral", random_state=2)
    ancestral_s = time.perf_counter() - t0

    V_ref, V_train = ref.velocities, train.velocities[: args.n_ref]
    fresh_floor = conditional or args.n_ref > len(V_train)
    if fresh_floor:
        # no training data at this alpha (or too few): a second fresh simulation is the floor
        V_train = simulate_trajectories(
            alpha,
            args.n_ref,
            args.length,
            n_waves=args.n_waves,
            include_field=False,
            random_state=999,
        ).velocities
    lags = np.unique(np.round(np.geomspace(1, args.length // 2, 24)).astype(int))
    far = lags >= 0.1 * spg
    f4_ref = flatness(V_ref, lags, average=True)

    def f4_error(V):
        err = np.abs(flatness(V, lags, average=True) / f4_ref - 1)[far]
        return float(err.mean()), float(err.max())

    def msd_error(V):
        lag = [args.length // 2]
        a = mean_squared_displacement(integrate_positions(V, dt), lag).sum()
        b = mean_squared_displacement(integrate_positions(V_ref, dt), lag).sum()
        return float(a / b - 1)

    def diffusion_parallel_perpendicular(V):
        """Running D_par = D_zz (along B0) and D_perp = (D_xx + D_yy) / 2 at the MSD lag."""
        d = running_diffusion(integrate_positions(V, dt), [args.length // 2], dt)[0]
        return np.array([d[2], 0.5 * (d[0] + d[1])])

    d_ref = diffusion_parallel_perpendicular(V_ref)

    sets = [
        ("generated (DDIM)", V_gen),
        ("generated, x0 clipped", V_clip),
        ("generated + 3-pt smoothing", V_smooth),
        ("simulated (noise floor)", V_train),
        (f"simulated, stride {args.stride} + spline", spline_resampled(V_train, args.stride)),
    ]
    if args.sampler_study:  # is the sampler, not the network, behind the errors?
        n_study, steps4 = args.sampler_study, 4 * args.ddim_steps
        V_ddim4 = model.sample(
            args.n_ref, label, sampler="ddim", n_steps=steps4, clip=True, random_state=1
        )
        t0 = time.perf_counter()
        V_eta = model.sample(
            args.n_ref, label, sampler="ddim", n_steps=steps4, eta=1.0, clip=True, random_state=1
        )  # stochastic DDIM: fresh noise at every step, like the ancestral chain
        eta_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        V_anc = model.sample(n_study, label, sampler="ancestral", clip=True, random_state=3)
        ancestral_s, n_anc = time.perf_counter() - t0, n_study  # a bigger timing sample
        V_ddim_n = V_clip[:n_study]
        sets += [
            (f"generated, DDIM-{steps4}, x0 clipped", V_ddim4),
            (f"generated, DDIM-{steps4} eta=1, x0 clipped", V_eta),
            (f"first {n_study}: generated, DDIM-{args.ddim_steps}, x0 clipped", V_ddim_n),
            (f"first {n_study}: generated, ancestral-1000, x0 clipped", V_anc),
            (f"first {n_study}: simulated (noise floor)", V_train[:n_study]),
        ]
    rows = []
    for set_name, V in sets:
        dist = trajectory_distance(V, V_ref, steps_per_gyration=spg, return_components=True)
        f4_mean, f4_max = f4_error(V)
        small, large = curvature_slopes(V, dt, spg)
        rows.append(
            {
                "set vs fresh simulation": set_name,
                "F4 err mean": f4_mean,
                "F4 err max": f4_max,
                "MSD err": msd_error(V),
                **dict(
                    zip(
                        ("D_par err", "D_perp err"),
                        (diffusion_parallel_perpendicular(V) / d_ref - 1).tolist(),
                        strict=True,
                    )
                ),
                "kappa slope small": small,
                "kappa slope large": large,
                "distance": dist["total"],
                "d_s2": dist["s2"],
                "d_f4": dist["f4"],
                "d_msd": dist["msd"],
                "d_curv": dist["curvature"],
            }
        )
    small, large = curvature_slopes(V_ref, dt, spg)
    rows.append(
        {
            **{key: float("nan") for key in rows[0]},
            "set vs fresh simulation": "fresh simulation itself",
            "kappa slope small": small,
            "kappa slope large": large,
        }
    )
    speeds = {
        "simulator traj/s": args.n_ref / simulate_s,
        "DDIM traj/s": args.n_ref / ddim_s,
        "ancestral traj/s": n_anc / ancestral_s,
    }

    V_plot, sampler_label = V_clip, f"DDIM {args.ddim_steps}"
    if args.sampler_study:
        V_plot, sampler_label = V_anc, f"ancestral 1000 ({len(V_anc)} series)"
    axes = plot_trajectory_statistics(V_plot, V_ref, dt=dt, steps_per_gyration=spg)
    axes[0].figure.suptitle(
        f"alpha = {alpha:g}, {args.length} steps, {len(train)} training series, "
        f"{train_s:.0f} s training on {hardware.split(' (')[0]}, {sampler_label}, x0 clipped"
    )
    axes[0].figure.tight_layout()
    figure = RESULTS / f"{name}_statistics.png"
    axes[0].figure.savefig(figure, dpi=110)
    plt.close("all")
    _, ax = plt.subplots(figsize=(5, 3.5))
    ax.semilogy([h["train_loss"] for h in model.history_])
    ax.set(xlabel="epoch", ylabel="training loss (eps MSE)")
    ax.figure.tight_layout()
    ax.figure.savefig(RESULTS / f"{name}_history.png", dpi=110)
    plt.close("all")

    notes = (
        f"alpha = {alpha:g}, isotropic turbulence b = 1, {spg} steps per gyration, series of "
        f"{args.length} steps ({args.length / spg:.1f} gyro-periods); {args.n_train} training "
        f"series (campaign built in {build_s:.0f} s), {args.n_ref} fresh reference series"
        + (
            " (the noise floor: a second fresh simulation of as many series). "
            if fresh_floor and not conditional
            else ". "
        )
        + f"DDPM: {args.schedule} schedule, {args.prediction}-prediction. "
        f"Model: {args.representation} channels, every {args.stride}th sample modelled "
        f"(cubic spline back to every sample), EMA {args.ema:g} of the weights, training set "
        f"x{args.rotations} by random rotations about B0. "
        f"U-Net: base {args.base_channels} channels, {args.n_levels} levels, "
        f"{n_params / 1e6:.2f} M parameters; AdamW lr {args.lr:g}, batch {args.batch_size}, "
        f"{model.n_iter_} epochs in {train_s:.0f} s on {hardware} "
        f"(final loss {model.history_[-1]['train_loss']:.4f}). "
        f"Errors are relative to the fresh simulation; F4 over lags >= 0.1 gyro-period; "
        f"MSD at lag {args.length // 2} steps = {args.length / 2 / spg:.2f} gyro-periods"
        + (
            " (the paper's 10 gyro-periods needs >= 2000-step series). "
            if args.length < 2000
            else ". "
        )
        + f"Speeds: simulator {speeds['simulator traj/s']:.1f} traj/s (numba, "
        f"{args.n_waves} waves), DDIM-{args.ddim_steps} {speeds['DDIM traj/s']:.2f} traj/s, "
        f"ancestral-1000 {speeds['ancestral traj/s']:.3f} traj/s"
        + (
            f", stochastic DDIM-{4 * args.ddim_steps} (eta = 1) {args.n_ref / eta_s:.2f} traj/s"
            if args.sampler_study
            else ""
        )
        + f" ({'CPU' if args.device == 'cpu' else hardware}; simulator: "
        f"{numba.get_num_threads()} numba threads). "
        "Paper scale (per the issue): 6-10 levels, 64 base channels, series of 1024-8192 "
        "steps, AdamW lr 1e-4, batch 64, GPU training"
        + (
            "; this CPU run is far smaller in data, network, series length and training time"
            if args.device == "cpu"
            else ""
        )
        + f". Figures: {name}_statistics.png, "
        f"{name}_history.png."
    )
    if conditional:
        notes = (
            f"CONDITIONAL model trained on alpha = {train_alphas} ({args.n_train} series each) "
            f"and evaluated at the unseen alpha = {alpha:g}; the noise floor is a second fresh "
            "simulation at that alpha. " + notes
        )
    write_report(name, rows, notes=notes, results=RESULTS)


if __name__ == "__main__":
    main()
