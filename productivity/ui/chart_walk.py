"""The walk behind :func:`productivity.ui.chart_draw.vega_lite_spec`: Altair's ``to_dict``
below the top level, without its copies and checks.

:func:`chart_properties` walks a chart's own properties (``_kwds``) as Altair's
``schemapi._todict`` does, in the same order, with the same rules (the code of Altair 6.3 it
mirrors is named at each step), one function per kind of object, and stores each frame as
Streamlit does (its own Arrow transformer, named by a hash of the bytes). A chart, or a part of
one, that it does not cover raises :class:`Unsupported`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import altair as alt
import narwhals.stable.v1 as nw
import numpy as np
import pandas as pd
from altair.utils import schemapi
from altair.utils.core import parse_shorthand
from altair.utils.data import is_data_type
from altair.vegalite.v6 import api
from altair.vegalite.v6.schema import channels, core
from streamlit.elements import vega_charts

Undefined = schemapi.Undefined
_PLAIN = (str, int, float, bool, type(None))  # returned as they are by Altair's _todict
_SKIPPED = ("shorthand", "_cached_hash")  # keys SchemaBase.to_dict never writes
_LAYER_PROPS = ("height", "width", "view")  # what LayerChart.__init__ moves up from layers
_FACETS = ("row", "column", "facet")  # encodings a layer may not have


class Unsupported(Exception):
    """A chart (or a part of one) this walk does not cover: let Streamlit convert it."""


class Datasets:
    """The datasets of one spec: Streamlit's (name -> Arrow bytes), Altair's inline ones (its
    ``context["datasets"]``: the empty row of a chart without data), and each frame already
    written, by identity: layers drawn from one frame (``base = alt.Chart(frame)``) each hold
    it, and Streamlit would write it to Arrow once for each, under the same name."""

    __slots__ = ("arrow", "inline", "written")

    def __init__(self) -> None:
        self.arrow: dict[str, Any] = {}
        self.inline: dict[str, Any] = {}
        self.written: dict[int, tuple[pd.DataFrame, str]] = {}  # id -> (the frame, its name)

    def named(self, frame: pd.DataFrame) -> dict[str, str]:
        """``{"name": ...}`` for ``frame``, written as Streamlit's transformer writes it."""
        found = self.written.get(id(frame))
        if found is not None and found[0] is frame:
            return {"name": found[1]}
        named: dict[str, str] = vega_charts._to_arrow_dataset(frame, self.arrow)
        self.written[id(frame)] = (frame, named["name"])  # the frame held: its id stays its own
        return named


class _Context:
    """What Altair's ``to_dict`` context carries down to one chart's properties: the frame its
    channels infer types from (``context["data"]``) and the spec's datasets."""

    __slots__ = ("_altair_data", "_dtypes", "data", "datasets")

    def __init__(self, datasets: Datasets, data: Any = Undefined) -> None:
        self.datasets = datasets
        self.data = data  # the chart's (or its parent's) data: a frame, or Altair's object
        self._altair_data: Any = Undefined
        self._dtypes: Any = Undefined  # dict[str, dtype] | None once known

    def altair_data(self) -> Any:
        """``context["data"]`` as Altair holds it: a frame wrapped by narwhals."""
        if self._altair_data is Undefined:
            self._altair_data = _narwhals(self.data)
        return self._altair_data

    def dtypes(self) -> dict[str, Any] | None:
        """Each column's dtype, by name, when the data is a pandas frame whose column names are
        unique and all text (as narwhals sees it, then); otherwise None."""
        if self._dtypes is Undefined:
            frame, self._dtypes = self.data, None
            if isinstance(frame, pd.DataFrame):
                names = list(frame.columns)
                if all(type(n) is str for n in names) and len(set(names)) == len(names):
                    self._dtypes = dict(zip(names, frame.dtypes, strict=True))
        dtypes: dict[str, Any] | None = self._dtypes
        return dtypes

    def as_altair(self) -> dict[str, Any]:
        """The context Altair itself would pass at this point (for parts walked by Altair)."""
        context: dict[str, Any] = {"datasets": self.datasets.inline}
        if self.data is not Undefined:
            context["data"] = self.altair_data()
        context["top_level"] = False
        context["pre_transform"] = False
        return context


def _narwhals(data: Any) -> Any:
    # As TopLevelMixin.to_dict wraps a chart's data (api.py).
    try:
        return nw.from_native(data, eager_or_interchange_only=True)
    except TypeError:
        return data


def chart_properties(chart: Any) -> tuple[dict[str, Any], Datasets]:
    """``chart``'s spec below the top level (no schema, theme or datasets yet) and the datasets
    written on the way: Altair's ``_todict(chart, context)`` with Streamlit's transformer."""
    datasets = Datasets()
    spec: dict[str, Any] = _walk(chart, _Context(datasets))
    return spec, datasets


# The walk: schemapi._todict and the to_dict methods it calls, one function per kind of object.


def _walk(obj: Any, ctx: _Context) -> Any:
    """``schemapi._todict(obj, context)``."""
    kind = type(obj)
    if kind in _PLAIN:
        return obj
    if kind is list or kind is tuple:
        return [_walk(v, ctx) for v in obj]
    if kind is dict:
        return {k: _walk(v, ctx) for k, v in obj.items() if v is not Undefined}
    if isinstance(obj, schemapi.SchemaBase):
        return _walker(kind)(obj, ctx)
    if isinstance(obj, (pd.DataFrame, dict, list, tuple)) or (
        isinstance(obj, np.ndarray) and obj.dtype.kind == "O"
    ):  # a frame, or what may hold a chart, where the walk does not expect one
        raise Unsupported(f"a {type(obj).__name__} inside a chart's properties")
    # Anything else (numpy numbers, timestamps, dates, arrays, expressions): as Altair does.
    return schemapi._todict(obj, ctx.as_altair(), **_OPTIONAL_MODULES)


_OPTIONAL_MODULES = schemapi._get_optional_modules(np_opt="numpy", pd_opt="pandas")
_Walker = Callable[[Any, _Context], Any]
_WALKERS: dict[type, _Walker] = {}


def _walker(kind: type) -> _Walker:
    """How to walk a schema object of class ``kind``: by which ``to_dict`` it has."""
    found = _WALKERS.get(kind)
    if found is None:
        found = _WALKERS[kind] = _choose_walker(kind)
    return found


def _choose_walker(kind: type) -> _Walker:
    if kind is alt.Chart:
        return _chart
    if kind is alt.LayerChart:
        return _layer_chart
    if issubclass(kind, api.TopLevelMixin):
        return _unsupported
    owner = _owner_of_to_dict(kind)
    if owner is schemapi.SchemaBase:
        return _schema
    if owner in (channels.FieldChannelMixin, channels.ValueChannelMixin,
                 channels.DatumChannelMixin):  # fmt: skip
        # Each calls super().to_dict: the walk covers it only if that is SchemaBase's.
        if _owner_of_to_dict(kind, after=owner) is not schemapi.SchemaBase:
            return _unsupported
        if owner is channels.FieldChannelMixin:
            return _field_channel
        if owner is channels.ValueChannelMixin:
            return _value_channel
        return _schema  # DatumChannelMixin.to_dict adds nothing
    return _unsupported  # LookupData (a frame of its own), FacetMapping, ...


def _owner_of_to_dict(kind: type, after: type | None = None) -> type | None:
    """The class whose ``to_dict`` ``kind`` has (the next one after ``after`` in its MRO)."""
    mro = kind.__mro__
    start = mro.index(after) + 1 if after is not None else 0
    return next((c for c in mro[start:] if "to_dict" in c.__dict__), None)


def _unsupported(obj: Any, ctx: _Context) -> Any:
    raise Unsupported(type(obj).__name__)


def _schema(obj: Any, ctx: _Context) -> Any:
    """``SchemaBase.to_dict(validate=False)``."""
    return _properties(obj._args, obj._kwds, ctx)


def _properties(
    args: tuple[Any, ...], kwds: dict[str, Any], ctx: _Context, parsed: dict[str, Any] | None = None
) -> Any:
    """``SchemaBase.to_dict`` of an object with ``args`` and properties ``kwds``; ``parsed``:
    a field channel's shorthand, filling the properties it leaves undefined."""
    if args:
        if kwds:
            raise Unsupported("a schema object with both a value and properties")
        return _walk(args[0], ctx)
    if parsed:
        kwds = schemapi._replace_parsed_shorthand(parsed, kwds.copy())
    out = {}
    for key, value in kwds.items():
        if value is Undefined or key in _SKIPPED:
            continue
        if key == "mark" and value and isinstance(value, str):
            out[key] = {"type": value}
        else:
            out[key] = _walk(value, ctx)
    return out


def _field_channel(obj: Any, ctx: _Context) -> Any:
    """``FieldChannelMixin.to_dict``: the shorthand parsed into field, type, aggregate..."""
    kwds = obj._kwds
    shorthand = kwds.get("shorthand", Undefined)
    if shorthand is not Undefined and kwds.get("field", Undefined) is not Undefined:
        raise Unsupported("a channel with both shorthand and field")  # Altair raises
    if isinstance(shorthand, (tuple, list)):
        return obj.to_dict(validate=False, context=ctx.as_altair())
    if shorthand is Undefined:
        parsed: dict[str, Any] = {}
    elif isinstance(shorthand, str):
        parsed = _parse_shorthand(shorthand, ctx)
        if "type" not in kwds:  # a secondary channel (x2, y2): no type
            parsed.pop("type", None)
        elif "type" not in parsed and kwds["type"] is Undefined:
            raise Unsupported(f"no type for {shorthand!r}")  # Altair raises
    else:
        parsed = {"field": shorthand}
    return _properties(obj._args, kwds, ctx, parsed)


def _value_channel(obj: Any, ctx: _Context) -> Any:
    """``ValueChannelMixin.to_dict``: a condition on a field without a type is Altair's."""
    condition = obj._kwds.get("condition", Undefined)
    if (
        condition is not Undefined
        and not isinstance(condition, schemapi.SchemaBase)
        and "field" in condition
        and "type" not in condition
    ):
        return obj.to_dict(validate=False, context=ctx.as_altair())
    return _schema(obj, ctx)


# A shorthand's parse when it names its type ("date:T"): the same whatever the data, so once;
# and when the type is inferred from a column of a dtype that alone decides it, once per dtype.
_SHORTHANDS: dict[str, dict[str, Any]] = {}
_INFERRED: dict[tuple[str, Any], dict[str, Any]] = {}
_MEMO_MAX = 4096  # distinct shorthands, and shorthand-dtype pairs, remembered (then forgotten)


def _parse_shorthand(shorthand: str, ctx: _Context) -> dict[str, Any]:
    """``parse_shorthand(shorthand, context["data"])``, as Altair parses it."""
    known = _SHORTHANDS.get(shorthand)
    if known is None:
        known = _remember(_SHORTHANDS, shorthand, parse_shorthand(shorthand))
    if "type" in known or "field" not in known or ctx.data is Undefined:
        return dict(known)  # the data plays no part (parse_shorthand reads it for a type only)
    dtypes = ctx.dtypes()
    if dtypes is None:  # not a pandas frame with unique text column names: Altair's way
        data = ctx.altair_data()
        if not is_data_type(data):
            return dict(known)
        return parse_shorthand(shorthand, data=cast(Any, data))
    field = known["field"].replace("\\", "")
    dtype = dtypes.get(field)
    if dtype is None:  # no such column: nothing to infer from
        return dict(known)
    key = (shorthand, dtype)
    inferred = _INFERRED.get(key)
    if inferred is None:
        data = ctx.altair_data()
        inferred = parse_shorthand(shorthand, data=data)
        if isinstance(data, nw.DataFrame) and _typed_by_dtype(dtype, data[field].dtype):
            _remember(_INFERRED, key, inferred)
    return dict(inferred)


def _typed_by_dtype(dtype: Any, seen_as: Any) -> bool:
    """Whether Altair types a column of pandas ``dtype`` (``seen_as`` by narwhals) by its dtype
    alone: not when it reads the values (object columns, and dtypes narwhals does not know)
    nor the categories (ordered categoricals sort by them)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return False
    return seen_as not in (nw.Object, nw.Unknown)


def _remember(memo: dict[Any, dict[str, Any]], key: Any, value: dict[str, Any]) -> dict[str, Any]:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = value
    return value


def _chart(obj: Any, ctx: _Context) -> Any:
    """``Chart.to_dict``: a chart without data, under no chart with data, gets an empty row."""
    if obj._kwds.get("params", Undefined) is not Undefined:
        raise Unsupported("a chart with parameters")  # selections: named and lifted by Altair
    data = obj._kwds.get("data", Undefined)
    if data is Undefined and ctx.data is Undefined:
        data = core.InlineData(values=[{}])
    return _top_level(obj, data, ctx)


def _layer_chart(obj: Any, ctx: _Context) -> Any:
    """``TopLevelMixin.to_dict`` of a layered chart, whose copy (``copy(deep=False)``) builds
    it again: only when that changes nothing (LayerChart.__init__ moves nothing up)."""
    kwds = obj._kwds
    data, layers = kwds.get("data", Undefined), kwds.get("layer", Undefined)
    if kwds.get("params", Undefined) is not Undefined:
        raise Unsupported("a layered chart with parameters")
    if not isinstance(layers, list):
        raise Unsupported("layers not in a list")
    for layer in layers:
        if not isinstance(layer, (alt.Chart, alt.LayerChart)):
            raise Unsupported(f"a layer of type {type(layer).__name__}")
        own = layer._kwds
        if own.get("params", Undefined) is not Undefined:
            raise Unsupported("a layer with parameters")
        if own.get("name", Undefined) is not Undefined:
            raise Unsupported("a named layer")  # _combine_subchart_params renames them
        if any(own.get(prop, Undefined) is not Undefined for prop in _LAYER_PROPS):
            raise Unsupported("a layer with its own height, width or view")
        # What LayerChart.__init__ refuses (Altair raises): top-level keys, facetted layers.
        if any(own.get(key, Undefined) is not Undefined for key in api.TOPLEVEL_ONLY_KEYS):
            raise Unsupported("a layer with a top-level property")
        encoding = own.get("encoding", Undefined)
        if encoding is not Undefined and (
            not isinstance(encoding, schemapi.SchemaBase)
            or any(encoding._kwds.get(c, Undefined) is not Undefined for c in _FACETS)
        ):
            raise Unsupported("a facetted layer")
    if _moves_data(data, layers):
        raise Unsupported("a frame the layers share")
    return _top_level(obj, data, ctx)


def _moves_data(data: Any, layers: list[Any]) -> bool:
    """Whether ``_combine_subchart_data`` would move a frame from the layers up (api.py)."""
    if not layers:
        return False
    if data is Undefined:
        first = layers[0]._kwds.get("data", Undefined)
        return first is not Undefined and all(c._kwds.get("data") is first for c in layers)
    return any(c._kwds.get("data", Undefined) is data for c in layers)


def _top_level(obj: Any, data: Any, ctx: _Context) -> Any:
    """``TopLevelMixin.to_dict`` below the top: the data stored, then the properties."""
    if data is Undefined:
        return _schema(obj, ctx)
    inner = _Context(ctx.datasets, data)
    prepared = _prepare_data(data, inner)
    # Altair walks a copy with the data replaced in place (the same key order).
    return _properties(obj._args, {**obj._kwds, "data": prepared}, inner)


def _prepare_data(data: Any, ctx: _Context) -> Any:
    """``api._prepare_data`` with Streamlit's transformer (``_to_arrow_dataset``) enabled."""
    if isinstance(data, pd.DataFrame):
        return ctx.datasets.named(data)
    if isinstance(data, dict) or not is_data_type(data):
        # Altair's own: inline values moved to the named datasets, no transformer involved.
        context = {"datasets": ctx.datasets.inline}
        prepared = api._prepare_data(ctx.altair_data(), context)
        return prepared
    raise Unsupported(f"data of type {type(data).__name__}")
