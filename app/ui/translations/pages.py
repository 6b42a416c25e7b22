"""The account register (förteckning) with each page's plan (Bilaga 1-2)."""

EN = {
    "Förteckning över sidor": "Register of pages",
    "Förteckning": "Register",
    "Förteckningen visar vem som ansvarar för varje sida och planen för hur den används "
    "(riktlinjerna, Bilaga 1 och 2).":
        "The register shows who is responsible for each page and the plan for how it is "
        "used (the guidelines, appendices 1 and 2).",
    "Du ser din förvaltnings sidor.": "You see your department's pages.",
    "Ladda ned som CSV": "Download as CSV",
    "Ladda ned som PDF": "Download as PDF",
    "Det finns inga sidor i förteckningen ännu.": "There are no pages in the register yet.",
    "{n} sidor": "{n} pages",
    "1 sida": "1 page",
    "Sida": "Page",
    "Förvaltning": "Department",
    "Startade": "Started",
    "Avslutad": "Ended",
    "Plan": "Plan",
    "Hanteras inte längre i Uppsikt": "No longer managed in Uppsikt",
    "Saknas": "Missing",
    "Ifylld": "Filled in",
    "Delvis ({n} av 5 rubriker)": "Partly ({n} of 5 headings)",
    "Facebook-id": "Facebook id",
    "Uppsikt hanterar inte längre sidan (sedan {day}). Förteckningen behåller uppgifterna.":
        "Uppsikt no longer manages the page (since {day}). The register keeps its entry.",
    "Ändra uppgifterna": "Edit the entry",
    "Policy och ordlistor": "Policy and word lists",
    "Planen är ifylld under alla fem rubrikerna.":
        "The plan is filled in under all five headings.",
    "Planen är ofullständig": "The plan is incomplete",
    "{n} av 5 rubriker är ifyllda.": "{n} of 5 headings are filled in.",
    "Senast ändrad {when} av {who}.": "Last changed {when} by {who}.",
    "Plan för användning (Bilaga 2)": "Plan for the use (appendix 2)",
    "Ej ifyllt": "Not filled in",
    "Senaste granskningar": "Latest reviews",
    "Dag": "Day",
    "Granskad av": "Reviewed by",
    "Markerad": "Marked",
    "Anteckning": "Note",
    "Ingen har markerat sidan som granskad ännu.": "Nobody has marked the page as reviewed yet.",
    "Uppgifterna är sparade.": "The entry is saved.",
    "Tillbaka till sidans uppgifter": "Back to the page's entry",
    "Ändra uppgifterna för {name}": "Edit the entry for {name}",
    "Uppgifterna sparades inte. Rätta följande:": "The entry was not saved. Correct this:",
    "(fylls i av informationsavdelningen)": "(filled in by the communications department)",
    "Spara": "Save",
    "Avbryt": "Cancel",
    # Sections and fields (app/pages/register.py)
    "Uppgifter enligt checklistan (Bilaga 1)": "Facts from the checklist (appendix 1)",
    "Uppdrag från chefen": "Assignment from the manager",
    "Vem gav uppdraget att sköta sidan i tjänsten, och när?":
        "Who gave the assignment to run the page at work, and when?",
    "Sidans officiella e-postadress": "The page's official e-mail address",
    "En adress som alla som sköter sidan kan använda.":
        "An address everyone who runs the page can use.",
    "Rapporterad till informationschefen": "Reported to the head of communications",
    "Dagen då informationschefen fick planen och kontaktuppgifterna.":
        "The day the head of communications received the plan and the contact details.",
    "Närvaron avslutad": "Presence ended",
    "Fylls i när sidan läggs ned.": "Filled in when the page is closed.",
    "1. Inledning": "1. Introduction",
    "Valt medium och varför": "Chosen medium and why",
    "Vilket socialt medium har valts? Varför detta och inte något annat?":
        "Which social medium was chosen? Why this one and not another?",
    "2. Syfte och mål": "2. Purpose and goals",
    "Syfte": "Purpose",
    "Vad är syftet med närvaron?": "What is the purpose of the presence?",
    "Mål": "Goals",
    "Vad ska uppnås med närvaron?": "What should the presence achieve?",
    "3. Åtgärder": "3. Measures",
    "Arbetet startar": "Work starts",
    "När startar arbetet?": "When does the work start?",
    "Hur ofta sidan uppdateras": "How often the page is updated",
    "Målgrupp": "Target group",
    "Vad sidan används till": "What the page is used for",
    "4. Ansvar och struktur": "4. Responsibility and structure",
    "Ansvarig": "Responsible",
    "Vem är ansvarig för arbetet?": "Who is responsible for the work?",
    "Ansvarigs kontaktuppgifter": "Responsible person's contact details",
    "Ersättare": "Substitute",
    "Vem är ansvarig när huvudansvarig är frånvarande?":
        "Who is responsible when the main responsible person is away?",
    "Ersättarens kontaktuppgifter": "Substitute's contact details",
    "Löpande arbete och administration": "Day-to-day work and administration",
    "Vem publicerar, för dialog och bevakar (även under ledigheter)? Vem hanterar "
    "kontouppgifterna och administrerar kontot?":
        "Who publishes, holds the dialogue and watches the page (also during holidays)? "
        "Who keeps the account details and administers the account?",
    "Resurser": "Resources",
    "Finns en uppskattning av resursbehovet?": "Is there an estimate of the resources needed?",
    "Tider för uppsikt": "Hours of oversight",
    "Vilka tider bevakas sidan?": "At what times is the page watched?",
    "Erfarenheter och utveckling": "Experience and development",
    "Vem mäter, dokumenterar erfarenheter och utvecklar närvaron?":
        "Who measures, documents experience and develops the presence?",
    "5. Uppföljning": "5. Follow-up",
    "Uppföljning": "Follow-up",
    "Hur följs arbetet upp?": "How is the work followed up?",
    # Validation (app/pages/register.py MESSAGES)
    "{label} får vara högst {n} tecken.": "{label} may be at most {n} characters.",
    "{label} ska vara ett datum (ÅÅÅÅ-MM-DD).": "{label} must be a date (YYYY-MM-DD).",
    "{label} ska ligga mellan 1990 och 2100.": "{label} must be between 1990 and 2100.",
    "{label} kan inte ligga i framtiden.": "{label} cannot be in the future.",
    "{label} ska vara en e-postadress.": "{label} must be an e-mail address.",
    "Närvaron kan inte avslutas före den dag arbetet startar.":
        "The presence cannot end before the day the work starts.",
}
