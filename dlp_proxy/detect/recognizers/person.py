"""PERSON: people's names in French text, from spaCy's NER cleaned up and from French cues.

Why not Presidio's SpacyRecognizer alone: measured on French business prompts, the French model tags
imperative verbs ("Rédige", "Traduis") and form labels ("Prénom", "Nom") as PER, glues a label to the
next line's name ("Jean\\nNom"), reads "DUPONT Jean" as a place, and gives every entity the same 0.85.
This recognizer therefore:

* cleans each NER PER span (cut at line breaks and punctuation, drop cue words, imperatives, form
  labels, greetings and the referents' ``rules/allowlist.txt``), and scores a lone unknown word at
  the start of a sentence low, since that is where the imperative false positives are;
* adds names the model misses, backed by French cues, which score higher than bare NER:
  civilities and titles ("M.", "Mme", "Maître", "Dr"...), form labels ("Nom : Dupont"), signatures
  ("Cordialement,\\nJean Dupont"), CSV rows under a ``Nom;Prénom`` header, upper-case family
  names next to a known first name ("DUPONT Jean"), and, at a lower score, a known first name the
  model missed ("Réponds à Margaux").

The result span is the name only (never the cue), so that redaction keeps "M. <PERSON>" readable.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.errors import ConfigError, ConfigProblem

logger = logging.getLogger(__name__)

ENTITY = "PERSON"

_UP = "A-ZÀ-ÖØ-ÞŒ"
_LO = "a-zß-öø-ÿœ"
_CAP_WORD = rf"(?:[{_UP}][{_LO}]*['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:-[{_UP}][{_LO}]+)*"
_UPPER_WORD = rf"(?:[{_UP}]['’])?[{_UP}]{{2,}}(?:-[{_UP}]{{2,}})*"
_INITIAL = rf"[{_UP}]\.(?:-[{_UP}]\.)?"
_NAME_TOKEN = rf"(?:{_CAP_WORD}|{_UPPER_WORD}|{_INITIAL})"
_PARTICLE_RX = (
    r"(?:de\s+la|van\s+der|van\s+den|de|du|des|la|le|van|von|der|den|ben|bin|el|al|da|dos|das|di|del|della"
    r"|ter|ten|y)"
)
_SP = r"[ \u00a0\u202f]"
# A name: up to five tokens on one line, with lower-case particles ("de la", "van") and elisions
# ("d'Estaing") between them.
_NAME = rf"{_NAME_TOKEN}(?:{_SP}+(?:{_PARTICLE_RX}{_SP}+)?(?:[dl]['’])?{_NAME_TOKEN}){{0,4}}"

_NAME_TOKEN_FULL = re.compile(rf"(?:[dl]['’])?{_NAME_TOKEN}")
_UPPER_FULL = re.compile(_UPPER_WORD)

_CUE_RX = re.compile(
    rf"(?<![\w.])(?:(?i:monsieur|madame|mademoiselle|docteur|professeur|ma[iî]tre)|MM?\.|Mmes?\.?|Mlles?\.?"
    rf"|Me|Dr\.?|Pr\.?){_SP}+(?P<name>{_NAME})"
)
_LABEL_RX = re.compile(
    r"(?<![\w])(?i:nom(?:\s+(?:de\s+famille|d['’]usage|de\s+naissance|de\s+jeune\s+fille|complet|et\s+pr[ée]noms?))?"
    r"|pr[ée]noms?(?:\s+et\s+nom)?|patronyme|nom\s*/\s*pr[ée]noms?|pr[ée]noms?\s*/\s*nom|identit[ée])"
    rf"{_SP}*:{_SP}*(?P<name>{_NAME})"
)
_CLOSINGS = (
    r"(?:bien\s+|tr[eè]s\s+)?cordialement|sinc[eè]rement|(?:sinc[eè]res\s+|meilleures\s+)?salutations(?:\s+distingu[ée]es)?"
    r"|bien\s+[àa]\s+(?:vous|toi)|[àa]\s+bient[ôo]t|amicalement|respectueusement|bonne\s+(?:journ[ée]e|soir[ée]e)"
    r"|merci(?:\s+d['’]avance|\s+par\s+avance|\s+beaucoup)?|bises|bisous|best\s+regards|regards"
)
_SIGNATURE_RX = re.compile(
    rf"(?im)^[ \t]*(?:{_CLOSINGS})[ \t]*[,.!]?[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*(?P<name>(?-i:{_NAME}))"
)
_UPPER_THEN_FIRST_RX = re.compile(
    rf"(?<![\w])(?P<upper>{_UPPER_WORD}(?:{_SP}{_UPPER_WORD})?){_SP}+(?P<first>{_CAP_WORD})"
)
_FIRST_THEN_UPPER_RX = re.compile(
    rf"(?<![\w])(?P<first>{_CAP_WORD}){_SP}+(?P<upper>{_UPPER_WORD}(?:{_SP}{_UPPER_WORD})?)"
)
_TOKEN_RX = re.compile(r"\S+")
_STRIP_CHARS = '.,;:!?…«»"“”‘()[]{}<>*_#|/\\'
_BREAK_GAP = re.compile(r"[\n\r\t]|\s[-–—]\s")

_PARTICLES = frozenset(
    "de du des la le van von der den ben bin el al da dos das di del della ter ten y".split()
)


def fold(word: str) -> str:
    """Case- and accent-insensitive key, so "Résume", "RESUME" and "resume" compare equal."""
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in text.split())


# Words spaCy's French model tags as PER in prompts, kept in code so the recogniser stays sane even
# with an empty allowlist; rules/allowlist.txt repeats and extends them for referents to edit.
_IMPERATIVES = _words(
    """rédige rédigez traduis traduisez calcule calculez résume résumez corrige corrigez écris écrivez
    propose proposez analyse analysez reformule reformulez explique expliquez donne donnez fais faites
    crée créez génère générez liste listez vérifie vérifiez compare comparez optimise optimisez simplifie
    simplifiez complète complétez identifie identifiez classe classez transforme transformez convertis
    convertissez prépare préparez planifie planifiez organise organisez structure structurez synthétise
    synthétisez relis relisez améliore améliorez raccourcis raccourcissez développe développez détaille
    détaillez trouve trouvez cherche cherchez recherche recherchez suggère suggérez imagine imaginez
    invente inventez montre montrez présente présentez décris décrivez formule formulez évalue évaluez
    estime estimez extrais extrayez trie triez regroupe regroupez mets mettez ajoute ajoutez supprime
    supprimez remplace remplacez modifie modifiez adapte adaptez aide aidez envoie envoyez réponds
    répondez relance relancez indique indiquez précise précisez justifie justifiez argumente conseille
    recommande recommandez cite citez dresse dressez élabore élaborez établis établissez produis
    produisez code codez programme teste testez documente commente commentez note notez rappelle
    rappelez lis lisez fournis fournissez reprends reprenez rends rendez écoute explique-moi vérifions
    rédiger traduire calculer résumer corriger écrire proposer analyser reformuler expliquer générer
    lister vérifier comparer préparer synthétiser créer"""
)
_FORM_LABELS = _words(
    """prénom prénoms nom noms téléphone tél tel portable mobile fixe fax adresse email e-mail mail
    courriel objet date signature fonction poste service société entreprise client clients fournisseur
    ville pays code postal civilité sexe âge naissance nationalité iban bic siret siren tva référence
    réf montant total facture devis commande contrat dossier numéro pièce jointe destinataire expéditeur
    copie cc cci message sujet remarque remarques commentaire commentaires description statut titre
    intitulé libellé quantité prix unité désignation identifiant login mot passe ht ttc"""
)
_GREETINGS = _words(
    """bonjour bonsoir salut coucou hello hi cordialement merci remerciements salutations amicalement
    bisous bises cher chère chers chères madame monsieur mademoiselle messieurs mesdames mme mlle mr
    dr pr me ps nb pj"""
)
_ROLES = _words(
    """directeur directrice président présidente maire ministre préfet juge avocat avocate notaire
    responsable manager gérant gérante chef docteur professeur maître équipe direction département
    support rh drh dg pdg ceo cto cfo daf dsi comptable assistant assistante secrétaire commercial
    commerciale conseiller conseillère collaborateur collaboratrice salarié salariée employé employée
    candidat candidate stagiaire alternant consultant consultante utilisateur administrateur"""
)
_CALENDAR = _words(
    """lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars juin juillet août
    septembre octobre novembre décembre"""
)
_BUILTIN_STOPWORDS = _IMPERATIVES | _FORM_LABELS | _GREETINGS | _ROLES | _CALENDAR
_CUE_WORDS = _words(
    "m. mm. mme mmes mlle mlles monsieur madame mademoiselle maître maitre me dr dr. pr pr. docteur"
    " professeur"
)
# Words that follow an imperative and rarely follow a name: "Rédige un mail", "Traduis ce texte".
_AFTER_IMPERATIVE = _words(
    """un une le la les l' ce cet cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur
    leurs des du de d' moi en y à au aux tout toute tous toutes chaque quelques plusieurs deux trois
    quatre cinq dix"""
)
_ACRONYMS = _words(
    """tva ht ttc sas sasu sarl sa eurl sci pme tpe eti rh drh dsi daf ceo cto cfo pdg dg cdi cdd pdf
    url api it si erp crm kpi roi rgpd cnil urssaf insee siren siret iban bic rib nir tel fax cv ok faq
    rse ia ai llm gpt sql csv xml json html http https ue eu usa fr uk nb pj ps cc cci tbd asap rdv"""
)

# Common first names in France (INSEE civil registry, several generations and origins). Used only as
# supporting evidence: a known first name next to an upper-case word makes "DUPONT Jean" a person, and
# keeps a lone first name ("Merci Marie") at full score.
FIRST_NAMES = _words(
    """jean pierre michel andré philippe rené louis alain jacques bernard marcel daniel roger robert paul
    claude christian henri georges nicolas françois patrick gérard christophe joseph julien maurice
    laurent frédéric éric david stéphane pascal sébastien alexandre thierry olivier thomas antoine raymond
    guy dominique lucien charles vincent guillaume patrice serge mathieu emmanuel didier yves bruno
    jérôme arnaud maxime jules fabrice romain francis denis cédric franck hugo lucas léo gabriel raphaël
    arthur louis adam ethan nathan théo tom noah enzo mathis axel baptiste clément victor valentin
    quentin kevin anthony jonathan benjamin florian jérémy dylan loïc mickaël damien gaël yann ludovic
    jordan adrien alexis aurélien bastien benoît cyril fabien grégory hervé jean-pierre jean-claude
    jean-luc jean-marc jean-paul jean-françois jean-louis jean-michel jean-jacques jean-marie
    jean-baptiste jean-yves jean-philippe marc-antoine pierre-yves paul-henri xavier yannick william
    simon samuel martin marius mathéo timéo sacha noé eliott aaron liam gabin mael maël malo evan rayan
    ryan ilyes yanis younes mehdi karim rachid mohamed mohammed ahmed ali omar youssef hamza bilal
    amine sofiane nabil samir farid said saïd kamel abdel abdelkader abdellah ibrahim moussa mamadou
    amadou ousmane boubacar issa souleymane cheikh seydou lamine idrissa kofi kwame diego carlos josé
    manuel antonio joão joao miguel pedro luis rui paulo fernando giovanni giuseppe marco luca matteo
    andrea francesco alessandro stefano dimitri ivan igor sergei serguei andreï piotr tomasz marek
    wei li chen hiroshi kenji minh thanh nguyen van huy tuan duc jonas felix félix lukas leon kilian
    killian tristan timothée titouan augustin côme gaspard alban amaury aymeric bertrand benoit
    marie jeanne françoise monique catherine nathalie isabelle sylvie jacqueline anne martine nicole
    christine sandrine valérie véronique sophie céline stéphanie christiane suzanne madeleine
    simone denise louise yvonne germaine hélène sandra émilie emilie julie aurélie laetitia laëtitia
    caroline virginie delphine patricia corinne brigitte dominique chantal danielle danièle colette
    claire camille léa manon chloé emma inès jade louise alice lina rose anna mila julia ambre
    agathe juliette zoé zoe lola léna lena eva sarah sara clara charlotte margaux mathilde pauline
    marine lucie océane oceane laura audrey justine elodie élodie mélanie melanie marion morgane
    amandine anaïs anais alexandra vanessa jessica cindy coralie estelle fanny florence gaëlle
    gwendoline karine magali myriam nadia nadine noémie ophélie perrine rachel sabrina séverine
    solène solenn tiphaine vanina yasmine yasmina fatima fatoumata aïcha aicha khadija leila leïla
    samia sonia nora naima amira salma meryem myriam malika karima farida rania djamila kenza
    aminata awa mariam mariama fatou binta adja ndeye maria ana ines isabel beatriz catarina lucia
    giulia francesca chiara elena olga natalia tatiana anastasia svetlana irina katarzyna agnieszka
    mei ling hoa lan linh thi anne-marie marie-claude marie-christine marie-france marie-thérèse
    marie-hélène marie-laure marie-pierre marie-josé anne-sophie anne-laure marie-anne
    jennifer stella victoire capucine apolline héloïse heloise constance albane bérénice berenice
    clémence clemence margot lou romane maëlys maelys louna nina elsa iris alix adèle adele célia
    celia éloïse eloise gabrielle garance jeanne josephine joséphine lise lisa maya mia romy salomé
    salome thaïs victoria yaëlle valentine mélissa melissa léonie leonie axelle manuela
    gilles gilbert alfred albert émile emile edouard édouard eugène ernest fernand gaston léon
    lucien marcel norbert octave roland sylvain thibault thibaut tanguy erwan ewen goulven killian
    fabienne josiane jocelyne ginette huguette odette paulette arlette mireille annie évelyne evelyne
    béatrice beatrice agnès agnes geneviève genevieve marguerite thérèse therese renée lucienne
    yvette raymonde éliane eliane liliane michèle michele francine nelly régine regine claudine"""
)


def _load_allowlist(path: Path) -> frozenset[str]:
    """Referent-editable words and phrases never reported as PERSON (one per line, ``#`` comments)."""
    if not path.exists():
        return frozenset()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), 0, f"not valid UTF-8 ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), 0, f"cannot read file ({exc.strerror})")]) from None
    entries = set()
    for line in lines:
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.add(" ".join(fold(w) for w in entry.split()))
    return frozenset(entries)


@dataclass(frozen=True)
class PersonScores:
    """Score per kind of evidence; cue-backed names score above bare NER (see models/pipeline.yaml)."""

    cue: float = 0.95
    label: float = 0.9
    signature: float = 0.9
    upper_case: float = 0.85
    ner: float = 0.85
    first_name: float = 0.6
    ner_weak: float = 0.45


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    name_tokens: tuple[str, ...]


class FrenchPersonRecognizer(LocalRecognizer):
    """PERSON from spaCy PER spans (cleaned) plus French cues; see the module docstring for why."""

    def __init__(
        self,
        allowlist_file: Path | None = None,
        scores: PersonScores | None = None,
        supported_language: str = "fr",
    ) -> None:
        self.scores = scores or PersonScores()
        self.allowlist = _load_allowlist(allowlist_file) if allowlist_file else frozenset()
        self._stopwords = _BUILTIN_STOPWORDS | {w for w in self.allowlist if " " not in w}
        super().__init__(
            supported_entities=[ENTITY], supported_language=supported_language, name="FrenchPersonRecognizer"
        )

    def load(self) -> None:
        """Nothing to load: spaCy runs once in the NLP engine and hands us its entities."""

    # -- Presidio entry point -------------------------------------------------------------------
    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """All PERSON spans in ``text``: NER (cleaned) plus cue-, label-, signature-, CSV-backed names."""
        if entities and ENTITY not in entities:
            return []
        found: dict[tuple[int, int], tuple[float, str]] = {}

        def add(start: int, end: int, score: float, why: str) -> None:
            if fold(text[start:end]) in self.allowlist:
                return
            if found.get((start, end), (-1.0, ""))[0] < score:
                found[(start, end)] = (score, why)

        if nlp_artifacts is not None:
            for ent in nlp_artifacts.entities:
                if ent.label_ not in (ENTITY, "PER"):
                    continue
                for run in self._clean(text, ent.start_char, ent.end_char):
                    score = self._ner_score(text, run)
                    if score is not None:
                        add(run.start, run.end, score, "ner")
        for rx, score, why in (
            (_CUE_RX, self.scores.cue, "cue"),
            (_LABEL_RX, self.scores.label, "label"),
            (_SIGNATURE_RX, self.scores.signature, "signature"),
        ):
            for m in rx.finditer(text):
                for run in self._clean(text, m.start("name"), m.end("name")):
                    add(run.start, run.end, score, why)
        for start, end in self._upper_case_names(text):
            add(start, end, self.scores.upper_case, "upper_case")
        for start, end in self._csv_names(text):
            add(start, end, self.scores.label, "csv")
        for start, end in self._lone_first_names(text):
            add(start, end, self.scores.first_name, "first_name")
        return [self._result(start, end, score, why) for (start, end), (score, why) in sorted(found.items())]

    def _result(self, start: int, end: int, score: float, why: str) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.name, original_score=score, textual_explanation=f"person name ({why})"
        )
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )

    # -- cleaning ---------------------------------------------------------------------------------
    def _is_stopword(self, token: str) -> bool:
        key = fold(token)
        return key in self._stopwords or key in _CUE_WORDS

    def _clean(self, text: str, start: int, end: int) -> list[_Run]:
        """Cut a candidate span into runs of name tokens; drop cue words, labels, imperatives, greetings.

        A run may hold lower-case particles between name tokens ("Jean de la Fontaine") but must hold
        at least one token that is not a particle, and never crosses a line break.
        """
        runs: list[_Run] = []
        current: list[tuple[int, int, str, bool]] = []  # (start, end, token, is_particle)

        def flush() -> None:
            while current and current[-1][3]:
                current.pop()
            names = tuple(tok for _, _, tok, particle in current if not particle)
            if names and any(fold(t) not in _PARTICLES for t in names):
                runs.append(_Run(current[0][0], current[-1][1], names))
            current.clear()

        prev_end = start
        for m in _TOKEN_RX.finditer(text, start, end):
            raw = m.group()
            lead = len(raw) - len(raw.lstrip(_STRIP_CHARS))
            tok = raw.strip(_STRIP_CHARS)
            if _INITIAL_FULL.fullmatch(raw.rstrip(",;:")):
                tok, lead = raw.rstrip(",;:"), 0
            t_start = m.start() + lead
            t_end = t_start + len(tok)
            if _BREAK_GAP.search(text, prev_end, m.start()) or (lead and current):
                flush()
            prev_end = m.end()
            if not tok:
                flush()
                continue
            if fold(tok) in _PARTICLES and tok.islower() and current:
                current.append((t_start, t_end, tok, True))
            elif _NAME_TOKEN_FULL.fullmatch(tok) and not self._is_stopword(tok):
                current.append((t_start, t_end, tok, False))
            else:
                flush()
                continue
            if len(tok) < len(raw) - lead:  # trailing punctuation (",", ".", ":") ends the name
                flush()
        flush()
        return runs

    def _ner_score(self, text: str, run: _Run) -> float | None:
        """Score of a cleaned NER run, or None to drop it.

        Two name tokens or a known first name: the NER score. One unknown word: full score inside a
        sentence, low score at the start of a sentence or line, and dropped when it looks like an
        imperative ("Rédige un mail", "Synthétise : ...") - the model's typical French mistake.
        """
        tokens = run.name_tokens
        if len(tokens) >= 2:
            return self.scores.ner
        token = tokens[0]
        if fold(token) in _AMBIGUOUS_FIRST_NAMES:
            return (
                self.scores.ner_weak
            )  # "ChatGPT et Claude": a product until a cue or a surname says otherwise
        if _is_first_name(token):
            return self.scores.ner
        if _UPPER_FULL.fullmatch(token) and (len(token) <= 3 or fold(token) in _ACRONYMS):
            return None
        before = text[max(0, run.start - 40) : run.start].rstrip(" \t\u00a0\"'«“(*-•>#")
        previous = fold(before).split()[-1:] if before else []
        if previous and previous[0] in _NAMED_THING_WORDS:
            return self.scores.ner_weak  # "la loi Climat", "le plan Marshall": a thing named after a word
        at_start = not before or before[-1] in ".!?:;\n\r"
        if not at_start:
            return self.scores.ner
        after = text[run.end : run.end + 40]
        next_word = re.match(r"[\s\u00a0]*([^\s\u00a0]+)", after)
        if next_word is None or next_word.group(1)[0] in ":-–0123456789":
            return None
        word = next_word.group(1)
        if fold(word) in _AFTER_IMPERATIVE or fold(word.split("'")[0] + "'") in _AFTER_IMPERATIVE:
            return None
        return self.scores.ner_weak

    # -- extra evidence -----------------------------------------------------------------------------
    def _upper_case_names(self, text: str) -> Iterable[tuple[int, int]]:
        """ "DUPONT Jean" / "Jean DUPONT": an upper-case family name next to a known first name."""
        for rx in (_UPPER_THEN_FIRST_RX, _FIRST_THEN_UPPER_RX):
            for m in rx.finditer(text):
                upper, first = m.group("upper"), m.group("first")
                if not _is_first_name(first) or self._is_stopword(first):
                    continue
                if any(fold(w) in _ACRONYMS or self._is_stopword(w) for w in upper.split()):
                    continue
                yield m.start(), m.end()

    def _lone_first_names(self, text: str) -> Iterable[tuple[int, int]]:
        """A capitalised known first name the model missed ("Réponds à Margaux", "Bonjour Julie,").

        Skipped after a street or institution word ("rue Victor Hugo", "lycée Jean Moulin"), and for
        first names that are also common words or product names in prompts ("Claude", "Rose").
        """
        for m in _CAP_TOKEN_RX.finditer(text):
            token = m.group()
            key = fold(token)
            if key not in FIRST_NAMES or key in _AMBIGUOUS_FIRST_NAMES or self._is_stopword(token):
                continue
            before = fold(text[max(0, m.start() - 25) : m.start()]).split()
            if before and (before[-1] in _PLACE_WORDS or before[-1].endswith("-")):
                continue
            yield m.start(), m.end()

    def _csv_names(self, text: str) -> Iterable[tuple[int, int]]:
        """Cells under a ``Nom`` / ``Prénom`` column of a CSV-like table (``;``, ``,``, tab or ``|``)."""
        lines = _lines_with_offsets(text)
        i = 0
        while i < len(lines):
            header = _csv_header(lines[i][1])
            if header is None:
                i += 1
                continue
            sep, columns, width = header
            i += 1
            while i < len(lines):
                row_start, row = lines[i]
                if not row.strip() or row.count(sep) < width - 1:
                    break
                for index, (cell_start, cell) in enumerate(_split_cells(row, sep)):
                    if index in columns and _looks_like_name_cell(cell) and not self._is_stopword(cell):
                        yield row_start + cell_start, row_start + cell_start + len(cell)
                i += 1


_INITIAL_FULL = re.compile(_INITIAL)
_CAP_TOKEN_RX = re.compile(rf"(?<![\w'’-]){_CAP_WORD}(?![\w'’-])")
#: First names that are also words or AI products in prompts: only NER or a cue makes them a person.
_AMBIGUOUS_FIRST_NAMES = _words(
    "claude france rose olive ambre jade iris constance victoire lou mila capucine"
)
#: A lone capitalised word right after these names a thing, not a person ("loi Climat", "offre Pro").
_NAMED_THING_WORDS = _words(
    """loi lois plan projet programme opération prix salon marque label dispositif réforme stratégie
    méthode norme application appli logiciel outil plateforme offre pack formule gamme produit modèle
    version campagne fonds accord pacte traité grenelle agenda"""
)
#: A first name right after these is part of a street, school or hospital name, not a person.
_PLACE_WORDS = _words(
    """rue avenue av boulevard bd place quai allée impasse chemin route square cours lycée collège école
    hôpital clinique stade gymnase parc pont gare métro station saint sainte st ste espace centre salle
    résidence fondation institut université campus"""
)
_NAME_HEADERS = {
    "nom",
    "prenom",
    "prenoms",
    "nom de famille",
    "nom complet",
    "nom prenom",
    "prenom nom",
    "nom et prenom",
    "patronyme",
    "nom d'usage",
    "nom de naissance",
    "first name",
    "firstname",
    "last name",
    "lastname",
    "surname",
    "full name",
    "name",
}


_GENERIC_NAME_HEADERS = {"nom", "name", "nom complet", "full name"}
_PERSON_HEADERS = {
    "civilite",
    "email",
    "e mail",
    "mail",
    "courriel",
    "telephone",
    "tel",
    "portable",
    "mobile",
    "matricule",
    "poste",
    "fonction",
    "service",
    "date de naissance",
    "naissance",
    "adresse",
    "salarie",
    "employe",
    "collaborateur",
    "age",
    "sexe",
    "nir",
    "phone",
    "title",
}


def _is_first_name(token: str) -> bool:
    key = fold(token)
    return key in FIRST_NAMES or any(part in FIRST_NAMES for part in key.split("-") if len(part) > 2)


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def _split_cells(row: str, sep: str) -> list[tuple[int, str]]:
    """Cells of a row with their offsets, stripped of blanks and quotes (offsets point at the value)."""
    cells, pos = [], 0
    for raw in row.split(sep):
        stripped = raw.strip().strip("\"'").strip()
        offset = raw.find(stripped) if stripped else 0
        cells.append((pos + offset, stripped))
        pos += len(raw) + len(sep)
    return cells


def _csv_header(line: str) -> tuple[str, set[int], int] | None:
    """(separator, name column indexes, column count) if ``line`` is a header naming a Nom/Prénom column."""
    for sep in (";", "\t", "|", ","):
        if sep not in line:
            continue
        cells = [
            fold(c).replace("_", " ").replace("-", " ").replace("/", " ") for _, c in _split_cells(line, sep)
        ]
        cells = [" ".join(c.split()) for c in cells]
        columns = {i for i, c in enumerate(cells) if c in _NAME_HEADERS}
        if not columns or len(cells) < 2:
            continue
        # "Nom;Prix" lists products: a bare "nom"/"name" column counts only next to a first-name
        # column or a column that only people have (e-mail, phone, employee number...).
        generic = {i for i in columns if cells[i] in _GENERIC_NAME_HEADERS}
        if generic == columns and not any(c in _PERSON_HEADERS for c in cells):
            continue
        return sep, columns, len(cells)
    return None


def _looks_like_name_cell(cell: str) -> bool:
    return (
        bool(cell)
        and len(cell) <= 60
        and bool(re.fullmatch(rf"[{_UP}{_LO}'’\- .]+", cell))
        and cell[0].isalpha()
    )
