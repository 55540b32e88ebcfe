"""Real published guide data, imported, checked, approved and published to every channel.

For each data set in ``tests.realdata.DATA_SETS`` a sample of its guides goes through
``guides import`` → ``guides check`` → ``guides approve`` → ``guides publish`` (site, pdf,
hotline, mobile, cpsv, directory) in a temporary library, as a user would run them; then every
published file is scanned for ``None``, ``null`` and ``undefined`` (PDFs through pdftotext).

The figures below are what the data gives today. The assertions marked ``xfail(strict=True)`` fail
today for the reason they name (issue 15: gaps rendered as ``None``, one guide's failure failing
a channel's batch); once the branch that fixes it is merged they pass, strict xfail reports
XPASS, and the marker is to be removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import CHANNELS, DATA_SETS, Result, run_pipeline

SAMPLE = 40  # guides per data set: spread over the whole source (tests.realdata)

#: What each data set's sample gives today: import problems by level, check findings by rule.
EXPECTED = {
    "gdzwfw-2021": {
        "guides_in": SAMPLE,
        "imported": SAMPLE,
        "import_problems": {"warning": 13},
        "findings": {"to-complete": 208, "incomplete-guide": SAMPLE, "government-site": 1},
    },
    "gdzwfw-2021-template": {
        "guides_in": SAMPLE,
        "imported": SAMPLE,
        "import_problems": {"warning": 11},
        "findings": {"to-complete": 208, "incomplete-guide": SAMPLE, "government-site": 1},
    },
    "shanghai-zwdt-2026": {
        "guides_in": 20,
        "imported": 20,
        "import_problems": {"warning": 36},
        "findings": {"to-complete": 80, "incomplete-guide": 20, "government-site": 1},
    },
}

#: Channels that do not yet deliver every guide of a data set, and why (none since issue 15).
NOT_ALL_DELIVERED: dict[tuple[str, str], str] = {}
#: Channels whose published files still show None/null/undefined for a data set (none since
#: issue 15: the site's JSON API and its manifest are null-free too, document format 2).
SHOWS_NONE: dict[tuple[str, str], str] = {}


def _available(name: str) -> object:
    data_set = DATA_SETS[name]
    return pytest.param(
        name,
        marks=pytest.mark.skipif(
            not data_set.available,
            reason=f"the real data set {name} is not here ({data_set.source}): "
            "it lives outside the repository (see its README)",
        ),
    )


@pytest.fixture(
    scope="module", params=[_available(name) for name in DATA_SETS], ids=list(DATA_SETS)
)
def result(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Result:
    name: str = request.param
    return run_pipeline(DATA_SETS[name], tmp_path_factory.mktemp(name), SAMPLE)


def _expect(request: pytest.FixtureRequest, reason: str | None) -> None:
    """Mark the running test xfail(strict) when the table says why it fails today."""
    if reason:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.slow
def test_import_succeeds_with_its_expected_warnings(result: Result) -> None:
    expected = EXPECTED[result.data_set]
    imported = result.commands[0]
    assert result.import_exit == 0, imported.stdout + imported.stderr
    assert result.guides_in == expected["guides_in"]
    assert result.imported == expected["imported"]
    assert result.import_problems == expected["import_problems"]


@pytest.mark.slow
def test_check_findings_by_rule(result: Result) -> None:
    assert result.findings == EXPECTED[result.data_set]["findings"]
    assert result.check_exit == (1 if result.downgraded else 0)


@pytest.mark.slow
def test_every_imported_guide_is_approved(result: Result) -> None:
    assert result.approve_exit == 0, result.commands[2].stderr
    assert result.approved == result.imported


@pytest.mark.slow
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_delivers_every_guide(
    channel: str, result: Result, request: pytest.FixtureRequest
) -> None:
    _expect(request, NOT_ALL_DELIVERED.get((result.data_set, channel)))
    assert (result.delivered[channel], result.failed[channel]) == (result.approved, 0), (
        result.errors.get(channel)
    )


@pytest.mark.slow
@pytest.mark.parametrize("channel", CHANNELS)
def test_no_none_null_or_undefined_in_published_files(
    channel: str, result: Result, request: pytest.FixtureRequest
) -> None:
    _expect(request, SHOWS_NONE.get((result.data_set, channel)))
    hits = [hit for hit in result.scan.hits if hit[1].startswith(f"{channel}/")]
    assert result.delivered[channel] > 0, "nothing was delivered to scan"
    assert hits == [], f"{len(hits)} in {channel}, first: {hits[:3]}"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scanner itself: a page, a CSV and a JSON file with the words, and text without."""
    from tests.realdata import scan_outputs

    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text(
        "<dd>广东省（None）</dd><script>if (x === null || y === undefined) {}</script>", "utf-8"
    )
    (site / "ok.html").write_text("<dd>Nonetheless 无 nullable</dd>", "utf-8")
    (site / ".state.json").write_text('{"x": null}', "utf-8")  # the adapter's own state
    hotline = tmp_path / "hotline"
    hotline.mkdir()
    (hotline / "h.csv").write_text("名称,地址\n户口,null\n", "utf-8")
    (hotline / "h.json").write_text('{"a": null, "b": [null, "undefined"]}', "utf-8")
    scan = scan_outputs(tmp_path)
    assert scan.files == 4
    assert sorted((w, f) for w, f, _c in scan.hits) == [
        ("None", "site/a.html"),
        ("null", "hotline/h.csv"),
        ("null", "hotline/h.json"),
        ("null", "hotline/h.json"),
        ("undefined", "hotline/h.json"),
    ]


def test_a_place_written_as_none_imports_as_a_gap(tmp_path: Path) -> None:
    from tests.realdata import guides

    sheet = tmp_path / "指南.csv"
    assert guides("import", "--template", sheet).exit_code == 0
    header = sheet.read_text("utf-8-sig").splitlines()[0].split(",")
    row = {column: "" for column in header}
    row.update(
        {"事项名称": "测试事项", "实施编码": "11440000006939844R2442115270000", "办理地点": "无"}
    )
    sheet.write_text(
        ",".join(header) + "\r\n" + ",".join(row[c] for c in header) + "\r\n", "utf-8-sig"
    )
    assert guides("import", sheet, "--into", tmp_path / "lib").exit_code == 0
    problems = (tmp_path / "lib/.guides/import/import-problems.csv").read_text("utf-8-sig")
    assert "“无”没有给出必填要素的值，已标为待补充" in problems, problems
    checked = guides("check", tmp_path / "lib")
    assert "[schema]" not in checked.stdout, checked.stdout
    assert "places" in (tmp_path / "lib/guides").glob("*.yaml").__next__().read_text("utf-8")
