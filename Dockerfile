# crimegraph API image (used by docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY graph_model ./graph_model
COPY loaders ./loaders
COPY queries ./queries
RUN pip install ".[serve]" \
    && useradd --create-home --uid 10001 crimegraph

USER crimegraph
EXPOSE 8000
CMD ["crimegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
