"""Tests of crsbi.maps.cnn: the Bustard and Wu CNN and the flip augmentation."""

import numpy as np
import pytest
import torch

from crsbi.maps.cnn import RandomFlip2d, RandomRoll2d, TransportCNN, count_parameters


def _expected_parameters(channels, n_classes, pool=4, in_channels=1):
    """Hand count: conv 3x3 weights + bias, BatchNorm scale + shift, linear layer."""
    total, previous = 0, in_channels
    for width in channels:
        total += previous * width * 9 + width  # Conv2d
        total += 2 * width  # BatchNorm2d affine
        previous = width
    return total + previous * pool * pool * n_classes + n_classes


def test_paper_parameter_count():
    # the number quoted by Bustard and Wu (2024) for five classes
    assert count_parameters(TransportCNN(n_classes=5)) == 29_749
    assert _expected_parameters((8, 16, 32, 64), 5) == 29_749


@pytest.mark.parametrize("channels, n_classes", [((4, 8), 2), ((8, 16, 32), 3), ((6,), 7)])
def test_configurable_widths_match_hand_count(channels, n_classes):
    net = TransportCNN(n_classes=n_classes, channels=channels)
    assert count_parameters(net) == _expected_parameters(channels, n_classes)


@pytest.mark.parametrize("size", [128, 64, 37])
def test_output_shape_any_image_size(size):
    net = TransportCNN(n_classes=5).eval()
    assert net(torch.zeros(3, 1, size, size)).shape == (3, 5)
    assert net(torch.zeros(3, size, size)).shape == (3, 5)  # channel axis added


def test_downsampling_is_stride_two():
    net = TransportCNN(n_classes=5).eval()
    out = net.features(torch.zeros(1, 1, 128, 128))
    assert out.shape == (1, 64, 8, 8)  # 128 / 2**4


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_classes"):
        TransportCNN(n_classes=0)
    with pytest.raises(ValueError, match="channels"):
        TransportCNN(n_classes=2, channels=())
    with pytest.raises(ValueError, match="dropout"):
        TransportCNN(n_classes=2, dropout=1.5)
    with pytest.raises(ValueError, match="shape"):
        TransportCNN(n_classes=2).eval()(torch.zeros(4, 4))


def test_single_value_batchnorm_in_training_does_not_raise():
    net = TransportCNN(n_classes=2, channels=(4,), pool_size=1).train()
    assert net(torch.zeros(1, 1, 1, 1)).shape == (1, 2)


def test_random_flip_is_identity_in_eval_and_flips_in_training():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    flip = RandomFlip2d(p=1.0)
    assert torch.equal(flip.eval()(x), x)
    assert torch.equal(flip.train()(x), x.flip(-1).flip(-2))
    assert torch.equal(RandomFlip2d(p=0.0).train()(x), x)


def test_random_flip_frequencies():
    # each of the 4 dihedral states appears with probability 1/4 at p = 1/2
    torch.manual_seed(0)
    x = torch.arange(4.0).reshape(1, 1, 2, 2).repeat(4000, 1, 1, 1)
    out = RandomFlip2d(p=0.5).train()(x)
    corner = out[:, 0, 0, 0].numpy()
    counts = np.bincount(corner.astype(int), minlength=4) / len(corner)
    # binomial standard error sqrt(0.25 * 0.75 / 4000) = 0.007; allow 5 sigma
    assert np.allclose(counts, 0.25, atol=0.035)
    # images are permuted, never altered in content
    assert torch.equal(out.sum((1, 2, 3)), x.sum((1, 2, 3)))


def test_random_roll_is_a_cyclic_shift_with_uniform_offsets():
    torch.manual_seed(0)
    n, h, w = 6000, 3, 4
    x = torch.arange(float(h * w)).reshape(1, 1, h, w).repeat(n, 1, 1, 1)
    roll = RandomRoll2d()
    assert torch.equal(roll.eval()(x), x)
    out = roll.train()(x)
    # each output is torch.roll of the input by the offsets its corner reveals
    corner = out[:, 0, 0, 0].long()
    shift_h, shift_w = (-(corner // w)) % h, (-(corner % w)) % w
    for i in range(0, n, 997):
        expected = torch.roll(x[i], (int(shift_h[i]), int(shift_w[i])), dims=(-2, -1))
        assert torch.equal(out[i], expected)
    # offsets uniform over the h * w states: binomial se sqrt(p (1 - p) / n) = 0.0034, 5 sigma
    counts = np.bincount(corner.numpy(), minlength=h * w) / n
    assert np.allclose(counts, 1 / (h * w), atol=0.017)
    # a (batch, channels, H, W) batch rolls all channels of an image together
    two = torch.stack([x[:50, 0], -x[:50, 0]], dim=1)
    rolled = roll(two)
    assert torch.equal(rolled[:, 1], -rolled[:, 0])
