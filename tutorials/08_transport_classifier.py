# %% [markdown]
# # Cosmic-ray transport from density maps: TransportClassifier
#
# Bustard and Wu (2024) trained a small CNN on slices of turbulent-gas density cubes and could
# tell which cosmic-ray transport model (no CRs, advection only, diffusion, strong diffusion,
# streaming) shaped the gas. This tutorial walks the same pipeline:
#
# 1. cut a density cube into slices inside **buffered** train / validation / test regions;
# 2. tile, take `log10`, (optionally) flatten the power spectrum, equalise the histogram;
# 3. train `TransportClassifier` (29,749 parameters at five classes) and read Table 2;
# 4. interpret: saliency maps, Gaussian blurring, projection depth.
#
# Quick mode uses toy log-normal cubes whose classes differ only in their spectral slope (the
# smoother the field, the more "diffusive"); `CRSBI_TUTORIAL_MODE=full` uses the 2-D CR-fluid
# simulator (`crsbi.maps.crfluid_dataset`) for the classification part, as in the benchmark.

# %%
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

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
    plot_class_power_spectra,
    plot_confusion_matrix,
    plot_probability_vs_sigma,
    plot_projection_depth,
    plot_saliency_maps,
)
from crsbi.maps.interpretation import (
    gaussian_filter_experiment,
    projection_depth_experiment,
    saliency_maps,
)

FULL = os.environ.get("CRSBI_TUTORIAL_MODE") == "full"
print("paper CNN parameters at 5 classes:", count_parameters(TransportCNN(n_classes=5)))

# %% [markdown]
# ## 1. Buffered regions along the guide field
# The paper cuts y-z slices (perpendicular to the guide field along x) and keeps training,
# validation and test slices in separate blocks of L/6 with L/6 buffers between them, so a
# structure never straddles two sets. `buffered_split` returns the cell indices.

# %%
size = 48
regions = buffered_split(size)
print({name: (int(cells[0]), int(cells[-1])) for name, cells in regions.items()})

# %% [markdown]
# ## 2. Toy cubes, tiles and preprocessing
# `cube_to_tiles` runs slice -> tile -> log10 -> (flatten) -> equalise for one cube; the
# equalised tiles are uniform on [0, 1], so only spatial structure is left to learn.

# %%
slopes = {"smooth": -4.5, "medium": -3.75, "rough": -3.0}
cubes, labels = make_spectral_cubes(slopes=slopes, size=size, random_state=0)
tile = 16
sets = {name: ([], []) for name in regions}
for cube, label in zip(cubes, labels, strict=True):
    tiles = cube_to_tiles(cube, tile_size=tile, keep_fraction=1.0, random_state=0)
    for name, stack in tiles.items():
        sets[name][0].append(stack)
        sets[name][1].extend([label] * len(stack))
X_train, y_train = np.concatenate(sets["train"][0]), np.array(sets["train"][1])
X_val, y_val = np.concatenate(sets["validation"][0]), np.array(sets["validation"][1])
X_test, y_test = np.concatenate(sets["test"][0]), np.array(sets["test"][1])
print("train / validation / test tiles:", len(X_train), len(X_val), len(X_test))

ax = plot_class_power_spectra(
    np.concatenate([log_images(cube[regions["test"]]) for cube in cubes]),
    np.repeat(labels, len(regions["test"])),
)
ax.figure.savefig("classifier_spectra.png", dpi=100)
plt.close(ax.figure)

# %% [markdown]
# ## 3. Train and report Table 2
# Paper defaults: AdamW, lr 1e-3, weight decay 1e-4, batch 64, random flips. Temperature
# scaling on the validation region calibrates the probabilities without changing predictions.

# %%
model = TransportClassifier(
    module_kwargs={"channels": (8, 16, 32)} if not FULL else None,
    max_epochs=40 if FULL else 25,
    lr=3e-3,
    random_state=0,
    verbose=0,
).fit(X_train, y_train)
model.calibrate_temperature(X_val, y_val)
pred = model.predict(X_test)
table = classification_table(y_test, pred)
print(table.to_markdown())
print("temperature:", round(model.temperature_, 2))
ax = plot_confusion_matrix(y_test, pred)
ax.figure.savefig("classifier_confusion.png", dpi=100, bbox_inches="tight")
plt.close(ax.figure)

# %% [markdown]
# ## 4. Interpretation
# Saliency: where a small change of the input moves the class score most (smoothed, 4 px).

# %%
picks = [int(np.flatnonzero(y_test == c)[0]) for c in model.classes_]
maps = saliency_maps(model, X_test[picks], target=model.classes_)
axes = plot_saliency_maps(X_test[picks], maps, titles=list(model.classes_))
axes[0, 0].figure.savefig("classifier_saliency.png", dpi=100)
plt.close(axes[0, 0].figure)

# %% [markdown]
# Blurring rough-class tiles (in log density, then re-equalising) should push them towards
# the smooth class, as blurring pushed the paper's test images to `CR_Diff_Fiducial`.

# %%
rough = np.concatenate(
    [
        cube_to_tiles(
            cubes[labels.index("rough")],
            regions={"test": regions["test"]},
            tile_size=tile,
            equalize=False,
        )["test"]
    ]
)
blur = gaussian_filter_experiment(model, rough, sigmas=[0, 1, 2, 4], preprocess=equalize_histogram)
print(
    "fraction predicted 'smooth' vs sigma:",
    blur.predicted_fraction[:, list(blur.classes).index("smooth")].round(2),
)
ax = plot_probability_vs_sigma(blur, fraction=True)
ax.figure.savefig("classifier_blur.png", dpi=100)
plt.close(ax.figure)

# %% [markdown]
# A model trained on one-cell slices sees different statistics in images averaged over
# d cells along the line of sight: accuracy falls with projection depth.

# %%
depth = projection_depth_experiment(model, cubes, labels, depths=[1, 4, 8], tile_size=tile)
print("accuracy vs depth:", depth.accuracy.round(2), "at d =", depth.depths)
ax = plot_projection_depth(depth)
ax.figure.savefig("classifier_depth.png", dpi=100)
plt.close(ax.figure)

# %% [markdown]
# ## Full mode: the CR-fluid simulator
# With `CRSBI_TUTORIAL_MODE=full` the same estimator is trained on 2-D CR-fluid maps of the
# five transport classes. `make_transport_dataset` runs one resumable campaign per class
# (run `i` of every class shares forcing seed `i`), tiles the snapshots after saturation,
# preprocesses every tile (log10, equalisation) and splits train and test by *independent
# runs* (see `benchmarks/maps/bench_classifier.py --data crfluid` for the numbers and figures).

# %%
if FULL:
    import tempfile

    from crsbi.maps import make_transport_dataset

    data = make_transport_dataset(
        tempfile.mkdtemp(),
        n_runs_per_class=4,
        n_test_runs=1,
        tile_size=32,
        train_shifts=2,
        resolution=64,
        t_end_eddy=10.0,
        random_state=0,
        verbose=0,
    )
    sim_model = TransportClassifier(max_epochs=40, random_state=0, verbose=0)
    sim_model.fit(data.X_train, data.y_train)
    print(classification_table(data.y_test, sim_model.predict(data.X_test)).to_markdown())

# %% [markdown]
# ## Beyond classes: a posterior over log10 kappa
# `crsbi.maps.kappa_posterior` simulates maps at log-uniform `kappa` and trains NPE with
# the same CNN as embedding network; `run_calibration` checks its credible intervals.

# %%
if FULL:
    from crsbi import run_calibration
    from crsbi.maps import make_kappa_dataset, make_kappa_posterior

    kappa = make_kappa_dataset(tempfile.mkdtemp(), 60, resolution=32, t_end_eddy=5.0, verbose=0)
    is_test = kappa.run >= 48
    last = kappa.time == kappa.time.max()
    posterior = make_kappa_posterior(random_state=0).fit(
        kappa.images[~is_test], kappa.log10_kappa[~is_test]
    )
    x_test = kappa.images[is_test & last].reshape(int((is_test & last).sum()), -1)
    report = run_calibration(
        posterior, kappa.log10_kappa[is_test & last], x_test, c2st=False, random_state=0
    )
    print("HPD coverage at", report.levels, ":", report.hpd_coverage.round(2))
