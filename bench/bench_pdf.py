"""Time the pdf channel: a full print build, one changed guide, and Typst against WeasyPrint.

    .venv/bin/python bench/bench_pdf.py [--guides 1000] [--runs 5] [--skip-weasyprint]

The guides are the first ``--guides`` of the library ``bench_check.py`` generates
(``bench/out/lib-10000``, generated when missing), compiled and in canonical order as the ledger
hands them to channels. Scenarios:

1. **full print build**: one ``PdfAdapter.deliver_many`` of every guide (action ``publish``) into
   an empty channel folder, in this process, as ``guides publish`` runs it: fonts found, sheets
   printed by a pool of worker processes (one Typst compiler each), then the reprint batches (one
   per window, by worker processes too), written atomically, manifest saved. With ``workers`` 2 (the machine's cores) and 1. Reported as guides per second.
2. **one changed guide**: a new process (as cron starts ``guides publish``) delivers one new
   version into the channel folder the build left (its manifest holds every guide). Timed inside
   that process: the adapter's work from making the adapter (fonts found at start-up) to
   ``deliver_many`` returning, including the first compile of a fresh compiler; a second change
   in the same process gives the warm figure. Python start-up and imports are reported apart.
3. **Typst against WeasyPrint on the same guide**: the sheet data of one median-size guide,
   printed by ``guidesrc.print.render.Renderer`` (warm: the compiler made once, each run a new
   version so that Typst's memo cache does not answer) and by WeasyPrint from an HTML page with
   the same content and a comparable layout (``weasyprint_html``; fonts by fontconfig, the same
   Noto CJK), warm too (a second render in the same process). WeasyPrint runs in its own venv,
   ``bench/out/weasyprint-venv`` (created when missing: ``pip install weasyprint``), never in the
   project's dependencies. Also each engine's cold start: a new process to its first PDF.

Medians of ``--runs`` runs; results are printed as Markdown and written to
``bench/out/pdf-results.md`` (raw times in ``pdf-results.json``). Run it on a quiet machine: the
load average is recorded at the start and end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from bench_check import OUT, ensure_library, machine_facts

WEASY_VENV = OUT / "weasyprint-venv"
APPROVED = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------
# The deliveries


def deliveries(lib: Path, count: int) -> list[Any]:
    """``count`` publish deliveries of the library's guides (sorted by id), as the ledger gives."""
    from guidesrc.adapters import Delivery
    from guidesrc.compile import canonical_bytes, content_hash
    from guidesrc.state import WorkingTree, load_state

    state = load_state(WorkingTree(lib))
    ids = sorted(p.stem for p in (lib / "guides").rglob("*.yaml"))[:count]
    out = []
    for gid in ids:
        compiled = state.compiled(gid)
        guide = orjson.loads(canonical_bytes(compiled))
        notice = {
            "guide": gid,
            "name": guide["name"],
            "status": "added",
            "effective_date": "2026-12-01",
            "items": [],
            "text": f"新增“{guide['name']}”事项办事指南。自 2026 年 12 月 1 日起实施。",
        }
        out.append(
            Delivery(
                "publish",
                gid,
                1,
                guide["name"],
                dt.date(2026, 12, 1),
                APPROVED,
                content_hash(compiled),
                guide,
                notice,
            )
        )
    return out


def channel_library(lib: Path, work: Path) -> Path:
    """A folder with the library's library.yaml (the adapter reads base_url from it)."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(lib / "library.yaml", work / "library.yaml")
    return work


# ---------------------------------------------------------------------------------------------
# 1. full print build


def full_build(root: Path, work: list[Any], workers: int) -> tuple[float, float, float]:
    """Wall-clock seconds; CPU seconds of this process (all of the work with one worker; with
    more, the publishing process's share: receiving, writing, the manifest); and CPU seconds of
    this process and its workers (new interpreters, waited for when the build ends)."""
    from guidesrc.adapters.pdf import PdfAdapter, PdfSettings
    from guidesrc.workdays import read_config

    shutil.rmtree(root / "print", ignore_errors=True)
    cpu = time.process_time()
    children = _children_cpu()
    started = time.perf_counter()
    settings = PdfSettings(path="print", workers=workers)
    adapter = PdfAdapter("print", settings, root, read_config(root))
    results = adapter.deliver_many([(d, False) for d in work])
    adapter.close()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    children = _children_cpu() - children
    failed = [r for r in results if isinstance(r, Exception)]
    if failed:
        raise SystemExit(f"{len(failed)} sheets failed, e.g. {failed[0]}")
    return elapsed, cpu, cpu + children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# 2. one changed guide, in a new process


def change_worker(root: Path, payload: Path) -> None:
    """Run in a new process: deliver the pickled deliveries one after another, print timings."""
    started = time.perf_counter()
    from guidesrc.adapters.pdf import PdfAdapter, PdfSettings
    from guidesrc.workdays import read_config

    imported = time.perf_counter()
    changes = pickle.loads(payload.read_bytes())
    times = []
    adapter_start = time.perf_counter()
    adapter = PdfAdapter("print", PdfSettings(path="print"), root, read_config(root))
    for i, delivery in enumerate(changes):
        begin = adapter_start if i == 0 else time.perf_counter()
        [result] = adapter.deliver_many([(delivery, False)])
        if isinstance(result, Exception):
            raise result
        times.append(time.perf_counter() - begin)
    adapter.close()
    print(json.dumps({"imports": imported - started, "changes": times}))


def changed(work: list[Any], run: int) -> list[Any]:
    """Two new versions (of two guides) with a changed promised time limit."""
    import dataclasses

    out = []
    for k in range(2):
        base = work[(run * 2 + k) * 7 % len(work)]
        guide = dict(base.guide)
        limit = dict(guide["promised_time_limit"])
        limit["value"] = max(1, limit["value"] - 1 - run)
        guide["promised_time_limit"] = limit
        out.append(dataclasses.replace(base, version=2 + run, guide=guide))
    return out


def one_change(root: Path, work: list[Any], runs: int) -> list[dict[str, Any]]:
    measured = []
    for i in range(-1, runs):  # one warm-up run (page cache, .pyc)
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as fh:
            fh.write(pickle.dumps(changed(work, i + 1)))
        out = subprocess.run(
            [sys.executable, __file__, "--change-worker", str(root), fh.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        os.unlink(fh.name)
        if i >= 0:
            measured.append(json.loads(out))
            first = measured[-1]["changes"][0]
            print(f"  one change: run {i + 1}: {first:.3f} s")
    return measured


# ---------------------------------------------------------------------------------------------
# 3. Typst against WeasyPrint


def median_guide(work: list[Any]) -> Any:
    sizes = sorted(work, key=lambda d: len(orjson.dumps(d.guide)))
    return sizes[len(sizes) // 2]


def typst_times(delivery: Any, runs: int) -> dict[str, Any]:
    import dataclasses

    from guidesrc.adapters.pdf import SLOT
    from guidesrc.print.fonts import find_fonts
    from guidesrc.print.render import Renderer, RenderOptions, page_count
    from guidesrc.print.sheet import SheetJob, sheet_data
    from guidesrc.qr import sheet_svg as qr_svg
    from guidesrc.urls import guide_url

    job = SheetJob(
        SLOT["publish"],
        delivery.guide_id,
        delivery.name,
        1,
        delivery.effective_date,
        delivery.approved_at,
        delivery.content_hash,
        delivery.guide,
        delivery.notice,
        None,
        guide_url("https://zwfw.example.gov.cn", delivery.guide_id),
    )
    renderer = Renderer(RenderOptions(find_fonts()))
    pdf = renderer.render(job)
    warm, warm_cpu, engine, engine_cpu = [], [], [], []
    for i in range(max(runs, 20)):
        started, cpu = time.perf_counter(), time.process_time()
        renderer.render(dataclasses.replace(job, version=2 + i))
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - cpu)
    # The engine alone, from inputs made beforehand (as WeasyPrint gets its HTML page).
    qr = qr_svg(job.url)
    for i in range(max(runs, 20)):
        data = orjson.dumps(sheet_data(dataclasses.replace(job, version=100 + i))).decode()
        started, cpu = time.perf_counter(), time.process_time()
        renderer._compiler.compile(
            format="pdf", sys_inputs={"data": data, "qr": qr}, timestamp=0, pdf_standards=["a-2b"]
        )
        engine.append(time.perf_counter() - started)
        engine_cpu.append(time.process_time() - cpu)
    cold_cmd = [
        sys.executable,
        "-c",
        "import pickle,sys,time; t=time.perf_counter();"
        "from guidesrc.print.fonts import find_fonts;"
        "from guidesrc.print.render import Renderer, RenderOptions;"
        "job=pickle.loads(sys.stdin.buffer.read());"
        "Renderer(RenderOptions(find_fonts())).render(job);"
        "print(time.perf_counter()-t)",
    ]
    cold = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cold_cmd, input=pickle.dumps(job), capture_output=True, check=True)
        cold.append(time.perf_counter() - started)
    return {
        "warm": warm,
        "warm_cpu": warm_cpu,
        "engine": engine,
        "engine_cpu": engine_cpu,
        "cold": cold,
        "pages": page_count(pdf),
        "bytes": len(pdf),
        "job": job,
    }


def weasyprint_html(job: Any) -> str:
    """The sheet of ``job`` as an HTML page with the layout of guide.typ (for WeasyPrint)."""
    from guidesrc.print.sheet import sheet_data
    from guidesrc.qr import sheet_svg as qr_svg

    d = sheet_data(job)
    e = html.escape

    def rows(items: list[list[str]]) -> str:
        return "".join(f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in items)

    basic = d["basic"]
    short = "".join(
        "<tr>"
        + "".join(f"<th>{e(a)}</th><td>{e(b)}</td>" for a, b in basic["short"][i : i + 2])
        + "</tr>"
        for i in range(0, len(basic["short"]), 2)
    )
    wide = "".join(f'<tr><th>{e(a)}</th><td colspan="3">{e(b)}</td></tr>' for a, b in basic["wide"])
    materials = "".join(
        f"<tr><td>{m['no']}</td><td><b>{e(m['name'])}</b></td><td>{e(m['count'])}</td>"
        f"<td>{e(m['medium'])}</td><td>{e(m['source'])}</td><td>{e(m['necessity'])}</td>"
        f"<td>{'<br>'.join(e(n) for n in m['notes'])}</td></tr>"
        for m in d["materials"]
    )
    steps = "".join(
        f"<li><b>{e(s['name'])}</b>{'（' + e(s['limit']) + '）' if s['limit'] else ''}：{e(s['description'])}</li>"
        for s in d["steps"]
    )
    places = "".join(
        f"<p><b>{e(p['name'])}</b></p><table>{rows(p['rows'])}</table>" for p in d["places"]
    )
    faq = "".join(f"<p><b>问：{e(q['q'])}</b><br>答：{e(q['a'])}</p>" for q in d["faq"])
    bases = "".join(
        f"<p><b>{e(b['title'])}</b> <small>{e(b['detail'])}</small><br><small>{e(b['text'])}</small></p>"
        for b in d["bases"]
    )
    fees = (
        "不收费。"
        if not d["fees"]["charged"]
        else "".join(
            f"<p>{e(i['name'])}：{e(i['standard'])}（{e(i['basis'])}）</p>"
            for i in d["fees"]["items"]
        )
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(d["meta"]["title"])}</title>
<style>
@page {{ size: A4; margin: 14mm 16mm 18mm;
  @bottom-left {{ content: "{e(d["footer"])}"; font: 8pt "Noto Sans CJK SC"; color: #464646; }}
  @bottom-right {{ content: "第 " counter(page) " 页/共 " counter(pages) " 页"; font: 8pt "Noto Sans CJK SC"; }} }}
body {{ font-family: "Noto Sans CJK SC"; font-size: 10.5pt; line-height: 1.55; text-align: justify; }}
h1 {{ font-size: 17pt; margin: 0 0 .3em; }} h2 {{ font-size: 12.5pt; color: #1f4e8c; border-left: 3pt solid #1f4e8c; padding-left: .4em; margin: 1em 0 .5em; break-after: avoid; }}
table {{ width: 100%; border-collapse: collapse; font-size: 9pt; text-align: left; }}
th, td {{ border: .5pt solid #969696; padding: 3pt; vertical-align: top; }} th {{ background: #e9eff7; }}
thead {{ display: table-header-group; }} tr {{ break-inside: avoid; }}
.head {{ display: flex; justify-content: space-between; }} .qr svg {{ width: 28mm; height: 28mm; }}
</style></head><body>
<div class="head"><div><h1>{e(d["name"])}</h1><small>实施主体：{e(d["body"])}<br>第 {d["version"]} 版 · {e(d["since"])}</small></div>
<div class="qr">{qr_svg(d["url"])}<br><small>扫码查看网上办事指南</small></div></div>
<h2>基本信息</h2><table>{short}{wide}</table>
<h2>受理条件</h2><ol>{"".join(f"<li>{e(c)}</li>" for c in d["conditions"])}</ol>
<h2>申请材料</h2><table><thead><tr><th>序号</th><th>材料名称</th><th>形式及份数</th><th>载体</th><th>来源</th><th>必要性</th><th>填报要求及说明</th></tr></thead><tbody>{materials}</tbody></table>
<h2>办理流程</h2><ol>{steps}</ol>
<h2>办结时限</h2><table>{rows(d["limits"])}</table>
<h2>收费标准</h2>{fees}
<h2>办理结果</h2><ul>{"".join(f"<li>{e(r)}</li>" for r in d["results"])}</ul>
<h2>办理地点和时间</h2>{places}
<h2>咨询和投诉</h2><table>{rows(d["contacts"])}</table>
<h2>常见问题</h2>{faq}
<h2>设定依据</h2>{bases}
</body></html>"""


WEASY_RUNNER = """
import json, sys, time
started = time.perf_counter()
import weasyprint
from weasyprint.text.fonts import FontConfiguration
pages = [open(p, encoding="utf-8").read() for p in sys.argv[2:]]
fonts = FontConfiguration()
first = weasyprint.HTML(string=pages[0]).write_pdf(font_config=fonts)
cold = time.perf_counter() - started
warm, warm_cpu = [], []
for page in pages[1:]:
    t, c = time.perf_counter(), time.process_time()
    pdf = weasyprint.HTML(string=page).write_pdf(font_config=fonts)
    warm.append(time.perf_counter() - t)
    warm_cpu.append(time.process_time() - c)
open(sys.argv[1], "wb").write(pdf)
print(json.dumps({"cold": cold, "warm": warm, "warm_cpu": warm_cpu, "bytes": len(pdf), "version": weasyprint.__version__}))
"""


def ensure_weasyprint() -> Path:
    python = WEASY_VENV / "bin" / "python"
    if not python.exists():
        print("creating bench/out/weasyprint-venv (pip install weasyprint) …")
        subprocess.run([sys.executable, "-m", "venv", str(WEASY_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "weasyprint"], check=True)
    return python


def weasyprint_times(job: Any, runs: int) -> dict[str, Any]:
    import dataclasses

    python = ensure_weasyprint()
    folder = OUT / "pdf-weasyprint"
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for i in range(runs + 1):
        page = folder / f"sheet-{i}.html"
        page.write_text(weasyprint_html(dataclasses.replace(job, version=2 + i)), encoding="utf-8")
        pages.append(str(page))
    runner = folder / "run.py"
    runner.write_text(WEASY_RUNNER, encoding="utf-8")
    colds, warm, warm_cpu = [], [], []
    result: dict[str, Any] = {}
    for i in range(max(1, runs // 2)):
        out = subprocess.run(
            [str(python), str(runner), str(folder / "sheet.pdf"), *pages],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out)
        colds.append(result["cold"])
        warm += result["warm"]
        warm_cpu += result["warm_cpu"]
        print(
            f"  weasyprint: process {i + 1}: cold {result['cold']:.2f} s, warm {statistics.median(result['warm']):.3f} s"
        )
    pdf = (folder / "sheet.pdf").read_bytes()
    from guidesrc.print.render import page_count

    return {
        "cold": colds,
        "warm": warm,
        "warm_cpu": warm_cpu,
        "bytes": result["bytes"],
        "pages": page_count(pdf) or None,
        "version": result["version"],
    }


# ---------------------------------------------------------------------------------------------
# The report


def med(values: list[float]) -> float:
    return statistics.median(values)


def report(
    facts: dict[str, str],
    n: int,
    builds: dict[int, list[tuple[float, float, float]]],
    change: list[dict[str, Any]],
    typst: dict[str, Any],
    weasy: dict[str, Any] | None,
    runs: int,
    sheets: dict[str, Any],
) -> str:
    lines = ["# pdf channel benchmark", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += [
        "",
        f"Guides: the first {n} of `bench/out/lib-10000` (`bench/generate.py --guides 10000 --seed 1`); "
        f"sheets: {sheets['pages']} pages in all, {sheets['bytes'] / 1e6:.1f} MB "
        f"({sheets['bytes'] / n / 1024:.0f} KiB and {sheets['pages'] / n:.2f} pages a guide).",
        "",
        "| Scenario | Median | Runs |",
        "|---|---:|---|",
    ]
    for workers, pairs in builds.items():
        times = [wall for wall, _cpu, _total in pairs]
        rate = n / med(times)
        lines.append(
            f"| full print build, {n} guides, {workers} worker(s) | {med(times):.1f} s = **{rate:.1f} guides/s** | "
            + ", ".join(f"{t:.1f}" for t in times)
            + " |"
        )
    for workers, pairs in builds.items():
        cpu = med([c for _wall, c, _total in pairs]) / n * 1000
        what = "all the work" if workers == 1 else "the publishing process's share"
        lines.append(f"| … CPU time per guide, {workers} worker(s), {what} | {cpu:.1f} ms | |")
        if workers > 1:
            total = med([t for _wall, _c, t in pairs]) / n * 1000
            lines.append(
                f"| … CPU time per guide, {workers} worker(s), all processes | {total:.1f} ms | |"
            )
    first = [c["changes"][0] for c in change] or [float("nan")]
    second = [c["changes"][1] for c in change] or [float("nan")]
    imports = [c["imports"] for c in change] or [float("nan")]
    lines.append(
        f"| one changed guide, new process: adapter work (fonts, first compile, write, manifest of {n}) | **{med(first) * 1000:.0f} ms** | "
        + ", ".join(f"{t * 1000:.0f}" for t in first)
        + " |"
    )
    lines.append(
        "| … a second change in the same process (warm) | "
        + f"{med(second) * 1000:.0f} ms | "
        + ", ".join(f"{t * 1000:.0f}" for t in second)
        + " |"
    )
    lines.append(
        "| … Python imports before it (`guidesrc.adapters.pdf`) | "
        + f"{med(imports) * 1000:.0f} ms | "
        + ", ".join(f"{t * 1000:.0f}" for t in imports)
        + " |"
    )
    lines += [
        "",
        "Typst against WeasyPrint, the same median-size guide:",
        "",
        "| Engine | warm re-render: wall (CPU) | new process → first PDF | PDF size |",
        "|---|---:|---:|---:|",
    ]
    lines.append(
        f"| Typst, `Renderer.render` (sheet data, QR code, compile) | {med(typst['warm']) * 1000:.0f} ms ({med(typst['warm_cpu']) * 1000:.0f} ms) | {med(typst['cold']):.2f} s | {typst['bytes'] / 1024:.0f} KiB, {typst['pages']} pages |"
    )
    lines.append(
        f"| Typst, the compile alone (inputs made beforehand) | {med(typst['engine']) * 1000:.0f} ms ({med(typst['engine_cpu']) * 1000:.0f} ms) | | |"
    )
    if weasy:
        lines.append(
            f"| WeasyPrint {weasy['version']} | {med(weasy['warm']) * 1000:.0f} ms ({med(weasy['warm_cpu']) * 1000:.0f} ms) | {med(weasy['cold']):.2f} s | {weasy['bytes'] / 1024:.0f} KiB |"
        )
        lines.append("")
        lines.append(
            "Ratio WeasyPrint / Typst, warm, the engines alone (both from inputs made beforehand): "
            f"**{med(weasy['warm']) / med(typst['engine']):.1f}×** wall clock, "
            f"{med(weasy['warm_cpu']) / med(typst['engine_cpu']):.1f}× CPU time; "
            f"against the whole `Renderer.render`: {med(weasy['warm']) / med(typst['warm']):.1f}× wall, "
            f"{med(weasy['warm_cpu']) / med(typst['warm_cpu']):.1f}× CPU; cold: {med(weasy['cold']) / med(typst['cold']):.1f}×."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--change-worker"]:
        change_worker(Path(args_in[1]), Path(args_in[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=1000, help="guides printed (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario")
    parser.add_argument("--skip-weasyprint", action="store_true", help="leave out WeasyPrint")
    parser.add_argument(
        "--engines-only", action="store_true", help="only Typst against WeasyPrint (scenario 3)"
    )
    args = parser.parse_args(args_in)
    load_at_start = os.getloadavg()[0]
    lib = ensure_library(10_000, 1, False)
    print(f"compiling {args.guides} guides …")
    work = deliveries(lib, args.guides)
    root = channel_library(lib, OUT / f"pdf-{args.guides}")
    builds: dict[int, list[tuple[float, float, float]]] = {}
    plan = [] if args.engines_only else [(2, args.runs), (1, max(3, args.runs // 2))]
    for workers, runs in plan:
        builds[workers] = []
        for i in range(runs):
            builds[workers].append(full_build(root, work, workers))
            wall, cpu, _total = builds[workers][-1]
            print(
                f"  full build, {workers} worker(s): run {i + 1}: {wall:.1f} s (CPU here {cpu:.1f} s)"
            )
    if not args.engines_only:
        full_build(root, work, 2)  # the channel folder the change runs start from
    pdfs = list((root / "print" / "current").glob("*.pdf"))
    from guidesrc.print.render import page_count

    sheets = {
        "bytes": sum(p.stat().st_size for p in pdfs),
        "pages": sum(page_count(p.read_bytes()) for p in pdfs),
    }
    change = [] if args.engines_only else one_change(root, work, args.runs)
    typst = typst_times(median_guide(work), args.runs)
    weasy = None if args.skip_weasyprint else weasyprint_times(typst["job"], args.runs)
    facts = machine_facts(load_at_start)
    text = report(facts, args.guides, builds, change, typst, weasy, args.runs, sheets)
    print()
    print(text)
    (OUT / "pdf-results.md").write_text(text, encoding="utf-8")
    raw = {
        "machine": facts,
        "builds": builds,
        "change": change,
        "typst": {k: v for k, v in typst.items() if k != "job"},
        "weasyprint": weasy,
        "sheets": sheets,
    }
    (OUT / "pdf-results.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
