"""Dependencies an image installs (Python, Node, Go) and what is known about them on musl."""
