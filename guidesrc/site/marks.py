"""What a Chinese government website carries in its footer (政府网站发展指引, 国办发〔2017〕47号):
主办单位, 网站标识码, ICP 备案号, 公安机关备案号 and the 党政机关网站标识, as the site channel's
``government`` settings (``library.yaml``)::

    channels:
      site:
        type: site
        settings:
          path: .guides/site
          government:
            sponsor: 示例市人民政府办公室          # 主办单位
            operator: 示例市政务服务中心           # 承办单位 (optional)
            site_code: "9901000001"              # 网站标识码: 10 digits, or bm + 8 digits
            icp: 示ICP备12345678号                # ICP 备案号
            police: 示公网安备 99010002000001号     # 公安机关备案号 (14 digits)
            conac_id: 0123456789ABCDEF0123456789ABCDEF   # 党政机关网站标识 (开办网站标识) id

Each value is checked for its format. A mark not given is never made up: without ``government``
the footer shows none of them; with it, a missing required mark shows as 待补充; ``guides check``
warns of every missing one either way (rule ``government-site``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from guidesrc.adapters.base import AdapterSettings
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.gaps import GAP
from guidesrc.i18n import N_

#: 网站标识码: the region code and a serial (10 digits), or ``bm`` and 8 digits (a ministry's).
SITE_CODE = r"^(?:[0-9]{10}|bm[0-9]{8})$"
#: ICP 备案号: 京ICP备05070218号, 粤ICP备2021012345号-1.
ICP = r"^[\u4e00-\u9fa5]ICP备[0-9]{4,10}号(?:-[0-9]{1,3})?$"
#: 公安机关备案号: 京公网安备 11010202000001号 (the space is optional).
POLICE = r"^[\u4e00-\u9fa5]公网安备 ?([0-9]{14})号$"
CONAC_ID = r"^[0-9A-Fa-f]{32}$"

ICP_LINK = "https://beian.miit.gov.cn/"
POLICE_LINK = "https://beian.mps.gov.cn/#/query/webSearch?code={code}"
CONAC_LINK = "https://bszs.conac.cn/sitename?method=show&id={id}"


class GovernmentMarks(AdapterSettings):
    """The site's marks as a government website (every one optional here, warned of by check)."""

    sponsor: str | None = Field(default=None, min_length=2, max_length=100)
    operator: str | None = Field(default=None, min_length=2, max_length=100)
    site_code: str | None = Field(default=None, pattern=SITE_CODE)
    icp: str | None = Field(default=None, pattern=ICP)
    police: str | None = Field(default=None, pattern=POLICE)
    conac_id: str | None = Field(default=None, pattern=CONAC_ID)


#: The marks every public government website carries, with their names on the page.
REQUIRED = {
    "sponsor": "主办单位",
    "site_code": "网站标识码",
    "icp": "ICP 备案号",
    "police": "公安机关备案号",
    "conac_id": "党政机关网站标识",
}


def missing_marks(marks: Mapping[str, Any] | None) -> list[str]:
    """The required marks a site's ``government`` settings do not give (all without them)."""
    return [key for key in REQUIRED if not (marks or {}).get(key)]


def marks_warnings(channel: str, settings: Mapping[str, Any], rel: str) -> list[Diagnostic]:
    """``guides check``: a site channel that does not give every required mark (rule
    ``government-site``, a warning; ``off`` for a site that is not a government website).
    ``settings``: the channel's settings as written (refused ones are the channel rule's)."""
    marks = settings.get("government")
    if marks is not None and not isinstance(marks, Mapping):
        return []
    missing = missing_marks(marks)
    if not missing:
        return []
    here = ("channels", channel, "settings", *(("government",) if marks is not None else ()))
    return [
        Diagnostic(
            RuleId.GOVERNMENT_SITE,
            "warning",
            rel,
            path=here,
            message=N_(
                "the site does not state {marks}, which a government website shows in its footer (政府网站发展指引, 国办发〔2017〕47号)"
            ),
            hint=N_(
                "add them under channels.{channel}.settings.government (docs/site.md); for a site that is not a government website, set government-site: off under rules: in library.yaml"
            ),
            args={"marks": "、".join(REQUIRED[key] for key in missing), "channel": channel},
        )
    ]


def footer_marks(marks: Mapping[str, Any] | None) -> list[dict[str, str | None]]:
    """The footer's lines: label, text and link (None: text only). Nothing without settings;
    a required mark that is not given reads 待补充, never a made-up value."""
    if marks is None:
        return []
    out: list[dict[str, str | None]] = []

    def line(label: str, text: str | None, href: str | None = None) -> None:
        out.append({"label": label, "text": text or GAP, "href": href if text else None})

    line("主办单位", marks.get("sponsor"))
    if marks.get("operator"):
        line("承办单位", marks["operator"])
    line("网站标识码", marks.get("site_code"))
    line("ICP 备案号", marks.get("icp"), ICP_LINK)
    police = marks.get("police")
    found = re.match(POLICE, police) if police else None
    line("公安机关备案号", police, POLICE_LINK.format(code=found.group(1)) if found else None)
    conac = marks.get("conac_id")
    line("党政机关网站标识", "查看开办信息" if conac else None, CONAC_LINK.format(id=conac))
    return out
