"""A simulated web browser on the website of Northwind Outfitters, an outdoor shop, at
https://outfitters.example. Pages are shown one screen (8 lines) at a time; links look
like [text](/path). The browser remembers its history, so go_back() returns to the
previous page."""

from __future__ import annotations

SITE = "https://outfitters.example"
SCREEN_LINES = 8

_TENTS = [
    # slug, name, price, persons, weight g, seasons, rating, colours
    ("summit-2", "Summit 2", 349.00, 2, 1850, 3, 4.6, "green, orange"),
    ("trailhead-3", "Trailhead 3", 289.00, 3, 2650, 3, 4.2, "grey"),
    ("alpine-4", "Alpine 4", 629.00, 4, 3900, 4, 4.8, "yellow"),
    ("featherlite-1", "Featherlite 1", 399.00, 1, 980, 3, 4.4, "sand"),
    ("basecamp-6", "Basecamp 6", 549.00, 6, 7400, 3, 4.1, "blue, grey"),
    ("ridge-3", "Ridge 3", 319.00, 3, 1990, 3, 4.7, "red"),
    ("storm-2", "Storm 2", 459.00, 2, 2450, 4, 4.5, "orange"),
]
_PACKS = [
    # slug, name, price, litres, weight g, rating
    ("ridgeline-45", "Ridgeline 45", 189.00, 45, 1420, 4.5),
    ("daytripper-22", "Daytripper 22", 79.00, 22, 640, 4.3),
    ("expedition-70", "Expedition 70", 299.00, 70, 2280, 4.7),
    ("ultralite-35", "Ultralite 35", 219.00, 35, 760, 4.4),
    ("commuter-18", "Commuter 18", 69.00, 18, 820, 3.9),
]
_STOVES = [
    # slug, name, price, fuel, boil time s, weight g, rating
    ("ember", "Ember", 64.50, "canister", 210, 88, 4.4),
    ("blaze-pro", "Blaze Pro", 139.00, "canister", 150, 370, 4.8),
    ("woodsman", "Woodsman", 49.00, "wood", 420, 460, 4.0),
    ("multifuel-x", "Multifuel X", 179.00, "liquid", 230, 410, 4.6),
]
_STORES = [
    # city, weekday hours, sunday hours ("" = closed)
    ("Aberdeen", "09:00-18:00", ""),
    ("Bristol", "09:00-19:00", "11:00-16:00"),
    ("Cardiff", "10:00-18:00", ""),
    ("Derby", "09:00-17:30", "10:00-16:00"),
    ("Edinburgh", "09:00-20:00", "11:00-17:00"),
    ("Exeter", "09:30-18:00", ""),
    ("Glasgow", "09:00-19:30", "11:00-17:00"),
    ("Inverness", "09:00-17:00", ""),
    ("Kendal", "08:30-18:00", "10:00-16:00"),
    ("Leeds", "09:00-20:30", "11:00-17:00"),
    ("Manchester", "09:00-20:00", "11:00-17:00"),
    ("Norwich", "09:00-18:00", ""),
    ("Oxford", "09:00-19:00", "10:30-16:30"),
    ("Plymouth", "09:00-17:30", ""),
    ("York", "09:00-18:30", "10:00-16:00"),
]
_POSTS = [
    # slug, title, date, body
    (
        "winter-sale",
        "Winter sale starts now",
        "2024-01-08",
        [
            "Our winter sale runs until the end of January.",
            "All four-season tents are 15% off.",
            "Use the code FROSTBITE15 at checkout.",
        ],
    ),
    (
        "spring-trails",
        "Five spring trails in the Lake District",
        "2024-03-19",
        [
            "Spring is here and the fells are calling.",
            "Our staff picked five walks between 8 and 19 km.",
            "Readers of this post get 10% off backpacks with the code FELLS10.",
            "The longest walk, the Fairfield Horseshoe, is 17.7 km.",
        ],
    ),
    (
        "stove-guide",
        "How to choose a camping stove",
        "2024-02-11",
        [
            "Canister stoves are light and quick; wood stoves need no fuel to carry.",
            "Liquid-fuel stoves work best in deep cold.",
            "Save 5 pounds on any stove this month with the code SIMMER5.",
        ],
    ),
]


def _link(text: str, path: str) -> str:
    return f"[{text}]({path})"


def _pages() -> dict[str, tuple[str, list[str]]]:
    pages: dict[str, tuple[str, list[str]]] = {}
    pages["/"] = (
        "Northwind Outfitters",
        [
            "Gear for the hills since 1987.",
            "Shop by category:",
            _link("Tents", "/tents"),
            _link("Backpacks", "/backpacks"),
            _link("Stoves", "/stoves"),
            "More:",
            _link("Store locations", "/stores"),
            _link("Blog", "/blog"),
            _link("Help", "/help"),
        ],
    )
    tent_lines = ["All tents, by popularity:"]
    for slug, name, price, persons, *_ in _TENTS:
        tent_lines.append(f"{_link(name, '/tents/' + slug)} - ${price:.2f} - {persons} person")
    pages["/tents"] = ("Tents", tent_lines)
    for slug, name, price, persons, weight, seasons, rating, colours in _TENTS:
        pages[f"/tents/{slug}"] = (
            f"{name} tent",
            [
                f"Price: ${price:.2f}",
                f"Sleeps: {persons} person",
                f"Seasons: {seasons}",
                f"Colours: {colours}",
                f"Customer rating: {rating} out of 5",
                f"Weight: {weight} g",
                _link("All tents", "/tents"),
            ],
        )
    pack_lines = ["All backpacks:"]
    for slug, name, price, litres, *_ in _PACKS:
        pack_lines.append(f"{_link(name, '/backpacks/' + slug)} - ${price:.2f} - {litres} L")
    pages["/backpacks"] = ("Backpacks", pack_lines)
    for slug, name, price, litres, weight, rating in _PACKS:
        pages[f"/backpacks/{slug}"] = (
            f"{name} backpack",
            [
                f"Price: ${price:.2f}",
                f"Volume: {litres} L",
                f"Weight: {weight} g",
                f"Customer rating: {rating} out of 5",
            ],
        )
    stove_lines = ["All stoves:"]
    for slug, name, price, fuel, *_ in _STOVES:
        stove_lines.append(f"{_link(name, '/stoves/' + slug)} - ${price:.2f} - {fuel}")
    pages["/stoves"] = ("Stoves", stove_lines)
    for slug, name, price, fuel, boil, weight, rating in _STOVES:
        pages[f"/stoves/{slug}"] = (
            f"{name} stove",
            [
                f"Price: ${price:.2f}",
                f"Fuel: {fuel}",
                f"Boils 1 litre in {boil} seconds",
                f"Weight: {weight} g",
                f"Customer rating: {rating} out of 5",
            ],
        )
    store_lines = ["Our stores (Mon-Sat hours; Sunday hours):"]
    for city, weekdays, sunday in _STORES:
        store_lines.append(f"{city}: Mon-Sat {weekdays}; Sunday {sunday or 'closed'}")
    pages["/stores"] = ("Store locations", store_lines)
    blog_lines = ["Latest posts first:"]
    for slug, title, date, _ in sorted(_POSTS, key=lambda post: post[2], reverse=True):
        blog_lines.append(f"{date} {_link(title, '/blog/' + slug)}")
    pages["/blog"] = ("Blog", blog_lines)
    for slug, title, date, body in _POSTS:
        pages[f"/blog/{slug}"] = (title, [f"Posted on {date}", *body, _link("Blog", "/blog")])
    pages["/help"] = (
        "Help",
        [
            "Shipping: standard delivery takes 3-5 working days.",
            "Orders over $150 ship for free; below that, shipping costs $7.95.",
            "Returns: unused items can be returned within 45 days for a full refund.",
            "Price match: we match any UK retailer's price within 14 days of purchase.",
            "Questions? Write to help@outfitters.example.",
        ],
    )
    return pages


_PAGES = _pages()
_history: list[tuple[str, int]] = []  # (path, first line shown)


def _path(url: str) -> str:
    path = url.strip()
    if path.startswith(SITE):
        path = path[len(SITE) :]
    path = "/" + path.strip("/") if path.strip("/") else "/"
    if path not in _PAGES:
        raise ValueError(f"404 Not Found: {SITE}{path}")
    return path


def _render() -> str:
    path, first = _history[-1]
    title, lines = _PAGES[path]
    screens = max(1, -(-len(lines) // SCREEN_LINES))
    screen = first // SCREEN_LINES + 1
    shown = lines[first : first + SCREEN_LINES]
    header = f"{title} | {SITE}{path} | screen {screen} of {screens}"
    footer = "(end of page)" if screen == screens else "(more below: scroll_down())"
    return "\n".join([header, *shown, footer])


def visit(url: str) -> str:
    """Open a page of the site by its URL (or its path, such as /tents) and show its first
    screen."""
    _history.append((_path(url), 0))
    return _render()


def click(link_text: str) -> str:
    """Follow the link with this text on the screen shown now, and show the new page."""
    if not _history:
        raise RuntimeError("No page is open: visit() one first.")
    path, first = _history[-1]
    shown = _PAGES[path][1][first : first + SCREEN_LINES]
    wanted = link_text.strip().lower()
    for line in shown:
        start = line.find("[")
        while start != -1:
            end = line.find("](", start)
            close = line.find(")", end)
            if end == -1 or close == -1:
                break
            if line[start + 1 : end].lower() == wanted:
                return visit(line[end + 2 : close])
            start = line.find("[", close)
    raise ValueError(f"No link {link_text!r} on this screen.")


def scroll_down() -> str:
    """Show the next screen of the current page."""
    if not _history:
        raise RuntimeError("No page is open: visit() one first.")
    path, first = _history[-1]
    if first + SCREEN_LINES >= len(_PAGES[path][1]):
        raise ValueError("Already at the end of the page.")
    _history[-1] = (path, first + SCREEN_LINES)
    return _render()


def go_back() -> str:
    """Return to the previous page, at the screen it was left on."""
    if len(_history) < 2:
        raise RuntimeError("There is no previous page.")
    _history.pop()
    return _render()
