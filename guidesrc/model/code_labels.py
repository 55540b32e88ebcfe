"""Labels of the codes the guide schema uses (GB/T 39046-2020), by field: a module of data only,
so that error messages can name each code's meaning without importing the models."""

from __future__ import annotations

ITEM_TYPES = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
    "06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
    "20": "公共服务",
}  # fmt: skip
EXERCISE_LEVELS = {
    1: "国家级",
    2: "省级",
    3: "市级",
    4: "县级",
    5: "镇（乡、街道）级",
    6: "村（社区）级",
    7: "其他",
}
BODY_NATURES = {1: "法定机关", 2: "授权组织", 3: "受委托组织", 9: "其他"}
SERVICE_OBJECTS = {
    1: "自然人",
    2: "企业法人",
    3: "事业法人",
    4: "社会组织法人",
    5: "非法人企业",
    6: "行政机关",
}
HANDLING_FORMS = {1: "窗口办理", 2: "网上办理", 3: "快递申请", 4: "自助终端", 9: "其他"}
ONLINE_DEPTHS = {1: "信息公开", 2: "在线预审", 3: "在线受理", 4: "全程网办"}


#: The code tables by the name of the field that holds the code.
BY_FIELD: dict[str, dict[str, str] | dict[int, str]] = {
    "item_type": ITEM_TYPES,
    "exercise_level": EXERCISE_LEVELS,
    "nature": BODY_NATURES,
    "service_objects": SERVICE_OBJECTS,
    "handling_forms": HANDLING_FORMS,
    "depth": ONLINE_DEPTHS,
}
