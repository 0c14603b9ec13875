"""Demo step for TrajectoryGenerator: simulate trajectories, train a tiny diffusion model."""

from __future__ import annotations

import time
from typing import Any

from crsbi.core.verdict import Target
from crsbi.demos import DemoContext, register

#: Small settings so the step takes seconds (the paper: 1024-8192 steps, 6-10 levels,
#: 64 base channels, GPU training).
SETTINGS = {"alpha": 32.0, "n_particles": 64, "length": 128, "n_waves": 32}


@register(
    "generative",
    description="test-particle trajectories at alpha = 32 -> TrajectoryGenerator (DDPM)",
    order=60,
    targets={
        # a generator that reproduces the statistics sits near the floor of two simulations
        "distance generated vs simulated": lambda figures: Target.at_most(
            2 * figures["distance simulated vs simulated"],
            "2x the simulated-vs-simulated floor",
            note="the demo trains for 6 epochs on 64 series, far too short to reproduce the "
            "statistics; the full benchmark (benchmarks/particles/bench_generative.py, "
            "docs/generative.md) meets the F4 and MSD targets at alpha = 32",
        ),
    },
)
def generative(context: DemoContext) -> dict[str, Any]:
    """Simulate short trajectories, train a small U-Net DDPM briefly, compare statistics.

    Far too little training to reproduce the statistics (see the benchmark); the step
    shows the workflow and reports the distance next to its simulated noise floor.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.particles.generator import TrajectoryGenerator
    from crsbi.particles.plotting import plot_trajectory_statistics
    from crsbi.particles.statistics import trajectory_distance
    from crsbi.particles.trajectory_dataset import simulate_trajectories

    settings = dict(SETTINGS)
    alpha, n, length = settings.pop("alpha"), settings.pop("n_particles"), settings.pop("length")
    start = time.perf_counter()
    data = simulate_trajectories(
        alpha, 2 * n, length, include_field=False, random_state=context.random_state, **settings
    )
    simulate_s = time.perf_counter() - start
    train, ref = data.velocities[:n], data.velocities[n:]
    model = TrajectoryGenerator(
        module_kwargs={"base_channels": 8, "n_levels": 3, "attention_levels": 1},
        stride=2,
        lr=2e-3,
        batch_size=32,
        max_epochs=6,
        device="cpu",
        random_state=context.random_state,
        verbose=context.verbose,
    ).fit(train)
    start = time.perf_counter()
    generated = model.sample(n, sampler="ddim", n_steps=10, random_state=context.random_state)
    sample_s = time.perf_counter() - start
    axes = plot_trajectory_statistics(generated, ref, dt=float(data.dt[0]), steps_per_gyration=100)
    path = context.output_dir / "generative_statistics.png"
    axes[0].figure.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(axes[0].figure)
    return {
        "trajectories (train / reference)": f"{n} / {n} x {length} steps",
        "distance generated vs simulated": trajectory_distance(generated, ref),
        "distance simulated vs simulated": trajectory_distance(train, ref),
        "simulated trajectories per second": 2 * n / simulate_s,
        "generated trajectories per second (DDIM 10)": n / sample_s,
        "plot": str(path),
    }
