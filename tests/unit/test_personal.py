"""ID numbers (GB 11643), phones and masking."""

from __future__ import annotations

import datetime as dt

import pytest

from core.personal import (
    id_check_char,
    id_number_problem,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    phone_problem,
)


def _valid(first17: str) -> str:
    return first17 + id_check_char(first17)


def test_the_standard_example_check_digit():
    # The worked example published with GB 11643-1999.
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("first17", ["61090219800101001", "61090220050229123", "61092419991231987"])
def test_valid_numbers_pass(first17):
    if first17[6:14] == "20050229":
        assert id_number_problem(_valid(first17)) is not None  # 2005 was not a leap year
    else:
        assert id_number_problem(_valid(first17)) is None


def test_lower_case_x_and_full_width_digits_are_the_same_number():
    number = "11010519491231002X"
    assert id_number_problem("11010519491231002x") is None
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == number


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "为空"),
        ("61090219800101001", "18位"),
        ("6109021980010100A6", "数字"),
        ("610902198013010016", "不存在"),
        ("610902180001010016", "不合理"),
    ],
)
def test_bad_numbers_say_why(value, fragment):
    problem = id_number_problem(value, today=dt.date(2026, 11, 30))
    assert problem is not None and fragment in problem


def test_a_wrong_check_digit_is_caught():
    good = _valid("61090219800101001")
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert "校验位" in id_number_problem(wrong)


def test_birth_date_in_the_future_is_refused():
    assert "不合理" in id_number_problem(_valid("61090220300101001"), today=dt.date(2026, 11, 30))


@pytest.mark.parametrize(
    "phone", ["13812345678", "0915-3212345", "0915 32123456", "(0915)3212345", "19912345678"]
)
def test_phones_that_offices_write(phone):
    assert phone_problem(phone) is None


@pytest.mark.parametrize("phone", ["1381234567", "12812345678", "电话", "091532"])
def test_bad_phones(phone):
    assert phone_problem(phone) is not None


def test_masking_shows_first_six_and_last_four():
    assert mask_id_number("610902198001010019") == "610902********0019"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0915-3212345") == "0915***2345"
