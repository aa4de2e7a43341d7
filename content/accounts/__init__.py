"""Who may write: border-service agencies and their API keys."""
