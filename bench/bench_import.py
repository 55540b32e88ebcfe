"""Time `guides import` of the 2,262 real Guangdong guides, `guides check` of the result, and a
full site build of them (`guides approve` + `guides publish` to a site channel).

    .venv/bin/python bench/bench_import.py [--runs 5] [--data PATH] [--max-load 1.5]

The export is read at run time from ``../shared/data/gdzwfw-2021/guides.jsonl`` (or ``--data``);
nothing of it is copied into the repository. Each run starts from nothing, in ``bench/out/``
(git-ignored):

1. ``guides import EXPORT --into LIB`` — a new library (timed);
2. ``guides check LIB --no-cache`` — every file analysed (timed), and ``guides check LIB`` twice:
   the first check, writing the cache, then a warm one (timed);
3. ``library.yaml`` gets a site channel, and the levels of the three rules the real data breaks
   (``time-limit-units``, ``credit-code``: 12 findings) set to warning, as a
   centre would while it corrects them; the library is committed by 编辑员 and
   ``guides approve`` run by 审核员 (timed, for information);
4. ``guides publish LIB`` — the site of all 2,262 guides, built from nothing (timed).

Every figure is a whole process (wall clock, ``time.perf_counter``); medians of ``--runs`` runs.
The benchmark refuses to start while the 1-minute load average is above ``--max-load`` (other
sessions benchmark on the same machine). Results are printed as Markdown and written to
``bench/out/import-results.md`` (raw times in ``import-results.json``).
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
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import BIN, OUT, REPO, BenchError, machine_facts, run_once

GUIDES = str(BIN / "guides")
DEFAULT_DATA = REPO.parent / "shared" / "data" / "gdzwfw-2021" / "guides.jsonl"
STEPS = ["import", "check, no cache", "check, first (writes the cache)", "check, warm",
         "approve (all guides)", "publish: full site build"]  # fmt: skip
RULE_LEVELS = "rules:\n  time-limit-units: warning\n  credit-code: warning\n"
SITE = "channels:\n  site:\n    type: site\n    settings:\n      path: .guides/site\n"
# The export leaves 收费 pending in every guide (docs/import.md): publish them as incomplete.
COMPLETENESS = "completeness:\n  allow_incomplete: true\n"


def git(root: Path, *args: str) -> None:
    who = ["-c", "user.name=编辑员", "-c", "user.email=editor@example.org"]
    subprocess.run(["git", *who, *args], cwd=root, check=True, capture_output=True)


def prepare_for_publishing(lib: Path) -> None:
    config = lib / "library.yaml"
    text = config.read_text(encoding="utf-8")
    head, _channels, _rest = text.partition("channels:")
    config.write_text(head + SITE + COMPLETENESS + RULE_LEVELS, encoding="utf-8")
    git(lib, "init", "-q")
    git(lib, "add", "-A")
    git(lib, "commit", "-qm", "import")


def one_run(data: Path, lib: Path) -> dict[str, float]:
    shutil.rmtree(lib, ignore_errors=True)
    times = {"import": run_once([GUIDES, "import", str(data), "--into", str(lib)])}
    times["check, no cache"] = timed_check(lib, "--no-cache")
    times["check, first (writes the cache)"] = timed_check(lib)
    times["check, warm"] = timed_check(lib)
    prepare_for_publishing(lib)
    env = {**os.environ, "GIT_AUTHOR_NAME": "编辑员", "GIT_COMMITTER_NAME": "编辑员"}
    started = time.perf_counter()
    subprocess.run(
        [GUIDES, "approve", str(lib), "--effective", "today", "--note", "导入"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    times["approve (all guides)"] = time.perf_counter() - started
    times["publish: full site build"] = run_once([GUIDES, "publish", str(lib)])
    pages = len(list((lib / ".guides" / "site" / "guides").glob("*.html")))
    if pages != 2262:
        raise BenchError(f"the site has {pages} guide pages, not 2262")
    return times


def timed_check(lib: Path, *args: str) -> float:
    """Seconds of one `guides check` (exit 1 is expected: the real data has errors)."""
    started = time.perf_counter()
    proc = subprocess.run([GUIDES, "check", str(lib), *args], capture_output=True, check=False)
    if proc.returncode not in (0, 1):
        raise BenchError(proc.stderr.decode("utf-8", "replace")[-2000:])
    return time.perf_counter() - started


def per_rule(lib: Path) -> Counter[str]:
    proc = subprocess.run(
        [GUIDES, "check", str(lib), "--no-cache"], capture_output=True, text=True, check=False
    )
    return Counter(line.rsplit("[", 1)[1].rstrip("]") for line in proc.stdout.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--max-load", type=float, default=1.5)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: no export at {args.data} (the real data lives in ../shared/data)")
        return
    load = os.getloadavg()[0]
    if load > args.max_load:
        sys.exit(f"load average {load:.2f} > {args.max_load}: try again when the machine is quiet")
    lib = OUT / "import-gd"
    OUT.mkdir(parents=True, exist_ok=True)
    runs = [one_run(args.data, lib) for _ in range(args.runs)]
    rules = per_rule(lib)
    facts = machine_facts(load)
    lines = ["# `guides import` benchmark (2,262 real guides)", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += ["", "| step | median (s) | runs (s) |", "|---|---:|---|"]
    for step in STEPS:
        values = [r[step] for r in runs]
        shown = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {step} | **{statistics.median(values):.2f}** | {shown} |")
    lines += ["", "| rule | findings |", "|---|---:|"]
    lines += [f"| `{rule}` | {count} |" for rule, count in rules.most_common()]
    text = "\n".join(lines) + "\n"
    print(text)
    (OUT / "import-results.md").write_text(text, encoding="utf-8")
    raw = {"facts": facts, "runs": runs, "rules": dict(rules)}
    (OUT / "import-results.json").write_text(json.dumps(raw, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
