"""The frame every page shares: menu, sign-in, errors."""

EN = {
    "Uppsikt": "Uppsikt",
    "Hoppa till innehållet": "Skip to content",
    "Huvudmeny": "Main menu",
    "Start": "Home",
    "Granskning": "Review",
    "Registrering": "Registration",
    "Sök": "Search",
    "Sidor": "Pages",
    "Regeltest": "Rule tester",
    "Logga ut": "Sign out",
    "Logga in": "Sign in",
    "Användarnamn": "User name",
    "Lösenord": "Password",
    "Logga in med organisationens konto": "Sign in with your organisation's account",
    "Fel användarnamn eller lösenord.": "Wrong user name or password.",
    "För många misslyckade försök. Vänta en kvart och försök igen.":
        "Too many failed attempts. Wait a quarter of an hour and try again.",
    "Uppsikt – moderering och bevarande av myndighetens Facebooksidor":
        "Uppsikt – moderation and preservation of the authority's Facebook Pages",
    "Fel": "Error",
    "Det gick inte": "That did not work",
    "Till startsidan": "To the home page",
    "Din roll får inte göra detta.": "Your role may not do this.",
    "Formuläret var för gammalt eller kom inte härifrån. Ladda om sidan och försök igen.":
        "The form was too old or did not come from here. Reload the page and try again.",
    "Sidan finns inte.": "The page does not exist.",
    "Okänt språk.": "Unknown language.",
    "Felaktiga uppgifter i formuläret.": "The form has invalid values.",
    "Moderator": "Moderator",
    "Registrator": "Registrar",
    "Informationsansvarig": "Information officer",
    "Granskare": "Auditor",
}
