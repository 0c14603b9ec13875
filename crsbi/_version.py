"""Version of the crsbi package."""

__version__ = "0.1.0"
