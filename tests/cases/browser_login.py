"""Signing in through the login form in Chromium, shared by the officer browser tests."""

from __future__ import annotations

from typing import Any

from .conftest import PASSWORD


def sign_in(page: Any, server: str, username: str) -> None:
    """Fill the login form as ``username`` and wait for "my work"."""
    page.goto(f"{server}/cases/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/cases/work?lang=*")
