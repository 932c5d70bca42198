"""Where a house is, as text: "甲3幢1单元0101" in Chinese, "甲3幢 unit 1 room 0101" in English.

The one place that writes a house's building, unit, floor and room as words (prints, notices,
order lines, problem messages). Units and floors are entered either bare ("1", 3) or with their
Chinese word ("1单元", "3层"); the word is added by the translation, so it is taken off the value
first and never appears twice ("1单元单元").
"""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _

UNIT_WORD = "单元"
FLOOR_WORDS = ("层", "楼")


def _without_suffix(value: object, words: tuple[str, ...]) -> str:
    text = "" if value is None else str(value).strip()
    for word in words:
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)].strip()
    return text


def unit_number(unit: object) -> str:
    """The unit as entered, without a trailing 单元: "1单元" → "1", "" stays ""."""
    return _without_suffix(unit, (UNIT_WORD,))


def floor_number(floor: object) -> str:
    """The floor without a trailing 层 or 楼: 3 → "3", "3层" → "3"."""
    return _without_suffix(floor, FLOOR_WORDS)


def location_text(building: object, unit: object, room: object,
                  floor: Optional[object] = None) -> str:
    """Building, unit, (floor,) room in the current language; empty unit or floor left out."""
    values = {"building": "" if building is None else str(building).strip(),
              "unit": unit_number(unit), "room": "" if room is None else str(room).strip(),
              "floor": floor_number(floor)}
    if values["floor"]:
        if values["unit"]:
            return _("%(building)s unit %(unit)s floor %(floor)s room %(room)s", **values)
        return _("%(building)s floor %(floor)s room %(room)s", **values)
    if values["unit"]:
        return _("%(building)s unit %(unit)s room %(room)s", **values)
    return _("%(building)s room %(room)s", **values)
