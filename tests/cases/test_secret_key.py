"""The signing key of tokens and CSRF: a configured key too short for HMAC-SHA256 is refused
with a message that says what to do, never used (PyJWT would only warn)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio.cases.config import MIN_SECRET_BYTES, secret_key_for
from observatorio.cases.errors import Misconfigured
from observatorio.settings import Settings


def test_a_short_configured_key_is_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    with pytest.raises(Misconfigured) as err:
        secret_key_for(Settings(secret_key="x" * (MIN_SECRET_BYTES - 1)), url)
    assert "OBSERVATORIO_SECRET_KEY" in err.value.es and "OBSERVATORIO_SECRET_KEY" in err.value.en
    assert secret_key_for(Settings(secret_key="x" * MIN_SECRET_BYTES), url) == "x" * MIN_SECRET_BYTES


def test_the_generated_key_is_long_enough_for_every_hmac(tmp_path) -> None:
    key = secret_key_for(Settings(), f"sqlite:///{tmp_path / 'cases.sqlite'}")
    assert len(key.encode()) >= 64  # HS512 would need 64 bytes; HS256 needs 32


def test_the_api_answers_a_short_key_with_a_bilingual_503(tmp_path) -> None:
    from observatorio.cases.api import router

    app = FastAPI()
    app.state.settings = Settings(secret_key="changeme", cases_db=f"sqlite:///{tmp_path / 'c.sqlite'}")
    app.include_router(router)
    with TestClient(app) as client:
        r = client.post("/api/v1/auth/token", data={"username": "a", "password": "b"})
    assert r.status_code == 503
    assert "OBSERVATORIO_SECRET_KEY" in r.json()["detail"]["es"]
