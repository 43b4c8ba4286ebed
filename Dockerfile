# The ledger's one image: the API (`ledger serve`), the relay (`ledger relay`) and the Kafka
# projectors (`ledger projector`); docker-compose.yml runs each as its own service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# DejaVu Sans prints the Georgian names in the PDF transcripts.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY ledger ./ledger
COPY services ./services
RUN pip install . && useradd --system --uid 10001 ledger
USER ledger
EXPOSE 8000
CMD ["ledger", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-projections"]
