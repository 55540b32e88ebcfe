"""Build the catalogues while importing: each material, legal basis and office once.

Entries are matched by a normalised key — materials by name (《》, brackets, full-width forms and
white space do not count), legal bases by title and article, offices by address (or name) — first
against the library's existing entries, which are kept as they are, then against the entries made
in this import. New entries get readable ids (:func:`guidesrc.importer.slug.slug`), made unique
by a hash of their key, so the same source always gives the same ids.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from guidesrc.importer import normalise as norm
from guidesrc.importer.records import LegalRef, MaterialRef, PlaceRef
from guidesrc.importer.slug import slug

KINDS = ("materials", "legal-bases", "offices", "faq")


def material_key(name: str) -> str:
    return norm.name_key(name)


def legal_key(title: str, article: str | None) -> str:
    return f"{norm.name_key(title)}|{norm.name_key(article or '')}"


def office_key(name: str | None, address: str | None) -> str:
    return norm.name_key(address or name or "")


class CatalogueBuilder:
    """The four catalogues of the library being imported into, growing as items are imported."""

    def __init__(self, existing: dict[str, dict[str, Any]]) -> None:
        self.entries: dict[str, dict[str, Any]] = {k: dict(existing.get(k, {})) for k in KINDS}
        self.added: dict[str, set[str]] = {k: set() for k in KINDS}
        self._index: dict[str, dict[str, str]] = {k: {} for k in KINDS}
        for entry_id, entry in self.entries["materials"].items():
            self._index["materials"].setdefault(material_key(str(entry.get("name", ""))), entry_id)
        for entry_id, entry in self.entries["legal-bases"].items():
            key = legal_key(str(entry.get("title", "")), entry.get("article"))
            self._index["legal-bases"].setdefault(key, entry_id)
        for entry_id, entry in self.entries["offices"].items():
            key = office_key(entry.get("name"), entry.get("address"))
            self._index["offices"].setdefault(key, entry_id)
            if entry.get("name"):  # a sheet may name an office the library has, by its name
                self._index["offices"].setdefault(norm.name_key(entry["name"]), entry_id)
        self._office_phones: dict[str, Counter[str]] = {}
        self._office_guides: Counter[str] = Counter()

    def _new_id(self, kind: str, key: str, name: str, prefix: str) -> str:
        taken = set(self.entries[kind])
        entry_id = norm.unique_id(slug(name), key, taken, prefix)
        self._index[kind][key] = entry_id
        self.added[kind].add(entry_id)
        return entry_id

    def legal(self, ref: LegalRef) -> str:
        key = legal_key(ref.title, ref.article)
        found = self._index["legal-bases"].get(key)
        number = ref.details.get("document_number")
        if found is None and number:  # an entry imported with its 令 number in the title
            found = self._index["legal-bases"].get(
                legal_key(f"{ref.title}（{number}）", ref.article)
            )
        if found is None and not ref.article:  # "《X》" cites the only entry titled X, if one
            same = [i for k, i in self._index["legal-bases"].items() if k.startswith(f"{key}")]
            found = same[0] if len(same) == 1 else None
        if found is not None:
            if found in self.added["legal-bases"]:  # one law cited in several cells: one entry
                _fill(self.entries["legal-bases"][found], ref.details)
            return found
        label = ref.title + (ref.article or "")
        entry_id = self._new_id("legal-bases", key, label, "yiju")
        entry: dict[str, Any] = {"title": norm.display_name(ref.title)}
        if ref.article:
            entry["article"] = ref.article
        entry.update({k: v for k, v in ref.details.items() if v not in (None, "", [])})
        pending = [f for f in ("issuer", "level", "in_force_from") if f not in entry]
        _add_pending(entry, pending)
        self.entries["legal-bases"][entry_id] = entry
        return entry_id

    def material(self, ref: MaterialRef) -> str:
        key = material_key(ref.name)
        found = self._index["materials"].get(key)
        if found is not None:
            return found
        entry_id = self._new_id("materials", key, ref.name, "cailiao")
        entry: dict[str, Any] = {"name": norm.display_name(ref.name)}
        entry.update({k: v for k, v in ref.details.items() if v not in (None, "", [])})
        basis = [self.legal(b) for b in ref.legal_basis]
        if basis:
            entry["legal_basis"] = list(dict.fromkeys(basis))
        pending = [f for f in ("kind",) if f not in entry]
        if not basis:
            pending.append("legal_basis")
        _add_pending(entry, pending)
        self.entries["materials"][entry_id] = entry
        return entry_id

    def office(self, ref: PlaceRef) -> str:
        key = office_key(ref.name, ref.address)
        found = self._index["offices"].get(key) or (
            self._index["offices"].get(norm.name_key(ref.name)) if ref.name else None
        )
        if found is None:
            found = self._new_id("offices", key, ref.name or ref.address or "", "didian")
            entry: dict[str, Any] = {}
            if ref.name:
                entry["name"] = ref.name
            if ref.address:
                entry["address"] = ref.address
            entry.update({k: v for k, v in ref.details.items() if v not in (None, "", [])})
            _add_pending(entry, [f for f in ("name", "address", "hours") if f not in entry])
            self.entries["offices"][found] = entry
        if found in self.added["offices"] and "phones" not in ref.details:
            self._office_guides[found] += 1
            self._office_phones.setdefault(found, Counter()).update(set(ref.guide_phones))
        return found

    def finish(self) -> None:
        """Offices made from guides' locations get the phones more than half their guides give."""
        for office_id, counts in self._office_phones.items():
            guides = self._office_guides[office_id]
            shared = [p for p, n in counts.most_common() if n * 2 > guides]
            if shared:
                self.entries["offices"][office_id]["phones"] = shared


def _fill(entry: dict[str, Any], details: dict[str, Any]) -> None:
    """What another citation of an entry made in this import adds (its document number, the
    article's text); what the entry already says is kept."""
    for key, value in details.items():
        if value in (None, "", []) or key == "pending" or key in entry:
            continue
        entry[key] = value
        pending = [f for f in entry.get("pending", []) if f != key]
        entry.pop("pending", None)
        _add_pending(entry, pending)


def _add_pending(entry: dict[str, Any], names: list[str]) -> None:
    pending = list(dict.fromkeys([*entry.get("pending", []), *names]))
    if pending:
        entry["pending"] = pending
    else:
        entry.pop("pending", None)
