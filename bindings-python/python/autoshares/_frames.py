"""Tables of tabular results (`.to_arrow()`, `.to_pandas()`, `.to_polars()`): the native side hands over Arrow
buffers per column (see `bindings-python/src/frames.rs`); this wraps them into a `pyarrow.Table` without copying
and converts it. pyarrow, pandas and polars are optional: a missing one raises an `ImportError` naming the extra.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

# The results are `pyarrow.Table`, `pandas.DataFrame` and `polars.DataFrame`; typed `Any` so that checking the
# package needs none of the optional extras (nor their stubs).

# (name, kind, length, null_count, validity, data, offsets, scale), as frames.rs writes them.
_Column = tuple[str, str, int, int, "bytes | None", bytes, "bytes | None", int]

_EXTRA = {"pyarrow": "arrow", "pandas": "pandas", "polars": "polars"}


def _require(module: str, for_what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        extra = _EXTRA[module]
        raise ImportError(f"{for_what} needs the optional package `{module}`: pip install 'autoshares[{extra}]'") from e


def _table(columns: list[_Column], for_what: str) -> Any:
    pa = _require("pyarrow", for_what)
    names, arrays = [], []
    for name, kind, n, nulls, validity, data, offsets, scale in columns:
        vb = pa.py_buffer(validity) if validity is not None else None
        db = pa.py_buffer(data)
        if kind == "string":
            arr = pa.Array.from_buffers(pa.string(), n, [vb, pa.py_buffer(offsets), db], nulls)
        else:
            typ = {
                "int64": pa.int64(),
                "bool": pa.bool_(),
                "timestamp": pa.timestamp("us", tz="UTC"),
            }.get(kind) or pa.decimal128(38, scale)
            arr = pa.Array.from_buffers(typ, n, [vb, db], nulls)
        names.append(name)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=names)


def to_arrow(columns: list[_Column]) -> Any:
    """The columns as a `pyarrow.Table` (decimals as `decimal128`, times as `timestamp[us, UTC]`)."""
    return _table(columns, "to_arrow()")


def to_pandas(columns: list[_Column], *, decimals: Literal["arrow", "object", "float"] = "arrow") -> Any:
    """The columns as a `pandas.DataFrame`: nullable `Int64` and `boolean` columns, times as `datetime64[us, UTC]`,
    decimals exact as Arrow-backed `decimal128` (`decimals="object"`: `decimal.Decimal` objects; `"float"`:
    `float64`, inexact)."""
    pd = _require("pandas", "to_pandas()")
    table = _table(columns, "to_pandas()")
    pa = _require("pyarrow", "to_pandas()")

    def mapper(t: Any) -> Any:
        if pa.types.is_decimal(t):
            return pd.ArrowDtype(t) if decimals == "arrow" else None
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        return None

    if decimals == "float":
        table = table.cast(
            pa.schema([pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema])
        )
    return table.to_pandas(types_mapper=mapper)


def to_polars(columns: list[_Column]) -> Any:
    """The columns as a `polars.DataFrame` (decimals as `Decimal`, times as `Datetime("us", "UTC")`)."""
    pl = _require("polars", "to_polars()")
    return pl.from_arrow(_table(columns, "to_polars()"))
