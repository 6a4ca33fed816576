"""The submission pages behind the one login: the report by row and column at once (nothing
stored), the review page with the changed cells, the four-eyes refusal, approval with an embargo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import UploadFile

from observatorio.cases import accounts
from observatorio.cases.models import Organisation
from observatorio.cases.runtime import Runtime
from observatorio.store import snapshots
from observatorio.submissions.web import router
from publish.snapshot_example import first_men, men_january

from .conftest import PASSWORD, TEST_SETTINGS, World, make_app
from .test_submissions import NOW, broken, count, revised
from .test_submissions import setup as setup  # noqa: PLC0414 - the fixture, shared
from .test_web import _web_login


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html) or re.search(
        r"name='csrf_token' value='([0-9a-f]+)'", html)
    assert found
    return found.group(1)


@pytest.fixture
def web(rt: Runtime, setup: tuple[World, Path]) -> TestClient:
    world, db = setup
    app = make_app(rt)
    app.state.settings = TEST_SETTINGS.model_copy(update={"db": db})
    app.state.cases_clock = lambda: NOW
    app.include_router(router)
    return TestClient(app)


def _as(client: TestClient, user: str) -> str:
    client.cookies.clear()
    assert _web_login(client, user).status_code == 303
    page = client.get("/cases/submissions/?lang=en")
    assert page.status_code == 200
    return _csrf(page.text)


def _send(client: TestClient, csrf: str, content: bytes, world: World):
    return client.post("/cases/submissions/?lang=en", data={
        "csrf_token": csrf, "source": f"{world.orgs['hnd_reception']}:example_hnd_retornados",
        "release": "2023-08-15"}, files={"file": ("retornados.csv", content, "text/csv")},
        follow_redirects=False)


def test_upload_report_review_four_eyes_and_embargo(web: TestClient, rt: Runtime, setup: tuple[World, Path]) -> None:
    world, db = setup
    before = men_january(db)
    csrf = _as(web, "both")
    bad = _send(web, csrf, broken(), world)
    assert bad.status_code == 422 and "Nothing was stored" in bad.text
    assert "<td>7</td><td>Hombres</td><td>muchos</td>" in bad.text and count(rt) == 0
    sent = _send(web, csrf, revised(), world)
    assert sent.status_code == 303, sent.text
    review_url = sent.headers["location"]
    page = web.get(review_url)
    assert page.status_code == 200 and 'id="changed-cells"' in page.text
    assert f"<td>{first_men():,}</td>" in page.text and "<td>+100.0</td>" in page.text  # English: 1,673
    es = web.get(review_url.replace("lang=en", "lang=es")).text  # the reader's format: 1.673, +100,0
    assert f"<td>{first_men():,}</td>".replace(",", ".") in es and "<td>+100,0</td>" in es
    assert 'name="verdict"' not in page.text  # no decision form for the uploader
    own = web.post(review_url.split("?")[0] + "/decision?lang=en",
                   data={"csrf_token": _csrf(page.text), "verdict": "approve", "comment": "mine"})
    assert own.status_code == 403 and "Nobody approves or rejects their own submission" in own.text
    csrf = _as(web, "reviewer")
    page = web.get(review_url)
    assert 'name="verdict"' in page.text
    done = web.post(review_url.split("?")[0] + "/decision?lang=en", follow_redirects=False, data={
        "csrf_token": csrf, "verdict": "approve", "comment": "Revisado", "notes": "Enero corregido",
        "embargo": "2026-12-01T15:00", "confirmed": "yes"})
    assert done.status_code == 303, done.text
    page = web.get(review_url)
    status = re.search(r'<dd id="status">(.*?)</dd>', page.text, re.S)
    assert status and status.group(1) == "Approved, under embargo — Embargoed until: 2026-12-01 15:00 UTC", page.text[-3000:]
    assert men_january(snapshots.in_force(db, NOW)) == before
    assert men_january(snapshots.in_force(db, NOW.replace(hour=15))) == before + first_men()


def test_bad_form_values_are_clear_not_500(web: TestClient, setup: tuple[World, Path]) -> None:
    world, _ = setup
    csrf = _as(web, "hnd_provider")
    for data in ({"source": "x"}, {"source": f"{world.orgs['hnd_reception']}:nope"},
                 {"source": f"{world.orgs['hnd_reception']}:example_hnd_retornados", "release": "ayer"}):
        answer = web.post("/cases/submissions/?lang=en", data={"csrf_token": csrf, **data},
                          files={"file": ("a.csv", b"a;b\n1;2\n", "text/csv")})
        assert 400 <= answer.status_code < 500 and "cases-error" in answer.text, answer.text
    assert web.get("/cases/submissions/999999?lang=en").status_code == 404
    forged = web.post("/cases/submissions/?lang=en", data={"csrf_token": "0" * 64, "source": "x"})
    assert forged.status_code == 403


def test_a_file_or_mapping_past_its_limit_is_refused_without_being_read_whole(
        web: TestClient, rt: Runtime, setup: tuple[World, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # small limits stand in for the real ones (50 MB, 1 MB): the page reads one byte past each
    from observatorio.submissions import review

    world, _ = setup
    monkeypatch.setattr(review, "MAX_BYTES", 2_000)
    monkeypatch.setattr(review, "MAX_MAPPING_BYTES", 1_024)
    read: list[int] = []
    real_read = UploadFile.read

    async def counted(self: UploadFile, size: int = -1) -> bytes:
        data = await real_read(self, size)
        read.append(len(data))
        return data

    monkeypatch.setattr(UploadFile, "read", counted)
    csrf = _as(web, "hnd_provider")
    big = _send(web, csrf, revised() + b"\n" * 10_000, world)
    assert big.status_code == 422 and count(rt) == 0
    assert "The file is empty or larger than 0 MB" in big.text  # 2,000 bytes: 0 whole MB
    assert max(read) == 2_001  # never the whole 10 KB
    read.clear()
    mapping = web.post("/cases/submissions/?lang=en", data={
        "csrf_token": csrf, "source": f"{world.orgs['hnd_reception']}:example_hnd_retornados"},
        files={"file": ("retornados.csv", revised(), "text/csv"),
               "mapping": ("mapping.yaml", b"# " + b"x" * 5_000, "application/yaml")})
    assert mapping.status_code == 422 and "The mapping file is larger than 1 KB" in mapping.text
    assert count(rt) == 0 and 1_025 in read and max(read) <= 2_001


def test_every_text_of_the_submission_pages_exists() -> None:
    from observatorio.publish.web.texts import catalogue

    used: set[str] = set()
    for path in (Path(__file__).resolve().parents[2] / "src/observatorio/submissions/templates").glob("*.html"):
        used |= set(re.findall(r"tx\('([a-z_.]+)'\s*[,)]", path.read_text(encoding="utf-8")))
    used |= {f"submissions.status.{s}" for s in ("pending", "rejected", "scheduled", "published")}
    used |= {"submissions.revised", "submissions.gone"}
    assert sorted(k for k in used if k not in catalogue()) == []


def test_a_refused_upload_offers_the_source_and_release_again(web: TestClient, rt: Runtime,
                                                              setup: tuple[World, Path]) -> None:
    """After a report or an error the form keeps what was chosen (the provider re-picks only the
    file, which browsers never refill), and the release is a date field in the reader's format."""
    world, _ = setup
    csrf = _as(web, "hnd_provider")
    key = f"{world.orgs['hnd_reception']}:example_hnd_retornados"
    bad = _send(web, csrf, broken(), world)
    assert bad.status_code == 422
    assert f'<option value="{key}" selected>' in bad.text
    assert 'name="release" type="date" value="2023-08-15"' in bad.text


def test_a_provider_without_sources_is_told_why_there_is_no_form(web: TestClient, rt: Runtime, world: World) -> None:
    with rt.sessions() as s:  # a provider of an organisation that provides nothing yet
        org = s.get(Organisation, world.orgs["gtm_ministry"])
        accounts.add_user(s, "gtm_provider", PASSWORD, rt.config, [(org, "provider")])
        s.commit()
    _as(web, "gtm_provider")
    for lang, words in (("es", "Su organización aún no tiene fuentes declaradas"),
                        ("en", "Your organisation has no declared source yet")):
        page = web.get(f"/cases/submissions/?lang={lang}").text
        assert 'id="no-sources"' in page and words in page and 'name="file"' not in page, lang


def test_a_refused_decision_keeps_what_the_reviewer_wrote(web: TestClient, setup: tuple[World, Path]) -> None:
    world, _ = setup
    sent = _send(web, _as(web, "hnd_provider"), revised(), world)
    assert sent.status_code == 303, sent.text
    url = sent.headers["location"].split("?")[0]
    csrf = _as(web, "reviewer")
    refused = web.post(f"{url}/decision?lang=en", data={  # a rejection needs its comment
        "csrf_token": csrf, "verdict": "reject", "notes": "Enero corregido", "embargo": "2026-12-02T09:30"})
    assert refused.status_code == 422 and "Say why it is rejected" in refused.text
    assert 'name="notes" rows="3" cols="60">Enero corregido</textarea>' in refused.text
    assert 'type="datetime-local" value="2026-12-02T09:30"' in refused.text


def test_every_column_header_is_scoped(web: TestClient, setup: tuple[World, Path]) -> None:
    """Screen readers announce a cell with its column only when the header says it is one
    (the case pages' tables did; the submission pages' did not)."""
    world, _ = setup
    csrf = _as(web, "hnd_provider")
    report = _send(web, csrf, broken(), world).text
    sent = _send(web, csrf, revised(), world)
    pages = [report, web.get("/cases/submissions/?lang=en").text, web.get(sent.headers["location"]).text]
    headers = [th for page in pages for th in re.findall(r"<th\b[^>]*>", page)]
    assert len(headers) >= 15 and all('scope="col"' in th for th in headers), headers
