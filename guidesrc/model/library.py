"""The library configuration file, ``library.yaml`` at the root of a content library."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from guidesrc.gaps import CORE, Element
from guidesrc.model.common import Id, Model, NonEmptyText

Severity = Literal["error", "warning", "off"]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PydanticCustomError("timezone", "unknown time zone") from exc
    return name


TimeZone = Annotated[str, AfterValidator(_known_zone)]


class ChannelConfig(Model, title="发布渠道"):
    """One publishing channel; its settings are checked by the channel's adapter."""

    type: Id = Field(title="渠道类型", description="如 site（网上办事大厅）、pdf（打印）。")
    settings: dict[str, Any] = Field(
        default_factory=dict, title="渠道设置", description="由该渠道的适配器检查的设置项。"
    )


class PublishDeadline(Model, title="发布时限"):
    """指南变更审核通过后，必须在网上公开的期限（按工作日计）。"""

    working_days: int = Field(
        default=1,
        ge=1,
        le=30,
        title="工作日数",
        description=(
            "审核通过当天之后的第几个工作日结束（24:00）前必须公开，默认 1；"
            "工作日按国务院放假调休安排计算。"
        ),
    )


class Completeness(Model, title="完整性要求"):
    """审核通过前必须已知（不是“待补充”）的要素。"""

    required: list[Element] = Field(
        default_factory=lambda: list(CORE),
        title="必须已知的要素",
        description=(
            "审核通过前必须已知的要素。默认是群众办事依据的 GB/T 39046 核心要素：name 事项名称、"
            "implementing_body 实施主体、conditions 受理条件、materials 申请材料、time_limits 办结时限、"
            "fees 收费、places 办理地点（含地址和办理时间）、consult_phones 咨询电话。"
            "缺少其中任何一项的指南，guides approve 拒绝审核通过。"
        ),
    )
    allow_incomplete: bool = Field(
        default=False,
        title="允许发布不完整的指南",
        description=(
            "true：缺少必须要素的指南也可以审核发布，其网页、打印件和自助终端页面显示"
            "“本指南部分内容正在完善中，以窗口答复为准。”；false（默认）：拒绝审核通过。"
        ),
    )


class LibraryConfig(Model, title="资料库配置"):
    name: NonEmptyText = Field(title="资料库名称", description="如 示例市政务服务中心办事指南库。")
    region_code: str = Field(
        pattern=r"^\d{6}$", title="行政区划代码", description="6 位行政区划代码（GB/T 2260）。"
    )
    base_url: str = Field(
        pattern=r"^https?://[^\s]+$",
        title="网站地址",
        description="网上办事大厅中指南页面的根地址，用于二维码和链接。",
    )
    timezone: TimeZone = Field(
        default="Asia/Shanghai",
        title="时区",
        description="显示时间使用的时区，默认 Asia/Shanghai。",
    )
    publish_deadline: PublishDeadline = Field(
        default_factory=PublishDeadline,
        title="发布时限",
        description="指南变更审核通过后在网上公开的期限，默认审核通过后 1 个工作日内。",
    )
    channels: dict[Id, ChannelConfig] = Field(
        default_factory=dict, title="发布渠道", description="渠道名称到渠道配置的映射。"
    )
    change_policy: dict[str, Literal["major", "minor"]] = Field(
        default_factory=dict,
        title="变更分类规则",
        description=(
            "按字段路径调整变更类别：major 实质性变更，minor 一般性修改；"
            "路径如 materials.*.notes（* 匹配一项），最具体的规则优先。"
        ),
    )
    completeness: Completeness = Field(
        default_factory=Completeness,
        title="完整性要求",
        description="审核通过前必须已知的要素，以及是否允许发布不完整的指南。",
    )
    rules: dict[str, Severity] = Field(
        default_factory=dict,
        title="检查规则级别",
        description="按规则编号调整级别：error、warning 或 off。",
    )
