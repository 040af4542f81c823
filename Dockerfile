# One image for every AegisOps service: `docker compose up` runs each in its own container (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 aegis \
 && mkdir -p /data && chown aegis /data

WORKDIR /app
# torch is only used once, to export the embedding model to ONNX: the CPU build, pinned (never the CUDA one).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
COPY aegis aegis
COPY corpus corpus
RUN pip install ".[analyst]"

USER aegis
ENV AEGIS_DATA_DIR=/data AEGIS_HOST=127.0.0.1 AEGIS_CASEBOOK_DIR=/app/corpus/judgment
CMD ["aegis", "--help"]
