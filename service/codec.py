"""A data-only encoding for cached values: tagged JSON, never pickle.

Why: the cache is shared through Redis, and whoever can write to Redis must not be able to run code
in the web workers. Unpickling runs whatever the bytes say; this codec can only build plain data
(numbers, text, lists, dicts, dates), pandas frames and series with their dtypes (including the
nullable ``Int64``/``Float64`` with ``pd.NA`` that disclosure control uses), numpy arrays of numbers,
plotly figures, Dash components from an allow-list of component libraries, and frozen dataclasses
from an allow-list of this project's modules. Anything else is refused when encoding, so a new kind of
value fails loudly in the tests instead of being stored in a form nobody can read back safely.

What it must not do: import a module or call a constructor named by the data unless both are on the
allow-lists below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import importlib
import json
from typing import Any

import numpy as np
import pandas as pd

TAG = "__t"
# Only dataclasses defined in these modules are rebuilt (the views' typed results and their parts).
DATACLASS_MODULES = ("service.", "analysis.", "warehouse.filters", "reporting.")
# Dash component namespaces and the module that defines each (nothing else is instantiated).
COMPONENT_MODULES = {
    "dash_html_components": "dash.html",
    "dash_core_components": "dash.dcc",
    "dash_table": "dash.dash_table",
    "dash_bootstrap_components": "dash_bootstrap_components",
    "dash_ag_grid": "dash_ag_grid",
}


class CodecError(ValueError):
    """A value this codec refuses to encode, or data that does not decode to an allowed value."""


# ------------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------------

def dumps(value: Any) -> bytes:
    """``value`` as UTF-8 JSON bytes (NaN and infinities kept, as Python's json writes them)."""
    return json.dumps(_enc(value), separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes) -> Any:
    """The value ``dumps`` encoded; raises CodecError for anything outside the allow-lists."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CodecError(f"not JSON: {exc}") from exc
    return _dec(raw)


def _enc(v: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 - one branch per kind of value, in one place on purpose
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int) and not isinstance(v, np.integer):
        return v
    if isinstance(v, float) and not isinstance(v, np.floating):
        return v
    if v is pd.NA:
        return {TAG: "NA"}
    if v is pd.NaT:
        return {TAG: "NaT"}
    if isinstance(v, np.generic):
        if isinstance(v, np.datetime64 | np.timedelta64):
            return {TAG: "npv", "dtype": str(v.dtype), "v": str(v)}
        return {TAG: "npv", "dtype": str(v.dtype), "v": v.item()}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if isinstance(v, tuple):
        return {TAG: "tuple", "v": [_enc(x) for x in v]}
    if isinstance(v, set | frozenset):
        return {TAG: "frozenset" if isinstance(v, frozenset) else "set", "v": [_enc(x) for x in v]}
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v) and TAG not in v:
            return {k: _enc(x) for k, x in v.items()}
        return {TAG: "items", "v": [[_enc(k), _enc(x)] for k, x in v.items()]}
    if isinstance(v, pd.Timestamp):
        return {TAG: "ts", "v": v.isoformat(), "unit": v.unit}
    if isinstance(v, dt.datetime):
        return {TAG: "datetime", "v": v.isoformat()}
    if isinstance(v, dt.date):
        return {TAG: "date", "v": v.isoformat()}
    if isinstance(v, pd.Timedelta):
        return {TAG: "timedelta", "v": v.value}
    if isinstance(v, decimal.Decimal):
        return {TAG: "decimal", "v": str(v)}
    if isinstance(v, pd.DataFrame):
        return {TAG: "frame", "index": _enc_index(v.index), "columns": _enc_index(v.columns),
                "data": [_enc_values(v.iloc[:, i]) for i in range(v.shape[1])], "attrs": _enc(dict(v.attrs))}
    if isinstance(v, pd.Series):
        return {TAG: "series", "index": _enc_index(v.index), "name": _enc(v.name), "data": _enc_values(v)}
    if isinstance(v, pd.Index):
        return {TAG: "index", "v": _enc_index(v)}
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "biuf":
            return {TAG: "ndarray", "dtype": str(v.dtype), "shape": list(v.shape), "v": v.ravel().tolist()}
        if v.dtype.kind in "mM":
            return {TAG: "ndarray_time", "dtype": str(v.dtype), "shape": list(v.shape),
                    "v": v.ravel().view("int64").tolist()}
        if v.dtype.kind == "U":
            return {TAG: "ndarray_str", "shape": list(v.shape), "v": v.ravel().tolist()}
        if v.dtype.kind == "O":
            return {TAG: "ndarray_obj", "shape": list(v.shape), "v": [_enc(x) for x in v.ravel().tolist()]}
        raise CodecError(f"cannot cache a numpy array of dtype {v.dtype}")
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        cls = type(v)
        if not cls.__module__.startswith(DATACLASS_MODULES):
            raise CodecError(f"cannot cache a {cls.__module__}.{cls.__qualname__}: not an allowed dataclass")
        return {TAG: "dc", "cls": f"{cls.__module__}:{cls.__qualname__}",
                "f": {f.name: _enc(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    component = _enc_component(v)
    if component is not None:
        return component
    raise CodecError(f"cannot cache a value of type {type(v).__module__}.{type(v).__qualname__}")


def _enc_component(v: Any) -> dict | None:
    """Dash components and plotly figures, or None when ``v`` is neither."""
    from dash.development.base_component import Component
    from plotly.basedatatypes import BaseFigure

    if isinstance(v, BaseFigure):
        return {TAG: "figure", "v": _enc(v.to_plotly_json())}
    if isinstance(v, Component):
        if v._namespace not in COMPONENT_MODULES:
            raise CodecError(f"cannot cache a component from {v._namespace!r}")
        props = {name: getattr(v, name) for name in v._prop_names if hasattr(v, name) and name != "children"}
        props.update({k: val for k, val in v.__dict__.items() if k.startswith(("data-", "aria-"))})
        if hasattr(v, "children"):
            props["children"] = v.children
        return {TAG: "component", "ns": v._namespace, "type": v._type, "props": _enc(props)}
    return None


def _enc_index(index: pd.Index) -> dict:
    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step], "name": _enc(index.name)}
    if isinstance(index, pd.MultiIndex):
        return {"multi": [_enc_values(pd.Series(index.get_level_values(i))) for i in range(index.nlevels)],
                "names": [_enc(n) for n in index.names]}
    return {"values": _enc_values(pd.Series(index, dtype=index.dtype)), "name": _enc(index.name)}


def _enc_values(s: pd.Series) -> dict:
    """One column: its dtype's name and its values in a form that rebuilds exactly that dtype."""
    dtype = s.dtype
    name = str(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        return {"dtype": "category", "categories": _enc_values(pd.Series(dtype.categories)),
                "ordered": bool(dtype.ordered), "codes": s.cat.codes.astype("int64").tolist()}
    if dtype.kind in "mM":
        return {"dtype": name, "i8": s.astype("int64").tolist(), "na": s.isna().tolist()}
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return {"dtype": name, "v": s.tolist()}
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(dtype, pd.CategoricalDtype):
        if name in ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
                    "Float64", "boolean") or isinstance(dtype, pd.StringDtype):
            na = s.isna().tolist()
            values = s.astype(object).tolist()
            return {"dtype": name, "na_value": _na_kind(dtype), "na": na,
                    "v": [None if missing else _enc(x) for x, missing in zip(values, na, strict=True)]}
        raise CodecError(f"cannot cache a column of dtype {name}")
    return {"dtype": "object", "v": [_enc(x) for x in s.tolist()]}


def _na_kind(dtype: Any) -> str:
    na = getattr(dtype, "na_value", pd.NA)
    return "NA" if na is pd.NA else "nan"


# ------------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------------

def _dec(v: Any) -> Any:  # noqa: C901, PLR0911, PLR0912
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if not isinstance(v, dict):
        return v
    tag = v.get(TAG)
    if tag is None:
        return {k: _dec(x) for k, x in v.items()}
    if tag == "NA":
        return pd.NA
    if tag == "NaT":
        return pd.NaT
    if tag == "npv":
        dtype = _numpy_dtype(v["dtype"], allow_time=True)
        return dtype.type(v["v"]) if dtype.kind not in "mM" else dtype.type(v["v"])
    if tag == "tuple":
        return tuple(_dec(x) for x in v["v"])
    if tag == "set":
        return {_dec(x) for x in v["v"]}
    if tag == "frozenset":
        return frozenset(_dec(x) for x in v["v"])
    if tag == "items":
        return {_dec(k): _dec(x) for k, x in v["v"]}
    if tag == "ts":
        return pd.Timestamp(v["v"]).as_unit(v.get("unit", "ns"))
    if tag == "datetime":
        return dt.datetime.fromisoformat(v["v"])
    if tag == "date":
        return dt.date.fromisoformat(v["v"])
    if tag == "timedelta":
        return pd.Timedelta(int(v["v"]))
    if tag == "decimal":
        return decimal.Decimal(str(v["v"]))
    if tag == "frame":
        columns = _dec_index(v["columns"])
        index = _dec_index(v["index"])
        data = [_dec_values(c) for c in v["data"]]
        # Each column as a Series of its own dtype: given a bare object array of strings, pandas would
        # infer its string dtype, and the value read back would differ from the one stored.
        frame = pd.DataFrame({i: pd.Series(c, index=index, dtype=object) if isinstance(c, np.ndarray)
                              and c.dtype == object else pd.Series(c, index=index)
                              for i, c in enumerate(data)}, index=index) if data else pd.DataFrame(index=index)
        frame.columns = columns
        frame.attrs.update(_dec(v.get("attrs") or {}))
        return frame
    if tag == "series":
        values = _dec_values(v["data"])
        dtype = object if isinstance(values, np.ndarray) and values.dtype == object else None
        return pd.Series(values, index=_dec_index(v["index"]), name=_dec(v["name"]), dtype=dtype)
    if tag == "index":
        return _dec_index(v["v"])
    if tag == "ndarray":
        return np.array(v["v"], dtype=_numpy_dtype(v["dtype"])).reshape(v["shape"])
    if tag == "ndarray_time":
        dtype = _numpy_dtype(v["dtype"], allow_time=True)
        return np.array(v["v"], dtype="int64").view(dtype).reshape(v["shape"])
    if tag == "ndarray_str":
        return np.array([str(x) for x in v["v"]], dtype=str).reshape(v["shape"])
    if tag == "ndarray_obj":
        out = np.empty(len(v["v"]), dtype=object)
        out[:] = [_dec(x) for x in v["v"]]
        return out.reshape(v.get("shape", [len(out)]))
    if tag == "dc":
        return _dec_dataclass(v)
    if tag == "figure":
        import plotly.graph_objects as go

        return go.Figure(_dec(v["v"]), skip_invalid=False)
    if tag == "component":
        module_name = COMPONENT_MODULES.get(v["ns"])
        if module_name is None:
            raise CodecError(f"component namespace {v['ns']!r} is not allowed")
        cls = getattr(importlib.import_module(module_name), str(v["type"]), None)
        from dash.development.base_component import Component

        if not (isinstance(cls, type) and issubclass(cls, Component)):
            raise CodecError(f"{v['type']!r} is not a component of {module_name}")
        return cls(**_dec(v["props"]))
    raise CodecError(f"unknown tag {str(tag)[:20]!r}")


def _dec_dataclass(v: dict) -> Any:
    module_name, _, qualname = str(v["cls"]).partition(":")
    if not module_name.startswith(DATACLASS_MODULES) or not qualname.isidentifier():
        raise CodecError(f"dataclass {module_name}:{qualname} is not allowed")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise CodecError(f"{module_name}:{qualname} is not a dataclass")
    names = {f.name for f in dataclasses.fields(cls)}
    if set(v["f"]) != names:
        raise CodecError(f"{qualname}: fields do not match the class")
    obj = object.__new__(cls)
    for name, raw in v["f"].items():
        object.__setattr__(obj, name, _dec(raw))  # as stored: no __post_init__ side effects
    return obj


def _numpy_dtype(name: str, allow_time: bool = False) -> np.dtype:
    dtype = np.dtype(str(name))
    if dtype.kind not in ("biuf" + ("mM" if allow_time else "")):
        raise CodecError(f"numpy dtype {name!r} is not allowed")
    return dtype


def _dec_index(v: dict) -> pd.Index:
    if "range" in v:
        start, stop, step = (int(x) for x in v["range"])
        return pd.RangeIndex(start, stop, step, name=_dec(v["name"]))
    if "multi" in v:
        return pd.MultiIndex.from_arrays([_dec_values(c) for c in v["multi"]], names=[_dec(n) for n in v["names"]])
    values = _dec_values(v["values"])
    return pd.Index(values, name=_dec(v["name"]), tupleize_cols=False)


def _dec_values(v: dict) -> Any:
    name = str(v["dtype"])
    if name == "category":
        categories = _dec_values(v["categories"])
        return pd.Categorical.from_codes(v["codes"], categories=categories, ordered=bool(v["ordered"]))
    if "i8" in v:
        dtype = _numpy_dtype(name, allow_time=True) if not name.startswith("datetime64[") or "," not in name else None
        values = np.array(v["i8"], dtype="int64")
        if dtype is None:  # timezone-aware: datetime64[ns, Europe/London]
            unit, tz = name[len("datetime64["):-1].split(",", 1)
            out = pd.to_datetime(values, unit=unit.strip()).tz_localize("UTC").tz_convert(tz.strip())
        else:
            out = values.view(dtype)
        out = pd.array(out)
        out[np.array(v["na"], dtype=bool)] = pd.NaT
        return out
    if "na" in v:
        values = [None if missing else _dec(x) for x, missing in zip(v["v"], v["na"], strict=True)]
        dtype = pd.StringDtype(na_value=np.nan) if name == "str" else pd.api.types.pandas_dtype(name)
        if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
            raise CodecError(f"dtype {name!r} is not allowed here")
        return pd.array(values, dtype=dtype)
    if name == "object":
        out = np.empty(len(v["v"]), dtype=object)
        out[:] = [_dec(x) for x in v["v"]]
        return out
    return np.array(v["v"], dtype=_numpy_dtype(name))
