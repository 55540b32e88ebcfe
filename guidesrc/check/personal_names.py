"""The name-and-home-address heuristic of :mod:`guidesrc.check.personal`.

A private person named next to where they live: ``陈建国，住广州市天河区体育东路112号``,
``姓名：李秀英 家住城东村5组``, ``申请人王志强（住址：…3栋501室）``. Three things must hold, in the
normalised text (full-width punctuation already ASCII):

1. a name: a common surname (the 200 most frequent, and the compound ones) and one or two
   characters, standing at the start of a sentence or clause, or after a label (姓名, 申请人,
   如 …);
2. straight after it, a home-address marker: 家住, 现住, 住址, or after a comma or bracket
   住, 住在, 居住在, 户籍地址 (not 住房, 住所, 住宅, 住宿: those are about housing);
3. within 40 characters, a house number: digits or Chinese numerals before 号, 室, 栋, 幢, 弄,
   组 or 单元.

Placeholders (张某, 李XX, 王×) and words that begin with a surname's character (农户, 高龄,
申请人 …) are not names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
    "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师"
    "和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|轩辕|令狐|钟离|端木|南宫"
)
_LABELS = (
    "姓名",
    "申请人",
    "当事人",
    "户主",
    "联系人",
    "本人",
    "居民",
    "村民",
    "委托人",
    "代理人",
    "如",
)
_HAN = "\u4e00-\u9fff"

# The home-address marker; what stands before it may be a name, what follows an address.
_MARKER_RE = re.compile(
    r"[,，、(（]\s*(?:住(?![房所宅宿])(?:在|于|址[:：]?)?|居住(?:在|于|地[:：]?)|户籍(?:地址|所在地)[:：]?)"
    r"|家住|现住(?:址[:：]?)?|住址[:：]?"
)
_NAME_BEFORE_RE = re.compile(
    "(?:^|(?<![" + _HAN + "])" + "".join(f"|(?<={label})" for label in _LABELS) + ")"
    r"(?:[:：]\s*)?"
    "(?P<name>(?:" + _COMPOUND + "|[" + _SURNAMES + "])[" + _HAN + "]{1,2})\\s*[,，、]?\\s*$"
)
_HOUSE_NUMBER_RE = re.compile(
    r"[^\n。;；]{1,40}?(?:[0-9]+|[一二三四五六七八九十百零〇两]+)(?:号|室|栋|幢|弄|组|单元)"
)
_NAME_WINDOW = 10  # characters before a marker where a name (and its label) may stand


def may_name_address(text: str) -> bool:
    return "住" in text or "户籍" in text


def names_with_address(text: str) -> Iterator[tuple[str, int, int]]:
    """(name, start, end) of each name followed by a home address with a house number."""
    for marker in _MARKER_RE.finditer(text):
        start = marker.start()
        name = _NAME_BEFORE_RE.search(text, max(0, start - _NAME_WINDOW), start)
        if name is None or is_placeholder(name.group("name")):
            continue
        address = _HOUSE_NUMBER_RE.match(text, marker.end())
        if address is not None:
            yield name.group("name"), name.start("name"), address.end()


_PLACEHOLDER_RE = re.compile(r"[某XxＸ×*＊○〇甲乙丙]")
_WORDS = frozenset(
    [
        "申请",
        "申报",
        "农户",
        "高龄",
        "业主",
        "房主",
        "华侨",
        "常住",
        "暂住",
        "居住",
        "单位",
        "成员",
        "家庭",
        "个人",
        "本人",
        "用户",
        "住户",
        "商户",
        "村民",
        "居民",
        "户主",
        "法人",
        "公司",
        "项目",
        "管理",
        "路段",
        "关于",
        "金额",
        "党员",
        "师傅",
        "包括",
        "费用",
        "符合",
        "毕业",
        "卫生",
        "施工",
        "简易",
        "经营",
        "安置",
        "文件",
        "明确",
        "应当",
        "全体",
        "时间",
        "司法",
        "车辆",
        "房屋",
        "解除",
    ]
)


def is_placeholder(name: str) -> bool:
    """张某, 李XX, and words that only begin like a name (农户, 高龄老人)."""
    return _PLACEHOLDER_RE.search(name) is not None or name[:2] in _WORDS
