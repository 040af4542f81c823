# One image for every AegisOps service: `docker compose up` runs each in its own container (docker-compose.yml).
# Build arguments (docker-compose.yml passes them from AEGIS_BASE_IMAGE and AEGIS_DEPENDENCIES):
#   BASE_IMAGE    the image to start from; by default the public python:3.11-slim
#   DEPENDENCIES  pypi: nginx from Debian, the Python requirements from PyPI (the tested set, constraints.txt);
#                 preinstalled: BASE_IMAGE already has nginx and every requirement, so only AegisOps itself is
#                 installed, offline (tests/test_compose_run.py builds such a base: debootstrap + docker import)
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG DEPENDENCIES=pypi

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1
RUN case "$DEPENDENCIES" in \
      pypi) apt-get update \
            && apt-get install -y --no-install-recommends nginx \
            && rm -rf /var/lib/apt/lists/* ;; \
      preinstalled) command -v nginx >/dev/null || { echo "BASE_IMAGE has no nginx" >&2; exit 1; } ;; \
      *) echo "DEPENDENCIES must be pypi or preinstalled, not '$DEPENDENCIES'" >&2; exit 1 ;; \
    esac \
 && useradd --system --create-home --uid 10001 aegis \
 && mkdir -p /data && chown aegis /data

WORKDIR /app
# torch is only used once, to export the embedding model to ONNX: the CPU build, pinned (never the CUDA one).
RUN if [ "$DEPENDENCIES" = pypi ]; then \
      pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0; \
    fi
COPY pyproject.toml README.md constraints.txt ./
COPY shared shared
COPY services services
COPY aegis aegis
COPY corpus corpus
RUN if [ "$DEPENDENCIES" = pypi ]; then \
      pip install -c constraints.txt ".[analyst]"; \
    else \
      python -m pip install --no-deps --no-build-isolation --no-index .; \
    fi \
 && rm -rf build *.egg-info

USER aegis
ENV AEGIS_DATA_DIR=/data AEGIS_HOST=127.0.0.1 AEGIS_CASEBOOK_DIR=/app/corpus/judgment \
    AEGIS_CASEBOOK_CACHE_DIR=/data/cache
CMD ["aegis", "--help"]
