"""Technical indicators, two ways: asked of the server by a typed signature, or computed locally by the core.

```python
import autoshares
from autoshares import IndicatorSignature as Sig

h = client.history.bars({
    "security": {"symbol": "AAPL"},
    "security_history_settings": {"period": "1h", "interval": 0, "candles_count": 500},
    "indicators_history_settings": [{"signature": Sig.macd("1h", 12, 26, 9)}],   # server-side, checked here
})
df = h.with_indicators(sma=20, ema=[12, 26], rsi=14, macd=True, bollinger=(20, 2), vwap=True, atr=14).to_pandas()
ind = autoshares.compute_indicators(my_frame, rsi=14).to_pandas()    # any columns open/high/low/close/volume
```

Local indicators are `float64` statistics (prices are converted from their exact decimals once), null in each
indicator's warm-up; the definitions (Wilder's RSI and ATR, EMA seeded with the first close, population standard
deviation for the Bollinger bands, VWAP of the typical price) are documented in the core's `indicators` module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ._native import (
    BarsWithIndicators,
    _compute_indicators,
    _indicator_signature,
    _parse_indicator_signature,
)

__all__ = ["BarsWithIndicators", "ChartPeriod", "IndicatorSignature", "compute_indicators"]

ChartPeriod = Literal["1m", "2m", "3m", "5m", "10m", "15m", "30m", "1h", "2h", "4h", "1D", "1W", "1M", "3M", "6M", "1Y"]
"""A chart period: minutes are lower-case `m`, months upper-case `M`."""


class IndicatorSignature(str):
    """A server-side indicator signature (`"MACD|4h|false|12|26|9"`), built and checked by the core: a `str`, so it
    goes wherever the request wants one (`{"signature": IndicatorSignature.rsi("1h", 14)}`). Bad parameters (a zero
    period, a fast period not shorter than the slow one, a non-positive multiplier) are a `ValidationError` naming
    `signature.<parameter>`; the string is never written by hand."""

    __slots__ = ()

    @classmethod
    def of(cls, study: str, period: ChartPeriod, *params: float, signal_line: bool = False) -> IndicatorSignature:
        """Any study the SDK knows by its vendor name (`"StochRSI"`, `"KeltnerChannels"`, ...) and its parameters."""
        return cls(_indicator_signature(study, period, [float(p) for p in params], signal_line))

    @classmethod
    def parse(cls, text: str) -> IndicatorSignature:
        """A signature read back (from a log or a saved request), checked and written the SDK's way."""
        return cls(_parse_indicator_signature(text)[4])

    @property
    def study(self) -> str:
        """The indicator's vendor name (`"MACD"`)."""
        return str(_parse_indicator_signature(self)[0])

    @property
    def period(self) -> str:
        """The candle period (`"4h"`)."""
        return str(_parse_indicator_signature(self)[1])

    @property
    def signal_line(self) -> bool:
        """The `UseSignalLine` flag."""
        return bool(_parse_indicator_signature(self)[2])

    @property
    def params(self) -> list[float]:
        """The parameters in signature order (without the overlays' trailing 0)."""
        return list(_parse_indicator_signature(self)[3])

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The `indicators_history_settings` entry: this signature, its period, plus `extra` (`start_date=`, ...)."""
        return {"signature": self, "period": self.period, **extra}

    @classmethod
    def sma(cls, period: ChartPeriod, length: int, *, signal_line: bool = False) -> IndicatorSignature:
        """`SMA|period|false|length|0`."""
        return cls.of("SMA", period, length, signal_line=signal_line)

    @classmethod
    def ema(cls, period: ChartPeriod, length: int, *, signal_line: bool = False) -> IndicatorSignature:
        """`EMA|period|false|length|0`."""
        return cls.of("EMA", period, length, signal_line=signal_line)

    @classmethod
    def rsi(cls, period: ChartPeriod, length: int, *, signal_line: bool = False) -> IndicatorSignature:
        """`RSI|period|false|length`."""
        return cls.of("RSI", period, length, signal_line=signal_line)

    @classmethod
    def atr(cls, period: ChartPeriod, length: int, *, signal_line: bool = False) -> IndicatorSignature:
        """`ATR|period|false|length`."""
        return cls.of("ATR", period, length, signal_line=signal_line)

    @classmethod
    def macd(
        cls, period: ChartPeriod, fast: int, slow: int, signal: int, *, signal_line: bool = False
    ) -> IndicatorSignature:
        """`MACD|period|false|fast|slow|signal`; the server answers `[line, signal, histogram]` per candle."""
        return cls.of("MACD", period, fast, slow, signal, signal_line=signal_line)

    @classmethod
    def bollinger(
        cls, period: ChartPeriod, length: int, deviations: float, *, signal_line: bool = False
    ) -> IndicatorSignature:
        """`Bollinger|period|false|length|deviations|0`."""
        return cls.of("Bollinger", period, length, deviations, signal_line=signal_line)

    @classmethod
    def vwap(
        cls, period: ChartPeriod, length: int, deviations: float, *, signal_line: bool = False
    ) -> IndicatorSignature:
        """`VWAP|period|false|length|deviations|0`."""
        return cls.of("VWAP", period, length, deviations, signal_line=signal_line)


def _column(data: Any, name: str, required: bool) -> list[float | None] | None:
    """Column `name` of a mapping of columns (a `dict`, a pandas or polars `DataFrame`, a pyarrow `Table`)."""
    try:
        col = data[name]
    except Exception as e:  # KeyError (dict, pandas, pyarrow), polars' ColumnNotFoundError
        if required:
            raise KeyError(f"compute_indicators: the data has no {name!r} column") from e
        return None
    if hasattr(col, "to_pylist"):  # pyarrow
        col = col.to_pylist()
    elif hasattr(col, "to_list"):  # pandas, polars
        col = col.to_list()
    return [None if v is None else float(v) for v in col]


def compute_indicators(
    data: Any,
    *,
    sma: int | Sequence[int] | None = None,
    ema: int | Sequence[int] | None = None,
    rsi: int | Sequence[int] | None = None,
    macd: bool | tuple[int, int, int] | Sequence[tuple[int, int, int]] | None = None,
    bollinger: bool | int | tuple[int, float] | Sequence[int | tuple[int, float]] | None = None,
    vwap: bool | str | int | tuple[str, int] | Sequence[bool | str | int | tuple[str, int]] | None = None,
    atr: int | Sequence[int] | None = None,
) -> BarsWithIndicators:
    """The same indicators as `bars.with_indicators(...)` over any bars: a list of candle models (anything with
    `open`, `high`, `low`, `close`, `volume` and `time` attributes) or a mapping of columns by those names (a `dict`
    of lists, a pandas or polars `DataFrame`, a pyarrow `Table`; only `close` is required, and what an indicator
    needs must be there). The result has the indicator columns only, one row per bar:
    `df.join(compute_indicators(df, rsi=14).to_pandas().set_index(df.index))`."""
    names = ("open", "high", "low", "close", "volume")
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)) and not isinstance(data, Mapping):
        rows = list(data)

        def attr(name: str) -> list[float | None]:
            return [None if getattr(r, name, None) is None else float(getattr(r, name)) for r in rows]

        cols = {n: attr(n) for n in names}
        times = [getattr(r, "time", None) for r in rows]
        time: list[Any] | None = times if any(t is not None for t in times) else None
    else:
        cols = {n: _column(data, n, n == "close") for n in names}
        time = _column_raw(data, "time")
    return _compute_indicators(
        cols["open"],
        cols["high"],
        cols["low"],
        cols["close"] or [],
        cols["volume"],
        time,
        sma=sma,
        ema=ema,
        rsi=rsi,
        macd=macd,
        bollinger=bollinger,
        vwap=vwap,
        atr=atr,
    )


def _column_raw(data: Any, name: str) -> list[Any] | None:
    """The times of a mapping of columns as aware `datetime`s (for the session VWAP), or `None`."""
    try:
        col = data[name]
    except Exception:
        return None
    if hasattr(col, "to_pylist"):
        col = col.to_pylist()
    elif hasattr(col, "dt") and hasattr(col.dt, "to_pydatetime"):  # pandas
        col = list(col.dt.to_pydatetime())
    elif hasattr(col, "to_list"):
        col = col.to_list()
    return list(col)
