"""Per-user pseudonym vaults: stable, bounded, expiring, never shared, never shown."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

import phonenumbers
import pytest
from stdnum import iban, luhn
from stdnum.fr import nif, nir, siren, siret, tva

from dlp_proxy.pseudonyms import (
    PLACEHOLDER_PATTERN,
    SURROGATES,
    PseudonymVault,
    VaultRegistry,
    normalise,
    placeholder_type,
)
from dlp_proxy.restore import TextRestorer


@dataclass
class Finding:
    entity_type: str
    start: int
    end: int
    score: float = 0.9


def findings_for(text: str, **values: str) -> list[Finding]:
    out = []
    for etype, value in values.items():
        for m in re.finditer(re.escape(value), text):
            out.append(Finding(etype.rstrip("_0123456789"), m.start(), m.end()))
    return out


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- placeholders --------------------------------------------------------------------------------------


def test_placeholder_format():
    vault = PseudonymVault()
    assert vault.placeholder("PERSON", "Jean Dupont") == "[[PERSON_1]]"
    assert vault.placeholder("PERSON", "Zoé Martin") == "[[PERSON_2]]"
    assert vault.placeholder("EMAIL_ADDRESS", "a@b.fr") == "[[EMAIL_ADDRESS_1]]"
    assert vault.placeholder("fr-nir", "185057800608436") == "[[FR_NIR_1]]"
    for placeholder in vault.mapping():
        assert PLACEHOLDER_PATTERN.fullmatch(placeholder)
        assert placeholder.isascii()
    assert placeholder_type("") == "DATA"
    assert placeholder_type("3ds") == "X_3DS"


def test_same_value_same_placeholder_case_and_spacing_normalised():
    vault = PseudonymVault()
    first = vault.placeholder("PERSON", "Jean Dupont")
    assert vault.placeholder("PERSON", "JEAN   dupont") == first
    assert vault.placeholder("PERSON", " jean\ndupont ") == first
    assert vault.placeholder("PHONE_NUMBER", "06 12 34 56 78") == vault.placeholder(
        "PHONE_NUMBER", "+33612345678"
    )
    assert vault.placeholder("IBAN_CODE", "FR76 3000 6000") == vault.placeholder("IBAN_CODE", "fr7630006000")
    assert vault.mapping()[first] == "Jean Dupont"  # the first spelling seen is the one given back


def test_normalise():
    assert normalise("PERSON", "  Jean\t DUPONT ") == "jean dupont"
    assert normalise("PHONE_NUMBER", "+33 (0)6 12 34 56 78") == "0612345678"
    assert normalise("PHONE_NUMBER", "0033 6 12 34 56 78") == "0612345678"
    assert normalise("FR_SIRET", "732 829 320 00074") == "73282932000074"


def test_placeholder_avoids_strings_already_in_the_request():
    vault = PseudonymVault()
    text = "Le wiki écrit [[PERSON_1]] et [[PERSON_2]] pour Jean Dupont"
    assert vault.placeholder("PERSON", "Jean Dupont", avoid=text) == "[[PERSON_3]]"
    assert vault.placeholder("PERSON", "Zoé Martin", avoid=text) == "[[PERSON_4]]"


def test_pseudonymize_a_request_consistently():
    vault = PseudonymVault()
    text = "Jean Dupont (jean@ex.fr) écrit à Zoé Martin ; copie à jean@ex.fr et JEAN DUPONT."
    found = findings_for(text, PERSON="Jean Dupont", PERSON_2="Zoé Martin", EMAIL_ADDRESS="jean@ex.fr")
    found.append(Finding("PERSON", text.index("JEAN DUPONT"), text.index("JEAN DUPONT") + 11))
    out = vault.pseudonymize(text, found)
    assert out == (
        "[[PERSON_1]] ([[EMAIL_ADDRESS_1]]) écrit à [[PERSON_2]] ; "
        "copie à [[EMAIL_ADDRESS_1]] et [[PERSON_1]]."
    )
    assert vault.restore_text(out) == text.replace("JEAN DUPONT", "Jean Dupont")


def test_overlapping_findings_are_merged():
    vault = PseudonymVault()
    text = "Appeler Jean Dupont au 06 12 34 56 78"
    found = [Finding("PERSON", 8, 19), Finding("PERSON", 13, 19), Finding("PHONE_NUMBER", 23, 37)]
    assert vault.pseudonymize(text, found) == "Appeler [[PERSON_1]] au [[PHONE_NUMBER_1]]"


# -- across requests and users -------------------------------------------------------------------------


def test_stable_across_requests_of_a_user():
    registry = VaultRegistry()
    first = registry.vault_for("alice").placeholder("PERSON", "Jean Dupont")
    registry.vault_for("alice").placeholder("PERSON", "Zoé Martin")
    assert registry.vault_for("alice").placeholder("PERSON", "Jean Dupont") == first
    assert registry.vault_for("alice").restore_text(f"Merci {first}") == "Merci Jean Dupont"


def test_users_never_share():
    registry = VaultRegistry()
    alice, bob = registry.vault_for("alice"), registry.vault_for("bob")
    assert alice is not bob
    p = alice.placeholder("PERSON", "Jean Dupont")
    assert bob.mapping() == {}
    assert bob.restore_text(f"Qui est {p} ?") == f"Qui est {p} ?"  # Bob cannot get Alice's value back
    bob.placeholder("PERSON", "Paul Durand")
    assert alice.restore_text(p) == "Jean Dupont"
    assert bob.restore_text("[[PERSON_1]]") == "Paul Durand"


def test_entries_expire_and_numbers_are_not_reused():
    clock = Clock()
    vault = PseudonymVault(ttl_seconds=60, clock=clock)
    assert vault.placeholder("PERSON", "Jean Dupont") == "[[PERSON_1]]"
    clock.now += 30
    vault.placeholder("PERSON", "Zoé Martin")
    clock.now += 40  # Jean Dupont unused for 70 s
    assert vault.mapping() == {"[[PERSON_2]]": "Zoé Martin"}
    assert vault.placeholder("PERSON", "Jean Dupont") == "[[PERSON_3]]"
    assert len(vault) == 2


def test_use_keeps_an_entry_alive():
    clock = Clock()
    vault = PseudonymVault(ttl_seconds=60, clock=clock)
    p = vault.placeholder("PERSON", "Jean Dupont")
    for _ in range(5):
        clock.now += 50
        assert vault.placeholder("PERSON", "Jean Dupont") == p


def test_entries_are_bounded_lru():
    vault = PseudonymVault(max_entries=2)
    a = vault.placeholder("PERSON", "A")
    vault.placeholder("PERSON", "B")
    vault.placeholder("PERSON", "A")  # A used again: B is now the least recently used
    vault.placeholder("PERSON", "C")
    assert set(vault.mapping().values()) == {"A", "C"}
    assert vault.placeholder("PERSON", "A") == a


def test_registry_is_bounded_lru_and_expires():
    clock = Clock()
    registry = VaultRegistry(max_users=2, ttl_seconds=100, clock=clock)
    alice = registry.vault_for("alice")
    registry.vault_for("bob")
    registry.vault_for("alice")
    registry.vault_for("carol")  # bob was the least recently used
    assert len(registry) == 2
    assert registry.vault_for("alice") is alice
    assert registry.vault_for("bob").mapping() == {}
    clock.now += 101
    assert len(registry) == 0
    assert registry.get("alice") is None
    assert registry.vault_for("alice") is not alice
    assert registry.get("alice") is not None and registry.get("dave") is None


def test_vault_use_keeps_it_in_the_registry():
    clock = Clock()
    registry = VaultRegistry(ttl_seconds=100, clock=clock)
    vault = registry.vault_for("alice")
    vault.placeholder("PERSON", "Jean Dupont")
    clock.now += 80
    vault.placeholder("PERSON", "Jean Dupont")  # a request of a long conversation
    clock.now += 80
    assert registry.vault_for("alice") is vault


def test_registry_bounds_the_entries_of_all_users_together():
    registry = VaultRegistry(max_users=100, max_entries_per_user=1000, max_total_entries=5)
    for user in ("alice", "bob", "carol"):
        vault = registry.vault_for(user)
        for i in range(3):
            vault.placeholder("EMAIL_ADDRESS", f"{user}{i}@societe.fr")
        assert registry.total_entries <= 5
    # alice was the least recently used: her vault went first, bob's oldest entry next
    assert registry.get("alice") is None
    assert set(registry.get("bob").mapping().values()) == {"bob1@societe.fr", "bob2@societe.fr"}
    assert len(registry.get("carol")) == 3
    stats = registry.stats()
    assert (stats.users, stats.entries, stats.max_entries, stats.evictions) == (2, 5, 5, 4)
    assert sum(len(v) for v in (registry.get("bob"), registry.get("carol"))) == registry.total_entries


def test_the_total_bound_holds_under_many_users():
    registry = VaultRegistry(max_users=5_000, max_entries_per_user=10_000, max_total_entries=500)
    for n in range(300):
        vault = registry.vault_for(f"user{n}")
        for i in range(7):
            vault.placeholder("PHONE_NUMBER", f"06 {n:04d} {i:04d}")
    assert registry.total_entries == 500 == sum(len(registry.get(f"user{n}") or ()) for n in range(300))
    assert registry.stats().evictions == 300 * 7 - 500


def test_one_user_over_the_total_bound_loses_its_oldest_entries():
    registry = VaultRegistry(max_entries_per_user=100, max_total_entries=3)
    vault = registry.vault_for("alice")
    for name in ("A", "B", "C", "D"):
        vault.placeholder("PERSON", name)
    assert set(vault.mapping().values()) == {"B", "C", "D"} and registry.total_entries == 3


def test_an_evicted_pseudonym_stays_a_pseudonym_and_its_number_is_not_given_again():
    registry = VaultRegistry(max_total_entries=2)
    alice = registry.vault_for("alice")
    text = "Écrire à Jean Dupont"
    old = alice.pseudonymize(text, findings_for(text, PERSON="Jean Dupont"))
    assert old == "Écrire à [[PERSON_1]]"
    bob = registry.vault_for("bob")
    bob.placeholder("PERSON", "Zoé Martin")
    bob.placeholder("PERSON", "Paul Durand")  # over the bound: alice's vault goes
    assert registry.get("alice") is None
    # the answer to alice's old request: nothing to restore it with, the pseudonym is left as it is
    assert registry.replacements_for("alice") is None
    alice = registry.vault_for("alice")
    assert alice.placeholder("PERSON", "Marie Curie") == "[[PERSON_2]]"  # never [[PERSON_1]] again
    assert alice.restore_text("[[PERSON_1]] et [[PERSON_2]]") == "[[PERSON_1]] et Marie Curie"
    # the value comes back in a later request: found by the detector again, a new pseudonym
    assert alice.placeholder("PERSON", "Jean Dupont") == "[[PERSON_3]]"


def test_expiry_and_drop_leave_the_total_count():
    clock = Clock()
    registry = VaultRegistry(ttl_seconds=100, max_total_entries=10, clock=clock)
    registry.vault_for("alice").placeholder("PERSON", "A")
    registry.vault_for("bob").placeholder("PERSON", "B")
    registry.drop("bob")
    assert registry.total_entries == 1
    clock.now += 101
    assert len(registry) == 0 and registry.total_entries == 0
    vault = registry.vault_for("carol")
    for i in range(10):
        vault.placeholder("PERSON", f"P{i}")
    assert registry.stats().evictions == 0 and registry.total_entries == 10


def test_total_bound_is_validated_and_the_default_is_used():
    from dlp_proxy.state import MAX_TOTAL_ENTRIES, open_vaults, vault_snapshot

    with pytest.raises(ValueError):
        VaultRegistry(max_total_entries=0)
    with pytest.raises(ValueError):
        open_vaults(None, -1)
    assert open_vaults(None).stats().max_entries == MAX_TOTAL_ENTRIES == 20_000
    vaults = open_vaults(None, 50)
    vaults.vault_for("alice").placeholder("PERSON", "A")
    assert vault_snapshot(vaults) == {
        "dlp_proxy_vault_users": 1,
        "dlp_proxy_vault_entries": 1,
        "dlp_proxy_vault_entries_limit": 50,
        "dlp_proxy_vault_evictions": 0,
    }


def test_total_bound_is_thread_safe():
    registry = VaultRegistry(max_total_entries=100)

    def work(user: str) -> None:
        vault = registry.vault_for(user)
        for i in range(200):
            vault.placeholder("PERSON", f"{user} {i}")

    threads = [threading.Thread(target=work, args=(f"u{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert registry.total_entries == 100
    assert sum(len(registry.get(f"u{n}") or ()) for n in range(6)) == 100


def test_memory_of_an_entry():
    """What MAX_TOTAL_ENTRIES is sized from: ~0.43 KB an entry, value included (tracemalloc)."""
    import gc
    import tracemalloc

    vault = PseudonymVault(max_entries=4_000)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(2_000):
            vault.placeholder("EMAIL_ADDRESS", f"camille.martin{i}@exemple-client.fr")
            vault.placeholder("PHONE_NUMBER", f"06 {i % 90 + 10} {i % 77 + 10} {i % 50 + 10} {i % 13 + 10}")
        gc.collect()
        per_entry = (tracemalloc.get_traced_memory()[0] - before) / len(vault)
    finally:
        tracemalloc.stop()
    assert per_entry < 480, per_entry  # a tuple key and a second copy of each value: ~0.53 KB


def test_thread_safe():
    vault = PseudonymVault()
    names = [f"Personne {i}" for i in range(50)]
    results: list[dict[str, str]] = []

    def work() -> None:
        results.append({n: vault.placeholder("PERSON", n) for n in names})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == results[0] for r in results)
    assert len(set(results[0].values())) == 50


def test_replacements_are_cached_until_the_vault_changes():
    vault = PseudonymVault()
    vault.placeholder("PERSON", "Jean Dupont")
    first = vault.replacements()
    assert vault.replacements() is first
    vault.placeholder("PERSON", "Zoé Martin")
    second = vault.replacements()
    assert second is not first and len(second) == 2
    restorer = TextRestorer(second)
    assert restorer.feed("[[PERSON_2]] et [[PERS") + restorer.feed("ON_1]]") == "Zoé Martin et Jean Dupont"


# -- surrogates ----------------------------------------------------------------------------------------


ORIGINALS = {
    "PERSON": "Jean Dupont",
    "EMAIL_ADDRESS": "jean.dupont@societe.fr",
    "PHONE_NUMBER": "06 12 34 56 78",
    "IBAN_CODE": "FR76 3000 6000 0112 3456 7890 189",
    "CREDIT_CARD": "4970 1012 3456 7890",
    "FR_NIR": "1 85 05 78 006 084 36",
    "FR_SIREN": "732 829 320",
    "FR_SIRET": "73282932000074",
    "FR_TVA": "FR44732829320",
    "FR_NIF": "0123456789012",
    "FR_CNI": "880692310285",
    "FR_PASSPORT": "12AB34567",
    "FR_LICENSE_PLATE": "AB-123-CD",
    "IP_ADDRESS": "10.1.2.3",
    "ADDRESS": "12 rue de la Paix, 75002 Paris",
    "DATE_OF_BIRTH": "14/07/1985",
    "CLIENT_NAME": "Acme Industries",
    "URL": "https://intranet.societe.fr/rh",
}


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("seed", range(25))
def test_surrogates_are_realistic(seed):
    vault = PseudonymVault(seed=seed.to_bytes(2, "big"))
    fake = {etype: vault.surrogate(etype, value) for etype, value in ORIGINALS.items()}
    assert re.fullmatch(r"[^\W\d_][\w'-]*( [\w'-]+)+", fake["PERSON"])
    assert re.fullmatch(r"[\w.+-]+@example\.(org|com|net)", fake["EMAIL_ADDRESS"])
    assert re.fullmatch(r"06 39 98 \d\d \d\d", fake["PHONE_NUMBER"])  # ARCEP fiction range, same layout
    # A possible French number, but in no block given to an operator: it never rings anyone.
    assert phonenumbers.is_possible_number(phonenumbers.parse(fake["PHONE_NUMBER"], "FR"))
    assert iban.is_valid(fake["IBAN_CODE"]) and re.fullmatch(
        r"FR\d\d( [\dA-Z]{4}){5} [\dA-Z]{3}", fake["IBAN_CODE"]
    )
    assert luhn.is_valid(digits(fake["CREDIT_CARD"])) and re.fullmatch(
        r"\d{4}( \d{4}){3}", fake["CREDIT_CARD"]
    )
    assert nir.is_valid(fake["FR_NIR"]) and re.fullmatch(
        r"\d \d\d \d\d [\dAB]{2} \d{3} \d{3} \d\d",
        fake["FR_NIR"],  # Corsica: 2A, 2B
    )
    assert siren.is_valid(fake["FR_SIREN"]) and re.fullmatch(r"\d{3} \d{3} \d{3}", fake["FR_SIREN"])
    assert siret.is_valid(fake["FR_SIRET"]) and re.fullmatch(r"\d{14}", fake["FR_SIRET"])
    assert tva.is_valid(fake["FR_TVA"])
    assert nif.is_valid(fake["FR_NIF"])
    assert re.fullmatch(r"\d{12}", fake["FR_CNI"])
    assert re.fullmatch(r"\d\d[A-Z]{2}\d{5}", fake["FR_PASSPORT"])
    assert re.fullmatch(r"[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}", fake["FR_LICENSE_PLATE"])
    assert re.fullmatch(r"(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+", fake["IP_ADDRESS"])
    assert re.search(r", \d{5} ", fake["ADDRESS"])
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", fake["DATE_OF_BIRTH"])
    assert fake["CLIENT_NAME"] and fake["URL"].startswith("https://")
    for etype, value in ORIGINALS.items():
        assert fake[etype] != value
        assert normalise(etype, fake[etype]) != normalise(etype, value)
    assert set(ORIGINALS) <= set(SURROGATES)


@pytest.mark.parametrize(
    ("original", "pattern"),
    [
        ("+33 6 12 34 56 78", r"\+33 6 39 98 \d\d \d\d"),
        ("0612345678", r"063998\d{4}"),
        ("01.42.12.34.56", r"01\.99\.00\.\d\d\.\d\d"),
        ("04 72 12 34 56", r"04 65 71 \d\d \d\d"),
    ],
)
def test_phone_surrogates_keep_the_layout(original, pattern):
    assert re.fullmatch(pattern, PseudonymVault().surrogate("PHONE_NUMBER", original))


@pytest.mark.parametrize(
    ("original", "pattern"),
    [
        ("1985-07-14", r"\d{4}-\d\d-\d\d"),
        ("14.07.1985", r"\d\d\.\d\d\.\d{4}"),
        ("14 juillet 1985", r"\d+ \w+ \d{4}"),
    ],
)
def test_date_surrogates_keep_the_layout(original, pattern):
    assert re.fullmatch(pattern, PseudonymVault().surrogate("DATE_OF_BIRTH", original))


def test_person_surrogates_keep_the_casing():
    vault = PseudonymVault()
    assert vault.surrogate("PERSON", "JEAN DUPONT").isupper()
    last, first = vault.surrogate("PERSON", "DUPONT Jean").split(" ", 1)
    assert last.isupper() and not first.isupper()
    assert " " not in vault.surrogate("PERSON", "Dupont")


def test_surrogates_are_stable_and_distinct():
    vault = PseudonymVault()
    a = vault.surrogate("PERSON", "Jean Dupont")
    assert vault.surrogate("PERSON", "jean  DUPONT") == a
    fakes = {vault.surrogate("PERSON", f"Personne Numéro{i}") for i in range(200)}
    assert len(fakes) == 200 and a not in fakes
    assert vault.restore_text(f"Bonjour {a} !") == "Bonjour Jean Dupont !"


def test_surrogates_are_seeded_per_vault():
    assert PseudonymVault(seed=b"x").surrogate("PERSON", "Jean Dupont") == PseudonymVault(
        seed=b"x"
    ).surrogate("PERSON", "Jean Dupont")
    fakes = {PseudonymVault().surrogate("PERSON", "Jean Dupont") for _ in range(5)}
    assert len(fakes) > 1  # another user's vault does not give the same fake


def test_surrogate_never_equals_a_real_value_of_the_request():
    probe = PseudonymVault(seed=b"s")
    planned = probe.surrogate("PERSON", "Jean Dupont")
    vault = PseudonymVault(seed=b"s")
    text = f"Jean Dupont et {planned} sont collègues"
    fake = vault.surrogate("PERSON", "Jean Dupont", avoid=text)
    assert fake != planned and fake.casefold() not in text.casefold()
    # nor a value the vault holds as an original
    vault2 = PseudonymVault(seed=b"s")
    vault2.placeholder("PERSON", planned)
    assert vault2.surrogate("PERSON", "Jean Dupont") != planned


def test_types_without_a_fake_get_a_placeholder():
    vault = PseudonymVault()
    assert vault.surrogate("SECRET", "sk-live-abcdef") == "[[SECRET_1]]"
    assert vault.surrogate("CUSTOM_PROJECT", "Projet Aurore") == "[[CUSTOM_PROJECT_1]]"


def test_pseudonymize_with_surrogates_and_restore():
    vault = PseudonymVault()
    text = "Jean Dupont (jean@ex.fr) demande l'IBAN FR76 3000 6000 0112 3456 7890 189."
    found = findings_for(text, PERSON="Jean Dupont", EMAIL_ADDRESS="jean@ex.fr")
    found.append(Finding("IBAN_CODE", text.index("FR76"), text.index("FR76") + 33))
    out = vault.pseudonymize(text, found, surrogate_types={"PERSON", "IBAN_CODE"})
    # the surrogate IBAN is French too (it may start with FR76): check the original value is gone
    assert "Jean Dupont" not in out and "FR76 3000 6000 0112 3456 7890 189" not in out
    assert "[[EMAIL_ADDRESS_1]]" in out
    assert vault.restore_text(out) == text


# -- nothing shows a value -----------------------------------------------------------------------------


def test_reprs_and_logs_hide_values(caplog):
    caplog.set_level(logging.DEBUG)
    registry = VaultRegistry()
    vault = registry.vault_for("alice")
    vault.placeholder("PERSON", "Jean Dupont")
    vault.surrogate("PERSON", "Zoé Martin")
    vault.restore_text("[[PERSON_1]]")
    for obj in (registry, vault, vault.replacements()):
        text = repr(obj) + str(obj)
        assert "Jean" not in text and "Zoé" not in text and "alice" not in text and "PERSON" not in text
    assert "Jean" not in caplog.text and "Zoé" not in caplog.text


def test_bounds_are_validated():
    with pytest.raises(ValueError):
        PseudonymVault(max_entries=0)
    with pytest.raises(ValueError):
        VaultRegistry(max_users=0)


def test_pseudonymize_with_redacted_types_in_the_same_pass():
    from dlp_proxy.redact import Redactor

    vault = PseudonymVault()
    text = "Jean Dupont, NIR 185057800608436, jean@ex.fr"
    found = findings_for(text, PERSON="Jean Dupont", FR_NIR="185057800608436", EMAIL_ADDRESS="jean@ex.fr")
    out = vault.pseudonymize(text, found, redact_types={"FR_NIR"}, redactor=Redactor())
    assert out == "[[PERSON_1]], NIR [FR_NIR_1], [[EMAIL_ADDRESS_1]]"
    assert "185057800608436" not in vault.mapping().values()  # redacted for good: never restored
    assert vault.restore_text(out) == "Jean Dupont, NIR [FR_NIR_1], jean@ex.fr"
    # a span overlapping a redacted type is redacted
    merged = [Finding("PERSON", 0, 11), Finding("FR_NIR", 5, 20)]
    redacted = vault.pseudonymize(text, merged, redact_types={"FR_NIR"}, redactor=Redactor())
    assert redacted == "[PERSON_1]057800608436, jean@ex.fr"
    with pytest.raises(ValueError):
        vault.pseudonymize(text, found, redact_types={"FR_NIR"})
