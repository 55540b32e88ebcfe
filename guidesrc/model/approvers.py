"""The approvers list, ``approvers.yaml`` at the root of a content library (optional).

Each entry is one person who may approve: the name recorded in the ledger, the Ed25519 public key
that authenticates them (their private key stays on their own machine, outside the library), and
every git identity (name or e-mail) they commit with, so that four eyes recognises their edits.
Without the file, approvals are by operating-system account (docs/security.md).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from guidesrc.model.common import Model, NonEmptyText

PUBLIC_KEY_PATTERN = r"^ed25519:[A-Za-z0-9+/]{43}=$"
UTC_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
UtcTime = Annotated[str, Field(pattern=UTC_TIME_PATTERN)]


class Approver(Model, title="审核人"):
    """一名审核人：姓名、审核密钥的公钥，以及其提交修改时使用的全部 git 身份。"""

    name: NonEmptyText = Field(
        title="姓名", description="记入台账的审核人姓名，如 审核员乙；不得与其他审核人相同。"
    )
    key: str = Field(
        pattern=PUBLIC_KEY_PATTERN,
        title="公钥",
        description="审核密钥的 Ed25519 公钥（ed25519:Base64），由 guides approvers key 生成并打印。",
    )
    identities: list[NonEmptyText] = Field(
        default_factory=list,
        title="git 身份",
        description="此人在 git 中使用的姓名和电子邮箱（user.name、user.email）；四眼原则据此识别其修改。",
    )
    since: UtcTime | None = Field(
        default=None,
        title="启用时间",
        description="密钥启用时间（UTC），如 2026-12-01T08:00:00Z；此前的审核记录不要求签名。",
    )
    retired: UtcTime | None = Field(
        default=None,
        title="停用时间",
        description="密钥停用时间（UTC）；此后该密钥的签名无效，此前的审核记录仍可验证。",
    )


class ApproversFile(Model, title="审核人名单"):
    """审核人名单：谁可以审核，凭哪把密钥。名单本身的修改同样须经审核。"""

    approvers: list[Approver] = Field(min_length=1, title="审核人", description="每名审核人一项。")
