"""Tests of the HEALPix layers against direct numpy / healpy computations."""

import healpy as hp
import numpy as np
import pytest
import torch

from crsbi.uhecr.healpix import (
    HealpixCNN,
    HealpixConv,
    HealpixPool,
    check_nside,
    healpix_neighbours,
)


def _numpy_stencil(x, weight, bias, nside):
    """Direct 9-point stencil: pixel + its 8 healpy neighbours, missing ones read zero."""
    batch, n_in, npix = x.shape
    out = np.empty((batch, weight.shape[0], npix))
    for p in range(npix):
        taps = np.concatenate([[p], hp.get_all_neighbours(nside, p, nest=True)])
        values = np.stack([x[:, :, t] if t >= 0 else np.zeros((batch, n_in)) for t in taps], -1)
        out[:, :, p] = np.einsum("bck,ock->bo", values, weight) + bias
    return out


@pytest.mark.parametrize("nside", [4, 8])
def test_conv_matches_numpy_stencil(nside, rng):
    npix = 12 * nside**2
    conv = HealpixConv(3, 5, nside).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(rng.normal(size=(5, 3, 9))))
        conv.bias.copy_(torch.from_numpy(rng.normal(size=5)))
    x = rng.normal(size=(2, 3, npix))
    got = conv(torch.from_numpy(x)).detach().numpy()
    expected = _numpy_stencil(x, conv.weight.detach().numpy(), conv.bias.detach().numpy(), nside)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_conv_zero_padding_counts_existing_neighbours():
    nside = 4
    conv = HealpixConv(1, 1, nside, bias=False).double()
    with torch.no_grad():
        conv.weight.fill_(1.0)
    out = conv(torch.ones(1, 1, 12 * nside**2, dtype=torch.float64)).detach().numpy()[0, 0]
    neighbours = hp.get_all_neighbours(nside, np.arange(12 * nside**2), nest=True)
    np.testing.assert_array_equal(out, 1 + (neighbours >= 0).sum(axis=0))
    # the 8 vertices where three base faces meet: 3 pixels each with 7 neighbours
    assert (out == 8).sum() == 24


def test_neighbour_table_layout():
    table = healpix_neighbours(2)
    assert table.shape == (9, 48)
    np.testing.assert_array_equal(table[0], np.arange(48))
    assert not table.flags.writeable


@pytest.mark.parametrize("nside", [2, 8])
def test_mean_pool_equals_healpy_ud_grade(nside, rng):
    maps = rng.normal(size=(3, 12 * nside**2))
    pooled = HealpixPool("mean")(torch.from_numpy(maps)).numpy()
    expected = np.stack(
        [hp.ud_grade(m, nside // 2, order_in="NESTED", order_out="NESTED") for m in maps]
    )
    np.testing.assert_allclose(pooled, expected, rtol=1e-12)


def test_max_pool_uses_geometric_parents(rng):
    nside = 8
    npix = 12 * nside**2
    # parent of each child from geometry: the low-resolution pixel holding its centre
    parent = hp.vec2pix(nside // 2, *hp.pix2vec(nside, np.arange(npix), nest=True), nest=True)
    np.testing.assert_array_equal(parent, np.arange(npix) // 4)
    maps = rng.normal(size=(2, 1, npix))
    expected = np.full((2, 1, npix // 4), -np.inf)
    np.maximum.at(expected, (slice(None), slice(None), parent), maps)
    got = HealpixPool("max")(torch.from_numpy(maps)).numpy()
    np.testing.assert_array_equal(got, expected)


def test_pool_rejects_bad_sizes():
    with pytest.raises(ValueError, match="12 \\* nside"):
        HealpixPool()(torch.zeros(1, 1, 12))
    with pytest.raises(ValueError, match="12 \\* nside"):
        HealpixPool()(torch.zeros(1, 1, 100))
    with pytest.raises(ValueError, match="mode"):
        HealpixPool("median")


@pytest.mark.parametrize("nside", [1, 2, 4])
def test_cnn_shapes_and_gradients(nside):
    net = HealpixCNN(2, n_outputs=3, nside=nside, channels=(4, 6), head_hidden=(8,))
    x = torch.randn(5, 2, 12 * nside**2, requires_grad=True)
    out = net(x)
    assert out.shape == (5, 3)
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    # flattened input gives the same result
    torch.testing.assert_close(net(x.reshape(5, -1)), out)
    # neighbour tables are buffers, not saved parameters
    assert not any("neighbours" in k for k in net.state_dict())


def test_cnn_pools_down_to_nside_one():
    net = HealpixCNN(1, nside=8, channels=3, batch_norm=True, pool="mean")
    convs = [m for m in net.modules() if isinstance(m, HealpixConv)]
    assert [c.nside for c in convs] == [8, 4, 2, 1]
    assert sum(isinstance(m, HealpixPool) for m in net.modules()) == 3


def test_bad_inputs():
    with pytest.raises(ValueError, match="power of two"):
        check_nside(12)
    with pytest.raises(TypeError, match="power of two"):
        check_nside(4.0)
    with pytest.raises(ValueError, match="nside"):
        HealpixConv(1, 1, 3)
    with pytest.raises(ValueError, match=r"\(batch, 2, 192\)"):
        HealpixCNN(2, nside=4)(torch.zeros(3, 1, 192))
    with pytest.raises(ValueError, match="channels"):
        HealpixCNN(2, nside=4, channels=())


@pytest.mark.gpu
def test_cnn_on_cuda_matches_cpu():
    torch.manual_seed(0)
    net = HealpixCNN(2, nside=4, channels=(4, 8)).double()
    x = torch.randn(3, 2, 192, dtype=torch.float64)
    expected = net(x)
    got = net.to("cuda")(x.to("cuda")).cpu()
    torch.testing.assert_close(got, expected)


def test_cnn_channels_last_path_matches_layer_by_layer():
    torch.manual_seed(1)
    net = HealpixCNN(2, n_outputs=2, nside=4, channels=(3, 5), batch_norm=True).double()
    net.train()
    net(torch.randn(8, 2, 192, dtype=torch.float64))  # populate batch-norm running stats
    net.eval()
    x = torch.randn(4, 2, 192, dtype=torch.float64)
    hidden = x
    for layer in net.features:  # every layer in its documented (batch, C, npix) layout
        hidden = layer(hidden)
    expected = net.head(hidden.transpose(1, 2).flatten(1))  # head reads pixel-major features
    torch.testing.assert_close(net(x), expected)
