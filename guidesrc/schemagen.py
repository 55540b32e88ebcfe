"""Generate the language-neutral JSON Schemas in ``schemas/`` from the content models.

The pydantic models are the source; the JSON files are committed so that editors, other languages
and CI can use them without Python, and ``tests/test_schemas.py`` fails when they are out of date
(run ``make schemas`` to regenerate).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from guidesrc.model.approvers import ApproversFile
from guidesrc.model.calendar import CalendarFile
from guidesrc.model.catalogues import (
    FaqCatalogue,
    LegalBasisCatalogue,
    MaterialCatalogue,
    OfficeCatalogue,
)
from guidesrc.model.guide import Guide
from guidesrc.model.library import LibraryConfig
from guidesrc.model.synonyms import SynonymsFile

DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: File name in ``schemas/`` → (model, Chinese title, description).
SCHEMAS: dict[str, tuple[type[BaseModel], str, str]] = {
    "guide.schema.json": (Guide, "办事指南", "一个政务服务事项的办事指南（guides/*.yaml）。"),
    "materials.schema.json": (MaterialCatalogue, "材料目录", "catalogues/materials.yaml"),
    "legal-bases.schema.json": (LegalBasisCatalogue, "法律法规库", "catalogues/legal-bases.yaml"),
    "offices.schema.json": (OfficeCatalogue, "办理地点目录", "catalogues/offices.yaml"),
    "faq.schema.json": (FaqCatalogue, "咨询问答知识库", "catalogues/faq.yaml"),
    "synonyms.schema.json": (
        SynonymsFile,
        "同义词词典",
        "catalogues/synonyms.yaml（可选）：资料库自己的搜索同义词，补充内置词典（docs/search.md）。",
    ),
    "library.schema.json": (LibraryConfig, "资料库配置", "资料库根目录下的 library.yaml。"),
    "calendar.schema.json": (
        CalendarFile,
        "工作日日历",
        "资料库根目录下的 calendar.yaml（可选）：国务院办公厅放假调休通知，补充或更正内置数据。",
    ),
    "approvers.schema.json": (
        ApproversFile,
        "审核人名单",
        "资料库根目录下的 approvers.yaml（可选）：可审核的人、其审核密钥的公钥和 git 身份。",
    ),
}


class _Generator(GenerateJsonSchema):
    def generate(self, schema: Any, mode: Any = "validation") -> dict[str, Any]:
        result = super().generate(schema, mode=mode)
        _constrain_keys(result)
        return {"$schema": DIALECT, **result}


def _constrain_keys(node: Any) -> None:
    """Make id-keyed mappings reject bad keys, as the models do.

    pydantic writes ``patternProperties`` for ``dict[Id, X]``, which in JSON Schema only constrains
    the keys that match; ``propertyNames`` makes every key match.
    """
    if isinstance(node, dict):
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1:
            (pattern,) = patterns
            node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        for value in node.values():
            _constrain_keys(value)
    elif isinstance(node, list):
        for value in node:
            _constrain_keys(value)


def build_schema(name: str) -> dict[str, Any]:
    model, title, description = SCHEMAS[name]
    schema = model.model_json_schema(schema_generator=_Generator)
    schema["title"] = title
    schema["description"] = description
    return schema


def render(name: str) -> str:
    return json.dumps(build_schema(name), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Write every schema into ``directory``; return the files whose content changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name in SCHEMAS:
        path = directory / name
        text = render(name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # pragma: no cover - used by `make schemas`
    for path in write_all(Path(__file__).resolve().parent.parent / "schemas"):
        print(f"wrote {path}")
