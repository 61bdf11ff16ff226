"""The Pulumi program of this repository: resources from the selected stack's config."""

from pulumi_vast.stack import main

main()
