"""The benchmark: six models x real and synthetic datasets x seeds, as Ray Tune trials."""
