"""Links in comments, for the ``spam`` category: denied domains and URL shorteners (which
hide where a link goes, the usual trick of scam comments). Allowed domains never count."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SHORTENERS = frozenset({
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "s.id", "t.ly", "bl.ink", "lnkd.in",
    "shorte.st", "adf.ly", "v.gd", "clck.ru", "qrco.de", "linktr.ee", "tr.im", "x.co",
})
_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']{1,2000}"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}"
    r"(?:se|nu|com|net|org|io|ly|ru|xyz|top|info|biz|co|me|gl|gd|cc|at|id|in|app|site|"
    r"online|shop|click|link|live)\b(?:/[^\s<>\"']{0,2000})?"
)
_HOST = re.compile(r"(?i)^(?:https?://)?([^/\s:?#]+)")


@dataclass(frozen=True)
class Link:
    start: int
    end: int
    url: str
    domain: str
    reason: str | None  # why it counts as spam, None if it does not


def _matches(domain: str, patterns: Iterable[str]) -> bool:
    return any(domain == p or domain.endswith("." + p) for p in patterns)


_TLDS = frozenset(("se nu com net org io ly ru xyz top info biz co me gl gd cc at id in app "
                   "site online shop click link live").split())


_DOT_LETTER = re.compile(r"\.[^\W\d_]")


def _may_hold_link(text: str) -> bool:
    """A cheap look before the full expression: a scheme, www. or a dot before a TLD."""
    if "://" not in text and _DOT_LETTER.search(text) is None:
        return False  # every link has one or the other: most comments neither
    lower = text.lower()
    if "http" in lower or "www." in lower:
        return True
    i = lower.find(".")
    while i != -1:
        if i > 0 and lower[i - 1].isalnum():
            j = i + 1
            while j < len(lower) and lower[j].isalpha() and j - i <= 7:
                j += 1
            if lower[i + 1:j] in _TLDS:
                return True
        i = lower.find(".", i + 1)
    return False


def find_links(text: str, *, allow: Iterable[str] = (), deny: Iterable[str] = ()) -> list[Link]:
    if not _may_hold_link(text):
        return []
    allow, deny = tuple(d.lower() for d in allow), tuple(d.lower() for d in deny)
    links = []
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?)")
        host = _HOST.match(url)
        domain = host.group(1).lower().removeprefix("www.") if host else ""
        if _matches(domain, allow):
            reason = None
        elif _matches(domain, deny):
            reason = f"link to the denied domain {domain}"
        elif domain in SHORTENERS:
            reason = f"shortened link ({domain}) hides where it goes"
        else:
            reason = None
        links.append(Link(m.start(), m.start() + len(url), url, domain, reason))
    return links
