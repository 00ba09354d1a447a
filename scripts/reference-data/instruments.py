#!/usr/bin/env python3
"""Generates services/market/data/instruments.json, the instrument catalog
both services share: the team's listings (curated/instruments.json: every
symbol on the network's strips, with the dates listings changed) first,
then the constituents of the major indices from pytickersymbols (names,
ISINs, the symbol of the home listing), with the names newsrooms use for
them as aliases.

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
              "SW": "XSWX", "MI": "XMIL", "ST": "XSTO", "HE": "XHEL", "BR": "XBRU", "T": "XTKS"}
CURRENCY = {"XETR": "EUR", "XFRA": "EUR", "XLON": "GBP", "XPAR": "EUR", "XAMS": "EUR",
            "XMAD": "EUR", "XSWX": "CHF", "XMIL": "EUR", "XSTO": "SEK", "XHEL": "EUR",
            "XBRU": "EUR", "XTKS": "JPY", "XNYS": "USD", "XNAS": "USD"}
# Legal forms and share classes, trailing: what newsrooms leave out.
LEGAL = re.compile(
    r"(,?\s+(Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|plc|PLC|p\.l\.c\.|AG|SE|SA|S\.A\.|"
    r"N\.V\.|NV|Ltd\.?|Limited|Holdings?|Group|& Co\.?|KGaA|AG & Co\. KGaA|ASA|AB|Oyj|S\.p\.A\.|"
    r"Aktiengesellschaft|\(The\)|Class [A-C]|\(Class [A-C]\)|\(publ\))\.?)+$")
# Wikipedia's disambiguation after a name, which the package copies: `Rio
# Tinto (corporation)`, `Puma (brand)`, `Metso (2020–present)`.
DISAMBIGUATION = re.compile(r"\s+\((?![A-Z])[^()]*\)$")


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
            short = short_name(name)
            aliases = [name]
            # A one-word short name that is a common word (`Next`, `Target`)
            # is left to the curated aliases; an acronym is kept (`HP`, `TUI`).
            word = " " not in short and short.lower() in words and not (short.isupper() and len(short) <= 4)
            if short != name and short and not word and short not in never:
                aliases.append(short)
            aliases += [a for a in extra.get(symbol, []) if a not in aliases]
            # Names the team's listings use stay theirs (`BP` is the strip's).
            aliases = [a for a in aliases if a not in curated_aliases]
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

    comment = "\n".join([
        "Generated by scripts/reference-data/instruments.py; do not edit (edit the script or",
        "its curated files, then run it). The team's listings (curated/instruments.json) first,",
        "then the constituents of " + ", ".join(INDICES) + ".",
        f"{no_venue} constituents whose venue the data does not say are left out.",
        "Not covered by the package: FTSE MIB, ASX 50, Bovespa. Sources:",
        *[line.strip("# ") for line in source_lines(["pytickersymbols"])],
        "  (its data is compiled from Wikipedia, CC-BY-SA-4.0)",
        "  scripts/reference-data/curated/instruments.json, instrument-aliases.tsv and",
        "  instrument-aliases-not-matched.tsv (the team's)",
    ])
    out = {"_comment": comment, "instruments": listings}
    return json.dumps(out, indent=1, ensure_ascii=False) + "\n"


def main():
    write_or_check(OUTPUT, generate, "scripts/reference-data/instruments.py",
                   lambda text: f"{len(json.loads(text)['instruments'])} listings")


if __name__ == "__main__":
    main()
