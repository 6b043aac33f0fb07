"""Text somebody typed (a citizen's case description, a clerk's note, a roster's name or address,
a file name) shown as exactly that text: no Markdown, no images, no links, no HTML.

Streamlit renders ``st.markdown``/``st.caption``/``st.error``/``st.subheader`` … as GitHub
Markdown, so a description ``![t](http://host/x.png)`` would make every viewer's browser fetch
that address, and ``[点我](http://evil.example)`` would be a live link. CommonMark lets any ASCII
punctuation be escaped with a backslash, and an escaped character is always literal; escaping
all of them (not a hand-picked list) also stops Streamlit's ``:red[…]`` / ``:material/…:``
directives and ``$…$`` maths. GFM's bare-URL autolinks are found in the *rendered* text, after
escapes are resolved (remark-gfm), so a word that could become one (``http://…``, ``www.…``,
an e-mail address) is shown as inline code instead, which is never linked. Maps' tooltips are
HTML, so they get :func:`html.escape` instead (:func:`html_text`).
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# What remark-gfm's autolink-literal turns into a link: http(s)://…, www.…, name@host.tld.
_LINKABLE = re.compile(r"\S*?(?:https?://|www\.|@[\w-]+\.\w)\S*", re.IGNORECASE)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def plain(value: Any) -> str:
    """``value`` as Markdown that renders as the literal text (line breaks kept).

    >>> print(plain("![t](x.png) 张*三*"))
    \\!\\[t\\]\\(x\\.png\\) 张\\*三\\*
    >>> print(plain("[点我](http://evil.example)"))
    `[点我](http://evil.example)`
    >>> plain("张三")
    '张三'
    """
    raw = _text(value).replace("\r\n", "\n").replace("\r", "\n")
    return "  \n".join(_line(line.strip()) for line in raw.split("\n"))


def _line(text: str) -> str:
    out: list[str] = []
    at = 0
    for hit in _LINKABLE.finditer(text):
        out.append(_ASCII_PUNCTUATION.sub(r"\\\1", text[at : hit.start()]))
        out.append(_code(hit.group(0)))
        at = hit.end()
    out.append(_ASCII_PUNCTUATION.sub(r"\\\1", text[at:]))
    return "".join(out)


def _code(word: str) -> str:
    """``word`` as an inline code span (its content is literal: no escapes, links or images)."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", word)), default=0) + 1)
    pad = " " if word.startswith("`") or word.endswith("`") else ""
    return f"{fence}{pad}{word}{pad}{fence}"


def html_text(value: Any) -> str:
    """``value`` safe inside HTML (a folium tooltip or popup): ``<``, ``&`` and quotes escaped."""
    return html.escape(_text(value), quote=True)
