"""Registration: the registrar's queue, a case and its forms, the e-archive export and
records requests."""

EN = {
    # The queue
    "Sekretessbelagt innehåll, direktmeddelanden och det som moderatorer har skickat hit. "
    "Varje ärende registreras i diariet eller avslutas med en motivering.":
        "Classified content, direct messages and what moderators have sent here. Each case "
        "is registered in the registry or closed with a reason.",
    "E-arkivexport och utlämnande av allmänna handlingar":
        "E-archive export and release of public records",
    "Ärenden efter status": "Cases by status",
    "Visar ärendena från sidan {name}.": "Showing the cases from the page {name}.",
    "Visa alla sidor": "Show all pages",
    "Väntar": "Pending",
    "Registrerade": "Registered",
    "Behöver inte registreras": "Need not be registered",
    "Inga ärenden.": "No cases.",
    "Äldsta först.": "Oldest first.",
    "Nyaste först.": "Newest first.",
    "Ärende": "Case",
    "Ärende {n}": "Case {n}",
    "Inkom": "Received",
    "Källa": "Source",
    "Anledning": "Reason",
    "Utdrag": "Excerpt",
    "Diarienummer": "Registry number",
    "Motivering": "Reason given",
    "Sekretess": "Secret",
    "(ingen text)": "(no text)",
    "Fler ärenden": "More cases",
    "Till början": "To the start",
    "Nästa sida": "Next page",
    "Reglerna": "The rules",
    "Direktmeddelande": "Direct message",
    "Direktmeddelande: inkommande post": "Direct message: incoming mail",
    "Sekretessbelagt innehåll enligt reglerna": "Classified content according to the rules",
    "Sidan i kön gick inte att visa. Börja om från första sidan.":
        "That page of the queue could not be shown. Start again from the first page.",
    # One case
    "Tillbaka till kön": "Back to the queue",
    "Ärendet finns inte.": "The case does not exist.",
    "Registrerad": "Registered",
    "Sida": "Page",
    "I kön sedan": "In the queue since",
    "systemet": "the system",
    "Objekt": "Item",
    "Hela historiken": "Its whole history",
    "Ärendemening": "Description",
    "Utelämnas i det offentliga registret": "Left out of the public registry",
    "Avsändare": "Sender",
    "(ingen)": "(none)",
    "Sekretessbestämmelse": "Secrecy provision",
    "Registrerat": "Registered",
    "Beslut": "Decision",
    "Beslutat": "Decided",
    "Bevarat innehåll": "Preserved content",
    "Så som det såg ut när det sparades {at} ({by}).": "As it was when it was saved {at} ({by}).",
    "(namn saknas)": "(no name)",
    "Facebook-id {id}": "Facebook id {id}",
    "Okänd": "Unknown",
    "Skrivet": "Written",
    "(okänt)": "(unknown)",
    "På Facebook": "On Facebook",
    "(ingen länk: ett direktmeddelande)": "(no link: a direct message)",
    "Kontrollsumma": "Checksum",
    "Reglernas bedömning": "The rules' assessment",
    "Kategorier": "Categories",
    "Kategori": "Category",
    "(inga)": "(none)",
    "Det reglerna hittade": "What the rules found",
    "Reglerna har inte bedömt innehållet.": "The rules have not assessed the content.",
    "Bilagor": "Attachments",
    "Inga bilagor.": "No attachments.",
    "Nr": "No.",
    "Slag": "Kind",
    "Status": "Status",
    "Storlek": "Size",
    "Fil": "File",
    "{kb} kB": "{kb} kB",
    "Ladda ned fil {n}": "Download file {n}",
    "Hämtas": "Being fetched",
    "Sparad": "Stored",
    "Länk, ingen fil": "Link, no file",
    "Kunde inte hämtas": "Could not be fetched",
    "Filen finns inte.": "The file does not exist.",
    "Filen saknas i lagringen.": "The file is missing from the storage.",
    # The forms
    "Registrera": "Register",
    "Till exempel KS 2026/0123.": "For example KS 2026/0123.",
    "Kort vad handlingen gäller, utan sekretessbelagda uppgifter.":
        "In brief what the document concerns, without classified details.",
    "Till exempel OSL 26 kap. 1 §. Tomt om innehållet inte är sekretessbelagt.":
        "For example OSL 26 kap. 1 §. Empty if the content is not classified.",
    "Utelämna avsändaren i det offentliga registret":
        "Leave the sender out of the public registry",
    "Utelämna ärendemeningen i det offentliga registret":
        "Leave the description out of the public registry",
    "En registrering kan inte ändras i efterhand.": "A registration cannot be changed later.",
    "Avsluta ärendet utan registrering?": "Close the case without registering it?",
    "Avsluta utan registrering": "Close without registering",
    "Bara en registrator kan registrera eller avsluta ärendet.":
        "Only a registrar can register or close the case.",
    "Formuläret har fel. Rätta det som är markerat och skicka igen.":
        "The form has errors. Correct what is marked and send it again.",
    "Ärendet är registrerat.": "The case is registered.",
    "Ärendet var redan registrerat med samma diarienummer. Ingenting ändrades.":
        "The case was already registered with the same registry number. Nothing changed.",
    "Ärendet är avslutat: det behöver inte registreras.":
        "The case is closed: it need not be registered.",
    "Ärendet är redan registrerat med diarienummer {number}. En registrering ändras inte; "
    "rättelser görs i diariet. Försöket har loggats.":
        "The case is already registered with registry number {number}. A registration is "
        "not changed; corrections are made in the registry. The attempt has been logged.",
    "Ärendet är redan avslutat som att det inte behöver registreras. Beslutet ändras inte. "
    "Försöket har loggats.":
        "The case is already closed as not needing registration. The decision is not "
        "changed. The attempt has been logged.",
    "Skriv diarienumret, högst 64 tecken, till exempel KS 2026/0123.":
        "Write the registry number, at most 64 characters, for example KS 2026/0123.",
    "Skriv kort vad ärendet gäller, högst 1 000 tecken.":
        "Write in brief what the case concerns, at most 1,000 characters.",
    "Avsändaren får vara högst 300 tecken.": "The sender may be at most 300 characters.",
    "Sekretessbestämmelsen får vara högst 200 tecken.":
        "The secrecy provision may be at most 200 characters.",
    "Skriv varför ärendet inte behöver registreras, högst 500 tecken.":
        "Write why the case need not be registered, at most 500 characters.",
    "Begärans beteckning får vara högst 100 tecken, utan styrtecken.":
        "The request's reference may be at most 100 characters, without control "
        "characters.",
    "Välj ett av alternativen i listan.": "Choose one of the options in the list.",
    # Export and records requests
    "Export och utlämnande": "Export and release",
    "E-arkivexport (ERMS)": "E-archive export (ERMS)",
    "De ärenden som registrerades under perioden, med det bevarade innehållet, som ett "
    "ERMS-dokument (FGS Ärendehantering 2.0). Sekretessbelagt innehåll är med och märkt "
    "med sin begränsning.":
        "The cases registered in the period, with the preserved content, as an ERMS "
        "document (FGS Ärendehantering 2.0). Classified content is included and marked "
        "with its restriction.",
    "Dokumentet hänvisar till bilagorna som media/<kontrollsumma>. Paketet med filerna "
    "görs med kommandot uppsikt export erms --out FIL.zip.":
        "The document refers to the attachments as media/<checksum>. The package with the "
        "files is made with the command uppsikt export erms --out FILE.zip.",
    "Registrerade från och med": "Registered from",
    "till och med": "to (inclusive)",
    "Alla sidor": "All pages",
    "Hämta XML-filen": "Download the XML file",
    "Fyll i både från- och till-datum.": "Fill in both the from and the to date.",
    "Inga ärenden registrerades under perioden.": "No cases were registered in the period.",
    "Utlämnande av allmänna handlingar": "Release of public records",
    "Det sökningen hittar, som ett paket att lämna ut: handlingarna som PDF och CSV, en "
    "förteckning över det som inte lämnas ut med bestämmelsen, och en innehållsförteckning "
    "med kontrollsummor. Att paketet görs loggas.":
        "What the search finds, as a package to release: the records as PDF and CSV, a "
        "list of what is withheld with the provision, and a manifest with checksums. "
        "Making the package is logged.",
    "Sökningen": "The search",
    "Begärans beteckning": "The request's reference",
    "Till exempel begärans diarienummer; står på försättsbladet.":
        "For example the request's registry number; it is printed on the cover page.",
    "Sekretessbelagt innehåll": "Classified content",
    "Med i paketet, med de sekretessbelagda delarna maskerade":
        "In the package, with the classified parts masked",
    "Utelämnas ur paketet": "Left out of the package",
    "Båda sätten listar det som inte lämnas ut, med bestämmelsen.":
        "Either way, what is withheld is listed with the provision.",
    "Hämta paketet (zip)": "Download the package (zip)",
}
