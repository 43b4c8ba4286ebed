"""The Kafka-fed projector: ledger.events -> read models, exactly once per document."""
