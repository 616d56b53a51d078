"""Market data and trade calculations for two weeks of March 2024 (trading days
2024-03-04 to 2024-03-08 and 2024-03-11 to 2024-03-15). Prices are closing prices in US
dollars; currencies are USD, EUR, GBP, JPY and CHF."""

from __future__ import annotations

_DATES = (
    "2024-03-04",
    "2024-03-05",
    "2024-03-06",
    "2024-03-07",
    "2024-03-08",
    "2024-03-11",
    "2024-03-12",
    "2024-03-13",
    "2024-03-14",
    "2024-03-15",
)
_CLOSES = {
    "ACME": (83.45, 81.76, 82.77, 80.67, 81.06, 80.56, 78.45, 78.68, 76.51, 76.37),
    "NOVA": (138.87, 135.52, 135.2, 138.41, 135.37, 133.27, 134.71, 138.97, 140.01, 139.42),
    "ORBT": (39.17, 38.11, 39.09, 38.66, 37.86, 37.01, 36.65, 37.49, 36.81, 37.09),
    "VELA": (102.47, 101.87, 102.45, 99.79, 97.18, 95.57, 96.93, 96.71, 95.79, 96.56),
}
# Market quotes: USD per EUR and per GBP; JPY and CHF per USD.
_USD_PER = {
    "EUR": (1.0846, 1.0829, 1.0854, 1.0871, 1.0849, 1.0856, 1.0858, 1.089, 1.091, 1.0892),
    "GBP": (1.2729, 1.269, 1.2682, 1.2708, 1.2672, 1.2671, 1.2624, 1.2641, 1.2668, 1.2676),
}
_PER_USD = {
    "JPY": (149.15, 149.37, 149.14, 149.03, 148.93, 148.99, 148.58, 148.06, 148.09, 147.89),
    "CHF": (0.8871, 0.8857, 0.8846, 0.8812, 0.8789, 0.8804, 0.8812, 0.88, 0.8834, 0.8837),
}
_DIVIDENDS = {
    "ACME": [("2023-11-15", 0.38), ("2024-02-14", 0.41), ("2024-03-13", 0.41)],
    "NOVA": [("2024-01-10", 1.05)],
    "ORBT": [],
    "VELA": [("2023-12-06", 0.62), ("2024-03-06", 0.65)],
}
_BROKERS = {
    "Quantum": {"per_trade": 4.95, "percent_of_value": 0.10},
    "Harbor": {"per_trade": 0.0, "percent_of_value": 0.25},
    "Pennywise": {"per_trade": 9.99, "percent_of_value": 0.0},
}
# Import tariff rates (percent of the value in USD) by category; some origins pay less.
_TARIFFS = {
    "electronics": 2.5,
    "textiles": 12.0,
    "steel": 25.0,
    "furniture": 4.0,
    "coffee": 0.0,
}
_REDUCED = {("textiles", "Canada"): 0.0, ("steel", "Mexico"): 10.0, ("furniture", "Vietnam"): 1.5}


def _day(date: str) -> int:
    try:
        return _DATES.index(date.strip())
    except ValueError:
        raise ValueError(
            f"No market data for {date!r}: dates are trading days from 2024-03-04 to "
            "2024-03-15, written YYYY-MM-DD."
        ) from None


def _usd_value(currency: str, day: int) -> float:
    code = currency.strip().upper()
    if code == "USD":
        return 1.0
    if code in _USD_PER:
        return _USD_PER[code][day]
    if code in _PER_USD:
        return 1.0 / _PER_USD[code][day]
    raise ValueError(f"Unknown currency {currency!r}: use USD, EUR, GBP, JPY or CHF.")


def get_price(ticker: str, date: str) -> float:
    """The closing price of a stock (ACME, NOVA, ORBT or VELA) on a trading day, in USD."""
    code = ticker.strip().upper()
    if code not in _CLOSES:
        raise ValueError(f"Unknown ticker {ticker!r}: use ACME, NOVA, ORBT or VELA.")
    return _CLOSES[code][_day(date)]


def get_exchange_rate(base: str, quote: str, date: str) -> float:
    """How many units of the quote currency one unit of the base currency buys on a
    trading day, to 6 decimals."""
    day = _day(date)
    return round(_usd_value(base, day) / _usd_value(quote, day), 6)


def convert_currency(amount: float, base: str, quote: str, date: str) -> float:
    """Convert an amount of the base currency into the quote currency at that day's rate,
    rounded to 2 decimals."""
    return round(amount * get_exchange_rate(base, quote, date), 2)


def get_dividends(ticker: str) -> list[dict[str, object]]:
    """The dividends a stock paid, as [{"ex_date": "YYYY-MM-DD", "amount": USD per share}],
    oldest first. Shares held on the ex-date receive the dividend."""
    code = ticker.strip().upper()
    if code not in _DIVIDENDS:
        raise ValueError(f"Unknown ticker {ticker!r}: use ACME, NOVA, ORBT or VELA.")
    return [{"ex_date": date, "amount": amount} for date, amount in _DIVIDENDS[code]]


def get_fee_schedule(broker: str) -> dict[str, float]:
    """A broker's fees for each trade (buy or sell): a fixed fee in USD ("per_trade") plus a
    percentage of the trade's value ("percent_of_value"). Brokers: Quantum, Harbor,
    Pennywise."""
    name = broker.strip().capitalize()
    if name not in _BROKERS:
        raise ValueError(f"Unknown broker {broker!r}: use Quantum, Harbor or Pennywise.")
    return dict(_BROKERS[name])


def calculate_tariff(value_usd: float, category: str, origin: str) -> float:
    """The import tariff in USD on goods worth value_usd of a category (electronics,
    textiles, steel, furniture, coffee) from an origin country, rounded to 2 decimals."""
    kind = category.strip().lower()
    if kind not in _TARIFFS:
        raise ValueError(f"Unknown category {category!r}: use one of {', '.join(_TARIFFS)}.")
    rate = _REDUCED.get((kind, origin.strip().title()), _TARIFFS[kind])
    return round(value_usd * rate / 100, 2)
