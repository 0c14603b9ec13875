"""Preprocessing of simulator output and measurements into network inputs.

scikit-learn transformers where they fit (images, spectra).
"""

__all__: list[str] = []
