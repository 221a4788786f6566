"""Technical indicators: `bars.with_indicators(...)` (computed by the Rust core) against independent implementations
on the same sandbox bars, to 1e-9 relative error (see `max_rel_error`): pandas arithmetic written here, and the `ta`
package where its definition is the same; then the sandbox's server-side indicators (asked by `IndicatorSignature`s,
computed by the sandbox's own code) against the local ones. The maximum relative error of each comparison is printed
(shown without `-s`) so that it can be quoted.

`make test` sets AUTOSHARES_TEST_EXTRAS=required, so there a missing pandas, pyarrow or ta fails instead of skipping.
"""

from __future__ import annotations

import importlib
import math
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import autoshares
import pytest
from autoshares import IndicatorSignature as Sig

BARS = 600
TOLERANCE = 1e-9


def extra(module: str) -> Any:
    if os.environ.get("AUTOSHARES_TEST_EXTRAS") == "required":
        return importlib.import_module(module)
    return pytest.importorskip(module)


def max_rel_error(mine: Any, reference: Any, *, from_row: int = 0) -> float:
    """Largest relative error over the rows from `from_row`, after checking that the same rows are empty.

    The error of a row is |a - b| / max(|a|, |b|, floor), where floor is 1e-3 of the reference column's largest
    magnitude: plain relative error for every value of prices, averages, RSI and ATR (never that small), and, for the
    oscillators that cross zero (MACD line and histogram), values within 0.1% of the column's range of zero are
    compared at that scale instead of their own (a difference of two EMAs that happens to be 1e-12 carries the
    rounding of the EMAs, ~1e-16 of the price, which no two implementations share)."""
    a = list(mine)[from_row:]
    b = list(reference)[from_row:]
    assert len(a) == len(b)

    def empty(v: Any) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    floor = 1e-3 * max((abs(y) for y in b if not empty(y)), default=0.0)
    worst = 0.0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert empty(x) == empty(y), f"row {from_row + i}: {x} vs {y} (one is in the warm-up, the other not)"
        if empty(x):
            continue
        scale = max(abs(x), abs(y), floor)
        if scale:
            worst = max(worst, abs(x - y) / scale)
    return worst


class Report:
    def __init__(self, capsys: pytest.CaptureFixture[str], title: str) -> None:
        self.capsys = capsys
        self.rows: list[tuple[str, str, float]] = []
        self.title = title

    def check(self, column: str, against: str, err: float) -> None:
        self.rows.append((column, against, err))
        assert err <= TOLERANCE, f"{column} vs {against}: max relative error {err:.3e}"

    def show(self) -> None:
        with self.capsys.disabled():
            print(f"\n{self.title}")
            for column, against, err in self.rows:
                print(f"  {column:<22} vs {against:<40} max relative error {err:.3e}")


@pytest.fixture(scope="module")
def client(sb: autoshares.Sandbox) -> autoshares.Client:
    return sb.client()


def end_time() -> datetime:
    """An hour boundary before the sandbox's clock (which follows the wall clock): closed candles only."""
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=1)


def request(end: datetime, count: int, indicators: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "security": {"symbol": "AAPL"},
        "security_history_settings": {"period": "1h", "interval": 0, "candles_count": count, "end_date": end},
    }
    if indicators:
        body["indicators_history_settings"] = indicators
    return body


SPEC: dict[str, Any] = dict(
    sma=20, ema=[12, 26], rsi=14, macd=(12, 26, 9), bollinger=(20, 2), vwap=[True, "session", 20], atr=14
)
COLUMNS = [
    "sma_20",
    "ema_12",
    "ema_26",
    "rsi_14",
    "macd_12_26_9",
    "macd_signal_12_26_9",
    "macd_hist_12_26_9",
    "bb_middle_20_2",
    "bb_upper_20_2",
    "bb_lower_20_2",
    "vwap",
    "vwap_session",
    "vwap_20",
    "atr_14",
]


def test_local_indicators_match_pandas_and_ta(client: autoshares.Client, capsys: pytest.CaptureFixture[str]) -> None:
    pd = extra("pandas")
    extra("pyarrow")
    h = client.history.bars(request(end_time(), BARS))
    candles = [b for s in h.security_history for b in s]
    assert len(candles) == BARS
    frame = h.with_indicators(**SPEC)
    assert frame.indicator_columns == COLUMNS
    assert len(frame) == BARS and frame.num_rows == BARS
    table = frame.to_arrow()
    assert all(str(table.schema.field(c).type) == "double" for c in COLUMNS)
    assert table.column("sma_20").null_count == 19, "nulls, not NaN, in the warm-up"
    df = frame.to_pandas()
    assert list(df["close"]) == [b.close for b in candles], "the bar columns are the bars' (exact decimals)"

    # The reference's inputs: the same decimals, as Python floats (correctly rounded).
    def col(name: str) -> Any:
        return pd.Series([float(getattr(b, name)) for b in candles], dtype="float64")

    close, high, low, volume = col("close"), col("high"), col("low"), col("volume")
    report = Report(capsys, f"local indicators over {BARS} sandbox bars (AAPL, 1h) vs independent implementations:")

    # pandas arithmetic: each definition written out here.
    report.check("sma_20", "pandas rolling(20).mean()", max_rel_error(df["sma_20"], close.rolling(20).mean()))
    for n in (12, 26):
        ref = close.ewm(span=n, adjust=False, min_periods=n).mean()
        report.check(f"ema_{n}", f"pandas ewm(span={n}, adjust=False)", max_rel_error(df[f"ema_{n}"], ref))

    def wilder(x: Any, n: int, seed_rows: slice, first: int) -> Any:
        """Wilder's smoothing as pandas arithmetic: the mean of `seed_rows` at row `first`, then ewm(alpha=1/n)."""
        s = x.copy()
        s.iloc[:first] = float("nan")
        s.iloc[first] = x.iloc[seed_rows].mean()
        return s.ewm(alpha=1 / n, adjust=False).mean()

    d = close.diff()
    gain, loss = d.clip(lower=0), (-d).clip(lower=0)
    avg_gain, avg_loss = wilder(gain, 14, slice(1, 15), 14), wilder(loss, 14, slice(1, 15), 14)
    rsi = (100 - 100 / (1 + avg_gain / avg_loss)).where(avg_loss != 0, 100.0).where(avg_gain.notna())
    report.check("rsi_14", "pandas Wilder (SMA seed, ewm alpha=1/14)", max_rel_error(df["rsi_14"], rsi))

    line = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    line.iloc[:25] = float("nan")
    signal = line.ewm(span=9, adjust=False, min_periods=9).mean()
    report.check("macd_12_26_9", "pandas ewm(12) - ewm(26)", max_rel_error(df["macd_12_26_9"], line))
    report.check("macd_signal_12_26_9", "pandas ewm(9) of the line", max_rel_error(df["macd_signal_12_26_9"], signal))
    report.check("macd_hist_12_26_9", "pandas line - signal", max_rel_error(df["macd_hist_12_26_9"], line - signal))

    mid, sd = close.rolling(20).mean(), close.rolling(20).std(ddof=0)
    report.check("bb_middle_20_2", "pandas rolling mean", max_rel_error(df["bb_middle_20_2"], mid))
    report.check("bb_upper_20_2", "pandas mean + 2 std(ddof=0)", max_rel_error(df["bb_upper_20_2"], mid + 2 * sd))
    report.check("bb_lower_20_2", "pandas mean - 2 std(ddof=0)", max_rel_error(df["bb_lower_20_2"], mid - 2 * sd))

    tp = (high + low + close) / 3
    pv = tp * volume
    report.check("vwap", "pandas cumsum(tp*v)/cumsum(v)", max_rel_error(df["vwap"], pv.cumsum() / volume.cumsum()))
    day = pd.Series([b.time.date() for b in candles])
    assert day.nunique() > 1, "the bars span several UTC days"
    session = pv.groupby(day).cumsum() / volume.groupby(day).cumsum()
    report.check("vwap_session", "pandas cumsum per UTC day", max_rel_error(df["vwap_session"], session))
    rolling = pv.rolling(20).sum() / volume.rolling(20).sum()
    report.check("vwap_20", "pandas rolling(20) sums", max_rel_error(df["vwap_20"], rolling))

    prev = close.shift(1)
    tr = pd.concat([high - low, (high - prev).abs(), (low - prev).abs()], axis=1).max(axis=1)
    atr = wilder(tr, 14, slice(0, 14), 13)
    report.check("atr_14", "pandas Wilder (mean of 14 TR, ewm 1/14)", max_rel_error(df["atr_14"], atr))

    # The `ta` package, for the indicators it defines the same way.
    ta = extra("ta")
    report.check(
        "sma_20", "ta SMAIndicator", max_rel_error(df["sma_20"], ta.trend.SMAIndicator(close, 20).sma_indicator())
    )
    report.check(
        "ema_12", "ta EMAIndicator", max_rel_error(df["ema_12"], ta.trend.EMAIndicator(close, 12).ema_indicator())
    )
    m = ta.trend.MACD(close, window_slow=26, window_fast=12, window_sign=9)
    report.check("macd_12_26_9", "ta MACD.macd", max_rel_error(df["macd_12_26_9"], m.macd()))
    report.check(
        "macd_signal_12_26_9", "ta MACD.macd_signal", max_rel_error(df["macd_signal_12_26_9"], m.macd_signal())
    )
    report.check("macd_hist_12_26_9", "ta MACD.macd_diff", max_rel_error(df["macd_hist_12_26_9"], m.macd_diff()))
    bb = ta.volatility.BollingerBands(close, window=20, window_dev=2)
    report.check("bb_middle_20_2", "ta BollingerBands.mavg", max_rel_error(df["bb_middle_20_2"], bb.bollinger_mavg()))
    report.check("bb_upper_20_2", "ta BollingerBands.hband", max_rel_error(df["bb_upper_20_2"], bb.bollinger_hband()))
    report.check("bb_lower_20_2", "ta BollingerBands.lband", max_rel_error(df["bb_lower_20_2"], bb.bollinger_lband()))
    v = ta.volume.VolumeWeightedAveragePrice(high, low, close, volume, window=20)
    report.check(
        "vwap_20", "ta VolumeWeightedAveragePrice(20)", max_rel_error(df["vwap_20"], v.volume_weighted_average_price())
    )
    # ta's ATR writes 0 (not NaN) in the warm-up: compared from the first value on.
    ta_atr = ta.volatility.AverageTrueRange(high, low, close, window=14).average_true_range()
    report.check("atr_14", "ta AverageTrueRange (from row 13)", max_rel_error(df["atr_14"], ta_atr, from_row=13))
    # ta's RSI counts a zero first change and seeds its averages with it (not Wilder's mean of the first 14): the
    # two agree once that seed has decayed, (13/14)^k; compared on the last 200 bars.
    ta_rsi = ta.momentum.RSIIndicator(close, window=14).rsi()
    report.check(
        "rsi_14",
        "ta RSIIndicator (last 200 bars: seeds differ)",
        max_rel_error(df["rsi_14"], ta_rsi, from_row=BARS - 200),
    )
    report.show()


def test_server_indicators_match_local_ones(client: autoshares.Client, capsys: pytest.CaptureFixture[str]) -> None:
    extra("pandas")
    extra("pyarrow")
    end = end_time()
    first = client.history.bars(request(end, BARS))
    local = first.with_indicators(sma=20, ema=12, rsi=14, macd=(12, 26, 9), bollinger=(20, 2), vwap=20, atr=14)
    df = local.to_pandas()
    cases = [
        (Sig.sma("1h", 20), ["sma_20"]),
        (Sig.ema("1h", 12), ["ema_12"]),
        (Sig.rsi("1h", 14), ["rsi_14"]),
        (Sig.macd("1h", 12, 26, 9), ["macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"]),
        (Sig.bollinger("1h", 20, 2), ["bb_middle_20_2", "bb_upper_20_2", "bb_lower_20_2"]),
        (Sig.vwap("1h", 20, 2), ["vwap_20"]),
        (Sig.atr("1h", 14), ["atr_14"]),
    ]
    # The server computes each indicator from exactly the warm-up candles it needs before the first one it shows;
    # asking it to show the candles after our warm-up makes it start from our first bar, as the core did.
    settings = []
    warm_ups = []
    for sig, columns in cases:
        warm = max(int(df[c].isna().to_numpy().argmin()) for c in columns)
        warm_ups.append(warm)
        settings.append(sig.settings(interval=0, candles_count=BARS - warm, end_date=end))
    served = client.history.bars(request(end, BARS, settings))
    candles = [b for s in served.security_history for b in s]
    assert candles == [b for s in first.security_history for b in s], "the same bars in both answers"
    report = Report(capsys, f"server-side indicators (sandbox, own code) vs the core's, {BARS} bars:")
    for (sig, columns), warm, series in zip(cases, warm_ups, served.indicators_history, strict=True):
        assert len(series) == BARS - warm, f"{sig}: a value at every candle shown"
        by_time = {p.date: [float(x) for x in p.values] for p in series}
        rows = [by_time.get(b.time) for b in candles]
        assert all(r is None for r in rows[:warm]) and all(r is not None for r in rows[warm:])
        for i, column in enumerate(columns):
            theirs = [None if r is None else r[i] for r in rows]
            report.check(column, f"server {sig}", max_rel_error(df[column], theirs, from_row=warm))
        if sig.study == "VWAP":
            # The server's bands: +-2 volume-weighted standard deviations of the typical price, as pandas arithmetic.
            import numpy as np

            tp = np.array([(float(b.high) + float(b.low) + float(b.close)) / 3 for b in candles])
            vol = np.array([float(b.volume) for b in candles])
            upper, lower = [], []
            for j in range(BARS):
                if j < warm:
                    upper.append(None)
                    lower.append(None)
                    continue
                w, t = vol[j - 19 : j + 1], tp[j - 19 : j + 1]
                vw = float((w * t).sum() / w.sum())
                sd = math.sqrt(float((w * (t - vw) ** 2).sum() / w.sum()))
                upper.append(vw + 2 * sd)
                lower.append(vw - 2 * sd)
            report.check("vwap bands (upper)", f"numpy, server {sig}", max_rel_error([r and r[1] for r in rows], upper))
            report.check("vwap bands (lower)", f"numpy, server {sig}", max_rel_error([r and r[2] for r in rows], lower))
    report.show()


def test_signatures_are_built_and_checked_by_the_core() -> None:
    assert Sig.macd("4h", 12, 26, 9) == "MACD|4h|false|12|26|9"
    assert isinstance(Sig.macd("4h", 12, 26, 9), str)
    assert Sig.bollinger("1h", 22, 2) == "Bollinger|1h|false|22|2|0"
    assert Sig.of("StochRSI", "1D", 14, 3, 3, signal_line=True) == "StochRSI|1D|true|14|3|3"
    s = Sig.parse("macd|4h|false|12|26|9")
    assert s == "MACD|4h|false|12|26|9" and s.study == "MACD" and s.period == "4h" and s.params == [12, 26, 9]
    assert Sig.sma("1h", 10).settings(candles_count=5) == {
        "signature": "SMA|1h|false|10|0",
        "period": "1h",
        "candles_count": 5,
    }
    for make, field in [
        (lambda: Sig.macd("4h", 26, 12, 9), "signature.fast"),
        (lambda: Sig.sma("1h", 0), "signature.period"),
        (lambda: Sig.bollinger("1h", 20, -1), "signature.deviations"),
        (lambda: Sig.rsi("1h", 14.5), "signature.period"),  # type: ignore[arg-type]
        (lambda: Sig.rsi("7x", 14), "period"),  # type: ignore[arg-type]
        (lambda: Sig.parse("SAR|1h|false|1|1"), "signature"),
    ]:
        with pytest.raises(autoshares.ValidationError) as e:
            make()
        assert e.value.field == field


def test_bad_specs_are_refused_before_anything_is_computed(client: autoshares.Client) -> None:
    h = client.history.bars(request(end_time(), 30))
    with pytest.raises(autoshares.ValidationError) as e:
        h.with_indicators(macd=(26, 12, 9))
    assert e.value.field == "macd.fast"
    with pytest.raises(autoshares.ValidationError) as e:
        h.with_indicators(sma=-3)
    assert e.value.field == "sma.period"
    with pytest.raises(TypeError, match="sma= takes"):
        h.with_indicators(sma=True)
    with pytest.raises(TypeError, match="vwap= takes"):
        h.with_indicators(vwap="weekly")
    with pytest.raises(TypeError):
        h.with_indicators(smma=3)  # type: ignore[call-arg]


def test_compute_indicators_works_on_any_columns(client: autoshares.Client) -> None:
    pd = extra("pandas")
    h = client.history.bars(request(end_time(), 120))
    candles = [b for s in h.security_history for b in s]
    expected = h.with_indicators(rsi=14, atr=14, vwap="session").to_pandas()
    frame = pd.DataFrame(
        {
            "open": [float(b.open) for b in candles],
            "high": [float(b.high) for b in candles],
            "low": [float(b.low) for b in candles],
            "close": [float(b.close) for b in candles],
            "volume": [float(b.volume) for b in candles],
            "time": [b.time for b in candles],
        }
    )
    for data in (frame, frame.to_dict("list"), candles):
        got = autoshares.compute_indicators(data, rsi=14, atr=14, vwap="session")
        assert got.column_names == ["rsi_14", "vwap_session", "atr_14"]
        out = got.to_pandas()
        for c in got.column_names:
            assert max_rel_error(out[c], expected[c]) == 0.0, (type(data), c)
    closes_only = {"close": [1.0, 2.0, 3.0, Decimal("2")]}
    assert autoshares.compute_indicators(closes_only, sma=2).to_pandas()["sma_2"].tolist()[1:] == [1.5, 2.5, 2.5]
    with pytest.raises(autoshares.ValidationError) as e:
        autoshares.compute_indicators(closes_only, atr=2)
    assert e.value.field == "bars[0].high"
    with pytest.raises(KeyError, match="'close'"):
        autoshares.compute_indicators({"open": [1.0]}, sma=2)
