"""What each role sees of party members, applied to every result the API reads (see docs/security.md).

One function, :func:`redact`, walks any result (rows, nested nodes, paths, lists) and finds member data
in two shapes:

* a node whose ``label`` is ``Member`` (entities, neighbors, paths, search and claimant rows);
* member columns of a row: ``member_<field>`` anywhere (``member_name`` …), and, in a row that has a
  ``member_id``, any column named like a member field (``mobile`` …).

Then, by role: ``admin`` sees everything; ``analyst`` sees names masked (张*明) and no birth year;
``viewer`` sees a member only as an id (and the ``synthetic`` marker). It errs on the side of hiding:
a column it is unsure of in a member row is treated as member data.
"""

from __future__ import annotations

import re
from typing import Any

from api.keys import Role
from graph.model import NODE_MODELS, PERSONAL_FIELDS

MEMBER_LABEL = "Member"
MEMBER_FIELDS: frozenset[str] = frozenset(NODE_MODELS[MEMBER_LABEL].model_fields) - {"id"}
"""Every property of a member except its id: name, gender, birth_year, joined, mobile, category, delegate, synthetic."""

_KEEP, _DROP, _MASK = "keep", "drop", "mask"
POLICY: dict[Role, dict[str, str]] = {
    Role.admin: dict.fromkeys(MEMBER_FIELDS, _KEEP),
    Role.analyst: {**dict.fromkeys(MEMBER_FIELDS, _KEEP), "name": _MASK, "birth_year": _DROP},
    # A viewer learns that a member is there (counts, network shapes), never who: no identity, no attributes.
    Role.viewer: {**dict.fromkeys(MEMBER_FIELDS, _DROP), "synthetic": _KEEP},
}
VIEW_NAME = {Role.admin: "full", Role.analyst: "masked", Role.viewer: "ids"}
"""How the audit log names what a role saw of the members it read."""

assert PERSONAL_FIELDS <= MEMBER_FIELDS and all(POLICY[Role.viewer][f] == _DROP for f in PERSONAL_FIELDS)


def mask_name(name: str) -> str:
    """Keep the first and last character of a name, hide the rest behind one ``*`` (so the length is hidden too).

    >>> [mask_name(n) for n in ("张三明", "张三", "欧阳娜娜", "王", "")]
    ['张*明', '张*', '欧*娜', '*', '']
    """
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def _member_field(key: str, in_member_row: bool) -> str | None:
    """The member field a column carries, or ``None``."""
    if key.startswith("member_") and key != "member_id":
        field = key.removeprefix("member_")
        return field if field in MEMBER_FIELDS else "name"  # an unknown member_* column is hidden like a name
    if in_member_row and key in MEMBER_FIELDS:
        return key
    return None


def _apply(policy: dict[str, str], field: str, value: Any) -> tuple[bool, Any]:
    action = policy[field]
    if action == _DROP:
        return False, None
    if action == _MASK and isinstance(value, str):
        return True, mask_name(value)
    return True, value


def redact(value: Any, role: Role, seen: set[str] | None = None) -> Any:
    """Return ``value`` with the member data ``role`` may not see removed or masked.

    ``seen`` collects the ids of the members met (for the audit log). The input is not modified.

    >>> node = {"id": "mem-1", "label": "Member", "name": "张三明", "birth_year": 1980, "gender": "女"}
    >>> redact(node, Role.analyst)
    {'id': 'mem-1', 'label': 'Member', 'name': '张*明', 'gender': '女'}
    >>> redact({"rows": [{"member_id": "mem-1", "member_name": "张三明", "mobile": True, "branch_id": "org-1"}]}, Role.viewer)
    {'rows': [{'member_id': 'mem-1', 'branch_id': 'org-1'}]}
    """
    return _walk(value, POLICY[role], seen if seen is not None else set())


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Exact types :func:`_walk` returns as they are: most values of a row, so the walk does not recurse into them."""


def _walk(value: Any, policy: dict[str, str], seen: set[str]) -> Any:
    if isinstance(value, list | tuple):
        return [v if type(v) in _LEAVES else _walk(v, policy, seen) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("label") == MEMBER_LABEL:
        seen.add(str(value.get("id")))
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in MEMBER_FIELDS:
                keep, item = _apply(policy, key, item)
                if not keep:
                    continue
            out[key] = item if type(item) in _LEAVES else _walk(item, policy, seen)
        return out
    in_member_row = "member_id" in value
    if in_member_row and value["member_id"] is not None:
        seen.add(str(value["member_id"]))
    result: dict[str, Any] = {}
    for key, item in value.items():
        field = _member_field(key, in_member_row)
        if field is not None:
            keep, item = _apply(policy, field, item)
            if not keep:
                continue
            result[key] = item
        else:
            result[key] = item if type(item) in _LEAVES else _walk(item, policy, seen)
    return result


_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""", re.S)


def scrub(message: object, limit: int = 300) -> str:
    """A message fit for the logs: quoted values (which may echo data) replaced, and cut to ``limit``.

    >>> scrub("Node(7) already exists with label `Member` and property `name` = '张三明'")
    "Node(7) already exists with label `Member` and property `name` = '…'"
    """
    text = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[0], str(message))
    return text if len(text) <= limit else text[:limit] + "…"
