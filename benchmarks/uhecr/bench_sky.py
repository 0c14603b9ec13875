"""Throughput of the UHECR sky simulator and of the HEALPix CNN on CPU.

1. Maps simulated per second at Nside 32 with 15 energy channels for N = 50 .. 500 events
   (isotropic, and with Cen A at eta = 0.1 from the Kalashev et al. spectra with the default
   deflection; uniform and Auger exposure), against a per-map baseline that simulates each
   sky's events with ``simulate_events`` and bins them with ``events_to_maps``.
2. HealpixCNN (default architecture, Nside 32, 15 channels) forward (no grad) and training
   step (forward + backward + AdamW) throughput in maps per second, against the same
   network computed channels-first (gather along the pixel axis + size-1 conv1d).

Run: ``python benchmarks/uhecr/bench_sky.py`` (quick) or
``python benchmarks/uhecr/bench_sky.py --full``.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import results_dir, write_report

from crsbi.uhecr import (
    HealpixCNN,
    HealpixConv,
    HealpixPool,
    events_to_maps,
    simulate_events,
    simulate_sky_maps,
)

RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/

NSIDE, CHANNELS = 32, 15


def best_times(functions, repeats: int) -> list[float]:
    """Best wall time of each function over ``repeats`` rounds, run interleaved.

    Interleaving makes the comparison fair on a machine whose load changes over time.
    """
    best = [np.inf] * len(functions)
    for _ in range(repeats):
        for i, function in enumerate(functions):
            start = time.perf_counter()
            function()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def per_map_baseline(n_maps: int, n_events: int, *, source, fraction, exposure, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(n_maps):
        events = simulate_events(
            n_events, source=source, fraction=fraction, exposure=exposure, random_state=rng
        )
        events_to_maps(events.l_deg, events.b_deg, events.energy_eev, nside=NSIDE)


def simulator_rows(n_maps: int, n_baseline: int, repeats: int, event_counts) -> list[dict]:
    rows = []
    simulate_sky_maps(2, n_events=10, source="CenA", fraction=0.5, random_state=0)  # warm-up
    for exposure in ("uniform", "auger"):
        for source, fraction in ((None, 0.0), ("CenA", 0.1)):
            for n_events in event_counts:
                kwargs = dict(source=source, fraction=fraction, exposure=exposure)
                t, t_base = best_times(
                    [
                        partial(
                            simulate_sky_maps, n_maps, n_events=n_events, random_state=1, **kwargs
                        ),
                        partial(per_map_baseline, n_baseline, n_events, seed=2, **kwargs),
                    ],
                    repeats,
                )
                rows.append(
                    {
                        "exposure": exposure,
                        "sky": "isotropic" if source is None else f"{source} eta={fraction}",
                        "N": n_events,
                        "maps/s": n_maps / t,
                        "per-map baseline maps/s": n_baseline / t_base,
                        "speed-up": (n_maps / t) / (n_baseline / t_base),
                    }
                )
                print(rows[-1], flush=True)
    return rows


class ChannelsFirstReference(torch.nn.Module):
    """The same network computed the straightforward way, as a speed baseline.

    Each convolution gathers ``(batch, C, 9 * npix)`` along the last axis and applies a
    size-1 ``conv1d``; pooling is a reshape + ``amax``. Weights are shared with ``net``.
    """

    def __init__(self, net: HealpixCNN) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = x
        for layer in self.net.features:
            if isinstance(layer, HealpixConv):
                padded = torch.nn.functional.pad(hidden, (0, 1))
                gathered = padded[:, :, layer.neighbours.T.reshape(-1)]
                gathered = gathered.reshape(hidden.shape[0], -1, layer.npix)
                weight = layer.weight.reshape(layer.out_channels, -1, 1)
                hidden = torch.nn.functional.conv1d(gathered, weight, layer.bias)
            elif isinstance(layer, HealpixPool):
                hidden = hidden.reshape(*hidden.shape[:-1], -1, 4).amax(-1)
            else:
                hidden = layer(hidden)
        return self.net.head(hidden.transpose(1, 2).flatten(1))


def network_rows(batch: int, steps: int) -> list[dict]:
    torch.manual_seed(0)
    net = HealpixCNN(CHANNELS, n_outputs=1, nside=NSIDE)
    reference = ChannelsFirstReference(net)
    x = torch.randn(batch, CHANNELS, 12 * NSIDE**2)
    y = torch.randint(0, 2, (batch, 1)).float()
    torch.testing.assert_close(reference(x), net(x), rtol=1e-4, atol=1e-5)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)

    def forward(model) -> None:
        with torch.no_grad():
            for _ in range(steps):
                model(x)

    def train(model) -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            optimizer.step()

    forward(net)  # warm-up
    n_params = sum(p.numel() for p in net.parameters())
    rows = []
    for name, fn in (("forward (no grad)", forward), ("train step (fwd+bwd+AdamW)", train)):
        t, t_ref = best_times([partial(fn, net), partial(fn, reference)], 3)
        rows.append(
            {
                "exposure": "-",
                "sky": f"HealpixCNN {name}, batch {batch}, {n_params} params",
                "N": "-",
                "maps/s": batch * steps / t,
                "per-map baseline maps/s": f"{batch * steps / t_ref:.4g} (channels-first)",
                "speed-up": t_ref / t,
            }
        )
        print(rows[-1], flush=True)
    return rows


def sky_figure(path) -> None:
    """Four Mollweide panels: Auger exposure, simulated skies, and the Auger data >= 56 EeV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.uhecr import exposure_map, load_auger2022, plot_sky_map

    fig = plt.figure(figsize=(13, 7.5))
    axes = [fig.add_subplot(2, 2, i + 1, projection="mollweide") for i in range(4)]
    plot_sky_map(
        exposure_map("auger", NSIDE, normalize="max"),
        ax=axes[0],
        title="Auger exposure (Sommers 2001)",
        label="relative exposure",
    )
    mixed = simulate_sky_maps(1, n_events=500, source="CenA", fraction=0.2, random_state=0)[0]
    plot_sky_map(
        mixed,
        ax=axes[1],
        smooth_deg=20.0,
        sources=["CenA"],
        title="simulated: N = 500, Cen A eta = 0.2, uniform exposure (20° top-hat)",
    )
    only = simulate_sky_maps(1, n_events=3000, source="CenA", fraction=1.0, random_state=1)[0]
    plot_sky_map(
        only,
        ax=axes[2],
        channel=None,
        sources=["CenA"],
        title="Cen A events only (default deflection, Kalashev et al. composition)",
    )
    auger = load_auger2022(56.0)
    data = events_to_maps(auger.l_deg, auger.b_deg, auger.energy_eev, nside=NSIDE)
    plot_sky_map(
        data,
        ax=axes[3],
        smooth_deg=20.0,
        events=auger,
        title=f"Auger 2022, E >= 56 EeV ({len(auger)} events, 20° top-hat)",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1000 maps per timing, all N")
    args = parser.parse_args()
    if args.full:
        n_maps, n_baseline, repeats, counts, steps = 1000, 50, 3, (50, 100, 200, 300, 400, 500), 3
    else:
        n_maps, n_baseline, repeats, counts, steps = 200, 20, 3, (50, 200, 500), 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    sky_figure(RESULTS / "bench_sky_maps.png")
    rows = simulator_rows(n_maps, n_baseline, repeats, counts)
    rows += network_rows(batch=32, steps=steps)
    mode = "full" if args.full else "quick"
    write_report(
        "bench_sky",
        rows,
        notes=(
            f"{mode} mode: {n_maps} maps per timing, per-map baseline (simulate_events + "
            f"events_to_maps per sky) on {n_baseline} maps, best of {repeats} interleaved rounds; "
            f"HealpixCNN: {steps} batches of 32 per timing, best of 3 interleaved rounds against "
            "the channels-first reference computation (same weights, checked equal). "
            f"Nside {NSIDE}, {CHANNELS} channels of 0.05 in lg E from 56 EeV, "
            "20% energy resolution, default Kalashev et al. composition (3.5 Mpc) and deflection. "
            "maps/s includes allocating the float32 output (737 kB per map). CPU only, "
            f"{torch.get_num_threads()} torch threads, on a 2-core machine shared with other "
            "jobs, so absolute numbers are pessimistic and noisy. "
            "Command: python benchmarks/uhecr/bench_sky.py" + (" --full" if args.full else "")
        ),
        results=RESULTS,
    )


if __name__ == "__main__":
    main()
