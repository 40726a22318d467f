"""convviz: a visualiser for convolution and its backpropagation."""
__version__ = "0.1.0"

# compute registers the named backends ("opencl", automatic) with core.backend, which
# cannot import it: core sits below compute.
from . import compute  # noqa: E402,F401
