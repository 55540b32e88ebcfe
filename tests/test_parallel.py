"""Worker processes (:mod:`guidesrc.parallel`): their C allocator, chosen by the deployment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from guidesrc.errors import DeploymentError
from guidesrc.parallel import MALLOC_ENV, parallel_map, worker_allocator


@pytest.fixture(autouse=True)
def fresh_choice() -> Iterator[None]:
    worker_allocator.cache_clear()
    yield
    worker_allocator.cache_clear()


def workers_maps() -> list[str]:
    """Each item's worker's memory map (what libraries it has loaded), from two workers.

    The function and the set-up are the standard library's (a worker imports them by name):
    the state is ``Path("/proc/self/maps")`` made in the worker, and each item reads it."""
    return list(parallel_map(Path.read_text, ["utf-8"] * 8, 2, Path, ("/proc/self/maps",)))


def test_workers_run_with_mimalloc_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MALLOC_ENV, raising=False)
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    library = worker_allocator()
    if library is None:
        pytest.skip("mimalloc is not installed (Debian: libmimalloc2.0; CI installs it)")
    assert "mimalloc" in library
    maps = workers_maps()
    assert all("libmimalloc" in text for text in maps)
    assert "libmimalloc" not in Path("/proc/self/maps").read_text()  # this process: glibc's
    assert "LD_PRELOAD" not in os.environ  # as it was before the map


def test_system_keeps_glibcs_allocator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MALLOC_ENV, "system")
    monkeypatch.setenv("LD_PRELOAD", "")
    assert worker_allocator() is None
    assert not any("libmimalloc" in text for text in workers_maps())
    assert os.environ["LD_PRELOAD"] == ""


def test_an_unknown_allocator_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MALLOC_ENV, "tcmalloc")
    with pytest.raises(DeploymentError) as caught:
        worker_allocator()
    message = str(caught.value)
    assert message == (
        "GUIDES_WORKER_MALLOC=tcmalloc：未知的内存分配器；请改为 mimalloc, system 之一"
        "（默认的 mimalloc 需要安装 Debian 软件包 libmimalloc2.0）"
    )
