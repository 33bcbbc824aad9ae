"""Stage: the paper's clip filters (§3.1–3.2) measured from tracks and actions records (fda screen)."""
