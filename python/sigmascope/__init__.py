"""sigmascope from Python: stream your own sampling loop into the viewer (`connect`), record it to the
NPZ sigmascope opens (`record`), or put your denoiser in sigmascope's loop (`serve`). Pure Python and
NumPy; torch tensors are accepted (detached and moved to the CPU) without torch being imported."""

from .denoiser import Info, serve, superpose
from .record import Recorder, record
from .stream import Run, connect

__all__ = ["connect", "record", "serve", "Run", "Recorder", "Info", "superpose"]
__version__ = "0.1.0"
