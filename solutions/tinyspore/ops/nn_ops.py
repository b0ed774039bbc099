"""Neural-network primitives (convolution, pooling, batch norm): placeholder, filled in by its owner."""

__all__: list[str] = []
