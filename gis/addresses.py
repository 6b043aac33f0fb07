"""Chinese address parsing: free text → named components.

:func:`parse_address` turns ``"陕西省安康市汉滨区老城街道大北街社区纱帽石53号"`` into
``{"province": "陕西省", "city": "安康市", "district": "汉滨区", "subdistrict": "老城街道",
"community": "大北街社区", "street": "纱帽石", "house_number": "53"}``.

How it works, in three steps:

1. **Normalise** the text: NFKC (full-width digits and letters become ASCII), spaces removed,
   Chinese numerals in house-number positions become digits (``五十三号`` → ``53号``), filler
   words dropped (``附近``, ``对面``, ``旁边`` …) and ``社区居委会`` / ``居委会`` shortened to
   ``社区``.
2. **Segment** with a linear-chain CRF (python-crfsuite) trained on the NCAP corpus of labelled
   Chinese addresses (Li & Lu, NAACL 2019) plus synthetic addresses in this office's own forms
   (``…社区…53附1号3号楼2单元501室``); see ``gis/address_model/train.py``.
   Why a CRF and not rules alone: many real street names here carry no suffix (纱帽石, 鼓楼),
   a community can be named after a street (大北街社区 vs 大北街), and free-form addresses put
   places, roads, POIs and numbers in every order. On the NCAP dev set the rule forms below
   cover only ~20 % of addresses; with the CRF for the rest, street and house_number (NCAP's road and roadno) reach
   ≈ 0.93 F1 (bench/RESULTS.md). A CRF is one 1.4 MB file, needs no GPU/torch, and tags a few
   thousand addresses a second from Python; a neural tagger would gain a few points at 100×
   the cost and a heavy dependency.
   Before the model, two anchored rules catch the forms of nearly every roster address:
   road + number [+ building/unit/floor/room] with a short road name, and compound +
   building/unit/floor/room. They are exact for those forms and ~20× faster than the CRF (28 µs vs ~500 µs),
   which is what keeps batch geocoding above 10,000 addresses a second.
3. **Normalise the values** with rules: ``53-1号`` / ``53之1号`` → ``"53附1"``, ``3号楼`` →
   ``"3"``, ``2单元`` → ``"2"``, ``5层`` → ``"5"``, ``501室`` → ``"501"``; the province, city,
   district, sub-district and community prefixes of a well-formed address are also matched
   by anchored rules, which win over the model because they are unambiguous.

The module is pure: no I/O besides loading the bundled model file once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

COMPONENT_KEYS: tuple[str, ...] = (
    "province",
    "city",
    "district",
    "subdistrict",
    "community",
    "street",
    "house_number",
    "poi",
    "building",
    "unit",
    "floor",
    "room",
)

MODEL_PATH = Path(__file__).resolve().parent / "address_model" / "address_crf.crfsuite"

# NCAP label → component key, in the glossary's words (NCAP's road / roadno are our street /
# house_number). Labels not listed (assist, redundant, person, subpoi, …) are dropped.
NCAP_LABELS: dict[str, str] = {
    "prov": "province",
    "city": "city",
    "district": "district",
    "town": "subdistrict",
    "community": "community",
    "road": "street",
    "roadno": "house_number",
    "poi": "poi",
    "houseno": "building",
    "cellno": "unit",
    "floorno": "floor",
    "roomno": "room",
}

# --------------------------------------------------------------------------- normalisation

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇○一二两三四五六七八九十百千"
# Chinese numerals only where they are a number: before a number suffix, or after 附/之/-.
_CN_NUMBER_RE = re.compile(
    rf"[{_CN_NUM}]+(?=号|栋|幢|座|单元|层|楼|室|附|之|-)|(?<=[附之\-])[{_CN_NUM}]+"
)
# Dashes of every width become "-"; NFKC leaves some of them alone.
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "―": "-", "‐": "-", "~": "-"})
_SPACES_RE = re.compile(r"[\s_,，、。；;:：\"'“”‘’()（）【】\[\]]+")
# Filler words people add to an address; dropped before parsing. 附近 must go before 附 is read.
_FILLER_RE = re.compile(r"附近|对面|旁边|隔壁|周边|一带|斜对面|后面|门口|对过|往里走?|往前走?")
_COMMUNITY_OFFICE_RE = re.compile(r"社区居民委员会|社区居委会|居民委员会|居委会|社区居委")

_TOKEN_RE = re.compile(r"[0-9]+|[A-Za-z]+|.", re.S)
_HAS_CN_NUM_RE = re.compile(f"[{_CN_NUM}]")
_HAS_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def chinese_numeral_to_int(text: str) -> int:
    """Value of a Chinese numeral written with 十/百/千 or digit by digit.

    >>> chinese_numeral_to_int("一百零三"), chinese_numeral_to_int("十五"), chinese_numeral_to_int("五三")
    (103, 15, 53)
    """
    if not any(ch in _CN_UNITS for ch in text):
        # 五三号, 一零三室: read digit by digit.
        return int("".join(str(_CN_DIGITS[ch]) for ch in text)) if text else 0
    total = 0
    digit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            total += (digit or 1) * unit  # 十五: a bare 十 means 一十
            digit = 0
    return total + digit


def normalize_address(text: object) -> str:
    """Normalise an address for parsing: half-width, no spaces, digits, no filler words.

    >>> normalize_address("纱帽石 五十三号附近")
    '纱帽石53号'
    >>> normalize_address("大北街社区居委会纱帽石５３－１号")
    '大北街社区纱帽石53-1号'
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_DASHES)
    s = _SPACES_RE.sub("", s)
    s = _FILLER_RE.sub("", s)
    s = _COMMUNITY_OFFICE_RE.sub("社区", s)
    s = s.replace("社区社区", "社区")
    if _HAS_CN_NUM_RE.search(s):
        s = _CN_NUMBER_RE.sub(lambda m: str(chinese_numeral_to_int(m.group(0))), s)
    return s


def tokenize(text: str) -> list[str]:
    """Split into the NCAP corpus's tokens: digit runs, Latin-letter runs, single characters."""
    return _TOKEN_RE.findall(text)


# --------------------------------------------------------------------------- CRF features

_SUFFIX_CLASSES: dict[str, str] = {}
for _chars, _cls in (
    ("省", "P"),
    ("市", "C"),
    ("区县", "D"),
    ("镇乡", "T"),
    ("村", "V"),
    ("路街巷道弄里坊沟梁坡", "R"),
    ("号", "N"),
    ("栋幢座", "B"),
    ("层楼", "F"),
    ("室", "M"),
    ("附之-", "A"),
    ("苑园庭府厦城场寓湾庄居", "Q"),
):
    for _c in _chars:
        _SUFFIX_CLASSES[_c] = _cls


def _shape(tok: str) -> str:
    c = tok[0]
    if c.isdigit():
        return "0"
    if c.isascii() and c.isalpha():
        return "a"
    return _SUFFIX_CLASSES.get(c, "h" if "\u4e00" <= c <= "\u9fff" else "o")


def _key(tok: str) -> str:
    """The identity a token shows the model: numbers by length only, letters by class."""
    c = tok[0]
    if c.isdigit():
        return "N" + str(min(len(tok), 4))
    if c.isascii() and c.isalpha():
        return "L" if len(tok) == 1 else "LL"
    return tok


def sequence_features(tokens: list[str]) -> list[list[str]]:
    """CRF features for each token: the token and its neighbours within ±2, bigrams, classes.

    Shared by the tagger and ``gis/address_model/train.py`` so training and use cannot drift.
    """
    n = len(tokens)
    keys = ["^^", "^"] + [_key(t) for t in tokens] + ["$", "$$"]
    shapes = ["^", "^"] + [_shape(t) for t in tokens] + ["$", "$"]
    feats: list[list[str]] = []
    for i in range(n):
        j = i + 2
        w0, wm1, wp1, wm2, wp2 = keys[j], keys[j - 1], keys[j + 1], keys[j - 2], keys[j + 2]
        s0, sm1, sp1 = shapes[j], shapes[j - 1], shapes[j + 1]
        feats.append(
            [
                "w=" + w0,
                "w-1=" + wm1,
                "w+1=" + wp1,
                "w-2=" + wm2,
                "w+2=" + wp2,
                "w-1w=" + wm1 + w0,
                "ww+1=" + w0 + wp1,
                "w+1w+2=" + wp1 + wp2,
                "w-2w-1=" + wm2 + wm1,
                "s=" + sm1 + s0 + sp1,
                "s+=" + s0 + sp1 + shapes[j + 2],
                "s-=" + shapes[j - 2] + sm1 + s0,
                "pos=" + (str(i) if i < 4 else "m"),
            ]
        )
    return feats


_tagger_local = threading.local()


def _tagger() -> Any:
    """One CRF tagger per thread (crfsuite taggers are not thread-safe), opened lazily."""
    tagger = getattr(_tagger_local, "tagger", None)
    if tagger is None:
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(MODEL_PATH))
        _tagger_local.tagger = tagger
    return tagger


def tag_tokens(tokens: list[str]) -> list[str]:
    """NCAP labels (``B-road``, ``I-roadno`` …) for a token list, by the bundled CRF."""
    if not tokens:
        return []
    return list(_tagger().tag(sequence_features(tokens)))


# --------------------------------------------------------------------------- value rules

_NUMBER_RE = re.compile(r"([0-9]+)(?:号)?(?:([附之\-])([0-9]+))?")
_ROAD_NUMBER_VALUE_RE = re.compile(r"^([0-9]+)(?:号?[附之\-]([0-9]+))?")
_STRIP_SUFFIX = {
    "building": re.compile(r"(?:号楼|号院|号|栋|幢|座|楼|院)$"),
    "unit": re.compile(r"(?:单元|门|号)$"),
    "floor": re.compile(r"(?:层|楼|F|f)$"),
    "room": re.compile(r"(?:室|号|房)$"),
}
_LEADING_JUNK = re.compile(r"^[-#]+|[-#]+$")


def normalize_value(key: str, value: str) -> str:
    """Normalise one component value: house numbers to ``"53"`` / ``"53附1"``, suffixes off.

    >>> normalize_value("house_number", "53-1号"), normalize_value("building", "3号楼")
    ('53附1', '3')
    """
    if value.isdigit():
        return value
    value = _LEADING_JUNK.sub("", value)
    if key == "house_number":
        m = _ROAD_NUMBER_VALUE_RE.match(value)
        if m:
            return m.group(1) + ("附" + m.group(2) if m.group(2) else "")
        return value.rstrip("号")
    if key == "community":
        return _COMMUNITY_OFFICE_RE.sub("社区", value)
    rule = _STRIP_SUFFIX.get(key)
    if rule is not None:
        stripped = rule.sub("", value)
        return stripped or value
    return value


# Anchored rules for the administrative prefix and the tail; unambiguous, so they beat the model.
_PROVINCE_RE = re.compile(
    r"^(?:(北京|天津|上海|重庆)市(?=.)|([\u4e00-\u9fff]{2,3}?省)|"
    r"(内蒙古自治区|广西壮族自治区|西藏自治区|宁夏回族自治区|新疆维吾尔自治区))"
)
_CITY_RE = re.compile(r"^([\u4e00-\u9fff]{2,4}?(?:市|地区|自治州))(?![场区])")
_DISTRICT_RE = re.compile(r"^([\u4e00-\u9fff]{1,3}?[^社小园景矿校厂](?:区|县|自治县))")
_SUBDISTRICT_RE = re.compile(r"^([\u4e00-\u9fff]{2,5}?(?:街道办事处|街道办|街道|镇|乡))")
_COMMUNITY_RE = re.compile(r"^([\u4e00-\u9fff0-9]{1,8}?(?:社区|村))(?![委民])")
# road + number + building/unit/floor/room, the common tail of a household roster address.
_TAIL_RE = re.compile(
    r"^(?P<street>[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z]{0,11}?)"
    r"(?P<house_number>[0-9]+(?:号?[附之\-][0-9]+)?)(?:号院|号|$)"
    r"(?:(?P<building_d>[0-9]+)-(?P<unit_d>[0-9]+)-(?P<room_d>[0-9]+)$|"  # 3-2-202
    r"(?:(?P<building>[0-9A-Za-z]+)(?:号楼|栋|幢|座))?"
    r"(?:(?P<unit>[0-9]+)单元)?"
    r"(?:(?P<floor>[0-9]+)(?:层|楼))?"
    r"(?:(?P<room>[0-9]+)(?:室|号)?)?$)"
)
# compound + building/unit/floor/room: 兴安花园小区1栋1单元101, the other common roster form.
_COMPOUND_TAIL_RE = re.compile(
    r"^(?P<poi>[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z]{1,15}?)"
    r"(?P<building>[0-9A-Za-z]+)(?:号楼|栋|幢|座)"
    r"(?:(?P<unit>[0-9]+)单元)?"
    r"(?:(?P<floor>[0-9]+)(?:层|楼))?"
    r"(?:(?P<room>[0-9]+)(?:室|号)?)?$"
)
_ROAD_CHAR_RE = re.compile(r"[路街巷道弄]")


def _is_simple_street(name: str) -> bool:
    """A short street name the fast path may trust (纱帽石, 兴安路, 西关正街).

    Longer strings before a number are often a place plus a road (临平朝阳东路, 开发区云峰路)
    or a POI; the CRF separates those better than any rule (see bench/RESULTS.md).
    """
    if _NOT_A_ROAD_RE.search(name):
        return False
    if len(name) <= 4:
        return True
    return len(name) <= 5 and name[-1] in "路街巷道" and not _ROAD_CHAR_RE.search(name[:-1])


_SUBDISTRICT_WORDS = ("街道办事处", "街道办")
# A fast-path street that looks like a place or a compound (幸福家园, 综合楼) goes to the model.
_NOT_A_ROAD_RE = re.compile(
    r"[省镇乡]|社区|小区|街道|"
    r"(?:市|县|区|村|苑|园|庭|府|厦|城|场|寓|庄|居|院|楼|都|邸|阁|轩|郡|墅|中心|公司|厂|局)$"
)


def _admin_prefix(text: str) -> tuple[dict[str, str], str]:
    """Peel province/city/district/sub-district/community off the front of ``text``."""
    out: dict[str, str] = {}
    rest = text
    for key, rule in (
        ("province", _PROVINCE_RE),
        ("city", _CITY_RE),
        ("district", _DISTRICT_RE),
        ("subdistrict", _SUBDISTRICT_RE),
        ("community", _COMMUNITY_RE),
    ):
        m = rule.match(rest)
        if not m:
            continue
        value = m.group(0)
        if key == "province" and value.endswith("市"):
            out["province"] = value
            out["city"] = value
        else:
            out[key] = value
        rest = rest[m.end() :]
    sub = out.get("subdistrict")
    if sub:
        for word in _SUBDISTRICT_WORDS:
            if sub.endswith(word):
                out["subdistrict"] = sub[: -len(word)] + "街道"
    return out, rest


def _components_from_tags(tokens: list[str], tags: list[str]) -> dict[str, str]:
    """First span of each mapped label, joined back to text."""
    spans: dict[str, str] = {}
    cur_key: str | None = None
    cur: list[str] = []
    closed: set[str] = set()

    def flush() -> None:
        if cur_key is not None and cur_key not in closed:
            spans[cur_key] = "".join(cur)
            closed.add(cur_key)

    for tok, tag in zip(tokens, tags, strict=True):
        bio, _, label = tag.partition("-")
        key = NCAP_LABELS.get(label.lower())
        if bio == "B" or key != cur_key:
            flush()
            cur_key, cur = key, [tok]
        else:
            cur.append(tok)
    flush()
    return spans


_NUMBER_KEYS = frozenset({"house_number", "building", "unit", "floor", "room"})
_HAS_NUMBER_RE = re.compile(r"[0-9A-Za-z甲乙丙丁]")


def _finish(components: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in COMPONENT_KEYS:
        value = components.get(key)
        if value:
            value = normalize_value(key, value)
            # A number field without a number (a lone 楼 or 号) is a segmentation slip: drop it.
            if value and (key not in _NUMBER_KEYS or _HAS_NUMBER_RE.search(value)):
                out[key] = value
    return out


def parse_address(text: object) -> dict[str, str]:
    """Split a Chinese address into components.

    Parameters
    ----------
    text
        Free-text address as a person wrote it. ``None``, numbers and garbage are accepted.

    Returns
    -------
    dict
        Components among ``province, city, district, subdistrict, community, street,
        house_number, poi, building, unit, floor, room``; absent ones are omitted, so empty or
        garbage input gives ``{}``. Numbers are ASCII digits; a sub-number is written
        ``"53附1"``.

    Examples
    --------
    >>> parse_address("大北街社区兴安路12号3号楼2单元501室")
    {'community': '大北街社区', 'street': '兴安路', 'house_number': '12', 'building': '3', 'unit': '2', 'room': '501'}
    >>> parse_address("纱帽石五十三号")
    {'street': '纱帽石', 'house_number': '53'}
    """
    return parse_normalized(normalize_address(text))


def parse_normalized(s: str) -> dict[str, str]:
    """:func:`parse_address` for text already passed through :func:`normalize_address`."""
    if not s or not _HAS_CJK_RE.search(s):
        return {}
    admin, rest = _admin_prefix(s)
    # Fast path: the rest is exactly road + number [+ building/unit/floor/room], the form of
    # nearly every roster address. The road must not itself look like a place (市/区/镇/村…).
    m = _TAIL_RE.match(rest)
    if m and _is_simple_street(m.group("street")):
        comps = dict(admin)
        comps.update({k.removesuffix("_d"): v for k, v in m.groupdict().items() if v})
        return _finish(comps)
    m = _COMPOUND_TAIL_RE.match(rest)
    if m and _NOT_A_ROAD_RE.search(m.group("poi")) and not _ROAD_CHAR_RE.search(m.group("poi")):
        comps = dict(admin)
        comps.update({k: v for k, v in m.groupdict().items() if v})
        return _finish(comps)
    tokens = tokenize(s)
    tags = tag_tokens(tokens)
    comps = _components_from_tags(tokens, tags)
    # The anchored prefix rules are unambiguous: they override the model for those keys.
    for key, value in admin.items():
        comps[key] = value
    if "community" in admin:
        # The model sometimes reads 大北街|社区 as road + community; the rule knows better.
        street = comps.get("street")
        if street and admin["community"].startswith(street):
            del comps["street"]
    return _finish(comps)


def parse_addresses(texts: Iterable[object]) -> list[dict[str, str]]:
    """:func:`parse_address` over many addresses; repeated texts are parsed once.

    >>> parse_addresses(["纱帽石53号", "", "纱帽石53号"])[0]
    {'street': '纱帽石', 'house_number': '53'}
    """
    cache: dict[object, dict[str, str]] = {}
    out: list[dict[str, str]] = []
    for text in texts:
        key = text if isinstance(text, str) else repr(text)
        comps = cache.get(key)
        if comps is None:
            comps = parse_address(text)
            cache[key] = comps
        out.append(dict(comps))
    return out


def house_number_parts(house_number: str) -> tuple[int, int] | None:
    """``"53附1"`` → ``(53, 1)``, ``"53"`` → ``(53, 0)``; None when not a number.

    >>> house_number_parts("53附1"), house_number_parts("甲")
    ((53, 1), None)
    """
    m = _NUMBER_RE.fullmatch(house_number)
    if not m:
        return None
    return int(m.group(1)), int(m.group(3) or 0)
