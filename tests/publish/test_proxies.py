"""The served app believes X-Forwarded-For only from configured proxies (#10 item 15): a real
uvicorn server on 127.0.0.1, configured as ``observatorio serve`` configures it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from observatorio.publish.proxies import uvicorn_proxy_options
from observatorio.settings import Settings


async def _echo_peer(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    """The client address the application sees (what throttling and the audit record)."""
    if scope["type"] != "http":
        return
    host = (scope.get("client") or ("?", 0))[0]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": host.encode()})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(settings: Settings) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(_echo_peer, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", **uvicorn_proxy_options(settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        for _ in range(500):  # wait for the socket, not for a duration
            if server.started:
                break
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join()


FORGED = {"X-Forwarded-For": "203.0.113.66"}


def test_forwarded_for_is_ignored_by_default() -> None:
    with _serving(Settings()) as url:
        assert httpx.get(url, headers=FORGED, trust_env=False).text == "127.0.0.1"


def test_forwarded_for_is_believed_from_a_configured_proxy() -> None:
    with _serving(Settings(forwarded_allow_ips="127.0.0.1")) as url:
        assert httpx.get(url, headers=FORGED, trust_env=False).text == "203.0.113.66"
    with _serving(Settings(forwarded_allow_ips="10.0.0.1, 10.0.0.2")) as url:
        assert httpx.get(url, headers=FORGED, trust_env=False).text == "127.0.0.1"
