"""Stage: measured facial dynamics — 68-point landmarks of the main face, per-frame signals, events."""
