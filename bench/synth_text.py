"""Synthetic Chinese text for generated guides, from small vocabularies written for this tool.

Nothing here comes from real guides: the words are ordinary administrative vocabulary, combined at
random, so the text reads like a guide without describing any real service. The fictional region is
示例省示例市 (region code 9901xx, telephone area code 0990), as in the project's skeleton.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CITY = "示例市"
PROVINCE = "示例省"
AREA_CODE = "0990"

#: (slug, name, region code) of the city and its districts; guides of the city come first.
REGIONS = [
    ("shi", "示例市", "990100"),
    ("zhongxin", "示例市中心区", "990102"),
    ("dongcheng", "示例市东城区", "990103"),
    ("xicheng", "示例市西城区", "990104"),
    ("nanhu", "示例市南湖区", "990105"),
    ("beishan", "示例市北山区", "990106"),
]


@dataclass(frozen=True, slots=True)
class Bureau:
    slug: str
    name: str
    topics: tuple[str, ...]  # the subjects of its service items


BUREAUS = [
    Bureau("gongan", "公安局", ("户口迁移", "居民身份证", "临时居住登记", "养犬登记", "旅馆业特种行业许可")),
    Bureau("minzheng", "民政局", ("社会团体登记", "民办非企业单位登记", "婚姻登记", "最低生活保障", "养老机构备案")),
    Bureau("renshe", "人力资源和社会保障局", ("社会保险登记", "就业登记", "职业技能等级认定", "人力资源服务许可", "工伤认定")),
    Bureau("ziran", "自然资源局", ("建设用地规划许可", "不动产登记", "采矿权登记", "土地复垦方案审查", "测绘资质审批")),
    Bureau("shengtai", "生态环境局", ("排污许可", "建设项目环境影响评价", "危险废物经营许可", "辐射安全许可", "环境监测")),
    Bureau("zhujian", "住房和城乡建设局", ("建筑工程施工许可", "商品房预售许可", "竣工验收备案", "房屋租赁登记备案", "物业服务企业备案")),
    Bureau("jiaotong", "交通运输局", ("道路运输经营许可", "出租汽车驾驶员从业资格", "机动车维修经营备案", "公路超限运输许可", "港口经营许可")),
    Bureau("shuiwu", "水务局", ("取水许可", "河道管理范围内建设项目审批", "城镇污水排入排水管网许可", "水土保持方案审批", "城市供水")),
    Bureau("nongye", "农业农村局", ("农药经营许可", "兽药经营许可", "种子生产经营许可", "动物防疫条件审查", "渔业捕捞许可")),
    Bureau("shangwu", "商务局", ("对外贸易经营者备案", "单用途预付卡备案", "再生资源回收经营者备案", "成品油零售经营资格", "拍卖企业设立")),
    Bureau("wenlv", "文化广电旅游局", ("营业性演出许可", "娱乐场所经营许可", "旅行社设立许可", "互联网上网服务营业场所许可", "广播电视节目制作经营许可")),
    Bureau("weijian", "卫生健康委员会", ("医疗机构执业登记", "医师执业注册", "护士执业注册", "公共场所卫生许可", "母婴保健技术服务许可")),
    Bureau("yingji", "应急管理局", ("危险化学品经营许可", "烟花爆竹经营许可", "安全生产许可", "生产安全事故应急预案备案", "安全评价机构资质")),
    Bureau("shichang", "市场监督管理局", ("企业设立登记", "食品经营许可", "特种设备使用登记", "个体工商户登记", "药品零售许可")),
    Bureau("yibao", "医疗保障局", ("基本医疗保险参保登记", "医疗费用报销", "异地就医备案", "门诊特定病种待遇认定", "生育保险待遇")),
    Bureau("jiaoyu", "教育局", ("教师资格认定", "民办学校设立", "中小学学籍管理", "校外培训机构审批", "学生资助")),
    Bureau("keji", "科学技术局", ("高新技术企业认定", "科技计划项目立项", "技术合同认定登记", "外国人来华工作许可", "科技企业孵化器认定")),
    Bureau("gongxin", "工业和信息化局", ("技术改造项目备案", "无线电台执照", "民用爆炸物品销售许可", "中小企业认定", "工业产品生产许可")),
    Bureau("sifa", "司法局", ("法律援助", "律师执业许可", "公证员执业", "人民调解", "司法鉴定许可")),
    Bureau("caizheng", "财政局", ("政府采购供应商登记", "代理记账许可", "非税收入缴款", "财政票据领购", "会计人员信息采集")),
    Bureau("linye", "林业局", ("林木采伐许可", "野生动物人工繁育许可", "使用林地审核", "植物检疫证书", "古树名木迁移审批")),
    Bureau("tuiyi", "退役军人事务局", ("退役士兵安置", "优抚对象抚恤", "烈士褒扬", "退役军人优待证", "军人家属随军")),
    Bureau("chengguan", "城市管理和综合执法局", ("户外广告设置许可", "城市道路占用许可", "建筑垃圾处置核准", "燃气经营许可", "城市绿地占用审批")),
    Bureau("gongjijin", "住房公积金管理中心", ("住房公积金缴存登记", "住房公积金提取", "住房公积金贷款", "缴存比例调整", "住房公积金转移接续")),
    Bureau("renfang", "人民防空办公室", ("防空地下室易地建设", "人防工程竣工验收备案", "人防警报设施拆除", "人防工程拆除审批", "人防工程平时使用")),
    Bureau("tiyu", "体育局", ("高危险性体育项目经营许可", "社会体育指导员", "运动员技术等级认定", "体育赛事活动备案", "体育类社会组织登记")),
    Bureau("minzong", "民族宗教事务局", ("宗教活动场所登记", "宗教临时活动地点审批", "少数民族身份变更", "宗教教职人员备案", "宗教院校设立")),
    Bureau("qixiang", "气象局", ("防雷装置设计审核", "施放气球活动许可", "雷电防护装置检测资质", "气象探测环境保护", "气象信息服务备案")),
    Bureau("canlian", "残疾人联合会", ("残疾人证办理", "残疾人就业保障金", "残疾人辅助器具适配", "残疾人康复救助", "残疾人职业培训")),
    Bureau("fagai", "发展和改革委员会", ("企业投资项目备案", "固定资产投资项目节能审查", "价格认定", "粮食收购资格", "招标方案核准")),
    Bureau("shuiwuju", "税务局", ("发票领用", "纳税人登记", "税收优惠备案", "完税证明开具", "涉税信息查询")),
]  # fmt: skip

_ACTIONS = (
    "",
    "核发",
    "变更",
    "延续",
    "注销",
    "补办",
    "申请",
    "审核",
    "确认",
    "查询",
    "换发",
    "迁移",
)
_QUALIFIERS = (
    "", "（新办）", "（个人申请）", "（单位申请）", "（跨区办理）", "（变更法定代表人）",
    "（委托办理）", "（遗失补领）", "（到期换证）", "（简易程序）",
)  # fmt: skip
_SECTIONS = ("行政审批科", "政务服务科", "综合科", "法规科", "业务管理科", "登记管理科", "服务中心")
_THEMES = (
    "户籍办理", "社会保障", "就业创业", "医疗卫生", "交通出行", "教育科研", "住房保障", "婚姻生育",
    "证件办理", "规划建设", "环保绿化", "文化体育", "市场准入", "公用事业", "农林牧渔", "司法公证",
    "安全生产", "优待抚恤", "纳税缴费", "资质认证",
)  # fmt: skip

# Materials: (name, kind, issuer, id) of the few everyone asks for, then the parts of the rest.
COMMON_MATERIALS = [
    ("居民身份证", "证件证照", "公安机关", "jumin-shenfenzheng"),
    ("居民户口簿", "证件证照", "公安机关", "jumin-hukoubu"),
    ("营业执照", "证件证照", "市场监督管理部门", "yingye-zhizhao"),
    ("授权委托书", "申请表格文书", None, "shouquan-weituoshu"),
    ("近期免冠彩色照片", "其他", None, "mianguan-zhaopian"),
    ("统一社会信用代码证明", "证件证照", "登记管理机关", "xinyong-daima"),
]
_HOLDERS = (
    "申请人", "法定代表人", "委托代理人", "申请单位", "监护人", "配偶", "房屋所有权人", "经办人",
    "项目单位", "从业人员", "主要负责人", "股东", "承租人", "施工单位", "设计单位", "技术负责人",
    "户主", "继承人", "安全管理人员", "专业技术人员",
)  # fmt: skip
_DOCUMENTS = {
    "证件证照": ("居民身份证", "护照", "居住证", "社会保障卡", "执业证书", "资格证书", "毕业证书",
                 "学位证书", "不动产权证书", "机动车驾驶证", "结婚证", "职称证书"),
    "申请表格文书": ("申请表", "申请书", "登记表", "承诺书", "情况说明", "审批表", "备案表",
                     "变更申请表", "注销申请书", "申报书", "可行性研究报告", "自查报告"),
    "证明文件": ("收入证明", "在职证明", "无犯罪记录证明", "婚姻状况证明", "居住证明", "健康证明",
                 "检测报告", "验收报告", "评估报告", "审计报告", "场所使用证明", "产权证明",
                 "劳动合同", "学历证明", "亲属关系证明", "资信证明"),
    "其他": ("平面布置图", "租赁合同", "章程", "会议决议", "财务报表", "技术方案", "管理制度文本",
             "设备清单", "人员名单", "应急预案", "现场照片", "工作总结"),
}  # fmt: skip
_ISSUERS = {
    "证件证照": ("公安机关", "发证机关", "教育行政部门", "人力资源社会保障部门", "不动产登记机构"),
    "证明文件": ("所在单位", "医疗机构", "检测机构", "村（居）民委员会", "会计师事务所", "公安机关"),
}  # fmt: skip

_SUBJECTS = (
    "申请人", "申请单位", "本市户籍居民", "持有效居住证的人员", "依法设立的企业", "个体工商户",
    "依法登记的社会组织", "年满十八周岁的公民", "在本市注册的法人单位", "项目建设单位",
)  # fmt: skip
_REQUIREMENTS = (
    "具有完全民事行为能力", "具有与所申请事项相适应的场所、设施和设备", "有健全的管理制度和安全措施",
    "近三年内无严重违法失信记录", "已依法取得营业执照", "配备符合规定的专业技术人员",
    "已按规定缴纳相关费用", "提交的材料真实、完整、有效", "符合国家产业政策和本市规划要求",
    "未被列入经营异常名录或者严重违法失信名单", "已取得相关行政许可", "从业人员经培训合格",
    "符合国家标准和技术规范的要求", "在本市有固定的经营场所", "有明确的服务范围和收费标准",
    "具备相应的资金和偿付能力", "符合法律、法规规定的其他条件", "申请事项属于本机关管辖范围",
)  # fmt: skip
_NUMBERS = "零一二三四五六七八九"

_STEP_TEXT = {
    "申请": ("申请人通过窗口或网上办事大厅提交申请材料", "申请人按照申请材料清单准备材料并提出申请",
             "网上申请的，上传材料的电子文件，并对材料的真实性作出承诺"),
    "受理": ("窗口工作人员核验申请材料，材料齐全、符合法定形式的当场受理",
             "材料不齐全或者不符合法定形式的，一次性告知申请人需要补正的全部内容",
             "不属于本机关职权范围的，不予受理并告知申请人向有关机关申请"),
    "审查": ("承办机构对申请材料进行审查，必要时组织现场核查", "审查人员提出审查意见并报送审批",
             "需要听证、检验、检测或者专家评审的，书面告知申请人所需时间"),
    "决定": ("作出准予或者不予许可的书面决定", "不予批准的，书面说明理由并告知申请人依法享有的权利",
             "决定结果在网上办事大厅同步公开，申请人可凭受理编号查询"),
    "办结": ("窗口当场办结并告知申请人办理结果", "办理结果通过短信或者网上办事大厅告知申请人",
             "申请人对办理结果有异议的，可以向窗口负责人反映"),
    "送达": ("申请人可到窗口领取办理结果，也可选择免费邮寄送达", "电子证照同步推送至申请人账户",
             "委托他人领取的，受托人须出示授权委托书和本人身份证明"),
}  # fmt: skip
_MATERIAL_NOTES = (
    "提供原件核验，复印件应注明“与原件一致”并由申请人签字。", "须加盖申请单位公章。",
    "应在有效期内。", "委托他人办理的，还须提供受托人的身份证明。", "A4 纸打印，一式两份。",
    "内容应当真实、完整，涂改无效。", "已通过电子证照库共享的，可免于提交。",
    "境外形成的材料须经公证认证，并附中文译本。", "表格可在窗口领取，也可在网上办事大厅下载。",
)  # fmt: skip
_TIME_LIMIT_NOTES = (
    "不含补正材料、现场核查和专家评审所需时间。", "不含公示、听证和公告时间。",
    "自受理之日起计算，不含申请人补正材料的时间。", "需要检验、检测、鉴定的，所需时间不计算在内。",
)  # fmt: skip
_FAQ_QUESTIONS = (
    "办理{name}需要本人到场吗？", "{name}的办理时限是多久？", "{name}可以网上申请吗？",
    "{name}需要缴纳费用吗？", "非本市户籍人员可以申请{name}吗？", "{name}的办理结果如何领取？",
    "申请{name}的材料不齐全怎么办？", "委托他人办理{name}需要哪些材料？",
)  # fmt: skip
_FAQ_ANSWERS = (
    "可以通过网上办事大厅提交申请，材料审核通过后按通知到窗口领取结果。",
    "按照办事指南公布的时限办理，材料齐全、符合法定形式的，在承诺时限内办结。",
    "委托他人办理的，须提交授权委托书和受托人的身份证明。",
    "材料不齐全的，窗口工作人员会一次性告知需要补正的全部内容。",
    "办理结果可以到窗口领取，也可以选择免费邮寄送达。",
    "具体要求以办事指南为准，如有疑问可拨打咨询电话。",
)  # fmt: skip

# Legal bases: topics, and the level → (title pattern, issuer) they are written in.
_LAW_TOPICS = (
    "行政许可", "道路交通安全", "食品安全", "环境保护", "建筑", "城乡规划", "社会保险", "就业促进",
    "药品管理", "安全生产", "消防", "教育", "律师", "土地管理", "水", "森林", "种子", "动物防疫",
    "旅游", "体育", "档案", "公证", "标准化", "计量", "价格", "招标投标", "慈善", "残疾人保障",
    "退役军人保障", "户口登记", "居民身份证", "人民防空", "气象", "节约能源", "科学技术进步",
)  # fmt: skip
LEGAL_LEVELS = ("法律", "行政法规", "部门规章", "地方性法规", "地方政府规章", "规范性文件")
_MINISTRIES = ("国务院有关部门", "国家发展和改革委员会", "财政部", "人力资源和社会保障部", "自然资源部",
               "生态环境部", "住房和城乡建设部", "交通运输部", "农业农村部", "国家卫生健康委员会")  # fmt: skip


def chinese_number(n: int) -> str:
    """1–999 in Chinese numerals, as article numbers are written (第二十九条)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_NUMBERS[hundreds]}百" if hundreds else ""
    if tens:
        if hundreds or tens > 1:
            out += _NUMBERS[tens]
        out += "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += _NUMBERS[ones]
    return out or "零"


class Writer:
    """Draws synthetic text from the vocabularies with its own random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def guide_name(self, bureau: Bureau, attempt: int) -> str:
        """A service item name; later attempts add qualifiers to escape name collisions."""
        name = self.pick(bureau.topics) + self.pick(_ACTIONS)
        if attempt > 0 or self.rng.random() < 0.25:
            name += self.pick(_QUALIFIERS[1:] if attempt > 0 else _QUALIFIERS)
        if attempt > 3:
            name += f"（情形{chinese_number(attempt)}）"
        return name

    def section(self, department: str) -> str:
        return department + self.pick(_SECTIONS)

    def themes(self, count: int) -> list[str]:
        return self.rng.sample(_THEMES, min(count, len(_THEMES)))

    def material(self, topics: tuple[str, ...]) -> tuple[str, str, str | None]:
        """(name, kind, issuer) of a material: a holder's or a topic's document."""
        kind = self.pick(tuple(_DOCUMENTS))
        document = self.pick(_DOCUMENTS[kind])
        if kind in ("申请表格文书", "其他") or self.rng.random() < 0.5:
            name = self.pick(topics) + document
        else:
            name = self.pick(_HOLDERS) + document
        issuer = self.pick(_ISSUERS[kind]) if kind in _ISSUERS else None
        return name, kind, issuer

    def clause(self) -> str:
        return f"{self.pick(_SUBJECTS)}{self.pick(_REQUIREMENTS)}"

    def conditions(self, length: int) -> list[str]:
        """Acceptance conditions of about ``length`` characters in all, one item per ~50."""
        count = max(1, min(8, round(length / 50)))
        items = []
        for _ in range(count):
            parts = [self.pick(_SUBJECTS) + self.pick(_REQUIREMENTS)]
            while sum(map(len, parts)) + len(parts) < length / count and len(parts) < 5:
                requirement = self.pick(_REQUIREMENTS)
                if requirement not in parts[0] and requirement not in parts:
                    parts.append(requirement)
            items.append("，".join(parts) + "。")
        return items

    def step(self, name: str) -> str:
        parts = _STEP_TEXT[name]
        return "；".join(parts[: self.rng.choice((1, 2, 2, 3))]) + "。"

    def material_note(self) -> str:
        note = self.pick(_MATERIAL_NOTES)
        if self.rng.random() < 0.5:
            other = self.pick(_MATERIAL_NOTES)
            if other != note:
                note += other
        return note

    def time_limit_note(self) -> str:
        return self.pick(_TIME_LIMIT_NOTES)

    def sentence(self) -> str:
        return f"{self.clause()}，{self.pick(_REQUIREMENTS)}。"

    def faq(self, guide_name: str) -> tuple[str, str]:
        question = self.pick(_FAQ_QUESTIONS).format(name=guide_name)
        return question, self.pick(_FAQ_ANSWERS) + self.pick(_FAQ_ANSWERS)

    def legal_title(self, level: str, bureau: Bureau) -> tuple[str, str, str | None]:
        """(title, issuer, document number) of a legal basis at ``level``."""
        law_topic = self.pick(_LAW_TOPICS)
        topic = law_topic if self.rng.random() < 0.5 else self.pick(bureau.topics)
        year = self.rng.randint(1995, 2023)
        number = self.rng.randint(1, 799)
        if level == "法律":
            return f"《中华人民共和国{law_topic}法》", "全国人民代表大会常务委员会", None
        if level == "行政法规":
            title = self.pick(("《{}条例》", "《{}管理条例》", "《{}实施条例》")).format(topic)
            return title, "国务院", f"国务院令第 {number} 号"
        if level == "部门规章":
            title = self.pick(("《{}管理办法》", "《{}实施细则》", "《{}监督管理规定》")).format(
                topic
            )
            return title, self.pick(_MINISTRIES), f"部令〔{year}〕第 {number % 60 + 1} 号"
        if level == "地方性法规":
            pattern = self.pick(
                ("《{p}{t}条例》", "《{p}{t}管理条例》", "《{p}实施〈{t}条例〉办法》")
            )
            title = pattern.format(p=PROVINCE, t=topic)
            return title, f"{PROVINCE}人民代表大会常务委员会", None
        if level == "地方政府规章":
            title = self.pick(("《{c}{t}管理规定》", "《{c}{t}办法》", "《{c}{t}实施办法》"))
            return (
                title.format(c=CITY, t=topic),
                f"{CITY}人民政府",
                f"{CITY}人民政府令第 {number} 号",
            )
        pattern = self.pick(
            (
                "《关于规范{t}工作的通知》",
                "《关于进一步做好{t}工作的通知》",
                "《{c}{t}办理规程》",
                "《关于优化{t}服务的实施意见》",
            )
        )
        title = pattern.format(c=CITY, t=self.pick(bureau.topics))
        return title, CITY + bureau.name, f"示{bureau.name[:1]}〔{year}〕{number} 号"

    def article(self) -> str:
        return f"第{chinese_number(self.rng.randint(1, 120))}条"

    def office_place(self, index: int) -> tuple[str, str]:
        """(name, address) of a service hall: the city centre, district centres, then streets."""
        road = self.pick(
            ("民生", "和平", "新华", "建设", "东风", "朝阳", "长安", "光明", "青年", "文化")
        )
        address_no = self.rng.randint(1, 300)
        if index < len(REGIONS):
            region = REGIONS[index][1]
            return f"{region}政务服务中心", f"{region}{road}路 {address_no} 号"
        region = REGIONS[1 + index % (len(REGIONS) - 1)][1]
        street = self.pick(
            ("和平", "幸福", "团结", "友谊", "胜利", "光华", "振兴", "翠湖", "云山", "锦江")
        )
        street += self.pick(("街道", "镇", "社区"))
        return f"{region}{street}便民服务中心", f"{region}{road}路 {address_no} 号"

    def transport(self) -> str:
        line = self.rng.randint(1, 99)
        stop = self.pick(("市民广场", "政务中心", "人民公园", "体育中心", "火车站", "图书馆"))
        return f"乘坐 {line} 路公交车至{stop}站下车，步行约 5 分钟。"
