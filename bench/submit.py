"""Benchmark: answering a pulse under load, against a bare Flask endpoint.

Starts the survey app under gunicorn on 127.0.0.1 (sync workers, production
settings: a secret key, no debug, no test mode, the rate limits on) and, in
the same run, a bare Flask app (``bench/bare_app.py``) under the same
gunicorn settings, then drives each with ``wrk`` (Debian's package) and the
Lua script ``bench/submit.lua``:

- ``bare``: GET of the bare endpoint, the yardstick;
- ``form``: GET of a form page (an invitation link) alone;
- ``flow (invitations)``: GET a fresh invitation link's form, POST a
  complete answer with that page's CSRF token and session cookie; each link
  is used once;
- ``flow (open link)``: the same through the pulse's open link, so every
  POST also passes the open link's rate limit.

Prints requests/s, p50 and p99 latency, errors (socket errors, responses
that are not 2xx/3xx, answers refused, links run out) and the ratio to the
bare endpoint, then counts the stored responses and spent invitations: every
answer acknowledged (a 303 to the thank-you page) must be stored. Run:

    .venv/bin/python bench/submit.py [--duration 10] [--engines sqlite,postgresql]
                                     [--database-url postgresql://...]

``--engines`` runs the app's scenarios once per database engine in one run
(the bare endpoint is measured once, first). ``sqlite`` uses a fresh file in
a temporary folder; ``postgresql`` uses ``--database-url`` (or
``TRINITY_DATABASE_URL``), handed to the app as ``TRINITY_DATABASE_URL``, and
is skipped with a message when neither is given. ``--profile N`` instead
profiles N form GETs and N posts in-process with pyinstrument and prints the
profile (what docs/benchmarks.md quotes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import DEFAULT_INSTRUMENT, SAMPLE_STRATEGY, form_answers  # noqa: E402
from tests.gunicorn_process import GUNICORN, GunicornProcess  # noqa: E402

LUA = Path(__file__).with_name("submit.lua")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: The open link's limit for the run: a head office of 10,000 people behind
#: one NAT address, all answering in the same minute after an all-hands
#: (docs/security.md, "Rate limits"). Still on: every open-link POST pays for
#: the shared count.
OFFICE_OPEN_LINK_RATE = "10000/60"
#: Departments of the seeded roster (the open link offers these).
DEPARTMENTS = ("Operations", "Sales", "Finance")
#: Invitation links kept back from the flows for the form-only run and warm-up.
FORM_LINKS = 32
#: Targets of issue 11 (ratio to the bare endpoint; p99 in ms).
#: Seconds of load before each server is measured: the second worker may
#: still be importing the app when the first answers, and each worker renders
#: the form once in full.
WARM_UP = 3
TARGETS = {"form": 0.6, "flow (invitations)": 0.35, "flow (open link)": 0.35}
P99_TARGET_MS = 50.0


@dataclass
class Engine:
    """A database the app runs on: what gunicorn's environment and an
    in-process app need to reach it."""

    name: str
    env: dict
    config: dict


@dataclass
class Result:
    scenario: str
    figures: dict
    rps: float = 0.0
    errors: int = 0
    checks: list = field(default_factory=list)

    @property
    def p50_ms(self) -> float:
        return self.figures["p50_us"] / 1000

    @property
    def p99_ms(self) -> float:
        return self.figures["p99_us"] / 1000


def engines(names: list[str], folder: Path, database_url: str | None) -> list[Engine]:
    """The engines asked for; PostgreSQL without a URL is skipped, with a message."""
    chosen = []
    for name in names:
        if name == "sqlite":
            path = folder / "submit.sqlite3"
            chosen.append(Engine("sqlite", {"TRINITY_DATABASE": str(path)}, {"DATABASE": str(path)}))
        elif name == "postgresql":
            if not database_url:
                print("postgresql: skipped (no --database-url and no TRINITY_DATABASE_URL)")
                continue
            chosen.append(Engine("postgresql", {"TRINITY_DATABASE_URL": database_url},
                                 {"DATABASE_URL": database_url}))
        else:
            raise SystemExit(f"--engines: unknown engine {name!r} (expected sqlite or postgresql)")
    return chosen


# --- servers -------------------------------------------------------------------------


class Gunicorn(GunicornProcess):
    """A server of the run, ready once a page answers (its workers have
    imported the app): the master listens long before."""

    def __init__(self, target: str, workers: int, env: dict, log: Path, ready_path: str = "/"):
        super().__init__(target, workers, dict(os.environ, **env), log, cwd=ROOT)
        try:
            self.wait_answering(ready_path)
        except RuntimeError as exc:
            self.stop()
            raise SystemExit(str(exc)) from None


def wrk(base: str, mode: str, links: Path, answers: Path, *, threads: int, connections: int,
        duration: float) -> dict:
    """One wrk run; the figures its Lua script prints on its ``BENCH`` line."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
               "--timeout", "5s", "-s", str(LUA), base, "--", mode, str(links), str(answers),
               str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[len("BENCH "):])
    raise SystemExit(f"wrk printed no figures (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def _result(scenario: str, figures: dict) -> Result:
    socket_errors = sum(figures[k] for k in ("connect", "read", "write", "timeout"))
    errors = socket_errors + figures["status"] + figures["refused"] + figures["unexpected"] \
        + figures["exhausted"]
    # wrk counts a status it calls an error (>= 400) in both "status" and the
    # script's "refused": count each response once.
    errors -= min(figures["status"], figures["refused"])
    return Result(scenario, figures, figures["requests"] / (figures["duration_us"] / 1e6), errors)


# --- the pulse -----------------------------------------------------------------------


def _app(engine: Engine, folder: Path, secret_key: str):
    from survey_app import create_app

    return create_app({**engine.config, "SECRET_KEY": secret_key,
                       "INSTANCE_PATH": str(folder / "instance"),
                       "RATELIMIT_DATABASE": str(folder / f"ratelimit-{engine.name}.sqlite3")})


def seed(app, invitations: int) -> tuple[str, list[str], str]:
    """An open pulse of the default instrument with ``invitations`` links and
    an open link: ``(slug, invitation tokens, open token)``."""
    from analysis.instrument import load_instrument
    from analysis.strategy import Strategy
    from survey_app import storage
    from survey_app.db import get_db

    slug = f"bench-{secrets.token_hex(4)}"
    with app.app_context():
        db = get_db()
        pulse = storage.create_pulse(
            db, slug=slug, title="Benchmark pulse", period="2026-Q4",
            instrument=load_instrument(DEFAULT_INSTRUMENT),
            strategy=Strategy.from_dict(SAMPLE_STRATEGY), status="draft", open_link=True)
        roster = [{"department": DEPARTMENTS[i % len(DEPARTMENTS)], "role_level": "staff"}
                  for i in range(invitations)]
        tokens = storage.add_invitations(db, slug, roster)
        storage.set_pulse_status(db, slug, "open")
    return slug, tokens, pulse.open_token


def stored(app, slug: str) -> tuple[int, int]:
    """``(responses stored, invitations spent)`` of the pulse, once settled:
    a worker finishes the request it was serving when wrk hung up."""
    from survey_app import storage
    from survey_app.db import get_db

    last = None
    while True:
        with app.app_context():
            db = get_db()
            spent = next(r.responded for r in storage.participation(db, slug)
                         if r.label == "Everyone invited")
            now = (storage.count_responses(db, slug), spent or 0)
        if now == last:
            return now
        last = now
        time.sleep(0.5)


def answer_bodies() -> tuple[str, str]:
    """The urlencoded complete answers: for an invitation (the roster gives
    the segments) and for the open link (which asks them)."""
    from analysis.instrument import load_instrument

    answers = {k: v for k, v in form_answers(load_instrument(DEFAULT_INSTRUMENT)).items()
               if not k.startswith("seg_")}
    invited = urllib.parse.urlencode(answers)
    opened = urllib.parse.urlencode(dict(answers, seg_department=DEPARTMENTS[0],
                                         seg_role_level="staff"))
    return invited, opened


# --- the run -------------------------------------------------------------------------


def run(args, folder: Path) -> list[tuple[str, list[Result]]]:
    """Every scenario of every engine: ``[(engine or "bare", results)]``."""
    secret_key = secrets.token_hex(32)
    load = dict(threads=args.threads, connections=args.connections, duration=args.duration)
    invited, opened = answer_bodies()
    (folder / "answers-invited.txt").write_text(invited)
    (folder / "answers-open.txt").write_text(opened)
    bare_links = folder / "links-bare.txt"
    bare_links.write_text("/\n")
    out = []

    server = Gunicorn("bench.bare_app:app", args.workers, {}, folder / "gunicorn-bare.log")
    try:
        wrk(server.base, "plain", bare_links, bare_links, **dict(load, duration=args.warm_up))
        out.append(("bare", [_result("bare", wrk(server.base, "plain", bare_links, bare_links, **load))]))
    finally:
        server.stop()

    for engine in engines(args.engines, folder, args.database_url):
        app = _app(engine, folder, secret_key)
        slug, tokens, open_token = seed(app, args.invitations + FORM_LINKS)
        form_links, flow_links = folder / f"links-form-{engine.name}.txt", \
            folder / f"links-flow-{engine.name}.txt"
        open_links = folder / f"links-open-{engine.name}.txt"
        form_links.write_text("".join(f"/s/{t}\n" for t in tokens[:FORM_LINKS]))
        flow_links.write_text("".join(f"/s/{t}\n" for t in tokens[FORM_LINKS:]))
        open_links.write_text(f"/o/{open_token}\n")
        env = dict(engine.env, TRINITY_SECRET_KEY=secret_key,
                   TRINITY_RATELIMIT_DATABASE=str(folder / f"ratelimit-{engine.name}.sqlite3"),
                   TRINITY_OPEN_LINK_RATE=args.open_link_rate)
        results = []
        server = Gunicorn("survey_app:create_app()", args.workers, env,
                          folder / f"gunicorn-{engine.name}.log", ready_path=f"/s/{tokens[0]}")
        try:
            wrk(server.base, "form", form_links, folder / "answers-invited.txt",
                **dict(load, duration=args.warm_up))
            results.append(_result("form", wrk(server.base, "form", form_links,
                                               folder / "answers-invited.txt", **load)))
            for name, links, answers, invitations in (
                    ("flow (invitations)", flow_links, "answers-invited.txt", True),
                    ("flow (open link)", open_links, "answers-open.txt", False)):
                before, spent_before = stored(app, slug)
                flow = _result(name, wrk(server.base, "flow", links, folder / answers, **load))
                after, spent_after = stored(app, slug)
                flow.checks.append(_check_stored(flow, after - before, spent_after - spent_before,
                                                 args.connections, invitations=invitations))
                results.append(flow)
        finally:
            server.stop()
        out.append((engine.name, results))
    return out


def _check_stored(result: Result, new_responses: int, new_spent: int, connections: int,
                  *, invitations: bool) -> tuple[bool, str]:
    """Every acknowledged answer stored; at most one per connection stored
    without its 303 being read (in flight when wrk stopped)."""
    acknowledged = result.figures["acknowledged"]
    ok = acknowledged <= new_responses <= acknowledged + connections
    text = f"{acknowledged} acknowledged, {new_responses} stored"
    if invitations:
        ok = ok and new_spent == new_responses
        text += f", {new_spent} invitations spent"
    elif new_spent:
        ok = False
        text += f", but {new_spent} invitations spent by open-link answers"
    return ok, text


def report(out, args) -> bool:
    """Print the table; True when no error and no acknowledged answer lost."""
    bare = out[0][1][0]
    print(f"{'engine':<11} {'scenario':<19} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'errors':>6} {'x bare':>7}  targets")
    good = True
    for engine, results in out:
        for r in results:
            ratio = r.rps / bare.rps if bare.rps else 0.0
            target = TARGETS.get(r.scenario)
            met = ""
            if target is not None:
                marks = [f"x{target} {'ok' if ratio >= target else 'NOT MET'}",
                         f"p99<{P99_TARGET_MS:.0f} {'ok' if r.p99_ms < P99_TARGET_MS else 'NOT MET'}",
                         f"0 errors {'ok' if r.errors == 0 else 'NOT MET'}"]
                met = ", ".join(marks)
            print(f"{engine:<11} {r.scenario:<19} {r.rps:>8.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
                  f"{r.errors:>6} {ratio:>7.2f}  {met}")
            for ok, text in r.checks:
                print(f"{'':<11} {'':<19} stored: {text}: {'ok' if ok else 'LOST ANSWERS'}")
                good = good and ok
            good = good and r.errors == 0
            if r.figures["exhausted"]:
                print(f"{'':<11} {'':<19} ran out of fresh links {r.figures['exhausted']} times: "
                      "raise --invitations")
    print(f"load: wrk {args.threads} threads, {args.connections} connections, {args.duration:g} s "
          f"per scenario; gunicorn {args.workers} sync workers; {os.cpu_count()} cores")
    print(f"rate limit: TRINITY_OPEN_LINK_RATE={args.open_link_rate} (open-link posts per address; "
          "a large office behind one address), login limit at its default")
    return good


def profile(count: int, folder: Path) -> None:
    """``count`` form GETs and posts through Flask's test client, profiled."""
    from pyinstrument import Profiler

    engine = Engine("sqlite", {}, {"DATABASE": str(folder / "profile.sqlite3")})
    app = _app(engine, folder, secrets.token_hex(32))
    slug, tokens, _ = seed(app, count + 1)
    invited, _ = answer_bodies()
    app.test_client().get(f"/s/{tokens[0]}")  # templates compiled before timing
    profiler = Profiler(interval=0.0005)
    with profiler:
        for token in tokens[1:]:
            client = app.test_client()  # a new browser: its own session and CSRF token
            page = client.get(f"/s/{token}")
            token_value = CSRF.search(page.get_data(as_text=True)).group(1)
            done = client.post(f"/s/{token}", data=invited + "&csrf_token=" + token_value,
                               content_type="application/x-www-form-urlencoded")
            if done.status_code != 303:
                raise SystemExit(f"profile: a post was answered {done.status_code}")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario (10)")
    parser.add_argument("--warm-up", type=float, default=WARM_UP,
                        help=f"seconds of load before each server is measured ({WARM_UP})")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--invitations", type=int,
                        help="fresh invitation links seeded (default 1,500 per second of --duration)")
    parser.add_argument("--engines", default="sqlite",
                        help="comma-separated: sqlite, postgresql (default sqlite)")
    parser.add_argument("--database-url", default=os.environ.get("TRINITY_DATABASE_URL"),
                        help="PostgreSQL URL for --engines postgresql (default $TRINITY_DATABASE_URL)")
    parser.add_argument("--open-link-rate", default=OFFICE_OPEN_LINK_RATE,
                        help=f"TRINITY_OPEN_LINK_RATE for the run (default {OFFICE_OPEN_LINK_RATE})")
    parser.add_argument("--folder", type=Path, help="where to keep the databases and logs "
                                                    "(default: a temporary folder)")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile N form GETs and posts in-process instead (pyinstrument)")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.duration <= 0:
        parser.error("--duration must be positive")
    if args.connections < args.threads or args.threads < 1:
        parser.error("--connections must be at least --threads, and --threads at least 1")
    if args.invitations is None:
        args.invitations = int(1500 * args.duration)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.profile:
            profile(args.profile, folder)
            return 0
        if shutil.which("wrk") is None:
            raise SystemExit("wrk not found: apt-get install wrk (Debian's package)")
        if not GUNICORN.exists():
            raise SystemExit(f"gunicorn not found at {GUNICORN}: make install (the dev extra)")
        good = report(run(args, folder), args)
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
