"""An opt-in allocator setting for speed: `tinyspore.allocator.keep_freed_memory()`.

`import tinyspore` never calls it: it changes how glibc's malloc behaves for the whole Python process
(every library in it, not only tinyspore), and importing a library should not do that behind your back.
Call it yourself at the start of a training script if the trade (more memory kept, fewer page faults)
suits you; `python3 dev.py bench cnn` shows what it buys.
"""

from __future__ import annotations


def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the OS at once.

    A training step allocates and frees the same few-megabyte arrays every time. By default glibc
    returns them to the OS and takes them back on the next step, and every fresh page costs a page
    fault. tinyspore's own big arrays (im2col columns, activations, their gradients) already avoid
    this without touching malloc: they live in recycled blocks (`tinyspore.workspace`). This setting
    extends the idea to every array of the process (NumPy's temporaries, other libraries), keeping up
    to 128 MB of freed memory. Linux/glibc only; a no-op elsewhere.
    """
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_mmap_threshold, 32 << 20)  # arrays up to 32 MB come from the reusable heap
        libc.mallopt(m_trim_threshold, 128 << 20)  # and up to 128 MB of free heap stays with us
    except (OSError, AttributeError):
        pass
