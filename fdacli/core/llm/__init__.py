"""The one OpenAI-compatible client, its disk cache and the versioned prompts."""
