"""Time `guides approve` and `guides publish` on a generated 10,000-guide library, and size the ledger.

    .venv/bin/python bench/bench_publish.py [--guides 10000] [--runs 5] [--changes 1000]
                                            [--backends sqlite,postgresql] [--postgres URL]

The library is the one ``bench_check.py`` generates (``bench/out/lib-N``), copied to
``bench/out/publish-N-<backend>``, given a directory channel in ``library.yaml`` and made a git
repository whose edits are committed by 编辑员 (so that four eyes holds: 审核员 approves). For each
ledger backend (SQLite in the library's ``.guides/``; PostgreSQL when reachable, in a schema of
its own that is dropped afterwards):

1. set-up, timed once and not part of the medians: the first approval of every guide and the
   first publish of them all (issue 17's target with ``--channels all``: ≤ 180 s), reported as a
   row of its own with its CPU time (workers included) and each channel's share, read from the
   ledger's delivery and signing times (an earlier run's work folder is set aside and removed
   at the end: :func:`set_aside`);
2. timed, the median of ``--runs`` runs after one untimed warm-up, each run a fresh change (one
   guide's promised time limit), committed, then approved and published as separate processes:
   ``guides approve LIB --guide ID …``, ``guides publish LIB``; also ``guides approve`` without
   ``--guide`` (the whole library compared with the ledger), and a ``guides publish`` with
   nothing to deliver (what a cron job pays every minute);
3. where the time of one approve and one publish goes: the same processes run once more with their
   main steps wrapped in timers (``PHASES``), and with ``python -X importtime``;
4. the ledger's size before and after ``--changes`` more approved changes (``generate.mutate``:
   time limits, conditions, materials), approved ``--batch`` guides at a time and each batch
   published at once, so that every change is one new version delivered once to the channel.

Every time is a whole process (``subprocess``, wall clock, ``time.perf_counter``). The processes
run a copy of ``guidesrc/`` taken when the benchmark starts (``bench/out/publish-src``, first on
``PYTHONPATH``), so that edits made to the working tree meanwhile change neither the code measured
nor, through the code fingerprint, the caches it keeps. Results are printed as Markdown and written to ``bench/out/publish-results.md`` (raw figures in
``publish-results.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from bench_check import (
    BIN,
    OUT,
    REPO,
    BenchError,
    Timing,
    _short,
    ensure_library,
    library_stats,
    machine_facts,
    source_digest,
)

GUIDES = BIN / "guides"
PYTHON = BIN / "python"
EDITOR = "编辑员"
CHANNEL = "site"
CHANNEL_YAML = f"""channels:
  {CHANNEL}:
    type: directory
    settings:
      path: .guides/published
"""
#: ``--channels all``: the five channels of issue 17 (site, pdf, hotline, mobile, directory).
ALL_CHANNELS_YAML = """channels:
  archive:
    type: directory
    settings:
      path: .guides/published
  site:
    type: site
    settings:
      path: .guides/site
  print:
    type: pdf
    settings:
      path: .guides/print
  hotline:
    type: hotline
    settings:
      path: .guides/hotline
  mobile:
    type: mobile
    settings:
      path: .guides/mobile
"""
PUBLISH_TARGET = 1.0  # seconds, issue 4 (one change live: issue 17)
FIRST_TARGET = 180.0  # seconds, issue 17: a first publish of every guide to the five channels
DEFAULT_POSTGRES = os.environ.get(
    "GUIDES_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_PROMISED = re.compile(r"^promised_time_limit: \{value: (\d+), unit: (\S+)\}$", re.M)
_STATUTORY = re.compile(r"^statutory_time_limit: \{value: (\d+), unit: (\S+)\}$", re.M)

#: The steps timed in one approve and one publish process: (module, function, label). A function
#: is looked up at call time by its callers, so wrapping the module attribute times every call;
#: labels starting with two spaces are steps inside the step above them.
PHASES = {
    "approve": [
        ("guidesrc.check.engine", "check_library", "check the library (as `guides check`)"),
        ("guidesrc.workdays", "load_calendar", "working-day calendar"),
        ("guidesrc.services.library", "open_library", "open the ledger (configuration in force)"),
        ("guidesrc.worktree", "working_state", "load the working tree (read, hash every file)"),
        ("guidesrc.approve", "pending_changes", "pending changes (compare with the ledger)"),
        ("guidesrc.approve", "latest_versions", "  latest versions of every guide"),
        ("guidesrc.approve", "record_approval", "record the approval"),
        ("guidesrc.approve", "editors_since", "  editors since the approved commit (git)"),
    ],
    "publish": [
        ("guidesrc.services.library", "open_library", "open the ledger (configuration in force)"),
        ("guidesrc.config_in_force", "in_force", "  configuration in force"),
        ("guidesrc.publisher", "channel_adapters", "channel adapters"),
        (
            "guidesrc.publisher",
            "queue_new_channels",
            "queue for new channels (beside the adapters)",
        ),
        ("guidesrc.publisher", "_due", "deliveries due"),
        ("guidesrc.publisher", "_deliver_batch", "deliver (adapter, ledger updates)"),
        ("guidesrc.publisher", "_still_open", "count deliveries still open"),
    ],
}

#: Run as ``python -c DRIVER OUT.json COMMAND ARGS…``: the guides CLI with PHASES timed.
DRIVER = r"""
import importlib, json, sys, time
started = time.perf_counter()
out, phases = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["guides", *sys.argv[3:]]
spent = {}
def wrap(module, name):
    fn = getattr(module, name)
    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
    setattr(module, name, timed)
import guidesrc.cli
for module_name, name in phases:
    module = importlib.import_module(module_name)
    if hasattr(module, name):
        wrap(module, name)
imported = time.perf_counter()
try:
    guidesrc.cli.main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
done = time.perf_counter()
with open(out, "w") as f:
    json.dump({"imports": imported - started, "main": done - imported, "phases": spent}, f)
sys.exit(code)
"""


@dataclass(slots=True)
class Backend:
    name: str  # "SQLite" or "PostgreSQL"
    url: str | None  # GUIDES_DATABASE_URL, None for the SQLite file
    schema: str | None = None


@dataclass(slots=True)
class Result:
    backend: str
    setup: dict[str, float] = field(default_factory=dict)
    #: the first publish of every guide (issue 17): wall, cpu, guides, channels (name → seconds)
    first: dict[str, Any] = field(default_factory=dict)
    timings: list[Timing] = field(default_factory=list)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # by timing label: user + system
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Processes


def freeze_source(rev: str | None = None) -> Path:
    """A copy of ``guidesrc/`` as it is now, which every process started from here runs.

    The copy has its own package metadata, with the adapter entry points whose modules it has:
    adapters are found through entry points, and the installed ones may name modules written
    after the copy was taken."""
    from importlib.metadata import distribution

    snapshot = OUT / "publish-src"
    shutil.rmtree(snapshot, ignore_errors=True)
    if rev is None:
        shutil.copytree(
            REPO / "guidesrc", snapshot / "guidesrc", ignore=shutil.ignore_patterns("__pycache__")
        )
    else:  # the package as committed at ``rev`` (measure main before a change, say)
        snapshot.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "guidesrc"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive, check=True)
    dist = distribution("guidesrc")
    info = snapshot / f"guidesrc-{dist.version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(dist.read_text("METADATA") or "", encoding="utf-8")
    kept = []
    for line in (dist.read_text("entry_points.txt") or "").splitlines():
        module = line.partition("=")[2].strip().partition(":")[0]
        parts = module.split(".")
        if module.startswith("guidesrc.") and not (
            (snapshot.joinpath(*parts).with_suffix(".py")).is_file()
            or (snapshot.joinpath(*parts) / "__init__.py").is_file()
        ):
            continue  # installed since, or removed: not part of the copy
        kept.append(line)
    (info / "entry_points.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    # Byte-compiled as pip installs it: with PYTHONDONTWRITEBYTECODE set (as on this machine) every
    # process would otherwise compile the package's sources again (≈ 0.2 s of a publish).
    run([str(PYTHON), "-m", "compileall", "-q", str(snapshot / "guidesrc")])
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(snapshot) + (os.pathsep + path if path else "")
    found = run([str(PYTHON), "-c", "import guidesrc; print(guidesrc.__file__)"]).out.strip()
    if not found.startswith(str(snapshot)):
        raise BenchError(f"the copy of guidesrc is not the one imported: {found}")
    return snapshot


@dataclass(frozen=True, slots=True)
class Proc:
    wall: float  # seconds
    cpu: float  # seconds of user and system time: what the process needed on an idle machine
    out: str


def git_describe() -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def run(cmd: Sequence[str]) -> Proc:
    """Times and stdout of one process, which must succeed (as ``run_once``).

    It runs in ``bench/out``: ``python -c`` and ``-m`` put their working folder first on the
    path, and that must not be the repository (whose ``guidesrc/`` may be changing)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=OUT, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace")[-2000:]
        raise BenchError(
            f"{' '.join(_short(c) for c in cmd[:5])} … exited {proc.returncode}:\n{tail}"
        )
    return Proc(elapsed, cpu, proc.stdout.decode("utf-8", "replace"))


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", f"user.name={EDITOR}", "-c", "user.email=editor@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def approve_cmd(lib: Path, guide_ids: Sequence[str] = ()) -> list[str]:
    cmd = [str(GUIDES), "--lang", "en", "approve", str(lib)]
    for guide_id in guide_ids:
        cmd += ["--guide", guide_id]
    return [*cmd, "--effective", "today", "--note", "基准测试：变更"]


def publish_cmd(lib: Path) -> list[str]:
    return [str(GUIDES), "--lang", "en", "publish", str(lib)]


def approve(lib: Path, guide_ids: Sequence[str] = (), expect: int | None = None) -> Proc:
    proc = run(approve_cmd(lib, guide_ids))
    approved = [line for line in proc.out.splitlines() if "\tv" in line]
    wanted = len(guide_ids) if expect is None else expect
    if len(approved) != wanted:
        raise BenchError(f"approve: {len(approved)} approved, {wanted} expected:\n{proc.out}")
    return proc


DELIVERED = ("delivered\t", "to post\t")
#: Channels of the library measured: a publish delivers each guide once to each.
CHANNELS = 1


def publish(lib: Path, expect: int) -> Proc:
    expect *= CHANNELS
    proc = run(publish_cmd(lib))
    # the pdf channel's sheets are handed over "to post" (staff confirm the posting)
    delivered = [line for line in proc.out.splitlines() if line.startswith(DELIVERED)]
    if len(delivered) != expect:
        tail = proc.out[-2000:]
        raise BenchError(f"publish: {len(delivered)} deliveries, {expect} expected:\n{tail}")
    return proc


# ---------------------------------------------------------------------------------------------
# The library and its edits


def prepare(base: Path, work: Path, channels: str = "directory") -> float:
    """``work``: a copy of ``base`` with a directory channel (or all five), in git. Returns the
    git seconds."""
    set_aside(work)
    shutil.copytree(base, work, ignore=shutil.ignore_patterns(".guides", ".git"))
    config = work / "library.yaml"
    text = config.read_text(encoding="utf-8")
    if "channels: {}\n" not in text:
        raise BenchError(f"{config}: no empty `channels: {{}}` to replace")
    channels_yaml = ALL_CHANNELS_YAML if channels == "all" else CHANNEL_YAML
    config.write_text(text.replace("channels: {}\n", channels_yaml), encoding="utf-8")
    started = time.perf_counter()
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "library")
    return time.perf_counter() - started


#: Where an earlier run's work folder goes until the first publish has been timed.
TRASH = OUT / "trash"


def set_aside(work: Path) -> None:
    """Move an earlier run's ``work`` folder out of the way, to be removed when every figure has
    been taken (:func:`empty_trash`, at the end), not now.

    On a file system without a journal (this machine's ext4: ``/sys/fs/ext4/*/journal_task`` is
    ``<none>``), ext4 skips, when it gives out an inode, every inode freed in the last 60 s (360 s
    while its table block is dirty), looking each one up in the buffer cache
    (``recently_deleted``). Removing the earlier run's 130,000 files right before the first
    publish made its file creations pay for that: ``perf`` on a 1,000-guide first publish showed
    15 % of all CPU in the kernel (``find_get_block_common``, ``recently_deleted``) against 3.5 %
    in a folder with no deletions nearby, and 49.5 against 41.9 CPU-s. A service centre's first
    publish follows no such deletion, so the benchmark does not make one either (nor before the
    one-change runs, whose temporary files paid for it too). A run started within a few minutes
    of the end of another still follows its removal."""
    if work.exists():
        TRASH.mkdir(parents=True, exist_ok=True)
        work.rename(TRASH / f"{work.name}-{time.time_ns()}")


def empty_trash() -> float:
    """Remove the folders :func:`set_aside` kept, and flush the file system (the freed inodes'
    blocks clean: the shorter window); the seconds it took."""
    started = time.perf_counter()
    shutil.rmtree(TRASH, ignore_errors=True)
    os.sync()
    return time.perf_counter() - started


class Editor:
    """Changes one guide's promised time limit at a time, each time a guide not edited before."""

    def __init__(self, lib: Path, seed: int) -> None:
        self.lib = lib
        self.files = generate.guide_files(lib)
        random.Random(seed).shuffle(self.files)

    def edit_time_limit(self) -> str:
        """Shorten a 承诺件's promised time limit by a day (or lengthen it within the statutory
        one), commit it as the editor; returns the guide's id."""
        while self.files:
            path = self.files.pop()
            text = path.read_text(encoding="utf-8")
            promised, statutory = _PROMISED.search(text), _STATUTORY.search(text)
            if promised is None or "\ncase_type: 承诺件\n" not in text:
                continue
            value = int(promised.group(1))
            if value > 1:
                value -= 1
            elif statutory is None or int(statutory.group(1)) > value:
                value += 1
            else:
                continue
            line = f"promised_time_limit: {{value: {value}, unit: {promised.group(2)}}}"
            path.write_text(text[: promised.start()] + line + text[promised.end() :], "utf-8")
            git(self.lib, "commit", "-qam", f"{path.stem}: promised time limit {value}")
            return path.stem
        raise BenchError("no guide left whose promised time limit can be changed")


# ---------------------------------------------------------------------------------------------
# Backends


@contextmanager
def backend_env(backend: Backend) -> Iterator[None]:
    """The environment every process of this backend runs in (and the schema it uses)."""
    names = ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME", "GUIDES_DATABASE_URL", "GUIDES_LANG")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["GIT_AUTHOR_NAME"] = EDITOR  # whoever works in the checkout is an editor
    os.environ["GIT_COMMITTER_NAME"] = EDITOR
    os.environ.pop("GUIDES_LANG", None)
    if backend.url is None:
        os.environ.pop("GUIDES_DATABASE_URL", None)
    else:
        os.environ["GUIDES_DATABASE_URL"] = (
            f"{backend.url}?options=-csearch_path%3D{backend.schema}"
        )
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def postgres_backend(url: str) -> Backend | None:
    """A PostgreSQL backend in a fresh schema, or None (with a note) if it cannot be reached."""
    import sqlalchemy as sa

    schema = f"bench_publish_{uuid.uuid4().hex[:8]}"
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except Exception as exc:  # any reason: the benchmark goes on with SQLite
        print(f"PostgreSQL at {url} is not usable ({type(exc).__name__}); skipping it")
        return None
    return Backend("PostgreSQL", url, schema)


def drop_schema(backend: Backend) -> None:
    import sqlalchemy as sa

    assert backend.url is not None
    engine = sa.create_engine(backend.url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{backend.schema}" CASCADE'))
    engine.dispose()


def ledger_size(backend: Backend, lib: Path) -> dict[str, Any]:
    """Bytes of the ledger (total and by table, indexes included) and its row counts."""
    tables = ("approval", "guide_version", "publication", "event")
    if backend.url is None:
        path = lib / ".guides" / "ledger.sqlite"
        wal = path.with_name(path.name + "-wal")
        db = sqlite3.connect(path)
        try:
            rows = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
            by_table = _sqlite_tables(db)
        finally:
            db.close()
        total = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        return {"bytes": total, "rows": rows, "by_table": by_table}
    import sqlalchemy as sa

    engine = sa.create_engine(backend.url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'SET search_path TO "{backend.schema}"'))
        rows = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
        sized = conn.execute(
            sa.text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND c.relkind = 'r'"
            ),
            {"schema": backend.schema},
        ).all()
    engine.dispose()
    by_table = {name: int(size) for name, size in sized}
    return {"bytes": sum(by_table.values()), "rows": rows, "by_table": by_table}


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, int]:
    """Bytes per table with its indexes (SQLite's dbstat), or {} where dbstat is missing."""
    try:
        pages = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        owners = dict(db.execute("SELECT name, tbl_name FROM sqlite_schema").fetchall())
    except sqlite3.Error:
        return {}
    sizes: dict[str, int] = {}
    for name, size in pages:
        table = owners.get(name, name)
        sizes[table] = sizes.get(table, 0) + int(size)
    return sizes


def ledger_rows(backend: Backend, lib: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query on the library's ledger (either backend)."""
    if backend.url is None:
        db = sqlite3.connect(lib / ".guides" / "ledger.sqlite")
        try:
            return [tuple(row) for row in db.execute(sql).fetchall()]
        finally:
            db.close()
    import sqlalchemy as sa

    engine = sa.create_engine(backend.url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'SET search_path TO "{backend.schema}"'))
        rows = [tuple(row) for row in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def _utc(value: Any) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def channel_spans(backend: Backend, lib: Path, started: dt.datetime) -> dict[str, float]:
    """Seconds of a publish spent on each channel, from the ledger's times: the publisher takes
    the channels one after another, each ending with its last delivery recorded and its manifest
    signed, so a channel's share runs from the end of the one before (the first: from the
    process's start, imports included) to its own end."""
    ends: dict[str, dt.datetime] = {}
    delivered = (
        "SELECT channel, max(coalesce(delivered_at, updated_at)) FROM publication GROUP BY channel"
    )
    signed = "SELECT channel, max(at) FROM event WHERE kind = 'manifest.signed' GROUP BY channel"
    for sql in (delivered, signed):
        for channel, at in ledger_rows(backend, lib, sql):
            if channel is not None and at is not None:
                ends[channel] = max(ends.get(channel, started), _utc(at))
    spans, before = {}, started
    for channel, end in sorted(ends.items(), key=lambda kv: kv[1]):
        spans[channel] = (end - before).total_seconds()
        before = end
    return spans


def first_text(first: dict[str, Any]) -> str:
    """One line: the first publish's wall and CPU time, and each channel's share."""
    shares = ", ".join(f"{c} {s:.1f}" for c, s in first["channels"].items())
    return (
        f"first `guides publish` of {first['guides']:,} guides: {first['wall']:.1f} s wall "
        f"(issue 17: ≤ {FIRST_TARGET:.0f} s for 10,000), CPU {first['cpu']:.1f} s; by channel (s): {shares}"
    )


# ---------------------------------------------------------------------------------------------
# Scenarios


def bench_backend(backend: Backend, base: Path, args: argparse.Namespace) -> Result:
    result = Result(backend.name)
    suffix = "-all" if args.channels == "all" else ""
    work = OUT / f"publish-{args.guides}-{backend.name.lower()}{suffix}"
    print(f"\n== {backend.name}: {_short(str(work))}")
    global CHANNELS
    CHANNELS = 5 if args.channels == "all" else 1
    done = work / ".guides" / "bench-setup.json"
    if args.reuse and done.is_file():
        saved = json.loads(done.read_text(encoding="utf-8"))
        result.setup, result.first = saved.get("setup", saved), saved.get("first", {})
        print("  set-up: reusing the library approved and published before", flush=True)
    else:
        setup(result, backend, work, base, args.channels)
        saved = {"setup": result.setup, "first": result.first}
        done.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    for label, seconds in result.setup.items():
        print(f"  {label}: {seconds:.1f} s")
    if result.first:
        print(f"  {first_text(result.first)}")
    result.sizes["after set-up"] = ledger_size(backend, work)

    editor = Editor(work, args.seed)
    one_approve = Timing("`guides approve --guide ID` (1 guide changed)", "")
    one_publish = Timing("`guides publish` (1 delivery)", "")
    all_approve = Timing("`guides approve` (no --guide: whole library compared; 1 changed)", "")
    idle = Timing("`guides publish` (nothing to deliver)", "")

    def record(timing: Timing, proc: Proc) -> None:
        timing.times.append(proc.wall)
        result.cpu.setdefault(timing.label, []).append(proc.cpu)

    for i in range(-1, args.runs):  # -1: warm-up
        guide_id = editor.edit_time_limit()
        a = approve(work, [guide_id])
        p = publish(work, 1)
        if i >= 0:
            record(one_approve, a)
            record(one_publish, p)
        print(
            f"  run {i + 1}: {guide_id}: approve {a.wall:.2f} s (cpu {a.cpu:.2f}), "
            f"publish {p.wall:.2f} s (cpu {p.cpu:.2f})",
            flush=True,
        )
    for i in range(-1, args.runs):
        editor.edit_time_limit()
        a = approve(work, expect=1)
        publish(work, 1)
        if i >= 0:
            record(all_approve, a)
        print(
            f"  run {i + 1}: approve without --guide {a.wall:.2f} s (cpu {a.cpu:.2f})", flush=True
        )
    for i in range(-1, args.runs):
        p = publish(work, 0)
        if i >= 0:
            record(idle, p)
    one_approve.command = " ".join(_short(c) for c in approve_cmd(work, ["ID"]))
    one_publish.command = idle.command = " ".join(_short(c) for c in publish_cmd(work))
    all_approve.command = " ".join(_short(c) for c in approve_cmd(work))
    result.timings = [one_publish, idle, one_approve, all_approve]

    print("  phases of one approve and one publish …", flush=True)
    guide_id = editor.edit_time_limit()
    result.phases["approve"] = phases("approve", approve_cmd(work, [guide_id]))
    result.phases["publish"] = phases("publish", publish_cmd(work))
    guide_id = editor.edit_time_limit()
    result.imports["approve"] = import_seconds(approve_cmd(work, [guide_id]))
    result.imports["publish"] = import_seconds(publish_cmd(work))
    if args.profile:
        folder = OUT / "publish-profiles"
        guide_id = editor.edit_time_limit()
        print(
            f"  cProfile: {_short(str(profile('approve', approve_cmd(work, [guide_id]), folder)))}"
        )
        print(f"  cProfile: {_short(str(profile('publish', publish_cmd(work), folder)))}")

    if args.changes:
        result.sizes["before the changes"] = ledger_size(backend, work)
        result.changes = more_changes(work, args.changes, args.batch, args.seed)
        result.sizes[f"after {args.changes:,} more"] = ledger_size(backend, work)
    return result


def setup(result: Result, backend: Backend, work: Path, base: Path, channels: str) -> None:
    """The first approval of every guide and the first publish of them all (timed once)."""
    result.setup["git init, add, commit"] = prepare(base, work, channels)
    if channels == "all":  # signed manifests, as a service centre publishes
        run([str(GUIDES), "--lang", "en", "keys", "init", "--library", str(work)])
        git(work, "add", "keys")
        git(work, "commit", "-qm", "signing key")
    n = len(generate.guide_files(work))
    print("  set-up: approving every guide …", flush=True)
    result.setup[f"first `guides approve` ({n:,} guides)"] = approve(work, expect=n).wall
    print("  set-up: publishing every guide …", flush=True)
    started = dt.datetime.now(dt.UTC)
    first = publish(work, n)
    result.first = {
        "guides": n,
        "wall": first.wall,
        "cpu": first.cpu,
        "channels": channel_spans(backend, work, started),
    }
    print(f"  set-up: {first_text(result.first)}", flush=True)


def profile(command: str, cmd: list[str], folder: Path) -> Path:
    """One process under cProfile; the profile's path (read it with ``pstats``)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{command}.prof"
    run([str(PYTHON), "-m", "cProfile", "-o", str(out), "-m", "guidesrc", *cmd[1:]])
    return out


def phases(command: str, cmd: list[str]) -> dict[str, Any]:
    """One process with its PHASES timed: wall time, imports, and seconds per phase."""
    out = OUT / f"phases-{command}.json"
    wanted = [(module, name) for module, name, _label in PHASES[command]]
    proc = run([str(PYTHON), "-c", DRIVER, str(out), json.dumps(wanted), *cmd[1:]])
    found: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    found["wall"], found["cpu"] = proc.wall, proc.cpu
    return found


def import_seconds(cmd: list[str]) -> float:
    """Seconds spent importing modules (``-X importtime``, top-level cumulative sum)."""
    proc = subprocess.run(
        [str(PYTHON), "-X", "importtime", "-m", "guidesrc", *cmd[1:]],
        cwd=OUT,
        capture_output=True,
        text=True,
        check=False,
    )
    total = 0
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1])
    return total / 1e6


def more_changes(lib: Path, count: int, batch: int, seed: int) -> dict[str, Any]:
    """``count`` more changes, ``batch`` guides edited, committed, approved and published at once."""
    started = time.perf_counter()
    approve_s = publish_s = 0.0
    done = 0
    for i in range(0, count, batch):
        size = min(batch, count - i)
        edited = generate.mutate(lib, size, seed=10_000 + i)
        git(lib, "commit", "-qam", f"{size} guides edited")
        ids = sorted({path.stem for path, _kind in edited})
        approve_s += approve(lib, ids).wall
        publish_s += publish(lib, len(ids)).wall
        done += len(ids)
        if (i // batch) % 10 == 9:
            print(f"  {done} of {count} changes approved and published", flush=True)
    return {
        "changes": done,
        "batch": batch,
        "approvals": -(-count // batch),
        "approve_s": approve_s,
        "publish_s": publish_s,
        "total_s": time.perf_counter() - started,
    }


# ---------------------------------------------------------------------------------------------
# The report


def report(facts: dict[str, str], stats: dict[str, Any], results: list[Result], runs: int) -> str:
    n = stats["guides"]
    lines = ["# `guides approve` and `guides publish` benchmark", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += [
        "",
        f"Library: {n:,} generated guides (`bench/generate.py`), in git, "
        + (
            "five channels (directory, site, pdf, hotline, mobile) and a signing key"
            if CHANNELS > 1
            else f"one directory channel (`{CHANNEL}`)"
        )
        + f". Whole processes, wall clock; medians of {runs} runs after a warm-up, "
        "each run a fresh change committed by the editor and approved by another person.",
        "",
        "## Set-up (once, not in the medians)",
        "",
        "| Backend | Step | Seconds |",
        "|---|---|---:|",
    ]
    for r in results:
        lines += [f"| {r.backend} | {label} | {s:.1f} |" for label, s in r.setup.items()]
    lines += _first_lines(results)
    lines += [
        "",
        "## Timed",
        "",
        "Wall time; CPU is the process's user + system time (median), which other work on the "
        "machine does not lengthen.",
        "",
        "| Backend | Scenario | Median (s) | Target | CPU (s) | Runs (s) |",
        "|---|---|---:|---|---:|---|",
    ]
    for r in results:
        for t in r.timings:
            target = ""
            if t.label.startswith("`guides publish` (1"):
                verdict = "✓" if t.median <= PUBLISH_TARGET else "✗"
                target = f"≤ {PUBLISH_TARGET:.0f} s: {t.median / PUBLISH_TARGET:.0%} {verdict}"
            runs_s = ", ".join(f"{x:.2f}" for x in t.times)
            cpu = statistics.median(r.cpu.get(t.label, [0.0]))
            lines.append(
                f"| {r.backend} | {t.label} | {t.median:.2f} | {target} | {cpu:.2f} | {runs_s} |"
            )
    for r in results:
        lines += _phase_lines(r)
    lines += _size_lines(results)
    return "\n".join(lines) + "\n"


def _first_lines(results: list[Result]) -> list[str]:
    """The first publish of every guide: whole process, and each channel's share."""
    shown = [r for r in results if r.first]
    if not shown:
        return []
    lines = [
        "",
        "## First publish of every guide (issue 17)",
        "",
        "One `guides publish` delivering every guide to every channel, once, in the set-up. "
        "CPU: the process's user + system time and its workers'. A channel's share is read from "
        "the ledger's times (the channels are published one after another; the first share "
        "includes the start of the process).",
        "",
        "| Backend | Step | Seconds | Target |",
        "|---|---|---:|---|",
    ]
    for r in shown:
        first = r.first
        verdict = "✓" if first["wall"] <= FIRST_TARGET else "✗"
        target = f"≤ {FIRST_TARGET:.0f} s: {first['wall'] / FIRST_TARGET:.0%} {verdict}"
        if first["guides"] != 10_000 or CHANNELS == 1:
            target = "(the target is for 10,000 guides, five channels)"
        name = f"first `guides publish` ({first['guides']:,} guides, {CHANNELS} channel(s))"
        lines.append(f"| {r.backend} | **{name}** | **{first['wall']:.1f}** | {target} |")
        lines.append(f"| {r.backend} | … CPU (process and workers) | {first['cpu']:.1f} | |")
        for channel, seconds in first["channels"].items():
            lines.append(f"| {r.backend} | … channel `{channel}` | {seconds:.1f} | |")
    return lines


def _phase_lines(r: Result) -> list[str]:
    lines = ["", f"## Where the time goes ({r.backend}, one process each)", ""]
    for command, found in r.phases.items():
        lines += [
            f"`guides {command}`: {found['wall']:.2f} s wall, {found['cpu']:.2f} s CPU; "
            f"before `main`: {found['imports']:.2f} s"
            f" (interpreter and imports; `-X importtime` counts {r.imports.get(command, 0):.2f} s"
            " of imports in the whole process).",
            "",
            "| Step | Seconds |",
            "|---|---:|",
        ]
        for module, name, label in PHASES[command]:
            if name in found["phases"]:
                lines.append(f"| {label} (`{module}.{name}`) | {found['phases'][name]:.3f} |")
        top = sum(
            found["phases"].get(name, 0.0)
            for _m, name, label in PHASES[command]
            if not label.startswith("  ")
        )
        lines += [
            f"| the rest of `main` (click, lazy imports, output) | {found['main'] - top:.3f} |"
        ]
        lines.append("")
    return lines


def _size_lines(results: list[Result]) -> list[str]:
    lines = ["## Ledger size", ""]
    for r in results:
        if not r.sizes:
            continue
        lines += [f"{r.backend}:", "", "| When | MB | versions | deliveries | events |"]
        lines.append("|---|---:|---:|---:|---:|")
        for when, size in r.sizes.items():
            rows = size["rows"]
            lines.append(
                f"| {when} | {size['bytes'] / 1e6:.1f} | {rows['guide_version']:,} | "
                f"{rows['publication']:,} | {rows['event']:,} |"
            )
        before, after = r.sizes.get("before the changes"), list(r.sizes.values())[-1]
        if before is not None and r.changes:
            c = r.changes
            grown = after["bytes"] - before["bytes"]
            versions = after["rows"]["guide_version"] - before["rows"]["guide_version"]
            lines += [
                "",
                f"{c['changes']:,} more changes as {c['approvals']} approvals of {c['batch']} guides, "
                f"each approval published at once ({versions:,} versions, each delivered once): "
                f"**{grown / 1e6:.1f} MB, {grown / max(versions, 1):,.0f} bytes per publication** "
                f"({c['total_s']:.0f} s: approve {c['approve_s']:.0f} s, publish "
                f"{c['publish_s']:.0f} s).",
            ]
            if after["by_table"] and before["by_table"]:
                parts = [
                    f"{t} {(after['by_table'].get(t, 0) - size) / max(versions, 1):,.0f}"
                    for t, size in sorted(before["by_table"].items(), key=lambda kv: -kv[1])
                    if t in ("approval", "guide_version", "publication", "event")
                ]
                lines.append(
                    f"Bytes per publication by table (indexes included): {', '.join(parts)}."
                )
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=10_000, help="library size (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario (≥ 5)")
    parser.add_argument("--changes", type=int, default=1000, help="changes for the ledger size")
    parser.add_argument(
        "--channels",
        choices=("directory", "all"),
        default="directory",
        help="one directory channel, or all five of issue 17 (site, pdf, hotline, mobile, "
        "directory)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the library approved and published by an earlier run (skip the set-up)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile one approve and one publish"
    )
    parser.add_argument(
        "--rev", help="measure guidesrc/ as committed at this git revision (default: the tree)"
    )
    parser.add_argument("--batch", type=int, default=10, help="guides per approval of those")
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="ledger backends to measure, comma-separated (default sqlite,postgresql)",
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        metavar="URL",
        help="PostgreSQL to measure too (default: GUIDES_TEST_POSTGRES or the local test "
        "database); skipped when unreachable; 'none' to skip",
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    base = ensure_library(args.guides, args.seed, regenerate=False)
    stats = library_stats(base)
    digest = f"git {args.rev or git_describe()}, source {source_digest()}"
    snapshot = freeze_source(args.rev)
    wanted = {name.strip().lower() for name in args.backends.split(",")}
    backends = [Backend("SQLite", None)] if "sqlite" in wanted else []
    if "postgresql" in wanted and args.postgres != "none":
        pg = postgres_backend(args.postgres)
        if pg is not None:
            backends.append(pg)
    if not backends:
        parser.error("--backends: nothing to measure (sqlite, postgresql)")
    results: list[Result] = []
    text = ""
    for backend in backends:
        try:
            with backend_env(backend):
                results.append(bench_backend(backend, base, args))
        finally:
            if backend.schema is not None:
                drop_schema(backend)
        text = write_results(results, stats, args.runs, load_at_start, digest, snapshot)
    print()
    print(text)
    print(f"earlier work folders removed ({empty_trash():.1f} s)")
    return 0


def write_results(
    results: list[Result],
    stats: dict[str, Any],
    runs: int,
    load_at_start: float,
    digest: str,
    snapshot: Path,
) -> str:
    """Write the report and the raw figures (after each backend, so that none is lost)."""
    facts = machine_facts(load_at_start)
    facts["code measured"] = f"a copy of guidesrc/ taken at the start ({digest})"
    text = report(facts, stats, results, runs)
    if not digest.endswith(source_digest()):
        text += (
            f"\nguidesrc/ changed in the working tree while the benchmark ran; the processes ran "
            f"the copy in {_short(str(snapshot))} ({digest}) throughout.\n"
        )
    name = "publish-all" if CHANNELS > 1 else "publish"
    (OUT / f"{name}-results.md").write_text(text, encoding="utf-8")
    raw = {
        "machine": facts,
        "library": stats,
        "results": [
            {
                "backend": r.backend,
                "setup": r.setup,
                "first_publish": r.first,
                "timings": {t.label: t.times for t in r.timings},
                "cpu": r.cpu,
                "phases": r.phases,
                "imports": r.imports,
                "sizes": r.sizes,
                "changes": r.changes,
            }
            for r in results
        ],
    }
    (OUT / f"{name}-results.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    return text


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(2)
