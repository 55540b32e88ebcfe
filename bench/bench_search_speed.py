"""Size and speed of the search index (issue 19) on a generated library of ``--guides`` guides.

    .venv/bin/python bench/bench_search_speed.py [--guides 10000] [--runs 21] [--queries 200]

- **build**: the library's compiled guides → search documents → the index
  (:func:`guidesrc.search.build.build`) → its static files (:func:`guidesrc.search.shards.files`),
  wall clock, once; then an **incremental publish**: one guide's condition reworded, edited into
  the files (:func:`guidesrc.search.patch.update`, what ``site/search.py`` does): the time and
  the files that change.
- **size**: every file of ``search/``, raw and gzip (level 6, as a web server sends it).
- **first query**: for each query (drawn with a fixed seed: words of two to four characters of
  names, whole names, names with one character replaced, names' pinyin and initials, questions
  that find nothing), the files ``static/search.js`` fetches for it alone, as a new visitor:
  their gzip bytes. Then its **answer time** once they are loaded: node (V8, the engine of
  Chromium) runs the same query ``--runs`` times; the median and the slowest are reported.
  Then **in Chromium** (Debian's, headless), the files served on 127.0.0.1: each query the
  first time (fetching and parsing its files) and once more.

Written to ``bench/out/search-results.md`` (raw figures in ``search-results.json``).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import OUT, REPO, ensure_library

from guidesrc.search import synonyms
from guidesrc.search.build import build
from guidesrc.search.documents import document
from guidesrc.search.patch import update
from guidesrc.search.readings import pinyin_keys
from guidesrc.search.shards import files
from guidesrc.state import WorkingTree, load_state

SEARCH_JS = REPO / "guidesrc/site/static/search.js"


def documents(lib: Path) -> list[dict[str, Any]]:
    state = load_state(WorkingTree(lib))
    return [document(state.compiled(gid)) for gid in sorted(state.guide_files)]


def queries(docs: list[dict[str, Any]], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = [d["name"] for d in docs]
    out: list[str] = []
    while len(out) < count:
        name = rng.choice(names)
        kind = len(out) % 5
        if kind == 0:  # a word of the name
            k = rng.randint(2, min(4, len(name)))
            start = rng.randrange(len(name) - k + 1)
            out.append(name[start : start + k])
        elif kind == 1:
            out.append(name)
        elif kind == 2:  # one character wrong
            i = rng.randrange(len(name))
            out.append(name[:i] + "啊" + name[i + 1 :])
        elif kind == 3:  # pinyin of a word, or its initials
            full, initials = pinyin_keys(name[: rng.randint(2, 4)])
            out.append(full if rng.random() < 0.5 else initials)
        else:
            out.append(rng.choice(["火星移民", "宇宙飞船驾驶证", "量子纠缠登记"]))
    return out


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def run_node(folder: Path, wanted: list[str], runs: int) -> list[dict[str, Any]]:
    (folder / "queries.json").write_text(json.dumps(wanted, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run(
        ["node", str(REPO / "bench/search_bench.js"), str(SEARCH_JS), str(folder / "search"),
         str(folder / "queries.json"), str(runs)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


CHROMIUM_RUN = """async (queries) => {
  const engine = new GuideSearch((name) => fetch("search/" + name).then((r) => r.json()));
  const out = [];
  for (const q of queries) {
    let started = performance.now();
    await engine.search(q, 10);
    const first = performance.now() - started;
    started = performance.now();
    await engine.search(q, 10);
    out.push([first, performance.now() - started]);
  }
  return out;
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def run_chromium(folder: Path, wanted: list[str]) -> list[list[float]]:
    """The queries in Chromium, against the files served on 127.0.0.1: each the first time
    (fetching what it needs, the files of earlier queries cached) and again."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (folder / "index.html").write_text("<!doctype html><title>search</title>", encoding="utf-8")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.add_script_tag(path=str(SEARCH_JS))
            times: list[list[float]] = page.evaluate(CHROMIUM_RUN, wanted)
            browser.close()
    finally:
        server.shutdown()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lib = ensure_library(args.guides, args.seed, regenerate=False)
    started = time.perf_counter()
    docs = documents(lib)
    read_s = time.perf_counter() - started
    groups = synonyms.load(lib)
    started = time.perf_counter()
    written = files(build(docs, groups))
    build_s = time.perf_counter() - started
    folder = OUT / f"search-{args.guides}"
    (folder / "search").mkdir(parents=True, exist_ok=True)
    for old in (folder / "search").glob("*.json"):
        old.unlink()
    for rel, data in written.items():
        (folder / rel).write_bytes(data)
    sizes = {rel.removeprefix("search/"): (len(data), gz(data)) for rel, data in written.items()}

    middle = len(docs) // 2
    changed_doc = dict(docs[middle])
    changed_doc["conditions"] = [*changed_doc["conditions"][:-1], "申请人应当如实提交有关材料。"]
    every = [*docs[:middle], changed_doc, *docs[middle + 1 :]]
    started = time.perf_counter()
    patched = update(written.get, every, {changed_doc["id"]: docs[middle]}, groups)
    incremental_s = time.perf_counter() - started
    assert patched is not None
    changed = set(patched[0])
    again = patched[0]

    wanted = queries(docs, args.queries, args.seed)
    answers = run_node(folder, wanted, args.runs)
    browser = run_chromium(folder, wanted)
    first = [sum(sizes[f][1] for f in a["files"]) for a in answers]
    ms = [a["ms"] for a in answers]
    results = {
        "guides": len(docs),
        "read_s": read_s,
        "build_s": build_s,
        "incremental_s": incremental_s,
        "incremental_files": sorted(changed),
        "incremental_gzip": sum(gz(again[r]) for r in changed),
        "files": len(sizes),
        "raw": sum(r for r, _g in sizes.values()),
        "gzip": sum(g for _r, g in sizes.values()),
        "meta_gzip": sizes["meta.json"][1],
        "largest_gzip": max(sizes.items(), key=lambda kv: kv[1][1]),
        "first_gzip_median": statistics.median(first),
        "first_gzip_max": max(first),
        "first_gzip_max_query": answers[first.index(max(first))]["query"],
        "ms_median": statistics.median(ms),
        "ms_p95": sorted(ms)[int(len(ms) * 0.95) - 1],
        "ms_max": max(a["max_ms"] for a in answers),
        "ms_max_query": max(answers, key=lambda a: a["max_ms"])["query"],
        "chromium_first_median": statistics.median(t[0] for t in browser),
        "chromium_first_max": max(t[0] for t in browser),
        "chromium_again_median": statistics.median(t[1] for t in browser),
        "chromium_again_p95": sorted(t[1] for t in browser)[int(len(browser) * 0.95) - 1],
        "chromium_again_max": max(t[1] for t in browser),
        "found": sum(1 for a in answers if a["hits"]),
        "queries": len(answers),
    }
    (OUT / "search-results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    text = markdown(results)
    (OUT / "search-results.md").write_text(text, encoding="utf-8")
    print(text)


def markdown(r: dict[str, Any]) -> str:
    kb = 1024
    return "\n".join(
        [
            f"| {r['guides']:,} guides | figure |",
            "|---|---|",
            f"| index files (search/) | {r['files']:,}: {r['raw'] / kb / kb:.1f} MB raw, "
            f"{r['gzip'] / kb / kb:.1f} MB gzip |",
            f"| meta.json (every first query) | {r['meta_gzip'] / kb:.1f} KB gzip |",
            f"| largest file | {r['largest_gzip'][0]}: {r['largest_gzip'][1][1] / kb:.1f} KB gzip |",
            f"| first query downloads (median / max of {r['queries']}) | "
            f"{r['first_gzip_median'] / kb:.1f} KB / {r['first_gzip_max'] / kb:.1f} KB gzip "
            f"(max: “{r['first_gzip_max_query']}”) |",
            f"| answer once loaded (median / p95 / max) | {r['ms_median']:.1f} / "
            f"{r['ms_p95']:.1f} / {r['ms_max']:.1f} ms (max: “{r['ms_max_query']}”) |",
            f"| Chromium: a query again (median / p95 / max) | {r['chromium_again_median']:.1f} / "
            f"{r['chromium_again_p95']:.1f} / {r['chromium_again_max']:.1f} ms |",
            f"| Chromium: a query the first time, fetching from 127.0.0.1 (median / max) | "
            f"{r['chromium_first_median']:.1f} / {r['chromium_first_max']:.1f} ms |",
            f"| queries with hits | {r['found']} of {r['queries']} |",
            f"| reading the compiled guides | {r['read_s']:.1f} s |",
            f"| building the index and its files | {r['build_s']:.1f} s |",
            f"| incremental publish (one condition reworded) | {r['incremental_s']:.2f} s, "
            f"{len(r['incremental_files'])} files rewritten "
            f"({r['incremental_gzip'] / kb:.1f} KB gzip) |",
        ]
    )


if __name__ == "__main__":
    main()
