"""The PERSON recogniser's own rules, without spaCy's NER (``nlp_artifacts=None``): fast, no model.

Most PERSON behaviour is tested through the engine (``tests/test_engine.py``), where the NER and the
rules meet; here, rules whose result does not depend on the model.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dlp_proxy.detect.recognizers.person import (
    ALL_FIRST_NAMES,
    FIRST_NAMES,
    WORLD_FIRST_NAMES,
    FrenchPersonRecognizer,
    PersonScores,
    _is_first_name,
)

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def person() -> FrenchPersonRecognizer:
    return FrenchPersonRecognizer(RULES / "allowlist.txt", PersonScores(), "fr")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("le scénario est de l'acteur tobias renwick.", ["tobias renwick"]),
        ("inspiré par le philosophe danois velgaard, il écrit", ["velgaard"]),  # one adjective skipped
        ("Le rappeur Zorvek sort un album.", ["Zorvek"]),
        ("son amie proche ilana vasquero l'accompagne", ["ilana vasquero"]),
        ("neveu de l'ancien footballeur brésilien Leivinha.", ["Leivinha"]),  # an adjective before the role
        ("par l'entraîneur jasmin repeša, il joue", ["jasmin repeša"]),  # "š": no French word
        ("battu par le futur champion zou shiming sur décision", ["zou shiming"]),
        ("le champion du monde 2018 signe", []),
        ("le pilote automatique est coupé", []),  # a common word
        ("un batteur renommé, formé au conservatoire", []),  # an adjective's ending
        ("la chanteuse tentera de convaincre le jury", []),  # a verb's ending
        ("la chanteuse s'engage pour la cause", []),  # an elided pronoun
        ("le joueur le plus connu du club", []),  # a stop word
        ("le ministre de la santé a parlé", []),
        ("mon collègue du support répond", []),
        ("son partenaire danseur arrive demain", []),  # a role is not a name
        ("la comédienne Vanka Morrel joue ce soir", ["Vanka Morrel"]),
        ("sur l'avis du satrape Orontobate, il marche", ["Orontobate"]),
        ("le gardien nigérian ne rejoue pas", []),  # an adjective French knows, not a name
        ("Le président géorgien, Saakadze, répond", []),
        ("le président du jury tranche", []),
        ("Le candidat UDF arrive en tête.", []),  # an acronym
        ("le ministre SPD gustav noske est chargé", ["gustav noske"]),  # an acronym between
        ("Le fondateur Nexora Conseil a répondu.", []),  # a company word ends a company's name
    ],
)
def test_person_after_a_role_noun(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """A noun naming someone's role, then the name ("l'acteur hugh laurie"), whatever its case; the
    words that follow a role in ordinary sentences are not names. The rules alone, without the NER."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


def test_a_first_name_given_to_both_sexes_keeps_its_more_frequent_class() -> None:
    """INSEE lists girls' and boys' names apart: "Marc" is an uncommon girl's name and a common boy's.
    models/make_wordlists.py once kept the class of the first list read, so "Marc", "Thomas" or
    "Nicolas" counted as uncommon and a lone "Marc" as an ambiguous word ("J'ai eu Marc au
    téléphone" went unfound)."""
    classes = {
        line.split("\t")[0]: line.split("\t")[1]
        for line in (RULES.parent / "models" / "prenoms.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    for name in ("Marc", "Thomas", "Nicolas", "Philippe", "Antoine", "Vincent", "Serge", "Yves"):
        assert classes[name] == "common", name
        assert name.lower() in FIRST_NAMES and _is_first_name(name), name


def test_french_dictionary_knows_words_not_names() -> None:
    """``models/french_words.txt.xz`` read as checksums: French words in any case and with or without
    their accents are known; names and foreign words are not."""
    from dlp_proxy.detect.recognizers.person import _FRENCH_WORDS, is_french_word

    assert _FRENCH_WORDS is not None and len(_FRENCH_WORDS) > 300_000
    words = ("bienvenue", "Facture", "évènement", "evenement", "relançons", "aujourd'hui", "de")
    ligatures = ("chœur", "nœud", "vœux", "manœuvre")  # the dictionary spells them out: "choeur"
    for word in words + ligatures:
        assert is_french_word(word), word
    for word in ("plutarque", "kowalczyk", "tolstoï", "gandhi", "wiśniewski"):
        assert not is_french_word(word), word
    # a letter French does not write makes a foreign word, whatever its letters fold onto ("repesa",
    # "repeser"'s past tense, is French)
    assert is_french_word("repesa") and not is_french_word("repeša")
    assert not is_french_word("Søren") and not is_french_word("gökhan")


def test_prompt_jargon_counts_as_words_of_french_text() -> None:
    """English words of office and IT speech and chat abbreviations the French dictionary lacks
    ("specs", "backlog", "deploy", "jsp") are words of a French prompt, not names; names are not
    among them."""
    from dlp_proxy.detect.recognizers.person import is_french_word

    for word in ("specs", "backlog", "deploy", "Hotfix", "onboarding", "updater", "jsp", "stp"):
        assert is_french_word(word), word
    for word in ("smith", "kowalczyk", "okonkwo"):
        assert not is_french_word(word), word


def test_business_nouns_keep_their_accents() -> None:
    """A noun typed without its accents is still the noun ("societe"); an accented word that only
    folds to one is another word: "marqué" is a verb, not "marque" (the brand)."""
    from dlp_proxy.detect.recognizers.person import _is_business_or_place_noun

    for word in ("société", "societe", "marque", "proposition", "hôpital", "hopital", "centre"):
        assert _is_business_or_place_noun(word), word
    for word in ("marqué", "entré", "travaux", "règne"):
        assert not _is_business_or_place_noun(word), word


def test_french_dictionary_read_errors(tmp_path: Path) -> None:
    """A missing dictionary leaves every word French (lower-case names then need a cue, as before the
    list existed); a damaged one stops start-up with the file named, never a half-read list."""
    import lzma

    from dlp_proxy.detect.recognizers.person import _read_dictionary
    from dlp_proxy.errors import ConfigError

    assert _read_dictionary(tmp_path / "absent.txt.xz") is None
    good = tmp_path / "words.txt.xz"
    good.write_bytes(lzma.compress(b"# comment\nfacture\ndevis\n"))
    assert len(_read_dictionary(good) or ()) == 2
    bad = tmp_path / "bad.txt.xz"
    bad.write_bytes(lzma.compress(b"facture\n")[:-8])
    with pytest.raises(ConfigError, match="bad.txt.xz"):
        _read_dictionary(bad)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("relance jamie hampton pour la facture", ["jamie hampton"]),  # a rarer first name, a foreign word
        ("bonjour marie dupont, merci pour le devis", ["marie dupont"]),
        ("une jolie maison neuve", []),
        ("relance kaylie chambre pour la facture", []),  # a rarer first name, then a French word
        ("l'album d'alicia keys sort demain", ["alicia keys"]),  # after an elided "de"
        ("un film d'ingmar bergman", ["ingmar bergman"]),  # of another country, after "d'"
        ("rdv avec yoshihiko noda jeudi", ["yoshihiko noda"]),  # a first name of another country
        ("la note d'olive noire", []),  # after "d'", a first name that is a word, then a word: no
        ('la devise " In hoc signo vinces "', []),  # after a capitalised word: a foreign phrase
        # a first name before a company word names a company
        ("relance alpha maintenance pour la livraison", []),
        ("relance marcel transports pour la livraison", []),
    ],
)
def test_lower_case_first_and_family_name(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """Two lower-case words: a frequent first name and any word, or a rarer first name (of INSEE's list,
    or of another country's) and a word that French does not know; after "d'" too. The rules alone,
    without the NER."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


def test_common_slips_of_typing_french_are_words_names_are_not() -> None:
    """An elision without its apostrophe, a last letter or one of a doubled consonant left out: French
    mistyped, not a name; names one letter away from a rare French word are not slips."""
    from dlp_proxy.detect.recognizers.person import is_word_or_typo

    for slip in ("dhier", "lentreprise", "quil", "relir", "factur", "comande", "adrese", "facture"):
        assert is_word_or_typo(slip), slip
    for name in ("miller", "sting", "ringo", "rokita", "shakur", "courbet", "ivanović"):
        assert not is_word_or_typo(name), name


def test_english_is_told_from_french_by_its_stop_words() -> None:
    """Two English stop words at least, and more than French ones: English text, where a lower-case
    span the model tagged is prose unless it holds a known name. A French sentence quoting an English
    title stays French."""
    from dlp_proxy.detect.recognizers.person import _in_english

    english = "can you check the invoice from john smith before friday?"
    assert _in_english(english, english.index("john"), english.index(" before"))
    french = 'Elle chante après noa et mira awad, qui représentent Israël avec " There Must Be Another Way ".'
    assert not _in_english(french, french.index("mira"), french.index(", qui"))
    assert not _in_english("relance john smith pour la facture", 8, 18)


@pytest.mark.parametrize("blank", [" ", "\u00a0", "\t"])
def test_runs_of_blanks_do_not_make_the_layout_rules_backtrack(
    person: FrenchPersonRecognizer, blank: str
) -> None:
    """The date-of-birth, payee, contact-list and recipient-line rules read every position of a prompt: a
    pattern that began with a run of blanks took time growing with its square (20 000 no-break spaces:
    seconds, found by bench/backtracking.py). Milliseconds now; the bound is ~100x that."""
    for text in (
        "Anne Morel" + blank * 20_000 + "née",
        "anne morel," + blank * 20_000 + "IBAN",
        ("Appelle" + blank * 50 + "ab") * 400 + " au 06",
        "- Anne Morel – 06 12 34 56 78\n" + ("-" + blank * 50 + "\n") * 400,
        ("Ab" + blank * 60 + "\n") * 300 + "12 rue de la Paix",
    ):
        started = time.perf_counter()
        person.analyze(text, ["PERSON"], None)
        assert time.perf_counter() - started < 1.0, repr(text[:20])


#: Tables of people without a header of names, in the layouts people paste: copied rows, other
#: headers, family name left or right, any case. Names from Faker's es_ES, en_GB and de_DE lists and
#: invented ones; cities and jobs in the other columns.
@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "Étaient présents Mme Anne Morel, Okafor, Wanjiru et Tcheuko.",
            ["Anne Morel", "Okafor", "Wanjiru", "Tcheuko"],
        ),
        ("avec M. Paul Lefort, Jay-K, T.J. et d'autres invités", ["Paul Lefort", "Jay-K", "T.J."]),
        ("Mme Anne Morel et Okafor ont signé.", ["Anne Morel", "Okafor"]),  # two joined by "et"
        ("Mme Anne Morel, Okafor a signé.", ["Anne Morel"]),  # two joined by a comma: an apposition
        # a list that goes on with a thing is a contact line or an address, not a list of people
        ("réunion avec Mme Anne Morel, Sofradis, 02 40 12 34 56", ["Anne Morel"]),
        ("Mme Anne Morel, Sofradis, Lyon", ["Anne Morel"]),
        ("Mme Anne Morel et Earth, Wind and Fire", ["Anne Morel"]),
        ("Mme Anne Morel, Okafor et de Sofradis", ["Anne Morel"]),  # "de": a company's, not a person
        # elided words, stop words, French words, places and acronyms end a list
        ("Mme Anne Morel, Okafor et d'autres s'imposent.", ["Anne Morel"]),
        ("M. Paul Lefort, Okafor, Metz et la DSI", ["Paul Lefort"]),
        ("M. Paul Lefort, Okafor, facture et relance", ["Paul Lefort"]),
        # a row of a comma-separated table: the columns decide (the table rule), not the list
        ("Mme Anne Morel, Sofradis, Okafor\nM. Paul Lefort, Brevix, Wanjiru", ["Anne Morel", "Paul Lefort"]),
    ],
)
def test_names_listed_beside_a_person(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """Items of a list in running text beside a person found are names when every word of them is
    name-like; the rules alone, without the NER (the model often calls such items companies)."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("D'Ornano a validé le devis hier.", ["D'Ornano"]),
        ("Le devis est prêt. D'Aubigné le signera lundi.", ["D'Aubigné"]),
        ("D'après le rapport, tout va bien.", []),  # a word of French
        ("D'Annecy à Lyon, il faut deux heures.", []),  # a place
        ("L'Oréal a publié ses résultats.", []),  # "L'" opens companies and titles, not names
        ("D'Excel vers Python, rien de plus simple.", []),  # a tool of the allow list
    ],
)
def test_a_family_name_with_its_elided_particle_opens_a_sentence(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """ "D'Ornano a validé…": the model, reading "D'" as a word, often tags nothing there. The rules
    alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Envoie le devis à M. de Tréville avant lundi.", ["Tréville"]),
        ("RDV avec Mme d'Ornano mardi.", ["Ornano"]),
        ("Courrier à M. du Plessis pour le bail.", ["Plessis"]),
        ("Mme de la Fontaine sera présente.", ["Fontaine"]),  # not "de la" as a lower-case name
        ("rdv avec mme de la tour mardi", ["de la tour"]),
        # a title takes a complement, not a particle
        ("Le professeur de Français est absent.", []),
        ("Nomination du Maître de Conférences en droit.", []),
    ],
)
def test_a_civility_before_a_particle(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """ "M. de Tréville", "Mme d'Ornano": the particle belongs to the name the civility points at
    (before, the cue stopped at the particle and the model's span scored as one unknown word)."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Rasseneur fermait la maison.", ["Rasseneur"]),
        ("Le devis est prêt. Kowalczyk relira le contrat demain.", ["Kowalczyk"]),
        ("Okonkwo ne viendra pas demain.", ["Okonkwo"]),
        ("Chaval l'avait conduite jusqu'au puits.", ["Chaval"]),
        ("Bournisien la défendit.", ["Bournisien"]),
        ("Puis Homais inventait des anecdotes.", ["Homais"]),
        ("rasseneur fermait la maison.", ["rasseneur"]),  # typed in lower case, a word French lacks
        ("Du Roy se leva et sortit.", ["Du Roy"]),  # with its capitalised particle
        ("Les Maheu dînèrent à midi.", ["Maheu"]),  # a family: its name takes no plural "s"
        ("Les Carpenters durent annuler la tournée.", []),
        ("La Juventus l'emportera sur le score d'un but.", []),  # "La", "Le" open companies and things
        ("Le dotara est muni d'une bandoulière.", []),
        # a word of French, a place, a verb's pronoun, a name followed by more of itself
        ("Forestier souleva sa main.", []),
        ("Metz accueillera le salon en mai.", []),
        ("Avez-vous relu le contrat ?", []),
        # a signature, not a subject: "le barbet" is more of the name, not a pronoun and its verb
        ("Merci.\n\nnathan le barbet", ["nathan le barbet"]),
        ("Bjr nassira, je te transfère le devis.", []),  # "nassira" is no verb
        ("The meeting was postponed. Jenkins ran the build.", []),  # English
    ],
)
def test_a_subject_before_its_verb(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """A word French does not know, opening a sentence before a verb in the past, the future or the
    conditional (or a negation or a pronoun and its verb), is its subject. The rules alone; with the
    model, a word it tagged as a company or a work is left out (``tests/test_engine.py``)."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("– Je le sais, répondit Aramis en souriant.", ["Aramis"]),
        ("– Eh bien ! dit d'Artagnan, que faites-vous ?", ["d'Artagnan"]),
        ("« Le devis est signé », a précisé Kowalczyk.", ["Kowalczyk"]),
        ("– je le sais, répondit aramis.", ["aramis"]),
        ("« Tout va bien », dit-elle en riant.", []),
        ("« C'est prêt », répondit aussitôt le service.", []),
    ],
)
def test_the_speaker_after_a_verb_of_saying(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """Who says the words a verb of saying follows, in a dialogue or a quoted report."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Bonjour Madame mandrel,", ["mandrel"]),
        ("interlocuteur Mme dieux (02 13 38 48 54).", ["dieux"]),  # a word, but after "Mme" a name
        ("Arrêt maladie : Monsieur melvin baffort (numéro de sécurité sociale …)", ["melvin baffort"]),
        ("Bonjour Monsieur di marcone, votre dossier est complet.", ["di marcone"]),
        ("Bonjour Madame le hirec,", ["le hirec"]),
        ("madame dupont demande un rendez-vous", ["dupont"]),  # "demande" is not part of the name
        # a French word no list names, before more of the sentence: the verb of an unnamed person
        ("Monsieur souhaite résilier son contrat.", []),
        ("Madame arrivait enfin avec les documents.", []),
        ("Monsieur petit a appelé ce matin.", ["petit"]),  # a family name that is also a word
        ("mme forestier sortit du bureau.", ["forestier"]),  # "Mme" never stands without a name
        ("on va chercher mme de marelle ce soir", ["de marelle"]),  # nor with a particle and a word
        ("voir mme la directrice demain", []),
        ("elle répondait toujours à M. le vicaire", []),
        ("rdv avec m. kowalczyk demain", ["kowalczyk"]),  # "m." in lower case, not after a number
        ("le mur fait 5 m. de long", []),
        ("Bonjour Madame la directrice,", []),
        ("bonjour monsieur le maire, merci", []),
        ("Madame, Monsieur,", []),
        ("Mesdames et messieurs, bonjour.", []),
        ("rdv avec le dr. kowalczyk demain 10h", ["kowalczyk"]),  # a doctor's title too
        ("Il ajoute que dr dre sera à la production.", ["dre"]),
    ],
)
def test_a_name_in_lower_case_after_a_civility(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """After "Madame", "Monsieur", "Mme", "dr", the next word is a name whatever its case and meaning; a
    stop word or a title there is not. The rules alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "Client;Société;Email\nnorina gentrec;Ecoplast;gentrec.norina@gmail.com\n"
            "yakin pancrazo;Alpha Maintenance;yakin.pancrazo@yahoo.fr",
            ["norina gentrec", "yakin pancrazo"],
        ),
        ("De : mai-lyn eschenbrun <mai-lyn_eschenbrun@icloud.com>", ["mai-lyn eschenbrun"]),
        ("Écris au service client (service.client@acme.fr).", []),  # two French words
        ("Contact : venise villato\nEmail : vvillato@orange.fr", ["venise villato"]),  # a place as first name
        ("Écris à agence lyon (agence.lyon@acme.fr).", []),  # a word and a place
        # capitalised, in neighbouring cells of a row: each cell keeps its own span
        ("Ajoute ce contact : Sortais;Leeyah;0698765432;leeyah.sortais@gmail.com", ["Sortais", "Leeyah"]),
        ("Agence Lyon;Paris;agence.lyon@exemple.fr", []),
    ],
)
def test_lower_case_names_an_address_spells(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """Two words that an e-mail address of the text spells are the address owner's name, side by side
    or in neighbouring cells of a row."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # whom to call or warn, before how to reach them: the model often calls a foreign name a place
        ("Appelle Zdzimir au 06 98 14 21 68 pour confirmer la livraison.", ["Zdzimir"]),
        ("Salarié absent jusqu'au 26/04. Prévenir ilvana au service paie.", ["ilvana"]),
        ("appelle meiront au poste 2231 stp", ["meiront"]),
        ("Contacte Brazan Öztekin sur son portable.", ["Brazan Öztekin"]),
        ("Appelle Zdzimir demain au 06 98 14 21 68.", ["Zdzimir"]),
        ("Appelle demain au 06 98 14 21 68.", []),
        ("Prévenir Support au service paie.", []),
        ("Appelle Orange au 3900 pour la box.", []),
        ("Préviens la DSI au poste 4500.", []),
        ("Appelle RH au poste 4500.", []),
        ("Appelle Paris au 01 02 03 04 05.", []),
        ("Appelle-moi au 06 98 14 21 68.", []),
        ("appelle enedis au 09 72 67 50 75 pour la coupure", []),  # a company of rules/allowlist.txt
        # a payee right before bank details, a particle inside a name typed in lower case
        ("Merci de virer 67,70 € HT à kamira le morvan, IBAN FR3726579082903542201958640, motif facture.",
         ["kamira le morvan"]),
        ("Virement de 670 € à Perlina Sautrel (IBAN FR5264867836658469113999823).", ["Perlina Sautrel"]),
        ("Planning : 9h hochard le livrec (DDN 02/12/75)", ["hochard le livrec"]),
        ("Merci de virer 670 € à Sofradis, IBAN FR5264867836658469113999823.", []),
        ("Merci de virer 670 € au fournisseur habituel, IBAN FR5264867836658469113999823.", []),
        ("Merci de virer 670 € à horizon logistique, IBAN FR5264867836658469113999823.", []),
        ("Peux-tu vérifier le format de cet iban FR5264867836658469113999823 ?", []),
        # whom a thing is handed to; an address made of the initial and the family name
        ("Le véhicule AB-123-CD est désormais attribué à Talvi Gaffeng.", ["Talvi Gaffeng"]),
        ("poste PC-11 attribué à talvi gaffeng, IP 10.1.2.3", ["talvi gaffeng"]),
        ("Avoir émis pour Francia-Lin Perrovet (fperrovet@orange.fr) : remboursement.",
         ["Francia-Lin Perrovet"]),
        ("Le marché a été attribué à Vinci Construction pour 2 M€.", []),
        ("Le poste est affecté à Saint-Denis depuis lundi.", []),
        ("Le rôle est attribué à Product Owner.", []),
        ("le ticket est assigné à service client.", []),
        ("Le lot est attribué à la société Datacrest.", []),
    ],
)  # fmt: skip
def test_whom_to_call_and_whom_to_pay(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """A verb of calling or warning before a word and a way to reach them ("Appelle X au 06…",
    "Prévenir X au service paie"), a payee right before an IBAN and whom a thing is handed to
    ("attribué à X Y") are people, whatever the case, when the words are not common French, office
    English, a company word, an acronym or a place. The rules alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a person's own matter, then whose it is (the model calls such a rare name a place, or nothing)
        ("Pot de départ de Tancrède Boisson vendredi.", ["Tancrède Boisson"]),
        ("La mutuelle de Lowan Sanglier rembourse mal.", ["Lowan Sanglier"]),
        ("Tu as le numéro de Kassim ?", ["Kassim"]),
        ("Accident du travail de Musab Ruez : déclaration à faire.", ["Musab Ruez"]),
        ("Écris un poème pour l'anniversaire de asaël.", ["asaël"]),
        ("Le numéro de TVA de Sofradis est faux.", []),
        ("Le numéro de commande est 4521.", []),
        ("Le numéro de Sécurité sociale est faux.", []),
        ("En l'absence de Réponse, on relance.", []),
        ("Les congés de Noël commencent le 20.", []),
        ("Le numéro de Free Mobile est le 3244.", []),  # rules/allowlist.txt
        ("Le départ de Lyon est à 8h.", []),  # not a personal matter: a place
        ("Les parents de Stecy demandent un rendez-vous.", ["Stecy"]),
        ("La femme de ménage passe lundi.", []),
        ("Le manager de Aysima souhaite un point.", ["Aysima"]),
        ("Le parrain de Rody est arrivé.", ["Rody"]),
        ("La signature de Windows est invalide.", []),  # rules/allowlist.txt
        ("Le planning de Production est prêt.", []),
        # whom a verb of address speaks to: "demander à", "réponds à", "écris à"
        ("Tu peux demander à Khadidja si c'est bon ?", ["Khadidja"]),
        ("tu peux demander à aksil si c'est bon ?", ["aksil"]),
        ("rappelle à nadia qu'elle doit signer l'avenant", ["nadia"]),
        ("Tu peux demander à la comptabilité si c'est bon ?", []),
        ("Réponds à tous que c'est reporté.", []),
        ("Explique à nouveau la procédure.", []),
        ("Écris à Paris pour réserver.", []),
        # speakers of a transcript pasted with its times; not bots, roles or tools
        ("[10:42] Kaiss Stumpf : ok pour moi", ["Kaiss Stumpf"]),
        ("[05/12/2026 10:42] kaiss stumpf: ok pour moi", ["kaiss stumpf"]),
        ("10:42 - Lowan : je regarde", ["Lowan"]),
        ("[10:42] Jenkins : build OK\n[10:43] Support IT : ticket créé", []),
        # a first name in brackets after the name a civility gave
        ("M. Doyon (Célian) a demandé un remboursement.", ["Doyon", "Célian"]),
        ("M. KAPPLER (Ramuntcho) a demandé un remboursement.", ["KAPPLER", "Ramuntcho"]),
        ("M. mann (eyline) a demandé un remboursement.", ["mann", "eyline"]),
        ("M. Dupont (DAF) valide.", ["Dupont"]),
        ("Mme Martin (absente) sera remplacée.", ["Martin"]),
        ("M. Girard (Lyon) a appelé.", ["Girard"]),
    ],
)  # fmt: skip
def test_whose_personal_matter_a_first_name_in_brackets_and_chat_speakers(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """A noun of a person's life at work or at home ("pot de départ", "mutuelle", "numéro", "accident
    du travail", "parents") before "de" and name-like words, a first name in brackets after "M. Nom"
    and the speaker of a timed transcript line are people, whatever the case; common French, acronyms,
    places, feasts, bots and allowlisted companies are not. The rules alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Je m'appelle Soham Ponte et j'habite à Lyon.", ["Soham Ponte"]),
        ("Bonjour, je m'appelle soham ponte, client depuis 2019.", ["soham ponte"]),
        ('Rédige : "Madame, je me nomme Radia Brousse et je conteste la facture."', ["Radia Brousse"]),
        ("My name is Izaac Daures and I work at Sofradis.", ["Izaac Daures"]),
        ("je m'appelle rose, je suis cliente", ["rose"]),
        ("mon nom est inscrit sur la liste", []),
        ("Mon nom est mal orthographié sur la facture.", []),
        # a bullet before a first name is no hyphen of a compound; a dash inside a line is no bullet
        ("- Timote Douglas : relancer le client", ["Timote Douglas"]),
        ("Réunion :\n  - Timote Douglas : relancer", ["Timote Douglas"]),
        ("Region,Count\nMI - Ann Arbor,23", []),
    ],
)  # fmt: skip
def test_who_introduces_themself_and_bulleted_names(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """After "je m'appelle", "je me nomme", "mon nom est", "my name is", a name whatever it means; in
    lower case, not a French word that is no name. The rules alone: the model called "Soham Ponte" a
    place and nothing else found it."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dupont;Marie;0612345678", ["Dupont", "Marie"]),
        ("Ajoute ce contact : Pivert;Timothe;0612345678", ["Pivert", "Timothe"]),
        ("| Durand | Sophie | 06 12 34 56 78 |", ["Durand", "Sophie"]),
        ("Marie;Mobile;0612345678", ["Marie"]),  # the first name alone, as before
        ("Rose;Florence;0612345678", []),
        ("Sofradis;Lyon;contact@sofradis.fr", []),
        ("dupont;marie;0612345678", ["dupont", "marie"]),
        # a first name of another country (models/prenoms_monde.txt), as written or in lower case
        ("Underwood;Garth;0612345678", ["Underwood", "Garth"]),
        ("noda;yoshihiko;y.noda@example.jp", ["noda", "yoshihiko"]),
        ("bleu;rose;0612345678", []),
        ("client;marie;0612345678", []),
    ],
)  # fmt: skip
def test_a_lone_contact_row(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """A row with a phone number or an e-mail address, pasted without its header: a listed first name
    and the capitalised word in the cell beside it are a person, each cell its own span; not a frequent
    word, a place, nor first names that are words too. Before, "Dupont" went out beside "Marie", and
    before the first names of other countries were read here, "Underwood;Garth;06…" went out whole."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Le dossier Tournoux c/ Sofradis est plaidé mardi.", ["Tournoux", "Sofradis"]),
        ("CA Paris, 12 mars 2021, DUPONT c/ SNCF", ["DUPONT"]),
        ("Le dossier chanussot c/ Sofradis est plaidé mardi.", ["chanussot", "Sofradis"]),
        ("Affaire Martin c/ Société Générale : audience le 12.", ["Martin"]),
        ("Les frais de port c/ remboursement : voir la facture.", []),
    ],
)  # fmt: skip
def test_the_parties_of_a_case(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """Either side of "c/" in a case's title is a party, a person as far as a leak goes; not an acronym,
    a company word or common French. The model called "Tournoux" a place."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Nom du stagiaire : Myrna ROL", ["Myrna ROL"]),
        ("Nom de l'apprentie : lina boukhari", ["lina boukhari"]),
        ("Nom de la candidate : Aure Roubinet", ["Aure Roubinet"]),
        ("Nom du stagiaire : à confirmer", []),
        ("Nom du responsable : Service Achats", []),  # a department may be responsible
    ],
)  # fmt: skip
def test_the_name_of_a_persons_role_is_a_name_key(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """ "Nom du stagiaire :" names a person whatever the value looks like, as "Nom du client :" did;
    before, the role alone asked for a known name and "Myrna ROL" went out."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("À : Macire Verdun ; Cc : Leanna Ciavaldini", ["Macire Verdun", "Leanna Ciavaldini"]),
        ("From: Soham Ponte <sp@x.com>\nTo: Izaac Daures\nSubject: meeting", ["Soham Ponte", "Izaac Daures"]),
        ("De : Sofradis\nÀ : Service Achats\nObjet : facture", []),
        ("De : Soham Ponte", []),  # one field is no header
        ("De 9h à 12h : Atelier Excel\nÀ partir de 14h : Réunion Budget", []),
    ],
)  # fmt: skip
def test_who_a_mail_header_names(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """The values of "De", "À", "Cc", "From", "To" in a pasted e-mail header (two fields at least) are
    people when they look like names; a department, a company, an agenda are not. The model called
    "Macire Verdun" a place."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


def test_a_compound_of_first_names_is_a_first_name() -> None:
    """Rare compounds INSEE's classes leave out are first names when each part is one; not a compound
    French or the places know, a saint's name or an adjective of two nations."""
    for key in ("jean-remy", "marie-martine", "pierre-loup", "mai-linh", "mohamed-amine", "rose-may"):
        assert not frozenset.__contains__(ALL_FIRST_NAMES, key), key  # not listed: the rule is tested
        assert key in ALL_FIRST_NAMES, key
    for key in ("saint-louis", "sainte-marie", "franco-argentine", "italo-suisse", "saint-denis", "jean-"):
        assert key not in ALL_FIRST_NAMES, key


def test_a_spelling_of_a_listed_first_name_is_a_rare_first_name() -> None:
    """ "Tymothé", "Annaïs", "Izaac", "Carolyne": a listed first name spelled otherwise (y for i, z for
    s, a silent h, a doubled letter, a final e) is a first name of the rare class, evidence beside
    another name word; not a French word, a place, nor an English word that no spelling of a name
    reaches ("North", "Bullet", "Lager")."""
    for key in ("tymothe", "annais", "izaac", "carolyne", "aliyah", "timote"):
        assert not frozenset.__contains__(ALL_FIRST_NAMES, key), key  # not listed: the rule is tested
        assert key in ALL_FIRST_NAMES and key not in FIRST_NAMES, key
    for key in ("north", "bullet", "lager", "human", "markup", "excusee", "technicien", "budget"):
        assert key not in ALL_FIRST_NAMES, key


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Le RDV avec Tymothé Loyer est décalé.", ["Tymothé Loyer"]),
        ("Pot de départ de Izaac Daures vendredi.", ["Izaac Daures"]),
        ("relance carolyne vernet pour la signature", ["carolyne vernet"]),
        ("bonjour annaïs burgy,", ["annaïs burgy"]),
        ("Participants : Snezana Angles, Timote Douglas", ["Timote Douglas"]),
        # a rare first name alone is not enough
        ("Réponse à Tymothé : oui pour jeudi.", []),
        # a place named in English, its noun last, is no person
        ("Le circuit de Phillip Island accueille la course.", []),
        ("Le tournage a lieu à Beverly Hills.", []),
    ],
)  # fmt: skip
def test_rare_spellings_of_first_names(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """The rules alone. Before spellings were read, none of these names was found but the one after
    "Pot de départ de" (a rule of its own), and "Beverly Hills" was a person."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Cette espèce est nommée en l'honneur de Garth Underwood.", ["Garth Underwood"]),
        ("Le RDV avec Yoshihiko Noda est décalé à jeudi.", ["Yoshihiko Noda"]),
        ("Remplacé à la 61e minute par Valdas Ivanauskas.", ["Valdas Ivanauskas"]),
        ("Le dossier de Łukasz Piszczek est complet.", ["Łukasz Piszczek"]),  # "ł" folds to "l"
        ("Bienvenue à Søren Vestergaard dans l'équipe.", ["Søren Vestergaard"]),  # INSEE's "Soren"
        # in lower case, before a word French does not know, as a pair of lower-case words
        ("relance garth underwood pour la facture", ["garth underwood"]),
        # alone, before a French word, or past two words: no evidence
        ("Réponse à Garth : oui pour jeudi.", []),
        ("relance garth chambre pour la facture", []),
        ("Le stand Yoshihiko Sushi ouvre lundi.", []),
        ('Le " Great Ormond Street Hospital " de Londres.', []),
        ("Le sanctuaire Jasna Góra de Częstochowa.", []),
    ],
)  # fmt: skip
def test_first_names_of_other_countries(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """First names INSEE's list does not hold ("Garth", "Yoshihiko", "Valdas": models/prenoms_monde.txt)
    make the capitalised word after them a family name, by the rules alone, where the model often says
    place or work; "ł" and "ø" fold as INSEE's list spells them. Before, none of these names was
    found."""
    assert "garth" in WORLD_FIRST_NAMES and "garth" not in ALL_FIRST_NAMES
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Organise un séminaire à Santa Clara pour l'équipe achats.", []),
        ("Quel train prendre de Nice à El Salvador pour la réunion ?", []),
        ("le responsable de l'agence de santa monica demande un budget", []),
        ("réunion au bureau de sri lanka jeudi", []),
        ("Réunion avec Salvador Dali et Monica Santana demain.", ["Salvador Dali", "Monica Santana"]),
    ],
)  # fmt: skip
def test_foreign_places_of_several_words_are_no_names(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """ "Santa Clara", "El Salvador", "Sri Lanka" (models/villes.txt) hold a first name, of INSEE's
    list or another country's, and a word that could be a family name: the whole is a place, and so
    is the first name at its end. The rules alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Le contrat d'Unai Emery court jusqu'en juin.", ["Unai Emery"]),
        ("L'arrivée d'Anaïs Kervella est prévue lundi.", ["Anaïs Kervella"]),
        ("Voir avec le service d'Yvon Perrichon.", ["Yvon Perrichon"]),
        # a first name alone after "d'" is a place or a thing as often
        ("Il signe un contrat avec le Magic d'Orlando.", []),
        ("la création d'Israël en 1948", []),
        ("près de la ville d'Alice Springs.", []),
    ],
)  # fmt: skip
def test_a_name_after_an_elided_de(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """ "d'Unai Emery": a listed first name right after "d'" and a family name after it is a name, by
    the rules alone; before, a word glued to an apostrophe was never read as a first name."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Le gardien de l'immeuble, Pierre-Loup, a les clés.", ["Pierre-Loup"]),
        ("Je te laisse voir avec Pierre-Loup pour la suite.", ["Pierre-Loup"]),
        ("1. Mai-Linh Comtet (commercial)", ["Mai-Linh Comtet"]),
        ("| Marie-Evelyne Gastou | Comptabilité | 3 jours |", ["Marie-Evelyne Gastou"]),
        ("Bonjour, je suis marie-fleur lichtle et je voudrais résilier.", ["marie-fleur lichtle"]),
        ("Je remplace rose-may gardet pendant son congé maternité.", ["rose-may gardet"]),
        ("Nous recherchons marie-aurore bout, disparu depuis mardi.", ["marie-aurore bout"]),
        ("La coproduction franco-argentine sort en mars.", []),
        ("Rendez-vous à Saint-Louis mardi.", []),
    ],
)  # fmt: skip
def test_rare_compound_first_names(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """A first name made of two listed ones ("Pierre-Loup", "marie-fleur") counts as listed, by the
    rules alone, whatever the case. Each case found nothing before the compound rule."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # minutes and records: the items of a role label's value
        ("Excusée : barrin onnor", ["barrin onnor"]),
        ("Présents : anatol sapetti, setta tavernier, djibrel dedingo",
         ["anatol sapetti", "setta tavernier", "djibrel dedingo"]),
        ("Salarié : tarin sid-ahmed", ["tarin sid-ahmed"]),
        ("Absent : toute la journée", []),
        ("Présents : tous", []),
        ("Responsable : service achats", []),
        ("Responsable : tbd", []),
        # before a date of birth; a role before the name is left out
        ("Planning : 9h dgino fournel (DDN 27/03/84), 10h30 gaspard merlo (DDN 01/02/90)",
         ["dgino fournel", "gaspard merlo"]),
        ("Bail : locataire matys ammouri, né le 05/09/05, logement situé", ["matys ammouri"]),
        ("le rapport annuel (né le projet Atlas)", []),
        # a bulleted list of contacts where another item is a person
        ("Participants :\n- amedeo hornek (Hexagone) – amedeo_hornek@arpege.eu\n"
         "- janik parmentel – 07 98 14 14 31\n- support technique – 01 23 45 67 89",
         ["amedeo hornek", "janik parmentel"]),
        # a word of a name found, mentioned again alone; not a word French knows ("tavernier")
        ("Présents : anatol sapetti, setta tavernier\n2. setta relance le prestataire ; le tavernier livre.",
         ["anatol sapetti", "setta tavernier", "setta"]),
        # an address made of the first name's initial and the family name
        ("Client;Société;Email\nmordjan alglavo;Hexagone Télécom;malglavo@sofradis.eu", ["mordjan alglavo"]),
    ],
)  # fmt: skip
def test_names_in_lower_case_in_business_layouts(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """The layouts that make a name of capitalised words (role labels, dates of birth, contact lists,
    e-mail addresses) do so in lower case too when the words are not common French. The rules alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Le colis est arrivé abîmé, merci de me rappeler au 0744130741.\nmichalka", ["michalka"]),
        ("Je vous prie d'agréer l'expression de mes salutations distinguées.\n\nnathan le barbet",
         ["nathan le barbet"]),
        ("« Je peux t'aider pour le dossier de Limoges. A+ devrane »", ["devrane"]),
        ("Bien à vous,\nkowalczyk", ["kowalczyk"]),
        ("Peux-tu relire ce mail ?\nmerci", []),
        ("Corrige ce script.\nnpm install", []),
        ("Résume ce texte.\nthx", []),
        ("Traduis en anglais.\ncdt", []),
        ("Rédige une réponse polie.\nbonne journée", []),
        ("Voici le log.\ngithub", []),
        ("Fais un résumé.\nurgent", []),
        ("Cordialement,\nle service client", []),
        # a question about a term, not a message: its last line is the term
        ("Traduis ce mot.\nheadcount", []),
        ("Explique cette commande.\nkubectl apply", []),
        ("Résume.\nlorem ipsum", []),
    ],
)  # fmt: skip
def test_a_signature_in_lower_case(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """The last line of a message, typed in lower case: after a closing, a word French uses little is
    its author; alone, under a message that greets or gives a number to call back, a word French does
    not know. Chat sign-offs, English, tools and the term a prompt asks about are not. The rules
    alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


PEOPLE_TABLES = [
    (
        "Dupuis-Marlot;Océane;Lyon;12\nOkonkwo;Chidi;Metz;7\nLemaire;Inès;Brest;3\nKowalczyk;Anna;Nantes;9",
        ["Dupuis-Marlot", "Océane", "Okonkwo", "Chidi", "Lemaire", "Inès", "Kowalczyk", "Anna"],
    ),
    (
        "0 ; Lastra ; Lucía ; Rennes ; 100\n1 ; Ledesma ; Juan Antonio ; Pau ; 101\n"
        "2 ; Fonseca ; María Ángeles ; Tarbes ; 102\n3 ; Haro ; Javier ; Bayonne ; 103",
        ["Lastra", "Lucía", "Ledesma", "Juan Antonio", "Fonseca", "María Ángeles", "Haro", "Javier"],
    ),
    (
        "Identité\tVille\tSolde\nsophie wright\tLeeds\t12,50\nmarc okafor\tBath\t3,10\n"
        "elaine howells\tYork\t8",
        ["sophie wright", "marc okafor", "elaine howells"],
    ),
    (
        "| Prénom usuel | Famille | Service |\n|---|---|---|\n| Lukas | BRANDT | achats |\n"
        "| Greta | VOGEL | paie |\n| Jonas | KRÜGER | achats |",
        ["Lukas", "BRANDT", "Greta", "VOGEL", "Jonas", "KRÜGER"],
    ),
    # first names of other countries (models/prenoms_monde.txt) make a column of first names too
    (
        "Underwood;Garth;acheteur;12\nNoda;Yoshihiko;comptable;7\nIvanauskas;Valdas;juriste;3\n"
        "Sequera;Milagros;acheteuse;9",
        ["Underwood", "Garth", "Noda", "Yoshihiko", "Ivanauskas", "Valdas", "Sequera", "Milagros"],
    ),
    # family names that are first names too, beside the first names: the town column on the other
    # side is no family name (it was taken for one)
    (
        "Voici la liste :\nThomas\tMargaux\tAdam-sur-Mer\tComptable\nLouis\tThéodore\tRémy-sur-Roussel\t"
        "Plombier\nColin\tJulie\tLéger-les-Bains\tInfirmier\nRémy\tSophie\tBrunet-sur-Mer\tAvocat",
        ["Thomas", "Margaux", "Louis", "Théodore", "Colin", "Julie", "Rémy", "Sophie"],
    ),
]

#: Tables without people, in the shapes of public datasets (plotly/datasets, MIT: gapminder, iris,
#: medicare, NHL draft codes) and of business exports: repeated categories, codes, cities, colours.
PEOPLE_FREE_TABLES = [
    "country,year,pop,continent\nAfghanistan,1952,8425333,Asia\nAfghanistan,1957,9240934,Asia\n"
    "Albania,1952,1282697,Europe\nAlbania,1957,1476505,Europe",
    "SepalLength,SepalWidth,Name\n5.1,3.5,Iris-setosa\n4.9,3.0,Iris-setosa\n7.0,3.2,Iris-versicolor",
    "Provider City,Provider State,Region\nANCHORAGE,AK,AK - Anchorage\nJUNEAU,AK,AK - Anchorage\n"
    "ANNISTON,AL,AL - Birmingham\nDOTHAN,AL,AL - Dothan",
    "Team;POB;Pos\nCOL;CAN;C\nFLA;FIN;C\nTBL;CAN;LW\nNSH;SWE;D",
    "Produit;Coloris;Stock\nChaise;Rose;12\nTable;Olive;3\nLampe;Marine;8\nBanc;Ambre;5",
    "Ville;Région;Agence\nFlorence;Toscane;Nord\nNancy;Grand Est;Est\nAlbi;Occitanie;Sud\n"
    "Morlaix;Bretagne;Ouest",
]


@pytest.mark.parametrize(("text", "names"), PEOPLE_TABLES)
def test_a_table_column_of_first_names_makes_its_cells_names(
    person: FrenchPersonRecognizer, text: str, names: list[str]
) -> None:
    """A column mostly of known first names (or of first name + family name) holds people: all its
    cells are names, and so are those of the column of family names beside it, whatever the case and
    whether the header names them or not. The model reads "Okonkwo;Chidi;Metz" as one token; before
    this, most such cells went unfound. The rules alone, without the NER."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names


@pytest.mark.parametrize("text", PEOPLE_FREE_TABLES)
def test_a_table_without_people_gets_no_names(person: FrenchPersonRecognizer, text: str) -> None:
    """Columns of categories ("Asia" on every row), codes ("CAN", "AK"), colours and cities that are
    also first names ("Rose", "Florence") are not columns of first names. (Other rules may still call a
    lone "Toscane", a first name, a name: this is about the table's columns.)"""
    results = person.analyze(text, ["PERSON"], None)
    assert [
        text[r.start : r.end] for r in results if "(table)" in r.analysis_explanation.textual_explanation
    ] == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[{"prenom": "chidi", "nom": "okonkwo"}, {"prenom": "inès", "nom": "lemaire"}]',
         ["chidi", "okonkwo", "inès", "lemaire"]),
        ('{"firstName": "chidi", "lastName": "okonkwo", "city": "Lyon"}', ["chidi", "okonkwo"]),
        ("clients:\n  - nom: okonkwo\n    prenom: chidi\n  - nom: kowalczyk\n    prenom: anna",
         ["okonkwo", "chidi", "kowalczyk", "anna"]),
        ('2024-05-02 INFO login ok user_name="chidi okonkwo" ip=10.0.0.1', ["chidi okonkwo"]),
        ('{"contact": {"full_name": "chidi okonkwo", "phone": "0612345678"}}', ["chidi okonkwo"]),
        ("<client><nom>okonkwo</nom><prenom>chidi</prenom></client>", ["okonkwo", "chidi"]),
        ("<ns:Client><ns:LastName>OKONKWO</ns:LastName><ns:FirstName>chidi</ns:FirstName></ns:Client>",
         ["OKONKWO", "chidi"]),
        ("INSERT INTO clients (id, nom, prenom, ville) VALUES (1, 'okonkwo', 'chidi', 'Lyon'), "
         "(2, 'kowalczyk', 'anna', 'Metz');", ["okonkwo", "chidi", "kowalczyk", "anna"]),
        # names the French dictionary also holds in lower case (proper nouns of its corpora): under a
        # name key they are names; only common words and markers name no one
        ('{"nom": "quillard", "prenom": "violeta"}, {"nom": "poteau", "prenom": "john"}',
         ["quillard", "violeta", "poteau", "john"]),
        ('{"nom": "optionnel", "prenom": "vide"}', []),
        # a common word under "nom", which the record's e-mail address spells
        ('{"nom": "appel", "prenom": "carmelo", "email": "carmelo.appel58@x.fr"}, {"nom": "bouteille"}',
         ["appel", "carmelo"]),
        # Code and configuration: the keys are there, the values name no one.
        ("<project><name>backend</name><version>1.0</version></project>", []),
        ("INSERT INTO produits (nom, prix) VALUES ('chaise', 12), ('table', 30);", []),
        ("INSERT INTO t (nom, prenom) VALUES ('unterminated, 'x", []),
        ("class Client:\n    first_name: str\n    last_name: str\n    name: Optional[str] = None", []),
        ("interface User {\n  firstName: string;\n  lastName: string;\n}", []),
        ("user = User(first_name=first_name, last_name=last_name, name=name)", []),
        ("metadata:\n  name: backend\n  labels:\n    app: backend", []),  # no first-name key beside it
        ('{"prenom": "", "nom": "inconnu", "prenom_usage": null}', []),
        ("log: user_name=anonymous action=login status=failed", []),
        ("Le formulaire : nom: obligatoire, prenom: facultatif, ville: obligatoire.", []),
    ],
)  # fmt: skip
def test_lower_case_values_of_name_keys(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """JSON, YAML, XML, SQL inserts and logs pasted by developers carry names in lower case under their
    keys ("prenom", "lastName", "user_name"; a bare "nom" or "name" beside a first-name key): the key
    vouches for the value. Before, only capitalised values counted and all of these names went
    unfound. Types, empty markers, accounts and French words under those keys are not names. The rules
    alone."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names
