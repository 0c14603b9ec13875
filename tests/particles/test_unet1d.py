"""1D U-Net: shapes, wiring of skips and embeddings, clear errors."""

import pytest
import torch

from crsbi.particles.unet1d import UNet1d, timestep_embedding


def randomise_output(net):
    torch.nn.init.normal_(net.conv_out.weight, std=0.1)
    return net


@pytest.mark.parametrize("n_levels", [1, 2, 4])
def test_output_shape_equals_input(n_levels):
    torch.manual_seed(0)
    net = UNet1d(3, base_channels=8, n_levels=n_levels, attention_levels=1)
    for length in (2 ** (n_levels - 1), 2 ** (n_levels - 1) * 5):
        x = torch.randn(2, 3, length)
        assert net(x, torch.tensor([0, 999])).shape == x.shape


def test_untrained_network_predicts_zero_noise():
    # zero-initialised last convolution: the DDPM starts from eps_hat = 0
    net = UNet1d(2, base_channels=8, n_levels=2)
    out = net(torch.randn(3, 2, 16), torch.tensor([1, 2, 3]))
    assert torch.count_nonzero(out) == 0


def test_every_parameter_gets_a_gradient():
    # skips, attention, time and condition embeddings are all wired into the output
    torch.manual_seed(0)
    net = randomise_output(
        UNet1d(3, base_channels=8, n_levels=3, n_res_blocks=2, attention_levels=2, conditional=True)
    )
    out = net(
        torch.randn(4, 3, 16), torch.tensor([0, 10, 100, 999]), torch.tensor([0.1, -1.0, 2.0, 0.5])
    )
    out.square().mean().backward()
    missing = [
        name for name, p in net.named_parameters() if p.grad is None or not torch.any(p.grad != 0)
    ]
    assert missing == ["null_cond"]  # used only for a missing (NaN) condition


def test_condition_changes_output_and_nan_means_null():
    torch.manual_seed(0)
    net = randomise_output(UNet1d(1, base_channels=8, n_levels=2, conditional=True))
    with torch.no_grad():
        net.null_cond.normal_()
    x, t = torch.randn(2, 1, 8).repeat(2, 1, 1), torch.tensor([5, 5, 5, 5])  # x0, x1, x0, x1
    out = net(x, t, torch.tensor([0.0, 0.0, 1.0, float("nan")]))
    assert not torch.allclose(out[0], out[2])  # same x, other condition
    assert not torch.allclose(out[1], out[3])  # condition 0 versus none
    torch.testing.assert_close(net(x[1:2], t[:1], None), out[3:4])  # None means NaN


def test_timestep_embedding_is_sinusoidal():
    emb = timestep_embedding(torch.tensor([0.0, 3.0]), 6)
    torch.testing.assert_close(emb[0], torch.tensor([1.0, 1, 1, 0, 0, 0]))
    torch.testing.assert_close(emb[1, 0], torch.cos(torch.tensor(3.0)))


def test_clear_errors():
    net = UNet1d(3, base_channels=8, n_levels=3)
    with pytest.raises(ValueError, match=r"multiple of 2\*\*\(n_levels - 1\) = 4; got 10"):
        net(torch.zeros(1, 3, 10), torch.zeros(1))
    with pytest.raises(ValueError, match="n_channels=3"):
        net(torch.zeros(1, 2, 8), torch.zeros(1))
    with pytest.raises(ValueError, match="unconditional"):
        net(torch.zeros(1, 3, 8), torch.zeros(1), torch.zeros(1))
    with pytest.raises(ValueError, match="'n_levels' parameter"):
        UNet1d(3, n_levels=0)
    with pytest.raises(ValueError, match="channel_mults"):
        UNet1d(3, n_levels=2, channel_mults=(1,))
