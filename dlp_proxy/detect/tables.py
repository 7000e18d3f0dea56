"""Tables pasted in prompts: their lines, cells and header rows, for whoever reads them by column.

The PERSON recogniser judges a table's cells by their column's name ("Nom;Prénom", "Client;Société");
the engine and the worker pool cut long texts into parts and must give every part of a table its
header (:func:`table_header_above`). This module holds what both need and nothing heavier: the
worker pool's parent process (the proxy itself) imports it without the name lexicons.
"""

from __future__ import annotations

import re

from dlp_proxy.detect.recognizers.base import fold

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
    "nom client",
    "nom du client",
    "nom contact",
    "nom du contact",
    "client name",
    "customer name",
    "contact name",
}
#: Columns of people, whatever the other columns say.
_PERSON_ROLE_HEADERS = {
    "salarie",
    "salariee",
    "employe",
    "employee",
    "collaborateur",
    "collaboratrice",
    "interlocuteur",
    "interlocutrice",
    "signataire",
    "patient",
    "patiente",
    "beneficiaire",
    "titulaire",
    "locataire",
    "conducteur",
    "conductrice",
    "candidat",
    "candidate",
    "stagiaire",
    "responsable",
    "manager",
    "referent",
    "demandeur",
    "assure",
    "assuree",
}
#: Columns of people or organisations: people when the table also has a company or first-name column.
_MIXED_ROLE_HEADERS = {
    "client",
    "cliente",
    "contact",
    "destinataire",
    "customer",
    "owner",
    "proprietaire",
    "participant",
    "participante",
}
_COMPANY_HEADERS = {
    "societe",
    "entreprise",
    "raison sociale",
    "company",
    "organisation",
    "organization",
    "employeur",
    "compte",
    "account",
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


#: What separates the cells of a CSV-like table, in the order they are tried on a header line.
CELL_SEPARATORS = (";", "\t", "|", ",")


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def split_cells(row: str, sep: str) -> list[tuple[int, str]]:
    """Cells of a row with their offsets, stripped of blanks and quotes (offsets point at the value)."""
    cells, pos = [], 0
    for raw in row.split(sep):
        stripped = raw.strip().strip("\"'").strip()
        offset = raw.find(stripped) if stripped else 0
        cells.append((pos + offset, stripped))
        pos += len(raw) + len(sep)
    return cells


#: A line that may head a table with a company column (checked exactly against _COMPANY_HEADERS).
COMPANY_HINT_RX = re.compile(
    r"(?i:soci[ée]t[ée]|entreprise|raison sociale|company|organi[sz]ation|employeur|compte|account)"
)
#: Words one of which a header of a table of people holds (a cheap test before splitting the line).
_HEADER_HINT_RX = re.compile(
    r"(?:^|[;,\t|])[ \t\"'`]*(?i:nom|name|pr[ée]nom|patronyme|client|contact|salari|employ|collabor"
    r"|interlocut|signataire|patient|b[ée]n[ée]ficiaire|titulaire|locataire|conduct|candidat|stagiaire"
    r"|participant|responsable|manager|r[ée]f[ée]rent|demandeu|assur[ée]|destinataire|customer|owner"
    r"|propri[ée]taire|first|last|full|surname)[^;,\t|]{0,25}(?:[;,\t|]|$)"
)


def company_header(line: str) -> tuple[str, set[int], int] | None:
    """(separator, company columns, column count) if ``line`` heads a table with a company column."""
    if len(line) > 500 or not COMPANY_HINT_RX.search(line):
        return None
    for sep in CELL_SEPARATORS:
        if sep not in line:
            continue
        heads = [" ".join(fold(c).split()) for _, c in split_cells(line, sep)]
        companies = {j for j, c in enumerate(heads) if c in _COMPANY_HEADERS}
        if companies:
            return sep, companies, len(heads)
    return None


def table_header_above(text: str, pos: int) -> tuple[int, int] | None:
    """``(start, end)`` of the header line of the table whose row holds ``pos``, when that header lies
    on an earlier line; None when ``pos`` is not in such a table.

    For whoever reads a long text in parts (the engine's chunks, the worker pool's pieces): the cells of
    a table are judged by their column's name (:meth:`FrenchPersonRecognizer._csv_names`,
    ``_company_cells``), so a part that starts inside a table must be read with its header, or a CSV of
    clients in lower case loses every name after the first cut. A header counts when every row
    between it and ``pos`` is a row of its table, as those methods read them (no blank line, enough
    separators). Walks back one line at a time and stops at the first line that no separator of the
    row at ``pos`` runs through, so prose costs one line.
    """
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    row = text[line_start : len(text) if line_end < 0 else line_end]
    fewest = {sep: row.count(sep) for sep in CELL_SEPARATORS}  # over the rows walked so far
    hi = line_start - 1  # the line break that ends the line above
    while hi >= 0 and any(fewest.values()):
        lo = text.rfind("\n", 0, hi) + 1
        line = text[lo:hi].rstrip("\r")
        if not line.strip():
            return None
        people, companies = csv_header(line), company_header(line)
        for header in (people, companies):
            if header is not None and fewest[header[0]] >= header[-1] - 1:
                return lo, lo + len(line)
        if people is not None or companies is not None:
            return None  # the nearest header heads another table
        for sep in fewest:
            fewest[sep] = min(fewest[sep], line.count(sep))
        hi = lo - 1
    return None


def csv_header(line: str) -> tuple[str, set[int], dict[int, bool], int] | None:
    """(separator, name columns, role columns -> mixed, column count) if ``line`` heads a table of people."""
    if len(line) > 500 or not _HEADER_HINT_RX.search(line):
        return None
    for sep in CELL_SEPARATORS:
        if sep not in line:
            continue
        cells = [
            fold(c).replace("_", " ").replace("-", " ").replace("/", " ") for _, c in split_cells(line, sep)
        ]
        cells = [" ".join(c.split()) for c in cells]
        if len(cells) < 2:
            continue
        columns = {i for i, c in enumerate(cells) if c in _NAME_HEADERS}
        # "Client;Société": with a company column (or a first-name column) beside it, "Client" is a person.
        people_table = any(c in _COMPANY_HEADERS or c in ("prenom", "prenoms", "first name") for c in cells)
        roles = {
            i: (c in _MIXED_ROLE_HEADERS and not people_table)
            for i, c in enumerate(cells)
            if c in _PERSON_ROLE_HEADERS or c in _MIXED_ROLE_HEADERS
        }
        # "Nom;Prix" lists products: a bare "nom"/"name" column counts only next to a first-name
        # column or a column that only people have (e-mail, phone, employee number...).
        generic = {i for i in columns if cells[i] in _GENERIC_NAME_HEADERS}
        if generic and generic == columns and not any(c in _PERSON_HEADERS for c in cells):
            columns = set()
        if not columns and not roles:
            continue
        return sep, columns, roles, len(cells)
    return None
