"""The one error the pipeline needs from the shared state, without importing the Redis client."""

from __future__ import annotations


class StateUnavailable(Exception):
    """The shared state cannot be reached and the request needs a new pseudonym: refuse it (503).

    The message is the name of the client's error only, never a value or a key.
    """
