"""Tests of crsbi.maps.images: loaders, buffered split, slices, tiles, transforms."""

import h5py
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from crsbi.maps.images import (
    HistogramEqualizer,
    LogTransformer,
    PowerSpectrumFlattener,
    buffered_split,
    cube_to_tiles,
    equalize_histogram,
    flatten_power_spectrum,
    load_athena_density,
    log_images,
    open_cube,
    random_flips,
    slice_images,
    tile_images,
)

# ---------------------------------------------------------------- loaders


def test_npy_is_memory_mapped_and_npz_by_name(tmp_path, rng):
    cube = rng.normal(size=(4, 5, 6))
    np.save(tmp_path / "c.npy", cube)
    loaded = open_cube(tmp_path / "c.npy")
    assert isinstance(loaded, np.memmap)
    assert np.array_equal(loaded, cube)
    np.savez(tmp_path / "c.npz", rho=cube, other=cube * 2)
    assert np.array_equal(open_cube(tmp_path / "c.npz", dataset="other"), 2 * cube)
    with pytest.raises(ValueError, match="several arrays"):
        open_cube(tmp_path / "c.npz")
    with pytest.raises(KeyError, match="no array"):
        open_cube(tmp_path / "c.npz", dataset="nope")


def test_hdf5_dataset_path_reads_lazily(tmp_path, rng):
    cube = rng.normal(size=(6, 4, 4))
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.create_dataset("sim/density", data=cube)
    lazy = open_cube(f"{tmp_path / 'c.h5'}:sim/density")
    assert lazy.shape == cube.shape
    assert np.array_equal(lazy[2], cube[2])
    images = slice_images(lazy, [1, 5], axis=0, depth=2)
    assert np.allclose(images[0], cube[1:3].mean(0))
    assert np.allclose(images[1], (cube[5] + cube[0]) / 2)  # periodic wrap
    lazy.close()
    # the whole pipeline from a path: same tiles as from the array in memory
    positive = np.exp(cube)
    with h5py.File(tmp_path / "p.h5", "w") as f:
        f["rho"] = positive
    from_path = cube_to_tiles(
        f"{tmp_path / 'p.h5'}:rho", regions={"a": np.array([0, 3])}, tile_size=2, random_state=0
    )
    from_array = cube_to_tiles(
        positive, regions={"a": np.array([0, 3])}, tile_size=2, random_state=0
    )
    assert np.array_equal(from_path["a"], from_array["a"])
    with pytest.raises(KeyError, match="datasets are"):
        open_cube(tmp_path / "c.h5", dataset="rho")
    with pytest.raises(ValueError, match="Name the HDF5 dataset"):
        open_cube(tmp_path / "c.h5")
    with pytest.raises(FileNotFoundError):
        open_cube(tmp_path / "missing.npy")
    with pytest.raises(ValueError, match="Unknown cube format"):
        (tmp_path / "c.txt").write_text("1")
        open_cube(tmp_path / "c.txt")


def test_athena_meshblocks_reassemble(tmp_path, rng):
    # a 4 x 6 x 2 (x1, x2, x3) cube written as Athena++ does: prim[var, block, k, j, i]
    # with 2 x 3 x 1 MeshBlocks of 2 x 2 x 2 cells, blocks in a shuffled order
    truth = rng.normal(size=(4, 6, 2))
    locations = [(i, j, 0) for i in range(2) for j in range(3)]
    order = rng.permutation(len(locations))
    prim = np.zeros((2, len(locations), 2, 2, 2))
    for b, idx in enumerate(order):
        l1, l2, l3 = locations[idx]
        block = truth[2 * l1 : 2 * l1 + 2, 2 * l2 : 2 * l2 + 2, 2 * l3 : 2 * l3 + 2]
        prim[0, b] = block.transpose(2, 1, 0)  # stored as (x3, x2, x1)
        prim[1, b] = -1.0
    path = tmp_path / "out.athdf"
    with h5py.File(path, "w") as f:
        f.attrs["VariableNames"] = np.array([b"rho", b"press"])
        f["prim"] = prim
        f["LogicalLocations"] = np.array([locations[i] for i in order])
        f["Levels"] = np.zeros(len(locations), dtype=int)
    assert np.array_equal(load_athena_density(path), truth)
    assert np.array_equal(open_cube(path), truth)
    assert np.all(load_athena_density(path, variable="press") == -1)
    with pytest.raises(KeyError, match="no variable"):
        load_athena_density(path, variable="Ec")


# ---------------------------------------------------------- buffered split


@pytest.mark.parametrize("n_cells", [512, 96, 100, 61])
def test_default_split_layout_and_buffers(n_cells):
    parts = buffered_split(n_cells)
    assert list(parts) == ["train", "validation", "test"]
    cells = np.concatenate(list(parts.values()))
    assert len(np.unique(cells)) == len(cells)  # no overlap
    buffer = n_cells / 6
    for a in parts.values():
        assert np.all(np.diff(a) == 1)  # contiguous
        assert n_cells // 6 - 1 <= len(a) <= n_cells // 6
    # between cells of different sets at least `buffer` cells (periodic distance - 1)
    names = list(parts)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            d = np.abs(parts[a][:, None] - parts[b][None, :])
            d = np.minimum(d, n_cells - d)
            assert d.min() - 1 >= buffer
    if n_cells % 6 == 0:  # the paper's exact layout: [0, L/6), [2L/6, 3L/6), [4L/6, 5L/6)
        s = n_cells // 6
        assert parts["train"][0] == 0 and parts["validation"][0] == 2 * s
        assert parts["test"][0] == 4 * s and parts["test"][-1] == 5 * s - 1


def test_custom_split_and_errors():
    parts = buffered_split(100, widths=(0.5, 0.2), buffer=0.1, names=("a", "b"), periodic=False)
    assert parts["a"].tolist() == list(range(50)) and parts["b"].tolist() == list(range(60, 80))
    with pytest.raises(ValueError, match="do not fit"):
        buffered_split(100, widths=(0.5, 0.4), buffer=0.1, names=("a", "b"))
    with pytest.raises(ValueError, match="same non-zero length"):
        buffered_split(100, widths=(0.2,), names=("a", "b"))
    with pytest.raises(ValueError, match="buffer"):
        buffered_split(100, buffer=-0.1)


# ------------------------------------------------------- slices and tiles


def test_projection_equals_mean_over_depth(rng):
    cube = rng.normal(size=(10, 8, 9))
    for axis in range(3):
        moved = np.moveaxis(cube, axis, 0)
        out = slice_images(cube, [2, 7], axis=axis, depth=4)
        n = cube.shape[axis]
        expected = [moved[[(s + o) % n for o in range(4)]].mean(0) for s in (2, 7)]
        assert np.allclose(out, expected)
    assert np.array_equal(slice_images(cube, [3], axis=1)[0], cube[:, 3, :])
    with pytest.raises(ValueError, match="depth"):
        slice_images(cube, [0], depth=0)
    bad = cube.copy()
    bad[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        slice_images(bad, [1])


def test_tiles_reassemble_the_slice(rng):
    image = rng.normal(size=(2, 12, 8))
    tiles, index = tile_images(image, 4, return_index=True)
    assert tiles.shape == (12, 4, 4)
    rebuilt = np.zeros_like(image)
    for tile, (m, r, c) in zip(tiles, index, strict=True):
        rebuilt[m, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] = tile
    assert np.array_equal(rebuilt, image)


def test_keep_fraction_keeps_distinct_tiles_per_image(rng):
    image = rng.normal(size=(3, 16, 16))
    tiles, index = tile_images(image, 4, keep_fraction=0.5, random_state=1, return_index=True)
    assert tiles.shape == (24, 4, 4)
    for m in range(3):
        kept = index[index[:, 0] == m]
        assert len({(r, c) for _, r, c in kept}) == 8
        for tile, (_, r, c) in zip(tiles[index[:, 0] == m], kept, strict=True):
            assert np.array_equal(tile, image[m, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4])
    again = tile_images(image, 4, keep_fraction=0.5, random_state=1)
    assert np.array_equal(again, tiles)
    with pytest.raises(ValueError, match="smaller than tile_size"):
        tile_images(image, 32)


def test_cube_to_tiles_regions_and_depth(rng):
    cube = np.exp(rng.normal(size=(24, 16, 16)))
    out = cube_to_tiles(cube, tile_size=8, keep_fraction=1.0, equalize=False, random_state=0)
    # 4 slices per region x 4 tiles, log10 applied
    assert {k: v.shape for k, v in out.items()} == {k: (16, 8, 8) for k in out}
    assert np.allclose(out["train"][:4].reshape(-1), 0) is False
    first = np.log10(cube[0, :8, :8])
    assert np.allclose(out["train"][0], first)
    deep = cube_to_tiles(cube, tile_size=8, keep_fraction=1.0, depth=3, log=False, equalize=False)
    # windows stay inside each 4-cell region: 2 start cells
    assert deep["test"].shape == (8, 8, 8)
    assert np.allclose(deep["test"][0], cube[16:19, :8, :8].mean(0))


# ---------------------------------------------------------- transforms


def test_log_images():
    assert np.allclose(log_images([[1.0, 1e3]]), [[0, 3]])
    with pytest.raises(ValueError, match="strictly positive"):
        log_images([1.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        log_images([1.0, np.nan])


def test_equalisation_matches_hand_computed_cdf():
    # 2 x 2 image with values 0, 1, 2, 3 and 4 bins between 0 and 3: each value alone in
    # its bin, bin centres 3/8, 9/8, 15/8, 21/8, CDF at the centres 1/4, 1/2, 3/4, 1.
    # skimage interpolates the CDF linearly between centres (flat outside them):
    image = np.array([[0.0, 1.0], [2.0, 3.0]])
    centres = np.array([3, 9, 15, 21]) / 8
    cdf = np.array([0.25, 0.5, 0.75, 1.0])
    out = equalize_histogram(image, n_bins=4)
    assert np.allclose(out, np.interp(image, centres, cdf))
    # by hand: 0 is below the first centre -> 1/4; 1 lies between 3/8 and 9/8 ->
    # 1/4 + 1/4 * (1 - 3/8) / (6/8); 2 between 15/8 and 21/8; 3 above the last centre -> 1
    assert out[0, 0] == pytest.approx(0.25)
    assert out[0, 1] == pytest.approx(0.25 + 0.25 * (5 / 8) / (6 / 8))
    assert out[1, 0] == pytest.approx(0.75 + 0.25 * (1 / 8) / (6 / 8))
    assert out[1, 1] == pytest.approx(1.0)


def test_equalisation_is_monotone_and_uniform(rng):
    image = rng.lognormal(sigma=0.5, size=(128, 128))
    out = equalize_histogram(np.log10(image))
    order = np.argsort(image, axis=None)
    assert np.all(np.diff(out.ravel()[order]) >= 0)  # monotone in the input
    # Kolmogorov distance from U(0, 1): bounded by the bin width of the CDF (1/256) plus
    # the fraction in one bin; 0.02 is generous for 16384 pixels and 256 bins
    values = np.sort(out.ravel())
    ecdf = np.arange(1, values.size + 1) / values.size
    assert np.max(np.abs(ecdf - values)) < 0.02
    assert out.max() == 1.0 and out.min() > 0
    # per image: a stack equalises each image on its own
    stack = np.stack([np.log10(image), 5 * np.log10(image) + 3])
    both = equalize_histogram(stack)
    assert np.allclose(both[0], both[1])


def test_flattening_unit_amplitude_phases_and_parseval(rng):
    images = np.log10(rng.lognormal(size=(3, 32, 24)))
    flat = flatten_power_spectrum(images)
    spectrum = np.fft.fft2(images)
    flat_spectrum = np.fft.fft2(flat)
    assert np.allclose(np.abs(flat_spectrum), 1.0)
    # phases kept: the unit phasors agree (comparing angles directly fails at +-pi)
    assert np.allclose(flat_spectrum, spectrum / np.abs(spectrum), atol=1e-10)
    # Parseval: sum |f|^2 = sum |F|^2 / N = 1 for unit amplitudes
    assert np.allclose((flat**2).sum(axis=(1, 2)), 1.0)
    # a pure cosine keeps its phase: flattened it is a delta pair in k, so a cosine of
    # amplitude 2/N (N = number of pixels) plus the unit-amplitude remaining modes
    x = np.arange(16)
    shifted = np.cos(2 * np.pi * 3 * (x - 2) / 16)[None, :] * np.ones((16, 1))
    out = flatten_power_spectrum(shifted + 5)
    k = np.fft.fft2(out)
    assert np.angle(k[0, 3]) == pytest.approx(np.angle(np.fft.fft2(shifted)[0, 3]))


def test_random_flips_reproducible_and_permute_pixels(rng):
    images = rng.normal(size=(50, 6, 6))
    a = random_flips(images, random_state=3)
    assert np.array_equal(a, random_flips(images, random_state=3))
    for orig, out in zip(images, a, strict=True):
        options = [orig, orig[:, ::-1], orig[::-1, :], orig[::-1, ::-1]]
        assert any(np.array_equal(out, o) for o in options)
    assert not np.array_equal(a, images)


def test_transformers_in_a_pipeline_accept_flat_and_3d(rng):
    images = np.exp(rng.normal(size=(4, 16, 16)))
    pipe = make_pipeline(LogTransformer(), PowerSpectrumFlattener(), HistogramEqualizer(n_bins=256))
    out3 = pipe.fit_transform(images)
    expected = equalize_histogram(flatten_power_spectrum(log_images(images)))
    assert np.allclose(out3, expected)
    flat = clone(pipe).set_params(powerspectrumflattener__image_shape=(16, 16))
    assert np.allclose(flat.fit_transform(images.reshape(4, -1)), expected.reshape(4, -1))
    with pytest.raises(ValueError, match="square"):
        PowerSpectrumFlattener().fit(np.ones((2, 10)))
    with pytest.raises(ValueError, match="image_shape"):
        PowerSpectrumFlattener(image_shape=(3, 3)).fit(np.ones((2, 10)))
    with pytest.raises(ValueError, match="NaN"):
        HistogramEqualizer().fit(np.full((2, 4), np.nan))
    fitted = HistogramEqualizer().fit(images)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(np.ones((2, 8, 8)))
