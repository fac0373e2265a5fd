"""Finnish, Swedish and English. Messages are English in the templates and translated by the
gettext catalogues under `locales/` (read from their `.po` files at start: no compile step);
dates, times and numbers follow the language's conventions (Babel), in Helsinki time."""

from __future__ import annotations

import functools
import gettext
import re
from datetime import date, datetime, time, timedelta
from enum import Enum
from importlib.resources import files
from io import BytesIO
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

from activities.mail_words import asked
from console.labels import NO_COUNTRY, english

LANGUAGES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
DEFAULT = "fi"
LANGUAGE_COOKIE = "casework_language"
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
HELSINKI = ZoneInfo("Europe/Helsinki")
# A length of time as the rules name it (`calendar.Period.iso`): ISO 8601, and working days.
PERIOD = re.compile(r"^P(?=\d)(?:(\d+)WD|(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?)$")
WORKING_DAYS = "{n} working days"
# The languages offered: those with a two-letter code (ISO 639-1), and these spoken by clients
# that have only a three-letter one (Filipino, Sorani, Cantonese, Edo, Nigerian Pidgin,
# Meänkieli, Romani).
THREE_LETTER_LANGUAGES = frozenset({"fil", "ckb", "yue", "bin", "pcm", "fit", "rom"})
# Three-letter codes Babel still maps that are no longer a country's own (ISO 3166-3), and
# CLDR's areas that are no country of nationality (the EU, the UN, test and unknown regions,
# islands reserved for other uses).
WITHDRAWN = frozenset({"BUR", "ZAR", "DDR", "FXX", "TMP", "YMD"})
NO_NATIONALITY = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK", "AC", "CP", "DG",
                            "TA", "IC", "EA", "CQ"})
# Kosovo has no ISO code of its own: ICAO's, as its passports carry it.
KOSOVO = ("RKS", "XK")


@functools.cache
def alpha3() -> dict[str, str]:
    """Each country's ISO 3166-1 alpha-3 code with its alpha-2 (Babel's CLDR data)."""
    countries = Locale("en").territories
    found = {three: two[0] for three, two in get_global("territory_aliases").items()
             if len(three) == 3 and three.isalpha() and three.isupper() and len(two) == 1
             and two[0] in countries and three not in WITHDRAWN
             and two[0] not in NO_NATIONALITY and three[0] not in "XQ"}
    return {**found, KOSOVO[0]: KOSOVO[1]}


@functools.cache
def _by_name(locale: str, kind: str) -> list[tuple[str, str]]:
    """(code, name) sorted by the name in the locale: countries (alpha-3) or languages."""
    names = Locale.parse(locale)
    if kind == "countries":
        found = [(three, names.territories[two]) for three, two in alpha3().items()]
    else:
        found = [(code, name) for code, name in names.languages.items()
                 if (len(code) == 2 and code.isalpha() and code.islower())
                 or code in THREE_LETTER_LANGUAGES]
    return sorted(found, key=lambda pair: pair[1].casefold())


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    po = files("console") / "locales" / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        messages = read_po(source, locale=LOCALES[language])
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Language:
    """One reader's language: what the templates call as `_`, `label`, `when`, `day`, `ends`."""

    def __init__(self, code: str) -> None:
        self.code = code if code in LANGUAGES else DEFAULT
        self.locale = LOCALES[self.code]
        self.gettext = catalogue(self.code).gettext

    def label(self, value: Enum | str | None) -> str:
        if value is None:
            return "–"
        return self.gettext(english(value)) if isinstance(value, Enum) else str(value)

    def day(self, value: date | str | None) -> str:
        # The short form, as `when` writes the date: one date format per language.
        if isinstance(value, str):  # as the case stores some (a rule's version)
            value = date.fromisoformat(value)
        return format_date(value, "short", locale=self.locale) if value else "–"

    def ends(self, value: datetime | None) -> str:
        """When a deadline ends: its last day, for one that ends as a day does (at midnight in
        Helsinki); its time only where it has one."""
        if value is None:
            return "–"
        local = value.astimezone(HELSINKI)
        if local.time() == time(0):
            return self.day(local.date() - timedelta(days=1))
        return self.when(value)

    def when(self, value: datetime | None) -> str:
        if value is None:
            return "–"
        return format_datetime(value, "short", tzinfo=HELSINKI, locale=self.locale)

    def language_name(self, code: str) -> str:
        """A language (ISO 639) by its name in the reader's language, from Babel's data."""
        return Locale.parse(self.locale).languages.get(code, code)

    def countries(self) -> list[tuple[str, str]]:
        """Nationalities to choose from, by name in the reader's language (alpha-3 codes)."""
        return _by_name(self.locale, "countries") + [
            (code, self.gettext(name)) for code, name in NO_COUNTRY.items()]

    def languages(self) -> list[tuple[str, str]]:
        """Languages to choose from, by name in the reader's language (ISO 639 codes)."""
        return _by_name(self.locale, "languages")

    def country_name(self, code: str | None) -> str:
        if code is None:
            return "–"
        if code in NO_COUNTRY:
            return self.gettext(NO_COUNTRY[code])
        two = alpha3().get(code)
        return Locale.parse(self.locale).territories.get(two, code) if two else code

    def purpose(self, value: str) -> str:
        """What a notification asks, in the reader's words (the e-mail's own vocabulary)."""
        return asked(value, self.code)  # type: ignore[arg-type]

    def period(self, iso: str) -> str:
        """A length of time (`P6M`, `P5WD`) in the reader's words; as it was if it is not one."""
        found = PERIOD.match(iso)
        if not found:
            return iso
        working, *calendar = found.groups()
        if working:
            return self.gettext(WORKING_DAYS).format(n=self.number(int(working)))
        units = zip(calendar, ("duration-year", "duration-month", "duration-day"), strict=True)
        return " ".join(format_unit(int(n), unit, locale=self.locale)
                        for n, unit in units if n) or format_unit(0, "duration-day",
                                                                   locale=self.locale)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)
