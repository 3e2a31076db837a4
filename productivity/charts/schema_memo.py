"""A faster Altair: the class lookup table it builds for every schema conversion, built once.

Building an Altair chart turns every shorthand encoding (``x="date:T"``) into schema objects
through ``SchemaBase.from_dict``, and every call makes a fresh ``_FromDict`` converter: it walks
all of Altair's ~600 schema classes and hashes each one's schema with ``json.dumps`` to build
its class lookup table, the same table every time. Profiled on the Health inequalities page,
that was a third of building its charts on every rerun. :func:`install` keeps one converter per
set of wrapper classes (Altair has two: every schema class, and every Vega-Lite one), built on
first use, and remembers each schema's hash by identity (holding a reference, so the identity
cannot be reused). The table, and so every chart, is the same as before: Altair's schema classes
are defined when it is imported and their schemas never change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from altair.utils import schemapi

_hashed: dict[int, tuple[object, int]] = {}
_converters: dict[Callable[..., Any], schemapi._FromDict] = {}
# Private Altair internals (checked with Altair 6.3): if a later Altair moves them, install()
# does nothing and charts build as Altair builds them, only slower.
_SUPPORTED = hasattr(schemapi, "_FromDict") and hasattr(schemapi._FromDict, "hash_schema")
_original_hash = schemapi._FromDict.hash_schema.__func__ if _SUPPORTED else None  # type: ignore[attr-defined]


def _hash_schema(cls: type, schema: dict[str, Any], use_json: bool = True) -> int:
    found = _hashed.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    assert _original_hash is not None  # install() runs only when Altair has it
    value: int = _original_hash(cls, schema, use_json)
    _hashed[id(schema)] = (schema, value)
    return value


def _from_dict(cls: Any, dct: dict[str, Any], validate: bool = True) -> Any:
    """``SchemaBase.from_dict`` with its converter built once per set of wrapper classes."""
    if validate:
        cls.validate(dct)
    classes = cls._default_wrapper_classes.__func__
    converter = _converters.get(classes)
    if converter is None:
        converter = _converters[classes] = schemapi._FromDict(cls._default_wrapper_classes())
    return converter.from_dict(dct, cls)


def install() -> None:
    """Build Altair's converters once and remember its schema hashes, from now on in this
    process (idempotent; nothing when this Altair lacks the internals it patches)."""
    if not _SUPPORTED:
        return
    schemapi._FromDict.hash_schema = classmethod(_hash_schema)  # type: ignore[method-assign,assignment]
    schemapi.SchemaBase.from_dict = classmethod(_from_dict)  # type: ignore[method-assign,assignment]


def installed() -> bool:
    """Whether :func:`install` has run in this process."""
    return schemapi.SchemaBase.__dict__["from_dict"].__func__ is _from_dict
