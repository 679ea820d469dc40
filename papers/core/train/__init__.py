"""Fine-tuning helpers shared by the paper modules (LoRA supervised fine-tuning with peft)."""
