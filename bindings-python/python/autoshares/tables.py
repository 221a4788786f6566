"""Any list of models of one class as a table: `autoshares.to_pandas(rows)` (and `to_arrow`, `to_polars`).

```python
quotes = [event.quote for event in events if isinstance(event, autoshares.QuoteEvent)]
frame = autoshares.to_pandas(quotes)         # one row per quote, exact decimals
```

Results with rows of their own (bars, option chains, pages of orders, positions and transactions) also have
`.to_arrow()`, `.to_pandas()` and `.to_polars()` methods. The columns are the class's scalar attributes; nested
values and secrets are left out (`to_dict()` has them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from autoshares import _native


def to_arrow(rows: Iterable[Any]) -> Any:
    """`rows` (models of one class) as a `pyarrow.Table` (extra `arrow`)."""
    return _native._rows_table("to_arrow", list(rows))


def to_pandas(rows: Iterable[Any], *, decimals: Literal["arrow", "object", "float"] = "arrow") -> Any:
    """`rows` (models of one class) as a `pandas.DataFrame` (extra `pandas`); `decimals` as in `.to_pandas()`."""
    return _native._rows_table("to_pandas", list(rows), decimals)


def to_polars(rows: Iterable[Any]) -> Any:
    """`rows` (models of one class) as a `polars.DataFrame` (extra `polars`)."""
    return _native._rows_table("to_polars", list(rows))
