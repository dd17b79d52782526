"""Files written by ``python -m server.spec.generate``; edit the generator, not these."""
