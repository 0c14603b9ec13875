"""The 1D CNN of crsbi.propagation.cnn1d."""

import numpy as np
import pytest
import torch

from crsbi.propagation.cnn1d import CNN1D


def test_shapes_flat_and_channels():
    torch.manual_seed(0)
    net = CNN1D(8, 84, 10, channels=(4, 8, 8), hidden_size=16)
    x = torch.randn(5, 8, 84)
    out = net(x)
    assert out.shape == (5, 10)
    torch.testing.assert_close(net(x.reshape(5, -1)), out)
    # tiny lengths still work: pooling stops at length 1
    assert CNN1D(1, 1, 3, channels=(2, 2))(torch.zeros(2, 1, 1)).shape == (2, 3)


def test_locality_of_the_convolutions():
    """A convolution block only sees its receptive field: a change at the last bin leaves
    the first feature positions untouched (kernel 3, two blocks with pooling)."""
    torch.manual_seed(0)
    net = CNN1D(2, 64, 1, channels=(3, 3), kernel_size=3).eval()
    x = torch.randn(1, 2, 64)
    y = x.clone()
    y[0, :, -1] += 10.0
    a, b = net.features(x), net.features(y)
    # after two blocks, position j covers input bins <= 4 j + 9: the first 12 positions
    # (bins <= 57) cannot see bin 63
    torch.testing.assert_close(a[..., :12], b[..., :12])
    assert not torch.allclose(a[..., -1], b[..., -1])


def test_learns_a_spectral_index():
    """Regressing the slope of log-spectra: the loss must fall well below the variance."""
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    log_e = torch.linspace(-1, 1, 32)
    slope = torch.rand(512, 1, generator=gen) * 2 - 1
    x = (slope * log_e + 0.01 * torch.randn(512, 32, generator=gen))[:, None, :]
    net = CNN1D(1, 32, 1, channels=(8,), hidden_size=16)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), slope)
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.05 * float(slope.var())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kernel_size": 4}, "odd"),
        ({"dropout": 1.0}, "dropout"),
        ({"n_bins": 0}, "n_bins"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"n_channels": 2, "n_bins": 8, "n_outputs": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        CNN1D(**args)


def test_wrong_input_shape_message():
    net = CNN1D(8, 84, 2, channels=(2,))
    with pytest.raises(ValueError, match=r"\(n, 8, 84\) or \(n, 672\)"):
        net(torch.zeros(3, 5, 84))
    with pytest.raises(ValueError, match="672"):
        net(torch.zeros(3, 100))
    assert np.isfinite(net(torch.zeros(1, 672)).detach().numpy()).all()
