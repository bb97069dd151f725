"""Where places lie, as the validator keeps it: one-to-few maps of place links, shared by both of its paths.

The row-by-row checks (``loaders.validate``) and the column-at-a-time ones (``loaders.columnar_state``) fill
the same maps (community -> subdistrict, place -> container, organization -> anchoring place), so the maps'
form lives here, where both can import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping

LOCATED = frozenset({"Compound", "Building", "BusinessArea", "Enterprise"})
"""The labels whose ``LOCATED_IN`` places them (and so tells the subdistrict they lie in)."""


def multi_add(mapping: dict[str, str | tuple[str, ...]], key: str, value: str) -> None:
    """Add to a one-to-few map that stores a plain string in the common one-value case (memory)."""
    old = mapping.get(key)
    if old is None:
        mapping[key] = value
    elif isinstance(old, str):
        if old != value:
            mapping[key] = (old, value)
    elif value not in old:
        mapping[key] = (*old, value)


def multi_get(mapping: Mapping[str, str | tuple[str, ...]], key: str) -> tuple[str, ...]:
    value = mapping.get(key)
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


__all__ = ["LOCATED", "multi_add", "multi_get"]
