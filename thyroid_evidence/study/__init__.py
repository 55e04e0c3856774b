"""Study glue: the only code besides the evidence layer that knows the evidence schema."""
