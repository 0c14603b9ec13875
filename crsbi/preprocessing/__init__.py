"""Preprocessing of simulator output and measurements into network inputs.

scikit-learn transformers where they fit (images, spectra).
"""

from crsbi.preprocessing.images import (
    HistogramEqualizer,
    LazyCube,
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
from crsbi.preprocessing.spectra import (
    FEATURE_NAMES,
    ParameterWhitener,
    SpectralRatioFeatures,
    add_relative_noise,
    as_spectra,
    ratio_features,
)

__all__ = [
    "FEATURE_NAMES",
    "HistogramEqualizer",
    "LazyCube",
    "LogTransformer",
    "ParameterWhitener",
    "PowerSpectrumFlattener",
    "SpectralRatioFeatures",
    "add_relative_noise",
    "as_spectra",
    "buffered_split",
    "cube_to_tiles",
    "equalize_histogram",
    "flatten_power_spectrum",
    "load_athena_density",
    "log_images",
    "open_cube",
    "random_flips",
    "ratio_features",
    "slice_images",
    "tile_images",
]
