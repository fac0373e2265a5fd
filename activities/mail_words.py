"""What an e-mail to an agency says, in the agency's language (the directory's `language`): what
is asked, the case's id, and where to sign in to read it. Never anything of the person: the
notification's content is read after signing in, or arrives by a signed webhook."""

from __future__ import annotations

from typing import Literal

Language = Literal["fi", "sv", "en"]

# What each notification asks of its reader.
PURPOSES: dict[str, dict[Language, str]] = {
    "minor_referred": {"fi": "Lapsi on ohjattu auttamisjärjestelmään (lastensuojeluilmoitus)",
                       "sv": "Ett barn har hänvisats till hjälpsystemet (barnskyddsanmälan)",
                       "en": "A child has been referred to the assistance system (child welfare "
                             "notification)"},
    "referral_outcome": {"fi": "Tekemänne ohjauksen tulos", "sv": "Resultatet av er hänvisning",
                         "en": "The outcome of your referral"},
    "more_information": {"fi": "Auttamisjärjestelmä pyytää lisätietoja ohjauksestanne",
                         "sv": "Hjälpsystemet ber om mer information om er hänvisning",
                         "en": "The assistance system asks for more about your referral"},
    "police_contact": {"fi": "Asiakas on suostunut yhteydenottoon poliisiin",
                       "sv": "Klienten har samtyckt till kontakt med polisen",
                       "en": "The client has agreed to be put in touch with the police"},
    "joint_assessment": {"fi": "Pyyntö yhteiseen palvelutarpeen arviointiin",
                         "sv": "Begäran om gemensam bedömning av servicebehovet",
                         "en": "A request to assess the client's needs together"},
    "measure_referral": {"fi": "Pyyntö järjestää auttamistoimi",
                         "sv": "Begäran om att ordna en hjälpåtgärd",
                         "en": "A request to provide an assistance measure"},
    "handover": {"fi": "Asiakkuuden siirto kotikuntaan", "sv": "Överföring till hemkommunen",
                 "en": "A client's transition to your municipality"},
    "exit": {"fi": "Asiakkuus auttamisjärjestelmässä on päättynyt",
             "sv": "Klientskapet i hjälpsystemet har upphört",
             "en": "The client's assistance has ended"},
    "by_hand": {"fi": "Ilmoitus auttamisjärjestelmästä", "sv": "Meddelande från hjälpsystemet",
                "en": "A notification from the assistance system"},
    "acute_danger": {"fi": "Akuutti vaara kirjattu: toimi heti",
                     "sv": "Akut fara registrerad: agera genast",
                     "en": "Acute danger recorded: act now"},
    "deadline_reminder": {"fi": "Määräaika lähestyy", "sv": "En tidsfrist närmar sig",
                          "en": "A deadline is near"},
    "deadline_review": {"fi": "Tarkistus on ajankohtainen", "sv": "En översyn är aktuell",
                        "en": "A review is due"},
    "deadline_escalation": {"fi": "Määräaika on ylittynyt", "sv": "En tidsfrist har överskridits",
                            "en": "A deadline has passed"},
}
OTHER: dict[Language, str] = {"fi": "Ilmoitus", "sv": "Meddelande", "en": "Notification"}
BODY: dict[Language, str] = {
    "fi": ("Hei,\n\n{organisation}: teille on ilmoitus ihmiskaupan uhrien "
           "auttamisjärjestelmästä.\n\nAsia: {asked}\nTunnus: {case_id}\n\n"
           "Lukekaa ilmoitus kirjautumalla:\n{link}\n\n"
           "Viestissä ei ole henkilötietoja. Älkää vastatko tähän viestiin.\n"),
    "sv": ("Hej,\n\n{organisation}: ni har ett meddelande från hjälpsystemet för offer för "
           "människohandel.\n\nÄrende: {asked}\nBeteckning: {case_id}\n\n"
           "Läs meddelandet genom att logga in:\n{link}\n\n"
           "Meddelandet innehåller inga personuppgifter. Svara inte på detta meddelande.\n"),
    "en": ("Hello,\n\n{organisation}: you have a notification from the assistance system for "
           "victims of human trafficking.\n\nWhat: {asked}\nReference: {case_id}\n\n"
           "Sign in to read it:\n{link}\n\n"
           "This message holds no personal data. Do not reply to it.\n"),
}


def asked(purpose: str, language: Language) -> str:
    return PURPOSES.get(purpose, OTHER)[language]
