"""The held-for-review records the review and approval tests share (issue #11).

X-1 and Y-1 claim rank 1 on one standard (a rank conflict: both held, 300,000
each once approved); P-1 is a plain participant on another (paid 150,000);
S-1 is registered outside the city (held for its region).
"""

from __future__ import annotations

from typing import Any

__all__ = ["CODE_A", "CODE_B", "CODE_C", "CODE_SH", "HELD_RECORDS"]

CODE_A = "913304007429141869"   # 330400: Jiaxing, city level
CODE_B = "91330482MA2AH5T006"   # 330482: Pinghu
CODE_C = "91330402MA2B3C4D1N"   # 330402: Nanhu
CODE_SH = "91310115MA1FL0AB0P"  # 310115: Shanghai (held: registered outside the city)

#: X-1, Y-1, P-1, S-1 in that order; tests that need no region hold take ``HELD_RECORDS[:3]``.
HELD_RECORDS: list[dict[str, Any]] = [
    {"id": "X-1", "kind": "standard_drafting", "date": "2024-06-28", "credit_code": CODE_A,
     "organisation": "嘉兴市某某制造有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
    {"id": "Y-1", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": CODE_B,
     "organisation": "平湖光电新能源有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
    {"id": "P-1", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": CODE_C,
     "organisation": "嘉兴南湖某某研究院", "standard_code": "GB/T 44102-2024", "rank": 2},
    {"id": "S-1", "kind": "standard_drafting", "date": "2023-05-10", "credit_code": CODE_SH,
     "organisation": "上海某某科技有限公司", "standard_code": "GB/T 43001-2023", "rank": 1},
]
