"""How the engine asks the C allocator to treat its arrays (imported once by `tinyspore`).

This is process-wide, so it lives here, in one place, rather than in the op that needed it most.
"""

from __future__ import annotations


def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the OS at once.

    A training step allocates and frees the same few-megabyte arrays (im2col columns, gradients)
    every time. By default glibc returns them to the OS and takes them back on the next step, and
    every fresh page costs a page fault: about 5000 per CNN step, more time in the kernel than in
    NumPy. Keeping up to 128 MB of freed memory removes them. Linux/glibc only; a no-op elsewhere.
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
