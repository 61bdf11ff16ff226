"""`pulumi-vast` sub-commands that use the resources' layers (the simulator's own live in
`pulumi_vast.sim.cli`)."""
