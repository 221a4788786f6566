"""Tables of tabular results (`.to_arrow()`, `.to_pandas()`, `.to_polars()`): the native side hands over Arrow
columns through the Arrow C stream interface (an `ArrowTable`, see `bindings-python/src/arrow_c.rs`), which
pyarrow and polars import without copying. pyarrow, pandas and polars are optional: a missing one raises an
`ImportError` naming the extra.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from ._native import ArrowTable

# The results are `pyarrow.Table`, `pandas.DataFrame` and `polars.DataFrame`; typed `Any` so that checking the
# package needs none of the optional extras (nor their stubs).

_EXTRA = {"pyarrow": "arrow", "pandas": "pandas", "polars": "polars"}


def _require(module: str, for_what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        extra = _EXTRA[module]
        raise ImportError(f"{for_what} needs the optional package `{module}`: pip install 'autoshares[{extra}]'") from e


def _table(source: ArrowTable, for_what: str) -> Any:
    return _require("pyarrow", for_what).table(source)


def to_arrow(source: ArrowTable) -> Any:
    """The columns as a `pyarrow.Table` (decimals as `decimal128`, times as `timestamp[us, UTC]`)."""
    return _table(source, "to_arrow()")


def to_pandas(source: ArrowTable, *, decimals: Literal["arrow", "object", "float"] = "arrow") -> Any:
    """The columns as a `pandas.DataFrame`: nullable `Int64` and `boolean` columns, times as `datetime64[us, UTC]`,
    decimals exact as Arrow-backed `decimal128` (`decimals="object"`: `decimal.Decimal` objects; `"float"`:
    `float64`, inexact)."""
    pd = _require("pandas", "to_pandas()")
    table = _table(source, "to_pandas()")
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


def to_polars(source: ArrowTable) -> Any:
    """The columns as a `polars.DataFrame` (decimals as `Decimal`, times as `Datetime("us", "UTC")`), imported by
    polars itself through the Arrow PyCapsule interface: pyarrow is not needed."""
    return _require("polars", "to_polars()").DataFrame(source)
