# Uppsikt: one image for the web service (`uppsikt serve`) and extra workers (`uppsikt worker`).
# Build: docker build -t uppsikt .   Run: see compose.yaml and docs/DEPLOYMENT.md.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# -- build: a virtual environment with the dependencies and the project --------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /srv/uppsikt
# Dependencies first, so that a code change does not reinstall them. Every dependency ships
# binary wheels (psycopg[binary], cryptography, argon2-cffi, pyahocorasick): no compiler.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install . && pip uninstall -y uppsikt && rm -rf app build ./*.egg-info
# The migrations and word lists are read from the source tree, so the project is installed
# in place (at the same path as in the final image).
COPY alembic.ini ./
COPY migrations ./migrations
COPY wordlists ./wordlists
COPY app ./app
RUN pip install --no-deps -e . && python -m compileall -q app migrations

# -- final: the venv and the source, nothing else --------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    UPPSIKT_ENV=production \
    UPPSIKT_DATABASE_URL=sqlite:////data/uppsikt.db \
    UPPSIKT_MEDIA_DIR=/data/media \
    UPPSIKT_ARCHIVE_DIR=/data/archive

RUN groupadd --system --gid 10001 uppsikt \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv/uppsikt \
        --shell /usr/sbin/nologin uppsikt \
    && mkdir -p /data/media /data/archive && chown -R uppsikt:uppsikt /data

COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/uppsikt /srv/uppsikt
WORKDIR /srv/uppsikt

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# /readyz: the database answers and its schema is the one this image expects.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
# `serve` applies the migrations before it listens; `uppsikt worker` (extra replicas)
# refuses a schema that is not at the latest migration.
CMD ["uppsikt", "serve", "--host", "0.0.0.0", "--port", "8000"]
