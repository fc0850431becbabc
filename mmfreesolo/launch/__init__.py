"""Spreading the stages over a Slurm cluster with submitit."""
