"""The daily oversight digest and its recipients."""

EN = {
    "Varje arbetsdag på morgonen görs en dagsrapport per förvaltning: vad som dolts och "
    "tagits bort sedan föregående arbetsdag, vad som väntar i granskningskön, sidor som "
    "ingen granskade föregående arbetsdag, frågor som inte besvarats i tid och öppna larm.":
        "Each working-day morning a digest is made per department: what was hidden and "
        "removed since the previous working day, what waits in the review queue, pages "
        "nobody reviewed on the previous working day, questions not answered in time and "
        "open alerts.",
    "Välj dag": "Choose a day",
    "Tidigare dagsrapporter:": "Earlier digests:",
    "Det är ingen arbetsdag: ingen dagsrapport görs.": "It is not a working day: no digest is made.",
    "Det finns inga sidor att rapportera om för din förvaltning.":
        "There are no pages to report on for your department.",
    "Ingen dagsrapport gjordes för den här dagen.": "No digest was made for this day.",
    "Förhandsvisning, byggd nu. Dagens dagsrapport har inte gjorts ännu.":
        "Preview, built now. Today's digest has not been made yet.",
    "Gjord {when}.": "Made {when}.",
    "Skickad {when} till {n} mottagare.": "Sent {when} to {n} recipients.",
    "Kunde inte skickas: {error}": "Could not be sent: {error}",
    "Inte skickad med e-post.": "Not sent by e-mail.",
    "Sedan föregående arbetsdag, {day}:": "Since the previous working day, {day}:",
    "Dolda: {hidden}, borttagna: {removed}": "Hidden: {hidden}, removed: {removed}",
    "Väntar i granskningskön: {n}": "Waiting in the review queue: {n}",
    "Sidor utan granskning {day}: {n}": "Pages not reviewed on {day}: {n}",
    "Frågor som inte besvarats i tid: {n}": "Questions not answered in time: {n}",
    "ska besvaras idag: {n}": "due today: {n}",
    "Öppna larm: {n}": "Open alerts: {n}",
    "Dolda": "Hidden",
    "Borttagna": "Removed",
    "Frågor för sent": "Questions overdue",
    "Granskad {day}": "Reviewed {day}",
    "Frågor som inte besvarats i tid": "Questions not answered in time",
    "svar senast {day}": "answer due {day}",
    "Dolt och borttaget": "Hidden and removed",
    "av Uppsikt": "by Uppsikt",
    "på Facebook": "on Facebook",
    "Mottagare av dagsrapporten": "Recipients of the digest",
    "Dagsrapporten skickas med e-post till förvaltningens mottagare och till dem som får "
    "alla förvaltningars rapporter.":
        "The digest is e-mailed to the department's recipients and to those who receive "
        "every department's digest.",
    "Ingen får dagsrapporten med e-post ännu.": "Nobody receives the digest by e-mail yet.",
    "Alla förvaltningar": "All departments",
    "Lägg till mottagare": "Add recipient",
    "Ta bort {email}": "Remove {email}",
    "Mottagaren är tillagd.": "The recipient has been added.",
    "Mottagaren är borttagen.": "The recipient has been removed.",
    "Mottagaren finns inte.": "The recipient does not exist.",
    "Ange en giltig e-postadress.": "Enter a valid e-mail address.",
    "Enhetens namn är för långt.": "The department's name is too long.",
    "Adressen får redan dagsrapporten.": "The address already receives the digest.",
    "Välj en förvaltning med sidor i Uppsikt.": "Choose a department with pages in Uppsikt.",
    "Ange dagen som ÅÅÅÅ-MM-DD.": "Give the day as YYYY-MM-DD.",
}
