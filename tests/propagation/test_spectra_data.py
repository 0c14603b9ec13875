"""Tests of the AMS-02 and Voyager 1 spectrum loaders."""

import numpy as np
import pytest

from crsbi.propagation.data import AMS02_QUANTITIES, Measurement, load_ams02, load_voyager1


def test_ams02_boron_to_carbon_rigidity_file_values():
    bc = load_ams02("B/C")
    assert bc.axis == "rigidity" and bc.is_ratio and bc.modulated
    assert len(bc) == 67
    # First data row of AMS-02_B_C_rigidity.txt: 2.032 0.2867 0.0013 0.0013 0.0159 0.0159.
    assert (bc.x[0], bc.y[0], bc.stat[0], bc.sys[0]) == (2.032, 0.2867, 0.0013, 0.0159)
    assert bc.error[0] == pytest.approx(np.hypot(0.0013, 0.0159))
    assert "physrep" in bc.reference
    assert np.all(np.diff(bc.x) > 0)


@pytest.mark.parametrize("quantity", AMS02_QUANTITIES)
def test_every_ams02_rigidity_file_parses(quantity):
    m = load_ams02(quantity)
    assert len(m) > 40
    assert np.all(m.y > 0) and np.all(m.error > 0) and np.all(m.x > 1)


def test_ratio_file_agrees_with_ratio_of_flux_files():
    # Independent check of units and columns: B/C from the ratio file equals the ratio of
    # the B and C flux files at the same rigidity bins, within the errors.
    bc, b, c = load_ams02("B/C"), load_ams02("B"), load_ams02("C")
    common = np.intersect1d(np.round(b.x, 2), np.round(c.x, 2))
    common = common[common < 500]
    ratio = np.interp(common, b.x, b.y) / np.interp(common, c.x, c.y)
    ref = np.interp(common, bc.x, bc.y)
    err = np.interp(common, bc.x, bc.error)
    assert np.mean(np.abs(ratio - ref) < 2 * err) > 0.9


def test_ams02_energy_axis():
    bc = load_ams02("B/C", axis="energy")
    assert bc.axis == "energy" and bc.x[0] == pytest.approx(0.4465)
    c = load_ams02("C", axis="energy")
    # SSDC C file first row: 0.4444 GeV/n, 3.9032 (m^2 s sr GeV/n)^-1, error 0.13443.
    assert (c.x[0], c.y[0], c.stat[0], c.sys[0]) == (0.4444, 3.9032, 0.13443, 0.0)
    # Flux per GeV/n and per GV are related by dR/dT = A / (Z beta): at T = 10 GeV/n the
    # carbon flux per GeV/n is about 2 / beta times the flux per GV at R = (A/Z) p.
    cr = load_ams02("C")
    t = 10.0
    p = np.sqrt(t * (t + 2 * 0.9315))
    beta = p / (t + 0.9315)
    per_gv = np.exp(np.interp(np.log(2 * p), np.log(cr.x), np.log(cr.y)))
    per_gevn = np.exp(np.interp(np.log(t), np.log(c.x), np.log(c.y)))
    assert per_gevn == pytest.approx(per_gv * 2 / beta, rel=0.08)


def test_voyager1_units_and_no_modulation():
    b = load_voyager1("B")
    assert not b.modulated and b.axis == "energy"
    # Table row "5,5,12.5,0.00214,0.000381,0.000107": MeV/n -> GeV/n, per MeV/n -> per GeV/n.
    assert b.x[0] == pytest.approx(np.sqrt(5 * 12.5) * 1e-3)
    assert (b.y[0], b.stat[0], b.sys[0]) == pytest.approx((2.14, 0.381, 0.107))
    assert np.all(b.x_low < b.x) and np.all(b.x < b.x_high)
    assert np.all(np.diff(load_voyager1("C").x) >= 0)


def test_select_and_errors():
    bc = load_ams02("B/C").select(10.0, 100.0)
    assert bc.x.min() >= 10 and bc.x.max() <= 100 and isinstance(bc, Measurement)
    with pytest.raises(ValueError, match="quantity"):
        load_ams02("Fe")
    with pytest.raises(ValueError, match="axis"):
        load_ams02("B", axis="momentum")
    with pytest.raises(ValueError, match="energy"):
        load_ams02("N", axis="energy")
    with pytest.raises(ValueError, match="element"):
        load_voyager1("Fe")
