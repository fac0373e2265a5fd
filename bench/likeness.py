"""How well a referral recognises the same person (`store.likeness`), and how fast.

Generates people (Finnish, Swedish, Romanian, Vietnamese, Nigerian, Filipino, Russian and
Ukrainian in Cyrillic, Arabic in Arabic script), indexes each as a case, and refers a share of
them again as another agency would: diacritics dropped or expanded, names in the other order,
Cyrillic or Arabic names as a Latin passport writes them (ICAO 9303), a typing error, day and
month swapped, a birth date known by its year only (1.1.). Siblings (the same surname and
birth year) and namesakes are referred too, and must not be taken for one another. Prints
recall (the earlier case found), precision (of everything flagged), and the time of one check
with the index holding --scale cases.

    .venv/bin/python -m bench.likeness --people 10000 --scale 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import insert

from infra.database import engine_for, migrate
from store import blind
from store.likeness import Person, likely
from store.tables import SearchTerm

LATIN = {
    "fi": (["Aino", "Eeva", "Päivi", "Jukka", "Mikko", "Tiina", "Sanna", "Väinö", "Ilkka"],
           ["Virtanen", "Mäkinen", "Nieminen", "Hämäläinen", "Järvinen", "Lehtonen", "Kärkkäinen"]),
    "sv": (["Åsa", "Björn", "Göran", "Märta", "Sören"],
           ["Åström", "Öberg", "Lindqvist", "Sjöberg"]),
    "ro": (["Ioana", "Mihai", "Ștefan", "Andreea", "Florin", "Elena", "Maria"],
           ["Popescu", "Ionescu", "Dumitrescu", "Stănescu", "Munteanu", "Constantin"]),
    "vi": (["Thị Lan", "Văn Minh", "Thu Trang", "Ngọc Anh", "Đức"],
           ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ"]),
    "ng": (["Oluwaseun", "Chiamaka", "Blessing", "Chukwuemeka", "Adaeze", "Ifeoma"],
           ["Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Nwosu"]),
    "ph": (["Maria Elena", "Jose", "Rosario", "Mary Grace", "Jocelyn"],
           ["Santos", "Reyes", "Dela Cruz", "Bautista", "Garcia"]),
}
CYRILLIC = (["Мария", "Юлия", "Олександр", "Наталья", "Оксана", "Дмитрий", "Ирина", "Світлана"],
            ["Иванова", "Коваленко", "Шевченко", "Смирнова", "Кузнецова", "Бондаренко"])
ARABIC = {"محمد": ["Mohammed", "Muhammad", "Mohamed"], "فاطمة": ["Fatima", "Fatma"],
          "أحمد": ["Ahmed", "Ahmad"], "حسين": ["Hussein", "Husayn"], "عبدالله": ["Abdullah"],
          "علي": ["Ali"], "مريم": ["Mariam", "Maryam"], "يوسف": ["Youssef", "Yusuf"]}
ARABIC_SURNAMES = {"الحسن": ["Al-Hassan", "Alhasan"], "حداد": ["Haddad"],
                   "منصور": ["Mansour", "Mansur"], "خليل": ["Khalil"], "سعيد": ["Said", "Saeed"]}
# Surnames made of a family's usual beginnings and endings, for as many families as a country
# has (a handful of names would make everyone a namesake).
SYLLABLES = {"fi": (["Koi", "Lah", "Mus", "Pel", "Rau", "Sal", "Tuo", "Vil", "Kor", "Hei"],
                    ["vunen", "tinen", "kala", "lainen", "mäki", "järvi", "niemi", "salo"]),
             "ro": (["Pop", "Ion", "Dum", "Stan", "Mar", "Vas", "Rad", "Con", "Bălă", "Tud"],
                    ["escu", "eanu", "oiu", "aru", "ache", "uță"]),
             "ng": (["Ade", "Olu", "Chi", "Nwa", "Oko", "Eme", "Iwu", "Obi"],
                    ["yemi", "kafor", "nkwo", "chukwu", "gbemi", "dike", "nna"]),
             "sv": (["Lind", "Berg", "Sjö", "Ek", "Holm", "Nord", "Sand", "Dahl", "Ås"],
                    ["qvist", "berg", "ström", "gren", "lund", "man", "stedt"]),
             "ph": (["Mag", "Bau", "Vil", "Cas", "Agu", "Man", "Pan", "Sal"],
                    ["tista", "lanueva", "tillo", "ilar", "sayo", "alo", "ganiban"])}
# Vietnamese given names: a middle name and a given name, each from many.
VIETNAMESE = (["Thị", "Văn", "Ngọc", "Minh", "Thu", "Đức", "Quang", "Hoàng", "Thanh", "Kim"],
              ["Lan", "Hương", "Minh", "Anh", "Trang", "Hùng", "Dũng", "Linh", "Phương", "Tuấn",
               "Hoa", "Mai"])
CYRILLIC_SYLLABLES = (["Ива", "Кова", "Шев", "Смир", "Кузне", "Бонда", "Петр", "Сидо", "Мель"],
                      ["нова", "ленко", "ченко", "ова", "цова", "ренко", "ук", "ник"])
for culture, (starts, ends) in SYLLABLES.items():
    LATIN[culture][1].extend(a + b for a in starts for b in ends)
CYRILLIC[1].extend(a + b for a in CYRILLIC_SYLLABLES[0] for b in CYRILLIC_SYLLABLES[1])
LATIN["vi"][0].extend(f"{a} {b}" for a in VIETNAMESE[0] for b in VIETNAMESE[1])
# ICAO 9303's transliteration of Cyrillic, as a Latin passport writes a name.
ICAO = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
                ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o",
                 "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e",
                 "iu", "ia", "i", "i", "ie", "g"], strict=True))


def icao(name: str) -> str:
    return "".join(ICAO.get(c.lower(), c) for c in name).capitalize()


def person(rng: random.Random) -> tuple[Person, str]:
    """A person, and the script their names are written in."""
    born = date(1970, 1, 1) + timedelta(days=rng.randrange(38 * 365))
    kind = rng.choices(["latin", "cyrillic", "arabic"], weights=[7, 2, 1])[0]
    if kind == "cyrillic":
        return Person(rng.choice(CYRILLIC[0]), rng.choice(CYRILLIC[1]), born), kind
    if kind == "arabic":
        return Person(rng.choice(list(ARABIC)), rng.choice(list(ARABIC_SURNAMES)), born), kind
    given, surnames = LATIN[rng.choice(list(LATIN))]
    return Person(rng.choice(given), rng.choice(surnames), born), kind


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, max(len(word) - 1, 2))
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + "e" + word[i + 1:]


def again(rng: random.Random, p: Person, kind: str) -> Person:
    """The same person as another agency refers them."""
    if kind == "cyrillic" and rng.random() < 0.7:
        p = replace(p, given=icao(p.given), surname=icao(p.surname))
    elif kind == "arabic" and rng.random() < 0.7:
        p = replace(p, given=rng.choice(ARABIC[p.given]),
                    surname=rng.choice(ARABIC_SURNAMES[p.surname]))
    change = rng.choice(["order", "plain", "typo", "swap", "year", "none"])
    if change == "order":
        p = replace(p, given=p.surname, surname=p.given)
    elif change == "plain":
        p = replace(p, given=blind._fold(p.given), surname=blind._fold(p.surname))
    elif change == "typo":
        p = replace(p, surname=typo(rng, p.surname))
    elif change == "swap" and p.born and p.born.day <= 12:
        p = replace(p, born=p.born.replace(day=p.born.month, month=p.born.day))
    elif change == "year" and p.born:
        p = replace(p, born=date(p.born.year, 1, 1))
    return p


def sibling(rng: random.Random, p: Person) -> Person:
    """Another person of the family: the surname and birth year, another name and day."""
    assert p.born is not None
    other = p.given
    while other == p.given:
        other = person(rng)[0].given
    return Person(other, p.surname, p.born.replace(day=1 + (p.born.day + 9) % 28))


def index(engine: object, key: bytes, people: list[tuple[str, Person]]) -> None:
    rows = [{"term": t, "case_id": case_id} for case_id, p in people
            for t in blind.person_terms(key, p.given, p.surname, p.born)]
    with engine.begin() as db:  # type: ignore[attr-defined]
        for start in range(0, len(rows), 50_000):
            db.execute(insert(SearchTerm), rows[start:start + 50_000])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng, key = random.Random(args.seed), b"bench-index-key-of-32-bytes-long"
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/casework.db"
        migrate(url)
        engine = engine_for(url)
        made = [person(rng) for _ in range(args.people)]
        people = [(f"case-{n}", p) for n, (p, _) in enumerate(made)]
        index(engine, key, people)
        twice = rng.sample(range(args.people), args.people // 3)
        kin = rng.sample(range(args.people), args.people // 10)
        found = flagged = right = 0
        for n in twice:  # the same person referred again: the earlier case must be found
            hits = likely(engine, [key], again(rng, *made[n]), but=None)
            found += any(h.case_id == f"case-{n}" for h in hits)
            flagged += len(hits)
            right += sum(h.case_id == f"case-{n}" for h in hits)
        for n in kin:  # a sibling: nobody must be taken for them
            flagged += len(likely(engine, [key], sibling(rng, made[n][0])))
        recall, precision = found / len(twice), right / max(flagged, 1)
        print(f"people {args.people}: {len(twice)} referred again, {len(kin)} siblings")
        print(f"recall {recall:.3f}, precision {precision:.3f} ({flagged} flagged)")
        # The time of one check with the index at scale.
        more = [(f"case-x{n}", person(rng)[0]) for n in range(args.scale - args.people)]
        index(engine, key, more)
        times = []
        for n in rng.sample(range(args.people), 300):
            start = time.perf_counter()
            likely(engine, [key], again(rng, *made[n]))
            times.append((time.perf_counter() - start) * 1000)
        print(f"check at {args.scale} cases: median {statistics.median(times):.1f} ms, "
              f"p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms")


if __name__ == "__main__":
    main()
