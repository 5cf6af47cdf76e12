"""The benchmark suite (`make bench`) and single measurements; results and what they mean: README.md."""
