"""Border checkpoints, their status history and queue reports."""
