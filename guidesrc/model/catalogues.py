"""Shared catalogues, written once and referenced from guides by id.

Each catalogue is one YAML file in ``catalogues/`` whose ``entries`` map an id to an entry; a YAML
mapping cannot hold the same key twice, so an id is defined exactly once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from guidesrc.model.common import (
    PHONE_PATTERN,
    Completable,
    Id,
    IsoDate,
    Model,
    NonEmptyText,
    pending_field,
)

MaterialKind = Literal["证件证照", "申请表格文书", "证明文件", "其他"]
LegalLevel = Literal[
    "法律", "行政法规", "地方性法规", "部门规章", "地方政府规章", "规范性文件", "其他"
]


class Material(Completable, title="材料"):
    pending: list[Literal["kind", "legal_basis"]] = pending_field()
    name: NonEmptyText = Field(
        title="材料名称", description="规范名称，如《居民身份证》。", max_length=200
    )
    kind: MaterialKind | None = Field(
        title="材料类型", description="证件证照、申请表格文书、证明文件或其他。"
    )
    issuer: str | None = Field(default=None, title="出具单位", description="申请人自备时省略。")
    legal_basis: list[Id] = Field(
        default_factory=list,
        title="法律法规依据",
        description="要求提交该材料的法律法规（法律法规库中的标识）。没有依据的证明材料一律取消。",
    )
    description: str | None = Field(
        default=None, title="材料说明", description="材料的内容、格式等说明。"
    )


class LegalBasis(Completable, title="法律法规依据"):
    pending: list[Literal["issuer", "level", "in_force_from"]] = pending_field()
    title: NonEmptyText = Field(
        title="法律法规名称", description="如《中华人民共和国行政许可法》。"
    )
    article: str | None = Field(default=None, title="条款", description="如 第二十九条。")
    text: str | None = Field(default=None, title="条款内容", description="依据条款的原文。")
    issuer: NonEmptyText | None = Field(title="制定机关", description="制定或发布该依据的机关。")
    level: LegalLevel | None = Field(
        title="效力层级",
        description="法律、行政法规、地方性法规、部门规章、地方政府规章、规范性文件或其他。",
    )
    document_number: str | None = Field(
        default=None, title="文号", description="如 国务院令第 412 号。"
    )
    in_force_from: IsoDate | None = Field(
        title="施行日期", description="开始施行的日期，如 2004-07-01。"
    )
    repealed_on: IsoDate | None = Field(
        default=None, title="废止日期", description="已废止或失效时填写；此后不能再作为依据。"
    )
    replaced_by: Id | None = Field(
        default=None, title="替代依据", description="废止后取代它的依据（法律法规库中的标识）。"
    )


class OpeningHours(Model, title="办理时间"):
    days: NonEmptyText = Field(title="日期", description="如 周一至周五（法定节假日除外）。")
    hours: NonEmptyText = Field(title="时间", description="如 9:00–12:00，13:30–17:30。")


class Window(Model, title="窗口"):
    name: NonEmptyText = Field(title="窗口名称", description="如 3 号窗口（户籍业务）。")
    items: list[Id] = Field(
        default_factory=list, title="办理事项", description="该窗口办理的指南标识。"
    )


class Office(Completable, title="办理地点"):
    pending: list[Literal["name", "address", "hours"]] = pending_field()
    name: NonEmptyText | None = Field(title="办理地点名称", description="如 示例市政务服务中心。")
    hall: str | None = Field(default=None, title="大厅/楼层", description="如 一楼 A 区。")
    address: NonEmptyText | None = Field(
        title="地址", description="详细地址，如 示例市中心区民生路 1 号。"
    )
    windows: dict[Id, Window] = Field(
        default_factory=dict, title="窗口", description="窗口标识到窗口信息的映射。"
    )
    hours: list[OpeningHours] = Field(title="办理时间", description="对外办公时间，可写多段。")
    phones: list[Annotated[str, Field(pattern=PHONE_PATTERN)]] = Field(
        default_factory=list, title="联系电话", description="办理地点的咨询电话。"
    )
    transport: str | None = Field(
        default=None, title="交通指引", description="公交、地铁、停车等到达方式。"
    )


class FaqEntry(Model, title="常见问题"):
    question: NonEmptyText = Field(title="问题", description="群众常问的问题，用群众的话写。")
    answer: NonEmptyText = Field(title="解答", description="答复内容，引用依据时写明名称。")
    tags: list[NonEmptyText] = Field(
        default_factory=list, title="标签", description="用于检索和归类的关键词。"
    )


class MaterialCatalogue(Model, title="材料目录"):
    """材料目录"""

    entries: dict[Id, Material] = Field(
        title="材料目录", description="材料标识到材料信息的映射，每种材料只登记一次。"
    )


class LegalBasisCatalogue(Model, title="法律法规库"):
    """法律法规库"""

    entries: dict[Id, LegalBasis] = Field(
        title="法律法规库", description="依据标识到依据信息的映射，每条依据只登记一次。"
    )


class OfficeCatalogue(Model, title="办理地点目录"):
    """办理地点目录"""

    entries: dict[Id, Office] = Field(
        title="办理地点目录", description="办理地点标识到地点信息的映射。"
    )


class FaqCatalogue(Model, title="咨询问答知识库"):
    """咨询问答知识库"""

    entries: dict[Id, FaqEntry] = Field(
        title="咨询问答知识库", description="问答标识到问答内容的映射，全库共用。"
    )
