"""The Chinese catalog is complete and compiled: no English leaks into a Chinese session."""

from __future__ import annotations

import gettext
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from guidesrc.i18n import LOCALE_DIR, resolve_lang
from tests.conftest import REPO

PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES"


def _code_msgids() -> set[str]:
    found = extract_from_dir(
        str(REPO / "guidesrc"), keywords={"_": None, "N_": None}, method_map=[("**.py", "python")]
    )
    return {message for _f, _l, message, _c, _x in found if isinstance(message, str)}


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    with (PO / "guidesrc.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string}
    assert sorted(_code_msgids() - translated) == [], (
        "run `make i18n` and translate the new messages"
    )


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogs_match_their_sources() -> None:
    for domain in ("guidesrc", "click"):
        with (PO / f"{domain}.po").open("rb") as fh:
            source = {_key(m.id): _key(m.string) for m in read_po(fh) if m.id}
        with (PO / f"{domain}.mo").open("rb") as fh:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
        assert compiled == source, f"{domain}.mo is stale: run `make i18n`"


def test_placeholders_survive_translation() -> None:
    with (PO / "guidesrc.po").open("rb") as fh:
        catalog = read_po(fh)
    import re

    field = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")
    bad = [
        m.id
        for m in catalog
        if m.id and sorted(field.findall(m.id)) != sorted(field.findall(m.string))
    ]
    assert bad == []


def test_language_resolution() -> None:
    assert resolve_lang(None) == "zh_CN"
    assert resolve_lang("en") == "en"
    assert resolve_lang("zh-CN") == "zh_CN"
    assert resolve_lang("fr") == "zh_CN"
    assert (
        gettext.translation("guidesrc", LOCALE_DIR, languages=["zh_CN"]).gettext("error") == "错误"
    )


@pytest.mark.slow
def test_wheel_ships_catalogs_and_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
    )
    import zipfile

    (wheel,) = tmp_path.glob("guidesrc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "guidesrc/locale/zh_CN/LC_MESSAGES/guidesrc.mo" in names
    assert "guidesrc/schemas/guide.schema.json" in names
    assert "guidesrc/skeleton/library.yaml" in names
