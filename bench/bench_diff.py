"""Time `guides diff` between two git revisions of a generated 10,000-guide library.

    .venv/bin/python bench/bench_diff.py [--guides 10000] [--runs 5]

Three scenarios, each a whole `guides diff --base REV [--head REV] --format json` process (wall
clock, median of ``--runs`` after one untimed warm-up):

- 100 guides edited between the revisions (``generate.mutate``: a time limit changed, a condition
  reworded, a material added);
- one office, named in the places of 2,000 guides, changes its opening hours in the catalogue:
  every one of the 2,000 guides changes, though none of their files does;
- the same office change, compared with the working tree (no ``--head``, as in a pre-commit hook):
  every guide file is read and hashed.

Each is timed with the parse cache emptied before every run ("cold": every compared guide is read
and validated) and kept ("warm": the cache a previous diff or publish left). Results are printed
as Markdown and written to ``bench/out/diff-results.md``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
import shape as shape_mod
from bench_check import BIN, OUT, Timing, machine_facts, run_once

GUIDES = BIN / "guides"
OFFICE = "bench-shared-hall"
OFFICE_YAML = f"""  {OFFICE}:
    name: 示例市政务服务中心（综合受理大厅）
    hall: 二楼综合受理区
    address: 示例市青年路 90 号
    hours:
      - days: 周一至周五（法定节假日除外）
        hours: 9:00–12:00，13:30–17:30
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def prepare(root: Path, guides: int, shared: int) -> None:
    """A git library with three commits: base, +100 edited guides, +one office's hours changed."""
    if root.exists():
        shutil.rmtree(root)
    generate.generate(root, guides, 1, shape_mod.load_shape(shape_mod.REAL_DATA))
    _share_office(root, shared)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    generate.mutate(root, 100, 2)
    git(root, "commit", "-qam", "100 guides edited")
    offices = root / "catalogues" / "offices.yaml"
    text = offices.read_text(encoding="utf-8")
    changed = text.replace(OFFICE_YAML, OFFICE_YAML.replace("13:30–17:30", "14:00–18:00"))
    offices.write_text(changed, encoding="utf-8")
    git(root, "commit", "-qam", "shared office hours")


def _share_office(root: Path, count: int) -> None:
    """Add one office to the catalogue and to the places of ``count`` guides."""
    offices = root / "catalogues" / "offices.yaml"
    offices.write_text(offices.read_text(encoding="utf-8") + OFFICE_YAML, encoding="utf-8")
    for path in sorted((root / "guides").rglob("*.yaml"))[:count]:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^places: \[(.*)\]$", rf"places: [\1, {OFFICE}]", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")


def time_diff(root: Path, base: str, head: str | None, runs: int, cold: bool) -> list[float]:
    cmd = [str(GUIDES), "diff", str(root), "--base", base, "--format", "json"]
    if head is not None:
        cmd += ["--head", head]
    cache = root / ".guides" / "cache" / "guides.sqlite"
    times = []
    for n in range(runs + 1):
        if cold:
            cache.unlink(missing_ok=True)
        elapsed = run_once(cmd)
        if n:  # the first run warms the page cache (and, when warm, the parse cache)
            times.append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--shared", type=int, default=2_000, help="guides that name the office")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    root = OUT / f"diff-{args.guides}"
    prepare(root, args.guides, args.shared)
    rows = []
    office = f"one office used by {args.shared:,} guides changed"
    scenarios: list[tuple[str, str, str | None]] = [
        (f"100 of {args.guides:,} guides edited", "HEAD~2", "HEAD~1"),
        (office, "HEAD~1", "HEAD"),
        (f"{office}, working tree", "HEAD~1", None),
    ]
    for label, base, head in scenarios:
        for cold in (True, False):
            timing = Timing(
                f"{label}, parse cache {'empty' if cold else 'kept'}",
                "guides diff --base … --head … --format json",
                time_diff(root, base, head, args.runs, cold),
            )
            rows.append(timing)
            print(f"{timing.label}: median {timing.median:.2f} s {timing.times}", flush=True)
    lines = [f"- {key}: {value}" for key, value in machine_facts().items()]
    lines += ["", "| scenario | median (s) | runs (s) |", "|---|---:|---|"]
    lines += [
        f"| {t.label} | {t.median:.2f} | {', '.join(f'{x:.2f}' for x in t.times)} |" for t in rows
    ]
    report = "\n".join(lines) + "\n"
    (OUT / "diff-results.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
