"""With the database unreachable, pages answer a clear 503 (HTML for people, the error
body for the API), nothing is written, and the public self-referral form shows the
person's own words back so they can copy them. Run in a real process whose database
cannot be opened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
out = {}
for name, method, path, data in [
    ("home", "get", "/", None),
    ("sign_in", "post", "/accounts/sign-in/", {"username": "someone", "password": "secret-words"}),
    ("api", "get", "/api/oruk/services/", None),
    ("self_referral", "post", "/self-referral/details/", {"account": "My own words <b>here</b>"}),
]:
    response = getattr(client, method)(path, data=data) if data else getattr(client, method)(path)
    out[name] = {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "cache": response.get("Cache-Control"),
        "type": response.get("Content-Type"),
        "body": response.content.decode(),
    }
print(json.dumps(out))
"""


def probe(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env.update(
        # A database file in a directory that does not exist cannot be opened.
        DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/db.sqlite3",
        DJANGO_SETTINGS_MODULE="pathways.settings",
        PATHWAYS_ENV="development",
        PATHWAYS_DEBUG="0",
        PATHWAYS_LOG_LEVEL="CRITICAL",
        PATHWAYS_CACHE="memory",
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pages_answer_503_when_the_database_is_unavailable(tmp_path):
    out = probe(tmp_path)
    for name in ("home", "sign_in", "self_referral"):
        page = out[name]
        assert page["status"] == 503, (name, page["status"])
        assert "Sorry, the service is unavailable" in page["body"]
        assert "Nothing you just sent has been saved" in page["body"]
        assert page["retry_after"] == "30"
        assert page["cache"] == "no-store"
    api = out["api"]
    assert api["status"] == 503
    assert api["type"].startswith("application/json")
    assert json.loads(api["body"])["error"]["code"] == "service_unavailable"
    assert not (tmp_path / "missing-dir").exists()


def test_the_self_referral_form_shows_the_persons_words_back_escaped(tmp_path):
    body = probe(tmp_path)["self_referral"]["body"]
    assert "My own words &lt;b&gt;here&lt;/b&gt;" in body
    assert "We have not kept it" in body
    # Other pages never echo anything.
    assert "What you wrote" not in probe(tmp_path)["home"]["body"]
