"""Fast simulators: plain functions ``simulate_x(params, *, random_state=None, **config)``.

- :mod:`~crsbi.simulators.gaussian_linear`: reference model with an analytic posterior;
- :mod:`~crsbi.simulators.turbulence`: synthetic turbulent magnetic fields (wave sums);
- :mod:`~crsbi.simulators.particles`: relativistic Boris pusher and running diffusion
  coefficients of test particles (Palade 2023).
"""

from crsbi.simulators.crfluid import (
    CRFLUID_CLASSES,
    CRFLUID_PRESETS,
    CRFluidResult,
    evolve_crfluid,
    simulate_crfluid,
)
from crsbi.simulators.galactic import (
    GalacticSpectra,
    check_galactic_params,
    force_field,
    simulate_galactic,
    simulate_galactic_batch,
)
from crsbi.simulators.gaussian_linear import gaussian_linear_posterior, simulate_gaussian_linear
from crsbi.simulators.particles import (
    PALADE_BOUNDS,
    DiffusionResult,
    Trajectories,
    initial_momenta,
    simulate_d_perp,
    simulate_diffusion,
    trace_particles,
)
from crsbi.simulators.sky import (
    AUGER,
    SOURCES,
    TELESCOPE_ARRAY,
    Deflection,
    GroundArray,
    PowerLawComposition,
    SkyEvents,
    Source,
    events_to_maps,
    exposure_map,
    relative_exposure,
    simulate_events,
    simulate_sky_maps,
    sommers_exposure,
)
from crsbi.simulators.turbulence import (
    TURBULENCE_MODELS,
    WaveSet,
    draw_waves,
    evaluate_field,
    slab_correlation_length,
)

__all__ = [
    "AUGER",
    "CRFLUID_CLASSES",
    "CRFLUID_PRESETS",
    "PALADE_BOUNDS",
    "SOURCES",
    "TELESCOPE_ARRAY",
    "TURBULENCE_MODELS",
    "CRFluidResult",
    "Deflection",
    "DiffusionResult",
    "GalacticSpectra",
    "GroundArray",
    "PowerLawComposition",
    "SkyEvents",
    "Source",
    "Trajectories",
    "WaveSet",
    "check_galactic_params",
    "draw_waves",
    "evaluate_field",
    "events_to_maps",
    "evolve_crfluid",
    "exposure_map",
    "force_field",
    "gaussian_linear_posterior",
    "initial_momenta",
    "relative_exposure",
    "simulate_crfluid",
    "simulate_d_perp",
    "simulate_diffusion",
    "simulate_events",
    "simulate_galactic",
    "simulate_galactic_batch",
    "simulate_gaussian_linear",
    "simulate_sky_maps",
    "slab_correlation_length",
    "sommers_exposure",
    "trace_particles",
]
