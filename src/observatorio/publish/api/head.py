"""``HEAD`` answered like ``GET`` without a body, for every route (RFC 9110 §9.3.2).

FastAPI registers its routes for the methods they declare only, so ``curl -I`` got 405 on
every GET route. Rather than declaring HEAD on each route (and in the OpenAPI document), this
ASGI middleware hands the request on as a GET and drops the body on the way back: status and
headers (Content-Length, ETag, Content-Type…) are exactly GET's. It sits outside the ETag/304
middleware, so a conditional HEAD also answers 304.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Serve ``HEAD`` through the ``GET`` route and send headers only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.body":
                if finished or message.get("more_body", False):
                    return  # a streamed GET body: nothing of it goes out
                finished = True
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
