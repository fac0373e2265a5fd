"""Finnish, Swedish and English. Messages are English in the templates and translated by the
gettext catalogues under `locales/` (read from their `.po` files at start: no compile step);
dates, times and numbers follow the language's conventions (Babel), in Helsinki time."""

from __future__ import annotations

import functools
import gettext
from datetime import date, datetime, time, timedelta
from enum import Enum
from importlib.resources import files
from io import BytesIO
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from activities.mail_words import asked
from console.labels import english

LANGUAGES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
DEFAULT = "fi"
LANGUAGE_COOKIE = "casework_language"
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
HELSINKI = ZoneInfo("Europe/Helsinki")


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

    def day(self, value: date | None) -> str:
        # The short form, as `when` writes the date: one date format per language.
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

    def purpose(self, value: str) -> str:
        """What a notification asks, in the reader's words (the e-mail's own vocabulary)."""
        return asked(value, self.code)  # type: ignore[arg-type]

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)
