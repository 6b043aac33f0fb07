"""Every reader of office text files decodes the same way (issue 12: the hotline and calendar
readers tried GBK, the roster and address readers GB18030).

An office's "CSV" from Excel on Chinese Windows is GBK-family; a name with a character GBK lacks
(刘䶮, 吉𠮷) is saved as GB18030 four-byte sequences. Before, the hotline import refused such a
file and the calendar raised a bare UnicodeDecodeError (a traceback on the page).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cli.commands.addresses import read_table
from core.errors import InvalidInputError
from core.text_files import decode_office_text
from services.calendar import WorkCalendar
from services.cases.hotline import read_hotline
from services.households.roster_file import read_file

RARE = "刘䶮"  # 䶮 (U+4DAE) is in GB18030, not in GBK
NOT_TEXT = b"\x81\x20\xfe\xff,\x80\n"  # neither UTF-8 nor GB18030


def test_gbk_lacks_the_rare_character_that_gb18030_has() -> None:
    with pytest.raises(UnicodeEncodeError):
        RARE.encode("gbk")
    assert decode_office_text(RARE.encode("gb18030"), where="x.csv") == RARE
    assert decode_office_text(("\ufeff" + RARE).encode("utf-8"), where="x.csv") == RARE


def _hotline_csv(encoding: str) -> bytes:
    text = (
        "工单编号,来电时间,来电人,联系电话,地址,诉求类别,诉求内容\n"
        f"HX1,2026-11-28 09:15,{RARE},13912345678,纱帽石53号,城乡建设,路灯不亮\n"
    )
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_the_hotline_export_reads_a_rare_name_in_either_encoding(encoding: str) -> None:
    frame = read_hotline("12345工单.csv", data=_hotline_csv(encoding))
    assert list(frame["citizen_name"]) == [RARE]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_the_roster_reads_a_rare_name_in_either_encoding(encoding: str) -> None:
    data = f"户主姓名,现住址\n{RARE},纱帽石53号\n".encode(encoding)
    roster = read_file("花名册.csv", data)
    assert RARE in set(roster.table.iloc[:, 0])


def test_the_calendar_reads_a_gb18030_file(tmp_path: Path) -> None:
    path = tmp_path / "节假日.csv"
    path.write_bytes("date,kind,name\n2027-01-01,holiday,元旦䶮\n".encode("gb18030"))
    assert not WorkCalendar(path).is_workday(dt.date(2027, 1, 1))


def test_the_address_cli_reads_a_gb18030_file(tmp_path: Path) -> None:
    path = tmp_path / "地址.csv"
    path.write_bytes(f"姓名,地址\n{RARE},纱帽石53号\n".encode("gb18030"))
    frame = read_table(path, column="地址")
    assert RARE in set(frame["姓名"])


def test_undecodable_bytes_are_refused_by_name_in_every_reader(tmp_path: Path) -> None:
    calendar = tmp_path / "节假日.csv"
    calendar.write_bytes(b"date,kind,name\n" + NOT_TEXT)
    with pytest.raises(InvalidInputError, match="节假日.csv"):
        WorkCalendar(calendar)
    with pytest.raises(InvalidInputError, match="12345工单.csv"):
        read_hotline("12345工单.csv", data=b"a,b\n" + NOT_TEXT)
    with pytest.raises(InvalidInputError, match="花名册.csv"):
        read_file("花名册.csv", b"a,b\n" + NOT_TEXT)
    addresses = tmp_path / "地址.csv"
    addresses.write_bytes(b"a,b\n" + NOT_TEXT)
    with pytest.raises(InvalidInputError, match="地址.csv"):
        read_table(addresses, column="地址")
