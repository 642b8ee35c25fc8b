"""Where the work runs: ``--device cpu|cuda`` for the generator's fit and sampling and for the trials."""
from recbole_ganrs.errors import GanrsError

DEVICES = ("cpu", "cuda")


def resolve_device(device=None):
    """``device``, or cuda when torch sees a GPU and cpu otherwise; a cuda request without one is refused."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in DEVICES:
        raise GanrsError(f"device must be one of {', '.join(DEVICES)}, not '{device}'")
    if device == "cuda" and not torch.cuda.is_available():
        raise GanrsError("--device cuda: torch sees no CUDA GPU on this machine (use --device cpu)")
    return device
