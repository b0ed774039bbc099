"""Things shared by every part of the engine: seeds, initializers."""
