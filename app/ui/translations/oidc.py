"""Signing in with OpenID Connect (the organisation's account)."""

EN = {
    "Inloggningen gick inte": "Sign-in failed",
    "Användarnamn från inloggningstjänsten:": "User name from the sign-in service:",
    "Till inloggningssidan": "To the sign-in page",
    "Inloggningen kunde inte slutföras: den tog för lång tid, var redan använd eller "
    "startades inte här. Börja om från inloggningssidan.":
        "The sign-in could not be completed: it took too long, had already been used or "
        "was not started here. Start again from the sign-in page.",
    "Inloggningen avbröts eller nekades hos organisationens inloggningstjänst.":
        "The sign-in was cancelled or refused by your organisation's sign-in service.",
    "Organisationens inloggningstjänst gick inte att nå eller svarade med ett fel. Försök "
    "igen om en stund, eller logga in med lösenord.":
        "Your organisation's sign-in service could not be reached or answered with an "
        "error. Try again in a while, or sign in with a password.",
    "Svaret från organisationens inloggningstjänst kunde inte godtas. Börja om från "
    "inloggningssidan; kontakta en administratör om det upprepas.":
        "The answer from your organisation's sign-in service could not be accepted. Start "
        "again from the sign-in page; contact an administrator if it happens again.",
    "Organisationens inloggningstjänst angav inget användarnamn. Kontakta en "
    "administratör.":
        "Your organisation's sign-in service gave no user name. Contact an administrator.",
    "Du har inget konto i Uppsikt. Be en administratör lägga upp ett konto med ditt "
    "användarnamn.":
        "You have no account in Uppsikt. Ask an administrator to add an account with your "
        "user name.",
    "Ditt konto i Uppsikt är avstängt. Kontakta en administratör.":
        "Your Uppsikt account is disabled. Contact an administrator.",
    "Kontot i Uppsikt med ditt användarnamn är redan kopplat till en annan person hos "
    "inloggningstjänsten. Kontakta en administratör.":
        "The Uppsikt account with your user name is already linked to another person at "
        "the sign-in service. Contact an administrator.",
    "Flera konton i Uppsikt har ditt användarnamn. Kontakta en administratör.":
        "Several Uppsikt accounts have your user name. Contact an administrator.",
    "Inloggningen krockade med en annan. Börja om från inloggningssidan.":
        "The sign-in clashed with another one. Start again from the sign-in page.",
}
