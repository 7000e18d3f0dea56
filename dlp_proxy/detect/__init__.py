"""Detection: a normalised copy of each text goes through Presidio + spaCy (fr) and our French recognizers."""

from pathlib import Path

#: Files of a rules directory that the detection workers load; the rest is policy, read in-process.
DETECTOR_FILES = ("recognizers.yaml", "clients.txt", "allowlist.txt")


def detector_files(rules_dir: Path) -> list[Path]:
    """The files whose change needs new detection workers (the proxy polls their signature)."""
    return [Path(rules_dir) / name for name in DETECTOR_FILES]
