"""The yearly report."""

EN = {
    "Årsrapport": "Yearly report",
    "Årsrapport {year}": "Yearly report {year}",
    "Rapporten till informationschefen: vad som kom in på sidorna, vad reglerna och "
    "moderatorerna gjorde, registreringen, den dagliga granskningen och svarstiderna.":
        "The report to the head of communications: what came in on the pages, what the "
        "rules and the moderators did, registration, the daily oversight and answer times.",
    "Hela året.": "The whole year.",
    "Året hittills, till och med {day}.": "The year so far, up to and including {day}.",
    "Rapporten för {year} är gjord och sparad.": "The report for {year} is made and stored.",
    "År": "Year",
    "Visa": "Show",
    "Gör och spara rapporten för {year} nu": "Make and store the report for {year} now",
    "Året är inte slut: en rapport som görs nu räknar året hittills. Efter årsskiftet gör "
    "Uppsikt rapporten för hela året av sig själv.":
        "The year is not over: a report made now counts the year so far. After the new "
        "year, Uppsikt makes the report for the whole year by itself.",
    "Inga sidor fanns under året.": "No pages existed during the year.",
    "Sammanfattning": "Summary",
    "Sidor": "Pages",
    "{pages} sidor i {units} förvaltningar": "{pages} pages in {units} departments",
    "Poster": "Items",
    "{n} (inlägg {posts}, kommentarer {comments}, svar {replies}, direktmeddelanden "
    "{messages}; av sidorna själva {own})":
        "{n} (posts {posts}, comments {comments}, replies {replies}, direct messages "
        "{messages}; by the pages themselves {own})",
    "Reglernas beslut": "The rules' decisions",
    "tillåt {allow}, granska {review}, dölj {hide}, radera {delete}":
        "allow {allow}, review {review}, hide {hide}, delete {delete}",
    "Åtgärder på Facebook": "Actions on Facebook",
    "dolda {hidden}, visade igen {unhidden}, raderade {deleted}, misslyckade {failed}":
        "hidden {hidden}, shown again {unhidden}, deleted {deleted}, failed {failed}",
    "Återställda": "Restored",
    "{n} efter granskning, varav {fp} felaktiga träffar":
        "{n} after review, of which {fp} false positives",
    "Registrering": "Registration",
    "{n} till registrator: diarieförda {registered}, ej diarieföring {not_required}, "
    "väntar {pending}; sekretess {secret}":
        "{n} to the registrar: registered {registered}, registration not required "
        "{not_required}, waiting {pending}; secret {secret}",
    "Daglig granskning": "Daily oversight",
    "{share} ({signed} av {days} arbetsdagar, summerat över sidorna)":
        "{share} ({signed} of {days} working days, summed over the pages)",
    "Frågor": "Questions",
    "{n}: besvarade {answered}, i tid {in_time} ({share}), obesvarade efter sista dag "
    "{overdue}; mediantid till svar {median}":
        "{n}: answered {answered}, in time {in_time} ({share}), unanswered past the "
        "deadline {overdue}; median time to answer {median}",
    "Beslut per kategori": "Decisions by category",
    "Poster vars senaste beslut nämner kategorin (en post kan ha flera).":
        "Items whose latest decision names the category (an item can have several).",
    "Kategori": "Category",
    "Poster per månad": "Items per month",
    "Månad": "Month",
    "Per förvaltning och sida": "By department and page",
    "Sida": "Page",
    "Förvaltning": "Department",
    "Dolda": "Hidden",
    "Raderade": "Deleted",
    "Diarieförda": "Registered",
    "Svar i tid": "Answered in time",
    "Mediantid till svar": "Median time to answer",
    "Skärmdumpar": "Snapshots",
    "Summa förvaltningen": "Department total",
    "Alla förvaltningar": "All departments",
    "Totalt": "Total",
    "Granskning: granskade arbetsdagar av arbetsdagarna sidan fanns under året, till och "
    "med i går. Svar i tid: besvarade i tid av besvarade och försenade obesvarade frågor.":
        "Oversight: signed-off working days of the working days the page existed in the "
        "year, up to and including yesterday. Answered in time: answered in time of the "
        "answered and the overdue unanswered questions.",
    "Årets skärmdumpar": "The year's snapshots",
    "Inga skärmdumpar av årets perioder.": "No snapshots of the year's periods.",
    "Period": "Period",
    "SHA-256 (PDF)": "SHA-256 (PDF)",
    "Sparade rapporter": "Stored reports",
    "Inga rapporter är sparade ännu.": "No reports are stored yet.",
    "Gjord": "Made",
    "Gjord av": "Made by",
    "Filer": "Files",
    "schemalagd": "scheduled",
    "PDF": "PDF",
    "CSV": "CSV",
    "Ogiltigt år: välj ett år från listan.": "Invalid year: choose a year from the list.",
    "Rapporten finns inte.": "The report does not exist.",
    "Rapportens fil saknas i arkivet.": "The report's file is missing from the archive.",
    "Rapportens fil har ändrats sedan den gjordes: kontrollsumman stämmer inte. Kontakta "
    "den som ansvarar för arkivet.":
        "The report's file has changed since it was made: the checksum does not match. "
        "Contact whoever is responsible for the archive.",
    # Months, in full and short
    "januari": "January", "februari": "February", "mars": "March", "april": "April",
    "maj": "May", "juni": "June", "juli": "July", "augusti": "August",
    "september": "September", "oktober": "October", "november": "November",
    "december": "December",
    "jan": "Jan", "feb": "Feb", "mar": "Mar", "apr": "Apr", "jun": "Jun", "jul": "Jul",
    "aug": "Aug", "sep": "Sep", "okt": "Oct", "nov": "Nov", "dec": "Dec",
}
