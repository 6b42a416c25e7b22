"""Operations: scheduled jobs and alerts."""

EN = {
    "Drift": "Operations",
    "Schemalagda jobb sköter de återkommande uppgifterna. Varje jobb körs av en server i taget, även när flera servrar är igång.":
        "Scheduled jobs carry out the recurring duties. Each job runs on one server at a "
        "time, even when several servers are running.",
    "Öppna larm": "Open alerts",
    "Inga öppna larm.": "No open alerts.",
    "1 larm": "1 alert",
    "{n} larm": "{n} alerts",
    "Larm": "Alert",
    "Beskrivning": "Description",
    "Först": "First",
    "Senast": "Latest",
    "Gånger": "Times",
    "Åtgärd": "Action",
    "Markera som åtgärdat": "Mark as handled",
    "Jobb": "Job",
    "Vad det gör": "What it does",
    "Schema": "Schedule",
    "Senaste körning": "Last run",
    "Avstängt": "Disabled",
    "Körs nu": "Running now",
    "Har inte körts": "Not run yet",
    "klart": "done",
    "misslyckades": "failed",
    "pågår": "running",
    "Kör nu": "Run now",
    "Senaste körningar": "Recent runs",
    "Inga körningar ännu.": "No runs yet.",
    "Klart": "Finished",
    "Hur": "How",
    "Resultat": "Result",
    "schemat": "schedule",
    "för hand": "by hand",
    "Jobbet {name} har startats. Ladda om sidan för att se hur det gick.":
        "The job {name} has been started. Reload the page to see how it went.",
    "Larmet är markerat som åtgärdat.": "The alert is marked as handled.",
    "Jobbet finns inte.": "There is no such job.",
    "Larmet finns inte.": "There is no such alert.",
    # Jobs
    "Hämtar sidornas senaste inlägg och kommentarer från Facebook och tar hand om det som ingen webhook förde med sig; kontrollerar och förnyar prenumerationen för sidor som tystnat.":
        "Fetches the pages' latest posts and comments from Facebook and handles what no "
        "webhook brought; checks and renews the subscription of pages that went quiet.",
    "Försöker igen med åtgärder, mediehämtningar och uppslag som väntar, och larmar om det som fortsätter att misslyckas.":
        "Retries waiting actions, media downloads and lookups, and raises an alert for what "
        "keeps failing.",
    "Larmar om webhook-ändringar för sidor som Uppsikt inte hanterar och om leveranser som inte gick att förstå.":
        "Raises an alert for webhook changes for pages Uppsikt does not manage and for "
        "deliveries that could not be understood.",
    "Följer upp frågor från allmänheten mot svarstiden: samma dag, senast nästkommande arbetsdag.":
        "Follows up questions from the public against the answer deadline: the same day, "
        "at the latest the next working day.",
    "Dagsrapporten varje arbetsdagsmorgon per förvaltning, med e-post.":
        "The daily digest each working-day morning per department, by e-mail.",
    "Gallrar enligt gallringsbesluten, aldrig det som är spärrat eller registrerat; varje gallring dokumenteras.":
        "Culls as the retention decisions allow, never what is held or registered; every "
        "culling is recorded.",
    "Skärmdump av varje sida som PDF och HTML efter varje halvår.":
        "A snapshot of every page as PDF and HTML after each half-year.",
    "Årsrapporten till informationschefen efter varje år, som PDF och CSV.":
        "The yearly report to the head of communications after each year, as PDF and CSV.",
    # Alerts
    "Ett schemalagt jobb misslyckades": "A scheduled job failed",
    "Åtgärder på Facebook misslyckas": "Actions on Facebook are failing",
    "Media kunde inte hämtas": "Media could not be downloaded",
    "Uppgifter kunde inte hämtas från Facebook": "Details could not be fetched from Facebook",
    "Sidans token fungerar inte": "The page's token does not work",
    "Webhook-prenumerationen fungerar inte": "The webhook subscription does not work",
    "Inkorgen behöver uppmärksamhet": "The inbox needs attention",
    "Dagsrapporten kunde inte skickas": "The daily digest could not be sent",
    # Start page
    "Larm:": "Alert:",
    "1 öppet larm behöver åtgärdas.": "1 open alert needs attention.",
    "{n} öppna larm behöver åtgärdas.": "{n} open alerts need attention.",
    "Till driftsidan": "To the operations page",
    "Något fungerar inte för dina sidor. Informationsavdelningen ser larmet och åtgärdar det.":
        "Something is not working for your pages. The communications department sees the "
        "alert and deals with it.",
    "Frågor: {late} försenade, {due} ska besvaras idag":
        "Questions: {late} overdue, {due} to answer today",
    "Försenat svar": "Answer overdue",
    # Navigation
    "Frågor": "Questions",
    "Dagsrapport": "Daily digest",
    "Skärmdumpar": "Snapshots",
    "Årsrapport": "Yearly report",
    "Gallring": "Retention",
}
