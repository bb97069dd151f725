"""Small, engine-independent helpers for Cypher text: parameters and the allow-list of names.

LadybugDB silently binds a missing parameter to NULL, so a typo in a parameter name would return
wrong rows instead of failing. Every engine therefore checks parameters here before running a query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graph.errors import MissingParameterError
from graph.model import NODE_MODELS, REL_MODELS

_STRINGS_AND_COMMENTS = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/""", re.S)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def parameter_names(query: str) -> set[str]:
    """Return the ``$parameters`` a query uses, ignoring string literals and comments.

    >>> sorted(parameter_names("MATCH (n {id: $id}) WHERE n.name <> '$x' // $y\\nRETURN n LIMIT $limit"))
    ['id', 'limit']
    """
    return set(_PARAMETER.findall(_STRINGS_AND_COMMENTS.sub(" ", query)))


def check_parameters(query: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return ``params`` as a dict, or raise :class:`MissingParameterError` naming every missing one."""
    given = dict(params or {})
    missing = sorted(parameter_names(query) - given.keys())
    if missing:
        raise MissingParameterError(missing)
    return given


def allowed_label(label: str) -> str:
    """Return ``label`` if it is a node label of the model; labels never come from users unchecked."""
    if label not in NODE_MODELS:
        raise ValueError(f"unknown node label {label!r}; expected one of {', '.join(NODE_MODELS)}")
    return label


def allowed_rel_type(rel_type: str) -> str:
    """Return ``rel_type`` if it is a relationship type of the model."""
    if rel_type not in REL_MODELS:
        raise ValueError(f"unknown relationship type {rel_type!r}; expected one of {', '.join(REL_MODELS)}")
    return rel_type


def inline_nulls(query: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Replace each ``$name`` whose value is ``None`` by a ``NULL`` literal (outside strings and comments).

    LadybugDB infers a parameter's type when it prepares a statement; a ``None`` value gets the type
    BOOL, and ``m.id = $community`` then tries to read ids as booleans. A literal ``NULL`` compares
    like Neo4j's null parameter does. Returns the new text and the remaining parameters.
    """
    nulls = {k for k, v in params.items() if v is None}
    if not nulls:
        return query, dict(params)
    pattern = re.compile(r"\$(" + "|".join(re.escape(n) for n in sorted(nulls)) + r")\b")
    pieces, last = [], 0
    for literal in _STRINGS_AND_COMMENTS.finditer(query):
        pieces.append(pattern.sub("NULL", query[last:literal.start()]))
        pieces.append(literal.group(0))
        last = literal.end()
    pieces.append(pattern.sub("NULL", query[last:]))
    return "".join(pieces), {k: v for k, v in params.items() if k not in nulls}
