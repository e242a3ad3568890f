"""Nearest valid value for a code a person typed: "did you mean E07000066 Basildon?".

Matches the typed text against the codes and against their names (a partner types "Basildon" where the
code belongs), ignoring case, spaces and punctuation; difflib's ratio picks the closest at or above a
cut-off, so a wild guess suggests nothing rather than something misleading.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

CUTOFF = 0.6


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def nearest(typed: str, names: Mapping[str, str]) -> str:
    """' did you mean CODE Name?' for the best match of ``typed`` among ``names`` (code -> name); ''."""
    key = _key(typed)
    if not key or not names:
        return ""
    choices: dict[str, str] = {}
    for code, name in names.items():
        choices.setdefault(_key(code), code)
        if name:
            choices.setdefault(_key(name), code)
    best = difflib.get_close_matches(key, list(choices), n=1, cutoff=CUTOFF)
    if not best:
        return ""
    code = choices[best[0]]
    name = names.get(code, "")
    return f"; did you mean {code}{' ' + name if name else ''}?"
