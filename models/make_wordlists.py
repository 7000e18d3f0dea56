"""Build the word lists the PERSON recogniser reads: ``prenoms.txt``, ``noms.txt``, ``villes.txt``.

The generated files are committed (they ship with ``models/``); run this again only to change them::

    .venv/bin/python models/make_wordlists.py

Sources (no network: everything comes from installed packages or from this file):

* first names and family names: Faker's person providers for the French-speaking locales fr_FR,
  fr_BE, fr_CH, fr_CA and fr_DZ (Faker is MIT-licensed; its lists come from public civil-registry
  statistics). fr_BE and fr_DZ add the first names of families of Maghreb, African, Italian,
  Portuguese... origin that are common in France and that fr_FR alone lacks;
* places: the French communes of more than ~30 000 inhabitants, the prefectures, large foreign
  cities and countries, written below by hand, plus Faker fr_FR's departments and regions.

Words that are far more often something else in prompts are left out of the name lists (``El`` is a
particle, not a first name) or marked ambiguous in the recogniser (``Rose``, ``Florence``...).
The accuracy bench (``bench/detection_eval.py``) draws its names from Faker fr_FR too: check recall
on names from elsewhere as well (``tests/test_engine.py``, ``HELD_OUT_PERSON_PROMPTS``).
"""

from __future__ import annotations

import importlib
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCALES = ("fr_FR", "fr_BE", "fr_CH", "fr_CA", "fr_DZ")

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


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def faker_names() -> tuple[set[str], set[str]]:
    first: set[str] = set()
    last: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(getattr(provider, attr, None) or ())
        last.update(getattr(provider, "last_names", None) or ())
    first = {n.strip() for n in first if n.strip() and fold(n) not in NOT_FIRST_NAMES}
    last = {n.strip() for n in last if n.strip() and fold(n) not in NOT_LAST_NAMES}
    return first, last


def places() -> set[str]:
    from faker.providers.address.fr_FR import Provider

    text = CITIES
    found = set(MULTI_WORD_CITIES)
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


def main() -> None:
    first, last = faker_names()
    cities = places()
    city_keys = {fold(c) for c in cities}
    # A family name that is also a place ("Paris") says nothing on its own: keep it out.
    last = {n for n in last if fold(n) not in city_keys}
    write(HERE / "prenoms.txt", "Prénoms (Faker fr_FR, fr_BE, fr_CH, fr_CA, fr_DZ ; licence MIT)", first)
    write(HERE / "noms.txt", "Noms de famille (Faker fr_FR, fr_BE, fr_CH, fr_CA, fr_DZ ; licence MIT)", last)
    write(HERE / "villes.txt", "Villes, départements, régions et pays (liste manuelle + Faker fr_FR)", cities)


if __name__ == "__main__":
    main()
