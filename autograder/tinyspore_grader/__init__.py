"""The check library and grading tools of the TinySpore course (placeholder)."""
