"""The synonyms catalogue, ``catalogues/synonyms.yaml`` in a content library (optional), in the
format of the built-in dictionary ``guidesrc/search/synonyms.yaml``.

Each group is symmetric: searching any of its words also finds the guides that use another; the
first word is the canonical one. ``source`` says where the usage comes from. What the schema
cannot say (a group of fewer than two words, one word in two groups) is checked by
:mod:`guidesrc.synonyms_file`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from guidesrc.model.common import Model

MAX_WORD_LENGTH = 40
Word = Annotated[str, Field(min_length=1, max_length=MAX_WORD_LENGTH)]


class SynonymGroup(Model, title="同义词组"):
    """一组意思相同的说法：搜索其中任一个词，也能找到使用组内其他词的指南。"""

    words: list[Word] = Field(
        title="词语",
        description="至少两个词；第一个是规范名称，如 [社会保险, 社保]。每个词只能出现在一组中。",
        json_schema_extra={"minItems": 2},  # for editors; the check words it (synonyms_file)
    )
    source: str | None = Field(
        default=None,
        title="来源",
        description="这组说法的出处，如 正式名称：《中华人民共和国社会保险法》；口语说法。",
    )


class SynonymsFile(Model, title="同义词词典"):
    """资料库的同义词词典：补充内置词典，让群众用自己的说法也能搜到办事指南。"""

    synonyms: list[SynonymGroup] = Field(
        default_factory=list, title="同义词组", description="每组一项。"
    )
