"""Words about faces shared by stages: the facial-action vocabulary."""
