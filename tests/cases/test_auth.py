"""Authentication: argon2 hashes, expiring and forged tokens, throttled logins."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest
from sqlalchemy import select

from observatorio.cases.auth import issue_token
from observatorio.cases.models import User

from .conftest import PASSWORD, TEST_SETTINGS, login

SECRET = TEST_SETTINGS.secret_key or ""


def test_passwords_are_argon2id(rt, world) -> None:
    with rt.sessions() as s:
        hashes = s.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_login_and_me(client, world) -> None:
    h = login(client, "gtm_head")
    me = client.get("/api/v1/auth/me", headers=h).json()
    assert me["username"] == "gtm_head" and me["memberships"][0]["role"] == "consular_head"


def test_wrong_password(client, world) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "gtm_head", "password": "nope"})
    assert r.status_code == 401 and r.json()["detail"]["es"] and r.json()["detail"]["en"]
    r = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "nope"})
    assert r.status_code == 401


def _b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


def _forged(world) -> dict[str, str]:
    uid = world.users["gtm_head"]
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"sub": str(uid), "typ": "access", "iat": now, "exp": now + 600, "jti": "x"}
    return {
        "wrong_key": jwt.encode(claims, "attacker-key-attacker-key-attacker-key", algorithm="HS256"),
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "tampered_sub": (lambda t: t.split(".")[0] + "." + _b64({**claims, "sub": "1"}) + "." + t.split(".")[2])(
            jwt.encode(claims, SECRET, algorithm="HS256")),
        "wrong_type": jwt.encode({**claims, "typ": "session"}, SECRET, algorithm="HS256"),
        "missing_exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        "garbage": "not.a.token",
        "hs512": jwt.encode(claims, SECRET, algorithm="HS512"),
    }


@pytest.mark.parametrize("kind", ["wrong_key", "alg_none", "tampered_sub", "wrong_type", "missing_exp",
                                  "garbage", "hs512"])
def test_forged_tokens_rejected(client, world, kind) -> None:
    token = _forged(world)[kind]
    r = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_expired_token_rejected(client, world) -> None:
    token, _ = issue_token(world.users["gtm_head"], SECRET, ttl_minutes=-1)
    r = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "expir" in r.json()["detail"]["en"]


def test_missing_token(client, world) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/people/1").status_code == 401


def test_deactivated_user_token_rejected(client, rt, world) -> None:
    h = login(client, "gtm_head")
    with rt.sessions() as s:
        u = s.get(User, world.users["gtm_head"])
        assert u is not None
        u.active = False
        s.commit()
    assert client.get("/api/v1/cases", headers=h).status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": "gtm_head", "password": PASSWORD})
    assert r.status_code == 401


def test_login_throttled(client, rt, world) -> None:
    for _ in range(rt.config.max_failures_per_user_ip):
        r = client.post("/api/v1/auth/token", data={"username": "gtm_officer", "password": "guess"})
        assert r.status_code == 401
    # even the right password is refused while throttled, so guessing cannot continue
    r = client.post("/api/v1/auth/token", data={"username": "gtm_officer", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["detail"]["es"].startswith("Demasiados")
    # other users are not locked out by someone guessing one account
    assert client.post("/api/v1/auth/token", data={"username": "gtm_head", "password": PASSWORD}).status_code == 200


def test_ip_throttle_across_usernames(client, rt, world) -> None:
    for i in range(rt.config.max_failures_per_ip):
        client.post("/api/v1/auth/token", data={"username": f"spray{i}", "password": "x"})
    r = client.post("/api/v1/auth/token", data={"username": "gtm_head", "password": PASSWORD})
    assert r.status_code == 429


def test_successful_login_resets_counter(client, rt, world) -> None:
    for _ in range(rt.config.max_failures_per_user_ip - 1):
        client.post("/api/v1/auth/token", data={"username": "gtm_officer", "password": "guess"})
    login(client, "gtm_officer")
    for _ in range(rt.config.max_failures_per_user_ip - 1):
        client.post("/api/v1/auth/token", data={"username": "gtm_officer", "password": "guess"})
    login(client, "gtm_officer")
