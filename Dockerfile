# The chat service as a container: `docker build -t antifraud . && docker run -p 8000:8000 antifraud`.
# The package is installed editable from /app because the web pages (bot/channels/web/pages.py) find web/
# beside the source tree; the knowledge files are also named by ANTIFRAUD_LIBRARY_PATH and
# ANTIFRAUD_FAQ_PATH, so an operator can mount their own. tests/test_packaging.py installs exactly
# the files copied here, the way the RUN line below does, into a fresh virtualenv and checks that
# the service starts and answers, and that the HEALTHCHECK command passes. The health check probes
# readiness (/readyz: library loaded, Redis reachable when configured), not mere liveness.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin antifraud
WORKDIR /app

COPY pyproject.toml README.md LICENSE ./
COPY bot/ bot/
COPY scripts_library/ scripts_library/
COPY faq/ faq/
COPY web/ web/
RUN pip install -e .
# The service cannot write bytecode here (PYTHONDONTWRITEBYTECODE, and root owns /app): compiled once at build,
# not at every start (about 0.15 s of a cold start, docs/benchmarks.md).
RUN python -m compileall -q bot

# Files stay owned by root: the service can read its knowledge files but never change them.
ENV ANTIFRAUD_HOST=0.0.0.0 \
    ANTIFRAUD_PORT=8000 \
    ANTIFRAUD_LIBRARY_PATH=/app/scripts_library \
    ANTIFRAUD_FAQ_PATH=/app/faq

USER antifraud
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ANTIFRAUD_PORT', '8000') + '/readyz', timeout=4)"]
CMD ["antifraud", "serve"]
