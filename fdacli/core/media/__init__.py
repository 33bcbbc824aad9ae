"""Video decoding and resampling, and the images made from it: face crops, 2x2 grids, clip pixels."""
