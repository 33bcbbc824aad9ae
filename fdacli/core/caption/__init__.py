"""Stage: captioning clips with a checkpoint or an OpenAI-compatible endpoint (fda caption)."""
