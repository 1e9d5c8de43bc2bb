"""SQL is never built from strings but for checked identifiers.

Part one reads the source (``ast``) of the app and of analysis/loader/: every
f-string, ``%``, ``+`` or ``.format`` whose text looks like SQL may put in only
what is provably fixed or checked:

- string constants, and names bound only to them (module constants, literal
  tuples, ``x if cond else "..."`` of constants);
- the result of a *checker* (:data:`CHECKERS`: each raises on a name outside
  a fixed set, which part two proves by calling it);
- a function's parameter the function itself refuses unless it is in a fixed
  set (``if name not in SEGMENTS: raise ...`` before any other statement);
- ``", ".join(f"{b} = ?" for b in <checked>)`` and the like.

Anything else, a value from a request say, fails with its file and line.
Part three posts SQL injection attempts through every text input of the
survey, the login and the admin forms and checks the database is intact.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from survey_app import storage
from survey_app.storage.base import StorageError, breakdowns_of, checked_columns
from tests.conftest import ROOT

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|WHERE|FROM|JOIN|"
                 r"VALUES|GROUP BY|ORDER BY|SET)\b")
SOURCES = sorted((ROOT / "survey_app").rglob("*.py")) + sorted((ROOT / "analysis" / "loader").glob("*.py"))
#: Functions that return only names from a fixed set (or raise).
CHECKERS = {"checked_columns", "breakdowns_of", "_breakdowns", "_columns", "_table", "_key_columns"}
#: Fixed sets a guard may test membership in.
FIXED_SETS = {"SEGMENTS", "_USER_UPDATES", "_COUNTED_TABLES", "_TABLE_NAMES"}


class Scope:
    """What one function (or the module) binds, for tracing a name back."""

    def __init__(self, module: ast.Module, function: ast.AST | None):
        self.module_literals = {
            t.id for node in module.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name) and _literal(node.value)
        }
        self.function = function
        self.params, self.guarded = set(), set()
        self.assigned: dict[str, list[ast.AST]] = {}
        self.loops: dict[str, list[ast.AST]] = {}
        if function is None:
            return
        args = function.args
        self.params = {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs}
        for stmt in function.body:
            guard = _guarded_name(stmt)
            if guard is None:
                break
            self.guarded.add(guard)
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                            and len(target.elts) == len(node.value.elts)):
                        pairs = zip(target.elts, node.value.elts)  # a, b = x, y
                    else:
                        pairs = [(target, node.value)]
                    for one, value in pairs:
                        for name in _names(one):
                            self.assigned.setdefault(name, []).append(value)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "append" and isinstance(node.func.value, ast.Name)
                  and len(node.args) == 1):
                # items.append(x): x is one more item of the list ``items``
                self.assigned.setdefault(node.func.value.id, []).append(ast.List(elts=node.args))
            elif isinstance(node, ast.For):
                for name in _names(node.target):
                    self.loops.setdefault(name, []).append(node.iter)


def _names(target) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names(elt)]
    return []


def _literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_literal(k) and _literal(v) for k, v in zip(node.keys, node.values))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "frozenset", "set", "tuple"):
        return all(_literal(a) for a in node.args)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    return False


def _guarded_name(stmt) -> str | None:
    """``x`` for ``if x not in FIXED: raise ...`` (a docstring is skipped as None-guard)."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return ""  # the docstring: keep looking
    if (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare)
            and isinstance(stmt.test.ops[0], ast.NotIn) and isinstance(stmt.test.left, ast.Name)
            and isinstance(stmt.test.comparators[0], ast.Name)
            and stmt.test.comparators[0].id in FIXED_SETS
            and stmt.body and isinstance(stmt.body[0], ast.Raise)):
        return stmt.test.left.id
    return None


def safe(node, scope: Scope, bound=frozenset(), depth=0) -> bool:
    """Whether ``node`` can only be fixed text or checked identifiers."""
    if depth > 12:
        return False
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(safe(v.value, scope, bound, depth + 1) for v in node.values
                   if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.IfExp):
        return safe(node.body, scope, bound, depth + 1) and safe(node.orelse, scope, bound, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return safe(node.left, scope, bound, depth + 1) and safe(node.right, scope, bound, depth + 1)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in CHECKERS:
            return True
        if (isinstance(node.func, ast.Attribute) and node.func.attr == "join"
                and isinstance(node.func.value, ast.Constant) and len(node.args) == 1):
            return safe_items(node.args[0], scope, bound, depth + 1)
        return False
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Name) and node.value.id in scope.module_literals
    if isinstance(node, ast.Name):
        return name_safe(node.id, scope, bound, depth, items=False)
    return False


def safe_items(node, scope, bound, depth) -> bool:
    """Whether every item ``node`` yields is safe (an iterable of checked names)."""
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        names = set(bound)
        used = {n.id for n in ast.walk(node.elt) if isinstance(n, ast.Name)}
        for comp in node.generators:
            targets = set(_names(comp.target))
            # ", ".join("?" for _ in values): the items are constants, so
            # what is iterated does not reach the text.
            if targets & used and not safe_items(comp.iter, scope, bound, depth + 1):
                return False
            names |= targets
        return safe(node.elt, scope, frozenset(names), depth + 1)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(safe(e, scope, bound, depth + 1) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CHECKERS:
        return True
    if isinstance(node, ast.Name):
        return name_safe(node.id, scope, bound, depth, items=True)
    return False


def name_safe(name, scope, bound, depth, *, items) -> bool:
    if name in bound:
        return True
    if name in scope.guarded:
        return True
    values = scope.assigned.get(name, [])
    loops = scope.loops.get(name, [])
    if values or loops:
        check = safe_items if items else safe
        return (all(check(v, scope, bound, depth + 1) for v in values)
                and all(safe_items(it, scope, bound, depth + 1) for it in loops))
    if name in scope.params:
        return False
    return name in scope.module_literals or name in FIXED_SETS


def built_sql(path: Path) -> list[tuple[int, str, bool]]:
    """``(line, source, safe)`` for every piece of SQL built from strings in ``path``."""
    module = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, Scope(module, child))
                continue
            text = None
            if isinstance(child, ast.JoinedStr):
                text = "".join(v.value for v in child.values if isinstance(v, ast.Constant))
                is_safe = safe(child, scope)
            elif isinstance(child, ast.BinOp) and isinstance(child.op, (ast.Mod, ast.Add)):
                strings = [s.value for s in (child.left, child.right)
                           if isinstance(s, ast.Constant) and isinstance(s.value, str)]
                text = " ".join(strings)
                is_safe = isinstance(child.op, ast.Add) and safe(child, scope)
            elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                  and child.func.attr == "format" and isinstance(child.func.value, ast.Constant)
                  and isinstance(child.func.value.value, str)):
                text, is_safe = child.func.value.value, False
            if text is not None and SQL.search(text) and not _is_message(child, node):
                found.append((child.lineno, ast.unparse(child), is_safe))
                continue
            visit(child, scope)

    visit(module, Scope(module, None))
    return found


def _is_message(node, parent) -> bool:
    """An error message or log line that mentions SQL words is not SQL."""
    return isinstance(parent, (ast.Raise, ast.Call)) and isinstance(parent, ast.Call) and (
        isinstance(parent.func, ast.Name) and parent.func.id.endswith("Error")
        or isinstance(parent.func, ast.Attribute) and parent.func.attr in (
            "echo", "warning", "info", "error", "debug", "secho", "append", "flash"))


def test_sql_is_built_only_from_constants_and_checked_identifiers():
    unsafe, built = [], 0
    for path in SOURCES:
        for line, source, is_safe in built_sql(path):
            built += 1
            if not is_safe:
                unsafe.append(f"{path.relative_to(ROOT)}:{line}: {source[:120]}")
    assert not unsafe, "SQL built from unchecked strings:\n" + "\n".join(unsafe)
    # The scan found the dynamic SQL there is (it is not looking at nothing).
    assert built >= 12


@pytest.mark.parametrize("source, expected", [
    ('def f(db, name):\n    db.execute(f"SELECT {name} FROM t")\n', False),
    ('def f(db, req):\n    db.execute("SELECT * FROM t WHERE a = \'%s\'" % req)\n', False),
    ('def f(db, req):\n    db.execute("SELECT * FROM t WHERE a = " + req)\n', False),
    ('def f(db, req):\n    db.execute("SELECT {} FROM t".format(req))\n', False),
    ('def f(db, cols):\n    s = ", ".join(f"{c} = ?" for c in cols)\n    db.execute(f"UPDATE t SET {s}")\n',
     False),
    ('def f(db, row):\n    s = ", ".join(f"{c} = ?" for c in breakdowns_of(row))\n'
     '    db.execute(f"UPDATE t SET {s}")\n', True),
    ('def f(db, seg):\n    if seg not in SEGMENTS:\n        raise ValueError(seg)\n'
     '    db.execute(f"SELECT {seg} FROM t")\n', True),
    ('T = (("a", "x = ?"),)\ndef f(db):\n    for t, w in T:\n        db.execute(f"DELETE FROM {t} WHERE {w}")\n',
     True),
    ('def f(db, c):\n    p = " AND x" if c else ""\n    db.execute(f"SELECT a FROM t WHERE b = ?{p}")\n', True),
    ('def f(db, ids, o):\n    w = []\n    w.append(f"id IN ({\', \'.join(\'?\' for _ in ids)})")\n'
     '    if o:\n        w.append("owner = ?")\n    db.query("SELECT * FROM t" + (" WHERE " + " AND ".join(w) if w else ""))\n',
     True),
    ('def f(db, o):\n    w = []\n    w.append(f"owner = {o}")\n'
     '    db.query("SELECT * FROM t" + (" WHERE " + " AND ".join(w) if w else ""))\n', False),
])
def test_the_scan_tells_checked_from_unchecked(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    (found,) = built_sql(path)
    assert found[2] is expected, found


def test_the_checkers_refuse_names_outside_their_set():
    assert checked_columns(["department", "role_level"]) == ("department", "role_level")
    for bad in ("department; DROP TABLE responses", "1=1 --", "users", ""):
        with pytest.raises(StorageError):
            checked_columns(["department", bad])
        with pytest.raises(StorageError):
            breakdowns_of({"breakdowns": f"department,{bad or 'x y'}"})
    with pytest.raises(storage.UserError):
        storage.users._update(None, 1, "role = 'admin'", [])
    with pytest.raises(StorageError):
        storage.roster_values(None, "p", "department FROM invitations --")
    from survey_app.storage.copy import _columns, _count

    for bad in ("responses; DROP TABLE answers", "sqlite_master", ""):
        with pytest.raises(StorageError):
            _count(None, bad)
        with pytest.raises(StorageError):
            _columns(None, bad)


@pytest.mark.postgres_only
def test_the_postgres_table_checkers_refuse_what_is_not_a_table(store):
    from survey_app.pg import _key_columns, _table

    assert _table(store, "responses") == "responses"
    assert _key_columns(store, "answers") == ["response_id", "item_id"]
    for bad in ("responses; DROP TABLE answers", "pg_class", "responses --", ""):
        with pytest.raises(StorageError):
            _table(store, bad)
        with pytest.raises(StorageError):
            _key_columns(store, bad)


INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE responses; --", "\" OR 1=1 --", "1; DELETE FROM users",
    "x' UNION SELECT password_hash FROM users --", "%' AND 1=0 UNION SELECT 1 --",
    "Robert'); DROP TABLE invitations;--", "\\'; --", "') OR ('a'='a", "0x27 OR 1=1",
]


def _table_counts(db):
    return {t: db[t].count for t in db.table_names()}


def test_injection_attempts_through_every_text_input(make_admin_app, db, make_pulse, instrument,
                                                    survey_answers):
    pulse = make_pulse()
    app, admin = make_admin_app()
    texts = [i.id for i in instrument.items if i.type in ("comment", "recall")]
    anonymous = app.test_client()
    for n, attempt in enumerate(INJECTIONS):
        anonymous.post("/login", data={"email": attempt, "password": attempt}).close()
        anonymous.post("/login", data={"email": f"{attempt}@example.com", "password": attempt}).close()
        admin.post("/admin/users/new", data={"email": f"x{n}@example.com", "role": "manager",
                                             "department": attempt, "password": attempt * 3,
                                             "confirm": attempt * 3}).close()
        admin.post("/admin/pulses/new", data={"slug": attempt, "title": attempt, "period": attempt,
                                              "instrument_file": attempt}).close()
        admin.post(f"/admin/pulses/{pulse.slug}/invitations/resend", data={"email": attempt}).close()
        admin.get(f"/reports/department/{attempt}").close()
        admin.get(f"/admin/pulses/{attempt}").close()
        anonymous.get(f"/s/{attempt}").close()
        anonymous.get(f"/o/{attempt}").close()
    before = _table_counts(db)
    for n, attempt in enumerate(INJECTIONS):
        data = dict(survey_answers, **{t: attempt for t in texts})
        assert anonymous.post(f"/s/{pulse.tokens[n]}", data=data).status_code == 303
    after = _table_counts(db)
    # Exactly the ten responses were added, and every table is still there.
    assert set(after) == set(before)
    assert after["responses"] == before["responses"] + len(INJECTIONS)
    stored = {row["value_text"] for row in db.query("SELECT value_text FROM answers")}
    assert set(INJECTIONS) <= stored
    admin_row = next(db.query("SELECT role FROM users WHERE email = 'admin@example.com'"))
    assert admin_row["role"] == "admin"
