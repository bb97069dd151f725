"""Is a Cypher statement a read? A conservative check of the statement's clauses, for both engines.

Used for every query the API runs (a second guard behind the engines' own read-only modes) and for
the admin console, where the text comes from a person. It refuses rather than guesses: anything it
cannot prove to be a single read statement is refused, so a harmless query may be refused (a
variable called ``set``, say), but a write is never let through.

It works on the text with string literals, backtick names and comments blanked out, so a keyword
inside ``'...'`` neither blocks a read nor hides a write.
"""

from __future__ import annotations

import re

from graph.errors import QueryError

FORBIDDEN = frozenset({
    # writes and schema changes (both engines)
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "FOREACH", "RENAME",
    # files, extensions, other databases, transactions (LadybugDB: COPY/LOAD FROM/ATTACH/INSTALL/EXPORT)
    "COPY", "LOAD", "INSTALL", "ATTACH", "USE", "IMPORT", "EXPORT", "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT",
    # Neo4j administration, and plan modifiers the console adds itself
    "GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE", "SHOW", "ENABLE", "DEALLOCATE", "REALLOCATE",
    "EXPLAIN", "PROFILE",
})
READ_STARTS = frozenset({"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN", "CALL"})
READ_PROCEDURES: dict[str, frozenset[str]] = {
    "neo4j": frozenset({"db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
                        "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
                        "db.index.fulltext.querynodes"}),
    "ladybug": frozenset({"show_tables", "table_info", "show_connection", "db_version", "show_functions"}),
}
"""Procedures a read may ``CALL``: catalog look-ups, and on Neo4j the full-text index look-up of the name search
(``search_page``, queries/search.py). Any other ``CALL`` is refused."""

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBQUERY = re.compile(r"\s*(\([\w\s,*]*\)\s*)?\{")  # CALL { ... } and CALL (a, b) { ... }
_PROCEDURE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*(\(|$|\s+YIELD\b)", re.I)


class WriteRefusedError(QueryError):
    """The statement is not provably a single read; it was not run."""


def blank_literals(query: str) -> str:
    """Return ``query`` with strings, backtick names and comments replaced by spaces (same length).

    >>> blank_literals("MATCH (n {name: 'CREATE'}) // DELETE\\nRETURN n")
    'MATCH (n {name:         })          \\nRETURN n'

    Raises :class:`WriteRefusedError` for an unterminated string, name or comment.
    """
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch in "'\"`":
            j = i + 1
            while j < n and query[j] != ch:
                j += 2 if query[j] == "\\" and ch != "`" else 1
            if j >= n:
                raise WriteRefusedError("the statement has an unterminated string or name")
            out.append(" " * (j + 1 - i))
            i = j + 1
        elif query.startswith("//", i):
            j = query.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif query.startswith("/*", i):
            j = query.find("*/", i + 2)
            if j < 0:
                raise WriteRefusedError("the statement has an unterminated comment")
            out.append(" " * (j + 2 - i))
            i = j + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def check_read_only(query: str, dialect: str) -> None:
    """Raise :class:`WriteRefusedError` unless ``query`` is one read statement for ``dialect``.

    >>> check_read_only("MATCH (n:PartyOrg) WHERE n.name CONTAINS 'SET' RETURN n.set AS x", "neo4j")
    >>> try:
    ...     check_read_only("MATCH (n) DETACH DELETE n", "ladybug")
    ... except WriteRefusedError as exc:
    ...     print(exc)
    DETACH is not allowed: only reads may run here
    """
    if "\x00" in query:
        raise WriteRefusedError("the statement contains a NUL character")
    code = blank_literals(query)
    body = code.strip().rstrip(";").rstrip()
    if ";" in body:
        raise WriteRefusedError("only one statement may run at a time")
    words = list(_WORD.finditer(body))
    if not words:
        raise WriteRefusedError("the statement is empty")
    for match in words:
        word = match.group(0).upper()
        if word not in FORBIDDEN:
            continue
        before = body[:match.start()].rstrip()
        after = body[match.end():].lstrip()
        if before.endswith(".") or (after.startswith(":") and not after.startswith("::")):
            continue  # a property name (n.set) or a map key / variable ({set: 1}, (set:Label)), never a clause
        raise WriteRefusedError(f"{word} is not allowed: only reads may run here")
    first = words[0].group(0).upper()
    if first not in READ_STARTS:
        raise WriteRefusedError(f"a read starts with MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN or CALL, not {first}")
    allowed = READ_PROCEDURES.get(dialect, frozenset())
    for call in re.finditer(r"\bCALL\b", body, re.I):
        rest = body[call.end():]
        if _SUBQUERY.match(rest):
            continue
        target = _PROCEDURE.match(rest)
        name = re.sub(r"\s+", "", target.group(1)) if target else rest.strip()[:30]
        if target is None or name.lower() not in allowed:
            raise WriteRefusedError(f"CALL {name} is not allowed; allowed: subqueries and {', '.join(sorted(allowed))}")
