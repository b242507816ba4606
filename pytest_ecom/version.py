"""The package version: written into reports, logs and the spec cache."""

__version__ = "0.1.0"
