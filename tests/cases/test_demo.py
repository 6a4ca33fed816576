"""``cases demo`` (cases/demo.py) gives a newcomer one account per role of the policy, the
statistics side's included: without a provider, a reviewer and a publisher nobody could walk a
data submission, and the docs promised "one user per role"."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from observatorio.cases import audit, demo
from observatorio.cases.policy import get_policy
from observatorio.cases.submission_models import ProvidedSource
from observatorio.store import Store
from publish.snapshot_example import FILE, MAPPING

from .conftest import TEST_SETTINGS, make_app


def test_one_account_per_role_and_a_source_to_submit(rt, tmp_path) -> None:
    with rt.sessions() as s:
        result = demo.build(s, rt.config, n_cases=3, seed=1)
        assert {role for _, _, role, _ in result.credentials} == set(get_policy().roles)
        assert [p.source for p in s.query(ProvidedSource).all()] == ["example_hnd_retornados"]
        assert audit.verify(s).ok  # the declaration is on the chain, as `submissions provide` puts it
    password = {user: pw for user, pw, _, _ in result.credentials}["demo.proveedor.hnd"]
    from observatorio.submissions.web import router as submissions_router

    db = tmp_path / "observatorio.duckdb"
    with Store.open(db):
        pass
    app = make_app(rt)
    app.state.settings = TEST_SETTINGS.model_copy(update={"db": db})
    app.include_router(submissions_router)
    with TestClient(app) as client:  # the provider signs in and finds the source in the upload form
        form = client.get("/cases/login")
        token = re.search(r"name='csrf_token' value='([^']+)'", form.text).group(1)
        r = client.post("/cases/login", data={"username": "demo.proveedor.hnd", "password": password,
                                              "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get("/cases/submissions/")
        assert page.status_code == 200 and "example_hnd_retornados" in page.text
        # the walk docs/submissions.md gives: the example table with its mapping file, sent for review
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        source = re.search(r'<option value="([0-9]+:example_hnd_retornados)"', page.text).group(1)
        sent = client.post("/cases/submissions/", follow_redirects=False, data={
            "csrf_token": token, "source": source, "release": "2023-08-15"}, files={
            "file": (FILE.name, FILE.read_bytes(), "text/csv"),
            "mapping": (MAPPING.name, MAPPING.read_bytes(), "application/yaml")})
        assert sent.status_code == 303, sent.text
        assert "En revisión" in client.get(sent.headers["location"]).text
