"""alpineguard: a checker for Alpine-based container images."""
__version__ = "0.1.0"
