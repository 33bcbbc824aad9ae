"""Caption metrics: TEM and AutoDQ (event based), CIDEr-D and ROUGE-L (n-gram based)."""
