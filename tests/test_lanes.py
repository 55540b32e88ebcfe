"""A channel delivered in a forked process (:mod:`guidesrc.lanes`): its answer, its failure, its
death, as the publisher sees them."""

from __future__ import annotations

import os
import signal

import pytest

from guidesrc import faults
from guidesrc.errors import ChannelError, FailedElsewhere
from guidesrc.lanes import can_fork_lanes, fork_lane

pytestmark = pytest.mark.skipif(not can_fork_lanes(), reason="needs fork and two cores")


def test_the_childs_answer_comes_back() -> None:
    started = []
    lane = fork_lane("site", lambda: ("done", os.getpid(), started), lambda: started.append(1))
    answer, pid, seen = lane.result()
    assert answer == "done" and pid == lane.pid != os.getpid()
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
