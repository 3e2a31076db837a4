"""A faster Altair: its schema hash remembered per schema, so building a chart costs less.

Building an Altair chart turns every shorthand encoding (``x="date:T"``) and every property
into schema objects through ``_FromDict.from_dict``, which looks up the class for each
(sub)schema by hashing it: ``json.dumps(schema, sort_keys=True)`` of the same few hundred
static schema dicts, about 100,000 times for a page of charts. Profiled on the Health
inequalities page, that was a third of building its charts on every rerun. :func:`install`
makes the hash remembered per schema object (by identity, holding a reference so the identity
cannot be reused), so it is computed once per process. The hash, and so every chart, is the
same as before: the schemas are Altair's static definitions and are never changed.
"""

from __future__ import annotations

from typing import Any

from altair.utils import schemapi

_hashed: dict[int, tuple[object, int]] = {}
_original = schemapi._FromDict.hash_schema.__func__  # type: ignore[attr-defined]


def _hash_schema(cls: type, schema: dict[str, Any], use_json: bool = True) -> int:
    found = _hashed.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    value: int = _original(cls, schema, use_json)
    _hashed[id(schema)] = (schema, value)
    return value


def install() -> None:
    """Remember Altair's schema hashes from now on in this process (idempotent)."""
    schemapi._FromDict.hash_schema = classmethod(_hash_schema)  # type: ignore[method-assign,assignment]


def installed() -> bool:
    return schemapi._FromDict.__dict__["hash_schema"].__func__ is _hash_schema
