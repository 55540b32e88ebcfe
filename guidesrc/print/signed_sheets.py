"""Print only what was signed: a sheet's bytes checked against its channel's signed manifest.

The pdf channel's own ``manifest.json`` names each sheet with its SHA-256, but anyone who can
write to the folder can change both a sheet and that line. Before the kiosk or the printer
channel sends a sheet to a printer, :func:`check_signed` also requires:

- ``guides-manifest.json`` in the same folder, signed (``guides-manifest.json.sig``) by one of the
  library's public keys in ``keys/`` (never the copy in the folder, which the folder's writer
  could replace), not by a key after it was retired;
- that manifest lists the sheet's path with the SHA-256 of the bytes about to be printed (a
  sharded manifest: in the sheet's shard, whose own SHA-256 the signed top file gives);
- for the kiosk, which has the ledger: that manifest is the channel's newest signed one, as the
  ledger keeps it (an older signed manifest put back with its sheet is refused;
  :mod:`guidesrc.print.signed_read`).

A mismatch raises :class:`~guidesrc.errors.UnsignedSheet`: nothing is printed. The kiosk logs the refusal in the
ledger (``print.refused``, shown by ``guides status``); the printer channel's delivery fails with
the same message (shown by ``guides status`` as a failed delivery).

A library without public keys (``guides keys init`` never run) signs nothing, so nothing can be
checked: sheets are printed as the pdf channel's manifest says, and ``guides publish`` warns that
the channels are unsigned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import orjson

from guidesrc.errors import UnsignedSheet
from guidesrc.i18n import _
from guidesrc.manifest_names import MANIFEST, SIGNATURE
from guidesrc.manifest_shards import folder_reader, lookup_file
from guidesrc.signing import public_keys, signature_valid


def check_signed(folder: Path, rel: str, data: bytes, library: Path | None) -> None:
    """Nothing when ``data`` is the file ``rel`` of ``folder`` as its signed manifest lists it
    (or when ``library`` is None or has no public keys); UnsignedSheet otherwise."""

    if library is None:
        return
    keys = public_keys(library)
    if not keys:
        return  # a library that signs nothing: nothing to check against
    try:
        manifest = (folder / MANIFEST).read_bytes()
        signature = (folder / SIGNATURE).read_bytes()
    except OSError:
        raise UnsignedSheet(unsigned_message(rel, _("the folder has no signed manifest"))) from None
    try:
        body: dict[str, Any] = orjson.loads(manifest)
    except orjson.JSONDecodeError:
        raise UnsignedSheet(
            unsigned_message(rel, _("its signed manifest cannot be read"))
        ) from None
    key = keys.get(str(body.get("key")))
    if key is None or not signature_valid(key.key, manifest, signature):
        raise UnsignedSheet(unsigned_message(rel, _("the manifest's signature is not valid")))
    if key.retired is not None and _created(body) >= key.retired:
        raise UnsignedSheet(unsigned_message(rel, _("the manifest's signature is not valid")))
    listed = lookup_file(body, rel, folder_reader(folder))  # only the sheet's shard is read
    digest = hashlib.sha256(data).hexdigest()
    if not isinstance(listed, dict) or listed.get("sha256") != digest:
        raise UnsignedSheet(
            unsigned_message(rel, _("its SHA-256 is not the one the signed manifest lists"))
        )


def _created(body: dict[str, Any]) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(body.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.max.replace(tzinfo=dt.UTC)  # no time: taken as after any retirement


def unsigned_message(rel: str, reason: str) -> str:
    return _(
        "the sheet {file} is not printed: {reason}. It may have been replaced; find what changed with guides verify, then put the published file back or rewrite the channel with guides publish --rebuild CHANNEL"
    ).format(file=rel, reason=reason)
