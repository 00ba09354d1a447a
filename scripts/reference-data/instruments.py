#!/usr/bin/env python3
"""Generates services/market/data/instruments.json, the instrument catalog
both services share: the team's listings (curated/instruments.json: every
symbol on the network's strips, with the dates listings changed) first,
then the constituents of the major indices from pytickersymbols (names,
ISINs, the symbol of the home listing), with the names newsrooms use for
them as aliases; then the members of FTSE MIB, ASX 50 and the largest
Ibovespa names, which pytickersymbols does not cover: the team lists them
(curated/index-members.tsv: symbol and ISIN) and investpy gives their
names, ISINs and currencies.

- Symbols are the home listing's, suffixed by venue as pytickersymbols
  gives them (`SAP.DE`, `BP.L`, `7203.T`; US listings bare), so that
  `SAN.PA` (Sanofi) and `SAN.MC` (Santander) stay apart. A symbol the
  package gives two suffixes (`AIR.PA.DE`) is the first one's (`AIR.PA`).
- Names: Wikipedia's disambiguation, which the package copies, is dropped
  (`Rio Tinto (corporation)`, `Puma (brand)`).
- Venues: the suffix, else the NYSE or Nasdaq listing the data names; a
  company whose venue the data does not say is left out (counted below).
- Aliases: the name, and the name without its legal form and share class
  (`Visa Inc.` → `Visa`), unless that is one common word of the seven
  languages' Debian word lists (`Next`, `Target`, `Visa`) and the curated
  file does not list it; plus the curated aliases (`Google`, `Louis
  Vuitton`). Names the team's listings use stay theirs, and short names
  more often something else (`Orion`, `Edison`: curated/
  instrument-aliases-not-matched.tsv) are not made aliases.

    python3 scripts/reference-data/instruments.py           # rewrites the file
    python3 scripts/reference-data/instruments.py --check   # fails if it would change
"""

import csv
import importlib.util
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from packages import common_words, source_lines, unpacked, write_or_check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT = os.path.join(ROOT, "services/market/data/instruments.json")
CURATED = os.path.join(HERE, "curated")

# The indices taken, in this order (a company in several keeps the first).
INDICES = ["DOW JONES", "S&P 500", "NASDAQ 100", "FTSE 100", "DAX", "MDAX", "TecDAX",
           "CAC_40", "CAC Mid 60", "EURO STOXX 50", "Switzerland 20", "AEX", "BEL 20",
           "IBEX 35", "OMX Stockholm 30", "OMX Helsinki 25", "NIKKEI 225"]
# Yahoo symbol suffix → ISO 10383 MIC.
SUFFIX_MIC = {"DE": "XETR", "F": "XFRA", "L": "XLON", "PA": "XPAR", "AS": "XAMS", "MC": "XMAD",
              "SW": "XSWX", "MI": "XMIL", "ST": "XSTO", "HE": "XHEL", "BR": "XBRU", "T": "XTKS",
              "AX": "XASX", "SA": "BVMF"}
CURRENCY = {"XETR": "EUR", "XFRA": "EUR", "XLON": "GBP", "XPAR": "EUR", "XAMS": "EUR",
            "XMAD": "EUR", "XSWX": "CHF", "XMIL": "EUR", "XSTO": "SEK", "XHEL": "EUR",
            "XBRU": "EUR", "XTKS": "JPY", "XNYS": "USD", "XNAS": "USD",
            "XASX": "AUD", "BVMF": "BRL"}
# Legal forms and share classes, trailing: what newsrooms leave out.
LEGAL = re.compile(
    r"(,?\s+(Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|plc|PLC|p\.l\.c\.|AG|SE|SA|S\.A\.|"
    r"N\.V\.|NV|Ltd\.?|Limited|Holdings?|Group|& ?Co\.?|& C|KGaA|AG & Co\. KGaA|ASA|AB|Oyj|S\.p\.A\.|SpA|SPA|Spa|"
    r"Aktiengesellschaft|\(The\)|Class [A-C]|\(Class [A-C]\)|\(publ\))\.?)+$")
# Wikipedia's disambiguation after a name, which the package copies: `Rio
# Tinto (corporation)`, `Puma (brand)`, `Metso (2020–present)`.
DISAMBIGUATION = re.compile(r"\s+\((?![A-Z])[^()]*\)$")
# investpy's share class after a Brazilian name: `Gerdau SA Pref`, `Klabin Unt`.
SHARE_CLASS = re.compile(r"\s+(PN|ON|Pref|Unt)$")


def isin_valid(isin):
    """ISO 6166's check digit: letters as numbers (A = 10), then Luhn."""
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{9}[0-9]", isin):
        return False
    digits = "".join(str(int(c, 36)) for c in isin[:-1])
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10 == int(isin[-1])


def index_members():
    """The team's members of the indices pytickersymbols lacks, with their
    venue and investpy's name, ISIN and currency for each (joined by ISIN)."""
    stocks = os.path.join(unpacked("investpy"), "investpy-1.0.8/investpy/resources/stocks.csv")
    # The home market's row: the package lists foreign listings too (Enel in Mexico).
    home = {"MI": "italy", "AX": "australia", "SA": "brazil"}
    by_isin = {}
    with open(stocks, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_isin.setdefault((row["country"], row["isin"]), row)
    members = []
    for line in open(os.path.join(CURATED, "index-members.tsv"), encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        index, symbol, isin, *rest = line.rstrip("\n").split("\t")
        name, listed_from = (rest + ["", ""])[:2]
        if not isin_valid(isin):
            raise SystemExit(f"index-members.tsv: {symbol}: {isin} is not a valid ISIN")
        suffix = symbol.rsplit(".", 1)[1]
        row = by_isin.get((home[suffix], isin))
        if row is None and not name:
            raise SystemExit(f"index-members.tsv: {symbol}: investpy has no {isin}; give its name")
        mic = SUFFIX_MIC[suffix]
        if row is not None and row["currency"] != CURRENCY[mic]:
            raise SystemExit(f"index-members.tsv: {symbol}: investpy quotes {isin} in {row['currency']}")
        members.append((index, symbol, mic, isin, name or SHARE_CLASS.sub("", row["full_name"]), listed_from))
    return members


def home_symbol(symbol):
    """The symbol of the home listing: the package gives one symbol two
    suffixes (`AIR.PA.DE` for Airbus, whose home listing is `AIR.PA`)."""
    if symbol and symbol.count(".") > 1:
        return symbol.rsplit(".", 1)[0]
    return symbol


def venue(company):
    symbol = home_symbol(company["symbol"])
    if "." in symbol:
        return SUFFIX_MIC.get(symbol.rsplit(".", 1)[1])
    for listing in company.get("symbols", []):
        if listing.get("yahoo") == symbol:
            google = listing.get("google") or ""
            if google.startswith("NYSE:"):
                return "XNYS"
            if google.startswith("NASDAQ:"):
                return "XNAS"
    traded_as = (company.get("metadata") or {}).get("traded_as") or ""
    found = re.search(r"\b(NYSE|Nasdaq|NASDAQ)\b", traded_as)
    if found:
        return "XNYS" if found.group(1) == "NYSE" else "XNAS"
    return None


def short_name(name):
    """`Alphabet Inc. (Class A)` → `Alphabet`; `LVMH Moët Hennessy Louis Vuitton SE` → itself
    less `SE`; `Heineken International` → `Heineken` (only where `International` ends
    the name: `American International Group` stays `American International`)."""
    if name.endswith(" International"):
        name = name[: -len(" International")]
    previous = None
    while previous != name:
        previous = name
        name = LEGAL.sub("", name).strip()
    return name


def generate():
    curated = json.load(open(os.path.join(CURATED, "instruments.json")))
    aliases_file = os.path.join(CURATED, "instrument-aliases.tsv")
    extra = {}
    for line in open(aliases_file, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            symbol, aliases = line.rstrip("\n").split("\t")[:2]
            extra[symbol] = aliases.split("|")
    module = os.path.join(unpacked("pytickersymbols"), "pytickersymbols/indices_data.py")
    spec = importlib.util.spec_from_file_location("indices_data", module)
    data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(data)
    words = common_words()
    never = set()
    for line in open(os.path.join(CURATED, "instrument-aliases-not-matched.tsv"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            never.add(line.split("\t")[0])

    def aliases_of(name, symbol):
        short = short_name(name)
        aliases = [name]
        # A one-word short name that is a common word (`Next`, `Target`)
        # is left to the curated aliases; an acronym is kept (`HP`, `TUI`).
        word = " " not in short and short.lower() in words and not (short.isupper() and len(short) <= 4)
        if short != name and short and not word and short not in never:
            aliases.append(short)
        return aliases + [a for a in extra.get(symbol, []) if a not in aliases]

    listings = list(curated["instruments"])
    curated_aliases = {a for listing in listings for a in listing.get("aliases", [])}
    taken = {(listing["symbol"], listing["mic"]) for listing in listings}
    seen_isins, seen_symbols = set(), set()
    no_venue = 0
    for index in INDICES:
        for company in data.INDICES[index]["companies"]:
            symbol = home_symbol(company.get("symbol"))
            isins = company.get("isins") or []
            if not symbol or symbol in seen_symbols or (isins and isins[0] in seen_isins):
                continue
            mic = venue(company)
            if mic is None:
                no_venue += 1
                continue
            seen_symbols.add(symbol)
            seen_isins.update(isins[:1])
            if (symbol, mic) in taken:
                continue
            name = DISAMBIGUATION.sub("", company["name"].strip())
            # Names the team's listings use stay theirs (`BP` is the strip's).
            aliases = [a for a in aliases_of(name, symbol) if a not in curated_aliases]
            listing = {"symbol": symbol, "name": name, "mic": mic, "currency": CURRENCY[mic],
                       "type": "common_stock"}
            if isins:
                listing["isin"] = isins[0]
            listing["aliases"] = aliases
            listing["indices"] = [index]
            listings.append(listing)
    # Record every index a listing belongs to.
    by_symbol = {listing["symbol"]: listing for listing in listings if "indices" in listing}
    for index in INDICES:
        for company in data.INDICES[index]["companies"]:
            listing = by_symbol.get(home_symbol(company.get("symbol")))
            if listing is not None and index not in listing["indices"]:
                listing["indices"].append(index)

    # The members pytickersymbols lacks. One already listed (Enel, Ferrari
    # on the Euro Stoxx 50) gains the index; one whose ISIN is listed at
    # another venue (Stellantis in Paris) is left to that listing, and a
    # name an earlier listing uses stays that listing's (`Rio Tinto`).
    members = index_members()
    taken_aliases = {a for listing in listings for a in listing.get("aliases", [])}
    # pytickersymbols gives some listings another company's ISIN (Stabilus
    # has STMicroelectronics'): a listed ISIN counts only under the same name.
    def first_word(text):
        return text.split()[0].lower()

    taken_isins = {(listing.get("isin"), first_word(listing["name"])) for listing in listings}
    for index, symbol, mic, isin, name, listed_from in members:
        listing = by_symbol.get(symbol)
        if listing is not None:
            if index not in listing["indices"]:
                listing["indices"].append(index)
            continue
        if (isin, first_word(name)) in taken_isins:
            continue
        aliases = [a for a in aliases_of(name, symbol) if a not in taken_aliases]
        taken_aliases.update(aliases)
        listing = {"symbol": symbol, "name": name, "mic": mic, "currency": CURRENCY[mic],
                   "type": "common_stock", "isin": isin}
        if listed_from:
            listing["valid_from"] = listed_from
        listing["aliases"] = aliases
        listing["indices"] = [index]
        listings.append(listing)
        taken_isins.add((isin, first_word(name)))

    comment = "\n".join([
        "Generated by scripts/reference-data/instruments.py; do not edit (edit the script or",
        "its curated files, then run it). The team's listings (curated/instruments.json) first,",
        "then the constituents of " + ", ".join(INDICES) + ".",
        f"{no_venue} constituents whose venue the data does not say are left out.",
        f"Then {len(members)} members of FTSE MIB, ASX 50 and the largest Ibovespa names, which",
        "that package does not cover, as the team lists them, named by investpy. Sources:",
        *[line.strip("# ") for line in source_lines(["pytickersymbols"])],
        "  (its data is compiled from Wikipedia, CC-BY-SA-4.0)",
        *[line.strip("# ") for line in source_lines(["investpy"])],
        "  scripts/reference-data/curated/instruments.json, index-members.tsv,",
        "  instrument-aliases.tsv and instrument-aliases-not-matched.tsv (the team's)",
    ])
    out = {"_comment": comment, "instruments": listings}
    return json.dumps(out, indent=1, ensure_ascii=False) + "\n"


def main():
    write_or_check(OUTPUT, generate, "scripts/reference-data/instruments.py",
                   lambda text: f"{len(json.loads(text)['instruments'])} listings")


if __name__ == "__main__":
    main()
