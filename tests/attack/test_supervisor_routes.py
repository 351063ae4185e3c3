"""The supervisors' new console routes (share, unshare, legal hold, job retry), attacked with the shared corpus.

The route inventory attacks them with a case that holds no file, so the share form's reason never
reaches the code that reads it; here the case is referred and holds a real call recording, the
values go into every field these forms read, and no answer may be a 5xx nor store what the database
would refuse (a NUL) or a lone surrogate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.enums import Role
from intake.models import Case, EvidenceShare
from tests.attack.corpus import all_values, percent
from tests.console.conftest import CSRF, sign_in
from tests.console.test_liaison_evidence import _attach, _referred, _url, _wav

FIELDS = ("reason", "hold", "job")


def _post(client: Any, url: str, value: str | bytes) -> int:
    body = "&".join([*(f"{name}={percent(value)}" for name in FIELDS), f"csrf_token={CSRF}"])
    response = client.post(url, data=body.encode(), content_type="application/x-www-form-urlencoded")
    return int(response.status_code)


def test_every_bad_value_at_the_supervisors_forms_is_a_clear_answer(app, client, session, keyring, team):
    case = _referred(session, keyring, team)
    recording = _attach(app, session, keyring, case, _wav(), "audio/wav", meta={"kind": "call recording"})
    session.commit()
    sign_in(client, team[Role.SUPERVISOR])
    urls = [
        _url(case, recording, "/share"),
        _url(case, recording, "/unshare"),
        f"/console/cases/{case.id}/legal-hold",
        "/console/operations/retry",
    ]
    failures = []
    for name, value in all_values().items():
        if len(percent(value)) > 1_500_000:
            continue
        for url in urls:
            status = _post(client, url, value)
            if status >= 500:
                failures.append(f"{status} {url} {name}")
    assert failures == []
    session.expire_all()
    reasons = [share.reason for share in session.scalars(select(EvidenceShare))]
    held = session.get(Case, case.id)
    assert held is not None
    assert reasons, "no share was ever made: the forms were not reached"
    assert held.legal_hold_reason, "no hold was ever set: the form was not reached"
    for text in [*reasons, held.legal_hold_reason]:
        assert "\x00" not in text
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
