"""Stage: instruction data from annotations and tracks (fda build-instructions)."""
