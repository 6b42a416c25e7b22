"""A page's policy and word lists, and the rule tester."""

EN = {
    # Categories: short names and the guidelines' words
    "Förtal och förolämpningar": "Defamation and insults",
    "Hets och trakasserier": "Hate speech and harassment",
    "Våld och pornografi": "Violence and pornography",
    "Uppmaning till brott": "Incitement to crime",
    "Upphovsrätt": "Copyright",
    "Svordomar": "Profanity",
    "Personuppgifter": "Personal data",
    "Sekretess": "Secrecy",
    "Skräppost och bedrägerier": "Spam and scams",
    "Förtal, personliga angrepp eller förolämpningar.":
        "Defamation, personal attacks or insults.",
    "Hets mot folkgrupp, sexistiska yttranden eller andra trakasserier.":
        "Hate speech against a group, sexist remarks or other harassment.",
    "Olovliga våldsskildringar eller pornografi.":
        "Unlawful depictions of violence, or pornography.",
    "Uppmaningar till brott eller annan brottslig verksamhet, till exempel olaga hot.":
        "Incitement to crime or other criminal activity, for example unlawful threats.",
    "Olovligt bruk av upphovsrättsligt skyddat material, till exempel bilder.":
        "Unauthorised use of copyrighted material, for example images.",
    "Svordomar eller obscena ord.": "Swearing or obscene words.",
    "Uppgifter som behandlas i strid med dataskyddsförordningen (förr PUL), till exempel "
    "personnummer eller hälsa.":
        "Data processed in breach of the GDPR (formerly PUL), for example personal identity "
        "numbers or health.",
    "Sekretessbelagda uppgifter. Döljs alltid och ska diarieföras.":
        "Information classified under the Secrecy Act. Always hidden, and to be registered.",
    "Skräppost och bedrägliga länkar. Inte i riktlinjernas lista, men det vanligaste "
    "problemet.":
        "Spam and scam links. Not in the guidelines' list, but the most common problem.",
    # Actions, levels, switches
    "Tillåt": "Allow",
    "Granska": "Review",
    "Dölj": "Hide",
    "Radera": "Delete",
    "Ingenting görs.": "Nothing is done.",
    "Kommentaren syns kvar; en moderator tittar på den.":
        "The comment stays visible; a moderator looks at it.",
    "Kommentaren sparas och döljs på Facebook; en moderator granskar den.":
        "The comment is saved and hidden on Facebook; a moderator reviews it.",
    "Kommentaren sparas, döljs och raderas sedan från Facebook.":
        "The comment is saved, hidden and then deleted from Facebook.",
    "Av": "Off",
    "Medel": "Medium",
    "Stark": "Strong",
    "Inga ordlistor används, inte heller sidans egna. Personnummer, andra personuppgifter "
    "och länkar känns ändå igen.":
        "No word lists are used, not even the page's own. Personal identity numbers, other "
        "personal data and links are still recognised.",
    "De grövsta, entydiga orden i de gemensamma ordlistorna, och sidans egna ord.":
        "The most offensive, unambiguous words of the shared word lists, and the page's own "
        "words.",
    "Alla ord i de gemensamma ordlistorna, även mildare ord, och sidans egna ord.":
        "Every word of the shared word lists, milder ones too, and the page's own words.",
    "Bara observera": "Observe only",
    "Bilder och video granskas av en person": "Images and videos are reviewed by a person",
    "Sekretessbelagt raderas direkt": "Secret content is deleted at once",
    "Direktmeddelanden går till registrator": "Direct messages go to the registrar",
    "Besluten sparas, men ingenting döljs eller raderas på Facebook.":
        "Decisions are recorded, but nothing is hidden or deleted on Facebook.",
    "Kommentarer med bilder eller video granskas med tanke på upphovsrätt.":
        "Comments with images or videos are reviewed for copyright.",
    "Annars döljs sekretessbelagt direkt och raderas när en moderator bekräftar.":
        "Otherwise secret content is hidden at once and deleted when a moderator confirms.",
    "Direktmeddelanden är inkommande post. Annars hålls de bara ordnade i arkivet.":
        "Direct messages are incoming mail. Otherwise they are only kept in order in the "
        "archive.",
    # How a match was made; built-in rules
    "som i listan": "as in the list",
    "utan prickar och accenter (javla för jävla)": "without diacritics (javla for jävla)",
    "med upprepade bokstäver (fiiina för fina)": "with repeated letters (fiiina for fina)",
    "med tecken i stället för bokstäver (j*vla)": "with symbols for letters (j*vla)",
    "enligt ett mönster (reguljärt uttryck)": "by a pattern (regular expression)",
    "igenkänd av en inbyggd regel": "recognised by a built-in rule",
    "bild eller video": "image or video",
    "Personnummer": "Personal identity number",
    "Samordningsnummer": "Coordination number",
    "Telefonnummer": "Phone number",
    "E-postadress": "E-mail address",
    "Adress": "Address",
    "Känsliga personuppgifter": "Sensitive personal data",
    "Länkar": "Links",
    "Bilder och video": "Images and videos",
    # The policy page
    "Policy och ordlistor": "Policy and word lists",
    "Till formuläret": "To the form",
    "Förvaltning": "Department",
    "Gäller nu": "In force",
    "Version {n}, sparad {when} av {who}": "Version {n}, saved {when} by {who}",
    "Ingen egen policy ännu: standardreglerna gäller.":
        "No policy of its own yet: the default rules apply.",
    "Testa en text mot sidans policy": "Test a text against the page's policy",
    "Du ser version {n} från {when}, inte den som gäller nu.":
        "You are looking at version {n} of {when}, not the one in force.",
    "Till den version som gäller": "To the version in force",
    "En äldre version kan inte ändras. Ändra den version som gäller.":
        "An older version cannot be changed. Change the version in force.",
    "Kategorier och åtgärder": "Categories and actions",
    "På den här sidan": "On this page",
    "ny lista, import": "new list, import",
    "Vad riktlinjerna säger": "What the guidelines say",
    "Vad som händer med en kommentar som innehåller något ur en kategori. Kategorierna är "
    "riktlinjernas lista över vad kommentarer inte får innehålla.":
        "What happens to a comment that contains something of a category. The categories "
        "are the guidelines' list of what comments may not contain.",
    "Kategori": "Category",
    "Åtgärd": "Action",
    "Tillåt: ingenting görs. Granska: kommentaren syns kvar; en moderator tittar på den. "
    "Dölj: kommentaren sparas och döljs på Facebook. Radera: kommentaren sparas, döljs och "
    "raderas sedan.":
        "Allow: nothing is done. Review: the comment stays visible; a moderator looks at "
        "it. Hide: the comment is saved and hidden on Facebook. Delete: the comment is "
        "saved, hidden and then deleted.",
    "Nivå och inställningar": "Level and settings",
    "Nivå för ordlistorna": "Level of the word lists",
    "Som Facebooks eget filter: Ingen, Medel eller Stark.":
        "As Facebook's own filter: None, Medium or Strong.",
    "Inställningar": "Settings",
    "Tillåtna ord": "Allowed words",
    "Ord som aldrig ska slå till, ett per rad. Till exempel ortnamn som liknar ett ord i "
    "listorna.":
        "Words that never trigger, one a line. For example place names that look like a "
        "word in the lists.",
    "Tillåtna domäner för länkar": "Allowed link domains",
    "En domän per rad, till exempel falun.se. Länkar hit räknas aldrig som skräppost.":
        "One domain a line, for example falun.se. Links there never count as spam.",
    "Spärrade domäner för länkar": "Denied link domains",
    "En domän per rad. Länkar hit räknas som skräppost. Förkortade länkar (bit.ly med "
    "flera) räknas alltid.":
        "One domain a line. Links there count as spam. Shortened links (bit.ly and others) "
        "always do.",
    "Anteckning till versionen (valfri)": "Note for the version (optional)",
    "Spara som ny version": "Save as a new version",
    "Ja": "Yes",
    "Nej": "No",
    "Inga": "None",
    "Sidans egna ordlistor": "The page's own word lists",
    "Sidans egna ord gäller på nivå medel och stark, utöver de gemensamma ordlistorna. Ett "
    "ord träffar bara hela ordet; ord* träffar ord som börjar så och *ord ord som slutar så.":
        "The page's own words apply at the medium and strong levels, besides the shared "
        "word lists. A word matches only the whole word; word* matches words that begin "
        "so and *word words that end so.",
    "Sidan har inga egna ordlistor.": "The page has no word lists of its own.",
    "Lista {name}": "List {name}",
    "Antal ord": "Number of words",
    "Ändrad i": "Changed in",
    "version {n}": "version {n}",
    "Ord, ett per rad eller med kommatecken emellan":
        "Words, one a line or separated by commas",
    "Spara listan": "Save the list",
    "Ta bort listan {name}? Det blir en ny version utan den.":
        "Remove the list {name}? This makes a new version without it.",
    "Ta bort listan {name}": "Remove the list {name}",
    "Visa orden ({n})": "Show the words ({n})",
    "Ny lista": "New list",
    "Namn": "Name",
    "Små bokstäver a–z, siffror, - och _, till exempel ortnamn.":
        "Lower-case letters a–z, digits, - and _, for example ortnamn.",
    "Skapa listan": "Create the list",
    "Importera en lista från Facebook": "Import a list from Facebook",
    "På Facebook skrivs sidans egna ord med kommatecken emellan, till exempel "
    "ord1,ord2,ord3. Ladda upp en sådan lista som fil (.txt eller .csv, sparad som UTF-8, "
    "högst {mb} MB) eller klistra in den. En lista med samma namn ersätts.":
        "On Facebook a page's own words are written with commas between them, for example "
        "word1,word2,word3. Upload such a list as a file (.txt or .csv, saved as UTF-8, at "
        "most {mb} MB) or paste it. A list of the same name is replaced.",
    "Listans namn": "The list's name",
    "Fil": "File",
    "Eller klistra in listan": "Or paste the list",
    "Importera": "Import",
    "Versioner": "Versions",
    "Inga versioner ännu. Standardreglerna gäller tills policyn sparas första gången.":
        "No versions yet. The default rules apply until the policy is first saved.",
    "Version": "Version",
    "Sparad": "Saved",
    "Sparad av": "Saved by",
    "Anteckning": "Note",
    "Ändringar": "Changes",
    "Visa version {n}": "Show version {n}",
    "gäller": "in force",
    "Inga ändringar": "No changes",
    "Sparat som version {n}.": "Saved as version {n}.",
    "Versionen finns inte.": "The version does not exist.",
    # What changed
    "{category}: {old} → {new}": "{category}: {old} → {new}",
    "Nivå: {old} → {new}": "Level: {old} → {new}",
    "{name}: på": "{name}: on",
    "{name}: av": "{name}: off",
    "Tillåtna ord: {added} nya, {removed} borttagna":
        "Allowed words: {added} new, {removed} removed",
    "Tillåtna domäner: {added} nya, {removed} borttagna":
        "Allowed domains: {added} new, {removed} removed",
    "Spärrade domäner: {added} nya, {removed} borttagna":
        "Denied domains: {added} new, {removed} removed",
    "Ny lista {name} ({n} ord)": "New list {name} ({n} words)",
    "Listan {name} borttagen": "List {name} removed",
    "Listan {name}: {added} ord tillagda, {removed} borttagna":
        "List {name}: {added} words added, {removed} removed",
    "Listan {name}: kategori {old} → {new}": "List {name}: category {old} → {new}",
    "ny, {n} ord": "new, {n} words",
    "borttagen": "removed",
    "{added} ord tillagda, {removed} borttagna": "{added} words added, {removed} removed",
    "kategori {old} → {new}": "category {old} → {new}",
    # Problems with what was sent
    "Det som skickades är för stort. En ordlista får vara högst 1 MB.":
        "What was sent is too large. A word list may be at most 1 MB.",
    "Policyn har ändrats av {who} sedan du öppnade sidan (nu version {n}). Ingenting "
    "sparades. Se över ändringarna och spara igen.":
        "{who} changed the policy since you opened the page (now version {n}). Nothing was "
        "saved. Look over the changes and save again.",
    "Policyn godtogs inte: {detail}": "The policy was not accepted: {detail}",
    "Välj en fil eller klistra in listan, inte båda.":
        "Choose a file or paste the list, not both.",
    "Filen ska vara en textfil (.txt eller .csv).":
        "The file must be a text file (.txt or .csv).",
    "Filen är större än 1 MB.": "The file is larger than 1 MB.",
    "Den inklistrade listan är längre än 1 MB.": "The pasted list is longer than 1 MB.",
    "Välj en fil eller klistra in listan.": "Choose a file or paste the list.",
    "En lista får ha högst {n} ord.": "A list may have at most {n} words.",
    "«{word}» går inte att använda: ett ord eller en fras får bara ha bokstäver, siffror, "
    "bindestreck och enkla mellanslag, och * bara först eller sist.":
        "«{word}» cannot be used: a word or phrase may only have letters, digits, hyphens "
        "and single spaces, and * only first or last.",
    "Listans namn får bara ha små bokstäver a–z, siffror, - och _ (högst 41 tecken), till "
    "exempel facebook eller ortnamn.":
        "A list's name may only have lower-case letters a–z, digits, - and _ (at most 41 "
        "characters), for example facebook or ortnamn.",
    "Okänd kategori: {category}": "Unknown category: {category}",
    "Anteckningen får vara högst {n} tecken.": "The note may be at most {n} characters.",
    "«{value}» är inte ett domännamn, till exempel falun.se.":
        "«{value}» is not a domain name such as falun.se.",
    "Högst {n} domäner i en lista.": "At most {n} domains in a list.",
    "Välj tillåt, granska, dölj eller radera för varje kategori.":
        "Choose allow, review, hide or delete for every category.",
    "Sekretessbelagda uppgifter döljs alltid: välj dölj eller radera.":
        "Secret content is always hidden: choose hide or delete.",
    "Välj nivå: av, medel eller stark.": "Choose a level: off, medium or strong.",
    "Högst {n} tillåtna ord.": "At most {n} allowed words.",
    "Listan har inga ord. Skriv minst ett ord, eller ta bort listan.":
        "The list has no words. Write at least one word, or remove the list.",
    "Det finns redan en lista som heter {name}.": "There already is a list called {name}.",
    "Listan {name} finns inte längre.": "The list {name} no longer exists.",
    "En sida får ha högst {n} egna listor.": "A page may have at most {n} lists of its own.",
    "Filen är inte sparad som UTF-8. Spara den som UTF-8-text (i Excel: CSV UTF-8) och "
    "försök igen.":
        "The file is not saved as UTF-8. Save it as UTF-8 text (in Excel: CSV UTF-8) and "
        "try again.",
    # The rule tester
    "Klistra in en text och se vad reglerna skulle göra med den som kommentar, och varför. "
    "Ingenting sparas och ingenting händer på Facebook.":
        "Paste a text and see what the rules would do with it as a comment, and why. "
        "Nothing is saved and nothing happens on Facebook.",
    "Texten är för lång: {n} tecken. Högst {max} tecken går att testa åt gången.":
        "The text is too long: {n} characters. At most {max} characters can be tested at "
        "a time.",
    "Skriv eller klistra in en text att testa.": "Write or paste a text to test.",
    "Text": "Text",
    "Högst {max} tecken.": "At most {max} characters.",
    "Sidans policy": "The page's policy",
    "Standardreglerna (ingen sida)": "The default rules (no page)",
    "Testa": "Test",
    "Resultat": "Result",
    "Beslut": "Decision",
    "Till registrator": "To the registrar",
    "Ja: sekretessbelagda uppgifter ska diarieföras.":
        "Yes: secret content is to be registered.",
    "Kategorier": "Categories",
    "Policy": "Policy",
    "{page}, version {n}": "{page}, version {n}",
    "{page}: ingen egen policy, standardreglerna":
        "{page}: no policy of its own, the default rules",
    "Standardreglerna": "The default rules",
    "Sidan är i läget bara observera: beslutet sparas, men ingenting döljs eller raderas "
    "på Facebook.":
        "The page is in observe-only mode: the decision is recorded, but nothing is hidden "
        "or deleted on Facebook.",
    "Texten med träffarna markerade": "The text with the matches marked",
    "Träffar": "Matches",
    "Inga träffar: ingenting i texten är något som policyn reagerar på.":
        "No matches: nothing in the text is something the policy reacts to.",
    "I texten": "In the text",
    "Lista eller regel": "List or rule",
    "Ord i listan eller vad regeln fann": "Word in the list, or what the rule found",
    "Hur": "How",
    "(bild eller video)": "(image or video)",
    "Sidans lista {name}": "The page's list {name}",
    "Gemensam lista {name} ({version})": "Shared list {name} ({version})",
}
