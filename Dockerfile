# One image for every process: `serve catalog|enrollment|feedback|gateway`, or `migrate` / `roles` for the
# migration job. Multi-stage: the build stage has pip and the compilers some wheels may need; the final
# stage has the virtual environment, the source and nothing else, and runs as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY gateway ./gateway
COPY openapi ./openapi
# Editable, so the code runs from /app (the gateway reads openapi/ beside it), with no dev extras.
RUN /opt/venv/bin/pip install --editable . \
    && /opt/venv/bin/python -m compileall -q /app/services /app/gateway

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ledelsesutvikling" \
      org.opencontainers.image.description="Catalogue, enrolment and feedback services and their gateway"
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 APP_ENV=production \
    CATALOG_HOST=0.0.0.0 ENROLLMENT_HOST=0.0.0.0 FEEDBACK_HOST=0.0.0.0 GATEWAY_HOST=0.0.0.0 \
    CATALOG_MIGRATE_ON_START=false ENROLLMENT_MIGRATE_ON_START=false FEEDBACK_MIGRATE_ON_START=false
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000 8001 8002 8003
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD python -c "import os,sys,urllib.request; p=os.environ.get('HEALTH_PORT','8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=2).status != 200)"
ENTRYPOINT ["python", "-m", "services.cli"]
CMD ["serve", "gateway"]
