"""The "Luohu 2018" reference dataset generator (see :mod:`loaders.reference.generator`)."""

from loaders.reference.generator import generate

__all__ = ["generate"]
