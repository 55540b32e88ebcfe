"""The printer channel against a real CUPS scheduler (tests/cups_server.py): sheets printed byte
for byte as published, a paused or missing queue reported to hall staff in Chinese and retried,
a job never printed twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pytest

from guidesrc.adapters import Delivery, PermanentDeliveryError, TransientDeliveryError
from guidesrc.adapters.pdf_manifest import Manifest
from guidesrc.adapters.printer import PrinterAdapter, PrinterSettings, route
from guidesrc.print.ipp import Client
from guidesrc.workdays import read_config
from tests.conftest import Library, invoke
from tests.cups_server import Cups, cups  # noqa: F401  (the fixture)

GID = "jumin-shenfenzheng-huanling"  # served at 示例市政务服务中心, window A03 (guides init)
QUEUE = "a03"


def channels(server: str, queue: str = QUEUE) -> str:
    return (
        "  print:\n    type: pdf\n    settings:\n      path: .guides/print\n"
        "  printers:\n    type: printer\n    settings:\n      source: print\n"
        f"      server: '{server}'\n      wait: 120\n"
        f"      queues:\n        zhongxin-dating/a-03: {queue}\n"
    )


@dataclass
class Hall(Library):
    queue: str = ""


_queues = iter(range(1, 10**6))


@pytest.fixture
def hall(library: Library, cups: Cups) -> Hall:  # noqa: F811
    """The `guides init` library with a pdf channel and a printer channel on a queue of its own."""
    queue = f"window-{next(_queues)}"
    cups.add_queue(queue)
    library.edit("library.yaml", "rules: {}", channels(cups.server, queue) + "rules: {}")
    return Hall(library.root, queue)


def approve(lib: Library) -> None:
    run = invoke("approve", str(lib.root), "--effective", "today", "--note", "首次发布")
    assert run.exit_code == 0, run.stderr


def publish(lib: Library, *args: str) -> Any:
    return invoke("publish", str(lib.root), "--wait", *args)


def printer_rows(lib: Library) -> list[dict[str, Any]]:
    status = json.loads(invoke("status", str(lib.root), "--format", "json").stdout)
    return [d for d in status["deliveries"] if d["channel"] == "printers"]


def receipts(lib: Library) -> list[dict[str, Any]]:
    from sqlmodel import select

    from guidesrc.ledger import open_ledger
    from guidesrc.ledger.models import Publication

    ledger = open_ledger(lib.root)
    try:
        with ledger.session() as session:
            pubs = session.exec(select(Publication).where(Publication.channel == "printers"))
            return [p.receipt for p in pubs if p.receipt]
    finally:
        ledger.close()


@pytest.mark.usefixtures("database")
def test_a_published_sheet_prints_byte_for_byte_and_the_job_is_the_receipt(
    hall: Hall,
    cups: Cups,  # noqa: F811
) -> None:
    queue = hall.queue
    approve(hall)
    run = publish(hall)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert f"已送达\t{GID} v1\tprinters\t发布" in run.stdout
    published = (hall.root / f".guides/print/current/{GID}.pdf").read_bytes()
    assert (cups.out / f"{queue}.pdf").read_bytes() == published
    [receipt] = receipts(hall)
    assert receipt["sha256"] == hashlib.sha256(published).hexdigest()
    assert receipt["jobs"] == [
        {"queue": queue, "job": receipt["jobs"][0]["job"], "copies": 1, "state": "completed"}
    ]
    assert receipt["pages_printed"] == receipt["pages"] >= 1
    assert [r["status"] for r in printer_rows(hall)] == ["delivered"]
    # Publishing again prints nothing.
    assert publish(hall).stdout == ""
    assert len(Client(cups.server).jobs(queue)) == 1


@pytest.mark.usefixtures("database")
def test_a_paused_queue_is_reported_in_chinese_and_printed_after_cupsenable(
    hall: Hall,
    cups: Cups,  # noqa: F811
) -> None:
    queue = hall.queue
    cups.admin("cupsdisable", queue)
    approve(hall)
    run = publish(hall)
    assert run.exit_code == 1
    [line] = [x for x in run.stdout.splitlines() if "\tprinters\t" in x]
    assert line.startswith(f"失败\t{GID} v1\tprinters\t发布\t打印机 {queue} 已暂停：")
    assert f"cupsenable {queue}" in line
    [row] = printer_rows(hall)
    assert row["status"] == "failed" and "已暂停" in row["error"]
    assert not (cups.out / f"{queue}.pdf").exists()
    assert Client(cups.server).jobs(queue) == []  # nothing was left waiting in the queue

    cups.admin("cupsenable", queue)
    run = publish(hall, "--retry-now")
    assert run.exit_code == 0, run.stdout
    assert f"已送达\t{GID} v1\tprinters\t发布" in run.stdout
    published = (hall.root / f".guides/print/current/{GID}.pdf").read_bytes()
    assert (cups.out / f"{queue}.pdf").read_bytes() == published
    assert [r["status"] for r in printer_rows(hall)] == ["delivered"]


def test_a_missing_queue_is_a_permanent_error_naming_it(
    library: Library,
    cups: Cups,  # noqa: F811
) -> None:
    library.edit("library.yaml", "rules: {}", channels(cups.server, "no-such-queue") + "rules: {}")
    approve(library)
    run = publish(library)
    assert run.exit_code == 1
    [line] = [x for x in run.stdout.splitlines() if "\tprinters\t" in x]
    assert line.endswith(
        f"打印队列“no-such-queue”在打印服务器（{cups.server}）上不存在："
        "请在打印服务器上添加该队列（lpadmin -p no-such-queue …），或改正 library.yaml 中的队列名称"
    )


@pytest.mark.usefixtures("database")
def test_the_missing_queues_cause_for_it_is_the_print_servers_answer_not_our_wrapper(
    library: Library,
    cups: Cups,  # noqa: F811
) -> None:
    library.edit("library.yaml", "rules: {}", channels(cups.server, "no-such-queue") + "rules: {}")
    approve(library)
    assert publish(library).exit_code == 1
    [line] = [x for x in invoke("status", str(library.root)).stdout.splitlines() if "printers" in x]
    assert "打印队列“no-such-queue”在打印服务器" in line
    assert "PermanentDeliveryError" not in line and "QueueMissing" not in line
    assert line.endswith(
        "（技术原因：guidesrc.errors.IppError: IPP status 0x0406: 打印机或类不存在。）"
    )
    log = invoke("log", str(library.root)).stdout
    assert "送达失败" in log and "PermanentDeliveryError" not in log


@pytest.mark.usefixtures("database")
def test_a_guide_served_where_no_queue_is_mapped_is_reported_not_printed_not_delivered(
    library: Library,
    cups: Cups,  # noqa: F811
) -> None:
    """The guide is served at 示例市政务服务中心 A03 only; the queues map another office."""
    cups.add_queue("branch-laser")
    text = channels(cups.server, "branch-laser").replace("zhongxin-dating/a-03", "fenzhongxin")
    library.edit("library.yaml", "rules: {}", text + "rules: {}")
    approve(library)
    run = publish(library)
    assert run.exit_code == 1
    [line] = [x for x in run.stdout.splitlines() if "\tprinters\t" in x]
    assert line.startswith(
        f"失败\t{GID} v1\tprinters\t发布\t未打印：办理“居民身份证换领”的地点"
        "（示例市政务服务中心 A03 窗口（户政业务））没有配置打印队列；"
    )
    assert "default_queue" in line and "PermanentDeliveryError" not in line
    # archive delivered, print handed over to the hall (its sheet in a batch); printers not
    assert "本次：已送达 1 次，1 次已印入换页批次、待大厅工作人员张贴，失败 1 次" in run.stderr
    [row] = printer_rows(library)
    assert row["status"] == "failed" and row["error"].startswith("未打印：")
    status = invoke("status", str(library.root)).stdout
    [shown] = [x for x in status.splitlines() if "\tprinters\t" in x]
    assert "\t失败\t" in shown and "未打印：" in shown and "已送达" not in shown
    assert "PermanentDeliveryError" not in shown
    assert Client(cups.server).jobs("branch-laser") == []
    assert receipts(library) == []


# --- the adapter itself -----------------------------------------------------------------------


def adapter(lib: Library, server: str, queue: str, wait: int = 120) -> PrinterAdapter:
    settings = PrinterSettings(
        source="print", server=server, wait=wait, queues={"zhongxin-dating/a-03": queue}
    )
    return PrinterAdapter("printers", settings, lib.root, read_config(lib.root))


def sheet_only(lib: Library) -> Delivery:
    """Publish on the pdf channel alone; the delivery the printer channel would then be given."""
    lib.edit(
        "library.yaml", "  printers:\n    type: printer\n", "  printers:\n    type: directory\n"
    )
    lib.edit("library.yaml", "      source: print\n", "      path: .guides/elsewhere\n#\n")
    text = lib.read("library.yaml")
    lib.write("library.yaml", text.split("#\n")[0] + "rules: {}\n")
    approve(lib)
    assert publish(lib).exit_code == 0
    return Delivery(
        action="publish",
        guide_id=GID,
        version=1,
        name="居民身份证换领",
        effective_date=dt.date.today(),
        approved_at=dt.datetime.now(dt.UTC),
        content_hash=None,
        guide=None,
        notice={},
    )


def test_a_job_left_in_a_paused_queue_is_followed_not_printed_again(
    hall: Hall,
    cups: Cups,  # noqa: F811
) -> None:
    """A run that submitted a job and died: the next attempt finds the job by its document name,
    says the queue is paused while it waits there, and takes it as the receipt once printed."""
    queue = hall.queue
    # Only the pdf channel publishes: the printer channel's delivery stays for the test to make.
    delivery = sheet_only(hall)
    printer = adapter(hall, cups.server, queue)
    client = Client(cups.server)
    cups.admin("cupsdisable", queue)
    pdf = (hall.root / f".guides/print/current/{GID}.pdf").read_bytes()
    job = client.print_job(queue, pdf, title="x", document=printer.document(delivery))

    [result] = printer.deliver_many([(delivery, True)])
    assert isinstance(result, TransientDeliveryError)
    assert str(result).startswith(f"打印机 {queue} 已暂停：")

    cups.admin("cupsenable", queue)
    [result] = printer.deliver_many([(delivery, True)])
    assert isinstance(result, dict), result
    assert result["jobs"][0]["job"] == job and result["jobs"][0]["state"] == "completed"
    assert [j["job-id"][0] for j in client.jobs(queue)] == [job]
    assert printer.lookup(delivery) == result
    assert (cups.out / f"{queue}.pdf").read_bytes() == pdf


@pytest.mark.parametrize(
    ("state", "kind", "text"),
    [
        (
            "aborted",
            PermanentDeliveryError,
            "打印作业 q-7 被打印系统中止：请检查打印机及其日志；下次尝试时将重新打印",
        ),
        (
            "canceled",
            PermanentDeliveryError,
            "打印作业 q-7 已被取消；如仍需打印，请运行 guides publish --retry-now",
        ),
    ],
)
def test_an_aborted_or_cancelled_job_is_a_permanent_error(
    state: str, kind: type[Exception], text: str
) -> None:
    from guidesrc.adapters.printer import _mapped
    from guidesrc.errors import JobFailed
    from guidesrc.print.queue import JobState, Queue

    job = JobState(7, state, ("none",), "", "x.pdf")
    with pytest.raises(JobFailed) as caught:
        Queue("q", "127.0.0.1:9").outcome(job)
    error = _mapped(caught.value)
    assert isinstance(error, kind) and str(error) == text


def test_a_sheet_the_pdf_channel_has_not_written_yet_is_transient(
    hall: Hall,
    cups: Cups,  # noqa: F811
) -> None:
    delivery = sheet_only(hall)
    manifest = Manifest.load(hall.root / ".guides/print")  # as if version 1 were not printed yet
    manifest.guides[GID]["current"]["key"] = f"{GID}@0:publish"
    manifest.save(hall.root / ".guides/print")
    printer = adapter(hall, cups.server, hall.queue)
    [result] = printer.deliver_many([(delivery, False)])
    assert isinstance(result, TransientDeliveryError)
    assert str(result) == (
        f"{GID} 第 1 版：PDF 渠道 print 尚未生成这份打印稿；该渠道生成后即会打印"
    )


def test_sheets_go_to_each_windows_queue_else_the_office_queue_else_the_default() -> None:
    settings = PrinterSettings(
        source="print",
        queues={"hall": "hall-laser", "hall/w1": "w1-printer"},
        default_queue="central",
    )
    places = [
        {"id": "hall", "windows": [{"id": "w1"}, {"id": "w2"}, {"id": "w3"}]},
        {"id": "branch", "windows": []},
    ]
    assert route(places, settings) == {"central": 1, "hall-laser": 2, "w1-printer": 1}
    assert route([], settings) == {"central": 1}
    assert route(places, PrinterSettings(source="print", queues={"hall/w1": "w1"})) == {"w1": 1}


def test_guides_check_refuses_a_bad_queue_mapping(library: Library) -> None:
    library.edit(
        "library.yaml",
        "rules: {}",
        "  printers:\n    type: printer\n    settings:\n      source: print\n"
        "      queues:\n        'Hall A/../x': 'a b'\n" + "rules: {}",
    )
    run = library.check()
    assert run.exit_code == 1
    assert "[channel]" in run.stdout and "queues" in run.stdout
