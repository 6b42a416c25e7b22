"""The pages' half-yearly snapshots (skärmdumpar)."""

EN = {
    "Varje halvår sparas en skärmdump av varje sida: inläggen och kommentarerna under "
    "halvåret som de såg ut vid dess slut, som PDF (PDF/A) och som en fristående HTML-fil. "
    "Kontrollsumman (SHA-256) för varje fil registreras när den sparas och kontrolleras när "
    "filen hämtas.":
        "Every half-year a snapshot of each page is kept: the posts and comments of the "
        "half-year as they stood at its end, as a PDF (PDF/A) and as a self-contained HTML "
        "file. The checksum (SHA-256) of each file is recorded when it is stored and checked "
        "when the file is downloaded.",
    "Sekretessbelagt innehåll finns inte med i skärmdumparna; där står bestämmelsen i "
    "stället.": "Secret content is not in the snapshots; the provision stands in its place.",
    "Gör en skärmdump nu": "Make a snapshot now",
    "Gör skärmdumpen": "Make the snapshot",
    "Perioden får vara högst ett år och sluta senast i dag.":
        "The period may be at most one year and end today at the latest.",
    "Det finns inga sidor ännu.": "There are no pages yet.",
    "Ingen skärmdump ännu.": "No snapshot yet.",
    "Period": "Period",
    "Gjord": "Made",
    "Poster": "Items",
    "Filer": "Files",
    "SHA-256": "SHA-256",
    "PDF/A": "PDF/A",
    "PDF": "PDF",
    "HTML": "HTML",
    "schemalagd": "scheduled",
    "på begäran av {who}": "on demand by {who}",
    "Skärmdumpen finns inte.": "The snapshot does not exist.",
    "Ange både första och sista dagen.": "Give both the first and the last day.",
    "Ange datumen som ÅÅÅÅ-MM-DD.": "Give the dates as YYYY-MM-DD.",
    "Första dagen är efter den sista.": "The first day is after the last.",
    "Perioden får vara högst ett år.": "The period may be at most one year.",
    "Perioden får inte sluta efter i dag.": "The period may not end after today.",
    "Skärmdumpen kunde inte göras. Försök igen om en stund.":
        "The snapshot could not be made. Try again in a while.",
    "Filen stämmer inte längre med kontrollsumman som registrerades när skärmdumpen gjordes "
    "(den är ändrad eller saknas), och lämnas därför inte ut. Kontakta den som sköter "
    "Uppsikt.":
        "The file no longer matches the checksum recorded when the snapshot was made (it "
        "has been changed or is missing), so it is not handed out. Contact whoever runs "
        "Uppsikt.",
    "Skärmdumpen är gjord och sparad.": "The snapshot is made and stored.",
}
