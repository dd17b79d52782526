"""View models of the console's pages: API answers in, what a template shows out (pure)."""
