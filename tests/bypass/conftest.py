"""The bypass tests drive a real ``dlp-proxy run`` process like tests/e2e: same fixtures."""

from tests.e2e.conftest import _reset_provider, provider, proxy  # noqa: F401  (pytest fixtures)
