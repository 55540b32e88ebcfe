"""The statistical shape of a generated library: how many materials a guide lists, which item types
occur, how long conditions are, how guides spread over departments and how often materials recur.

The shape is measured from real published guides (``../shared/data/gdzwfw-2021/guides.jsonl``, 2,262
Guangdong guides of 2021) when that file is present. Only *numbers* are taken from it: counts,
frequencies and lengths, never text. Without the file (a fresh clone), :data:`BUILTIN` holds the
same numbers, measured once from that file and written down here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where the real data lives relative to the repository root (one level above it).
REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gdzwfw-2021" / "guides.jsonl"

#: A time limit as (days, unit); None where the law sets none.
TimeLimitSpec = tuple[int, str] | None

MAX_MATERIALS = 19


@dataclass(frozen=True, slots=True)
class Shape:
    source: str  # "real data (N guides)" or "built-in"
    #: materials per guide (1–19) → how many guides list that many
    material_counts: dict[int, int]
    #: GB/T 39046 item type code → guides
    item_types: dict[str, int]
    #: length in characters of the acceptance conditions of a guide → guides
    condition_lengths: dict[int, int]
    #: (statutory, promised) time limits → guides; promised None means an immediate case
    time_limits: dict[tuple[TimeLimitSpec, TimeLimitSpec], int]
    #: department size (guides) → departments of that size
    department_sizes: dict[int, int]
    #: material frequency (guides using a material) → materials used that often
    material_frequencies: dict[int, int]
    #: number of service objects → guides; service object code (1–6) → guides
    service_object_counts: dict[int, int]
    service_objects: dict[int, int]
    #: number of themes → guides
    theme_counts: dict[int, int]
    #: on-site visits → guides
    onsite_visits: dict[int, int]
    #: guides offering express delivery, appointments, joint bodies: (yes, total)
    express_delivery: tuple[int, int]
    appointment: tuple[int, int]
    joint_bodies: tuple[int, int]


# Measured from guides.jsonl (2,262 guides; rows listing no materials left out of material_counts).
BUILTIN = Shape(
    source="built-in",
    material_counts={
        1: 121, 2: 147, 3: 164, 4: 102, 5: 78, 6: 54, 7: 39, 8: 38, 9: 23, 10: 3,
        11: 5, 12: 3, 13: 4, 14: 5, 15: 5, 16: 9, 17: 5, 18: 2, 19: 2,
    },
    item_types={"20": 1586, "01": 510, "10": 77, "08": 52, "07": 26, "05": 8, "09": 3},
    condition_lengths={
        5: 130, 8: 130, 12: 130, 21: 130, 30: 130, 45: 130, 54: 130, 67: 130, 94: 130, 160: 124,
    },
    time_limits={
        (None, None): 512,
        ((1, "工作日"), (1, "工作日")): 398,
        ((20, "工作日"), (1, "工作日")): 194,
        (None, (1, "工作日")): 183,
        ((90, "工作日"), (1, "工作日")): 128,
        ((45, "工作日"), (1, "工作日")): 116,
        ((20, "工作日"), (5, "工作日")): 61,
        ((30, "工作日"), (1, "工作日")): 60,
        ((60, "工作日"), (1, "工作日")): 40,
        ((180, "工作日"), (180, "工作日")): 28,
        ((20, "工作日"), (3, "工作日")): 26,
        ((20, "工作日"), (10, "工作日")): 24,
        ((20, "工作日"), (8, "工作日")): 23,
        ((30, "工作日"), (15, "工作日")): 22,
        ((1, "工作日"), None): 22,
        ((30, "工作日"), (13, "工作日")): 20,
        ((30, "工作日"), (10, "工作日")): 18,
        ((30, "工作日"), (30, "工作日")): 18,
        ((20, "工作日"), (6, "工作日")): 17,
        ((10, "工作日"), (1, "工作日")): 16,
        ((20, "工作日"), (20, "工作日")): 14,
        ((365, "工作日"), (364, "工作日")): 13,
        ((20, "工作日"), (4, "工作日")): 12,
        ((5, "工作日"), (5, "工作日")): 10,
        ((90, "自然日"), (90, "自然日")): 6,
        ((60, "工作日"), (30, "工作日")): 8,
    },
    department_sizes={
        1: 34, 2: 22, 3: 59, 4: 15, 5: 6, 6: 3, 7: 5, 8: 3, 9: 1, 13: 1, 15: 1, 16: 2, 19: 2,
        23: 1, 24: 2, 33: 1, 36: 1, 37: 1, 39: 1, 40: 2, 53: 1, 61: 2, 62: 1, 63: 1, 65: 1,
        66: 1, 71: 1, 92: 1, 104: 1, 106: 1, 111: 1, 233: 1, 289: 1,
    },
    material_frequencies={
        1: 900, 2: 270, 3: 69, 4: 59, 5: 21, 6: 34, 7: 8, 8: 14, 9: 9, 10: 15, 11: 4, 12: 9,
        13: 1, 14: 2, 15: 4, 16: 5, 17: 1, 18: 7, 19: 3, 20: 2, 22: 1, 24: 1, 25: 1, 199: 1,
    },
    service_object_counts={1: 1102, 2: 89, 3: 159, 4: 234, 5: 72, 6: 49},
    service_objects={1: 2262, 2: 1105, 3: 904, 4: 947, 5: 620, 6: 653},
    theme_counts={1: 2076, 2: 103, 3: 32, 4: 40},
    onsite_visits={0: 2171, 1: 86, 2: 4, 3: 1},
    express_delivery=(597, 2262),
    appointment=(2196, 2262),
    joint_bodies=(87, 2262),
)  # fmt: skip

# The portal labels its codes its own way: map its item type *names* to GB/T 39046 codes.
_ITEM_TYPE_BY_NAME = {
    "行政许可": "01",
    "行政处罚": "02",
    "行政强制": "03",
    "行政征收": "04",
    "行政给付": "05",
    "行政检查": "06",
    "行政确认": "07",
    "行政奖励": "08",
    "行政裁决": "09",
    "其他行政权力": "10",
    "公共服务": "20",
}
_SERVICE_OBJECT_BY_NAME = {
    "自然人": 1,
    "企业法人": 2,
    "事业法人": 3,
    "社会组织法人": 4,
    "非法人企业": 5,
    "行政机关": 6,
}
_TIME_LIMIT_RE = re.compile(r"(\d+)\((工作日|自然日)\)")


def load_shape(path: Path | None = REAL_DATA) -> Shape:
    """The shape measured from ``path`` if it can be read, else :data:`BUILTIN`."""
    if path is None or not path.is_file():
        return BUILTIN
    try:
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError):
        return BUILTIN
    return measure(rows) if rows else BUILTIN


def measure(rows: list[dict[str, Any]]) -> Shape:
    """Count what the generator needs in real guide rows (the portal's field names)."""
    materials = [r["material_intro"] for r in rows if isinstance(r.get("material_intro"), list)]
    counts = Counter(min(len(m), MAX_MATERIALS) for m in materials if m)
    names = Counter(name for m in materials for name in m)
    object_lists = [[o for o in (r.get("service_object_name") or []) if o in _SERVICE_OBJECT_BY_NAME]
                    for r in rows]  # fmt: skip
    conditions = [len(r["accept_standard"]) for r in rows if _is_text(r.get("accept_standard"))]
    return Shape(
        source=f"real data ({len(rows)} guides)",
        material_counts=dict(counts),
        item_types=_count(
            _ITEM_TYPE_BY_NAME.get(r.get("TASK_TYPE_TEXT") or "", "10") for r in rows
        ),
        condition_lengths=_count(conditions),
        time_limits=_time_limits(rows),
        department_sizes=_count(Counter(r.get("DEPT_NAME") for r in rows).values()),
        material_frequencies=_count(names.values()),
        service_object_counts=_count(len(o) for o in object_lists if o),
        service_objects=_count(_SERVICE_OBJECT_BY_NAME[o] for objs in object_lists for o in objs),
        theme_counts=_count(len(r.get("theme_category") or []) or 1 for r in rows),
        onsite_visits=_count(_int(r.get("visit_number")) for r in rows),
        express_delivery=(sum(r.get("courier_service") == "是" for r in rows), len(rows)),
        appointment=(sum(r.get("online_book") == "是" for r in rows), len(rows)),
        joint_bodies=(sum(_is_text(r.get("co_department")) for r in rows), len(rows)),
    )


def _count(values: Any) -> dict[Any, int]:
    return dict(Counter(values))


def _is_text(value: Any) -> bool:
    """A real value, not the portal's "无" placeholder or a one-character stub."""
    return isinstance(value, str) and len(value.strip()) > 3


def _int(value: Any) -> int:
    try:
        return max(0, min(int(value), 9))
    except (TypeError, ValueError):
        return 0


def _time_limit(value: Any) -> TimeLimitSpec:
    match = _TIME_LIMIT_RE.fullmatch(str(value or ""))
    return (int(match.group(1)), match.group(2)) if match else None


def _time_limits(rows: list[dict[str, Any]]) -> dict[tuple[TimeLimitSpec, TimeLimitSpec], int]:
    """Joint (statutory, promised) pairs, keeping only those our rules accept.

    The portal mislabels its fields: ``handle_time`` is the statutory limit and
    ``handle_time_limit`` the promised one. Pairs in different units, or promising more than the
    law allows, are dropped: a valid library cannot hold them.
    """
    pairs: Counter[tuple[TimeLimitSpec, TimeLimitSpec]] = Counter()
    for row in rows:
        statutory = _time_limit(row.get("handle_time"))
        promised = _time_limit(row.get("handle_time_limit"))
        if statutory and promised and (statutory[1] != promised[1] or promised[0] > statutory[0]):
            continue
        if promised is not None and promised[0] == 0:
            promised = None
        pairs[(statutory, promised)] += 1
    return dict(pairs)


def expand(histogram: dict[int, int]) -> list[int]:
    """A histogram {value: how many} as the sorted list of values, largest first."""
    return sorted((v for v, n in histogram.items() for _ in range(n)), reverse=True)


def resample(values: list[int], size: int) -> list[float]:
    """``size`` values following the rank curve of ``values`` (sorted largest first)."""
    if not values or size <= 0:
        return [1.0] * max(size, 0)
    return [float(values[min(len(values) - 1, r * len(values) // size)]) for r in range(size)]
