"""HTTP routers, one module per concern of the surface (``sparql``, ``health``)."""
