"""Stage: fine-tuning FaceTrack-MM with LoRA under accelerate (fda finetune)."""
