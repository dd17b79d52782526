"""One module per message family: a parsed message in, resources into a MapContext."""
