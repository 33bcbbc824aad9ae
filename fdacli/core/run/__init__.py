"""Running commands over many items: JSONL records, the resumable writer, the runner, inputs, distributed launch."""
