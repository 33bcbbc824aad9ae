"""The fdacli library: pipeline stages over a few shared packages (docs/architecture.md)."""
