"""Tests of the nuclear cross-section loaders and the built-in parametrisation."""

import numpy as np
import pytest

from crsbi.propagation.cross_sections import (
    CrossSections,
    get_cross_sections,
    helium_factor,
    letaw_inelastic,
    load_fragmentation_table,
    load_inelastic_table,
)


def test_fragmentation_table_matches_readme_examples():
    # Data README: "Example at ~1 GeV/n: 12C->11B 59.0 mb, 12C->10B 19.3 mb, 16O->11B 26.4 mb".
    table = load_fragmentation_table()
    xs = CrossSections("tables")
    for parent, daughter, value in [
        ((6, 12), (5, 11), 59.0),
        ((6, 12), (5, 10), 19.3),
        ((8, 16), (5, 11), 26.4),
    ]:
        energy, _sigma = table[parent, daughter]
        assert energy[0] == pytest.approx(0.010)  # 10 MeV/n
        assert energy.size == 160
        assert float(xs.fragmentation(parent, daughter, 1.029)) == pytest.approx(value, abs=0.1)
    # 187 channels in the README; the Z.AA code 4.09 is 9Be.
    assert len(table) == 187
    assert ((5, 10), (4, 9)) in table


def test_inelastic_tables_parse_and_differ_by_a_few_percent():
    tri = load_inelastic_table("Tripathi99")
    cro = load_inelastic_table("CROSEC")
    energy, sigma = tri[6, 12]
    assert energy.size == 100
    assert energy[0] == pytest.approx(0.1)
    assert energy[-1] == pytest.approx(0.1 * 1.1**99)
    assert sigma[0] == pytest.approx(270.438)  # first value of the 12C row
    assert cro[6, 12][1][0] == pytest.approx(221.0)
    # The README: the two sets differ by ~5% (a systematic), at high energy.
    high = energy > 10
    rel = np.abs(tri[8, 16][1][high] / cro[8, 16][1][high] - 1)
    assert np.median(rel) < 0.12


@pytest.mark.parametrize("isotope", [(5, 11), (6, 12), (7, 14), (8, 16)])
def test_letaw_formula_agrees_with_tripathi_table_at_high_energy(isotope):
    # Two independent determinations (semi-empirical formula vs Tripathi 1999 table).
    tables = CrossSections("tables")
    e = np.array([5.0, 20.0, 100.0])
    np.testing.assert_allclose(
        letaw_inelastic(isotope[1], e), tables.inelastic(isotope, e), rtol=0.06
    )


def test_builtin_fragmentation_is_close_to_tables_above_a_few_gev():
    builtin = get_cross_sections("builtin")
    tables = get_cross_sections("tables")
    assert builtin.source_ == "builtin"
    assert tables.source_ == "tables"
    e = np.array([3.0, 30.0, 300.0])
    for parent, daughter in [
        ((6, 12), (5, 11)),
        ((8, 16), (5, 10)),
        ((6, 12), (4, 7)),
        ((8, 16), (3, 7)),
    ]:
        np.testing.assert_allclose(
            builtin.fragmentation(parent, daughter, e),
            tables.fragmentation(parent, daughter, e),
            rtol=0.1,
        )
    assert float(builtin.fragmentation((3, 6), (8, 16), 1.0)) == 0.0


def test_helium_factor_and_targets():
    # Bradt-Peters with b = 1: ((4^(1/3) + A^(1/3) - 1) / A^(1/3))^2.
    assert helium_factor(16) == pytest.approx(
        ((4 ** (1 / 3) + 16 ** (1 / 3) - 1) / 16 ** (1 / 3)) ** 2
    )
    assert 1.3 < helium_factor(16) < 1.7
    xs = get_cross_sections("tables")
    ratio = xs.inelastic((6, 12), 10.0, "He") / xs.inelastic((6, 12), 10.0, "H")
    assert ratio == pytest.approx(helium_factor(12))


def test_bad_arguments_and_missing_data(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="source"):
        CrossSections("nope")
    with pytest.raises(ValueError, match="inelastic"):
        CrossSections("tables", inelastic="nope")
    with pytest.raises(ValueError, match="kind"):
        load_inelastic_table("nope")
    with pytest.raises(FileNotFoundError):
        load_fragmentation_table(tmp_path / "missing.dat")
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path))
    assert CrossSections("auto").source_ == "builtin"
    with pytest.raises(FileNotFoundError):
        CrossSections("tables")


def test_simulator_with_builtin_cross_sections_gives_similar_boron_to_carbon():
    from crsbi.propagation.galactic import simulate_galactic

    theta = [5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]
    r = np.array([10.0, 100.0])
    ratios = []
    for source in ("tables", "builtin"):
        s = simulate_galactic(theta, cross_sections=source)
        ratios.append(s.flux_at_rigidity(r, "B") / s.flux_at_rigidity(r, "C"))
    np.testing.assert_allclose(ratios[0], ratios[1], rtol=0.1)
