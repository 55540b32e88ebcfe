"""The guide (办事指南) of one service item, after GB/T 39046-2020 (政务服务事项基本目录及实施清单).

Field names are English; values that editors choose from are the Chinese terms of the standard
(``必要``, ``工作日``, ``主动公开``) or its numeric codes (事项类型 ``"01"``), so the YAML reads the way a
service centre speaks. A code field also takes the code's name (``item_type: 行政许可``), read as the
code: compiled guides always carry the code. Labels for the codes live in :mod:`guidesrc.model.codes`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from guidesrc.model import code_labels as labels
from guidesrc.model.common import (
    PHONE_PATTERN,
    Completable,
    Id,
    IsoDate,
    Model,
    NonEmptyText,
    NotBool,
    TimeLimit,
    coded,
    pending_field,
)

# Each code field also takes the code's name (行政许可 for "01"): see common.coded.
_ITEM = coded(labels.ITEM_TYPES)
ItemType = Annotated[
    Literal["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"], _ITEM[0], _ITEM[1]
]
_LEVEL, _NATURE, _OBJECT = (
    coded(labels.EXERCISE_LEVELS),
    coded(labels.BODY_NATURES),
    coded(labels.SERVICE_OBJECTS),
)
_FORM, _DEPTH = coded(labels.HANDLING_FORMS), coded(labels.ONLINE_DEPTHS)
ExerciseLevel = Annotated[Literal[1, 2, 3, 4, 5, 6, 7], NotBool, _LEVEL[0], _LEVEL[1]]
BodyNature = Annotated[Literal[1, 2, 3, 9], NotBool, _NATURE[0], _NATURE[1]]
ServiceObject = Annotated[Literal[1, 2, 3, 4, 5, 6], NotBool, _OBJECT[0], _OBJECT[1]]
HandlingForm = Annotated[Literal[1, 2, 3, 4, 9], NotBool, _FORM[0], _FORM[1]]
OnlineDepth = Annotated[Literal[1, 2, 3, 4], NotBool, _DEPTH[0], _DEPTH[1]]
MaterialForm = Literal["原件", "复印件", "原件和复印件"]
MaterialMedium = Literal["纸质", "电子", "纸质或电子"]
MaterialSource = Literal["申请人自备", "政府部门核发", "其他"]
Necessity = Literal["必要", "非必要", "容缺后补"]
CaseType = Literal["即办件", "承诺件"]
ResultKind = Literal["证照", "批文", "其他"]
Disclosure = Literal["主动公开", "依申请公开", "不予公开"]
GuideStatus = Literal["在用", "暂停", "已取消"]
ServiceScope = Literal["跨省通办", "全省通办", "全市通办", "全区通办", "不通办"]

CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
CODE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z-]{4,62}[0-9A-Za-z]$"
# Relative path inside the library; no segment may start with "." (so no "..", no hidden files).
FILE_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$"

Phone = Field(pattern=PHONE_PATTERN, title="电话号码", description="如 0755-12345678、12345。")


class ImplementingBody(Completable, title="实施主体"):
    pending: list[Literal["name", "credit_code", "nature"]] = pending_field()
    name: NonEmptyText | None = Field(
        title="实施主体名称", description="实施该事项的机关或组织全称。"
    )
    credit_code: str | None = Field(
        pattern=CREDIT_CODE_PATTERN,
        title="统一社会信用代码",
        description="18 位统一社会信用代码（GB 32100），含校验位。",
    )
    nature: BodyNature | None = Field(
        title="实施主体性质",
        description="1 法定机关；2 授权组织；3 受委托组织；9 其他。填代码或名称均可。",
    )


class MaterialRequirement(Completable, title="申请材料要求"):
    pending: list[
        Literal["form", "medium", "original_count", "copy_count", "source", "necessity"]
    ] = pending_field()
    material: Id = Field(
        title="材料", description="材料目录（catalogues/materials.yaml）中的标识。"
    )
    form: MaterialForm | None = Field(
        title="材料形式", description="原件、复印件，或原件和复印件。"
    )
    medium: MaterialMedium | None = Field(
        title="材料载体", description="纸质、电子，或纸质或电子均可。"
    )
    original_count: int | None = Field(
        ge=0, le=99, title="原件份数", description="需提交的原件份数，不需要原件时为 0。"
    )
    copy_count: int | None = Field(
        ge=0, le=99, title="复印件份数", description="需提交的复印件份数，不需要复印件时为 0。"
    )
    source: MaterialSource | None = Field(
        title="来源渠道", description="申请人自备、政府部门核发或其他。"
    )
    necessity: Necessity | None = Field(title="必要性", description="必要、非必要或容缺后补。")
    condition: str | None = Field(
        default=None,
        title="适用情形",
        description="仅在某种情形下才需提交时填写，如“委托他人办理的”。",
    )
    notes: str | None = Field(
        default=None, title="填报须知", description="填写要求、签字盖章要求等。"
    )
    blank_form: str | None = Field(
        default=None,
        pattern=FILE_PATTERN,
        title="空白表格",
        description="资料库 files/ 目录下的文件路径。",
    )
    sample_form: str | None = Field(
        default=None,
        pattern=FILE_PATTERN,
        title="示例样表",
        description="资料库 files/ 目录下的文件路径。",
    )
    legal_basis: list[Id] = Field(
        default_factory=list,
        title="补充依据",
        description="除材料目录中已登记的依据外，本事项要求该材料的法律法规依据。",
    )


class Step(Model, title="办理环节"):
    name: NonEmptyText = Field(title="环节名称", description="如 受理、审查、决定、送达。")
    description: NonEmptyText = Field(title="办理内容", description="该环节做什么、由谁做。")
    time_limit: TimeLimit | None = Field(
        default=None, title="环节时限", description="该环节的办理时限（可选）。"
    )


class FeeItem(Model, title="收费项目"):
    name: NonEmptyText = Field(title="收费项目名称", description="如 工本费。")
    standard: NonEmptyText = Field(title="收费标准", description="如“每证 10 元”。")
    legal_basis: list[Id] = Field(
        default_factory=list,
        title="收费依据",
        description="法律法规库中的标识；每个收费项目至少一项。",
    )


class Fees(Completable, title="收费"):
    pending: list[Literal["charged", "items"]] = pending_field()
    charged: bool | None = Field(
        title="是否收费", description="true 收费；false 不收费（页面显示“不收费”）。"
    )
    items: list[FeeItem] = Field(
        default_factory=list,
        title="收费项目",
        description="收费时逐项列出标准和依据；不收费时留空。",
    )


class Result(Completable, title="办理结果"):
    pending: list[Literal["kind"]] = pending_field()
    name: NonEmptyText = Field(title="结果名称", description="如《居民户口簿》。")
    kind: ResultKind | None = Field(title="结果类型", description="证照、批文或其他。")
    sample: str | None = Field(
        default=None, pattern=FILE_PATTERN, title="结果样本", description="files/ 下的文件路径。"
    )


class OnsiteVisits(Completable, title="到办事现场次数"):
    pending: list[Literal["count", "reason"]] = pending_field()
    count: int | None = Field(
        ge=0, le=9, title="到办事现场次数", description="申请人需要到现场的次数，0 表示零跑动。"
    )
    reason: str | None = Field(
        default=None, title="必须到现场原因", description="到现场次数大于 0 时必须说明原因。"
    )


class Online(Model, title="网上办理"):
    url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        title="网上办理地址",
        description="网上办事大厅中该事项的办理地址。",
    )
    depth: OnlineDepth | None = Field(
        default=None,
        title="网上办理深度",
        description="1 信息公开；2 在线预审；3 在线受理；4 全程网办。填代码或名称均可。",
    )


class Contact(Model, title="联系电话"):
    phone: str = Phone
    note: str | None = Field(default=None, title="说明", description="如“工作日 9:00–17:00”。")


GuideGap = Literal[
    "basic_code", "item_type", "exercise_level", "service_objects", "legal_basis", "conditions",
    "materials", "procedure", "statutory_time_limit", "promised_time_limit", "case_type",
    "results", "places", "consult_phones", "complaint_phones", "handling_forms", "effective_date",
]  # fmt: skip


class Guide(Completable, title="办事指南"):
    """办事指南：一个政务服务事项的全部公开信息。"""

    pending: list[GuideGap] = pending_field()
    id: Id = Field(
        title="指南标识", description="与文件名一致，如 hukou-qianru.yaml 的标识为 hukou-qianru。"
    )
    name: NonEmptyText = Field(
        title="事项名称", description="规范的事项名称，与目录清单一致。", max_length=200
    )
    basic_code: str | None = Field(
        pattern=CODE_PATTERN, title="基本编码", description="目录清单中的基本编码。"
    )
    implementation_code: str = Field(
        pattern=CODE_PATTERN, title="实施编码", description="实施清单中的实施编码，全库唯一。"
    )
    item_type: ItemType | None = Field(
        title="事项类型",
        description=(
            "01 行政许可；02 行政处罚；03 行政强制；04 行政征收；05 行政给付；06 行政检查；"
            '07 行政确认；08 行政奖励；09 行政裁决；10 其他行政权力；20 公共服务。填代码（请加引号，如 "01"）或名称（如 行政许可）。'
        ),
    )
    exercise_level: ExerciseLevel | None = Field(
        title="行使层级",
        description=(
            "1 国家级；2 省级；3 市级；4 县级；5 镇（乡、街道）级；6 村（社区）级；7 其他。"
            "填代码或名称均可。"
        ),
    )
    implementing_body: ImplementingBody = Field(
        title="实施主体", description="实施该事项的机关或组织。"
    )
    handling_bodies: list[NonEmptyText] = Field(
        default_factory=list, title="承办机构", description="具体承办的内设机构或下级单位名称。"
    )
    joint_bodies: list[NonEmptyText] = Field(
        default_factory=list, title="联办机构", description="需要共同办理的其他部门名称。"
    )
    service_objects: list[ServiceObject] = Field(
        title="服务对象",
        description=(
            "1 自然人；2 企业法人；3 事业法人；4 社会组织法人；5 非法人企业；6 行政机关。"
            "填代码或名称均可，如 [1, 企业法人]。"
        ),
    )
    themes: list[NonEmptyText] = Field(
        default_factory=list, title="服务主题", description="如 户籍办理、社会保障。"
    )
    legal_basis: list[Id] = Field(title="设定依据", description="法律法规库中的标识。")
    conditions: list[NonEmptyText] = Field(title="受理条件", description="每条一项。")
    materials: list[MaterialRequirement] | None = Field(
        default=None,
        title="申请材料",
        description=(
            "申请人需要提交的材料清单，每项引用材料目录。确实不需要提交材料时写 materials: []；"
            "省略表示来源没有说明（页面显示“待补充”，不会显示“无需提交申请材料”）。"
        ),
    )
    procedure: list[Step] = Field(title="办理流程", description="按顺序列出办理环节。")
    statutory_time_limit: TimeLimit | None = Field(
        default=None, title="法定办结时限", description="法律法规未规定时省略。"
    )
    promised_time_limit: TimeLimit | None = Field(
        title="承诺办结时限", description="本中心承诺的办结时间，不得超过法定办结时限。"
    )
    case_type: CaseType | None = Field(title="办件类型", description="即办件或承诺件。")
    fees: Fees = Field(title="收费", description="是否收费及收费项目。")
    results: list[Result] | None = Field(
        default=None,
        title="办理结果",
        description=(
            "办结后申请人得到的证照、批文等。没有证照或批文时写 results: []；"
            "省略表示来源没有说明（待补充）。"
        ),
    )
    places: list[Id] = Field(
        title="办理地点",
        description="办理地点目录中的标识；地址、窗口和时间从目录读取。",
    )
    consult_phones: list[Contact] = Field(title="咨询电话", description="群众咨询该事项的电话。")
    complaint_phones: list[Contact] = Field(
        title="监督投诉电话", description="受理投诉的电话，如 12345。"
    )
    onsite_visits: OnsiteVisits = Field(
        title="到办事现场次数", description="到现场次数及必须到现场的原因。"
    )
    handling_forms: list[HandlingForm] = Field(
        title="办理形式",
        description="1 窗口办理；2 网上办理；3 快递申请；4 自助终端；9 其他。填代码或名称均可。",
    )
    online: Online = Field(
        default_factory=Online, title="网上办理", description="网上办理地址和深度。"
    )
    scope: ServiceScope | None = Field(
        default=None,
        title="通办范围",
        description=(
            "跨省通办、全省通办、全市通办、全区通办或不通办。省略表示来源没有说明"
            "（页面显示“待补充”，不会显示“不通办”）。"
        ),
    )
    appointment: bool | None = Field(
        default=None,
        title="支持预约办理",
        description="true 可网上或电话预约；false 不支持；省略表示来源没有说明（待补充）。",
    )
    express_delivery: bool | None = Field(
        default=None,
        title="支持物流快递",
        description="true 材料或结果可邮寄；false 不支持；省略表示来源没有说明（待补充）。",
    )
    online_payment: bool | None = Field(
        default=None,
        title="支持网上支付",
        description="true 费用可网上缴纳；false 不支持；省略表示来源没有说明（待补充）。",
    )
    faq: list[Id] = Field(
        default_factory=list, title="常见问题", description="咨询问答知识库中的标识。"
    )
    disclosure: Disclosure = Field(
        default="主动公开", title="公开属性", description="只有主动公开的指南会发布。"
    )
    status: GuideStatus = Field(
        default="在用", title="事项状态", description="在用、暂停或已取消。"
    )
    version: int | None = Field(
        default=None, ge=1, title="版本号", description="由编辑维护的版本号（可选）。"
    )
    effective_date: IsoDate | None = Field(
        title="具体实施时间", description="本版本指南开始实施的日期，如 2026-12-01。"
    )
