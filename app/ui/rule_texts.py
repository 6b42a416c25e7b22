"""The rule engine's codes in the words staff use: categories (from the guidelines' list of
what comments may not contain), actions, levels, and how a match was made.

The texts are Swedish; templates translate them with ``_()`` when they are shown. The
marker ``_`` below returns the text unchanged: it only lets the translation check find
these texts.
"""

from __future__ import annotations

from app.rules.wordlists import CATEGORIES


def _(text: str) -> str:
    return text


# A short name, and the guidelines' own words (2.4: "Kommentarer ... får inte innehålla").
CATEGORY_NAMES = {
    "defamation": _("Förtal och förolämpningar"),
    "hate": _("Hets och trakasserier"),
    "violence_porn": _("Våld och pornografi"),
    "crime_incitement": _("Uppmaning till brott"),
    "copyright": _("Upphovsrätt"),
    "profanity": _("Svordomar"),
    "personal_data": _("Personuppgifter"),
    "secret": _("Sekretess"),
    "spam": _("Skräppost och bedrägerier"),
}
CATEGORY_HELP = {
    "defamation": _("Förtal, personliga angrepp eller förolämpningar."),
    "hate": _("Hets mot folkgrupp, sexistiska yttranden eller andra trakasserier."),
    "violence_porn": _("Olovliga våldsskildringar eller pornografi."),
    "crime_incitement": _("Uppmaningar till brott eller annan brottslig verksamhet, "
                          "till exempel olaga hot."),
    "copyright": _("Olovligt bruk av upphovsrättsligt skyddat material, till exempel "
                   "bilder."),
    "profanity": _("Svordomar eller obscena ord."),
    "personal_data": _("Uppgifter som behandlas i strid med dataskyddsförordningen (förr "
                       "PUL), till exempel personnummer eller hälsa."),
    "secret": _("Sekretessbelagda uppgifter. Döljs alltid och ska diarieföras."),
    "spam": _("Skräppost och bedrägliga länkar. Inte i riktlinjernas lista, men det "
              "vanligaste problemet."),
}
assert set(CATEGORY_NAMES) == set(CATEGORY_HELP) == set(CATEGORIES)

ACTION_NAMES = {"allow": _("Tillåt"), "review": _("Granska"), "hide": _("Dölj"),
                "delete": _("Radera")}
ACTION_HELP = {
    "allow": _("Ingenting görs."),
    "review": _("Kommentaren syns kvar; en moderator tittar på den."),
    "hide": _("Kommentaren sparas och döljs på Facebook; en moderator granskar den."),
    "delete": _("Kommentaren sparas, döljs och raderas sedan från Facebook."),
}
LEVEL_NAMES = {"off": _("Av"), "medium": _("Medel"), "strong": _("Stark")}
LEVEL_HELP = {
    "off": _("Inga ordlistor används, inte heller sidans egna. Personnummer, andra "
             "personuppgifter och länkar känns ändå igen."),
    "medium": _("De grövsta, entydiga orden i de gemensamma ordlistorna, och sidans egna "
                "ord."),
    "strong": _("Alla ord i de gemensamma ordlistorna, även mildare ord, och sidans egna "
                "ord."),
}
HOW_NAMES = {
    "exact": _("som i listan"),
    "without diacritics": _("utan prickar och accenter (javla för jävla)"),
    "repeated letters": _("med upprepade bokstäver (fiiina för fina)"),
    "masked": _("med tecken i stället för bokstäver (j*vla)"),
    "regex": _("enligt ett mönster (reguljärt uttryck)"),
    "detector": _("igenkänd av en inbyggd regel"),
    "media": _("bild eller video"),
}
DETECTOR_NAMES = {
    "personnummer": _("Personnummer"),
    "samordningsnummer": _("Samordningsnummer"),
    "phone": _("Telefonnummer"),
    "email": _("E-postadress"),
    "address": _("Adress"),
    "special_category": _("Känsliga personuppgifter"),
    "links": _("Länkar"),
    "media": _("Bilder och video"),
}
SWITCH_NAMES = {
    "observe": _("Bara observera"),
    "review_images": _("Bilder och video granskas av en person"),
    "delete_secret_at_once": _("Sekretessbelagt raderas direkt"),
    "register_messages": _("Direktmeddelanden går till registrator"),
}
SWITCH_HELP = {
    "observe": _("Besluten sparas, men ingenting döljs eller raderas på Facebook."),
    "review_images": _("Kommentarer med bilder eller video granskas med tanke på "
                       "upphovsrätt."),
    "delete_secret_at_once": _("Annars döljs sekretessbelagt direkt och raderas när en "
                               "moderator bekräftar."),
    "register_messages": _("Direktmeddelanden är inkommande post. Annars hålls de bara "
                           "ordnade i arkivet."),
}


def list_label(rule: str, page_platform_id: str | None) -> tuple[str, str]:
    """A match's list or rule as (kind, name): ``page`` for the page's own lists (their
    short name), ``detector`` for a built-in rule, ``list`` for a shared word list."""
    prefix = f"page-{page_platform_id}-" if page_platform_id else None
    if prefix and rule.startswith(prefix):
        return "page", rule[len(prefix):]
    if rule in DETECTOR_NAMES:
        return "detector", rule
    return "list", rule
