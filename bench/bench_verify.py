"""What signed manifests cost on the 10,000-guide site: the publisher's hook after an incremental
publish, the first (cold) manifest, and a full `guides verify` of the folder.

    .venv/bin/python bench/bench_verify.py [--guides 10000] [--runs 5]

Reads ``bench/out/site-input-N.jsonl`` (``bench/bench_site.py`` makes it), builds the site once into
``bench/out/verify-N`` (a full build, not timed), and gives that folder a ledger (SQLite) holding
one approved version and one delivered site publication per guide, as ``guides publish`` leaves
it. Then, in this process, wall clock (``time.perf_counter``):

1. the first manifest: every file hashed (no stat cache), every (path, hash) pair recorded;
2. per run (median of ``--runs``): one guide changed and published incrementally by the site
   channel (its adapter time, as bench_site measures it), the ledger told of the new version,
   then the manifest hook, step by step: walking and stat'ing the folder and re-hashing what
   changed, the ledger's view of the channel, the manifest's bytes, signing, writing, recording
   the new pairs, saving the stat cache;
3. ``guides verify``'s check of the folder (every file hashed again; the ledger compared).

Results are printed as Markdown.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import OUT, REPO, machine_facts
from bench_site import _config, _deliveries

sys.path.insert(0, str(REPO))


def _ledger(root: Path, deliveries: list[Any]) -> Any:
    import sqlalchemy as sa

    from guidesrc.ledger import open_ledger
    from guidesrc.ledger.models import Approval, GuideVersion, Publication

    ledger = open_ledger(root)
    now = dt.datetime.now(dt.UTC)
    with ledger.engine.begin() as conn:
        conn.execute(
            sa.insert(Approval.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": 1,
                    "kind": "approve",
                    "approved_by": "审核员",
                    "approved_at": now,
                    "note": "",
                    "effective_date": now.date(),
                    "deadline": now,
                    "editors": "[]",
                    "change_set_id": "bench",
                    "release_notice": "{}",
                }
            ],
        )
        versions = [
            {
                "id": i + 1,
                "guide_id": d.guide_id,
                "version": 1,
                "approval_id": 1,
                "name": d.name,
                "file": f"guides/{d.guide_id}.yaml",
                "effective_date": d.effective_date,
                "withdrawn": False,
                "content_hash": d.content_hash,
                "change": "{}",
                "notice": "{}",
                "major": True,
            }
            for i, d in enumerate(deliveries)
        ]
        conn.execute(sa.insert(GuideVersion.__table__), versions)  # type: ignore[attr-defined]
        conn.execute(
            sa.insert(Publication.__table__),  # type: ignore[attr-defined]
            [_publication(v["id"], v["guide_id"], now) for v in versions],
        )
    return ledger


def _publication(version_id: int, guide_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "version_id": version_id,
        "guide_id": guide_id,
        "channel": "site",
        "action": "publish",
        "status": "delivered",
        "due_at": now,
        "deadline": now,
        "attempts": 1,
        "delivered_at": now,
        "updated_at": now,
    }


def _new_version(ledger: Any, delivery: Any) -> None:
    import sqlalchemy as sa

    from guidesrc.ledger.models import GuideVersion, Publication

    now = dt.datetime.now(dt.UTC)
    with ledger.engine.begin() as conn:
        vid = conn.execute(
            sa.insert(GuideVersion.__table__).returning(GuideVersion.__table__.c.id),  # type: ignore[attr-defined]
            {
                "guide_id": delivery.guide_id,
                "version": delivery.version,
                "approval_id": 1,
                "name": delivery.name,
                "file": "x",
                "effective_date": delivery.effective_date,
                "withdrawn": False,
                "content_hash": delivery.content_hash,
                "change": "{}",
                "notice": "{}",
                "major": True,
            },
        ).scalar_one()
        conn.execute(
            sa.insert(Publication.__table__),  # type: ignore[attr-defined]
            _publication(vid, delivery.guide_id, now),
        )


def _changed(delivery: Any, version: int) -> Any:
    from guidesrc.adapters import Delivery
    from guidesrc.compile import content_hash

    guide = dict(delivery.guide)
    guide["conditions"] = [
        *guide["conditions"][:-1],
        f"{guide['conditions'][-1]}（第 {version} 次修订）",
    ]
    notice = {**delivery.notice, "status": "changed", "text": "受理条件：修改。"}
    return Delivery("publish", delivery.guide_id, version, delivery.name, delivery.effective_date,
                    dt.datetime.now(dt.UTC), content_hash(guide), guide, notice)  # fmt: skip


def main() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from guidesrc import manifest as m
    from guidesrc.signing import SigningKey, public_keys
    from guidesrc.site.builder import Site
    from guidesrc.verify import verify_folder
    from guidesrc.verify_checks import ChannelCheck

    parser = argparse.ArgumentParser()
    parser.add_argument("--guides", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = OUT / f"site-input-{args.guides}.jsonl"
    if not source.exists():
        sys.exit(f"{source} is missing: run bench/bench_site.py --guides {args.guides} first")
    root = OUT / f"verify-{args.guides}"
    shutil.rmtree(root, ignore_errors=True)
    (root / ".guides").mkdir(parents=True)
    shutil.copy(REPO / "example" / "library.yaml", root / "library.yaml")
    deliveries = _deliveries(source, None)
    folder = root / ".guides/site"
    started = time.perf_counter()
    Site(folder, _config()).publish(deliveries)
    build = time.perf_counter() - started
    ledger = _ledger(root, deliveries)
    key = SigningKey(Ed25519PrivateKey.generate(), "bench")
    (root / "keys").mkdir()
    (root / "keys" / f"{key.id}.pub.pem").write_bytes(key.public_pem)

    started = time.perf_counter()
    first = m.write_manifest(
        ledger, "site", root, folder, m.shown_guides(ledger, "site"), key, dt.datetime.now(dt.UTC)
    )
    cold = time.perf_counter() - started
    assert first is not None

    steps: dict[str, list[float]] = {}
    adapter: list[float] = []
    written: list[int] = []
    by_id = {d.guide_id: d for d in deliveries}
    ids = sorted(by_id)
    for run in range(args.runs + 1):
        change = _changed(by_id[ids[run * 37 % len(ids)]], 2 + run)
        started = time.perf_counter()
        result = Site(folder, _config()).publish([change])
        spent = time.perf_counter() - started
        assert result.mode == "incremental", result.mode
        _new_version(ledger, change)
        timings = _hook(m, ledger, root, folder, key)
        if run == 0:
            continue  # warm-up
        adapter.append(spent)
        written.append(len(result.written))
        for name, value in timings.items():
            steps.setdefault(name, []).append(value)

    check = ChannelCheck("site", "site", ".guides/site", "folder")
    started = time.perf_counter()
    verify_folder(check, folder, ledger, public_keys(root))
    full_verify = time.perf_counter() - started
    assert not check.findings, check.findings[:3]
    ledger.close()
    _report(args, build, cold, first, adapter, written, steps, full_verify, check)


#: The steps of ``write_manifest`` timed apart (cumulative time of these functions under cProfile,
#: by qualified name): what it does, not a copy of how, so that the figures follow the code.
STEPS = {
    "guidesrc.manifest._check": "check the folder against the last signature (walk, stat, hash "
    "what changed; stat cache read)",
    "guidesrc.shown.shown_guides": "the ledger's view of the channel",
    "guidesrc.manifest._write_signed": "the changed shards, the signed top file, written",
    "guidesrc.manifest.record_pairs": "record the new (path, hash) pairs in the ledger",
    "guidesrc.channel_audit.store_signed": "store the signed top file in the ledger",
    "guidesrc.manifest_cache_save.save_cache": "save the stat cache's changed parts",
}


def _hook(m: Any, ledger: Any, root: Path, folder: Path, key: Any) -> dict[str, float]:
    """``write_manifest`` as the publisher calls it, under cProfile: its total and its steps."""
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    signed = m.write_manifest(
        ledger, "site", root, folder, m.shown_guides(ledger, "site"), key, dt.datetime.now(dt.UTC)
    )
    profile.disable()
    t = {"(whole hook, under cProfile)": time.perf_counter() - started}
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    by_name: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        module = Path(filename).with_suffix("").as_posix().rsplit("/guidesrc/", 1)[-1]
        name = "guidesrc." + module.replace("/", ".") + "." + function
        by_name[name] = by_name.get(name, 0.0) + cumulative
    for qualified, label in STEPS.items():
        t[label] = by_name.get(qualified, 0.0)
    t["(files in the folder)"] = float(signed.files if signed is not None else 0)
    return t


def _report(
    args: Any,
    build: float,
    cold: float,
    first: Any,
    adapter: list[float],
    written: list[int],
    steps: dict[str, list[float]],
    full_verify: float,
    check: Any,
) -> None:
    med = statistics.median
    total = med(steps["(whole hook, under cProfile)"])
    lines = ["## Signed manifests (issue 9)", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine_facts().items()]
    lines += [
        "",
        f"{args.guides:,} guides, {first.files:,} files in the site (full build {build:.1f} s, not "
        f"part of the figures). Median of {args.runs} runs after a warm-up.",
        "",
        "| Step | Median (s) | Runs |",
        "|---|---:|---|",
        f"| site channel, incremental publish of 1 changed guide ({med(written):.0f} files) | "
        f"{med(adapter):.3f} | {', '.join(f'{x:.3f}' for x in adapter)} |",
    ]
    for name, values in steps.items():
        if name.startswith("(whole"):
            continue
        shown = f"{med(values):.3f}" if not name.startswith("(files") else f"{med(values):g}"
        lines.append(f"| manifest: {name} | {shown} | {', '.join(f'{x:.3f}' for x in values)} |")
    lines += [
        f"| **manifest hook, total** | **{total:.3f}** | |",
        f"| first manifest (cold: every file hashed and recorded) | {cold:.2f} | |",
        f"| `guides verify` of the folder (every file hashed, {check.files:,} files) | "
        f"{full_verify:.2f} | |",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
