"""PERSON: people's names in French text, from spaCy's NER cleaned up and from French cues.

Why not Presidio's SpacyRecognizer alone: measured on French business prompts, the French model tags
imperative verbs ("Rédige", "Traduis") and form labels ("Prénom", "Nom") as PER, glues a label to the
next line's name ("Jean\\nNom"), reads "DUPONT Jean" as a place, tags company names ("Horizon
Logistique") and lone capitalised words ("Metz", "Océan") as people, cuts names short ("Franck" for
"Franck Camus") and gives every entity the same 0.85. This recognizer therefore:

* cleans each NER PER span (whole words only, cut at line breaks and punctuation, drop cue words,
  imperatives, form labels, greetings and the referents' ``rules/allowlist.txt``), and scores it by
  what backs it: two name words or a known first name or family name keep the NER score; a lone
  unknown word, a place ("Metz", "salle Voltaire") or a word after "loi"/"projet" score below the
  usual 0.5; a span holding a company word ("Bâtiment", "Conseil", "SARL"...) is dropped;
* adds names the model misses, backed by French cues, which score higher than bare NER:
  civilities and titles ("M.", "Mme", "Maître", "Dr"...), labels in forms and in structured text
  ("Nom : Dupont", ``"nom": "Dupont"``, ``client_name=...``, YAML ``name:``), role labels ("Salarié :",
  "Client :", "Patient :"... when the value looks like a person), greetings ("Bonjour Julie,"),
  signatures ("Cordialement,\\nJean Dupont", a known first name alone on the last line), CSV and
  Markdown tables under a ``Nom;Prénom`` or ``Client;Société`` header, upper-case family names next
  to a first name ("DUPONT Jean", "GALLET-PICHON Lorraine"), and, at a lower score, a known first
  name the model missed ("Réponds à Margaux");
* adds rare names where office messages put them and the model sees a place or nothing: whom to
  call, pay or speak to ("Appelle Zdzimir au 06…", "demande à Khadidja si…"), whose personal matter
  ("le pot de départ de Tancrède Boisson"), a first name in brackets after "M. Doyon", the speaker of
  a timed transcript line; and keeps the person in charge of a thing ("le chef de projet Marc
  Lemoine") apart from a thing named after someone ("la salle Jean Moulin");
* extends every span over the adjacent parts of the name: capitalised or upper-case words,
  hyphenated parts and particles ("Yves Garcia de la Weiss", "Lucie Blot-Rousset",
  ``"nom": "de la Martin"``), so that redaction never leaves a family name in clear;
* finds the other mentions of a name once found ("Bérangère Douillard" ... "Bérangère relance"),
  which matters for the names no word list knows.

Known first names, family names and places come from ``models/prenoms.txt``, ``models/noms.txt`` and
``models/villes.txt`` (built by ``models/make_wordlists.py``), on top of the first names below.
The result span is the name only (never the cue), so that redaction keeps "M. <PERSON>" readable.
"""

from __future__ import annotations

import bisect
import logging
import lzma
import re
import unicodedata
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect.recognizers.base import FOLD_TABLE
from dlp_proxy.detect.tables import (
    CELL_SEPARATORS,
    COMPANY_HINT_RX,
    company_header,
    csv_header,
    lines_with_offsets,
    split_cells,
)
from dlp_proxy.errors import ConfigError, ConfigProblem

logger = logging.getLogger(__name__)

ENTITY = "PERSON"


def _letter_class(upper: bool) -> str:
    """Regex class body of the Latin letters of one case: ASCII, Latin-1, Latin Extended-A/B and
    Latin Extended Additional, so that "Ćosić", "Ștefan", "Ōta" or "Nguyễn" are names like "Émile"."""
    ranges = [(0x41, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)]
    chars = [
        chr(c)
        for lo, hi in ranges
        for c in range(lo, hi + 1)
        if chr(c).isalpha() and (chr(c).isupper() if upper else chr(c).islower())
    ]
    return "".join(re.escape(c) for c in chars)


_UP = _letter_class(upper=True)
_LO = _letter_class(upper=False)
#: A capitalised word: "Dupont", "d'Estaing", "McEnroe", "Blot-Rousset", and a compound family name with
#: its particles hyphenated inside ("Viollet-le-Duc", "Dupont-de-Nemours", "Boulay-de-la-Meurthe").
_CAP_WORD = (
    rf"(?:[{_UP}][{_LO}]*['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?"
    rf"(?:-(?:(?:de|du|des|la|le|les)-)*[{_UP}][{_LO}]+)*"
)
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
# A value in a field may start with particles: "nom": "de la Martin".
_FIELD_NAME = rf"(?:(?:de{_SP}+la|de|du|des|le|la|van|von){_SP}+)?{_NAME}"

#: A word of letters that may be a name whatever its case ("Khadidja", "aksil", "Blot-Rousset"): the
#: words a cue points at are read with it, then judged one by one (``_leading_name_words``).
_ANY_NAME_WORD = r"[^\W\d_]{2,}(?:['’-][^\W\d_]+)*"

_NAME_TOKEN_FULL = re.compile(rf"(?:[dl]['’])?{_NAME_TOKEN}")
#: A name typed in lower case inside a span the model tagged PER ("relance marc overmars", "ćosić").
_LOWER_WORD = rf"[{_LO}]{{2,}}(?:['’-][{_LO}]+)*"
_LOWER_TOKEN_FULL = re.compile(_LOWER_WORD)
#: The same, or a family name after an elided "de" ("bonjour marie d'angelo").
_LOWER_NAME_TOKEN_FULL = re.compile(rf"(?:d['’])?{_LOWER_WORD}")
_UPPER_FULL = re.compile(_UPPER_WORD)
_CAP_FULL = re.compile(_CAP_WORD)
#: A compound first name typed with its second part in lower case ("Jean-marc", "Marie-france"): a name
#: word when INSEE's list holds the compound.
_LOWER_PART_FIRST_NAME = re.compile(rf"[{_UP}][{_LO}]+(?:-[{_LO}]{{2,}})+")
#: A family name with an Arabic article or a filiation word glued by a hyphen ("el-Amrani", "al-Hassan",
#: "ben-Ali", "ould-Abdallah").
_ARTICLE_FAMILY_NAME = re.compile(
    rf"(?:al|el|ul|ad|ed|an|ar|as|ash|at|az|es|os|ben|bin|bou|abu|ibn|ould)-[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)*"
)

_CUE_RX = re.compile(
    rf"(?<![\w.])(?:(?:(?i:monsieur|madame|mademoiselle)|MM?\.|Mmes?\.?|Mlles?\.?){_SP}+"
    # a civility takes a family name's particle: "M. de Tréville", "Mme d'Ornano", "Madame de La Tour"
    # (not a title's complement: "professeur de Français", "Maître de Conférences")
    rf"(?:(?:de(?:{_SP}+la)?|du){_SP}+|d['’])?"
    rf"|(?:(?i:docteur|professeur|ma[iî]tre)|Me|Dr\.?|Pr\.?){_SP}+"
    # "M.Dupont", "Mme.Okafor": the abbreviation's dot glued to the name, as typed in a hurry
    rf"|(?:MM?|Mmes?|Mlles?|Dr|Pr)\.(?=[{_UP}][{_LO}]{{2}}))(?P<name>{_NAME})"
)

#: A first name in brackets right after a civility's name: "M. Doyon (Célian)", "Mme KAPPLER (Amani)",
#: "M. mann (eyline)" (applied where the civility's name ends).
_BRACKETED_FIRST_NAME_RX = re.compile(rf"{_SP}*\({_SP}*(?P<name>{_ANY_NAME_WORD}){_SP}*\)")
#: Where a sentence opens: the text's or a line's start, after a full stop, or after a dialogue dash.
_SENTENCE_START = rf"(?:^|(?<=[.!?…]{_SP})|(?<=\n)|(?<=[-–—]{_SP}))"
#: A family name with its elided particle opening a sentence, before the verb: "D'Ornano a validé le
#: devis", "D'Artagnan salua" (the model reads "D'" as a word and often tags nothing there).
_ELIDED_SUBJECT_RX = re.compile(
    rf"{_SENTENCE_START}D['’](?P<name>[{_UP}][{_LO}]{{2,}})(?={_SP}+[{_LO}])",
    re.MULTILINE,
)
#: A word that opens a sentence (maybe after "Puis", "Et", "Alors", "Mais"; a family after "Les"; with
#: its capitalised particle: "Du Roy", "Van Damme"), then the word after it:
#: :meth:`FrenchPersonRecognizer._verb_subjects` says whether that word is a verb, which makes the first
#: one its subject ("Rasseneur fermait la maison", "Grandet ne répondit rien", "Les Maheu dînèrent").
_SUBJECT_RX = re.compile(
    rf"{_SENTENCE_START}(?:(?:Puis|Et|Alors|Mais){_SP}+)?"
    # a family's name takes no plural "s" ("Les Maheu", not "Les Carpenters"); its particle is
    # capitalised, and so is the name after it ("Du Roy"; "Le"/"La" open companies: "La Juventus")
    rf"(?:[Ll]es{_SP}+(?=[{_UP}][^\W\d_]*[^\W\d_s]\b))?(?P<name>(?:(?:Du|De|Van|Von|Di|Da){_SP}+(?=[{_UP}]))?"
    rf"(?P<word>[{_UP}{_LO}][{_LO}]{{2,}}(?:-[{_UP}{_LO}][{_LO}]{{2,}})?)){_SP}+"
    rf"(?P<next>[{_LO}]+(?:['’][{_LO}]+)?)(?:{_SP}+(?P<third>[{_LO}]+))?",
    re.MULTILINE,
)
#: A verb of saying after the words it quotes, then who says them ("– Je le sais, répondit Aramis", "« Le
#: devis est signé », a précisé Kowalczyk"): the dialogue's speaker, in fiction and in quoted reports.
_SPEAKER_RX = re.compile(
    rf"(?<=[,!?…»]){_SP}*(?:a{_SP}+)?"
    r"(?:dit|disait|dirent|demanda|demandait|demandé|répondit|répondait|répondu|reprit|reprenait"
    r"|s['’]écria|s['’]exclama|cria|criait|murmura|murmurait|ajouta|ajoutait|ajouté|répliqua"
    r"|répliquait|balbutia|bégaya|soupira|continua|poursuivit|interrompit|hurla|gronda|répéta|insista"
    r"|observa|objecta|lança|souffla|grogna|conclut|explique|expliqua|expliqué|précise|précisa|précisé"
    r"|raconte|raconta|confie|confia|confié)"
    # the name as typed, capitalised or not ("répondit aramis": French does not know the word)
    rf"{_SP}+(?P<name>(?:[dD]['’])?[{_UP}{_LO}][{_LO}]{{2,}}(?:-[{_UP}{_LO}][{_LO}]{{2,}})?)(?![\w'’-])"
)
#: Endings of a verb in the third person of the past, the future or the conditional ("fermait",
#: "regardèrent", "répondit", "parut", "reprendra"): never a name's and rarely a noun's.
_PAST_OR_FUTURE_VERB_RX = re.compile(
    r"[a-zàâçéèêëîïôûùü]{2,}(?:aient|ait|èrent|irent|urent|rent|rait|ront|[^aeiouy]a|[^aeiouy]it|ut|int)"
    r"|dit|fit|fut|vit|prit|mit|eut|sut|dut"
)
#: Words between a subject and its verb: the negation, a reflexive or object pronoun ("Grandet ne
#: répondit rien", "Chaval l'avait conduite", "Bournisien la défendit").
_BEFORE_VERB = frozenset("ne n' se s' lui leur l' la le les me m' y en".split())

#: A civility or a doctor's title typed before a name in lower case ("Bonjour Madame mandrillon", "mme
#: dieux", "Monsieur melchior baffert", "rdv avec le dr. kowalczyk"): up to three lower-case words, a
#: particle maybe first ("Madame le hir", "Monsieur di marco"); "m." in lower case too, not after a
#: number ("m. walter"; not "5 m. de long"); :meth:`FrenchPersonRecognizer._lower_cue_names` says
#: which are the name.
_LOWER_CUE_RX = re.compile(
    rf"(?<![\w.])(?:(?i:monsieur|madame|mademoiselle|mme|mlle|mmes|mlles|dr)\.?|MM?\.|(?<!\d{_SP})m\.){_SP}+"
    rf"(?P<name>[{_LO}]{{2,}}(?:['’-][{_LO}]+)*(?:{_SP}+[{_LO}]{{2,}}(?:['’-][{_LO}]+)*){{0,2}})"
    rf"(?![\w'’-])"
)
#: Who introduces themself: "Je m'appelle Soham Ponte", "je me nomme…", "Mon nom est Belhadi", "mon
#: prénom c'est…", "My name is…"; what follows is a name whatever it means ("Je m'appelle Paris").
_SELF_INTRODUCTION = (
    rf"(?i:je{_SP}+m['’]appelle|je{_SP}+me{_SP}+nomme|mon{_SP}+(?:pr[ée])?nom{_SP}+(?:est|c['’]est)"
    rf"|my{_SP}+name{_SP}+is|my{_SP}+name['’]s)"
)
_SELF_NAMED_RX = re.compile(rf"(?<![\w'’])(?:{_SELF_INTRODUCTION}){_SP}+(?P<name>{_NAME})")
_LOWER_SELF_NAMED_RX = re.compile(
    rf"(?<![\w'’]){_SELF_INTRODUCTION}{_SP}+"
    rf"(?P<name>[{_LO}]{{2,}}(?:['’-][{_LO}]+)*(?:{_SP}+[{_LO}]{{2,}}(?:['’-][{_LO}]+)*){{0,2}})"
    rf"(?![\w'’-])"
)

# -- labels: "Nom : Dupont", "nom": "Dupont", client_name=Dupont, YAML "name: Dupont" -----------------
_W = r"[ _\-]?"  # between the words of a key: "first name", "first_name", "firstName", "first-name"
#: Keys whose value is a person's name whatever it looks like.
_NAME_KEYS = (
    rf"nom{_W}(?:de{_W}famille|d['’]usage|de{_W}naissance|de{_W}jeune{_W}fille|complet|et{_W}pr[ée]noms?"
    rf"|{_W}pr[ée]noms?|du{_W}client|client|du{_W}contact|contact|du{_W}salari[ée]|salari[ée]"
    rf"|de{_W}l['’]employ[ée]|employ[ée]|du{_W}patient|patient|du{_W}titulaire|titulaire"
    rf"|du{_W}b[ée]n[ée]ficiaire|b[ée]n[ée]ficiaire|de{_W}l['’]assur[ée]|du{_W}locataire|locataire)"
    rf"|pr[ée]noms?(?:{_W}(?:et{_W})?nom)?|patronyme|nom{_W}/{_W}pr[ée]noms?|pr[ée]noms?{_W}/{_W}nom"
    rf"|identit[ée]|first{_W}names?|given{_W}names?|last{_W}names?|family{_W}names?|surnames?"
    rf"|full{_W}names?|(?:client|customer|contact|employee|patient|user|account{_W}holder|holder"
    rf"|beneficiary|tenant|driver){_W}names?|titulaire{_W}du{_W}compte"
)
#: Keys naming a role: their value is a person when it looks like one ("Salarié : GALLET-PICHON Lorraine").
#: Roles only a person holds, as keys: "Salarié :", "Nom du stagiaire :" (not "Responsable :", which a
#: department may be).
_PERSON_ROLE_NOUNS = (
    r"salari[ée]e?|collaborat(?:eur|rice)|interlocut(?:eur|rice)|signataire|patiente?|b[ée]n[ée]ficiaire"
    r"|titulaire|locataire|conduct(?:eur|rice)|employ[ée]e?|candidate?|demandeu(?:r|se)|assur[ée]e?"
    r"|souscript(?:eur|rice)|stagiaire|apprentie?|alternante?|intervenante?"
    r"|technicien(?:ne)?|conjointe?|[ée]poux|[ée]pouse|tut(?:eur|rice)"
)
_PERSON_ROLE_KEYS = (
    rf"{_PERSON_ROLE_NOUNS}"
    r"|excus[ée]e?s?|absente?s?|pr[ée]sente?s|ayant[ _\-]droits?|attribu[ée]e?[ _\-][àa]"
    r"|ayant[ _\-]droit|r[ée]dact(?:eur|rice)"
    r"|requester|reporter|assignee|employee|tenant|responsable|manager|r[ée]f[ée]rente?|gestionnaire"
    r"|(?:valid[ée]e?|sign[ée]e?|[ée]mise?|suivie?|pr[ée]par[ée]e?|approuv[ée]e?|r[ée]dig[ée]e?"
    r"|attribu[ée]e?|assign[ée]e?|affect[ée]e?)[ _\-](?:par|[àa])"
)
#: A role label, its colon, then its value to the end of the line ("Excusée : barry onno", "Présents :
#: anatole sapet, seta tavernier"): :meth:`FrenchPersonRecognizer._lower_role_values` reads its items.
_LOWER_ROLE_RX = re.compile(
    rf"(?:^|(?<=[\s(,;]))(?P<key>(?i:{_PERSON_ROLE_KEYS}){_SP}*:){_SP}*[^\n]{{1,200}}", re.MULTILINE
)
#: A verb of reaching someone, one or two words, then how to reach them: "Appelle Zdzimir au 06 98 14 21
#: 68", "Prévenir ilvana au service paie", "contacte meiront au poste 2231", "joindre Brazan sur son
#: portable".
#: The words are read by :meth:`FrenchPersonRecognizer._contact_names`.
_CONTACT_RX = re.compile(
    r"(?<![\w'’-])(?i:r?appelle[rz]?|r?appeler|pr[ée]vien[ts]|pr[ée]venez|pr[ée]venir|contacte[rz]?"
    r"|joins|joignez|joindre|avertis|avertissez|avertir)"
    rf"{_SP}+(?P<name>{_ANY_NAME_WORD}(?:{_SP}+{_ANY_NAME_WORD})?)"
    rf"{_SP}+(?=(?i:au|sur){_SP}+(?:\+?\d|(?i:(?:le|son|sa){_SP}+)?(?i:service|poste|num[ée]ro|standard"
    r"|portable|mobile|fixe|bureau|t[ée]l[ée]phone|t[ée]l)\b))"
)
#: A word, "à", then one or two words: a verb of speaking ("Tu peux demander à Khadidja si…", "écris à
#: aksil que…") makes them whom it speaks to (the verb is checked against ``_SPEAK_TO_VERBS``).
_ADDRESSED_RX = re.compile(
    rf"(?<![\w'’-])(?P<verb>[^\W\d_]{{2,}}){_SP}+[àa]{_SP}+"
    rf"(?P<name>{_ANY_NAME_WORD}(?:{_SP}+{_ANY_NAME_WORD})?)"
)
#: A person's own matter, then whose it is: "Pot de départ de Tancrède Boisson", "la mutuelle de Lowan
#: Sanglier", "le numéro de Kassim", "Accident du travail de Musab Ruez". Only nouns of a person's life
#: at work or at home: not "contrat", "dossier", "promotion", "remplacement", which companies and
#: products have too.
_PERSONAL_MATTER_RX = re.compile(
    rf"(?:(?<=[lL]['’])|(?<![\w'’-]))(?i:anniversaire|pot{_SP}+de{_SP}+d[ée]part|d[ée]part{_SP}+[àa]{_SP}+la{_SP}+retraite"
    rf"|mutuelle|arr[êe]t{_SP}+(?:maladie|de{_SP}+travail)|cong[ée]s?|absences?"
    rf"|accident{_SP}+d[ue]{_SP}+travail|num[ée]ro|portable|t[ée]l[ée]phone|cv|candidature|salaire"
    rf"|fiche{_SP}+de{_SP}+paie|bulletin{_SP}+de{_SP}+(?:paie|salaire)|entretien{_SP}+annuel"
    rf"|licenciement|d[ée]mission|embauche|mariage|naissance|d[ée]c[èe]s|obs[èe]ques|badge"
    rf"|notes?{_SP}+de{_SP}+frais|p[ée]riode{_SP}+d['’]essai|rupture{_SP}+conventionnelle"
    rf"|visite{_SP}+m[ée]dicale|dossier{_SP}+m[ée]dical|parents|enfants|m[èe]re|p[èe]re|mari"
    rf"|manager|horaires|primes?|voiture{_SP}+de{_SP}+fonction|signature|dossier{_SP}+de{_SP}+retraite"
    rf"|rendez-vous|rdv"
    rf"|parrain|marraine|tut(?:eur|rice)|lettre{_SP}+de{_SP}+motivation|rempla[çc]ante?|planning"
    rf"|identifiants|mot{_SP}+de{_SP}+passe|e-?mail|mail|courriel|rib"
    rf"|[ée]pouse|[ée]poux|conjointe?|veuve|famille)"
    rf"{_SP}+(?:de{_SP}+|d['’])(?P<name>{_ANY_NAME_WORD}(?:{_SP}+{_ANY_NAME_WORD}){{0,2}})"
)
#: The parties of a case, either side of "c/" (contre): "le dossier Tournoux c/ Sofradis", "Dupont c/
#: Martin Lefort"; read by :meth:`FrenchPersonRecognizer._party_names`.
_PARTY_BEFORE_RX = re.compile(rf"(?<![\w'’-])(?P<name>{_ANY_NAME_WORD}){_SP}+c/(?={_SP})")
_PARTY_AFTER_RX = re.compile(
    rf"(?<![\w'’-])c/{_SP}+(?P<name>{_ANY_NAME_WORD}(?:{_SP}+{_ANY_NAME_WORD}){{0,2}})"
)
#: An item of a list value: up to a comma, a semicolon, "et", a bracket or the end.
_LIST_ITEM_SPLIT_RX = re.compile(
    r"(?<![^\s,;:(])[^\s,;:()<>\[\]\"«»]+(?:[ \u00a0](?!et\b|ou\b|née?\b)[^\s,;:()<>\[\]\"«»]+)*"
)
#: Keys whose value is a person or an organisation: a person only with a known name in it.
_MIXED_ROLE_KEYS = (
    r"clients?|clientes?|contacts?|destinataires?|propri[ée]taire|bailleur|aut(?:eur|rice)|customer|owner"
    r"|author|user|utilisat(?:eur|rice)|exp[ée]dit(?:eur|rice)|acheteu(?:r|se)|vendeu(?:r|se)"
    r"|commerciale?|avocate?|notaire|m[ée]decin|g[ée]rante?|dirigeante?|pr[ée]sidente?|direct(?:eur|rice)"
    r"|chef(?:fe)?[ _\-]de[ _\-]projet|membres?|participante?s?|invit[ée]e?s?|parrain|marraine"
    r"|repr[ée]sentante?(?:[ _\-]l[ée]gale?)?"
)
#: "Nom du stagiaire :" names a person whatever the value looks like; so does the name of the deceased,
#: a child, a pupil, a student.
_PERSON_ROLES = rf"{_PERSON_ROLE_NOUNS}|d[ée]funte?|enfant|[ée]l[èe]ve|[ée]tudiante?"
#: A key of a label, matched on the words just before a separator (see _labelled_names).
_KEY_RX = re.compile(
    # the name of a person's role is a name key too: "Nom du stagiaire", "Nom de la candidate"
    rf"(?i:(?P<namekey>{_NAME_KEYS}|nom{_W}(?:du|de{_W}la|de{_W}l['’]|d['’]){_W}(?:{_PERSON_ROLES}))"
    rf"|(?P<generic>nom|name|noms|names)|(?P<role>{_PERSON_ROLE_KEYS})|(?P<mixed>{_MIXED_ROLE_KEYS}))"
)
#: The separator of a label and the value after it: ``: ``, `` = ``, ``": "``, ``=>``.
#: Never starts inside a run of blanks (the match from the run's first blank is the same): otherwise each
#: blank of a long run re-scans the rest of it, quadratic (8 000 spaces took 0.3 s).
_LABEL_VALUE_RX = re.compile(
    rf"(?:(?<!{_SP})|(?!{_SP}))(?P<q>[\"'`]?){_SP}*+(?P<sep>:|=>?){_SP}*+[\"'`]?(?P<name>{_FIELD_NAME})"
)
#: Keys of a first name: "prénom", "first_name", "givenName".
_FIRST_NAME_KEYS = r"pr[ée]noms?|first[ _\-]?names?|given[ _\-]?names?"
#: A value typed in lower case after a label's separator, up to where the value ends (a quote, a comma,
#: a bracket, the line's end): ``"prenom": "chidi"``, ``user_name="chidi okonkwo"``, YAML ``nom: okonkwo``.
_LOWER_VALUE_RX = re.compile(
    rf"(?::|=>?){_SP}*+[\"'`]?"
    rf"(?P<name>[{_LO}]{{2,}}(?:['’-][{_LO}]+)*(?: [{_LO}]{{2,}}(?:['’-][{_LO}]+)*){{0,3}})"
    rf"(?=[\"'`]|{_SP}*+(?:[,;}}\]\)<]|$))",
    re.MULTILINE,
)
#: An XML element holding text: ``<nom>okonkwo</nom>``, ``<ns:firstName type="x">Chidi</ns:firstName>``.
_XML_FIELD_RX = re.compile(
    r"<(?:[A-Za-z_][\w.-]{0,30}:)?(?P<key>[A-Za-z_][\w.-]{0,40})(?:\s[^<>]{0,200})?>"
    r"\s*(?P<name>[^<>\n]{1,80}?)\s*</(?:[A-Za-z_][\w.-]{0,30}:)?(?P=key)>"
)
#: A first-name element near a generic ``<nom>``/``<name>`` (same record).
_XML_FIRST_NAME_NEAR = re.compile(rf"(?i)<(?:\w+:)?(?:{_FIRST_NAME_KEYS})[\s>]")
#: A column of an SQL insert that makes a generic "nom" a person's: a first name or a civility.
_FIRST_NAME_COLUMN_RX = re.compile(rf"(?i:{_FIRST_NAME_KEYS}|civilit[ée]|salutation)[\"'`]?\s*$")
#: ``INSERT INTO t (col, …) VALUES`` — the rows after it are read by :meth:`_sql_names`.
_SQL_INSERT_RX = re.compile(
    r"(?i)\binsert\s+into\s+[\w.`\"\[\]]{1,80}\s*\((?P<cols>[^()]{1,2000})\)\s*values\s*"
)
#: One row of values: ``(`` then literals (quoted strings with '' inside, or anything up to , or ``)``).
_SQL_ROW_START_RX = re.compile(r"\s*,?\s*\(")
_SQL_VALUE_RX = re.compile(r"\s*(?:'(?P<s>(?:[^']|'')*)'|[^,()']*)\s*(?P<end>[,)])")
#: Where a key may start: a letter after a blank, a quote, "{", "," or the line start.
_KEY_START_RX = re.compile(r"(?<![\w\-])[^\W\d_]")
#: E-mail headers at the start of a line: "De : Jean Dupont <jean@...>".
_HEADER_RX = re.compile(
    rf"(?m)^[ \t>]*(?i:de|[àa]|from|to|cc|exp[ée]diteur|envoy[ée] par){_SP}*:{_SP}*[\"']?(?P<name>{_NAME})"
)
#: Keys beside a generic "nom"/"name" that make it a person's name (same JSON object, YAML block...).
_FIRST_NAME_KEY_NEAR = re.compile(rf"(?i:{_FIRST_NAME_KEYS}|civilit[ée]|salutation)[\"'`]?\s*[:=]")
_PERSON_KEY_NEAR = re.compile(
    r"(?i:e-?mail|courriel|t[ée]l[ée]phone|t[ée]l|phone|mobile|portable|date[ _\-]?de[ _\-]?naissance"
    r"|birth[ _\-]?date|dob|matricule|adresse|address)[\"'`]?\s*[:=]"
)

_CLOSINGS = (
    r"(?:bien\s+|tr[eè]s\s+)?cordialement|sinc[eè]rement|(?:sinc[eè]res\s+|meilleures\s+)?salutations(?:\s+distingu[ée]es)?"
    r"|bien\s+[àa]\s+(?:vous|toi)|[àa]\s+bient[ôo]t|amicalement|respectueusement|bonne\s+(?:journ[ée]e|soir[ée]e)"
    r"|merci(?:\s+d['’]avance|\s+par\s+avance|\s+beaucoup)?|bises|bisous|best\s+regards|regards"
)
_SIGNATURE_RX = re.compile(
    rf"(?im)^[ \t]*(?:{_CLOSINGS})[ \t]*[,.!]?[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*(?P<name>(?-i:{_NAME}))"
)
#: The last line of a text, a name alone (after "A+" or a closing at most): a signature.
_LAST_LINE_HEAD = r"\n[ \t]*(?:(?P<closing>(?i:a\+|@\+|bises|amiti[ée]s|merci|cordialement))[ \t]*,?[ \t]*)?"
#: A closing and a name ending a message written on one line: "… pour le dossier. A+ Tancrède »".
_INLINE_CLOSING_HEAD = r"[.!?][ \t]+(?P<closing>(?i:a\+|@\+|bises|amiti[ée]s|cordialement))[ \t]*,?[ \t]*"
#: What may follow a signature to the end of the text.
_SIGNED_TAIL = r"[ \t]*[.!]?[ \t]*[»\"”]?\s*$"
_LAST_LINE_RX = re.compile(rf"{_LAST_LINE_HEAD}(?P<name>{_NAME}){_SIGNED_TAIL}")
_INLINE_CLOSING_RX = re.compile(rf"{_INLINE_CLOSING_HEAD}(?P<name>{_NAME}){_SIGNED_TAIL}")
#: The same typed in lower case (read by ``_lower_signature``): one to three words, particles between.
_LOWER_SIGNED = (
    rf"(?P<name>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?"
    rf"(?:[ \t]+(?:(?:de|du|le|la|van|von|di|da|dos)[ \t]+)?[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?){{0,2}})"
)
_LOWER_LAST_LINE_RX = re.compile(rf"{_LAST_LINE_HEAD}{_LOWER_SIGNED}{_SIGNED_TAIL}")
_LOWER_INLINE_CLOSING_RX = re.compile(rf"{_INLINE_CLOSING_HEAD}{_LOWER_SIGNED}{_SIGNED_TAIL}")
#: A line that opens a message to someone ("Bonjour, je conteste…", "« Salut Paul, …").
_MESSAGE_OPENING_RX = re.compile(r"[ \t«\"“]*(?i:bonjour|bonsoir|salut|coucou|hello|madame|monsieur)\b")
_CLOSING_LINE_RX = re.compile(rf"(?<![\w'’-])(?i:{_CLOSINGS})[ \t]*[,.!]?\Z")
#: "Bonjour Capucine,", "Chère Solange,", "Salut Lila !", "Merci Julie."
_GREETING_RX = re.compile(
    rf"(?<![\w])(?i:bonjour|bonsoir|salut|coucou|hello|hi|hey|cher|ch[èe]re|merci|bravo|f[ée]licitations)"
    rf"(?:{_SP}+(?i:[àa]))?{_SP}+(?P<name>{_NAME})(?={_SP}*(?:[,!?.;:\n\r]|$))"
)
#: Greetings and verbs of address before a name typed in lower case: "bonjour marie dupont,",
#: "relance jean-pierre martin pour ...", "écris à sophie". Only a known first name starts such a name.
_ADDRESS_RX = re.compile(
    r"(?<![\w])(?i:bonjour|bonsoir|salut|coucou|hello|hey|cher|ch[èe]re|merci|bravo|f[ée]licite"
    r"|relancer?|rappeler?|rappelle|appeler?|appelle|contacter?|joindre|pr[ée]viens|pr[ée]venir|invite[rz]?"
    r"|convoquer?|remercier?|[ée]cris|[ée]crire|r[ée]ponds|r[ée]pondre|envoie|envoyer|transmets|transmettre"
    r"|demande|demander|de\s+la\s+part\s+de|signé|sign[ée]e)"
    r"(?:[ \u00a0]+(?i:[àa]|au|aux))?[ \u00a0]+"
    rf"(?P<first>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?)(?:[ \u00a0]+(?P<last>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?))?"
    r"(?![\w'’-])"
)
#: A capitalised word right before a position (searched in the text before it).
_AFTER_CAPITALISED_RX = re.compile(rf"[{_UP}][^\s]*[ \u00a0]+$")
#: Two words typed in lower case, after a blank or an elided "d'": a first name and what may be a
#: family name ("bruno ganz", "l'album d'alicia keys").
_LOWER_PAIR_RX = re.compile(
    rf"(?:(?<![\w'’-])|(?<=(?<![\w'’-])[dD]['’]))(?P<first>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?)"
    rf"(?=[ \u00a0]+(?P<last>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?)(?![\w'’-]))"
)
_ARTICLES = frozenset("le la les un une des du au aux ce cette ces mon ma mes ton ta tes son sa ses".split())
#: Nouns that name a person by their role, before the name itself: "l'acteur hugh laurie", "le
#: philosophe allemand heidegger", "sa partenaire jelena", "son ami proche river phoenix".
_ROLE_NOUNS = (
    "acteur|actrice|chanteur|chanteuse|rappeur|rappeuse|danseur|danseuse|musicien|musicienne|guitariste"
    "|batteur|bassiste|pianiste|violoniste|compositeur|compositrice|peintre|sculpteur|sculptrice|écrivain"
    "|écrivaine|poète|poétesse|romancier|romancière|auteur|autrice|philosophe|historien|historienne"
    "|journaliste|réalisateur|réalisatrice|producteur|productrice|cinéaste|dessinateur|dessinatrice"
    "|footballeur|footballeuse|joueur|joueuse|boxeur|boxeuse|catcheur|catcheuse|entraîneur|entraîneuse"
    "|ministre|sénateur|sénatrice|député|députée|empereur|impératrice|prince|princesse|roi|reine|pharaon"
    "|sultan|général|amiral|frère|sœur|soeur|fils|fille|époux|épouse|mari|cousin|cousine|oncle|tante"
    "|neveu|nièce|ami|amie|collègue|partenaire|coéquipier|coéquipière|adversaire|avocat|avocate"
    "|comédien|comédienne|humoriste|animateur|animatrice|présentateur|présentatrice|scénariste|photographe"
    "|styliste|chorégraphe|mannequin|cycliste|nageur|nageuse|athlète|lutteur|lutteuse|lanceur|attaquant"
    "|attaquante|défenseur|gardien|candidat|candidate|président|présidente|chancelier|chancelière"
    "|dictateur|pape|cardinal|évêque|archevêque|abbé|prophète|satrape|tsar|calife|émir|consul|gouverneur"
    "|maire|superstar|rival|rivale|mentor|disciple|fondateur|fondatrice|biographe|inventeur|mathématicien"
    "|mathématicienne|physicien|physicienne|chimiste|astronome|aviateur|aviatrice|alpiniste|économiste"
    "|sociologue|théologien|linguiste|chirurgien|militant|militante|opposant|opposante|compagnon|compagne"
    "|fiancé|fiancée|veuve|successeur|prédécesseur|champion|championne"
)
#: Adjectives that come before a role noun ("l'ancien footballeur brésilien Leivinha", "le futur
#: champion zou shiming").
_BEFORE_ROLE = "ancien|ancienne|futur|future|jeune|célèbre|fameux|fameuse|regretté|regrettée|défunt|défunte"
_ROLE_RX = re.compile(
    r"(?<![\w'’-])(?i:le|la|l['’]|son|sa|leur|au|du|un|une|d['’]|de\s+la|ton|ta|mon|ma|notre|votre)\s*"
    rf"(?:(?i:{_BEFORE_ROLE})[ \u00a0]+)?(?i:{_ROLE_NOUNS})(?=[ \u00a0]+[{_LO}{_UP}])"
)
#: Nouns of a job in a company, before what they are in charge of: "le chef de projet Marc Lemoine",
#: "la responsable du centre Nadia Benali", "le directeur de la clinique Paul Morel". The thing or place
#: noun there ("projet", "centre") is the role's complement, not the start of a thing's name ("le projet
#: Phoenix", "la salle Jean Moulin").
_OFFICE_ROLE_NOUNS = (
    "chef|cheffe|responsable|directeur|directrice|gestionnaire|pilote|chargé|chargée|coordinateur"
    "|coordinatrice|manager|référent|référente|délégué|déléguée|administrateur|administratrice|professeur"
    "|professeure|enseignant|enseignante|ingénieur|ingénieure|technicien|technicienne|conseiller"
    "|conseillère|secrétaire|assistant|assistante|adjoint|adjointe|superviseur|superviseuse|contrôleur"
    "|contrôleuse|agent|agente|médecin|infirmier|infirmière|consultant|consultante|architecte|gérant"
    "|gérante|commercial|commerciale|interlocuteur|interlocutrice|contact|correspondant|correspondante"
    "|membre|patron|patronne|animatrice|vendeur|vendeuse|acheteur|acheteuse|formateur|formatrice"
)
#: A role and its complement right before a name: the role noun, at most one word (an adjective, a
#: department: "chef adjoint de", "responsable RH du"), a preposition and the complement's noun.
_ROLE_COMPLEMENT_RX = re.compile(
    rf"(?:(?<=[lLdD]['’])|(?<![\w'’-]))(?i:{_ROLE_NOUNS}|{_OFFICE_ROLE_NOUNS})"
    r"(?:[ \u00a0]+[\w-]+)?"
    r"(?:[ \u00a0]+(?i:de[ \u00a0]+la|de[ \u00a0]+l['’]|du|des|de|d['’]))?[ \u00a0]*[\w-]+[ \u00a0]*$"
)
#: An elided article or pronoun glued to the word ("l'acteur", "s'engage"), not a name ("o'brien").
_ELIDED = re.compile(r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]")
#: Endings of French adjectives and verb forms after a role noun ("un batteur renommé", "le philosophe
#: cynique", "la chanteuse tentera"): the first word after the role is then not a name.
_ADJECTIVE_OR_VERB = re.compile(
    r"(?:é|és|ée|ées|ant|ante|ants|antes|iste|istes|ais|aise|ique|iques|eux|euse|era|ait|aient|ment|if|ive)$"
)
#: A word after a role noun: letters, an inner hyphen or apostrophe ("o'brien", "jay-z").
_ROLE_WORD_RX = re.compile(rf"[ \u00a0]+([{_LO}{_UP}]+(?:['’-][{_LO}{_UP}]+)*)(?![\w'’-])")
# An upper-case family name, in one or two words ("DUPONT", "GALLET-PICHON", "LE BIHAN"), and the
# capitalised first name right after or right before it.
_UPPER_SEQ_RX = re.compile(rf"(?<![\w'’-]){_UPPER_WORD}(?:{_SP}{_UPPER_WORD})?(?![\w'’-])")
_CAP_AFTER_RX = re.compile(rf"{_SP}+(?P<first>{_CAP_WORD})(?![\w'’-])")
_CAP_BEFORE_RX = re.compile(rf"(?<![\w'’-])(?P<first>{_CAP_WORD}){_SP}+$")
# Words, cut at blanks and at the separators of structured text (CSV, JSON, key=value, Markdown).
_TOKEN_RX = re.compile(r"[^\s;|,\"“”«»()\[\]{}<>=/\\]+")
_STRIP_CHARS = ".,;:!?…«»\"“”‘'’()[]{}<>*_#|/\\`"
_BLANKS = frozenset(" \u00a0\u202f")

# Particles written with a capital inside a name: "Joséphine Maury Le Toussaint".
_CAP_PARTICLE_RX = r"(?:De(?:\s+[Ll]a)?|Du|Des|Le|La|Van|Von|Da|Di|Del|Della|Dos|Das|Ben|El|Al)"
# Next name part to the right of a span: blanks, optional particles, a capitalised/upper-case word.
_EXTEND_RIGHT_RX = re.compile(
    rf"{_SP}+(?P<particles>(?:(?:{_PARTICLE_RX}|{_CAP_PARTICLE_RX}){_SP}+)*)"
    rf"(?P<tok>(?:[dl]['’])?(?:{_CAP_WORD}|{_UPPER_WORD}))(?![\w'’\-])"
)
# Previous name part to the left of a span (applied to the text before it).
_EXTEND_LEFT_RX = re.compile(rf"(?<![\w'’\-])(?P<tok>{_CAP_WORD}|{_UPPER_WORD}){_SP}+$")
# The lower-case word before a lower-case name (not part of an address, a path or an identifier).
_LOWER_WORD_BEFORE_RX = re.compile(rf"(?<![\w'’\-.@/])(?P<tok>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?)[ \u00a0]+$")
# Particles that start a field's value: `"nom": "de la Martin"`, `;du Dumont;`.
_LEAD_PARTICLES_RX = re.compile(
    rf"(?:^|(?<=[\"'`:;,|=\t\n(]))[ \t]*(?P<particles>(?:(?:de|du|des|la|le|van|von|der|den){_SP}+)+)$"
)
_MAX_NAME_TOKENS = 5
#: A regnal number after a first name: "Napoléon III", "Louis XIV", "Jean-Paul II".
_REGNAL_RX = re.compile(r"[ \u00a0]+(?:X{0,3})(?:IX|IV|V?I{0,3})(?<! )(?![\w'’-])")
#: A lifespan or a birth in brackets after a word: "Confucius (551 - 479)", "Colbert (1619-1683)",
#: "Hokusai (v. 1760 - 1849)", "Tran (née en 1988)": what encyclopaedias and CVs write after a person.
_LIFESPAN_RX = re.compile(
    r"[ \u00a0]*\([ \u00a0]*(?:(?:v\.|vers|ca\.|c\.)[ \u00a0]*)?-?\d{3,4}[^()\d\n]{0,12}[-–—][ \u00a0]*"
    r"(?:(?:v\.|vers|ca\.|c\.)[ \u00a0]*)?-?\d{3,4}[^()\n]{0,15}\)"
    r"|[ \u00a0]*\([ \u00a0]*née?[ \u00a0]+(?:en|le|à)[ \u00a0]"
)

_PARTICLES = frozenset(
    "de du des la le van von der den ben bin el al da dos das di del della ter ten y d' l'".split()
)


def _glued_to_an_address(text: str, start: int, end: int) -> bool:
    """True when the span continues an e-mail address, a URL or an identifier without a space
    ("jeanne.moreau@exemple.fr", "user_jeanne"): the address is its own entity type, and a name found
    inside it would be replaced under the address's own rule."""
    after = text[end : end + 2]
    before = text[max(0, start - 2) : start]
    return (len(after) == 2 and after[0] in "@._/" and after[1].isalnum()) or (
        len(before) == 2 and before[1] in "@_/" and before[0].isalnum()
    )


@lru_cache(maxsize=8192)
def fold(word: str) -> str:
    """Case- and accent-insensitive key, so "Résume", "RESUME" and "resume" compare equal.

    Cached (bounded): a 5 KB scan folds ~3 000 words, most of them the same few hundred."""
    word = word.replace("’", "'")
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFKD", word).translate(FOLD_TABLE).casefold()


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in text.split())


#: Lower-case values under a name key that name no one: empty markers, accounts, the types of code
#: ("first_name: str", "firstName: string").
_NOT_A_NAME_VALUE = _words(
    """null none nil undefined nan true false inconnu inconnue unknown anonyme anonymous redacted masque
    masqué todo tbd xxx str string int integer text varchar char bool boolean float double number any
    object optional list dict array admin administrator administrateur root guest invité system
    service daemon nobody default demo test user utilisateur optionnel facultatif requis obligatoire
    renseigné vide"""
)


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
    lister vérifier comparer préparer synthétiser créer relancer rappeler appeler contacter prévenir
    inviter convoquer remercier répondre envoyer transmettre inscrire informer"""
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
    """bonjour bonsoir salut coucou hello hi bjr slt bsr cordialement merci remerciements salutations
    amicalement bisous bises cher chère chers chères madame monsieur mademoiselle messieurs mesdames mme
    mlle mr dr pr me ps nb pj"""
)
_ROLES = _words(
    """directeur directrice président présidente maire ministre préfet juge avocat avocate notaire
    responsable manager gérant gérante chef docteur professeur maître équipe direction département
    support rh drh dg pdg ceo cto cfo daf dsi comptable assistant assistante secrétaire commercial
    commerciale conseiller conseillère collaborateur collaboratrice salarié salariée employé employée
    candidat candidate stagiaire alternant consultant consultante utilisateur administrateur"""
)
#: An object or reflexive pronoun elided before a verb: "m'a", "l'avait", "t'envoie", "s'illustra".
_ELIDED_PRONOUN_RX = re.compile(r"^[mtls]['’](?=[aeéèêiouyh])", re.IGNORECASE)
#: Verbs of being, having and coming after a subject: "… : Kristell est malade", "… : Emran ne viendra pas".
_SUBJECT_VERBS = _words(
    "est sera était a aura avait ne arrive arrivera part partira revient reviendra viendra vient rappellera"
)
#: Feasts a personal matter may be "of" ("les congés de Noël"): not whose matter it is.
_HOLIDAYS = _words("noel paques toussaint pentecote ascension assomption carnaval ramadan aid hanoucca")
_CALENDAR = _words(
    """lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars juin juillet août
    septembre octobre novembre décembre"""
)
# Function words that start a sentence and that the model glues to the name after them ("Pour
# MONTAGNE-BIDAULT Ghislaine", "Avec Paul").
_FUNCTION_WORDS = _words(
    """pour avec sans chez par dans selon après avant depuis entre vers contre mais donc car quand comme
    lorsque puis alors ainsi aussi voici voilà hier demain aujourd'hui cette ces notre nos votre vos
    leur leurs chaque tout toute tous toutes et ou"""
)
#: Titles of nobility before a name with a particle ("le comte de vaudrec", "la duchesse d'Uzès").
_NOBLE_TITLES = _words(
    """comte comtesse vicomte vicomtesse baron baronne duc duchesse marquis marquise prince princesse
    chevalier roi reine"""
)
#: Subject pronouns: never part of a name, even capitalised after one ("Merci Marie Vous trouverez…");
#: not "tu" nor "il", which are ("Tự Đức", "Kim Jong Il").
_SUBJECT_PRONOUNS = _words("je elle nous vous ils elles")
_BUILTIN_STOPWORDS = (
    _IMPERATIVES | _FORM_LABELS | _GREETINGS | _ROLES | _CALENDAR | _FUNCTION_WORDS | _SUBJECT_PRONOUNS
)
#: Stop words that are also family names ("Vos", "Lister", "Mars"): after a first name, inside a span
#: the model tagged PER, more of the name.
_FAMILY_LIKE_STOPWORDS = _IMPERATIVES | _CALENDAR | _FUNCTION_WORDS
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
#: Object pronouns between a subject and its verb ("Dupuis les a envoyés"), which after an imperative
#: are articles ("Rédige les comptes rendus").
_OBJECT_PRONOUNS = frozenset("le la les leur lui y en".split())
#: Forms of "avoir" and "être" as written (unfolded: "a" is not "à").
_AUXILIARY_FORMS = frozenset(
    "a avait aura aurait ont avaient auront est était sera serait sont étaient".split()
)
_ACRONYMS = _words(
    """tva ht ttc sas sasu sarl sa eurl sci pme tpe eti rh drh dsi daf ceo cto cfo pdg dg cdi cdd pdf
    url api it si erp crm kpi roi rgpd cnil urssaf insee siren siret iban bic rib nir tel fax cv ok faq
    rse ia ai llm gpt sql csv xml json html http https ue eu usa fr uk nb pj ps cc cci tbd asap rdv"""
)
#: Words that make a span a company, a brand or a product rather than a person ("Horizon Logistique",
#: "Atelier Mercure", "Dupont SARL"). Nouns of trades, not the family names made from them
#: ("Boulangerie", not "Boulanger").
_COMPANY_WORDS = _words(
    """sas sasu sarl sa eurl sci snc scop gie selarl inc ltd llc gmbh ag bv nv spa srl plc corp co cie
    groupe group holding industrie industries industriel industrielle bâtiment btp construction
    constructions travaux santé logistique logistics chimie chemicals atelier ateliers événements
    évènements events services conseil conseils consulting consultants distribution transports
    transport immobilier immobilière foncière studio studios formation formations assurances
    assurance mutuelle banque bank crédit agricole caisse finance finances capital invest gestion
    emballages emballage télécom télécoms telecom énergie énergies energy maintenance paysage paysages
    facility facilities logiciels logiciel software solutions technologies technology tech systèmes
    systems informatique digital numérique data cloud web media médias communication marketing design
    architecture ingénierie engineering environnement recyclage pharma pharmacie laboratoire
    laboratoires labs auto automobiles motors garage électrique electric électricité électronique
    agence agency associés partners avocats notaires hôtel hotel hôtellerie restaurant brasserie café
    boulangerie pâtisserie boucherie charcuterie traiteur épicerie fromagerie optique librairie
    boutique magasin market marché supermarché hypermarché fondation association institut université
    école lycée collège clinique hôpital imprimerie menuiserie plomberie nettoyage propreté sécurité
    négoce trading import export international diffusion édition éditions productions voyages
    tourisme aviation airlines airways nautique coopérative viticole vins caves fleurs jardins bois
    métal métallerie acier béton matériaux peintures toiture charpente chauffage climatisation
    plastiques plastique papeterie fournitures équipements équipement matériel outillage machines
    robotique composants textile cosmétiques beauté coiffure fils frères maison business pro premium
    lite records pictures entertainment publishing worldwide films trucks games interactive networks
    magazine ventures holdings brewing brewery"""
)
#: Words after which a capitalised word names a thing, not a person ("loi Climat", "offre Pro").
_NAMED_THING_TEXT = """loi lois plan projet programme opération prix salon marque label dispositif réforme
    stratégie méthode norme application appli logiciel outil plateforme offre pack formule gamme produit
    modèle version campagne fonds accord pacte traité grenelle agenda gare aéroport rapport étude
    baromètre sondage enquête"""
_NAMED_THING_WORDS = _words(_NAMED_THING_TEXT)
#: The same nouns as spelled, accents included: a name folds onto one of them ("Loïs": "lois").
_NAMED_THING_SPELLED = frozenset(_NAMED_THING_TEXT.split())
#: Words after which a lower-case word ending like an infinitive, then an article, is a verb and its
#: object ("merci de checker le backlog", "pense à booker la salle"), not a name.
_BEFORE_INFINITIVE = _words("de d' à pour sans avant après")
#: Nouns of computer systems whose name follows ("le compte deploy", "la branche hotfix"): a lower-case
#: word the model tags PER after them is that name, not a person (unless a cue says otherwise).
_SYSTEM_THING_WORDS = _words(
    """compte utilisateur user fichier dossier répertoire branche serveur service commande statut status
    erreur code variable champ table colonne module paquet package option tag bouton onglet menu page
    site lien mot"""
)
#: A first name right after these is part of a street, school or hospital name, not a person.
_PLACE_WORD_TEXT = """
    rue avenue av boulevard bd place quai allée impasse chemin route square cours lycée collège école
    hôpital clinique stade gymnase parc pont gare métro station saint sainte st ste espace centre salle
    résidence fondation institut université campus aéroport port musée théâtre cinéma bâtiment
    san santa são sao mer baie lac mont golfe île cap pointe col vallée"""
_PLACE_WORDS = _words(_PLACE_WORD_TEXT)
#: Capitalised words after a greeting that are not names ("Hello World!", "Bonjour Team,").
_NOT_GREETED = _words(
    "world monde team everyone everybody all guys folks there tous toutes amis collègues beaucoup encore"
    " infiniment bien"
)
#: A lower-case word of a name (for its other mentions).
_LOWER_TOKEN_RX = re.compile(rf"(?<![\w'’-])[{_LO}]{{3,}}(?:-[{_LO}]{{2,}})*(?![\w'’-])")
#: Chat sign-offs and abbreviations that end a message without naming anyone.
_CHAT_SIGN_OFFS = _words("thanks thank thx tks cdlt cordialt bisous bises ciao bye byebye mdr ptdr lol")
#: Assistants addressed by name in prompts ("Merci Claude, ..."): not a person after a greeting.
_ASSISTANTS = _words("claude alexa siri cortana bard grok")
#: A user handle in a pasted chat: "@jodi : …" opening a line (a speaker of the transcript, ``speaker``),
#: "@jean.dupont" elsewhere. Not part of an e-mail address (a letter or digit right before the "@").
_HANDLE_RX = re.compile(
    r"(?:(?P<line>^[ \t]*(?:\[[^\]\n]{1,20}\][ \t]*)?)|(?<=[\s(\[,;]))@"
    r"(?P<handle>[^\W\d_][\w.'-]{0,40}[^\W_]|[^\W\d_])(?![\w@])"
    r"(?P<speaker>(?(line)[ \t\u00a0]*:))?",
    re.MULTILINE,
)
#: A line of a transcript pasted with its time, then its speaker: "[10:42] Kaiss Stumpf : ok",
#: "[05/12/2026 10:42] Lea: ok", "10:42 - Lea : ok" (read by ``_chat_speakers``).
_TIMED_SPEAKER_RX = re.compile(
    r"^[ \t]*(?:\[[^\]\n]{0,12}\d{1,2}[:h]\d{2}(?::\d{2})?\]|\d{1,2}[:h]\d{2}(?::\d{2})?[ \t]*[-–])[ \t]*"
    r"(?P<name>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,2})[ \t]*:(?!\d)",
    re.MULTILINE,
)
#: Handles of channels, roles, bots and tools, and the keys of logs, code and docs that start with
#: "@" ("@timestamp: …", "@param", "@media"), not people; nor are the AI assistants ("@claude").
_HANDLE_NOT_PEOPLE = _ASSISTANTS | _words(
    """here channel everyone all tous toutes admin admins administrateur root bot bots team equipe
    support helpdesk dev devs ops devops sre qa ci cd infra security securite rh hr compta finance
    direction sales ventes marketing contact info noreply no reply system systeme timestamp version
    type id context metadata value param params return returns throws author see since deprecated
    override example media import charset namespace schema jenkins github gitlab dependabot renovate
    slackbot sentry datadog pagerduty jira"""
)
#: Keywords of programming languages that no name holds: the model sometimes calls a line of code
#: a person ("public void run", "func handle").
_CODE_WORDS = _words(
    """void func def fn const async await null nil bool boolean struct enum impl extends implements
    public private protected static class return import export typeof instanceof lambda println
    printf elif throws"""
)
#: AI models named by family and tier ("Claude Sonnet", "Claude 3.5 Haiku", "Mistral Large", "Gemini
#: Flash"): prompts that go through an AI proxy name them all the time, and "Claude" is a first name,
#: "Sonnet" a word French does not know, so the model and the name rules read a person there. A name
#: found inside one is dropped; "Claude Martin" or "Claude Sonnet-Rivière" are not model names.
_AI_MODEL_RX = re.compile(
    r"(?<![\w-])(?:claude|mistral|gemini|gpt|chatgpt|llama|copilot|perplexity|grok|qwen|gemma|phi"
    r"|deepseek|codestral|mixtral|command|le[ \u00a0]chat)"
    r"(?:[ \u00a0-]+\d+(?:[.,]\d+)*[a-z]?)?"  # "Claude 3.5 Sonnet", "Llama 3.1", "GPT-4o"
    r"(?:[ \u00a0-]+(?:sonnet|opus|haiku|instant|code|large|medium|small|tiny|nano|flash|lite|pro|ultra"
    r"|advanced|nemo|saba|mini|turbo|preview|coder|vision|enterprise|max|plus|reasoner|r\+?))+"
    r"(?![\w-])",
    re.IGNORECASE,
)
#: First names that are also words, places or products in prompts: only NER with a family name, a
#: cue, a greeting or a signature makes them a person. Known places are added from models/villes.txt.
_AMBIGUOUS_FIRST_NAMES = _words(
    """claude france rose olive ambre jade iris constance victoire lou mila capucine aurore marine
    lorraine alexandrie alexandria noël victoria madison eden roman loan line max jan pascal julia
    prudence céleste blanche ange modeste espérance océane"""
)

# Common first names in France (INSEE civil registry, several generations and origins), built in so
# that the recogniser works without models/prenoms.txt, which extends them.
_BUILTIN_FIRST_NAMES = _words(
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


def _lower_stopwords() -> frozenset[str]:
    """French stop words (spaCy's list) and our function words: never a lower-case name token."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(fold(w) for w in STOP_WORDS) | _BUILTIN_STOPWORDS


_LOWER_STOPWORDS = _lower_stopwords()
#: Nouns of business prompts before "de X": X is a company, a brand or a place, not a person.
_BUSINESS_NOUN_TEXT = """
    offre offres devis facture factures note notes site sites compte comptes commande commandes
    contrat contrats produit produits service services équipe équipes agence agences magasin magasins
    boutique catalogue tarif tarifs prix client clients fournisseur fournisseurs groupe société
    filiale bureau bureaux siège usine entrepôt locaux marque logo application appli logiciel
    plateforme rapport résultats chiffre ventes action actions cours titre bilan budget projet
    programme stratégie direction département service rayon gamme modèle version licence abonnement
    campagne salon stand réseau franchise enseigne chaîne banque assurance mutuelle cabinet
    étude audit proposition appel dossier livraison livraisons expédition stock stocks ville région
    mairie préfecture département commune gare aéroport port hôtel restaurant centre ligne"""
_BUSINESS_NOUNS = _words(_BUSINESS_NOUN_TEXT)
#: Business nouns of records that people own as often as companies ("le dossier de Nakamura", "la
#: facture de Guerrero"): right before "de", they leave the slot to the model's PER.
_RECORD_NOUNS = _words("dossier dossiers contrat contrats facture factures note notes devis compte comptes")
#: Words after which a lone capitalised word is a person as often as a thing: prepositions,
#: conjunctions, pronouns, titles ("selon", "avec", "et", "par", "roi"). Not "de" nor "chez", which
#: name companies as often ("les offres de Castorama", "chez Decathlon"), nor "à", which names places
#: ("séminaire à Laval", "à Roland-Garros").
_PERSON_SLOT_WORDS = _words(
    """avec par selon pour contre entre sur sous et ou ni mais comme que qu' dont
    dit dite nommé nommée appelé appelée épouse épousé fils fille père mère frère sœur
    soeur roi reine empereur impératrice pape saint sainte prince princesse duc duchesse comte
    comtesse baron général président présidente ministre docteur maître lui elle chez
    poète poétesse écrivain écrivaine auteur autrice romancier romancière essayiste philosophe
    historien historienne journaliste chanteur chanteuse rappeur rappeuse acteur actrice
    comédien comédienne musicien musicienne guitariste bassiste batteur pianiste violoniste
    compositeur compositrice peintre sculpteur photographe réalisateur réalisatrice producteur
    productrice joueur joueuse entraîneur partenaire coéquipier coéquipière adversaire rival
    voisin voisine ami amie amis ennemi collègue associé associée mari femme veuve cousin cousine
    oncle tante neveu nièce prophète sultan émir calife pharaon amiral capitaine lieutenant colonel
    commandant sergent seigneur chevalier évêque abbé cardinal chef"""
)


#: Verbs of speaking to someone: after them, "à" and one or two words that could be a name are whom
#: they speak to even where the model tags nothing ("demande à Khadidja si…"); not the verbs of
#: ``_ADDRESS_VERBS`` that also take a thing or a company ("propose à Zagato", "référence à Citroën").
_SPEAK_TO_VERBS = _words(
    """réponds répondez répondre écris écrivez écrire demande demandez demander dis dites dire parle
    parlez parler téléphone téléphonez téléphoner explique expliquez expliquer annonce annoncez
    annoncer rappelle rappelez rappeler"""
)
#: Verbs of address (those of speaking, and of sending, confirming, telling…): after them, "à"
#: introduces the person addressed when the model tags one ("réponds à Okonkwo", "demande à nwosu de
#: valider"), not a place. Participles of sending ("envoyé à", "transmis à") are left out:
#: things are sent to places too. So are the verbs and nouns whose object after "à" is a person:
#: permission, succession, homage, reference, reproach, attribution, allegiance ("permet à Okonkwo
#: de", "succède à Trajan", "en référence à Samson", "on attribue à Solon", "allégeance à Hirohito").
_ADDRESS_VERBS = _SPEAK_TO_VERBS | _words(
    """répondu envoie envoyez transmets transmettez demandé dit parlé téléphoné expliqué propose
    proposez proposer proposé confirme confirmez confirmer confirmé signale signalez signaler signalé
    annoncé indique indiquez indiquer indiqué précise précisez préciser précisé rappelé permet
    permettent permettez permettre permettant permis permise succède succèdent succéder succédé
    succédant succèdera succédera succéderont hommage référence références reproche reprochez reprocher
    reproché attribue attribuent attribuant attribuer attribua allégeance réponse message mail courrier
    lettre pense pensé pensez penser pensant pensa songe songé songeant songer songea confie confié
    confier confiait confia"""
)
#: Words after which a lone unknown capitalised word is a place or a thing until a cue says otherwise
#: ("à Margate", "dans Dus", "le Spodek", "de Leroy Merlin"); after any other word the model's PER
#: is kept ("le poète Xénophon", "l'affirme Plutarque").
_THING_SLOT_WORDS = _words(
    """à a au aux en dans le la les l un une des du de d sur vers depuis jusqu ce cet cette ces
    son sa ses notre nos votre vos leur leurs mon ma mes"""
)


def _models_dir() -> Path:
    from dlp_proxy.paths import default_models_dir

    return default_models_dir()


def _read_wordlist(
    path: Path, flag: str | None = None, limit: int | None = None, lower_words: bool = False
) -> frozenset[str]:
    """Folded entries of a ``models/*.txt`` word list (one per line, ``#`` comments); empty if absent.

    A tab starts extra columns (the INSEE frequency class, ``mot``); with ``flag``, only the entries
    that carry it in a column; with ``limit``, only the first ``limit`` entries (the lists are in
    INSEE frequency order, most frequent first); with ``lower_words``, only the entries written as
    lower-case words (a list that keeps case: "Hugh" is a name, "pilote" a word).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        logger.warning("word list %s not found: PERSON detection uses its built-in lists only", path)
        return frozenset()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), 0, f"cannot read word list ({exc})")]) from None
    out = set()
    for line in lines:
        columns = line.split("#", 1)[0].split("\t")
        entry = columns[0].strip()
        if not entry or (lower_words and not (entry.isalpha() and entry == entry.lower())):
            continue
        if limit is not None:
            limit -= 1
            if limit < 0:
                break
        if flag is None or flag in (c.strip() for c in columns[1:]):
            out.add(" ".join(fold(w) for w in entry.split()))
    return frozenset(out)


def _read_dictionary(path: Path) -> array[int] | None:
    """The CRC-32 of every entry of an xz word list (``models/french_words.txt.xz``), sorted.

    A dictionary of ~372 000 words as a set of strings would cost ~40 MB in every detector worker;
    as sorted 32-bit checksums it is 1.5 MB, looked up by bisection (read through numpy, so that
    loading does not make a worker's peak either). Two words share a checksum about
    once in 10 000 lookups of an unknown word, which only makes that word count as French: the
    dictionary can make a word less likely to be a name, never more. ``None`` if the file is absent
    (every word then counts as French, as before the list existed).
    """
    try:
        with lzma.open(path, "rb") as lines:
            checksums = numpy.fromiter(
                (zlib.crc32(line.rstrip(b"\n")) for line in lines if not line.startswith(b"#")),
                dtype=numpy.uint32,
            )
    except FileNotFoundError:
        logger.warning("dictionary %s not found: lower-case names need a cue to be found", path)
        return None
    except (OSError, lzma.LZMAError, EOFError) as exc:
        raise ConfigError([ConfigProblem(str(path), 0, f"cannot read dictionary ({exc})")]) from None
    return array("I", numpy.unique(checksums).tobytes())


_MODELS = _models_dir()


#: Common French word forms, lower case (models/frequent_words.txt, counted in UD French text): a word
#: of these after a role noun is a word of the sentence ("le pilote automatique"), not a name.
_COMMON_WORDS = _read_wordlist(_MODELS / "frequent_words.txt", lower_words=True)
#: French words, folded (models/french_words.txt.xz, spaCy's French lemmatizer tables): a lower-case
#: word the model calls a person is kept only when French does not know it ("l'affirme plutarque",
#: not "mail de bienvenue").
_FRENCH_WORDS = _read_dictionary(_MODELS / "french_words.txt.xz")


#: Words of French prompts that the French dictionary does not hold — English of office and IT speech,
#: chat abbreviations: typed in lower case, the model sometimes calls them persons ("updater le doc de
#: specs", "jsp si la facture est passée").
_PROMPT_JARGON = _words(
    """jsp stp svp bcp dsl rdv tkt mdr pb pbs pr qqch qqn qq pk pcq mtn cad fyi btw imo
    spec specs backlog backlogs hotfix hotfixes rollback rollbacks staging preprod onboarding
    offboarding roadmap roadmaps deploy deploys merge merges rebase push build builds fix fixes feature
    features feat changelog readme kickoff standup daily weekly asap slides deck webinar webinars
    forecast lead leads churn kpi kpis okr okrs scrum kanban devops devsecops sre ops dev devs qa uat
    mvp poc saas paas iaas sdk sdks cli repo repos frontend backend fullstack workflow workflows
    dashboard dashboards template templates tooling runbook playbook playbooks postmortem checklist
    benchmark benchmarks timeline timesheet payroll pricing upsell insights growth reviewer reviewers
    updater checker booker forwarder releaser team teams building brainstorming meeting meetings call
    calls conf call visio feedback coaching reporting follow refacto refactorer refactoriser debugger
    débugger product owner owners manager managers master analyst analysts officer account accounts
    sales customer success business head key recette recettes"""
)


#: A letter outside French spelling (its 26 letters, their accents, "æ" and "œ").
_NOT_FRENCH_LETTER_RX = re.compile(r"[^\W\d_a-zA-ZàâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ]")


def is_french_word(word: str) -> bool:
    """Whether ``word`` (any case and accents) is a word of French text: in the dictionary, a common
    form, or prompt jargon (``_PROMPT_JARGON``)."""
    key = fold(word)
    if key in _COMMON_WORDS or key in _PROMPT_JARGON or _FRENCH_WORDS is None:
        return True
    if _NOT_FRENCH_LETTER_RX.search(word):
        return False  # "repeša", "ivanović": a letter French does not write, whatever folds onto
    if "œ" in key or "æ" in key:
        # the dictionary spells the ligatures out ("choeur", "noeud"); typed "chœur", "nœud" they are
        # the same words, not unknown ones
        return is_french_word(key.replace("œ", "oe").replace("æ", "ae"))
    checksum = zlib.crc32(key.encode("utf-8"))
    i = bisect.bisect_left(_FRENCH_WORDS, checksum)
    return i < len(_FRENCH_WORDS) and _FRENCH_WORDS[i] == checksum


def _is_common_word(key: str) -> bool:
    """Whether the folded ``key`` is a frequent word form or prompt jargon ("jsp", "facture")."""
    return key in _COMMON_WORDS or key in _PROMPT_JARGON


def _is_plain_word(word: str) -> bool:
    """Whether ``word`` reads as ordinary French rather than a name: a frequent form or prompt jargon,
    or a dictionary word that no name list holds ("demain", "support"; not "pierre", "zdzimir")."""
    return _is_common_word(fold(word)) or (is_french_word(word) and not _is_name_word(word))


def is_word_or_typo(word: str) -> bool:
    """Whether ``word`` is French, or French typed with one of the commonest slips: the apostrophe of
    an elision left out ("dhier", "lentreprise", "quil"), a last letter left out ("relir", "factur"),
    a doubled consonant typed once ("comande", "adrese").

    Read for a single word the NER finds only once capitalised (:mod:`dlp_proxy.detect.recase`): typed
    that way, such a word is a slip, not a name. Any one-letter change is too wide: the dictionary
    holds so many rare words that it reaches "millier" from "miller" and "string" from "sting".
    """
    if is_french_word(word):
        return True
    w = word.lower()
    if len(w) < 4:
        return False
    if (w[0] in "dljmnst" and is_french_word(w[1:])) or (w.startswith("qu") and is_french_word(w[2:])):
        return True
    if any(is_french_word(w + last) for last in "est"):
        return True
    return any(
        is_french_word(w[:i] + w[i] + w[i:])
        for i in range(1, len(w))
        if w[i] in "bcdfglmnprst" and w[i] != w[i - 1]
    )


@lru_cache(maxsize=1)
def _stop_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """spaCy's stop words: (all English ones; English only, less those of both languages ("on", "me",
    "as") and those that are first names ("will", "can"); French only)."""
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH

    english = frozenset(w for w in ENGLISH - FRENCH if w.isalpha() and len(w) > 1) - ALL_FIRST_NAMES
    return frozenset(ENGLISH), english, frozenset(w for w in FRENCH - ENGLISH if w.isalpha())


_WORD_RX = re.compile(r"[^\W\d_]+")


def _in_english(text: str, start: int, end: int, width: int = 60) -> bool:
    """Whether the words around ``start:end`` (``width`` characters each side, the span included)
    are English: two English stop words at least, and more of them than French ones."""
    _, english, french = _stop_words()
    around = _WORD_RX.findall(text[max(0, start - width) : end + width].lower())
    hits = sum(w in english for w in around)
    return hits >= 2 and hits > sum(w in french for w in around)


def _is_english_safe_first_name(word: str) -> bool:
    """A common first name that is not an English stop word ("sarah", "kevin"; not "will", "may",
    "can"), nor ambiguous in French ("rose"): a name on its own in lower-case English text."""
    key = fold(word)
    return key in FIRST_NAMES and key not in _AMBIGUOUS_FIRST_NAMES and word.lower() not in _stop_words()[0]


def is_name_word(word: str) -> bool:
    """Whether ``word`` is a known first name (any INSEE class) or family name."""
    key = fold(word)
    return key in ALL_FIRST_NAMES or key in LAST_NAMES


#: Business and place nouns as written, accents kept (``_is_business_or_place_noun``).
_NOUNS_AS_WRITTEN = frozenset((_BUSINESS_NOUN_TEXT + " " + _PLACE_WORD_TEXT).lower().split())


def _is_business_or_place_noun(word: str) -> bool:
    """Whether a lower-case ``word`` is a business or place noun: written as listed, or without any
    accent ("societe"); an accented word that only folds to one is another word ("marqué" is not
    "marque", "côté" is not "cote")."""
    key = fold(word)
    if key not in _BUSINESS_NOUNS and key not in _PLACE_WORDS:
        return False
    return key == word or word in _NOUNS_AS_WRITTEN


#: The role nouns, folded: a role is not a name ("le frère acteur").
_ROLE_WORDS = _words(_ROLE_NOUNS.replace("|", " "))
#: Places (communes, departments, regions): a lone "Metz" or "Lager Grenoble" is not a person.
PLACES = _read_wordlist(_MODELS / "villes.txt")


class _FirstNames(frozenset[str]):
    """Folded first names, where a compound of listed first names is one too: "jean-remy",
    "marie-martine", "pierre-alexis" are too rare for INSEE's classes, yet no less a first name than
    "Jean-Pierre". Not a compound that French or the places know ("saint-denis"), nor an adjective of
    two nations ("franco-argentine", "italo-suisse": first names both); "saint", "sainte", "st" are no
    part of one ("Saint-Louis", "Sainte-Marie").

    ``ALL_FIRST_NAMES`` (the rare class, evidence beside another name word) also holds a listed first
    name spelled otherwise (:func:`_is_spelling_variant`); :meth:`listed` leaves those out."""

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return self.listed(key) or (self is ALL_FIRST_NAMES and "-" not in key and _is_spelling_variant(key))

    def listed(self, key: str) -> bool:
        """Whether ``key`` is listed, or a compound of listed first names."""
        if frozenset.__contains__(self, key):
            return True
        if "-" not in key:
            return False
        parts = key.split("-")
        return (
            all(len(p) > 1 and p not in _SAINTS and frozenset.__contains__(self, p) for p in parts)
            and key not in PLACES
            and not is_french_word(key)
            and parts[0] not in _COMBINING_FORMS
        )


_SPELLING_RX = re.compile(r"(?<![cs])h|(.)\1+")
_SPELLING_TABLE = str.maketrans("ykz", "ics")


def _spelling_key(key: str) -> str:
    """A folded first name with the letters its spellings vary on evened out: "ph" and "f", "y" and "i",
    "k" and "c", "z" and "s", a silent "h", doubled letters, final "e"s ("Tymothé", "Annaïs", "Izaac",
    "Carolyne" read as "Timothée", "Anaïs", "Isaac", "Caroline")."""
    key = key.replace("ph", "f").translate(_SPELLING_TABLE)
    return _SPELLING_RX.sub(lambda m: m.group(1) or "", key).rstrip("e")


def _is_spelling_variant(key: str) -> bool:
    """Whether a folded word of five letters or more is a listed first name spelled otherwise, and no
    French word or place ("Tymothé"; not "Lager", which no spelling of a name reaches, nor "marine")."""
    if len(key) < 5 or key in PLACES or is_french_word(key):
        return False
    return _spelling_key(key) in _SPELLING_KEYS


#: Nouns that end an English place's name; not those that are family names too ("Bay", "Hill", "Park").
_ENGLISH_PLACE_NOUNS = frozenset(
    """island islands hills street bridge mountain mountains valley beach city county town square
    springs falls""".split()
)
_SAINTS = _words("saint sainte st ste san santa")
_COMBINING_FORMS = _words(
    "franco anglo italo germano hispano russo sino nippo belgo gallo greco austro afro indo"
)
#: First names: the built-in list above plus models/prenoms.txt.
#: First names of every class in models/prenoms.txt: evidence next to another name word ("DUPONT
#: Maëlys", "relance maëlys dupont"); FIRST_NAMES (built-ins and INSEE's common ones) count alone.
ALL_FIRST_NAMES = _FirstNames(_BUILTIN_FIRST_NAMES | _read_wordlist(_MODELS / "prenoms.txt"))
FIRST_NAMES = _FirstNames(_BUILTIN_FIRST_NAMES | _read_wordlist(_MODELS / "prenoms.txt", "common"))
_SPELLING_KEYS = frozenset(_spelling_key(n) for n in ALL_FIRST_NAMES if "-" not in n)
#: First names of other countries that INSEE's list does not hold ("Garth", "Yoshihiko", "Valdas";
#: models/prenoms_monde.txt): evidence only for a capitalised first name with one family name after it,
#: for a lower-case one before a word French does not know, as rare first names in a column of a table,
#: and in a lone contact row.
WORLD_FIRST_NAMES = _read_wordlist(_MODELS / "prenoms_monde.txt")


def _is_any_first_name(key: str) -> bool:
    """Whether the folded ``key`` is a first name of any INSEE class or of another country: the widest
    class, for places where other evidence comes with it (a table's column, a contact row, a family
    name after it)."""
    return key in ALL_FIRST_NAMES or key in WORLD_FIRST_NAMES


def _ends_a_place(before: list[str], key: str) -> bool:
    """Whether the folded word ``key``, after the folded words ``before``, ends a place of two words
    ("El Salvador", "santa monica"): a first name there is the place's."""
    return bool(before) and f"{before[-1]} {key}" in PLACES


#: First names that are also French words ("claire", "pierre", "fleur"): in lower case, a name only
#: with a known family name after it; capitalised, the rarer ones ("Fleur", "Cerise") too.
_LOWER_WORD_FIRST_NAMES = _read_wordlist(_MODELS / "prenoms.txt", "mot") | _words(
    "claire pierre marine aurore olive rose france prudence constance victoire"
)
_WORD_FIRST_NAMES = (_LOWER_WORD_FIRST_NAMES & _read_wordlist(_MODELS / "prenoms.txt", "uncommon")) - (
    _BUILTIN_FIRST_NAMES
)
#: Family names that are first of all common words or brands ("Grand Public", "Petit", "Renault"):
#: they count as names only with other evidence (a cue, a label, a first name before them).
_WORD_SURNAMES = _words(
    """grand petit blanc brun roux gros roy marchand masse parent baron comte sauvage normand breton
    boulanger chevalier fontaine moulin barre gay renault leclerc"""
) | _read_wordlist(_MODELS / "noms.txt", "mot")
#: Family names (models/noms.txt), places and common words left out.
LAST_NAMES = _read_wordlist(_MODELS / "noms.txt") - PLACES - _WORD_SURNAMES
#: Names frequent enough to make one word the model tagged PER a person on their own ("Durand",
#: "Nathalie"); a rarer name ("Milano", "Orion") is evidence only next to another name word.
_FREQUENT_NAMES = (
    (_BUILTIN_FIRST_NAMES | _read_wordlist(_MODELS / "prenoms.txt", "common"))
    | (_read_wordlist(_MODELS / "noms.txt", limit=3000) - PLACES - _WORD_SURNAMES)
) - _WORD_FIRST_NAMES
_AMBIGUOUS_FIRST_NAMES = _AMBIGUOUS_FIRST_NAMES | (ALL_FIRST_NAMES & PLACES) | _WORD_FIRST_NAMES


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
    ner_single: float = 0.55
    first_name: float = 0.6
    ner_weak: float = 0.45


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    name_tokens: tuple[str, ...]


def _is_first_name(token: str, rare: bool = False) -> bool:
    """A known first name; ``rare``: of any INSEE frequency class, for use next to other evidence."""
    names = ALL_FIRST_NAMES if rare else FIRST_NAMES
    key = fold(token)
    return key in names or any(part in names for part in key.split("-") if len(part) > 2)


def _is_last_name(token: str) -> bool:
    key = fold(token)
    return key in LAST_NAMES or ("-" in key and any(part in LAST_NAMES for part in key.split("-")))


def _in_code(text: str, run: _Run) -> bool:
    """Whether a span the model calls a person is code pasted in the prompt: lower-case words with a
    keyword of a programming language ("public void run", "func handle"), or one word called or
    indexed right after it ("w.Write(", "String[]"). A word after a dot alone is not code: "la
    réunion.Jean Dupont viendra" is a space forgotten."""
    tokens = run.name_tokens
    if all(t.islower() for t in tokens) and any(t in _CODE_WORDS for t in tokens):
        return True
    after = text[run.end : run.end + 2]
    return len(tokens) == 1 and (after[:1] == "(" or after == "[]")


def _is_short_upper(token: str) -> bool:
    """ "SKU", "RH", "XL": upper-case words of three letters or less are codes, not family names."""
    return token.isupper() and len(token) <= 3 and fold(token) not in _PARTICLES


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
        ai_models = [m.span() for m in _AI_MODEL_RX.finditer(text)]

        def add(start: int, end: int, score: float | None, why: str) -> None:
            if score is None or fold(text[start:end]) in self.allowlist:
                return
            if any(m_start <= start and end <= m_end for m_start, m_end in ai_models):
                return  # "Claude Sonnet", "Mistral Large": an AI model, not a person
            if _glued_to_an_address(text, start, end):
                return  # "jeanne.moreau@…": part of an e-mail address or an identifier, not a name
            if found.get((start, end), (-1.0, ""))[0] < score:
                found[(start, end)] = (score, why)

        tagged: list[tuple[int, int]] = []  # the model's PER spans, as it gave them
        not_people: list[tuple[int, int]] = []  # its spans of places, companies and works
        companies: list[tuple[int, int]] = []  # its ORG and MISC spans
        if nlp_artifacts is not None:
            # Presidio passes on only the labels the pipeline maps; companies (ORG) and works (MISC)
            # are in the spaCy document it keeps
            for e in getattr(getattr(nlp_artifacts, "tokens", None), "ents", ()):
                if e.label_ != "PER":
                    not_people.append((e.start_char, e.end_char))
                    if e.label_ in ("ORG", "MISC"):
                        companies.append((e.start_char, e.end_char))
            for ent in nlp_artifacts.entities:
                if ent.label_ not in (ENTITY, "PER"):
                    continue
                tagged.append((ent.start_char, ent.end_char))
                start, end = _whole_words(text, ent.start_char, ent.end_char)
                tail = self._lower_tail(text, start, end)
                if tail is not None:
                    add(tail.start, tail.end, self.scores.ner, "ner")
                for run in self._clean(text, start, end, lower_ok=True):
                    run = self._extend(text, run)
                    if all(t.islower() for t in run.name_tokens) and _in_english(text, run.start, run.end):
                        english = self._english_lower_run(text, run)
                        if english is None:
                            continue
                        run = english
                    add(run.start, run.end, self._ner_score(text, run), "ner")
        for rx, score, why in (
            (_CUE_RX, self.scores.cue, "cue"),
            (_SELF_NAMED_RX, self.scores.cue, "cue"),
            (_SIGNATURE_RX, self.scores.signature, "signature"),
        ):
            for m in rx.finditer(text):
                for run in self._clean(text, m.start("name"), m.end("name")):
                    run = self._extend(text, run)
                    if not self._has_company_word(text, run):
                        add(run.start, run.end, score, why)
        for start, end in self._lower_cue_names(text, tagged):
            add(start, end, self.scores.cue, "cue")
        for start, end, score in self._bracketed_first_names(text, found):
            add(start, end, score, "cue")
        for start, end, score in self._lower_role_values(text):
            add(start, end, score, "label")
        for start, end, score in self._contact_names(text):
            add(start, end, score, "contact")
        for start, end, score in self._personal_matter_names(text):
            add(start, end, score, "contact")
        for start, end, score in self._party_names(text):
            add(start, end, score, "contact")
        for start, end, score, why in self._labelled_names(text):
            add(start, end, score, why)
        for start, end, score, why in self._framed_names(text):
            add(start, end, score, why)
        for start, end, score, why in self._documented_names(text):
            add(start, end, score, why)
        for start, end, score in self._upper_case_names(text):
            add(start, end, score, "upper_case")
        for start, end, score in self._csv_names(text):
            add(start, end, score, "csv")
        for start, end, score in self._table_names(text):
            add(start, end, score, "table")
        for start, end in self._contact_row_names(text):
            add(start, end, self.scores.ner, "csv")
        for start, end in self._mail_header_names(text):
            add(start, end, self.scores.ner, "mail_header")
        for start, end in self._elided_subjects(text):
            add(start, end, self.scores.ner_single, "elided_subject")
        for start, end in self._verb_subjects(text, not_people):
            add(start, end, self.scores.ner_single, "subject")
        for start, end in self._quoted_speakers(text, companies):
            add(start, end, self.scores.ner_single, "speaker")
        for start, end, score in self._lower_case_names(text):
            add(start, end, score, "lower_case")
        if any(c.islower() for c in text):
            for start, end, score in self._lower_full_names(text):
                add(start, end, score, "lower_case")
        for start, end, score in self._role_names(text):
            add(start, end, score, "role")
        caps = [(m.start(), m.end(), m.group()) for m in _CAP_TOKEN_RX.finditer(text)]
        for start, end, score in self._lone_first_names(text, caps):
            add(start, end, score, "first_name")
        for start, end in self._company_cells(text):
            for span in [sp for sp, (_, why) in found.items() if why == "ner" and start <= sp[0] < end]:
                del found[span]  # "Sokhna Diop;Atlantique Froid;…" under "Client;Société;…": a company
        strong = sorted(span for span, (score, _) in found.items() if score >= 0.5)
        for start, end in self._same_names(text, strong, caps):
            add(start, end, self.scores.ner, "same_name")
        for start, end in self._same_lower_names(text, strong):
            add(start, end, self.scores.ner, "same_name")
        if nlp_artifacts is not None and strong:
            strong = sorted(span for span, (score, _) in found.items() if score >= 0.5)  # with the same names
            for start, end in self._listed_names(text, strong, nlp_artifacts.entities):
                add(start, end, self.scores.ner_single, "listed")
        if strong:
            for start, end in self._bulleted_names(text, strong):
                add(start, end, self.scores.ner_single, "listed")
            for start, end in self._inline_listed_names(text, strong):
                add(start, end, self.scores.ner_single, "listed")
        return [self._result(start, end, score, why) for (start, end), (score, why) in sorted(found.items())]

    def _listed_names(
        self, text: str, strong: list[tuple[int, int]], entities: Sequence[Any]
    ) -> Iterable[tuple[int, int]]:
        """Names listed with a person found ("Kery James, Youssoupha, Lefa", "contemporain de Claude ou
        Néron", "de Philotas, de Cleitos et de Callisthène"): the model's other entities in the list
        (a PER scored low, a LOC) are people too.

        A list is entities joined by a comma, "et" or "ou" (then "de" maybe), with a name of
        ``strong`` (sorted spans that count) among them; two joined by a comma alone are an apposition
        ("l'État, Barthélemy Boganda"), not a list. Left out: an item after an article or a place
        preposition ("la Gaule, Jules César…", "à Đà Lạt et…"), a place, a company word, a label, an AI
        assistant ("Compare Claude, Mistral et Julie Roux"). Typed in lower case, an item counts only
        with a word French does not know ("dilthey, weber, simmel et rickert"; not "racine, shakespeare").
        Presidio passes only the labels the pipeline maps (PER, LOC): companies (ORG) and works
        (MISC) never join a list of people.
        """
        items: list[tuple[int, int, bool]] = [(s, e, True) for s, e in strong]
        for ent in entities:
            s, e = _whole_words(text, ent.start_char, ent.end_char)
            if not any(a < e and s < b for a, b in strong):
                items.append((s, e, False))
        items.sort()
        lists: list[list[tuple[int, int, bool]]] = []
        for item in items:
            if lists and _LIST_JOIN_RX.fullmatch(text, lists[-1][-1][1], item[0]):
                lists[-1].append(item)
            else:
                lists.append([item])
        for listed in lists:
            if len(listed) < 2 or not any(person for _, _, person in listed):
                continue
            if len(listed) == 2 and "," in text[listed[0][1] : listed[1][0]]:
                continue
            for start, end, person in listed:
                if person or self._previous_word(text, start) in _NOT_BEFORE_LISTED:
                    continue
                for run in self._clean(text, start, end, lower_ok=True):
                    tokens = self._meaningful(run)
                    if (
                        not tokens
                        or (text[run.start : run.end].islower() and all(map(is_french_word, tokens)))
                        or self._is_stopword(tokens[0])
                        or self._has_company_word(text, run)
                        or (len(tokens) == 1 and fold(tokens[0]) in _ASSISTANTS)
                        or fold(text[run.start : run.end]) in PLACES
                        or any(fold(t) in PLACES for t in tokens)
                    ):
                        continue
                    yield run.start, run.end

    def _bulleted_names(self, text: str, strong: list[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """Names that open the items of a bulleted list in which another item opens with a person
        found: a list of contacts ("- Anne Morel (Sofradis) – amorel@…" then "- Laurick Sainsard –
        02 40 …"), where the model often runs the e-mail address of one line into the name of the next.

        An item's name is the capitalised words at its start, up to a separator (" – ", "(", ":", ",");
        it counts when the line also holds an e-mail address or a phone number and the words are a
        name by :meth:`_documented_run` (two or more), never a company word or a place: a list of
        products or tasks is not a list of contacts ("- Windows Server : migration", "- Transports
        Vidal – 01 …").
        """
        # Blocks of consecutive bullet lines, as the span of each item's name; an item whose line holds
        # no contact keeps the block together with an empty span, which neither anchors nor is found.
        items: list[list[tuple[int, int]]] = [[]]
        line_start = 0
        for line in text.splitlines(keepends=True):
            m = _BULLET_ITEM_RX.match(line)
            if m is None:
                if items[-1]:
                    items.append([])
            elif _CONTACT_VALUE_RX.search(line, m.end("item")):
                items[-1].append((line_start + m.start("item"), line_start + m.end("item")))
            else:
                items[-1].append((line_start + m.start("item"), line_start + m.start("item")))
            line_start += len(line)
        for block in items:
            if len(block) < 2 or not any(a < e and s < b for s, e in block for a, b in strong):
                continue
            for start, end in block:
                if start == end or any(a < end and start < b for a, b in strong):
                    continue
                runs = self._clean(text, start, end)
                if runs and runs[0].start == start and self._documented_run(text, runs[0], single=False):
                    yield runs[0].start, runs[0].end
                elif text[start:end].islower() and self._lower_documented(text[start:end].split()):
                    yield start, end  # "- janique parmentier – 07-98-14-14-31": typed in lower case

    def _inline_listed_names(self, text: str, strong: list[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """Names listed in running text beside a person found, that the model left out or called a
        company or a work: "Kery James, Youssoupha, Lefa", "avec Jay-Z, Rihanna, T.I., Lil Wayne".

        From each name of ``strong``, the list is walked left and right over its separators (a comma,
        "et", "ou"); an item is one to three words that are all name-like: not a French word (unless
        a known first or family name), a stop word, a place, a company word, an acronym, an assistant
        or a code. The walk stops at the first item that is not. Only a list of three items or more,
        or of two joined by "et" or "ou", counts (two joined by a comma are an apposition: "l'État,
        Barthélemy Boganda"); never on a line of a comma-separated table ("Sophie Martin, Sofradis,
        Lyon" above a row with as many commas), where :meth:`_table_names` reads the columns.
        """
        reach = 0  # where the lists walked so far end: each stretch of text is walked once (linear)
        line_start = line_end = -1  # the line of the name at hand, found once per line (names are sorted)
        listing = False  # whether that line may hold a list
        for start, end in strong:
            if end <= reach:
                continue
            if not line_start <= start < line_end:
                line_start = text.rfind("\n", 0, start) + 1
                line_end = text.find("\n", end)
                line_end = len(text) if line_end < 0 else line_end
                listing = bool(_LIST_SEPARATOR_RX.search(text, line_start, line_end)) and not (
                    _in_comma_table(text, line_start, line_end)
                )
            if not listing:
                continue
            found: list[tuple[int, int]] = []
            joins: list[str] = []
            mixed = False  # a list that goes on with a thing: a place, a company, a number
            pos = end
            while (join := _LIST_JOIN_RX.match(text, pos)) is not None and join.end() > pos:
                item = self._list_item(text, join.end(), min(line_end, join.end() + _ITEM_WINDOW), True)
                if item is None:
                    nxt = text[join.end() : join.end() + 1]
                    mixed = bool(_NOT_A_NAME_ITEM_RX.match(nxt)) and not nxt.islower()
                    break
                found.append(item)
                joins.append(text[pos : join.end()])
                pos = item[1]
            floor, reach = max(line_start, reach), pos  # the walk back stops where an earlier list ended
            pos = start
            while not mixed and (
                join := _LIST_JOIN_BEFORE_RX.search(text, max(floor, pos - _ITEM_WINDOW), pos)
            ):
                item = self._list_item(text, max(floor, join.start() - _ITEM_WINDOW), join.start(), False)
                if item is None:
                    prv = text[join.start() - 1 : join.start()] if join.start() > line_start else ""
                    mixed = bool(_NOT_A_NAME_ITEM_RX.match(prv)) and not _ends_lower_word(text, join.start())
                    break
                found.append(item)
                joins.append(join.group())
                pos = item[0]
            if (
                mixed
                or not found
                or (len(found) == 1 and "," in joins[0] and not _AND_OR_RX.search(joins[0]))
            ):
                continue
            yield from found

    def _list_item(self, text: str, start: int, end: int, forward: bool) -> tuple[int, int] | None:
        """The list item that starts at ``start`` (``forward``) or ends at ``end``: its longest run of
        one to three name-like words (:meth:`_inline_listed_names`), or None."""
        words = [(m.start(), m.end()) for m in _LIST_WORD_RX.finditer(text, start, end)]
        if forward:
            words = words[:3]
            if not words or words[0][0] != start:
                return None
        else:
            words = words[-3:]
            if not words or words[-1][1] != end:
                return None
            words = words[::-1]
        taken: list[tuple[int, int]] = []
        for w_start, w_end in words:
            if taken and text[min(taken[-1][1], w_end) : max(taken[-1][0], w_start)].strip(" \u00a0"):
                break  # a word of the item must be next to the one before
            if not self._list_word(text[w_start:w_end]):
                break
            taken.append((w_start, w_end))
        if not taken:
            return None
        span = (min(a for a, _ in taken), max(b for _, b in taken))
        if forward and span[0] != start or not forward and span[1] != end:
            return None
        if self._previous_word(text, span[0]) in _NOT_BEFORE_LISTED_WORD:
            return None  # "des actionnaires de Disney, Robert Iger…", "à Đà Lạt et …": a thing or a place
        if _ENGLISH_JOIN_RX.match(text, span[1]):
            return None  # "Earth, Wind and Fire": a name of its own
        return span

    def _list_word(self, word: str) -> bool:
        """Whether ``word`` may be a word of a name in a list (:meth:`_inline_listed_names`)."""
        key = fold(word)
        if (
            not any(c.isalpha() for c in word)
            or _ELIDED_RX.match(word)  # "s'impose", "l'annonce", "d'entraîneur"
            or self._names_a_thing(word)
            or key in _ACRONYMS
            or key in _ASSISTANTS
            or _is_short_upper(word)
            or (word.isupper() and len(word) > 1 and "." not in word)
        ):
            return False
        if is_french_word(word.replace(".", "")):
            return not word.islower() and (_is_first_name(word, rare=True) or _is_last_name(word))
        return True

    def _english_lower_run(self, text: str, run: _Run) -> _Run | None:
        """A lower-case run the model tagged PER in English text, cut to the name it holds: from its
        first known first or family name (with the word before a family name: "from john smith"), up
        to three words, stopping at an English stop word ("please send it to sarah before friday":
        "sarah"; "remind tom baker about": "tom baker"). None without a known name ("can you
        summarize…", "please write a polite reply…"): English prose is not typed in lower case, names
        are. A name word alone must be a common first name that is not an English word ("will",
        "may") or a family name."""
        english = _stop_words()[0]
        tokens = list(run.name_tokens)
        first = next(
            (
                i
                for i, t in enumerate(tokens)
                if t not in english and (_is_first_name(t, rare=True) or _is_last_name(t))
            ),
            None,
        )
        if first is None:
            return None
        if first and _is_last_name(tokens[first]) and not _is_first_name(tokens[first], rare=True):
            if tokens[first - 1] not in english:
                first -= 1  # "from john smith": the first name the lists do not know
        tokens = tokens[first : first + 3]
        keep = next((i for i, t in enumerate(tokens) if i and t in english), len(tokens))
        tokens = tokens[:keep]
        if len(tokens) == 1 and not (_is_english_safe_first_name(tokens[0]) or _is_last_name(tokens[0])):
            return None
        start = end = text.find(tokens[0], run.start, run.end)
        for token in tokens:
            found = text.find(token, end, run.end)
            if start < 0 or found < 0:
                return None  # the run's words are in its text; never raise on a scan
            end = found + len(token)
        return _Run(start, end, tuple(tokens))

    def _same_names(
        self, text: str, spans: list[tuple[int, int]], caps: list[tuple[int, int, str]]
    ) -> Iterable[tuple[int, int]]:
        """Other mentions of a word of a name already found in the text ("Bérangère Douillard" ...
        "3. Bérangère prépare la revue"), for first and family names the word lists do not know.

        Words that are also places, ambiguous first names ("Rose"), labels or company words are left
        out, and so are words of fewer than three letters. ``spans`` are sorted; ``caps`` are the
        capitalised words of the text.
        """
        if not spans:
            return
        inside: list[bool] = []
        words: set[str] = set()
        k = 0
        for start, end, word in caps:
            while k < len(spans) and spans[k][1] <= start:
                k += 1
            covered = False
            j = k
            while j < len(spans) and spans[j][0] <= start:
                if end <= spans[j][1]:
                    covered = True
                    break
                j += 1
            inside.append(covered)
            if not covered or len(word) < 3:
                continue
            key = fold(word)
            if key in _AMBIGUOUS_FIRST_NAMES or key in PLACES or key in _PARTICLES or key in _COMPANY_WORDS:
                continue
            if self._is_stopword(word) or key in _NAMED_THING_WORDS:
                continue
            words.add(word)
        if not words:
            return
        for (start, end, word), covered in zip(caps, inside, strict=True):
            if covered or word not in words:
                continue
            previous = self._previous_word(text, start)
            if previous in _PLACE_WORDS or previous in _NAMED_THING_WORDS:
                continue
            if not self._has_company_word(text, _Run(start, end, (word,))):
                yield start, end

    def _same_lower_names(self, text: str, spans: list[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """Other mentions of a lower-case word of a name already found ("Présents : seta tavernier"
        … "2. seta relance le prestataire"), when French does not know the word: "tavernier", a
        word too, is not followed elsewhere. Linear: one pass over the words of the text, and the
        word tests only for words met both inside and outside the names."""
        # Most names are capitalised: without a lower-case word inside them, the text is not read.
        if not any(_LOWER_TOKEN_RX.search(text, start, end) for start, end in spans):
            return
        starts = [start for start, _ in spans]  # sorted
        inside: set[str] = set()
        outside: list[re.Match[str]] = []
        for m in _LOWER_TOKEN_RX.finditer(text):
            i = bisect.bisect_right(starts, m.start()) - 1
            if i >= 0 and m.end() <= spans[i][1]:
                inside.add(m.group())
            elif text[m.end() : m.end() + 1] != "@" and text[m.start() - 1 : m.start()] not in (".", "@"):
                outside.append(m)  # not part of an e-mail address
        words = {
            w
            for w in inside.intersection(m.group() for m in outside)
            if not is_word_or_typo(w)
            and fold(w) not in _PARTICLES
            and fold(w) not in PLACES
            and fold(w) not in _AMBIGUOUS_FIRST_NAMES
            and not self._is_stopword(w)
        }
        for m in outside:
            if m.group() in words:
                yield m.start(), m.end()

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

    def _clean(self, text: str, start: int, end: int, lower_ok: bool = False) -> list[_Run]:
        """Cut a candidate span into runs of name tokens; drop cue words, labels, imperatives, greetings.

        A run may hold lower-case particles between name tokens ("Jean de la Fontaine") but must hold
        at least one token that is not a particle, and never crosses a line break or a separator.
        ``lower_ok`` (spans the model tagged PER): a lower-case word that is not a French stop word is
        a name token too ("bonjour marc overmars"): names are often typed in lower case.
        """
        runs: list[_Run] = []
        current: list[tuple[int, int, str, bool]] = []  # (start, end, token, is_particle)
        from_ner = lower_ok
        if lower_ok and any(
            not tok.islower() and not self._is_stopword(tok)
            for tok in (m.group().strip(_STRIP_CHARS) for m in _TOKEN_RX.finditer(text, start, end))
            if any(c.isalpha() for c in tok)
        ):
            # "Budget validé": beside a capitalised word, a lower-case one is prose; not beside a greeting
            # the model took in ("Hello nassira,")
            lower_ok = False

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
            if any(c not in _BLANKS for c in text[prev_end : m.start()]) or (lead and current):
                flush()
            prev_end = m.end()
            if not tok:
                flush()
                continue
            if fold(tok) in _PARTICLES and tok.islower() and current:
                current.append((t_start, t_end, tok, True))
            elif (
                _NAME_TOKEN_FULL.fullmatch(tok)
                or (lower_ok and _LOWER_NAME_TOKEN_FULL.fullmatch(tok) and fold(tok) not in _LOWER_STOPWORDS)
            ) and not self._is_stopword(tok):
                if current and fold(tok) in PLACES:
                    flush()  # "Julie Moreau Lyon": the place is not part of the name
                current.append((t_start, t_end, tok, False))
            elif _ARTICLE_FAMILY_NAME.fullmatch(tok) or (
                _LOWER_PART_FIRST_NAME.fullmatch(tok) and fold(tok) in ALL_FIRST_NAMES
            ):
                current.append((t_start, t_end, tok, False))  # "Mohammed el-Amrani", "Jean-marc Dupont"
            elif from_ner and self._family_word_after_first_name(tok, current):
                current.append((t_start, t_end, tok, False))  # "Marianne Vos", "Martin Lister"
            else:
                flush()
                continue
            if len(tok) < len(raw) - lead:  # trailing punctuation (",", ".", ":") ends the name
                flush()
        flush()
        return runs

    @staticmethod
    def _family_word_after_first_name(token: str, current: list[tuple[int, int, str, bool]]) -> bool:
        """Whether a capitalised function word, verb or month inside a span the model tagged PER is the
        family name of the first name before it ("suivie par Marianne Vos", "son oncle, Martin Lister",
        "Paul Mars"): the span, the capital letter mid-sentence and the first name are the evidence.
        Form labels, greetings and roles stay out ("Marie Âge", "Paul Directeur")."""
        return (
            len(current) == 1
            and _CAP_FULL.fullmatch(token) is not None
            and fold(token) in _FAMILY_LIKE_STOPWORDS
            and _is_any_first_name(fold(current[0][2]))
        )

    def _lower_tail(self, text: str, start: int, end: int) -> _Run | None:
        """The lower-case name that ends a span the model tagged PER after capitalised words ("le
        guitariste de Slayer kerry king", "la Roumaine ana ivanović"): two or three lower-case words,
        the first a first name of INSEE's list (any class; not one of other countries only: "Las siete
        columnas" is a Spanish title), none a stop word or a place. :meth:`_clean` reads such a span
        as prose beside a capitalised word ("Budget validé") and keeps only the capitalised part; the
        first name is the evidence that the rest is a name.
        """
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN_RX.finditer(text, start, end)]
        lower = 0
        while lower < len(tokens) and tokens[-1 - lower][2].islower():
            lower += 1
        if not 2 <= lower <= 3 or lower == len(tokens) or not tokens[-1 - lower][2][:1].isupper():
            return None
        tail = tokens[-lower:]
        words = [tok for _, _, tok in tail]
        if any(
            not _LOWER_TOKEN_FULL.fullmatch(w)
            or fold(w) in _LOWER_STOPWORDS
            or self._is_stopword(w)
            or fold(w) in PLACES
            for w in words
        ):
            return None
        if fold(words[0]) not in ALL_FIRST_NAMES:
            return None
        return _Run(tail[0][0], tail[-1][1], tuple(words))

    def _name_part(self, token: str) -> bool:
        """Whether a word next to a name is more of it (not a label, company word, place, code...)."""
        key = fold(token)
        return not (
            self._is_stopword(token)
            or key in _COMPANY_WORDS
            or key in PLACES
            or key in _ACRONYMS
            or _is_short_upper(token)
        )

    def _extend_lower(self, text: str, run: _Run) -> _Run:
        """A one-word name typed in lower case that French does not know, grown left over one more such
        word when a French word or punctuation comes before that one: "apercevoir trent reznor",
        "quarts de finale urszula radwańska" (the model often tags the family name alone); not
        "WARN payment declined", where the words before are not French either."""
        if len(run.name_tokens) != 1 or is_french_word(run.name_tokens[0]):
            return run
        m = _LOWER_WORD_BEFORE_RX.search(text, max(0, run.start - 60), run.start)
        if m is None or is_french_word(m.group("tok")) or self._is_stopword(m.group("tok")):
            return run
        before = text[max(0, m.start("tok") - 40) : m.start("tok")].rstrip(" \t\u00a0")
        if before and before[-1].isalpha() and not is_french_word(before.split()[-1].split("'")[-1]):
            return run
        return _Run(m.start("tok"), run.end, (m.group("tok"), run.name_tokens[0]))

    def _extend(self, text: str, run: _Run) -> _Run:
        """Grow a run over the adjacent parts of the same name, on the same line.

        Right: capitalised or upper-case words, with particles between ("Yves Garcia" + "de la
        Weiss"; past two words, only after particles or for known names); left: a known first name
        or an upper-case family name ("SCHNEIDER" + "Isaac"), and particles that start a field
        ("nom": "de la Martin"). Never over a label, a company word, a place, a code or a greeting,
        and never past five name words.
        """
        start, end, names = run.start, run.end, list(run.name_tokens)
        if names[0].islower():
            return self._extend_lower(text, run)
        while len(names) < _MAX_NAME_TOKENS:
            m = _EXTEND_RIGHT_RX.match(text, end)
            if m is None:
                break
            tok = m.group("tok")
            elided = tok[:2].lower() in ("d'", "d’", "l'", "l’")
            bare = tok[2:] if elided else tok
            if not self._name_part(bare):
                break
            # "Franck" + "Camus", "Yves Garcia" + "de la Weiss"; but "Paul Durand" + "Capgemini" only
            # when the word is itself a known name or an upper-case family name.
            if not (
                len(names) < 2
                or m.group("particles")
                or elided
                or _is_first_name(bare)
                or _is_last_name(bare)
                or _UPPER_FULL.fullmatch(bare)
            ):
                break
            end = m.end()
            names.append(bare)
        while len(names) < _MAX_NAME_TOKENS:
            m = _EXTEND_LEFT_RX.search(text, max(0, start - 40), start)
            if m is None:
                break
            tok = m.group("tok")
            if not self._name_part(tok) or not (_is_first_name(tok, rare=True) or _UPPER_FULL.fullmatch(tok)):
                break
            start = m.start("tok")
            names.insert(0, tok)
        m = _REGNAL_RX.match(text, end)
        if m is not None and _is_first_name(names[-1], rare=True):
            end = m.end()  # "Napoléon III", "Louis XIV", "Henri IV": the number is part of the name
        m = _LEAD_PARTICLES_RX.search(text, max(0, start - 12), start)
        if m is not None:
            start = m.start("particles")
        return _Run(start, end, tuple(names))

    def _has_company_word(self, text: str, run: _Run) -> bool:
        """A company word in the run or right next to it ("Marcel Transports", "Groupe Altamira"), a
        run that starts with a named-thing word ("Projet Apollo", "Offre Pro"), or a place named in
        English, its noun last ("Phillip Island", "Beverly Hills")."""
        first = run.name_tokens[0]
        if any(fold(t) in _COMPANY_WORDS for t in run.name_tokens) or (
            # spelled as the thing's noun, or without accents ("Operation Apollo"); not "Loïs Prot"
            fold(first) in _NAMED_THING_WORDS and (first.isascii() or first.lower() in _NAMED_THING_SPELLED)
        ):
            return True
        if len(run.name_tokens) >= 2 and run.name_tokens[-1].lower() in _ENGLISH_PLACE_NOUNS:
            return True
        after = _EXTEND_RIGHT_RX.match(text, run.end)
        if after is not None and not after.group("particles") and fold(after.group("tok")) in _COMPANY_WORDS:
            return True
        before = _EXTEND_LEFT_RX.search(text, max(0, run.start - 40), run.start)
        return before is not None and fold(before.group("tok")) in _COMPANY_WORDS

    def _meaningful(self, run: _Run) -> list[str]:
        return [t for t in run.name_tokens if not _is_short_upper(t) and fold(t) not in _ACRONYMS]

    def _previous_word(self, text: str, start: int) -> str:
        before = text[max(0, start - 40) : start].rstrip(" \t\u00a0\"'«“(*-•>#")
        words = fold(before).split()
        return words[-1] if words else ""

    def _ner_score(self, text: str, run: _Run) -> float | None:
        """Score of a cleaned NER run, or None to drop it.

        A company word drops it. Two name words keep the NER score, unless they are only unknown words
        next to a place ("Lager Metz"). One word keeps it when it is a known first name or family name;
        an unknown word, a place, an ambiguous first name ("Claude") or a word after "loi", "salle",
        "rue"... scores low; at the start of a sentence, an unknown word followed by what usually
        follows an imperative ("Rédige un mail", "Synthétise : ...") is dropped. A lower-case word
        scores low too, unless French does not know it ("l'affirme strabon"): then it is read as if
        capitalised, except after a system's noun or a foreign word, or alone in quotes.
        """
        if self._has_company_word(text, run) or _in_code(text, run):
            return None
        tokens = self._meaningful(run)
        if not tokens:
            return None
        previous = self._previous_word(text, run.start)
        if (previous in _NAMED_THING_WORDS or previous in _PLACE_WORDS) and not (
            (len(tokens) >= 2 or _is_first_name(tokens[0]))
            and _ROLE_COMPLEMENT_RX.search(text, max(0, run.start - 80), run.start)
        ):
            # "la loi Climat", "salle Voltaire", "station Charles de Gaulle"; not the person in charge of
            # it: "le chef de projet Marc Lemoine", "la cheffe de produit Léa Fontaine"
            return self.scores.ner_weak
        if previous == "en" or (previous in ("au", "aux") and len(tokens) == 1):
            return self.scores.ner_weak  # "en Israël", "en Louisiane", "au Brésil": places
        keys = [fold(t) for t in tokens]
        last_space = text.rfind(" ", run.start, run.end)
        if last_space > 0 and _REGNAL_RX.fullmatch(text, last_space, run.end):
            return self.scores.ner  # "Napoléon III": a first name and a regnal number
        if (
            len(tokens) == 1
            and len(run.name_tokens) >= 2
            and any(_INITIAL_FULL.fullmatch(t) for t in run.name_tokens)
        ):
            return self.scores.ner  # "E. B. White", "J. G. Ballard": initials and a family name
        if len(tokens) >= 2:
            if fold(" ".join(tokens)) in PLACES or all(fold(t) in _PROMPT_JARGON for t in tokens):
                return self.scores.ner_weak  # "Saint-Étienne", "des idées de team building"
            known = any((_is_first_name(t) or _is_last_name(t)) and fold(t) not in PLACES for t in tokens)
            if not known and all(
                t.islower() and _is_common_word(k) for t, k in zip(tokens, keys, strict=True)
            ):
                return self.scores.ner_weak  # "le serveur de recette tourne sous Ubuntu": frequent words
            written = text[run.start : run.end].split()
            if (
                written[0].islower()
                and _is_common_word(keys[0])
                and not _is_any_first_name(keys[0])
                and keys[0] not in _NOBLE_TITLES
                and len(written) > 1
                and fold(written[1]) in ("de", "du", "des")
            ):
                return self.scores.ner_weak  # "la campagne de printemps de datacrest": a thing of a company
            # "Nancy Kerrigan", "Florence Aubenas": a first name that is also a place, before a name word
            known = known or (
                keys[0] in PLACES and _is_first_name(tokens[0], rare=True) and keys[1] not in PLACES
            )
            if not known and any(k in PLACES for k in keys):  # "Lager Metz", "Air France"
                return self.scores.ner_weak
            if (
                not known
                and tokens[0].islower()
                and previous in _BEFORE_INFINITIVE
                and tokens[0].endswith(("er", "ir"))
                and len(words := text[run.start : run.end].split()) > 1
                and fold(words[1]) in _ARTICLES
            ):
                return self.scores.ner_weak  # "merci de checker le backlog", "pense à booker la salle"
            return self.scores.ner
        token, key = tokens[0], keys[0]
        if key in _NOT_GREETED:
            return self.scores.ner_weak  # "Hello world", "Salut team": whom a greeting addresses, no one
        if _LIFESPAN_RX.match(text, run.end) and key not in PLACES:
            return self.scores.ner  # "Plus tard, Confucius (551 - 479) mentionne…": a person's dates
        # A word typed in lower case that French does not know ("plutarque", "gandhi"): the model's PER
        # is read as it would be with a capital letter, outside the contexts where such a word is a
        # thing's name or a foreign word of a foreign sentence.
        unknown_lower = token.islower() and not is_french_word(token)
        if unknown_lower and self._unknown_word_is_a_thing(text, run, previous):
            return self.scores.ner_weak
        # the words before it on its line: a name that ends the line above is no part of this one
        before_words = text[max(0, run.start - 40) : run.start].rsplit("\n", 1)[-1].split()
        if before_words and (
            _INITIAL_FULL.fullmatch(before_words[-1].upper())
            or (_is_first_name(before_words[-1], rare=True) and not self._is_stopword(before_words[-1]))
        ):
            # "j. k. rowling", "agnieszka radwańska": the model cut the name after an initial or a
            # known first name; the family name it kept is a name.
            return self.scores.ner
        if key in _AMBIGUOUS_FIRST_NAMES or key in PLACES:
            return self.scores.ner_weak  # "ChatGPT et Claude", "Metz": a thing until a cue says otherwise
        if _UPPER_FULL.fullmatch(token) and len(token) <= 3:
            return None
        if key in _FREQUENT_NAMES:
            return self.scores.ner
        before = text[max(0, run.start - 40) : run.start].rstrip(" \t\u00a0\"'«“(*-•>#")
        if (
            token.islower()
            and previous in ("de", "d", "d'")
            and not (_is_first_name(token, rare=True) or _is_last_name(token))
            and not (unknown_lower and self._person_slot(text, run.start, run.end, before))
        ):
            # "mail de bienvenue": a word, until a cue says otherwise; "collaborateur de mazzini": a name
            return self.scores.ner_weak
        if re.search(rf"[{_UP}][\w'’-]*[ \u00a0]*\([ \u00a0]*$", text[max(0, run.start - 40) : run.start]):
            return self.scores.ner_weak  # "Tanguy Le Meur (Datanova)": what follows a name in brackets
        following = re.match(r"[ \u00a0]+([\w'’-]+)", text[run.end : run.end + 40])
        if following is not None and fold(following.group(1)) in PLACES:
            return self.scores.ner_weak  # "ab Lager Metz", "agence Horizon Lyon": a thing of a place
        at_start = not before or before[-1] in ".!?:;\n\r"
        if at_start:
            after = text[run.end : run.end + 40]
            next_word = re.match(r"[\s\u00a0]*([^\s\u00a0]+)", after)
            if next_word is None or next_word.group(1)[0] in ":-–0123456789":
                return None
            word = next_word.group(1)
            # "Kowalczyk a envoyé le contrat": "a" without its accent is the verb "avoir" before a
            # participle, not the "à" after an imperative ("Réponds à la demande", "Ecris a la RH");
            # "Nguyen l'a validé", "Dupuis les avait envoyés": an object pronoun before "avoir" or
            # "être" follows a subject, not an imperative ("Rédige les comptes rendus")
            third = re.match(r"[\s\u00a0]*([\w'’-]+)", after[next_word.end() :])
            third_word = third.group(1) if third is not None else ""
            elided = re.fullmatch(r"[lL]['’](\w+)", word)
            auxiliary = (
                (word == "a" and third is not None and fold(third_word) not in _AFTER_IMPERATIVE)
                or (word in _OBJECT_PRONOUNS and third_word in _AUXILIARY_FORMS)
                or (elided is not None and elided.group(1) in _AUXILIARY_FORMS)
            )
            if not auxiliary and (
                fold(word.rstrip(",;.!?")) in _AFTER_IMPERATIVE
                or fold(word.split("'")[0] + "'") in _AFTER_IMPERATIVE
            ):
                return None
            sentence_start = not before or before[-1] in ".!?"
            # "Réunion annulée : Kristell est malade.": after a colon, the subject of the sentence it
            # opens, when a verb of being or coming follows ("Raison sociale : Sofradis" has none)
            verb = word.rstrip(",;.!?")
            verb_key = fold(verb)
            announced = before[-1:] == ":" and (
                verb_key in _SUBJECT_VERBS
                or fold(word[:2]) == "n'"
                # "Action : Wandrille envoie le compte rendu": an imperative of the second person is
                # also the third person's present ("envoie", "relance", "prépare")
                or (verb.islower() and verb_key in _IMPERATIVES and verb_key.endswith("e"))
            )
            # "Petru m'a dit…": before an object pronoun and its verb, the subject, even at a line's start
            announced = announced or _ELIDED_PRONOUN_RX.match(word) is not None
            if announced and (token[0].isupper() or unknown_lower):
                return self.scores.ner_single
            if (
                sentence_start
                # "Hergé, à…", "chilpéric obtient…", "pompée envoie…" (a rare word: not "jsp si…")
                and (token[0].isupper() or unknown_lower or (token.islower() and not _is_common_word(key)))
                and (
                    word[0] == ","
                    or _ELIDED_PRONOUN_RX.match(word) is not None  # "socrate s'illustra"
                    or (
                        # "Antipater réagit, suivant…": the verb before a comma
                        verb[:1].islower()
                        and verb.replace("-", "").isalpha()  # "Sigebert contre-attaque"
                        and not verb.endswith(("er", "ir"))
                    )
                )
            ):
                # "Hergé, à l'aide de…", "Mylyn joue le rôle…": the subject of a sentence of running
                # text (not the first word of a line, where labels sit: "Raison sociale : …");
                # imperatives ("Rédige un mail") were dropped just above, and a word before an
                # infinitive is a verb ("Veuillez trouver", "Pensez envoyer").
                return self.scores.ner_single
            return self.scores.ner_weak
        if not self._person_slot(text, run.start, run.end, before) and (
            (token.islower() and not unknown_lower)
            or not re.fullmatch(r"[\w'’-]+", before.split()[-1] if before.split() else "")
            or previous in _THING_SLOT_WORDS
        ):
            # One unknown word after an article or a place preposition ("à Margate", "le Spodek"), after
            # a separator ("compléter : Sofradis", "Mahon;Sofradis"), or typed in lower case ("compte
            # deploy", "status=queued"): a thing until a cue says otherwise.
            return self.scores.ner_weak
        # One unknown word where a person is named: "chez Descartes", "avec Rihanna", "Hergé, à
        # l'aide de ...", "(Tacite)", "de Gilgamesh": the model's PER is kept, just above the cut.
        return self.scores.ner_single

    def _unknown_word_is_a_thing(self, text: str, run: _Run, previous: str) -> bool:
        """Whether a lower-case word French does not know, tagged PER, is rather a thing's name: after a
        noun that names a thing of a system ("le compte deploy", "la branche hotfix"), after a foreign
        word ("WARN payment declined": a sentence in another language), or alone between quotes or
        brackets ('" pensylvanicum "', "(tazir)": a term quoted or glossed)."""
        if previous in _SYSTEM_THING_WORDS:
            return True
        if (
            previous.isalpha()
            and previous not in _GREETINGS
            and not (
                is_french_word(previous) or _is_first_name(previous, rare=True) or _is_last_name(previous)
            )
        ):
            return True
        opened = re.search(r"[\"«“(][ \u00a0]*$", text[max(0, run.start - 3) : run.start])
        return bool(opened and re.match(r"[ \u00a0]*[\"»”)]", text[run.end : run.end + 3]))

    def _person_slot(self, text: str, start: int, end: int, before: str) -> bool:
        """Whether the word before ``start`` leaves room for a person's name rather than a thing's:
        a comma in running text (a list of names), a preposition, a conjunction, a title; not a
        common noun ("fauteuil Milano", "équipe Nova", "lampe Atlas") nor the start of a sentence
        ("Livraison prévue ...", "Veuillez trouver ...")."""
        if before[-1:] == ",":
            # "Kery James, Youssoupha, Lefa"; not "…, Artikelnummer SKU 64022" (a label before a code)
            nxt = re.match(r"[ \u00a0]*([^\s,.;]+)", text[end : end + 30])
            return nxt is None or not (any(c.isdigit() for c in nxt.group(1)) or nxt.group(1).isupper())

        words = fold(before).split()
        previous = words[-1].lstrip("([{\"'«“") if words else ""  # "(dont Lysias est…)"
        elided = fold(text[start : start + 2]) in ("d'", "d’")
        if previous in ("de", "d'", "d") or elided:
            # "collaborateur de Mazzini", "élève d'Aristote"; not "les offres de Leroy Merlin et de
            # Castorama", "les équipes de Metz": no business or place noun in the words before
            written = before.lower().replace("’", "'").split()
            nouns = written[-6:] if elided else written[-6:-1]
            if nouns and fold(nouns[-1]) in _RECORD_NOUNS:
                # "le dossier de Nakamura": a person's record, unless a business noun comes before it
                return not any(_is_business_or_place_noun(w) for w in nouns[:-1])
            return bool(nouns) and not any(_is_business_or_place_noun(w) for w in nouns)
        if previous in ("a", "au", "aux") and len(words) >= 2 and words[-2] in _ADDRESS_VERBS:
            return True  # "réponds à Okonkwo": the person addressed
        if previous == "les" and len(words) >= 2 and words[-2] == "chez":
            return True  # "dîner chez les Kowalczyk": a family's home
        previous = previous.split("'")[-1] or previous
        return previous in _PERSON_SLOT_WORDS

    # -- extra evidence -----------------------------------------------------------------------------
    def _person_like(self, text: str, run: _Run, mixed: bool) -> bool:
        """Whether a labelled value is a person: no company word, and a known name or enough name words.

        ``mixed``: the label may also name an organisation ("Client :", "Contact :"), so a known first
        or family name is required; otherwise two name words or an upper-case family name will do.
        """
        if self._has_company_word(text, run):
            return False
        tokens = self._meaningful(run)
        if not tokens:
            return False
        known = [t for t in tokens if _is_first_name(t) or _is_last_name(t)]
        if any(fold(t) not in PLACES for t in known):
            return True
        if mixed:
            return False  # "Client : Air France", "Contact : Nexity"
        if known or len(tokens) >= 2:  # "Salarié : Florence", "Salarié : Ségolène Kerbrat"
            return bool(known) or not all(fold(t) in PLACES for t in tokens)
        return bool(_UPPER_FULL.fullmatch(tokens[0])) and len(tokens[0]) >= 4

    def _lower_cue_names(
        self, text: str, tagged: Sequence[tuple[int, int]] = ()
    ) -> Iterable[tuple[int, int]]:
        """A name typed in lower case after a civility ("Bonjour Madame mandrillon", "mme dieux",
        "Monsieur melchior baffert"): after "Madame" or "Monsieur", the next word is the name whatever
        it means ("Madame profit"), unless it is a stop word ("Madame la directrice", "monsieur le
        maire", "madame votre mère") or a role ("Monsieur maire"); a particle first needs a word French
        does not know after it ("Madame le hir", "Monsieur di marco"), but "de" after an abbreviated
        civility does not ("mme de marelle"). The words after it are more of
        the name when French does not know them or they are known names ("Monsieur melchior baffert";
        not "Madame dupont demande…"). A French word that no list names and the model does not tag
        (``tagged``: its PER spans), before more of the sentence in lower case, is the verb of the person
        the civility stands for ("Monsieur souhaite résilier", "Madame arrivait enfin"); an abbreviated
        civility always has a name after it ("mme forestier sortit")."""
        if not any(c.islower() for c in text):
            return
        cues = [(m, False) for m in _LOWER_CUE_RX.finditer(text)]
        for m, self_named in cues + [(m, True) for m in _LOWER_SELF_NAMED_RX.finditer(text)]:
            words = list(re.finditer(r"[^\s\u00a0\u202f]+", m.group("name")))
            offset = m.start("name")
            first = words[0].group()
            key = fold(first)
            taken = 1
            # "Mme", "M.": an abbreviated civility always has a name after it ("mme de marelle"; but
            # "M. le vicaire", "Mme la directrice": an article before a role)
            spelled = self_named or fold(m.group().split()[0]) in ("monsieur", "madame", "mademoiselle")
            if key in _PARTICLES:
                # "mme de la fontaine": two particles, then the name
                at = 2 if len(words) > 2 and fold(words[1].group()) in _PARTICLES else 1
                second = words[at].group() if len(words) > at else ""
                if (
                    not second
                    or fold(second) in _PARTICLES  # "Mme de la Fontaine": the name is not in lower case
                    or self._is_stopword(second)
                    or fold(second) in _ROLE_WORDS
                    or ((spelled or key not in ("de", "du", "des")) and is_french_word(second))
                ):
                    continue
                taken = at + 1
            elif key in _LOWER_STOPWORDS or self._is_stopword(first) or key in _ROLE_WORDS:
                continue
            elif self_named and _is_plain_word(first) and not _is_first_name(first, rare=True):
                continue  # "mon nom est inscrit", "mon prénom est mal écrit"
            elif (
                not self_named
                and spelled
                and is_french_word(first)
                and not (_is_first_name(first, rare=True) or _is_last_name(first) or key in _WORD_SURNAMES)
                and re.match(rf"{_SP}+[{_LO}]", text[offset + words[0].end() :])
                and not any(s <= offset + words[0].start() < e for s, e in tagged)
            ):
                continue  # "Mme dieux (02 …)", "madame profit,", "Madame couture demande…" keep a name
            for w in words[taken:]:
                word = w.group()
                if self._is_stopword(word) or fold(word) in _LOWER_STOPWORDS:
                    break
                if self_named:
                    # who introduces themself gives their whole name: a rare word is more of it
                    # ("je m'appelle soham ponte"), a frequent one or a role is not ("… marc client")
                    if (_is_common_word(fold(word)) or fold(word) in _ROLE_WORDS) and not (
                        _is_first_name(word) or _is_last_name(word)
                    ):
                        break
                elif is_french_word(word) and not (_is_first_name(word) or _is_last_name(word)):
                    break
                taken += 1
            yield offset + words[0].start(), offset + words[taken - 1].end()

    def _lower_role_values(self, text: str) -> Iterable[tuple[int, int, float]]:
        """People typed in lower case after a role label and its colon ("Excusée : barry onno",
        "Présents : anatole sapet, seta tavernier", "Salarié : tarin sid-ahmed"): each
        item of the value (up to a comma, "et", ";" or the end of the line) of one to three words, none
        a stop word nor a role, is a person when a word of it is not French or is a known name
        (`label`; one word alone: `first_name`). Not common French ("Absent : toute la journée",
        "Présents : tous", "Responsable : service achats")."""
        if not any(c.islower() for c in text):
            return
        for m in _LOWER_ROLE_RX.finditer(text):
            for item in _LIST_ITEM_SPLIT_RX.finditer(text, m.end("key"), m.end()):
                words = item.group().split()
                if not 1 <= len(words) <= 3 or not all(_LOWER_TOKEN_FULL.fullmatch(w) for w in words):
                    continue
                keys = [fold(w) for w in words]
                if any(map(self._names_a_thing, words)) or any(
                    k in _ROLE_WORDS or k in _ACRONYMS or k in _NOT_A_NAME_VALUE for k in keys
                ):
                    continue
                if all(map(_is_plain_word, words)):
                    continue
                score = self.scores.label if len(words) >= 2 else self.scores.first_name
                yield item.start(), item.end(), score

    def _contact_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """Whom a prompt asks to call or warn, before how to reach them: "Appelle Zdzimir au 06 98 14…",
        "Prévenir ilvana au service paie" (see ``_CONTACT_RX``). The model often calls such a lone
        foreign first name a place. Words that are a stop word, a place, a company word, a role, an
        acronym or common French ("Appelle demain au…", "Prévenir Support au…") are not a name; a
        second word that is ("Appelle Zdzimir demain au…") is left out. One word scores as a lone first
        name, two as NER. So do the words after a verb of speaking and "à" ("Tu peux demander à
        Khadidja si…"; ``_SPEAK_TO_VERBS``)."""
        for m in _CONTACT_RX.finditer(text):
            yield from self._leading_name_words(text, m)
        for m in _ADDRESSED_RX.finditer(text):
            if fold(m.group("verb")) in _SPEAK_TO_VERBS:
                yield from self._leading_name_words(text, m)  # "demander à Khadidja si c'est bon"

    def _bracketed_first_names(
        self, text: str, found: dict[tuple[int, int], tuple[float, str]]
    ) -> Iterable[tuple[int, int, float]]:
        """The first name in brackets after a name a civility gave ("M. Doyon (Célian)"): the words that
        could be a name, as after a verb of calling; not "(DAF)", "(absent)", "(Lyon)"."""
        for (_, end), (_, why) in list(found.items()):
            if why == "cue" and (m := _BRACKETED_FIRST_NAME_RX.match(text, end)) is not None:
                yield from self._leading_name_words(text, m)

    def _personal_matter_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """Whose personal matter a prompt handles: "Pot de départ de Tancrède Boisson", "la mutuelle de
        Lowan Sanglier", "Tu as le numéro de Kassim ?", "Accident du travail de Musab Ruez" (see
        ``_PERSONAL_MATTER_RX``). The model calls such a rare name a place or nothing at all. The same
        words as after a verb of calling: not a stop word, a place, a company word, an acronym or
        common French ("le numéro de TVA", "l'absence de Wi-Fi" stays: a possible name)."""
        for m in _PERSONAL_MATTER_RX.finditer(text):
            if fold(m.group("name").split()[0]) not in _HOLIDAYS:  # "les congés de Noël"
                yield from self._leading_name_words(text, m)

    def _party_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """The parties of a case named with "c/" ("Le dossier Tournoux c/ Sofradis", "Dupont c/ SNCF"):
        the word before it and the words after it, as after a verb of calling (no company word, place,
        acronym or common French; in capitals, only a listed family name: "DUPONT c/ SNCF").
        "Sofradis c/ Ecoplast" gives two: a company taken for a person is the safer mistake in a
        case's title."""
        if "c/" not in text:
            return
        for rx in (_PARTY_BEFORE_RX, _PARTY_AFTER_RX):
            for m in rx.finditer(text):
                name = m.group("name")
                # "Dupont c/ SNCF": a word in capitals is an acronym, unless a listed family name
                if not name.isupper() or _is_last_name(name.split()[0]):
                    yield from self._leading_name_words(text, m)

    def _leading_name_words(self, text: str, m: re.Match[str]) -> Iterable[tuple[int, int, float]]:
        """The words of ``m``'s group "name" up to the first that cannot be a name (a stop word, a place,
        a company word, a role, an acronym, common French): one word scores as a lone first name, two
        or more as NER; none yields nothing."""
        keep = []
        for w in re.finditer(r"\S+", m.group("name")):
            word, key = w.group(), fold(w.group())
            if (
                self._names_a_thing(word)
                or key in _ROLE_WORDS
                or key in _ACRONYMS
                or _is_short_upper(word)
                or _ELIDED.match(key) is not None  # "rappelle à nadia qu'elle doit…"
                # a capitalised word after a name word is its family name, French or not ("Tancrède
                # Boisson"); alone or in lower case, a French word is itself ("Appelle demain au…")
                or (_is_plain_word(word) and not (keep and word[0].isupper()))
            ):
                break
            keep.append(w)
        if keep:
            base = m.start("name")
            score = self.scores.ner if len(keep) >= 2 else self.scores.first_name
            yield base + keep[0].start(), base + keep[-1].end(), score

    def _labelled_names(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """Values of labels and keys: "Nom : Dupont", ``"prenom": "Jean"``, ``Salarié : DUPONT Jean``.

        A name key ("Prénom", "last_name", "nom du client") always gives a name; a French form's bare
        "Nom :" too. A generic key in structured text (``"nom":``, ``name:``, ``nom=``) gives one when
        the value holds a known name or a first-name key is near (same JSON object); a role ("Salarié",
        "Client", "Contact") when the value looks like a person (see :meth:`_person_like`).
        """
        score = self.scores.label
        for m in _LABEL_VALUE_RX.finditer(text):
            key = _key_before(text, m.start())
            if key is None:
                continue
            for run in self._clean(text, m.start("name"), m.end("name")):
                run = self._extend(text, run)
                if text[run.end : run.end + 1] in ("[", "("):
                    continue  # a type or a call in code: "name: Optional[str]", "nom = Field(…)"
                if key.group("namekey") is not None:
                    ok = not self._has_company_word(text, run)
                elif key.group("generic") is not None:
                    quoted = m.group("q") or text[key.start() - 1 : key.start()] in ("'", '"', "`")
                    plain_form = not quoted and m.group("sep") == ":" and fold(key.group()) == "nom"
                    if plain_form:
                        ok = not self._has_company_word(text, run)
                    else:
                        window = _around(text, m)
                        near_first = _FIRST_NAME_KEY_NEAR.search(text, *window) is not None
                        ok = (near_first and not self._has_company_word(text, run)) or self._person_like(
                            text, run, mixed=_PERSON_KEY_NEAR.search(text, *window) is None
                        )
                else:
                    ok = self._person_like(text, run, mixed=key.group("mixed") is not None)
                if ok:
                    yield run.start, run.end, score, "label"
        address_parts: set[str] | None = None
        for m in _LOWER_VALUE_RX.finditer(text):
            value = m.group("name")
            if _KEY_RX.fullmatch(value):
                continue  # name=name, first_name: str
            if _names_no_one(value):
                # "nom": "inconnu"; but "nom": "appel" beside carmelo.appel@…: the address says it is one
                if address_parts is None:
                    address_parts = _address_parts(text)
                if fold(value) in _NOT_A_NAME_VALUE or not all(
                    fold(w) in address_parts for w in value.split()
                ):
                    continue
            if all(self._is_stopword(w) for w in value.split()):
                continue
            key_end = m.start()  # back over the blanks and the quote between the key and ":"
            while key_end > 0 and text[key_end - 1] in " \u00a0\u202f":
                key_end -= 1
            if key_end and text[key_end - 1] in "\"'`":
                key_end -= 1
            key = _key_before(text, key_end)
            if key is None or key.group("role") is not None or key.group("mixed") is not None:
                continue  # "client: acme", "user: root": a person only when the value looks like one
            if key.group("generic") is not None:  # "nom", "name": a person's beside a first-name key
                if _FIRST_NAME_KEY_NEAR.search(text, *_around(text, m)) is None:
                    continue
            yield m.start("name"), m.end("name"), score, "label"
        if "</" in text:
            yield from self._xml_names(text)
        for m in _SQL_INSERT_RX.finditer(text):
            yield from self._sql_names(text, m)
        for m in _HEADER_RX.finditer(text):
            for run in self._clean(text, m.start("name"), m.end("name")):
                run = self._extend(text, run)
                if self._person_like(text, run, mixed=True):
                    yield run.start, run.end, score, "label"

    def _xml_names(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """Text of XML elements named like a person's name, any case: ``<prenom>chidi</prenom>``,
        ``<lastName>OKONKWO</lastName>``; a bare ``<nom>``/``<name>`` beside a first-name element."""
        for m in _XML_FIELD_RX.finditer(text):
            key = _KEY_RX.fullmatch(m.group("key"))
            value = m.group("name")
            if key is None or (key.group("namekey") is None and key.group("generic") is None):
                continue
            if not 1 <= len(value.split()) <= 4 or not _looks_like_name_cell(value):
                continue
            if _names_no_one(value):
                continue
            if key.group("generic") is not None:
                if _XML_FIRST_NAME_NEAR.search(text, *_around(text, m)) is None:
                    continue  # <name>backend</name> in a configuration
            yield m.start("name"), m.end("name"), self.scores.label, "label"

    def _sql_names(self, text: str, insert: re.Match[str]) -> Iterable[tuple[int, int, float, str]]:
        """String values of an ``INSERT INTO t (nom, prenom, …) VALUES (…), (…)`` under name columns,
        any case: the column list is the header of the rows that follow."""
        keys = [_KEY_RX.fullmatch(c.strip().strip('`"[]')) for c in insert.group("cols").split(",")]
        has_first = any(_FIRST_NAME_COLUMN_RX.search(c) for c in insert.group("cols").split(","))
        wanted = {
            j
            for j, key in enumerate(keys)
            if key is not None
            and (key.group("namekey") is not None or (key.group("generic") is not None and has_first))
        }
        if not wanted:
            return
        pos = insert.end()
        for _ in range(10_000):  # rows
            row = _SQL_ROW_START_RX.match(text, pos)
            if row is None:
                return
            pos, j = row.end(), 0
            while True:
                value = _SQL_VALUE_RX.match(text, pos)
                if value is None:
                    return
                literal = value.group("s")
                if j in wanted and literal and _is_name_cell(literal) and not _names_no_one(literal):
                    yield value.start("s"), value.end("s"), self.scores.label, "label"
                pos, j = value.end(), j + 1
                if value.group("end") == ")":
                    break

    def _framed_names(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """Names framed by a letter: after a greeting ("Bonjour Capucine,") or alone on the last line."""
        for m in _GREETING_RX.finditer(text):
            for run in self._clean(text, m.start("name"), m.end("name")):
                if run.start != m.start("name"):
                    continue  # "Bonjour Madame Dupont": the cue recogniser has it
                run = self._extend(text, run)
                tokens = self._meaningful(run)
                if not tokens or fold(tokens[0]) in _NOT_GREETED or self._has_company_word(text, run):
                    continue
                if len(tokens) == 1 and fold(tokens[0]) in _ASSISTANTS:
                    continue
                if fold(" ".join(tokens)) in PLACES or (len(tokens) == 1 and fold(tokens[0]) in PLACES):
                    continue
                if _is_first_name(tokens[0]) or len(tokens) >= 2:
                    yield run.start, run.end, self.scores.signature, "greeting"
                else:
                    yield run.start, run.end, self.scores.first_name, "greeting"
        tail = max(0, len(text) - 200)
        m = _LAST_LINE_RX.search(text, tail) or _INLINE_CLOSING_RX.search(text, tail)
        if m is not None:
            for run in self._clean(text, m.start("name"), m.end("name")):
                run = self._extend(text, run)
                if self._has_company_word(text, run):
                    break
                tokens = self._meaningful(run)
                # "A+ Tancrède »": after a closing, the last word of a message is its author, known
                # first name or not (a place or a stop word is not).
                closed = m.group("closing") is not None and bool(tokens)
                if closed and any(fold(t) in PLACES or self._is_stopword(t) for t in tokens):
                    closed = False
                if _is_first_name(run.name_tokens[0]) or closed:
                    yield run.start, run.end, self.scores.signature, "signature"
                break
        elif any(c.islower() for c in text[tail:]):
            yield from self._lower_signature(text, tail)
        yield from self._names_in_addresses(text)
        yield from self._chat_handles(text)
        yield from self._chat_speakers(text)

    def _lower_signature(self, text: str, tail: int) -> Iterable[tuple[int, int, float, str]]:
        """A signature typed in lower case: the last line of a message after a closing ("salutations
        distinguées.⏎⏎nathane le barbier", "… le dossier. A+ devran »"), or alone under a sentence
        ("merci de me rappeler au 06….⏎michaela"). After a closing, a word French uses little
        suffices; alone, every word must be unknown to French (or a known first name) and no chat
        word, English word, acronym or tool ("merci", "thx", "cdt", "asap", "github")."""
        m = _LOWER_LAST_LINE_RX.search(text, tail) or _LOWER_INLINE_CLOSING_RX.search(text, tail)
        if m is None:
            return
        words = [w for w in m.group("name").split() if fold(w) not in _PARTICLES]
        english = _stop_words()[0]
        keys = [fold(w) for w in words]
        if (
            not words
            or any(map(self._names_a_thing, words))
            or any(
                k in english
                or k in _ACRONYMS
                or k in _NOT_A_NAME_VALUE
                or k in _PROMPT_JARGON
                or k in self.allowlist
                or len(k) < 3
                for k in keys
            )
        ):
            return
        before = text[: m.start("name")].rstrip()
        above = before.rsplit("\n", 1)[-1]
        # a closing before the name, or ending the line above ("… mes salutations distinguées.")
        closed = m.group("closing") is not None or bool(_CLOSING_LINE_RX.search(above))
        if not closed:
            # alone, under a message that greets or gives a number to call back ("Bonjour, … merci de me
            # rappeler au 06….⏎michaela"), not under a question about a term ("Traduis ce mot.⏎headcount")
            if (
                (_MESSAGE_OPENING_RX.match(above) or _CONTACT_VALUE_RX.search(above))
                and before[-1:] in (".", "!", "?")
                and len(keys[0]) >= 4  # "thx", "cdt", "slt": chat sign-offs are short
                and not any(k in _CHAT_SIGN_OFFS for k in keys)
                and all(
                    not is_word_or_typo(w) or (_is_first_name(w) and fold(w) not in _AMBIGUOUS_FIRST_NAMES)
                    for w in words
                )
            ):
                yield m.start("name"), m.end("name"), self.scores.first_name, "signature"
            return
        if any(
            not _is_common_word(k) and (not is_word_or_typo(w) or _is_name_word(w))
            for w, k in zip(words, keys, strict=True)
        ):
            yield m.start("name"), m.end("name"), self.scores.signature, "signature"

    def _documented_names(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """Names a document says are people: right before a date of birth ("Soham Dorkeld (DDN
        24/12/1973)", "Voicu Loyer, né le …") or bank details ("à Perlina Sautrel, IBAN …"; two words at
        least: one is as often a company), and on the line above a postal address in a letter
        ("Mordjane Lanoir" then "Appartement 12", "124 impasse de Verdun"), where the model, seeing
        neither a cue nor a known name, often tags nothing or a place.

        The name is the run of capitalised words that ends right before the cue (read back at most 80
        characters), or the whole line above the address; a company word, a place or words French
        knows (a department: "Service Comptabilité") leave it out.
        """
        cues = (
            (_BIRTH_AFTER_NAME_RX, True, "birth"),
            # "virer 670 € à Perle Sautel, IBAN FR…": a payee of one word is as often a company
            (_BANK_AFTER_NAME_RX, False, "payee"),
        )
        for rx, single, why in cues:
            for m in rx.finditer(text):
                head = text[max(0, m.start() - 6) : m.start()]
                cue = m.start() - (len(head) - len(head.rstrip(" \u00a0,(")))  # "Anne Morel, IBAN"
                runs = self._clean(text, max(0, cue - 80), cue)
                if runs and not text[runs[-1].end : cue].strip():
                    if self._documented_run(text, runs[-1], single=single):
                        yield runs[-1].start, runs[-1].end, self.scores.label, why
                    continue
                # typed in lower case: "9h dgino fournil (DDN …)", "locataire matis ammour, né le …",
                # "à kamira le morvan, IBAN …"
                low = _LOWER_WORDS_BEFORE_RX.search(text, max(0, cue - 80), cue)
                if low is None:
                    continue
                words = list(re.finditer(r"\S+", low.group("name")))
                first = words[0].group()
                if len(words) >= 3 and is_french_word(first) and not _is_name_word(first):
                    words = words[1:]  # "locataire matis ammour": the role before the name
                if self._lower_documented([w.group() for w in words]):
                    base = low.start("name")
                    yield base + words[0].start(), base + words[-1].end(), self.scores.label, why
        # what is handed to someone: "poste PC-11 attribué à Tala Gaffet", "badge remis à tala gaffet"
        for m in _ASSIGNED_TO_RX.finditer(text):
            runs = self._clean(text, m.end(), min(len(text), m.end() + 80))
            if runs and runs[0].start == m.end():
                if self._documented_run(text, runs[0], single=False):
                    yield runs[0].start, runs[0].end, self.scores.label, "assigned"
                continue
            low = _LOWER_WORDS_AFTER_RX.match(text, m.end())
            if low is not None:
                words = low.group("name").split()
                if self._lower_documented(words):
                    yield low.start("name"), low.end("name"), self.scores.label, "assigned"
        for m in _RECIPIENT_LINE_RX.finditer(text):
            runs = self._clean(text, m.start("name"), m.end("name"))
            if len(runs) == 1 and (runs[0].start, runs[0].end) == (m.start("name"), m.end("name")):
                if self._documented_run(text, runs[0], single=False):
                    yield runs[0].start, runs[0].end, self.scores.label, "recipient"

    def _names_a_thing(self, word: str) -> bool:
        """Whether ``word`` is never a word of a name typed in lower case: a stop word (French, a cue,
        an allowlisted tool), a place or a company word. Shared by the lower-case layout rules."""
        key = fold(word)
        return self._is_stopword(word) or key in _LOWER_STOPWORDS or key in PLACES or key in _COMPANY_WORDS

    def _lower_documented(self, words: list[str]) -> bool:
        """Whether lower-case words a layout points at are a name: two or three words (a particle
        between them aside: "kamira le morvan"), none a stop word, a role, a place or a company word, one
        of them unknown to French or a known name."""
        inner = [w for w in words[1:-1] if fold(w) not in _PARTICLES]
        words = words[:1] + inner + words[-1:] if len(words) > 1 else words
        return (
            2 <= len(words) <= 3
            and not any(self._names_a_thing(w) or fold(w) in _ROLE_WORDS for w in words)
            and any(not is_french_word(w) or _is_name_word(w) for w in words)
        )

    def _documented_run(self, text: str, run: _Run, single: bool) -> bool:
        """Whether a run a document's layout points at (:meth:`_documented_names`, :meth:`_bulleted_names`)
        is a name: capitalised words, one French does not know (or a known first or family name), no
        company word, place, building or stop word; a single word only where ``single`` allows it."""
        tokens = self._meaningful(run)
        return (
            bool(tokens)
            and (single or len(tokens) >= 2)
            and all(t[0].isupper() for t in tokens)
            and not self._is_stopword(tokens[0])
            and fold(tokens[0]) not in _PLACE_WORDS
            and fold(tokens[0]) not in _BUILDING_WORDS  # "Tour Europlaza", "Domaine Kerjean"
            and any(not is_french_word(t) or _is_first_name(t) or _is_last_name(t) for t in tokens)
            and not self._has_company_word(text, run)
            and not any(fold(t) in PLACES for t in tokens)
            and fold(" ".join(tokens)) not in PLACES
        )

    def _contact_row_names(self, text: str) -> Iterable[tuple[int, int]]:
        """A family name and a first name in neighbouring cells of a row that holds a phone number or
        an e-mail address: a contact pasted without its header ("Dupont;Marie;0612345678",
        "Pivert\tTimothe\t06…"; one row is no table for :meth:`_table_names`). One cell must be a
        listed first name (rare, compound or spelled otherwise; not one that is also a word or a
        place: "Rose", "Florence"), the other a capitalised word that is no place, company word,
        acronym or frequent French word ("Marie;Mobile;06…", "Lyon;Marie;06…") unless a listed
        family name; typed in lower case, neither a plain French word that no list names
        ("dupont;marie;06…"; not "bleu;rose;06…"). Each cell keeps its own span, so the row keeps its
        separators."""
        if not any(sep in text for sep in _ROW_SEPARATORS):
            return
        in_tables: set[int] | None = None  # lines of tables, read by columns; found for the first row only
        for line_start, line in lines_with_offsets(text):
            sep = next((sep for sep in _ROW_SEPARATORS if line.count(sep) >= 2), None)
            if sep is None or not _CONTACT_ROW_VALUE_RX.search(line):
                continue
            if in_tables is None:
                in_tables = {start for _, rows in _table_blocks(text) for start, _ in rows}
            if line_start in in_tables:
                continue
            cells = [(line_start + offset, cell) for offset, cell in split_cells(line, sep)]
            start, first = cells[0]
            if (colon := first.rfind(": ")) >= 0:  # "Ajoute ce contact : Pivert;Timothe;06…"
                rest = first[colon + 2 :]
                cells[0] = (start + colon + 2 + len(rest) - len(rest.lstrip()), rest.strip())
            for (a_start, a), (b_start, b) in zip(cells, cells[1:], strict=False):
                if not (_NAME_WORD_RX.fullmatch(a) and _NAME_WORD_RX.fullmatch(b)) and not (
                    # typed in lower case: no plain French word ("bleu;rose;06…", "client;marie;06…")
                    _LOWER_TOKEN_FULL.fullmatch(a)
                    and _LOWER_TOKEN_FULL.fullmatch(b)
                    and not any(
                        _is_plain_word(w) and not (_is_first_name(w) or _is_last_name(w)) for w in (a, b)
                    )
                ):
                    continue
                if any(
                    self._row_first_name(first) and self._row_family_name(family)
                    for first, family in ((a, b), (b, a))
                ):
                    yield a_start, a_start + len(a)
                    yield b_start, b_start + len(b)

    def _mail_header_names(self, text: str) -> Iterable[tuple[int, int]]:
        """Who an e-mail pasted with its header is from and to: "De : Giles BEL <g.bel@…>", "À : Macire
        Verdun ; Cc : Leanna Ciavaldini". Only in a header (at least two of its fields: "De", "À",
        "Cc", "Objet", "Envoyé", "From", "To"…), and only a value of two capitalised words or more that
        a document's layout would make a name (:meth:`_documented_run`): not "À : Service Achats",
        "De : Sofradis", "À : Lyon"."""
        if ":" not in text or len(_MAIL_FIELD_RX.findall(text)) < 2:
            return
        for m in _MAIL_PARTY_RX.finditer(text):
            for item in _MAIL_ITEM_RX.finditer(text, m.start("value"), m.end("value")):
                runs = self._clean(text, item.start(), item.end())
                if runs and self._documented_run(text, runs[0], single=False):
                    yield runs[0].start, runs[0].end

    def _row_first_name(self, word: str) -> bool:
        """A listed first name (any class, compound or spelling, or of another country: the row's phone
        number or address is the evidence) that is no word or place too."""
        key = fold(word)
        return _is_any_first_name(key) and key not in _AMBIGUOUS_FIRST_NAMES and not self._is_stopword(word)

    def _row_family_name(self, word: str) -> bool:
        """A cell beside a first name that may be its family name: a listed one, or no place, company
        word, acronym, stop word or frequent French word."""
        key = fold(word)
        if key in PLACES or key in _COMPANY_WORDS or key in _ACRONYMS or _is_short_upper(word):
            return False
        return _is_last_name(word) or not (self._is_stopword(word) or _is_common_word(key))

    def _names_in_addresses(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """Two name words that an e-mail address of the same text spells ("Madyson Delbaere (…) –
        madyson.delbaere80@…", "Mahana Peillon (mahanapeillon@…)"): the address is the person's, so
        the words are a name whether the lists know them or not; so does an address made of the first
        name's initial and the family name ("France-Line Perriot (fperriot@…)"). The two words may be
        neighbouring cells of a row ("Sortais;Leeyah;06…;leeyah.sortais@…"). Needs both words (a lone
        "Lyon" in agence.lyon@… proves nothing) and no place or company word among them."""
        locals_ = [fold(m.group(1)) for m in _EMAIL_LOCAL_RX.finditer(text)]
        if not locals_:
            return
        glued = {_letters(local) for local in locals_}
        words = list(_NAME_WORD_RX.finditer(text))
        for a, b in zip(words, words[1:], strict=False):
            between = text[a.end() : b.start()].strip(" \u00a0\u202f")
            if between and between not in (";", ",", "|", "\t"):
                continue  # not side by side, nor neighbouring cells ("Sortais;Leeyah;06…;leeyah.sortais@…")
            keys = [fold(a.group()), fold(b.group())]
            first, last = (_letters(k) for k in keys)
            # Spelled by an address: the test almost every pair fails, before the word lists.
            if min(len(first), len(last)) < 2 or not (
                any((first in local and last in local) or last + first in local for local in locals_)
                or first[0] + last in glued  # "France-Line Perriot (fperriot@…)"
            ):
                continue
            if any(k in PLACES or k in _COMPANY_WORDS for k in keys) or any(
                map(self._is_stopword, (a.group(), b.group()))
            ):
                continue
            if between:  # two cells: each keeps its own span, so the row keeps its separator
                yield a.start(), a.end(), self.scores.label, "email"
                yield b.start(), b.end(), self.scores.label, "email"
            else:
                yield a.start(), b.end(), self.scores.label, "email"
        yield from self._lower_names_in_addresses(text, glued)

    def _lower_names_in_addresses(self, text: str, glued: set[str]) -> Iterable[tuple[int, int, float, str]]:
        """The same, typed in lower case ("noria gentric;Ecoplast;gentric.noria@gmail.com",
        "mai-ly eschenbrenner <mai-ly_eschenbrenner@…>"): both words are parts of one address, or
        an address (``glued``: the letters of each) is the two words glued; not two words French
        knows ("service client", service.client@…). Parts are looked up in sets, so a table of many
        rows stays linear."""
        if not any(c.islower() for c in text):
            return
        parts = _address_parts(text)
        letters: dict[str, str] = {}  # each word is read as the first of a pair, then as the last
        for m in _LOWER_PAIR_RX.finditer(text):
            words = (m.group("first"), m.group("last"))
            first, last = (letters.get(w) or letters.setdefault(w, _letters(fold(w))) for w in words)
            if min(len(first), len(last)) < 2 or not (
                (first in parts and last in parts)
                or first + last in glued
                or last + first in glued
                or first[0] + last in glued  # "asma ondet", aondet@…
            ):
                continue
            keys = [fold(w) for w in words]
            if any(k in _COMPANY_WORDS or k in _LOWER_STOPWORDS for k in keys) or any(
                map(self._is_stopword, words)
            ):
                continue
            # a place or a word is one of the names only beside a word that is neither ("venise
            # villatte", vvillatte@…; not "agence lyon", agence.lyon@…)
            if all(
                k in PLACES or (is_french_word(w) and not _is_name_word(w))
                for w, k in zip(words, keys, strict=True)
            ):
                continue
            yield m.start(), m.end("last"), self.scores.label, "email"

    def _elided_subjects(self, text: str) -> Iterable[tuple[int, int]]:
        """A family name with an elided particle as the subject that opens a sentence ("D'Ornano a
        validé le devis"): not a word of French ("D'Abord", "D'Après"), a place ("D'Annecy"), a tool
        of the allow list or a company word."""
        for m in _ELIDED_SUBJECT_RX.finditer(text):
            name = m.group("name")
            key = fold(name)
            if is_french_word(name) or key in PLACES or key in self.allowlist or key in _COMPANY_WORDS:
                continue
            yield m.start(), m.end()

    def _verb_subjects(self, text: str, not_people: Sequence[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """A word French does not know that opens a sentence before a verb in the past, the future or
        the conditional, or before a negation or a pronoun and its verb ("Rasseneur fermait la
        maison", "Chaval n'était guère gentil", "Kowalczyk relira le contrat"): the subject of that
        verb, where the model tagged it as a person or not at all (``not_people``: its spans of places,
        companies and works; the fine-tuned model, taught that an imperative opens a prompt, often
        leaves a subject untagged there, and one word it tags alone scores low). Not a place, a tool
        of the allow list, a company word, an acronym, nor in an English sentence."""
        for m in _SUBJECT_RX.finditer(text):
            name = m.group("word")
            start, end = m.span("name")
            key = fold(name)
            if (
                self._is_word_or_tool(name)
                or key in PLACES
                or key in _HANDLE_NOT_PEOPLE  # "Jenkins relancera le build", "Claude a rédigé…"
                or key in _AMBIGUOUS_FIRST_NAMES
                or any(s < end and start < e for s, e in not_people)
            ):
                continue
            word = m.group("next")
            elided = "'" in word or "’" in word
            third = m.group("third") or ""
            if word == "a":  # "avoir", not the "à" after an imperative ("Réponds a la RH")
                verb = bool(third) and fold(third) not in _AFTER_IMPERATIVE
            elif word in _AUXILIARY_FORMS:
                verb = True
            elif fold(re.split("['’]", word)[0] + "'" if elided else word) in _BEFORE_VERB:
                # a pronoun before a word of French, not a particle before more of the name
                # ("nathan le barbet")
                verb = elided or (bool(third) and is_french_word(third) and not _is_name_word(third))
            else:
                verb = (
                    _PAST_OR_FUTURE_VERB_RX.fullmatch(word) is not None
                    and is_french_word(word)  # "Bjr nassira": a name, not a verb
                    and not _is_name_word(word)
                )
            if verb and not _in_english(text, start, end):
                yield start, end

    def _quoted_speakers(self, text: str, companies: Sequence[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """Who says the words a verb of saying follows ("– Je le sais, répondit Aramis", "« C'est
        signé », a précisé Kowalczyk", "répondit aramis"): a word French does not know, capitalised or
        not, where the model saw no company or work (``companies``: its ORG and MISC spans; "…,
        précise Capgemini"). Not a tool of the allow list, a company word or an acronym."""
        for m in _SPEAKER_RX.finditer(text):
            start, end = m.span("name")
            if not self._is_word_or_tool(re.sub(r"^[dD]['’]", "", m.group("name"))) and not any(
                s < end and start < e for s, e in companies
            ):
                yield start, end

    def _is_word_or_tool(self, word: str) -> bool:
        """Whether ``word``, where a subject or a speaker stands, is a word of French (any part of it:
        "Avez-vous", "dit-elle"), a tool of the allow list, a company word or an acronym."""
        key = fold(word)
        return (
            any(is_french_word(part) for part in word.split("-"))
            or key in self.allowlist
            or key in _COMPANY_WORDS
            or key in _ACRONYMS
        )

    def _chat_speakers(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """Speakers of a transcript pasted with its times ("[10:42] Kaiss Stumpf : ok pour moi",
        "10:42 - Lea : je regarde"): the words before the colon that could be a name, as after a verb of
        calling; not a bot, a channel or a role ("[10:42] Jenkins : build OK", "[10:43] Support IT :")."""
        if ":" not in text:
            return
        for m in _TIMED_SPEAKER_RX.finditer(text):
            if fold(m.group("name").split()[0]) not in _HANDLE_NOT_PEOPLE:
                for start, end, score in self._leading_name_words(text, m):
                    yield start, end, score, "handle"

    def _chat_handles(self, text: str) -> Iterable[tuple[int, int, float, str]]:
        """User handles of a chat pasted in a prompt ("@jodi : le build casse", "merci @jean.dupont"):
        a handle is a person's identifier, made of their names more often than not. A handle that
        opens a line before ":" speaks in a transcript, whatever its words; one met elsewhere counts
        when one of its parts is a known first or family name. Channels, roles, bots and tools
        ("@here", "@admin", "@jenkins"; the allowlist's words: "@github"), places and, unless it is a
        known name, a French word ("@support") are not people."""
        if "@" not in text:
            return
        for m in _HANDLE_RX.finditer(text):
            parts = [p for p in re.split(r"[._-]+", m.group("handle")) if p]
            keys = [fold(p) for p in parts]
            if not keys or any(
                k in _HANDLE_NOT_PEOPLE or k in PLACES or k in _COMPANY_WORDS or self._is_stopword(k)
                for k in keys
            ):
                continue
            known = any(_is_first_name(p, rare=True) or _is_last_name(p) for p in parts)
            if m.group("speaker"):
                if known or not all(is_french_word(p) for p in parts):
                    yield m.start("handle"), m.end("handle"), self.scores.label, "handle"
            elif known:
                yield m.start("handle"), m.end("handle"), self.scores.ner, "handle"

    def _upper_case_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """ "DUPONT Jean" / "Jean DUPONT": an upper-case family name next to a first name.

        The first name must be a known one, unless the family name has the shape of one on its own:
        hyphenated or in two words ("GALLET-PICHON Lorraine", "LE BIHAN Maël").
        """
        for u in _UPPER_SEQ_RX.finditer(text):
            upper = u.group()
            uppers = upper.split()
            if any(
                fold(w) in _ACRONYMS
                or self._is_stopword(w)
                or fold(w) in _COMPANY_WORDS
                or _is_short_upper(w)
                for w in uppers
            ):
                continue
            after = _CAP_AFTER_RX.match(text, u.end())
            before = _CAP_BEFORE_RX.search(text, max(0, u.start() - 40), u.start())
            for m in (after, before):
                if m is None:
                    continue
                name = m.group("first")
                if self._is_stopword(name) or fold(name) in _COMPANY_WORDS:
                    continue
                if not _is_first_name(name, rare=True):
                    compound = "-" in upper or len(uppers) == 2
                    if not compound or fold(name) in PLACES or fold(name) in _NAMED_THING_WORDS:
                        continue
                start, end = min(u.start(), m.start("first")), max(u.end(), m.end("first"))
                run = self._extend(text, _Run(start, end, (*uppers, name)))
                yield run.start, run.end, self.scores.upper_case

    def _lone_first_names(
        self, text: str, caps: list[tuple[int, int, str]]
    ) -> Iterable[tuple[int, int, float]]:
        """A capitalised known first name the model missed ("Réponds à Margaux", "2. Laure relance").

        With the family name next to it ("14h Alexandrie Dupuy"), the whole name scores as NER.
        Skipped after a street or institution word ("rue Victor Hugo", "lycée Jean Moulin"), next to a
        company word ("Marcel Transports"), and for first names that are also common words, places or
        product names ("Claude", "Rose", "Florence") unless a known family name follows.

        A first name of another country (``WORLD_FIRST_NAMES``: "Garth Underwood", "Yoshihiko
        Noda") and one after an elided "d'" ("l'arrivée d'Unai Emery") count only as the first of
        two words, the second a family name by :meth:`_family_after`; alone they are no evidence
        ("la Magic d'Orlando", "le peuple d'Israël").
        """
        elided = [(m.start(1), m.end(1), m.group(1)) for m in _ELIDED_CAP_RX.finditer(text)]
        elided_starts = {start for start, _, _ in elided}
        for start, end, token in [*caps, *elided]:
            key = fold(token)
            if not _is_any_first_name(key) or self._is_stopword(token):
                continue
            strict = key not in ALL_FIRST_NAMES or start in elided_starts
            before = fold(text[max(0, start - 25) : start]).split()
            if before and (
                before[-1] in _PLACE_WORDS
                or before[-1] in _NAMED_THING_WORDS
                or (
                    before[-1].endswith("-")
                    and not _BULLET_BEFORE_RX.fullmatch(text, text.rfind("\n", 0, start) + 1, start)
                )
                or before[-1] in _ARTICLES  # "La Reine des neiges", "le Vaillant"
                or before[-1] == "en"  # "en Israël", "en Louisiane": places
            ):
                continue
            run = self._extend(text, _Run(start, end, (token,)))
            if self._has_company_word(text, run) or fold(text[run.start : run.end]) in PLACES:
                continue  # "Marcel Transports"; "un séjour à Santa Monica"
            if _ends_a_place(before, key):
                continue  # "la météo à El Salvador", "le salon de San Diego"
            previous = self._previous_word(text, run.start)
            if previous in _PLACE_WORDS or previous in _NAMED_THING_WORDS:
                continue  # "lycée Victor Hugo", found from "Hugo"
            if len(run.name_tokens) >= 2:
                others = list(run.name_tokens)
                others.remove(token)
                if strict and not self._family_after(text, run, token):
                    continue
                if key in _AMBIGUOUS_FIRST_NAMES and not any(
                    _is_last_name(t) or _UPPER_FULL.fullmatch(t) for t in others
                ):
                    continue
                yield run.start, run.end, self.scores.ner
            elif key not in _AMBIGUOUS_FIRST_NAMES and key in FIRST_NAMES and not strict:
                yield run.start, run.end, self.scores.first_name  # a rare first name alone: not enough

    def _family_after(self, text: str, run: _Run, first: str) -> bool:
        """Whether ``run`` is ``first`` and one family name after it: a capitalised word that is no
        French word, place or stop word, the two no place together ("Sri Lanka"). Two words only:
        past them, a first name of another country starts a place or a thing as often ("Jasna Góra de
        Częstochowa", "Ormond Street Hospital")."""
        tokens = run.name_tokens
        if len(tokens) != 2 or tokens[0] != first or fold(text[run.start : run.end]) in PLACES:
            return False
        family = tokens[1]
        return (
            family[:1].isupper()
            and not is_french_word(family)
            and fold(family) not in PLACES
            and not self._is_stopword(family)
        )

    def _lower_case_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """ "bonjour marie dupont," / "relance paul lefort pour ...": a name typed in lower case after a
        greeting or a verb of address, which the model often misses.

        The first word must be a known first name that is not also a word ("rose", "pierre" as a
        stone: ambiguous first names need a known family name after them). The next word is part of the
        name when it is a known family name, or a word that is not a French stop word followed by a
        stop word, punctuation or the end ("relance paul kowalczyk pour ..."). A known first and family
        name score as NER; a first name alone, or with an unknown word, as a lone first name.
        """
        for m in _ADDRESS_RX.finditer(text):
            first, last = m.group("first"), m.group("last")
            key = fold(first)
            if key not in ALL_FIRST_NAMES or key in _LOWER_STOPWORDS or self._is_stopword(first):
                continue
            end = m.end("first")
            known_last = False
            if last is not None:
                lkey = fold(last)
                if lkey in _COMPANY_WORDS:
                    continue  # "relance alpha maintenance pour la livraison": a company
                if lkey in LAST_NAMES:
                    known_last, end = True, m.end("last")
                elif lkey not in _LOWER_STOPWORDS and not self._is_stopword(last) and lkey not in PLACES:
                    after = text[m.end("last") : m.end("last") + 30]
                    nxt = re.match(r"[ \u00a0]*([^\s]*)", after)
                    word = nxt.group(1) if nxt else ""
                    if not word or word[0] in ",.;:!?)»\"'" or fold(word.strip(",.;:!?")) in _LOWER_STOPWORDS:
                        end = m.end("last")
            if (key in _AMBIGUOUS_FIRST_NAMES or key not in FIRST_NAMES) and not known_last:
                continue  # a rare or ambiguous first name alone is not enough
            score = self.scores.ner if known_last else self.scores.first_name
            yield m.start("first"), end, score

    def _lower_full_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """ "et bruno ganz.", "sa femme sara renner est ...": a known first name and the word after it,
        both typed in lower case, anywhere.

        The first name must be a frequent one that is not also a French word ("claire", "pierre",
        "rose" are left out unless a known family name follows) and must not follow an article
        ("une claire explication"); the next word must not be a stop word. A rarer first name, of
        INSEE's list or of another country's ("yoshihiko noda"), counts before a word French does not
        know either; one of another country's only, not after a capitalised word ("la devise In hoc
        signo": a foreign phrase). After an elided "d'" too ("l'album d'alicia keys"), not after
        another elision ("l'olive noire"). A known family name after it scores as NER, another word as
        a lone first name.
        """
        for m in _LOWER_PAIR_RX.finditer(text):
            first, last = m.group("first"), m.group("last")
            key, lkey = fold(first), fold(last)
            if key in _LOWER_STOPWORDS or self._is_stopword(first):
                continue
            if key not in FIRST_NAMES and not (
                _is_any_first_name(key) and not is_french_word(first) and not is_french_word(last)
            ):
                continue
            if key not in ALL_FIRST_NAMES and _AFTER_CAPITALISED_RX.search(
                text, max(0, m.start() - 30), m.start()
            ):
                continue  # "la devise In hoc signo": after a capitalised word, a foreign phrase or title
            if (
                lkey in _LOWER_STOPWORDS
                or self._is_stopword(last)
                or lkey in PLACES
                or lkey in _COMPANY_WORDS
            ):
                continue  # "marcel transports": a company
            if f"{key} {lkey}" in PLACES:
                continue  # "salon à las vegas", "bureau de sri lanka"
            known_last = lkey in LAST_NAMES
            if not known_last and (key in _LOWER_WORD_FIRST_NAMES or key in _AMBIGUOUS_FIRST_NAMES):
                continue
            before = fold(text[max(0, m.start() - 12) : m.start()]).split()
            if before and (before[-1] in _ARTICLES or (before[-1].endswith("'") and before[-1] != "d'")):
                continue
            if _ends_a_place(before, key):
                continue  # "l'agence de santa monica demande…"
            english = _stop_words()[1]
            if key in english or lkey in english:
                # "can you summarize…": a first name ("Can") before an English word; "ask sarah if…":
                # a common first name alone, which English would not write in lower case otherwise
                if _is_english_safe_first_name(first):
                    yield m.start(), m.end("first"), self.scores.first_name
                continue
            yield m.start(), m.end("last"), self.scores.ner if known_last else self.scores.first_name

    def _role_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """ "l'acteur hugh laurie", "le philosophe allemand heidegger": up to three words after a noun
        that names a person by their role (and one common adjective), whatever their case.

        Every word must be a possible name: not a common French word (``models/frequent_words.txt``:
        "le pilote automatique"), a stop word ("le joueur le plus connu"), a place, a company word or
        another role. One word scores as a lone first name, two or more as NER.
        """
        for m in _ROLE_RX.finditer(text):
            pos, words = m.end(), []
            skipped = company = False
            while len(words) < 3 and (w := _ROLE_WORD_RX.match(text, pos)) is not None:
                key = fold(w.group(1))
                if key in _COMPANY_WORDS and words:
                    company = True  # "le fondateur Nexora Conseil": a company's name, not a person's
                    break
                # "le gardien nigérian", "le président géorgien": a French word in lower case that no
                # name list knows is an adjective of the role, not a name
                adjective = (
                    w.group(1).islower() and is_french_word(w.group(1)) and not _is_name_word(w.group(1))
                )
                possible = not (
                    adjective
                    or key in _COMMON_WORDS
                    or key in _LOWER_STOPWORDS
                    or self._is_stopword(w.group(1))
                    or key in PLACES
                    or key in _COMPANY_WORDS
                    or key in _ROLE_WORDS
                    or len(key) < 2
                    or _is_short_upper(w.group(1))  # "le candidat UDF"
                    or _ELIDED.match(key) is not None  # "la chanteuse s'amorce", "l'acteur"
                    or (not words and _ADJECTIVE_OR_VERB.search(w.group(1).lower()) is not None)
                )
                if possible:
                    words.append(w)
                elif (
                    not words
                    and not skipped
                    and (key in _COMMON_WORDS or adjective or _is_short_upper(w.group(1)))
                    and key not in _LOWER_STOPWORDS
                    and not self._is_stopword(w.group(1))
                ):
                    # "le philosophe allemand heidegger", "le ministre SPD gustav noske": one adjective
                    # or party between
                    skipped = True
                else:
                    break
                pos = w.end()
            if words and not company:
                score = self.scores.ner if len(words) >= 2 else self.scores.first_name
                yield words[0].start(1), words[-1].end(1), score

    def _company_cells(self, text: str) -> Iterable[tuple[int, int]]:
        """(start, end) of the cells under a company column (``Société``, ``Entreprise``...) of a
        CSV-like table: what the model calls a person there is a company name."""
        if not COMPANY_HINT_RX.search(text):
            return
        lines = lines_with_offsets(text)
        for i, (_, line) in enumerate(lines):
            header = company_header(line)
            if header is None:
                continue
            sep, companies, width = header
            for row_start, row in lines[i + 1 :]:
                if not row.strip() or row.count(sep) < width - 1:
                    break
                for j, (cell_start, cell) in enumerate(split_cells(row, sep)):
                    if j in companies:
                        yield row_start + cell_start, row_start + cell_start + len(cell)

    def _csv_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """Cells under a name or person column of a CSV-like table (``;``, ``,``, tab or ``|``).

        Name columns (``Nom``, ``Prénom``...) give their cells as they are; role columns (``Client``,
        ``Contact``, ``Salarié``...) give cells that look like a person (see :meth:`_person_like`).
        """
        score = self.scores.label
        lines = lines_with_offsets(text)
        i = 0
        while i < len(lines):
            header = csv_header(lines[i][1])
            if header is None:
                i += 1
                continue
            sep, columns, roles, width = header
            i += 1
            while i < len(lines):
                row_start, row = lines[i]
                if not row.strip() or row.count(sep) < width - 1:
                    break
                for index, (cell_start, cell) in enumerate(split_cells(row, sep)):
                    if index in columns:
                        if _looks_like_name_cell(cell) and not self._is_stopword(cell):
                            yield row_start + cell_start, row_start + cell_start + len(cell), score
                    elif index in roles:
                        start = row_start + cell_start
                        for run in self._clean(text, start, start + len(cell)):
                            if self._person_like(text, run, mixed=roles[index]):
                                yield run.start, run.end, score
                i += 1

    def _table_names(self, text: str) -> Iterable[tuple[int, int, float]]:
        """Cells of a table whose header names no people (or that has none: rows copied from a
        spreadsheet), when a column shows what it holds: mostly known first names ("Sophie",
        "chidi" is then one too), mostly full names ("DUPONT Jean", "jean dupont"), and beside a
        first-name column, a column of words that look like family names.

        Known first names count only when they are not also words or places ("Rose", "Florence"):
        a column of colours or cities is not a column of people. The model reads "Dupont;Jean;Lyon"
        as one token, so without this a table without its header lost most of its names.
        """
        for sep, rows in _table_blocks(text):
            if csv_header(rows[0][1]) is not None:
                continue  # a header of names: _csv_names reads the table
            columns = list(zip(*(split_cells(row, sep) for _, row in rows), strict=True))
            kinds: dict[int, str] = {}
            share: dict[int, float] = {}  # of a column's cells that are first names, weighted
            for j, column in enumerate(columns):
                values = _distinct_values(column)
                if values is None:
                    continue  # a category ("Asia", "Iris-setosa" on every row), not one person per row
                known = sum(_first_name_weight(v) for v in values)
                share[j] = known / len(values)
                if known * 2 >= len(values):
                    kinds[j] = "first"
                elif known >= 2 and known * 3 >= len(values):
                    kinds[j] = "first?"  # a first-name column if a family-name column is beside it
                elif sum(_is_full_name_cell(v) for v in values) * 2 >= len(values):
                    kinds[j] = "full"
            for j in sorted(kinds):
                if kinds[j].startswith("first") and kinds.get(j + 1, "").startswith("first"):
                    # two columns of first names side by side: family names that are first names too
                    # ("Thomas;Margaux", "Hamel;Léon"), beside the column with more first names
                    kinds[j if share[j] < share[j + 1] else j + 1] = "family"
            for j in [j for j, kind in kinds.items() if kind.startswith("first")]:
                if "family" in (kinds.get(j - 1), kinds.get(j + 1)):
                    kinds[j] = "first"  # its family names found just above: the other side is not one
                    continue
                # Family names are on one side, and the other column may be cities or job titles: the
                # side more of whose cells a family name list holds, or both when neither tells.
                beside = {
                    k: _family_names(columns[k])
                    for k in (j - 1, j + 1)
                    if 0 <= k < len(columns) and k not in kinds and _is_family_column(columns[k])
                }
                most = max(beside.values(), default=0)
                if kinds[j] == "first?" and not most:
                    continue  # few first names, and no family name beside them: not a table of people
                for k, known in beside.items():
                    if known == most:
                        kinds[j], kinds[k] = "first", "family"
            named = [j for j, kind in kinds.items() if kind != "first?"]
            first = 1 if named and _heads_table(columns, named) else 0
            for j in named:
                for (row_start, _), (cell_start, cell) in zip(rows[first:], columns[j][first:], strict=True):
                    if _is_name_cell(cell) and not self._is_stopword(cell):
                        yield row_start + cell_start, row_start + cell_start + len(cell), self.scores.ner


#: Rows (a header included) a block of lines needs to be read as a table whose columns tell their kind.
_MIN_TABLE_ROWS = 3


def _letters(key: str) -> str:
    """The letters a-z of a folded word ("mai-ly" -> "maily"): how an e-mail address spells it. Most
    words are letters only, and skip the regular expression (this runs on every pair of words)."""
    return key if key.isascii() and key.isalpha() else re.sub(r"[^a-z]", "", key)


def _address_parts(text: str) -> set[str]:
    """The letter runs of the local parts of the e-mail addresses of ``text`` ("carmelo", "appel" for
    carmelo.appel58@…), folded."""
    return {
        part
        for m in _EMAIL_LOCAL_RX.finditer(text)
        for part in re.split(r"[^a-z]+", fold(m.group(1)))
        if len(part) >= 2
    }


def _ends_lower_word(text: str, end: int) -> bool:
    """Whether the word that ends at ``end`` is in lower case (running text, not a list item)."""
    m = re.search(r"([\w'’-]+)\Z", text[max(0, end - 40) : end])
    return m is not None and m.group(1).islower()


def _in_comma_table(text: str, line_start: int, line_end: int) -> bool:
    """Whether the line is a row of a comma-separated table: a line next to it holds as many commas."""
    commas = text.count(",", line_start, line_end)
    if commas < 2:
        return False
    before_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    if line_start > 0 and text.count(",", before_start, line_start - 1) == commas:
        return True
    after_end = text.find("\n", line_end + 1)
    after_end = len(text) if after_end < 0 else after_end
    return line_end < len(text) and text.count(",", line_end + 1, after_end) == commas


def _table_blocks(text: str) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """``(separator, rows)`` for each run of at least :data:`_MIN_TABLE_ROWS` lines that the same
    separator cuts into the same number of cells (the longest run when several separators do)."""
    if text.count("\n") < _MIN_TABLE_ROWS - 1 or not any(sep in text for sep in CELL_SEPARATORS):
        return
    lines = lines_with_offsets(text)
    i = 0
    while i < len(lines):
        best: tuple[str, int] | None = None
        for sep in CELL_SEPARATORS:
            count = lines[i][1].count(sep)
            if not count:
                continue
            j = i + 1
            while j < len(lines) and lines[j][1].count(sep) == count:
                j += 1
            if j - i >= _MIN_TABLE_ROWS and (best is None or j > best[1]):
                best = (sep, j)
        if best is None:
            i += 1
            continue
        yield best[0], lines[i : best[1]]
        i = best[1]


def _distinct_values(column: Sequence[tuple[int, str]]) -> list[str] | None:
    """The different values of a column that has letters, in order; None when they are too few, or
    too few for its rows, for a column with one person per row (at least :data:`_MIN_TABLE_ROWS`
    different values, and one row in four: first names repeat in a long list, categories repeat more).
    Shares are counted on them, so that "Asia" on every row counts once."""
    seen: dict[str, str] = {}
    cells = [cell for _, cell in column if any(c.isalpha() for c in cell)]
    for cell in cells:
        seen.setdefault(fold(cell), cell)
    if len(seen) < _MIN_TABLE_ROWS or len(seen) * 4 < len(cells):
        return None
    return list(seen.values())


def _first_name_weight(cell: str) -> float:
    """How surely ``cell`` is first names alone: 1 when each is a common first name that is not also a
    word or a place ("Sophie", "Juan Antonio", "Jean-Luc"), 0.5 when some are rare ones or first names
    of other countries ("Chidi", "Ionuț", "Yoshihiko", but also "Florida", "Asia"), 0 otherwise
    ("Rose", "Florence", "Iris-setosa", codes such as "CAN", "AK")."""
    words = cell.split()
    if not 1 <= len(words) <= 3 or any(len(w) < 3 or _is_short_upper(w) for w in words):
        return 0.0
    parts = [p for w in words for p in fold(w).split("-")]
    if any(not _is_any_first_name(p) or p in _AMBIGUOUS_FIRST_NAMES for p in parts):
        return 0.0
    return 1.0 if all(p in FIRST_NAMES for p in parts) else 0.5


def _is_plain_first_name(cell: str) -> bool:
    """First names alone, common or rare, none also a word or a place (see :func:`_first_name_weight`)."""
    return _first_name_weight(cell) > 0


def _is_full_name_cell(cell: str) -> bool:
    """Two to four words, the first or the last a plain first name, none a French word that is not a
    name: "DUPONT Jean", "jean dupont", "Okafor Chidi", not "Bonjour Marie"."""
    words = cell.split()
    if not 2 <= len(words) <= 4 or not _looks_like_name_cell(cell):
        return False
    if not (_is_plain_first_name(words[0]) or _is_plain_first_name(words[-1])):
        return False
    return not any(is_french_word(w) and not _is_name_word(w) for w in words)


def _is_family_column(column: Sequence[tuple[int, str]]) -> bool:
    """Beside a column of first names: cells that read as family names (one to three name-like words,
    most not places, most not French words unless a family name list holds them)."""
    values = _distinct_values(column)
    if values is None:
        return False
    named = sum(
        _is_name_cell(v) and len(v.split()) <= 3 and not _only_french_words(v) and not _is_short_upper(v)
        for v in values
    )
    places = sum(fold(v) in PLACES for v in values)
    return named * 10 >= len(values) * 7 and places * 2 < len(values)


def _heads_table(columns: Sequence[Sequence[tuple[int, str]]], named: list[int]) -> bool:
    """Whether the first row is the table's header rather than a row copied without it: none of its
    cells under the ``named`` columns holds a known name ("Identité", "Team;Name"), and it has no digits
    where most rows have some (an id, an amount: "0;Lastra;Ricarda;Lugo;100" is a row)."""
    if any(_has_name_word(columns[j][0][1]) for j in named):
        return False
    numeric = [c for c in columns if sum(_has_digit(cell) for _, cell in c[1:]) * 2 > len(c) - 1]
    return sum(_has_digit(c[0][1]) for c in numeric) * 2 <= len(numeric)


def _has_digit(cell: str) -> bool:
    return any(ch.isdigit() for ch in cell)


def _family_names(column: Sequence[tuple[int, str]]) -> int:
    """How many cells of ``column`` a list of family names holds (one name word at least)."""
    return sum(any(_is_last_name(w) for w in cell.split()) for _, cell in column)


def _has_name_word(cell: str) -> bool:
    """A word of ``cell`` is in a list of first or family names ("Chidi", "Dupont", "DA SILVA Joana")."""
    return any(_is_name_word(w) for w in cell.split())


def _names_no_one(value: str) -> bool:
    """A value under a name key that is no name: an empty marker, an account, a type of code
    (:data:`_NOT_A_NAME_VALUE`), or common French words alone ("obligatoire", "non renseigné").

    Common, not merely French: the dictionary also holds proper nouns in lower case ("quillard",
    "violeta"), and under a name key such a word is the name."""
    return fold(value) in _NOT_A_NAME_VALUE or all(
        (_is_common_word(fold(w)) or fold(w) in _NOT_A_NAME_VALUE) and not _is_name_word(w)
        for w in value.split()
    )


def _only_french_words(cell: str) -> bool:
    """Every word of ``cell`` is a French word that no name list holds ("non renseigné", "Identité")."""
    return all(is_french_word(w) and not _is_name_word(w) for w in cell.split())


def _is_name_word(word: str) -> bool:
    return _is_first_name(word, rare=True) or _is_last_name(word) or fold(word) in _WORD_SURNAMES


def _is_name_cell(cell: str) -> bool:
    """A cell that can hold a name: letters only, one to four words."""
    return 1 <= len(cell.split()) <= 4 and _looks_like_name_cell(cell)


_INITIAL_FULL = re.compile(_INITIAL)
#: Between two items of a list of names: a comma, "et" or "ou", then "de" maybe ("de Cleitos et de
#: Callisthène"); see ``_listed_names``.
_LIST_JOIN_RX = re.compile(
    r"[ \u00a0]*(?:,[ \u00a0]*(?:(?:et|ou)[ \u00a0]+)?|(?:et|ou)[ \u00a0]+)(?:(?:de|d'|d’)[ \u00a0]*)?"
)
#: The separator of a list before a name, at the end of the text before it (see _LIST_JOIN_RX).
_LIST_JOIN_BEFORE_RX = re.compile(
    r"(?:[ \u00a0]*,[ \u00a0]*(?:(?:et|ou)[ \u00a0]+)?|[ \u00a0]+(?:et|ou)[ \u00a0]+)"
    r"(?:(?:de|d'|d’)[ \u00a0]*)?\Z"
)
_NOT_BEFORE_LISTED_WORD = frozenset("le la les l un une des du de d au aux a en dans sur vers".split())
_ENGLISH_JOIN_RX = re.compile(r"[ \u00a0]+(?:and|&)[ \u00a0]")
_ELIDED_RX = re.compile(r"(?:[cdjlmnst]|qu|puisqu|lorsqu|quoiqu|jusqu|presqu|quelqu)['’]", re.IGNORECASE)
_LIST_SEPARATOR_RX = re.compile(r",| et | ou ")
#: How far a list item or its separator may reach (three words of a name and a separator).
_ITEM_WINDOW = 120
_AND_OR_RX = re.compile(r"\b(?:et|ou)\b")
#: A word of a listed name: letters, then letters, digits, dots, hyphens ("Jay-Z", "T.I.", "Ne-Yo").
_LIST_WORD_RX = re.compile(r"(?<![\w.'’-])(?:(?:[^\W\d_]\.){2,}|[^\W\d_](?:[\w'’-]*\w)?(?![\w'’-]))")
#: What ends a list of names when it comes after a separator: another item that is not a name (a
#: capitalised word, a number: "Anne Morel, Sofradis, Lyon", "Anne Morel, Sofradis, 02 40 …").
_NOT_A_NAME_ITEM_RX = re.compile(r"[\d\w]")
#: An item of a bulleted or numbered list, up to its first separator: the bullet, then the item
#: ("- Laurick Sainsard – 02 40 …", "• Anne Morel (Sofradis) : …", "2) Kahir Mustač, …").
_BULLET_ITEM_RX = re.compile(
    r"[ \t]*(?:[-–—•*·▪‣]|\d{1,2}[.)])[ \t]+(?P<item>[^\n\r(:,;–—]+?)"
    r"(?=[ \t]+[-–—][ \t]|[ \t]*[(:,;–—\r]|[ \t]*$)"
)
#: A bullet opening the line right before a word: "- Timote Douglas : relancer" (not "MI - Ann Arbor").
_BULLET_BEFORE_RX = re.compile(r"[ \t]*-[ \t]+")
#: The fields of an e-mail's header, at a line's start or after a ";" ("À : … ; Cc : …").
_MAIL_FIELD_RX = re.compile(
    r"(?im)(?:^|;)[ \t>]*(?:de|à|a|cc|cci|objet|envoy[ée]|date|from|to|sent|subject)[ \t]*:(?!//)"
)
#: The fields that name people, and their value up to the line's end or the next field.
_MAIL_PARTY_RX = re.compile(
    r"(?im)(?:^|;)[ \t>]*(?:de|à|a|cc|cci|from|to)[ \t]*:[ \t]*"
    r"(?P<value>(?:(?!;[ \t]*(?:cc|cci|to)[ \t]*:)[^\n])+)"
)
#: One recipient of a field: up to a ";", a "," or an address in brackets.
_MAIL_ITEM_RX = re.compile(r"[^;,<(\n]+")
#: What cuts a pasted row into cells, for a lone contact row (a comma is prose's too).
_ROW_SEPARATORS = (";", "\t", "|")
_AT_ADDRESS = r"[\w.+-]@[\w-]+\.\w"  # enough of an e-mail address to tell one is there
#: What makes a lone row a contact: an e-mail address or a number written as a phone's (not a count).
_CONTACT_ROW_VALUE_RX = re.compile(
    rf"{_AT_ADDRESS}|(?<!\d)(?:\+\d{{2,3}}[ .]?|0)[1-9](?:[ .\-]?\d{{2}}){{4}}(?!\d)"
)
#: What makes a list item a contact: an e-mail address or a phone number (eight digits or more).
_CONTACT_VALUE_RX = re.compile(rf"{_AT_ADDRESS}|\+?\d(?:[ .\-/()\u00a0]?\d){{7,}}")
#: Words that open the name of a building or an estate above its address ("Tour Europlaza").
_BUILDING_WORDS = _words("tour immeuble zone site domaine hôtel château villa hameau manoir ferme mas")
#: A date of birth right after a name: "(DDN 24/12/1973)", "(né le …)", ", née le …".
_BIRTH_AFTER_NAME_RX = re.compile(
    r"(?:\([ \u00a0]*(?i:DDN|n[ée]e?|n[ée]\(e\)|date de naissance)(?![\w'’-])"
    r"|,[ \u00a0]*(?i:n[ée]e?)[ \u00a0]+le(?![\w'’-]))"
)
#: Two or three lower-case words, a particle possibly between them ("kamira le morvan", "hochard le
#: livrec"): a name a layout points at, read by :meth:`FrenchPersonRecognizer._lower_documented`.
_LOWER_LAYOUT_NAME = (
    rf"(?P<name>[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?"
    rf"(?:{_SP}+(?:{_PARTICLE_RX}{_SP}+)?[{_LO}]{{2,}}(?:-[{_LO}]{{2,}})?){{1,2}})"
)
#: The same right before a cue, at the end of the text searched.
_LOWER_WORDS_BEFORE_RX = re.compile(rf"(?<![\w'’-]){_LOWER_LAYOUT_NAME}{_SP}*\Z")
#: The same up to a separator or the end.
_LOWER_WORDS_AFTER_RX = re.compile(rf"{_LOWER_LAYOUT_NAME}(?=[ \u00a0]*(?:[.,;:!?()\r\n]|\Z))")
#: A thing handed to someone, just before that someone: "attribué à", "remise à", "affectés à".
_ASSIGNED_TO_RX = re.compile(
    r"(?<![\w'’-])(?i:attribu[ée]e?s?|assign[ée]e?s?|affect[ée]e?s?|remise?s?|confi[ée]e?s?"
    rf"|d[ée]livr[ée]e?s?|pr[êe]t[ée]e?s?)(?![\w'’-]){_SP}+(?i:à|a){_SP}+"
)
#: Bank details right after a payee: ", IBAN FR76…", " (RIB : …)".
_BANK_AFTER_NAME_RX = re.compile(r"(?<![\w'’-])(?:IBAN|RIB|iban|rib)(?![\w'’-])")
#: A line alone above a postal address (a flat, building or number and street, then more lines).
_RECIPIENT_LINE_RX = re.compile(
    r"(?:^|\n)[ \t]*(?P<name>[^\W\d_][^\n\r]{2,60}?)[ \t]*\r?\n[ \t]*"
    r"(?i:(?:appartement|appt|apt|b[âa]timent|b[âa]t|r[ée]sidence|escalier|[ée]tage)\b|\d{1,4}[ \u00a0]*"
    r"(?:bis|ter|[a-d])?[ ,\u00a0]+(?:rue|avenue|av|bd|boulevard|all[ée]e|impasse|chemin|place|route|quai"
    r"|cours|square|villa|cit[ée]|lotissement|hameau|faubourg|passage|sentier|voie)\b)"
)
#: Words before a listed item that make it a place or a thing ("à Đà Lạt et …", "la Gaule, …").
_NOT_BEFORE_LISTED = frozenset("le la les l l’ un une des du au aux a en dans sur vers".split())
_CAP_TOKEN_RX = re.compile(rf"(?<![\w'’-]){_CAP_WORD}(?![\w'’-])")
#: A capitalised word after an elided "d'" ("l'arrivée d'Unai Emery"), which ``_CAP_TOKEN_RX`` leaves out.
_ELIDED_CAP_RX = re.compile(rf"(?<![\w'’-])[dD]['’]({_CAP_WORD})(?![\w'’-])")
#: The local part of an e-mail address (before "@"), letters only matter.
_EMAIL_LOCAL_RX = re.compile(r"(?<![\w.+-])([\w.+-]{4,64})@[\w-]+(?:\.[\w-]+)+")
#: A capitalised or upper-case word (two in a row may be a first name and a family name).
_NAME_WORD_RX = re.compile(rf"(?<![\w'’-])(?:{_CAP_WORD}|{_UPPER_WORD})(?![\w'’-])")


def _around(text: str, m: re.Match[str]) -> tuple[int, int]:
    """The record around a label's match, to look for its sibling keys: 300 characters each side."""
    return max(0, m.start() - 300), min(len(text), m.end() + 300)


def _key_before(text: str, end: int) -> re.Match[str] | None:
    """The label key that ends at ``end`` ("Nom", "nom de famille", "client_name", "Salarié"...), if any.

    Tries the words before ``end`` on the same line, longest key first; cheaper than one regex over the
    whole text, since separators are few.
    """
    start = max(0, end - 48)
    newline = text.rfind("\n", start, end)
    if newline >= 0:
        start = newline + 1
    for m in _KEY_START_RX.finditer(text, start, end):
        key = _KEY_RX.fullmatch(text, m.start(), end)
        if key is not None:
            return key
    return None


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span cut inside a word to the whole word ("Clermont-[Ferrand]", "[Gérard]-Diallo")."""
    while start > 0 and (
        text[start - 1].isalpha() or (text[start - 1] == "-" and start > 1 and text[start - 2].isalpha())
    ):
        start -= 1
    n = len(text)
    while end < n and (text[end].isalpha() or (text[end] == "-" and end + 1 < n and text[end + 1].isalpha())):
        end += 1
    return start, end


def _looks_like_name_cell(cell: str) -> bool:
    return (
        bool(cell)
        and len(cell) <= 60
        and bool(re.fullmatch(rf"[{_UP}{_LO}'’\- .]+", cell))
        and cell[0].isalpha()
    )
