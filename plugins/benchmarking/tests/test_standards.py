"""Benchmark standard numbers: international (core's rules) and recognised foreign bodies."""

from __future__ import annotations

import pytest

from plugins.benchmarking.standards import InvalidBenchmarkStandard, parse_benchmark_standard


@pytest.mark.parametrize(("given", "code", "body", "scope", "year"), [
    ("ISO 9001:2015", "ISO 9001:2015", "ISO", "international", 2015),
    ("iec 62933-5-3:2024", "IEC 62933-5-3:2024", "IEC", "international", 2024),
    ("Ｉ Ｅ Ｃ　６０３３５－１：２０２０", "IEC 60335-1:2020", "IEC", "international", 2020),
    ("ISO 9001:2015/Amd 1:2024", "ISO 9001:2015/Amd 1:2024", "ISO", "international", 2024),
    ("ITU-T Y.3172 (06/2019)", "ITU-T Y.3172 (06/2019)", "ITU", "international", 2019),
    ("EN 60335—1:2012", "EN 60335-1:2012", "EN", "foreign", 2012),
    ("EN 196-3:2005+A1:2008", "EN 196-3:2005+A1:2008", "EN", "foreign", 2005),
    ("EN ISO 14683:2019", "EN ISO 14683:2019", "EN", "foreign", 2019),
    ("JIS C 8990:2009", "JIS C 8990:2009", "JIS", "foreign", 2009),
    ("ASTM D638-14", "ASTM D638-14", "ASTM", "foreign", 2014),
    ("ASTM E8/E8M-22", "ASTM E8/E8M-22", "ASTM", "foreign", 2022),
    ("ASTM D3359-17a", "ASTM D3359-17a", "ASTM", "foreign", 2017),
    ("ASTM D578/D578M-05", "ASTM D578/D578M-05", "ASTM", "foreign", 2005),
    ("DIN EN ISO 9001:2015", "DIN EN ISO 9001:2015", "DIN", "foreign", 2015),
    ("BS EN 60335-1:2012+A13:2017", "BS EN 60335-1:2012+A13:2017", "BS", "foreign", 2012),
    ("ANSI Z535.1-2017", "ANSI Z535.1-2017", "ANSI", "foreign", 2017),
    ("ANSI/UL 1741", "ANSI/UL 1741", "ANSI", "foreign", None),
    ("UL 94", "UL 94", "UL", "foreign", None),
])
def test_recognised_numbers(given: str, code: str, body: str, scope: str, year: int | None) -> None:
    number = parse_benchmark_standard(given)
    assert (number.code, number.body, number.scope, number.year) == (code, body, scope, year)


@pytest.mark.parametrize(("given", "says"), [
    ("GB/T 18373-2013", "not an international or recognised foreign"),   # a Chinese standard is no benchmark
    ("ISQ 9001:2015", "not an international or recognised foreign"),     # unknown body
    ("ISO 9001:15", "four-digit year"),
    ("ISO/DIS 9001", "draft"),
    ("JIS 8990:2009", "JIS"),                                            # no division letter
    ("ASTM 638-14", "ASTM"),                                             # no letter class
    ("EN 60335-1", "EN"),                                                # no year
    ("", "empty"),
])
def test_refused_numbers_say_why_in_both_languages(given: str, says: str) -> None:
    with pytest.raises(InvalidBenchmarkStandard) as caught:
        parse_benchmark_standard(given)
    assert says in caught.value.text.en
    assert caught.value.text.zh and caught.value.text.zh != caught.value.text.en
