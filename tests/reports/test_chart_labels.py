"""Chart labels are not cut off: a ranking's label column is as wide as its longest label needs
(a product's name with its model), and a label cut at all is cut where it no longer fits."""

import re
from decimal import Decimal

from pos.reports import charts


def labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" font-size="12" fill="#1f2328">([^<]*)<title>', str(svg))


def test_a_name_with_its_model_is_shown_whole():
    svg = charts.bars([("海尔冰箱除味剂 PJ-010", Decimal("39")), ("海尔对开门冰箱 BCD-470WDPG", Decimal("4998"))],
                      title="畅销商品")
    assert labels(svg) == ["海尔冰箱除味剂 PJ-010", "海尔对开门冰箱 BCD-470WDPG"]
    width = int(re.search(r'<text x="(\d+)"', str(svg)).group(1)) + 6  # the label column
    assert width >= charts.text_px("海尔对开门冰箱 BCD-470WDPG", 12)


def test_a_very_long_label_is_cut_to_what_fits():
    name = "超长的商品名称" * 6
    svg = charts.bars([(name, Decimal("1"))], title="t", width=480)
    shown = labels(svg)[0]
    assert shown.endswith("…") and charts.text_px(shown, 12) <= 480 * 0.45
    assert f"<title>{name}</title>" in str(svg)  # the whole name on hover
