"""Pinyin initials (拼音首字母) of names, so that a search for ``lhq`` finds 罗湖区 and ``kk100`` finds KK100.

The loaders store :func:`name_initials` of every searchable node's name as its ``name_initials`` property
(:data:`graph.schema.DERIVED_NODE_PROPERTIES`); the search matches a term that :func:`initials_term` accepts
against it as well as against the name (``queries.search``). Both engines hold the same stored string, so they
answer alike.

Readings come from pypinyin, word by word: 银行 is ``yh`` and 重庆 ``cq``, though 行 and 重 have other readings.
pypinyin cuts a text at every non-Chinese character before it looks for words, so each run of Chinese characters
is converted on its own, and a run is cached: the names of one district repeat their words (花园, 大厦, 社区党委)
in run after run, and a load converts hundreds of thousands of names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import RE_HANS

_HAN_RUN = re.compile(RE_HANS.pattern.removeprefix("^").removesuffix("$"))
"""A run of the characters pypinyin reads as Chinese (its own pattern, unanchored)."""
_KEPT = re.compile(r"[a-z0-9]+")
_TERM = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")


def name_initials(name: str | None) -> str | None:
    """The initials of ``name``: each Chinese character's initial letter, with the Latin letters and digits around
    them, lower-cased; every other character (spaces, brackets, dashes) left out. ``None`` when nothing is left.

    >>> name_initials("罗湖区"), name_initials("银行大厦"), name_initials("重庆大厦"), name_initials("长城花园")
    ('lhq', 'yhds', 'cqds', 'cchy')
    >>> name_initials("KK100京基100"), name_initials("地王大厦（信兴广场）"), name_initials("ＫＫ１００")
    ('kk100jj100', 'dwdsxxgc', 'kk100')
    >>> name_initials("（）"), name_initials(None)
    (None, None)
    """
    if name is None:
        return None
    text = unicodedata.normalize("NFKC", name)  # full-width Ｋ１ -> K1, as people type them
    parts: list[str] = []
    start = 0
    for run in _HAN_RUN.finditer(text):
        parts.append(text[start:run.start()].lower())
        parts.append(_run_initials(run.group()))
        start = run.end()
    parts.append(text[start:].lower())
    kept = "".join(_KEPT.findall("".join(parts)))
    return kept or None


@lru_cache(maxsize=65_536)
def _run_initials(run: str) -> str:
    return "".join(lazy_pinyin(run, style=Style.FIRST_LETTER)).lower()


def initials_term(q: str) -> str | None:
    """What a search term is looked for among the initials: the term lower-cased when it is Latin letters and
    digits with at least one letter (``LHQ`` -> ``lhq``), else ``None`` (a Chinese term is only looked for in the
    names themselves, and so is a number: ``100`` would match every name with a 1 and two 0s in its initials).

    >>> initials_term("LHQ"), initials_term(" kk100 "), initials_term("罗湖"), initials_term("100"), initials_term("l q")
    ('lhq', 'kk100', None, None, None)
    """
    term = unicodedata.normalize("NFKC", q).strip().lower()
    return term if _TERM.fullmatch(term) else None
