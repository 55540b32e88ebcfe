"""Put imported items into a library: merge with what is there, then write every file whole.

- A guide already in the library (found by its 实施编码) keeps its file and id. The source's
  values replace the library's; a field the source lacks keeps the library's value when it has
  one (an editor completed it), so a re-import never turns finished work back into 待补充.
  Fields the import knows nothing of (FAQ, scope …) are kept.
- Catalogue entries already in the library are kept as they are; new ones are appended below the
  existing ones, so the file's comments and layout stay.
- Nothing is approved or published: the result is a change in the working tree, for `guides diff`.
- In a git repository, a file with uncommitted changes is not overwritten (unless ``force``).
- Files are written to a staging folder first and moved into place one by one (``os.replace``);
  a new library is built whole in a sibling folder and renamed into place.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs
from pydantic import BaseModel

from guidesrc.check.library_rules import CATALOGUE_FILES
from guidesrc.errors import LibraryIOError
from guidesrc.i18n import _
from guidesrc.importer import yamlout
from guidesrc.importer.catalogues import CatalogueBuilder
from guidesrc.importer.normalise import guide_id, short_hash
from guidesrc.importer.records import Item
from guidesrc.library import CONFIG_FILE, GUIDES_DIR, STATE_DIR, read_file, scan
from guidesrc.model.guide import Guide
from guidesrc.scaffold import create_library


@dataclass(slots=True)
class Existing:
    """What the library holds before the import (nothing for a new library)."""

    root: Path
    is_new: bool
    guides: dict[str, tuple[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # code → (rel, data)
    ids: dict[str, str] = field(default_factory=dict)  # guide id → rel
    catalogues: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind → entries
    catalogue_text: dict[str, str] = field(default_factory=dict)  # kind → file text


def load_existing(root: Path) -> Existing:
    if not (root / CONFIG_FILE).is_file():
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise LibraryIOError(
                _("{path}: the folder exists, is not empty and is not a library").format(path=root)
            )
        return Existing(root, is_new=True)
    existing = Existing(root, is_new=False)
    for rel in scan(root).guides:
        data = _read_yaml(root, rel)
        if isinstance(data, dict):
            code = data.get("implementation_code")
            if isinstance(code, str):
                existing.guides.setdefault(code, (rel, data))
            existing.ids[Path(rel).stem] = rel
    for kind, rel in CATALOGUE_FILES.items():
        if os.path.lexists(root / rel):  # a link is refused when read
            existing.catalogue_text[kind] = read_file(root, rel).decode("utf-8-sig", "replace")
            data = _read_yaml(root, rel)
            entries = data.get("entries") if isinstance(data, dict) else None
            if not isinstance(entries, dict):
                raise LibraryIOError(
                    _("{file}: cannot be read; fix it with guides check first").format(file=rel)
                )
            existing.catalogues[kind] = entries
    return existing


def _read_yaml(root: Path, rel: str) -> Any:
    try:
        return yaml_rs.loads(read_file(root, rel).decode("utf-8-sig"), parse_datetime=False)
    except (UnicodeDecodeError, yaml_rs.YAMLDecodeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Items to guide data


def resolve(item: Item, builder: CatalogueBuilder) -> dict[str, Any]:
    """The item's guide data with its references turned into catalogue ids."""
    data = dict(item.data)
    pending = list(data.get("pending", []))
    if item.legal_basis:
        data["legal_basis"] = list(dict.fromkeys(builder.legal(ref) for ref in item.legal_basis))
    fees: dict[str, Any] = data.get("fees") or {}
    if item.fee_basis and fees.get("items"):
        basis = list(dict.fromkeys(builder.legal(ref) for ref in item.fee_basis))
        data["fees"] = {
            **data["fees"],
            "items": [{**fee, "legal_basis": basis} for fee in data["fees"]["items"]],
        }
    if item.materials:
        requirements: dict[str, dict[str, Any]] = {}
        for ref in item.materials:
            material = builder.material(ref)
            requirements.setdefault(material, {"material": material, **ref.requirement})
        data["materials"] = list(requirements.values())
    if item.places:
        data["places"] = list(dict.fromkeys(builder.office(ref) for ref in item.places))
    data["pending"] = [p for p in pending if not _filled(data.get(p))]
    if not data["pending"]:
        del data["pending"]  # no `pending: []` in a complete guide's file
    return data


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


#: In a requirement read from a sheet: its fields whose cell says （清空） (removed from the
#: library's requirement before the merge; never written).
CLEARED = "__cleared__"


def merge(old: dict[str, Any], new: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """``new`` over ``old``: the source's values win, except that a field the source marks
    pending keeps the library's value if it has one."""
    if CLEARED in new:
        old = _cleared(old, new[CLEARED])
        new = {k: v for k, v in new.items() if k != CLEARED}
    out = dict(old)
    new_pending = list(new.get("pending", []))
    kept = [p for p in new_pending if not _filled(old.get(p))]
    for name, value in new.items():
        if name == "pending" or (name in new_pending and _filled(old.get(name))):
            continue
        kind, inner = yamlout._model_of(model.model_fields[name].annotation)
        previous = old.get(name)
        if kind == "model" and inner is not None and isinstance(previous, dict):
            out[name] = merge(previous, value, inner)
        elif kind == "list" and inner is not None and isinstance(previous, list):
            out[name] = _merge_list(name, previous, value, inner)
        else:
            out[name] = value
    old_pending = old.get("pending")
    old_pending = old_pending if isinstance(old_pending, list) else []
    untouched = [p for p in old_pending if p not in new and p not in new_pending]
    pending = list(dict.fromkeys([*kept, *untouched]))
    order = {name: n for n, name in enumerate(old_pending)}  # the library's order stays
    pending.sort(key=lambda name: order.get(name, len(order)))
    for name in kept:
        if not _filled(out.get(name)):
            out.pop(name, None)
    if pending:
        out["pending"] = pending
    else:
        out.pop("pending", None)
    return out


_LIST_KEYS = {"materials": "material", "results": "name", "procedure": "name", "items": "name"}


def _merge_list(name: str, old: list[Any], new: list[Any], model: type[BaseModel]) -> list[Any]:
    key = _LIST_KEYS.get(name)
    if key is None:
        return new
    before = {item.get(key): item for item in old if isinstance(item, dict)}
    return [
        merge(before[item[key]], item, model) if item.get(key) in before else item for item in new
    ]


# ---------------------------------------------------------------------------------------------
# Planning and writing


@dataclass(slots=True)
class Plan:
    """The files to write (relative path → text), and what each guide became."""

    files: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)  # guide files
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    guides: dict[str, dict[str, Any]] = field(default_factory=dict)  # rel → data, all imported


def plan(existing: Existing, items: list[Item], builder: CatalogueBuilder) -> Plan:
    out = Plan()
    taken = dict(existing.ids)
    for item in items:
        data = resolve(item, builder)
        if item.code in existing.guides:
            rel, old = existing.guides[item.code]
            merged = _without_marks(merge(_cleared(old, item.cleared), data, Guide))
            out.guides[rel] = merged
            if merged == old:
                out.unchanged.append(rel)
                continue
            out.files[rel] = yamlout.guide_text(merged, rel)
            out.updated.append(rel)
            continue
        gid = item.guide_id or guide_id(item.code)
        if gid in taken:  # an id in use by another item: the code makes it unique
            gid = guide_id(f"{gid}-{item.code}")
        if gid in taken:  # codes of 64 characters, or differing only in case or hyphens
            gid = f"{gid[:57].rstrip('-')}-{short_hash(item.code)}"
        rel = f"{GUIDES_DIR}/{gid}.yaml"
        taken[gid] = rel
        full = _without_marks({"id": gid, **data})
        out.guides[rel] = full
        out.files[rel] = yamlout.guide_text(full, rel)
        out.added.append(rel)
    builder.finish()
    for kind, rel in CATALOGUE_FILES.items():
        added = {k: builder.entries[kind][k] for k in sorted(builder.added[kind])}
        if existing.is_new or kind not in existing.catalogue_text:
            out.files[rel] = yamlout.catalogue_text(kind, builder.entries[kind])
        elif added:
            out.files[rel] = _catalogue_update(existing, kind, added, builder)
    return out


def _without_marks(node: Any) -> Any:
    """``node`` without the CLEARED marks of requirements that had nothing to merge with."""
    if isinstance(node, dict):
        return {k: _without_marks(v) for k, v in node.items() if k != CLEARED}
    if isinstance(node, list):
        return [_without_marks(v) for v in node]
    return node


def _cleared(old: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """``old`` without the fields the source clears (``a.b``): the merge then treats them as
    never filled (a required one stays 待补充, an optional one goes)."""
    if not keys:
        return old
    out = copy.deepcopy(old)
    for key in keys:
        *parents, name = key.split(".")
        holder: Any = out
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder.pop(name, None)
    return out


def _catalogue_update(
    existing: Existing, kind: str, added: dict[str, Any], builder: CatalogueBuilder
) -> str:
    """The existing file with the new entries appended (comments and layout kept), or the whole
    catalogue written anew when appending would not give the right entries."""
    text = existing.catalogue_text[kind]
    if existing.catalogues.get(kind):
        appended = text.rstrip("\n") + "\n" + yamlout.appended_entries(kind, added)
        try:
            parsed = yaml_rs.loads(appended, parse_datetime=False)
        except yaml_rs.YAMLDecodeError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("entries") == builder.entries[kind]:
            return appended
    return yamlout.catalogue_text(kind, builder.entries[kind])


def uncommitted(root: Path, rels: list[str]) -> list[str]:
    """Those of ``rels`` (existing files) that have uncommitted changes, when ``root`` is in a git
    repository; [] outside one or without git."""
    present = [rel for rel in rels if (root / rel).exists()]
    if not present:
        return []
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        return []
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return []
    status = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *present],
        cwd=root, capture_output=True, check=False,
    )  # fmt: skip
    prefix = subprocess.run(
        ["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = []
    for entry in status.stdout.decode("utf-8", "replace").split("\0"):
        if len(entry) > 3:
            path = entry[3:]
            dirty.append(path[len(prefix) :] if prefix and path.startswith(prefix) else path)
    return sorted(set(dirty) & set(present))


#: What a new library's library.yaml says about the centre: name, region_code, base_url.
Settings = dict[str, str]


def write(existing: Existing, files: dict[str, str], settings: Settings) -> None:
    """Write ``files`` into the library; for a new library, create it around them with
    ``settings`` in its library.yaml (the skeleton's placeholders for those not given)."""
    root = existing.root
    try:
        if existing.is_new:
            _write_new(root, files, settings)
        else:
            _write_in_place(root, files)
    except OSError as exc:
        raise LibraryIOError(
            _("{path}: cannot write: {error}").format(path=root, error=exc.strerror or exc)
        ) from exc


def _write_new(root: Path, files: dict[str, str], settings: Settings) -> None:

    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.import-", dir=root.parent))
    try:
        target = staging / "library"
        create_library(target)
        for sample in (target / GUIDES_DIR).glob("*.yaml"):  # the skeleton's sample guide
            sample.unlink()
        if settings:
            config = target / CONFIG_FILE
            text = config.read_text(encoding="utf-8")
            for key, value in settings.items():
                line = f"{key}: {json.dumps(value, ensure_ascii=False)}"  # a YAML string
                text = re.sub(
                    rf"^{key}: .*$", line.replace("\\", "\\\\"), text, count=1, flags=re.M
                )
            config.write_text(text, encoding="utf-8")
        for rel, text in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if root.exists():
            root.rmdir()  # an empty folder (load_existing refused any other)
        os.rename(target, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_in_place(root: Path, files: dict[str, str]) -> None:
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="import-", dir=state))
    try:
        staged = []
        for n, (rel, text) in enumerate(sorted(files.items())):
            path = staging / f"{n}.yaml"
            path.write_text(text, encoding="utf-8")
            staged.append((path, root / rel))
        for source, target in staged:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
