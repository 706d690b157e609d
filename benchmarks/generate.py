"""Deterministic synthetic reward activities for benchmarks.

``generate(n, seed=...)`` returns ``n`` activity records in the interchange
format (what ``stdpolicy evaluate`` reads), every one of them valid for the
``reward_tiers`` plugin. The same ``n`` and ``seed`` give the same records on
every machine (only :class:`random.Random` with a fixed seed is used).

What the data looks like, roughly in the proportions a city register would
have after a few years (scaled up, of course):

* ~85 % ``standard_drafting``: standards of every level (international,
  national, industry, local, military, "Zhejiang Made", the two other
  Zhejiang brands declared on group numbers, other group standards,
  enterprise standards), each drafted by 1–6 organisations ranked 1–6, about
  a quarter of them revisions; ~3 % of the records report again a standard
  the same organisation already reported (sometimes spelt differently, with
  the official em dash), which the one-time rule must catch.
* ~5 % ``tc_secretariat``: national (``SAC/TC n[/SC m]``), international
  (``ISO/TC n/SC m``, ``IEC/TC n``) and provincial (``ZJ/TC n``) committees,
  some reported again in a later year.
* ~4 % ``innovation_award``: the four prizes, most with a project, a few
  reported twice.
* ~6 % ``pilot_project``: national and provincial, some not (yet) accepted,
  some with the amount granted on assessment (never above the cap), some
  without (the cap is then the figure).

Dates run from 2021-06-01 to 2025-12-31, so about a quarter fall before the
policy's start (2022-08-01) and get nothing. Organisations are a few
thousand enterprises and public institutions in Jiaxing's counties, each
with a valid unified social credit code (both check characters).

Usage::

    python benchmarks/generate.py 100000 activities.json     # JSON array
    python benchmarks/generate.py 100000 activities.jsonl    # JSON Lines
    python benchmarks/generate.py 1000 - --seed 7            # to stdout

    from benchmarks.generate import generate
    records = generate(100_000)
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from datetime import date, timedelta
from typing import Any, TextIO

from stdnum.cn.uscc import calc_check_digit

from core.uscc import organisation_code_check_digit

__all__ = ["DEFAULT_SEED", "FIRST_DAY", "LAST_DAY", "credit_code", "generate", "main", "write_records"]

DEFAULT_SEED = 20220801
FIRST_DAY = date(2021, 6, 1)
LAST_DAY = date(2025, 12, 31)
_SPAN = (LAST_DAY - FIRST_DAY).days

# Characters a credit code may use after position 8 (GB 32100: no I, O, S, V, Z).
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Jiaxing's county-level units (GB/T 2260) and the short names companies carry.
COUNTIES = {
    "330402": "南湖",
    "330411": "秀洲",
    "330421": "嘉善",
    "330424": "海盐",
    "330481": "海宁",
    "330482": "平湖",
    "330483": "桐乡",
}
_COUNTY_WEIGHTS = (16, 12, 14, 10, 18, 14, 16)
_TRADE_NAMES = (
    "禾润", "恒昇", "华源", "精工", "玻纤", "时尚", "光电", "新能", "博远", "天成", "宏达", "瑞丰",
    "鼎盛", "中意", "金利", "永盛", "隆基", "立讯", "嘉欣", "卫星", "福莱", "双箭", "景兴", "闻泰",
    "敏实", "晋亿", "新凤", "桐昆", "巨石", "华友", "斯达", "钱江", "银轮", "久立", "万凯", "秀洲",
    "南洋", "东方", "亚太", "科达", "长城", "润和", "海利", "帅丰", "晶科", "爱康", "正泰", "顺丰",
)
_TRADES = (
    "新材料", "智能装备", "电子科技", "纺织", "化纤", "紧固件", "光伏科技", "皮革科技", "五金制品",
    "食品", "医疗器械", "汽车零部件", "精密机械", "电气", "家居", "建材", "生物科技", "包装",
    "环保科技", "信息技术", "塑业", "轴承", "服饰", "印染",
)
_SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司")
_INSTITUTES = (
    "质量技术检测研究院", "标准化研究院", "产品质量检验中心", "计量检定测试院", "特种设备检验中心",
    "农业科学研究院", "纺织检测中心", "电子信息产业研究院",
)

# -- standard numbers ----------------------------------------------------------------

# level → weight among drafting records
_LEVEL_WEIGHTS = {
    "international": 4,
    "national": 30,
    "industry": 21,
    "local": 13,
    "military": 3,
    "zhejiang_made": 13,
    "zhejiang_service": 1,
    "zhejiang_agri": 1,
    "group": 9,
    "enterprise": 5,
}
_INDUSTRY_CODES = ("JB/T", "QC/T", "HG/T", "SJ/T", "FZ/T", "NB/T", "YY/T", "HJ", "QB/T", "JC/T", "NY/T",
                   "YB/T", "SN/T", "NB/SH/T", "JGJ", "GA/T", "WB/T", "DL/T")
def _national_code(number: int) -> str:
    """The code of national standard ``number``: one series for GB, GB/T and GB/Z, about 85:12:3."""
    share = number % 100
    return "GB/T" if share < 85 else "GB" if share < 97 else "GB/Z"


_GROUP_CODES = ("CAS", "CECS", "CSTM", "ZJAS", "CEEIA", "CNTAC", "CPCIF", "CAMS", "CFLP", "ZJSX")
_TITLES = (
    "新材料 术语", "玻璃纤维无捻粗纱", "紧固件机械性能", "时尚皮革沙发", "光伏组件回收技术规范",
    "智能制造 数字化车间", "纺织品 色牢度试验", "电子商务服务规范", "汽车用橡胶软管", "绿色工厂评价要求",
    "医用防护口罩", "家用电器能效限定值", "工业互联网平台 通用要求", "食品接触用塑料制品",
)
_COMMITTEE_NAMES = ("全国某专业标准化技术委员会", "浙江省某专业标准化技术委员会", "某国际标准化组织技术委员会")
_AWARD_PROJECTS = ("系列标准", "关键技术标准研制", "标准体系建设", "国际标准化工作")
_PILOTS = ("服务业标准化试点", "智能制造标准化试点", "农业标准化示范区", "社会管理和公共服务标准化试点",
           "循环经济标准化试点", "新型城镇化标准化试点")
_PILOT_CAPS = {"national": 300_000, "provincial": 200_000}


def credit_code(rng: random.Random, region: str, *, institution: bool = False) -> str:
    """A valid unified social credit code: both check characters computed.

    Enterprises (``91``) registered since 2015 carry ``MA`` + 6 characters as
    their organisation-code body; public institutions (``12``) keep the
    eight digits of their old organisation code.
    """
    if institution:
        body8 = "".join(rng.choice("0123456789") for _ in range(8))
        prefix = "12"
    else:
        body8 = "MA" + "".join(rng.choice(_USCC_CHARS) for _ in range(6))
        prefix = "91"
    head = prefix + region + body8 + organisation_code_check_digit(body8)
    return head + calc_check_digit(head)


class _Generator:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n
        # A few thousand organisations for 100,000 activities; fewer for small n.
        self.orgs = self._organisations(max(20, min(4000, n // 25)))
        # Some organisations report far more than others.
        self.org_cum_weights = list(itertools.accumulate(1.0 / (i + 10) for i in range(len(self.orgs))))
        self.used_numbers: set[str] = set()

    # -- organisations ------------------------------------------------------------

    def _organisations(self, count: int) -> list[tuple[str, str]]:
        rng = self.rng
        regions, weights = list(COUNTIES), _COUNTY_WEIGHTS
        codes: set[str] = set()
        names: set[str] = set()
        orgs = []
        while len(orgs) < count:
            region = rng.choices(regions, weights)[0]
            institution = rng.random() < 0.08
            code = credit_code(rng, region, institution=institution)
            if code in codes:
                continue
            county = COUNTIES[region]
            if institution:
                name = f"{'嘉兴市' if region == '330402' else county}{rng.choice(_TRADES).replace('科技', '')}{rng.choice(_INSTITUTES)}"
            else:
                name = f"{'浙江' if rng.random() < 0.3 else county}{rng.choice(_TRADE_NAMES)}{rng.choice(_TRADES)}{rng.choice(_SUFFIXES)}"
            if name in names:
                name = f"{name[:-4]}{rng.choice(_TRADE_NAMES)}{name[-4:]}"
                if name in names:
                    continue
            codes.add(code)
            names.add(name)
            orgs.append((code, name))
        return orgs

    def org(self) -> tuple[str, str]:
        return self.rng.choices(self.orgs, cum_weights=self.org_cum_weights)[0]

    def day(self) -> date:
        return FIRST_DAY + timedelta(days=self.rng.randrange(_SPAN + 1))

    def envelope(self, kind: str, day: date, org: tuple[str, str]) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": kind, "date": day.isoformat(), "credit_code": org[0]}
        if self.rng.random() < 0.95:
            record["organisation"] = org[1]
        return record

    # -- standards -----------------------------------------------------------------

    def standard_number(self, level: str, year: int) -> tuple[str, str | None]:
        """A fresh number of ``level`` published in ``year``, and the level to declare (or ``None``)."""
        rng = self.rng
        while True:
            declared = None
            if level == "international":
                r = rng.random()
                if r < 0.45:
                    code = f"ISO {rng.randint(1000, 24999)}{f'-{rng.randint(1, 9)}' if rng.random() < 0.4 else ''}:{year}"
                elif r < 0.75:
                    code = f"IEC {rng.randint(60034, 63400)}-{rng.randint(1, 9)}{f'-{rng.randint(1, 20)}' if rng.random() < 0.3 else ''}:{year}"
                elif r < 0.93:
                    code = f"ISO/IEC {rng.randint(17000, 30199)}:{year}"
                else:
                    code = f"ITU-T {rng.choice('YFGHX')}.{rng.randint(100, 4999)} ({rng.randint(1, 12):02d}/{year})"
            elif level == "national":
                # GB, GB/T and GB/Z number one series (core.identity): the number decides its code. The
                # code is still drawn, so that every later draw, and so every other record, is as before.
                prefix = rng.choices(("GB/T", "GB", "GB/Z"), (85, 12, 3))[0]
                part = f".{rng.randint(1, 12)}" if rng.random() < 0.2 else ""
                number = rng.randint(1000, 44999) if prefix == "GB/T" else rng.randint(4000, 44999)
                code = f"{_national_code(number)} {number}{part}-{year}"
            elif level == "industry":
                code = f"{rng.choice(_INDUSTRY_CODES)} {rng.randint(100, 14999)}-{year}"
            elif level == "local":
                prefix = rng.choices(("DB33/T", "DB3304/T", "DB33/"), (75, 20, 5))[0]
                number = rng.randint(100, 3099)
                if prefix != "DB3304/T":  # the province's mandatory and recommended numbers are one series
                    prefix = "DB33/" if number % 16 == 0 else "DB33/T"
                code = f"{prefix} {number}-{year}"
                if rng.random() < 0.1:
                    declared = "local"
            elif level == "military":
                code = f"GJB {rng.randint(100, 10999)}{rng.choice(('', '', '', 'A', 'B'))}-{year}"
            elif level == "zhejiang_made":
                code = f"T/ZZB {rng.randint(100, 3999)}-{year}"
                if rng.random() < 0.2:
                    declared = "zhejiang_made"
            elif level == "zhejiang_service":
                code, declared = f"T/ZJFW {rng.randint(1, 299)}-{year}", "zhejiang_service"
            elif level == "zhejiang_agri":
                code, declared = f"T/ZNZ {rng.randint(1, 399)}-{year}", "zhejiang_agri"
            elif level == "group":
                code = f"T/{rng.choice(_GROUP_CODES)} {rng.randint(1, 1999)}-{year}"
            else:  # enterprise
                code = f"Q/{rng.choice('ABCDEFGHJKLMNPRSTWXYZ')}{rng.choice('ABCDEFGHJKLMNPRSTWXYZ')}{rng.choice(('JX', 'HN', 'PH', 'TX', 'JS', 'HY'))} {rng.randint(1, 120):03d}-{year}"
            if code not in self.used_numbers:
                self.used_numbers.add(code)
                return code, declared

    @staticmethod
    def spelt_differently(code: str) -> str:
        """The same number as some registers write it (the official em dash)."""
        if ":" not in code and "-" in code:
            head, _, year = code.rpartition("-")
            return f"{head}—{year}"
        return code

    def drafting(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        levels, weights = list(_LEVEL_WEIGHTS), list(_LEVEL_WEIGHTS.values())
        records: list[dict[str, Any]] = []
        repeats = int(count * 0.03)
        while len(records) < count - repeats:
            level = rng.choices(levels, weights)[0]
            day = self.day()
            code, declared = self.standard_number(level, day.year)
            revision = rng.random() < 0.25
            title = rng.choice(_TITLES) if rng.random() < 0.4 else None
            units = rng.choices((1, 2, 3, 4, 5, 6), (25, 20, 20, 15, 10, 10))[0]
            drafters = {self.org() for _ in range(units)}
            for rank, org in enumerate(sorted(drafters, key=lambda _: rng.random()), start=1):
                record = self.envelope("standard_drafting", day, org)
                record["standard_code"] = code
                record["rank"] = rank
                if revision or rng.random() < 0.1:
                    record["revision"] = revision
                if declared:
                    record["level"] = declared
                elif rng.random() < 0.05:
                    record["level"] = level
                if title:
                    record["title"] = title
                records.append(record)
        del records[count - repeats:]
        # The same organisation and standard reported again (a second declaration,
        # another department's list): paid once.
        for original in rng.sample(records, repeats):
            again = dict(original)
            if rng.random() < 0.5:
                again["standard_code"] = self.spelt_differently(again["standard_code"])
            records.append(again)
        return records

    # -- the other kinds -------------------------------------------------------------

    def secretariats(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        records: list[dict[str, Any]] = []
        held: list[tuple[tuple[str, str], str, str]] = []
        seen: set[str] = set()
        while len(records) < count:
            if held and rng.random() < 0.15:  # the same secretariat reported in another year
                org, code, level = rng.choice(held)
                if rng.random() < 0.3:
                    code = code.replace("/TC ", "/TC").replace("/SC ", "/SC")  # "SAC/TC548/SC2"
            else:
                level = rng.choices(("national", "provincial", "international"), (45, 45, 10))[0]
                if level == "national":
                    code = f"SAC/TC {rng.randint(1, 600)}" + (f"/SC {rng.randint(1, 20)}" if rng.random() < 0.5 else "")
                elif level == "provincial":
                    code = f"ZJ/TC {rng.randint(1, 300)}" + (f"/SC {rng.randint(1, 9)}" if rng.random() < 0.3 else "")
                else:
                    code = (f"ISO/TC {rng.randint(1, 330)}/SC {rng.randint(1, 30)}" if rng.random() < 0.7
                            else f"IEC/TC {rng.randint(1, 125)}")
                if code in seen:  # one secretariat per committee
                    continue
                seen.add(code)
                org = self.org()
                held.append((org, code, level))
            record = self.envelope("tc_secretariat", self.day(), org)
            record["committee_code"] = code
            record["committee_level"] = level
            if rng.random() < 0.5:
                record["committee_name"] = _COMMITTEE_NAMES[("national", "provincial", "international").index(level)]
            records.append(record)
        return records

    def awards(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        records: list[dict[str, Any]] = []
        while len(records) < count:
            if records and rng.random() < 0.08:
                again = dict(rng.choice(records))
                records.append(again)
                continue
            award = rng.choices(("first", "second", "third", "organization"), (10, 25, 40, 25))[0]
            record = self.envelope("innovation_award", self.day(), self.org())
            record["award"] = award
            if award != "organization" or rng.random() < 0.1:
                record["project"] = f"{rng.choice(_TITLES)}{rng.choice(_AWARD_PROJECTS)}({len(records) + 1})"
            records.append(record)
        return records

    def pilots(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        records: list[dict[str, Any]] = []
        while len(records) < count:
            if records and rng.random() < 0.08:
                records.append(dict(rng.choice(records)))
                continue
            level = rng.choices(("national", "provincial"), (35, 65))[0]
            accepted = rng.random() < 0.85
            record = self.envelope("pilot_project", self.day(), self.org())
            record["pilot_level"] = level
            record["accepted"] = accepted
            if accepted and rng.random() < 0.5:
                cap = _PILOT_CAPS[level]
                record["granted_amount"] = rng.randrange(cap // 2, cap + 1, 10_000)
            if rng.random() < 0.9:
                county = COUNTIES[record["credit_code"][2:8]]
                record["project"] = f"{'国家级' if level == 'national' else '省级'}{rng.choice(_PILOTS)}({county}{len(records) + 1})"
            records.append(record)
        return records

    def run(self) -> list[dict[str, Any]]:
        n, rng = self.n, self.rng
        secretariats = round(n * 0.05)
        awards = round(n * 0.04)
        pilots = round(n * 0.06)
        drafting = n - secretariats - awards - pilots
        records = (self.drafting(drafting) + self.secretariats(secretariats)
                   + self.awards(awards) + self.pilots(pilots))
        rng.shuffle(records)
        out = []
        for i, record in enumerate(records, start=1):
            # id first, as people write them
            out.append({"id": f"BM-{i:06d}", **record})
        return out


def generate(n: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``n`` valid reward activities (interchange records), the same for the same seed."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return []
    return _Generator(n, seed).run()


def write_records(records: list[dict[str, Any]], out: TextIO, *, lines: bool = False) -> None:
    """Write records as a JSON array, or as JSON Lines with ``lines=True``."""
    if lines:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
    else:
        out.write("[\n")
        out.write(",\n".join(json.dumps(record, ensure_ascii=False) for record in records))
        out.write("\n]\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write N synthetic, valid reward activities.")
    parser.add_argument("n", type=int, help="number of activities")
    parser.add_argument("out", help="output file: .json (array), .jsonl (JSON Lines), or - for standard output")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    records = generate(args.n, args.seed)
    if args.out == "-":
        write_records(records, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            write_records(records, out, lines=args.out.lower().endswith(".jsonl"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
