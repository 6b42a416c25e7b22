"""Questions from the public: the service obligation."""

EN = {
    "1 fråga väntar på svar.": "1 question is waiting for an answer.",
    "{n} frågor väntar på svar.": "{n} questions are waiting for an answer.",
    "Inga frågor väntar på svar.": "No questions are waiting for an answer.",
    "{n} försenade": "{n} overdue",
    "Ange varför frågan inte kräver något svar.": "Say why the question needs no answer.",
    "Ange vem som stänger frågan.": "Say who closes the question.",
    "Skälet får vara högst 300 tecken.": "The reason may be at most 300 characters.",
    "Frågan är inte öppen.": "The question is not open.",
    "Frågan finns inte.": "The question does not exist.",
    "Frågan är stängd: den kräver inget svar.":
        "The question is closed: it needs no answer.",
    "Dold vid moderering": "Hidden by moderation",
    "Borttagen från Facebook": "Removed from Facebook",
    "Avsändaren blockerad": "Sender blocked",
    "Besvarad": "Answered",
    "Besvarade den senaste veckan": "Answered in the past week",
    "Stängd": "Closed",
    "Stängda den senaste veckan": "Closed in the past week",
    "Inga frågor har besvarats den senaste veckan.": "No questions were answered in the past week.",
    "Inga frågor har stängts den senaste veckan.": "No questions were closed in the past week.",
    "Du kan se frågorna men inte stänga dem.": "You can see the questions but not close them.",
    "Fråga": "Question",
    "Svar senast": "Answer due",
    "Försenad": "Overdue",
    "För sent": "Late",
    "Ska besvaras idag": "Due today",
    "Kräver inget svar": "Needs no answer",
    "Skäl": "Reason",
    "Visa i arkivet": "Show in the archive",
    "ställd {when}": "asked {when}",
    "Frågor från allmänheten ska besvaras samma dag, senast nästkommande arbetsdag. Här är "
    "de som sidan inte har svarat på ännu, de mest försenade först.":
        "Questions from the public are to be answered the same day, at the latest the next "
        "working day. Here are those the page has not answered yet, the most overdue first.",
}
