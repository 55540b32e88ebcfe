"""A channel delivered in a forked process (:mod:`guidesrc.lanes`): its answer, its failure, its
death, as the publisher sees them."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

import pytest

from guidesrc import faults
from guidesrc.errors import ChannelError, FailedElsewhere
from guidesrc.lanes import can_fork_lanes, fork_lane

pytestmark = pytest.mark.skipif(not can_fork_lanes(), reason="needs fork and two cores")


def test_the_childs_answer_comes_back() -> None:
    started = []
    lane = fork_lane("site", lambda: ("done", os.getpid(), started), lambda: started.append(1))
    answer, pid, seen = lane.result()
    assert answer == "done" and pid == lane.child.pid != os.getpid()
    assert seen == [1] and started == []  # ``start`` ran in the child only


def test_a_failure_in_the_child_comes_back_with_its_message_and_traceback() -> None:
    def fail() -> None:
        raise ValueError("磁盘已满")

    lane = fork_lane("site", fail, lambda: None)
    with pytest.raises(FailedElsewhere) as caught:
        lane.result()
    assert str(caught.value) == "磁盘已满"
    assert "ValueError: 磁盘已满" in caught.value.detail


def test_a_child_killed_is_reported_naming_the_channel() -> None:
    lane = fork_lane("site", lambda: os.kill(os.getpid(), signal.SIGKILL), lambda: None)
    with pytest.raises(ChannelError) as caught:
        lane.result()
    assert str(caught.value) == (
        "渠道 site：负责发布该渠道的进程异常结束（signal 9）；"
        "下一次 guides publish 会完成其中未完成的发布"
    )


def test_an_injected_crash_in_the_child_kills_its_parent_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A power cut stops every process: the parent here is a fork of the test (so that the test
    itself survives), which forks the lane; the lane's crash kills both."""
    monkeypatch.setenv(faults.ENV, "lane.test")
    parent = os.fork()
    if parent == 0:
        try:
            lane = fork_lane("site", lambda: faults.point("lane.test"), lambda: None)
            lane.wait()
            os._exit(0)  # not reached: killed by the lane
        finally:
            os._exit(3)
    _pid, status = os.waitpid(parent, 0)
    assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL


def test_a_shared_full_build_gets_the_workers_failures_and_reports_its_death(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The site's full build shares :func:`fork_child` with the lanes: a guide failed in the
    forked worker comes back as FailedElsewhere; a worker killed fails the build."""
    from guidesrc.site import parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    parent, ids = os.getpid(), [f"g{n}" for n in range(20)]

    def work(chunk: Sequence[str]) -> dict[str, Exception]:
        if os.getpid() == parent:
            return {}
        return {gid: ValueError(f"{gid} 无法生成") for gid in chunk if gid in ("g2", "g17")}

    def slow() -> None:  # the worker takes the first chunks meanwhile
        time.sleep(0.5)

    broken = parallel.shared_work(ids, work, slow)
    assert sorted(broken) == ["g17", "g2"]
    for gid, exc in broken.items():
        assert isinstance(exc, FailedElsewhere) and str(exc) == f"{gid} 无法生成"
        assert f"ValueError: {gid} 无法生成" in exc.detail

    def killed(chunk: Sequence[str]) -> dict[str, Exception]:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return {}

    with pytest.raises(ChannelError) as caught:
        parallel.shared_work(ids, killed, slow)
    assert str(caught.value) == "生成网站时工作进程出错（见上文）"
