"""convviz: a visualiser for convolution and its backpropagation."""
__version__ = "0.1.0"
