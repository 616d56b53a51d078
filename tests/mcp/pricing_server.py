"""A real MCP server for the tests, built with the mcp SDK's own server framework.

``python pricing_server.py`` serves over stdio. ``python pricing_server.py http`` serves
streamable HTTP on a free port of 127.0.0.1, prints the port on its first line of stdout,
and answers only requests carrying ``Authorization: Bearer $PRICING_TOKEN``.

The catalogue needs ``PRICING_TOKEN`` in the server's environment (the client configures
it, as a real service's key): without it every tool says so.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import TypedDict

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("pricing", instructions="Prices and stock of the demo shop.")

_PRICES = {"A1": 2.5, "B2": 4.0, "C3": 10.0}
_STOCK = {"A1": 120, "B2": 0, "C3": 7}


class Price(TypedDict):
    sku: str
    unit_price: float
    currency: str


def _check_token() -> None:
    if not os.environ.get("PRICING_TOKEN"):
        raise ToolError("the server has no PRICING_TOKEN: configure it in its env")


@server.tool()
def lookup_price(sku: str, quantity: int = 1) -> Price:
    """Look up the unit price of a product by its SKU.

    Prices are in euros; quantity does not change the unit price."""
    _check_token()
    if sku not in _PRICES:
        raise ToolError(f"unknown SKU {sku!r}; known SKUs are {', '.join(_PRICES)}")
    return {"sku": sku, "unit_price": _PRICES[sku], "currency": "EUR"}


@server.tool()
def in_stock(sku: str) -> int:
    """How many units of a product are in stock."""
    _check_token()
    return _STOCK.get(sku, 0)


@server.tool(name="list-skus")
def list_skus() -> list[str]:
    """Every SKU of the catalogue."""
    return sorted(_PRICES)


@server.tool()
def whoami() -> str:
    """The account this server uses (echoes its credentials, as a careless server might)."""
    return f"demo account, token {os.environ.get('PRICING_TOKEN', '')}"


@server.tool()
def crash() -> str:
    """Stop the server at once (the tests' server that dies mid-run)."""
    os._exit(3)


def _serve_http() -> None:
    import uvicorn
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.responses import JSONResponse

    expected = f"Bearer {os.environ['PRICING_TOKEN']}"

    class RequireToken(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):  # type: ignore[no-untyped-def]
            if request.headers.get("authorization") != expected:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            return await call_next(request)

    app = server.streamable_http_app()
    app.add_middleware(RequireToken)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    print(listener.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listener])


if __name__ == "__main__":
    if sys.argv[1:] == ["http"]:
        _serve_http()
    else:
        server.run()
