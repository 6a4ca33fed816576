"""Which peers may tell the server a client's address (X-Forwarded-For, X-Forwarded-Proto).

uvicorn believes those headers from 127.0.0.1 by default, so any local process could choose the
address that login throttling counts and the audit records. Here nobody is believed unless
the deployment names its reverse proxies (``OBSERVATORIO_FORWARDED_ALLOW_IPS``, comma-separated
addresses or networks).
"""

from __future__ import annotations

from typing import Any

from observatorio.settings import Settings


def trusted_proxies(settings: Settings) -> list[str]:
    """The configured proxy addresses (empty: trust none)."""
    return [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """``uvicorn.run``/``uvicorn.Config`` keyword arguments for the configured proxies."""
    proxies = trusted_proxies(settings)
    if not proxies:
        # Without proxy_headers uvicorn adds no proxy middleware: the TCP peer is the client.
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}
