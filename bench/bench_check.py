"""Time `guides check` on a generated 10,000-guide library, and compare with check-jsonschema.

    .venv/bin/python bench/bench_check.py [--guides 10000] [--runs 5]

Every figure is a whole process (``subprocess``, wall clock, ``time.perf_counter``), the median of
``--runs`` runs after one untimed warm-up run, so the files are in the OS page cache throughout:
"cold" means that guidesrc has no cache of its own, not that the disk is cold.

- cold: ``guides check LIB --no-cache``, and with an empty cache (``LIB/.guides/`` deleted before
  each run, so the run also writes the cache); also ``--jobs 1`` (one process) for comparison;
- warm: nothing changed since the last check;
- warm, K changed: K guides edited (``generate.mutate``) before each run;
- check-jsonschema validating the same guide files with ``schemas/guide.schema.json``;
- per-file parsing and validation micro-benchmarks on a sample of the generated guides.

The library is generated into ``bench/out/`` (git-ignored) when missing. Results are printed as
Markdown and written to ``bench/out/check-results.md`` (raw times in ``check-results.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
import shape as shape_mod

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
BIN = Path(sys.executable).parent  # run with the project's venv Python
GUIDES = BIN / "guides"
CHECK_JSONSCHEMA = BIN / "check-jsonschema"
GUIDE_SCHEMA = REPO / "schemas" / "guide.schema.json"
JSONSCHEMA_FULL_LIMIT = 180.0  # seconds: slower than this per run, time a sample instead
JSONSCHEMA_SAMPLE = 1000


class BenchError(RuntimeError):
    pass


@dataclass(slots=True)
class Timing:
    label: str
    command: str
    times: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


# ---------------------------------------------------------------------------------------------
# Running and timing processes


def run_once(cmd: Sequence[str], cwd: Path | None = None) -> float:
    """Wall-clock seconds of one process; it must succeed (exit 0)."""
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace")[-2000:]
        raise BenchError(f"{' '.join(cmd[:4])} … exited {proc.returncode}:\n{tail}")
    return elapsed


def time_command(
    label: str,
    cmd: Sequence[str],
    runs: int,
    before: Callable[[int], None] | None = None,
    cwd: Path | None = None,
    warmup: bool = True,
) -> Timing:
    """Median-ready timings of ``cmd``; ``before(i)`` prepares run ``i`` (untimed)."""
    timing = Timing(label, " ".join(_short(c) for c in cmd))
    for i in range(-1 if warmup else 0, runs):
        if before is not None:
            before(i)
        elapsed = run_once(cmd, cwd)
        if i >= 0:
            timing.times.append(elapsed)
        print(f"  {label}: run {i + 1}: {elapsed:.3f} s" if i >= 0 else f"  {label}: warm-up")
    return timing


def _short(part: str) -> str:
    """Command parts as a reader would type them (venv tools and bench/out relative)."""
    for prefix, short in ((str(BIN) + "/", ".venv/bin/"), (str(REPO) + "/", "")):
        if part.startswith(prefix):
            return short + part[len(prefix) :]
    return part


# ---------------------------------------------------------------------------------------------
# The library under test


def ensure_library(n: int, seed: int, regenerate: bool) -> Path:
    lib = OUT / f"lib-{n}"
    if regenerate and lib.exists():
        shutil.rmtree(lib)
    if not (lib / "library.yaml").is_file():
        if lib.exists():
            shutil.rmtree(lib)
        print(f"generating {n} guides into {_short(str(lib))} …")
        generate.generate(lib, n, seed)
    return lib


def library_stats(lib: Path) -> dict[str, Any]:
    files = generate.guide_files(lib)
    sizes = [p.stat().st_size for p in files]
    catalogues = sum(p.stat().st_size for p in (lib / "catalogues").glob("*.yaml"))
    return {
        "guides": len(files),
        "mean_guide_bytes": statistics.mean(sizes),
        "median_guide_bytes": statistics.median(sizes),
        "guides_mb": sum(sizes) / 1e6,
        "catalogues_mb": catalogues / 1e6,
    }


def guides_supports_jobs() -> bool:
    help_text = subprocess.run(
        [str(GUIDES), "check", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return "--jobs" in help_text


# ---------------------------------------------------------------------------------------------
# Scenarios


def bench_guides(lib: Path, runs: int, changed: int) -> list[Timing]:
    check = [str(GUIDES), "--lang", "en", "check", str(lib)]
    state = lib / ".guides"

    def drop_cache(_i: int) -> None:
        shutil.rmtree(state, ignore_errors=True)

    timings = [
        time_command("cold, --no-cache", [*check, "--no-cache"], runs),
        time_command("cold, empty cache (writes it)", check, runs, before=drop_cache),
    ]
    if guides_supports_jobs():
        one = [*check, "--no-cache", "--jobs", "1"]
        timings.append(time_command("cold, --no-cache --jobs 1", one, runs))
    run_once(check)  # fill the cache
    timings.append(time_command("warm, nothing changed", check, runs))
    timings.append(bench_changed(lib, runs, changed))
    return timings


def bench_guides_stable(
    lib: Path, runs: int, changed: int, attempts: int = 3
) -> tuple[list[Timing], bool]:
    """The guidesrc scenarios, run again if guidesrc's source changes while they run.

    Returns the timings and whether one version of the source was measured throughout.
    """
    for attempt in range(1, attempts + 1):
        before = source_digest()
        timings = bench_guides(lib, runs, changed)
        if source_digest() == before:
            return timings, True
        print(f"guidesrc's source changed during the runs (attempt {attempt} of {attempts})")
    return timings, False


def bench_changed(lib: Path, runs: int, changed: int) -> Timing:
    """Each run checks after ``changed`` guides were edited since the previous check."""
    work = OUT / f"{lib.name}-work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(lib, work, ignore=shutil.ignore_patterns(".guides"))
    check = [str(GUIDES), "--lang", "en", "check", str(work)]
    run_once(check)  # fill the cache

    def edit(i: int) -> None:
        generate.mutate(work, changed, seed=1000 + i)

    timing = time_command(f"warm, {changed} guides changed", check, runs, before=edit)
    shutil.rmtree(work, ignore_errors=True)
    return timing


def bench_jsonschema(lib: Path, runs: int, full_limit: float) -> tuple[Timing, int]:
    """check-jsonschema on every guide if a run takes < ``full_limit`` s, else on a sample.

    Returns the timing and the number of files it covered (to compare per file).
    """
    files = [str(p.relative_to(lib)) for p in generate.guide_files(lib)]
    cmd = [str(CHECK_JSONSCHEMA), "--schemafile", str(GUIDE_SCHEMA)]
    label = f"check-jsonschema, {len(files)} guides"
    print(f"  {label}: trial run")
    first = run_once([*cmd, *files], cwd=lib)
    print(f"  {label}: run 1: {first:.1f} s")
    if first < full_limit:
        shown = " ".join(_short(c) for c in cmd) + " <all guide files>"
        timing = Timing(label, shown, [first])
        for i in range(1, max(3, runs // 2 + 1)):
            timing.times.append(run_once([*cmd, *files], cwd=lib))
            print(f"  {label}: run {i + 1}: {timing.times[-1]:.1f} s")
        timing.note = f"all {len(files)} guide files"
        return timing, len(files)
    sample = sorted(random.Random(0).sample(files, min(JSONSCHEMA_SAMPLE, len(files))))
    label = f"check-jsonschema, {len(sample)}-guide sample"
    timing = time_command(label, [*cmd, *sample], 3, cwd=lib, warmup=False)
    timing.command = " ".join(_short(c) for c in cmd) + f" <{len(sample)} sampled guides>"
    timing.note = f"sample of {len(sample)}: a full run took {first:.0f} s"
    return timing, len(sample)


# ---------------------------------------------------------------------------------------------
# Per-file micro-benchmarks (in this process)


def micro_benchmarks(lib: Path, sample_size: int) -> list[tuple[str, float]]:
    """Median per-file milliseconds of each parser (and the model validation) on a sample."""
    import ruamel.yaml
    import yaml
    import yaml_rs

    files = generate.guide_files(lib)
    sample = random.Random(1).sample(files, min(sample_size, len(files)))
    texts = [p.read_text("utf-8") for p in sample]

    c_parser = "C parser" if getattr(ruamel.yaml.main, "CParser", None) else "pure Python here"

    parsers: list[tuple[str, Callable[[str], Any], int]] = [
        ("yaml_rs.loads", lambda t: yaml_rs.loads(t, parse_datetime=False), 20),
        ("yaml.load, CSafeLoader", lambda t: yaml.load(t, Loader=yaml.CSafeLoader), 5),
        ("yaml.load, SafeLoader (pure Python)", lambda t: yaml.load(t, Loader=yaml.SafeLoader), 2),
        (f"ruamel.yaml as check-jsonschema loads ({c_parser})", _jsonschema_loader(), 2),
        ('ruamel.yaml, typ="rt" (round-trip)', ruamel.yaml.YAML(typ="rt").load, 2),
    ]
    results = [(name, _per_file_ms(fn, texts, reps)) for name, fn, reps in parsers]
    validate = _validator()
    if validate is not None:
        data = [yaml_rs.loads(t, parse_datetime=False) for t in texts]
        results.append(
            ("pydantic Guide.model_validate (parsed data)", _per_file_ms(validate, data, 5))
        )
    return results


def _jsonschema_loader() -> Callable[[str], Any]:
    """The YAML loader check-jsonschema builds (ruamel.yaml, safe, dates kept as text)."""
    try:
        from check_jsonschema.parsers.yaml import construct_yaml_implementation
    except ImportError:
        import ruamel.yaml

        return ruamel.yaml.YAML(typ="safe").load
    loader: Callable[[str], Any] = construct_yaml_implementation().load
    return loader


def _validator() -> Callable[[Any], Any] | None:
    try:
        from guidesrc.model.guide import Guide
    except ImportError:
        return None
    return Guide.model_validate


def _per_file_ms(fn: Callable[[Any], Any], inputs: list[Any], reps: int) -> float:
    """Median over files of the mean time of ``reps`` calls, in milliseconds."""
    fn(inputs[0])  # import and set-up costs are not per file
    per_file = []
    for item in inputs:
        started = time.perf_counter()
        for _ in range(reps):
            fn(item)
        per_file.append((time.perf_counter() - started) / reps * 1000)
    return statistics.median(per_file)


# ---------------------------------------------------------------------------------------------
# Machine facts and the report


def source_digest() -> str:
    """A short hash of guidesrc's source, to notice code that changes while the benchmark runs."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "guidesrc").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine_facts(load_at_start: float | None = None) -> dict[str, str]:
    cpu = "unknown"
    physical: set[tuple[str, str]] = set()
    try:
        block: dict[str, str] = {}
        for line in [*Path("/proc/cpuinfo").read_text().splitlines(), ""]:
            if ":" in line:
                key, value = (s.strip() for s in line.split(":", 1))
                block[key] = value
            elif block:
                # family and model tell two VMs both called "AMD EPYC" apart (their speed differs)
                cpu = block.get("model name", cpu) + (
                    f" (family {block['cpu family']}, model {block['model']}, "
                    f"{float(block.get('cpu MHz', 0)):.0f} MHz)"
                    if "cpu family" in block and "model" in block
                    else ""
                )
                physical.add(
                    (block.get("physical id", "0"), block.get("core id", str(len(physical))))
                )
                block = {}
    except OSError:
        pass
    import guidesrc

    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} logical, {len(physical) or '?'} physical",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "guidesrc": f"{guidesrc.__version__} (git {commit or '?'}, source {source_digest()})",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load average (1 min), start → end": f"{load_at_start or 0:.2f} → {os.getloadavg()[0]:.2f}",
    }


def report(
    facts: dict[str, str],
    stats: dict[str, Any],
    timings: list[Timing],
    jsonschema: tuple[Timing, int] | None,
    micro: tuple[int, list[tuple[str, float]]],
    runs: int,
    seed: int,
    shape_source: str,
) -> str:
    n = stats["guides"]
    lines = ["# `guides check` benchmark", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += [
        "",
        f"Library: {n} generated guides (`bench/generate.py --guides {n} --seed {seed}`, shape from "
        f"{shape_source}); mean guide file {stats['mean_guide_bytes']:.0f} bytes "
        f"({stats['mean_guide_bytes'] / 1024:.2f} KiB), median {stats['median_guide_bytes']:.0f}; "
        f"guides {stats['guides_mb']:.1f} MB, catalogues {stats['catalogues_mb']:.1f} MB.",
        "",
        f"Whole processes, wall clock, median of {runs} runs after a warm-up run (files in the OS "
        "page cache).",
        "",
        "| Scenario | Median (s) | Per guide (ms) | Runs (s) |",
        "|---|---:|---:|---|",
    ]
    for t in timings:
        lines.append(_row(t, n))
    cold = next((t for t in timings if t.label == "cold, --no-cache"), None)
    single = next((t for t in timings if "--jobs 1" in t.label), None)
    if jsonschema is not None:
        timing, covered = jsonschema
        lines.append(_row(timing, covered))
        per_file = timing.median / covered
        lines.append("")
        lines.append(f"check-jsonschema: {timing.note}; {per_file * 1000:.1f} ms per guide.")
        for base in (cold, single):
            if base is not None:
                ratio = per_file * n / base.median
                lines.append(
                    f"check-jsonschema / `guides check` ({base.label}): **{ratio:.0f}×** "
                    f"(per guide: {per_file * 1000:.1f} ms vs {base.median / n * 1000:.2f} ms)."
                )
    lines += [
        "",
        f"Per-file micro-benchmarks on {micro[0]} sampled guides, in this process: median over "
        "files of the mean of several calls, ms per guide.",
        "",
        "| Operation | ms per guide |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {ms:.3f} |" for name, ms in micro[1]]
    return "\n".join(lines) + "\n"


def _row(t: Timing, count: int) -> str:
    runs = ", ".join(f"{x:.2f}" for x in t.times)
    return f"| {t.label} | {t.median:.2f} | {t.median / count * 1000:.3f} | {runs} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=10_000, help="library size (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario (≥ 5)")
    parser.add_argument("--changed", type=int, default=100, help="guides edited per warm run")
    parser.add_argument("--micro-sample", type=int, default=300, help="guides per micro-benchmark")
    parser.add_argument("--regenerate", action="store_true", help="generate the library afresh")
    parser.add_argument("--skip-jsonschema", action="store_true", help="leave out check-jsonschema")
    parser.add_argument(
        "--jsonschema-limit",
        type=float,
        default=JSONSCHEMA_FULL_LIMIT,
        help="seconds per full check-jsonschema run above which a 1,000-file sample is timed",
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    lib = ensure_library(args.guides, args.seed, args.regenerate)
    stats = library_stats(lib)
    print(f"library {_short(str(lib))}: {stats['guides']} guides")
    jsonschema = None
    if not args.skip_jsonschema:
        jsonschema = bench_jsonschema(lib, args.runs, args.jsonschema_limit)
    print("micro-benchmarks …")
    micro = (min(args.micro_sample, stats["guides"]), micro_benchmarks(lib, args.micro_sample))
    # Last, and checked for code changes: guidesrc is the code under active development.
    timings, stable = bench_guides_stable(lib, args.runs, args.changed)
    facts = machine_facts(load_at_start)
    source = shape_mod.load_shape().source
    text = report(facts, stats, timings, jsonschema, micro, args.runs, args.seed, source)
    if not stable:
        text += "\n**Warning: guidesrc's source changed while `guides check` was timed.**\n"
    print()
    print(text)
    (OUT / "check-results.md").write_text(text, encoding="utf-8")
    raw = {
        "machine": facts,
        "library": stats,
        "timings": {t.label: t.times for t in timings},
        "jsonschema": None
        if jsonschema is None
        else {"label": jsonschema[0].label, "files": jsonschema[1], "times": jsonschema[0].times},
        "micro_ms": dict(micro[1]),
    }
    (OUT / "check-results.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(2)
