"""Raw values never reach the screen: app_pages.display, the one formatter every table uses."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from app_pages import display
from core import vocab

BEIJING = dt.timezone(dt.timedelta(hours=8))


def test_a_timestamp_with_offset_is_shown_in_beijing_time_without_seconds():
    at = dt.datetime(2026, 10, 20, 9, 0, tzinfo=BEIJING)
    assert display.moment(at) == "2026-10-20 09:00"
    assert display.moment(at, style="prose") == "2026年10月20日 09:00"
    assert display.moment(at, style="dense") == "10-20 09:00"
    assert display.moment("2026-10-20 09:00:00+08:00") == "2026-10-20 09:00"
    assert display.moment(at.astimezone(dt.UTC)) == "2026-10-20 09:00"


def test_missing_values_are_a_dash():
    for missing in (None, float("nan"), pd.NaT, pd.NA):
        assert display.value(missing) == "—"
        assert display.moment(missing) == "—"


def test_a_frame_of_service_rows_has_no_raw_value_left():
    at = pd.Timestamp("2026-10-20 09:00:00+08:00")
    raw = pd.DataFrame(
        {
            "case_no": ["LC20261020-0001", "LC20261020-0002"],
            "received_at": [at, pd.NaT],
            "satisfaction": ["satisfied", None],
            "reached": [True, False],
            "channel_key": ["window", "hotline"],  # not a known column: guessed by its values
            "note": ["2026-10-20 09:00:00+08:00", None],
            "households": [3, 4],
        }
    )
    shown = display.frame(raw)
    assert shown["received_at"].tolist() == ["2026-10-20 09:00", "—"]
    assert shown["satisfaction"].tolist() == ["满意", "—"]
    assert shown["reached"].tolist() == ["是", "否"]
    assert shown["channel_key"].tolist() == [vocab.CHANNELS["window"], vocab.CHANNELS["hotline"]]
    assert shown["note"].tolist() == ["2026-10-20 09:00", "—"]
    assert shown["households"].tolist() == [3, 4]  # numbers stay numbers
    assert raw["satisfaction"].iloc[0] == "satisfied"  # the input is not changed


def test_plain_text_is_left_alone():
    assert display.value("西大街12号") == "西大街12号"
    assert display.value("window") == "window"  # a word on its own is not guessed
    assert display.frame(pd.DataFrame({"name": ["王芳", "李强"]}))["name"].tolist() == [
        "王芳",
        "李强",
    ]


def test_a_detail_dictionary_is_written_in_chinese():
    shown = display.value({"role": "clerk", "change": "add", "community_code": None})
    assert shown == "角色：窗口工作人员；变更：新增；社区编码：—"
