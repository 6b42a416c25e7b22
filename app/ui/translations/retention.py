"""Retention (gallring): rules from retention decisions, legal holds, the culling record."""

EN = {
    "Gallring": "Retention",
    "Innehåll gallras bara enligt myndighetens gallringsbeslut. Det som omfattas av en spärr "
    "eller är registrerat, eller väntar på registrering, gallras aldrig. Gallringen görs "
    "varje natt; varje gallrat objekt förs in i gallringsförteckningen.":
        "Content is culled only as the authority's retention decisions allow. What is under a "
        "legal hold, registered or waiting to be registered is never culled. Culling runs "
        "every night; every culled item is entered in the culling record.",
    "Du kan se men inte ändra.": "You can see but not change.",
    "Regler enligt gallringsbeslut": "Rules from retention decisions",
    "Det finns inga regler. Inget gallras.": "There are no rules. Nothing is culled.",
    "Nr": "No.",
    "Sida": "Page",
    "Innehåll": "Content",
    "Bevaras i dagar": "Kept for days",
    "Gallringsbeslut": "Retention decision",
    "Beslutsdag": "Date of decision",
    "Anteckning": "Note",
    "Status": "Status",
    "Alla sidor": "All pages",
    "Upphävd {when} av {who}": "Retired {when} by {who}",
    "Gäller sedan {when} ({who})": "In force since {when} ({who})",
    "Upphäv": "Retire",
    "Ny regel": "New rule",
    "En regel för en viss sida gäller före regeln för alla sidor, oavsett om den bevarar "
    "längre eller kortare.":
        "A rule for a particular page applies before the rule for all pages, whether it keeps "
        "content longer or shorter.",
    "Lägg till regeln": "Add the rule",
    "Spärrar": "Legal holds",
    "Det finns inga spärrar.": "There are no legal holds.",
    "Gäller": "Applies to",
    "Facebook-id": "Facebook id",
    "Skäl": "Reason",
    "Lagd": "Placed",
    "Hävd {when} av {who}": "Released {when} by {who}",
    "Häv spärren": "Release the hold",
    "Ny spärr": "New legal hold",
    "Id för kommentaren eller inlägget (t.ex. 1234567890_100), eller sidans id.":
        "The id of the comment or post (e.g. 1234567890_100), or the page's id.",
    "Lägg spärren": "Place the hold",
    "Det som skulle gallras nu": "What would be culled now",
    "Inget skulle gallras nu.": "Nothing would be culled now.",
    "{n} objekt skulle gallras om gallringen gjordes nu.":
        "{n} items would be culled if culling ran now.",
    "Antal": "Count",
    "De {n} äldsta": "The {n} oldest",
    "Alla": "All",
    "Skapad": "Created",
    "Regel": "Rule",
    "(nytt innehåll efter gallring)": "(new content after culling)",
    "Gallringsförteckning": "Culling record",
    "Inget har gallrats.": "Nothing has been culled.",
    "{n} gallrade objekt": "{n} culled items",
    "Gallrat": "Culled",
    "Versioner": "Versions",
    "Mediefiler": "Media files",
    "Bläddra i gallringsförteckningen": "Browse the culling record",
    "Nyare": "Newer",
    "Äldre": "Older",
    # Messages
    "Välj vilket slags innehåll regeln gäller.": "Choose the kind of content the rule covers.",
    "Antal dagar ska vara ett heltal från 1 till 36 600.":
        "The number of days must be a whole number from 1 to 36,600.",
    "Ange gallringsbeslutet (högst 200 tecken).":
        "Give the retention decision (at most 200 characters).",
    "Beslutsdagen kan inte ligga i framtiden.": "The date of decision cannot be in the future.",
    "Anteckningen får vara högst 2 000 tecken.": "The note may be at most 2,000 characters.",
    "Det finns redan en gällande regel för samma sida och slag av innehåll. Upphäv den först.":
        "A rule in force already covers the same page and kind of content. Retire it first.",
    "Regeln finns inte.": "The rule does not exist.",
    "Regeln är redan upphävd.": "The rule is already retired.",
    "Välj vad spärren gäller: ett inlägg eller en kommentar, ett inlägg med allt under det, "
    "eller en hel sida.":
        "Choose what the hold covers: a post or comment, a post with everything under it, or "
        "a whole page.",
    "Ange Facebook-id för det som ska spärras.": "Give the Facebook id of what is to be held.",
    "Ange skälet till spärren.": "Give the reason for the hold.",
    "Det finns inget sådant i arkivet.": "There is no such thing in the archive.",
    "Det är inte ett inlägg. Spärra det som enskilt objekt i stället.":
        "That is not a post. Hold it as a single item instead.",
    "Det är redan gallrat.": "It has already been culled.",
    "Det finns redan en sådan spärr.": "Such a hold already exists.",
    "Spärren finns inte.": "The hold does not exist.",
    "Spärren är redan hävd.": "The hold is already released.",
    "Regeln är sparad.": "The rule is saved.",
    "Regeln är upphävd.": "The rule is retired.",
    "Spärren är lagd.": "The hold is placed.",
    "Spärren är hävd.": "The hold is released.",
    "Enskilt objekt": "Single item",
    "Inlägg med kommentarer": "Post with comments",
    "Hela sidan": "Whole page",
    "Inlägg": "Post",
    "Kommentar": "Comment",
    "Svar": "Reply",
    "Meddelande": "Message",
}
