"""Finding a person's cases without an index of their name: blind indexes.

Each case is indexed by keyed hashes (HMAC-SHA256 under a key derived from the payload master
key, `infra.codec.MasterKeys.index_keys`) of the normalised forms of the client's names, their
birth date and the referrer's reference. A search hashes what was typed the same way and looks
for the hashes: the index holds no name, and without the key nobody can test a name against it.
The normalisation is the field's: Unicode compatibility forms and case folding; diacritics both
folded and expanded (Müller is found as "muller" and as "mueller", Åström as "astrom" and
"aastroem"); names in any order, each part on its own and a hyphenated name whole too. The
same forms are meant for intake's duplicate check."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select

from store.tables import SearchTerm
from workflows.model.state import CaseState

NAME, BORN, REFERENCE = "n", "b", "r"
# Letters that are not a base letter with a mark, folded by hand; and the expansions of the
# German and Nordic umlauts and rings, as names are written without them (Mueller, Aastroem).
FOLDED = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th",
                        "ı": "i", "œ": "oe"})
EXPANDED = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ø": "oe"}
PARTS = re.compile(r"[\s,;]+")
HYPHENS = re.compile(r"[-\u2010\u2011\u2012\u2013]")
APOSTROPHES = re.compile(r"['\u2019\u02bc`´]")
DATE_FORMS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y")
WORDS = 12  # at most this many words of a query are looked up


def _fold(text: str) -> str:
    """Without marks: NFKD, the combining marks dropped, the rest folded by hand."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).translate(FOLDED)


def forms(word: str) -> set[str]:
    """The normalised forms of one word of a name: folded, and with umlauts expanded."""
    word = APOSTROPHES.sub("", unicodedata.normalize("NFKC", word).casefold())
    if not word:
        return set()
    expanded = "".join(EXPANDED.get(c, c) for c in unicodedata.normalize("NFC", word))
    return {f for f in (_fold(word), _fold(expanded)) if f}


def name_forms(*names: str) -> set[str]:
    """Every form of every part of the names (a hyphenated name in parts and whole)."""
    found: set[str] = set()
    for part in PARTS.split(" ".join(names)):
        for piece in {part, *HYPHENS.split(part)}:
            found |= forms(HYPHENS.sub("", piece))
    return found


def reference_form(text: str) -> str:
    """A reference as it may be typed: case and spacing, dashes and slashes aside."""
    return re.sub(r"[\s\-/.]+", "", unicodedata.normalize("NFKC", text).casefold())


def born_on(word: str) -> date | None:
    for pattern in DATE_FORMS:
        try:
            return datetime.strptime(word, pattern).date()
        except ValueError:
            continue
    return None


def _term(key: bytes, kind: str, form: str) -> str:
    return hmac.new(key, f"{kind}:{form}".encode(), hashlib.sha256).hexdigest()[:40]


def terms(key: bytes, state: CaseState) -> set[str]:
    """The case's index terms under a key."""
    person = state.person
    found = {_term(key, NAME, f) for f in name_forms(person.given_names, person.surname)}
    if person.date_of_birth:
        found.add(_term(key, BORN, person.date_of_birth.isoformat()))
    if state.referrer.reference and (ref := reference_form(state.referrer.reference)):
        found.add(_term(key, REFERENCE, ref))
    return found


Wanted = tuple[list[set[str]], set[str]]


def wanted(keys: list[bytes], query: str) -> Wanted:
    """What a case must be indexed by to match the query: for each word, one of its terms (a
    name form, a birth date, a reference) under any key held (an older key's terms last until
    the case is written again); or else, the query whole as one reference (one with spaces)."""
    words = [w for w in PARTS.split(query.strip()) if w][:WORDS]
    each: list[set[str]] = []
    for word in words:
        alike = [(REFERENCE, ref)] if (ref := reference_form(word)) else []
        if day := born_on(word):
            alike.append((BORN, day.isoformat()))
        # A hyphenated word asks for each of its parts as a name (the index holds each part),
        # unless the word whole is a reference or a date.
        for part in [p for p in HYPHENS.split(word) if p] or [word]:
            kinds = [(NAME, f) for f in forms(part)] + alike
            each.append({_term(k, kind, form) for k in keys for kind, form in kinds})
    whole = reference_form(query) if len(words) > 1 else ""
    return each, {_term(k, REFERENCE, whole) for k in keys} if whole else set()


def matching(case_id: ColumnElement[str], wanted: Wanted) -> ColumnElement[bool]:
    """The cases indexed by a term of each set (every word of a search), or by one of the
    whole query's."""
    def having(found: set[str]) -> ColumnElement[bool]:
        return case_id.in_(select(SearchTerm.case_id).where(SearchTerm.term.in_(found)))
    each, whole = wanted
    words = and_(*(having(t) for t in each)) if each else false()
    return or_(words, having(whole)) if whole else words
