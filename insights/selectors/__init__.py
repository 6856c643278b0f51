"""Reads of the reports; `percent` is the money rules' own (catalog.pricing)."""

from catalog.pricing import percent

__all__ = ["percent"]
