"""The production configuration, as ``make run`` builds the app.

Every other CSRF test switches protection back on in its own test config, so
none of them would notice ``WTF_CSRF_ENABLED = False`` in :class:`Config`.
This one builds the app the way ``flask --app survey_app run`` does - no test
config at all, settings from the environment only - in a fresh interpreter,
so that :class:`Config` is read exactly as a server reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from survey_app import storage

ROOT = Path(__file__).resolve().parents[1]

#: Runs in the child: build the app as ``flask --app survey_app`` does and post
#: a complete survey without a CSRF token; print the status code.
_POST_WITHOUT_TOKEN = """
import json, sys
from survey_app import create_app
app = create_app()
url, data = json.loads(sys.argv[1])
print(app.test_client().post(url, data=data).status_code)
"""


def test_the_app_make_run_builds_refuses_a_post_without_csrf_token(app, make_pulse, survey_answers, db):
    pulse = make_pulse()
    # The first invitation carries every segment, so the form asks none.
    data = {k: v for k, v in survey_answers.items() if not k.startswith("seg_")}
    env = dict(
        os.environ,
        TRINITY_DATABASE=app.config["DATABASE"],
        TRINITY_SECRET_KEY="production-like-key",
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", _POST_WITHOUT_TOKEN, json.dumps([f"/s/{pulse.tokens[0]}", data])],
        env=env, capture_output=True, text=True, cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr
    # 400 is the survey's answer to a refused CSRF token (a complete post
    # with protection off would be saved and redirected: 303).
    assert done.stdout.strip() == "400"
    assert storage.count_responses(db, pulse.slug) == 0


def test_the_database_url_setting_selects_postgres_and_explicit_settings_win(tmp_path):
    """TRINITY_DATABASE_URL selects PostgreSQL; a DATABASE_URL setting does
    too, and a DATABASE given to create_app beats the environment."""
    from survey_app import create_app

    url = "postgresql://trinity_app@db.example.org/trinity"
    code = ("from survey_app import create_app; "
            "print(create_app({'INSTANCE_PATH': %r}).config['DATABASE'])" % str(tmp_path / "i"))
    env = dict(os.environ, TRINITY_DATABASE_URL=url, TRINITY_DATABASE=str(tmp_path / "x.sqlite3"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == url, out.stderr
    env["TRINITY_DATABASE_URL"] = "mysql://nope"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "TRINITY_DATABASE_URL must be a postgresql:// URL" in bad.stderr
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "j")})
    assert app.config["DATABASE"] == url
    path = str(tmp_path / "given.sqlite3")
    assert create_app({"DATABASE": path, "INSTANCE_PATH": str(tmp_path / "k")}).config["DATABASE"] == path
