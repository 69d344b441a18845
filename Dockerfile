# socialdesk in a container: `docker build -t socialdesk .`, then see compose.yaml (README, Containers).
# Two stages: the package and its dependencies are installed (with the versions CI tested, constraints.txt) into a
# virtual environment, which alone is copied into a slim image that runs as an unprivileged user.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/socialdesk
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY prompts prompts
RUN /opt/socialdesk/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/socialdesk/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim
RUN useradd --create-home --home-dir /data --uid 10001 --user-group socialdesk
COPY --from=build /opt/socialdesk /opt/socialdesk
ENV PATH=/opt/socialdesk/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    SOCIALDESK_CONFIG=/data/socialdesk.toml \
    MPLCONFIGDIR=/tmp/matplotlib \
    LOG_FORMAT=json
WORKDIR /data
USER socialdesk
EXPOSE 3000
# Alive: the event loop answers. Readiness (database, chat, outbox) is /readyz: compose.yaml checks that one.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/healthz\", timeout=4)"]
ENTRYPOINT ["socialdesk", "run"]
