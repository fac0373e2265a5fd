"""Finding a person's cases without an index of their name: blind indexes.

Each case is indexed by keyed hashes (HMAC-SHA256 under a key derived from the payload master
key, `infra.codec.MasterKeys.index_keys`) of the normalised forms of the client's names, their
birth date and the referrer's reference. A search hashes what was typed the same way and looks
for the hashes: the index holds no name, and without the key nobody can test a name against it.
The normalisation is the field's: Unicode compatibility forms and case folding; diacritics both
folded and expanded (Müller is found as "muller" and as "mueller", Åström as "astrom" and
"aastroem"); names in Cyrillic or Arabic script also in Latin letters (anyascii: Мария as
"mariya"); names in any order, each part on its own and a hyphenated name whole too. Beside the
forms, each part's phonetic key (`store.likeness`) and the birth year: what recognises the same
person at a new referral."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date, datetime

import jellyfish
from anyascii import anyascii
from sqlalchemy import ColumnElement, and_, false, or_, select

from store.tables import SearchTerm
from workflows.model.state import CaseState

NAME, BORN, REFERENCE, SOUND, YEAR, YEAR_KNOWN, GRAM = "n", "b", "r", "p", "y", "u", "g"
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
    found = {f for f in (_fold(word), _fold(expanded)) if f}
    # A name in another script, in Latin letters too (as a police report or a passport's
    # machine-readable zone writes it).
    return found | {latin for f in found if not f.isascii() and (latin := anyascii(f).lower())}


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


def hashed(key: bytes, kind: str, form: str) -> str:
    """A term of the index: the kind and normalised form, keyed and hashed."""
    return hmac.new(key, f"{kind}:{form}".encode(), hashlib.sha256).hexdigest()[:40]


def terms(key: bytes, state: CaseState) -> set[str]:
    """The case's index terms under a key."""
    return person_terms(key, state.person.given_names, state.person.surname,
                        state.person.date_of_birth, state.referrer.reference)


def person_terms(key: bytes, given: str, surname: str, born: date | None,
                 reference: str | None = None) -> set[str]:
    """A person's index terms: each form and phonetic key of each part of their names, their
    birth date and year, and the referrer's reference."""
    forms_ = name_forms(given, surname)
    found = {hashed(key, NAME, f) for f in forms_}
    found |= {hashed(key, SOUND, p) for f in forms_ if (p := sound(f))}
    found |= {hashed(key, GRAM, g) for f in forms_ for g in grams(f)}
    if born:
        found |= {hashed(key, BORN, born.isoformat()), hashed(key, YEAR, str(born.year))}
        if (born.month, born.day) == (1, 1):  # as a date is written when only its year is known
            found.add(hashed(key, YEAR_KNOWN, str(born.year)))
    if reference and (ref := reference_form(reference)):
        found.add(hashed(key, REFERENCE, ref))
    return found


def grams(form: str) -> set[str]:
    """A name's letter triples (with its ends marked), in Latin letters: how much of a name a
    typing error leaves (Sjöberg and Sjberg share most of theirs)."""
    if not form.isascii():
        return set()
    marked = f"^{form}$"
    return {marked[i:i + 3] for i in range(len(marked) - 2)}


def sound(form: str) -> str | None:
    """A name's phonetic key: Metaphone of its Latin form, with i, j and y as one sound (as
    transliterations write them: Mariya, Maria, Joanna, Ioana), no vowels (Oleksandr,
    Aleksandr), no doubled letter and no h at either end; None for a name of vowels alone."""
    if not form.isascii():
        return None
    key = re.sub(r"[AEIOU]", "", jellyfish.metaphone(form.replace("j", "i").replace("y", "i")))
    # Arabic writes no doubled letter and ends some names in a letter Latin spellings drop
    # (حداد Haddad, فاطمة Fatima), and an h after a first vowel goes unheard (أحمد Ahmed).
    key = re.sub(r"(.)\1+", r"\1", key)
    key = key[1:] if key.startswith("H") and len(key) > 1 else key
    key = key[:-1] if key.endswith("H") and len(key) > 1 else key
    return key or None


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
            each.append({hashed(k, kind, form) for k in keys for kind, form in kinds})
    whole = reference_form(query) if len(words) > 1 else ""
    return each, {hashed(k, REFERENCE, whole) for k in keys} if whole else set()


def matching(case_id: ColumnElement[str], wanted: Wanted) -> ColumnElement[bool]:
    """The cases indexed by a term of each set (every word of a search), or by one of the
    whole query's."""
    def having(found: set[str]) -> ColumnElement[bool]:
        return case_id.in_(select(SearchTerm.case_id).where(SearchTerm.term.in_(found)))
    each, whole = wanted
    words = and_(*(having(t) for t in each)) if each else false()
    return or_(words, having(whole)) if whole else words
