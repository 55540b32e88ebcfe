"""Real published guide data through the whole pipeline: import, check, approve, publish, scan.

Shared by ``tests/test_realdata.py`` (a sample of each data set, assertions) and
``bench/realdata_report.py`` (each whole data set, the Markdown table of ``docs/import.md``).

A data set is registered in ``DATA_SETS``: where its source is, and how to turn it into what
``guides import`` reads (the Guangdong portal export is imported as it is; a source in another
shape gets a converter in ``tests/data/<set>/convert.py`` writing the template's CSV files). Real
data is never copied into the repository beyond the small licensed samples under ``tests/data/``;
the Guangdong set is read from ``../shared/data`` and its tests skip where it is absent.

Every command runs as a user runs it: ``guides`` in a subprocess of this interpreter, in a
temporary library. The outputs of every channel are scanned for ``None``, ``null`` and
``undefined`` where a value belongs (PDFs through pdftotext).
"""

from __future__ import annotations

import collections
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
GD_JSONL = SHARED / "gdzwfw-2021" / "guides.jsonl"

CHANNELS = ("site", "pdf", "hotline", "mobile", "cpsv", "directory")
CHANNEL_CONFIG = "channels:\n" + "".join(
    f"  {name}:\n    type: {name}\n    settings:\n      path: .guides/out/{name}\n"
    for name in CHANNELS
)


@dataclass(frozen=True)
class DataSet:
    """One real data set: its name, the province it comes from, and how to import it."""

    name: str
    province: str
    source: Path
    #: Writes what ``guides import`` reads into the folder given, from at most ``limit`` guides
    #: of the source (all when None); returns the path to import and how many guides it holds.
    prepare: Callable[[Path, int | None], tuple[Path, int]]
    region_code: str = ""  # the province's 行政区划代码, given to the new library at import

    @property
    def available(self) -> bool:
        return self.source.exists()


def _gd_prepare(folder: Path, limit: int | None) -> tuple[Path, int]:
    """The portal export as it is; a sample is every k-th line, spread over the whole file."""
    lines = GD_JSONL.read_text("utf-8").splitlines()
    if limit is not None and limit < len(lines):
        step = len(lines) // limit
        lines = lines[::step][:limit]
    target = folder / "guides.jsonl"
    target.write_text("\n".join(lines) + "\n", "utf-8")
    return target, len(lines)


_LIMIT_RE = re.compile(r"^\s*(\d+)\s*[（(]\s*(工作日|自然日|日|天|小时|个月|月)\s*[）)]\s*$")


def _absent(value: Any) -> bool:
    """The portal's ways of saying nothing: null, "", 无, an empty list."""
    return value is None or value == [] or (isinstance(value, str) and value.strip() in ("", "无"))


def _text(value: Any) -> str:
    if _absent(value):
        return ""
    if isinstance(value, list):
        return "、".join(str(v).strip() for v in value if not _absent(v))
    return str(value).strip()


def _limit(value: Any) -> str:
    """``20(工作日)`` as the template writes it (20个工作日); anything else as the source has it."""
    text = _text(value)
    match = _LIMIT_RE.match(text)
    return f"{match.group(1)}个{match.group(2)}" if match else text


def _location(value: Any) -> str:
    text = _text(value)
    text = re.sub(r"^办理地点[:：]\s*", "", text)
    return "" if _absent(text) or text == "无线下办理窗口" else text


def gd_to_template(records: list[dict[str, Any]], folder: Path) -> Path:
    """The Guangdong portal export written into the import template's CSV files, as an editor
    would copy it over: each source field into its column, unknown left blank (待补充).

    - 办理地点: the portal gives one text (an address); it is the place's name in the items sheet
      and, in the places sheet, both its name and its address (hours and phones unknown).
    - time limits: ``20(工作日)`` → ``20个工作日``; ``无`` → blank.
    - 申请材料: one row per name in ``material_intro``; every other column unknown.
    - Not in the export, left blank: 实施主体编码 and 性质, 设定依据, 办理流程, 收费, 办理结果,
      办理形式, 网上办理地址 (the portal's URL is the guide's page, not where to apply), 具体实施时间.
    """
    template = guides("import", "--template", folder / "指南.csv")
    if template.exit_code != 0:
        raise RuntimeError(template.stderr)
    headers = {
        sheet: (folder / f"{sheet}.csv").read_text("utf-8-sig").splitlines()[0].split(",")
        for sheet in ("指南", "指南-申请材料", "指南-办理地点")
    }
    items, materials, places = [], [], {}
    for record in records:
        code = _text(record.get("TASK_CODE"))
        location = _location(record.get("handle_location"))
        items.append(
            {
                "事项名称": _text(record.get("TASK_NAME")) or _text(record.get("matter_name")),
                "实施编码": code,
                "基本编码": _text(record.get("CATAID")),
                "事项类型": _text(record.get("TASK_TYPE_TEXT")),
                "行使层级": _text(record.get("matter_level")) or _text(record.get("district")),
                "实施主体": _text(record.get("DEPT_NAME")),
                "联办机构": _text(record.get("co_department")),
                "服务对象": _text(record.get("service_object_name")),
                "服务主题": _text(record.get("theme_category")),
                "受理条件": _text(record.get("accept_standard")),
                "法定办结时限": _limit(record.get("handle_time")),
                "承诺办结时限": _limit(record.get("handle_time_limit")),
                "办理地点": location,
                "咨询电话": _text(record.get("consult_phone")),
                "监督投诉电话": _text(record.get("complain_phone")),
                "到办事现场次数": _text(record.get("visit_number")),
                "支持预约办理": _text(record.get("online_book")),
                "支持物流快递": _text(record.get("courier_service")),
            }
        )
        names = record.get("material_intro")
        for name in names if isinstance(names, list) else []:
            if not _absent(name):
                materials.append({"实施编码": code, "材料名称": str(name).strip()})
        if location:
            places[location] = {"地点名称": location, "地址": location}
    for sheet, rows in (
        ("指南", items),
        ("指南-申请材料", materials),
        ("指南-办理地点", list(places.values())),
    ):
        with open(folder / f"{sheet}.csv", "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, headers[sheet], lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder / "指南.csv"


def _gd_template_prepare(folder: Path, limit: int | None) -> tuple[Path, int]:
    """The same export through the spreadsheet template (``gd_to_template``)."""
    source, count = _gd_prepare(folder, limit)
    records = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line]
    source.unlink()
    sheets = folder / "template"
    sheets.mkdir(exist_ok=True)
    return gd_to_template(records, sheets), count


SH_SAMPLE = REPO / "tests" / "data" / "shanghai-zwdt-2026" / "service_items.sample.jsonl"


def sh_to_template(records: list[dict[str, Any]], folder: Path) -> Path:
    """Shanghai 一网通办's item list (tests/data/shanghai-zwdt-2026) in the template's CSV files.

    A record is one 办理项 (``item_id``) as listed for individuals or for legal persons; the same
    办理项 listed for both is one guide whose 服务对象 names both roles, as the portal words them
    (个人、法人: not GB/T 39046's labels, which the importer reports). 事项名称 is the 办理项's name
    (``subitem_name``); 事项类型 the portal's word (服务, 审批, 其他类别 are not GB/T types either).
    Not in the list, left blank: everything else — the parent 事项 (``item_name``, ``item_code``)
    has no column, ``st_net`` says online handling exists but not which 办理形式 a guide has, and
    ``guide_url`` is the guide's page, not where to apply.
    """
    template = guides("import", "--template", folder / "指南.csv")
    if template.exit_code != 0:
        raise RuntimeError(template.stderr)
    header = (folder / "指南.csv").read_text("utf-8-sig").splitlines()[0].split(",")
    items: dict[str, dict[str, str]] = {}
    roles: dict[str, list[str]] = {}
    for record in records:
        code = _text(record.get("item_id"))
        items.setdefault(
            code,
            {
                "事项名称": _text(record.get("subitem_name")) or _text(record.get("item_name")),
                "实施编码": code,
                "事项类型": _text(record.get("item_type")),
                "实施主体": _text(record.get("department_name")),
            },
        )
        role = _text(record.get("role"))
        if role and role not in roles.setdefault(code, []):
            roles[code].append(role)
    for code, item in items.items():
        item["服务对象"] = "、".join(roles.get(code, []))
    with open(folder / "指南.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(items.values())
    return folder / "指南.csv"


def _sh_prepare(folder: Path, limit: int | None) -> tuple[Path, int]:
    lines = [line for line in SH_SAMPLE.read_text("utf-8").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines[:limit]]
    sheets = folder / "template"
    sheets.mkdir(parents=True, exist_ok=True)
    source = sh_to_template(records, sheets)
    return source, len({r["item_id"] for r in records})


DATA_SETS: dict[str, DataSet] = {
    ds.name: ds
    for ds in [
        DataSet("gdzwfw-2021", "广东", GD_JSONL, _gd_prepare, "440000"),
        DataSet("gdzwfw-2021-template", "广东", GD_JSONL, _gd_template_prepare, "440000"),
        DataSet("shanghai-zwdt-2026", "上海", SH_SAMPLE, _sh_prepare, "310000"),
    ]
}


# --- running guides -------------------------------------------------------------------------------


@dataclass
class Command:
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str


def guides(*args: str | Path, env: dict[str, str] | None = None) -> Command:
    run = subprocess.run(
        [sys.executable, "-m", "guidesrc", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "GUIDES_LANG": "zh_CN", **(env or {})},
        check=False,
    )
    return Command([str(a) for a in args], run.returncode, run.stdout, run.stderr)


_RULE_RE = re.compile(r"\[([a-z0-9-]+)\]$")
_DELIVERED_RE = re.compile(r"已送达 (\d+) 次，失败 (\d+) 次")


def findings_by_rule(check_output: str) -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    for line in check_output.splitlines():
        if match := _RULE_RE.search(line):
            counts[match.group(1)] += 1
    return dict(sorted(counts.items()))


# --- scanning the outputs -------------------------------------------------------------------------

TEXT_SUFFIXES = {".html", ".json", ".jsonl", ".jsonld", ".csv", ".xml", ".atom", ".txt", ".ttl"}
_SCRIPT_RE = re.compile(r"<script\b.*?</script>", re.S | re.I)
_WORDS = {
    "None": re.compile(r"(?<![A-Za-z_])None(?![A-Za-z_])"),
    "null": re.compile(r"(?<![A-Za-z_])null(?![A-Za-z_])"),
    "undefined": re.compile(r"(?<![A-Za-z_])undefined(?![A-Za-z_])"),
}


@dataclass
class Scan:
    files: int = 0
    #: (word, file relative to the outputs folder, a few characters around the first hit)
    hits: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, word: str) -> int:
        return sum(1 for w, _f, _c in self.hits if w == word)


#: JSON nulls that say "there is none" of the document, not of the service: no upcoming version,
#: no withdrawal (nor its reason), a sheet handed over at an office without windows, a hotline
#: card without an online address (docs/exports.md).
STRUCTURAL_NULLS = frozenset({"upcoming", "withdrawn", "reason", "window", "online_url"})


def _json_nulls(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, dict):
        return sum(
            _json_nulls(v) for k, v in value.items() if not (v is None and k in STRUCTURAL_NULLS)
        )
    if isinstance(value, list):
        return sum(_json_nulls(v) for v in value)
    return 0


def output_texts(root: Path) -> Iterator[tuple[str, str, str]]:
    """(path, kind, text) of every file a channel publishes under ``root`` (each channel's
    folder, the site's current build through its link; hidden files and ``_state/`` are the
    adapters' own state, not published); PDFs through pdftotext."""
    for channel in CHANNELS:
        folder = (root / channel).resolve()
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            inner = path.relative_to(folder)
            if any(part.startswith(".") or part == "_state" for part in inner.parts):
                continue  # the adapters' own state (an export's manifest in _state/)
            rel = f"{channel}/{inner}"
            suffix = path.suffix.lower()
            if suffix == ".pdf":
                run = subprocess.run(
                    ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False
                )
                yield rel, "pdf", run.stdout.decode("utf-8", "replace")
            elif suffix in TEXT_SUFFIXES:
                yield rel, suffix[1:], path.read_text("utf-8", "replace")


def scan_outputs(root: Path) -> Scan:
    """Every ``None`` / ``undefined`` in published text, and every ``null`` used as a value:
    a JSON null, or the word in a page, a sheet, a CSV cell (scripts in pages are code, not
    content, and are left out)."""
    scan = Scan()
    for rel, kind, text in output_texts(root):
        scan.files += 1
        if kind == "html":
            text = _SCRIPT_RE.sub("", text)
        for word, pattern in _WORDS.items():
            if word == "null" and kind in ("json", "jsonld"):
                try:
                    nulls = _json_nulls(json.loads(text))
                except ValueError:
                    nulls = len(pattern.findall(text))
                scan.hits.extend([(word, rel, "JSON null")] * nulls)
                continue
            for match in pattern.finditer(text):
                around = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
                scan.hits.append((word, rel, around))
    return scan


# --- the pipeline ---------------------------------------------------------------------------------


@dataclass
class Result:
    data_set: str
    province: str
    guides_in: int = 0
    imported: int = 0
    import_exit: int | None = None
    import_problems: dict[str, int] = field(default_factory=dict)  # level -> count
    check_exit: int | None = None
    findings: dict[str, int] = field(default_factory=dict)  # rule -> count (default levels)
    downgraded: list[str] = field(default_factory=list)  # error rules set to warning to approve
    approved: int = 0
    approve_exit: int | None = None
    publish_exit: int | None = None
    publish_stderr: str = ""
    delivered: dict[str, int] = field(default_factory=dict)  # channel -> deliveries delivered
    failed: dict[str, int] = field(default_factory=dict)  # channel -> deliveries failed
    states: dict[str, collections.Counter[str]] = field(default_factory=dict)  # as guides status
    errors: dict[str, collections.Counter[str]] = field(default_factory=dict)  # channel -> causes
    scan: Scan = field(default_factory=Scan)
    commands: list[Command] = field(default_factory=list)
    outputs: Path | None = None


def _import_problems(lib: Path) -> dict[str, int]:
    path = lib / ".guides" / "import" / "import-problems.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        counts = collections.Counter(row["级别"] for row in csv.DictReader(fh))
    return dict(sorted(counts.items()))


def _configure_channels(lib: Path, downgrade: list[str]) -> None:
    config = lib / "library.yaml"
    text = config.read_text("utf-8")
    rules = "rules: {" + ", ".join(f"{rule}: warning" for rule in downgrade) + "}\n"
    # Real imported data lacks core facts (Guangdong's export never says whether a fee is
    # charged): publishing it at all needs the library's consent, and every page then says so.
    policy = "completeness:\n  allow_incomplete: true\n"
    text = re.sub(r"(?ms)^channels:.*\Z", CHANNEL_CONFIG + policy + rules, text)
    config.write_text(text, "utf-8")


def _deliveries(lib: Path, result: Result) -> None:
    status = guides("status", lib, "--format", "json")
    result.commands.append(status)
    try:
        data = json.loads(status.stdout)
    except ValueError:
        return
    for record in data.get("deliveries", []) if isinstance(data, dict) else []:
        channel, state = record.get("channel"), record.get("status")
        result.states.setdefault(channel, collections.Counter())[state] += 1
        if state == "failed" and record.get("error"):
            errors = result.errors.setdefault(channel, collections.Counter())
            errors[str(record["error"]).splitlines()[0][:160]] += 1
    for channel in CHANNELS:
        states = result.states.get(channel, collections.Counter())
        # a sheet printed into a reprint batch awaits only its posting in the hall
        result.delivered[channel] = states["delivered"] + states["awaiting"]
        result.failed[channel] = states["failed"]


def _records(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in ``guides status --format json`` that names a channel."""
    if isinstance(data, dict):
        if "channel" in data:
            yield data
        for value in data.values():
            yield from _records(value)
    elif isinstance(data, list):
        for value in data:
            yield from _records(value)


def run_pipeline(data_set: DataSet, workdir: Path, limit: int | None = None) -> Result:
    """import → check → approve → publish to every channel → status → scan, in ``workdir``."""
    result = Result(data_set.name, data_set.province)
    workdir.mkdir(parents=True, exist_ok=True)
    source, result.guides_in = data_set.prepare(workdir, limit)
    lib = workdir / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    # The library's own name and address, as a centre migrating its data would give them.
    imported = guides(
        "import", source, "--into", lib, "--name", f"{data_set.province}政务服务事项（真实数据样本）",
        "--base-url", "https://zwfw.test.invalid/guides",
        *(["--region-code", data_set.region_code] if data_set.region_code else []),
    )  # fmt: skip
    result.commands.append(imported)
    result.import_exit = imported.exit_code
    result.import_problems = _import_problems(lib)
    if not lib.is_dir():
        return result
    result.imported = len(list((lib / "guides").glob("*.yaml")))

    _configure_channels(lib, [])
    checked = guides("check", lib)
    result.commands.append(checked)
    result.check_exit = checked.exit_code
    result.findings = findings_by_rule(checked.stdout)
    # What the data itself gets wrong (a credit code's check character, its own time limits)
    # would block every approval; to measure the channels, those rules are set to warning, and
    # the report says which.
    errors = sorted({r for r, _n in findings_by_rule(_errors_only(checked.stdout)).items()})
    result.downgraded = errors
    _configure_channels(lib, errors)

    approved = guides("approve", lib, "--effective", "today", "--note", "导入真实数据")
    result.commands.append(approved)
    result.approve_exit = approved.exit_code
    if approved.exit_code == 0:
        result.approved = result.imported
    published = guides("publish", lib, "--wait")
    result.commands.append(published)
    result.publish_exit = published.exit_code
    result.publish_stderr = published.stderr
    _deliveries(lib, result)
    result.scan = scan_outputs(lib / ".guides" / "out")
    result.outputs = lib / ".guides" / "out"
    return result


def _errors_only(check_output: str) -> str:
    """The findings at error level (a warning's message starts with 警告)."""
    return "\n".join(
        line
        for line in check_output.splitlines()
        if _RULE_RE.search(line) and ": 警告：" not in line
    )
