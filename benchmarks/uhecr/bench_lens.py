"""Galactic magnetic lenses: build time, deflections, blind regions, source images, speed.

For each regular field model (JF12, JF12 Planck-tuned, PT11 BSS and ASS) builds the lens at
the paper's nside = 32 (4 rays per pixel, 20 rigidities 1-316 EV, back-tracked to a
Galactocentric radius of 20 kpc) and reports

- the wall time of the build (goal: <= 30 min for 20 rigidities on 2 cores);
- per rigidity: median and 90 % deflection of the rays, the share of the extragalactic sky
  that is blind (magnification 0), the largest magnification, and the Cen A image (offset of
  its brightest pixel from Cen A, share within 20 deg, magnification);
- the small-angle check: R x median deflection at the two highest rigidities (constant when
  the deflection is first order in 1/R);
- with ``--turbulence``: the build time of one rigidity with the JF12-like turbulent field
  (``TurbulentField()``), scaled to 20 rigidities, and its median deflections;
- lensed sky maps per second (N = 300, Cen A eta = 0.1, nside 32, 15 channels) against the
  toy deflection in the same run.

With ``--eta``: the minimal fraction (alpha = 0.01, power 0.95) of the binned likelihood-ratio
reference test (``LikelihoodRatioTest``, templates from 10000 maps per class; near-optimal for
the binned maps, and the CNN reaches it, see ``anisotropy.md``) for each source at N = 500
(nside 8, 15 channels, uniform exposure, vMF smearing 60 deg EeV Z/E on top of each lens), per
field model and for the toy deflection, next to the paper's Table 1: how much the minimal
fraction depends on the field model.

Figures: the JF12 Cen A images at 5, 10, 20 and 60 EV (``lens_cena.png``) and the deflection
of every ray at 20 EV (``lens_deflection.png``).

Run: ``python benchmarks/uhecr/bench_lens.py [--fields jf12 pt11_bss] [--turbulence] [--eta]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _report import CACHE_DIR, results_dir, write_report

from crsbi.uhecr import SOURCES, simulate_sky_maps
from crsbi.uhecr.lens import LensDeflection, TurbulentField, build_lens

RESULTS = results_dir(__file__)
FIELDS = ["jf12", "jf12_planck", "pt11_bss", "pt11_ass"]
SHOWN = (1.0, 3.16, 10.0, 31.6, 100.0, 316.0)  # rigidities of the table rows [EV]


def cena_image(lens, k: int) -> dict:
    import healpy

    cena = SOURCES["CenA"]
    image = lens.image(cena.l_deg, cena.b_deg, float(lens.rigidities_ev[k]))
    total = image.sum()
    l_pix, b_pix = healpy.pix2ang(lens.nside, np.arange(image.size), nest=True, lonlat=True)
    vec = np.stack(healpy.pix2vec(lens.nside, np.arange(image.size), nest=True), -1)
    src = healpy.ang2vec(cena.l_deg, cena.b_deg, lonlat=True)
    dist = np.degrees(np.arccos(np.clip(vec @ src, -1, 1)))
    peak = int(np.argmax(image))
    return {
        "Cen A peak offset deg": float(dist[peak]) if total > 0 else float("nan"),
        "Cen A peak (l, b)": f"({l_pix[peak]:.0f}, {b_pix[peak]:.0f})",
        "Cen A share within 20 deg": float(image[dist <= 20].sum() / total) if total else 0.0,
        "Cen A magnification": float(total),
    }


def lens_rows(name: str) -> tuple[list[dict], object, float]:
    """Rows of one field's lens; the build seconds are those stored with each rigidity (the
    compute time of the build that made the cache entry, so a rerun that reads the cache
    reports the same figure)."""
    from crsbi.core import config_fingerprint

    cache = CACHE_DIR / "lenses"
    lens = build_lens(name, nside=32, rays_per_pixel=4, cache_dir=cache, verbose=0)
    folder = cache / config_fingerprint(lens.config)[:16]
    seconds = 0.0
    for path in folder.glob("R*.npz"):
        with np.load(path) as stored:
            seconds += float(stored["seconds"])
    rows = []
    for rigidity in SHOWN:
        k = int(np.argmin(np.abs(np.log(lens.rigidities_ev / rigidity))))
        deflection = lens.deflection_deg(k)
        magnification = lens.magnification(k)
        rows.append(
            {
                "field": name,
                "R EV": round(float(lens.rigidities_ev[k]), 2),
                "median deflection deg": float(np.nanmedian(deflection)),
                "90% deflection deg": float(np.nanpercentile(deflection, 90)),
                "trapped rays %": 100 * float(np.isnan(lens.exit_directions[k, :, 0]).mean()),
                "blind sky %": 100 * float(np.mean(magnification == 0)),
                "max magnification": float(magnification.max()),
                **cena_image(lens, k),
            }
        )
    return rows, lens, seconds


def small_angle(lens) -> str:
    top, second = lens.rigidities_ev[-1], lens.rigidities_ev[-2]
    a = top * np.nanmedian(lens.deflection_deg(lens.rigidities_ev.size - 1))
    b = second * np.nanmedian(lens.deflection_deg(lens.rigidities_ev.size - 2))
    return f"R x median deflection {b:.0f} deg EV at {second:.0f} EV, {a:.0f} at {top:.0f} EV"


def throughput(lens) -> tuple[float, float]:
    rates = []
    for deflection in (LensDeflection(lens, smearing_deg_eev=60.0), None):
        kwargs = {} if deflection is None else {"deflection": deflection}
        simulate_sky_maps(10, n_events=300, source="CenA", fraction=0.1, random_state=0, **kwargs)
        best = 0.0
        for seed in range(3):
            start = time.perf_counter()
            simulate_sky_maps(
                300, n_events=300, source="CenA", fraction=0.1, random_state=seed, **kwargs
            )
            best = max(best, 300 / (time.perf_counter() - start))
        rates.append(best)
    return rates[0], rates[1]


def figures(lens) -> None:
    import healpy

    cena = SOURCES["CenA"]
    fig = plt.figure(figsize=(12, 7))
    for i, rigidity in enumerate((5.0, 10.0, 20.0, 60.0)):
        k = int(np.argmin(np.abs(np.log(lens.rigidities_ev / rigidity))))
        image = lens.image(cena.l_deg, cena.b_deg, float(lens.rigidities_ev[k]))
        healpy.mollview(
            image,
            nest=True,
            fig=fig.number,
            sub=(2, 2, i + 1),
            title=f"Cen A through JF12, R = {lens.rigidities_ev[k]:.1f} EV",
            cbar=False,
        )
        healpy.projscatter(cena.l_deg, cena.b_deg, lonlat=True, marker="*", color="w", s=80)
    fig.savefig(RESULTS / "lens_cena.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    k = int(np.argmin(np.abs(np.log(lens.rigidities_ev / 20.0))))
    deflection = lens.deflection_deg(k)
    per_pixel = deflection.reshape(12 * lens.nside**2, -1).mean(axis=1)
    healpy.mollview(
        per_pixel,
        nest=True,
        title=f"JF12 deflection at R = {lens.rigidities_ev[k]:.1f} EV [deg] (observed sky)",
        unit="deg",
    )
    plt.savefig(RESULTS / "lens_deflection.png", dpi=100, bbox_inches="tight")
    plt.close("all")


#: Kalashev et al. (2020) Table 1, CNN eta in % at N = 500.
PAPER_500 = {"CenA": 4.2, "M82": 4.4, "NGC253": 3.2, "M87": 5.4, "FornaxA": 3.8}


def eta_rows(
    lenses: dict,
    n_events: int = 500,
    smearings: list | None = None,
    nside: int = 8,
    n_train: int = 10000,
    sources: list | None = None,
) -> list[dict]:
    """LR minimal fractions per deflection model; with ``smearings``, JF12 at each smearing."""
    from crsbi.uhecr import LikelihoodRatioTest

    if smearings:
        deflections = {
            f"jf12 smearing {value:g}": LensDeflection(lenses["jf12"], smearing_deg_eev=value)
            for value in smearings
        }
    else:
        deflections = {"toy (crsbi default)": None}
        deflections.update(
            {name: LensDeflection(lens, smearing_deg_eev=60.0) for name, lens in lenses.items()}
        )
        if "jf12" in lenses:  # how much the turbulent smearing matters
            deflections["jf12 without smearing"] = LensDeflection(lenses["jf12"])
    rows = []
    for i, (source, paper) in enumerate(PAPER_500.items()):
        if sources and source not in sources:
            continue
        row = {"source": source, "N": n_events, "paper CNN eta %": paper}
        for name, deflection in deflections.items():
            sim = {"nside": nside, "n_channels": 15, "exposure": "uniform"}
            if deflection is not None:
                sim["deflection"] = deflection
            test = LikelihoodRatioTest()
            guess = paper / 100
            test.fit_simulated(
                source,
                n_events,
                tuple(min(guess * f, 1.0) for f in (1, 1.5, 2, 2.5)),
                n_maps=n_train,
                n_calibration=999,
                simulator_kwargs=sim,
                random_state=1000 * i + n_events,
            )
            result = test.minimal_fraction(n_maps=100, random_state=1000 * i + n_events + 1)
            row[f"LR eta % {name}"] = f"{100 * result.eta:.2f} +- {100 * result.eta_err:.2f}"
            print(source, name, row[f"LR eta % {name}"], flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", nargs="+", default=FIELDS, choices=FIELDS)
    parser.add_argument("--turbulence", action="store_true")
    parser.add_argument("--eta", action="store_true", help="LR minimal fractions per field")
    parser.add_argument("--eta-nside", type=int, default=8)
    parser.add_argument("--eta-n-train", type=int, default=10000)
    parser.add_argument("--eta-sources", nargs="+", choices=sorted(PAPER_500))
    parser.add_argument(
        "--eta-smearing",
        type=float,
        nargs="+",
        help="instead: JF12 LR minimal fractions at these vMF smearings [deg EeV Z/E] "
        "(lens_eta_smearing.md)",
    )
    args = parser.parse_args()
    build_lens("jf12", rigidities_ev=[100.0], nside=1, verbose=0)  # compile
    if args.eta_smearing:  # only the smearing study (lens.md is left as it is)
        lens = build_lens("jf12", nside=32, cache_dir=CACHE_DIR / "lenses", verbose=0)
        suffix = "" if args.eta_nside == 8 else f"_nside{args.eta_nside}"
        write_report(
            f"lens_eta_smearing{suffix}",
            eta_rows(
                {"jf12": lens},
                smearings=args.eta_smearing,
                nside=args.eta_nside,
                n_train=args.eta_n_train,
                sources=args.eta_sources,
            ),
            notes=(
                f"As lens_eta.md (likelihood-ratio reference, N = 500), at nside "
                f"{args.eta_nside} with templates from {args.eta_n_train} maps per class, with "
                "the JF12 lens and vMF smearing of the given deg EeV Z/E for the turbulent field."
            ),
            results=RESULTS,
        )
        return
    rows, notes, lenses = [], [], {}
    for name in args.fields:
        field_rows, lens, seconds = lens_rows(name)
        lenses[name] = lens
        rows.extend(field_rows)
        notes.append(
            f"{name}: 20 rigidities back-tracked in {seconds:.0f} s of compute "
            f"(sum over rigidities, as stored in the cache); {small_angle(lens)}"
        )
        print(notes[-1], flush=True)
    if "jf12" in lenses:
        lens = lenses["jf12"]
        figures(lens)
        lensed, toy = throughput(lens)
        notes.append(
            f"Lensed sky maps (JF12 + vMF 60 deg EeV Z/E, N = 300, Cen A eta = 0.1, nside 32, "
            f"15 channels): {lensed:.0f} maps/s against {toy:.0f} maps/s with the toy "
            f"deflection in the same run (ratio {lensed / toy:.2f})"
        )
        print(notes[-1], flush=True)
    if args.turbulence:
        turbulence = TurbulentField()
        for rigidity in (10.0, 60.0):
            start = time.perf_counter()
            lens = build_lens(
                "jf12",
                rigidities_ev=[rigidity],
                nside=32,
                turbulence=turbulence,
                step_max_kpc=turbulence.coherence_kpc / 4,
                verbose=0,
            )
            seconds = time.perf_counter() - start
            regular = build_lens("jf12", rigidities_ev=[rigidity], nside=32, verbose=0)
            # per-ray angle between the exit directions with and without the turbulent
            # field: the turbulent deflection itself (in the extragalactic sky)
            cos = np.sum(lens.exit_directions[0] * regular.exit_directions[0], axis=1)
            separation = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
            notes.append(
                f"JF12 + turbulence (TurbulentField(), 64 waves, coherence 0.1 kpc, steps "
                f"<= 25 pc) at {rigidity:g} EV: {seconds:.0f} s per rigidity "
                f"(x 20 = {20 * seconds / 60:.0f} min), median deflection "
                f"{np.nanmedian(lens.deflection_deg(0)):.2f} deg (regular only "
                f"{np.nanmedian(regular.deflection_deg(0)):.2f}); turbulent part (per-ray "
                f"angle to the regular-only exit): median {np.nanmedian(separation):.2f} deg, "
                f"rms {np.sqrt(np.nanmean(separation**2)):.2f} deg, i.e. "
                f"{rigidity * np.nanmedian(separation):.0f} deg EV as median x R (the vMF "
                f"smearing 60 deg EeV Z/E has median 60 x 1.18 / R deg)"
            )
            print(notes[-1], flush=True)
    notes.append(
        f"{os.cpu_count()} CPUs, numba threads {os.environ.get('NUMBA_NUM_THREADS', 'all')}; "
        "shared machine. Blind sky: extragalactic pixels (nside 32) that no ray reaches. "
        "Cen A image: lens.image (vMF kernel of the 1.8 deg ray spacing in the extragalactic "
        "sky), its brightest pixel and the share of its flux within 20 deg of Cen A."
    )
    write_report("lens", rows, notes="\n\n".join(notes), results=RESULTS)
    if args.eta:
        write_report(
            "lens_eta",
            eta_rows(lenses),
            notes=(
                "Minimal fraction (alpha = 0.01, power 0.95) of the binned likelihood-ratio "
                "reference test at N = 500 (nside 8, 15 channels of 0.05 in lg E, uniform "
                "exposure, 20 % energy resolution, Kalashev 2019 composition), templates from "
                "10000 maps per class, 999 null maps, 100 maps per fraction; 1-sigma errors from "
                "the finite number of maps. Each lens (nside 32, 4 rays per pixel, 20 "
                "rigidities) gets vMF smearing 60 deg EeV Z/E for the turbulent field; the toy "
                "deflection is the crsbi default (shift 200 deg EeV Z/E towards the plane + the "
                "same smearing). The CNN reaches this reference within ~10 % (anisotropy.md)."
            ),
            results=RESULTS,
        )


if __name__ == "__main__":
    main()
