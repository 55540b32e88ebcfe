"""The bundled example library: realistic, complete, and clean."""

from __future__ import annotations

import yaml_rs

from tests.conftest import EXAMPLE, Library


def test_example_passes_strict_check(example: Library) -> None:
    run = example.check("--strict", "--no-cache")
    assert (run.exit_code, run.stdout) == (0, "")


def test_example_is_a_realistic_size() -> None:
    guides = [
        yaml_rs.loads(p.read_text(encoding="utf-8")) for p in (EXAMPLE / "guides").rglob("*.yaml")
    ]
    departments = {g["implementing_body"]["name"] for g in guides}
    assert len(guides) >= 12
    assert len(departments) >= 4
    assert {g["case_type"] for g in guides} == {"即办件", "承诺件"}
    assert any(g["fees"]["charged"] for g in guides) and not all(
        g["fees"]["charged"] for g in guides
    )


def test_every_example_file_points_editors_at_its_schema() -> None:
    for path in EXAMPLE.rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        assert (path.parent / first.split("$schema=", 1)[1]).resolve().is_file(), path
