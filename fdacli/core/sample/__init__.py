"""Stage: drawing clips from emotion datasets and movies into a manifest (fda sample)."""
