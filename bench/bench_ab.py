"""A/B: `guides check` and the site channel of two checkouts on one generated library.

    .venv/bin/python bench/bench_ab.py --before ../bench-base --after . [--runs 7] [--site-runs 5]

Each checkout runs with its own venv (``ROOT/.venv``, guidesrc installed editable from ``ROOT``).
The library is generated once (``bench/out/lib-N``, by this checkout's ``generate.py``) and copied
to ``bench/out/ab-N/lib-before`` and ``lib-after``, so that each side keeps its own check cache.
The site's input (the compiled guides as the ledger holds them) is written by each side's own
``bench_site.write_input`` from its copy of the library, so each side builds what its own compiler
would have approved.

Scenarios, each with one untimed warm-up round, then ``--runs`` rounds; in every round both sides
run once, back to back, the order alternating (before/after, then after/before, …), so that the
load of the shared machine falls on both alike:

- ``guides check LIB --no-cache``; ``guides check LIB`` with a warm cache (nothing changed);
- the site's full build of all guides (``bench_site.py --build-once``, into an empty place);
- one changed guide's incremental publish into that site (``bench_site.py --change-once``: the
  adapter's own time, measured inside the process, and the whole process);
- ``check-inproc`` (only when named in ``--only``): ``check_library(use_cache=False, jobs=1)``
  timed inside one process, before, after, and after with the rule ``unprintable`` switched off.

``--lib`` takes another library than the generated one (results in ``bench/out/ab-NAME``);
``--keep`` leaves the built sites in place for profiling.

Per run: wall clock, CPU time (user + system of the process and the children it waited for, from
``wait4``), and the 1-minute load average when it ended. Raw figures go to
``bench/out/ab-N/ab-results.json``, the Markdown table to ``ab-results.md`` beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import OUT, BenchError, ensure_library

AB = OUT / "ab-10000"  # set by main: one folder per library size


@dataclass(slots=True)
class Side:
    name: str
    root: Path

    @property
    def python(self) -> str:
        return str(self.root / ".venv/bin/python")

    @property
    def guides(self) -> str:
        return str(self.root / ".venv/bin/guides")

    @property
    def bench_site(self) -> str:
        return str(self.root / "bench/bench_site.py")

    @property
    def lib(self) -> Path:
        return AB / f"lib-{self.name}"

    @property
    def site_input(self) -> Path:
        return AB / f"site-input-{self.name}.jsonl"

    @property
    def site(self) -> Path:
        return AB / f"site-{self.name}"


@dataclass(slots=True)
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sys: list[float] = field(default_factory=list)  # the system part of cpu
    load: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)  # adapter seconds, measured inside


def env_for(side: Side) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env


def run(cmd: Sequence[str], side: Side) -> tuple[float, float, str, float]:
    """Wall seconds, CPU seconds (user + system, the process and its waited-for children),
    stdout, and the system part of that CPU time."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(side), text=True, cwd=AB
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise BenchError(f"[{side.name}] {' '.join(cmd[:4])} … exited {code}:\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, out, usage.ru_stime


@dataclass(slots=True)
class Scenario:
    label: str
    cmd: Callable[[Side, int], Sequence[str]]
    before: Callable[[Side, int], None] | None = None
    inner: bool = False


def measure(scenario: Scenario, sides: Sequence[Side], runs: int) -> dict[str, Runs]:
    results = {s.name: Runs() for s in sides}
    for i in range(-1, runs):
        order = sides if i % 2 == 0 else list(reversed(sides))
        for side in order:
            if scenario.before is not None:
                scenario.before(side, i)
            wall, cpu, out, system = run(scenario.cmd(side, i), side)
            load = os.getloadavg()[0]
            tag = "warm-up" if i < 0 else f"run {i + 1}"
            inner = None
            if scenario.inner:
                inner = json.loads([x for x in out.splitlines() if x.startswith("{")][-1])
            print(
                f"  {scenario.label} [{side.name}] {tag}: {wall:.3f} s wall, {cpu:.3f} s CPU "
                f"({system:.3f} s system)"
                + (f", adapter {inner['adapter_s']:.3f} s" if inner else "")
                + f", load {load:.2f}",
                flush=True,
            )
            if i < 0:
                continue
            r = results[side.name]
            r.wall.append(wall)
            r.cpu.append(cpu)
            r.sys.append(system)
            r.load.append(load)
            if inner:
                r.inner.append(inner["adapter_s"])
    return results


def _rm(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def prepare(side: Side, lib: Path) -> None:
    _rm(side.lib)
    shutil.copytree(lib, side.lib, symlinks=True)
    where = subprocess.run(
        [side.python, "-c", "import guidesrc; print(guidesrc.__file__)"],
        capture_output=True, text=True, check=True, env=env_for(side), cwd=AB,
    ).stdout.strip()  # fmt: skip
    if not where.startswith(str(side.root.resolve())):
        raise BenchError(f"[{side.name}] guidesrc comes from {where}, not {side.root}")
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from bench_site import write_input; print(write_input(Path(sys.argv[2]), Path(sys.argv[3])))"
    )
    if not side.site_input.exists():
        subprocess.run(
            [side.python, "-c", code, str(side.root / "bench"), str(side.lib), str(side.site_input)],
            check=True, env=env_for(side), cwd=AB,
        )  # fmt: skip


def summary(label: str, res: dict[str, Runs], inner: bool = False) -> dict[str, Any]:
    b, a = res["before"], res["after"]
    pick = (lambda r: r.inner) if inner else (lambda r: r.wall)
    row = {
        "scenario": label,
        "before_wall": statistics.median(pick(b)),
        "after_wall": statistics.median(pick(a)),
        "before_cpu": statistics.median(b.cpu),
        "after_cpu": statistics.median(a.cpu),
        "load": (min(b.load + a.load), max(b.load + a.load)),
        "runs": len(b.wall),
    }
    if b.sys and a.sys:
        row["before_user"] = statistics.median(c - y for c, y in zip(b.cpu, b.sys, strict=True))
        row["after_user"] = statistics.median(c - y for c, y in zip(a.cpu, a.sys, strict=True))
    row["ratio_wall"] = row["after_wall"] / row["before_wall"]
    row["ratio_cpu"] = row["after_cpu"] / row["before_cpu"]
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | runs | before: wall | after: wall | after / before | before: CPU | after: CPU "
        "| after / before (CPU) | load (1 min) | user CPU only |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['runs']} | {r['before_wall']:.3f} s | {r['after_wall']:.3f} s "
            f"| **{r['ratio_wall']:.3f}** | {r['before_cpu']:.3f} s | {r['after_cpu']:.3f} s "
            f"| **{r['ratio_cpu']:.3f}** | {r['load'][0]:.1f}–{r['load'][1]:.1f} |"
        )
        if "before_user" in r:
            lines[-1] += (
                f" user CPU {r['before_user']:.3f} → {r['after_user']:.3f} s "
                f"({r['after_user'] / r['before_user']:.3f}) |"
            )
    return "\n".join(lines) + "\n"


IN_PROCESS = """
import gc, json, sys, time
from pathlib import Path
if sys.argv[2] == "without-unprintable":
    import guidesrc.check.analyse as analyse
    analyse._unprintable = lambda source, data: []
from guidesrc.check.engine import check_library
wall, cpu = time.perf_counter(), time.process_time()
report = check_library(Path(sys.argv[1]), use_cache=False, jobs=1)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "problems": len(report.diagnostics)}))
"""


def in_process_check(sides: Sequence[Side], runs: int) -> dict[str, Any]:
    """``check_library(use_cache=False, jobs=1)`` timed inside one process (imports excluded),
    before, after, and after with the rule ``unprintable`` switched off: what the rule costs."""
    variants = [(sides[0], "as-is"), (sides[1], "as-is"), (sides[1], "without-unprintable")]
    found: dict[str, dict[str, list[float]]] = {}
    for i in range(-1, runs):
        order = variants if i % 2 == 0 else list(reversed(variants))
        for side, variant in order:
            _w, _c, out, _s = run([side.python, "-c", IN_PROCESS, str(side.lib), variant], side)
            got = json.loads(out.splitlines()[-1])
            key = f"{side.name} {variant}"
            print(f"  in-process check [{key}] run {i + 1}: {got['cpu']:.3f} s CPU, "
                  f"{got['wall']:.3f} s wall, load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
            if i >= 0:
                r = found.setdefault(key, {"wall": [], "cpu": [], "load": []})
                r["wall"].append(got["wall"])
                r["cpu"].append(got["cpu"])
                r["load"].append(os.getloadavg()[0])
    for key, r in found.items():
        print(f"  {key}: median {statistics.median(r['cpu']):.3f} s CPU, "
              f"{statistics.median(r['wall']):.3f} s wall")  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout with its own .venv")
    parser.add_argument("--after", type=Path, required=True, help="checkout with its own .venv")
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7, help="rounds for check and incremental")
    parser.add_argument("--site-runs", type=int, default=5, help="rounds for the full site build")
    parser.add_argument(
        "--only", default="check-cold,check-warm,site-full,site-incremental",
        help="comma-separated: check-cold, check-warm, site-full, site-incremental, check-inproc",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the built sites at the end")
    parser.add_argument("--lib", type=Path, help="a library to use instead of the generated one")
    args = parser.parse_args(argv)
    sides = [Side("before", args.before.resolve()), Side("after", args.after.resolve())]
    only = set(args.only.split(","))
    global AB
    lib = args.lib.resolve() if args.lib else ensure_library(args.guides, args.seed, False)
    AB = OUT / f"ab-{lib.name.removeprefix('lib-')}"
    AB.mkdir(parents=True, exist_ok=True)
    for side in sides:
        prepare(side, lib)
        # The first check writes each side's cache (and says whether the library passes).
        subprocess.run([side.guides, "check", str(side.lib)], check=True, env=env_for(side), cwd=AB)
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {"load_at_start": os.getloadavg(), "scenarios": {}}

    def record(key: str, label: str, res: dict[str, Runs], inner: bool = False) -> None:
        raw["scenarios"][key] = {n: asdict(r) for n, r in res.items()}
        rows.append(summary(label, res, inner))
        (AB / "ab-results.json").write_text(json.dumps(raw, indent=2) + "\n")
        (AB / "ab-results.md").write_text(markdown(rows))

    if "check-cold" in only:
        res = measure(
            Scenario("check --no-cache", lambda s, i: [s.guides, "check", str(s.lib), "--no-cache"]),
            sides, args.runs,
        )  # fmt: skip
        record("check-cold", "`guides check --no-cache`", res)
    if "check-warm" in only:
        res = measure(
            Scenario("check warm", lambda s, i: [s.guides, "check", str(s.lib)]), sides, args.runs
        )
        record("check-warm", "`guides check`, warm cache (nothing changed)", res)

    def build_cmd(s: Side, _i: int) -> list[str]:
        return [s.python, s.bench_site, "--build-once", str(s.site_input), str(s.site), "0"]

    def clean(s: Side, _i: int) -> None:
        for p in AB.glob(f"site-{s.name}*"):
            if p.suffix != ".jsonl":
                _rm(p)

    if "site-full" in only or "site-incremental" in only:
        if "site-full" in only:
            res = measure(Scenario("site full build", build_cmd, clean), sides, args.site_runs)
            record("site-full", f"site: full build of {args.guides:,} guides (whole process)", res)
        else:
            for s in sides:
                clean(s, 0)
                run(build_cmd(s, 0), s)
    if "site-incremental" in only:
        first = {s.name: json.loads(s.site_input.open().readline())["id"] for s in sides}

        def change(s: Side, i: int) -> list[str]:
            return [s.python, s.bench_site, "--change-once", str(s.site_input), str(s.site),
                    first[s.name], str(i + 3)]  # fmt: skip

        res = measure(Scenario("site incremental", change, inner=True), sides, args.runs)
        record("site-inc", "site: one changed guide, incremental publish (adapter work)", res, True)
        rows.append(summary("… the same, whole process", res))
    if "check-inproc" in only:
        inproc = in_process_check(sides, args.runs)
        raw["check_in_process"] = inproc
        (AB / "ab-results.json").write_text(json.dumps(raw, indent=2) + "\n")
    text = markdown(rows)
    (AB / "ab-results.md").write_text(text)
    print()
    print(text)
    if not args.keep:
        for side in sides:
            clean(side, 0)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(2)
