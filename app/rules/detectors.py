"""Detectors of personal data in Swedish comment text, for the rule engine.

Pure and fast: no database, no network, no clock. The engine passes ``today``, which only
the identity-number detector needs (to infer the century of a ten-digit number and to
reject births in the future); a caller that passes None gets the system date. They run
on every comment, so every regex is compiled at import, and every pattern is built so that
the work per input character is bounded: hostile input of 100,000 characters takes
milliseconds, never catastrophic backtracking.

Each detector returns :class:`Detection` objects whose span points into the text exactly
as given (``text[start:end] == value``):

- :func:`find_identity_numbers`: personnummer and samordningsnummer in every written form,
  counted only with a real calendar date and a correct check digit.
- :func:`find_phone_numbers`: Swedish numbers (national and +46) and international ones.
- :func:`find_emails`: e-mail addresses, Swedish letters allowed.
- :func:`find_special_category_terms`: words that reveal GDPR special-category data
  (art. 9: health, sexual orientation, religion, ethnicity, political opinion, trade
  union) or criminal offences (art. 10).
- :func:`find_personal_data`: all of them, sorted by start, without overlaps.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Detection",
    "find_emails",
    "find_identity_numbers",
    "find_personal_data",
    "find_phone_numbers",
    "find_special_category_terms",
]


@dataclass(frozen=True)
class Detection:
    kind: str  # "personnummer", "samordningsnummer", "phone", "email", "special_category"
    start: int  # span in the original text: text[start:end]
    end: int
    value: str  # text[start:end]
    detail: str  # short English explanation for a moderator


# Nothing below can match without a digit; most comments have none, and one scan for a
# digit is far cheaper than running the real patterns.
_DIGIT = re.compile(r"[0-9]")


# --- Identity numbers ---------------------------------------------------------------------

# The pattern opens with a digit, not with the look-behinds that check what precedes it, so
# that the regex engine skips straight to digits; the look-behinds then include that digit.
_IDENTITY = re.compile(
    r"""
    (?P<number>
        [0-9]
        (?<![0-9+][0-9])          # not the tail of a longer number or of "+46..."
        (?<![0-9][-.,:/][0-9])    # nor of "2024-...", "3.14...", "12:..." or "1/..."
        [0-9]{5}(?:[0-9]{2})?     # YYMMDD or YYYYMMDD
        (?P<sep>[-+ ]?)
        [0-9]{4}                  # serial number and check digit
    )
    (?![0-9])                 # an order number or a longer digit run is not a personnummer
    (?![-.,:/][0-9])
    """,
    re.VERBOSE,
)


def _luhn_check_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        product = int(ch) * (2 - i % 2)  # weights 2, 1, 2, 1, ...
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _birth_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _identity_from_match(m: re.Match[str], today: date) -> Detection | None:
    digits = m["number"].replace(m["sep"], "") if m["sep"] else m["number"]
    century = ""
    if len(digits) == 12:
        century, digits = digits[:2], digits[2:]
        if century not in ("18", "19", "20"):
            return None
    yy, mm, dd, serial, check = digits[:2], digits[2:4], digits[4:6], digits[6:9], digits[9]
    if serial == "000":
        return None  # birth number 000 is never issued (so say the personnummer test vectors)
    if _luhn_check_digit(yy + mm + dd + serial) != int(check):
        return None
    month, day = int(mm), int(dd)
    kind = "personnummer"
    if 61 <= day <= 91:
        # A samordningsnummer is a personnummer with 60 added to the day of birth.
        kind, day = "samordningsnummer", day - 60
    if century:
        year = int(century + yy)
    else:
        # Ten digits leave the century out: the birth is the latest one not after today,
        # and "+" says the holder has turned 100, so one more century back.
        year = today.year - (today.year - int(yy)) % 100
        if year == today.year and (month, day) > (today.month, today.day):
            year -= 100
        if m["sep"] == "+":
            year -= 100
    born = _birth_date(year, month, day)
    if born is None or born > today:
        return None
    long_form = f"{year:04d}{mm}{dd}-{serial}{check}"
    why = "valid date and check digit" if kind == "personnummer" else (
        f"born {born.isoformat()}, day + 60, valid check digit")
    return Detection(kind, m.start(), m.end(), m.group(), f"{kind} {long_form} ({why})")


def find_identity_numbers(text: str, *, today: date | None = None) -> list[Detection]:
    """Personnummer and samordningsnummer: YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN,
    YYYYMMDD-NNNN, YYYYMMDDNNNN, with "-", "+", a space or nothing between date and number.

    A candidate counts only with a real calendar date (samordningsnummer: day 61-91), a
    birth date not after ``today``, a birth number other than 000 and a correct Luhn check
    digit over YYMMDDNNN. Interim
    numbers (a letter in the serial) are not personal identity numbers and are ignored.
    """
    if not _DIGIT.search(text):
        return []
    ref = today if today is not None else date.today()
    found = []
    for m in _IDENTITY.finditer(text):
        d = _identity_from_match(m, ref)
        if d is not None:
            found.append(d)
    return found


# --- Phone numbers ------------------------------------------------------------------------

# Separators between digit groups: one space, or a dash (with or without spaces), or the old
# "08/123 45 67". Dots are left out on purpose: they make times ("09.00-12.00") look like
# numbers. Quantifiers are possessive so that a candidate cannot shrink into a shorter,
# wrong number when what follows disqualifies it. Each branch opens with its literal ("+",
# "0") and checks what precedes it afterwards, so that the regex engine skips to those.
_SEP = r"(?:[ ]|[ ]?[-–][ ]?)"
# Not glued to a word or a number, nor the tail of a date, time, amount or longer number
# ("2024-01-15", "1 050 000"); the look-behinds include the "+" or "0" just matched.
_BEFORE_PLUS = r"(?<![\w+]\+)(?<![0-9][-–./:,\s]\+)"
_BEFORE_ZERO = r"(?<![\w+]0)(?<![0-9][-–./:,\s]0)"
_PHONE = re.compile(
    rf"""
    (?:
        \+{_BEFORE_PLUS}
        (?P<cc>[1-9][0-9]{{0,14}}+)               # country code (or all the digits)
        (?P<trunk>[ ]?\(0\))?                     # the Swedish habit "+46 (0)70 ..."
        (?:{_SEP}?[0-9]{{1,10}}+)?                # an area code, possibly one digit
      |
        0{_BEFORE_ZERO}
        [1-9][0-9]{{0,9}}+                        # national: trunk 0 and area code
    )
    (?:(?:{_SEP}|/)[0-9]{{2,10}}+){{0,6}}+          # the rest, in groups of 2 digits or more
    (?![0-9@])                    # not followed by more digits, nor the "@" of an address
    (?![-–/][0-9])
    """,
    re.VERBOSE,
)
# An amount is not a phone number: "+1 500 000 kr".
_AMOUNT_AFTER = re.compile(r"\s?(?:kr\b|kronor|sek\b|:-|%|€|\$|euro|usd|eur\b)", re.IGNORECASE)
# Six or eight digits, a separator and four digits is how a personnummer is written, never
# a phone number (an area code has at most four digits).
_IDENTITY_SHAPE = re.compile(r"[0-9]{6}(?:[0-9]{2})?[-+ ][0-9]{4}")
_SWEDISH_MOBILE = re.compile(r"7[02369]")


def _national_digits(digits: str, international: bool) -> str | None:
    """The digits after the trunk 0 or the country code 46; None for a foreign number."""
    if not international:
        return digits[1:]
    if not digits.startswith("46"):
        return None
    # "+46 070 ...": written with the trunk 0 anyway.
    return digits[3:] if digits.startswith("460") else digits[2:]


def _phone_detail(value: str, digits: str) -> str | None:
    international = value.startswith("+")
    if international and not 7 <= len(digits) <= 15:
        return None
    if not international and not 8 <= len(digits) <= 10:
        return None
    national = _national_digits(digits, international)
    if national is None:
        return f"phone number {value} (international)"
    if not 7 <= len(national) <= 9:
        return None
    kind = "Swedish mobile" if _SWEDISH_MOBILE.match(national) else "Swedish"
    return f"phone number {value} ({kind})"


def _digits_of(m: re.Match[str]) -> tuple[str, list[int]]:
    """The dialled digits of a candidate and their offsets in it; the 0 of "(0)" is not
    dialled from abroad."""
    skip = m.start("trunk") + m["trunk"].index("0") - m.start() if m["trunk"] else -1
    offsets = [i for i, ch in enumerate(m.group()) if "0" <= ch <= "9" and i != skip]
    return "".join(m.group()[i] for i in offsets), offsets


def _mobile_prefix(value: str, digits: str, offsets: list[int]) -> int | None:
    """Where a Swedish mobile number ends inside a longer candidate, or None.

    Mobile numbers always have nine digits after the trunk 0 or +46, so in "ring
    070-123 45 67 08.00-17.00" the number ends after "67", not after "08". Only at a plain
    space: "070-123 45 67-89" is one longer number, not a mobile number."""
    national = _national_digits(digits, value.startswith("+"))
    if national is None or len(national) <= 9 or not _SWEDISH_MOBILE.match(national):
        return None
    end = offsets[len(digits) - len(national) + 8] + 1
    if value[end] == " " and "0" <= value[end + 1] <= "9":
        return end
    return None


def find_phone_numbers(text: str, *, today: date | None = None) -> list[Detection]:
    """Swedish phone numbers (070-123 45 67, 0701234567, 08-123 456 78, 031-12 34 56,
    +46 70 123 45 67, +46 (0)70 ...) and international ones with "+" and a country code.

    National numbers need 8-10 digits with the leading 0, international ones 7-15 digits
    (for +46: 7-9 after the country code). Dates, times, years, postcodes and amounts do
    not start with a 0 after a space, or are excluded by the patterns' edges; valid
    personnummer are left to :func:`find_identity_numbers`, also when, like 0905271474,
    they could be dialled (identity numbers are the stronger evidence). ``today`` is used
    only for that check. Numbers written with a leading 00 instead of + are not matched,
    nor two numbers separated only by a space (the second is taken for the tail of the
    first).
    """
    if not _DIGIT.search(text):
        return []
    found = []
    for m in _PHONE.finditer(text):
        value = m.group()
        if _AMOUNT_AFTER.match(text, m.end()):
            continue
        if not value.startswith("+") and _IDENTITY_SHAPE.fullmatch(value):
            continue
        digits, offsets = _digits_of(m)
        detail = _phone_detail(value, digits)
        if detail is None:
            cut = _mobile_prefix(value, digits, offsets)
            if cut is None:
                continue
            value = value[:cut]
            digits = "".join(value[i] for i in offsets if i < cut)
            detail = _phone_detail(value, digits)
            if detail is None:
                continue
        if len(digits) in (10, 12) and find_identity_numbers(value, today=today):
            continue
        found.append(Detection("phone", m.start(), m.start() + len(value), value, detail))
    return found


# --- E-mail addresses ---------------------------------------------------------------------

# Found from each "@": the local part is the run of local-part characters before it (at
# most 64, so a long run costs no more than that), the domain what follows. A regex over
# the whole text would try every position as the start of a local part, several times
# slower on ordinary comments. \w takes å, ä, ö and other letters. Quoted local parts and
# IP-literal domains are left out: nobody writes them in a comment.
_LOCAL_CHAR = re.compile(r"[\w%+\-.]")
_LOCAL = re.compile(r"[\w%+\-]+(?:\.[\w%+\-]+)*")
_DOMAIN = re.compile(
    r"""
    (?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}    # labels: letters, digits, inner "-"
    [^\W\d_]{2,63}                             # an alphabetic top-level domain
    (?![\w-])
    (?!\.[\w-])                                # "anna@example.se." ends a sentence
    """,
    re.VERBOSE,
)
_MAX_LOCAL = 64


def find_emails(text: str, *, today: date | None = None) -> list[Detection]:
    """E-mail addresses: dot-separated local part (letters of any script, digits, _ % + -),
    "@", a domain of up to nine labels ending in an alphabetic top-level domain."""
    found: list[Detection] = []
    last_end = 0
    at = text.find("@")
    while at != -1:
        start = at
        limit = max(last_end, at - _MAX_LOCAL - 1)
        while start > limit and _LOCAL_CHAR.match(text, start - 1):
            start -= 1
        domain = _DOMAIN.match(text, at + 1) if start < at else None
        if (
            domain is not None
            and at - start <= _MAX_LOCAL
            # the run must not go on beyond what was looked at (nor into the last address)
            and not (start > 0 and start == limit and _LOCAL_CHAR.match(text, start - 1))
            and _LOCAL.fullmatch(text, start, at)
            and domain.end() - at - 1 <= 253
        ):
            value = text[start:domain.end()]
            found.append(Detection("email", start, domain.end(), value,
                                   f"e-mail address {value}"))
            last_end = domain.end()
            at = text.find("@", last_end)
        else:
            at = text.find("@", at + 1)
    return found


# --- Special categories (GDPR art. 9 and 10) ----------------------------------------------

HEALTH = "health"
SEXUAL = "sexual orientation"
RELIGION = "religion"
ETHNICITY = "ethnicity"
POLITICAL = "political opinion"
UNION = "trade union"
CRIMINAL = "criminal offence"

_ARTICLE = {CRIMINAL: "GDPR art. 10"}


@dataclass(frozen=True)
class _Variant:
    tail: re.Pattern[str]  # matched right after the stem, in the lower-cased text
    category: str
    compound: bool  # may end a compound word: "bröstcancer", "alkoholmissbruk"


# What the list does, on purpose:
# - A term starts a word (after a space, punctuation or "-": "adhd-diagnos" has both), and
#   "*" lets any letters follow it: inflections and compounds ("diagnosen", "sjukskriven",
#   "abortera", "cancerbesked"). Marked compound, it may also end a compound word
#   ("bröstcancer", "förlossningsdepression"); the reported span then covers the whole word.
# - Where a stem is also the start of unrelated words, the tail lists the word's own forms
#   and the word must end there: "kristen", "kristna" but not "Kristensson" or "Kristina";
#   "jude", "judar" but not "judo"; "hiv" but not "hiva"; "romer" but not "romerska".
# - Names of organisations are not about a person: "Cancerfonden" is excluded. Likewise a
#   party's name (Sverigedemokraterna) is not anyone's political opinion; the forms that
#   describe a person (sverigedemokrat, sverigedemokrater) are matched.
# - Words that are mostly ordinary words in another sense are left out: "ångest" (used of
#   anything), "add", "flata" (flat), "moderat" (moderate), "liberal", "ras" (landslide),
#   "same" (English), "fångar" (catches), "beroende" (oberoende = independent).
# - Multi-word phrases take the stem's word and a fixed continuation: "dömd för",
#   "misstänkt för", "fackligt ansluten" (via "facklig*"), "medlem i facket", "röstar på".
# - Slurs and insults belong to the word lists, not here.
# A term says that the category is discussed; whether it is about an identifiable person is
# for the moderator, which is why the detail names the category and the word.
_TERMS: tuple[tuple[str, str, str, bool], ...] = (
    # (stem, tail, category, compound); tail "*" = any letters, "" = the word ends here.
    # Health.
    ("diagnos", "*", HEALTH, True),
    ("cancer", r"(?!fond|förening|sällskap)\w*", HEALTH, True),
    ("tumör", "*", HEALTH, True),
    ("depress", "*", HEALTH, True),
    ("deprimer", "*", HEALTH, False),
    ("schizofren", "*", HEALTH, False),
    ("bipolär", "*", HEALTH, False),
    ("psykos", "*", HEALTH, True),
    ("psykot", r"isk\w*", HEALTH, False),
    ("psykiat", r"(?:ri|er)\w*", HEALTH, True),
    ("psykisk", r"(?:t|a)?\s{1,3}(?:sjuk|ohälsa|funktionsnedsatt|störd)\w*", HEALTH, False),
    ("adhd", "*", HEALTH, False),
    ("autis", r"[mt]\w*", HEALTH, False),
    ("asperger", "*", HEALTH, False),
    ("npf", "", HEALTH, False),
    ("tourette", "*", HEALTH, False),
    ("dyslexi", "*", HEALTH, False),
    ("ptsd", "", HEALTH, False),
    ("ocd", "", HEALTH, False),
    ("hiv", r"(?:positiv\w*|smitt\w*)?(?!\w)", HEALTH, False),
    ("aids", "", HEALTH, False),
    ("missbruk", "*", HEALTH, True),
    ("alkoholist", "*", HEALTH, False),
    ("narkoman", "*", HEALTH, False),
    ("knarkare", r"(?:n|na|ns)?(?!\w)", HEALTH, False),
    ("sjukskriv", "*", HEALTH, False),
    ("sjukdom", "*", HEALTH, True),
    ("gravid", "*", HEALTH, False),
    ("abort", "*", HEALTH, False),
    ("missfall", "*", HEALTH, False),
    ("diabet", "*", HEALTH, True),
    ("epilep", "*", HEALTH, False),
    ("demens", "*", HEALTH, True),
    ("dement", r"(?:a|e)?(?!\w)", HEALTH, False),  # not "dementera" (to deny)
    ("alzheimer", "*", HEALTH, False),
    ("parkinson", "*", HEALTH, False),
    ("stroke", r"(?:n|s)?(?!\w)", HEALTH, False),
    ("infarkt", "*", HEALTH, True),
    ("cellgift", "*", HEALTH, False),
    ("cytostatika", "*", HEALTH, False),
    ("strålbehandl", "*", HEALTH, False),
    ("kemoterapi", "*", HEALTH, False),
    ("dialys", "*", HEALTH, False),
    ("funktionsneds", r"(?:ätt|att)\w*", HEALTH, True),
    ("funktionshind", "*", HEALTH, True),
    # A person, not a parking space, toilet or ramp ("handikapplats", "handikappanpassad").
    ("handikapp", r"(?:ad|ade|at|et)?(?!\w)", HEALTH, False),
    ("utvecklingsstör", "*", HEALTH, False),
    ("rörelsehind", "*", HEALTH, False),
    ("synskad", "*", HEALTH, False),
    ("hörselskad", "*", HEALTH, False),
    ("döv", r"(?:a|e|het|heten|stum\w*|blind\w*)?(?!\w)", HEALTH, False),
    ("rullstolsbur", "*", HEALTH, False),
    ("ätstörning", "*", HEALTH, True),
    ("anorexi", "*", HEALTH, False),
    ("bulimi", "*", HEALTH, False),
    ("självmord", "*", HEALTH, False),
    ("suicid", "*", HEALTH, False),
    ("självskad", "*", HEALTH, False),
    ("utbränd", "*", HEALTH, False),
    ("utmattning", "*", HEALTH, False),
    ("panikångest", "*", HEALTH, False),
    ("ångestsyndrom", "*", HEALTH, False),
    ("antidepress", "*", HEALTH, False),
    ("psykofarmaka", "*", HEALTH, False),
    ("allergi", "*", HEALTH, True),
    # Sexual orientation (art. 9 "sex life or sexual orientation"; gender identity is
    # counted here too, as the closest category).
    ("homo", r"sexu\w*", SEXUAL, False),
    ("homo", r"(?:n|s|r|rna)?(?!\w)(?!\s{1,3}sapiens)", SEXUAL, False),
    ("hetero", r"sexu\w*", SEXUAL, False),
    ("hetero", r"(?:n|s)?(?!\w)", SEXUAL, False),
    ("bisexu", "*", SEXUAL, False),
    ("pansexu", "*", SEXUAL, False),
    ("asexu", "*", SEXUAL, False),
    ("gay", r"s?(?!\w)", SEXUAL, False),
    ("lesb", r"(?:isk|ian)\w*", SEXUAL, False),
    ("bög", r"(?:en|ens|ar|arna|arnas|ig\w*)?(?!\w)", SEXUAL, False),
    ("queer", "*", SEXUAL, False),
    ("hbt", "*", SEXUAL, False),
    ("trans", r"(?:person|sexu|kvinn|m[aä]n)\w*", SEXUAL, False),
    ("icke", r"-?binär\w*", SEXUAL, False),
    ("sexliv", "*", SEXUAL, False),
    ("sexuell", r"(?:a|t)?\s{1,3}(?:läggning|orientering)\w*", SEXUAL, False),
    # Religion or philosophical belief.
    ("muslim", "*", RELIGION, False),
    ("islam", r"(?!abad)\w*", RELIGION, False),
    ("jud", r"(?:e|en|ens|ar|arna|arnas|inna|innan|innor|isk\w*|endom\w*)(?!\w)", RELIGION,
     False),
    ("krist", r"demokrat(?:en|ens|er|isk\w*)?(?!\w)", POLITICAL, False),
    ("krist", r"(?:en|na|ne|et|endom\w*)(?!\w)", RELIGION, False),
    ("katol", r"(?:ik|sk)\w*", RELIGION, False),
    ("protestant", "*", RELIGION, False),
    ("hindu", "*", RELIGION, False),
    ("buddh", r"(?:ist|ism)\w*", RELIGION, False),
    ("sikh", "*", RELIGION, False),
    ("ateis", r"[tm]\w*", RELIGION, False),
    ("agnostik", "*", RELIGION, False),
    ("troende", "", RELIGION, False),
    ("religiös", "*", RELIGION, False),
    ("frikyrk", "*", RELIGION, False),
    ("jehova", "*", RELIGION, False),
    ("konvertit", "*", RELIGION, False),
    ("mormon", "*", RELIGION, False),
    ("laestadian", "*", RELIGION, False),
    ("sunni", "*", RELIGION, False),
    ("shia", r"(?:muslim\w*)?(?!\w)", RELIGION, False),
    ("ortodox", "*", RELIGION, False),
    ("scientolog", "*", RELIGION, False),
    # Racial or ethnic origin.
    ("rom", r"(?:er|erna|ernas|sk|ska|skt)(?!\w)", ETHNICITY, False),
    ("samer", r"(?:na|nas)?(?!\w)", ETHNICITY, False),
    ("samisk", "*", ETHNICITY, False),
    ("tornedaling", "*", ETHNICITY, False),
    ("etni", r"(?:sk|citet)\w*", ETHNICITY, False),
    ("hudfärg", "*", ETHNICITY, False),
    ("utländsk", r"(?:a|t)?\s{1,3}(?:bakgrund|ursprung|härkomst)\w*", ETHNICITY, False),
    ("invandrarbakgrund", "*", ETHNICITY, False),
    ("afrosvensk", "*", ETHNICITY, False),
    ("kurd", r"(?:e|en|er|erna|isk\w*)?(?!\w)", ETHNICITY, False),
    ("rasifier", "*", ETHNICITY, False),
    # Criminal offences (art. 10): convictions, sentences, suspicions.
    ("döm", r"(?:d|da|de|des|ts|s)\s{1,3}(?:för|till)(?!\w)", CRIMINAL, False),
    ("straffad", "*", CRIMINAL, False),
    ("straffregist", "*", CRIMINAL, False),
    ("brottsregist", "*", CRIMINAL, False),
    ("belastningsregist", "*", CRIMINAL, False),
    ("fängelse", "*", CRIMINAL, True),
    ("fängsl", "*", CRIMINAL, False),
    ("avtjän", "*", CRIMINAL, False),
    ("skyddstillsyn", "*", CRIMINAL, False),
    ("fotboj", "*", CRIMINAL, False),
    ("villkorlig", r"(?:t|a)?\s{1,3}dom\w*", CRIMINAL, False),
    ("häkt", "*", CRIMINAL, False),
    ("anhåll", r"(?:en|na|es|it)(?!\w)", CRIMINAL, False),  # not "anhåller om" (applies)
    ("anhölls", "", CRIMINAL, False),
    ("gripe", r"n\s{1,3}för(?!\w)", CRIMINAL, False),  # not the aircraft
    ("greps", r"\s{1,3}för(?!\w)", CRIMINAL, False),
    ("åtal", "*", CRIMINAL, False),
    ("misstänk", r"(?:t|ta|s|es|tes)\s{1,3}för(?!\w)", CRIMINAL, False),
    ("brottsling", "*", CRIMINAL, False),
    ("kriminell", "*", CRIMINAL, False),
    ("pedofil", "*", CRIMINAL, False),
    ("våldt", r"(?:äkt|og|agen|agit|ar)\w*", CRIMINAL, True),
    ("sexbrott", "*", CRIMINAL, False),
    ("narkotikabrott", "*", CRIMINAL, False),
    ("våldsbrott", "*", CRIMINAL, False),
    ("mördar", r"(?:e|en|na|ens)(?!\w)", CRIMINAL, False),
    ("rattfull", "*", CRIMINAL, False),
    ("rattfyll", "*", CRIMINAL, False),
    ("snatt", "*", CRIMINAL, False),
    ("polisanmäl", r"d\w*", CRIMINAL, False),  # "polisanmäld", not "polisanmälan"
    ("fånge", r"(?:n|ns)?(?!\w)", CRIMINAL, False),
    # Trade union membership.
    ("fackförening", "*", UNION, True),
    ("facklig", "*", UNION, False),
    ("facke", r"ts?(?!\w)", UNION, False),
    ("fackmedlem", "*", UNION, False),
    ("fackombud", "*", UNION, False),
    ("fackanslut", "*", UNION, False),
    ("medlem", r"(?:mar)?\s{1,3}i\s{1,3}facket(?!\w)", UNION, False),
    # Political opinion.
    ("medlem", r"(?:mar)?\s{1,3}i\s{1,3}(?:\w{0,20}partiet|sverigedemokraterna|"
               r"socialdemokraterna|moderaterna|kristdemokraterna|liberalerna)(?!\w)",
     POLITICAL, False),
    ("sverigedemokrat", r"(?:en|ens|er|isk\w*)?(?!\w)", POLITICAL, False),
    ("socialdemokrat", r"(?:en|ens|er|isk\w*)?(?!\w)", POLITICAL, False),
    ("vänsterpartist", "*", POLITICAL, False),
    ("miljöpartist", "*", POLITICAL, False),
    ("centerpartist", "*", POLITICAL, False),
    ("partimedlem", "*", POLITICAL, False),
    ("nazi", r"(?:st\w*|s)?(?!\w)", POLITICAL, True),
    ("kommunist", "*", POLITICAL, False),
    ("fascist", "*", POLITICAL, False),
    ("anarkist", "*", POLITICAL, False),
    ("sympatisör", "*", POLITICAL, False),
    ("högerextrem", "*", POLITICAL, False),
    ("vänsterextrem", "*", POLITICAL, False),
    ("röst", r"(?:ar|ade|at)\s{1,3}på(?!\w)", POLITICAL, False),
    ("politisk", r"(?:a|t)?\s{1,3}(?:åsikt|uppfattning|tillhörighet|övertygelse|hemvist)\w*",
     POLITICAL, False),
)


def _compile_tail(tail: str) -> re.Pattern[str]:
    if tail == "*":
        return re.compile(r"\w*")
    if tail == "":
        return re.compile(r"(?!\w)")
    return re.compile(tail)


def _build_variants(terms: Iterable[tuple[str, str, str, bool]]) -> dict[str, list[_Variant]]:
    variants: dict[str, list[_Variant]] = {}
    for stem, tail, category, compound in terms:
        variants.setdefault(stem, []).append(_Variant(_compile_tail(tail), category, compound))
    return variants


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literal words, factored by common prefixes. Each position then
    costs a handful of character tests instead of one per word, and the pattern starts
    with plain literals, so the regex engine skips positions whose letter starts no word."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if ends:
            body = "(?:" + body + ")?" if len(alts) == 1 else body + "?"
        return body

    return build(trie)


_VARIANTS = _build_variants(_TERMS)
# Stems are matched on lower-cased text without re.IGNORECASE: with it, the regex engine
# cannot skip ahead by first letter, and the scan is several times slower.
_STEMS = re.compile(_trie_pattern(_VARIANTS))
_WORD_CHAR = re.compile(r"\w")
_MAX_COMPOUND_HEAD = 40  # letters looked back over for the start of a compound word


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters lower to two ("İ" to "i̇"); keep those as they are so that positions
    # in the lower-cased text are positions in the original.
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def _word_start(low: str, pos: int) -> int:
    start = pos
    limit = max(0, pos - _MAX_COMPOUND_HEAD)
    while start > limit and _WORD_CHAR.match(low, start - 1):
        start -= 1
    if start == limit and limit > 0 and _WORD_CHAR.match(low, limit - 1):
        return pos  # a "word" longer than any real compound: report the term alone
    return start


def find_special_category_terms(text: str, *, today: date | None = None) -> list[Detection]:
    """Words that reveal special-category data (GDPR art. 9) or criminal offences (art. 10):
    health, sexual orientation, religion, ethnicity, political opinion, trade union
    membership, criminal offences. Case-insensitive; see the comment above ``_TERMS`` for
    what is matched on purpose and what is not."""
    low = _lower_same_length(text)
    found: list[Detection] = []
    pos = last_end = 0
    while (m := _STEMS.search(low, pos)) is not None:
        s, e = m.span()
        inside_word = s > 0 and _WORD_CHAR.match(low, s - 1) is not None
        for variant in _VARIANTS[m.group()]:
            if inside_word and not variant.compound:
                continue
            tail = variant.tail.match(low, e)
            if tail is None:
                continue
            # Never back into the previous detection: every tail ends at a word's end, but
            # a compound head is looked for backwards.
            start = max(_word_start(low, s), last_end) if inside_word else s
            end = tail.end()
            value = text[start:end]
            article = _ARTICLE.get(variant.category, "GDPR art. 9")
            found.append(Detection("special_category", start, end, value,
                                   f"special category: {variant.category} ({article}), "
                                   f"term {value!r}"))
            pos = last_end = end
            break
        else:
            pos = s + 1
    return found


# --- Everything ---------------------------------------------------------------------------

# When detections overlap, the stronger evidence wins: a checksummed identity number over a
# phone number that happens to be the same digits, an e-mail address over a phone number or
# a word inside it ("0701234567@sms.se", "cancer.stod@region.se").
# --- street addresses next to a name ----------------------------------------------------
# A Swedish street address (Storgatan 12, Åsvägen 3 B, Kopparvägen 14 lgh 1102) is personal
# data when it tells where a named person lives; an address alone is usually a place (the
# library on Kristinegatan 14). So an address counts only with a person's name, written
# as two capitalised words, within a few words of it.
# Opens with the capital letter, not with \b, so that the regex engine skips straight to
# capitals; the look-behind then makes it a word's first letter.
_STREET = re.compile(
    r"[A-ZÅÄÖ](?<!\w[A-ZÅÄÖ])[a-zåäöé]{1,30}(?:gatan|vägen|gränd|gränden|stigen|backen|torget|allén|"
    r"leden|slingan|platsen|liden|gärdet|vägen|väg|gata)\s{1,3}\d{1,4}(?:\s?[A-Ha-h]\b)?"
    r"(?:,?\s{1,3}lgh\s{1,3}\d{3,4})?"
)
_NAME = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]{1,20}(?:-[A-ZÅÄÖ][a-zåäöé]{1,20})?\s{1,3}"
                   r"[A-ZÅÄÖ][a-zåäöé]{1,25}(?:-[A-ZÅÄÖ][a-zåäöé]{1,25})?\b")
_NEAR = 60  # characters between the name and the address


def find_addresses(text: str, *, today: date | None = None) -> list[Detection]:
    if not _STREET.search(text):
        return []
    names = [m for m in _NAME.finditer(text) if not _STREET.match(text, m.start())]
    name_starts = [n.start() for n in names]  # names never overlap: sorted by end too
    found = []
    for m in _STREET.finditer(text):
        # Only the names that start within reach of the address can be near it.
        lo = bisect_left(name_starts, m.start() - _NEAR - 100)  # a name is < 100 chars
        hi = bisect_right(name_starts, m.end() + _NEAR)
        near = [n for n in names[lo:hi]
                if ((n.end() <= m.start() and m.start() - n.end() <= _NEAR)
                    or (n.start() >= m.end() and n.start() - m.end() <= _NEAR))]
        if near:
            found.append(Detection("address", m.start(), m.end(), m.group(0),
                                   f"street address {m.group(0)} next to the name "
                                   f"{near[0].group(0)}"))
    return found


_PRIORITY = {"personnummer": 0, "samordningsnummer": 0, "email": 1, "phone": 2,
             "address": 3, "special_category": 4}
_ASCII_DIGITS = b"0123456789"
_ANY_DIGIT = re.compile(r"\d")


def _identifying(text: str, ref: date) -> list[Detection]:
    """The detectors that tell who a text is about, each run only when the text has what
    it needs (ten digits for an identity number, seven for a phone number, an "@", a
    digit for a street number): most comments have none of it."""
    try:
        raw = text.encode("latin-1")
        other_digits = False  # Latin-1 has no digits but 0-9
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
        other_digits = _ANY_DIGIT.search(text) is not None
    digits = len(raw) - len(raw.translate(None, _ASCII_DIGITS))
    found: list[Detection] = []
    if digits >= 10:
        found += find_identity_numbers(text, today=ref)
    if digits >= 7:
        found += find_phone_numbers(text, today=ref)
    if "@" in text:
        found += find_emails(text, today=ref)
    if digits or other_digits:
        found += find_addresses(text, today=ref)
    return found


def find_personal_data(text: str, *, today: date | None = None,
                       identified_only: bool = False) -> list[Detection]:
    """All detectors, sorted by start; of overlapping detections only the strongest kept.

    With ``identified_only``, special-category terms count only beside something that
    identifies a person (an identity number, phone number, e-mail or street address): alone
    they are public discussion, and the list is empty."""
    ref = today if today is not None else date.today()
    candidates = _identifying(text, ref)
    if identified_only and not candidates:
        return []
    candidates += find_special_category_terms(text, today=ref)
    candidates.sort(key=lambda d: (_PRIORITY.get(d.kind, 9), d.start, -d.end))
    # Kept detections never overlap, so ordered by start they are ordered by end too, and a
    # newcomer can only collide with its two neighbours: bisect, not a scan of all kept
    # (a comment can hold thousands of detections).
    kept: list[Detection] = []
    starts: list[int] = []
    for d in candidates:
        i = bisect_right(starts, d.start)
        if i > 0 and kept[i - 1].end > d.start:
            continue
        if i < len(kept) and kept[i].start < d.end:
            continue
        kept.insert(i, d)
        starts.insert(i, d.start)
    return kept
