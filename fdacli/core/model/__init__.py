"""FaceTrack-MM (paper §4.2, §5.1): a vision tower, the STC connector, a face encoder with its projector,
and a causal LM that reads both token sets where the prompt says ``<video>``."""
