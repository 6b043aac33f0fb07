"""Personal-data rules: resident ID numbers (GB 11643), phone numbers, masking.

Pure functions, no I/O. The check-digit algorithm is the national standard's
(weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, mod 11 through "10X98765432").
"""

from __future__ import annotations

import datetime as dt
import re

from core import clock

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ－　", "0123456789xX- ")


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits.

    >>> id_check_char("61090219800101001")
    '9'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"需要17位数字，得到 {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize_id_number(value: object) -> str:
    """Strip spaces, full-width characters and lower-case x; return the 18 characters."""
    text = str(value if value is not None else "").translate(_FULLWIDTH)
    text = re.sub(r"\s+", "", text).upper()
    if text.endswith(".0") and text[:-2].isdigit():  # Excel turned it into a float
        text = text[:-2]
    return text


def id_number_problem(value: object, *, today: dt.date | None = None) -> str | None:
    """Return why an ID number is not valid (in Chinese), or None when it is.

    Checks length, characters, a plausible birth date (not in the future, not before 1900)
    and the check character.
    """
    text = normalize_id_number(value)
    if not text:
        return "身份证号为空"
    if len(text) != 18:
        return f"身份证号应为18位，实际{len(text)}位"
    if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        return "身份证号只能是数字，最后一位可为X"
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return f"身份证号中的出生日期 {text[6:14]} 不存在"
    today = today or clock.today()  # Beijing date
    if birth > today or birth.year < 1900:
        return f"身份证号中的出生日期 {text[6:14]} 不合理"
    if id_check_char(text[:17]) != text[17]:
        return "身份证号校验位不正确"
    return None


def birth_date_from_id(value: str) -> dt.date:
    text = normalize_id_number(value)
    return dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


def normalize_phone(value: object) -> str:
    text = str(value if value is not None else "").translate(_FULLWIDTH)
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return re.sub(r"[\s\-()（）]", "", text)


def phone_problem(value: object) -> str | None:
    """Return why a phone number is not valid (in Chinese), or None.

    Mobile: 11 digits starting 13–19. Landline: area code 0xx(x) + 7–8 digits (e.g. 0915-3212345),
    or a bare 7–8 digit local number.
    """
    text = normalize_phone(value)
    if not text:
        return "电话为空"
    if re.fullmatch(r"1[3-9]\d{9}", text):
        return None
    if re.fullmatch(r"0\d{2,3}\d{7,8}", text) or re.fullmatch(r"\d{7,8}", text):
        return None
    return f"电话 {value} 不是11位手机号或带区号的座机号"


def mask_id_number(value: str | None) -> str:
    """610902********1234 — first 6 + asterisks + last 4, as DOMAIN.md prescribes."""
    if not value:
        return ""
    text = normalize_id_number(value)
    if len(text) < 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_phone(value: str | None) -> str:
    """138****1234 for mobiles; keep the area code and last 4 for landlines."""
    if not value:
        return ""
    text = normalize_phone(value)
    if len(text) <= 4:
        return "*" * len(text)
    if text.startswith("0"):
        keep_head = 4 if len(text) >= 11 else 3  # the area code is not personal
    else:
        keep_head = 3 if len(text) == 11 else 0
    return text[:keep_head] + "*" * (len(text) - keep_head - 4) + text[-4:]
