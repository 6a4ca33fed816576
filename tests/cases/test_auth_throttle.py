"""The sign-in throttle counts failures per (username, address) pair, so that nobody can lock an
officer out by guessing at their username from elsewhere (OWASP authentication cheat sheet),
while a username-wide limit still bounds guessing spread over many addresses.

The throttle used to count a username's failures from every address against the limit of 5:
five wrong passwords every 15 minutes, from anywhere, kept the officer out. The addresses here
are the TCP peers the API sees (``request.client``), as the served app sees them when no proxy is
trusted (tests/publish/test_proxies.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from observatorio.cases.auth import throttle_address
from observatorio.cases.config import CasesConfig
from observatorio.cases.errors import Misconfigured
from observatorio.cases.runtime import Runtime

from .conftest import PASSWORD, make_app

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.10"


@contextmanager
def _from(rt: Runtime, address: str) -> Iterator[TestClient]:
    """A client whose requests come from ``address``."""
    with TestClient(make_app(rt), client=(address, 50000)) as c:
        yield c


def _sign_in(c: TestClient, username: str, password: str) -> Response:
    return c.post("/api/v1/auth/token", data={"username": username, "password": password})


def _guess(rt: Runtime, username: str, address: str, times: int) -> None:
    with _from(rt, address) as c:
        for _ in range(times):
            assert _sign_in(c, username, "a guess").status_code == 401


def test_failures_from_one_address_do_not_lock_the_officer_out_elsewhere(rt: Runtime, world) -> None:
    _guess(rt, "gtm_officer", ATTACKER, rt.config.max_failures_per_user_ip)
    with _from(rt, ATTACKER) as attacker:
        # the pair is throttled, even with the right password
        r = _sign_in(attacker, "gtm_officer", PASSWORD)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    with _from(rt, OFFICE) as office:
        assert _sign_in(office, "gtm_officer", PASSWORD).status_code == 200
        # the officer's own wrong password still counts for their own pair from the start
        for _ in range(rt.config.max_failures_per_user_ip):
            assert _sign_in(office, "gtm_officer", "typo").status_code == 401
        assert _sign_in(office, "gtm_officer", PASSWORD).status_code == 429


def test_a_success_clears_its_own_address_only(rt: Runtime, world) -> None:
    below = rt.config.max_failures_per_user_ip - 1
    _guess(rt, "gtm_officer", ATTACKER, below)
    _guess(rt, "gtm_officer", OFFICE, below)
    with _from(rt, OFFICE) as office:
        assert _sign_in(office, "gtm_officer", PASSWORD).status_code == 200
        for _ in range(below):  # the office's pair starts again
            assert _sign_in(office, "gtm_officer", "typo").status_code == 401
        assert _sign_in(office, "gtm_officer", PASSWORD).status_code == 200
    # the attacker's failures were not forgiven by the officer's sign-in
    with _from(rt, ATTACKER) as attacker:
        assert _sign_in(attacker, "gtm_officer", "a guess").status_code == 401
        assert _sign_in(attacker, "gtm_officer", PASSWORD).status_code == 429


def _spread(rt: Runtime, username: str, failures: int) -> None:
    """``failures`` wrong passwords for ``username``, from as many addresses as the pair's limit
    needs (one fewer per address than the pair's limit, so no pair is throttled)."""
    per_address = rt.config.max_failures_per_user_ip - 1
    n = 0
    while failures > 0:
        _guess(rt, username, f"192.0.2.{n}", min(per_address, failures))
        failures -= per_address
        n += 1


def test_the_username_wide_limit_bounds_guessing_from_many_addresses(rt: Runtime, world) -> None:
    limit = rt.config.max_failures_per_user
    assert limit > rt.config.max_failures_per_user_ip  # the documented default: 50 against 5
    _spread(rt, "gtm_officer", limit - 1)
    with _from(rt, OFFICE) as office:
        assert _sign_in(office, "gtm_officer", PASSWORD).status_code == 200
    _guess(rt, "gtm_officer", "192.0.2.250", 1)  # the limit-th failure
    with _from(rt, OFFICE) as office:
        r = _sign_in(office, "gtm_officer", PASSWORD)
    assert r.status_code == 429
    # other accounts are untouched
    with _from(rt, "192.0.2.251") as other:
        assert _sign_in(other, "gtm_head", PASSWORD).status_code == 200


def test_the_username_wide_refusal_does_not_tell_whether_the_username_exists(rt: Runtime, world) -> None:
    limit = rt.config.max_failures_per_user
    _spread(rt, "gtm_officer", limit)
    _spread(rt, "no.such.officer", limit)
    with _from(rt, OFFICE) as office:
        real, unknown = (_sign_in(office, name, PASSWORD) for name in ("gtm_officer", "no.such.officer"))
    assert real.status_code == unknown.status_code == 429
    assert real.json() == unknown.json() and real.headers["retry-after"] == unknown.headers["retry-after"]
    assert real.json()["detail"]["es"].startswith("Demasiados")


def test_the_per_address_limit_still_stops_spraying(rt: Runtime, world) -> None:
    with _from(rt, ATTACKER) as attacker:
        for n in range(rt.config.max_failures_per_ip):
            assert _sign_in(attacker, f"spray{n}", "a guess").status_code == 401
        # a username this address never tried is refused too
        assert _sign_in(attacker, "gtm_head", PASSWORD).status_code == 429
    with _from(rt, OFFICE) as office:
        assert _sign_in(office, "gtm_head", PASSWORD).status_code == 200


def test_the_address_is_not_taken_from_forwarding_headers(rt: Runtime, world) -> None:
    # A guesser cannot get a fresh pair per request by naming another address in a header: the
    # app counts the peer (uvicorn rewrites it only for OBSERVATORIO_FORWARDED_ALLOW_IPS).
    with _from(rt, ATTACKER) as attacker:
        for n in range(rt.config.max_failures_per_user_ip):
            forged = {"X-Forwarded-For": f"192.0.2.{n}", "X-Real-IP": f"192.0.2.{n}", "Forwarded": f"for=192.0.2.{n}"}
            r = attacker.post("/api/v1/auth/token", data={"username": "gtm_officer", "password": "a guess"},
                              headers=forged)
            assert r.status_code == 401
        r = attacker.post("/api/v1/auth/token", data={"username": "gtm_officer", "password": PASSWORD},
                          headers={"X-Forwarded-For": OFFICE})
        assert r.status_code == 429


@pytest.mark.parametrize("user_limit", [3, 5])
def test_a_username_limit_not_above_the_pairs_is_refused_at_start(user_limit: int) -> None:
    """One sender would reach a username-wide limit at or below the pair's first, locking the
    officer out from every address: the setting is refused, in both languages, naming both."""
    with pytest.raises(Misconfigured) as refused:
        CasesConfig(max_failures_per_user=user_limit, max_failures_per_user_ip=5)
    assert "OBSERVATORIO_CASES_MAX_FAILURES_PER_USER" in refused.value.message("en")
    assert f"({user_limit})" in refused.value.message("es") and "(5)" in refused.value.message("es")
    assert CasesConfig(max_failures_per_user=6, max_failures_per_user_ip=5).max_failures_per_user == 6


def test_an_ipv6_client_cannot_rotate_its_addresses_past_the_limits(rt: Runtime, world) -> None:
    """A client given an IPv6 /64 (a home network, one host) counted address by address could
    change address at every guess and never reach the pair's or the address's limit; it is
    counted by its /64, while a neighbour network is not affected."""
    limit = rt.config.max_failures_per_user_ip
    for n in range(limit):
        _guess(rt, "gtm_officer", f"2001:db8:1:2::{n + 1:x}", 1)
    with _from(rt, "2001:db8:1:2:ffff::9") as c:  # another address of the same /64
        assert _sign_in(c, "gtm_officer", PASSWORD).status_code == 429
    with _from(rt, "2001:db8:1:3::1") as c:  # the next /64: someone else
        assert _sign_in(c, "gtm_officer", PASSWORD).status_code == 200


def test_addresses_are_counted_by_client() -> None:
    assert throttle_address("2001:db8:1:2::abcd") == "2001:db8:1:2::/64"
    assert throttle_address("::ffff:203.0.113.66") == "203.0.113.66"  # IPv4 through a dual stack
    assert throttle_address("203.0.113.66") == "203.0.113.66"
    assert throttle_address("testclient") == "testclient" and throttle_address(None) is None
