"""The counting rules of 一(二), each on records alone (plugins/city_targets/counting.py; docs/policy-readings.md)."""

from __future__ import annotations

from datetime import date

import pytest

from plugins.city_targets.counting import count_items, in_period

pytestmark = pytest.mark.stdpolicy_plugins("city_targets", "reward_tiers")

JIASHAN = "91330421MA2D0L608J"      # 嘉善县 330421
TONGXIANG = "91330483MA2CUW803G"    # 桐乡市 330483
HAIYAN = "91330424MA28CP909P"       # 海盐县 330424
START, END = date(2022, 1, 1), date(2025, 12, 31)


def counted(registry, records):
    report = registry.validate(records)
    assert report.invalid == [], [(i.ref, i.errors) for i in report.invalid]
    return count_items(report.valid)


def keys(items):
    return [i.key for i in items]


def std(id, code, day, credit=JIASHAN, rank=1, **more):
    return {"id": id, "kind": "standard_drafting", "date": day, "credit_code": credit, "standard_code": code,
            "rank": rank, **more}


def test_a_standard_counts_once_however_many_jiaxing_organisations_drafted_it(stdpolicy_registry) -> None:
    found = counted(stdpolicy_registry, [
        std("A", "GB/T 42587-2023", "2023-05-23", JIASHAN, 1),
        std("B", "GB/T 42587—2023", "2023-05-23", TONGXIANG, 2),       # another spelling, another county
        std("C", "GB/T 42587-2023", "2024-03-03", HAIYAN, 3),          # recorded again later
        std("D", "ISO/IEC 30141:2024", "2024-08-01", JIASHAN, 2),
        std("E", "ISO 30141:2024", "2024-08-01", TONGXIANG, 1),        # ISO = ISO/IEC: one standard
    ])
    (national,) = found["national"]
    assert national.date == date(2023, 5, 23) and national.counties == {"330421", "330483", "330424"}
    assert [a.ref for a in national.activities] == ["A", "B", "C"]
    assert len(found["international"]) == 1
    # Each county that took part counts it; the city once.
    assert len(in_period(found["national"], START, END, county="330424")) == 1
    assert len(in_period(found["national"], START, END, year=2023)) == 1
    assert in_period(found["national"], START, END, year=2024) == []


def test_revisions_count_and_a_new_edition_is_a_new_standard_but_not_an_amendment(stdpolicy_registry) -> None:
    found = counted(stdpolicy_registry, [
        std("R", "GB/T 33061.2-2024", "2024-09-02", revision=True),       # 主导或参与制修订: revisions count
        std("N1", "GB/T 43700-2023", "2023-04-01"),
        std("N2", "GB/T 43700-2025", "2025-04-01", revision=True),        # the next edition: new
        std("AMD", "ISO 9001:2015/Amd 1:2024", "2024-05-01", rank=2, revision=True),  # an amendment: not counted
    ])
    assert keys(found["national"]) == ["standard:GB/T 43700-2023", "standard:GB/T 33061.2-2024",
                                       "standard:GB/T 43700-2025"]
    assert found["international"] == []


def test_zhejiang_made_by_level_and_other_levels_not_counted(stdpolicy_registry) -> None:
    found = counted(stdpolicy_registry, [
        std("ZM", "T/ZZB 3421-2024", "2024-04-18"),
        std("G", "T/CAS 876-2024", "2024-10-21"),            # a group standard
        std("Q", "Q/JXMZ 012-2025", "2025-02-14"),           # an enterprise standard
        std("H", "JB/T 14563-2023", "2023-08-06"),           # an industry standard
    ])
    assert keys(found["zhejiang_made"]) == ["standard:T/ZZB 3421-2024"]
    assert found["national"] == [] and found["international"] == []


def test_pilots_count_when_approved_once_per_project(stdpolicy_registry) -> None:
    base = {"kind": "pilot_project", "credit_code": HAIYAN, "pilot_level": "provincial"}
    found = counted(stdpolicy_registry, [
        {**base, "id": "P1", "date": "2024-03-12", "accepted": False, "project": "省级标准化试点(光伏运维)"},
        {**base, "id": "P2", "date": "2025-04-22", "accepted": True, "project": "省级标准化试点(光伏运维)"},
        {**base, "id": "P3", "date": "2023-09-26", "accepted": False, "pilot_level": "national", "project": "国家级试点"},
    ])
    assert [(i.date, len(i.activities)) for i in found["pilots"]] == [(date(2023, 9, 26), 1), (date(2024, 3, 12), 2)]


def test_awards_national_and_provincial_once_per_prize_and_project(stdpolicy_registry) -> None:
    base = {"kind": "innovation_award", "date": "2024-12-18", "award": "first"}
    found = counted(stdpolicy_registry, [
        {**base, "id": "A1", "credit_code": JIASHAN, "project": "项目甲"},                      # national by default
        {**base, "id": "A2", "credit_code": TONGXIANG, "project": "项目甲"},                    # co-winner: once
        {**base, "id": "A3", "credit_code": HAIYAN, "project": "项目甲", "level": "provincial"},  # another award
        {**base, "id": "A4", "credit_code": HAIYAN, "award": "organization"},
    ])
    assert sorted(keys(found["awards"])) == ["award:national:first:项目甲", f"award:national:organization:{HAIYAN}:2024",
                                             "award:provincial:first:项目甲"]


def test_talent_enterprises_once_each_and_secretariats_once_per_committee(stdpolicy_registry) -> None:
    talent = {"kind": "talent_enterprise", "designation": "国际标准化人才培育企业"}
    tc = {"kind": "tc_secretariat", "committee_level": "national"}
    found = counted(stdpolicy_registry, [
        {**talent, "id": "T1", "date": "2023-06-15", "credit_code": TONGXIANG},
        {**talent, "id": "T2", "date": "2024-06-20", "credit_code": TONGXIANG},
        {**talent, "id": "T3", "date": "2024-06-20", "credit_code": JIASHAN},
        {**tc, "id": "S1", "date": "2023-04-10", "credit_code": JIASHAN, "committee_code": "SAC/TC 548/SC 2"},
        {**tc, "id": "S2", "date": "2025-01-05", "credit_code": JIASHAN, "committee_code": "SAC/TC548/SC2"},
        {**tc, "id": "S3", "date": "2024-08-15", "credit_code": HAIYAN, "committee_code": "ZJ/TC 31",
         "committee_level": "provincial"},
    ])
    assert [(i.key, i.date) for i in found["talent"]] == [(f"talent:{TONGXIANG}", date(2023, 6, 15)),
                                                          (f"talent:{JIASHAN}", date(2024, 6, 20))]
    assert keys(found["secretariats"]) == ["committee:SAC/TC 548/SC 2", "committee:ZJ/TC 31"]


def test_only_the_citys_organisations_count_and_new_means_first_recorded_in_the_period(stdpolicy_registry) -> None:
    outside = "91110108MA01ABCD5T"  # Beijing (110108)
    found = counted(stdpolicy_registry, [
        std("X", "GB/T 45123-2025", "2025-06-20", outside),                 # no Jiaxing organisation
        std("OLD", "GB/T 41472-2021", "2021-11-28"),                        # before the period
        std("AGAIN", "GB/T 41472-2021", "2022-03-01", TONGXIANG, 2),        # the same standard, recorded again
    ])
    assert keys(found["national"]) == ["standard:GB/T 41472-2021"]
    assert in_period(found["national"], START, END) == []                   # not 新增: first recorded in 2021
