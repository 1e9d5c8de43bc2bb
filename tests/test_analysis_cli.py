"""The analysts' command line on the demo database and on its CSV export."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from survey_app import storage
from survey_app.db import connect, migrate
from survey_app.demo import generate_demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.sqlite3"
    db = connect(path)
    migrate(db)
    generate_demo(db, seed=0, links_csv=folder / "links.csv")
    csv_path, json_path = storage.export_pulse(db, "demo-2026-q4", folder / "export")
    db.close()
    return path, csv_path, json_path


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_scores_on_the_demo_database_by_department(demo_db, capsys):
    path, _, _ = demo_db
    code, out, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4", "--by", "department",
                         "--format", "json", "--no-progress")
    assert code == 0, err
    report = json.loads(out)
    assert report["visible"] and report["n_responses"] > 150
    measures = {row["measure"] for row in report["summary"]}
    assert {"index_strategy", "index_customer", "index_learning", "overall"} <= measures
    for row in report["summary"]:
        assert 0 <= row["mean"] <= 100
    assert {row["construct"] for row in report["reliability"]} == {"strategy", "customer", "learning"}
    assert -100 <= report["enps"]["score"] <= 100
    departments = {row["group"] if "group" in row else row["department"] for row in report["groups"]}
    assert len(departments) >= 5
    # The demo has a previous pulse in the series: change since then is reported.
    assert report["change_since_previous"]
    assert report["drivers_knowledge"] and report["drivers_enps"]
    # A small department is suppressed, never shown with its statistics.
    for row in report["groups"]:
        if not row["visible"]:
            assert row["reason"] and row["mean"] is None


def test_scores_table_and_csv_formats(demo_db, capsys):
    path, _, _ = demo_db
    code, out, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4", "--no-progress")
    assert code == 0, err
    assert "Strategy alignment (CEO)" in out and "eNPS" in out
    code, out, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4", "--by", "role_level",
                         "--format", "csv", "--no-progress")
    assert code == 0, err
    assert out.splitlines()[0].count(",") >= 4


def test_scores_on_the_export_match_the_database(demo_db, capsys):
    path, csv_path, json_path = demo_db
    code, from_export, err = run(capsys, "scores", "--csv", csv_path, "--pulse", json_path, "--format", "json",
                                 "--no-progress")
    assert code == 0, err
    code, from_db, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4", "--format", "json",
                             "--no-progress")
    assert code == 0, err
    export_summary = pd.DataFrame(json.loads(from_export)["summary"])
    db_summary = pd.DataFrame(json.loads(from_db)["summary"])
    pd.testing.assert_frame_equal(export_summary, db_summary)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scores", "--db", "{db}", "--survey", "nope"], "unknown survey 'nope'"),
        (["scores", "--db", "{db}"], "--db needs --survey"),
        (["scores"], "say where the responses are"),
        (["scores", "--db", "{missing}", "--survey", "x"], "no such database file"),
        (["scores", "--db", "{db}", "--survey", "demo-2026-q4", "--by", "salary"], "unknown segment salary"),
        (["scores", "--db", "{db}", "--survey", "demo-2026-q4", "--min-group", "2"], "can never be below 3"),
        (["themes", "{missing}"], "cannot read the file"),
        (["themes", "--db", "{db}", "--survey", "demo-2026-q4", "--themes", "many"], "--themes must be"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(demo_db, capsys, tmp_path, args, message):
    path, _, _ = demo_db
    args = [a.format(db=path, missing=tmp_path / "missing.csv") for a in args]
    code, out, err = run(capsys, *args, "--no-progress")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert message in err


def test_unknown_survey_through_python_dash_m(demo_db):
    """The real entry point: exit status 2 and exactly one line on stderr."""
    path, _, _ = demo_db
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "scores", "--db", str(path), "--survey", "nope"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown survey 'nope'" in result.stderr


def test_themes_from_the_database_and_from_a_csv(demo_db, capsys, tmp_path):
    path, _, _ = demo_db
    out_csv = tmp_path / "themes.csv"
    code, out, err = run(capsys, "themes", "--db", path, "--survey", "demo-2026-q4", "--out", out_csv,
                         "--no-progress")
    assert code == 0, err
    rows = pd.read_csv(out_csv)
    assert {"theme_id", "theme_label", "owner", "sentiment"} <= set(rows.columns)
    assert set(rows["owner"].dropna()) <= {"ceo", "clo", "cmo", "other"}
    assert "themes" in out
    # The leaders' report fits the same comments (this command shuffles its
    # rows, the report sorts them): the same themes, sizes and owners.
    from analysis.leader_report import build_leader_report
    from analysis.loader import load_from_db

    from_command = sorted(rows.groupby(["theme_label", "owner"]).size().items())
    report = build_leader_report(load_from_db(path, "demo-2026-q4"), n_boot=10)
    from_report = sorted(((t["label"], t["owner"]), t["size"]) for t in report["comments"]["themes"])
    assert len(from_report) >= 3
    assert from_command == from_report

    comments = tmp_path / "comments.csv"
    pd.DataFrame({"text": ["Training was too short"] * 6 + ["Customers complain about late deliveries"] * 6
                  + ["no comment"] * 2}).to_csv(comments, index=False)
    code, out, err = run(capsys, "themes", comments, "--text-column", "text", "--out", out_csv, "--no-progress")
    assert code == 0, err
    rows = pd.read_csv(out_csv)
    assert len(rows) == 14
    code, out, err = run(capsys, "themes", comments, "--text-column", "comment", "--no-progress")
    assert code == 2 and "no column 'comment'" in err


def test_themes_scrub_the_roster_names_given(capsys, tmp_path):
    comments = tmp_path / "comments.csv"
    texts = [f"Ask Priya Raman about the training plan, she is great {i}" for i in range(6)] + [
        f"priya's customers keep complaining about late deliveries {i}" for i in range(6)
    ]
    pd.DataFrame({"text": texts}).to_csv(comments, index=False)
    roster = tmp_path / "roster.txt"
    roster.write_text("# people\nPriya Raman\n", encoding="utf-8")
    code, out, err = run(capsys, "themes", comments, "--roster", roster, "--format", "json", "--no-progress")
    assert code == 0, err
    assert "priya" not in out.lower() and "raman" not in out.lower()
    assert "name: 12" in run(capsys, "themes", comments, "--roster", roster, "--no-progress")[1]
    code, out, err = run(capsys, "themes", comments, "--roster", tmp_path / "nobody.txt", "--no-progress")
    assert code == 2 and "nobody.txt: cannot read the file" in err


def test_themes_are_not_shown_for_too_few_commenters(capsys, tmp_path):
    comments = tmp_path / "comments.csv"
    pd.DataFrame({"text": ["Training was too short", "More customer visits", "n/a"] * 2}).to_csv(comments, index=False)
    out_csv = tmp_path / "themes.csv"
    code, out, err = run(capsys, "themes", comments, "--out", out_csv, "--no-progress")
    assert code == 0, err
    assert out.startswith("Comments not shown:") and "10" in out
    assert not out_csv.exists()


def test_any_report_table_as_csv(demo_db, capsys):
    path, _, _ = demo_db
    code, out, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4", "--format", "csv",
                         "--table", "reliability", "--no-progress")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert set(table["construct"]) == {"strategy", "customer", "learning"}
    assert ((table["alpha"] > 0) & (table["alpha"] < 1)).all()
    code, out, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4", "--format", "csv",
                         "--table", "nonsense", "--no-progress")
    assert code == 2 and "--table nonsense: no such table" in err


def test_usage_mistakes_are_one_line_too(demo_db, capsys):
    path, _, _ = demo_db
    with pytest.raises(SystemExit) as caught:
        main(["scores", "--db", str(path), "--survey", "demo-2026-q4", "--format", "xml"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: argument --format: invalid choice")
    code, out, err = run(capsys, "scores", "--db", path, "--survey", "demo-2026-q4",
                         "--by", "department,team,role_level", "--no-progress")
    assert code == 2 and "--by takes one segment or two" in err
    # A database or export given without its option: say which option takes it.
    for stray, hint in ((str(path), f"a database is given with --db {path}"),
                        ("responses.csv", "a CSV export is given with --csv responses.csv")):
        with pytest.raises(SystemExit):
            main(["scores", stray, "--survey", "demo-2026-q4"])
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "unrecognized arguments" in err and hint in err, err


def test_themes_from_the_export_match_the_database(demo_db, capsys, tmp_path):
    path, csv_path, json_path = demo_db
    from_db, from_export = tmp_path / "db.csv", tmp_path / "export.csv"
    code, _, err = run(capsys, "themes", "--db", path, "--survey", "demo-2026-q4", "--out", from_db, "--no-progress")
    assert code == 0, err
    code, _, err = run(capsys, "themes", "--csv", csv_path, "--pulse", json_path, "--out", from_export, "--no-progress")
    assert code == 0, err
    left = pd.read_csv(from_db).sort_values(["item", "text"]).reset_index(drop=True)
    right = pd.read_csv(from_export).sort_values(["item", "text"]).reset_index(drop=True)
    assert len(left) > 100
    # The same comments, and the same themes: analyse_comments fits them in
    # text order, whatever order the database or the export hands them over in.
    columns = ["item", "text", "theme_id", "theme_label", "owner"]
    pd.testing.assert_frame_equal(left[columns], right[columns])
    assert left["theme_label"].nunique() >= 3


def test_themes_without_the_word_embeddings(capsys, tmp_path):
    # --no-embeddings reaches the clusterer: the rows are exactly those of
    # analyse_comments(embeddings=None), and the embeddings change them.
    from analysis.comments import analyse_comments

    demo = pd.read_csv(Path(__file__).resolve().parents[1] / "bench" / "data" / "themes_demo.tsv", sep="\t")
    column = demo.columns[-1]
    comments = tmp_path / "comments.csv"
    demo[[column]].rename(columns={column: "text"}).to_csv(comments, index=False)
    texts = pd.read_csv(comments)["text"]
    for flag, embeddings in ((), "wordllama"), (("--no-embeddings",), None):
        out_csv = tmp_path / f"themes-{embeddings}.csv"
        code, _, err = run(capsys, "themes", comments, "--out", out_csv, "--no-progress", *flag)
        assert code == 0, err
        expected = analyse_comments(texts, embeddings=embeddings).comments["theme_id"]
        assert pd.read_csv(out_csv)["theme_id"].tolist() == expected.tolist()
    with_embeddings = pd.read_csv(tmp_path / "themes-wordllama.csv")["theme_label"]
    words_alone = pd.read_csv(tmp_path / "themes-None.csv")["theme_label"]
    assert with_embeddings.tolist() != words_alone.tolist()
