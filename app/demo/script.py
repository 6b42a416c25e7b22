"""What happens on the demo page: a municipality's posts and what residents write under
them, in the order the demo delivers it.

Pure data. The texts are chosen against the shipped word lists and detectors (a test
checks each expected decision), so that a newcomer sees every path through Uppsikt: texts
that pass, insults and profanity hidden for review, a scam link, secret content hidden and
queued for the registrar, an edit that turns a question into an insult, a picture held for
a copyright look, criticism that is allowed, the page answering a question, and a direct
message that is incoming mail. Names and the personnummer are made up (19121212-1212 is
the number Swedish authorities use in examples).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PAGE_ID = "104857600000001"
PAGE_NAME = "Solby kommun"
UNIT = "Kommunstyrelsen"

Kind = Literal["post", "comment", "edit", "message"]


@dataclass(frozen=True)
class Step:
    """One thing that happens on Facebook; ``ref`` names it for later steps.

    ``minute``: when it happened, in minutes after the demo's start of time (kept in the
    data directory, so that every start delivers the very same bodies). ``author`` is
    None for the page itself. ``expect``: the decision the rules give it (checked by the
    tests; "-" where no decision is made, e.g. the page's own posts).
    """

    ref: str
    kind: Kind
    minute: int
    text: str
    author: tuple[str, str] | None = None
    parent: str | None = None  # ref of the post or comment it answers; of the item edited
    image: str | None = None  # name of a picture the fake Graph serves
    # Meta leaves the sender out of many deliveries; Uppsikt then asks the Graph API.
    send_author: bool = True
    expect: str = "allow"
    register: bool = False


ASA = ("100000000000101", "Åsa Öberg")
JOHAN = ("100000000000102", "Johan Lindqvist")
PER = ("100000000000103", "Per Andersson")
LINA = ("100000000000104", "Lina Mäkinen")
BENGT = ("100000000000105", "Bengt Karlsson")
MARIA = ("100000000000106", "Maria Eriksson")
SPAM = ("100000000000107", "Apple Giveaway Sverige")
OMAR = ("100000000000108", "Omar Haddad")
ELSA = ("100000000000109", "Elsa Nyström")
KARIN = ("100000000000110", "Karin Holm")  # writes a direct message

STEPS: tuple[Step, ...] = (
    Step("winter", "post", 0,
         "Vinterväghållningen är i gång! Plogbilarna kör huvudgator, busslinjer och gång- "
         "och cykelvägar först, bostadsgatorna därefter. Har du frågor om snöröjningen? "
         "Skriv här så svarar vi under dagen.", expect="-"),
    Step("thanks", "comment", 3, "Tack för att ni plogade cykelvägen till skolan så tidigt "
         "i morse! 👍", ASA, parent="winter"),
    Step("snow_q", "comment", 6, "När kommer snöröjningen till Stigaregatan? Har inte sett "
         "någon plog sedan i söndags.", JOHAN, parent="winter"),
    Step("insult", "comment", 9, "Ni på kommunen är ena jävla idioter som inte kan ploga en "
         "gata.", PER, parent="winter", expect="hide"),
    Step("snow_a", "comment", 12, "Hej Johan! Stigaregatan står på tur i eftermiddag. Tack "
         "för ditt tålamod! /Linnea, kommunikatör", parent="snow_q", expect="-"),
    Step("preschool", "post", 15,
         "Nu kan du ansöka om plats i förskola inför vårterminen. Ansök i e-tjänsten på "
         "kommunens webbplats senast den 15 december.", expect="-"),
    Step("queue_q", "comment", 18, "Hur lång är kön till förskolan i Hosjö just nu? Vi "
         "behöver plats från mars.", LINA, parent="preschool"),
    Step("scam", "comment", 21, "Vinn en iPhone 16! Klicka här: https://bit.ly/3xYz12 och "
         "fyll i dina kortuppgifter", SPAM, parent="preschool", expect="hide"),
    Step("secret", "comment", 24, "Min granne Sara Lind (19121212-1212) har skyddad "
         "identitet och jag gjorde en orosanmälan om hennes barn till socialtjänsten i går.",
         BENGT, parent="preschool", expect="hide", register=True),
    Step("waste_q", "comment", 27, "Sophämtningen missade vår gata igen i veckan. Vem ska "
         "jag kontakta?", MARIA, parent="winter", send_author=False),
    Step("defame", "comment", 30, "Kommunalrådet är en korrupt lögnare och ett jävla pucko, "
         "alla vet det.", OMAR, parent="preschool", expect="hide"),
    Step("permit_q", "comment", 33, "Hur lång är handläggningstiden för bygglov just nu? Vi "
         "har väntat i sju veckor på ett besked om vårt garage.", ELSA, parent="winter"),
    Step("permit_edit", "edit", 36, "Hur lång är handläggningstiden för bygglov just nu? Vi "
         "har väntat i sju veckor. Handläggarna är ena jävla pundhuvuden.", ELSA,
         parent="permit_q", expect="hide"),
    Step("photo", "comment", 39, "Så här såg det ut på vår gata i morse.", JOHAN,
         parent="winter", image="gatan.png", expect="review"),
    Step("criticism", "comment", 42, "Korkat beslut att stänga badhuset på söndagar, tycker "
         "jag. Det drabbar barnfamiljerna.", ASA, parent="preschool"),
    Step("dm", "message", 45, "Hej! Behöver jag bygglov för ett attefallshus på 25 kvm på "
         "min tomt i Hosjö, eller räcker det med en anmälan? Mvh Karin", KARIN),
)


def by_ref() -> dict[str, Step]:
    return {step.ref: step for step in STEPS}
