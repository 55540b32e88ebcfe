"""Time the static-site channel on a generated 10,000-guide library, side by side with Hugo and mkdocs.

    .venv/bin/python bench/bench_site.py [--guides 10000] [--runs 5] [--small 2000]

Scenarios, each the median of ``--runs`` runs after one untimed warm-up run, wall clock
(``time.perf_counter``), with the peak memory of each process (``ru_maxrss`` from ``os.wait4``):

- **guidesrc, full build**: one process reads the approved versions (the compiled guides as the
  ledger holds them, one JSON line each: ``bench/out/site-input-N.jsonl``), then the site
  channel writes the whole site into an empty place (:meth:`guidesrc.site.builder.Site.publish`:
  every page, notice, list, feed, search shard, API document, sitemap; synced; switched in).
  For 10,000 guides, and for the first ``--small`` of them (against mkdocs). The build forks one
  worker on 2 cores: its peak is reported too (shared copy-on-write pages counted in both, so
  their sum is an upper bound).
- **guidesrc, incremental**: one guide changed (a reworded condition, a new version) published
  into the built 10,000-guide site; each run a further version. The figure is the adapter's work
  (``Site.publish``, timed inside the process); the whole process is shown beside it.
- **Hugo** (Debian's ``hugo``): the same guides as Markdown pages (front matter, the sections as
  headings, lists and a materials table), a minimal single-page template, no global navigation,
  taxonomies off: ``hugo --quiet``.
- **mkdocs** (installed into its own venv, ``bench/out/mkdocs-venv``): the first ``--small``
  pages, default theme and configuration: ``mkdocs build --quiet``.

The processes run a copy of ``guidesrc/`` taken when the benchmark starts
(``bench/out/site-src``, first on ``PYTHONPATH``), so edits made meanwhile do not change the code
measured. Results are printed as Markdown and written to ``bench/out/site-results.md`` (raw
figures in ``site-results.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import BIN, OUT, REPO, BenchError, ensure_library, machine_facts

SRC = OUT / "site-src"
BASE_URL = "https://zwfw.example.gov.cn"
TITLE = "示例市网上办事大厅"
APPROVED_AT = "2026-09-30T08:00:00+00:00"


@dataclass(slots=True)
class Runs:
    label: str
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)  # peak of the process
    worker_mb: list[float] = field(default_factory=list)  # peak of its forked worker(s)
    inner: list[float] = field(default_factory=list)  # time measured inside (adapter work)
    pss_mb: list[float] = field(default_factory=list)  # peak summed PSS of the process tree

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def peak(self) -> float:
        return max(self.rss_mb) if self.rss_mb else 0.0

    def peak_pss(self) -> float:
        return max(self.pss_mb) if self.pss_mb else 0.0


# ---------------------------------------------------------------------------------------------
# Processes


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (parents read from /proc/<pid>/stat)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PssSampler:
    """The peak, over time, of the summed PSS of a process tree (shared pages counted once)."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(_pss_kb(p) for p in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def run_measured(
    cmd: Sequence[str], env: dict[str, str] | None = None
) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS (MB, ``ru_maxrss``), stdout, and peak PSS of the process tree (MB)
    of one process, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    sampler = PssSampler(proc.pid)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()  # the processes say little: no deadlock
    # Not proc.wait(): wait4 also gives the peak memory. The zombie stays until then, so the
    # sampler can still read the tree's last figures.
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    pss = sampler.stop()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 1024
    if code != 0:
        raise BenchError(f"{' '.join(cmd[:4])} … exited {code}:\n{err[-2000:]}")
    return elapsed, rss, out, pss


@dataclass(slots=True)
class Scenario:
    label: str
    cmd: Callable[[int], Sequence[str]]
    before: Callable[[int], None] | None = None
    env: dict[str, str] | None = None


def measure(scenarios: Sequence[Scenario], runs: int) -> list[Runs]:
    """Each scenario once untimed, then ``runs`` rounds in which every scenario runs once, in
    turn: scenarios compared with each other see the same moments of a shared machine."""
    results = [Runs(s.label) for s in scenarios]
    for i in range(-1, runs):
        for scenario, result in zip(scenarios, results, strict=True):
            if scenario.before is not None:
                scenario.before(i)
            elapsed, rss, out, pss = run_measured(scenario.cmd(i), scenario.env)
            if i < 0:
                print(f"  {scenario.label}: warm-up {elapsed:.2f} s")
                continue
            result.times.append(elapsed)
            result.rss_mb.append(rss)
            result.pss_mb.append(pss)
            inner = _json_tail(out)
            if inner:
                result.inner.append(inner["adapter_s"])
                result.worker_mb.append(inner["children_maxrss_kb"] / 1024)
            print(
                f"  {scenario.label}: run {i + 1}: {elapsed:.2f} s, {rss:.0f} MB RSS, "
                f"{pss:.0f} MB PSS, load {os.getloadavg()[0]:.2f}"
            )
    return results


def _json_tail(out: str) -> dict[str, Any] | None:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def python_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def copy_source() -> None:
    shutil.rmtree(SRC, ignore_errors=True)
    shutil.copytree(
        REPO / "guidesrc", SRC / "guidesrc", ignore=shutil.ignore_patterns("__pycache__")
    )


# ---------------------------------------------------------------------------------------------
# Inputs: the approved versions, Markdown for Hugo and mkdocs


def write_input(lib: Path, path: Path) -> int:
    """The library's compiled guides as the ledger holds them, one JSON line per guide."""
    import orjson

    from guidesrc.compile import canonical, content_hash
    from guidesrc.state import WorkingTree, load_state

    state = load_state(WorkingTree(lib))
    count = 0
    with path.open("wb") as handle:
        for gid in sorted(state.guide_files):
            compiled = state.compiled(gid)
            if compiled is None:
                continue
            record = {
                "id": gid,
                "name": compiled["name"],
                "effective_date": compiled["effective_date"],
                "content_hash": content_hash(compiled),
                "guide": canonical(compiled),
            }
            handle.write(orjson.dumps(record) + b"\n")
            count += 1
    return count


def guide_markdown(guide: dict[str, Any]) -> str:
    """One guide as a Markdown page: what Hugo and mkdocs build (the same sections)."""
    from guidesrc.markdown import md_escape as e
    from guidesrc.model.codes import ITEM_TYPES

    body = guide["implementing_body"]
    lines = [
        "## 基本信息",
        "",
        f"- 事项类型：{ITEM_TYPES.get(guide['item_type'], guide['item_type'])}",
        f"- 实施编码：{guide['implementation_code']}",
        f"- 实施主体：{e(body['name'])}",
        f"- 服务主题：{e('、'.join(guide.get('themes', [])))}",
        "",
        "## 受理条件",
        "",
        *(f"1. {e(c)}" for c in guide["conditions"]),
        "",
        "## 申请材料",
        "",
        "| 序号 | 材料名称 | 形式 | 来源渠道 | 必要性 | 说明 |",
        "|---|---|---|---|---|---|",
        *(
            f"| {n} | {e(m['name'])} | {m['form']} | {m['source']} | {m['necessity']} "
            f"| {e(m.get('notes') or '')} |"
            for n, m in enumerate(guide["materials"], start=1)
        ),
        "",
        "## 办理流程",
        "",
        *(f"1. **{e(s['name'])}**：{e(s['description'])}" for s in guide["procedure"]),
        "",
        "## 办理时限",
        "",
        f"承诺办结时限：{guide['promised_time_limit']['value']} 个{guide['promised_time_limit']['unit']}",
        "",
        "## 办理地点和时间",
        "",
        *(f"- {e(p['name'])}：{e(p['address'])}" for p in guide["places"]),
        "",
        "## 咨询和投诉",
        "",
        *(f"- 咨询电话：{c['phone']}" for c in guide["consult_phones"]),
        *(f"- 投诉电话：{c['phone']}" for c in guide["complaint_phones"]),
        "",
        "## 常见问题",
        "",
        *(f"### {e(q['question'])}\n\n{e(q['answer'])}\n" for q in guide.get("faq", [])),
        "## 设定依据",
        "",
        *(f"- {e(b['title'])}{e(b.get('article') or '')}" for b in guide["legal_basis"]),
        "",
        "## 办理结果",
        "",
        *(f"- {e(r['name'])}" for r in guide.get("results", [])),
        "",
    ]
    return "\n".join(lines)


def write_markdown(input_path: Path, folder: Path, limit: int | None, front_matter: bool) -> int:
    import orjson

    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with input_path.open("rb") as handle:
        for line in handle:
            if limit is not None and count >= limit:
                break
            record = orjson.loads(line)
            text = guide_markdown(record["guide"])
            title = record["name"].replace('"', "'")
            head = f'---\ntitle: "{title}"\n---\n\n' if front_matter else f"# {record['name']}\n\n"
            (folder / f"{record['id']}.md").write_text(head + text, encoding="utf-8")
            count += 1
    return count


HUGO_CONFIG = f"""baseURL = "{BASE_URL}/"
languageCode = "zh-CN"
title = "{TITLE}"
disableKinds = ["taxonomy", "term"]
"""
HUGO_SINGLE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1>{{ .Content }}</main></body></html>
"""
HUGO_LIST = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></main></body></html>
"""


def prepare_hugo(input_path: Path, root: Path) -> int:
    shutil.rmtree(root, ignore_errors=True)
    (root / "layouts/_default").mkdir(parents=True)
    (root / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (root / "layouts/_default/single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (root / "layouts/_default/list.html").write_text(HUGO_LIST, encoding="utf-8")
    return write_markdown(input_path, root / "content/guides", None, front_matter=True)


def prepare_mkdocs(input_path: Path, root: Path, pages: int) -> Path:
    venv = OUT / "mkdocs-venv"
    if not (venv / "bin/mkdocs").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "mkdocs"], check=True)
    shutil.rmtree(root, ignore_errors=True)
    (root / "docs").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(f"site_name: {TITLE}\nsite_url: {BASE_URL}/\n", "utf-8")
    (root / "docs/index.md").write_text(f"# {TITLE}\n", encoding="utf-8")
    write_markdown(input_path, root / "docs/guides", pages, front_matter=False)
    return venv / "bin/mkdocs"


# ---------------------------------------------------------------------------------------------
# The guidesrc processes (this file run with --build-once / --change-once)


def _config() -> Any:
    from guidesrc.site.render import SiteConfig

    return SiteConfig(TITLE, "示例市政务服务中心办事指南库", f"{BASE_URL}/guides")


def _deliveries(input_path: Path, limit: int | None) -> list[Any]:
    import orjson

    from guidesrc.adapters import Delivery

    approved = dt.datetime.fromisoformat(APPROVED_AT)
    out = []
    with input_path.open("rb") as handle:
        for line in handle:
            if limit is not None and len(out) >= limit:
                break
            r = orjson.loads(line)
            notice = {
                "guide": r["id"],
                "name": r["name"],
                "status": "added",
                "effective_date": r["effective_date"],
                "items": [],
                "text": f"新增“{r['name']}”事项办事指南。",
            }
            out.append(
                Delivery(
                    "publish",
                    r["id"],
                    1,
                    r["name"],
                    dt.date.fromisoformat(r["effective_date"]),
                    approved,
                    r["content_hash"],
                    r["guide"],
                    notice,
                )
            )
    return out


def _usage() -> dict[str, float]:
    import resource

    return {
        "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def build_once(input_path: Path, out: Path, limit: int | None) -> None:
    from guidesrc.site.builder import Site

    deliveries = _deliveries(input_path, limit)
    started = time.perf_counter()
    result = Site(out, _config()).publish(deliveries)
    elapsed = time.perf_counter() - started
    assert result.mode == "full", result.mode
    print(json.dumps({"adapter_s": elapsed, "guides": len(deliveries), **_usage()}))


def change_once(input_path: Path, site: Path, guide_id: str, version: int) -> None:
    import orjson

    from guidesrc.adapters import Delivery
    from guidesrc.compile import content_hash
    from guidesrc.site.builder import Site

    with input_path.open("rb") as handle:
        record = next(r for r in map(orjson.loads, handle) if r["id"] == guide_id)
    guide = dict(record["guide"])
    guide["conditions"] = [
        *guide["conditions"][:-1],
        f"{guide['conditions'][-1]}（第 {version} 次修订）",
    ]
    notice = {
        "guide": guide_id,
        "name": record["name"],
        "status": "changed",
        "effective_date": record["effective_date"],
        "items": [{"field": "conditions", "label": "受理条件", "clauses": ["修改"]}],
        "text": "受理条件：修改。",
    }
    delivery = Delivery("publish", guide_id, version, record["name"],
                        dt.date.fromisoformat(record["effective_date"]),
                        dt.datetime.now(dt.UTC), content_hash(guide), guide, notice)  # fmt: skip
    site_obj = Site(site, _config())
    started = time.perf_counter()
    result = site_obj.publish([delivery])
    elapsed = time.perf_counter() - started
    assert result.mode == "incremental", result.mode
    print(json.dumps({"adapter_s": elapsed, "written": len(result.written), **_usage()}))


# ---------------------------------------------------------------------------------------------
# The report


def report(
    facts: dict[str, str],
    big: int,
    small: int,
    results: dict[str, Runs],
    runs: int,
    written: int,
) -> str:
    full, full_small = results["full"], results["full-small"]
    inc, hugo = results["incremental"], results.get("hugo")
    mk = results.get("mkdocs")
    lines = ["## Static site (issue 5)", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += [
        "",
        f"Median of {runs} runs after a warm-up, wall clock. Peak memory: the largest summed PSS of "
        "the process tree, sampled every 50 ms (shared pages counted once: guidesrc's build forks "
        "one worker that shares the parent's pages), and the largest `ru_maxrss` of the process "
        "(guidesrc: + its worker's).",
        "",
        "| Scenario | Median (s) | Runs (s) | Peak PSS (MB) | Peak RSS (MB) |",
        "|---|---:|---|---:|---:|",
    ]

    def row(r: Runs, note: str = "") -> str:
        mem = f"{r.peak():.0f}" + (
            f" + {max(r.worker_mb):.0f}" if r.worker_mb and max(r.worker_mb) else ""
        )
        runs_text = ", ".join(f"{t:.2f}" for t in r.times)
        return f"| {r.label}{note} | {r.median:.2f} | {runs_text} | {r.peak_pss():.0f} | {mem} |"

    lines.append(row(full))
    if hugo:
        lines.append(row(hugo))
    lines.append(row(full_small))
    if mk:
        lines.append(row(mk))
    inner = statistics.median(inc.inner)
    lines += [
        row(inc, " (whole process)"),
        "",
        f"Incremental publish of one changed guide into the {big:,}-guide site: **{inner:.3f} s** "
        f"of adapter work (median; runs: {', '.join(f'{t:.3f}' for t in inc.inner)}), "
        f"{written} files rewritten.",
        "",
    ]
    ratios = [f"- full build of {big:,} guides: **{full.median:.2f} s** (goal ≤ 10 s)"]
    if hugo:
        ratios.append(
            f"- guidesrc / Hugo, {big:,} pages: **{full.median / hugo.median:.2f}×** the time "
            f"(goal ≤ 2×); peak memory (PSS) {full.peak_pss():.0f} MB vs {hugo.peak_pss():.0f} MB"
        )
    if mk:
        ratios.append(
            f"- mkdocs / guidesrc, {small:,} pages: **{mk.median / full_small.median:.1f}×** "
            "faster (goal ≥ 5×)"
        )
    ratios.append(
        f"- full build / incremental ({big:,} guides): **{full.median / inner:.0f}×** (goal ≥ 10×)"
    )
    return "\n".join(lines + ratios) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_000, help="pages for the mkdocs comparison")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument("--skip-mkdocs", action="store_true")
    parser.add_argument(
        "--build-once", nargs=3, metavar=("INPUT", "OUT", "LIMIT"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--change-once", nargs=4, metavar=("INPUT", "SITE", "ID", "V"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.build_once:
        source, out, limit = args.build_once
        build_once(Path(source), Path(out), int(limit) or None)
        return 0
    if args.change_once:
        source, site, gid, version = args.change_once
        change_once(Path(source), Path(site), gid, int(version))
        return 0
    load_at_start = os.getloadavg()[0]
    OUT.mkdir(parents=True, exist_ok=True)
    copy_source()
    lib = ensure_library(args.guides, args.seed, regenerate=False)
    input_path = OUT / f"site-input-{args.guides}.jsonl"
    if not input_path.exists():
        print(f"compiling {args.guides} guides into {input_path.name} …")
        write_input(lib, input_path)
    me = [str(BIN / "python"), str(Path(__file__).resolve())]
    work = OUT / "site-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()

    def fresh(name: str) -> Callable[[int], None]:
        def clean(_i: int) -> None:
            for p in work.glob(f"{name}*"):
                (p.unlink() if p.is_symlink() else shutil.rmtree(p))

        return clean

    def build(name: str, limit: int) -> Callable[[int], list[str]]:
        return lambda i: [*me, "--build-once", str(input_path), str(work / name), str(limit)]

    hugo = shutil.which("hugo")
    if not args.skip_hugo and hugo is None:
        raise BenchError("hugo is not installed (Debian: apt-get install -y hugo)")
    big = [
        Scenario(
            f"guidesrc, full build, {args.guides:,} guides",
            build("big", 0),
            fresh("big"),
            python_env(),
        )
    ]
    if hugo and not args.skip_hugo:
        hugo_root = OUT / "site-hugo"
        prepare_hugo(input_path, hugo_root)
        big.append(Scenario(
            f"Hugo, {args.guides:,} pages",
            lambda i: [hugo, "--quiet", "--source", str(hugo_root), "--destination", str(work / "hugo-public")],
            fresh("hugo-public"),
        ))  # fmt: skip
    small = [
        Scenario(
            f"guidesrc, full build, {args.small:,} guides",
            build("small", args.small),
            fresh("small"),
            python_env(),
        )
    ]
    if not args.skip_mkdocs:
        mk_root = OUT / "site-mkdocs"
        mkdocs = prepare_mkdocs(input_path, mk_root, args.small)
        small.append(Scenario(
            f"mkdocs, {args.small:,} pages",
            lambda i: [str(mkdocs), "build", "--quiet", "--config-file", str(mk_root / "mkdocs.yml"),
                       "--site-dir", str(work / "mkdocs-site")],
            fresh("mkdocs-site"),
        ))  # fmt: skip
    results: dict[str, Runs] = {}
    timed = measure(big, args.runs)
    results["full"] = timed[0]
    if len(timed) > 1:
        results["hugo"] = timed[1]
    fresh("big")(0)
    run_measured(build("big", 0)(0), python_env())
    first = json.loads(input_path.open().readline())["id"]
    written: list[int] = []

    def change(i: int) -> list[str]:
        return [*me, "--change-once", str(input_path), str(work / "big"), first, str(i + 3)]

    (results["incremental"],) = measure(
        [Scenario("guidesrc, incremental, 1 changed guide", change, None, python_env())], args.runs
    )
    timed = measure(small, args.runs)
    results["full-small"] = timed[0]
    if len(timed) > 1:
        results["mkdocs"] = timed[1]
    _t, _r, out, _p = run_measured(change(args.runs), python_env())
    written.append(json.loads(out.splitlines()[-1])["written"])
    facts = machine_facts(load_at_start)
    if "hugo" in results and hugo is not None:  # not run (--skip-hugo) or not installed: no figure
        hugo_version = subprocess.run(
            [hugo, "version"], capture_output=True, text=True, check=False
        )
        facts["Hugo"] = hugo_version.stdout.split(" BuildDate")[0].strip() or "-"
    else:
        facts["Hugo"] = "not run"
    if not args.skip_mkdocs:
        mk_version = subprocess.run([str(OUT / "mkdocs-venv/bin/mkdocs"), "--version"],
                                    capture_output=True, text=True, check=False)  # fmt: skip
        facts["mkdocs"] = mk_version.stdout.split(" from ")[0].strip()
    text = report(facts, args.guides, args.small, results, args.runs, written[0])
    print()
    print(text)
    (OUT / "site-results.md").write_text(text, encoding="utf-8")
    raw = {
        "machine": facts,
        "runs": {k: {"times": r.times, "rss_mb": r.rss_mb, "pss_mb": r.pss_mb,
                     "worker_mb": r.worker_mb, "inner": r.inner}
                 for k, r in results.items()},
    }  # fmt: skip
    (OUT / "site-results.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(2)
