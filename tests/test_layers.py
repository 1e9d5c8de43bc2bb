"""The one-way arrow: ``survey_app`` may use ``analysis``, never the reverse.

Analysts run ``analysis`` on a CSV export, on a machine without the app; and
the app's reports call into it. If a module of ``analysis/`` imported Flask
or ``survey_app``, both would break in ways no other test sees (the test
process has Flask loaded anyway). So every module is imported here in a fresh
interpreter and the loaded modules are inspected.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import analysis

ROOT = Path(__file__).resolve().parents[1]

#: The modules of ``analysis`` (packages walked into), found from the files,
#: so a new module is checked without anyone listing it. ``__main__`` runs the
#: command line when imported; it only calls ``analysis.cli``, which is here.
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(analysis.__path__, "analysis.") if m.name != "analysis.__main__"
)

#: Runs in the child: import each module as if it were the first one (the
#: package forgotten between them, third-party libraries kept, so it is quick),
#: which also catches a circular import that only one import order hits.
_PROBE = """
import importlib, json, sys
loaded = set()
for name in json.load(sys.stdin):
    for cached in [m for m in sys.modules if m == "analysis" or m.startswith("analysis.")]:
        del sys.modules[cached]
    importlib.import_module(name)
    loaded |= set(sys.modules)
print(json.dumps(sorted(loaded)))
"""


def test_no_module_of_analysis_loads_flask_or_survey_app():
    assert "analysis.recall" in MODULES and len(MODULES) > 10
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], input=json.dumps(MODULES),
        capture_output=True, text=True, cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    forbidden = [m for m in loaded if m.split(".")[0] in {"flask", "flask_wtf", "wtforms", "survey_app"}]
    assert forbidden == []


def test_every_module_of_analysis_has_a_room_in_docs_architecture():
    """docs/architecture.md names where each module lives; a module it does
    not name is one a newcomer cannot place."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    top = {name.split(".")[1] for name in MODULES}
    missing = [
        name for name in sorted(top)
        if f"`{name}.py`" not in text and f"`{name}/`" not in text
    ]
    assert missing == []
