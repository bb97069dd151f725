"""How the views and pages show an entity: color and shape per label, Chinese captions, tooltips.

Everything a person sees of a node goes through :func:`public_properties`, which drops a member's
personal data (name, gender, birth year): a member is shown only as ``党员 mem-…``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graph.model import NODE_MODELS, PERSONAL_FIELDS, REL_MODELS


@dataclass(frozen=True)
class LabelStyle:
    """How nodes of one label are drawn: vis-network ``shape`` and fill ``color``."""

    color: str
    shape: str
    size: int = 16


# Shapes that keep the caption below the node (box-like shapes would put long Chinese names inside it).
LABEL_STYLES: dict[str, LabelStyle] = {
    "District": LabelStyle("#7f1d1d", "hexagon", 30),
    "Subdistrict": LabelStyle("#b45309", "hexagon", 24),
    "Community": LabelStyle("#d97706", "square", 18),
    "PartyOrg": LabelStyle("#dc2626", "star", 20),
    "Compound": LabelStyle("#0d9488", "dot", 13),
    "Building": LabelStyle("#1e40af", "triangle", 15),
    "BusinessArea": LabelStyle("#0369a1", "triangleDown", 18),
    "Enterprise": LabelStyle("#4f46e5", "diamond", 13),
    "Member": LabelStyle("#f59e0b", "dot", 7),
    "HometownGroup": LabelStyle("#a21caf", "hexagon", 18),
    "Project": LabelStyle("#7c3aed", "diamond", 12),
    "ServiceCenter": LabelStyle("#db2777", "square", 12),
    "CompoundBody": LabelStyle("#64748b", "triangleDown", 11),
    "Dataset": LabelStyle("#94a3b8", "dot", 10),
    "Fact": LabelStyle("#475569", "square", 9),
}
FALLBACK_STYLE = LabelStyle("#6b7280", "dot", 12)

COVERAGE_COLORS: dict[str, str] = {"organizational": "#16a34a", "work": "#eab308", "none": "#dc2626"}
COVERAGE_ZH: dict[str, str] = {"organizational": "组织覆盖", "work": "仅工作覆盖", "none": "未覆盖"}

# A published fact reconciled with the graph (queries/facts.py): the web page and the views say it alike.
FACT_STATUS_ZH: dict[str, str] = {"agrees": "相符", "within_tolerance": "在误差范围内", "disagrees": "不符"}
FACT_STATUS_COLORS: dict[str, str] = {"agrees": "#16a34a", "within_tolerance": "#ca8a04", "disagrees": "#dc2626"}

# Order in which a cut view keeps nodes of one distance: structure first, members last.
KEEP_ORDER: tuple[str, ...] = (
    "District", "Subdistrict", "Community", "PartyOrg", "HometownGroup", "BusinessArea", "Building", "ServiceCenter",
    "Compound", "Enterprise", "Project", "CompoundBody", "Fact", "Dataset", "Member",
)

PROPERTY_ZH: dict[str, str] = {
    "id": "编号", "name": "名称", "kind": "类型", "households": "户数", "address": "地址", "floors": "楼层数",
    "industry": "行业", "employees": "从业人数", "level": "层级", "formation": "组建方式", "founded": "成立日期",
    "dissolved": "撤销日期", "joined": "入党日期", "mobile": "流动党员", "category": "类别", "delegate": "党代表",
    "origin": "来源地", "size": "人数", "launched": "启动日期", "status": "状态", "certified": "达标",
    "opened": "启用日期", "valid_from": "起始日期", "valid_to": "终止日期", "scope": "数据范围", "as_of": "截止日期",
    "description": "说明", "synthetic": "合成数据", "since": "起始", "until": "终止", "mode": "方式", "role": "职务",
    "value": "公布值", "unit": "单位", "tolerance": "误差规则", "margin": "允许误差", "publication": "出处", "sentence": "原文",
    "query": "计算查询", "params": "查询参数", "metric": "计算方式", "gap": "缺口清单",
}
VALUE_ZH: dict[str, str] = {
    "organizational": "组织覆盖", "work": "工作覆盖", "member": "党员", "secretary": "书记", "deputy": "副书记",
    "committee": "委员",
}
TOOLTIP_SKIP = frozenset({"id", "name", "label", "scope", "synthetic", "distance"})


def label_zh(label: str) -> str:
    """The Chinese name of a node label (``PartyOrg`` → ``党组织``)."""
    model = NODE_MODELS.get(label)
    return model.zh if model else label


def rel_zh(rel_type: str) -> str:
    """The Chinese name of a relationship type (``COVERS`` → ``覆盖``)."""
    model = REL_MODELS.get(rel_type)
    return model.zh if model else rel_type


def style_of(label: str) -> LabelStyle:
    return LABEL_STYLES.get(label, FALLBACK_STYLE)


def public_properties(node: Mapping[str, Any]) -> dict[str, Any]:
    """A node's properties without personal data: a member keeps no name, gender or birth year."""
    if node.get("label") == "Member":
        return {k: v for k, v in node.items() if k not in PERSONAL_FIELDS}
    return dict(node)


def caption(node: Mapping[str, Any]) -> str:
    """What a node is called on screen: its name, or ``党员 mem-…`` for a member (never the name)."""
    if node.get("label") == "Member":
        return f"党员 {node.get('id', '')}"
    name = node.get("name")
    return str(name) if name else str(node.get("id", ""))


def wrap(text: str, width: int = 9) -> str:
    """Break a long caption into lines of at most ``width`` characters, of even length (Chinese has no
    spaces for vis-network to break at).

    >>> wrap("黄贝岭社区四川达州流动党支部")
    '黄贝岭社区四川\\n达州流动党支部'
    >>> wrap("党员 mem-0011304")
    '党员 mem-0011304'
    """
    if len(text) <= width + 2 or " " in text:
        return text
    lines = math.ceil(len(text) / width)
    size = math.ceil(len(text) / lines)
    return "\n".join(text[i:i + size] for i in range(0, len(text), size))


def show_value(value: Any) -> str:
    """One property value as text: dates in ISO form, booleans as 是/否, codes in Chinese."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "—"
    text = str(value)
    return VALUE_ZH.get(text, text)


def fact_number(value: float | None) -> str:
    """A published or computed figure without float noise: ``99.0`` → ``99``, ``99.0312`` → ``99.03``.

    >>> fact_number(99.0), fact_number(99.0312), fact_number(1500.5), fact_number(None)
    ('99', '99.03', '1,500.5', '—')
    """
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def property_rows(node: Mapping[str, Any], skip: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(key, Chinese name, shown value) of each public property of a node, in model order."""
    props = public_properties(node)
    skipped = set(skip)
    order = list(NODE_MODELS[props["label"]].model_fields) if props.get("label") in NODE_MODELS else []
    keys = [k for k in order if k in props] + sorted(k for k in props if k not in order)
    return [(k, PROPERTY_ZH.get(k, k), show_value(props[k])) for k in keys if k not in skipped and k != "label"]


def tooltip(node: Mapping[str, Any], extra: Iterable[str] = ()) -> str:
    """Plain-text tooltip: type, caption, id and the key properties (vis-network shows it as text)."""
    lines = [f"{label_zh(str(node.get('label', '')))}:{caption(node)}", f"编号:{node.get('id', '')}"]
    lines += [f"{zh}:{value}" for _, zh, value in property_rows(node, skip=TOOLTIP_SKIP)]
    lines += list(extra)
    return "\n".join(lines)


def mask_personal(value: Any) -> Any:
    """Remove personal data from a query answer: member nodes lose name, gender and birth year, and a
    ``member_name`` column becomes the masked caption. Used wherever rows reach a web page."""
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    if isinstance(value, dict):
        if value.get("label") == "Member":
            return public_properties(value)
        masked = {k: mask_personal(v) for k, v in value.items()}
        if "member_name" in masked:
            masked["member_name"] = f"党员 {value.get('member_id', '')}"
        return masked
    return value
