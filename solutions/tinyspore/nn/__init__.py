"""`tinyspore.nn`: Cell, layers, losses and optimizers, in MindSpore's names.

One module per concept, in the order the course teaches them: `cell` (the base class), `layers`
(Dense, SequentialCell, activations, ...), `loss`, `optim`, `wrap` (WithLossCell, TrainOneStepCell),
`conv`, `pooling`, `normalization`.
"""

from . import conv, layers, loss, normalization, optim, pooling, wrap
from .cell import Cell
from .conv import *  # noqa: F403
from .layers import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .optim import *  # noqa: F403
from .pooling import *  # noqa: F403
from .wrap import *  # noqa: F403

__all__ = ["Cell", *layers.__all__, *loss.__all__, *optim.__all__, *wrap.__all__, *conv.__all__,
           *pooling.__all__, *normalization.__all__]
