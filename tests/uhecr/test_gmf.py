"""Tests of the regular Galactic magnetic field models (crsbi.uhecr.gmf).

Expected values come from the papers' formulas and statements, evaluated here by hand
with the published parameters, and from CRPropa's JF12 regression test
(|B(8, 0, 0) kpc| = 1.7 +- 0.1 microgauss, B(1, 0, 0) kpc = 0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from crsbi.uhecr.gmf import (
    GALACTIC_FIELDS,
    GalacticField,
    JF12Field,
    PT11Field,
    galactic_field,
)

SUN = np.array([-8.5, 0.0, 0.0])
PITCH = math.radians(11.5)


def logistic(x, x0, w):
    return 1.0 / (1.0 + math.exp(-2.0 * (abs(x) - x0) / w))


def divergence(model, pts, h=1e-4):
    """Central-difference div B and the scale |B| / h at each point."""
    div = np.zeros(len(pts))
    for k in range(3):
        dp = np.zeros(3)
        dp[k] = h
        div += (model(pts + dp)[:, k] - model(pts - dp)[:, k]) / (2 * h)
    return div, np.linalg.norm(model(pts), axis=1) / h


def direction_lon_deg(b):
    """Galactic longitude [deg] of an in-plane vector seen from the Sun."""
    return math.degrees(math.atan2(b[1], b[0])) % 360.0


# ---------------------------------------------------------------------------------- API


def test_registry_names_and_types():
    for name in GALACTIC_FIELDS:
        model = galactic_field(name)
        assert isinstance(model, GalacticField)
        assert model.name == name
        assert model.r_max_kpc == 20.0
        assert model.params.dtype == np.float64 and model.params.ndim == 1
    assert set(GALACTIC_FIELDS) == {"jf12", "jf12_planck", "pt11_bss", "pt11_ass"}
    with pytest.raises(ValueError, match="jf12_planck"):
        galactic_field("jf13")


def test_frozen_and_hashable():
    model = JF12Field()
    with pytest.raises(AttributeError):
        model.b_x = 1.0
    assert hash(model) == hash(JF12Field())
    assert JF12Field(b_x=1.0) != model


@pytest.mark.parametrize("name", GALACTIC_FIELDS)
def test_call_matches_kernel_and_keeps_shape(name):
    model = galactic_field(name)
    rng = np.random.default_rng(1)
    pts = rng.uniform(-15, 15, size=(4, 5, 3))
    out = model(pts)
    assert out.shape == (4, 5, 3)
    k, p = model.kernel, model.params
    for idx in np.ndindex(4, 5):
        np.testing.assert_array_equal(out[idx], k(*pts[idx], p))
    assert model([-8.5, 0.0, 0.0]).shape == (3,)


def test_kernel_callable_from_njit_loop():
    @njit
    def mean_bz(kernel, params, n):
        s = 0.0
        for i in range(n):
            _, _, bz = kernel(-8.5 + 0.01 * i, 0.1, 0.2, params)
            s += bz
        return s / n

    for name in GALACTIC_FIELDS:
        model = galactic_field(name)
        expected = np.mean(
            [model.kernel(-8.5 + 0.01 * i, 0.1, 0.2, model.params)[2] for i in range(10)]
        )
        assert mean_bz(model.kernel, model.params, 10) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 2)), np.zeros(()), [[0.0, 0.0, np.nan]], [[np.inf, 0, 0]], "abc", [[1, "a", 2]]],
)
def test_bad_positions_raise(bad):
    with pytest.raises(ValueError, match="positions"):
        JF12Field()(bad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"variant": "jf13"},
        {"b_arms": (1.0, 2.0)},
        {"r_arms": (5.1, 6.3, 7.1, 8.3, 9.8, 11.4, 15.5, 12.7)},
        {"pitch_deg": 95.0},
        {"h_disk": -1.0},
        {"b_x": np.nan},
        {"r_max_kpc": 0.0},
    ],
)
def test_bad_jf12_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        JF12Field(**kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"disk": "xss"}, {"pitch_deg": 0.0}, {"r_c": -1.0}, {"d": -9.0}]
)
def test_bad_pt11_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        PT11Field(**kwargs)


# ---------------------------------------------------------------------------------- JF12


def test_jf12_published_parameters():
    m = JF12Field()
    assert m.b_arms == (0.1, 3.0, -0.9, -0.8, -2.0, -4.2, 0.0, 2.7)
    assert m.r_arms == (5.1, 6.3, 7.1, 8.3, 9.8, 11.4, 12.7, 15.5)
    assert (m.b_north, m.b_south, m.r_north, m.w_halo, m.z0_halo) == (1.4, -1.1, 9.22, 0.2, 5.3)
    assert (m.b_x, m.theta_x0_deg, m.r_xc, m.r_x) == (4.6, 49.0, 4.8, 2.9)
    planck = JF12Field(variant="planck")
    assert planck.b_x == 1.8 and planck.b_arms[5] == -3.5
    assert planck.b_arms[:5] == m.b_arms[:5] and planck.b_arms[6:] == m.b_arms[6:]
    # an explicit parameter wins over the variant's default
    assert JF12Field(variant="planck", b_x=3.0).b_x == 3.0


def test_jf12_crpropa_regression_values():
    # CRPropa 3 test of JF12Field.getRegularField: 0 at (1, 0, 0), |B(8, 0, 0)| = 1.7 +- 0.1
    m = JF12Field()
    np.testing.assert_array_equal(m([1.0, 0.0, 0.0]), 0.0)
    assert np.linalg.norm(m([8.0, 0.0, 0.0])) == pytest.approx(1.7, abs=0.1)


@pytest.mark.parametrize("variant", ["jf12", "planck"])
def test_jf12_zero_inside_1kpc_and_outside_20kpc(variant):
    m = JF12Field(variant=variant)
    rng = np.random.default_rng(2)
    u = rng.normal(size=(200, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    inner = u * rng.uniform(0, 0.999, size=(200, 1))
    outer = u * rng.uniform(20.0, 100.0, size=(200, 1))
    assert np.all(m(inner) == 0.0)
    assert np.all(m(outer) == 0.0)
    assert np.all(np.linalg.norm(m(u * 19.0), axis=1) > 0)  # nonzero just inside 20 kpc


def test_jf12_flux_conservation_fixes_b8():
    # In-plane flux through a cylinder r = const in the spiral region: arm i covers the
    # azimuth range ln(r_i / r_{i-1}) / tan p (r_0 = r_8 exp(-2 pi tan p)) and carries
    # B_r r = b_i 5 kpc sin p, so flux conservation is sum_i b_i ln(r_i / r_{i-1}) = 0.
    m = JF12Field()
    r = np.array(m.r_arms)
    r0 = r[-1] * math.exp(-2 * math.pi * math.tan(PITCH))
    widths = np.log(r / np.concatenate([[r0], r[:-1]]))
    # the arms' fractions of the circumference as tabulated in the JF12 authors' code
    np.testing.assert_allclose(
        widths / widths.sum(),
        [0.130, 0.165, 0.094, 0.122, 0.13, 0.118, 0.084, 0.156],
        atol=1.5e-3,
    )
    b = np.array(m.b_arms)
    b8 = -np.dot(b[:7], widths[:7]) / widths[7]
    assert b8 == pytest.approx(2.7, abs=0.1)  # the published, rounded b8
    assert abs(np.dot(b, widths)) < 0.01 * np.dot(np.abs(b), widths)
    # ... and the implemented field: the net radial flux through a circle vanishes
    disk = JF12Field(b_north=0.0, b_south=0.0, b_x=0.0)
    for radius in (6.0, 10.0, 14.0):
        phi = (np.arange(200_000) + 0.5) / 200_000 * 2 * np.pi
        pts = np.stack([radius * np.cos(phi), radius * np.sin(phi), np.zeros_like(phi)], -1)
        bvec = disk(pts)
        b_r = bvec[:, 0] * np.cos(phi) + bvec[:, 1] * np.sin(phi)
        assert abs(b_r.mean()) < 0.01 * np.abs(b_r).mean()


def test_jf12_local_disk_field_direction_and_strength():
    # The Sun (r_negx = 8.5 kpc) lies in arm 5 (8.3 .. 9.8 kpc): b5 = -2 microgauss,
    # field b5 (5 / r) (1 - L(z; h_disk, w_disk)) along sin p e_r + cos p e_phi;
    # b5 < 0 turns it to l = 90 - 11.5 = 78.5 deg (clockwise seen from the north).
    disk = JF12Field(b_north=0.0, b_south=0.0, b_x=0.0)
    b = disk(SUN)
    expected = 2.0 * 5.0 / 8.5 * (1.0 - logistic(0.0, 0.40, 0.27))
    assert np.linalg.norm(b) == pytest.approx(expected, rel=1e-12)
    assert b[2] == 0.0
    assert direction_lon_deg(b) == pytest.approx(90.0 - 11.5, abs=1e-9)
    # the full JF12 field at the Sun stays within 10 deg of that direction
    assert direction_lon_deg(JF12Field()(SUN)) == pytest.approx(78.5, abs=10.0)


def test_jf12_disk_field_follows_spiral_at_pitch_angle():
    disk = JF12Field(b_north=0.0, b_south=0.0, b_x=0.0)
    rng = np.random.default_rng(3)
    r = rng.uniform(5.05, 19.9, 500)
    phi = rng.uniform(-np.pi, np.pi, 500)
    z = rng.uniform(-1, 1, 500)
    pts = np.stack([r * np.cos(phi), r * np.sin(phi), z], -1)
    b = disk(pts)
    b_r = b[:, 0] * np.cos(phi) + b[:, 1] * np.sin(phi)
    b_phi = -b[:, 0] * np.sin(phi) + b[:, 1] * np.cos(phi)
    ok = np.abs(b_phi) > 1e-9  # arm 7 has b7 = 0
    assert ok.sum() > 300
    np.testing.assert_allclose(b_r[ok] / b_phi[ok], math.tan(PITCH), rtol=1e-10)
    # amplitude times r / 5 kpc / (1 - L(z)) takes only the published arm values
    amp = np.sign(b_phi) * np.hypot(b_r, b_phi) * r / 5.0
    amp /= 1.0 - np.array([logistic(zi, 0.40, 0.27) for zi in z])
    values = np.array(JF12Field().b_arms)
    assert np.all(np.min(np.abs(amp[:, None] - values[None, :]), axis=1) < 1e-10)
    # molecular ring 3 .. 5 kpc: purely azimuthal b_ring (5 / r)
    b = disk([0.0, 4.0, 0.0])
    np.testing.assert_allclose(b, [-0.1 * 5 / 4 * (1 - logistic(0, 0.4, 0.27)), 0, 0])
    np.testing.assert_array_equal(disk([0.0, 2.5, 0.0]), 0.0)


def test_jf12_toroidal_halo_by_hand():
    halo = JF12Field(b_arms=(0.0,) * 8, b_ring=0.0, b_x=0.0)
    for x, y, z in [(3.0, 4.0, 2.0), (-6.0, 8.0, -1.5), (1.0, -12.0, 3.0)]:
        r = math.hypot(x, y)
        b_hemi, r_hemi = (1.4, 9.22) if z >= 0 else (-1.1, 17.0)
        amp = b_hemi * (1 - logistic(r, r_hemi, 0.20))
        amp *= math.exp(-abs(z) / 5.3) * logistic(z, 0.40, 0.27)
        expected = [-amp * y / r, amp * x / r, 0.0]
        np.testing.assert_allclose(halo([x, y, z]), expected, rtol=1e-12, atol=1e-15)
    # north counter-clockwise (B_n > 0), south clockwise (B_s < 0) seen from the north
    assert halo([-8.5, 0.0, 1.0])[1] < 0 < halo([-8.5, 0.0, -1.0])[1]


def test_jf12_x_field_by_hand():
    xf = JF12Field(b_arms=(0.0,) * 8, b_ring=0.0, b_north=0.0, b_south=0.0)
    t0 = math.radians(49.0)
    # outer region (r > r_Xc + |z| / tan theta0): constant elevation 49 deg
    x, z = 8.0, 1.0
    rp = x - z / math.tan(t0)
    amp = 4.6 * math.exp(-rp / 2.9) * rp / x
    np.testing.assert_allclose(
        xf([x, 0.0, z]), [amp * math.cos(t0), 0.0, amp * math.sin(t0)], rtol=1e-12
    )
    # below the plane the radial part flips, B_z does not
    np.testing.assert_allclose(
        xf([x, 0.0, -z]), [-amp * math.cos(t0), 0.0, amp * math.sin(t0)], rtol=1e-12
    )
    # inner region: field line through the midplane at r_p = r r_Xc / r_c
    x, z = 2.0, 2.0
    rc = 4.8 + z / math.tan(t0)
    rp = x * 4.8 / rc
    amp = 4.6 * math.exp(-rp / 2.9) * (4.8 / rc) ** 2
    theta = math.atan2(z, x - rp)
    np.testing.assert_allclose(
        xf([0.0, x, z]), [0.0, amp * math.cos(theta), amp * math.sin(theta)], rtol=1e-12
    )
    # vertical in the plane inside r_Xc
    b = xf([0.0, -3.0, 0.0])
    np.testing.assert_allclose(b, [0.0, 0.0, 4.6 * math.exp(-3.0 / 2.9)], atol=1e-15)


def _away_from_jf12_boundaries(pts, margin=2e-3):
    x, y, z = pts.T
    r = np.hypot(x, y)
    d = np.linalg.norm(pts, axis=1)
    phi = np.arctan2(y, x)
    tanp = math.tan(PITCH)
    period = 2 * math.pi * tanp
    u = np.log(r) + (math.pi - phi) * tanp  # log of the radius on the negative x-axis
    near_arm = np.zeros(len(pts), bool)
    for ri in (5.1, 6.3, 7.1, 8.3, 9.8, 11.4, 12.7, 15.5):
        s = np.mod(u - math.log(ri), period)
        near_arm |= np.minimum(s, period - s) < margin
    rc = 4.8 + np.abs(z) / math.tan(math.radians(49.0))
    return (
        ~near_arm
        & (np.abs(r - 3.0) > margin)
        & (np.abs(r - 5.0) > margin)
        & (np.abs(r - rc) > margin)
        & (np.abs(z) > margin)
        & (d > 1.0 + margin)
        & (d < 20.0 - margin)
        & (r > 0.1)
    )


@pytest.mark.parametrize("variant", ["jf12", "planck"])
def test_jf12_divergence_free(variant):
    m = JF12Field(variant=variant)
    rng = np.random.default_rng(4)
    pts = np.concatenate(
        [
            rng.uniform(-20, 20, size=(3000, 3)),
            rng.uniform([-15, -15, -1], [15, 15, 1], size=(3000, 3)),  # disk region
        ]
    )
    pts = pts[_away_from_jf12_boundaries(pts)]
    assert len(pts) > 3000
    # JF12 is solenoidal by construction inside each piece; central differences with
    # h = 1e-4 kpc leave ~1e-10 |B| / h (round-off and O(h^2)), a jump leaves ~|B| / h
    div, scale = divergence(m, pts)
    assert np.all(np.abs(div) < 1e-8 * scale)
    # the check has teeth: across an arm boundary div B ~ jump / h
    disk = JF12Field(b_north=0.0, b_south=0.0, b_x=0.0)
    r_on = 8.3  # arm 4 / arm 5 boundary on the negative x-axis
    div, scale = divergence(disk, np.array([[-r_on, 0.0, 0.1]]))
    assert abs(div[0]) > 1e-3 * scale[0]


# ---------------------------------------------------------------------------------- PT11


@pytest.mark.parametrize(("disk", "pitch"), [("ass", -5.0), ("bss", -6.0)])
def test_pt11_local_field_b0_towards_l_90_plus_p(disk, pitch):
    # PT11: the disk field at the Sun is B0 = 2 microgauss; the local field points to
    # l = 90 deg + p (Tinyakov & Tkachev 2002; clockwise seen from the north).
    m = PT11Field(disk=disk, b_halo_north=0.0, b_halo_south=0.0)
    assert m.pitch_deg == pitch
    b = m(SUN)
    assert np.linalg.norm(b) == pytest.approx(2.0, rel=1e-12)
    assert direction_lon_deg(b) == pytest.approx(90.0 + pitch, abs=1e-9)
    # exp(-|z| / z0) with z0 = 1 kpc
    assert np.linalg.norm(m(np.array([-8.5, 0.0, 0.7]))) == pytest.approx(2.0 * math.exp(-0.7))


def test_pt11_bss_reverses_at_d_ass_does_not():
    # first reversal at distance d = -0.6 kpc from the Sun towards the Galactic centre
    bss = PT11Field(disk="bss", b_halo_north=0.0, b_halo_south=0.0)
    ass = PT11Field(disk="ass", b_halo_north=0.0, b_halo_south=0.0)
    np.testing.assert_allclose(bss([-7.9, 0.0, 0.0]), 0.0, atol=1e-12)
    inside, outside = bss([-7.7, 0.0, 0.0]), bss([-8.1, 0.0, 0.0])
    assert np.dot(inside, outside) < 0
    ass_pitch = ass.pitch_deg
    phi_ass = math.log(1 - 0.6 / 8.5) / math.tan(math.radians(ass_pitch)) - math.pi / 2
    assert np.linalg.norm(ass([-7.9, 0.0, 0.0])) == pytest.approx(0.0, abs=1e-12)
    assert np.dot(ass([-7.7, 0.0, 0.0]), ass([-8.1, 0.0, 0.0])) > 0
    # B(r) = B0 R_sun / (r cos Phi) |cos(...)|: at r = 10 kpc on the Sun's side
    arg = -math.log(10 / 8.5) / math.tan(math.radians(ass_pitch)) + phi_ass
    expected = 2.0 * 8.5 / (10.0 * math.cos(phi_ass)) * abs(math.cos(arg))
    assert np.linalg.norm(ass([-10.0, 0.0, 0.0])) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("disk", "b_south"), [("ass", 2.0), ("bss", 4.0)])
def test_pt11_halo_peak_values(disk, b_south):
    # B0_H r / R0 exp(1 - r / R0) / (1 + ((|z| - z0) / z1)^2) peaks at r = R0 = 8 kpc,
    # |z| = z0 = 1.3 kpc with value B0_H: 4 (north), 4 (BSS) or 2 (ASS) south
    halo = PT11Field(disk=disk, b0_disk=0.0)
    np.testing.assert_allclose(halo([-8.0, 0.0, 1.3]), [0.0, -4.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(halo([-8.0, 0.0, -1.3]), [0.0, b_south, 0.0], atol=1e-12)
    # z1 = 0.25 kpc towards the disk, 0.4 kpc above
    lo = np.linalg.norm(halo([0.0, 8.0, 1.3 - 0.25]))
    hi = np.linalg.norm(halo([0.0, 8.0, 1.3 + 0.4]))
    assert lo == pytest.approx(2.0, rel=1e-12)
    assert hi == pytest.approx(2.0, rel=1e-12)
    r = 4.0
    expected = 4.0 * r / 8.0 * math.exp(1 - r / 8.0)
    assert np.linalg.norm(halo([0.0, r, 1.3])) == pytest.approx(expected, rel=1e-12)


def test_pt11_zero_outside_r_max():
    for name in ("pt11_bss", "pt11_ass"):
        m = galactic_field(name)
        assert np.all(m([[20.5, 0, 0], [0, 0, 25.0], [0, 0, 3.0]]) == 0.0)


@pytest.mark.parametrize("disk", ["ass", "bss"])
def test_pt11_divergence(disk):
    # The halo (axisymmetric, azimuthal) is divergence-free everywhere; the disk is
    # divergence-free for r > R_c (amplitude 1 / r, constant along each spiral) but
    # NOT inside R_c = 5 kpc where its amplitude is held constant.
    m = PT11Field(disk=disk)
    rng = np.random.default_rng(5)
    r = rng.uniform(5.05, 19.0, 2000)
    phi = rng.uniform(-np.pi, np.pi, 2000)
    z = rng.uniform(-3, 3, 2000)
    pts = np.stack([r * np.cos(phi), r * np.sin(phi), z], -1)
    pts = pts[(np.abs(z) > 1e-3) & (np.abs(np.abs(z) - 1.3) > 1e-3)]
    pts = pts[np.linalg.norm(pts, axis=1) < 19.99]
    div, scale = divergence(m, pts)
    assert np.all(np.abs(div) < 1e-8 * scale)
    halo = PT11Field(disk=disk, b0_disk=0.0)
    inner = np.array([[1.0, 2.0, 0.5], [-3.0, 1.0, -0.3], [2.5, -2.5, 2.0]])
    div, scale = divergence(halo, inner)
    assert np.all(np.abs(div) < 1e-8 * scale)
    div, scale = divergence(m, np.array([[-3.0, 1.0, 0.3]]))
    assert abs(div[0]) > 0.01 * np.linalg.norm(m([-3.0, 1.0, 0.3]))
