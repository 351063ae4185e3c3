"""NLU training data (one YAML file per language) and language detection for the webhooks."""
