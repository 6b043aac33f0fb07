"""Address parsing: every written form a roster uses, and garbage that must not raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.addresses import (
    COMPONENT_KEYS,
    chinese_numeral_to_int,
    house_number_parts,
    normalize_address,
    parse_address,
    parse_addresses,
)

FULL = {
    "province": "陕西省",
    "city": "安康市",
    "district": "汉滨区",
    "subdistrict": "老城街道",
    "community": "大北街社区",
    "street": "纱帽石",
    "house_number": "53",
}


def test_full_address() -> None:
    assert parse_address("陕西省安康市汉滨区老城街道大北街社区纱帽石53号") == FULL


@pytest.mark.parametrize(
    "text",
    [
        "纱帽石53号",
        "纱帽石五十三号",
        "纱帽石 53 号",
        "纱帽石５３号",
        "纱帽石　５３　号",  # full-width spaces
        "纱帽石五三号",
        "纱帽石53号附近",
        "纱帽石53号对面",
        "纱帽石53号旁边",
        "纱帽石53",
    ],
)
def test_written_forms_of_one_plate(text: str) -> None:
    assert parse_address(text) == {"street": "纱帽石", "house_number": "53"}


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("二十一", 21),
        ("一百零三", 103),
        ("两百", 200),
        ("一千零一", 1001),
        ("五三", 53),
        ("一零三", 103),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert chinese_numeral_to_int(numeral) == value
    assert parse_address(f"兴安路{numeral}号")["house_number"] == str(value)


@pytest.mark.parametrize(
    "text",
    [
        "纱帽石53附1号",
        "纱帽石53-1号",
        "纱帽石53之1号",
        "纱帽石53号附1号",
        "纱帽石五十三附一号",
        "纱帽石53－1号",
        "纱帽石53—1号",
    ],
)
def test_sub_numbers_normalise_to_fu(text: str) -> None:
    assert parse_address(text) == {"street": "纱帽石", "house_number": "53附1"}


def test_building_unit_floor_room() -> None:
    assert parse_address("大北街社区兴安路12号3号楼2单元501室") == {
        "community": "大北街社区",
        "street": "兴安路",
        "house_number": "12",
        "building": "3",
        "unit": "2",
        "room": "501",
    }
    got = parse_address("兴安路12号院2栋3单元5层502")
    assert got == {
        "street": "兴安路",
        "house_number": "12",
        "building": "2",
        "unit": "3",
        "floor": "5",
        "room": "502",
    }
    assert parse_address("兴安路12号三幢")["building"] == "3"
    assert parse_address("兴安路12号3号楼五楼")["floor"] == "5"


@pytest.mark.parametrize(
    "text",
    [
        "大北街社区居委会纱帽石53号",
        "大北街社区居民委员会纱帽石53号",
        "大北街居委会纱帽石53号",
        "大北街社区 纱帽石53号",
    ],
)
def test_community_office_words(text: str) -> None:
    assert parse_address(text) == {
        "community": "大北街社区",
        "street": "纱帽石",
        "house_number": "53",
    }


def test_community_named_after_a_street() -> None:
    # 大北街社区 is a community; 大北街 after it is the road.
    assert parse_address("大北街社区大北街12号") == {
        "community": "大北街社区",
        "street": "大北街",
        "house_number": "12",
    }
    assert parse_address("大北街12号") == {"street": "大北街", "house_number": "12"}
    got = parse_address("汉滨区老城街道大北街社区")
    assert got == {"district": "汉滨区", "subdistrict": "老城街道", "community": "大北街社区"}


def test_subdistrict_office_words() -> None:
    assert parse_address("老城街道办事处鼓楼社区鼓楼街20号")["subdistrict"] == "老城街道"
    assert parse_address("老城街道办鼓楼社区鼓楼街20号")["subdistrict"] == "老城街道"


def test_poi_without_number() -> None:
    got = parse_address("安康市汉滨区兴安公园旁边")
    assert got["city"] == "安康市" and got["district"] == "汉滨区"
    assert "兴安公园" in got.get("poi", "") + got.get("street", "")


def test_model_path_for_free_forms() -> None:
    # Not the roster form: the CRF segments it.
    got = parse_address("浙江省杭州市拱墅区莫干山路1744号美都广场C座1391")
    assert got["street"] == "莫干山路"
    assert got["house_number"] == "1744"
    assert got["province"] == "浙江省"


@pytest.mark.parametrize(
    "text", ["", "   ", None, 123, 4.5, "!!!", "？？？", "abc", "53号", "-", "号号号"]
)
def test_garbage_gives_no_exception(text: object) -> None:
    got = parse_address(text)
    assert isinstance(got, dict)
    assert set(got) <= set(COMPONENT_KEYS)
    if text in ("", "   ", None, 123, 4.5, "!!!", "？？？", "abc", "-"):
        assert got == {}


def test_only_known_keys_and_strings() -> None:
    for text in [
        "陕西省安康市汉滨区老城街道大北街社区纱帽石53号3号楼2单元5层501室",
        "兴安公园东门",
    ]:
        got = parse_address(text)
        assert set(got) <= set(COMPONENT_KEYS)
        assert all(isinstance(v, str) and v for v in got.values())


def test_batch_matches_single_and_copies() -> None:
    texts = ["纱帽石53号", "大北街社区兴安路12号3号楼2单元501室", "", "纱帽石53号"]
    got = parse_addresses(texts)
    assert got == [parse_address(t) for t in texts]
    got[0]["street"] = "changed"
    assert got[3]["street"] == "纱帽石"  # repeated inputs are not shared objects
    assert parse_addresses(iter([])) == []


def test_normalize_address() -> None:
    assert normalize_address("纱帽石 五十三号附近") == "纱帽石53号"
    assert normalize_address("金家一路") == "金家一路"  # numerals in names are left alone
    assert normalize_address(None) == ""


def test_house_number_parts() -> None:
    assert house_number_parts("53") == (53, 0)
    assert house_number_parts("53附1") == (53, 1)
    assert house_number_parts("甲3") is None


def test_compound_forms() -> None:
    assert parse_address("老城街道兴安花园小区1号楼2单元102室") == {
        "subdistrict": "老城街道",
        "poi": "兴安花园小区",
        "building": "1",
        "unit": "2",
        "room": "102",
    }
    got = parse_address("杏园巷6号院3栋2单元301")
    assert got == {
        "street": "杏园巷",
        "house_number": "6",
        "building": "3",
        "unit": "2",
        "room": "301",
    }


def test_number_fields_always_hold_a_number() -> None:
    for text in ["兴安路3号楼2单元", "兴安路楼", "纱帽石号", "兴安路12号楼上"]:
        got = parse_address(text)
        for key in ("house_number", "building", "unit", "floor", "room"):
            if key in got:
                assert any(ch.isdigit() or ch.isascii() for ch in got[key]), (text, got)


_ADDRESS_CHARS = "陕西省安康市汉滨区老城街道大北街社区纱帽石巷路号楼栋幢单元层室附之近对面旁边十一二三五零百0123456789０５－- 　"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ADDRESS_CHARS, max_size=40) | st.text(max_size=30))
def test_parse_never_raises_and_keeps_to_the_schema(text: str) -> None:
    got = parse_address(text)
    assert set(got) <= set(COMPONENT_KEYS)
    assert all(isinstance(v, str) and v for v in got.values())
