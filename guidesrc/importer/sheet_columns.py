"""The import sheets and their columns: each GB/T 39046 element, where its value goes in a guide,
how its cell is read (:mod:`guidesrc.importer.sheet`)."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from guidesrc.model import catalogues as cat_model
from guidesrc.model import codes

ITEMS, MATERIALS, LEGAL, PLACES = "事项", "申请材料", "法律法规", "办理地点"


SHEETS = (ITEMS, MATERIALS, LEGAL, PLACES)


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # the GB/T 39046 element name
    key: str  # where the value goes (see _item, _material …)
    kind: str  # how the cell is read: text, lines, list, code, codes, int, bool, limit, date, …
    required: bool  # blank means 待补充 (else: left out)
    note: str  # for editors: what to write (the template's header notes, docs/import.md)
    choices: tuple[tuple[str, Any], ...] = ()  # label → value, for code columns


def _labels(table: dict[Any, str]) -> tuple[tuple[str, Any], ...]:
    return tuple((label, code) for code, label in table.items())


def _same(*values: str) -> tuple[tuple[str, Any], ...]:
    return tuple((v, v) for v in values)


_YES_NO = (("是", True), ("否", False))


ITEM_COLUMNS = [
    Column("事项名称", "name", "text", True, "规范的事项名称，与实施清单一致。"),
    Column("实施编码", "implementation_code", "code", True, "实施清单中的实施编码，照原样填写（字母、数字和连字符，6–64 位），全库唯一；再次导入时据此找到已有指南。"),
    Column("基本编码", "basic_code", "code", True, "目录清单中的基本编码。"),
    Column("标识", "id", "id", False, "可选：指南文件名，如 hukou-qianru；不填时由实施编码生成。"),
    Column("事项类型", "item_type", "choice", True, "如 行政许可 或 01。", _labels(codes.ITEM_TYPES)),
    Column("行使层级", "exercise_level", "choice", True, "如 市级、县级、乡级、村级 或 3；只填一个。", _labels(codes.EXERCISE_LEVELS)),
    Column("实施主体", "implementing_body.name", "text", True, "实施该事项的机关或组织全称。"),
    Column("实施主体编码", "implementing_body.credit_code", "text", True, "18 位统一社会信用代码。"),
    Column("实施主体性质", "implementing_body.nature", "choice", True, "法定机关、授权组织、受委托组织或其他。", _labels(codes.BODY_NATURES)),
    Column("承办机构", "handling_bodies", "list", False, "多个用顿号或换行分隔。"),
    Column("联办机构", "joint_bodies", "list", False, "多个用顿号或换行分隔。"),
    Column("服务对象", "service_objects", "choices", True, "如 自然人、企业法人；多个用顿号分隔。", _labels(codes.SERVICE_OBJECTS)),
    Column("服务主题", "themes", "list", False, "如 户籍办理；多个用顿号分隔。"),
    Column("设定依据", "legal_basis", "legal", True, "每行一条，如《中华人民共和国行政许可法》第二十九条；条款原文可写在条款之后（“第十条：……”）；详情填在“法律法规”表。"),
    Column("受理条件", "conditions", "lines", True, "每行一条；不用写序号（1、（一）等会去掉，页面自动编号）。"),
    Column("办理流程", "procedure", "steps", True, "每行一个环节，写作“环节名称：办理内容”，如 受理：窗口核验材料。"),
    Column("法定办结时限", "statutory_time_limit", "limit", False, "如 20 个工作日；法律法规未规定时留空。"),
    Column("承诺办结时限", "promised_time_limit", "limit", True, "如 5 个工作日；即办件写 即办。"),
    Column("办件类型", "case_type", "choice", True, "即办件或承诺件；留空时按承诺时限判断（0 天为即办件）。", _same("即办件", "承诺件")),
    Column("是否收费", "fees.charged", "bool", True, "是 或 否。", _YES_NO),
    Column("收费项目", "fees.items", "fees", False, "每行一项，写作“项目名称：收费标准”，如 工本费：每证 20 元。"),
    Column("收费依据", "fee_basis", "legal", False, "收费项目的法律法规依据，写法同设定依据。"),
    Column("办理结果", "results", "lines", False, "每行一个结果名称，如《居民户口簿》。"),
    Column("结果类型", "result_kind", "choice", False, "证照、批文或其他（适用于本行全部结果）。", _same("证照", "批文", "其他")),
    Column("办理地点", "places", "places", True, "地点名称，多个用顿号或换行分隔；地址和时间填在“办理地点”表。"),
    Column("咨询电话", "consult_phones", "phones", True, "如 020-12345678；多个用顿号分隔；可写单位，如 城东派出所：0431-81234567；说明写在号码后的括号里。"),
    Column("监督投诉电话", "complaint_phones", "phones", True, "如 12345。"),
    Column("到办事现场次数", "onsite_visits.count", "int", True, "0 表示零跑动。"),
    Column("必须到现场原因", "onsite_visits.reason", "text", False, "到现场次数大于 0 时填写。"),
    Column("办理形式", "handling_forms", "choices", True, "如 窗口办理、网上办理；多个用顿号分隔。", _labels(codes.HANDLING_FORMS)),
    Column("网上办理地址", "online.url", "url", False, "以 https:// 或 http:// 开头。"),
    Column("网上办理深度", "online.depth", "choice", False, "信息公开、在线预审、在线受理或全程网办。", _labels(codes.ONLINE_DEPTHS)),
    Column("通办范围", "scope", "choice", False, "跨省通办、全省通办、全市通办、全区通办或不通办。", _same("跨省通办", "全省通办", "全市通办", "全区通办", "不通办")),
    Column("支持预约办理", "appointment", "bool", False, "是 或 否。", _YES_NO),
    Column("支持物流快递", "express_delivery", "bool", False, "是 或 否。", _YES_NO),
    Column("支持网上支付", "online_payment", "bool", False, "是 或 否。", _YES_NO),
    Column("公开属性", "disclosure", "choice", False, "主动公开、依申请公开或不予公开。", _same("主动公开", "依申请公开", "不予公开")),
    Column("事项状态", "status", "choice", False, "在用、暂停或已取消。", _same("在用", "暂停", "已取消")),
    Column("具体实施时间", "effective_date", "date", True, "如 2026-12-01。"),
]  # fmt: skip


MATERIAL_COLUMNS = [
    Column("实施编码", "code", "code", True, "所属事项的实施编码（“事项”表中的）。"),
    Column("材料名称", "name", "text", True, "规范名称；同名材料在各事项间共用一个目录条目。整项待补充时写 待补充。"),
    Column("材料类型", "kind", "choice", True, "证件证照、申请表格文书、证明文件或其他。", _same(*typing.get_args(cat_model.MaterialKind))),
    Column("出具单位", "issuer", "text", False, "申请人自备时留空。"),
    Column("材料说明", "description", "text", False, "材料的内容、格式等说明。"),
    Column("材料依据", "legal_basis", "legal", True, "要求提交该材料的法律法规，写法同设定依据。"),
    Column("材料形式", "form", "choice", True, "原件、复印件，或原件和复印件。", _same("原件", "复印件", "原件和复印件")),
    Column("材料载体", "medium", "choice", True, "纸质、电子，或纸质或电子。", _same("纸质", "电子", "纸质或电子")),
    Column("原件份数", "original_count", "int", True, "不需要原件时填 0。"),
    Column("复印件份数", "copy_count", "int", True, "不需要复印件时填 0。"),
    Column("来源渠道", "source", "choice", True, "申请人自备、政府部门核发或其他。", _same("申请人自备", "政府部门核发", "其他")),
    Column("必要性", "necessity", "choice", True, "必要、非必要或容缺后补。", _same("必要", "非必要", "容缺后补")),
    Column("适用情形", "condition", "text", False, "仅某种情形下需要时填写，如 委托他人办理的。"),
    Column("填报须知", "notes", "text", False, "签字盖章等要求。"),
]  # fmt: skip


LEGAL_COLUMNS = [
    Column("依据名称", "title", "text", True, "如《中华人民共和国行政许可法》。"),
    Column("条款", "article", "text", False, "如 第二十九条。"),
    Column("条款内容", "text", "text", False, "依据条款的原文。"),
    Column("制定机关", "issuer", "text", True, "制定或发布该依据的机关。"),
    Column("效力层级", "level", "choice", True, "法律、行政法规、地方性法规、部门规章、地方政府规章、规范性文件或其他。", _same(*typing.get_args(cat_model.LegalLevel))),
    Column("文号", "document_number", "text", False, "如 国务院令第 412 号。"),
    Column("施行日期", "in_force_from", "date", True, "如 2004-07-01。"),
    Column("废止日期", "repealed_on", "date", False, "已废止时填写。"),
]  # fmt: skip


PLACE_COLUMNS = [
    Column("地点名称", "name", "text", True, "与“事项”表“办理地点”列中的名称一致。"),
    Column("地址", "address", "text", True, "详细地址。"),
    Column("大厅楼层", "hall", "text", False, "如 一楼 A 区。"),
    Column("办理时间", "hours", "hours", True, "每行一段，写作“日期 时间”，如 周一至周五 9:00–12:00，13:30–17:30；分季节的时间写成几段（或同一地点名称写几行）。"),
    Column("联系电话", "phones", "phones", False, "多个用顿号分隔。"),
    Column("交通指引", "transport", "text", False, "公交、地铁、停车等。"),
]  # fmt: skip


COLUMNS = {
    ITEMS: ITEM_COLUMNS,
    MATERIALS: MATERIAL_COLUMNS,
    LEGAL: LEGAL_COLUMNS,
    PLACES: PLACE_COLUMNS,
}


#: Columns without which a sheet's rows cannot be imported at all.
IDENTITY = {ITEMS: ("实施编码", "事项名称"), MATERIALS: ("实施编码", "材料名称"),
            LEGAL: ("依据名称",), PLACES: ("地点名称",)}  # fmt: skip


SHEET_NOTES = {
    ITEMS: "一行一个事项。",
    MATERIALS: "一行一项申请材料，用实施编码对应到事项。",
    LEGAL: "一行一条依据（可选）：其他表引用的依据在这里写明制定机关、效力层级和施行日期。",
    PLACES: "一行一个办理地点（可选）。",
}


Row = tuple[int, dict[str, Any]]  # (line, header → raw value)
