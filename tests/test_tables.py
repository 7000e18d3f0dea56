"""Tables in prompts, read in parts: the header line a part needs, and a proxy that never loads the
name lexicons to find it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlp_proxy.detect.tables import table_header_above


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("Voici la liste :\nid;nom;prénom\n1;durand;léa\n2;morel;ali\n", "id;nom;prénom"),
        ("nom\tprénom\tville\ndurand\tléa\tLyon\nmorel\tali\tMetz\n", "nom\tprénom\tville"),
        ("| Nom | Prénom |\n|---|---|\n| durand | léa |\n| morel | ali |\n", "| Nom | Prénom |"),
        ("Société;Ville;CA\nMenuiserie Caron;Lyon;12\nGarage Lemoine;Metz;9\n", "Société;Ville;CA"),
        # The nearest header heads another table, or a blank line ends the table: nothing to carry.
        ("nom;prénom\ndurand;léa\n\nmorel;ali\n", None),
        # Prose, and a table with no header of names or companies.
        ("Le comité a validé le budget.\nRelancer le fournisseur, puis clore.\n", None),
        ("produit;prix;stock\nclou;1;2\nvis;2;3\n", None),
        # A row with fewer cells than the header is not a row of its table.
        ("nom;prénom;ville\ndurand;léa;Lyon\nune note libre ; sans rien\nmorel;ali;Metz\n", None),
    ],
)
def test_a_part_cut_inside_a_table_finds_the_header_above_it(text: str, header: str | None) -> None:
    """A long text read in parts (chunks, pool pieces) keeps a table's header with every part: cells are
    judged by their column's name. Asked for a position on the table's last row."""
    last_row = text.rstrip("\n").rfind("\n") + 1
    found = table_header_above(text, last_row + 2)
    assert (text[found[0] : found[1]] if found else None) == header
    assert table_header_above(text, 0) is None  # the first line has nothing above it


def test_the_proxy_process_finds_headers_without_loading_the_name_lexicons() -> None:
    """The worker pool's parent is the proxy: it cuts long texts (and finds their tables' headers)
    without importing the PERSON recogniser, whose word lists cost ~50 MB of its memory."""
    code = "import sys, dlp_proxy.detect.pool; print('dlp_proxy.detect.recognizers.person' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
