"""Stage: pre-annotation with a multimodal LLM (fda preannotate)."""
