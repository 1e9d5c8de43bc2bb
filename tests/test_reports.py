"""The leaders' report pages, their downloads, action plans and theme moves.

Real app, real SQLite file, the real analysis: no component of ours is
mocked. The privacy test builds a company whose departments have 1 to 12
respondents and reads every page, PDF, JSON and CSV each role can open.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.loader import load_from_db
from survey_app import create_app, storage
from survey_app.db import get_db
from tests.conftest import FAST_PASSWORD_HASH, TEST_SECRET_KEY, Person, make_demo_site

EXECUTIVE_PAGES = ("ceo", "clo", "cmo")
FORMATS = ("json", "csv", "pdf")
K, K_COMMENTS = 5, 10

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) is not installed; .ci/run installs it")


def sign_in(app, person: Person):
    client = app.test_client()
    response = client.post("/login", data={"email": person.email, "password": person.password})
    assert response.status_code == 303, response.status_code
    return client


def pdf_text(body: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


# --- a company with departments of 1 to 12 respondents -----------------------------

LADDER = "ladder-2026-q4"
COMMENTS = (
    "The training on the new tracking tool came too late for our team",
    "Customers keep asking about delivery times and we cannot answer them",
    "Please explain the quarterly goals again in the team meeting",
    "The weekly newsletter is too long and nobody reads it",
    "Our manager explains the targets well and we know what matters",
    "More coaching sessions would help us put the strategy into practice",
)


@pytest.fixture(scope="module")
def ladder(tmp_path_factory, instrument, strategy):
    """Departments Dept01..Dept12 with 1..12 people, every one answering."""
    from survey_app.auth import create_demo_accounts

    folder = tmp_path_factory.mktemp("ladder")
    database = str(folder / "ladder.sqlite3")
    app = create_app({"TESTING": True, "DATABASE": database, "SECRET_KEY": TEST_SECRET_KEY,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASH})
    rng = random.Random(8)
    roster = [{"department": f"Dept{size:02d}", "role_level": "team_lead" if i == 0 and size > 6 else "staff"}
              for size in range(1, 13) for i in range(size)]
    with app.app_context():
        db = get_db()
        storage.create_pulse(db, slug=LADDER, title="Ladder pulse", period="2026-Q4",
                             instrument=instrument, strategy=strategy, status="draft", open_link=False)
        tokens = storage.add_invitations(db, LADDER, roster)
        storage.set_pulse_status(db, LADDER, "open")
        for n, (token, person) in enumerate(zip(tokens, roster)):
            size = int(person["department"][4:])
            answers = {}
            for item in instrument.answer_items:
                if item.type == "likert":
                    answers[item.id] = min(5, max(1, round(rng.gauss(2 + size / 4, 1))))
                elif item.type == "enps":
                    answers[item.id] = rng.randint(0, 10)
                elif item.type == "estimate":
                    answers[item.id] = rng.choice([10, 30, 32, 35, 50, 70])
                elif item.type == "recall":
                    answers[item.id] = rng.choice([strategy.goals[0], "Open the Leeds depot", "not sure"])
                elif item.type == "comment" and item.id == "c_clarity":
                    answers[item.id] = COMMENTS[n % len(COMMENTS)] + f" ({rng.choice(['really', 'honestly', 'truly'])})"
            storage.submit_response(db, pulse_slug=LADDER, answers=answers, segments={}, token=token)
        storage.set_pulse_status(db, LADDER, "closed")
        created = create_demo_accounts(db, "Dept12")
    people = {role: Person(email, role, password) for email, role, password in created}
    return app, people, database


def _truth(database: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """Respondents of the company and per department as the analysis reads
    them, and commenters per department."""
    data = load_from_db(database, LADDER)
    rows = data.responses
    per = rows["department"].value_counts().to_dict()
    commented = rows["c_clarity"].notna() & rows["c_clarity"].astype(str).str.strip().ne("")
    commenters = rows.loc[commented, "department"].value_counts().to_dict()
    return len(rows), per, commenters


def _urls(role: str, departments: list[str], manager_department: str) -> list[str]:
    urls = []
    if role != "manager":
        urls += ["/reports/"]
    if role in ("admin", "ceo", "clo", "cmo"):
        for page in EXECUTIVE_PAGES:
            urls += [f"/reports/{page}"] + [f"/reports/{page}/report.{fmt}" for fmt in FORMATS]
    if role in ("admin", "analyst"):
        urls += ["/reports/analyst", "/reports/analyst/export/responses.csv",
                 "/reports/analyst/export/comments.csv"]
    seen = departments if role != "manager" else [manager_department]
    for name in seen:
        urls += [f"/reports/department/{name}"] + [f"/reports/department/{name}/report.{fmt}" for fmt in FORMATS]
    return urls


def _check_partition(shown: set[str], per: dict[str, int], total: int, where: str) -> None:
    """Every shown group has >= K people, no shown group leaves 1..K-1 of the
    company, and the hidden ones together are 0 or >= K."""
    for name in shown:
        assert per[name] >= K, f"{where}: {name} shown with {per[name]} respondents"
        assert total - per[name] == 0 or total - per[name] >= K, f"{where}: company minus {name}"
    hidden = total - sum(per[name] for name in shown)
    assert hidden == 0 or hidden >= K, f"{where}: the hidden departments add up to {hidden}"


def _check_view(view: dict, per: dict, commenters: dict, total: int, where: str) -> None:
    if view.get("page") == "department":
        name = view["department"]
        if view["visible"]:
            _check_partition({name}, per, total, where)
        if any(t["representatives"] for t in view.get("themes", [])):
            mine = commenters.get(name, 0)
            rest = sum(commenters.values()) - mine
            assert mine >= K_COMMENTS and (rest == 0 or rest >= K_COMMENTS), where
        return
    if not view.get("visible"):
        return
    assert view["n"] >= K
    for m in view.get("measures", {}).values():
        assert "n" not in m, where  # only groups' respondent counts leave
    if "heatmap" in view:
        for j, column in enumerate(view["heatmap"]["columns"]):
            shown = {r["department"] for r in view["heatmap"]["rows"] if r["cells"][j] is not None}
            _check_partition(shown, per, total, f"{where} heatmap {column['key']}")
    if any(t["representatives"] for t in view.get("themes", [])):
        assert sum(commenters.values()) >= K_COMMENTS, where


def test_no_output_of_any_role_singles_out_a_small_group(ladder, tmp_path):
    """Departments of 1 to 12: no page, PDF, JSON or CSV shows a statistic
    for fewer than 5, a comment for fewer than 10, or a pair of groups whose
    difference isolates fewer than 5. Every output of every role is read."""
    app, people, database = ladder
    total, per, commenters = _truth(database)
    assert min(per.values()) >= K  # the merge rule already pooled the smallest
    departments = sorted(per)
    small = [f"Dept{s:02d}" for s in range(1, 5)]
    read = 0
    for role, person in people.items():
        client = sign_in(app, person)
        for url in _urls(role, departments + small, "Dept12"):
            response = client.get(url)
            assert response.status_code in (200, 404), (role, url, response.status_code)
            read += 1
            body = response.get_data()
            if url.endswith(".json"):
                _check_view(json.loads(body), per, commenters, total, f"{role} {url}")
            elif url.endswith(".csv") and "/export/" not in url:
                for row in csv.DictReader(io.StringIO(body.decode())):
                    if row["section"] in ("department", "heatmap difference", "difference from company") \
                            and row["value"] not in ("Insufficient", ""):
                        assert row["group"] in per, (role, url, row)
                        assert per[row["group"]] >= K and total - per[row["group"]] >= K, (role, url, row)
            elif url.endswith(".pdf"):
                text = pdf_text(body, tmp_path) if shutil.which("pdftotext") else ""
                for name in small:
                    if f"/department/{name}" in url:
                        assert "No results can be shown" in text, (role, url)
                    else:
                        assert name not in text, (role, url, name)
            else:
                text = body.decode()
                for name in small:
                    # A department the merge rule pooled is named only on its own
                    # page, and there without any figure.
                    if f"/department/{name}" in url:
                        assert "No results can be shown" in text and "<table" not in text, (role, url)
                    else:
                        assert name not in text, (role, url, name)
    assert read > 100


def test_a_hidden_department_never_shows_its_size(ladder):
    """A department page whose group is withheld names no count of it."""
    app, people, database = ladder
    _, per, _ = _truth(database)
    client = sign_in(app, people["ceo"])
    view = client.get("/reports/department/Dept02/report.json").get_json()
    assert view["visible"] is False and view.get("n") is None
    page = client.get("/reports/department/Dept02").get_data(as_text=True)
    assert "people in Dept02 answered" not in page


# --- the demo: pages, downloads, plans ---------------------------------------------


def test_each_executive_page_leads_with_one_screen(demo_site, html):
    client = sign_in(demo_site.app, demo_site.people["ceo"])
    for page in EXECUTIVE_PAGES:
        response = client.get(f"/reports/{page}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        view = client.get(f"/reports/{page}/report.json").get_json()
        summary = next(html(response).by_id("summary-heading").ancestors()).text()
        assert view["key"]["label"] in summary
        assert f"{view['key']['score']:.0f}" in summary and f"{view['n']} people answered" in summary
        assert len(view["headlines"]["focus"]) == 3 and len(view["headlines"]["strengths"]) == 3
        for headline in view["headlines"]["focus"] + view["headlines"]["strengths"]:
            assert headline["sentence"] in text.replace("&#34;", '"').replace("&#39;", "'")
        # The summary comes before the details.
        assert text.index("In one screen") < text.index("Details")
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "<script" not in text and " onclick=" not in text and " style=" not in text


def test_the_ceo_heatmap_prints_each_difference_and_says_insufficient(demo_site):
    client = sign_in(demo_site.app, demo_site.people["ceo"])
    view = client.get("/reports/ceo/report.json").get_json()
    text = client.get("/reports/ceo").get_data(as_text=True)
    svg = text[text.index('aria-labelledby="heatmap-heading"'):]
    svg = svg[svg.index("<svg"):svg.index("</svg>")]
    for row in view["heatmap"]["rows"]:
        for value in row["cells"]:
            # A difference that rounds to nothing is "0", never "-0" or "+0".
            label = "Insufficient" if value is None else (f"{round(value):+d}" if round(value) else "0")
            assert f">{label}</text>" in svg
    assert "<title" in svg and "<desc" in svg  # the text alternative


def test_the_executives_read_names_never_ids(demo_site, html):
    """Checks, indices and statements by what they are called, on every table
    and chart: "Naming this quarter's goals", not k_goals; the statement,
    not st_priorities_shift."""
    client = sign_in(demo_site.app, demo_site.people["ceo"])
    checked = 0
    for page in EXECUTIVE_PAGES:
        view = client.get(f"/reports/{page}/report.json").get_json()
        rows = [*view.get("know_feel", []), *view.get("misconceptions", []),
                *view.get("perception_gap", []),
                *(row for rows in view.get("drivers", {}).values() for row in rows)]
        text = html(client.get(f"/reports/{page}")).text().replace("’", "'")
        for row in rows:
            name = row.get("item") or row.get("index")
            assert row["label"] != name, row
            assert row["label"] in text, (page, row["label"])
            checked += 1
        # "overall" is also a word of the page's sentences; the others are ids only.
        ids = {row.get("item") or row.get("index") for row in rows} - {"overall"}
        shown = {name for name in ids if re.search(rf"\b{re.escape(name)}\b", text)}
        assert not shown, (page, shown)
    assert checked > 20  # the demo fills every one of these tables


def test_pages_write_a_difference_that_rounds_to_nothing_as_0(demo_site):
    env = demo_site.app.jinja_env
    shown = env.from_string("{{ a|signed }} {{ b|signed }} {{ c|signed }} {{ d|signed }}").render(
        a=2.6, b=-12.4, c=-0.3, d=0.4)
    assert shown == "+3 -12 0 0"
    # The department page's "Below the company" list is judged by the same rounding.
    assert env.from_string("{{ -0.3|points < 0 }} {{ -0.6|points < 0 }}").render() == "False True"


def test_a_bar_label_is_wrapped_never_cut():
    from survey_app.reports import charts

    statement = "My manager talks with our team about how our work connects to the company's goals."
    svg = str(charts.bars([(statement, 18.0), ("Short", 9.0)], "drivers", unit="%"))
    lines = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert " ".join(lines).replace("&#39;", "'") == statement + " Short"
    assert all(len(line) <= 40 for line in lines) and len(lines) == 4
    assert "\u2026" not in svg


def test_the_true_value_line_never_crosses_out_a_count():
    """The histogram's counts are drawn over its dashed true-value line, on
    a white halo: in the demo the line ran through the tallest bar's "75"."""
    from survey_app.reports import charts

    bins = [{"low": -100.0, "high": 20.0, "count": 18}, {"low": 20.0, "high": 40.0, "count": 75},
            {"low": 40.0, "high": 100.0, "count": 17}]
    svg = str(charts.histogram(bins, 32.0, "NPS guesses"))
    line = svg.index('stroke-dasharray="5 3"')
    for count in (18, 75, 17):
        drawn = svg.index(f">{count}</text>")
        assert drawn > line, count
        assert 'paint-order="stroke"' in svg[svg.rindex("<text", 0, drawn):drawn]


def test_a_printed_difference_is_that_of_the_printed_scores(demo_site):
    """70 beside a company's 72 reads -2 (the exact 69.6 - 72.4 would print
    -3), on every department page, and the CEO's heatmap prints the same."""
    client = sign_in(demo_site.app, demo_site.people["ceo"])
    heatmap = client.get("/reports/ceo/report.json").get_json()["heatmap"]
    columns = [c["key"] for c in heatmap["columns"]]
    checked = 0
    for row in heatmap["rows"]:
        page = client.get(f"/reports/department/{row['department']}").get_data(as_text=True)
        table = page[page.index("<tbody>"):page.index("</tbody>")]
        printed = re.findall(r"<td>(-?\d+)</td><td>(-?\d+)</td><td>([+-]?\d+)</td>", table)
        assert printed, row["department"]
        for score, company, diff in printed:
            assert int(diff) == int(score) - int(company), (row["department"], score, company, diff)
            checked += 1
        view = client.get(f"/reports/department/{row['department']}/report.json").get_json()
        shown = {r["key"]: r["diff"] for r in view["rows"] if r["visible"]}
        for key, cell in zip(columns, row["cells"]):
            if cell is not None:
                assert cell == shown[key]
    assert checked > 20


def test_a_manager_cannot_reach_another_department(demo_site):
    """By URL, by filter (query string) or by download link: only their own."""
    client = sign_in(demo_site.app, demo_site.people["manager"])
    for url in ("/reports/department/Finance", "/reports/department/Finance/report.json",
                "/reports/department/Finance/report.pdf", "/reports/department/Finance/report.csv",
                "/reports/ceo", "/reports/ceo/report.json", "/reports/analyst",
                "/reports/analyst/export/responses.csv", "/reports/"):
        assert client.get(url).status_code == 403, url
    own = client.get("/reports/department/Sales/report.json?department=Finance&name=Finance").get_json()
    assert own["department"] == "Sales"
    others = {"Operations", "Customer Service", "Engineering", "Marketing", "Finance"}
    assert not any(name in json.dumps(own) for name in others)
    page = client.get("/reports/department/Sales?department=Finance").get_data(as_text=True)
    # (The query string comes back only inside the forms' "back" links.)
    main = re.sub(r'value="[^"]*"', "", page[page.index("<main"):])
    assert not any(name in main for name in others)


def test_downloads_carry_the_page(demo_site, tmp_path):
    client = sign_in(demo_site.app, demo_site.people["cmo"])
    view = client.get("/reports/cmo/report.json").get_json()
    table = list(csv.reader(io.StringIO(client.get("/reports/cmo/report.csv").get_data(as_text=True))))
    assert table[0] == ["section", "group", "measure", "label", "value"]
    assert ["key index", "company", view["key"]["key"], view["key"]["label"], f"{view['key']['score']:.2f}"] in table
    pdf = client.get("/reports/cmo/report.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert b"attachment" in pdf.headers["Content-Disposition"].encode()
    if shutil.which("pdftotext"):
        text = pdf_text(pdf.data, tmp_path)
        assert "true value" in text  # the estimates chart is drawn in the PDF
        assert view["headlines"]["focus"][0]["sentence"][:40] in " ".join(text.split())
    with demo_site.app.app_context():
        actions = [e.action for e in storage.list_audit(get_db())]
    assert "download report" in actions


def test_the_pdf_fetcher_reads_only_static_files(demo_site):
    from survey_app.reports.pdf import BASE_URL, StaticOnlyFetcher

    fetcher = StaticOnlyFetcher(demo_site.app.static_folder)
    assert fetcher.resolve(BASE_URL + "static/pulse.css").name == "pulse.css"
    for url in ("file:///etc/passwd", "http://example.org/static/pulse.css",
                BASE_URL + "static/../../pyproject.toml", BASE_URL + "reports/ceo", "data:text/css,a{}"):
        with pytest.raises(ValueError):
            fetcher.resolve(url)


def test_the_analyst_reads_the_executives_reports_but_plans_nothing(demo_site):
    # Issue 7's matrix: the analyst sees all report data; the commitments and
    # theme moves are the executives' (and a manager's for their department).
    analyst = sign_in(demo_site.app, demo_site.people["analyst"])
    ceo = sign_in(demo_site.app, demo_site.people["ceo"])
    for page in EXECUTIVE_PAGES:
        seen = analyst.get(f"/reports/{page}")
        assert seen.status_code == 200
        assert 'action="/reports/plans"' not in seen.get_data(as_text=True)
        assert analyst.get(f"/reports/{page}/report.json").status_code == 200
    assert 'action="/reports/plans"' in ceo.get("/reports/ceo").get_data(as_text=True)


def test_the_analyst_sees_the_score_tables_and_the_exports(demo_site):
    client = sign_in(demo_site.app, demo_site.people["analyst"])
    page = client.get("/reports/analyst").get_data(as_text=True)
    # In the order python -m analysis scores prints them (the stored report's
    # keys are sorted: the page once listed them alphabetically).
    order = ("Summary", "Reliability", "Know feel gap", "Perception gap", "Groups",
             "Change since previous", "Misconceptions", "Estimate misconceptions",
             "Drivers knowledge", "Drivers enps")
    headings = re.findall(r'<h2 id="table-[^"]+" class="section__heading">([^<]+)</h2>', page)
    assert tuple(headings) == order
    # And with the command's columns, in its order: what a row is about first.
    groups = page[page.index('id="table-groups"'):]
    columns = re.findall(r'<th scope="col">([^<]+)</th>', groups[:groups.index("</thead>")])
    assert columns[:2] == ["measure", "department"], columns
    export = client.get("/reports/analyst/export/responses.csv")
    assert export.status_code == 200 and export.data.startswith(b"response_id")
    assert client.get("/reports/analyst/export/secrets.txt").status_code == 404


def test_opening_a_page_reads_the_stored_report(demo_site):
    """Computed once per snapshot: the cache row exists and is what the page shows."""
    from analysis.leader_report import REPORT_VERSION

    client = sign_in(demo_site.app, demo_site.people["clo"])
    view = client.get("/reports/clo/report.json").get_json()
    with demo_site.app.app_context():
        db = get_db()
        slug = view["survey"]
        stored = storage.cached_report(db, slug, storage.latest_snapshot(db, slug), REPORT_VERSION)
    assert stored["measures"]["index_learning"]["score"] == view["key"]["score"]


def test_a_commitment_shows_beside_its_change_in_the_next_pulse(demo_site):
    """Recorded on the earlier pulse, listed open for its owner, and shown on
    the next pulse beside the change of its measure."""
    client = sign_in(demo_site.app, demo_site.people["ceo"])
    q3 = client.get("/reports/ceo/report.json?pulse=demo-2026-q3").get_json()
    q4 = client.get("/reports/ceo/report.json?pulse=demo-2026-q4").get_json()
    made = client.post("/reports/plans", data={
        "pulse": "demo-2026-q3", "source": "focus", "measure": "knowledge",
        "measure_label": "Knowledge of the strategy", "what": "Explain the goals in every team meeting",
        "owner": "clo", "due_on": "2027-01-31", "back": "/reports/ceo?pulse=demo-2026-q3"})
    assert made.status_code == 303
    overview = client.get("/reports/").get_data(as_text=True)
    assert "Explain the goals in every team meeting" in overview and "CLO" in overview
    clo = sign_in(demo_site.app, demo_site.people["clo"])
    page = clo.get("/reports/clo?pulse=demo-2026-q4").get_data(as_text=True)
    change = q4["measures"]["knowledge"]["score"] - q3["measures"]["knowledge"]["score"] if False else None
    with demo_site.app.app_context():
        from survey_app.reports import data

        before = data.report_for("demo-2026-q3")
        after = data.report_for("demo-2026-q4")
    change = after["measures"]["knowledge"]["score"] - before["measures"]["knowledge"]["score"]
    row = page[page.index("Explain the goals in every team meeting"):]
    row = row[:row.index("</tr>")]
    assert f"{change:+.0f} of 100" in row
    bad = client.post("/reports/plans", data={
        "pulse": "demo-2026-q4", "source": "focus", "measure": "knowledge", "measure_label": "x",
        "what": "", "owner": "cfo", "due_on": "someday"}, follow_redirects=True)
    assert "The commitment was not recorded" in bad.get_data(as_text=True)


def test_a_manager_commits_for_their_own_department_only(demo_site):
    client = sign_in(demo_site.app, demo_site.people["manager"])
    client.post("/reports/plans", data={
        "pulse": "demo-2026-q4", "source": "attention", "measure": "knowledge", "measure_label": "Knowledge",
        "department": "Finance", "what": "Weekly goals huddle", "owner": "ceo", "due_on": "2027-02-28"})
    with demo_site.app.app_context():
        plan = [p for p in storage.list_action_plans(get_db()) if p.what == "Weekly goals huddle"][0]
    assert plan.department == "Sales" and plan.owner == "department:Sales"
    assert "Weekly goals huddle" in client.get("/reports/department/Sales").get_data(as_text=True)
    other = storage_plan_of(demo_site, "Finance")
    assert client.post(f"/reports/plans/{other}/status", data={"status": "done"}).status_code == 403


def storage_plan_of(site, department: str) -> int:
    with site.app.app_context():
        return storage.add_action_plan(get_db(), pulse_slug="demo-2026-q4", source="attention",
                                       measure="knowledge", measure_label="Knowledge", department=department,
                                       what="Another department's plan", owner=f"department:{department}",
                                       due_on="2027-03-01", created_by="ceo@example.org")


def test_bad_commitments_are_refused_with_a_reason(demo_site):
    with demo_site.app.app_context():
        db = get_db()
        for kwargs, message in (({"owner": "cfo"}, "owner must be one of"),
                                ({"due_on": "soon"}, "due date"),
                                ({"what": " "}, "say what"),
                                ({"source": "whim"}, "source must be")):
            args = {"pulse_slug": "demo-2026-q4", "source": "focus", "measure": "knowledge",
                    "measure_label": "K", "what": "Do it", "owner": "ceo", "due_on": "2027-01-01",
                    "created_by": "x"} | kwargs
            with pytest.raises(storage.StorageError, match=message):
                storage.add_action_plan(db, **args)


# --- theme moves survive a refit ---------------------------------------------------


def test_a_moved_theme_stays_moved_after_the_themes_are_refitted(tmp_path, survey_answers):
    """The move is kept against the theme's terms; a new snapshot refits the
    themes and the best-matching theme gets the same owner; the audit log
    records the move."""
    site = make_demo_site(tmp_path)
    ceo = sign_in(site.app, site.people["ceo"])
    before = ceo.get("/reports/ceo/report.json").get_json()
    theme = before["themes"][0]
    moved = ceo.post("/reports/themes/move", data={
        "pulse": before["survey"], "terms": ",".join(theme["top_terms"]), "owner": "cmo",
        "back": "/reports/ceo"})
    assert moved.status_code == 303
    cmo_view = ceo.get("/reports/cmo/report.json").get_json()
    assert theme["label"] in [t["label"] for t in cmo_view["themes"]]
    # Ten more answers in one combination: a new snapshot, a new fit.
    with site.app.app_context():
        db = get_db()
        first = storage.latest_snapshot(db, before["survey"])
        for _ in range(10):
            answers = {k: v for k, v in survey_answers.items() if not k.startswith("seg_")}
            answers["c_clarity"] = "Tell us the goals and the targets every month, the plan is unclear"
            storage.submit_response(db, pulse_slug=before["survey"], answers=_typed(answers),
                                    segments={"department": "Operations", "role_level": "staff"})
        assert storage.publish_snapshot(db, before["survey"]) > first  # a submission publishes too
        moves = [e for e in storage.list_audit(db) if e.action == "move theme"]
    after = ceo.get("/reports/cmo/report.json").get_json()
    refit = [t for t in after["themes"] if t.get("moved")]
    assert refit, "the move was not re-applied to the refitted themes"
    from analysis.leader_report import match_theme

    best = match_theme(ceo.get("/reports/cmo/report.json").get_json()["themes"], theme["top_terms"])
    assert best is not None and best["owner"] == "cmo"
    assert moves and theme["top_terms"][0] in moves[0].detail


def _typed(form: dict) -> dict:
    """Form strings as stored values: numbers for the numeric items."""
    out = {}
    for key, value in form.items():
        out[key] = float(value) if re.fullmatch(r"-?\d+(\.\d+)?", str(value)) else value
    return out


def test_docs_reports_lists_every_report_endpoint(demo_site):
    """docs/reports.md's table of routes cannot drift from the URL map."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    endpoints = {rule.endpoint for rule in demo_site.app.url_map.iter_rules()
                 if rule.endpoint.startswith("reports.")}
    documented = set(re.findall(r"`(reports\.\w+)`", doc))
    # The table names the executives' pages by the CEO's, "…" for the other two.
    documented |= {f"reports.{page}{suffix}" for page in EXECUTIVE_PAGES for suffix in ("", "_download")}
    assert endpoints - documented == set()
