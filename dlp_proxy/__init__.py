"""dlp-proxy: data-leak prevention proxy for generative-AI traffic."""

__version__ = "0.1.0"
