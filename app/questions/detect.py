"""Whether a text from the public asks something of the page. Pure: text in, yes or no out.

The service obligation covers questions, not every remark, and a missed question costs
more than a false one (a moderator closes it as "Kräver inget svar" in a click). So the
test is generous but plain, and documented in docs/DIGEST.md:

- a question mark (outside links) makes it a question;
- so does a sentence or clause that opens with a Swedish question word: "hur", "varför",
  "vem", "vems", "vilken", "vilket", "vilka", "varifrån", "varmed";
- "när", "var", "vart", "vad" count when a verb from a short list follows ("När öppnar
  badet", "Vad kostar det"), not when a subject does ("När jag kom dit var det stängt");
- a yes/no question: a verb such as "kan", "får", "ska", "finns", "går", "har", "är",
  "behöver" followed by a subject ("Kan man", "Finns det", "Har ni", "Är det");
- "undrar" and "någon som vet" anywhere ("Jag undrar om ...").

A sentence that ends in "!" is an exclamation ("Hur kul som helst!"): its opening does not
count, though a question mark anywhere still does.
"""

from __future__ import annotations

import re

QUESTION_WORDS = frozenset({"hur", "varför", "vem", "vems", "vilken", "vilket", "vilka",
                            "varifrån", "varmed"})
# Question words that also open statements ("När jag kom …", "Var inte så …", "Vad bra"):
# they count only before one of these verbs.
AMBIGUOUS_WORDS = frozenset({"när", "var", "vart", "vad"})
QUESTION_VERBS = frozenset({
    "är", "finns", "kan", "ska", "skall", "får", "gäller", "händer", "kostar", "kommer",
    "blir", "öppnar", "stänger", "ligger", "gör", "tar", "har", "sker", "börjar", "slutar",
    "hittar", "hämtas", "töms", "behöver", "måste", "betyder", "innebär", "menar", "vänder",
    "anmäler", "skickar", "går", "hände", "var", "blev", "tycker", "heter", "bor", "hamnar",
})
YES_NO_VERBS = frozenset({
    "kan", "får", "ska", "skall", "finns", "går", "har", "är", "behöver", "måste", "gäller",
    "stämmer", "blir", "kommer", "vet", "brukar", "borde", "bör", "tänker", "planerar",
    "hade", "var", "fanns", "gick", "tar", "gör", "hinner", "vill",
})
SUBJECTS = frozenset({"ni", "man", "jag", "du", "det", "vi", "någon", "nån", "kommunen",
                      "den", "de", "dom", "han", "hon", "detta", "denna", "dessa", "alla"})
ANYWHERE = re.compile(r"\bundrar\b|\bnågon som vet\b|\bnån som vet\b")
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_CLAUSE = re.compile(r"[,;:–—-]")
_WORD = re.compile(r"[^\W\d_]+")


def looks_like_question(text: str | None) -> bool:
    """Whether ``text`` (a comment or a reply) asks something; see the module docstring."""
    if not text:
        return False
    text = _LINK.sub(" ", text).lower()
    if "?" in text or "？" in text or ANYWHERE.search(text):
        return True
    for sentence in _SENTENCE.findall(text):
        if sentence.rstrip().endswith("!"):
            continue
        for clause in _CLAUSE.split(sentence):
            if _opens_question(_WORD.findall(clause)[:2]):
                return True
    return False


def _opens_question(words: list[str]) -> bool:
    if not words:
        return False
    first = words[0]
    second = words[1] if len(words) > 1 else ""
    if first in QUESTION_WORDS:
        return True
    if first in AMBIGUOUS_WORDS:
        return second in QUESTION_VERBS
    return first in YES_NO_VERBS and second in SUBJECTS
