# Uppsikt: one image for web (uppsikt serve) and extra workers (uppsikt worker).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UPPSIKT_ENV=production \
    UPPSIKT_DATABASE_URL=sqlite:////data/uppsikt.db \
    UPPSIKT_MEDIA_DIR=/data/media

RUN useradd --system --uid 10001 --home-dir /srv/uppsikt --shell /usr/sbin/nologin uppsikt \
    && mkdir -p /data && chown uppsikt /data

WORKDIR /srv/uppsikt
# Dependencies first, so that code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py && pip install . && rm -rf app build
# The migrations are read from the source tree, so the project is installed in place.
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
COPY wordlists ./wordlists
RUN pip install --no-deps -e .

USER uppsikt
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
# `serve` applies the migrations before it listens.
CMD ["uppsikt", "serve", "--host", "0.0.0.0", "--port", "8000"]
