"""The start page: daily oversight (uppsiktsplikt)."""

EN = {
    "Dagens uppsikt": "Today's oversight",
    "Idag är det {day}.": "Today is {day}.",
    "Det är ingen arbetsdag, men uppsikten bör ändå ske dagligen.":
        "It is not a working day, but oversight should still happen daily.",
    "Dagens uppgift:": "Today's task:",
    "Det finns inga sidor att hålla uppsikt över för din förvaltning ännu.":
        "There are no pages to oversee for your department yet.",
    "Uppsikt hanterar inga sidor ännu.": "Uppsikt manages no pages yet.",
    "Alla sidor är granskade idag.": "Every page has been reviewed today.",
    "Sidan väntar på dagens granskning.": "The page is waiting for today's review.",
    "{n} av {total} sidor väntar på dagens granskning.":
        "{n} of {total} pages are waiting for today's review.",
    "Inget väntar i granskningskön.": "Nothing is waiting in the review queue.",
    "1 inlägg eller kommentar väntar i granskningskön.":
        "1 post or comment is waiting in the review queue.",
    "{n} inlägg och kommentarer väntar i granskningskön.":
        "{n} posts and comments are waiting in the review queue.",
    "Inget väntar på registrering.": "Nothing is waiting for registration.",
    "1 ärende väntar på registrering.": "1 case is waiting for registration.",
    "{n} ärenden väntar på registrering.": "{n} cases are waiting for registration.",
    "Öppna granskningskön för varje sida och ta ställning till det som väntar.":
        "Open each page's review queue and decide on what is waiting.",
    "Titta igenom sidan på Facebook: nya inlägg, kommentarer och meddelanden.":
        "Look through the page on Facebook: new posts, comments and messages.",
    "Tryck på Granskat för sidan. Det visar att någon har haft uppsikt över den idag.":
        "Press Reviewed for the page. It shows that someone has overseen it today.",
    "Du ser hur uppsikten sköts men markerar inte sidor som granskade.":
        "You see how oversight is kept but do not mark pages as reviewed.",
    "Till registreringskön": "To the registration queue",
    "Varning:": "Warning:",
    "Ingen markerade dessa sidor som granskade föregående arbetsdag, {day}:":
        "Nobody marked these pages as reviewed on the previous working day, {day}:",
    "Granskad idag": "Reviewed today",
    "Inte granskad idag": "Not reviewed today",
    "Saknar granskning för {day}.": "No review for {day}.",
    "Dagens uppgift": "Today's task",
    "Senast granskad:": "Last reviewed:",
    "av {name}": "by {name}",
    "av {name} kl. {time}": "by {name} at {time}",
    "Granskningskö: {n} väntar": "Review queue: {n} waiting",
    "Registrering: {n} väntar": "Registration: {n} waiting",
    "Aldrig": "Never",
    "Ansvariga och plan": "Responsible people and plan",
    "Du har markerat sidan som granskad idag.": "You have marked the page as reviewed today.",
    "Anteckning (frivillig)": "Note (optional)",
    "Granskat": "Reviewed",
    "Sidan {name} är markerad som granskad för idag.":
        "The page {name} is marked as reviewed for today.",
    "Anteckningen får vara högst 1000 tecken.": "The note may be at most 1000 characters.",
    "måndag": "Monday",
    "tisdag": "Tuesday",
    "onsdag": "Wednesday",
    "torsdag": "Thursday",
    "fredag": "Friday",
    "lördag": "Saturday",
    "söndag": "Sunday",
}
