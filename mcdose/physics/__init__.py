"""Physics data: per-material photon and electron interaction tables (the "pegs" step)."""
