"""Stage: the dynamic face tracking module of paper §4.2.2 (fda track)."""
