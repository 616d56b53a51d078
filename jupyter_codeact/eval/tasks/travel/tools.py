"""Travel planning in June 2024 between Lisbon, Madrid, Paris, Berlin and Rome: flights,
hotels, attractions and weather forecasts. Prices are in euros; dates are written
YYYY-MM-DD and must fall between 2024-06-10 and 2024-06-20."""

from __future__ import annotations

import zlib

_CITIES = ("Lisbon", "Madrid", "Paris", "Berlin", "Rome")
_AIRLINES = {"Lisbon": "TP", "Madrid": "IB", "Paris": "AF", "Berlin": "EW", "Rome": "AZ"}
# Rough flight times in minutes, which also set the base fare.
_MINUTES = {
    frozenset(("Lisbon", "Madrid")): 75,
    frozenset(("Lisbon", "Paris")): 150,
    frozenset(("Lisbon", "Berlin")): 210,
    frozenset(("Lisbon", "Rome")): 180,
    frozenset(("Madrid", "Paris")): 125,
    frozenset(("Madrid", "Berlin")): 185,
    frozenset(("Madrid", "Rome")): 150,
    frozenset(("Paris", "Berlin")): 110,
    frozenset(("Paris", "Rome")): 125,
    frozenset(("Berlin", "Rome")): 130,
}
_HOTELS = {
    "Lisbon": [
        ("Casa Alfama", 95, 4.3, 1.2),
        ("Tejo Grand", 180, 4.7, 0.6),
        ("Bairro Hostel", 38, 3.9, 0.9),
        ("Belem Suites", 130, 4.5, 6.1),
    ],
    "Madrid": [
        ("Hotel Sol", 110, 4.1, 0.3),
        ("Retiro Park Inn", 89, 4.4, 2.1),
        ("Gran Via Palace", 210, 4.8, 0.5),
    ],
    "Paris": [
        ("Hotel Lumiere", 165, 4.2, 1.5),
        ("Le Petit Marais", 140, 4.6, 0.8),
        ("Montmartre View", 120, 3.8, 3.4),
        ("Palais Royal Residence", 320, 4.9, 0.4),
        ("Gare du Nord Budget", 79, 3.5, 2.6),
    ],
    "Berlin": [
        ("Spree Loft", 115, 4.4, 1.9),
        ("Mitte Hostel", 45, 3.7, 0.7),
        ("Tiergarten Hotel", 150, 4.6, 1.1),
        ("Kreuzberg Rooms", 72, 4.0, 3.0),
    ],
    "Rome": [
        ("Albergo Trevi", 175, 4.5, 0.3),
        ("Trastevere House", 98, 4.3, 1.6),
        ("Termini Express", 65, 3.6, 1.9),
        ("Villa Borghese Suites", 240, 4.8, 2.2),
    ],
}
_ATTRACTIONS = {
    "Lisbon": [
        ("Belem Tower", "monument", 10, 1.5),
        ("Oceanarium", "museum", 25, 3.0),
        ("Alfama walk", "walk", 0, 2.0),
        ("Gulbenkian Museum", "museum", 15, 2.5),
    ],
    "Madrid": [
        ("Prado Museum", "museum", 15, 3.0),
        ("Royal Palace", "monument", 14, 2.0),
        ("Retiro Park", "park", 0, 2.0),
        ("Reina Sofia", "museum", 12, 2.5),
    ],
    "Paris": [
        ("Louvre", "museum", 22, 4.0),
        ("Eiffel Tower", "monument", 29, 2.0),
        ("Musee d'Orsay", "museum", 16, 3.0),
        ("Seine walk", "walk", 0, 1.5),
        ("Sainte-Chapelle", "monument", 13, 1.0),
    ],
    "Berlin": [
        ("Pergamon Museum", "museum", 19, 2.5),
        ("Brandenburg Gate", "monument", 0, 0.5),
        ("East Side Gallery", "monument", 0, 1.0),
        ("Reichstag Dome", "monument", 0, 1.5),
        ("Neues Museum", "museum", 14, 2.0),
    ],
    "Rome": [
        ("Colosseum", "monument", 18, 2.5),
        ("Vatican Museums", "museum", 20, 4.0),
        ("Borghese Gallery", "museum", 15, 2.0),
        ("Pantheon", "monument", 5, 1.0),
        ("Trastevere walk", "walk", 0, 2.0),
    ],
}
_FORECASTS = ("sunny", "partly cloudy", "cloudy", "rain", "thunderstorms")
_BASE_HIGH = {"Lisbon": 26, "Madrid": 30, "Paris": 22, "Berlin": 21, "Rome": 29}


def _city(name: str) -> str:
    city = name.strip().title()
    if city not in _CITIES:
        raise ValueError(f"Unknown city {name!r}: use one of {', '.join(_CITIES)}.")
    return city


def _date(date: str) -> str:
    text = date.strip()
    if not ("2024-06-10" <= text <= "2024-06-20" and len(text) == 10):
        raise ValueError(f"No data for {date!r}: use a date from 2024-06-10 to 2024-06-20.")
    return text


def _numbers(*key: str) -> list[int]:
    """Stable pseudo-random numbers for a key (the same in every run and process)."""
    seed = zlib.crc32("|".join(key).encode())
    values = []
    for _ in range(16):
        seed = (seed * 1103515245 + 12345) % 2**31
        values.append(seed)
    return values


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def find_flights(origin: str, destination: str, date: str) -> list[dict[str, object]]:
    """The flights from one city to another on a date, in order of departure: each
    {"flight", "departure", "arrival" (local times HH:MM, same time zone), "price",
    "stops"}."""
    start, end, day = _city(origin), _city(destination), _date(date)
    if start == end:
        raise ValueError("Origin and destination are the same city.")
    numbers = _numbers(start, end, day)
    duration = _MINUTES[frozenset((start, end))]
    flights = []
    for index in range(3 + numbers[0] % 3):
        departs = 6 * 60 + index * 200 + numbers[index + 1] % 12 * 5
        stops = 1 if numbers[index + 6] % 4 == 0 else 0
        minutes = duration + stops * 95
        price = duration // 2 + 30 + numbers[index + 11] % 90 - stops * 25
        airline = _AIRLINES[start] if index % 2 == 0 else _AIRLINES[end]
        flights.append(
            {
                "flight": f"{airline}{100 + numbers[index + 1] % 900}",
                "departure": _clock(departs),
                "arrival": _clock(departs + minutes),
                "price": price,
                "stops": stops,
            }
        )
    return flights


def find_hotels(city: str) -> list[dict[str, object]]:
    """The hotels of a city: each {"name", "price_per_night", "rating" (out of 5),
    "km_to_center"}."""
    return [
        {"name": name, "price_per_night": price, "rating": rating, "km_to_center": km}
        for name, price, rating, km in _HOTELS[_city(city)]
    ]


def get_attractions(city: str) -> list[dict[str, object]]:
    """The main attractions of a city: each {"name", "category" (museum, monument, park or
    walk), "ticket_price", "hours" (time a visit takes)}."""
    return [
        {"name": name, "category": category, "ticket_price": price, "hours": hours}
        for name, category, price, hours in _ATTRACTIONS[_city(city)]
    ]


def get_weather(city: str, date: str) -> dict[str, object]:
    """The weather forecast for a city on a date: {"forecast", "high_c"}."""
    place, day = _city(city), _date(date)
    numbers = _numbers("weather", place, day)
    return {
        "forecast": _FORECASTS[numbers[0] % len(_FORECASTS)],
        "high_c": _BASE_HIGH[place] + numbers[1] % 9 - 4,
    }
