"""Adversarial review of the sign-in throttle: guesses sent at once must not outrun it.

The throttle counted a username's (and an address's) failures, then checked the password
(argon2: tens of milliseconds at the production cost), then recorded the failure. Every guess in
flight passed the count before any of them was recorded, so a burst of N parallel guesses got N
tries where the window allows 5 (per server process and thread pool: dozens per burst). Each of
the three limits (a username from one address, a username from every address, an address over
every username) must hold against a burst.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from observatorio.cases.auth import authenticate, hash_password
from observatorio.cases.config import CasesConfig
from observatorio.cases.errors import Throttled, Unauthenticated
from observatorio.cases.models import User
from observatorio.cases.runtime import Runtime

from .conftest import PASSWORD, World

# A real argon2id cost (RFC 9106's option at a smaller memory), so a check takes the time it
# takes in production rather than the tests' microseconds.
COSTLY = CasesConfig(argon2_time_cost=3, argon2_memory_cost=16384, argon2_parallelism=1)
GUESSES = 16
# The username-wide limit lowered (default 50) so that a burst over it stays a few dozen threads.
SPREAD = COSTLY.model_copy(update={"max_failures_per_user": 8})


def _burst(rt: Runtime, attempts: list[tuple[str, str | None]], cfg: CasesConfig = COSTLY) -> tuple[int, int]:
    """The wrong-password attempts (username, address) at once: (answered "bad credentials",
    throttled)."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def guess(username: str, ip: str | None) -> None:
        try:
            with rt.sessions() as s:
                barrier.wait()
                try:
                    authenticate(s, username, "not the password", ip, cfg)
                    outcome = "signed in"
                except Throttled:
                    outcome = "throttled"
                except Unauthenticated:
                    outcome = "bad credentials"
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:  # surfaced below; a thread cannot fail the test directly
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=attempt) for attempt in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert "signed in" not in outcomes and len(outcomes) == len(attempts)
    return outcomes.count("bad credentials"), outcomes.count("throttled")


def _costly_password(rt: Runtime, username: str) -> None:
    with rt.sessions() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        user.password_hash = hash_password(PASSWORD, COSTLY)
        s.commit()


def test_parallel_guesses_get_no_more_tries_than_the_pair_limit(rt: Runtime, world: World) -> None:
    _costly_password(rt, "gtm_head")
    # one address guessing one username: the pair's limit stops them
    attempts = [("gtm_head", "198.51.100.7")] * (COSTLY.max_failures_per_user_ip + GUESSES)
    tried, throttled = _burst(rt, attempts)
    assert tried <= COSTLY.max_failures_per_user_ip, (tried, throttled)


def test_parallel_guesses_get_no_more_tries_than_the_username_limit(rt: Runtime, world: World) -> None:
    _costly_password(rt, "gtm_head")
    # every guess from its own address: only the username-wide limit can stop them
    attempts = [("gtm_head", f"198.51.100.{n}") for n in range(SPREAD.max_failures_per_user + GUESSES)]
    tried, throttled = _burst(rt, attempts, SPREAD)
    assert tried <= SPREAD.max_failures_per_user, (tried, throttled)


def test_parallel_guesses_get_no_more_tries_than_the_address_limit(rt: Runtime, world: World) -> None:
    # one address spraying as many usernames at once: only the address's limit can stop them
    attempts = [(f"nobody-{n}", "203.0.113.7") for n in range(COSTLY.max_failures_per_ip + GUESSES)]
    tried, throttled = _burst(rt, attempts)
    assert tried <= COSTLY.max_failures_per_ip, (tried, throttled)


def test_the_right_password_still_signs_in_below_the_limit(rt: Runtime, world: World) -> None:
    _costly_password(rt, "gtm_head")
    below = COSTLY.max_failures_per_user_ip - 1
    assert _burst(rt, [("gtm_head", None)] * below) == (below, 0)
    with rt.sessions() as s:
        assert authenticate(s, "gtm_head", PASSWORD, None, COSTLY).username == "gtm_head"
    # the success forgot the failures: as many wrong tries as the limit are answered again
    limit = COSTLY.max_failures_per_user_ip
    assert _burst(rt, [("gtm_head", None)] * limit) == (limit, 0)
