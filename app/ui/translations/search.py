"""Search: the form, the hits and what the search refuses."""

EN = {
    "Sök i arkivet": "Search the archive",
    "Inlägg, kommentarer, svar och meddelanden, varje version för sig, de nyaste först.":
        "Posts, comments, replies and messages, each version on its own, newest first.",
    "Gör ett utlämnandepaket av den här sökningen":
        "Make a records-request package of this search",
    "Träffar": "Results",
    "Rätta sökningen ovan och sök igen.": "Correct the search above and search again.",
    "Inga träffar.": "No results.",
    "Visar {n} träffar.": "Showing {n} results.",
    "Det finns fler.": "There are more.",
    "Tid": "Time",
    "Sida": "Page",
    "Avsändare": "Sender",
    "Typ": "Type",
    "Status": "Status",
    "Text": "Text",
    "okänd": "unknown",
    "version {n}": "version {n}",
    "Sekretess": "Secret",
    "Innehållet omfattas av sekretess och visas inte för din roll.":
        "The content is classified and is not shown to your role.",
    "(ingen text)": "(no text)",
    "Fler träffar": "More results",
    "Till de nyaste": "Back to the newest",
    "Äldre träffar": "Older results",
    # The filters
    "Ord": "Words",
    "Alla ord ska finnas i texten, och ett ord hittar också längre former: ”skola” hittar "
    "”skolan”.":
        "Every word must occur in the text, and a word also finds its longer forms: "
        "“skola” finds “skolan”.",
    "Alla sidor": "All pages",
    "Från och med": "From",
    "Till och med": "To (inclusive)",
    "Alla typer": "All types",
    "Kategori": "Category",
    "Alla kategorier": "All categories",
    "Alla": "All",
    "Registrerad": "Registered",
    "Ja": "Yes",
    "Nej": "No",
    "Inlägg": "Post",
    "Kommentar": "Comment",
    "Svar": "Reply",
    "Meddelande": "Message",
    "Synlig": "Visible",
    "Dold": "Hidden",
    "Borttagen": "Removed",
    "Blockerad": "Blocked",
    # What cannot be searched
    "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01.":
        "Write dates as YYYY-MM-DD, for example 2026-03-01.",
    "Välj ett av alternativen i listan.": "Choose one of the options in the list.",
    "Avsändaren är för lång eller innehåller otillåtna tecken.":
        "The sender is too long or contains characters that are not allowed.",
    "Okänd sida.": "Unknown page.",
    "Från-datumet ligger efter till-datumet.": "The from date is after the to date.",
    "Sökorden måste innehålla bokstäver eller siffror.":
        "The search words must contain letters or digits.",
    "Sökningen är för lång: högst 500 tecken och 16 olika ord.":
        "The search is too long: at most 500 characters and 16 different words.",
    "Sidan med träffar gick inte att visa. Börja om från första sidan.":
        "That page of results could not be shown. Start again from the first page.",
    "Sökningen hittar fler än 10 000 versioner. Begränsa den (datum, sida, ord) och gör "
    "flera paket.":
        "The search finds more than 10,000 versions. Narrow it (dates, page, words) and "
        "make several packages.",
}
