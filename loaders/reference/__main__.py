"""``python -m loaders.reference OUT_DIR [--scale N] [--seed S] [--tracemalloc]``: write the bundle, print time."""

from loaders.reference.generator import main

main()
