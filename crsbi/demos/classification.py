"""Demo step for TransportClassifier: learn transport-like classes from density maps."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from crsbi.core.verdict import Target
from crsbi.demos import DemoContext, register

#: Toy classes: log-normal maps differing only in spectral slope (steeper = smoother, the
#: imprint strong CR diffusion leaves on the gas). The benchmark also runs the simulator.
SLOPES = {"smooth (diffusive-like)": -4.0, "intermediate": -3.0, "rough (MHD-like)": -2.0}


@register(
    "classification",
    description="density maps -> log10 + equalise -> TransportClassifier, Table 2, saliency",
    order=40,
    targets={
        # 120 test maps: chance + 0.25 is > 5 binomial sd above chance
        "test accuracy (chance 1/3)": Target.at_least(1 / 3 + 0.25, "chance + 0.25"),
    },
)
def classification(context: DemoContext) -> dict[str, Any]:
    """Train a small CNN on toy density maps, report Table 2 and draw a saliency panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.maps.classifier import (
        TransportClassifier,
        classification_table,
        make_spectral_images,
    )
    from crsbi.maps.interpretation import saliency_maps
    from crsbi.maps.plotting import plot_confusion_matrix, plot_saliency_maps

    rng = np.random.default_rng(context.random_state)
    X, y = make_spectral_images(100, slopes=SLOPES, size=32, random_state=rng)
    X_test, y_test = make_spectral_images(40, slopes=SLOPES, size=32, random_state=rng)
    start = time.perf_counter()
    model = TransportClassifier(
        module_kwargs={"channels": (8, 16, 32)},
        lr=3e-3,
        batch_size=32,
        max_epochs=20,
        patience=None,
        device="cpu",
        random_state=context.random_state,
        verbose=context.verbose,
    ).fit(X, y)
    seconds = time.perf_counter() - start
    pred = model.predict(X_test)
    table = classification_table(y_test, pred, labels=model.classes_)
    classes = list(model.classes_)
    picks = [int(np.flatnonzero(y_test == c)[0]) for c in classes]
    maps = saliency_maps(model, X_test[picks], target=np.asarray(classes))
    fig, axes = plt.subplots(2, len(classes) + 1, figsize=(3 * (len(classes) + 1), 5.6))
    plot_saliency_maps(X_test[picks], maps, titles=classes, axes=axes[:, 1:])
    gs = axes[0, 0].get_gridspec()
    for ax in axes[:, 0]:
        ax.remove()
    plot_confusion_matrix(y_test, pred, labels=classes, ax=fig.add_subplot(gs[:, 0]))
    path = context.output_dir / "classification_confusion_saliency.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return {
        "test accuracy (chance 1/3)": table.overall_accuracy,
        "per-class one-vs-rest accuracy": dict(
            zip([str(c) for c in classes], np.round(table.accuracy, 3).tolist(), strict=True)
        ),
        "training seconds": seconds,
        "plot": str(path),
    }
