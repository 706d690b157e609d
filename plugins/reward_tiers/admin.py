"""The plugin's admin page: the reward table of 三(二), rule beside text.

Imported only by the ``stdpolicy_register_admin_pages`` hook, so the plugin
(and core) work without Flask. The admin mounts the blueprint under
``/admin/p/reward_tiers/`` and shows it only to departments that enabled the
plugin. The page reads; parameters are changed on the admin's Parameters page.
Like any plugin's page it uses the plugin API only: ``core.render_page`` and
the base template ``stdpolicy/plugin_page.html``, ``core.stored_parameters``,
``core.parameter_url`` (docs/plugins/admin-pages.md).

Its own words come in both languages (``Text``), like every other label of
the plugin: the admin's message catalogue is not the plugin's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint

from core import AdminPage, Text, current_registry, parameter_url, render_page, stored_parameters, today

from . import rules

__all__ = ["CLAUSE_SEGMENTS", "WORDS", "admin_pages", "bp"]

bp = Blueprint("reward_tiers_admin", __name__, template_folder="templates")


@dataclass(frozen=True)
class Segment:
    """A passage of the clause, verbatim, and the rules that implement it."""

    text: str
    rules: tuple[str, ...] = ()


#: 三(二) of 《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》(2022),
#: verbatim, cut where the rules change. Joined, the passages are the whole clause.
CLAUSE_SEGMENTS: tuple[Segment, ...] = (
    Segment("(二)加大政策扶持。"),
    Segment(
        "对牵头制定(排名第一位,不含修订)并完成国际标准、国家标准、行业(或地方、军用)标准、"
        "“浙江制造”“浙江服务”“浙江农产”标准的企业和机构,分别给予100万元、30万元、20万元、20万元奖励,",
        ("R1", "R2", "R3", "R4"),
    ),
    Segment("对参与制定(排名第二位至第四位)并完成国际标准、国家标准的企业和机构,分别给予30万元、15万元奖励;", ("R5", "R6")),
    Segment(
        "对承担组建国际、国家、省级专业标准化技术委员会、分委会秘书处的企业以及研究开发和检验检测等其他组织,"
        "分别一次性给予100万元、50万元、20万元的专项补助;",
        ("R7", "R8", "R9"),
    ),
    Segment("对获得中国标准创新贡献奖一、二、三等奖的单位,分别给予100万元、80万元、50万元奖励,", ("R10",)),
    Segment("获得组织奖的,给予50万元奖励;", ("R11",)),
    Segment("对通过国家级、省级标准化试点项目验收的单位,分别给予最高30万元、20万元奖励。", ("R12", "R13")),
)

DOCUMENT = Text(
    "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》(2022年9月16日印发,自2022年8月1日起施行)",
    "Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal People's Government "
    "on Accelerating the Building of a Strong Standards City (issued 2022-09-16, in force from 2022-08-01)",
)

WORDS = {
    "title": Text("奖励标准表 三(二)", "Reward table 三(二)"),
    "intro": Text(
        "左栏为政策原文,右栏为实现该段文字的规则及其参数在今天施行的金额。金额是带生效日期的参数,在“参数”页面记录新版本。",
        "Left: the policy text. Right: the rules that implement each passage and the amount their parameter sets today. "
        "Amounts are dated parameters; record new versions on the Parameters page.",
    ),
    "text": Text("政策原文", "Policy text (original)"),
    "rule": Text("规则", "Rule"),
    "rewards": Text("奖励对象", "What it rewards"),
    "parameter": Text("参数", "Parameter"),
    "amount": Text("今日施行金额", "Amount in force today"),
    "since": Text("生效日期", "In force from"),
    "version": Text("版本", "Version"),
    "version_number": Text("第{number}版", "version {number}"),
    "not_in_force": Text("未施行", "not in force"),
    "differs": Text("与原文金额不同(原文:{amount})", "differs from the text ({amount} there)"),
    "cap": Text("上限", "cap"),
    "source": Text("出处", "Source"),
    "today": Text("金额截至 {day}", "Amounts as of {day}"),
}
#: The page's title in the menu, the heading and the breadcrumbs.
TITLE = WORDS["title"]


@dataclass(frozen=True)
class RuleRow:
    rule: str
    key: str
    rewards: Text
    amount: int | None
    effective_from: date | None
    version_id: int | None
    #: The version's number within its key (the number every page shows).
    sequence: int | None
    #: The amount the 2022 text names (the plugin's first shipped value).
    original: int | None
    link: str | None


@bp.route("/")
def index() -> str:
    registry = current_registry()
    params = stored_parameters()
    day = today()
    by_rule: dict[str, list[RuleRow]] = {}
    for rule, key, rewards in rules.rule_table():
        current = params.current(key, day)
        decl = registry.parameters[key]
        by_rule.setdefault(rule, []).append(RuleRow(
            rule=rule, key=key, rewards=rewards,
            amount=current.value if current is not None else None,
            effective_from=current.effective_from if current is not None else None,
            version_id=current.id if current is not None else None,
            sequence=current.sequence if current is not None and current.id is not None else None,
            original=decl.defaults[0].value if decl.defaults else None,
            link=parameter_url(key),
        ))
    sections = [(segment, [row for rule in segment.rules for row in by_rule.get(rule, [])]) for segment in CLAUSE_SEGMENTS]
    return render_page(
        "reward_tiers/table.html", title=TITLE,
        sections=sections, words=WORDS, document=DOCUMENT, today=day, clause=rules.CLAUSE,
    )


def admin_pages() -> list[AdminPage]:
    return [AdminPage(bp, TITLE, "index")]
